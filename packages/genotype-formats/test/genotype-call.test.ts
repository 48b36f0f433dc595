import { describe, expect, it } from 'vitest';
import { alleleDosage, detectGenotypeFormat, normalizeGenotype, parseIndexGenotype } from '../src/index.js';
import { readAlleleList, readBaseCall } from '../src/nucleotide-call.js';

const norm = (text: string) => {
  const g = parseIndexGenotype(text);
  return typeof g === 'string' ? g : normalizeGenotype(g);
};

describe('index genotypes', () => {
  it('normalizes unphased, keeps phased and mixed', () => {
    expect(norm('1/0')).toEqual({ text: '0/1', phased: false });
    expect(norm('./1')).toEqual({ text: '1/.', phased: false });
    expect(norm('1|0')).toEqual({ text: '1|0', phased: true });
    expect(norm('0/1|2')).toEqual({ text: '0/1|2', phased: false });
    expect(norm('.')).toEqual({ text: '.', phased: false });
    expect(norm('|1')).toEqual({ text: '1', phased: false });
    expect(norm('2/1/0')).toEqual({ text: '0/1/2', phased: false });
  });

  it('rejects bad text with a message naming it', () => {
    expect(norm('0/x')).toMatch(/"0\/x".*"x"/);
    expect(norm('')).toMatch(/empty/);
    expect(norm('0//1')).toMatch(/invalid allele ""/);
  });

  it('allele dosage only for called diploids at sites with at most one ALT', () => {
    expect(alleleDosage([0, 1], 1)).toBe(1);
    expect(alleleDosage([1, 1], 1)).toBe(2);
    expect(alleleDosage([0, 0], 0)).toBe(0);
    expect(alleleDosage([0, 2], 2)).toBeNull();
    expect(alleleDosage([0, null], 1)).toBeNull();
    expect(alleleDosage([1], 1)).toBeNull();
  });
});

describe('base calls', () => {
  it('reads pairs, IUPAC codes and separators against the declared alleles', () => {
    const alleles = ['A', 'G'];
    expect(readBaseCall('AG', alleles)).toEqual({ alleles: [0, 1], separators: ['/'] });
    expect(readBaseCall('R', alleles)).toEqual({ alleles: [0, 1], separators: ['/'] });
    expect(readBaseCall('G', alleles)).toEqual({ alleles: [1, 1], separators: ['/'] });
    expect(readBaseCall('T:T', ['T', 'G'])).toEqual({ alleles: [0, 0], separators: ['/'] });
    expect(readBaseCall('NN', alleles)).toEqual({ alleles: [null, null], separators: ['/'] });
    expect(readBaseCall('AC', alleles)).toMatch(/allele "C".*A\/G/);
    expect(readBaseCall('Y', alleles)).toMatch(/allele "C"/);
  });

  it('reads allele declarations', () => {
    expect(readAlleleList('A/G')).toEqual({ ref: 'A', alt: ['G'] });
    expect(readAlleleList('G/G')).toEqual({ ref: 'G', alt: [] });
    expect(readAlleleList('NN')).toMatch(/not a/);
  });
});

describe('format detection', () => {
  it('recognizes each reference layout', () => {
    expect(detectGenotypeFormat('##fileformat=VCFv4.0')).toBe('vcf');
    expect(detectGenotypeFormat('CHROM\tPOS\tID\tREF\tALT\tQUAL')).toBe('vcf');
    expect(detectGenotypeFormat('rs#\talleles\tchrom')).toBe('hapmap');
    expect(detectGenotypeFormat('*,*,*,E2')).toBe('dartseq');
    expect(detectGenotypeFormat('MarkerName,SampleName,SNPcall,Xvalue,Yvalue')).toBe('kasp');
    expect(detectGenotypeFormat('SampleName.LabID,S12_7926132')).toBe('snp-grid');
    expect(detectGenotypeFormat('\tS10_14045\tS10_22704')).toBe('dosage-matrix');
    expect(detectGenotypeFormat('plate,well,block')).toBeNull();
  });
});
