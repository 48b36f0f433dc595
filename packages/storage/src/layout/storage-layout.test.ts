import { describe, expect, it } from 'vitest';
import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';
import { DEFAULT_BUCKETS } from './buckets.js';
import { formatObjectKey } from './object-key.js';
import { decodePartitionValue, encodePartitionValue, parsePartitionSegment } from './partition.js';
import { createStorageLayout } from './storage-layout.js';

const layout = createStorageLayout();
const str = (k: { bucket: string; path: string }) => formatObjectKey(k as Parameters<typeof formatObjectKey>[0]);

describe('createStorageLayout', () => {
  it('builds every kind of key', () => {
    expect(str(layout.rawKey('phenotype', 'uploads', 'trial_2024.csv'))).toBe('bijmantra-raw/phenotype/uploads/trial_2024.csv');
    expect(str(layout.stagingKey('genotype', 'run-01_a', 'calls', [['study_id', 7]], 'part-0.parquet'))).toBe(
      'bijmantra-raw/genotype/_staging/run-01_a/calls/study_id=7/part-0.parquet',
    );
    expect(
      str(layout.normalizedKey('phenotype', 'observations', 3, [['organization_id', 1], ['study_id', null]], 'part-0.parquet')),
    ).toBe('bijmantra-normalized/phenotype/observations/v3/organization_id=1/study_id=__null__/part-0.parquet');
    expect(str(layout.curatedKey('ai_features', 'yield_features', 12, 'part-0.parquet'))).toBe(
      'bijmantra-curated/ai_features/yield_features/v12/part-0.parquet',
    );
    expect(str(layout.metadataKey('schemas', 'soil', 'samples', '1.2.0.yaml'))).toBe('bijmantra-metadata/schemas/soil/samples/1.2.0.yaml');
  });

  it('builds listing prefixes that end with "/"', () => {
    expect(str(layout.datasetPrefix('phenotype', 'observations'))).toBe('bijmantra-normalized/phenotype/observations/');
    expect(str(layout.versionPrefix('phenotype', 'observations', 1))).toBe('bijmantra-normalized/phenotype/observations/v1/');
    expect(str(layout.datasetPrefix('reports', 'summary'))).toBe('bijmantra-curated/reports/summary/');
    expect(str(layout.versionPrefix('analysis_ready', 'summary', 2))).toBe('bijmantra-curated/analysis_ready/summary/v2/');
    expect(str(layout.stagingPrefix('sensor', 'r-1'))).toBe('bijmantra-raw/sensor/_staging/r-1/');
    expect(str(layout.stagingRootPrefix('sensor'))).toBe('bijmantra-raw/sensor/_staging/');
    expect(str(layout.normalizedDomainPrefix('climate'))).toBe('bijmantra-normalized/climate/');
    expect(str(layout.curatedZonePrefix('reports'))).toBe('bijmantra-curated/reports/');
    expect(str(layout.rawPrefix('soil'))).toBe('bijmantra-raw/soil/');
    expect(str(layout.metadataPrefix('lineage', 'soil'))).toBe('bijmantra-metadata/lineage/soil/');
    expect(layout.datasetPrefix('reports', 'summary').tier).toBe('curated');
  });

  it('uses the configured buckets and tags keys with their tier', () => {
    const custom = createStorageLayout({ raw: 'lake-raw', normalized: 'lake-norm', curated: 'lake-cur', metadata: 'lake-meta' });
    const key = custom.normalizedKey('soil', 'samples', 1, [], 'a.parquet');
    expect(key).toEqual({ tier: 'normalized', bucket: 'lake-norm', path: 'soil/samples/v1/a.parquet' });
    expect(Object.isFrozen(key)).toBe(true);
    expect(layout.buckets).toEqual(DEFAULT_BUCKETS);
  });

  it('rejects bad bucket configuration', () => {
    expect(() => createStorageLayout({ ...DEFAULT_BUCKETS, raw: 'Bad_Bucket' })).toThrow(InvalidObjectKeyError);
    expect(() => createStorageLayout({ ...DEFAULT_BUCKETS, raw: DEFAULT_BUCKETS.curated })).toThrow(/distinct/);
  });

  it.each([
    ['unknown domain', () => layout.rawKey('weather' as never, 'a.csv'), /domain "weather"/],
    ['uppercase dataset', () => layout.normalizedKey('soil', 'Samples', 1, [], 'a.parquet'), /dataset name "Samples"/],
    ['dash in dataset', () => layout.curatedKey('reports', 'my-report', 1, 'a.parquet'), /dataset name "my-report"/],
    ['version 0', () => layout.normalizedKey('soil', 'samples', 0, [], 'a.parquet'), /version 0/],
    ['fractional version', () => layout.versionPrefix('soil', 'samples', 1.5), /version 1.5/],
    ['dotdot file', () => layout.metadataKey('lineage', 'soil', 'x', '..'), /file name/],
    ['file with ..', () => layout.metadataKey('lineage', 'soil', 'x', 'a..json'), /must not contain/],
    ['hidden file', () => layout.metadataKey('lineage', 'soil', 'x', '.env'), /file name ".env"/],
    ['slash in file', () => layout.curatedKey('reports', 'x', 1, 'a/b.parquet'), /file name "a\/b.parquet"/],
    ['empty raw segment', () => layout.rawKey('soil', '', 'a.csv'), /raw path segment ""/],
    ['no raw segment', () => layout.rawKey('soil'), /at least one/],
    ['raw traversal', () => layout.rawKey('soil', '..', 'a.csv'), /raw path segment/],
    ['reserved staging', () => layout.rawKey('soil', '_staging', 'a.csv'), /reserved/],
    ['uppercase run id', () => layout.stagingPrefix('soil', 'Run1'), /run id "Run1"/],
    ['bad partition column', () => layout.normalizedKey('soil', 'x', 1, [['Site', 'a']], 'a.parquet'), /partition column "Site"/],
    ['repeated column', () => layout.normalizedKey('soil', 'x', 1, [['a', 1], ['a', 2]], 'p.parquet'), /twice/],
    ['NaN partition', () => layout.normalizedKey('soil', 'x', 1, [['a', Number.NaN]], 'p.parquet'), /finite/],
    ['unknown zone', () => layout.curatedKey('gold' as never, 'x', 1, 'a.parquet'), /curated zone "gold"/],
    ['unknown kind', () => layout.metadataKey('docs' as never, 'soil', 'x', 'a.yaml'), /metadata kind "docs"/],
    ['foreign bucket', () => layout.parseKey('other/soil/a.csv'), /not in one of the lake buckets/],
    ['parsed traversal', () => layout.parseKey('bijmantra-raw/soil/../x.csv'), /".." segment/],
    ['parsed leading slash', () => layout.parseKey('bijmantra-raw//soil/x.csv'), /leading "\/"/],
  ])('rejects %s', (_label, build, message) => {
    expect(build).toThrow(InvalidObjectKeyError);
    expect(build).toThrow(message);
  });
});

