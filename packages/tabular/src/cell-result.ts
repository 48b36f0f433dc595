import type { TabularRule } from './tabular-error.js';

/**
 * What a cell parser returns: the value in the lake's in-memory representation (`null` for a
 * missing value), or why the text is not one — a rule and a message naming the value and the
 * expected type. The row typer adds line, column and raw text to make a `TabularError`.
 */
export type CellResult<T> = { ok: true; value: T } | { ok: false; rule: TabularRule; message: string };

/** A successful result. */
export const ok = <T>(value: T): CellResult<T> => ({ ok: true, value });

/** A failed result. */
export const fail = <T = never>(rule: TabularRule, message: string): CellResult<T> => ({ ok: false, rule, message });
