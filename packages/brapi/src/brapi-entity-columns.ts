import type { BrapiEntityName } from './brapi-entities.js';
import type { BrapiColumn } from './column-mapping.js';
import { CALL_COLUMNS, CALL_SET_COLUMNS, SAMPLE_COLUMNS, VARIANT_COLUMNS } from './columns/genotyping.js';
import { GERMPLASM_COLUMNS } from './columns/germplasm.js';
import { LOCATION_COLUMNS, PROGRAM_COLUMNS, SEASON_COLUMNS, STUDY_COLUMNS, TRIAL_COLUMNS } from './columns/core.js';
import { IMAGE_COLUMNS, OBSERVATION_COLUMNS, OBSERVATION_UNIT_COLUMNS, OBSERVATION_VARIABLE_COLUMNS } from './columns/phenotyping.js';

/**
 * The lake columns of every ingested entity, in row order. Each is a `ColumnSpec` (name, lake
 * type, nullable) plus the JSON pointer it reads (`source`), so a dataset contract can be
 * generated from it.
 *
 * Naming: the snake_case of the BrAPI field (`observationTimeStamp` → `observation_time_stamp`),
 * SQL keywords included (`row`, `column`, `start`, `end`: quote them in SQL). A flattened nested
 * field keeps its own name when that already says what it belongs to (`season/seasonDbId` →
 * `season_db_id`, `trait/traitName` → `trait_name`) and is prefixed otherwise
 * (`season/year` → `season_year`, `scale/dataType` → `scale_data_type`).
 */
export const BRAPI_ENTITY_COLUMNS: Readonly<Record<BrapiEntityName, readonly BrapiColumn[]>> = {
  observations: OBSERVATION_COLUMNS,
  observationunits: OBSERVATION_UNIT_COLUMNS,
  variables: OBSERVATION_VARIABLE_COLUMNS,
  images: IMAGE_COLUMNS,
  germplasm: GERMPLASM_COLUMNS,
  studies: STUDY_COLUMNS,
  trials: TRIAL_COLUMNS,
  programs: PROGRAM_COLUMNS,
  locations: LOCATION_COLUMNS,
  seasons: SEASON_COLUMNS,
  samples: SAMPLE_COLUMNS,
  variants: VARIANT_COLUMNS,
  callsets: CALL_SET_COLUMNS,
  calls: CALL_COLUMNS,
};
