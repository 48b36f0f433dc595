import type { Buckets } from '../layout/buckets.js';

export interface S3ObjectStoreConfig {
  kind: 's3';
  /** `host:port` without scheme, e.g. `minio:9000`. Port defaults to 443/80 by `useSSL`. */
  endpoint: string;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  /**
   * Set so the client signs locally instead of asking the server for each bucket's location.
   * @defaultValue 'us-east-1'
   */
  region?: string;
  buckets: Buckets;
  /**
   * Objects up to this size are sent in one PUT; larger ones use multipart upload (MinIO and
   * S3 support it; s3rver, the test server, does not). minio's own minimum is 5 MiB.
   * @defaultValue 64 MiB
   */
  partSize?: number;
  /** Directory where streams of unknown length are spooled before upload. @defaultValue os.tmpdir() */
  spoolDir?: string;
}
