/**
 * OpenLineage-shaped run events (spec 2-0-2): one START / COMPLETE / FAIL per run and per stage.
 * Only the parts the lake fills are typed; facets follow the OpenLineage facet names.
 */
export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const LAKE_PRODUCER = 'https://github.com/bijmantra/lake';

export type RunEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface FacetBase {
  _producer: string;
  _schemaURL: string;
}

export interface SchemaDatasetFacet extends FacetBase {
  fields: Array<{ name: string; type: string; description?: string }>;
}

export interface DataSourceDatasetFacet extends FacetBase {
  name: string;
  uri: string;
}

export interface ColumnLineageDatasetFacet extends FacetBase {
  fields: Record<string, { inputFields: Array<{ namespace: string; name: string; field: string; transformations?: Array<{ type: string; subtype?: string; description?: string }> }> }>;
}

export interface OutputStatisticsFacet extends FacetBase {
  rowCount: number;
  size?: number;
  fileCount?: number;
}

export interface DataQualityMetricsFacet extends FacetBase {
  rowCount: number;
  columnMetrics: Record<string, { nullCount?: number; min?: number; max?: number }>;
  /** Lake extension: rows sent to quarantine, by rule. */
  quarantined?: { rows: number; byRule: Array<{ column: string; rule: string; rows: number }> };
}

export interface LineageDataset {
  namespace: string;
  name: string;
  facets?: {
    schema?: SchemaDatasetFacet;
    dataSource?: DataSourceDatasetFacet;
    columnLineage?: ColumnLineageDatasetFacet;
    version?: FacetBase & { datasetVersion: string };
  };
  inputFacets?: { dataQualityMetrics?: DataQualityMetricsFacet };
  outputFacets?: { outputStatistics?: OutputStatisticsFacet };
}

export interface RunEvent {
  eventType: RunEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: {
    runId: string;
    facets?: {
      parent?: FacetBase & { run: { runId: string }; job: { namespace: string; name: string } };
      errorMessage?: FacetBase & { message: string; programmingLanguage: string; stackTrace?: string };
      nominalTime?: FacetBase & { nominalStartTime: string };
      /** Lake extension: the source snapshot a run read. */
      lake_snapshot?: FacetBase & { xmin: string; takenAt: string };
    };
  };
  job: { namespace: string; name: string; facets?: Record<string, unknown> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}
