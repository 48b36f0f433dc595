/**
 * Encoding detection from the first bytes of a file. Researchers' files are UTF-8 (Excel adds a
 * BOM), UTF-16 (Excel's "Unicode text", always with a BOM) or a Windows code page from an older
 * Excel; a file that is not valid UTF-8 is read as Windows-1252, which decodes every byte (WHATWG
 * maps the `latin1` label to it too).
 */

/** Encodings the reader reports; each is a WHATWG `TextDecoder` label. */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface EncodingGuess {
  encoding: TextEncodingName;
  /** Whether the bytes start with a byte-order mark (it is not part of the text). */
  bom: boolean;
  /** Bytes the BOM takes at the start of the file. */
  bomLength: number;
}

/**
 * Guesses the encoding of `sample`, the first bytes of a file.
 *
 * @param complete - `sample` is the whole file; otherwise a multi-byte sequence cut at the
 *   end of the sample is not held against UTF-8.
 * @example sniffEncoding(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])) // { encoding: 'utf-8', bom: true, bomLength: 3 }
 */
export function sniffEncoding(sample: Uint8Array, complete = false): EncodingGuess {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return { encoding: 'utf-8', bom: true, bomLength: 3 };
  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bom: true, bomLength: 2 };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bom: true, bomLength: 2 };
  return { encoding: isUtf8(sample, complete) ? 'utf-8' : 'windows-1252', bom: false, bomLength: 0 };
}

function isUtf8(bytes: Uint8Array, complete: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/**
 * Share of NUL bytes above which a file is binary rather than text with a few bad bytes.
 * UTF-16 without a BOM also lands here: it is reported, not guessed at.
 */
const BINARY_NUL_SHARE = 0.05;

/** Whether `sample` looks like a binary file (many NUL bytes) in a byte-oriented encoding. */
export function looksBinary(sample: Uint8Array, encoding: TextEncodingName): boolean {
  if (encoding === 'utf-16le' || encoding === 'utf-16be' || sample.length === 0) return false;
  let nuls = 0;
  for (const byte of sample) if (byte === 0) nuls++;
  return nuls / sample.length > BINARY_NUL_SHARE;
}
