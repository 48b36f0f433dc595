import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ColumnSpec, type DatasetContract, type LakeValue, parseContract } from '@lake/contracts';
import { fileSource, NativeParquetWriter, NativeSession, readParquetBatches } from '@lake/parquet';
import { createObjectStore, createStorageLayout, DEFAULT_BUCKETS } from '@lake/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitByPartition } from '../src/partition-router.js';
import { PartitionedWriter } from '../src/partitioned-writer.js';
import { type RejectedRow, RowValidator } from '../src/row-validator.js';
import { SqlPlan, Unplannable } from '../src/sql-plan.js';

/** Text values that probe every rule the SQL mirrors: forms it accepts, forms it must leave alone. */
const TEXTS = [
  '12.5', '-3', '+4.25', '.5', '5.', '1e3', '1E-2', '1e400', '  7', '7 ', '1_000', '0x10', 'NaN', 'Infinity', '', ' ', 'abc', '12,5',
  '0.1000000000000000055511151231257827', '123456789012345678901234567890', '-0', '007', '2147483647', '2147483648', '-32768', '40000',
  '2024-03-01', '20240301', '2024-02-29', '2023-02-29', '2024-13-01', '0099-01-01', '2024-03-01 ', ' 2024-03-01',
  '2024-03-01T10:11:12', '2024-03-01 10:11:12.123456789', '2024-03-01T10:11Z', '2024-03-01T10:11:12-0500', '2024-03-01T10:11:12+05:30',
  '2024-03-01T10:11:12 UTC', '2024-03-01T10:11:12-05', '2024-03-01T25:00:00', '2024-03-01T10:60:00', '2024-03-01T10:11:12+19:00',
  '2024-03-01T10:11:12,5z', '1969-12-31T23:59:59.999999Z', '9999-12-31T23:59:59+14:00', '2024-03-01T10:11:12.5 -08:00',
  // Where a timestamp's parts are not where the common forms put them: zones after a date, after
  // whitespace, fractions of every length, a separator with nothing after it.
  '2024-03-01Z', '2024-03-01 +0530', '2024-03-01\t+05:30', '2024-03-01  UTC', '2024-03-01 10:11 UTC', '2024-03-01T10:11:12  Z',
  '2024-03-01T10:11:12.1234567891', '2024-03-01T10:11:12.', '2024-03-01T10:11:12.5+05', '2024-03-01T10:11:12.1234+0530',
  '2024-03-01T10:11:12\n', '2024-03-01T10:11:12 ', '2024-03-01T10:11:12\u00a0Z', '2024-03-01T10:1', '2024-03-01T', '2024-03-01 10:11:12-05:3',
  // The common full form DuckDB's cast reads, at and past each bound the parts are checked against.
  '0100-01-01T00:00:00Z', '0099-12-31T23:59:59Z', '2024-02-29T10:00:00Z', '2023-02-29T10:00:00Z', '2024-04-31T00:00:00Z',
  '2024-03-01T23:59:59.999999+18:00', '2024-03-01T00:00:00-1800', '2024-03-01T00:00:00+18:01', '2024-03-01T00:00:00+17:59',
  '2024-03-01 10:11:12.5Z', '2024-03-01T10:11:12.123456-00:30', '9999-12-31T23:59:59.999999-18:00', '2024-03-01T10:11:12+0000',
  '2024-03-01T23:59:60Z', '2024-03-01T24:00:00Z', '2024-03-01T10:11:12.1234567Z',
  'true', 'FALSE', 'Yes', 'n', '1', '0', 'maybe', 'T', 'ＴＲＵＥ',
  'P1D', 'PT2H', 'P', 'PT', 'P1Y2M3DT4H5M6.5S', 'low', 'medium', 'high', 'İstanbul', 'ß', '2', '{"a": 1}', '[1,2]', 'null',
];
const CAST_BY = ['Numerical', 'numerical', 'NUMERICAL', 'Date', 'Duration', 'Ordinal', 'Nominal', 'Text', 'Code', null, 'İ', 'Boolean'];
const SCALES = [
  '{"minimumValue": 0, "maximumValue": 100}',
  '{"min":"-5","max":"5"}',
  '{"categories":[{"value":"low"},{"value":"medium"},{"label":"high"}]}',
  '{"categories":["1","2","3"]}',
  'null',
  '',
  'not json',
  null,
  '{}',
];

