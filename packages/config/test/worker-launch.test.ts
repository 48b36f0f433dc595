import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { WORKER_ENV, type WorkerAppName, workerNodeArgs } from '../src/worker-launch.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const APPS: WorkerAppName[] = ['scheduler', 'extract', 'transform', 'load', 'catalog', 'ingest-events'];

/** Compose, the image and Kubernetes repeat the launch settings in YAML; these tests keep them in step. */
describe('worker launch settings', () => {
  it('every worker gets a heap cap and a young-generation cap; extract keeps the larger nursery its parser needs', () => {
    for (const app of APPS) expect(workerNodeArgs(app)).toContain('--max-old-space-size=160');
    expect(workerNodeArgs('extract')).toContain('--max-semi-space-size=8');
    expect(workerNodeArgs('transform')).toContain('--max-semi-space-size=2');
  });

  it('docker-compose.yml starts each worker with workerNodeArgs(app) and WORKER_ENV', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { entrypoint?: string[]; command?: string[]; environment?: Record<string, string> }> };
    for (const app of APPS) {
      const service = compose.services[app];
      expect(service, app).toBeDefined();
      expect(service?.entrypoint, app).toEqual(['node', ...workerNodeArgs(app)]);
      expect(service?.command, app).toEqual([`apps/${app}/dist/main.js`]);
      for (const [k, v] of Object.entries(WORKER_ENV)) expect(service?.environment?.[k], `${app} ${k}`).toBe(v);
    }
  });

  it('the Kubernetes deployments start each worker with workerNodeArgs(app), and the ConfigMap sets WORKER_ENV', () => {
    const docs = parseAllDocuments(read('infra/k8s/workers.yaml')).map((d) => d.toJS()) as Array<{ kind: string; data?: Record<string, string>; spec?: { template: { spec: { containers: Array<{ command: string[]; args: string[] }> } } } }>;
    const config = docs.find((d) => d.kind === 'ConfigMap');
    for (const [k, v] of Object.entries(WORKER_ENV)) expect(config?.data?.[k], k).toBe(v);
    const deployments = docs.filter((d) => d.kind === 'Deployment').flatMap((d) => d.spec?.template.spec.containers ?? []);
    expect(deployments.length).toBeGreaterThanOrEqual(5);
    for (const c of deployments) {
      const app = /^apps\/([a-z-]+)\/dist\/main\.js$/.exec(c.args[0] ?? '')?.[1] as WorkerAppName;
      expect(APPS, c.args.join(' ')).toContain(app);
      expect(c.command, app).toEqual(['node', ...workerNodeArgs(app)]);
    }
  });

  it('the image sets WORKER_ENV', () => {
    const env = read('Dockerfile')
      .split('\n')
      .filter((l) => l.startsWith('ENV '))
      .flatMap((l) => l.slice(4).trim().split(/\s+/));
    for (const [k, v] of Object.entries(WORKER_ENV)) expect(env, k).toContain(`${k}=${v}`);
  });
});
