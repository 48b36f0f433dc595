/** Chunk boundaries never change the output: every chunk size from 1 to 7 bytes gives the same events. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type GenotypeEvent, parseGenotypeFile } from '../src/index.js';
import { chunked, GENOTYPE_DIR, stableJson } from './collect.js';

async function events(chunks: Iterable<Uint8Array>): Promise<string> {
  const out: GenotypeEvent[] = [];
  for await (const e of parseGenotypeFile(chunks)) out.push(e);
  return stableJson(out);
}

describe('chunk boundaries', () => {
  for (const file of ['variantset_1_VCF.vcf', 'testset_GT-AD-DP-GQ-DS-PL.vcf', 'variantset_1_Hapmap.tsv', 'Intertek_SNP_grid.csv', 'kasp_results.csv']) {
    it(`${file}: 1..7-byte chunks give identical output`, async () => {
      const bytes = new Uint8Array(readFileSync(`${GENOTYPE_DIR}${file}`));
      const whole = await events([bytes]);
      expect(whole).toContain('"kind":"summary"');
      for (let size = 1; size <= 7; size++) expect(await events(chunked(bytes, [size]))).toBe(whole);
      expect(await events(chunked(bytes, [1, 7, 2, 5, 3]))).toBe(whole);
    });
  }

  it('a multi-byte UTF-8 sample name split across chunks, CRLF endings and a BOM', async () => {
    const text = '\uFEFF##fileformat=VCFv4.2\r\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tGénotype_ü\r\n1\t5\t.\tA\tG\t.\t.\t.\tGT\t1|0\r\n';
    const bytes = new TextEncoder().encode(text);
    const whole = await events([bytes]);
    expect(whole).toContain('"samples":["Génotype_ü"]');
    expect(whole).toContain('"1|0"');
    expect(whole).toContain('"1:5:A:G"');
    for (let size = 1; size <= 7; size++) expect(await events(chunked(bytes, [size]))).toBe(whole);
  });
});
