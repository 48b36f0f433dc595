import { type BrapiIssue, brapiIssue } from './brapi-issue.js';

/**
 * An incremental JSON scanner that finds the entities of a BrAPI payload without building the
 * document: it walks the bytes once, checks the JSON grammar, and hands back each entity's own
 * text (to be `JSON.parse`d on its own). Memory is bounded by the largest single entity, not by
 * the file.
 *
 * Payload shapes (the root decides; `shape` can insist on one):
 * - `array`    — `[ {…}, {…} ]`, a POST request body;
 * - `envelope` — `{ "metadata": …, "result": { "data": [ {…}, … ] } }`, a BrAPI list response;
 *                a `result` without `data` (`GET /entity/{id}`) is one entity; a `result` that is
 *                an array is read like `data` (some servers do this);
 * - `map`      — `{ "<dbId>": {…}, … }`, a bulk PUT body (each entity carries its key);
 * - `single`   — `{…}`, one entity (a PUT /entity/{id} body).
 *
 * With `auto`, a root object that has no `result` member is held until it closes and is then a
 * map when every member value is an object, else a single entity; pass `shape: 'map'` to stream
 * a large map.
 */

/** The payload shapes {@link JsonElementScanner} understands. */
export type PayloadShape = 'array' | 'envelope' | 'map' | 'single';

/** Scanner options. */
export interface JsonElementScannerOptions {
  /**
   * Which payload shape to expect; `auto` decides from the root.
   * @defaultValue 'auto'
   */
  shape?: PayloadShape | 'auto';
}

/** One entity's text and where it starts in the payload. */
export interface JsonElement {
  kind: 'element';
  /** 0-based position among the payload's entities. */
  index: number;
  /** The member name, for entities of a `map` payload. */
  key?: string;
  /** Byte offset of the entity's first byte. */
  offset: number;
  /** 1-based line of the entity's first byte. */
  line: number;
  /** 1-based byte column of the entity's first byte. */
  column: number;
  /** The entity's JSON text, exactly as in the payload. */
  text: string;
  /** The shape of the payload it came from. */
  shape: PayloadShape;
}

type Role = 'root' | 'result' | 'data' | 'map' | 'other';
type CaptureKind = 'element' | 'root' | 'result';

const OBJ_KEY_OR_END = 0;
const OBJ_KEY = 1;
const OBJ_COLON = 2;
const OBJ_VALUE = 3;
const OBJ_COMMA_OR_END = 4;
const ARR_VALUE_OR_END = 5;
const ARR_VALUE = 6;
const ARR_COMMA_OR_END = 7;

interface Frame {
  array: boolean;
  state: number;
  role: Role;
  key: string | null;
}

interface Capture {
  kind: CaptureKind;
  /** Stack depth at which the captured value sits (its frame, if any, is `stack[depth]`). */
  depth: number;
  index: number;
  key?: string;
  offset: number;
  line: number;
  column: number;
}

interface MemberPosition {
  key: string;
  start: number;
  end: number;
  line: number;
  column: number;
}

const TOKEN_NONE = 0;
const TOKEN_STRING = 1;
const TOKEN_NUMBER = 2;
const TOKEN_LITERAL = 3;

// Number grammar states (RFC 8259 §6).
const N_SIGN = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_E_SIGN = 6;
const N_EXP = 7;

const SNIPPET_BYTES = 60;
const BOM = [0xef, 0xbb, 0xbf];
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** Collects the bytes of one value across chunks. */
class ByteCollector {
  active = false;
  private pieces: Uint8Array[] = [];
  private start = 0;

  begin(pos: number): void {
    this.active = true;
    this.pieces = [];
    this.start = pos;
  }

  /** Keeps the rest of the current chunk (copied: a producer may reuse its buffer). */
  chunkEnd(chunk: Uint8Array): void {
    if (!this.active) return;
    this.pieces.push(chunk.slice(this.start));
    this.start = 0;
  }

  finish(chunk: Uint8Array, end: number): Uint8Array {
    this.pieces.push(chunk.subarray(this.start, end));
    this.active = false;
    const total = this.pieces.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.pieces) {
      out.set(p, at);
      at += p.length;
    }
    this.pieces = [];
    return out;
  }

  cancel(): void {
    this.active = false;
    this.pieces = [];
  }
}

/**
 * The push-style scanner behind {@link scanJsonElements}: feed chunks with `push`, then call
 * `end`; each returns what became complete. After the first syntax error it reports nothing more.
 */
