/**
 * Column-wise accumulators for the two output schemas. A builder hands back a `ColumnBatch` and
 * starts fresh arrays, so an emitted batch is never mutated afterwards.
 */
import type { ColumnBatch, LakeValue } from '@lake/contracts';
import { CALL_COLUMNS, VARIANT_COLUMNS } from './call-columns.js';

/** A variant as the parsers describe it; `sourceLine` is a bigint because the column is int64. */
export interface VariantRow {
  variantId: string;
  chrom: string | null;
  pos: bigint | null;
  ref: string | null;
  alt: string[] | null;
  qual: number | null;
  filter: string | null;
  /** JSON text. */
  info: string | null;
  sourceLine: bigint;
}

/** The per-call values; the variant's values come from its `VariantRow`. */
export interface CallFields {
  genotype: string | null;
  alleleDosage: number | null;
  phased: boolean;
  depth: number | null;
  genotypeQuality: number | null;
  dosage: number | null;
  likelihoods: (number | null)[] | null;
  likelihoodFormat: string | null;
  alleleDepths: (number | null)[] | null;
  /** JSON text. */
  formatOther: string | null;
}

/** A call with nothing but a genotype (formats without per-call fields). */
export function genotypeOnly(genotype: string | null, phased: boolean, alleleDosage: number | null): CallFields {
  return {
    genotype,
    alleleDosage,
    phased,
    depth: null,
    genotypeQuality: null,
    dosage: null,
    likelihoods: null,
    likelihoodFormat: null,
    alleleDepths: null,
    formatOther: null,
  };
}

/** Accumulates call rows (schema `CALL_COLUMNS`, same column order). */
export class CallBatchBuilder {
  private rows: LakeValue[][] = CALL_COLUMNS.map(() => []);
  rowCount = 0;

  add(variant: VariantRow, sample: string, call: CallFields): void {
    const r = this.rows;
    r[0]!.push(variant.variantId);
    r[1]!.push(variant.chrom);
    r[2]!.push(variant.pos);
    r[3]!.push(variant.ref);
    r[4]!.push(variant.alt);
    r[5]!.push(sample);
    r[6]!.push(call.genotype);
    r[7]!.push(call.alleleDosage);
    r[8]!.push(call.phased);
    r[9]!.push(call.depth);
    r[10]!.push(call.genotypeQuality);
    r[11]!.push(call.dosage);
    r[12]!.push(call.likelihoods);
    r[13]!.push(call.likelihoodFormat);
    r[14]!.push(call.alleleDepths);
    r[15]!.push(call.formatOther);
    r[16]!.push(variant.sourceLine);
    this.rowCount++;
  }

  /** Returns the accumulated rows and starts a new batch. */
  take(): ColumnBatch {
    const batch = toBatch(CALL_COLUMNS, this.rows, this.rowCount);
    this.rows = CALL_COLUMNS.map(() => []);
    this.rowCount = 0;
    return batch;
  }
}

/** Accumulates variant rows (schema `VARIANT_COLUMNS`, same column order). */
export class VariantBatchBuilder {
  private rows: LakeValue[][] = VARIANT_COLUMNS.map(() => []);
  rowCount = 0;

  add(v: VariantRow): void {
    const values: LakeValue[] = [v.variantId, v.chrom, v.pos, v.ref, v.alt, v.qual, v.filter, v.info, v.sourceLine];
    values.forEach((value, i) => {
      this.rows[i]!.push(value);
    });
    this.rowCount++;
  }

  /** Returns the accumulated rows and starts a new batch. */
  take(): ColumnBatch {
    const batch = toBatch(VARIANT_COLUMNS, this.rows, this.rowCount);
    this.rows = VARIANT_COLUMNS.map(() => []);
    this.rowCount = 0;
    return batch;
  }
}

function toBatch(specs: readonly { name: string }[], rows: LakeValue[][], rowCount: number): ColumnBatch {
  const columns: Record<string, LakeValue[]> = {};
  specs.forEach(({ name }, i) => {
    columns[name] = rows[i] as LakeValue[];
  });
  return { rowCount, columns };
}
