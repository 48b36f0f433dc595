import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { ColumnBatch, LakeValue } from '@lake/contracts';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BinaryCopyDecoder,
  type ColumnDescriptor,
  CopyFormatError,
  copyOut,
  copyOutBinary,
  copyOutColumnBatches,
  copyOutRows,
  describeQuery,
} from '../src/pg-copy/index.js';
import { connectTestClient, resplit, TEST_DATABASE_URL, uniqueName } from './pg-copy-db.js';

let client: pg.Client;
let table: string;

const COLUMNS = `
  id int4 PRIMARY KEY, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, num numeric, b bool,
  txt text, vc varchar(40), bp char(5), nm name, d date, ts timestamp, tstz timestamptz,
  j json, jb jsonb, u uuid, a4 int4[], a8 int8[], at text[], af8 float8[]`;

// Edge values per type; row 4 is all NULL. Inputs are SQL literals so PostgreSQL parses them.
const ROWS = [
  `(1, -32768, -2147483648, -9223372036854775808, '-3.4028235e38', '-1.7976931348623157e308',
    -123456789012345678901234.5678, false, '', '', '', '', '1969-12-31', '1969-12-31 23:59:59.999999',
    '1900-01-01 00:00:00.000001+00', '{ "a" :  "x" }', '{}', '00000000-0000-0000-0000-000000000000',
    '{}', '{}', '{}', '{}')`,
  `(2, 32767, 2147483647, 9223372036854775807, 'Infinity', 'NaN', 0.0001, true,
    'héllo 😀 世界', 'emoji 👩‍👩‍👧 ok', 'ab', 'név', '2000-01-01', '2000-01-01 00:00:00.000001',
    '1999-12-31 23:59:59.999999+00', '{"ü": "😀", "n": [1, 2.50]}', '{"ü": "😀", "n": [1, 2.50]}',
    'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{1,NULL,-3}', '{9223372036854775807,NULL,-9007199254740993}',
    '{"a",NULL,"","NULL","with,comma","😀"}', '{1.5,NULL,-Infinity,NaN}')`,
  `(3, 0, 0, 9007199254740993, '1.1', '0.1', 1e-20, NULL, '\uFEFFbom', NULL, 'abcde', 'x', '0001-01-01',
    '1000-06-15 12:34:56.789012', '2038-01-19 03:14:08.5+05:30', '[]', '[1, "two", null, {"k": false}]',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', '{NULL}', '{0}', '{NULL,NULL}', '{-0}')`,
  `(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL)`,
  `(5, -1, -1, -1, '-0', '-0', 0, true, 'line1
line2	tab \\ backslash', 'x', NULL, NULL, '5874897-12-31', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', 'null',
    '"s"', NULL, '{2147483647,-2147483648}', '{}', '{" lead"}', '{1e-300,5e-324}')`,
  `(6, 1, 1, 1, '3.4028235e38', '1.7976931348623157e308', 12345678901234567890123456789012345678.90, false,
    'a', 'b', 'c', 'd', '1970-01-01', '2262-04-11 23:47:16.854775', '294000-01-01 00:00:00+00', '1', '1',
    '123e4567-e89b-12d3-a456-426614174000', '{5}', '{-1}', '{"x"}', '{0.5}')`,
  `(7, 2, 2, 2, '1e-45', '5e-324', 100.00, true, 'z', 'z', 'z', 'z', '1600-02-29', '0001-01-01 00:00:00',
    '4713-11-24 00:00:00+00 BC', '{"big": 123456789012345678901234567890}', '{"big": 123456789012345678901234567890}',
    '01234567-89ab-cdef-0123-456789abcdef', '{}', '{}', '{}', '{}')`,
  `(8, 3, 3, 3, '0', '0', -0.5, false, 'z', 'z', 'z', 'z', '2000-01-02', '2000-01-01 00:00:00', '2000-01-01 00:00:00+00',
    '{}', '{}', NULL, '{}', '{}', '{}', '{}')`,
  `(9, 4, 4, 4, '0', '0', 0.000, false, 'z', 'z', 'z', 'z', '1999-12-31', '1969-12-31 23:59:59', '1969-12-31 23:59:59.000001+00',
    '{}', '{}', NULL, '{}', '{}', '{}', '{}')`,
  `(10, 5, 5, 5, '0', '0', 10000, false, 'z', 'z', 'z', 'z', '1970-01-02', '1970-01-01 00:00:00.000001', '1970-01-01 00:00:00+00',
    '{}', '{}', NULL, '{}', '{}', '{}', '{}')`,
];

