import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

async function importsOf(root: URL, folder: string): Promise<Set<string>> {
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

/**
 * A package's own dependency check: every import of `src/` is declared and nothing declared goes
 * unused; every import of `test/` is declared. `root` is the package folder (`new URL('../', import.meta.url)`).
 */
export function describePackageDependencies(root: URL): void {
  describe('package.json', () => {
    const pkg = async () =>
      JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

    it('declares every package src/ imports as a dependency, and no unused ones', async () => {
      expect([...(await importsOf(root, 'src'))].sort()).toEqual(Object.keys((await pkg()).dependencies).sort());
    });

    it('declares every package test/ imports', async () => {
      const p = await pkg();
      const declared = new Set([...Object.keys(p.dependencies), ...Object.keys(p.devDependencies), 'vitest']);
      expect([...(await importsOf(root, 'test'))].filter((name) => !declared.has(name))).toEqual([]);
    });
  });
}
