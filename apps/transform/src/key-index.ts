import { rm } from 'node:fs/promises';
import type { DataFile } from '@lake/contracts';
import { duckdbParquetFormat, duckdbIdentifier as ident, duckdbLiteral as lit, NativeSession } from '@lake/parquet';
import type { ObjectKey, ObjectStore } from '@lake/storage';
import type { RejectedRow } from './row-validator.js';

/**
 * The key index of a version layer (contracts with `incremental: rows`): every key the layer's
 * staged rows hold (`key` BIGINT) and whether the row went to quarantine (`q`). A delta run
 * compares the source's keys with the index of the version it builds on (less the keys later
 * layers superseded) to find deleted and replaced rows without reading the version's rows.
 * Collected as the transform goes: each staged file's key column is copied to a local part,
 * quarantined keys are kept (they are few), and the index is one ZSTD Parquet file at the end.
 */
export class KeyIndex {
  private readonly parts: string[] = [];
  private readonly quarantinedKeys: string[] = [];
  private readonly table = NativeSession.tableName('quarantined_keys');

  constructor(private readonly opts: { session: NativeSession; tmpPrefix: string; key: string }) {}

  /** Notes the keys of rows sent to quarantine. */
  quarantined(rows: RejectedRow[]): void {
    for (const r of rows) {
      const v = r.staged[this.opts.key];
      if (v !== null && v !== undefined) this.quarantinedKeys.push(String(v));
    }
  }

  /** Copies the key column of a staged file (local Parquet) that was transformed. */
  async addStaged(local: string): Promise<void> {
    const part = `${this.opts.tmpPrefix}-${this.parts.length}.parquet`;
    this.parts.push(part);
    await this.opts.session.run(`COPY (SELECT CAST(${ident(this.opts.key)} AS BIGINT) AS key FROM read_parquet(${lit(local)})) TO ${lit(part)} (FORMAT parquet, COMPRESSION uncompressed)`);
  }

  /** Writes the index and uploads it to `key`. */
  async publish(store: ObjectStore, key: ObjectKey): Promise<DataFile> {
    const out = `${this.opts.tmpPrefix}.parquet`;
    await this.opts.session.textTable(this.table, this.quarantinedKeys);
    const keys = this.parts.length ? `SELECT key FROM read_parquet([${this.parts.map(lit).join(', ')}])` : 'SELECT NULL::BIGINT AS key WHERE false';
    const quarantined = `SELECT DISTINCT CAST(v AS BIGINT) AS k FROM ${ident(this.table)}`;
    return this.upload(store, key, out, `SELECT s.key, q.k IS NOT NULL AS q FROM (${keys}) s LEFT JOIN (${quarantined}) q ON q.k = s.key`);
  }

  /**
   * Writes the superseded keys (`key`, `q` Parquet) of loaded rows, or of quarantined ones, as a
   * deletes file; nothing when there are none.
   */
  async publishDeletes(store: ObjectStore, key: ObjectKey, superseded: string, quarantined: boolean): Promise<DataFile | undefined> {
    const query = `SELECT key FROM read_parquet(${lit(superseded)}) WHERE q = ${quarantined}`;
    const [counted] = await this.opts.session.rows(`SELECT count(*) AS n FROM (${query})`);
    if (Number(counted?.n ?? 0) === 0) return undefined;
    return this.upload(store, key, `${this.opts.tmpPrefix}-deletes.parquet`, `${query} ORDER BY key`);
  }

  private async upload(store: ObjectStore, key: ObjectKey, out: string, query: string): Promise<DataFile> {
    try {
      await this.opts.session.run(`COPY (${query}) TO ${lit(out)} (${duckdbParquetFormat('zstd')})`);
      const [counted] = await this.opts.session.rows(`SELECT count(*) AS n FROM read_parquet(${lit(out)})`);
      const put = await store.putFile(key, out);
      return { object: { bucket: key.bucket, path: key.path }, partition: [], rows: Number(counted?.n ?? 0), bytes: put.size, columnStats: {} };
    } finally {
      await rm(out, { force: true });
    }
  }

  /** Removes the local parts; closes the session when it is the index's own. */
  async close(ownSession: boolean): Promise<void> {
    for (const part of this.parts) await rm(part, { force: true });
    await this.opts.session.dropTable(this.table);
    if (ownSession) this.opts.session.close();
  }
}
