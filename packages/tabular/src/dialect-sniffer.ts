/**
 * Dialect detection from the first ~64 KB of decoded text: delimiter and quote by how
 * consistently they split lines into the same number of fields, the line endings, the header
 * line below any preamble, and whether numbers are written with a decimal comma.
 */
import { RecordParser, type RawRecord } from './record-parser.js';

export type Delimiter = ',' | ';' | '\t' | '|';
export type QuoteChar = '"' | "'";
export type LineEnding = 'CRLF' | 'LF' | 'CR';

/**
 * What kind of lines precede the header:
 * `nasa-power` a `-BEGIN HEADER-`…`-END HEADER-` block; `padded-rows` rows whose first cell is
 * `*` (DArTseq); `prose` lines whose field count does not match the table.
 */
export type PreambleKind = 'none' | 'nasa-power' | 'padded-rows' | 'prose';

/** The text-level shape of a table. */
export interface TextDialect {
  delimiter: Delimiter;
  quote: QuoteChar;
  lineEnding: LineEnding;
  /** More than one kind of line ending was seen (NASA POWER: CRLF preamble, LF rows). */
  mixedLineEndings: boolean;
  /** 1-based physical line of the header, or `null` when the sample holds no record at all. */
  headerLine: number | null;
  /** Physical lines before the header (blank lines included). */
  preambleLines: number;
  preambleKind: PreambleKind;
  /** Fields per record in the table (the header's, without a trailing empty cell). */
  fieldCount: number;
  decimalSeparator: '.' | ',';
}

/** Delimiters tried, in order of preference on a tie. */
export const DELIMITERS: readonly Delimiter[] = [',', '\t', ';', '|'];

/** Bytes of the file the sniffers look at. */
export const SNIFF_BYTES = 64 * 1024;

export interface SniffDialectOptions {
  /** `text` is the whole file; otherwise its last, possibly cut, line is ignored. */
  complete?: boolean;
  /** Use this delimiter instead of detecting one. */
  delimiter?: Delimiter;
}

interface Candidate {
  delimiter: Delimiter;
  quote: QuoteChar;
  records: RawRecord[];
  fieldCount: number;
  /** Index in `records` of the header. */
  headerIndex: number;
  consistency: number;
}

/**
 * Detects the dialect of `text`, the decoded start of a file (BOM removed).
 * @example sniffDialect('a;b\n1,5;2\n', { complete: true }) // delimiter ';', decimalSeparator ',', headerLine 1
 */
export function sniffDialect(text: string, options: SniffDialectOptions = {}): TextDialect {
  const endings = countLineEndings(text);
  const lineEnding: LineEnding = endings.crlf >= endings.lf && endings.crlf >= endings.cr ? 'CRLF' : endings.lf >= endings.cr ? 'LF' : 'CR';
  const mixedLineEndings = [endings.crlf, endings.lf, endings.cr].filter((n) => n > 0).length > 1;
  const cut = lastNewline(text);
  const sample = options.complete || cut < 0 ? text : text.slice(0, cut + 1);
  const block = nasaPowerBlock(sample);
  const skipLines = block ?? 0;

  const delimiters = options.delimiter ? [options.delimiter] : DELIMITERS;
  let best: Candidate | undefined;
  for (const delimiter of delimiters) {
    const candidate = evaluate(sample, delimiter, '"', skipLines);
    if (!best || better(candidate, best)) best = candidate;
  }
  const chosen = best as Candidate;
  const single = evaluate(sample, chosen.delimiter, "'", skipLines);
  const final = prefersSingleQuote(sample, chosen.delimiter) && single.consistency >= chosen.consistency ? single : chosen;

  const header = final.records[final.headerIndex];
  const headerLine = header?.line ?? null;
  const preambleLines = headerLine === null ? 0 : headerLine - 1;
  let preambleKind: PreambleKind = 'none';
  if (block !== undefined) preambleKind = 'nasa-power';
  else if (final.records.slice(0, final.headerIndex).some((r) => r.fields[0] === '*')) preambleKind = 'padded-rows';
  else if (preambleLines > 0 && final.headerIndex > 0) preambleKind = 'prose';

  return {
    delimiter: final.delimiter,
    quote: final.quote,
    lineEnding,
    mixedLineEndings,
    headerLine,
    preambleLines,
    preambleKind,
    fieldCount: header ? withoutTrailingEmpty(header.fields).length : 0,
    decimalSeparator: detectDecimalComma(final.records.slice(final.headerIndex + 1), final.delimiter) ? ',' : '.',
  };
}

