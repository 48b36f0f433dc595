import { describe, expect, it } from 'vitest';
import { FlagBits } from '../src/delta-extract.js';
import { resplit, seededRandom } from './pg-copy-db.js';

/** PostgreSQL's CSV of a delta scan's flags: `key,unchanged,org` (org empty for NULL). */
const csv = (rows: Array<[number, 0 | 1, number | null]>) => Buffer.from(rows.map(([k, u, o]) => `${k},${u},${o ?? ''}\n`).join(''));

describe('FlagBits', () => {
  it('keeps a bit per unchanged key and the changed keys per organization, however the stream is cut', () => {
    const random = seededRandom(3);
    const rows: Array<[number, 0 | 1, number | null]> = [];
    for (let k = 0; k < 5000; k++) if (random() < 0.8) rows.push([k * 7, random() < 0.9 ? 1 : 0, k % 3 === 0 ? null : 1 + (k % 4)]);
    for (const seed of [1, 2, 3]) {
      const bits = new FlagBits(1_000_000);
      // Two scopes stream at once, each through its own reader.
      const half = Math.floor(rows.length / 2);
      const [a, b] = [bits.reader(), bits.reader()];
      const partsA = resplit(csv(rows.slice(0, half)), 13, seed);
      const partsB = resplit(csv(rows.slice(half)), 7, seed + 10);
      for (let i = 0; i < Math.max(partsA.length, partsB.length); i++) {
        if (partsA[i]) a.read(partsA[i] as Buffer);
        if (partsB[i]) b.read(partsB[i] as Buffer);
      }
      a.end();
      b.end();
      expect(bits.dense).toBe(true);
      const byKey = new Map(rows.map((r) => [r[0], r]));
      for (let k = -1; k <= 5000 * 7 + 8; k++) expect(bits.unchanged(k), String(k)).toBe(byKey.get(k)?.[1] === 1);
      const changed = rows.filter((r) => r[1] === 0);
      expect(bits.changedRows).toBe(changed.length);
      const chunks = bits.chunks(10);
      for (const org of [null, 1, 2, 3, 4]) {
        const keys = changed.filter((r) => r[2] === org).map((r) => r[0]).sort((x, y) => x - y);
        const got = chunks.get(org) ?? [];
        expect(got.map((c) => c.keys).join(','), String(org)).toBe(keys.join(','));
        expect(got.every((c) => c.count <= 10 && c.keys.split(',').length === c.count)).toBe(true);
      }
    }
  });

  it('leaves the comparison to DuckDB for a key past the largest kept, a negative or non-integer key, or a cut line', () => {
    const dense = (text: string, maxKey = 100) => {
      const bits = new FlagBits(maxKey);
      const r = bits.reader();
      r.read(Buffer.from(text));
      r.end();
      return bits.dense;
    };
    expect(dense('1,1,2\n100,0,\n')).toBe(true);
    expect(dense('1,1,2\n101,1,2\n')).toBe(false);
    expect(dense('-5,1,2\n')).toBe(false);
    expect(dense('"a",1,2\n')).toBe(false);
    expect(dense('1.5,1,2\n')).toBe(false);
    expect(dense('1,1,2\n3,1')).toBe(false);
    expect(dense('')).toBe(true);
    // Nothing flagged: no key is unchanged.
    expect(new FlagBits(100).unchanged(0)).toBe(false);
  });
});
