/**
 * The web server (scripts/web-server.ts) over HTTP on 127.0.0.1, its
 * module-specifier rewriting and Node stand-ins, and a check that every
 * module the page and its workers load names only specifiers the server
 * can serve (so an engine change that imports a new package or Node
 * built-in on the browser path fails here, not in a browser).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BARE_MODULES, DEFAULT_GUEST, browserSpecifier, ISOLATION_HEADERS, mimeType, nodeStandIn, rewriteImports, startWebServer, type GuestSource, type WebServer } from '../../scripts/web-server.js';
import type { GuestCatalogue } from '../../src/browser/protocol.js';
import { DEMO_IMAGE, ensureDemoGuest, PROJECT_ROOT } from '../../src/toolchain.js';
import { LINUX_GUEST_CACHE } from '../../guests/linux/paths.js';

describe('rewriteImports', () => {
  it('points bare packages at node_modules and Node built-ins at their stand-ins, and leaves the rest byte for byte', () => {
    const code = [
      "import binaryen from 'binaryen';",
      'import { readFileSync, statSync } from "node:fs";',
      "import {\n  Worker,\n} from 'node:worker_threads';",
      "export * from 'binaryen';",
      "const m = await import('node:module');",
      "import './node-globals.js';",
      "import { x } from '../machine.js';",
      "import { y } from 'left-pad';",
      'const url = new URL(\'./w.js\', import.meta.url);',
      "throw new Error('cannot import ' + 'binaryen');",
    ].join('\n');
    expect(rewriteImports(code)).toBe([
      "import binaryen from '/node_modules/binaryen/index.js';",
      'import { readFileSync, statSync } from "/@node/fs.js";',
      "import {\n  Worker,\n} from '/@node/worker_threads.js';",
      "export * from '/node_modules/binaryen/index.js';",
      "const m = await import('/@node/module.js');",
      "import './node-globals.js';",
      "import { x } from '../machine.js';",
      "import { y } from 'left-pad';",
      'const url = new URL(\'./w.js\', import.meta.url);',
      "throw new Error('cannot import ' + 'binaryen');",
    ].join('\n'));
  });

  it('knows Node built-ins with and without the node: prefix, and nothing else', () => {
    expect(browserSpecifier('fs')).toBe('/@node/fs.js');
    expect(browserSpecifier('node:fs/promises')).toBe('/@node/fs/promises.js');
    expect(browserSpecifier('node:no-such-module')).toBeNull();
    expect(browserSpecifier('@xterm/xterm')).toBe('/node_modules/@xterm/xterm/lib/xterm.mjs');
    expect(browserSpecifier('./x.js')).toBeNull();
  });
});

describe('nodeStandIn', () => {
  it('exports what the built-in exports, each throwing when used', async () => {
    const text = await nodeStandIn('worker_threads');
    const mod = (await import(`data:text/javascript,${encodeURIComponent(text)}`)) as Record<string, () => unknown>;
    const real = await import('node:worker_threads');
    for (const name of ['Worker', 'parentPort', 'isMainThread']) expect(name in mod, name).toBe(name in real);
    expect(() => new (mod['Worker'] as unknown as new () => unknown)()).toThrow('node:worker_threads Worker is Node-only and not available in the browser');
    await expect(nodeStandIn('no-such-module')).rejects.toThrow(/not a Node built-in/);
  });
});

/** The non-relative specifiers of the value imports of every module reachable from `entries` (TypeScript sources). */
function browserGraphSpecifiers(entries: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const pattern = /(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      if (m[1]) continue; // `import type`: erased
      const spec = (m[2] ?? m[3])!;
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!found.has(spec)) found.set(spec, file);
    }
  };
  for (const e of entries) walk(join(PROJECT_ROOT, e));
  return found;
}

describe('the browser module graph', () => {
  it('imports only what the server can serve', () => {
    const specifiers = browserGraphSpecifiers(['src/browser/vm-worker.ts', 'src/browser/engine.ts', 'src/browser/compile-worker.ts', 'src/browser/page/main.ts']);
    const unserved = [...specifiers].filter(([spec]) => browserSpecifier(spec) === null).map(([spec, file]) => `${spec} (${file})`);
    expect(unserved).toEqual([]);
    // The engine's own package and the page's are among them: the walk did reach the engine.
    expect(specifiers.has('binaryen')).toBe(true);
    expect(specifiers.has('@xterm/xterm')).toBe(true);
    for (const file of Object.values(BARE_MODULES)) expect(() => readFileSync(join(PROJECT_ROOT, 'node_modules', file))).not.toThrow();
  });
});

