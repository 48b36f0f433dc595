import { PermanentError } from '@lake/contracts';
import type { ClientBase } from 'pg';
import { type ColumnDescriptor, PG_TYPE_BY_OID } from './pg-type.js';
import { stripTrailingSemicolons } from './copy-out.js';

/**
 * Returns the output columns of `sql` as decoder descriptors, without reading any rows.
 *
 * The query is wrapped as a subquery with `LIMIT 0`, so it may carry its own ORDER BY or LIMIT.
 * Throws naming the column and its type for a type the decoder does not read, and for duplicate
 * column names (a `ColumnBatch` is keyed by name).
 */
export async function describeQuery(client: ClientBase, sql: string): Promise<ColumnDescriptor[]> {
  const result = await client.query({ text: `SELECT * FROM (${stripTrailingSemicolons(sql)}\n) AS q LIMIT 0` });
  const columns: ColumnDescriptor[] = [];
  const seen = new Set<string>();
  for (const field of result.fields) {
    if (seen.has(field.name)) {
      throw new PermanentError(`query returns column "${field.name}" twice; give each output column a distinct alias`);
    }
    seen.add(field.name);
    const pgType = PG_TYPE_BY_OID.get(field.dataTypeID);
    if (pgType === undefined) {
      const typeName = await formatType(client, field.dataTypeID);
      throw new PermanentError(
        `column "${field.name}" has type ${typeName} (OID ${field.dataTypeID}), which the binary COPY decoder ` +
          `does not read; cast it in SQL, e.g. "${field.name}"::text, or to one of ${[...new Set(PG_TYPE_BY_OID.values())].join(', ')}`,
      );
    }
    columns.push({ name: field.name, pgType });
  }
  return columns;
}

async function formatType(client: ClientBase, oid: number): Promise<string> {
  try {
    const r = await client.query<{ t: string | null }>('SELECT format_type($1::oid, NULL) AS t', [oid]);
    return r.rows[0]?.t ?? 'unknown';
  } catch {
    // Inside a failed transaction the lookup itself errors; the OID is still in the message.
    return 'unknown';
  }
}
