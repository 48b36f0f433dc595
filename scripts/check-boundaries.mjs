#!/usr/bin/env node
// Architecture lint: the import rules of STYLE.md, checked on every source file (tests and
// benchmarks may reach real services directly, so they are exempt from the "only importer" rules).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
/** Package names of the deployable apps (`apps/catalog` is `@lake/catalog-worker`). */
const appPackages = new Map(
  readdirSync(join(root, 'apps')).map((dir) => [JSON.parse(readFileSync(join(root, 'apps', dir, 'package.json'), 'utf8')).name, dir]),
);
/**
 * Third-party modules and the packages allowed to import them. DuckDB has two owners on
 * purpose: the query plane (SQL over datasets) and the Parquet IO package, whose native writer
 * encodes with DuckDB's Parquet writer (measured several times faster than the JavaScript
 * encoder; see the README's performance section). Both meet DuckDB only through their own API.
 */
const OWNERS = {
  bullmq: 'packages/queue',
  ioredis: 'packages/queue',
  hyparquet: 'packages/parquet',
  'hyparquet-writer': 'packages/parquet',
  'hyparquet-compressors': 'packages/parquet',
  minio: 'packages/storage',
  '@duckdb/node-api': ['packages/query', 'packages/parquet'],
};

function* files(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const problems = [];
for (const top of ['apps', 'packages']) {
  for (const file of files(join(root, top))) {
    const rel = relative(root, file).split(sep).join('/');
    const [, unit] = rel.split('/');
    const home = `${top}/${unit}`;
    const isTestOrBench = /\/(test|bench)\//.test(rel) || rel.endsWith('.test.ts') || rel.endsWith('vitest.config.ts');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (top === 'apps' && appPackages.has(pkg) && appPackages.get(pkg) !== unit) problems.push(`${rel}: app imports app ${pkg}`);
      if (top === 'packages' && appPackages.has(pkg)) problems.push(`${rel}: package imports app ${pkg}`);
      if (spec.startsWith('.') && !join(file, '..', spec).startsWith(join(root, home))) problems.push(`${rel}: relative import leaves ${home}: ${spec}`);
      const owner = OWNERS[pkg];
      const owners = owner === undefined ? undefined : [owner].flat();
      if (owners && !owners.includes(home) && !isTestOrBench) problems.push(`${rel}: only ${owners.join(' and ')} may import ${pkg}`);
    }
    if (/process\.env\b/.test(text) && top === 'apps' && !rel.endsWith('/env.ts') && !isTestOrBench && !rel.includes('/commands/workers.ts')) {
      problems.push(`${rel}: reads process.env outside env.ts`);
    }
  }
}
if (problems.length > 0) {
  console.error(`architecture rules broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('architecture rules hold');
