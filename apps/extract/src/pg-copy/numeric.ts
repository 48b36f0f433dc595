import { fieldError, lengthError, type RowCursor } from './row-cursor.js';

// Sign words of the binary numeric format (src/backend/utils/adt/numeric.c).
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/** '0000'..'9999': one base-10000 digit as four decimal characters. */
const DIGIT4: readonly string[] = Array.from({ length: 10_000 }, (_, i) => String(i).padStart(4, '0'));

/**
 * Decodes a binary numeric at `pos` into the canonical decimal string PostgreSQL's own output
 * gives (`numeric_out`): optional '-', integer part without leading zeros ('0' if none), and
 * exactly `dscale` fraction digits, e.g. "-12.50", "0.0001", "0".
 *
 * Wire layout: int16 ndigits, int16 weight (base-10000 exponent of the first digit),
 * uint16 sign, int16 dscale, then ndigits int16 base-10000 digits.
 */
export function decodeNumeric(c: RowCursor, k: number, row: number, pos: number, len: number): string {
  const view = c.view;
  if (len < 8) throw lengthError(c, k, row, len, 8);
  const ndigits = view.getInt16(pos);
  const weight = view.getInt16(pos + 2);
  const sign = view.getUint16(pos + 4);
  const dscale = view.getInt16(pos + 6);
  if (sign !== NUMERIC_POS && sign !== NUMERIC_NEG) throw specialNumeric(c, k, row, sign);
  if (ndigits < 0 || dscale < 0 || len !== 8 + 2 * ndigits) {
    throw fieldError(c, k, row, `corrupt numeric: ndigits ${ndigits}, dscale ${dscale} in a ${len}-byte field`);
  }
  const digits = pos + 8;
  let s = sign === NUMERIC_NEG ? '-' : '';
  if (weight < 0) {
    s += '0';
  } else {
    for (let i = 0; i <= weight; i++) {
      const d = i < ndigits ? view.getInt16(digits + 2 * i) : 0;
      s += i === 0 ? String(d) : (DIGIT4[d] as string);
    }
  }
  if (dscale > 0) {
    let frac = '';
    for (let i = weight + 1; frac.length < dscale; i++) {
      const d = i >= 0 && i < ndigits ? view.getInt16(digits + 2 * i) : 0;
      frac += DIGIT4[d] as string;
    }
    s += `.${frac.length === dscale ? frac : frac.slice(0, dscale)}`;
  }
  return s;
}

function specialNumeric(c: RowCursor, k: number, row: number, sign: number) {
  const what =
    sign === NUMERIC_NAN
      ? 'NaN'
      : sign === NUMERIC_PINF
        ? 'Infinity'
        : sign === NUMERIC_NINF
          ? '-Infinity'
          : `unknown sign word 0x${sign.toString(16)}`;
  return fieldError(
    c,
    k,
    row,
    `numeric ${what} has no lake decimal representation; filter or map it in SQL (e.g. NULLIF(col, 'NaN'))`,
  );
}
