import { createHash } from 'node:crypto';
import {
  type DatasetContract,
  type FileTotals,
  LAKE_PRODUCER,
  type LineageDataset,
  OPENLINEAGE_SCHEMA_URL,
  type RunEvent,
  type RunEventType,
  datasetId,
} from '@lake/contracts';

const FACET = (name: string) => ({ _producer: LAKE_PRODUCER, _schemaURL: `https://openlineage.io/spec/facets/1-0-1/${name}.json` });

/** Job namespace of every lake event. */
export const LINEAGE_NAMESPACE = 'bijmantra-lake';

/** OpenLineage wants a UUID run id; derive a stable one from the lake's run id. */
export function lineageRunId(lakeRunId: string): string {
  const h = createHash('sha256').update(lakeRunId).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface EventInput {
  type: RunEventType;
  /** The lake run id; a stage event also names its stage and points at the run as its parent. */
  runId: string;
  dataset: string;
  stage?: string;
  inputs?: LineageDataset[];
  outputs?: LineageDataset[];
  error?: Error;
  snapshot?: { xmin: string; takenAt: string };
  eventTime?: Date;
}

/** Builds one RunEvent for a run (no stage) or for one of its stages (parent facet set). */
export function runEvent(input: EventInput): RunEvent {
  const jobName = input.stage ? `${input.dataset}.${input.stage}` : input.dataset;
  const facets: RunEvent['run']['facets'] = {};
  if (input.stage) {
    facets.parent = { ...FACET('ParentRunFacet'), run: { runId: lineageRunId(input.runId) }, job: { namespace: LINEAGE_NAMESPACE, name: input.dataset } };
  }
  if (input.error) {
    facets.errorMessage = { ...FACET('ErrorMessageRunFacet'), message: input.error.message, programmingLanguage: 'TypeScript', ...(input.error.stack ? { stackTrace: input.error.stack } : {}) };
  }
  if (input.snapshot) facets.lake_snapshot = { ...FACET('LakeSnapshotRunFacet'), ...input.snapshot };
  return {
    eventType: input.type,
    eventTime: (input.eventTime ?? new Date()).toISOString(),
    producer: LAKE_PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: lineageRunId(input.stage ? `${input.runId}/${input.stage}` : input.runId), facets },
    job: { namespace: LINEAGE_NAMESPACE, name: jobName, facets: { lake_run: { _producer: LAKE_PRODUCER, _schemaURL: LAKE_PRODUCER, runId: input.runId } } },
    inputs: input.inputs ?? [],
    outputs: input.outputs ?? [],
  };
}

/** The source table of a contract as an OpenLineage input dataset with its dataSource facet. */
export function sourceDataset(contract: DatasetContract, sourceUri: string): LineageDataset {
  return {
    namespace: sourceUri,
    name: `public.${contract.source.table}`,
    facets: { dataSource: { ...FACET('DatasourceDatasetFacet'), name: sourceUri, uri: `${sourceUri}/public.${contract.source.table}` } },
  };
}

export interface OutputSummary {
  version: number;
  /** The version's files summed up (the catalog's `versionTotals`). */
  totals: FileTotals;
  quarantine: { rows: number; byRule: Array<{ column: string; rule: string; rows: number }> };
  /** Unit conversions applied while reading files: recorded on the field's column lineage. */
  conversions?: Array<{ file: string; column: string; field: string; from: string; to: string; factor: number; offset?: number }>;
}

/** The raw files a file-source run read, as OpenLineage input datasets in the store's namespace. */
export function fileDatasets(files: string[], storeNamespace: string): LineageDataset[] {
  return files.map((f) => ({ namespace: storeNamespace, name: f, facets: { dataSource: { ...FACET('DatasourceDatasetFacet'), name: storeNamespace, uri: `${storeNamespace}/${f}` } } }));
}

/**
 * The committed dataset as an OpenLineage output: schema, column lineage (each field from its
 * source column, cast by its scale dataType where the contract says so), row counts and quality.
 */
export function outputDataset(contract: DatasetContract, storeNamespace: string, sourceUri: string, out: OutputSummary): LineageDataset {
  const sourceName = `public.${contract.source.table}`;
  const joined = new Map(contract.source.joins.flatMap((j) => Object.entries(j.columns).map(([as, col]) => [as, { table: `public.${j.table}`, col }])));
  const columnLineage: Record<string, { inputFields: Array<{ namespace: string; name: string; field: string; transformations?: Array<{ type: string; subtype?: string; description?: string }> }> }> = {};
  for (const f of contract.fields) {
    const from = joined.get(f.source);
    const inputFields = [
      {
        namespace: sourceUri,
        name: from?.table ?? sourceName,
        field: from?.col ?? f.source,
        transformations: [{ type: 'DIRECT', subtype: f.cast_by ? 'TRANSFORMATION' : 'IDENTITY', description: f.cast_by ? `cast to ${f.type} when ${f.cast_by} in (${f.when?.join(', ')})` : `typed as ${f.type}` }],
      },
    ];
    for (const c of out.conversions?.filter((x) => x.field === f.name) ?? []) {
      inputFields.push({
        namespace: storeNamespace,
        name: c.file,
        field: c.column,
        transformations: [{ type: 'DIRECT', subtype: 'TRANSFORMATION', description: `unit ${c.from} → ${c.to}: × ${c.factor}${c.offset !== undefined ? ` + ${c.offset}` : ''}` }],
      });
    }
    if (f.cast_by) {
      const by = joined.get(f.cast_by);
      inputFields.push({ namespace: sourceUri, name: by?.table ?? sourceName, field: by?.col ?? f.cast_by, transformations: [{ type: 'INDIRECT', subtype: 'CONDITIONAL', description: 'scale dataType decides the cast' }] });
    }
    columnLineage[f.name] = { inputFields };
  }
  const columnMetrics: Record<string, { nullCount?: number; min?: number; max?: number }> = {};
  for (const f of contract.fields) columnMetrics[f.name] = out.totals.columns[f.name] ?? { nullCount: 0 };
  const rows = out.totals.rows;
  return {
    namespace: storeNamespace,
    name: datasetId(contract),
    facets: {
      schema: { ...FACET('SchemaDatasetFacet'), fields: contract.fields.map((f) => ({ name: f.name, type: f.type, ...(f.description ? { description: f.description } : {}) })) },
      columnLineage: { ...FACET('ColumnLineageDatasetFacet'), fields: columnLineage },
      version: { ...FACET('DatasetVersionDatasetFacet'), datasetVersion: `v${out.version}` },
    },
    inputFacets: { dataQualityMetrics: { ...FACET('DataQualityMetricsInputDatasetFacet'), rowCount: rows, columnMetrics, quarantined: out.quarantine } },
    outputFacets: { outputStatistics: { ...FACET('OutputStatisticsOutputDatasetFacet'), rowCount: rows, size: out.totals.bytes, fileCount: out.totals.files } },
  };
}

/** The seed's per-version lineage block, derived from a version's COMPLETE event. */
export function versionBlock(event: RunEvent): { source: string; transformation: string; created: string } {
  const input = event.inputs[0];
  return {
    source: input ? `${input.namespace}/${input.name}` : 'unknown',
    transformation: `${event.job.namespace}/${event.job.name}`,
    created: event.eventTime,
  };
}
