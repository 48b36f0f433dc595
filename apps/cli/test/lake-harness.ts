import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Catalog, openCatalog } from '@lake/catalog';
import type { Buckets } from '@lake/storage';
import { createSourceDatabase, dropSourceDatabase, seed } from '@lake/fixture';
import { LakeQueues } from '@lake/queue';
import { type TestDatabase, createTestDatabase, pgAdminUrl, redisConnectionOptions, uniqueName } from '@lake/testing';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const CLI = join(repo, 'apps/cli/src/main.ts');
/** The shared reference tree (BrAPI documents, researcher files), read-only. */
export const REFERENCE_DIR = process.env.LAKE_REFERENCE_DIR ?? resolve(repo, '../shared/reference');

export type WorkerApp = 'scheduler' | 'extract' | 'transform' | 'load' | 'catalog' | 'ingest-events';
export const WORKER_APPS: WorkerApp[] = ['scheduler', 'extract', 'transform', 'load', 'catalog'];

/**
 * One isolated lake for a test file: its own seeded source database, catalog database, queue
 * prefix and store (S3 through the test s3rver), with workers as real processes.
 */
export class LakeHarness {
  readonly env: NodeJS.ProcessEnv;
  /**
   * This lake's own buckets. Test files share one s3rver; lakes sharing buckets would see each
   * other's objects (gc would call them orphans and delete them).
   */
  readonly buckets: Buckets;
  readonly workers = new Map<WorkerApp, ChildProcess>();
  readonly logs = new Map<WorkerApp, string[]>();
  private constructor(
    readonly sourceDb: string,
    private readonly catalogDb: TestDatabase,
    readonly catalog: Catalog,
    readonly tmp: string,
    private readonly ownsSource: boolean,
  ) {
    const tag = uniqueName('lake').replaceAll('_', '-');
    this.buckets = { raw: `${tag}-raw`, normalized: `${tag}-normalized`, curated: `${tag}-curated`, metadata: `${tag}-metadata` };
    this.env = {
      ...process.env,
      MINIO_BUCKET_RAW: this.buckets.raw,
      MINIO_BUCKET_NORMALIZED: this.buckets.normalized,
      MINIO_BUCKET_CURATED: this.buckets.curated,
      MINIO_BUCKET_METADATA: this.buckets.metadata,
      POSTGRES_DB: sourceDb,
      POSTGRES_USER: 'lake_extract',
      LAKE_CATALOG_URL: catalogDb.url,
      LAKE_QUEUE_PREFIX: uniqueName('q'),
      LAKE_STORE: 's3',
      LAKE_SCHEMAS_DIR: join(repo, 'schemas'),
      LAKE_SCHEDULES: 'false',
      LAKE_CACHE_DIR: join(tmp, 'cache'),
      LAKE_TMP_DIR: join(tmp, 'work'),
      LAKE_LOCK_DURATION_MS: '5000',
      LAKE_BRAPI_OPENAPI: join(REFERENCE_DIR, 'brapi', 'brapi_openapi_2_1.json'),
      LOG_LEVEL: 'info',
    };
  }

  /**
   * A lake over a freshly seeded source database, or over `sourceDb` when given (a second lake
   * reading the same source, e.g. a full-refresh reference). `store: 'local'` keeps its objects
   * apart from the S3 lake's.
   */
  static async create(opts: { rows: number; orgs: number; seed?: number; sourceDb?: string; store?: 'local' | 's3' }): Promise<LakeHarness> {
    let sourceDb = opts.sourceDb;
    if (!sourceDb) {
      sourceDb = uniqueName('src');
      const source = await createSourceDatabase({ adminUrl: pgAdminUrl(), database: sourceDb });
      await seed(source.adminUrl, { rows: opts.rows, orgs: opts.orgs, seed: opts.seed ?? 7 });
    }
    const catalogDb = await createTestDatabase('catalog');
    const catalog = openCatalog({ url: catalogDb.url, schema: 'lake', poolSize: 3 });
    await catalog.migrate();
    const lake = new LakeHarness(sourceDb, catalogDb, catalog, await mkdtemp(join(tmpdir(), 'lake-e2e-')), !opts.sourceDb);
    if (opts.store === 'local') {
      lake.env.LAKE_STORE = 'local';
      lake.env.LAKE_STORE_DIR = join(lake.tmp, 'store');
    }
    return lake;
  }

  get sourceAdminUrl(): string {
    const u = new URL(pgAdminUrl());
    u.pathname = `/${this.sourceDb}`;
    return u.toString();
  }

  /** Starts one worker process (optionally with failpoints armed). */
  startWorker(app: WorkerApp, extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'apps', app, 'src', 'main.ts')], {
      env: { ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = this.logs.get(app) ?? [];
    this.logs.set(app, log);
    child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    this.workers.set(app, child);
    return child;
  }

  /** Starts the webhook service on a free port; resolves with its base URL once it listens. */
  async startIngestEvents(extraEnv: Record<string, string> = {}): Promise<string> {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    this.startWorker('ingest-events', { LAKE_INGEST_PORT: String(port), ...extraEnv });
    // Five workers start at the same time on a 2-core machine: tsx start-up alone can take a minute.
    await this.waitForLog('ingest-events', 'ingest-events listening', 180_000);
    return `http://127.0.0.1:${port}`;
  }

  startAll(extraEnv: Partial<Record<WorkerApp, Record<string, string>>> = {}): void {
    for (const app of WORKER_APPS) this.startWorker(app, extraEnv[app] ?? {});
  }

  /** SIGKILLs a worker: no cleanup, its job's lock simply expires. */
  async kill(app: WorkerApp): Promise<void> {
    const child = this.workers.get(app);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.workers.delete(app);
  }

  /** Waits until a worker printed `text` (e.g. a failpoint message). */
  async waitForLog(app: WorkerApp, text: string, timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if ((this.logs.get(app) ?? []).join('').includes(text)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${app} did not log "${text}" within ${timeoutMs} ms; log:\n${(this.logs.get(app) ?? []).join('').slice(-3000)}`);
  }

  /** Runs the `lake` CLI to completion. */
  cli(args: string[], timeoutMs = 240_000): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolveRun, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`lake ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolveRun({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.workers.entries()].map(async ([, child]) => {
        if (child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(t);
      }),
    );
    this.workers.clear();
  }

  async destroy(): Promise<void> {
    await this.stopAll();
    // The lake's queues go with it: Redis outlives the test run.
    const redis = redisConnectionOptions();
    const queues = new LakeQueues({ host: redis.host, port: redis.port, prefix: this.env.LAKE_QUEUE_PREFIX as string });
    try {
      await queues.obliterate();
    } finally {
      await queues.close();
    }
    await this.catalog.close();
    await this.catalogDb.drop();
    if (this.ownsSource) await dropSourceDatabase({ adminUrl: pgAdminUrl(), database: this.sourceDb }).catch(() => undefined);
    await rm(this.tmp, { recursive: true, force: true });
  }
}
