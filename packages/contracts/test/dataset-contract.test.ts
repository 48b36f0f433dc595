import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContractError, DOMAINS, datasetId, loadContracts, parseContract, sourceColumns } from '../src/index.js';

const schemas = join(import.meta.dirname, '../../../schemas');

function problems(yaml: string): string[] {
  try {
    parseContract(yaml, 'inline.yaml');
  } catch (err) {
    if (err instanceof ContractError) return err.problems;
    throw err;
  }
  return [];
}

const telemetry = (source: string, fields = '') => `
dataset: { name: readings, domain: sensor, schema_version: 1.0.0 }
source: { kind: postgres, table: readings, key: [id], ${source} }
fields:
  - { name: id, type: int64, nullable: false }
  - { name: device_id, type: int32 }
${fields}`;

describe('dataset contracts', () => {
  it('every contract in schemas/ loads, and every domain has at least one', async () => {
    const contracts = await loadContracts(schemas);
    expect(new Set(contracts.map((c) => c.dataset.domain))).toEqual(new Set(DOMAINS));
    expect(contracts.map(datasetId)).toContain('soil.soil_tests');
  });

  it('derived fields are computed, not read: their names are not staged columns, their source column is not staged either', async () => {
    const devices = (await loadContracts(schemas)).find((c) => datasetId(c) === 'sensor.iot_devices');
    const columns = sourceColumns(devices as NonNullable<typeof devices>);
    expect(columns).not.toContain('longitude');
    expect(columns).not.toContain('coordinates');
    expect(columns).toContain('organization_id');
  });

  it('an org scope a join brings is not read from the main table', async () => {
    const sensors = (await loadContracts(schemas)).find((c) => datasetId(c) === 'sensor.iot_sensors');
    expect(sourceColumns(sensors as NonNullable<typeof sensors>)).not.toContain('organization_id');
  });

  it('insert-only needs a cursor and an overlap; overlap needs insert-only', () => {
    expect(problems(telemetry('mode: insert_only, overlap: 2 days'))).toEqual(['/source/mode insert_only needs a cursor (event time) and an overlap']);
    expect(problems(telemetry('mode: insert_only, cursor: id'))).toEqual(['/source/mode insert_only needs a cursor (event time) and an overlap']);
    expect(problems(telemetry('cursor: id, overlap: 2 days'))).toEqual(['/source/overlap applies only to mode insert_only']);
    expect(problems(telemetry('mode: insert_only, cursor: id, overlap: 2 days'))).toEqual([]);
    expect(problems(telemetry('mode: insert_only, cursor: id, overlap: "1 day; drop table x"')).join()).toContain('/source/overlap must match pattern');
  });

  it('derive checks its result type, and a derived field reads no source column', () => {
    expect(problems(telemetry('partition_by: [month]', '  - { name: month, type: int32, derive: { fn: month, of: ts } }'))).toEqual([
      '/fields/2 derive month gives string, not int32',
    ]);
    expect(problems(telemetry('', '  - { name: lon, type: float64, source: geom, derive: { fn: longitude, of: geom } }'))).toEqual([
      '/fields/2 a derived field reads no source column: drop "source" or "derive"',
    ]);
    expect(problems(telemetry('', '  - { name: lon, type: float64, derive: { fn: centroid, of: geom } }')).join()).toContain('/fields/2/derive/fn must be equal to one of the allowed values');
  });

  it('a chained join names a table joined before it; read_through needs an org scope of the main table', () => {
    expect(
      problems(
        telemetry(`joins: [{ table: stations, from: locations, on: { location_id: id }, columns: { organization_id: organization_id } }]`),
      ),
    ).toEqual(['/source/joins/0 from "locations" is not a table joined before it']);
    expect(problems(telemetry('read_through: read_readings'))).toEqual(['/source/read_through needs org_scope: read_readings(org) is called once per organization']);
    expect(
      problems(
        telemetry(
          'read_through: read_readings, org_scope: organization_id, joins: [{ table: devices, on: { device_id: id }, columns: { organization_id: organization_id } }]',
        ),
      ),
    ).toEqual(['/source/org_scope "organization_id" must be a column of readings when the table is read through read_readings']);
  });
});
