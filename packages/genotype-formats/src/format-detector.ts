/**
 * Which genotype format a file is, from its first line (plus its name as a tie-breaker). The
 * rules follow the real files in `datasets/genotype`; anything else is `null`, for the caller to
 * report rather than guess.
 */
import type { GenotypeFormat } from './genotype-event.js';

/**
 * Detects the format from the first line of the file. `fileName` only breaks ties the first
 * line cannot (a headerless `CHROM` VCF line vs a TSV).
 */
export function detectGenotypeFormat(firstLine: string, fileName = ''): GenotypeFormat | null {
  const line = firstLine.replace(/^\uFEFF/, '');
  if (line.startsWith('##fileformat=VCF') || line.startsWith('#CHROM') || /^CHROM\tPOS\tID\tREF\tALT/.test(line)) return 'vcf';
  if (/^rs#?\t/i.test(line)) return 'hapmap';
  if (/^\*,/.test(line) || /^AlleleID,CloneID/.test(line)) return 'dartseq';
  if (/^MarkerName,SampleName,SNPcall/i.test(line)) return 'kasp';
  if (/^(SampleName|DNA\s*\\?\s*Assay|Sample)[^,]*,/i.test(line)) return 'snp-grid';
  if (/^[\t,;]/.test(line)) return 'dosage-matrix';
  if (/\.vcf(\.gz)?$/i.test(fileName) && line.startsWith('##')) return 'vcf';
  return null;
}