/** The same columns, each rendered as text by PostgreSQL: the oracle the decoder is checked against. */
function oracleSql(t: string): string {
  const arr = (c: string) =>
    `CASE WHEN ${c} IS NULL THEN NULL ELSE coalesce((SELECT array_agg(x::text ORDER BY o) FROM unnest(${c}) WITH ORDINALITY AS u(x, o)), '{}') END AS ${c}`;
  const micros = (c: string) => `(extract(epoch FROM ${c}) * 1000000)::numeric(40, 0)::text AS ${c}`;
  return `SELECT id::text, i2::text, i4::text, i8::text, f4::text, f8::text, num::text, b::text, txt::text,
      vc::text, bp, nm::text, (d - date '1970-01-01')::text AS d, ${micros('ts')}, ${micros('tstz')},
      j::text, jb::text, u::text, ${arr('a4')}, ${arr('a8')}, ${arr('at')}, ${arr('af8')}
    FROM ${t} ORDER BY ${t}.id`;
}

type Parse = (text: string) => LakeValue;
const num: Parse = (s) => Number(s);
const big: Parse = (s) => BigInt(s);
const str: Parse = (s) => s;
const PARSE: Record<string, Parse> = {
  id: num,
  i2: num,
  i4: num,
  i8: big,
  f4: (s) => Math.fround(Number(s)),
  f8: num,
  num: str,
  b: (s) => s === 'true',
  txt: str,
  vc: str,
  bp: str,
  nm: str,
  d: num,
  ts: big,
  tstz: big,
  j: str,
  jb: str,
  u: str,
};
const ELEMENT: Record<string, Parse> = { a4: num, a8: big, at: str, af8: num };

function oracleValue(column: string, value: unknown): LakeValue {
  if (value === null) return null;
  const element = ELEMENT[column];
  if (element) return (value as (string | null)[]).map((v) => (v === null ? null : element(v)));
  return (PARSE[column] as Parse)(value as string);
}

function merge(batches: ColumnBatch[]): Record<string, LakeValue[]> {
  const out: Record<string, LakeValue[]> = {};
  for (const batch of batches) {
    for (const [name, values] of Object.entries(batch.columns)) {
      expect(values.length).toBe(batch.rowCount);
      const merged = out[name] ?? [];
      merged.push(...values);
      out[name] = merged;
    }
  }
  return out;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function rawCopy(sql: string): Promise<Buffer> {
  return Buffer.concat(await collect(copyOutBinary(client, sql)));
}

function decodeAll(descriptors: ColumnDescriptor[], chunks: Iterable<Buffer>, batchSize?: number) {
  const decoder = new BinaryCopyDecoder(descriptors, batchSize === undefined ? {} : { batchRows: batchSize });
  const batches: ColumnBatch[] = [];
  for (const chunk of chunks) batches.push(...decoder.push(chunk));
  const last = decoder.finish();
  if (last) batches.push(last);
  return batches;
}

beforeAll(async () => {
  client = await connectTestClient();
  table = uniqueName('pgcopy_types');
  await client.query(`CREATE TABLE ${table} (${COLUMNS})`);
  await client.query(`INSERT INTO ${table} VALUES ${ROWS.join(',\n')}`);
});

afterAll(async () => {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
});

describe('binary COPY decoding against PostgreSQL text output', () => {
  it('describes every supported type', async () => {
    const descriptors = await describeQuery(client, `SELECT * FROM ${table} ORDER BY id;`);
    expect(descriptors.map((d) => d.pgType)).toEqual([
      'int4', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'bool', 'text', 'varchar', 'bpchar', 'name',
      'date', 'timestamp', 'timestamptz', 'json', 'jsonb', 'uuid', 'int4[]', 'int8[]', 'text[]', 'float8[]',
    ]);
  });

  it('decodes every type and edge value as PostgreSQL renders it', async () => {
    const sql = `SELECT * FROM ${table} ORDER BY id`;
    const batches = await collect(copyOutColumnBatches(client, sql, { batchRows: 3 }));
    expect(batches.map((b) => b.rowCount)).toEqual([3, 3, 3, 1]);
    const decoded = merge(batches);

    const oracle = await client.query(oracleSql(table));
    expect(oracle.rows.length).toBe(ROWS.length);
    for (const field of oracle.fields) {
      const expected = oracle.rows.map((r) => oracleValue(field.name, r[field.name]));
      expect({ column: field.name, values: decoded[field.name] }).toEqual({ column: field.name, values: expected });
    }
  });

  it('spot-checks representations the oracle could blur', async () => {
    const decoded = merge(await collect(copyOutColumnBatches(client, `SELECT * FROM ${table} ORDER BY id`)));
    expect(decoded.i8?.[0]).toBe(-9223372036854775808n);
    expect(decoded.num?.slice(0, 3)).toEqual(['-123456789012345678901234.5678', '0.0001', '0.00000000000000000001']);
    expect(decoded.num?.slice(5)).toEqual(['12345678901234567890123456789012345678.90', '100.00', '-0.5', '0.000', '10000']);
    expect(decoded.txt?.[2]).toBe('\uFEFFbom');
    expect(decoded.txt?.[0]).toBe('');
    expect(decoded.vc?.[2]).toBeNull();
    expect(decoded.bp?.[1]).toBe('ab   '); // char(n) keeps its padding, as PostgreSQL sends it
    expect(decoded.d?.[0]).toBe(-1);
    expect(decoded.ts?.[0]).toBe(-1n);
    expect(decoded.ts?.[1]).toBe(946_684_800_000_001n);
    expect(decoded.tstz?.[1]).toBe(946_684_799_999_999n);
    expect(decoded.j?.[0]).toBe('{ "a" :  "x" }');
    expect(decoded.jb?.[1]).toBe('{"n": [1, 2.50], "ü": "😀"}');
    expect(decoded.u?.[1]).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(decoded.a8?.[1]).toEqual([9223372036854775807n, null, -9007199254740993n]);
    expect(Object.is(decoded.f8?.[4], -0)).toBe(true);
    expect(decoded.af8?.[1]).toEqual([1.5, null, -Infinity, Number.NaN]);
  });

  it('decodes the same stream cut into 1-7 byte chunks identically', async () => {
    const sql = `SELECT * FROM ${table} ORDER BY id`;
    const descriptors = await describeQuery(client, sql);
    const bytes = await rawCopy(sql);
    const whole = merge(decodeAll(descriptors, [bytes]));
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const batchSize of [1, 4, 65_536]) {
        const chunks = resplit(bytes, 7, seed);
        expect(merge(decodeAll(descriptors, chunks, batchSize))).toEqual(whole);
      }
    }
    // every single split point, in two chunks
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(merge(decodeAll(descriptors, [bytes.subarray(0, cut), bytes.subarray(cut)], 2))).toEqual(whole);
    }
  });
});

