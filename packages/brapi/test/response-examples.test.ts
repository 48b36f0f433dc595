/**
 * Every example response of an ingested entity streams: `result.data` element by element, or the
 * single `result` of a `GET /entity/{id}`; each entity validates against the response schema.
 */
import { describe, expect, it } from 'vitest';
import type { BrapiEntityItem } from '../src/index.js';
import { chunked, entityExamples, exampleBytes, readAll } from './helpers.js';

const responses = entityExamples().filter((e) => e.kind === 'Response200');

describe('BrAPI 2.1 example responses', () => {
  it('includes list, single-entity and search responses of every ingested entity type', () => {
    expect(responses.length).toBe(83);
    expect(new Set(responses.map((r) => r.entity)).size).toBe(14);
  });

  it.each(responses)('$file streams its entities ($entity)', async ({ file, entity }) => {
    const bytes = exampleBytes(file);
    const doc = JSON.parse(new TextDecoder().decode(bytes)) as { result: { data?: unknown[] } };
    const expected = Array.isArray(doc.result.data) ? doc.result.data : [doc.result];
    const items = await readAll(entity, chunked(bytes, 64));
    expect(items.filter((i) => i.kind === 'error')).toEqual([]);
    const entities = items as BrapiEntityItem[];
    expect(entities.map((e) => e.value)).toEqual(expected);
    expect(entities.map((e) => e.index)).toEqual(expected.map((_, i) => i));
  });

  it('reads members after `data` (calls responses carry sepPhased etc. after it)', async () => {
    const items = await readAll('calls', exampleBytes('BrAPI-Genotyping__GET_calls__Response200.json'));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'entity', line: 22, column: 7 });
  });

  it('applies the Variant quirks: variantSetDbId list, alternateBases preferred over alternate_bases', async () => {
    const [variant] = (await readAll('variants', exampleBytes('BrAPI-Genotyping__GET_variants__Response200.json'))) as BrapiEntityItem[];
    expect(variant?.row).toMatchObject({ variant_set_db_id: ['c8ae400b', 'ef2c204b'], alternate_bases: ['T', 'TAC'], start: 500n, end: 518n, cipos: [-12000n, 1000n] });
    const legacy = { variantDbId: 'v1', variantSetDbId: 'vs1', alternate_bases: ['G'] };
    const [old] = (await readAll('variants', JSON.stringify([legacy]))) as BrapiEntityItem[];
    expect(old?.row).toMatchObject({ variant_db_id: 'v1', variant_set_db_id: ['vs1'], alternate_bases: ['G'] });
    const both = { variantDbId: 'v2', alternateBases: ['T'], alternate_bases: ['C'] };
    const [current] = (await readAll('variants', JSON.stringify([both]))) as BrapiEntityItem[];
    expect(current?.row.alternate_bases).toEqual(['T']);
  });
});
