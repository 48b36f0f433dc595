/**
 * Finds where a JSON pointer's value starts inside one entity's JSON text, so a schema error
 * can name the line of the bad value rather than the line of the entity. Runs only when an
 * entity has errors; the text is known to be valid JSON (the scanner checked it).
 */

/** A position relative to the start of an entity's text. */
export interface TextPosition {
  /** Lines after the entity's first line (0 = same line). */
  lineDelta: number;
  /** 1-based byte column when `lineDelta > 0`; bytes after the entity's first byte otherwise. */
  column: number;
  /** Bytes from the entity's first byte. */
  byteDelta: number;
}

const encoder = new TextEncoder();

/**
 * Locates `pointer` (RFC 6901) in `text`; when the pointer names a member that is absent (a
 * `required` error), falls back to the nearest existing ancestor.
 */
export function locateJsonPointer(text: string, pointer: string): TextPosition {
  let tokens = pointer === '' ? [] : pointer.slice(1).split('/').map(unescapeToken);
  for (;;) {
    const at = findValue(text, tokens);
    if (at !== null) return toPosition(text, at);
    tokens = tokens.slice(0, -1);
  }
}

/** Escapes one pointer token (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function toPosition(text: string, at: number): TextPosition {
  const before = text.slice(0, at);
  const lastNewline = before.lastIndexOf('\n');
  const lineDelta = lastNewline === -1 ? 0 : before.split('\n').length - 1;
  const bytes = encoder.encode(before.slice(lastNewline + 1)).length;
  return { lineDelta, column: lastNewline === -1 ? bytes : bytes + 1, byteDelta: encoder.encode(before).length };
}

/** Index in `text` where the value at `tokens` starts, or null. */
function findValue(text: string, tokens: string[]): number | null {
  let pos = skipWs(text, 0);
  for (const token of tokens) {
    const c = text[pos];
    if (c === '{') {
      pos = skipWs(text, pos + 1);
      let found = false;
      while (text[pos] !== '}') {
        const keyEnd = skipString(text, pos);
        const key = JSON.parse(text.slice(pos, keyEnd)) as string;
        pos = skipWs(text, skipWs(text, keyEnd) + 1); // past ':'
        if (key === token) {
          found = true;
          break;
        }
        pos = skipWs(text, skipValue(text, pos));
        if (text[pos] === ',') pos = skipWs(text, pos + 1);
      }
      if (!found) return null;
    } else if (c === '[') {
      const wanted = /^(0|[1-9]\d*)$/.test(token) ? Number(token) : -1;
      if (wanted < 0) return null;
      pos = skipWs(text, pos + 1);
      for (let i = 0; i < wanted; i++) {
        if (text[pos] === ']') return null;
        pos = skipWs(text, skipValue(text, pos));
        if (text[pos] === ',') pos = skipWs(text, pos + 1);
      }
      if (text[pos] === ']') return null;
    } else return null;
  }
  return pos;
}

function skipWs(text: string, pos: number): number {
  while (pos < text.length && ' \t\r\n'.includes(text[pos] as string)) pos++;
  return pos;
}

function skipString(text: string, pos: number): number {
  let i = pos + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Index just past the value starting at `pos`. */
function skipValue(text: string, pos: number): number {
  const c = text[pos];
  if (c === '"') return skipString(text, pos);
  if (c === '{' || c === '[') {
    let depth = 0;
    let i = pos;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i = skipString(text, i);
        continue;
      }
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  let i = pos;
  while (i < text.length && !',}] \t\r\n'.includes(text[i] as string)) i++;
  return i;
}
