/** The project's root folder, found from this module's location (works from src/ and from dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wasmvisor') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the wasmvisor project root');
    dir = up;
  }
}

export const PROJECT_ROOT = find();
