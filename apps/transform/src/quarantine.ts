import { type ColumnBatch, type LakeValue, QUARANTINE_COLUMNS } from '@lake/contracts';

export { QUARANTINE_COLUMNS };
import type { RejectedRow } from './row-validator.js';

const bigintAsText = (_k: string, x: unknown) => (typeof x === 'bigint' ? x.toString() : x);
/** JSON text of a value; bigints (int64 and timestamp values) as decimal strings. */
const jsonText = (v: unknown) => JSON.stringify(v, bigintAsText);
/** A list's elements with bigints as decimal strings; undefined when an element is itself an object. */
const listText = (list: readonly unknown[]): unknown[] | undefined => {
  let out: unknown[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (typeof e === 'bigint') (out ??= list.slice())[i] = e.toString();
    else if (typeof e === 'object' && e !== null) return undefined;
  }
  return out ?? (list as unknown[]);
};

/**
 * JSON text of a staged row or key: a flat record whose values are scalars or lists of scalars.
 * Bigints become decimal strings in a shallow copy, and JSON.stringify runs without a replacer
 * function, which it calls for every value (a quarantined observation's row took ~1.4x as long).
 * Anything deeper (a list of lists) takes the replacer.
 */
const recordText = (r: Record<string, unknown>) => {
  let copy: Record<string, unknown> | undefined;
  for (const k in r) {
    const v = r[k];
    if (typeof v === 'bigint') (copy ??= { ...r })[k] = v.toString();
    else if (typeof v === 'object' && v !== null) {
      const list = Array.isArray(v) ? listText(v) : undefined;
      if (list === undefined) return jsonText(r);
      if (list !== v) (copy ??= { ...r })[k] = list;
    }
  }
  return JSON.stringify(copy ?? r);
};

export function quarantineBatch(
  rows: RejectedRow[],
  ctx: { runId: string; sourceTable: string; sourceFile: string; key: string[] },
): ColumnBatch {
  const col = (): LakeValue[] => new Array(rows.length);
  const c = Object.fromEntries(QUARANTINE_COLUMNS.map((s) => [s.name, col()])) as Record<string, LakeValue[]>;
  rows.forEach((r, i) => {
    const first = r.violations[0];
    (c.run_id as LakeValue[])[i] = ctx.runId;
    (c.source_table as LakeValue[])[i] = ctx.sourceTable;
    (c.source_file as LakeValue[])[i] = r.file ?? ctx.sourceFile;
    (c.row_number as LakeValue[])[i] = BigInt(r.row);
    (c.row_key as LakeValue[])[i] = recordText(Object.fromEntries(ctx.key.map((k) => [k, r.staged[k] ?? null])));
    (c.column_name as LakeValue[])[i] = first?.column ?? '';
    (c.rule as LakeValue[])[i] = first?.rule ?? '';
    (c.raw_value as LakeValue[])[i] = first?.raw ?? null;
    (c.message as LakeValue[])[i] = first?.message ?? '';
    (c.violations as LakeValue[])[i] = JSON.stringify(r.violations);
    (c.staged_row as LakeValue[])[i] = recordText(r.staged);
  });
  return { rowCount: rows.length, columns: c };
}