describe('partition values', () => {
  it.each([
    ['plain', 'abc', 'abc'],
    ['unicode and spaces', 'Zea mays ñ', 'Zea%20mays%20%C3%B1'],
    ['slash and equals', 'a/b=c', 'a%2Fb%3Dc'],
    ['percent', '50%', '50%25'],
    ['empty', '', '__empty__'],
    ['looks like null', '__null__', '%5F_null__'],
    ['dots', '..', '..'],
    ['negative number', -1.5, '-1.5'],
    ['negative zero', -0, '0'],
    ['bigint', 12345678901234567890n, '12345678901234567890'],
    ['boolean', true, 'true'],
    ['null', null, '__null__'],
  ] as const)('encodes %s', (_label, value, encoded) => {
    expect(encodePartitionValue(value)).toBe(encoded);
    const expected = value === null ? null : typeof value === 'number' ? String(Object.is(value, -0) ? 0 : value) : String(value);
    expect(decodePartitionValue(encoded)).toBe(expected);
  });

  it('parses segments back', () => {
    expect(parsePartitionSegment('study_id=__null__')).toEqual(['study_id', null]);
    expect(parsePartitionSegment('site=A%201')).toEqual(['site', 'A 1']);
    expect(parsePartitionSegment('part-0.parquet')).toBeUndefined();
  });
});
