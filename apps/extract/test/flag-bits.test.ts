import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeSession } from '@lake/parquet';
import { describe, expect, it } from 'vitest';
import { FlagBits, supersededByBits } from '../src/delta-extract.js';
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

describe('supersededByBits', () => {
  it('supersedes the base keys not flagged unchanged, those past the bits included, sorted, or gives up past the limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lake-flag-bits-'));
    const session = await NativeSession.open();
    try {
      const base = join(dir, 'keys.parquet');
      // Key 2^40 lies past the bits (a row deleted since, say): superseded whatever the flags say.
      await session.run(
        `COPY (SELECT * FROM (VALUES (7::BIGINT, false), (3, true), (1, false), (1099511627776, true), (5, false)) v(key, q)) TO '${base}' (FORMAT parquet)`,
      );
      const bits = new FlagBits(100);
      const r = bits.reader();
      r.read(Buffer.from('5,1,1\n1,1,1\n9,0,1\n'));
      r.end();
      const out = join(dir, 'superseded.parquet');
      const index = `SELECT key, q FROM read_parquet('${base}')`;
      expect(await supersededByBits(session, index, bits, out, 3)).toBe(true);
      expect(await session.rows(`SELECT key, q FROM read_parquet('${out}')`)).toEqual([
        { key: 3n, q: true },
        { key: 7n, q: false },
        { key: 1099511627776n, q: true },
      ]);
      expect(await supersededByBits(session, index, bits, join(dir, 'over.parquet'), 2)).toBe(false);
    } finally {
      session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