const STAGING: ColumnSpec[] = [
  { name: 'id', type: 'int32', nullable: true },
  { name: 'org', type: 'int32', nullable: true },
  { name: 'value', type: 'string', nullable: true },
  { name: 'data_type', type: 'string', nullable: true },
  { name: 'valid_values', type: 'string', nullable: true },
  { name: 'ts_text', type: 'string', nullable: true },
  { name: 'ts_utc_text', type: 'string', nullable: true },
  { name: 'flag_text', type: 'string', nullable: true },
  { name: 'int_text', type: 'string', nullable: true },
  { name: 'measured', type: 'float64', nullable: true },
  { name: 'big', type: 'int64', nullable: true },
  { name: 'taken', type: 'timestamp', nullable: true },
  { name: 'extra', type: 'json', nullable: true },
  { name: 'label', type: 'string', nullable: true },
];

const CONTRACT = parseContract(
  `
dataset: { name: probes, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: probes, key: [id], partition_by: [org] }
fields:
  - { name: id, type: int32, nullable: false }
  - { name: org, type: int32, nullable: false }
  - { name: value_raw, type: string, source: value }
  - { name: value_numeric, type: float64, source: value, cast_by: data_type, when: [Numerical], scale: valid_values }
  - { name: value_category, type: string, source: value, cast_by: data_type, when: [Ordinal, Nominal, Code], scale: valid_values }
  - { name: value_date, type: date, source: value, cast_by: data_type, when: [Date] }
  - name: value_duration
    type: string
    source: value
    cast_by: data_type
    when: [Duration]
    pattern: "^P(?!$)(\\\\d+Y)?(\\\\d+M)?(\\\\d+W)?(\\\\d+D)?(T(?=\\\\d)(\\\\d+H)?(\\\\d+M)?(\\\\d+(\\\\.\\\\d+)?S)?)?$"
  - { name: value_flag, type: boolean, source: value, cast_by: data_type, when: [Boolean] }
  - { name: observed_at, type: timestamp, source: ts_text, timezone: "+05:30" }
  - { name: observed_utc, type: timestamp, source: ts_utc_text }
  - { name: flag, type: boolean, source: flag_text }
  - { name: n16, type: int16, source: int_text }
  - { name: n32, type: int32, source: int_text, minimum: -100, maximum: 100000 }
  - { name: n64, type: int64, source: int_text }
  - { name: f32, type: float32, source: int_text }
  - { name: measured, type: float64 }
  - { name: big, type: int64 }
  - { name: big_text, type: string, source: big }
  - { name: id_wide, type: int64, source: id }
  - { name: taken, type: timestamp }
  - { name: extra, type: json }
  - { name: label, type: string, nullable: false, categories: [a, b, c] }
`,
  'inline',
);

const ROWS = 6000;

/** Values each column mostly takes (so many rows load), probed now and then with any of TEXTS. */
const BY_TYPE: Record<string, string[]> = {
  Numerical: ['12.5', '-3', '+4.25', '.5', '5.', '1e3', '1E-2', '99', '4', '0.1000000000000000055511151231257827'],
  Date: ['2024-03-01', '20240301', '2024-02-29', '1999-12-31'],
  Duration: ['P1D', 'PT2H', 'P1Y2M3DT4H5M6.5S', 'P', 'PT'],
  Ordinal: ['low', 'medium', 'high', '1', '2', '3'],
  Boolean: ['true', 'FALSE', 'Yes', 'n', '1', '0'],
};
const TIMESTAMPS = [
  '2024-03-01T10:11:12', '2024-03-01 10:11:12.123456789', '2024-03-01T10:11Z', '2024-03-01T10:11:12-0500', '2024-03-01T10:11:12+05:30',
  '2024-03-01T10:11:12 UTC', '2024-03-01T10:11:12-05', '2024-03-01T10:11:12,5z', '1969-12-31T23:59:59.999999Z', '2024-03-01', '',
  '2024-03-01Z', '2024-03-01 +0530', '2024-03-01\t+05:30', '2024-03-01T10:11:12.1234+0530', '2024-03-01T10:11:12.5 -08:00', '2024-03-01 10:11 UTC',
  '0100-01-01T00:00:00Z', '2023-02-29T10:00:00Z', '2024-03-01T23:59:59.999999+18:00', '2024-03-01T00:00:00+18:01', '2024-03-01 10:11:12.5Z',
  '2024-03-01T10:11:12.123456-00:30', '9999-12-31T23:59:59.999999-18:00', '2024-03-01T23:59:60Z',
  // Naive times and dates alone, which DuckDB casts where the naive zone is UTC, at and past each bound.
  '2024-03-01 10:11:12.123456', '2024-03-01T10:11:12.1234567', '2024-03-01 24:00:00', '2024-03-01T23:59:60', '0100-01-01 00:00:00',
  '0099-12-31 23:59:59', '0100-01-01', '0099-12-31', '2024-02-29', '2023-02-29', '2024-04-31', '9999-12-31 23:59:59.999999', '2024-03-01t10:11:12',
];
const INTS = ['0', '-3', '+42', '007', '-0', '32767', '-100', '99999', ''];

