#!/usr/bin/env node
// Runs a TypeScript entry point of the project from its compiled form in
// dist/, rebuilding dist/ with tsc first when any source is newer. (tsx's
// loader takes seconds over binaryen's 15 MB module and slows the
// interpreter; compiled JavaScript has neither cost.)
//   node scripts/run.mjs <entry.ts> [args...]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['src', 'runtime', 'translator', 'test', 'bench', 'guests', 'scripts'];
const stamp = join(root, 'dist', '.build-stamp');

function newestSource() {
  let newest = statSync(join(root, 'tsconfig.json')).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'build') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return newest;
}

export function ensureBuilt() {
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) return;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // Type errors still emit JavaScript (noEmitOnError is off); say so, and carry on.
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim();
    if (!existsSync(join(root, 'dist'))) throw e;
    process.stderr.write(`wasmvisor: the TypeScript build reported errors (running anyway):\n${out.split('\n').slice(0, 10).join('\n')}\n`);
  }
  writeFileSync(stamp, '');
}

export async function runEntry(entry, args) {
  ensureBuilt();
  const compiled = join(root, 'dist', relative(root, join(root, entry))).replace(/\.ts$/, '.js');
  process.argv = [process.argv[0], compiled, ...args];
  await import(pathToFileURL(compiled).href);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node scripts/run.mjs <entry.ts> [args...]\n');
    process.exit(2);
  }
  await runEntry(entry, args);
}
