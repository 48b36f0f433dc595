/**
 * VCF meta-information (`##` lines) and the INFO column. Only what the parser needs: the
 * declared Number/Type of INFO and FORMAT keys, used to type INFO values in the variants' JSON.
 */

/** A declared INFO or FORMAT key. */
export interface VcfFieldDefinition {
  id: string;
  /** `1`, `A`, `R`, `G`, `.` or a count. */
  number: string;
  /** `Integer`, `Float`, `Flag`, `Character` or `String`. */
  type: string;
}

/** The definitions gathered from the meta lines. */
export interface VcfDefinitions {
  fileformat: string | null;
  info: Map<string, VcfFieldDefinition>;
  format: Map<string, VcfFieldDefinition>;
}

/** A fresh, empty set of definitions. */
export function emptyDefinitions(): VcfDefinitions {
  return { fileformat: null, info: new Map(), format: new Map() };
}

/**
 * Reads one `##key=value` or `##key=<ID=…,Number=…,…>` line into `defs`. Returns a message when
 * the line is malformed (the caller warns; a bad meta line never stops the parse).
 */
export function readMetaLine(text: string, defs: VcfDefinitions): string | null {
  const eq = text.indexOf('=');
  if (eq < 3) return `meta line is not "##key=value"`;
  const key = text.slice(2, eq);
  const value = text.slice(eq + 1);
  if (key === 'fileformat') {
    defs.fileformat = value;
    return null;
  }
  if (key !== 'INFO' && key !== 'FORMAT') return null;
  if (!value.startsWith('<') || !value.endsWith('>')) return `${key} definition is not enclosed in <…>`;
  const fields = structuredFields(value.slice(1, -1));
  const id = fields.get('ID');
  if (!id) return `${key} definition has no ID`;
  const def = { id, number: fields.get('Number') ?? '.', type: fields.get('Type') ?? 'String' };
  (key === 'INFO' ? defs.info : defs.format).set(id, def);
  return null;
}

/** Splits `ID=DP,Number=1,Description="a, b"` on commas outside double quotes. */
function structuredFields(body: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf('=', i);
    if (eq === -1) break;
    const key = body.slice(i, eq).trim();
    let j = eq + 1;
    let value = '';
    if (body[j] === '"') {
      j++;
      while (j < body.length && body[j] !== '"') {
        if (body[j] === '\\' && j + 1 < body.length) j++;
        value += body[j];
        j++;
      }
      j++; // closing quote
    } else {
      const comma = body.indexOf(',', j);
      const end = comma === -1 ? body.length : comma;
      value = body.slice(j, end);
      j = end;
    }
    out.set(key, value);
    i = body.indexOf(',', j);
    if (i === -1) break;
    i++;
  }
  return out;
}

/**
 * INFO text (`NS=3;DP=14;AF=0.5;DB`) as JSON text, values typed by their definitions: numbers
 * for Integer/Float, `true` for flags, arrays when Number is not 1. A value that does not fit
 * its declared type is kept as a string and reported through `onInvalid`. `.` gives null.
 */
export function infoToJson(info: string, defs: VcfDefinitions, onInvalid: (key: string, raw: string) => void): string | null {
  if (info === '.' || info === '') return null;
  const out: Record<string, unknown> = {};
  for (const entry of info.split(';')) {
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq === -1) {
      out[entry] = true;
      continue;
    }
    const key = entry.slice(0, eq);
    const raw = entry.slice(eq + 1);
    const def = defs.info.get(key);
    if (!def) {
      out[key] = raw;
      continue;
    }
    const numeric = def.type === 'Integer' || def.type === 'Float';
    const parts = raw.split(',').map((part): unknown => {
      if (!numeric || part === '.') return part === '.' ? null : part;
      const n = Number(part);
      if (part.trim() === '' || !Number.isFinite(n) || (def.type === 'Integer' && !Number.isInteger(n))) {
        onInvalid(key, raw);
        return part;
      }
      return n;
    });
    out[key] = def.number === '1' ? parts[0] : parts;
  }
  return JSON.stringify(out);
}
