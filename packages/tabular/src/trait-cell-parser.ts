/**
 * Field Book trait cells: `name|CURIE` (`dry matter content|CO_334:0000092`; older versions
 * write `CO:0000092`).
 */
import { type CellResult, fail, ok } from './cell-result.js';
import { quoteValue } from './tabular-error.js';

/** A trait as Field Book names it: the variable's name and its ontology term. */
export interface TraitRef {
  /** `null` when the cell holds only the CURIE. */
  name: string | null;
  curie: string;
}

const CURIE = /^[A-Za-z][\w.-]*:[\w.-]+$/;

/**
 * Parses a `name|CURIE` cell (or a bare CURIE).
 * @example parseTraitCell('plant_height|CO_334:0000018') // { ok: true, value: { name: 'plant_height', curie: 'CO_334:0000018' } }
 */
export function parseTraitCell(text: string): CellResult<TraitRef> {
  const t = text.trim();
  const bar = t.lastIndexOf('|');
  const name = bar < 0 ? null : t.slice(0, bar).trim();
  const curie = (bar < 0 ? t : t.slice(bar + 1)).trim();
  if (!CURIE.test(curie)) return fail('invalid-trait', `${quoteValue(t)} is not a trait reference (expected name|PREFIX:ID, e.g. plant_height|CO_334:0000018)`);
  if (name === '') return fail('invalid-trait', `${quoteValue(t)} has an empty trait name before the |`);
  return ok({ name, curie });
}
