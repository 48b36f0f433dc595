import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runtime = fileURLToPath(new URL('../src/worker-runtime.ts', import.meta.url));

/** Runs `setProcessNice(n)` in a child process with a worker thread running; prints each thread's nice before and after, and a thread's started after. */
function niceInChild(raiseBy: number): { before: number[]; after: number[]; later: number; target: number } {
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { Worker } from 'node:worker_threads';
    import { setProcessNice } from ${JSON.stringify(runtime)};
    const nices = () => readdirSync('/proc/self/task').map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
    const idle = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => idle.once('online', r));
    const before = nices();
    const target = Math.min(19, Math.max(...before) + ${raiseBy});
    setProcessNice(target);
    const after = nices();
    const known = new Set(readdirSync('/proc/self/task'));
    const late = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => late.once('online', r));
    const fresh = readdirSync('/proc/self/task').filter((t) => !known.has(t));
    const later = Math.min(...fresh.map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16])));
    console.log(JSON.stringify({ before, after, later, target }));
    process.exit(0);
  `;
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('setProcessNice', () => {
  it.runIf(process.platform === 'linux')('lowers the priority of every thread, those running and those started later', () => {
    const { before, after, later, target } = niceInChild(3);
    // V8's and libuv's threads and a worker thread, not the main thread alone.
    expect(before.length).toBeGreaterThan(3);
    expect(before.some((n) => n !== target)).toBe(true);
    expect(after).toEqual(before.map(() => target));
    expect(later).toBe(target);
  });
});
