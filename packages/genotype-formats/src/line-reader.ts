/**
 * Splits a byte stream into text lines without ever holding more than the current line.
 * Splitting happens on the byte 0x0A, which never occurs inside a UTF-8 multi-byte sequence, so
 * each line is decoded whole and chunk boundaries cannot change the result.
 */
import type { ByteChunks } from './genotype-event.js';

/** One line of the file. */
export interface TextLine {
  /** The line without its terminator (`\n` or `\r\n`); a leading UTF-8 BOM is removed. */
  text: string;
  /** 1-based line number. */
  line: number;
  /** The bytes were not valid UTF-8; invalid sequences became U+FFFD. */
  invalidUtf8: boolean;
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function decode(bytes: Uint8Array): { text: string; invalid: boolean } {
  try {
    return { text: strict.decode(bytes), invalid: false };
  } catch {
    return { text: lenient.decode(bytes), invalid: true };
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Yields the lines of a byte stream. A final line without a terminator is yielded; an empty
 * final segment after the last `\n` is not.
 */
export async function* readLines(chunks: ByteChunks): AsyncGenerator<TextLine> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let line = 0;
  const emit = (bytes: Uint8Array): TextLine => {
    line++;
    let end = bytes.byteLength;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    let start = 0;
    if (line === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    const { text, invalid } = decode(bytes.subarray(start, end));
    return { text, line, invalidUtf8: invalid };
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1) break;
      const piece = chunk.subarray(from, nl);
      if (pendingBytes > 0) {
        pending.push(piece);
        const whole = concat(pending, pendingBytes + piece.byteLength);
        pending = [];
        pendingBytes = 0;
        yield emit(whole);
      } else {
        yield emit(piece);
      }
      from = nl + 1;
    }
    if (from < chunk.byteLength) {
      // Copy: the caller may reuse its chunk buffer after we return.
      const rest = chunk.slice(from);
      pending.push(rest);
      pendingBytes += rest.byteLength;
    }
  }
  if (pendingBytes > 0) yield emit(concat(pending, pendingBytes));
}
