import type { ColumnBatch, LakeValue } from '@lake/contracts';

export type PartitionPairs = Array<[string, string | null]>;

/** A partition value as text: the form keys, payloads and the catalog keep. */
export function partitionText(v: LakeValue): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The key `splitByPartition` gives a partition, from its values as text. */
export function partitionKey(values: ReadonlyArray<string | null>): string {
  return values.map((v) => v ?? '\u0000').join('\u0001');
}

/**
 * Splits a batch into one batch per partition (Hive-style `col=value`), keeping row order.
 * The common case, a batch wholly inside one partition, costs one pass and no copies.
 */
export function splitByPartition(batch: ColumnBatch, partitionBy: string[]): Array<{ key: string; partition: PartitionPairs; batch: ColumnBatch }> {
  if (partitionBy.length === 0 || batch.rowCount === 0) return [{ key: '', partition: [], batch }];
  const cols = partitionBy.map((c) => batch.columns[c] as LakeValue[]);
  const keyOf = (i: number) => partitionKey(cols.map((c) => partitionText(c[i] ?? null)));
  const first = keyOf(0);
  let uniform = true;
  for (let i = 1; i < batch.rowCount && uniform; i++) uniform = keyOf(i) === first;
  const pairsOf = (i: number): PartitionPairs => partitionBy.map((c, k) => [c, partitionText((cols[k] as LakeValue[])[i] ?? null)]);
  if (uniform) return [{ key: first, partition: pairsOf(0), batch }];
  const groups = new Map<string, number[]>();
  for (let i = 0; i < batch.rowCount; i++) {
    const k = keyOf(i);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(i);
  }
  return [...groups].map(([key, rows]) => ({
    key,
    partition: pairsOf(rows[0] as number),
    batch: {
      rowCount: rows.length,
      columns: Object.fromEntries(Object.entries(batch.columns).map(([name, values]) => [name, rows.map((r) => values[r] ?? null)])),
    },
  }));
}