function stagedRows(): Record<string, LakeValue[]> {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  /** Mostly a value of `usual`, one time in ten any probe text. */
  const mostly = (usual: readonly string[]) => (random() < 0.1 ? pick(TEXTS) : pick(usual));
  const cols: Record<string, LakeValue[]> = Object.fromEntries(STAGING.map((c) => [c.name, []]));
  for (let i = 0; i < ROWS; i++) {
    const push = (name: string, v: LakeValue) => (cols[name] as LakeValue[]).push(v);
    const dataType = pick(CAST_BY);
    const type = (dataType ?? 'Numerical').toLowerCase();
    const usual = BY_TYPE[Object.keys(BY_TYPE).find((k) => k.toLowerCase() === type) ?? 'Ordinal'] ?? TEXTS;
    push('id', random() < 0.002 ? null : i);
    push('org', i % 3);
    push('value', random() < 0.01 ? null : mostly(usual));
    push('data_type', dataType);
    push('valid_values', pick(SCALES));
    push('ts_text', random() < 0.01 ? null : mostly(TIMESTAMPS));
    // A column of its own: a row whose zone-less text the +05:30 field leaves to RowValidator still
    // reaches the UTC field's SQL (DuckDB casts the UTC field's zone-less text, not the other's).
    push('ts_utc_text', random() < 0.01 ? null : mostly(TIMESTAMPS));
    push('flag_text', mostly(BY_TYPE.Boolean as string[]));
    push('int_text', mostly(INTS));
    push('measured', random() < 0.01 ? Number.NaN : random() < 0.05 ? null : i / 7);
    push('big', random() < 0.05 ? null : BigInt(i) * 9_007_199_254_740n);
    push('taken', random() < 0.05 ? null : BigInt(i) * 1_000_003n - 5_000_000n);
    push('extra', i % 2 === 0 ? null : JSON.stringify({ i, tag: pick(TEXTS) }));
    push('label', random() < 0.05 ? pick(['d', null, 'A']) : pick(['a', 'b', 'c']));
  }
  return cols;
}

let dir: string;
let stagingFile: string;
let session: NativeSession;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lake-sql-plan-'));
  stagingFile = join(dir, 'staged.parquet');
  const writer = await NativeParquetWriter.open(stagingFile, STAGING, { rowGroupSize: 1000, statistics: false });
  await writer.writeBatch({ rowCount: ROWS, columns: stagedRows() });
  await writer.close();
  session = await NativeSession.open();
});

