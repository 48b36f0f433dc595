import { resolveVersion } from '@lake/catalog';
import { parseDatasetId, quarantineDatasetId } from '@lake/contracts';
import { LakeQuery } from '@lake/query';
import type { CliContext } from '../context.js';
import { count, table } from '../format.js';

/**
 * `lake quarantine <dataset>`: the rows the current version rejected — per rule, then each row
 * with its file, line, column, rule, raw value and message.
 */
export async function quarantineCommand(ctx: CliContext, target: string, opts: { format: 'table' | 'json'; maxRows: number }): Promise<number> {
  const dataset = target.replace('/', '.');
  parseDatasetId(dataset);
  const catalog = await ctx.catalog();
  const version = await resolveVersion(catalog, dataset, { kind: 'current' });
  if (!version) throw new Error(`${dataset} has no committed version`);
  const lake = await LakeQuery.open({ catalog, store: await ctx.store(), layout: await ctx.layout(), cacheDir: ctx.env.LAKE_CACHE_DIR });
  try {
    const result = await lake.query(
      `SELECT source_file AS file, row_number AS line, column_name AS "column", rule, raw_value, message FROM ${quarantineDatasetId(dataset)} ORDER BY source_file, row_number, column_name`,
      { maxRows: opts.maxRows },
    );
    const rows = result.rows.map((r) => ({ ...r, line: Number(r.line) }));
    if (opts.format === 'json') {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    const byRule = (
      await lake.query(`SELECT column_name, rule, count(*) AS row_count FROM ${quarantineDatasetId(dataset)} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`, { maxRows: 1000 })
    ).rows;
    const total = byRule.reduce((n, q) => n + Number(q.row_count), 0);
    console.log(`${dataset}@v${version.version}: ${count(total)} quarantined row(s) of ${count(Number(version.row_count) + total)}`);
    if (total === 0) return 0;
    console.log(table(byRule.map((q) => ({ column: q.column_name, rule: q.rule, rows: count(Number(q.row_count)) }))));
    console.log('');
    console.log(table(rows, ['file', 'line', 'column', 'rule', 'raw_value', 'message']));
    if (rows.length < total) console.log(`… ${count(total - rows.length)} more (--max-rows)`);
    console.log(`\nfix the contract or mapping, then \`lake replay ${dataset}\` re-runs these rows`);
    return 0;
  } finally {
    lake.close();
  }
}
