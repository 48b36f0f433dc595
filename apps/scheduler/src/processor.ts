import { join } from 'node:path';
import { type Catalog, registerContract, startRun } from '@lake/catalog';
import { PermanentError, type PayloadOf, type TriggerResult, isFileSource, loadContract, parseDatasetId } from '@lake/contracts';
import type { Logger } from '@lake/logging';
import type { LakeQueues, StageContext } from '@lake/queue';

export interface SchedulerDeps {
  catalog: Catalog;
  queues: LakeQueues;
  schemasDir: string;
  log: Logger;
}

/**
 * Scheduler: turns a trigger (cron tick, manual `lake run`, event, backfill) into a run. The
 * contract is read fresh from `schemas/` and registered, then the run is started — or joined, when
 * the same trigger or an active run already exists — and its extract→transform→load→catalog flow
 * is created with deterministic job ids. Retrying any step cannot make a second run or flow.
 */
export function createSchedulerProcessor(deps: SchedulerDeps) {
  return async (payload: PayloadOf<'scheduler'>, ctx: StageContext): Promise<TriggerResult> => {
    const { domain, name } = parseDatasetId(payload.dataset);
    const path = join(deps.schemasDir, domain, `${name}.yaml`);
    const contract = await loadContract(path).catch((err: Error) => {
      throw new PermanentError(`no usable contract for ${payload.dataset} at ${path}: ${err.message}`);
    });
    const fileRun = payload.inputs !== undefined || payload.replay === true;
    if (isFileSource(contract) !== fileRun) {
      throw new PermanentError(
        isFileSource(contract)
          ? `${payload.dataset} is read from files: ingest files with \`lake ingest\` or replay its quarantine with \`lake replay\``
          : `${payload.dataset} is read from PostgreSQL; files and replays apply to file datasets only`,
      );
    }
    const registered = await registerContract(deps.catalog, contract, { allowBreaking: payload.allowBreaking });
    if (registered.change.kind !== 'none') deps.log.info({ dataset: payload.dataset, change: registered.change }, 'contract changed');
    // A cron tick's identity is its job: each tick is one trigger.
    const trigger = payload.trigger.kind === 'schedule' ? { ...payload.trigger, key: ctx.jobId } : payload.trigger;
    const run = await startRun(deps.catalog, { ...payload, trigger });
    await ctx.failpoint('after-start-run');
    if (run.status === 'queued' || run.status === 'running') {
      await deps.queues.addRunFlow({ runId: run.runId, dataset: payload.dataset, contractHash: run.contractHash, version: run.version });
    }
    deps.log.info({ runId: run.runId, dataset: payload.dataset, trigger, deduplicated: run.deduplicated, version: run.version }, 'run triggered');
    return { runId: run.runId, version: run.version, deduplicated: run.deduplicated };
  };
}
