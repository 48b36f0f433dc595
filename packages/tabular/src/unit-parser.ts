/**
 * Unit spellings → UCUM. Accepts UCUM codes (`kg/ha`, `MJ/m2/d`, `[lb_av]/[acr_us]`) and what
 * people write in headers: `°C`, `degC`, `C`, `kg ha-1`, `kg·ha⁻¹`, `g/m²`, `lb/ac`, `mm/day`,
 * `km h-1`. The result carries the dimension and exact scale the converter needs.
 */
import {
  ATOM_ALIASES,
  CASED_ALIASES,
  type Dimension,
  mul,
  pow,
  type Ratio,
  ratio,
  UNIT_ALIASES,
  UNIT_ATOMS,
  type UnitAtom,
} from './ucum-units.js';

/** A parsed unit: its canonical UCUM code, dimension and exact scale to the SI base. */
export interface Unit {
  /** Canonical UCUM code, e.g. `kg/ha`, `Cel`, `[lb_av]/[acr_us]`. */
  code: string;
  dim: Dimension;
  scale: Ratio;
  /** For affine temperature units only. */
  offset?: Ratio;
}

export type UnitParseResult = { ok: true; unit: Unit } | { ok: false; message: string };

const SUPERSCRIPTS: Record<string, string> = { '⁻': '-', '¹': '1', '²': '2', '³': '3' };
const TERM = /^(.+?)(-?\d+)?$/;

/**
 * Parses a unit spelling.
 * @example parseUnit('kg ha-1') // { ok: true, unit: { code: 'kg/ha', … } }
 * @example parseUnit('°C').unit.code // 'Cel'
 */
export function parseUnit(text: string): UnitParseResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'empty unit' };
  const whole = UNIT_ALIASES[trimmed.toLowerCase().replace(/\s+/g, '')];
  const spelled = (whole ?? trimmed)
    .replace(/[⁻¹²³]/g, (c) => SUPERSCRIPTS[c] as string)
    .replace(/\^/g, '')
    .replace(/\s*\bper\b\s*/gi, '/')
    .replace(/\s*\/\s*/g, '/')
    .replace(/[·*×]/g, ' ')
    .trim();
  const factors = new Map<string, { atom: UnitAtom; exp: number }>();
  // Tokens are terms; each is preceded by '/', '.', ' ' or nothing.
  const tokens = spelled.match(/[/. ]?[^/. ]+/g) ?? [];
  for (const token of tokens) {
    const inverse = token.startsWith('/');
    const body = /^[/. ]/.test(token) ? token.slice(1) : token;
    const term = parseTerm(body);
    if (!term) return { ok: false, message: `unknown unit ${JSON.stringify(trimmed)} (no unit ${JSON.stringify(body)})` };
    const exp = inverse ? -term.exp : term.exp;
    const seen = factors.get(term.atom.code);
    factors.set(term.atom.code, { atom: term.atom, exp: (seen?.exp ?? 0) + exp });
  }
  const parts = [...factors.values()].filter((f) => f.exp !== 0);
  if (parts.length === 0) return { ok: false, message: `unknown unit ${JSON.stringify(trimmed)}` };
  const affine = parts.find((p) => p.atom.offset);
  if (affine && (parts.length > 1 || affine.exp !== 1)) {
    return { ok: false, message: `${affine.atom.name} has an offset and cannot be part of a compound unit (${JSON.stringify(trimmed)}); use K` };
  }
  let scale = ratio(1);
  const dim = [0, 0, 0, 0];
  for (const { atom, exp } of parts) {
    scale = mul(scale, pow(atom.scale, exp));
    for (let i = 0; i < 4; i++) dim[i] = (dim[i] as number) + (atom.dim[i] as number) * exp;
  }
  const unit: Unit = { code: canonicalCode(parts), dim: dim as unknown as Dimension, scale };
  if (affine?.atom.offset) unit.offset = affine.atom.offset;
  return { ok: true, unit };
}

/**
 * The canonical UCUM code of a spelling, or `undefined` when it is not a unit this table knows.
 * @example toUcum('kg ha-1') // 'kg/ha'
 */
export function toUcum(text: string): string | undefined {
  const parsed = parseUnit(text);
  return parsed.ok ? parsed.unit.code : undefined;
}

function parseTerm(body: string): { atom: UnitAtom; exp: number } | undefined {
  const direct = lookupAtom(body);
  if (direct) return { atom: direct, exp: 1 };
  const m = TERM.exec(body);
  if (!m || m[2] === undefined) return undefined;
  const atom = lookupAtom(m[1] as string);
  return atom ? { atom, exp: Number(m[2]) } : undefined;
}

function lookupAtom(name: string): UnitAtom | undefined {
  const code = UNIT_ATOMS.has(name) ? name : (CASED_ALIASES[name] ?? ATOM_ALIASES[name.toLowerCase()]);
  return code === undefined ? undefined : UNIT_ATOMS.get(code);
}

function canonicalCode(parts: { atom: UnitAtom; exp: number }[]): string {
  const term = (p: { atom: UnitAtom; exp: number }) => `${p.atom.code}${Math.abs(p.exp) === 1 ? '' : Math.abs(p.exp)}`;
  const num = parts.filter((p) => p.exp > 0).map(term);
  const den = parts.filter((p) => p.exp < 0).map(term);
  return (num.length > 0 ? num.join('.') : '1') + den.map((d) => `/${d}`).join('');
}
