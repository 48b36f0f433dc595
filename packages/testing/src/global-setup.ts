import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { LAKE_TEST_BUCKETS, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY } from './s3-env.js';

/**
 * Vitest global setup: starts one filesystem-backed S3 server (s3rver) per vitest run.
 *
 * Global setup runs in the main vitest process. Test workers (`pool: 'forks'`) are spawned
 * after it returns and inherit `process.env`, so the `MINIO_*` variables set here reach every
 * test file (checked by `src/global-setup.test.ts`).
 *
 * When `MINIO_ENDPOINT` is already set (a real MinIO, e.g. in CI or docker-compose), no server
 * is started and the existing variables are left untouched.
 */
interface KoaContextLike {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Fixes two s3rver 3.7.1 bugs that real S3 and MinIO do not have (found by the storage
 * contract suite). Both patches touch only the fake server in this process.
 *
 * 1. It decodes `x-amz-copy-source` with `decodeURI`, which leaves reserved characters encoded:
 *    the minio client sends `device%3Dd0`, s3rver looks up a key literally named `device%3Dd0`,
 *    so every CopyObject from a Hive-partitioned key (`col=value`) fails with NoSuchKey.
 *    Re-encoding the header so that `decodeURI` yields the true key fixes it; the controller
 *    runs after signature checking, so the signature still covers the header as sent.
 * 2. DeleteObjects deletes its keys in parallel and each delete prunes empty parent
 *    directories, so two deletes race on `rmdir`/`readdir` and the request fails with 500
 *    (minio retries once, which usually but not always hides it). Deletes are serialized.
 */
function patchS3rver(): void {
  const require = createRequire(import.meta.url);
  const controller = require('s3rver/lib/controllers/object.js') as {
    putObjectCopy: (ctx: KoaContextLike) => Promise<void>;
    __lakePatched?: boolean;
  };
  if (controller.__lakePatched) return;
  controller.__lakePatched = true;

  const putObjectCopy = controller.putObjectCopy;
  controller.putObjectCopy = (ctx) => {
    const source = ctx.headers['x-amz-copy-source'];
    if (typeof source === 'string') ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
    return putObjectCopy(ctx);
  };

  const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as {
    prototype: { deleteObject: (this: unknown, bucket: string, key: string) => Promise<void> };
  };
  const deleteObject = FilesystemStore.prototype.deleteObject;
  let queue: Promise<unknown> = Promise.resolve();
  FilesystemStore.prototype.deleteObject = function (bucket, key) {
    const run = queue.then(() => deleteObject.call(this, bucket, key));
    queue = run.catch(() => {});
    return run;
  };
}

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.MINIO_ENDPOINT) return async () => {};

  patchS3rver();
  const directory = await mkdtemp(join(tmpdir(), 'lake-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    // LAKE_TEST_S3RVER_LOG=1 prints every request s3rver serves, to debug a failing S3 test.
    silent: process.env.LAKE_TEST_S3RVER_LOG !== '1',
    directory,
    configureBuckets: LAKE_TEST_BUCKETS.map((name) => ({ name })),
  });
  const address = await server.run();

  process.env.MINIO_ENDPOINT = `127.0.0.1:${address.port}`;
  process.env.MINIO_ROOT_USER = S3RVER_ACCESS_KEY;
  process.env.MINIO_ROOT_PASSWORD = S3RVER_SECRET_KEY;
  process.env.MINIO_USE_SSL = 'false';
  process.env.LAKE_TEST_S3_DIR = directory;

  return async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
    for (const name of ['MINIO_ENDPOINT', 'MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'MINIO_USE_SSL', 'LAKE_TEST_S3_DIR']) {
      delete process.env[name];
    }
  };
}
