/** Test helpers: run a parser over a reference file or bytes and gather what it yielded. */
import { createReadStream } from 'node:fs';
import type { ColumnBatch, LakeValue } from '@lake/contracts';
import type { GenotypeEvent, GenotypeIssue, GenotypeSummary } from '../src/index.js';

export const GENOTYPE_DIR = new URL('../../../../shared/reference/datasets/genotype/', import.meta.url).pathname;

/** The chunks of a reference file. */
export function referenceFile(name: string): AsyncIterable<Uint8Array> {
  return createReadStream(`${GENOTYPE_DIR}${name}`);
}

/** Bytes in chunks of the given sizes, cycling. */
export function* chunked(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let offset = 0;
  let i = 0;
  while (offset < bytes.byteLength) {
    const size = sizes[i++ % sizes.length] as number;
    yield bytes.slice(offset, offset + size);
    offset += size;
  }
}

export interface Collected {
  samples: string[];
  calls: number;
  variants: number;
  callRows: Record<string, LakeValue>[];
  variantRows: Record<string, LakeValue>[];
  errors: GenotypeIssue[];
  warnings: GenotypeIssue[];
  summary: GenotypeSummary;
  maxBatchRows: number;
}

function rows(batch: ColumnBatch): Record<string, LakeValue>[] {
  const out: Record<string, LakeValue>[] = [];
  for (let i = 0; i < batch.rowCount; i++) {
    const row: Record<string, LakeValue> = {};
    for (const [name, values] of Object.entries(batch.columns)) row[name] = values[i] as LakeValue;
    out.push(row);
  }
  return out;
}

/** Drains a parser; `keepRows` materializes call and variant rows (small files only). */
export async function collect(events: AsyncIterable<GenotypeEvent>, keepRows = false): Promise<Collected> {
  const out: Omit<Collected, 'summary'> & { summary?: GenotypeSummary } = { samples: [], calls: 0, variants: 0, callRows: [], variantRows: [], errors: [], warnings: [], maxBatchRows: 0 };
  for await (const e of events) {
    if (e.kind === 'samples') out.samples = e.samples;
    else if (e.kind === 'calls') {
      out.calls += e.batch.rowCount;
      out.maxBatchRows = Math.max(out.maxBatchRows, e.batch.rowCount);
      if (keepRows) out.callRows.push(...rows(e.batch));
    } else if (e.kind === 'variants') {
      out.variants += e.batch.rowCount;
      if (keepRows) out.variantRows.push(...rows(e.batch));
    } else if (e.kind === 'error') out.errors.push(e);
    else if (e.kind === 'warning') out.warnings.push(e);
    else if (e.kind === 'summary') out.summary = e.summary;
  }
  if (!out.summary) throw new Error('parser yielded no summary');
  return out as Collected;
}

/** Count of issues per rule. */
export function byRule(issues: readonly GenotypeIssue[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of issues) out[i.rule] = (out[i.rule] ?? 0) + 1;
  return out;
}

/** JSON with bigints, for comparing event streams. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
}