function evaluate(sample: string, delimiter: Delimiter, quote: QuoteChar, skipLines: number): Candidate {
  const parser = new RecordParser({ delimiter, quote, skipLines });
  const records = [...parser.push(sample), ...parser.end()];
  const counts = new Map<number, number>();
  for (const record of records) {
    const n = record.fields.length;
    if (n >= 2) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  let fieldCount = 1;
  let top = 0;
  for (const [n, seen] of counts) {
    if (seen > top || (seen === top && n > fieldCount)) [fieldCount, top] = [n, seen];
  }
  const fits = (r: RawRecord) => r.fields.length === fieldCount || (r.fields.length > fieldCount && isTrailingEmpty(r.fields, fieldCount));
  // The header is the first record about as wide as the table: narrower ones are prose, and
  // an exact match is not required because ragged rows can make the modal width too wide.
  const wideEnough = (r: RawRecord) => r.fields.length >= 2 && r.fields.length >= Math.ceil(0.75 * fieldCount);
  let headerIndex = records.findIndex((r) => wideEnough(r) && !isPadding(r));
  if (headerIndex < 0) headerIndex = records.length > 0 ? 0 : -1;
  const matching = records.filter(fits).length;
  const consistency = fieldCount < 2 || records.length === 0 ? 0 : matching / records.length;
  return { delimiter, quote, records, fieldCount, headerIndex, consistency };
}

/**
 * A table that starts at its first line beats one that needs lines skipped (a `;` file with
 * decimal commas splits its rows on `,` just as consistently, but not its header); then the more
 * consistent one, within a tenth; then the one with more fields (a Field Book file splits on
 * the `|` in its trait cells too, into two fields).
 */
function better(a: Candidate, b: Candidate): boolean {
  const keyA = [a.consistency > 0 ? 1 : 0, a.headerIndex === 0 ? 1 : 0, Math.round(a.consistency * 10), a.fieldCount];
  const keyB = [b.consistency > 0 ? 1 : 0, b.headerIndex === 0 ? 1 : 0, Math.round(b.consistency * 10), b.fieldCount];
  for (let i = 0; i < keyA.length; i++) {
    if ((keyA[i] as number) !== (keyB[i] as number)) return (keyA[i] as number) > (keyB[i] as number);
  }
  return false;
}

function isTrailingEmpty(fields: string[], from: number): boolean {
  for (let i = from; i < fields.length; i++) if ((fields[i] as string).trim() !== '') return false;
  return true;
}

/** DArTseq pads the rows above its header with `*`; rows of empty cells are padding too. */
function isPadding(record: RawRecord): boolean {
  return record.fields[0] === '*' || record.fields.every((f) => f.trim() === '');
}

/** The header without the empty cell a trailing delimiter leaves (Field Book). */
export function withoutTrailingEmpty(fields: string[]): string[] {
  let end = fields.length;
  while (end > 1 && (fields[end - 1] as string).trim() === '') end--;
  return end === fields.length ? fields : fields.slice(0, end);
}

/** Lines in NASA POWER's `-BEGIN HEADER-`…`-END HEADER-` block (with the markers), if any. */
function nasaPowerBlock(sample: string): number | undefined {
  const lines = sample.split(/\r\n|\n|\r/);
  if (lines[0]?.trim() !== '-BEGIN HEADER-') return undefined;
  const end = lines.findIndex((l) => l.trim() === '-END HEADER-');
  return end < 0 ? undefined : end + 1;
}

function prefersSingleQuote(sample: string, delimiter: string): boolean {
  const d = delimiter === '|' ? '\\|' : delimiter;
  const starts = (q: string) => (sample.match(new RegExp(`(?:^|[\\r\\n${d}])${q}`, 'g')) ?? []).length;
  return starts('"') === 0 && starts("'") >= 2;
}

const COMMA_DECIMAL = /^[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$/;
const COMMA_THOUSANDS_LIKE = /^[-+]?\d{1,3},\d{3}$/;
const DOT_DECIMAL = /^[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)\.\d+$/;

/** Decimal commas: more cells like `12,5` than `12.5` (`1,234` only counts outside `,` files). */
function detectDecimalComma(records: RawRecord[], delimiter: Delimiter): boolean {
  let comma = 0;
  let dot = 0;
  for (const record of records) {
    for (const raw of record.fields) {
      const field = raw.trim();
      if (COMMA_DECIMAL.test(field) && (delimiter !== ',' || !COMMA_THOUSANDS_LIKE.test(field))) comma++;
      else if (DOT_DECIMAL.test(field)) dot++;
    }
  }
  return comma > dot;
}

function countLineEndings(text: string): { crlf: number; lf: number; cr: number } {
  let crlf = 0;
  let lf = 0;
  let cr = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else if (i + 1 < text.length) cr++;
    } else if (c === 10) lf++;
  }
  return { crlf, lf, cr };
}

function lastNewline(text: string): number {
  return Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
}
