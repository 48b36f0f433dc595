/**
 * One entry point for every format: peeks at the first line, picks the parser, and replays the
 * peeked bytes into it. An unrecognised file yields one error and a summary instead of a throw.
 */
import { parseDartseq } from './dartseq-parser.js';
import { parseDosageMatrix } from './dosage-matrix-parser.js';
import { detectGenotypeFormat } from './format-detector.js';
import type { ByteChunks, GenotypeEvent, GenotypeFormat, GenotypeParseOptions } from './genotype-event.js';
import { parseHapmap } from './hapmap-parser.js';
import { parseKasp, parseSnpGrid } from './snp-call-table.js';
import { parseVcf } from './vcf-parser.js';

/** Options of `parseGenotypeFile`. */
export interface GenotypeFileOptions extends GenotypeParseOptions {
  /** Skips detection. */
  format?: GenotypeFormat;
  /** Used by detection as a tie-breaker (extension). @defaultValue '' */
  fileName?: string;
}

/** The parser of each format. */
export const GENOTYPE_PARSERS: Record<GenotypeFormat, (chunks: ByteChunks, options?: GenotypeParseOptions) => AsyncGenerator<GenotypeEvent>> = {
  vcf: parseVcf,
  hapmap: parseHapmap,
  dartseq: parseDartseq,
  'dosage-matrix': parseDosageMatrix,
  'snp-grid': parseSnpGrid,
  kasp: parseKasp,
};

/** Detects the format (unless given) and parses the file. */
export async function* parseGenotypeFile(chunks: ByteChunks, options: GenotypeFileOptions = {}): AsyncGenerator<GenotypeEvent> {
  const iterator = (Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : chunks[Symbol.iterator]()) as AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  const peeked: Uint8Array[] = [];
  let format = options.format ?? null;
  if (!format) {
    let head = '';
    const decoder = new TextDecoder();
    // Read until the first line is complete (or 1 MiB: a longer first line is no known format).
    while (!head.includes('\n') && head.length < 1 << 20) {
      const next = await iterator.next();
      if (next.done) break;
      peeked.push(next.value);
      head += decoder.decode(next.value, { stream: true });
    }
    format = detectGenotypeFormat(head.split('\n')[0]?.replace(/\r$/, '') ?? '', options.fileName);
    if (!format) {
      yield { kind: 'error', line: 1, rule: 'format-unknown', message: 'first line matches no genotype format (VCF, HapMap, DArTseq, dosage matrix, SNP grid, KASP)', raw: head.split('\n')[0]?.slice(0, 200) ?? '' };
      return;
    }
  }
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* peeked;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  yield* GENOTYPE_PARSERS[format](replay(), options);
}
