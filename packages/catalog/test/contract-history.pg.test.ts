import { parseContract } from '@lake/contracts';
import { type TestDatabase, createTestDatabase } from '@lake/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Catalog, openCatalog, registerContract } from '../src/index.js';

const make = (version: string, extra = '') =>
  parseContract(
    `
dataset: { name: evolving, domain: soil, schema_version: ${version} }
source: { kind: postgres, table: evolving, key: [id] }
fields:
  - { name: id, type: int32, nullable: false }
${extra}`,
    'inline',
  );

describe('contract history (PostgreSQL)', () => {
  let db: TestDatabase;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await createTestDatabase('contracts');
    catalog = openCatalog({ url: db.url });
    await catalog.migrate();
  });
  afterAll(async () => {
    await catalog.close();
    await db.drop();
  });

  it('records additive changes, refuses breaking ones without the flag, and records them with it', async () => {
    const v1 = await registerContract(catalog, make('1.0.0', '  - { name: ph, type: float64 }'));
    const v11 = await registerContract(catalog, make('1.1.0', '  - { name: ph, type: float64 }\n  - { name: clay, type: float64 }'));
    expect(v11.change.kind).toBe('minor');
    await expect(registerContract(catalog, make('1.2.0', '  - { name: clay, type: float64 }'))).rejects.toThrow(
      /needs a major schema_version bump \(1.1.0 → 1.2.0\): major: ph: removed/,
    );
    await expect(registerContract(catalog, make('2.0.0', '  - { name: clay, type: float64 }'))).rejects.toThrow(/breaking change.*--allow-breaking/);
    const v2 = await registerContract(catalog, make('2.0.0', '  - { name: clay, type: float64 }'), { allowBreaking: true });
    expect(v2.change.kind).toBe('major');
    const history = await catalog.db
      .selectFrom('contracts')
      .select(['schema_version', 'change_kind', 'changes', 'previous_hash', 'hash'])
      .where('dataset_id', '=', 'soil.evolving')
      .orderBy('created_at')
      .execute();
    expect(history.map((h) => [h.schema_version, h.change_kind])).toEqual([
      ['1.0.0', 'none'],
      ['1.1.0', 'minor'],
      ['2.0.0', 'major'],
    ]);
    expect(history[2]?.previous_hash).toBe(v11.hash);
    expect(history[1]?.previous_hash).toBe(v1.hash);
    expect(history[2]?.changes).toEqual(['major: ph: removed']);
  });
});
