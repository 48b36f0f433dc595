/**
 * A streaming RFC-4180 tokenizer over decoded text, fed chunk by chunk: a record, a field or a
 * CRLF may be split anywhere between two chunks and the records come out the same. Memory holds
 * one record at most (capped by `maxRecordChars`).
 *
 * Real-world files break the RFC; what this does about it:
 * - CRLF, LF and lone CR all end a record; a newline inside quotes is field content.
 * - Blank (or whitespace-only, unquoted) lines are skipped.
 * - A quote inside an unquoted field is literal text (`5" pot`).
 * - Text after a closing quote (`"a"b`) keeps the record but reports `invalid-quote`.
 * - NUL and other control characters report `binary-content`; U+FFFD (bytes the decoder could
 *   not read) reports `invalid-encoding`. The record is still tokenized so the line count holds.
 * - A quote still open at the end of the input reports `unterminated-quote` at the record's line.
 */
import type { TabularRule } from './tabular-error.js';

/** One record as tokenized, before any header logic. */
export interface RawRecord {
  /** 1-based physical line the record starts on. */
  line: number;
  fields: string[];
  /** The record's text without its line terminator. */
  raw: string;
  /** The first problem met while tokenizing, if any: such a record must not be loaded. */
  problem?: { rule: TabularRule; message: string; column?: number };
}

export interface RecordParserOptions {
  /** Field delimiter, one character. */
  delimiter: string;
  /** Quote character, one character, or `null` for none. @defaultValue `'"'` */
  quote?: string | null;
  /** Physical lines to skip, as text, before tokenizing (a preamble). @defaultValue 0 */
  skipLines?: number;
  /**
   * Longest record kept, in characters; a longer one is reported as `record-too-large` and
   * skipped to the end of its line (an unterminated quote would otherwise swallow the file).
   * @defaultValue 16 Mi characters
   */
  maxRecordChars?: number;
}

const LF = 10;
const CR = 13;
const TAB = 9;
const REPLACEMENT = 0xfffd;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;
const SKIP_LINES = 4;

/** Index of the next character of `stops` at or after `from`, or the end of `text`. */
function nextStop(stops: RegExp, text: string, from: number): number {
  stops.lastIndex = from;
  return stops.test(text) ? stops.lastIndex - 1 : text.length;
}

/** Tokenizes decoded text into records; see the file comment for the quirks it absorbs. */
export class RecordParser {
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly quoteText: string;
  private readonly maxRecordChars: number;
  /** Characters that end a run of plain field text; the loop jumps between them (3× faster). */
  private readonly unquotedStops: RegExp;
  private readonly quotedStops: RegExp;
  private state: number;
  private skipLines: number;
  private fields: string[] = [];
  /** Text of the current field gathered from earlier chunks or quoted segments. */
  private field = '';
  /** Raw text of the current record from earlier chunks. */
  private raw = '';
  private line = 1;
  private recordLine = 1;
  private lastCR = false;
  private sawQuote = false;
  private problem: RawRecord['problem'];

  constructor(options: RecordParserOptions) {
    const quote = options.quote === undefined ? '"' : options.quote;
    if (options.delimiter.length !== 1) throw new TypeError(`delimiter must be one character, got ${JSON.stringify(options.delimiter)}`);
    if (quote !== null && quote.length !== 1) throw new TypeError(`quote must be one character or null, got ${JSON.stringify(quote)}`);
    if (quote === options.delimiter) throw new TypeError('quote and delimiter must differ');
    this.delimiter = options.delimiter.charCodeAt(0);
    this.quote = quote === null ? -1 : quote.charCodeAt(0);
    this.quoteText = quote ?? '';
    this.maxRecordChars = options.maxRecordChars ?? 16 * 1024 * 1024;
    const controls = '\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffd\\r\\n';
    const hexEscape = (ch: string) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    this.unquotedStops = new RegExp(`[${hexEscape(options.delimiter)}${controls}]`, 'g');
    this.quotedStops = new RegExp(`[${quote === null ? '' : hexEscape(quote)}${controls}]`, 'g');
    this.skipLines = options.skipLines ?? 0;
    this.state = this.skipLines > 0 ? SKIP_LINES : FIELD_START;
  }

