import { join } from 'node:path';
import { type DatasetContract, loadContract, type PostgresSourceContract } from '@lake/contracts';
import { createSourceDatabase, dropSourceDatabase, seed } from '@lake/fixture';
import { pgAdminUrl, uniqueName } from '@lake/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintQuery } from '../src/source-query.js';

const schemas = join(import.meta.dirname, '../../../schemas');

type Prints = Map<string, { rows: number; fingerprint: string }>;

describe('fingerprints of a mutable table (PostgreSQL, RLS)', () => {
  let source: { adminUrl: string; extractUrl: string; database: string };
  let admin: pg.Client;
  let contract: DatasetContract;
  let rowsContract: DatasetContract;
  beforeAll(async () => {
    source = await createSourceDatabase({ adminUrl: pgAdminUrl(), database: uniqueName('src') });
    await seed(source.adminUrl, { rows: 20_000, orgs: 2, seed: 5 });
    // Observations as a contract with partition rewrites would have them (the shipped one has row
    // deltas and organization partitions): fingerprints by organization and study.
    rowsContract = await loadContract(join(schemas, 'phenotype/observations.yaml'));
    const { incremental: _, ...bySource } = rowsContract.source as PostgresSourceContract;
    contract = { ...rowsContract, source: { ...bySource, partition_by: ['organization_id', 'study_id'] } };
    admin = new pg.Client({ connectionString: source.adminUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await dropSourceDatabase({ adminUrl: pgAdminUrl(), database: source.database });
  });

  /** Every partition's fingerprint, one organization at a time in one snapshot, as the extract reads them. */
  async function fingerprints(of = contract): Promise<Prints> {
    const reader = new pg.Client({ connectionString: source.extractUrl });
    await reader.connect();
    try {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const orgs = (await reader.query<{ id: number }>('SELECT id FROM organizations ORDER BY id')).rows.map((r) => r.id);
      const out: Prints = new Map();
      for (const org of orgs) {
        await reader.query("SELECT set_config('app.current_organization_id', $1, true)", [String(org)]);
        const { rows } = await reader.query<{ key: string; rows: string; fingerprint: string }>(fingerprintQuery(of, org));
        for (const r of rows) out.set(r.key, { rows: Number(r.rows), fingerprint: r.fingerprint });
      }
      await reader.query('COMMIT');
      return out;
    } finally {
      await reader.end();
    }
  }

  const changed = (before: Prints, after: Prints) =>
    [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k)?.fingerprint !== after.get(k)?.fingerprint).sort();

  /** The partition key as PostgreSQL prints it: `["1", "35"]`. */
  const partitionKey = (org: number, study: number) => `["${org}", "${study}"]`;

  it('has the partitions and row counts the source query selects by, and stays the same while nothing changes', async () => {
    const expected = await admin.query<{ key: string; rows: number }>(
      'SELECT jsonb_build_array(organization_id::text, study_id::text)::text AS key, count(*)::int AS rows FROM observations GROUP BY 1',
    );
    const first = await fingerprints();
    expect(new Map([...first].map(([k, v]) => [k, v.rows]))).toEqual(new Map(expected.rows.map((r) => [r.key, r.rows])));
    expect([...first.keys()].some((k) => k.endsWith(', null]'))).toBe(true); // rows without a study
    expect(await fingerprints()).toEqual(first);
  });

  it('changes exactly the partitions whose rows changed: same-value updates, an even number of rows joining an updated lookup row, moves, a delete with an insert', async () => {
    const { rows: parts } = await admin.query<{ organization_id: number; study_id: number; ids: number[] }>(
      `SELECT organization_id, study_id, array_agg(id ORDER BY id) AS ids FROM observations
       WHERE study_id IS NOT NULL AND organization_id = (SELECT min(id) FROM organizations)
       GROUP BY 1, 2 HAVING count(*) >= 4 ORDER BY 1, 2 LIMIT 5`,
    );
    expect(parts).toHaveLength(5);
    const [p1, p2, p3, p4, p5] = parts as [(typeof parts)[0], (typeof parts)[0], (typeof parts)[0], (typeof parts)[0], (typeof parts)[0]];
    // A lookup row that exactly two rows join, both in one partition: its xmin appears twice there.
    const variable = await admin.query<{ id: number }>(
      `INSERT INTO observation_variables (organization_id, observation_variable_db_id, observation_variable_name, data_type, valid_values, created_at, updated_at)
       SELECT organization_id, observation_variable_db_id || '-twin', observation_variable_name, data_type, valid_values, created_at, updated_at
       FROM observation_variables WHERE id = (SELECT observation_variable_id FROM observations WHERE id = $1) RETURNING id`,
      [p2.ids[0]],
    );
    await admin.query('UPDATE observations SET observation_variable_id = $1 WHERE id = ANY($2)', [variable.rows[0]?.id, p2.ids.slice(0, 2)]);
    const before = await fingerprints();

    await admin.query('UPDATE observations SET value = value WHERE id = $1', [p1.ids[0]]); // the same values, updated_at forgotten
    await admin.query('UPDATE observation_variables SET observation_variable_name = observation_variable_name WHERE id = $1', [variable.rows[0]?.id]);
    await admin.query('UPDATE observations SET study_id = $1 WHERE id = $2', [p4.study_id, p3.ids[0]]);
    await admin.query(
      `INSERT INTO observations (organization_id, observation_unit_id, observation_variable_id, study_id, germplasm_id, observation_db_id, collector,
                                 observation_time_stamp, value, created_at, updated_at)
       SELECT organization_id, observation_unit_id, observation_variable_id, study_id, germplasm_id, observation_db_id || '-again', collector,
              observation_time_stamp, value, created_at, updated_at
       FROM observations WHERE id = $1`,
      [p5.ids[1]],
    );
    await admin.query('DELETE FROM observations WHERE id = $1', [p5.ids[0]]);
    const after = await fingerprints();

    expect(changed(before, after)).toEqual([p1, p2, p3, p4, p5].map((p) => partitionKey(p.organization_id, p.study_id)).sort());
    expect(after.get(partitionKey(p5.organization_id, p5.study_id))?.rows).toBe(p5.ids.length);
  });

  it('counts the rows of a contract with row-level deltas, which compares keys instead', async () => {
    const expected = await admin.query<{ key: string; rows: number }>('SELECT jsonb_build_array(organization_id::text)::text AS key, count(*)::int AS rows FROM observations GROUP BY 1');
    const prints = await fingerprints(rowsContract);
    expect(new Map([...prints].map(([k, v]) => [k, v]))).toEqual(new Map(expected.rows.map((r) => [r.key, { rows: r.rows, fingerprint: String(r.rows) }])));
  });
});
