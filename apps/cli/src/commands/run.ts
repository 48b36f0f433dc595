import { randomUUID } from 'node:crypto';
import { getRun, rejectedFiles } from '@lake/catalog';
import { type Backfill, DOMAINS, type DatasetContract, datasetId, isFileSource, loadContracts, stageJobId, STAGES } from '@lake/contracts';
import type { CliContext } from '../context.js';
import { count, duration } from '../format.js';

export interface RunOptions {
  full: boolean;
  /** Re-extract these partitions whatever their fingerprints say (`lake backfill`). */
  backfill?: Backfill;
  allowBreaking: boolean;
  key?: string;
  follow: boolean;
  /** Give up following after this long (the run goes on). */
  timeoutMs: number;
}

/** `all`, a domain, `domain.dataset`, `domain/dataset` or a unique dataset name → contracts. */
export function resolveTargets(all: DatasetContract[], target: string, opts: { files?: boolean } = {}): DatasetContract[] {
  // File datasets run when files arrive (`lake ingest`, bucket events), not with `lake run`.
  const contracts = all.filter((c) => isFileSource(c) === (opts.files ?? false));
  if (target === 'all') return contracts;
  if ((DOMAINS as readonly string[]).includes(target)) {
    const found = contracts.filter((c) => c.dataset.domain === target);
    if (found.length === 0) throw new Error(`domain ${target} has no contracts in schemas/${target}/`);
    return found;
  }
  const id = target.replace('/', '.');
  const found = contracts.filter((c) => datasetId(c) === id || c.dataset.name === id);
  if (found.length === 1) return found;
  if (found.length > 1) throw new Error(`"${target}" is ambiguous: ${found.map(datasetId).join(', ')}`);
  const other = all.find((c) => datasetId(c) === id || c.dataset.name === id);
  if (other) {
    throw new Error(isFileSource(other) ? `${datasetId(other)} is read from files: use lake ingest <file|dir> --dataset ${datasetId(other)}` : `${datasetId(other)} is read from PostgreSQL: use lake run ${datasetId(other)}`);
  }
  throw new Error(`no dataset "${target}"; known: ${contracts.map(datasetId).join(', ')}`);
}

/**
 * `lake run <target>`: sends one trigger per dataset to the scheduler, then follows the runs
 * until each commits or fails, printing progress and, on failure, the stage and the reason.
 */
export async function runCommand(ctx: CliContext, target: string, opts: RunOptions): Promise<number> {
  const contracts = resolveTargets(await loadContracts(ctx.env.LAKE_SCHEMAS_DIR), target);
  const queues = ctx.queues();
  const key = opts.key ?? randomUUID();
  const runs: Array<{ dataset: string; runId: string; version: number }> = [];
  for (const c of contracts) {
    const dataset = datasetId(c);
    const res = await queues
      .triggerAndWait({
        dataset,
        trigger: { kind: opts.backfill ? 'backfill' : 'manual', key },
        requestedBy: 'lake-cli',
        full: opts.full,
        allowBreaking: opts.allowBreaking,
        ...(opts.backfill ? { backfill: opts.backfill } : {}),
      })
      .catch((err: Error) => {
        if (/timed out/.test(err.message)) {
          throw new Error(`the scheduler did not answer for ${dataset} (${err.message}); are the workers running? start them with \`lake workers\``);
        }
        throw new Error(`${dataset}: ${err.message}`);
      });
    runs.push({ dataset, runId: res.runId, version: res.version });
    console.log(`${dataset}: run ${res.runId} → v${res.version}${res.deduplicated ? ' (joined an existing run)' : ''}`);
  }
  if (!opts.follow) return 0;
  return follow(ctx, runs, opts.timeoutMs);
}

/** How a stage reports that it failed because a stage it depends on did (BullMQ's failed child). */
const DEPENDENT_FAILURE = /^child .* failed/;

