import type { ColumnSpec } from './lake-type.js';

/**
 * The quarantine dataset's columns: one row per rejected source row, naming the first broken rule
 * and listing all of them, with the whole staged row kept so a fixed contract can replay it.
 */
export const QUARANTINE_COLUMNS: ColumnSpec[] = [
  { name: 'run_id', type: 'string', nullable: false },
  { name: 'source_table', type: 'string', nullable: false },
  { name: 'source_file', type: 'string', nullable: false },
  { name: 'row_number', type: 'int64', nullable: false },
  { name: 'row_key', type: 'json', nullable: true },
  { name: 'column_name', type: 'string', nullable: false },
  { name: 'rule', type: 'string', nullable: false },
  { name: 'raw_value', type: 'string', nullable: true },
  { name: 'message', type: 'string', nullable: false },
  { name: 'violations', type: 'json', nullable: false },
  { name: 'staged_row', type: 'json', nullable: false },
];

/** The quarantine dataset of a dataset: `phenotype.observations` → `phenotype.observations_quarantine`. */
export function quarantineDatasetId(dataset: string): string {
  return `${dataset}_quarantine`;
}
