import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection, StatementType } from '@duckdb/node-api';
import { type Catalog, type VersionSelector, listDatasets, resolveVersion, versionFiles } from '@lake/catalog';
import type { ObjectStore, StorageLayout } from '@lake/storage';

export interface LakeQueryOptions {
  catalog: Catalog;
  store: ObjectStore;
  layout: StorageLayout;
  /** Read-through cache of objects from S3; files are immutable, so a cached copy is always correct. */
  cacheDir: string;
  /** Which version each dataset is read at (time travel); the rest read their current version. */
  versions?: Record<string, VersionSelector>;
  /** Read every dataset at the version current at this instant. */
  asOf?: Date;
  /** Read every dataset at this version number (datasets without it are left out). */
  versionNumber?: number;
}

export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
  /** The dataset versions the query could read, e.g. `{ "phenotype.observations": 3 }`. */
  versions: Record<string, number>;
}

/** A query refused by the sandbox, or rejected by DuckDB; the message says why. */
export class QueryError extends Error {
  override name = 'QueryError';
}

const IDENT = /^[a-z][a-z0-9_]*$/;

/**
 * DuckDB over committed dataset versions, sandboxed: each dataset is a view
 * (`phenotype.observations`) over exactly its version's Parquet files; the connection may then read
 * only those files (no other file access, no COPY/ATTACH/INSTALL, configuration locked), and only
 * single SELECT statements run.
 */
export class LakeQuery {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly versions: Record<string, number>,
  ) {}

  static async open(opts: LakeQueryOptions): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
      threads: '2',
    });
    const conn = await instance.connect();
    const versions: Record<string, number> = {};
    const allowed: string[] = [];
    const schemas = new Set<string>();
    for (const ds of await listDatasets(opts.catalog)) {
      const sel: VersionSelector =
        opts.versions?.[ds.id] ??
        (opts.versionNumber !== undefined
          ? { kind: 'number', version: opts.versionNumber }
          : opts.asOf
            ? { kind: 'asOf', at: opts.asOf }
            : { kind: 'current' });
      const version = await resolveVersion(opts.catalog, ds.id, sel);
      if (!version) continue;
      const [schema, name] = ds.id.split('.') as [string, string];
      if (!IDENT.test(schema) || !IDENT.test(name)) continue;
      const files = await versionFiles(opts.catalog, ds.id, version.version);
      if (files.length === 0) continue;
      const paths: string[] = [];
      for (const f of files) paths.push(await localCopy(opts, `${f.bucket}/${f.path}`));
      if (!schemas.has(schema)) {
        await conn.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        schemas.add(schema);
      }
      const list = paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ');
      await conn.run(`CREATE VIEW ${schema}.${name} AS SELECT * FROM read_parquet([${list}], hive_partitioning = false, union_by_name = true)`);
      versions[ds.id] = version.version;
      allowed.push(...paths);
    }
    const allowedList = allowed.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ');
    await conn.run(`SET allowed_paths = [${allowedList}]`);
    await conn.run('SET enable_external_access = false');
    await conn.run('SET lock_configuration = true');
    return new LakeQuery(instance, conn, versions);
  }

  /** Runs one read-only SELECT; values come back JSON-safe (bigints and timestamps as strings). */
  async query(sql: string, opts: { maxRows?: number } = {}): Promise<QueryResult> {
    const extracted = await this.conn.extractStatements(sql).catch((e: Error) => {
      throw new QueryError(e.message);
    });
    if (extracted.count !== 1) throw new QueryError(`exactly one statement per query, got ${extracted.count}`);
    const prepared = await extracted.prepare(0).catch((e: Error) => {
      throw new QueryError(e.message);
    });
    if (prepared.statementType !== StatementType.SELECT) {
      throw new QueryError('only SELECT queries run in the lake (the sandbox is read-only)');
    }
    const reader = await prepared.runAndReadUntil(opts.maxRows ?? 100_000).catch((e: Error) => {
      throw new QueryError(e.message);
    });
    const names = reader.columnNames();
    const types = reader.columnTypes();
    return {
      columns: names.map((name, i) => ({ name, type: String(types[i]) })),
      rows: reader.getRowObjectsJson() as Array<Record<string, unknown>>,
      versions: this.versions,
    };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** A local path of an object: the local store's own file, or a cached download from S3. */
async function localCopy(opts: LakeQueryOptions, bucketAndPath: string): Promise<string> {
  const key = opts.layout.parseKey(bucketAndPath);
  if (opts.store.kind === 'local') return fileURLToPath(await opts.store.presignGet(key));
  const target = resolve(join(opts.cacheDir, key.bucket, key.path));
  const exists = await stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
  if (exists) return target;
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.part`;
  await pipeline(await opts.store.get(key), createWriteStream(tmp));
  await rename(tmp, target);
  return target;
}
