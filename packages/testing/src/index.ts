export { uniqueName } from './unique-name.js';
export { createTestDatabase, pgAdminUrl, type TestDatabase } from './postgres.js';
export { redisConnectionOptions, type RedisConnectionOptions } from './redis.js';
export {
  LAKE_TEST_BUCKETS,
  S3RVER_ACCESS_KEY,
  S3RVER_SECRET_KEY,
  testS3Env,
  type TestS3Env,
} from './s3-env.js';
export { describePackageDependencies } from './package-dependencies.js';
