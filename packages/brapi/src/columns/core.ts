import { type BrapiColumn, column as c } from '../column-mapping.js';
import { COMMON_TAIL } from './common.js';

/** Lake columns of BrAPI-Core entities: programs, trials, studies, locations, seasons. */

/** `Program`: a breeding program. */
export const PROGRAM_COLUMNS: readonly BrapiColumn[] = [
  c('/programDbId', 'string'),
  c('/programName', 'string', { nullable: false }),
  c('/abbreviation', 'string'),
  c('/programType', 'string'),
  c('/commonCropName', 'string'),
  c('/objective', 'string'),
  c('/fundingInformation', 'string'),
  c('/leadPersonDbId', 'string'),
  c('/leadPersonName', 'string'),
  c('/documentationURL', 'string'),
  ...COMMON_TAIL,
];

/** `Trial`: a collection of studies; its dates are calendar dates (`format: date`). */
export const TRIAL_COLUMNS: readonly BrapiColumn[] = [
  c('/trialDbId', 'string'),
  c('/trialName', 'string', { nullable: false }),
  c('/trialPUI', 'string'),
  c('/trialDescription', 'string'),
  c('/active', 'boolean'),
  c('/commonCropName', 'string'),
  c('/programDbId', 'string'),
  c('/programName', 'string'),
  c('/startDate', 'date'),
  c('/endDate', 'date'),
  c('/documentationURL', 'string'),
  c('/contacts', 'json'),
  c('/datasetAuthorships', 'json'),
  c('/publications', 'json'),
  ...COMMON_TAIL,
];

/** `Study`: one experiment at one location; its dates are date-times (`format: date-time`). */
export const STUDY_COLUMNS: readonly BrapiColumn[] = [
  c('/studyDbId', 'string'),
  c('/studyName', 'string', { nullable: false }),
  c('/studyCode', 'string'),
  c('/studyPUI', 'string'),
  c('/studyType', 'string'),
  c('/studyDescription', 'string'),
  c('/active', 'boolean'),
  c('/commonCropName', 'string'),
  c('/trialDbId', 'string'),
  c('/trialName', 'string'),
  c('/locationDbId', 'string'),
  c('/locationName', 'string'),
  c('/startDate', 'timestamp'),
  c('/endDate', 'timestamp'),
  c('/seasons', 'list<string>'),
  c('/observationVariableDbIds', 'list<string>'),
  c('/observationUnitsDescription', 'string'),
  c('/culturalPractices', 'string'),
  c('/license', 'string'),
  c('/documentationURL', 'string'),
  c('/lastUpdate/timestamp', 'timestamp', { name: 'last_update_timestamp' }),
  c('/lastUpdate/version', 'string', { name: 'last_update_version' }),
  c('/experimentalDesign', 'json'),
  c('/growthFacility', 'json'),
  c('/observationLevels', 'json'),
  c('/environmentParameters', 'json'),
  c('/contacts', 'json'),
  c('/dataLinks', 'json'),
  c('/lastUpdate', 'json'),
  ...COMMON_TAIL,
];

/** `Location`: a field station, field or greenhouse. */
export const LOCATION_COLUMNS: readonly BrapiColumn[] = [
  c('/locationDbId', 'string'),
  c('/locationName', 'string', { nullable: false }),
  c('/locationType', 'string'),
  c('/abbreviation', 'string'),
  c('/parentLocationDbId', 'string'),
  c('/parentLocationName', 'string'),
  c('/countryCode', 'string'),
  c('/countryName', 'string'),
  c('/instituteName', 'string'),
  c('/instituteAddress', 'string'),
  c('/siteStatus', 'string'),
  c('/environmentType', 'string'),
  c('/exposure', 'string'),
  c('/slope', 'string'),
  c('/topography', 'string'),
  c('/coordinateDescription', 'string'),
  c('/coordinateUncertainty', 'string'),
  c('/coordinates', 'json'),
  c('/documentationURL', 'string'),
  ...COMMON_TAIL,
];

/** `Season`: a year and a term. Seasons carry no additionalInfo or externalReferences. */
export const SEASON_COLUMNS: readonly BrapiColumn[] = [
  c('/seasonDbId', 'string', { nullable: false }),
  c('/seasonName', 'string'),
  c('/year', 'int32'),
];
