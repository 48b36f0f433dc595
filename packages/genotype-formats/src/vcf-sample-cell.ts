/**
 * One VCF sample cell (`0/1:12,3:15:99:0.2:0,12,255`) read against its line's FORMAT keys.
 *
 * Sentinels: `.` is missing everywhere. TASSEL writes `-1` for missing DP/GQ and `-1,-1,-1`
 * for missing PL (cassava_test.vcf); those become null, because depth, phred quality and phred
 * likelihoods cannot be negative. GL is log10 and may legitimately be -1, so it is kept.
 */
import type { CallFields } from './batch-builders.js';
import { alleleDosage, maxAlleleIndex, normalizeGenotype, parseIndexGenotype } from './genotype-call.js';

/** Where each known key sits in a FORMAT string; -1 when absent. Cached per FORMAT text. */
export interface FormatLayout {
  keys: string[];
  gt: number;
  dp: number;
  gq: number;
  ds: number;
  ad: number;
  /** PL when present, else GL. */
  likelihood: number;
  likelihoodFormat: 'PL' | 'GL' | null;
  /** Indices of keys kept verbatim in `format_other`. */
  others: number[];
}

/** A cell that yields no call. */
export interface CellRejection {
  rule: string;
  column: string;
  message: string;
}

/** Receives the problems that keep the call but null one of its fields. */
export type CellWarn = (column: string, rule: string, message: string, raw: string) => void;

/** Lays out a FORMAT string (`GT:AD:DP`). */
export function formatLayout(format: string): FormatLayout {
  const keys = format.split(':');
  const at = (key: string) => keys.indexOf(key);
  const pl = at('PL');
  const gl = at('GL');
  const likelihood = pl !== -1 ? pl : gl;
  const known = new Set([at('GT'), at('DP'), at('GQ'), at('DS'), at('AD'), likelihood]);
  return {
    keys,
    gt: at('GT'),
    dp: at('DP'),
    gq: at('GQ'),
    ds: at('DS'),
    ad: at('AD'),
    likelihood,
    likelihoodFormat: pl !== -1 ? 'PL' : gl !== -1 ? 'GL' : null,
    others: keys.map((_, i) => i).filter((i) => !known.has(i)),
  };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * `undefined` = invalid. Hand-rolled because it runs for every DP, GQ and AD element of a wide
 * file (a regex plus Number() cost a third of the parse time in bench/wide-vcf.ts).
 */
function int32(raw: string, negativeIsMissing: boolean): number | null | undefined {
  const length = raw.length;
  if (length === 0 || raw === '.') return null;
  let i = 0;
  let negative = false;
  const first = raw.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    i = 1;
    if (length === 1) return undefined;
  }
  let n = 0;
  for (; i < length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 46) break; // "99.0": a float-typed field holding an integer
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  for (i++; i < length; i++) if (raw.charCodeAt(i) !== 48) return undefined;
  if (n > INT32_MAX) return undefined;
  if (negative && n !== 0) return negativeIsMissing ? null : undefined;
  return n;
}

function float(raw: string): number | null | undefined {
  if (raw === '.' || raw === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function list(raw: string, element: (part: string) => number | null | undefined): (number | null)[] | null | undefined {
  if (raw === '.' || raw === '') return null;
  const parts = raw.split(',');
  const out: (number | null)[] = [];
  for (const part of parts) {
    const v = element(part);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

const depthValue = (raw: string) => int32(raw, true);
const alleleDepthValue = (raw: string) => list(raw, allelePart);
const allelePart = (part: string) => int32(part, false);
const likelihoodValue = (raw: string) => list(raw, float);

/** A GT text read against an ALT count: the few distinct GT texts of a file repeat millions of times. */
type GenotypeReading = { genotype: string; phased: boolean; dosage: number | null } | CellRejection;
const readings = new Map<string, GenotypeReading>();

function readGenotype(gt: string, altCount: number): GenotypeReading {
  const key = `${altCount}\t${gt}`;
  let reading = readings.get(key);
  if (reading) return reading;
  const parsed = parseIndexGenotype(gt);
  if (typeof parsed === 'string') reading = { rule: 'genotype-invalid', column: 'GT', message: parsed };
  else {
    const max = maxAlleleIndex(parsed.alleles);
    if (max > altCount) {
      const alts = altCount === 0 ? 'the line has no alternate allele (ALT is ".")' : `the line has ${altCount} alternate allele(s)`;
      reading = { rule: 'allele-undefined', column: 'GT', message: `genotype "${gt}" references allele ${max} but ${alts}` };
    } else {
      const normalized = normalizeGenotype(parsed);
      reading = { genotype: normalized.text, phased: normalized.phased, dosage: alleleDosage(parsed.alleles, altCount) };
    }
  }
  // Bounded: a file of random GT garbage must not grow the cache without limit.
  if (readings.size < 10_000) readings.set(key, reading);
  return reading;
}

/** One FORMAT value through its parser; an unparseable value warns and becomes null. */
function fieldValue<T>(values: string[], keys: string[], index: number, parse: (raw: string) => T | undefined, what: string, warn: CellWarn): T | null {
  if (index === -1) return null;
  const raw = values[index];
  if (raw === undefined) return null;
  const v = parse(raw);
  if (v === undefined) {
    const key = keys[index] as string;
    warn(key, 'format-value-invalid', `${key} value "${raw}" is not ${what}; stored as null`, raw);
    return null;
  }
  return v;
}

/**
 * Reads one sample cell. Returns the call's fields, or a rejection when the genotype itself is
 * unusable (invalid text, or an allele index beyond the line's alleles). Bad auxiliary values
 * null their field and go to `warn`.
 */
export function readSampleCell(cell: string, layout: FormatLayout, altCount: number, warn: CellWarn): CallFields | CellRejection {
  const values = cell.split(':');
  const { keys } = layout;
  if (values.length > keys.length) {
    warn('FORMAT', 'cell-extra-values', `cell has ${values.length} values for ${keys.length} FORMAT keys; the extra ones are ignored`, cell);
  }
  let genotype: string | null = null;
  let phased = false;
  let dosageCount: number | null = null;
  if (layout.gt !== -1) {
    // Trailing FORMAT values may be dropped (VCF 4.x); a dropped GT is a missing GT.
    const reading = readGenotype(values[layout.gt] ?? '.', altCount);
    if ('rule' in reading) return reading;
    ({ genotype, phased, dosage: dosageCount } = reading);
  }
  let likelihoods = fieldValue(values, keys, layout.likelihood, likelihoodValue, 'a list of numbers', warn);
  if (layout.likelihoodFormat === 'PL' && likelihoods?.every((v) => v === -1)) likelihoods = null;
  let formatOther: string | null = null;
  if (layout.others.length > 0) {
    const other: Record<string, string> = {};
    let any = false;
    for (const i of layout.others) {
      const raw = values[i];
      if (raw === undefined) continue;
      other[keys[i] as string] = raw;
      any = true;
    }
    if (any) formatOther = JSON.stringify(other);
  }
  return {
    genotype,
    alleleDosage: dosageCount,
    phased,
    depth: fieldValue(values, keys, layout.dp, depthValue, 'a non-negative integer', warn),
    genotypeQuality: fieldValue(values, keys, layout.gq, depthValue, 'a non-negative integer', warn),
    dosage: fieldValue(values, keys, layout.ds, float, 'a number', warn),
    likelihoods,
    likelihoodFormat: likelihoods === null ? null : layout.likelihoodFormat,
    alleleDepths: fieldValue(values, keys, layout.ad, alleleDepthValue, 'a list of non-negative integers', warn),
    formatOther,
  };
}
