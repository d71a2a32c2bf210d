/**
 * `npm run web`: the local server of the browser front end. Serves the
 * page (web/), the engine as tsc compiled it (dist/), the three packages
 * the page and the engine import (xterm.js, its fit addon, binaryen.js)
 * from node_modules/, and guest images from the guests' build and cache
 * folders, listed at /api/guests. Binds 127.0.0.1 only; nothing comes from
 * elsewhere.
 *
 * Module specifiers: the ESM that tsc writes loads natively, except for
 * bare imports ('binaryen') and Node built-ins ('node:fs'). An import map
 * would do for the page, but Chromium does not apply import maps to module
 * workers (checked with Debian's Chromium 156), and the engine runs in
 * one; so the server rewrites those specifiers in the JavaScript it serves
 * from dist/ (one pass per file, cached until the file changes). Bare
 * names go to their file under /node_modules/; a Node built-in goes to a
 * module generated from the real one whose every export throws when used
 * (code on the browser path imports node:fs and node:worker_threads for
 * things the browser never calls: reading files, the Node compile worker).
 *
 * Headers: COOP same-origin and COEP require-corp make the page
 * cross-origin isolated. Nothing needs SharedArrayBuffer yet (one vCPU, and
 * the page and the worker exchange messages), but isolation is what a
 * shared guest memory for several vCPUs will need, and it gives
 * performance.now() its fine resolution (5 µs rather than 100 µs), which
 * the exit-handling times are measured with. Everything is same-origin, so
 * isolation costs nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../src/project-root.js';
import { ensureDemoGuest } from '../src/toolchain.js';
import { initramfsName, LINUX_FLAVOURS, LINUX_GUEST_CACHE, vmlinuzName } from '../guests/linux/paths.js';
import type { GuestCatalogue, GuestEntry, GuestFormat, GuestKind } from '../src/browser/protocol.js';

/**
 * The guest the page selects first: Debian's 686 kernel with the busybox
 * initramfs (`npm run guest:linux`). When its images are not built, the
 * page says so and selects the first guest that is there (the demo).
 */
export const DEFAULT_GUEST = 'linux-686';

/** Bare module specifiers the served code may import, and the file under node_modules/ each one is. */
export const BARE_MODULES: Readonly<Record<string, string>> = {
  binaryen: 'binaryen/index.js',
  '@xterm/xterm': '@xterm/xterm/lib/xterm.mjs',
  '@xterm/addon-fit': '@xterm/addon-fit/lib/addon-fit.mjs',
};
/** The packages under node_modules/ the server serves files of (xterm's stylesheet comes from here too). */
const SERVED_PACKAGES = ['binaryen', '@xterm/xterm', '@xterm/addon-fit'];

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
const OCTETS = 'application/octet-stream';

/** The MIME type of a file, by its extension. */
export function mimeType(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? OCTETS;
}

/** Where the browser finds a module the served code names: a URL on this server, or null to leave the specifier alone. */
export function browserSpecifier(spec: string): string | null {
  const builtin = spec.startsWith('node:') ? spec.slice(5) : isBuiltin(spec) ? spec : null;
  if (builtin !== null) return isBuiltin(builtin) ? `/@node/${builtin}.js` : null;
  const file = BARE_MODULES[spec];
  return file ? `/node_modules/${file}` : null;
}

/** `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')`: the text before the specifier, its quote, the specifier. */
const SPECIFIER = /(\b(?:import|export)\b[^'"`;]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\2/g;

/** Rewrite the module specifiers `resolveSpecifier` maps; everything else stays byte for byte. */
export function rewriteImports(code: string, resolveSpecifier: (spec: string) => string | null = browserSpecifier): string {
  return code.replace(SPECIFIER, (whole: string, head: string, quote: string, spec: string) => {
    const to = resolveSpecifier(spec);
    return to === null ? whole : `${head}${quote}${to}${quote}`;
  });
}

/**
 * A browser module standing in for a Node built-in: the same export names,
 * each a function that throws naming itself (so `new Worker()` and
 * `readFileSync()` fail with a reason, and merely importing them works).
 */
export async function nodeStandIn(name: string): Promise<string> {
  if (!isBuiltin(name)) throw new Error(`'${name}' is not a Node built-in module`);
  const specifier = `node:${name}`;
  const real = (await import(specifier)) as Record<string, unknown>;
  const names = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k)).sort();
  const lines = [
    `// node:${name} in a browser: generated by scripts/web-server.ts. Every export throws when used.`,
    'const unavailable = (what) => function () {',
    `  throw new Error(\`\${what} is Node-only and not available in the browser\`);`,
    '};',
  ];
  names.forEach((n, k) => lines.push(`const e${k} = unavailable('node:${name} ${n}');`, `export { e${k} as ${n} };`));
  // The default export answers any member the same way; but not `then` (it is not a promise) nor symbols.
  lines.push(`export default new Proxy({}, { get: (_, key) => (typeof key !== 'string' || key === 'then' ? undefined : unavailable(\`node:${name} \${key}\`)) });`, '');
  return lines.join('\n');
}

