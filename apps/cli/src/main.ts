import { parseArgs } from 'node:util';
import { CliContext } from './context.js';
import { env } from './env.js';
import { diffCommand } from './commands/diff.js';
import { gcCommand } from './commands/gc.js';
import { ingestCommand, replayCommand } from './commands/ingest.js';
import { quarantineCommand } from './commands/quarantine.js';
import { datasetsCommand, runsCommand, showCommand, versionsCommand } from './commands/inspect.js';
import { queryCommand } from './commands/query.js';
import { datasetId, loadContracts } from '@lake/contracts';
import { parseBackfill, resolveTargets, runCommand } from './commands/run.js';
import { seedCommand } from './commands/seed.js';
import { workersCommand } from './commands/workers.js';

const HELP = `lake — BijMantra Lake

usage:
  lake seed [--rows N] [--orgs K] [--seed S]     create and fill the BijMantra fixture database
  lake run <dataset|domain|all> [--full] [--allow-breaking] [--key K] [--no-follow] [--timeout SECONDS]
                                                 run the ETL and follow it until it commits or fails
  lake backfill <dataset> [--from A] [--to B] [--field F] [--partition f=v[,f=v]]...
                                                 re-extract a range of partitions (default field: the
                                                 time partition) or named ones, changed or not
  lake ingest <file|dir> --dataset <domain>/<dataset> [--no-follow] [--timeout SECONDS]
                                                 upload files to the raw tier and ingest them as one new version
  lake quarantine <dataset> [--format table|json] [--max-rows N]
                                                 the current version's rejected rows: file, line, column, rule, raw value
  lake replay <dataset> [--no-follow]            re-run the quarantined rows after a contract or mapping fix
  lake datasets                                  datasets and their current versions
  lake versions <dataset>                        committed versions of a dataset
  lake runs [dataset]                            run history
  lake show <dataset>[@vN|@timestamp]            schema, files, rows, quarantine and lineage of a version
  lake query "<SQL>" [--as-of vN|timestamp] [--format table|json|csv] [--max-rows N]
                                                 DuckDB over committed versions (phenotype.observations ...)
  lake diff <dataset> <vA> <vB> [--format table|json]
                                                 rows added, removed and changed between two versions, per partition
  lake gc [--dry-run]                            delete objects no committed version references
  lake workers [--only a,b]                      run the five workers locally (--only ...,ingest-events adds the webhook)

Datasets are named <domain>.<dataset>, e.g. phenotype.observations. Configuration comes from the
environment (POSTGRES_*, REDIS_*, MINIO_*, LAKE_*); see the README.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rows: { type: 'string' },
      orgs: { type: 'string' },
      seed: { type: 'string' },
      full: { type: 'boolean', default: false },
      'allow-breaking': { type: 'boolean', default: false },
      key: { type: 'string' },
      'no-follow': { type: 'boolean', default: false },
      timeout: { type: 'string' },
      'as-of': { type: 'string' },
      format: { type: 'string', default: 'table' },
      'max-rows': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      only: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      field: { type: 'string' },
      partition: { type: 'string', multiple: true },
      dataset: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg, ...rest] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return command ? 0 : 1;
  }
  const need = (what: string) => {
    if (!arg) throw new UsageError(`lake ${command} needs ${what}`);
    return arg;
  };
  const int = (name: string, v: string | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    const n = Number(v.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${v}"`);
    return n;
  };
  if (command === 'workers') return workersCommand(values.only ? { only: values.only.split(',') } : {});
  const ctx = new CliContext(env);
  try {
    switch (command) {
      case 'seed':
        return await seedCommand(ctx, { rows: int('rows', values.rows, 100_000), orgs: int('orgs', values.orgs, 3), seed: int('seed', values.seed, 42) });
      case 'run':
        return await runCommand(ctx, need('a dataset, a domain or all'), {
          full: values.full,
          allowBreaking: values['allow-breaking'],
          follow: !values['no-follow'],
          timeoutMs: int('timeout', values.timeout, 3600) * 1000,
          ...(values.key ? { key: values.key } : {}),
        });
      case 'backfill': {
        const targets = resolveTargets(await loadContracts(ctx.env.LAKE_SCHEMAS_DIR), need('a dataset'));
        const contract = targets[0];
        if (!contract || targets.length !== 1) throw new UsageError(`lake backfill takes one dataset; "${arg}" names ${targets.length}`);
        const backfill = parseBackfill(contract, {
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.to !== undefined ? { to: values.to } : {}),
          ...(values.field !== undefined ? { field: values.field } : {}),
          ...(values.partition ? { partitions: values.partition } : {}),
        });
        return await runCommand(ctx, datasetId(contract), {
          full: false,
          allowBreaking: false,
          backfill,
          follow: !values['no-follow'],
          timeoutMs: int('timeout', values.timeout, 3600) * 1000,
          ...(values.key ? { key: values.key } : {}),
        });
      }
      case 'ingest': {
        if (!values.dataset) throw new UsageError('lake ingest needs --dataset <domain>/<dataset>');
        return await ingestCommand(ctx, need('a file or directory'), { dataset: values.dataset, follow: !values['no-follow'], timeoutMs: int('timeout', values.timeout, 3600) * 1000 });
      }
      case 'quarantine':
        return await quarantineCommand(ctx, need('a dataset'), { format: values.format === 'json' ? 'json' : 'table', maxRows: int('max-rows', values['max-rows'], 200) });
      case 'replay':
        return await replayCommand(ctx, need('a dataset'), { follow: !values['no-follow'], timeoutMs: int('timeout', values.timeout, 3600) * 1000 });
      case 'datasets':
        return await datasetsCommand(ctx);
      case 'versions':
        return await versionsCommand(ctx, need('a dataset'));
      case 'runs':
        return await runsCommand(ctx, arg);
      case 'show':
        return await showCommand(ctx, need('a dataset'));
      case 'query': {
        const format = values.format as string;
        if (!['table', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be table, json or csv, got "${format}"`);
        return await queryCommand(ctx, need('a SQL query'), {
          format: format as 'table' | 'json' | 'csv',
          maxRows: int('max-rows', values['max-rows'], 10_000),
          ...(values['as-of'] ? { asOf: values['as-of'] } : {}),
        });
      }
      case 'diff': {
        const [from, to] = rest;
        if (!from || !to) throw new UsageError('lake diff needs a dataset and two versions, e.g. lake diff phenotype.observations v1 v2');
        return await diffCommand(ctx, need('a dataset'), from, to, { format: values.format === 'json' ? 'json' : 'table' });
      }
      case 'gc':
        return await gcCommand(ctx, { dryRun: values['dry-run'] });
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await ctx.close();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`lake: ${err.message}`);
    if (err instanceof UsageError) console.error('run `lake --help` for usage');
    process.exit(err instanceof UsageError ? 64 : 1);
  },
);
