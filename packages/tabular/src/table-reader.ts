/**
 * The streaming entry point: bytes in, a header and a stream of rows and located errors out.
 * It reads ~64 KB to sniff encoding and dialect, then decodes and tokenizes chunk by chunk;
 * memory holds the sample and one record, never the file.
 */
import { type Delimiter, type QuoteChar, SNIFF_BYTES, sniffDialect, type TextDialect, withoutTrailingEmpty } from './dialect-sniffer.js';
import { looksBinary, sniffEncoding, type TextEncodingName } from './encoding-sniffer.js';
import { type RawRecord, RecordParser } from './record-parser.js';
import { type TabularError, quoteValue, tabularError } from './tabular-error.js';

/** Where bytes come from: a Node stream, a web stream's reader loop, an array of chunks. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Everything detected about a file, as used to read it. */
export interface Dialect extends TextDialect {
  encoding: TextEncodingName;
  bom: boolean;
}

export interface ReadTableOptions {
  /** Decode as this instead of detecting. */
  encoding?: TextEncodingName;
  /** Split on this instead of detecting. */
  delimiter?: Delimiter;
  /** Quote character instead of the detected one; `null` for none. */
  quote?: QuoteChar | null;
  /** 1-based physical line of the header instead of the detected one. */
  headerLine?: number;
  /**
   * What to do with a row that has fewer fields than the header: report it (`error`) or fill
   * the missing trailing fields with empty text (`pad`). Extra fields that are all empty (a
   * trailing delimiter) are always dropped; extra fields with text are always an error.
   * @defaultValue `'error'`
   */
  raggedRows?: 'error' | 'pad';
  /** Longest record kept, in characters (see `RecordParser`). @defaultValue 16 Mi */
  maxRecordChars?: number;
}

export interface TableHeader {
  /** 1-based physical line of the header. */
  line: number;
  /** Header cells, trimmed, without the empty cell(s) of a trailing delimiter. */
  cells: string[];
  /** The header line had a trailing delimiter (Field Book). */
  trailingDelimiter: boolean;
  raw: string;
}

/** A data row whose fields line up with the header cells. */
export interface TableRow {
  kind: 'row';
  /** 1-based physical line the record starts on. */
  line: number;
  fields: string[];
}

/** What `records` yields: each record of the file is exactly one of these. */
export type TableRecord = TableRow | TabularError;

export interface OpenedTable {
  dialect: Dialect;
  /** `null` when the file has no header (empty, blank or binary: see `headerErrors`). */
  header: TableHeader | null;
  /** File- and header-level problems: empty file, binary file, empty or duplicate header names. */
  headerErrors: TabularError[];
  /** Data rows and record errors in file order; iterate once. */
  records: AsyncIterable<TableRecord>;
}

/** The sample grows past {@link SNIFF_BYTES} until it holds a few lines, up to this many bytes. */
const MAX_SNIFF_BYTES = 4 * 1024 * 1024;
const SNIFF_MIN_LINES = 3;

/**
 * Opens a delimited text file for streaming: sniffs, reads the header, and returns the rest as
 * an async iterable of rows and located errors. Never throws on the file's content.
 * @example
 * const table = await openTable(createReadStream('plots.csv'));
 * for await (const record of table.records) {
 *   if (record.kind === 'row') load(record.fields); else quarantine(record); // { line, rule, message, raw }
 * }
 */
export async function openTable(source: ByteSource, options: ReadTableOptions = {}): Promise<OpenedTable> {
  const iterator = toAsyncIterator(source);
  const head: Uint8Array[] = [];
  let size = 0;
  let lineBreaks = 0;
  let exhausted = false;
  while (size < SNIFF_BYTES || (lineBreaks < SNIFF_MIN_LINES && size < MAX_SNIFF_BYTES)) {
    const next = await iterator.next();
    if (next.done) {
      exhausted = true;
      break;
    }
    if (next.value.length === 0) continue;
    head.push(next.value);
    size += next.value.length;
    for (const byte of next.value) if (byte === 10 || byte === 13) lineBreaks++;
  }
  const sample = concat(head, size);
  const guess = sniffEncoding(sample, exhausted);
  const encoding = options.encoding ?? guess.encoding;
  const bom = options.encoding === undefined || options.encoding === guess.encoding ? guess.bom : false;
  const text = new TextDecoder(encoding).decode(sample, { stream: !exhausted });
  const textDialect = sniffDialect(text, { complete: exhausted, ...(options.delimiter ? { delimiter: options.delimiter } : {}) });
  const dialect: Dialect = { ...textDialect, encoding, bom };
  if (options.quote !== undefined && options.quote !== null) dialect.quote = options.quote;
  if (options.headerLine !== undefined) {
    if (!Number.isInteger(options.headerLine) || options.headerLine < 1) throw new TypeError(`headerLine must be a 1-based line number, got ${options.headerLine}`);
    dialect.headerLine = options.headerLine;
    dialect.preambleLines = options.headerLine - 1;
  }

  const noRecords = (errors: TabularError[]): OpenedTable => ({ dialect, header: null, headerErrors: errors, records: empty() });
  if (size === 0) return noRecords([tabularError('empty-file', 1, 'the file is empty (0 bytes)', '')]);
  if (looksBinary(sample, encoding)) return noRecords([tabularError('binary-file', 1, 'the file is binary (NUL bytes), not delimited text', '')]);
  if (dialect.headerLine === null) return noRecords([tabularError('no-header', 1, 'the file holds no header line (only blank lines)', '')]);

  const parser = new RecordParser({
    delimiter: dialect.delimiter,
    quote: options.quote === null ? null : dialect.quote,
    skipLines: dialect.headerLine - 1,
    ...(options.maxRecordChars ? { maxRecordChars: options.maxRecordChars } : {}),
  });
  const batches = rawRecords(head, iterator, exhausted, encoding, parser);
  let batch: RawRecord[] = [];
  while (batch.length === 0) {
    const next = await batches.next();
    if (next.done) {
      return noRecords([tabularError('no-header', dialect.headerLine, `no header at line ${dialect.headerLine}: the file ends before it`, '')]);
    }
    batch = next.value;
  }
  const { header, errors } = readHeader(batch[0] as RawRecord);
  const rest = (async function* () {
    yield batch.slice(1);
    yield* batches;
  })();
  return { dialect, header, headerErrors: errors, records: tableRecords(rest, header, options.raggedRows ?? 'error') };
}