/** A guest the server can offer: how to get its images, and how to boot them. */
export interface GuestSource {
  readonly id: string;
  readonly title: string;
  readonly kind: GuestKind;
  readonly format: GuestFormat;
  readonly cmdline: string;
  readonly memoryMiB: number;
  /** Paths of the images, built first if they need to be; throws an Error saying how to get them when they cannot be had. */
  readonly images: () => { kernel: string; initrd?: string };
}

/** The bundled demo and the Debian Linux guests of `npm run guest:linux`. */
export function projectGuests(): GuestSource[] {
  const demo: GuestSource = {
    id: 'demo',
    title: 'Demo (bare metal)',
    kind: 'demo',
    format: 'flat',
    cmdline: '',
    memoryMiB: 16,
    images: () => ({ kernel: ensureDemoGuest() }),
  };
  const linux = LINUX_FLAVOURS.map((flavour): GuestSource => ({
    id: `linux-${flavour}`,
    title: `Debian Linux (${flavour}, busybox)`,
    kind: 'linux',
    format: 'linux',
    // cryptomgr.notests: the crypto self-tests take half the boot, and test the kernel, not the machine.
    cmdline: 'console=ttyS0 cryptomgr.notests',
    memoryMiB: 128,
    images: () => {
      const kernel = join(LINUX_GUEST_CACHE, vmlinuzName(flavour));
      const initrd = join(LINUX_GUEST_CACHE, initramfsName(flavour));
      if (!existsSync(kernel) || !existsSync(initrd)) throw new Error('not built yet: run `npm run guest:linux` (guests/linux/README.md)');
      return { kernel, initrd };
    },
  }));
  return [demo, ...linux];
}

