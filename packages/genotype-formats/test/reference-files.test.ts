/**
 * Every file in shared/reference/datasets/genotype, parsed through format detection, with its
 * counts asserted. The counting rule holds for each: cells = calls + cell errors.
 */
import type { LakeValue } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { type GenotypeFormat, parseGenotypeFile } from '../src/index.js';
import { byRule, collect, referenceFile } from './collect.js';

interface Expected {
  format: GenotypeFormat;
  variants: number;
  samples: number;
  calls: number;
  cellErrors: number;
  errorRules: Record<string, number>;
  warningRules: Record<string, number>;
}

const EXPECTED: Record<string, Expected> = {
  'variantset_1_VCF.vcf': {
    format: 'vcf', variants: 20, samples: 13, calls: 202, cellErrors: 58,
    errorRules: { 'allele-undefined': 58 },
    warningRules: { 'header-missing-hash': 1, 'row-trailing-empty': 1, 'allele-nonstandard': 4 },
  },
  'sample_variantset_vcf.vcf': {
    format: 'vcf', variants: 20, samples: 480, calls: 9131, cellErrors: 469,
    errorRules: { 'sample-missing': 60, 'allele-undefined': 409 },
    warningRules: { 'header-missing-hash': 1, 'allele-nonstandard': 4 },
  },
  'testset_GT-AD-DP-GQ-DS-PL.vcf': { format: 'vcf', variants: 18, samples: 21, calls: 378, cellErrors: 0, errorRules: {}, warningRules: {} },
  'cassava_test.vcf': { format: 'vcf', variants: 14, samples: 9990, calls: 139_860, cellErrors: 0, errorRules: {}, warningRules: {} },
  'variantset_1_Hapmap.tsv': { format: 'hapmap', variants: 20, samples: 13, calls: 260, cellErrors: 0, errorRules: {}, warningRules: {} },
  'Variant_4_Hapmap.tsv': {
    format: 'hapmap', variants: 3422, samples: 324, calls: 1_108_728, cellErrors: 0, errorRules: {},
    warningRules: { 'position-zero': 1, 'position-zero-total': 1, 'chrom-missing': 1, 'chrom-missing-total': 1 },
  },
  // A HapMap header over rows that lack the 11 marker columns (a bare call matrix): every row is
  // rejected with its reason, every cell located.
  'sample_variantset_tsv.txt': {
    format: 'hapmap', variants: 0, samples: 13, calls: 0, cellErrors: 260,
    errorRules: { 'alleles-invalid': 11, 'pos-invalid': 9, 'variant-rejected': 260 }, warningRules: {},
  },
  'VariantSet_4_DartSeq.csv': { format: 'dartseq', variants: 3422, samples: 324, calls: 1_108_728, cellErrors: 0, errorRules: {}, warningRules: {} },
  'dosage_transposed.csv': { format: 'dosage-matrix', variants: 3839, samples: 9, calls: 34_551, cellErrors: 0, errorRules: {}, warningRules: {} },
  'Intertek_SNP_grid.csv': { format: 'snp-grid', variants: 5, samples: 17, calls: 85, cellErrors: 0, errorRules: {}, warningRules: {} },
  'kasp_results.csv': { format: 'kasp', variants: 5, samples: 5, calls: 25, cellErrors: 0, errorRules: {}, warningRules: {} },
};

