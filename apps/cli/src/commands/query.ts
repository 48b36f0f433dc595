import { parseVersionSelector } from '@lake/catalog';
import { LakeQuery } from '@lake/query';
import type { CliContext } from '../context.js';
import { table } from '../format.js';

/** `lake query "<SQL>"`: DuckDB over committed versions; datasets are `domain.dataset` views. */
export async function queryCommand(ctx: CliContext, sql: string, opts: { asOf?: string; format: 'table' | 'json' | 'csv'; maxRows: number }): Promise<number> {
  const sel = parseVersionSelector(opts.asOf);
  const catalog = await ctx.catalog();
  const lake = await LakeQuery.open({
    catalog,
    store: await ctx.store(),
    layout: await ctx.layout(),
    cacheDir: ctx.env.LAKE_CACHE_DIR,
    ...(sel.kind === 'asOf' ? { asOf: sel.at } : {}),
    ...(sel.kind === 'number' ? { versionNumber: sel.version } : {}),
  });
  try {
    const result = await lake.query(sql, { maxRows: opts.maxRows });
    if (opts.format === 'json') console.log(JSON.stringify(result.rows, null, 2));
    else if (opts.format === 'csv') {
      const names = result.columns.map((c) => c.name);
      const esc = (v: unknown) => {
        const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
      };
      console.log(names.join(','));
      for (const r of result.rows) console.log(names.map((n) => esc(r[n])).join(','));
    } else console.log(table(result.rows, result.columns.map((c) => c.name)));
    return 0;
  } finally {
    lake.close();
  }
}