export class JsonElementScanner {
  private readonly wanted: PayloadShape | 'auto';
  private shape: PayloadShape | null = null;
  private readonly stack: Frame[] = [];
  private rootDone = false;
  private rootSeen = false;
  private failed = false;

  private offset = 0;
  private line = 1;
  private lineStart = 0;

  private token = TOKEN_NONE;
  private isKey = false;
  private escape = 0;
  private numState = N_SIGN;
  private literal = '';
  private literalPos = 0;

  private capture: Capture | null = null;
  private readonly captured = new ByteCollector();
  private readonly keyBytes = new ByteCollector();
  private members: MemberPosition[] = [];
  private memberStart: Omit<MemberPosition, 'end'> | null = null;
  private nextIndex = 0;
  private recent = new Uint8Array(0);
  private bomMatched = 0;
  private out: Array<JsonElement | BrapiIssue> = [];

  constructor(options: JsonElementScannerOptions = {}) {
    this.wanted = options.shape ?? 'auto';
  }

  /** Scans one chunk; returns the entities (and at most one issue) it completed. */
  push(input: Uint8Array | string): Array<JsonElement | BrapiIssue> {
    if (this.failed) return [];
    const chunk = typeof input === 'string' ? encoder.encode(input) : input;
    this.out = [];
    let i = 0;
    while (i < chunk.length && !this.failed) i = this.step(chunk, i);
    if (!this.failed) {
      this.captured.chunkEnd(chunk);
      this.keyBytes.chunkEnd(chunk);
      this.offset += chunk.length;
      this.remember(chunk);
    }
    return this.out;
  }

  /** Signals the end of input; reports a truncated or empty payload. */
  end(): Array<JsonElement | BrapiIssue> {
    if (this.failed) return [];
    this.out = [];
    const empty = new Uint8Array(0);
    if (!this.rootSeen) this.fail(empty, 0, 'empty payload: expected a JSON array or object');
    else if (!this.rootDone) {
      const where = this.capture ? ` (entity ${this.capture.index} starts at line ${this.capture.line})` : '';
      this.fail(empty, 0, `unexpected end of input: the JSON is truncated${where}`);
    }
    this.failed = true;
    return this.out;
  }

  /** Processes the byte at `i` (and, for string bodies, the run after it); returns the next index. */
  private step(chunk: Uint8Array, i: number): number {
    const b = chunk[i] as number;
    switch (this.token) {
      case TOKEN_STRING:
        return this.stringByte(chunk, i);
      case TOKEN_NUMBER:
        if (this.numberByte(b)) return i + 1;
        if (this.numState === N_SIGN || this.numState === N_DOT || this.numState === N_E || this.numState === N_E_SIGN) {
          this.fail(chunk, i, `invalid number: unexpected ${describe(b)}`);
          return i;
        }
        this.token = TOKEN_NONE;
        this.valueEnded(chunk, i);
        return i; // the delimiter is processed as structure
      case TOKEN_LITERAL:
        if (b !== this.literal.charCodeAt(this.literalPos)) {
          this.fail(chunk, i, `invalid literal: expected "${this.literal}"`);
          return i;
        }
        if (++this.literalPos === this.literal.length) {
          this.token = TOKEN_NONE;
          this.valueEnded(chunk, i + 1);
        }
        return i + 1;
      default:
        return this.structureByte(chunk, i, b);
    }
  }

