/**
 * Invalid entities derived from the spec examples: each problem is a located issue value (JSON
 * pointer, line, rule), the valid entities around it still come through, and nothing throws.
 */
import { describe, expect, it } from 'vitest';
import type { BrapiEntityItem, BrapiIssue } from '../src/index.js';
import { exampleBytes, readAll } from './helpers.js';

function example(file: string): Record<string, unknown>[] {
  return JSON.parse(new TextDecoder().decode(exampleBytes(file))) as Record<string, unknown>[];
}

const observation = example('BrAPI-Phenotyping__POST_observations__Request.json')[0] as Record<string, unknown>;
const germplasm = example('BrAPI-Germplasm__POST_germplasm__Request.json')[0] as Record<string, unknown>;

function errors(items: Array<BrapiEntityItem | BrapiIssue>): BrapiIssue[] {
  return items.filter((i): i is BrapiIssue => i.kind === 'error');
}

describe('invalid entities', () => {
  it('locates a wrong type, a bad timestamp and a missing required field by JSON pointer and line', async () => {
    const wrongType = { ...observation, observationUnitDbId: 42 };
    const badTime = { ...observation, observationTimeStamp: '2018-13-01T14:47:23-0600' };
    const noName = { ...germplasm };
    delete noName.germplasmName;
    const payload = JSON.stringify([observation, wrongType, badTime], null, 2);
    const items = await readAll('observations', payload);
    expect(items.map((i) => i.kind)).toEqual(['entity', 'error', 'error']);
    const [typeIssue, timeIssue] = errors(items);
    expect(typeIssue).toMatchObject({ index: 1, path: '/observationUnitDbId', rule: 'type' });
    expect(timeIssue).toMatchObject({ index: 2, path: '/observationTimeStamp', rule: 'format' });
    // The line is the offending member's own line in the payload.
    const lines = payload.split('\n');
    expect(lines[(typeIssue?.line as number) - 1]).toContain('"observationUnitDbId": 42');
    expect(lines[(timeIssue?.line as number) - 1]).toContain('"observationTimeStamp": "2018-13-01T14:47:23-0600"');
    expect(lines[(typeIssue?.line as number) - 1]?.slice((typeIssue?.column as number) - 1)).toMatch(/^42/);
    expect(typeIssue?.message).toMatch(/^line \d+, entity 1: \/observationUnitDbId must be string/);
    expect(JSON.parse(typeIssue?.raw as string)).toEqual(wrongType);

    const missing = errors(await readAll('germplasm', JSON.stringify([germplasm, noName])));
    expect(missing).toEqual([expect.objectContaining({ index: 1, line: 1, path: '/germplasmName', rule: 'required' })]);
  });

  it('reports every problem of one entity, nested ones with their full pointer', async () => {
    const bad = { ...observation, season: { seasonDbId: 7, year: 'twenty' }, geoCoordinates: { type: 'Feature', geometry: { type: 'Point', coordinates: 'x' } } };
    const issues = errors(await readAll('observations', JSON.stringify([bad], null, 1)));
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['/geoCoordinates/geometry', 'oneOf'],
      ['/season/seasonDbId', 'type'],
      ['/season/year', 'type'],
    ]);
    expect(new Set(issues.map((i) => i.index))).toEqual(new Set([0]));
  });

  it('rejects a timestamp without a UTC offset and accepts the Field Book form', async () => {
    const local = { ...observation, observationTimeStamp: '2018-01-01T14:47:23' };
    const fieldBook = { ...observation, observationTimeStamp: '2016-01-07 12:08:24-0500' };
    const items = await readAll('observations', JSON.stringify([local, fieldBook]));
    expect(items[0]).toMatchObject({ kind: 'error', path: '/observationTimeStamp', rule: 'format' });
    expect(items[0] && 'message' in items[0] ? items[0].message : '').toMatch(/UTC offset/);
    expect(items[1]).toMatchObject({ kind: 'entity', row: { observation_time_stamp: BigInt(Date.UTC(2016, 0, 7, 17, 8, 24)) * 1000n } });
  });

  it('absorbs a numeric Observation.value and a fractional Scale.validValues.min', async () => {
    const [numeric] = (await readAll('observations', JSON.stringify([{ ...observation, value: 2.5 }]))) as BrapiEntityItem[];
    expect(numeric?.row.value).toBe('2.5');
    const variable = example('BrAPI-Phenotyping__POST_variables__Request.json')[0] as { scale: { validValues: Record<string, unknown> } };
    variable.scale.validValues = { min: 0.5, max: 12 };
    const [v] = (await readAll('variables', JSON.stringify([variable]))) as BrapiEntityItem[];
    expect(v?.row).toMatchObject({ scale_minimum_value: '0.5', scale_maximum_value: '12' });
    const objectValue = errors(await readAll('observations', JSON.stringify([{ ...observation, value: { x: 1 } }])));
    expect(objectValue).toEqual([expect.objectContaining({ path: '/value', rule: 'type' })]);
  });

  it('reports a non-object entity and a wrong payload shape', async () => {
    const items = await readAll('observations', '[1, "x"]');
    expect(errors(items).map((i) => [i.index, i.path, i.rule])).toEqual([
      [0, '', 'type'],
      [1, '', 'type'],
    ]);
    expect(errors(await readAll('observations', '"hello"'))).toEqual([expect.objectContaining({ rule: 'payload-shape', line: 1, column: 1 })]);
    expect(errors(await readAll('observations', '{"a": 1}', 'array'))).toEqual([expect.objectContaining({ rule: 'payload-shape' })]);
  });
});
