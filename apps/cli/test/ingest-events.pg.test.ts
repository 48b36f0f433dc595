import { type ObjectStore, type StorageLayout, createObjectStore, createStorageLayout } from '@lake/storage';
import { listRuns } from '@lake/catalog';
import { testS3Env } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeHarness } from './lake-harness.js';

/** MinIO's webhook body for one new object, as its notification target sends it. */
function minioPut(bucket: string, key: string, etag: string, size: number) {
  return {
    EventName: 's3:ObjectCreated:Put',
    Key: `${bucket}/${key}`,
    Records: [
      {
        eventVersion: '2.0',
        eventSource: 'minio:s3',
        awsRegion: '',
        eventTime: new Date().toISOString(),
        eventName: 's3:ObjectCreated:Put',
        userIdentity: { principalId: 'minioadmin' },
        requestParameters: { principalId: 'minioadmin', region: '', sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': '17A1', 'x-minio-deployment-id': 'd', 'x-minio-origin-endpoint': 'http://127.0.0.1:9000' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'Config',
          bucket: { name: bucket, ownerIdentity: { principalId: 'minioadmin' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replaceAll('%2F', '/'), size, eTag: etag, contentType: 'text/csv', userMetadata: { 'content-type': 'text/csv' }, sequencer: '17A1' },
        },
        source: { host: '127.0.0.1', port: '', userAgent: 'MinIO (linux; amd64) minio-go/v7' },
      },
    ],
  };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('ingest-events: MinIO notifications and polling start ingestion (PostgreSQL, Redis, S3)', () => {
  let lake: LakeHarness;
  let url: string;
  let store: ObjectStore;
  let layout: StorageLayout;
  beforeAll(async () => {
    lake = await LakeHarness.create({ rows: 200, orgs: 1 });
    store = createObjectStore({ kind: 's3', ...testS3Env(), buckets: lake.buckets });
    layout = createStorageLayout(lake.buckets);
    // This lake's own buckets: the poller sees only this file's drops.
    await store.ensureBuckets();
    lake.startAll();
    url = await lake.startIngestEvents({ LAKE_INGEST_POLL_MS: '0' });
  });
  afterAll(async () => {
    await lake?.destroy();
  });

  const csv = (days: number, from = 1) =>
    new TextEncoder().encode(`date,Tmean[°C]\n${Array.from({ length: days }, (_, i) => `2025-01-${String(from + i).padStart(2, '0')},${(i % 7) + 0.5}`).join('\n')}\n`);

  it('a created object in raw/<domain>/<dataset>/ is ingested once, however often it is announced', async () => {
    const key = layout.rawKey('climate', 'daily_weather_files', 'station_1', 'jan 2025.csv'.replace(' ', '_'));
    const put = await store.put(key, csv(10));
    const event = minioPut(key.bucket, key.path, put.etag, put.size);
    const post = () => fetch(`${url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    const first = await post();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ results: [{ object: `${key.bucket}/${key.path}`, status: 'triggered', dataset: 'climate.daily_weather_files' }] });
    const runs = await waitFor('a committed run', async () => {
      const r = await listRuns(lake.catalog, { dataset: 'climate.daily_weather_files' });
      return r.some((x) => x.status === 'committed') ? r : undefined;
    });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.trigger_kind).toBe('event');
    // The same notification again (MinIO retries): no second run, no second version.
    expect((await post()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3000));
    expect(await listRuns(lake.catalog, { dataset: 'climate.daily_weather_files' })).toHaveLength(1);
    const res = await lake.cli(['query', 'SELECT count(*)::INT AS n FROM climate.daily_weather_files', '--format', 'json']);
    expect(JSON.parse(res.stdout)).toEqual([{ n: 10 }]);
  });

  it('ignores other buckets, removals, staging and unknown datasets, and refuses non-events', async () => {
    const ignored = await fetch(`${url}/events`, {
      method: 'POST',
      body: JSON.stringify({
        Records: [
          { eventName: 's3:ObjectRemoved:Delete', s3: { bucket: { name: lake.buckets.raw }, object: { key: 'climate/daily_weather_files/x/a.csv' } } },
          { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'bijmantra-normalized' }, object: { key: 'climate/x/v1/a.parquet' } } },
          { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: lake.buckets.raw }, object: { key: 'climate/_staging/run-1/x/a.parquet' } } },
          { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: lake.buckets.raw }, object: { key: 'soil/no_such_dataset/a.csv' } } },
          { eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: lake.buckets.raw }, object: { key: 'climate/daily_weather_files/x/notes.pdf' } } },
        ],
      }),
    });
    const body = (await ignored.json()) as { results: Array<{ status: string; reason: string }> };
    expect(body.results.map((r) => r.status)).toEqual(['ignored', 'ignored', 'ignored', 'ignored']);
    expect(body.results.map((r) => r.reason)).toEqual([
      `not in the raw bucket ${lake.buckets.raw}`,
      'extract staging, not a received file',
      'no file dataset soil.no_such_dataset',
      'climate.daily_weather_files accepts .csv, .tsv, .txt, not ".pdf"',
    ]);
    const bad = await fetch(`${url}/events`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('polling finds files dropped without a notification', async () => {
    await lake.stopAll();
    lake.startAll();
    url = await lake.startIngestEvents({ LAKE_INGEST_POLL_MS: '500' });
    const key = layout.rawKey('climate', 'daily_weather_files', 'station_2', 'feb.csv');
    await store.put(key, csv(5, 11));
    await waitFor('the polled file committed', async () => {
      const r = await listRuns(lake.catalog, { dataset: 'climate.daily_weather_files' });
      return r.filter((x) => x.status === 'committed').length === 2 ? r : undefined;
    });
    // The first file, offered again by the poll after the restart, joined its old run.
    expect((await listRuns(lake.catalog, { dataset: 'climate.daily_weather_files' })).length).toBe(2);
    const res = await lake.cli(['query', 'SELECT count(*)::INT AS n FROM climate.daily_weather_files', '--format', 'json']);
    expect(JSON.parse(res.stdout)).toEqual([{ n: 15 }]);
  });
});
