/** Bucket names the lake uses, pre-created in the test S3 server. */
export const LAKE_TEST_BUCKETS = [
  'bijmantra-raw',
  'bijmantra-normalized',
  'bijmantra-curated',
  'bijmantra-metadata',
] as const;

/** s3rver's fixed credentials. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

export interface TestS3Env {
  /** host:port, no scheme. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  useSSL: boolean;
}

/**
 * The S3 server the global setup started, read from the `MINIO_*` variables it sets.
 * Throws when they are missing, which means the vitest config does not use
 * `defineLakeTestConfig()` (or `@lake/testing/global-setup`).
 */
export function testS3Env(): TestS3Env {
  const endpoint = process.env.MINIO_ENDPOINT;
  if (!endpoint) {
    throw new Error('MINIO_ENDPOINT is not set: use defineLakeTestConfig() from @lake/testing/vitest-config');
  }
  return {
    endpoint,
    accessKey: process.env.MINIO_ROOT_USER ?? S3RVER_ACCESS_KEY,
    secretKey: process.env.MINIO_ROOT_PASSWORD ?? S3RVER_SECRET_KEY,
    useSSL: process.env.MINIO_USE_SSL === 'true',
  };
}
