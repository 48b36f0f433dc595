import { describe, expect, it } from 'vitest';
import { quarantineBatch } from '../src/quarantine.js';
import type { RejectedRow } from '../src/row-validator.js';

const ctx = { runId: 'run-1', sourceTable: 'observations', sourceFile: 'staging/x.parquet', key: ['id'] };

describe('quarantineBatch', () => {
  it('writes the staged row, key and violations as JSON text, bigints (flat or in lists) as decimal strings', () => {
    const rows: RejectedRow[] = [
      {
        row: 7,
        staged: { id: 12, value: 'ab"c', note: null, ts: 1704067200123456n, tags: ['x', null] },
        violations: [{ column: 'value', rule: 'cast', raw: 'ab"c', message: 'value: "ab\\"c" is not a number' }],
      },
      { row: 8, staged: { id: 9007199254740993n, ids: [1n, 2n], ok: true }, violations: [] },
      { row: 9, staged: { id: 3, value: 'ünïcode ✓' }, violations: [{ column: 'id', rule: 'required', raw: null, message: 'id is required' }] },
      { row: 10, staged: { id: 5n, nested: [[1n], [2n, null]], after: 'x' }, violations: [] },
    ];
    const batch = quarantineBatch(rows, ctx);
    expect(batch.rowCount).toBe(4);
    expect(batch.columns.staged_row).toEqual([
      '{"id":12,"value":"ab\\"c","note":null,"ts":"1704067200123456","tags":["x",null]}',
      '{"id":"9007199254740993","ids":["1","2"],"ok":true}',
      '{"id":3,"value":"ünïcode ✓"}',
      '{"id":"5","nested":[["1"],["2",null]],"after":"x"}',
    ]);
    expect(batch.columns.row_key).toEqual(['{"id":12}', '{"id":"9007199254740993"}', '{"id":3}', '{"id":"5"}']);
    // The staged rows are not changed by their text.
    expect(rows[1]?.staged).toEqual({ id: 9007199254740993n, ids: [1n, 2n], ok: true });
    expect(batch.columns.violations).toEqual([JSON.stringify(rows[0]?.violations), '[]', '[{"column":"id","rule":"required","raw":null,"message":"id is required"}]', '[]']);
    expect(batch.columns.row_number).toEqual([7n, 8n, 9n, 10n]);
    expect(batch.columns.column_name).toEqual(['value', '', 'id', '']);
    expect(batch.columns.rule).toEqual(['cast', '', 'required', '']);
  });
});
