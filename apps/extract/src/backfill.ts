import { type Backfill, type DatasetContract, PermanentError, datasetId } from '@lake/contracts';

/** A partition as the extract sees it: `[field, value]` pairs in partition_by order. */
type Partition = Array<[string, string | null]>;

const INTEGER = /^-?\d+$/;

function compare(a: string, b: string): number {
  if (INTEGER.test(a) && INTEGER.test(b)) return Math.sign(Number(a) - Number(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Which partitions a backfill run re-extracts whatever their fingerprints say. Throws (for good)
 * when the backfill names a field the contract does not partition by.
 */
export function backfillMatcher(contract: DatasetContract, backfill: Backfill | null | undefined): (partition: Partition) => boolean {
  if (!backfill) return () => false;
  const fields = contract.source.partition_by;
  const unknown = [backfill.field, ...(backfill.partitions ?? []).flatMap((p) => Object.keys(p))].filter((f): f is string => f !== undefined && !fields.includes(f));
  if (unknown.length > 0) {
    throw new PermanentError(`${datasetId(contract)} is partitioned by ${fields.join(', ') || 'nothing'}; a backfill cannot select by ${[...new Set(unknown)].join(', ')}`);
  }
  return (partition) => {
    const value = (field: string) => partition.find(([f]) => f === field)?.[1] ?? null;
    if (backfill.field !== undefined && (backfill.from !== undefined || backfill.to !== undefined)) {
      const v = value(backfill.field);
      if (v === null) return false;
      if (backfill.from !== undefined && compare(v, backfill.from) < 0) return false;
      if (backfill.to !== undefined && compare(v, backfill.to) > 0) return false;
    }
    if (backfill.partitions && backfill.partitions.length > 0) {
      return backfill.partitions.some((want) => Object.entries(want).every(([f, v]) => value(f) === v));
    }
    return true;
  };
}
