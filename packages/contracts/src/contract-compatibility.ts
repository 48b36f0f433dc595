import { type DatasetContract, type FieldContract, canonicalJson } from './dataset-contract.js';

/** Compares by meaning: key order and absent-vs-undefined do not matter (contracts come back from jsonb). */
const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

export type ChangeKind = 'none' | 'patch' | 'minor' | 'major';

export interface ContractChange {
  kind: ChangeKind;
  /** Human-readable changes, each naming the field. */
  changes: string[];
}

/** Type changes that keep every old value representable (old files stay readable as the new type). */
const WIDENINGS = new Set(['int16>int32', 'int16>int64', 'int32>int64', 'float32>float64', 'int16>float64', 'int32>float64']);

function fieldChanges(old: FieldContract, next: FieldContract): Array<[ChangeKind, string]> {
  const out: Array<[ChangeKind, string]> = [];
  if (old.type !== next.type) {
    const dec = (t: string) => /^decimal\((\d+),(\d+)\)$/.exec(t);
    const a = dec(old.type);
    const b = dec(next.type);
    const widened =
      WIDENINGS.has(`${old.type}>${next.type}`) ||
      (a && b && Number(b[2]) >= Number(a[2]) && Number(b[1]) - Number(b[2]) >= Number(a[1]) - Number(a[2]));
    out.push([widened ? 'minor' : 'major', `${next.name}: type ${old.type} → ${next.type}${widened ? ' (widened)' : ''}`]);
  }
  if (old.nullable && !next.nullable) out.push(['major', `${next.name}: now required`]);
  if (!old.nullable && next.nullable) out.push(['minor', `${next.name}: now nullable`]);
  if (old.unit !== next.unit) out.push(['major', `${next.name}: unit ${old.unit ?? 'none'} → ${next.unit ?? 'none'}`]);
  for (const k of ['source', 'cast_by', 'scale', 'minimum', 'maximum', 'pattern', 'timezone', 'description', 'format', 'synonyms', 'missing', 'cell', 'references'] as const) {
    if (!same(old[k], next[k])) out.push(['patch', `${next.name}: ${k} changed`]);
  }
  if (!same(old.when, next.when) || !same(old.categories, next.categories)) {
    out.push(['patch', `${next.name}: accepted values changed`]);
  }
  return out;
}

const RANK: Record<ChangeKind, number> = { none: 0, patch: 1, minor: 2, major: 3 };

/**
 * Classifies a contract change: adding a nullable field or widening a type is minor; removing,
 * renaming (a removal plus an addition), narrowing, a new required field or a changed unit is
 * major; mapping, constraint and documentation changes are patches.
 */
export function compareContracts(old: DatasetContract, next: DatasetContract): ContractChange {
  const changes: Array<[ChangeKind, string]> = [];
  const before = new Map(old.fields.map((f) => [f.name, f]));
  const after = new Map(next.fields.map((f) => [f.name, f]));
  for (const name of before.keys()) if (!after.has(name)) changes.push(['major', `${name}: removed`]);
  for (const [name, f] of after) {
    const o = before.get(name);
    if (!o) changes.push([f.nullable ? 'minor' : 'major', `${name}: added${f.nullable ? '' : ' as required'}`]);
    else changes.push(...fieldChanges(o, f));
  }
  if (!same(old.source, next.source)) changes.push(['patch', 'source mapping changed']);
  for (const k of ['schedule', 'retention', 'quality'] as const) {
    if (!same(old[k], next[k])) changes.push(['patch', `${k} changed`]);
  }
  const kind = changes.reduce<ChangeKind>((k, [c]) => (RANK[c] > RANK[k] ? c : k), 'none');
  return { kind, changes: changes.map(([c, text]) => `${c}: ${text}`) };
}

/** The bump a schema_version change makes (`1.2.0` → `2.0.0` is major). */
export function versionBump(old: string, next: string): ChangeKind | 'downgrade' {
  const [a, b] = [old, next].map((v) => v.split('.').map(Number)) as [number[], number[]];
  for (let i = 0; i < 3; i++) {
    if ((b[i] as number) > (a[i] as number)) return (['major', 'minor', 'patch'] as const)[i] as ChangeKind;
    if ((b[i] as number) < (a[i] as number)) return 'downgrade';
  }
  return 'none';
}

/** Problems with a contract change's schema_version bump; empty when the bump fits the change. */
export function bumpProblems(old: DatasetContract, next: DatasetContract, change: ContractChange): string[] {
  const bump = versionBump(old.dataset.schema_version, next.dataset.schema_version);
  const from = `${old.dataset.schema_version} → ${next.dataset.schema_version}`;
  if (bump === 'downgrade') return [`schema_version went down (${from})`];
  if (change.kind === 'major' && bump !== 'major') return [`a breaking change needs a major schema_version bump (${from}): ${change.changes.filter((c) => c.startsWith('major')).join('; ')}`];
  if (change.kind === 'minor' && RANK[bump] < RANK.minor) return [`an additive change needs at least a minor schema_version bump (${from})`];
  return [];
}