describe('a large generate_series stream in real socket chunks', () => {
  it('decodes 250,000 rows exactly', async () => {
    const n = 250_000;
    const sql = `SELECT g::int4 AS id, g::int8 * 9007199254741 AS big, 'ü-' || g AS name,
        (g::numeric / 100)::numeric(12, 2) AS amount, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 3 = 0 END AS flag,
        date '1960-01-01' + g % 20000 AS day, timestamp '1969-12-31 23:59:59' + g * interval '1.000001 second' AS at,
        g::float8 / 7 AS ratio, md5(g::text)::uuid AS uid, ARRAY[g, NULL, -g]::int4[] AS arr,
        jsonb_build_object('g', g) AS doc
      FROM generate_series(1, ${n}) AS g ORDER BY g`;
    const descriptors = await describeQuery(client, sql);
    const decoder = new BinaryCopyDecoder(descriptors);
    let chunks = 0;
    async function* counted() {
      for await (const chunk of copyOutBinary(client, sql)) {
        chunks++;
        yield chunk;
      }
    }
    const batches = await collect(decoder.decode(counted()));
    expect(chunks).toBeGreaterThan(10);
    expect(batches.map((b) => b.rowCount)).toEqual([65_536, 65_536, 65_536, n - 3 * 65_536]);
    const c = merge(batches);
    for (let i = 0; i < n; i++) {
      const g = i + 1;
      const uuid = createHash('md5').update(String(g)).digest('hex');
      const expected = [
        g,
        BigInt(g) * 9007199254741n,
        `ü-${g}`,
        `${Math.floor(g / 100)}.${String(g % 100).padStart(2, '0')}`,
        g % 10 === 0 ? null : g % 3 === 0,
        -3653 + (g % 20000),
        -1_000_000n + BigInt(g) * 1_000_001n,
        g / 7,
        `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20)}`,
        [g, null, -g],
        `{"g": ${g}}`,
      ];
      const actual = descriptors.map((d) => c[d.name]?.[i]);
      if (JSON.stringify(actual, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) !==
        JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))) {
        expect({ row: i, actual }).toEqual({ row: i, actual: expected });
      }
    }
  });
});

