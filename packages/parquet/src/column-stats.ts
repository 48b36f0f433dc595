/**
 * Per-column statistics of a written file, in the lake representation, for the catalog's
 * file list. The Parquet footer carries its own per-row-group statistics (written by
 * hyparquet-writer) for engines to prune with; these are the file-level roll-up.
 */
import type { LakeValue, ParsedLakeType } from '@lake/contracts';
import { formatDecimal, type PhysicalValue } from './lake-values.js';

/** Statistics of one column over a whole file. `min`/`max` are absent for json and list columns. */
export interface ColumnStats {
  nullCount: number;
  min?: LakeValue;
  max?: LakeValue;
}

/** Folds physical values (as `toPhysical` returns them) into a column's statistics. */
export class ColumnStatsAccumulator {
  nullCount = 0;
  private min: PhysicalValue = null;
  private max: PhysicalValue = null;
  private readonly ordered: boolean;

  constructor(private readonly type: ParsedLakeType) {
    // JSON text order means nothing, and lists have no total order worth keeping.
    this.ordered = type.base !== 'json' && type.base !== 'list';
  }

  /** Adds one value (null counts as a null). */
  add(value: PhysicalValue): void {
    if (value === null) {
      this.nullCount++;
      return;
    }
    if (!this.ordered || (typeof value === 'number' && Number.isNaN(value))) return;
    if (this.min === null || compare(value, this.min) < 0) this.min = value;
    if (this.max === null || compare(value, this.max) > 0) this.max = value;
  }

  /** The statistics so far, with min/max converted back to the lake representation. */
  result(): ColumnStats {
    const stats: ColumnStats = { nullCount: this.nullCount };
    if (this.min !== null) stats.min = this.toLake(this.min);
    if (this.max !== null) stats.max = this.toLake(this.max);
    return stats;
  }

  private toLake(value: PhysicalValue): LakeValue {
    if (this.type.base === 'decimal') return formatDecimal(value as bigint, this.type.scale as number);
    return value as LakeValue;
  }
}

/** Orders two non-null scalars of one type; strings in UTF-8 byte (code point) order, as Parquet does. */
function compare(left: PhysicalValue, right: PhysicalValue): number {
  if (typeof left === 'string' && typeof right === 'string') return compareCodePoints(left, right);
  if (typeof left === 'boolean') return Number(left) - Number(right);
  if ((left as number | bigint) < (right as number | bigint)) return -1;
  if ((left as number | bigint) > (right as number | bigint)) return 1;
  return 0;
}

/** JavaScript's `<` compares UTF-16 code units, which misorders astral characters (emoji). */
function compareCodePoints(left: string, right: string): number {
  if (left === right) return 0;
  const a = left[Symbol.iterator]();
  const b = right[Symbol.iterator]();
  for (;;) {
    const x = a.next();
    const y = b.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}
