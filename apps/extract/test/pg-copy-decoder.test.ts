import { describe, expect, it } from 'vitest';
import { BinaryCopyDecoder, CopyFormatError } from '../src/pg-copy/index.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function header(flags = 0, extension: Buffer = Buffer.alloc(0)): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt32BE(flags, 0);
  fixed.writeInt32BE(extension.length, 4);
  return Buffer.concat([SIGNATURE, fixed, extension]);
}

/** One row of int4 fields (null = NULL). */
function int4Row(values: (number | null)[]): Buffer {
  const parts = [Buffer.from([values.length >> 8, values.length & 0xff])];
  for (const v of values) {
    const f = Buffer.alloc(v === null ? 4 : 8);
    f.writeInt32BE(v === null ? -1 : 4, 0);
    if (v !== null) f.writeInt32BE(v, 4);
    parts.push(f);
  }
  return Buffer.concat(parts);
}

const TRAILER = Buffer.from([0xff, 0xff]);
const INT4 = [{ name: 'a', pgType: 'int4' as const }];

function decode(bytes: Buffer[], columns = INT4) {
  const decoder = new BinaryCopyDecoder(columns, { batchRows: 2 });
  const out = bytes.flatMap((b) => decoder.push(b));
  const last = decoder.finish();
  return last ? [...out, last] : out;
}

describe('BinaryCopyDecoder on hand-made streams', () => {
  it('skips a header extension and emits batches of batchSize', () => {
    const stream = Buffer.concat([header(0, Buffer.from('ext!')), int4Row([1]), int4Row([null]), int4Row([3]), TRAILER]);
    expect(decode([stream])).toEqual([
      { rowCount: 2, columns: { a: [1, null] } },
      { rowCount: 1, columns: { a: [3] } },
    ]);
  });

  it('handles an empty result', () => {
    expect(decode([Buffer.concat([header(), TRAILER])])).toEqual([]);
  });

  it('rejects a bad signature as soon as its first bytes arrive', () => {
    const decoder = new BinaryCopyDecoder(INT4);
    expect(() => decoder.push(Buffer.from('a,b\n'))).toThrow(/not a binary COPY stream: signature bytes 612c620a/);
  });

  it('rejects critical header flags (OIDs) and a negative extension', () => {
    expect(() => decode([Buffer.concat([header(1 << 16), TRAILER])])).toThrow(/critical bits/);
    const h = header();
    h.writeInt32BE(-5, 15);
    expect(() => decode([h])).toThrow(/extension length -5 is negative/);
  });

  it('reports an empty or truncated stream', () => {
    expect(() => decode([])).toThrow(/ended after 0 bytes, inside the header/);
    expect(() => decode([header()])).toThrow(CopyFormatError);
    expect(() => decode([Buffer.concat([header(), int4Row([1, 2]).subarray(0, 12)])], [
      { name: 'a', pgType: 'int4' },
      { name: 'b', pgType: 'int4' },
    ])).toThrow(/ended inside row index 0, in column "b"/);
  });

  it('rejects a negative field length and push after finish', () => {
    const row = int4Row([1]);
    row.writeInt32BE(-7, 2);
    expect(() => decode([Buffer.concat([header(), row, TRAILER])])).toThrow(/column "a" \(int4\), row index 0: negative field length -7/);
    const decoder = new BinaryCopyDecoder(INT4);
    decoder.push(Buffer.concat([header(), TRAILER]));
    decoder.finish();
    expect(() => decoder.push(Buffer.from([1]))).toThrow(/after finish/);
  });

  it('rejects bad descriptors', () => {
    expect(() => new BinaryCopyDecoder([{ name: 'x', pgType: 'money' as never }])).toThrow(/unsupported pgType "money"/);
    expect(() => new BinaryCopyDecoder([...INT4, ...INT4])).toThrow(/duplicate/);
    expect(() => new BinaryCopyDecoder(INT4, { batchRows: 0 })).toThrow(/batchRows/);
  });

  it('waits for a large cut-off field instead of re-joining every chunk', () => {
    const text = 'x'.repeat(100_000);
    const field = Buffer.alloc(6 + text.length);
    field.writeInt16BE(1, 0);
    field.writeInt32BE(text.length, 2);
    field.write(text, 6);
    const stream = Buffer.concat([header(), field, TRAILER]);
    const decoder = new BinaryCopyDecoder([{ name: 't', pgType: 'text' }]);
    const out = [];
    for (let pos = 0; pos < stream.length; pos += 1000) out.push(...decoder.push(stream.subarray(pos, pos + 1000)));
    expect(out).toEqual([]);
    expect(decoder.finish()).toEqual({ rowCount: 1, columns: { t: [text] } });
  });
});
