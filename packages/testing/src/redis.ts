/** Options accepted by ioredis and BullMQ's `connection` for the shared test Redis. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  /** BullMQ workers require `null` (blocking commands must not time out). */
  maxRetriesPerRequest: null;
}

export function redisConnectionOptions(): RedisConnectionOptions {
  return {
    host: process.env.LAKE_TEST_REDIS_HOST ?? '127.0.0.1',
    port: Number(process.env.LAKE_TEST_REDIS_PORT ?? 6379),
    maxRetriesPerRequest: null,
  };
}
