import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';
import { checkName } from './names.js';

/** A partition column value as it comes from a row. Decoded values are strings (or null). */
export type PartitionValue = string | number | bigint | boolean | null;
/** Ordered `[column, value]` pairs, rendered as Hive-style `column=value` segments. */
export type Partition = ReadonlyArray<readonly [column: string, value: PartitionValue]>;

/** Segment value for SQL NULL. */
export const NULL_PARTITION_VALUE = '__null__';
/** Segment value for the empty string (an empty segment would be invalid). */
export const EMPTY_PARTITION_VALUE = '__empty__';

const SAFE = /[A-Za-z0-9_.-]/;

function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Encodes a value for a key segment: everything outside `[A-Za-z0-9_.-]` is percent-encoded
 * (UTF-8), null becomes `__null__`, the empty string `__empty__`. A string that itself starts
 * with `__` gets its first `_` encoded (`%5F`), so the two tokens stay unambiguous.
 */
export function encodePartitionValue(value: PartitionValue): string {
  if (value === null) return NULL_PARTITION_VALUE;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidObjectKeyError(`Invalid partition value ${value}: must be finite`);
    return percentEncode(String(Object.is(value, -0) ? 0 : value));
  }
  if (typeof value !== 'string') throw new InvalidObjectKeyError(`Invalid partition value ${String(value)}`);
  if (value === '') return EMPTY_PARTITION_VALUE;
  const encoded = percentEncode(value);
  return encoded.startsWith('__') ? `%5F${encoded.slice(1)}` : encoded;
}

/** Inverse of `encodePartitionValue` (types are not recovered: the contract has them). */
export function decodePartitionValue(segmentValue: string): string | null {
  if (segmentValue === NULL_PARTITION_VALUE) return null;
  if (segmentValue === EMPTY_PARTITION_VALUE) return '';
  return decodeURIComponent(segmentValue);
}

/** `col=value` segments; column names are `[a-z0-9_]` and must not repeat. */
export function partitionSegments(partition: Partition): string[] {
  const seen = new Set<string>();
  return partition.map(([column, value]) => {
    checkName('partition column', column);
    if (seen.has(column)) throw new InvalidObjectKeyError(`Partition column "${column}" appears twice`);
    seen.add(column);
    return `${column}=${encodePartitionValue(value)}`;
  });
}

/** Parses one `col=value` segment back, or returns undefined when it is not one. */
export function parsePartitionSegment(segment: string): [column: string, value: string | null] | undefined {
  const eq = segment.indexOf('=');
  if (eq <= 0) return undefined;
  return [segment.slice(0, eq), decodePartitionValue(segment.slice(eq + 1))];
}
