/**
 * 500 random mutations of the small VCF (byte flips, insertions, deletions, truncations): the
 * parser never throws, and every cell it counted is a call or a located cell error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVcf } from '../src/index.js';
import { collect, GENOTYPE_DIR } from './collect.js';

/** mulberry32: a seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0x09, 0x0a, 0x0d, 0x23, 0x2e, 0x2f, 0x7c, 0x3a, 0x2c, 0x3b, 0x3d, 0x31, 0x39, 0x00, 0xff, 0xc3];

function mutate(source: Uint8Array, random: () => number): Uint8Array {
  let bytes: Uint8Array = source.slice();
  const edits = 1 + Math.floor(random() * 8);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * bytes.byteLength);
    const kind = Math.floor(random() * 5);
    if (kind === 0) bytes[at] = Math.floor(random() * 256);
    else if (kind === 1) bytes[at] = INTERESTING[Math.floor(random() * INTERESTING.length)] as number;
    else if (kind === 2) bytes = Uint8Array.from([...bytes.subarray(0, at), INTERESTING[Math.floor(random() * INTERESTING.length)] as number, ...bytes.subarray(at)]);
    else if (kind === 3) bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + Math.floor(random() * 40))]);
    else bytes = bytes.slice(0, at);
  }
  return bytes;
}

describe('mutation robustness', () => {
  it('500 mutants of variantset_1_VCF.vcf: no throw, cells = calls + cell errors', async () => {
    const source = new Uint8Array(readFileSync(`${GENOTYPE_DIR}variantset_1_VCF.vcf`));
    const random = prng(20240611);
    let withErrors = 0;
    for (let i = 0; i < 500; i++) {
      const mutant = mutate(source, random);
      const got = await collect(parseVcf([mutant]));
      const cellErrors = got.errors.filter((e) => e.sample !== undefined).length;
      const s = got.summary;
      expect(s.cells, `mutant ${i}`).toBe(got.calls + cellErrors);
      expect(s.cells, `mutant ${i}`).toBe(s.variantLines * s.samples);
      expect(s.calls).toBe(got.calls);
      for (const issue of [...got.errors, ...got.warnings]) {
        expect(issue.line).toBeGreaterThan(0);
        expect(typeof issue.raw).toBe('string');
      }
      if (got.errors.length > 0) withErrors++;
    }
    // The mutations do reach the error paths, not just comments.
    expect(withErrors).toBeGreaterThan(100);
  });
});
