import { InvalidObjectKeyError } from '../errors/invalid-object-key-error.js';

export const DOMAINS = ['phenotype', 'genotype', 'sensor', 'climate', 'soil'] as const;
export type Domain = (typeof DOMAINS)[number];

export const CURATED_ZONES = ['analysis_ready', 'ai_features', 'reports'] as const;
export type CuratedZone = (typeof CURATED_ZONES)[number];

export const METADATA_KINDS = ['schemas', 'dictionaries', 'lineage'] as const;
export type MetadataKind = (typeof METADATA_KINDS)[number];

const NAME = /^[a-z0-9_]{1,128}$/;
const RUN_ID = /^[a-z0-9_-]{1,128}$/;
// No leading dot: hidden files are easy to miss and `.`/`..` are path tricks.
const FILE = /^[a-z0-9_-][a-z0-9_.-]{0,199}$/;

function oneOf<T extends string>(kind: string, allowed: readonly T[], value: unknown): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidObjectKeyError(`Invalid ${kind} "${String(value)}": expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function matching(kind: string, re: RegExp, value: unknown): string {
  if (typeof value !== 'string' || !re.test(value)) {
    throw new InvalidObjectKeyError(`Invalid ${kind} "${String(value)}": must match ${re}`);
  }
  return value;
}

export const checkDomain = (v: unknown): Domain => oneOf('domain', DOMAINS, v);
export const checkZone = (v: unknown): CuratedZone => oneOf('curated zone', CURATED_ZONES, v);
export const checkMetadataKind = (v: unknown): MetadataKind => oneOf('metadata kind', METADATA_KINDS, v);
/** Dataset and column names: lowercase `[a-z0-9_]`. */
export const checkName = (kind: string, v: unknown): string => matching(kind, NAME, v);
export const checkRunId = (v: unknown): string => matching('run id', RUN_ID, v);
/** File names and raw path segments: lowercase `[a-z0-9_.-]`, no leading dot. */
export function checkFileName(v: unknown, kind = 'file name'): string {
  const s = matching(kind, FILE, v);
  if (s.includes('..')) throw new InvalidObjectKeyError(`Invalid ${kind} "${s}": must not contain ".."`);
  return s;
}

/** Version numbers are positive integers, rendered `v<N>`. */
export function versionSegment(version: unknown): string {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new InvalidObjectKeyError(`Invalid version ${String(version)}: must be a positive integer`);
  }
  return `v${version}`;
}
