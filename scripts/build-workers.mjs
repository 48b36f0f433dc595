#!/usr/bin/env node
// `pnpm build:workers [app ...]`: compiles each worker app to one JavaScript file,
// apps/<app>/dist/main.js, so it runs on plain `node` instead of through the tsx loader.
// Measured on the bench: tsx costs every worker ~3-4 s of CPU at start-up (module compilation
// in its loader thread) and ~100 MB of idle RSS.
//
// Our own TypeScript (the app and the @lake/* packages it uses) is bundled; third-party modules
// stay external and are imported by the absolute path esbuild resolves them to, because pnpm
// links a package's dependencies next to that package only, and the bundle no longer lives
// there. The bundle is therefore tied to this checkout's node_modules: build where it runs
// (the Dockerfile builds inside the image).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const ALL = ['scheduler', 'extract', 'transform', 'load', 'catalog', 'ingest-events'];
const apps = process.argv.length > 2 ? process.argv.slice(2) : ALL;

/** Leaves third-party imports external, as absolute paths resolved from the importing file. */
const externalByPath = {
  name: 'external-by-path',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@lake/') || args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      // Node built-ins ("fs", "os") resolve to themselves.
      if (!resolved.path.startsWith('/')) return { path: args.path, external: true };
      return { path: resolved.path, external: true };
    });
  },
};

for (const app of apps) {
  if (!ALL.includes(app)) throw new Error(`unknown worker app "${app}" (expected one of ${ALL.join(', ')})`);
  const entry = join(root, 'apps', app, 'src', 'main.ts');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist`);
  await build({
    entryPoints: [entry],
    outfile: join(root, 'apps', app, 'dist', 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [externalByPath],
  });
  console.log(`built apps/${app}/dist/main.js`);
}
