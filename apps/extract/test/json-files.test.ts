/**
 * JSON files of records (`format: json`): arrays, envelopes, single objects and line-delimited
 * files, read under the shipped sensor-log contract. Keys resolve like a CSV header (synonyms,
 * units in brackets); values go through the same cell parsers; every object is a record, clean
 * or carrying its located errors; a document that is not JSON is rejected at its place.
 */
import type { LakeValue } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { openFile } from '../src/file-source/open-file.js';
import type { StagedRecord } from '../src/file-source/staged-record.js';
import { brapiSchemas, chunks, contract, readSummary } from './file-helpers.js';

const LOGS = 'sensor.sensor_log_files';
const utf8 = (text: string) => new TextEncoder().encode(text);

async function records(text: string, file: string, chunkSize = 7): Promise<{ records: StagedRecord[]; conversions: unknown[] }> {
  const opened = await openFile(await contract(LOGS), chunks(utf8(text), chunkSize), file, brapiSchemas);
  const out: StagedRecord[] = [];
  for await (const r of opened.records) out.push(r);
  return { records: out, conversions: opened.conversions };
}

const values = (r: StagedRecord | undefined): Record<string, LakeValue> => r?.values ?? {};

describe('JSON record files', () => {
  it('reads an array of objects: synonyms, unit conversion, numbers, booleans, nested JSON, null as missing, offsets to UTC', async () => {
    const text = `[
  {"device_id": "dev-1", "channel": "a", "timestamp": "2024-05-01T06:00:00-05:00", "vwc": 23.5, "soil_temp [degF]": 68, "battery": 3.7, "meta": {"fw": "1.2", "ok": true}},
  {"device_id": "dev-1", "channel": "a", "timestamp": "2024-05-01T07:00:00Z", "vwc": null, "soil_temp [degF]": 50, "battery": "3.6", "meta": null}
]`;
    const { records: rs, conversions } = await records(text, 'bijmantra-raw/sensor/sensor_log_files/logs/dev-1.json');
    expect(rs).toHaveLength(2);
    expect(rs.map((r) => r.errors)).toEqual([[], []]);
    expect(rs.map((r) => r.line)).toEqual([2, 3]);
    const [a, b] = rs;
    expect(values(a).device).toBe('dev-1');
    expect(values(a).sensor).toBe('a');
    // 06:00 at -05:00 is 11:00 UTC, in microseconds.
    expect(values(a).observed_at).toBe(BigInt(Date.UTC(2024, 4, 1, 11)) * 1000n);
    expect(values(a).soil_moisture).toBe(23.5);
    expect(values(a).soil_temperature).toBeCloseTo(20, 10);
    expect(values(a).battery_volts).toBe(3.7);
    expect(JSON.parse(String(values(a).metadata))).toEqual({ fw: '1.2', ok: true });
    expect(values(b).soil_moisture).toBeNull();
    expect(values(b).soil_temperature).toBeCloseTo(10, 10);
    expect(values(b).battery_volts).toBe(3.6);
    expect(values(b).metadata).toBeNull();
    expect(conversions).toEqual([expect.objectContaining({ column: 'soil_temp [degF]', field: 'soil_temperature', from: '[degF]', to: 'Cel' })]);
  });

  it('reads a {result: {data: [...]}} envelope and a single object', async () => {
    const envelope = JSON.stringify({ metadata: { pagination: {} }, result: { data: [{ device: 'd', sensor: 's', observed_at: '2024-01-01T00:00:00Z' }, { device: 'd', sensor: 's', observed_at: '2024-01-01T01:00:00Z' }] } });
    expect((await readSummary(await contract(LOGS), utf8(envelope), 'bijmantra-raw/sensor/x/e.json')).rows).toBe(2);
    const single = '{"device": "d", "sensor": "s", "observed_at": "2024-01-01T00:00:00Z", "vwc": 1}';
    const { records: rs } = await records(single, 'bijmantra-raw/sensor/x/one.json');
    expect(rs.map((r) => [r.errors, values(r).soil_moisture])).toEqual([[[], 1]]);
  });

  it('locates what a record breaks: a type, a missing required key, a value that is not an object', async () => {
    const text = `[
{"device": "d", "sensor": "s", "observed_at": "2024-01-01T00:00:00Z", "vwc": "wet"},
{"device": "d", "observed_at": "2024-01-01T00:00:00Z"},
42
]`;
    const { records: rs } = await records(text, 'bijmantra-raw/sensor/x/bad.json');
    expect(rs.map((r) => [r.line, r.errors.map((e) => `${e.column}:${e.rule}`)])).toEqual([
      [2, ['soil_moisture:invalid-number']],
      [3, ['sensor:missing-field']],
      [4, ['(record):not-an-object']],
    ]);
    expect(rs[0]?.errors[0]?.message).toContain('line 2');
    expect(rs[1]?.errors[0]?.message).toMatch(/^line 3: keys \["device","observed_at"\]: .*sensor/);
  });

  it('rejects a document that is not JSON at the place it breaks, and an empty file', async () => {
    const broken = await readSummary(await contract(LOGS), utf8('[\n{"device": "d",\n "sensor": }\n]'), 'bijmantra-raw/sensor/x/broken.json');
    expect(broken.rejected).toMatch(/^bijmantra-raw\/sensor\/x\/broken\.json: line 3, column \d+: json-syntax: /);
    const empty = await readSummary(await contract(LOGS), utf8(''), 'bijmantra-raw/sensor/x/empty.json');
    expect(empty.rejected).toContain('bijmantra-raw/sensor/x/empty.json');
  });

  it('reads .ndjson line by line: CRLF, a BOM and blank lines are fine, a bad line is that record’s error', async () => {
    const lines = [
      '\uFEFF{"device": "d", "sensor": "s", "observed_at": "2024-01-01T00:00:00Z", "vwc": 5}',
      '',
      '{"device": "d", "sensor": "s", "observed_at": "2024-01-01T01:00:00Z", "vwc": ',
      '[1, 2]',
      '{"device": "d", "sensor": "s", "observed_at": "2024-01-01T02:00:00Z", "vwc": 7}',
    ].join('\r\n');
    for (const size of [1, 3, 64]) {
      const { records: rs } = await records(lines, 'bijmantra-raw/sensor/x/log.ndjson', size);
      expect(rs.map((r) => [r.line, r.errors.map((e) => e.rule), values(r).soil_moisture ?? null])).toEqual([
        [1, [], 5],
        [3, ['json-syntax'], null],
        [4, ['not-an-object'], null],
        [5, [], 7],
      ]);
    }
    const bad = new Uint8Array([...utf8('{"device": "d", "sensor": "s", "observed_at": "2024-01-01T00:00:00Z"}\n{"device": "\xff'), 0xff, ...utf8('"}\n')]);
    const opened = await openFile(await contract(LOGS), chunks(bad, 5), 'bijmantra-raw/sensor/x/enc.jsonl', brapiSchemas);
    const got: string[] = [];
    for await (const r of opened.records) got.push(`${r.line}:${r.errors.map((e) => e.rule).join(',')}`);
    expect(got).toEqual(['1:', '2:encoding']);
  });
});