describe('reference genotype files', () => {
  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: ${expected.variants} variants × ${expected.samples} samples → ${expected.calls} calls + ${expected.cellErrors} located errors`, async () => {
      const got = await collect(parseGenotypeFile(referenceFile(file), { fileName: file }));
      const s = got.summary;
      expect(s.format).toBe(expected.format);
      expect(got.variants).toBe(expected.variants);
      expect(got.samples).toHaveLength(expected.samples);
      expect(got.calls).toBe(expected.calls);
      expect(s.cellErrors).toBe(expected.cellErrors);
      expect(byRule(got.errors)).toEqual(expected.errorRules);
      expect(byRule(got.warnings)).toEqual(expected.warningRules);
      // The counting rule, from the events themselves.
      const cellErrors = got.errors.filter((e) => e.sample !== undefined).length;
      expect(s.cells).toBe(got.calls + cellErrors);
      expect(got.maxBatchRows).toBeLessThanOrEqual(65_536);
      for (const e of [...got.errors, ...got.warnings]) expect(e.line).toBeGreaterThan(0);
    });
  }

  it('VariantSet_4_samples.csv is a sample sheet, not a call file: one clear error', async () => {
    const events = [];
    for await (const e of parseGenotypeFile(referenceFile('VariantSet_4_samples.csv'))) events.push(e);
    expect(events).toEqual([expect.objectContaining({ kind: 'error', line: 1, rule: 'format-unknown' })]);
  });
});

describe('variantset_1_VCF.vcf quirks', () => {
  it('accepts the header lacking "#" with a warning, flags the ragged first row, locates the "." alternates', async () => {
    const got = await collect(parseGenotypeFile(referenceFile('variantset_1_VCF.vcf')), true);
    expect(got.warnings.find((w) => w.rule === 'header-missing-hash')).toMatchObject({ line: 8, column: 'CHROM' });
    expect(got.warnings.find((w) => w.rule === 'row-trailing-empty')).toMatchObject({ line: 9, raw: '\t\t' });
    // SOURCES.md says 68 of 260 calls point at an alternate allele written ".". Counting the file:
    // 7 lines have ALT "." (M3 M4 M10 M16 M17 M18 M19) and 58 of their 91 calls reference allele
    // 1 (9+10+1+9+4+12+13); the other 33 are 0/0 or ./. and are valid calls.
    const undefinedAllele = got.errors.filter((e) => e.rule === 'allele-undefined');
    const perLine: Record<number, number> = {};
    for (const e of undefinedAllele) perLine[e.line] = (perLine[e.line] ?? 0) + 1;
    expect(perLine).toEqual({ 11: 9, 12: 10, 18: 1, 24: 9, 25: 4, 26: 12, 27: 13 });
    expect(undefinedAllele[0]).toMatchObject({ kind: 'error', line: 11, sample: 'F1-2', column: 'GT', raw: '1/0:99:1.0' });
    const dotAltCalls = got.callRows.filter((r) => (r.alt as string[]).length === 0);
    expect(dotAltCalls).toHaveLength(33);
    expect(new Set(dotAltCalls.map((r) => r.genotype))).toEqual(new Set(['0/0', './.']));
    // Normalization: 1/0 → 0/1, dosage counted; RD kept verbatim; GL as likelihoods.
    expect(got.callRows.find((r) => r.variant_id === 'M1' && r.sample === 'F1-1')).toMatchObject({
      genotype: '0/1', allele_dosage: 1, phased: false, likelihoods: [1], likelihood_format: 'GL', format_other: '{"RD":"85"}', source_line: 9n, pos: 3417n,
    });
    // Multi-allelic M6 (ALT C,G): no single alt dosage.
    expect(got.callRows.find((r) => r.variant_id === 'M6' && r.sample === 'P2')).toMatchObject({ genotype: '0/1', allele_dosage: null, alt: ['C', 'G'] });
    expect(got.variantRows[0]).toMatchObject({ variant_id: 'M1', qual: 20, filter: 'PASS', info: '{"NS":251,"DP":370,"AF":[0.05]}' });
  });
});

describe('testset_GT-AD-DP-GQ-DS-PL.vcf', () => {
  it('reads every FORMAT field', async () => {
    const got = await collect(parseGenotypeFile(referenceFile('testset_GT-AD-DP-GQ-DS-PL.vcf')), true);
    const first = got.callRows.find((r) => r.variant_id === 'S1_21597' && r.sample === 'SRLI1_90:CARK7ANXX:7:529022');
    expect(first).toMatchObject({ genotype: '0/0', allele_dosage: 0, allele_depths: [9, 0], depth: 9, genotype_quality: 99, dosage: 0, likelihoods: [0, 27, 255], likelihood_format: 'PL', format_other: null });
    const missing = got.callRows.find((r) => r.variant_id === 'S1_21594' && r.sample === 'SRLI1_90:CARK7ANXX:7:529022');
    expect(missing).toMatchObject({ genotype: './.', allele_dosage: null, depth: 0, genotype_quality: null, dosage: 0.897, likelihoods: null, likelihood_format: null });
  });
});

describe('HapMap and DArTseq', () => {
  it('normalizes base calls against the alleles column', async () => {
    const got = await collect(parseGenotypeFile(referenceFile('variantset_1_Hapmap.tsv')), true);
    const call = (id: string, sample: string) => got.callRows.find((r) => r.variant_id === id && r.sample === sample);
    expect(call('M1', 'P2')).toMatchObject({ ref: 'A', alt: ['G'], genotype: '1/1', allele_dosage: 2 });
    expect(call('M1', 'F1-1')).toMatchObject({ genotype: '0/1', allele_dosage: 1 });
    expect(call('M1', 'F1-7')).toMatchObject({ genotype: './.', allele_dosage: null });
    expect(call('M3', 'P2')).toMatchObject({ ref: 'G', alt: [], genotype: '0/0', allele_dosage: 0 });
  });

  it('DArTseq 1-row codes agree with the HapMap export of the same variant set on every call', async () => {
    // Genotypes as sorted base pairs, straight from the batches (1.1M calls per file).
    async function baseCalls(file: string, visit: (key: string, bases: string) => void): Promise<void> {
      for await (const e of parseGenotypeFile(referenceFile(file))) {
        if (e.kind !== 'calls') continue;
        const column = (name: string) => e.batch.columns[name] as LakeValue[];
        const [ids, samples, refs, alts, genotypes] = ['variant_id', 'sample', 'ref', 'alt', 'genotype'].map(column) as LakeValue[][];
        for (let i = 0; i < e.batch.rowCount; i++) {
          const alleles = [refs![i] as string, ...(alts![i] as string[])];
          const bases = (genotypes![i] as string).split('/').map((a) => (a === '.' ? 'N' : alleles[Number(a)])).sort().join('');
          visit(`${ids![i]}\t${samples![i]}`, bases);
        }
      }
    }
    const hapmap = new Map<string, string>();
    await baseCalls('Variant_4_Hapmap.tsv', (key, bases) => hapmap.set(key, bases));
    let compared = 0;
    const mismatches: string[] = [];
    await baseCalls('VariantSet_4_DartSeq.csv', (key, bases) => {
      compared++;
      if (hapmap.get(key) !== bases) mismatches.push(`${key}: ${bases} vs ${hapmap.get(key)}`);
    });
    expect(compared).toBe(1_108_728);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe('grid formats', () => {
  it('Intertek grid: T:G calls, Uncallable and ? as missing with the token kept', async () => {
    const got = await collect(parseGenotypeFile(referenceFile('Intertek_SNP_grid.csv')), true);
    const call = (id: string, sample: string) => got.callRows.find((r) => r.variant_id === id && r.sample === sample);
    expect(call('S12_7926132', 'NR7734.A07064')).toMatchObject({ ref: 'T', alt: ['G'], genotype: '0/1', source_line: 7n });
    expect(call('S12_7926132', 'KW_2000_095.A07681')).toMatchObject({ genotype: './.', format_other: '{"call":"Uncallable"}' });
    expect(call('S1_2142358', 'NR7734.A07064')).toMatchObject({ genotype: './.', format_other: '{"call":"?"}' });
  });

  it('KASP: long form with X/Y kept', async () => {
    const got = await collect(parseGenotypeFile(referenceFile('kasp_results.csv')), true);
    expect(got.callRows.find((r) => r.variant_id === 'S01_0001' && r.sample === 'new_accession_3')).toMatchObject({
      ref: 'T', alt: ['G'], genotype: '0/1', allele_dosage: 1, format_other: '{"Xvalue":"1.57","Yvalue":"1.38"}', source_line: 4n,
    });
  });

  it('dosage matrix: one dosage call per sample × marker', async () => {
    const got = await collect(parseGenotypeFile(referenceFile('dosage_transposed.csv')), true);
    expect(got.callRows.find((r) => r.variant_id === 'S10_14045' && r.sample === '1002.250060174')).toMatchObject({ dosage: 0, genotype: null, source_line: 2n });
    expect(got.callRows.find((r) => r.variant_id === 'S10_22704' && r.sample === '1002.250060174')).toMatchObject({ dosage: 0.02 });
  });
});
