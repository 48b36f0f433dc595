/**
 * The unit table: the UCUM atoms plant-breeding and weather files use, each with its dimension
 * and its exact scale (a fraction) to the SI base. Conversions are computed from these
 * fractions, so `cm → m` is `÷100`, not `×0.01`, and `K → Cel` is exact.
 */

/** An exact non-negative fraction. */
export interface Ratio {
  n: bigint;
  d: bigint;
}

/** Exponents of length, mass, time, temperature. */
export type Dimension = readonly [number, number, number, number];

export interface UnitAtom {
  /** UCUM case-sensitive code. */
  code: string;
  dim: Dimension;
  /** One of this unit in the SI base of its dimension. */
  scale: Ratio;
  /** Affine units (Cel, [degF]): kelvin = value × scale + offset. Such atoms stand alone. */
  offset?: Ratio;
  /** Human name, for messages. */
  name: string;
}

export function ratio(n: bigint | number, d: bigint | number = 1n): Ratio {
  return reduce({ n: BigInt(n), d: BigInt(d) });
}

export function reduce(r: Ratio): Ratio {
  const g = gcd(r.n < 0n ? -r.n : r.n, r.d);
  const sign = r.d < 0n ? -1n : 1n;
  return g === 0n ? { n: 0n, d: 1n } : { n: (sign * r.n) / g, d: (sign * r.d) / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export const mul = (a: Ratio, b: Ratio): Ratio => reduce({ n: a.n * b.n, d: a.d * b.d });
export const div = (a: Ratio, b: Ratio): Ratio => reduce({ n: a.n * b.d, d: a.d * b.n });
export const sub = (a: Ratio, b: Ratio): Ratio => reduce({ n: a.n * b.d - b.n * a.d, d: a.d * b.d });
export const pow = (a: Ratio, e: number): Ratio => {
  let out = ratio(1);
  for (let i = 0; i < Math.abs(e); i++) out = mul(out, a);
  return e < 0 ? div(ratio(1), out) : out;
};

const L: Dimension = [1, 0, 0, 0];
const M: Dimension = [0, 1, 0, 0];
const T: Dimension = [0, 0, 1, 0];
const TEMP: Dimension = [0, 0, 0, 1];
const AREA: Dimension = [2, 0, 0, 0];
const VOLUME: Dimension = [3, 0, 0, 0];
const PRESSURE: Dimension = [-1, 1, -2, 0];
const ENERGY: Dimension = [2, 1, -2, 0];
const POWER: Dimension = [2, 1, -3, 0];
const NONE: Dimension = [0, 0, 0, 0];

/** The US survey foot, 1200/3937 m, from which UCUM defines the rod and the acre. */
const FOOT_US = ratio(1200, 3937);
/** `[acr_us]` = 160 `[rd_us]`², `[rd_us]` = 16.5 `[ft_us]`. */
const ACRE_US = mul(ratio(160), pow(mul(ratio(33, 2), FOOT_US), 2));

const atom = (code: string, name: string, dim: Dimension, scale: Ratio, offset?: Ratio): UnitAtom =>
  offset ? { code, name, dim, scale, offset } : { code, name, dim, scale };

/** Every atom the parser knows, by UCUM code. */
export const UNIT_ATOMS: ReadonlyMap<string, UnitAtom> = new Map(
  [
    atom('m', 'metre', L, ratio(1)),
    atom('mm', 'millimetre', L, ratio(1, 1000)),
    atom('cm', 'centimetre', L, ratio(1, 100)),
    atom('km', 'kilometre', L, ratio(1000)),
    atom('[in_i]', 'inch', L, ratio(254, 10000)),
    atom('[ft_i]', 'foot', L, ratio(3048, 10000)),
    atom('g', 'gram', M, ratio(1, 1000)),
    atom('mg', 'milligram', M, ratio(1, 1_000_000)),
    atom('kg', 'kilogram', M, ratio(1)),
    atom('t', 'tonne', M, ratio(1000)),
    atom('[lb_av]', 'pound', M, ratio(45359237, 100000000)),
    atom('ha', 'hectare', AREA, ratio(10000)),
    atom('[acr_us]', 'acre', AREA, ACRE_US),
    atom('L', 'litre', VOLUME, ratio(1, 1000)),
    atom('mL', 'millilitre', VOLUME, ratio(1, 1_000_000)),
    atom('s', 'second', T, ratio(1)),
    atom('min', 'minute', T, ratio(60)),
    atom('h', 'hour', T, ratio(3600)),
    atom('d', 'day', T, ratio(86400)),
    atom('K', 'kelvin', TEMP, ratio(1)),
    atom('Cel', 'degree Celsius', TEMP, ratio(1), ratio(27315, 100)),
    atom('[degF]', 'degree Fahrenheit', TEMP, ratio(5, 9), ratio(45967, 180)),
    atom('Pa', 'pascal', PRESSURE, ratio(1)),
    atom('hPa', 'hectopascal', PRESSURE, ratio(100)),
    atom('kPa', 'kilopascal', PRESSURE, ratio(1000)),
    atom('MPa', 'megapascal', PRESSURE, ratio(1_000_000)),
    atom('bar', 'bar', PRESSURE, ratio(100000)),
    atom('mbar', 'millibar', PRESSURE, ratio(100)),
    atom('J', 'joule', ENERGY, ratio(1)),
    atom('kJ', 'kilojoule', ENERGY, ratio(1000)),
    atom('MJ', 'megajoule', ENERGY, ratio(1_000_000)),
    atom('W', 'watt', POWER, ratio(1)),
    atom('%', 'percent', NONE, ratio(1, 100)),
    atom('1', 'one', NONE, ratio(1)),
  ].map((a) => [a.code, a]),
);

/**
 * Spellings seen in researchers' headers, for one atom (matched after exact UCUM codes, case-
 * insensitively). Ambiguous ones are left out: `C` alone is Celsius only as a whole unit.
 */
export const ATOM_ALIASES: Readonly<Record<string, string>> = {
  in: '[in_i]',
  inch: '[in_i]',
  inches: '[in_i]',
  ft: '[ft_i]',
  feet: '[ft_i]',
  foot: '[ft_i]',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  pound: '[lb_av]',
  pounds: '[lb_av]',
  ac: '[acr_us]',
  acre: '[acr_us]',
  acres: '[acr_us]',
  ton: 't',
  tonne: 't',
  tonnes: 't',
  tons: 't',
  l: 'L',
  ml: 'mL',
  sec: 's',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  day: 'd',
  days: 'd',
  pa: 'Pa',
  hpa: 'hPa',
  kpa: 'kPa',
  mpa: 'MPa',
  mb: 'mbar',
  kj: 'kJ',
  mj: 'MJ',
  w: 'W',
  k: 'K',
  percent: '%',
};

/** Case-sensitive spellings that lower-casing would confuse (`Mg` megagram vs `mg`). */
export const CASED_ALIASES: Readonly<Record<string, string>> = { Mg: 't' };

/** Whole-unit spellings (after lower-casing and removing spaces). */
export const UNIT_ALIASES: Readonly<Record<string, string>> = {
  '°c': 'Cel',
  '℃': 'Cel',
  degc: 'Cel',
  'deg.c': 'Cel',
  c: 'Cel',
  cel: 'Cel',
  celsius: 'Cel',
  degreescelsius: 'Cel',
  '°f': '[degF]',
  '℉': '[degF]',
  degf: '[degF]',
  f: '[degF]',
  fahrenheit: '[degF]',
  k: 'K',
  kelvin: 'K',
  '%': '%',
  pct: '%',
  percent: '%',
  kph: 'km/h',
  kmh: 'km/h',
  mps: 'm/s',
};
