import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { Logger } from '@lake/logging';
import { type CreatedObject, createdObjects, minioEvent } from './minio-event.js';
import type { Outcome } from './processor.js';

/** Largest notification body accepted; MinIO sends one record per event. */
const MAX_BODY = 1 << 20;

export interface EventServerOptions {
  handle: (objects: CreatedObject[], via: 'event') => Promise<Outcome[]>;
  token?: string;
  log: Logger;
  /** Says whether the dependencies (Redis, store) are reachable, for /readyz. */
  ready: () => Promise<boolean>;
}

async function body(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error(`body larger than ${MAX_BODY} bytes`), { status: 413 });
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Compares the Authorization header with `Bearer <token>` in constant time (digests of equal length). */
function authorized(header: string | undefined, token: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}

/**
 * The webhook: `POST /events` takes MinIO's notification JSON and answers 200 with what each
 * record became (triggered, or ignored and why), 400 for a body that is not an event, 401 without
 * the token, 503 when triggering failed (MinIO then retries). `/healthz` and `/readyz` for probes.
 */
export function createEventServer(opts: EventServerOptions): Server {
  return createServer((req, res) => {
    const send = (status: number, doc: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc));
    };
    void (async () => {
      if (req.method === 'GET' && req.url === '/healthz') return send(200, { ok: true });
      if (req.method === 'GET' && req.url === '/readyz') return (await opts.ready()) ? send(200, { ready: true }) : send(503, { ready: false });
      if (req.method !== 'POST' || !req.url?.startsWith('/events')) return send(404, { error: 'POST /events, GET /healthz, GET /readyz' });
      if (opts.token && !authorized(req.headers.authorization, opts.token)) return send(401, { error: 'missing or wrong bearer token' });
      let doc: unknown;
      try {
        doc = JSON.parse(await body(req));
      } catch (err) {
        const status = (err as { status?: number }).status ?? 400;
        return send(status, { error: status === 400 ? `body is not JSON: ${(err as Error).message}` : (err as Error).message });
      }
      const parsed = minioEvent.safeParse(doc);
      if (!parsed.success) return send(400, { error: `not a MinIO bucket notification: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
      try {
        return send(200, { results: await opts.handle(createdObjects(parsed.data), 'event') });
      } catch (err) {
        opts.log.error({ err: (err as Error).message }, 'event not handled');
        return send(503, { error: (err as Error).message });
      }
    })().catch((err: Error) => {
      opts.log.error({ err: err.message }, 'request failed');
      if (!res.headersSent) send(500, { error: err.message });
    });
  });
}
