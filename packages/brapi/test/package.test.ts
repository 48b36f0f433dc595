/** The package's own dependencies: every import is declared, and nothing declared goes unused. */
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

async function importsOf(folder: string): Promise<Set<string>> {
  const found = new Set<string>();
  const files = (await readdir(new URL(folder, root), { recursive: true })).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = await readFile(new URL(`${folder}/${file}`, root), 'utf8');
    for (const [, spec] of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
      if (!spec || spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
    }
  }
  return found;
}

describe('package.json', () => {
  it('declares every package src/ imports as a dependency, and no unused ones', async () => {
    expect([...(await importsOf('src'))].sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });

  it('declares every package test/ imports', async () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies), 'vitest']);
    expect([...(await importsOf('test'))].filter((name) => !declared.has(name))).toEqual([]);
  });
});
