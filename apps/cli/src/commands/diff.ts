import { parseVersionSelector, resolveVersion } from '@lake/catalog';
import { type DatasetContract, parseDatasetId } from '@lake/contracts';
import { LakeQuery } from '@lake/query';
import type { CliContext } from '../context.js';
import { count, table } from '../format.js';

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * `lake diff <dataset> vA vB`: rows added, removed and changed between two versions, by key,
 * per partition (a changed row is counted in its partition in vB).
 */
export async function diffCommand(ctx: CliContext, dataset: string, from: string, to: string, opts: { format: 'table' | 'json' }): Promise<number> {
  parseDatasetId(dataset);
  const catalog = await ctx.catalog();
  const b = await resolveVersion(catalog, dataset, parseVersionSelector(to));
  const a = await resolveVersion(catalog, dataset, parseVersionSelector(from));
  if (!a || !b) throw new Error(`${dataset} has no committed version ${!a ? from : to}`);
  const row = await catalog.db.selectFrom('contracts').select('contract').where('dataset_id', '=', dataset).where('hash', '=', b.contract_hash).executeTakeFirstOrThrow();
  const contract = row.contract as unknown as DatasetContract;
  const keys = contract.source.key.map((k) => contract.fields.find((f) => f.source === k)?.name ?? k);
  const parts = contract.source.partition_by;
  const lake = await LakeQuery.open({
    catalog,
    store: await ctx.store(),
    layout: await ctx.layout(),
    cacheDir: ctx.env.LAKE_CACHE_DIR,
    onlyViews: true,
    views: [
      { schema: 'diff', name: 'a', dataset, selector: { kind: 'number', version: a.version } },
      { schema: 'diff', name: 'b', dataset, selector: { kind: 'number', version: b.version } },
    ],
  });
  try {
    const k = keys.map(quote);
    const p = parts.map(quote);
    const side = (alias: string) => `SELECT ${k.map((c, i) => `${c} AS k${i}`).join(', ')}${p.map((c, i) => `, CAST(${c} AS VARCHAR) AS p${i}`).join('')}, md5(CAST(r AS VARCHAR)) AS h FROM diff.${alias} r`;
    const on = k.map((_, i) => `ra.k${i} = rb.k${i}`).join(' AND ');
    const partCols = p.map((c, i) => `coalesce(rb.p${i}, ra.p${i}) AS ${c}`);
    const sql = `WITH ra AS (${side('a')}), rb AS (${side('b')})
      SELECT ${[...partCols, `count(*) FILTER (WHERE ra.k0 IS NULL) AS added`, `count(*) FILTER (WHERE rb.k0 IS NULL) AS removed`, `count(*) FILTER (WHERE ra.k0 IS NOT NULL AND rb.k0 IS NOT NULL AND ra.h <> rb.h) AS changed`].join(', ')}
      FROM ra FULL OUTER JOIN rb ON ${on}
      ${p.length ? 'GROUP BY ALL' : ''} HAVING added + removed + changed > 0 ${p.length ? `ORDER BY ${p.map((_, i) => i + 1).join(', ')}` : ''}`;
    const result = await lake.query(sql, { maxRows: 1_000_000 });
    const totals = result.rows.reduce<{ added: number; removed: number; changed: number }>(
      (t, r) => ({ added: t.added + Number(r.added), removed: t.removed + Number(r.removed), changed: t.changed + Number(r.changed) }),
      { added: 0, removed: 0, changed: 0 },
    );
    if (opts.format === 'json') {
      console.log(JSON.stringify({ dataset, from: a.version, to: b.version, ...totals, partitions: result.rows }, null, 2));
    } else {
      console.log(`${dataset} v${a.version} → v${b.version}: ${count(totals.added)} added, ${count(totals.removed)} removed, ${count(totals.changed)} changed`);
      if (result.rows.length > 0) console.log(table(result.rows));
    }
    return 0;
  } finally {
    lake.close();
  }
}
