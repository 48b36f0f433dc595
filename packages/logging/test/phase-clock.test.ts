import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PhaseClock } from '../src/phase-clock.js';

describe('PhaseClock', () => {
  it('adds up each phase across calls, in first-timed order, and returns what the work returns', async () => {
    const clock = new PhaseClock();
    expect(await clock.time('b', async () => 'x')).toBe('x');
    await clock.time('a', () => sleep(30));
    await clock.time('a', () => sleep(30));
    clock.add('b', 1500);
    const s = clock.seconds();
    expect(Object.keys(s)).toEqual(['b', 'a']);
    expect(s.a).toBeGreaterThanOrEqual(0.055);
    expect(s.b).toBeGreaterThanOrEqual(1.5);
    expect(s.b).toBeLessThan(1.6);
    expect(clock.total('a')).toBeCloseTo((s.a as number) * 1000, -1);
    expect(clock.total('none')).toBe(0);
  });

  it('counts the time of work that throws, and rethrows', async () => {
    const clock = new PhaseClock();
    await expect(
      clock.time('fails', async () => {
        await sleep(20);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(clock.seconds().fails).toBeGreaterThanOrEqual(0.015);
  });
});