function readHeader(record: RawRecord): { header: TableHeader; errors: TabularError[] } {
  const errors: TabularError[] = [];
  if (record.problem) errors.push(tabularError(record.problem.rule, record.line, `header: ${record.problem.message}`, record.raw, columnOf(record.problem)));
  const trimmed = record.fields.map((f) => f.trim());
  const cells = withoutTrailingEmpty(trimmed);
  const seen = new Map<string, number>();
  cells.forEach((cell, i) => {
    if (cell === '') {
      errors.push(tabularError('empty-header', record.line, `header cell ${i + 1} is empty`, record.raw, { column: i + 1 }));
      return;
    }
    const key = cell.toLowerCase().replace(/\s+/g, ' ');
    const earlier = seen.get(key);
    if (earlier === undefined) seen.set(key, i);
    else {
      const message = `header ${quoteValue(cell)} in column ${i + 1} repeats column ${earlier + 1}`;
      errors.push(tabularError('duplicate-header', record.line, message, cell, { column: i + 1, field: cell }));
    }
  });
  return { header: { line: record.line, cells, trailingDelimiter: cells.length < trimmed.length, raw: record.raw }, errors };
}

async function* tableRecords(batches: AsyncGenerator<RawRecord[]>, header: TableHeader, ragged: 'error' | 'pad'): AsyncGenerator<TableRecord> {
  const width = header.cells.length;
  for await (const batch of batches) for (const record of batch) {
    if (record.problem) {
      yield tabularError(record.problem.rule, record.line, record.problem.message, record.raw, columnOf(record.problem));
      continue;
    }
    let fields = record.fields;
    if (fields.length > width) {
      const extra = fields.findIndex((f, i) => i >= width && f.trim() !== '');
      if (extra >= 0) {
        const message = `record has ${fields.length} fields, the header has ${width}: field ${extra + 1} ${quoteValue(fields[extra] as string)} has no column`;
        yield tabularError('ragged-row', record.line, message, record.raw, { column: extra + 1 });
        continue;
      }
      fields = fields.slice(0, width);
    } else if (fields.length < width) {
      if (ragged === 'error') {
        const message = `record has ${fields.length} fields, the header has ${width}: ${header.cells[fields.length]} and after are missing`;
        yield tabularError('ragged-row', record.line, message, record.raw, { column: fields.length + 1 });
        continue;
      }
      while (fields.length < width) fields.push('');
    }
    yield { kind: 'row', line: record.line, fields };
  }
}

async function* rawRecords(
  head: Uint8Array[],
  iterator: AsyncIterator<Uint8Array>,
  exhausted: boolean,
  encoding: TextEncodingName,
  parser: RecordParser,
): AsyncGenerator<RawRecord[]> {
  // Records travel in one batch per chunk: an async hop per record would double the cost.
  // The decoder drops a BOM matching its encoding itself.
  const decoder = new TextDecoder(encoding);
  while (head.length > 0) yield parser.push(decoder.decode(head.shift(), { stream: true }));
  if (!exhausted) {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield parser.push(decoder.decode(next.value, { stream: true }));
    }
  }
  yield [...parser.push(decoder.decode()), ...parser.end()];
}

function columnOf(problem: { column?: number }): { column?: number } {
  return problem.column === undefined ? {} : { column: problem.column };
}

function toAsyncIterator(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  const sync = source[Symbol.iterator]();
  return { next: async () => sync.next() };
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function* empty(): AsyncGenerator<TableRecord> {}
