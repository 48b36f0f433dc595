import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrapiSchemas, loadBrapiSchemas, resolveBrapiOpenApiPath } from '@lake/brapi';
import { type DatasetContract, type FileSourceContract, isFileSource, loadContract } from '@lake/contracts';
import { FileRejectedError } from '../src/file-source/file-rejected-error.js';
import { openFile } from '../src/file-source/open-file.js';
import { StagingWriter } from '../src/file-source/staging-writer.js';
import { expect } from 'vitest';

const repo = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const REFERENCE_DIR = process.env.LAKE_REFERENCE_DIR ?? resolve(repo, '../shared/reference');
export const DATASETS = join(REFERENCE_DIR, 'datasets');

export type FileContract = DatasetContract & { source: FileSourceContract };

export async function contract(id: string): Promise<FileContract> {
  const [domain, name] = id.split('.');
  const c = await loadContract(join(repo, 'schemas', domain as string, `${name}.yaml`));
  if (!isFileSource(c)) throw new Error(`${id} is not a file contract`);
  return c;
}

let schemas: Promise<BrapiSchemas> | undefined;
export const brapiSchemas = () => {
  schemas ??= loadBrapiSchemas(resolveBrapiOpenApiPath(REFERENCE_DIR));
  return schemas;
};

/** What reading one file gives: staged rows, how many carry read errors and their rules, or the rejection. */
export interface ReadSummary {
  rows: number;
  withErrors: number;
  rules: Record<string, number>;
  rejected?: string;
  /** The first few located errors as `line:column:rule`. */
  errors: string[];
}

export async function* chunks(bytes: Uint8Array, size = 65_536): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/**
 * Reads a file with the reader of its contract's format. With `stage`, every record also goes
 * through the staging writer into a Parquet file (what the extract stage does), so a record the
 * writer cannot store fails the read.
 */
export async function readSummary(c: FileContract, bytes: Uint8Array, file = 'bijmantra-raw/test/file.csv', opts: { stage?: boolean } = {}): Promise<ReadSummary> {
  const out: ReadSummary = { rows: 0, withErrors: 0, rules: {}, errors: [] };
  let writer: StagingWriter | undefined;
  const tmp = join(tmpdir(), `lake-read-summary-${process.pid}-${++staged}.parquet`);
  try {
    const opened = await openFile(c, chunks(bytes), file, brapiSchemas);
    if (opts.stage) writer = await StagingWriter.open(tmp, opened.fields, file, {}, 1024);
    for await (const r of opened.records) {
      await writer?.add(r);
      out.rows++;
      if (r.errors.length === 0) continue;
      out.withErrors++;
      for (const e of r.errors) out.rules[e.rule] = (out.rules[e.rule] ?? 0) + 1;
      if (out.errors.length < 5) out.errors.push(`${r.line}:${r.errors[0]?.column}:${r.errors[0]?.rule}`);
    }
    if (writer) expect(await writer.close()).toBe(out.rows);
  } catch (err) {
    if (!(err instanceof FileRejectedError)) throw err;
    out.rejected = err.message;
  } finally {
    await writer?.abort();
    await rm(tmp, { force: true });
  }
  return out;
}

let staged = 0;

export function referenceBytes(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(join(DATASETS, relative)));
}
