/** Bad input fails loudly, naming the column, the row and the value. */
import type { ColumnSpec, LakeValue } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import {
  bufferSource,
  formatDecimal,
  memorySink,
  ParquetFileWriter,
  parseDecimal,
  readParquetBatches,
  readParquetMetadata,
  writeParquetBuffer,
} from '../src/index.js';

/** Writes `[null, value]` to one column `c` of `type`: the bad value is row 1. */
function one(type: string, value: LakeValue) {
  const specs = [{ name: 'c', type, nullable: true }] as ColumnSpec[];
  return writeParquetBuffer(specs, [{ rowCount: 2, columns: { c: [null, value] } }]);
}

describe('value validation', () => {
  it.each<[string, LakeValue, RegExp]>([
    ['int16', 40000, /column "c" row 1: 40000 is outside the int16 range -32768\.\.32767/],
    ['int32', 1.5, /column "c" row 1: expected an integer number for int32, got 1\.5/],
    ['int64', 5, /column "c" row 1: expected a bigint for int64, got 5/],
    ['timestamp', '2024-01-01T00:00:00Z', /column "c" row 1: expected a bigint of microseconds since the epoch for timestamp, got "2024-01-01T00:00:00Z"/],
    ['decimal(5,2)', '1.234', /column "c" row 1: "1\.234" has more than 2 fraction digits for decimal\(5,2\)/],
    ['decimal(5,2)', '1234.5', /column "c" row 1: "1234\.5" has more than 3 integer digits/],
    ['decimal(5,2)', 1.5, /expected a decimal string for decimal\(5,2\), got 1\.5/],
    ['decimal(5,2)', '1e3', /"1e3" is not a decimal\(5,2\) value/],
    ['json', '{bad', /column "c" row 1: "\{bad" is not valid JSON text/],
    ['date', 19723.5, /expected an integer number of days/],
    ['list<int32>', 3, /expected an array for list<int32>, got 3/],
    ['list<int64>', [1n, 2], /column "c" row 1: expected a bigint for int64, got 2/],
    ['string', 42, /expected a string for string, got 42/],
  ])('%s rejects %o', async (type, value, message) => {
    await expect(one(type, value)).rejects.toThrow(message);
  });

  it('rejects null in a non-nullable column', async () => {
    const specs: ColumnSpec[] = [{ name: 'id', type: 'int32', nullable: false }];
    await expect(writeParquetBuffer(specs, [{ rowCount: 2, columns: { id: [1, null] } }])).rejects.toThrow(
      /column "id" row 1: null in a non-nullable column/,
    );
  });

  it('rejects missing, extra and short columns', async () => {
    const specs: ColumnSpec[] = [{ name: 'a', type: 'int32', nullable: true }];
    await expect(writeParquetBuffer(specs, [{ rowCount: 1, columns: {} }])).rejects.toThrow(/batch is missing column "a"/);
    await expect(writeParquetBuffer(specs, [{ rowCount: 1, columns: { a: [1], b: [2] } }])).rejects.toThrow(/batch has column "b"/);
    await expect(writeParquetBuffer(specs, [{ rowCount: 2, columns: { a: [1] } }])).rejects.toThrow(/column "a" has 1 values, batch rowCount is 2/);
  });

  it('rejects bad specs when constructed', () => {
    const sink = memorySink();
    expect(() => new ParquetFileWriter([{ name: 'a', type: 'decimal(40,2)' as never, nullable: true }], sink)).toThrow(/column "a": decimal precision/);
    expect(() => new ParquetFileWriter([{ name: 'a', type: 'list<list<int32>>' as never, nullable: true }], sink)).toThrow(/column "a": nested lists/);
    const dup: ColumnSpec = { name: 'a', type: 'int32', nullable: true };
    expect(() => new ParquetFileWriter([dup, dup], sink)).toThrow(/duplicate column name "a"/);
    expect(() => new ParquetFileWriter([dup], sink, { rowGroupSize: 0 })).toThrow(/rowGroupSize must be a positive integer, got 0/);
  });

  it('counts rows across batches in error positions, and is unusable after a failure', async () => {
    const writer = new ParquetFileWriter([{ name: 'n', type: 'int16', nullable: true }], memorySink());
    await writer.writeBatch({ rowCount: 3, columns: { n: [1, 2, 3] } });
    await expect(writer.writeBatch({ rowCount: 2, columns: { n: [4, 'x'] } })).rejects.toThrow(/column "n" row 4:/);
    await expect(writer.close()).rejects.toThrow(/close\(\) called on a failed writer/);
  });

  it('refuses use after close', async () => {
    const writer = new ParquetFileWriter([{ name: 'n', type: 'int16', nullable: true }], memorySink());
    await writer.close();
    await expect(writer.writeBatch({ rowCount: 0, columns: { n: [] } })).rejects.toThrow(/writeBatch\(\) called on a closed writer/);
  });
});

describe('decimal text', () => {
  it.each([
    ['12.5', 2, 1250n, '12.50'],
    ['-0.01', 2, -1n, '-0.01'],
    ['-0.00', 2, 0n, '0.00'],
    ['+007', 0, 7n, '7'],
    ['.5', 3, 500n, '0.500'],
    ['-12.', 1, -120n, '-12.0'],
  ])('%s at scale %i is %s unscaled, canonical %s', (text, scale, unscaled, canonical) => {
    expect(parseDecimal(text, 38, scale)).toBe(unscaled);
    expect(formatDecimal(unscaled, scale)).toBe(canonical);
  });
});

describe('empty files', () => {
  it('write and read back with no rows', async () => {
    const bytes = await writeParquetBuffer([{ name: 'a', type: 'list<decimal(20,3)>', nullable: true }], []);
    const info = await readParquetMetadata(bufferSource(bytes));
    expect(info.rowCount).toBe(0);
    expect(info.columns).toEqual([{ name: 'a', type: 'list<decimal(20,3)>', nullable: true }]);
    const batches = [];
    for await (const batch of readParquetBatches(bufferSource(bytes))) batches.push(batch);
    expect(batches).toEqual([]);
  });
});

describe('writer discipline', () => {
  it('refuses overlapping calls', async () => {
    const sink = { write: () => new Promise<void>((resolve) => setTimeout(resolve, 10)) };
    const writer = new ParquetFileWriter([{ name: 'n', type: 'int32', nullable: true }], sink, { rowGroupSize: 1 });
    const first = writer.writeBatch({ rowCount: 1, columns: { n: [1] } });
    await expect(writer.writeBatch({ rowCount: 1, columns: { n: [2] } })).rejects.toThrow(/previous call is still running/);
    await first;
    await expect(writer.close()).resolves.toMatchObject({ rowCount: 1 });
  });
});
