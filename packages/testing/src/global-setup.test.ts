import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { LAKE_TEST_BUCKETS, testS3Env } from './index.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('global setup [s3]', () => {
  it('exposes the s3 server to test workers through MINIO_* variables', () => {
    const env = testS3Env();
    expect(env.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(env.accessKey).toBe('S3RVER');
    expect(env.secretKey).toBe('S3RVER');
    expect(env.useSSL).toBe(false);
  });

  it('serves the lake buckets', async () => {
    // s3rver answers unsigned requests to ListBuckets; enough to see the buckets exist.
    const { status, body } = await get(`http://${testS3Env().endpoint}/`);
    expect(status).toBe(200);
    for (const bucket of LAKE_TEST_BUCKETS) expect(body).toContain(`<Name>${bucket}</Name>`);
  });
});
