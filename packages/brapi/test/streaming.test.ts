/**
 * Entities come out while input is still arriving: the reader never waits for the end of the
 * payload (memory is bounded by one entity). Measured by chunks pulled, not by time.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BrapiEntityItem, readBrapiEntities } from '../src/index.js';
import { EXAMPLES_DIR, collect, testSchemas } from './helpers.js';

describe('streaming', () => {
  it('yields the first entity after pulling two chunks of a 20,000-entity envelope', async () => {
    let pulled = 0;
    async function* payload() {
      pulled++;
      yield '{"metadata": {"pagination": {"totalCount": 20000}}, "result": {"data": [';
      for (let i = 0; i < 20_000; i++) {
        pulled++;
        yield `${i ? ',' : ''}\n{"observationDbId": "o${i}", "value": "${i}", "observationTimeStamp": "2018-01-01T14:47:23-0600"}`;
      }
      pulled++;
      yield ']}}';
    }
    const reader = readBrapiEntities(payload(), { entity: 'observations', schemas: await testSchemas() });
    const first = await reader.next();
    expect(first.value).toMatchObject({ kind: 'entity', index: 0, line: 2, row: { observation_db_id: 'o0' } });
    expect(pulled).toBeLessThanOrEqual(3);
    let count = 1;
    let last: BrapiEntityItem | undefined;
    for await (const item of reader) {
      expect(item.kind).toBe('entity');
      last = item as BrapiEntityItem;
      count++;
    }
    expect(count).toBe(20_000);
    expect(last).toMatchObject({ index: 19_999, line: 20_001, row: { value: '19999' } });
  });

  it('reads a Node file stream', async () => {
    const stream = createReadStream(join(EXAMPLES_DIR, 'BrAPI-Genotyping__GET_variants__Response200.json'), { highWaterMark: 16 });
    const items = await collect(readBrapiEntities(stream, { entity: 'variants', schemas: await testSchemas() }));
    expect(items).toEqual([expect.objectContaining({ kind: 'entity', index: 0, row: expect.objectContaining({ variant_db_id: '628e89c5' }) })]);
  });
});