export interface WebServerOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The guest the page selects first (default DEFAULT_GUEST). */
  readonly defaultGuest?: string;
  /** Guests offered besides the project's (tests add theirs). */
  readonly extraGuests?: readonly GuestSource[];
  /** Where failures are reported (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface WebServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The response headers every answer carries (see the file's comment). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const BASE_HEADERS: Readonly<Record<string, string>> = {
  ...ISOLATION_HEADERS,
  'X-Content-Type-Options': 'nosniff',
  // Everything changes with every build and is served from this machine: always revalidate.
  'Cache-Control': 'no-cache',
};

/** `rel` inside `base`, or null when it would leave it. */
function inside(base: string, rel: string): string | null {
  const full = resolve(base, `.${sep}${rel}`);
  return full === base || full.startsWith(base + sep) ? full : null;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Start the server on 127.0.0.1. */
export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  const root = PROJECT_ROOT;
  const dirs = {
    web: join(root, 'web'),
    dist: join(root, 'dist'),
    modules: join(root, 'node_modules'),
  };
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sources = [...projectGuests(), ...(options.extraGuests ?? [])];
  const defaultGuest = options.defaultGuest ?? DEFAULT_GUEST;
  if (!sources.some((s) => s.id === defaultGuest)) throw new Error(`unknown guest '${defaultGuest}' (known: ${sources.map((s) => s.id).join(', ')})`);
  const rewritten = new Map<string, { mtimeMs: number; body: Buffer }>();
  const standIns = new Map<string, string>();

  function catalogue(): GuestCatalogue {
    const guests = sources.map((s): GuestEntry => {
      const base = { id: s.id, title: s.title, kind: s.kind, format: s.format, cmdline: s.cmdline, memoryMiB: s.memoryMiB, kernel: `/guests/${s.id}/kernel` };
      try {
        const files = s.images();
        return {
          ...base,
          kernelName: basename(files.kernel),
          ...(files.initrd ? { initrd: `/guests/${s.id}/initrd`, initrdName: basename(files.initrd) } : {}),
          available: true,
        };
      } catch (e) {
        return { ...base, kernelName: s.id, available: false, reason: (e as Error).message };
      }
    });
    return { defaultGuest, guests };
  }

  function guestFile(id: string, which: string): string {
    const source = sources.find((s) => s.id === id);
    if (!source || (which !== 'kernel' && which !== 'initrd')) throw new HttpError(404, 'no such guest image');
    let files;
    try {
      files = source.images();
    } catch (e) {
      throw new HttpError(404, `guest '${id}': ${(e as Error).message}`);
    }
    const path = which === 'kernel' ? files.kernel : files.initrd;
    if (!path) throw new HttpError(404, `guest '${id}' has no initrd`);
    return path;
  }

  /** The file a URL path names, or null when it names none. */
  function fileFor(path: string): string | null {
    if (path === '/' || path === '/index.html') return join(dirs.web, 'index.html');
    const [, top = '', ...restParts] = path.split('/');
    const rest = restParts.join('/');
    switch (top) {
      case 'web':
        return inside(dirs.web, rest);
      case 'dist':
        return inside(dirs.dist, rest);
      case 'node_modules':
        return SERVED_PACKAGES.some((p) => rest.startsWith(`${p}/`)) ? inside(dirs.modules, rest) : null;
      case 'src':
      case 'runtime':
      case 'translator':
        // TypeScript sources, for the source maps of dist/ (the browser's debugger shows them).
        return path.endsWith('.ts') ? inside(join(root, top), rest) : null;
      default:
        return null;
    }
  }

  function sendBody(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': type, 'Content-Length': bytes.length });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  function sendFile(req: IncomingMessage, res: ServerResponse, file: string, type = mimeType(file)): void {
    let st;
    try {
      st = statSync(file);
    } catch {
      throw new HttpError(404, 'not found');
    }
    if (!st.isFile()) throw new HttpError(404, 'not found');
    const distJs = file.startsWith(dirs.dist + sep) && file.endsWith('.js');
    if (distJs) {
      let cached = rewritten.get(file);
      if (!cached || cached.mtimeMs !== st.mtimeMs) {
        cached = { mtimeMs: st.mtimeMs, body: Buffer.from(rewriteImports(readFileSync(file, 'utf8'))) };
        rewritten.set(file, cached);
      }
      sendBody(req, res, 200, type, cached.body);
      return;
    }
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': type, 'Content-Length': st.size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'only GET and HEAD');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      throw new HttpError(400, 'bad URL');
    }
    if (path.includes('\0')) throw new HttpError(400, 'bad URL');
    if (path === '/api/guests') {
      sendBody(req, res, 200, MIME['.json']!, JSON.stringify(catalogue()));
      return;
    }
    const guest = /^\/guests\/([\w.-]+)\/(\w+)$/.exec(path);
    if (guest) {
      sendFile(req, res, guestFile(guest[1]!, guest[2]!), OCTETS);
      return;
    }
    const node = /^\/@node\/([\w/]+)\.js$/.exec(path);
    if (node) {
      const name = node[1]!;
      if (!isBuiltin(name)) throw new HttpError(404, 'not a Node built-in');
      let text = standIns.get(name);
      if (text === undefined) {
        text = await nodeStandIn(name);
        standIns.set(name, text);
      }
      sendBody(req, res, 200, MIME['.js']!, text);
      return;
    }
    const file = fileFor(path);
    if (!file) throw new HttpError(404, 'not found');
    sendFile(req, res, file);
  }

  const server: Server = createServer((req, res) => {
    answer(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) log(`wasmvisor web: ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendBody(req, res, status, MIME['.txt']!, `${status} ${(e as Error).message}\n`);
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}

const USAGE = 'usage: npm run web -- [--port N] [--guest ID]\n';

/** Start serving from the command line; returns an exit status on failure, null while serving (until interrupted). */
async function main(argv: readonly string[]): Promise<number | null> {
  let port = 8080;
  let defaultGuest: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    if (arg === '--port' && value !== undefined && /^\d+$/.test(value) && Number(value) < 65536) {
      port = Number(value);
      i++;
    } else if (arg === '--guest' && value !== undefined) {
      defaultGuest = value;
      i++;
    } else {
      process.stderr.write(arg === '--help' || arg === '-h' ? USAGE : `wasmvisor web: bad argument '${arg}'\n${USAGE}`);
      return arg === '--help' || arg === '-h' ? 0 : 2;
    }
  }
  if (!existsSync(join(PROJECT_ROOT, 'dist', 'src', 'browser', 'vm-worker.js'))) {
    process.stderr.write('wasmvisor web: dist/ has no compiled page: run it as `npm run web` (which builds first)\n');
    return 1;
  }
  let server;
  try {
    server = await startWebServer({ port, ...(defaultGuest ? { defaultGuest } : {}) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`wasmvisor web: ${err.code === 'EADDRINUSE' ? `port ${port} is in use (choose another with --port)` : err.message}\n`);
    return 1;
  }
  process.stdout.write(`wasmvisor web: ${server.url} (127.0.0.1 only; Ctrl-C stops)\n`);
  return null;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const status = await main(process.argv.slice(2));
  if (status !== null) process.exitCode = status;
}