describe('web server', () => {
  let server: WebServer;
  const testGuest: GuestSource = {
    id: 'test-demo', title: 'the demo, as a test guest', kind: 'test', format: 'flat', cmdline: '', memoryMiB: 4,
    images: () => ({ kernel: ensureDemoGuest(), initrd: ensureDemoGuest() }),
  };
  const missingGuest: GuestSource = {
    id: 'test-missing', title: 'not built', kind: 'test', format: 'linux', cmdline: 'console=ttyS0', memoryMiB: 64,
    images: () => {
      throw new Error('not built yet: run the builder');
    },
  };
  const get = (path: string, init?: RequestInit): Promise<Response> => fetch(new URL(path, server.url), init);

  beforeAll(async () => {
    server = await startWebServer({ extraGuests: [testGuest, missingGuest], log: () => {} });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('listens on 127.0.0.1 only', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('serves the page, its stylesheets and xterm.js with their MIME types and the isolation headers', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) expect(page.headers.get(name)).toBe(value);
    const html = await page.text();
    expect(html).toContain('/dist/src/browser/page/main.js');
    for (const path of ['/web/style.css', '/node_modules/@xterm/xterm/css/xterm.css']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/css; charset=utf-8');
    }
    const xterm = await get('/node_modules/@xterm/xterm/lib/xterm.mjs');
    expect(xterm.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await xterm.text()).length).toBe(readFileSync(join(PROJECT_ROOT, 'node_modules/@xterm/xterm/lib/xterm.mjs'), 'utf8').length);
    expect((await get('/web/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
    expect(mimeType('x.wasm')).toBe('application/wasm');
  });

  it('lists the guests, with the default first chosen and those not built explained', async () => {
    const catalogue = (await (await get('/api/guests')).json()) as GuestCatalogue;
    expect(catalogue.defaultGuest).toBe(DEFAULT_GUEST);
    expect(DEFAULT_GUEST).toBe('linux-686');
    const demo = catalogue.guests.find((g) => g.id === 'demo')!;
    expect(demo).toMatchObject({ kind: 'demo', format: 'flat', kernel: '/guests/demo/kernel', kernelName: 'demo.bin', available: true });
    expect(catalogue.guests.filter((g) => g.kind === 'linux').map((g) => g.id)).toEqual(['linux-686', 'linux-686-pae']);
    // The Linux guests are there exactly when `npm run guest:linux` has built their images.
    const linux = catalogue.guests.find((g) => g.id === 'linux-686')!;
    const built = existsSync(join(LINUX_GUEST_CACHE, 'vmlinuz-686')) && existsSync(join(LINUX_GUEST_CACHE, 'initramfs-686.cpio.gz'));
    expect(linux).toMatchObject({ format: 'linux', cmdline: 'console=ttyS0 cryptomgr.notests', memoryMiB: 128, kernel: '/guests/linux-686/kernel', available: built });
    if (built) expect(linux).toMatchObject({ kernelName: 'vmlinuz-686', initrd: '/guests/linux-686/initrd', initrdName: 'initramfs-686.cpio.gz' });
    else expect(linux.reason).toMatch(/npm run guest:linux/);
    expect(catalogue.guests.find((g) => g.id === 'test-missing')).toMatchObject({ available: false, reason: 'not built yet: run the builder' });
    expect(catalogue.guests.find((g) => g.id === 'test-demo')).toMatchObject({ initrd: '/guests/test-demo/initrd', initrdName: 'demo.bin' });
  });

  it('serves guest images by guest and role, and says why when it cannot', async () => {
    const kernel = await get('/guests/demo/kernel');
    expect(kernel.status).toBe(200);
    expect(kernel.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await kernel.arrayBuffer())).toEqual(new Uint8Array(readFileSync(DEMO_IMAGE)));
    expect((await get('/guests/test-demo/initrd')).status).toBe(200);
    const missing = await get('/guests/test-missing/kernel');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("404 guest 'test-missing': not built yet: run the builder\n");
    expect((await get('/guests/demo/initrd')).status).toBe(404);
    expect((await get('/guests/demo/bios')).status).toBe(404);
    expect((await get('/guests/nobody/kernel')).status).toBe(404);
  });

  it('generates Node stand-ins only for built-ins', async () => {
    const fs = await get('/@node/fs.js');
    expect(fs.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await fs.text()).toMatch(/export \{ e\d+ as readFileSync \};/);
    expect((await get('/@node/no-such-module.js')).status).toBe(404);
  });

  it('serves nothing outside its folders, and only GET and HEAD', async () => {
    for (const path of ['/web/../package.json', '/web/%2e%2e/package.json', '/dist/..%2fpackage.json', '/node_modules/vitest/package.json', '/src/browser/session.js', '/package.json', '/web/', '/nothing']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('cross-origin-embedder-policy'), path).toBe('require-corp');
    }
    expect((await get('/src/browser/session.ts')).status).toBe(200); // sources, for dist/'s source maps
    expect((await get('/', { method: 'POST' })).status).toBe(405);
    const head = await get('/web/style.css', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(readFileSync(join(PROJECT_ROOT, 'web/style.css')).length);
  });

  it('refuses an unknown default guest', async () => {
    await expect(startWebServer({ defaultGuest: 'nobody' })).rejects.toThrow("unknown guest 'nobody'");
  });
});
