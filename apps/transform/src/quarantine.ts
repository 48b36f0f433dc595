import { type ColumnBatch, type LakeValue, QUARANTINE_COLUMNS } from '@lake/contracts';

export { QUARANTINE_COLUMNS };
import type { RejectedRow } from './row-validator.js';

const jsonText = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

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
    (c.row_key as LakeValue[])[i] = jsonText(Object.fromEntries(ctx.key.map((k) => [k, r.staged[k] ?? null])));
    (c.column_name as LakeValue[])[i] = first?.column ?? '';
    (c.rule as LakeValue[])[i] = first?.rule ?? '';
    (c.raw_value as LakeValue[])[i] = first?.raw ?? null;
    (c.message as LakeValue[])[i] = first?.message ?? '';
    (c.violations as LakeValue[])[i] = jsonText(r.violations);
    (c.staged_row as LakeValue[])[i] = jsonText(r.staged);
  });
  return { rowCount: rows.length, columns: c };
}
