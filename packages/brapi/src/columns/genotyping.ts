import { type BrapiColumn, column as c } from '../column-mapping.js';
import { COMMON_TAIL } from './common.js';

/** Lake columns of BrAPI-Genotyping entities: samples, variants, call sets, calls. */

/**
 * `Sample`. The 2.1 `Sample` schema has no `sampleDbId` property although servers return one
 * and bulk PUT keys name it; the column reads it when present (or from the PUT key).
 */
export const SAMPLE_COLUMNS: readonly BrapiColumn[] = [
  c('/sampleDbId', 'string'),
  c('/sampleName', 'string', { nullable: false }),
  c('/samplePUI', 'string'),
  c('/sampleBarcode', 'string'),
  c('/sampleDescription', 'string'),
  c('/sampleGroupDbId', 'string'),
  c('/sampleType', 'string'),
  c('/tissueType', 'string'),
  c('/sampleTimestamp', 'timestamp'),
  c('/takenBy', 'string'),
  c('/germplasmDbId', 'string'),
  c('/observationUnitDbId', 'string'),
  c('/studyDbId', 'string'),
  c('/trialDbId', 'string'),
  c('/programDbId', 'string'),
  c('/plateDbId', 'string'),
  c('/plateName', 'string'),
  c('/row', 'string'),
  c('/column', 'int32'),
  c('/well', 'string'),
  ...COMMON_TAIL,
];

/** `Variant`: a marker / site. Positions are int64 (some plant chromosomes exceed 2^31 bases). */
export const VARIANT_COLUMNS: readonly BrapiColumn[] = [
  c('/variantDbId', 'string', { nullable: false }),
  c('/variantNames', 'list<string>'),
  c('/variantType', 'string'),
  c('/variantSetDbId', 'list<string>'),
  c('/referenceDbId', 'string'),
  c('/referenceName', 'string'),
  c('/referenceSetDbId', 'string'),
  c('/referenceSetName', 'string'),
  c('/start', 'int64'),
  c('/end', 'int64'),
  c('/svlen', 'int64'),
  c('/cipos', 'list<int64>'),
  c('/ciend', 'list<int64>'),
  c('/referenceBases', 'string'),
  c('/alternateBases', 'list<string>', { fallback: '/alternate_bases' }),
  c('/filtersApplied', 'boolean'),
  c('/filtersPassed', 'boolean'),
  c('/filtersFailed', 'list<string>'),
  c('/created', 'timestamp'),
  c('/updated', 'timestamp'),
  ...COMMON_TAIL,
];

/** `CallSet`: the calls of one sample in one or more variant sets. */
export const CALL_SET_COLUMNS: readonly BrapiColumn[] = [
  c('/callSetDbId', 'string', { nullable: false }),
  c('/callSetName', 'string'),
  c('/sampleDbId', 'string'),
  c('/studyDbId', 'string'),
  c('/variantSetDbIds', 'list<string>'),
  c('/created', 'timestamp'),
  c('/updated', 'timestamp'),
  ...COMMON_TAIL,
];

/** `Call`: one genotype of one call set at one variant. Calls carry no externalReferences. */
export const CALL_COLUMNS: readonly BrapiColumn[] = [
  c('/callSetDbId', 'string', { nullable: false }),
  c('/callSetName', 'string'),
  c('/variantDbId', 'string', { nullable: false }),
  c('/variantName', 'string'),
  c('/variantSetDbId', 'string', { nullable: false }),
  c('/variantSetName', 'string'),
  c('/genotypeValue', 'string'),
  c('/phaseSet', 'string'),
  c('/genotype_likelihood', 'list<float64>'),
  c('/genotypeMetadata', 'json'),
  // Deprecated ListValue (`{"values": ["AA"]}`), kept as sent.
  c('/genotype', 'json'),
  c('/additionalInfo', 'json'),
];
