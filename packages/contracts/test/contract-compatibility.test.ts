import { describe, expect, it } from 'vitest';
import { bumpProblems, compareContracts, parseContract } from '../src/index.js';

const make = (version: string, fields: string) =>
  parseContract(
    `
dataset: { name: things, domain: soil, schema_version: ${version} }
source: { kind: postgres, table: things, key: [id] }
fields:
${fields}
`,
    'inline',
  );
const base = make('1.0.0', '  - { name: id, type: int32, nullable: false }\n  - { name: ph, type: float32 }');

describe('compareContracts', () => {
  it('calls an added nullable field or a widened type minor', () => {
    const next = make('1.1.0', '  - { name: id, type: int32, nullable: false }\n  - { name: ph, type: float64 }\n  - { name: note, type: string }');
    const change = compareContracts(base, next);
    expect(change.kind).toBe('minor');
    expect(change.changes).toEqual(['minor: ph: type float32 → float64 (widened)', 'minor: note: added']);
    expect(bumpProblems(base, next, change)).toEqual([]);
    expect(bumpProblems(base, make('1.0.1', '  - { name: id, type: int32, nullable: false }\n  - { name: ph, type: float64 }\n  - { name: note, type: string }'), change)).toEqual([
      'an additive change needs at least a minor schema_version bump (1.0.0 → 1.0.1)',
    ]);
  });

  it('calls removing, renaming, narrowing or requiring a field major, and wants a major bump', () => {
    const renamed = make('1.1.0', '  - { name: id, type: int32, nullable: false }\n  - { name: soil_ph, type: float32 }');
    const change = compareContracts(base, renamed);
    expect(change.kind).toBe('major');
    expect(change.changes).toEqual(['major: ph: removed', 'minor: soil_ph: added']);
    expect(bumpProblems(base, renamed, change)[0]).toMatch(/^a breaking change needs a major schema_version bump \(1.0.0 → 1.1.0\): major: ph: removed/);
    const narrowed = make('2.0.0', '  - { name: id, type: int16, nullable: false }\n  - { name: ph, type: float32, nullable: false }');
    expect(compareContracts(base, narrowed).changes).toEqual(['major: id: type int32 → int16', 'major: ph: now required']);
    expect(bumpProblems(base, narrowed, compareContracts(base, narrowed))).toEqual([]);
  });

  it('refuses a schema_version that goes down', () => {
    const next = make('0.9.0', '  - { name: id, type: int32, nullable: false }\n  - { name: ph, type: float32 }');
    expect(bumpProblems(base, next, compareContracts(base, next))).toEqual(['schema_version went down (1.0.0 → 0.9.0)']);
  });
});
