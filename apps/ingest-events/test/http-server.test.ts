import type { AddressInfo } from 'node:net';
import { createLogger } from '@lake/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventServer } from '../src/http-server.js';
import type { CreatedObject } from '../src/minio-event.js';

const event = (key: string) => ({
  EventName: 's3:ObjectCreated:Put',
  Key: `bijmantra-raw/${key}`,
  Records: [{ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'bijmantra-raw' }, object: { key, size: 10, eTag: 'abc' } } }],
});

/** The webhook's HTTP contract: bearer token, body checks, status codes. The handler stands in for the trigger path, which ingest-events.pg.test.ts runs for real. */
describe('ingest-events webhook', () => {
  const seen: CreatedObject[][] = [];
  let failNext = false;
  const server = createEventServer({
    token: 's3cret-token',
    log: createLogger('ingest-events-test', 'silent'),
    ready: async () => true,
    handle: async (objects) => {
      if (failNext) {
        failNext = false;
        throw new Error('redis unreachable');
      }
      seen.push(objects);
      return [];
    },
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const post = (body: string, auth?: string) => fetch(`${url}/events`, { method: 'POST', body, headers: auth === undefined ? {} : { authorization: auth } });

  it('refuses a notification without the bearer token, or with another one, before reading it', async () => {
    for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret-token-and-more', 's3cret-token', 'bearer s3cret-token']) {
      const res = await post(JSON.stringify(event('phenotype/x/a.csv')), auth);
      expect(res.status, String(auth)).toBe(401);
      expect(await res.json()).toEqual({ error: 'missing or wrong bearer token' });
    }
    expect(seen).toEqual([]);
  });

  it('takes MinIO\'s event with the token and hands over the created object', async () => {
    const res = await post(JSON.stringify(event('phenotype/x/a%20b.csv')), 'Bearer s3cret-token');
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toEqual([expect.objectContaining({ bucket: 'bijmantra-raw', path: 'phenotype/x/a b.csv', etag: 'abc', size: 10 })]);
  });

  it('answers 400 for a body that is not JSON or not an event, 413 for a huge one, 503 when triggering fails, 404 elsewhere', async () => {
    const auth = 'Bearer s3cret-token';
    expect((await post('{"EventName": ', auth)).status).toBe(400);
    const notEvent = await post('{"Records": 5}', auth);
    expect(notEvent.status).toBe(400);
    expect(((await notEvent.json()) as { error: string }).error).toMatch(/^not a MinIO bucket notification/);
    expect((await post('x'.repeat((1 << 20) + 1), auth)).status).toBe(413);
    failNext = true;
    const failed = await post(JSON.stringify(event('phenotype/x/c.csv')), auth);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: 'redis unreachable' });
    expect((await fetch(`${url}/other`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
