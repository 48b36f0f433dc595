import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

export interface QueueConnectionConfig {
  host: string;
  port: number;
  password?: string;
  /**
   * Key prefix of every queue; separate prefixes are separate lakes on one Redis.
   * @defaultValue 'lake'
   */
  prefix?: string;
}

/** ioredis options BullMQ needs: workers block, so requests must not be retried by count. */
export function redisOptions(config: QueueConnectionConfig): ConnectionOptions & { host: string; port: number } {
  return {
    host: config.host,
    port: config.port,
    ...(config.password ? { password: config.password } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
  };
}

export function createRedis(config: QueueConnectionConfig): Redis {
  return new Redis({ ...redisOptions(config), lazyConnect: false });
}
