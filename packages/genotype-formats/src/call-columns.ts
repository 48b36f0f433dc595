/**
 * The long-form schemas every genotype parser emits: one row per (variant × sample) call, and
 * one row per variant. All formats share them, so a HapMap call and a VCF call land in the same
 * Parquet dataset.
 */
import type { ColumnSpec } from '@lake/contracts';

/**
 * One row per call. `ref`/`alt`/`chrom`/`pos` repeat the variant's values so a call row stands on
 * its own (Parquet dictionary encoding makes the repetition nearly free).
 *
 * Nullable because some formats do not carry them: `chrom`/`pos` (DArTseq without a genome map,
 * SNP grids), `ref`/`alt` (dosage matrices), `genotype` (a VCF whose FORMAT has no GT, a dosage
 * matrix). `likelihood_format` says whether `likelihoods` holds PL (phred) or GL (log10) values;
 * `format_other` keeps every other per-call field verbatim as a JSON object of strings.
 */
export const CALL_COLUMNS: ColumnSpec[] = [
  { name: 'variant_id', type: 'string', nullable: false },
  { name: 'chrom', type: 'string', nullable: true },
  { name: 'pos', type: 'int64', nullable: true },
  { name: 'ref', type: 'string', nullable: true },
  { name: 'alt', type: 'list<string>', nullable: true },
  { name: 'sample', type: 'string', nullable: false },
  { name: 'genotype', type: 'string', nullable: true },
  { name: 'allele_dosage', type: 'int16', nullable: true },
  { name: 'phased', type: 'boolean', nullable: false },
  { name: 'depth', type: 'int32', nullable: true },
  { name: 'genotype_quality', type: 'int32', nullable: true },
  { name: 'dosage', type: 'float64', nullable: true },
  { name: 'likelihoods', type: 'list<float64>', nullable: true },
  { name: 'likelihood_format', type: 'string', nullable: true },
  { name: 'allele_depths', type: 'list<int32>', nullable: true },
  { name: 'format_other', type: 'json', nullable: true },
  { name: 'source_line', type: 'int64', nullable: false },
];

/** One row per variant (marker). `info` is a JSON object: VCF INFO, or a format's marker metadata. */
export const VARIANT_COLUMNS: ColumnSpec[] = [
  { name: 'variant_id', type: 'string', nullable: false },
  { name: 'chrom', type: 'string', nullable: true },
  { name: 'pos', type: 'int64', nullable: true },
  { name: 'ref', type: 'string', nullable: true },
  { name: 'alt', type: 'list<string>', nullable: true },
  { name: 'qual', type: 'float64', nullable: true },
  { name: 'filter', type: 'string', nullable: true },
  { name: 'info', type: 'json', nullable: true },
  { name: 'source_line', type: 'int64', nullable: false },
];
