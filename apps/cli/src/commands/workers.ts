import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_ENV, workerNodeArgs } from '@lake/config';

export const WORKER_APPS = ['scheduler', 'extract', 'transform', 'load', 'catalog'] as const;
/** Started only when asked for (`--only ...,ingest-events`): the webhook for bucket notifications. */
export const OPTIONAL_APPS = ['ingest-events'] as const;

/** The monorepo's `apps/` folder, found from this file (the CLI runs from source). */
export function appsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the monorepo root (pnpm-workspace.yaml) above the CLI');
    dir = up;
  }
  return join(dir, 'apps');
}

/** Compiles the worker apps to `apps/<app>/dist/main.js` (scripts/build-workers.mjs; about a second). */
export function buildWorkers(apps: readonly string[]): void {
  execFileSync(process.execPath, [join(appsDir(), '..', 'scripts', 'build-workers.mjs'), ...apps], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Starts one worker app as a child process with the given environment, from its compiled bundle
 * (plain node: the tsx loader cost each worker seconds of CPU at start-up and ~100 MB of RSS).
 * Call `buildWorkers` first.
 */
export function spawnWorker(app: (typeof WORKER_APPS)[number] | (typeof OPTIONAL_APPS)[number], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  const main = join(appsDir(), app, 'dist', 'main.js');
  return spawn(process.execPath, [...workerNodeArgs(app), main], { env: { ...WORKER_ENV, ...env }, stdio: ['ignore', stdio, stdio], cwd: process.cwd() });
}

/**
 * `lake workers`: runs all five workers locally, one process each (as in production, where each
 * is its own deployment), until SIGINT/SIGTERM, which they receive for a graceful stop.
 */
export async function workersCommand(opts: { only?: string[] }): Promise<number> {
  const apps = [...WORKER_APPS, ...OPTIONAL_APPS].filter((a) => (opts.only ? opts.only.includes(a) : (WORKER_APPS as readonly string[]).includes(a)));
  buildWorkers(apps);
  const children = apps.map((app) => ({ app, child: spawnWorker(app, process.env) }));
  console.error(`started ${apps.join(', ')} (Ctrl-C stops them gracefully)`);
  const stop = (signal: NodeJS.Signals) => {
    for (const { child } of children) child.kill(signal);
  };
  process.once('SIGINT', () => stop('SIGTERM'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const codes = await Promise.all(children.map(({ app, child }) => new Promise<number>((resolve) => child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`${app} exited with ${code ?? signal}`);
    resolve(code ?? 0);
  }))));
  return codes.some((c) => c !== 0) ? 1 : 0;
}
