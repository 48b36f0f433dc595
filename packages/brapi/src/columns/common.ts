import { type BrapiColumn, column as c } from '../column-mapping.js';

/** The two free-form members every BrAPI entity carries, kept as JSON text, last in every row. */
export const COMMON_TAIL: readonly BrapiColumn[] = [c('/additionalInfo', 'json'), c('/externalReferences', 'json')];
