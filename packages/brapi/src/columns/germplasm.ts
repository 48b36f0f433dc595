import { type BrapiColumn, column as c } from '../column-mapping.js';
import { COMMON_TAIL } from './common.js';

/** Lake columns of BrAPI-Germplasm entities. */

/** `Germplasm`: an accession, line or variety (MCPD-aligned). */
export const GERMPLASM_COLUMNS: readonly BrapiColumn[] = [
  c('/germplasmDbId', 'string'),
  c('/germplasmName', 'string', { nullable: false }),
  c('/germplasmPUI', 'string', { nullable: false }),
  c('/commonCropName', 'string', { nullable: false }),
  c('/defaultDisplayName', 'string'),
  c('/accessionNumber', 'string'),
  c('/acquisitionDate', 'date'),
  c('/biologicalStatusOfAccessionCode', 'string'),
  c('/biologicalStatusOfAccessionDescription', 'string'),
  c('/breedingMethodDbId', 'string'),
  c('/breedingMethodName', 'string'),
  c('/collection', 'string'),
  c('/countryOfOriginCode', 'string'),
  c('/genus', 'string'),
  c('/species', 'string'),
  c('/speciesAuthority', 'string'),
  c('/subtaxa', 'string'),
  c('/subtaxaAuthority', 'string'),
  c('/instituteCode', 'string'),
  c('/instituteName', 'string'),
  c('/pedigree', 'string'),
  c('/seedSource', 'string'),
  c('/seedSourceDescription', 'string'),
  c('/germplasmPreprocessing', 'string'),
  c('/documentationURL', 'string'),
  c('/donors', 'json'),
  c('/germplasmOrigin', 'json'),
  c('/storageTypes', 'json'),
  c('/synonyms', 'json'),
  c('/taxonIds', 'json'),
  ...COMMON_TAIL,
];