describe('COPY over a client in a transaction', () => {
  it('sees SET LOCAL settings, survives an early stop and a failed query', async () => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      await client.query(`SET LOCAL app.org_id = '42'`);
      const org = merge(
        await collect(copyOutColumnBatches(client, `SELECT current_setting('app.org_id') AS org, 7::int2 AS seven`)),
      );
      expect(org).toEqual({ org: ['42'], seven: [7] });

      // Stop after the first batch of a long stream: the client must still be usable afterwards.
      let seen = 0;
      for await (const batch of copyOutColumnBatches(client, 'SELECT g FROM generate_series(1, 2000000) g', {
        batchRows: 1000,
      })) {
        seen += batch.rowCount;
        break;
      }
      expect(seen).toBe(1000);
      const after = await client.query(`SELECT current_setting('app.org_id') AS org`);
      expect(after.rows).toEqual([{ org: '42' }]);
    } finally {
      await client.query('COMMIT');
    }

    await expect(collect(copyOutBinary(client, 'SELECT 1/0 AS boom'))).rejects.toThrow(/division by zero/);
    const ok = await client.query('SELECT 1 AS one');
    expect(ok.rows).toEqual([{ one: 1 }]);
  });
});

describe('PostgreSQL\'s row count', () => {
  it('is reported once the COPY completed, in both formats, and not for a stopped stream', async () => {
    for (const format of ['csv', 'binary'] as const) {
      const counts: number[] = [];
      let bytes = 0;
      for await (const chunk of copyOut(client, 'SELECT g, repeat(\'x\', g % 50) AS pad FROM generate_series(1, 123457) g', { format, onRowCount: (n) => counts.push(n) })) {
        bytes += chunk.length;
      }
      expect(bytes).toBeGreaterThan(123_457);
      expect(counts).toEqual([123_457]);

      const stopped: number[] = [];
      for await (const _ of copyOut(client, 'SELECT g FROM generate_series(1, 500000) g', { format, onRowCount: (n) => stopped.push(n) })) break;
      expect(stopped).toEqual([]);
      const empty: number[] = [];
      for await (const _ of copyOut(client, 'SELECT 1 WHERE false', { format, onRowCount: (n) => empty.push(n) })) {
      }
      expect(empty).toEqual([0]);
    }
  });
});

