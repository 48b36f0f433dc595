import { z } from 'zod';

/**
 * MinIO's bucket notification as its webhook target POSTs it: `EventName`, `Key`
 * (`bucket/object`) and S3-style `Records`. Object keys in records are URL-encoded (`+` is a space).
 */
export const minioEvent = z.object({
  EventName: z.string().optional(),
  Key: z.string().optional(),
  Records: z
    .array(
      z.object({
        eventName: z.string(),
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({ key: z.string(), eTag: z.string().optional(), size: z.number().int().nonnegative().optional() }),
        }),
      }),
    )
    .default([]),
});
export type MinioEvent = z.infer<typeof minioEvent>;

/** A new object a notification announces. */
export interface CreatedObject {
  bucket: string;
  path: string;
  etag?: string;
  size?: number;
}

/** The created objects of an event (other event kinds, e.g. removals, are none). */
export function createdObjects(event: MinioEvent): CreatedObject[] {
  return event.Records.filter((r) => r.eventName.startsWith('s3:ObjectCreated:')).map((r) => {
    const o = r.s3.object;
    const out: CreatedObject = { bucket: r.s3.bucket.name, path: decodeURIComponent(o.key.replaceAll('+', ' ')) };
    if (o.eTag) out.etag = o.eTag.replaceAll('"', '');
    if (o.size !== undefined) out.size = o.size;
    return out;
  });
}
