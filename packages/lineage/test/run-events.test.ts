import { parseContract } from '@lake/contracts';
import { describe, expect, it } from 'vitest';
import { lineageRunId, outputDataset, runEvent, sourceDataset, versionBlock } from '../src/index.js';

const contract = parseContract(
  `
dataset: { name: obs, domain: phenotype, schema_version: 1.0.0 }
source:
  kind: postgres
  table: observations
  key: [id]
  joins: [ { table: observation_variables, on: { observation_variable_id: id }, columns: { dt: data_type } } ]
fields:
  - { name: id, type: int32, nullable: false }
  - { name: value_numeric, type: float64, source: value, cast_by: dt, when: [Numerical] }
`,
  'inline',
);

describe('OpenLineage run events', () => {
  it('derives a stable UUID per run and per stage, with the parent facet on stages', () => {
    expect(lineageRunId('run-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(lineageRunId('run-1')).toBe(lineageRunId('run-1'));
    const e = runEvent({ type: 'START', runId: 'run-1', dataset: 'phenotype.obs', stage: 'extract' });
    expect(e.run.facets?.parent?.run.runId).toBe(lineageRunId('run-1'));
    expect(e.job.name).toBe('phenotype.obs.extract');
  });

  it('records column lineage through joins and casts, statistics and the per-version block', () => {
    const src = 'postgres://db:5432/bijmantra';
    const out = outputDataset(contract, 's3://minio:9000', src, {
      version: 3,
      totals: { files: 2, rows: 5, bytes: 100, columns: { value_numeric: { nullCount: 1, min: 2, max: 9 } } },
      quarantine: { rows: 1, byRule: [{ column: 'value_numeric', rule: 'cast', rows: 1 }] },
    });
    const inputs = out.facets?.columnLineage?.fields.value_numeric?.inputFields ?? [];
    expect(inputs.map((i) => `${i.name}.${i.field}`)).toEqual(['public.observations.value', 'public.observation_variables.data_type']);
    expect(out.outputFacets?.outputStatistics).toMatchObject({ rowCount: 5, size: 100, fileCount: 2 });
    expect(out.inputFacets?.dataQualityMetrics?.columnMetrics.value_numeric).toEqual({ nullCount: 1, min: 2, max: 9 });
    const event = runEvent({ type: 'COMPLETE', runId: 'run-1', dataset: 'phenotype.obs', inputs: [sourceDataset(contract, src)], outputs: [out], eventTime: new Date('2026-01-01T00:00:00Z') });
    expect(versionBlock(event)).toEqual({ source: `${src}/public.observations`, transformation: 'bijmantra-lake/phenotype.obs', created: '2026-01-01T00:00:00.000Z' });
  });
});
