import type { LakeValue } from '@lake/contracts';
import { fieldError, type RowCursor } from './row-cursor.js';
import { ARRAY_ELEMENT_OID } from './pg-type.js';

/**
 * Decodes a 1-D binary array (`array_send`) at `pos` into a JS array with `null` elements.
 *
 * Wire layout: int32 ndim, int32 flags (1 = has nulls), uint32 element type OID, then per
 * dimension int32 length and int32 lower bound, then each element as int32 length (-1 = NULL)
 * and its bytes. The lower bound is dropped: lake lists start at 0 whatever PostgreSQL's index.
 */
export function decodeArray(c: RowCursor, k: number, row: number, pos: number, len: number): LakeValue[] {
  const view = c.view;
  const end = pos + len;
  if (len < 12) throw fieldError(c, k, row, `array field of ${len} bytes is shorter than its 12-byte header`);
  const ndim = view.getInt32(pos);
  const elemOid = view.getUint32(pos + 8);
  const pgType = c.descriptors[k]?.pgType as keyof typeof ARRAY_ELEMENT_OID;
  const expectedOid = ARRAY_ELEMENT_OID[pgType];
  if (elemOid !== expectedOid) {
    throw fieldError(c, k, row, `array element type OID ${elemOid}, expected ${expectedOid}`);
  }
  if (ndim === 0) return [];
  if (ndim !== 1) {
    throw fieldError(c, k, row, `${ndim}-dimensional array; only 1-D arrays are lake lists (flatten it in SQL)`);
  }
  if (len < 20) throw fieldError(c, k, row, `1-D array field of ${len} bytes is shorter than its 20-byte header`);
  const n = view.getInt32(pos + 12);
  if (n < 0 || n > (len - 20) / 4) throw fieldError(c, k, row, `array length ${n} does not fit in ${len} bytes`);
  const out: LakeValue[] = new Array(n);
  let p = pos + 20;
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw fieldError(c, k, row, `array element ${i} runs past the field`);
    const elen = view.getInt32(p);
    p += 4;
    if (elen === -1) {
      out[i] = null;
      continue;
    }
    if (elen < 0 || p + elen > end) throw fieldError(c, k, row, `array element ${i} has bad length ${elen}`);
    switch (expectedOid) {
      case 23:
        if (elen !== 4) throw fieldError(c, k, row, `int4 array element ${i} is ${elen} bytes, expected 4`);
        out[i] = view.getInt32(p);
        break;
      case 20:
        if (elen !== 8) throw fieldError(c, k, row, `int8 array element ${i} is ${elen} bytes, expected 8`);
        out[i] = view.getBigInt64(p);
        break;
      case 701:
        if (elen !== 8) throw fieldError(c, k, row, `float8 array element ${i} is ${elen} bytes, expected 8`);
        out[i] = view.getFloat64(p);
        break;
      default:
        out[i] = c.buf.toString('utf8', p, p + elen);
    }
    p += elen;
  }
  if (p !== end) throw fieldError(c, k, row, `${end - p} unread bytes after the last array element`);
  return out;
}
