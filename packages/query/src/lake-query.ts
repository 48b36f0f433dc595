import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection, StatementType } from '@duckdb/node-api';
import { type Catalog, type FileRow, type VersionLayer, type VersionSelector, listDatasets, resolveVersion, versionFiles, versionLayers } from '@lake/catalog';
import { QUARANTINE_COLUMNS } from '@lake/contracts';
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
  /** Extra views of a dataset at a given version (e.g. `diff.a` and `diff.b` for `lake diff`). */
  views?: Array<{ schema: string; name: string; dataset: string; selector: VersionSelector }>;
  /** Leave out the default `domain.dataset` views (only `views` are created). */
  onlyViews?: boolean;
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
    const wanted: Array<{ schema: string; name: string; dataset: string; selector: VersionSelector; required: boolean }> = [];
    if (!opts.onlyViews) {
      for (const ds of await listDatasets(opts.catalog)) {
        const [schema, name] = ds.id.split('.') as [string, string];
        const selector: VersionSelector =
          opts.versions?.[ds.id] ??
          (opts.versionNumber !== undefined
            ? { kind: 'number', version: opts.versionNumber }
            : opts.asOf
              ? { kind: 'asOf', at: opts.asOf }
              : { kind: 'current' });
        wanted.push({ schema, name, dataset: ds.id, selector, required: false });
      }
    }
    for (const v of opts.views ?? []) wanted.push({ ...v, required: true });
    for (const w of wanted) {
      if (!IDENT.test(w.schema) || !IDENT.test(w.name)) throw new QueryError(`invalid view name ${w.schema}.${w.name}`);
      const version = await resolveVersion(opts.catalog, w.dataset, w.selector);
      if (!version) {
        if (w.required) throw new QueryError(`${w.dataset} has no committed version matching ${JSON.stringify(w.selector)}`);
        continue;
      }
      const layers = versionLayers(await versionFiles(opts.catalog, w.dataset, version.version));
      if (!schemas.has(w.schema)) {
        await conn.run(`CREATE SCHEMA IF NOT EXISTS ${w.schema}`);
        schemas.add(w.schema);
      }
      if (layers.length === 0) {
        const contract = await contractColumns(opts.catalog, w.dataset, version.contract_hash);
        if (!contract) continue;
        await conn.run(`CREATE VIEW ${w.schema}.${w.name} AS SELECT ${contract} WHERE false`);
      } else {
        const copies = new Map<FileRow, string>();
        for (const l of layers) {
          for (const f of [...l.files, ...l.maskedBy]) {
            if (!copies.has(f)) copies.set(f, await localCopy(opts, `${f.bucket}/${f.path}`));
          }
        }
        await conn.run(`CREATE VIEW ${w.schema}.${w.name} AS ${layeredSelect(layers, (f) => copies.get(f) as string)}`);
        allowed.push(...new Set(copies.values()));
      }
      if (w.schema === w.dataset.split('.')[0] && w.name === w.dataset.split('.')[1]) versions[w.dataset] = version.version;
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

const DUCKDB_TYPES: Record<string, string> = {
  boolean: 'BOOLEAN',
  int16: 'SMALLINT',
  int32: 'INTEGER',
  int64: 'BIGINT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  json: 'JSON',
  date: 'DATE',
  timestamp: 'TIMESTAMPTZ',
};

function duckdbType(type: string): string {
  const dec = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (dec) return `DECIMAL(${dec[1]},${dec[2]})`;
  const list = /^list<(.+)>$/.exec(type);
  if (list) return `${duckdbType(list[1] as string)}[]`;
  return DUCKDB_TYPES[type] ?? 'VARCHAR';
}

/**
 * The SELECT of a version's rows over local copies of its files: each layer's rows, less those
 * whose key a later layer's deletes file names (a version without delta layers: its files).
 */
export function layeredSelect(layers: VersionLayer[], pathOf: (f: FileRow) => string): string {
  const list = (files: FileRow[]) => files.map((f) => sqlString(pathOf(f))).join(', ');
  const selects = layers.map((l) => {
    const rows = `read_parquet([${list(l.files)}], hive_partitioning = false, union_by_name = true)`;
    if (l.maskedBy.length === 0) return `SELECT * FROM ${rows}`;
    return `SELECT r.* FROM ${rows} r ANTI JOIN read_parquet([${list(l.maskedBy)}]) d ON d.key = ${maskExpr(l.maskedBy[0] as FileRow)}`;
  });
  return selects.join(' UNION ALL BY NAME ');
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const MASK_COLUMN = /^(row_key\.)?([a-z_][a-z0-9_]*)$/;

/** The expression over a layer's rows (`r`) that a deletes file's `key` matches. */
function maskExpr(deletes: FileRow): string {
  const m = MASK_COLUMN.exec(deletes.mask_column ?? '');
  if (!m) throw new QueryError(`deletes file ${deletes.bucket}/${deletes.path} names no valid mask column (${deletes.mask_column})`);
  const column = m[2] as string;
  // A quarantine row's key is the JSON object of the staged key values (`{"id": 7}` or `{"id": "7"}`).
  return m[1] ? `TRY_CAST(json_extract_string(r.row_key, '$.${column}') AS BIGINT)` : `r."${column}"`;
}

/** `NULL::INTEGER AS a, ...` for a version with no files, so its view still has its columns. */
async function contractColumns(catalog: Catalog, dataset: string, hash: string): Promise<string | undefined> {
  const row = await catalog.db.selectFrom('contracts').select('contract').where('dataset_id', '=', dataset).where('hash', '=', hash).executeTakeFirst();
  const fields = dataset.endsWith('_quarantine') ? QUARANTINE_COLUMNS : (row?.contract as { fields?: Array<{ name: string; type: string }> } | undefined)?.fields;
  if (!fields || fields.length === 0) return undefined;
  return fields.map((f) => `NULL::${duckdbType(f.type)} AS "${f.name.replaceAll('"', '""')}"`).join(', ');
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
