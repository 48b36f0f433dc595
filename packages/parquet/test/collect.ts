import type { ColumnBatch } from '@lake/contracts';

/** Concatenates a stream of batches into one (test sizes only). */
export async function collect(batches: AsyncIterable<ColumnBatch>): Promise<ColumnBatch> {
  const all: ColumnBatch = { rowCount: 0, columns: {} };
  for await (const batch of batches) {
    all.rowCount += batch.rowCount;
    for (const [name, values] of Object.entries(batch.columns)) {
      const target = all.columns[name] ?? [];
      for (const value of values) target.push(value);
      all.columns[name] = target;
    }
  }
  return all;
}
