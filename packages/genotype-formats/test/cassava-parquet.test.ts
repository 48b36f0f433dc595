/**
 * The wide file end to end: cassava_test.vcf (14 variants × 9,990 samples) streamed into the
 * parquet package's writer, then read back by DuckDB, an independent reader.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { fileSink, ParquetFileWriter } from '@lake/parquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_COLUMNS, parseVcf } from '../src/index.js';
import { referenceFile } from './collect.js';

let dir: string;
let path: string;
let written: { rowCount: number; batches: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genotype-cassava-'));
  path = join(dir, 'calls.parquet');
  const sink = await fileSink(path);
  const writer = new ParquetFileWriter(CALL_COLUMNS, sink, { rowGroupSize: 65_536 });
  let batches = 0;
  for await (const e of parseVcf(referenceFile('cassava_test.vcf'))) {
    if (e.kind === 'calls') {
      await writer.writeBatch(e.batch);
      batches++;
    }
  }
  const { rowCount } = await writer.close();
  await sink.close();
  written = { rowCount, batches };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

describe('cassava_test.vcf → Parquet → DuckDB', () => {
  it('writes 14 × 9,990 = 139,860 calls in batches of at most 65,536', () => {
    expect(written.rowCount).toBe(139_860);
    expect(written.batches).toBe(3);
  });

  it('DuckDB reads back the same counts', async () => {
    const [row] = await query(`SELECT count(*) AS calls, count(DISTINCT variant_id) AS variants, count(DISTINCT sample) AS samples FROM read_parquet('${path}')`);
    expect(row).toEqual({ calls: 139_860n, variants: 14n, samples: 9990n });
    const genotypes = await query(`SELECT genotype, count(*) AS n FROM read_parquet('${path}') GROUP BY genotype ORDER BY genotype`);
    // 0/1 is the file's 246 "0/1" plus its 27 "1/0", normalized.
    expect(genotypes).toEqual([
      { genotype: './.', n: 25_667n },
      { genotype: '0/0', n: 113_893n },
      { genotype: '0/1', n: 273n },
      { genotype: '1/1', n: 27n },
    ]);
  });

  it('spot-checks genotypes and FORMAT fields', async () => {
    const rows = await query(
      `SELECT sample, genotype, allele_dosage, depth, genotype_quality, allele_depths, likelihoods, source_line
       FROM read_parquet('${path}') WHERE variant_id = 'S1_14740'
       AND sample IN ('1002:250060174', '1004:250060214', '2013_0202_50:250160180', '2013_0203_1:250160186') ORDER BY sample`,
    );
    expect(rows).toEqual([
      { sample: '1002:250060174', genotype: '0/0', allele_dosage: 0, depth: 3, genotype_quality: 88, allele_depths: [3, 0], likelihoods: [0, 9, 108], source_line: 10n },
      // TASSEL's -1 sentinels for a missing call become nulls.
      { sample: '1004:250060214', genotype: './.', allele_dosage: null, depth: 0, genotype_quality: null, allele_depths: [0, 0], likelihoods: null, source_line: 10n },
      { sample: '2013_0202_50:250160180', genotype: '1/1', allele_dosage: 2, depth: 1, genotype_quality: 66, allele_depths: [0, 1], likelihoods: [36, 3, 0], source_line: 10n },
      { sample: '2013_0203_1:250160186', genotype: '0/1', allele_dosage: 1, depth: 6, genotype_quality: 98, allele_depths: [5, 1], likelihoods: [18, 0, 162], source_line: 10n },
    ]);
  });
});