  private structureByte(chunk: Uint8Array, i: number, b: number): number {
    if (b === 0x20 || b === 0x09 || b === 0x0d) return i + 1;
    if (b === 0x0a) {
      this.line++;
      this.lineStart = this.offset + i + 1;
      return i + 1;
    }
    if (this.bomMatched < 3 && this.offset + i === this.bomMatched) {
      // A UTF-8 byte order mark; Excel-era tools write one.
      if (b === BOM[this.bomMatched]) {
        if (++this.bomMatched === 3) this.lineStart = this.offset + i + 1;
        return i + 1;
      }
      if (this.bomMatched > 0) {
        this.fail(chunk, i, 'invalid byte order mark');
        return i;
      }
      this.bomMatched = 3;
    }
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (this.rootDone) {
        this.fail(chunk, i, `unexpected ${describe(b)} after the end of the payload`);
        return i;
      }
      this.beginValue(chunk, i, b, null);
      return i + 1;
    }
    switch (top.state) {
      case OBJ_KEY_OR_END:
      case OBJ_KEY:
        if (b === 0x22) {
          this.token = TOKEN_STRING;
          this.isKey = true;
          this.escape = 0;
          if (top.role !== 'other') this.keyBytes.begin(i + 1);
          return i + 1;
        }
        if (b === 0x7d && top.state === OBJ_KEY_OR_END) {
          this.closeContainer(chunk, i);
          return i + 1;
        }
        this.fail(chunk, i, `unexpected ${describe(b)}, expected ${top.state === OBJ_KEY ? 'a member name' : 'a member name or "}"'}`);
        return i;
      case OBJ_COLON:
        if (b !== 0x3a) {
          this.fail(chunk, i, `unexpected ${describe(b)}, expected ":"`);
          return i;
        }
        top.state = OBJ_VALUE;
        return i + 1;
      case OBJ_COMMA_OR_END:
      case ARR_COMMA_OR_END:
        if (b === 0x2c) {
          top.state = top.array ? ARR_VALUE : OBJ_KEY;
          return i + 1;
        }
        if (b === (top.array ? 0x5d : 0x7d)) {
          this.closeContainer(chunk, i);
          return i + 1;
        }
        this.fail(chunk, i, `unexpected ${describe(b)}, expected "," or "${top.array ? ']' : '}'}"`);
        return i;
      case ARR_VALUE_OR_END:
        if (b === 0x5d) {
          this.closeContainer(chunk, i);
          return i + 1;
        }
        this.beginValue(chunk, i, b, top);
        return i + 1;
      default:
        this.beginValue(chunk, i, b, top);
        return i + 1;
    }
  }

  /** A value starts at byte `i`; `parent` is the enclosing container (null for the root). */
  private beginValue(chunk: Uint8Array, i: number, b: number, parent: Frame | null): void {
    let role: Role = 'other';
    if (!parent) {
      this.rootSeen = true;
      role = this.rootRole(chunk, i, b);
      if (this.failed) return;
    } else if (parent.role === 'data' || parent.role === 'map') {
      this.startCapture('element', i, parent.role === 'map' ? (parent.key as string) : undefined);
    } else if (parent.role === 'root') {
      if (parent.key === 'result') {
        // An envelope. A `result` that is neither object nor array (null in an error response)
        // holds no entities.
        this.dropCapture('root');
        this.shape = 'envelope';
        if (b === 0x5b) role = 'data';
        else if (b === 0x7b) {
          role = 'result';
          this.startCapture('result', i);
        }
      } else if (this.capture?.kind === 'root' && this.stack.length === 1) {
        this.memberStart = { key: parent.key as string, start: this.offset + i, line: this.line, column: this.columnAt(i) };
      }
    } else if (parent.role === 'result' && parent.key === 'data') {
      this.dropCapture('result');
      if (b === 0x5b) role = 'data';
      else if (b !== 0x6e) {
        this.fail(chunk, i, 'result.data must be an array of entities', 'payload-shape');
        return;
      }
    }
    if (parent) parent.state = parent.array ? ARR_COMMA_OR_END : OBJ_COMMA_OR_END;
    this.startToken(chunk, i, b, role);
  }

  /** Decides the payload shape from the root's first byte. */
  private rootRole(chunk: Uint8Array, i: number, b: number): Role {
    const wanted = this.wanted;
    if (b === 0x5b) {
      if (wanted !== 'auto' && wanted !== 'array') {
        this.fail(chunk, i, `expected a ${wanted} payload (a JSON object), found an array`, 'payload-shape');
        return 'other';
      }
      this.shape = 'array';
      return 'data';
    }
    if (b !== 0x7b) {
      if (b === 0x22 || b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) {
        this.fail(chunk, i, 'a BrAPI payload is a JSON array or object', 'payload-shape');
      } else this.fail(chunk, i, `unexpected ${describe(b)}, expected a JSON array or object`);
      return 'other';
    }
    if (wanted === 'array') {
      this.fail(chunk, i, 'expected an array payload, found an object', 'payload-shape');
      return 'other';
    }
    if (wanted === 'map') {
      this.shape = 'map';
      return 'map';
    }
    if (wanted === 'single') {
      this.shape = 'single';
      this.startCapture('element', i);
      return 'other';
    }
    if (wanted === 'envelope') this.shape = 'envelope';
    else this.startCapture('root', i);
    return 'root';
  }

  private startToken(chunk: Uint8Array, i: number, b: number, role: Role): void {
    if (b === 0x7b || b === 0x5b) {
      this.stack.push({ array: b === 0x5b, state: b === 0x5b ? ARR_VALUE_OR_END : OBJ_KEY_OR_END, role, key: null });
    } else if (b === 0x22) {
      this.token = TOKEN_STRING;
      this.isKey = false;
      this.escape = 0;
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      this.token = TOKEN_NUMBER;
      this.numState = b === 0x2d ? N_SIGN : b === 0x30 ? N_ZERO : N_INT;
    } else if (b === 0x74 || b === 0x66 || b === 0x6e) {
      this.token = TOKEN_LITERAL;
      this.literal = b === 0x74 ? 'true' : b === 0x66 ? 'false' : 'null';
      this.literalPos = 1;
    } else {
      this.fail(chunk, i, `unexpected ${describe(b)}, expected a value`);
    }
  }

  private stringByte(chunk: Uint8Array, start: number): number {
    let i = start;
    while (i < chunk.length) {
      const b = chunk[i] as number;
      if (this.escape === 0) {
        if (b === 0x22) {
          this.token = TOKEN_NONE;
          if (this.isKey) this.keyEnded(chunk, i);
          else this.valueEnded(chunk, i + 1);
          return i + 1;
        }
        if (b === 0x5c) this.escape = 1;
        else if (b < 0x20) {
          this.fail(chunk, i, `unescaped control character ${describe(b)} in a string`);
          return i;
        }
      } else if (this.escape === 1) {
        if (b === 0x75) this.escape = 5;
        else if ('"\\/bfnrt'.includes(String.fromCharCode(b))) this.escape = 0;
        else {
          this.fail(chunk, i, `invalid escape "\\${String.fromCharCode(b)}" in a string`);
          return i;
        }
      } else {
        const hex = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
        if (!hex) {
          this.fail(chunk, i, `invalid \\u escape: ${describe(b)} is not a hex digit`);
          return i;
        }
        this.escape = this.escape === 2 ? 0 : this.escape - 1;
      }
      i++;
    }
    return i;
  }

  /** Advances the number grammar; false when `b` does not continue the number. */
  private numberByte(b: number): boolean {
    const digit = b >= 0x30 && b <= 0x39;
    switch (this.numState) {
      case N_SIGN:
        if (!digit) return false;
        this.numState = b === 0x30 ? N_ZERO : N_INT;
        return true;
      case N_ZERO:
      case N_INT:
        if (digit && this.numState === N_INT) return true;
        if (b === 0x2e) this.numState = N_DOT;
        else if (b === 0x65 || b === 0x45) this.numState = N_E;
        else return false;
        return true;
      case N_DOT:
        if (!digit) return false;
        this.numState = N_FRAC;
        return true;
      case N_FRAC:
        if (digit) return true;
        if (b !== 0x65 && b !== 0x45) return false;
        this.numState = N_E;
        return true;
      case N_E:
        if (b === 0x2b || b === 0x2d) this.numState = N_E_SIGN;
        else if (digit) this.numState = N_EXP;
        else return false;
        return true;
      case N_E_SIGN:
        if (!digit) return false;
        this.numState = N_EXP;
        return true;
      default:
        return digit;
    }
  }

  private keyEnded(chunk: Uint8Array, i: number): void {
    const top = this.stack[this.stack.length - 1] as Frame;
    top.state = OBJ_COLON;
    if (top.role === 'other') return;
    const bytes = this.keyBytes.finish(chunk, i);
    try {
      top.key = JSON.parse(`"${utf8.decode(bytes)}"`) as string;
    } catch {
      this.fail(chunk, i, 'a member name is not valid UTF-8', 'encoding');
    }
  }

  private closeContainer(chunk: Uint8Array, i: number): void {
    const frame = this.stack.pop() as Frame;
    if (frame.role === 'result' && this.capture?.kind === 'result') {
      // A result without `data`: GET /entity/{id} returns the entity itself.
      this.shape = 'envelope';
      this.emitCapture(chunk, i + 1);
      this.afterValue();
      return;
    }
    if (frame.role === 'root' && this.capture?.kind === 'root') {
      this.emitRootObject(chunk, i + 1);
      this.afterValue();
      return;
    }
    this.valueEnded(chunk, i + 1);
  }

  /** A value ended just before byte `end` of the chunk. */
  private valueEnded(chunk: Uint8Array, end: number): void {
    const depth = this.stack.length;
    if (this.capture?.kind === 'element' && this.capture.depth === depth) this.emitCapture(chunk, end);
    else if (this.memberStart && depth === 1) {
      this.members.push({ ...this.memberStart, end: this.offset + end });
      this.memberStart = null;
    }
    this.afterValue();
  }

  private afterValue(): void {
    if (this.stack.length === 0) this.rootDone = true;
  }

  private startCapture(kind: CaptureKind, i: number, key?: string): void {
    const position = { offset: this.offset + i, line: this.line, column: this.columnAt(i) };
    this.capture = { kind, depth: this.stack.length, index: this.nextIndex, ...position, ...(key === undefined ? {} : { key }) };
    this.captured.begin(i);
  }

  private dropCapture(kind: CaptureKind): void {
    if (this.capture?.kind !== kind) return;
    this.capture = null;
    this.captured.cancel();
    this.members = [];
    this.memberStart = null;
  }

  private emitCapture(chunk: Uint8Array, end: number): void {
    const capture = this.capture as Capture;
    const bytes = this.captured.finish(chunk, end);
    this.capture = null;
    const text = this.decode(bytes, capture, chunk, end);
    if (text === null) return;
    const element: JsonElement = {
      kind: 'element',
      index: capture.index,
      offset: capture.offset,
      line: capture.line,
      column: capture.column,
      text,
      shape: this.shape ?? 'single',
    };
    if (capture.key !== undefined) element.key = capture.key;
    this.out.push(element);
    this.nextIndex++;
  }

  /** `auto` root object without `result`: a map when every member is an object, else one entity. */
  private emitRootObject(chunk: Uint8Array, end: number): void {
    const capture = this.capture as Capture;
    const members = this.members;
    const bytes = this.captured.finish(chunk, end);
    this.capture = null;
    this.members = [];
    const isMap = members.length > 0 && members.every((m) => bytes[m.start - capture.offset] === 0x7b);
    if (!isMap) {
      this.shape = 'single';
      const text = this.decode(bytes, capture, chunk, end);
      if (text !== null) this.out.push({ kind: 'element', index: this.nextIndex++, offset: capture.offset, line: capture.line, column: capture.column, text, shape: 'single' });
      return;
    }
    this.shape = 'map';
    for (const m of members) {
      const at = { ...capture, index: this.nextIndex, key: m.key, offset: m.start, line: m.line, column: m.column };
      const text = this.decode(bytes.subarray(m.start - capture.offset, m.end - capture.offset), at, chunk, end);
      if (text === null) return;
      this.out.push({ kind: 'element', index: this.nextIndex++, key: m.key, offset: m.start, line: m.line, column: m.column, text, shape: 'map' });
    }
  }

  private decode(bytes: Uint8Array, at: Capture, chunk: Uint8Array, end: number): string | null {
    try {
      return utf8.decode(bytes);
    } catch {
      this.capture = at;
      this.fail(chunk, end - 1, `entity ${at.index} (line ${at.line}) is not valid UTF-8`, 'encoding');
      return null;
    }
  }

  private columnAt(i: number): number {
    return this.offset + i - this.lineStart + 1;
  }

  private remember(chunk: Uint8Array): void {
    const keep = Math.min(SNIPPET_BYTES, this.recent.length + chunk.length);
    const joined = new Uint8Array(keep);
    const fromChunk = Math.min(keep, chunk.length);
    joined.set(this.recent.subarray(this.recent.length - (keep - fromChunk)), 0);
    joined.set(chunk.subarray(chunk.length - fromChunk), keep - fromChunk);
    this.recent = joined;
  }

  private fail(chunk: Uint8Array, i: number, message: string, rule = 'json-syntax'): void {
    const before = i >= SNIPPET_BYTES ? chunk.subarray(i - SNIPPET_BYTES, i) : concat(this.recent, chunk.subarray(0, i));
    const snippet = utf8Lenient.decode(concat(before.subarray(Math.max(0, before.length - SNIPPET_BYTES)), chunk.subarray(i, i + SNIPPET_BYTES)));
    const line = this.line;
    this.out.push(
      brapiIssue({
        index: this.capture?.index ?? this.nextIndex,
        line,
        column: this.columnAt(i),
        offset: this.offset + i,
        path: '',
        rule,
        message: `line ${line}, column ${this.columnAt(i)}: ${message}`,
        raw: snippet,
      }),
    );
    this.failed = true;
  }
}

/**
 * Streams the entities of a BrAPI JSON payload from chunks (a Node `Readable`, a web stream's
 * async iterator, or an array of strings). Yields each entity's text with its position; a
 * syntax error is yielded as a located {@link BrapiIssue} and ends the stream. Never throws on
 * payload content.
 */
export async function* scanJsonElements(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  options: JsonElementScannerOptions = {},
): AsyncGenerator<JsonElement | BrapiIssue> {
  const scanner = new JsonElementScanner(options);
  for await (const chunk of source) {
    const found = scanner.push(chunk);
    yield* found;
    if (found.some((item) => item.kind === 'error')) return;
  }
  yield* scanner.end();
}

function describe(b: number): string {
  return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