export async function follow(ctx: CliContext, runs: Array<{ dataset: string; runId: string; version: number }>, timeoutMs: number): Promise<number> {
  const catalog = await ctx.catalog();
  const started = Date.now();
  const last = new Map<string, { state: string; line: string; at: number }>();
  const finished = new Map<string, 'committed' | 'failed'>();
  /** When a run was first seen failed with only a dependent stage's message. */
  const echoes = new Map<string, number>();
  while (finished.size < runs.length) {
    if (Date.now() - started > timeoutMs) {
      console.error(`stopped following after ${duration(timeoutMs)}; the runs go on (lake runs shows them)`);
      return 2;
    }
    for (const r of runs) {
      if (finished.has(r.runId)) continue;
      const run = await getRun(catalog, r.runId);
      if (!run) continue;
      // A stage failed because another did ("child … failed"): the cause records its own failure
      // moments later (its worker and the dependent stage's fail at once); wait for it a little.
      if (run.status === 'failed' && DEPENDENT_FAILURE.test(run.error?.message ?? '')) {
        const since = echoes.get(r.runId) ?? Date.now();
        echoes.set(r.runId, since);
        if (Date.now() - since < 5000) continue;
      }
      let detail = '';
      if (run.status === 'running' && run.stage) {
        const stage = run.stage as (typeof STAGES)[number];
        const job = STAGES.includes(stage) ? await ctx.queues().queue(stage).getJob(stageJobId(r.runId, stage)) : undefined;
        const p = job?.progress as { rows?: number; files?: number; of?: number } | undefined;
        if (p && typeof p === 'object' && p.rows !== undefined) detail = ` ${count(p.rows)}${p.of ? `/${count(p.of)}` : ''} rows`;
        else if (p && typeof p === 'object' && p.files !== undefined) detail = ` ${count(p.files)}/${count(p.of ?? p.files)} files checked`;
      }
      const catalogued = run.status === 'committed' && run.finished_at !== null;
      const line =
        run.status === 'failed'
          ? `${r.dataset}: FAILED in ${run.error?.stage ?? run.stage}: ${run.error?.message ?? 'unknown error'}`
          : run.status === 'committed'
            ? `${r.dataset}: committed v${run.version} — ${count(run.loaded_rows)} rows loaded, ${count(run.quarantined_rows)} quarantined ${readOf(run)}${catalogued ? '' : ' (cataloguing)'}`
            : `${r.dataset}: ${run.status} ${run.stage ?? ''}${detail}`;
      // A new state prints at once; row progress within a stage at most every two seconds.
      const state = `${run.status}/${run.stage}/${catalogued}`;
      const prev = last.get(r.runId);
      if (!prev || prev.state !== state || (prev.line !== line && Date.now() - prev.at >= 2000)) {
        console.log(`[${duration(Date.now() - started).padStart(8)}] ${line}`);
        last.set(r.runId, { state, line, at: Date.now() });
      }
      if (run.status === 'failed') finished.set(r.runId, 'failed');
      if (catalogued) {
        finished.set(r.runId, 'committed');
        // Ingested files rejected whole (above the contract's error rate): named, with their rates.
        for (const f of await rejectedFiles(catalog, r.runId)) {
          console.log(`  rejected ${f.file}: ${count(f.rejected)} of ${count(f.rows)} rows (${(f.rate * 100).toFixed(1)}%) break the contract; all ${count(f.rows)} are in quarantine (lake quarantine ${r.dataset})`);
        }
      }
    }
    if (finished.size < runs.length) await new Promise((res) => setTimeout(res, 250));
  }
  const failed = [...finished.values()].filter((s) => s === 'failed').length;
  console.log(failed === 0 ? `all ${runs.length} run(s) committed in ${duration(Date.now() - started)}` : `${failed} of ${runs.length} run(s) failed`);
  return failed === 0 ? 0 : 1;
}

/**
 * `lake backfill <dataset> --from A --to B [--field F] | --partition f=v[,f=v] ...`: a run that
 * re-extracts the named partitions even when their fingerprints did not change (a source fixed in
 * place, a contract mapping corrected for a period). The range bounds one partition field, by
 * default the contract's time partition (a field derived as year or month).
 */
export function parseBackfill(contract: DatasetContract, opts: { from?: string; to?: string; field?: string; partitions?: string[] }): Backfill {
  const id = datasetId(contract);
  const fields = contract.source.partition_by;
  const partitions = (opts.partitions ?? []).map((text) => {
    const out: Record<string, string | null> = {};
    for (const pair of text.split(',')) {
      const m = /^([a-z][a-z0-9_]*)=(.*)$/.exec(pair.trim());
      if (!m) throw new Error(`--partition "${text}": expected field=value[,field=value], e.g. organization_id=1,study_id=14`);
      const [, field, value] = m as unknown as [string, string, string];
      if (!fields.includes(field)) throw new Error(`--partition "${text}": ${id} is partitioned by ${fields.join(', ') || 'nothing'}, not ${field}`);
      out[field] = value === '' || value === 'null' ? null : value;
    }
    return out;
  });
  const ranged = opts.from !== undefined || opts.to !== undefined;
  let field = opts.field;
  if (ranged && field === undefined) {
    const timeFields = contract.fields.filter((f) => fields.includes(f.name) && (f.derive?.fn === 'year' || f.derive?.fn === 'month'));
    if (timeFields.length !== 1) {
      throw new Error(`${id} has ${timeFields.length ? 'several time partitions' : 'no time partition'}; say which partition field --from/--to bound with --field (one of ${fields.join(', ') || 'none'})`);
    }
    field = timeFields[0]?.name;
  }
  if (field !== undefined && !fields.includes(field)) throw new Error(`--field ${field}: ${id} is partitioned by ${fields.join(', ') || 'nothing'}`);
  if (!ranged && partitions.length === 0) throw new Error('lake backfill needs --from/--to or at least one --partition');
  if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to && !(/^-?\d+$/.test(opts.from) && Number(opts.from) <= Number(opts.to))) {
    throw new Error(`--from ${opts.from} is after --to ${opts.to}`);
  }
  return {
    ...(ranged ? { field } : {}),
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    ...(partitions.length ? { partitions } : {}),
  };
}

/**
 * `of N` when the run read every row of its version; otherwise (an incremental run, a replay) the
 * version's totals stand beside the rows this run read.
 */
function readOf(run: { loaded_rows: unknown; quarantined_rows: unknown; source_rows: unknown }): string {
  const read = Number(run.source_rows ?? 0);
  return Number(run.loaded_rows ?? 0) + Number(run.quarantined_rows ?? 0) === read ? `of ${count(read)}` : `in the version (${count(read)} rows read this run)`;
}