describe('copyOutRows', () => {
  it('gives PostgreSQL\'s COPY bytes in blocks of whole rows, ending after every `splitEvery` rows', async () => {
    // Rows of 0 to ~3.5 KB whose quoted fields hold quotes, commas and newlines: messages and their
    // headers fall across the socket's chunks.
    const n = 20_000;
    const sql = `SELECT g, repeat('x", ' || chr(10), g % 700) AS pad, CASE WHEN g % 3 = 0 THEN NULL ELSE '"' || g || '"' END AS q FROM generate_series(1, ${n}) g`;
    const row = (g: number) => `${g},"${'x"", \n'.repeat(g % 700)}",${g % 3 === 0 ? '' : `"""${g}"""`}\n`;
    const rows = Array.from({ length: n }, (_, i) => row(i + 1));
    // PostgreSQL's own COPY (psql): the same text.
    const fromPsql = execFileSync('psql', [TEST_DATABASE_URL, '-X', '-q', '-c', `COPY (${sql}) TO STDOUT (FORMAT csv)`], { maxBuffer: 1 << 30 });
    expect(fromPsql.toString()).toBe(rows.join(''));
    for (const splitEvery of [1, 37, 4096, 0]) {
      const parts: Buffer[][] = [[]];
      let inPart = 0;
      let blocks = 0;
      const sent: number[] = [];
      for await (const block of copyOutRows(client, sql, { format: 'csv', splitEvery, onRowCount: (c) => sent.push(c) })) {
        (parts.at(-1) as Buffer[]).push(block.bytes);
        inPart += block.rows;
        blocks++;
        if (splitEvery > 0 && inPart === splitEvery) {
          parts.push([]);
          inPart = 0;
        }
        // A block never runs past a split.
        if (splitEvery > 0) expect(inPart).toBeLessThan(splitEvery);
      }
      expect(sent).toEqual([n]);
      expect(Buffer.concat(parts.flat()).equals(fromPsql)).toBe(true);
      if (splitEvery === 0) {
        expect(blocks).toBeGreaterThan(1);
        continue;
      }
      // Each part holds exactly its rows.
      const expected: string[] = [];
      for (let i = 0; i < n; i += splitEvery) expected.push(rows.slice(i, i + splitEvery).join(''));
      if (n % splitEvery === 0) expected.push('');
      expect(parts.map((p) => Buffer.concat(p).toString())).toEqual(expected);
    }
    // The connection is intact after a stream stopped early.
    for await (const _ of copyOutRows(client, sql, { format: 'csv', splitEvery: 10 })) break;
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('rejects with PostgreSQL\'s error and leaves the connection usable', async () => {
    const failing = 'SELECT CASE WHEN g < 50000 THEN g ELSE 1 / (g - g) END AS g FROM generate_series(1, 60000) g';
    let rows = 0;
    await expect(
      (async () => {
        for await (const block of copyOutRows(client, failing, { format: 'csv', splitEvery: 1000 })) rows += block.rows;
      })(),
    ).rejects.toThrow(/division by zero/);
    expect(rows).toBeLessThan(60_000);
    expect((await client.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });
});

describe('errors name the column and row', () => {
  async function decodeSql(sql: string) {
    return collect(copyOutColumnBatches(client, sql));
  }

  it('rejects values the lake cannot represent', async () => {
    await expect(decodeSql(`SELECT x AS amount FROM (VALUES (1.5::numeric), ('NaN')) v(x)`)).rejects.toThrow(
      /column "amount" \(numeric\), row index 1: numeric NaN/,
    );
    await expect(decodeSql(`SELECT 'Infinity'::numeric AS amount`)).rejects.toThrow(/numeric Infinity/);
    await expect(decodeSql(`SELECT x AS day FROM (VALUES (date '2020-01-01'), ('-infinity')) v(x)`)).rejects.toThrow(
      /column "day" \(date\), row index 1: date -infinity/,
    );
    await expect(decodeSql(`SELECT 'infinity'::timestamptz AS at`)).rejects.toThrow(/column "at" \(timestamptz\), row index 0: timestamp infinity/);
    await expect(decodeSql(`SELECT '294276-12-31 23:59:59'::timestamp AS at`)).rejects.toThrow(/overflows int64/);
    await expect(decodeSql(`SELECT '{{1,2},{3,4}}'::int4[] AS grid`)).rejects.toThrow(
      /column "grid" \(int4\[\]\), row index 0: 2-dimensional array/,
    );
  });

  it('describeQuery names unsupported types and suggests a cast', async () => {
    await expect(describeQuery(client, `SELECT 1 AS ok, interval '1 day' AS span`)).rejects.toThrow(
      /column "span" has type interval \(OID 1186\).*cast it in SQL/,
    );
    await expect(describeQuery(client, 'SELECT 1 AS a, 2 AS a')).rejects.toThrow(/column "a" twice/);
  });

  it('reports truncated, mismatched and trailing data in a real stream', async () => {
    const sql = `SELECT * FROM ${table} ORDER BY id`;
    const descriptors = await describeQuery(client, sql);
    const bytes = await rawCopy(sql);

    expect(() => decodeAll(descriptors, [bytes.subarray(0, bytes.length - 2)])).toThrow(
      /ended after row index 9 without the trailer/,
    );
    expect(() => decodeAll(descriptors, [bytes.subarray(0, bytes.length - 12)])).toThrow(
      /ended inside row index 9, in column "af8"/,
    );
    expect(() => decodeAll(descriptors, [bytes.subarray(0, 30)])).toThrow(/ended inside row index 0, in column "i2"/);
    expect(() => decodeAll(descriptors, [bytes.subarray(0, 10)])).toThrow(/inside the header/);
    expect(() => decodeAll(descriptors, [bytes, Buffer.from([0, 0])])).toThrow(/2 bytes of data after the binary COPY trailer/);
    expect(() => decodeAll(descriptors.slice(1), [bytes])).toThrow(/row index 0 has 22 fields, but 21 columns/);
    const wrong = descriptors.map((d) => (d.name === 'i4' ? { ...d, pgType: 'int8' as const } : d));
    expect(() => decodeAll(wrong, [bytes])).toThrow(/column "i4" \(int8\), row index 0: field length 4 bytes, expected 8/);
    const bad = Buffer.from(bytes);
    bad[5] = 0x58;
    expect(() => decodeAll(descriptors, [bad])).toThrow(CopyFormatError);
    expect(() => decodeAll(descriptors, [bad])).toThrow(/not a binary COPY stream: signature bytes 5047434f5058/);
  });
});
