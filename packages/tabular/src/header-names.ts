/**
 * Header cell → comparable name and written unit. `Plant height (cm)`, `plant_height` and
 * `PLANT HEIGHT` compare equal; `Tmean[°C]` is the name `Tmean` with the unit `°C`.
 */

/** A header cell split into its name and the unit written after it, if any. */
export interface HeaderName {
  name: string;
  /** The text inside the trailing `(…)`, `[…]` or `{…}`, not yet checked to be a unit. */
  unitText?: string;
}

const TRAILING_UNIT = /^(.*?)\s*(?:\(([^()]*)\)|\[([^[\]]*)\]|\{([^{}]*)\})\s*$/;

/**
 * Splits the trailing bracketed unit off a header cell.
 * @example splitHeaderUnit('Tmean[°C]') // { name: 'Tmean', unitText: '°C' }
 * @example splitHeaderUnit('Yield (kg/ha)') // { name: 'Yield', unitText: 'kg/ha' }
 */
export function splitHeaderUnit(cell: string): HeaderName {
  const m = TRAILING_UNIT.exec(cell.trim());
  if (!m || (m[1] as string).trim() === '') return { name: cell.trim() };
  const unitText = (m[2] ?? m[3] ?? m[4] ?? '').trim();
  return unitText === '' ? { name: (m[1] as string).trim() } : { name: (m[1] as string).trim(), unitText };
}

/**
 * The comparable form of a name: diacritics removed, lower case, letters and digits only.
 * @example normalizeHeaderName('Plant  Height') // 'plantheight'
 * @example normalizeHeaderName('plant_height') // 'plantheight'
 */
export function normalizeHeaderName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
}
