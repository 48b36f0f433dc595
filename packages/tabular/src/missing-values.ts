/** Missing-value tokens: the text researchers write for "no value". */

/** Tokens read as missing unless the caller gives its own list. */
export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'null', '.', '-'];

/**
 * A matcher for a token list; comparison trims and ignores case (`na`, ` NULL `).
 * @example missingMatcher([...DEFAULT_MISSING_VALUES, '-999'])('-999') // true
 */
export function missingMatcher(tokens: readonly string[] = DEFAULT_MISSING_VALUES): (text: string) => boolean {
  const set = new Set(tokens.map((t) => t.trim().toLowerCase()));
  return (text) => set.has(text.trim().toLowerCase());
}
