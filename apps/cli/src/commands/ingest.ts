import { createHash, randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { type FileSourceContract, type RawObjectRef, datasetId, isFileSource, loadContracts } from '@lake/contracts';
import type { CliContext } from '../context.js';
import { bytes } from '../format.js';
import { follow, resolveTargets } from './run.js';

export interface IngestOptions {
  dataset: string;
  follow: boolean;
  timeoutMs: number;
}

/** A raw-tier file name from a local one: lowercase `[a-z0-9_.-]`, no leading dot. */
export function rawFileName(name: string): string {
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._]+/, '');
  return (clean || 'file').slice(0, 200);
}

async function filesOf(path: string, source: FileSourceContract): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && source.extensions.includes(extname(entry.name).toLowerCase())) out.push(join(path, entry.name));
  }
  if (out.length === 0) throw new Error(`${path} holds no ${source.extensions.join(', ')} files`);
  return out;
}

/**
 * `lake ingest <file|dir> --dataset <domain>/<dataset>`: uploads the files as received to
 * `raw/<domain>/<dataset>/<upload id>/<file>`, starts one run that ingests them all, and follows it.
 */
export async function ingestCommand(ctx: CliContext, path: string, opts: IngestOptions): Promise<number> {
  const [contract] = resolveTargets(await loadContracts(ctx.env.LAKE_SCHEMAS_DIR), opts.dataset, { files: true });
  if (!contract || !isFileSource(contract)) throw new Error(`no file dataset "${opts.dataset}"`);
  const dataset = datasetId(contract);
  const store = await ctx.store();
  const layout = await ctx.layout();
  const upload = `${new Date().toISOString().replace(/[-:.]/g, '').toLowerCase()}-${randomBytes(3).toString('hex')}`;
  const inputs: RawObjectRef[] = [];
  for (const file of await filesOf(path, contract.source)) {
    const key = layout.rawKey(contract.dataset.domain, contract.dataset.name, upload, rawFileName(basename(file)));
    const put = await store.putFile(key, file);
    inputs.push({ bucket: key.bucket, path: key.path, etag: put.etag, size: put.size });
    console.log(`uploaded ${file} → ${key.bucket}/${key.path} (${bytes(put.size)})`);
  }
  const key = createHash('sha256')
    .update(inputs.map((i) => `${i.bucket}/${i.path}@${i.etag}`).join('\n'))
    .digest('hex')
    .slice(0, 32);
  const res = await ctx.queues().triggerAndWait({ dataset, trigger: { kind: 'manual', key: `ingest-${key}` }, requestedBy: 'lake-cli', full: false, allowBreaking: false, inputs }, opts.timeoutMs);
  console.log(`${dataset}: run ${res.runId} → v${res.version}${res.deduplicated ? ' (joined an existing run)' : ''}`);
  if (!opts.follow) return 0;
  return follow(ctx, [{ dataset, runId: res.runId, version: res.version }], opts.timeoutMs);
}

/** `lake replay <dataset>`: re-runs the current version's quarantined rows under the current contract. */
export async function replayCommand(ctx: CliContext, target: string, opts: { follow: boolean; timeoutMs: number }): Promise<number> {
  const [contract] = resolveTargets(await loadContracts(ctx.env.LAKE_SCHEMAS_DIR), target, { files: true });
  if (!contract) throw new Error(`no file dataset "${target}"`);
  const dataset = datasetId(contract);
  const res = await ctx
    .queues()
    .triggerAndWait({ dataset, trigger: { kind: 'replay', key: randomBytes(8).toString('hex') }, requestedBy: 'lake-cli', full: false, allowBreaking: false, replay: true }, opts.timeoutMs);
  console.log(`${dataset}: replay run ${res.runId} → v${res.version}`);
  if (!opts.follow) return 0;
  return follow(ctx, [{ dataset, runId: res.runId, version: res.version }], opts.timeoutMs);
}