  /** Tokenizes the next piece of text; returns the records it completes. */
  push(text: string): RawRecord[] {
    const out: RawRecord[] = [];
    const n = text.length;
    let seg = 0;
    let rawStart = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === LF || c === CR) {
        const secondHalfOfCRLF = this.lastCR && c === LF;
        this.lastCR = c === CR;
        if (secondHalfOfCRLF && this.state !== QUOTED) {
          // The CR already ended the record (or the skipped line); the LF belongs to it.
          seg = rawStart = i + 1;
          continue;
        }
        if (!secondHalfOfCRLF) this.line++;
        switch (this.state) {
          case QUOTED:
            continue;
          case SKIP_LINES:
            if (--this.skipLines === 0) this.state = FIELD_START;
            this.recordLine = this.line;
            seg = rawStart = i + 1;
            continue;
          case FIELD_START:
            if (this.fields.length === 0 && !this.sawQuote) {
              this.recordLine = this.line;
              seg = rawStart = i + 1;
              continue;
            }
            this.fields.push(this.field);
            break;
          case UNQUOTED:
            this.fields.push(this.field + text.slice(seg, i));
            break;
          default:
            this.fields.push(this.field);
        }
        this.emit(out, this.raw + text.slice(rawStart, i));
        seg = rawStart = i + 1;
        continue;
      }
      this.lastCR = false;
      switch (this.state) {
        case FIELD_START:
          if (c === this.quote) {
            this.state = QUOTED;
            this.sawQuote = true;
            seg = i + 1;
          } else if (c === this.delimiter) {
            this.fields.push('');
          } else {
            this.state = UNQUOTED;
            seg = i;
            if (c < 32 || c === REPLACEMENT) this.checkControl(c);
          }
          break;
        case UNQUOTED:
          if (c === this.delimiter) {
            this.fields.push(this.field + text.slice(seg, i));
            this.field = '';
            this.state = FIELD_START;
          } else if (c < 32 || c === REPLACEMENT) this.checkControl(c);
          else i = nextStop(this.unquotedStops, text, i + 1) - 1;
          break;
        case QUOTED:
          if (c === this.quote) {
            this.field += text.slice(seg, i);
            this.state = QUOTE_IN_QUOTED;
          } else if ((c < 32 && c !== TAB) || c === REPLACEMENT) this.checkControl(c);
          else i = nextStop(this.quotedStops, text, i + 1) - 1;
          break;
        case QUOTE_IN_QUOTED:
          if (c === this.quote) {
            this.field += this.quoteText;
            this.state = QUOTED;
            seg = i + 1;
          } else if (c === this.delimiter) {
            this.fields.push(this.field);
            this.field = '';
            this.state = FIELD_START;
          } else {
            this.note('invalid-quote', `text after the closing quote of field ${this.fields.length + 1}`);
            this.state = UNQUOTED;
            seg = i;
            if (c < 32 || c === REPLACEMENT) this.checkControl(c);
          }
          break;
        default:
          break;
      }
    }
    if (this.state === SKIP_LINES) return out;
    if (this.state === UNQUOTED || this.state === QUOTED) this.field += text.slice(seg);
    this.raw += text.slice(rawStart);
    if (this.raw.length > this.maxRecordChars) {
      this.problem = undefined;
      this.note('record-too-large', `record is longer than ${this.maxRecordChars} characters; skipped to the end of its line`);
      this.fields.push(this.field);
      this.emit(out, this.raw);
      this.state = SKIP_LINES;
      this.skipLines = 1;
    }
    return out;
  }

  /** Ends the input; returns the last record, or the error for a quote left open. */
  end(): RawRecord[] {
    const out: RawRecord[] = [];
    switch (this.state) {
      case SKIP_LINES:
        break;
      case QUOTED:
        this.problem = undefined;
        this.note('unterminated-quote', `quote opened in field ${this.fields.length + 1} is never closed`);
        this.fields.push(this.field);
        this.emit(out, this.raw);
        break;
      case FIELD_START:
        if (this.fields.length === 0 && !this.sawQuote) break;
        this.fields.push(this.field);
        this.emit(out, this.raw);
        break;
      default:
        this.fields.push(this.field);
        this.emit(out, this.raw);
    }
    this.state = SKIP_LINES;
    this.skipLines = Number.POSITIVE_INFINITY;
    return out;
  }

  private checkControl(c: number): void {
    if (c === TAB) return;
    if (c === REPLACEMENT) this.note('invalid-encoding', `field ${this.fields.length + 1} holds bytes that are not valid in the file's encoding`);
    else this.note('binary-content', `field ${this.fields.length + 1} holds control character U+${c.toString(16).padStart(4, '0').toUpperCase()} (binary data?)`);
  }

  private note(rule: TabularRule, message: string): void {
    this.problem ??= { rule, message, column: this.fields.length + 1 };
  }

  private emit(out: RawRecord[], raw: string): void {
    const fields = this.fields;
    const blank = fields.length === 1 && !this.sawQuote && this.problem === undefined && (fields[0] as string).trim() === '';
    if (!blank) {
      const record: RawRecord = { line: this.recordLine, fields, raw };
      if (this.problem) record.problem = this.problem;
      out.push(record);
    }
    this.fields = [];
    this.field = '';
    this.raw = '';
    this.sawQuote = false;
    this.problem = undefined;
    this.state = FIELD_START;
    this.recordLine = this.line;
  }
}
