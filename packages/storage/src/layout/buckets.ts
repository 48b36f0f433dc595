import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';

/** The four storage tiers; each lives in its own bucket. */
export const TIERS = ['raw', 'normalized', 'curated', 'metadata'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Bucket name per tier. Apps read them from `MINIO_BUCKET_RAW`, `MINIO_BUCKET_NORMALIZED`,
 * `MINIO_BUCKET_CURATED`, `MINIO_BUCKET_METADATA` in their `env.ts`; this package never reads
 * the environment.
 */
export type Buckets = Readonly<Record<Tier, string>>;

/** BijMantra's bucket names. */
export const DEFAULT_BUCKETS: Buckets = Object.freeze({
  raw: 'bijmantra-raw',
  normalized: 'bijmantra-normalized',
  curated: 'bijmantra-curated',
  metadata: 'bijmantra-metadata',
});

// S3 bucket naming rules (no dots: they break path-style TLS and mean nothing here).
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Checks names and that no two tiers share a bucket; returns a frozen copy. */
export function validateBuckets(buckets: Buckets): Buckets {
  for (const tier of TIERS) {
    const name = buckets[tier];
    if (typeof name !== 'string' || !BUCKET_NAME.test(name)) {
      throw new InvalidObjectKeyError(`Invalid ${tier} bucket name "${String(name)}": must match ${BUCKET_NAME}`);
    }
  }
  if (new Set(TIERS.map((t) => buckets[t])).size !== TIERS.length) {
    throw new InvalidObjectKeyError(`Tiers must use distinct buckets, got ${JSON.stringify(buckets)}`);
  }
  return Object.freeze({ raw: buckets.raw, normalized: buckets.normalized, curated: buckets.curated, metadata: buckets.metadata });
}

/** The tier a bucket belongs to, or undefined for a foreign bucket. */
export function tierOfBucket(buckets: Buckets, bucket: string): Tier | undefined {
  return TIERS.find((t) => buckets[t] === bucket);
}