afterAll(async () => {
  session?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Writes the valid rows of one path through the real partitioned writer into `out`. */
function writerInto(out: string): PartitionedWriter {
  const store = createObjectStore({ kind: 'local', root: out, buckets: DEFAULT_BUCKETS });
  const layout = createStorageLayout(store.buckets);
  return new PartitionedWriter({
    store,
    tmpDir: dir,
    specs: CONTRACT.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
    rowGroupSize: 1000,
    flushRows: 2500,
    keyValueMetadata: {},
    keyFor: (p, i) => layout.normalizedKey('phenotype', 'probes', 1, p, `part-${String(i).padStart(5, '0')}.parquet`),
  });
}

async function writeValid(writer: PartitionedWriter, validator: RowValidator, file: string, rowNumbers: boolean): Promise<RejectedRow[]> {
  const rejected: RejectedRow[] = [];
  let row = 0;
  for await (const batch of readParquetBatches(await fileSource(file), { batchRows: 700 })) {
    const result = validator.validate(batch, row, rowNumbers ? batch.columns.file_row_number : undefined);
    row += batch.rowCount;
    rejected.push(...result.rejected);
    for (const part of splitByPartition(result.valid, CONTRACT.source.partition_by)) if (part.batch.rowCount > 0) await writer.write(part.key, part.partition, part.batch);
    await writer.flushIfFull();
  }
  return rejected;
}

async function parquetFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.filter((e) => e.endsWith('.parquet')).map((e) => join(root, e));
}

/** RowValidator alone over a staged file, written under `out`: the oracle the SQL path is compared with. */
async function validatedInJs(file: string, out: string) {
  const writer = writerInto(out);
  const rejected = await writeValid(writer, new RowValidator(CONTRACT, STAGING), file, false);
  return { files: await writer.finish(), rejected };
}

describe('SqlPlan', () => {
  it('loads and rejects exactly the rows RowValidator does, with the same typed values, partition by partition', async () => {
    const validator = new RowValidator(CONTRACT, STAGING);
    // JavaScript only.
    const jsOut = join(dir, 'js');
    const { files: jsFiles, rejected: jsRejected } = await validatedInJs(stagingFile, jsOut);

    // SQL first, RowValidator for the rest.
    const sqlOut = join(dir, 'sql');
    const sqlWriter = writerInto(sqlOut);
    const plan = await SqlPlan.create({ contract: CONTRACT, stagingColumns: STAGING }, session);
    const file = await plan.forFile(stagingFile);
    expect(file.rows).toBe(ROWS);
    // Uneven slices, as the processor's: each slice's rows are checked on their own.
    let accepted = 0;
    const sqlRejected: RejectedRow[] = [];
    for (let from = 0; from < file.rows; from += 2500) {
      const queries = await file.slice(from, from + 2500);
      accepted += await sqlWriter.writeQuery(queries.accepted, CONTRACT.source.partition_by);
      const rest = join(dir, `rest-${from}.parquet`);
      await session.run(`COPY (${queries.remaining}) TO '${rest}' (FORMAT parquet)`);
      await queries.drop();
      sqlRejected.push(...(await writeValid(sqlWriter, validator, rest, true)));
    }
    await file.drop();
    await plan.close();
    const sqlFiles = await sqlWriter.finish();

    const loaded = jsFiles.reduce((n, f) => n + f.rows, 0);
    expect(loaded + jsRejected.length).toBe(ROWS);
    expect(sqlFiles.reduce((n, f) => n + f.rows, 0)).toBe(loaded);
    // The SQL path does the bulk of the work, and RowValidator still sees the hard cases.
    expect(accepted).toBeGreaterThan(loaded * 0.5);
    expect(accepted).toBeLessThan(loaded);
    expect(sqlRejected.map((r) => ({ row: r.row, violations: r.violations }))).toEqual(jsRejected.map((r) => ({ row: r.row, violations: r.violations })));
    expect(sqlRejected.map((r) => r.staged)).toEqual(jsRejected.map((r) => r.staged));

    // Same rows, same values, same partitions (files of one partition may split differently).
    expect(new Set(sqlFiles.map((f) => JSON.stringify(f.partition)))).toEqual(new Set(jsFiles.map((f) => JSON.stringify(f.partition))));
    const list = (files: string[]) => `[${files.map((f) => `'${f}'`).join(', ')}]`;
    const jsList = list(await parquetFiles(jsOut));
    const sqlList = list(await parquetFiles(sqlOut));
    expect(await session.rows(`SELECT count(*) AS n FROM read_parquet(${sqlList})`)).toEqual([{ n: BigInt(loaded) }]);
    const strip = (files: string) => `(SELECT * EXCLUDE (filename) FROM read_parquet(${files}, filename = true, hive_partitioning = false) WHERE filename LIKE '%org=' || org || '/%')`;
    expect((await session.rows(`SELECT count(*) AS n FROM (SELECT * FROM ${strip(jsList)} EXCEPT ALL SELECT * FROM ${strip(sqlList)})`))[0]?.n).toBe(0n);
    expect((await session.rows(`SELECT count(*) AS n FROM (SELECT * FROM ${strip(sqlList)} EXCEPT ALL SELECT * FROM ${strip(jsList)})`))[0]?.n).toBe(0n);
    expect((await session.rows(`SELECT count(*) AS n FROM ${strip(sqlList)}`))[0]?.n).toBe(BigInt(loaded));
  });

  it('streams a range of one partition straight into a file: the rows and values RowValidator gives', async () => {
    // One organization's rows, as an extract stages them.
    const orgFile = join(dir, 'staged-org-1.parquet');
    await session.run(`COPY (SELECT * FROM read_parquet('${stagingFile}') WHERE org = 1) TO '${orgFile}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
    const validator = new RowValidator(CONTRACT, STAGING);
    const jsOut = join(dir, 'stream-js');
    const { files: jsFiles, rejected: jsRejected } = await validatedInJs(orgFile, jsOut);

    const sqlOut = join(dir, 'stream-sql');
    const sqlWriter = writerInto(sqlOut);
    const plan = await SqlPlan.create({ contract: CONTRACT, stagingColumns: STAGING }, session);
    const file = await plan.forFile(orgFile);
    // The whole file's rows fall in one partition; a range of the mixed file's do not.
    expect(await session.rows(file.partitions(0, file.rows))).toEqual([{ p0: '1' }]);
    const mixed = await plan.forFile(stagingFile);
    expect((await session.rows(mixed.partitions(0, 3000))).map((r) => r.p0).sort()).toEqual(['0', '1', '2']);
    await mixed.drop();
    let accepted = 0;
    const sqlRejected: RejectedRow[] = [];
    // Two ranges, as the processor streams a large staging file.
    const half = Math.ceil(file.rows / 2);
    for (const from of [0, half]) {
      const queries = file.stream(from, from + half);
      const copied = await sqlWriter.copyLocal(session, queries.accepted);
      if (!copied) throw new Error('no accepted rows');
      accepted += copied.rowCount;
      // The rest by the written file's keys is the rest by the checks, row for row.
      const byKey = file.remainingBesides(from, from + half, copied.path);
      expect(byKey).toBeDefined();
      const rest = join(dir, `stream-rest-${from}.parquet`);
      await session.run(`COPY (${queries.remaining}) TO '${rest}' (FORMAT parquet)`);
      const differ = (a: string, b: string) => session.rows(`SELECT count(*) AS n FROM ((${a}) EXCEPT ALL (${b}))`);
      expect(await differ(queries.remaining, byKey as string)).toEqual([{ n: 0n }]);
      expect(await differ(byKey as string, queries.remaining)).toEqual([{ n: 0n }]);
      await sqlWriter.addFile([['org', '1']], copied);
      sqlRejected.push(...(await writeValid(sqlWriter, validator, rest, true)));
    }
    // A retry streams the same bytes.
    const copies = [join(dir, 'again-1.parquet'), join(dir, 'again-2.parquet')];
    const specs = CONTRACT.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable }));
    for (const path of copies) await session.copyToParquet(file.stream(0, half).accepted, path, specs);
    expect((await readFile(copies[0] as string)).equals(await readFile(copies[1] as string))).toBe(true);
    await file.drop();
    await plan.close();
    const sqlFiles = await sqlWriter.finish();

    const loaded = jsFiles.reduce((n, f) => n + f.rows, 0);
    expect(sqlFiles.map((f) => f.partition)).toEqual([[['org', '1']], [['org', '1']], [['org', '1']]]);
    expect(sqlFiles.reduce((n, f) => n + f.rows, 0)).toBe(loaded);
    expect(accepted).toBeGreaterThan(loaded * 0.5);
    expect(accepted).toBeLessThan(loaded);
    expect(sqlRejected.map((r) => ({ row: r.row, violations: r.violations, staged: r.staged }))).toEqual(jsRejected.map((r) => ({ row: r.row, violations: r.violations, staged: r.staged })));
    // Streamed files take the partition's file numbers in turn, before the rows RowValidator accepted.
    const written = (await parquetFiles(sqlOut)).map((f) => f.slice(sqlOut.length)).sort();
    expect(written).toEqual(['/bijmantra-normalized/phenotype/probes/v1/org=1/part-00000.parquet', '/bijmantra-normalized/phenotype/probes/v1/org=1/part-00001.parquet', '/bijmantra-normalized/phenotype/probes/v1/org=1/part-00002.parquet']);
    const list = (files: string[]) => `[${files.map((f) => `'${f}'`).join(', ')}]`;
    const jsList = list(await parquetFiles(jsOut));
    const sqlList = list(await parquetFiles(sqlOut));
    const all = (files: string) => `(SELECT * FROM read_parquet(${files}, hive_partitioning = false))`;

    expect((await session.rows(`SELECT count(*) AS n FROM ${all(sqlList)}`))[0]?.n).toBe(BigInt(loaded));
    expect((await session.rows(`SELECT count(*) AS n FROM (SELECT * FROM ${all(jsList)} EXCEPT ALL SELECT * FROM ${all(sqlList)})`))[0]?.n).toBe(0n);
    expect((await session.rows(`SELECT count(*) AS n FROM (SELECT * FROM ${all(sqlList)} EXCEPT ALL SELECT * FROM ${all(jsList)})`))[0]?.n).toBe(0n);
  });

  it('gives no plan for what it does not mirror, so RowValidator takes every row', async () => {
    const decimal = parseContract(
      `
dataset: { name: d, domain: phenotype, schema_version: 1.0.0 }
source: { kind: postgres, table: d, key: [id] }
fields:
  - { name: id, type: int32, nullable: false }
  - { name: amount, type: "decimal(10,2)", source: value }
`,
      'inline',
    ) as DatasetContract;
    await expect(SqlPlan.create({ contract: decimal, stagingColumns: STAGING }, session)).rejects.toBeInstanceOf(Unplannable);
  });
});
