import { type SeedProgress, createSourceDatabase, seed } from '@lake/fixture';
import type { CliContext } from '../context.js';
import { count, duration } from '../format.js';

/** `lake seed`: creates the BijMantra fixture database (if missing) and fills it deterministically. */
export async function seedCommand(ctx: CliContext, opts: { rows: number; orgs: number; seed: number }): Promise<number> {
  const started = Date.now();
  const source = await createSourceDatabase({ adminUrl: ctx.env.LAKE_SOURCE_ADMIN_URL, database: ctx.env.POSTGRES_DB, extractRole: ctx.env.POSTGRES_USER });
  let lastPrint = 0;
  const summary = await seed(source.adminUrl, {
    rows: opts.rows,
    orgs: opts.orgs,
    seed: opts.seed,
    onProgress: (p: SeedProgress) => {
      if (p.phase === 'load' && Date.now() - lastPrint < 1000) return;
      lastPrint = Date.now();
      console.log(p.phase === 'load' ? `  ${p.table}: ${count(p.rowsWritten)} / ${count(p.rowsTotal)}` : `  ${p.phase}`);
    },
  });
  const tables = Object.entries(summary.rowCounts).map(([t, n]) => `${t} ${count(n)}`).join(', ');
  console.log(`seeded ${ctx.env.POSTGRES_DB} (seed ${summary.seed}) in ${duration(Date.now() - started)}: ${tables}`);
  return 0;
}
