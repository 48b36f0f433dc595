export { type CallFields, genotypeOnly, type VariantRow } from './batch-builders.js';
export { CALL_COLUMNS, VARIANT_COLUMNS } from './call-columns.js';
export {
  type ByteChunks,
  DEFAULT_BATCH_ROWS,
  type GenotypeEvent,
  type GenotypeFormat,
  type GenotypeIssue,
  type GenotypeParseOptions,
  type GenotypeSummary,
  type SamplesEvent,
} from './genotype-event.js';
export { alleleDosage, type IndexGenotype, type NormalizedGenotype, normalizeGenotype, parseIndexGenotype } from './genotype-call.js';
export { readLines, type TextLine } from './line-reader.js';
export { parseVcf } from './vcf-parser.js';
export { parseHapmap } from './hapmap-parser.js';
export { parseDartseq } from './dartseq-parser.js';
export { parseDosageMatrix, sniffDelimiter } from './dosage-matrix-parser.js';
export { parseKasp, parseSnpGrid, type SnpTableOptions } from './snp-call-table.js';
export { detectGenotypeFormat } from './format-detector.js';
export { GENOTYPE_PARSERS, type GenotypeFileOptions, parseGenotypeFile } from './parse-genotype-file.js';
