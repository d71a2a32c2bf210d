/**
 * Getting i386 packages from the host's Debian archive: make sure the
 * i386 architecture is configured, resolve a metapackage
 * (linux-image-686) to the real package it depends on, download .debs
 * with `apt-get download` and unpack them with `dpkg-deb -x`. Everything
 * goes through Debian's own tools and the host's apt sources.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestPackage } from './paths.js';

/** A failure the user can act on; the builder prints its message alone. */
export class GuestBuildError extends Error {
  override readonly name = 'GuestBuildError';
}

export const ARCH = 'i386';

interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run a command, capturing its output; a missing program is a GuestBuildError naming what to install. */
export function run(cmd: string, args: readonly string[], options: { cwd?: string; allowFailure?: boolean } = {}): RunResult {
  try {
    const stdout = execFileSync(cmd, args, { cwd: options.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { status?: number | null; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') {
      throw new GuestBuildError(`'${cmd}' is not installed: building the Linux guest needs a Debian or Ubuntu host (apt-get, apt-cache, dpkg, dpkg-deb)`);
    }
    const result = { status: err.status ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
    if (options.allowFailure) return result;
    throw new GuestBuildError(`${cmd} ${args.join(' ')} failed (status ${result.status}):\n${result.stderr.trim()}`);
  }
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** True when dpkg installs i386 packages on this host (as its own or a foreign architecture). */
export function hasI386(): boolean {
  const native = run('dpkg', ['--print-architecture']).stdout.trim();
  if (native === ARCH) return true;
  return run('dpkg', ['--print-foreign-architectures']).stdout.split(/\s+/).includes(ARCH);
}

/**
 * `apt-get update`. A partial failure (one mirror mid-sync) is only a
 * warning: what matters is whether our packages resolve afterwards.
 */
export function aptUpdate(log: (s: string) => void): void {
  log('apt-get update');
  const r = run('apt-get', ['update', '-qq'], { allowFailure: true });
  if (r.status !== 0) log(`warning: apt-get update reported errors (continuing; the packages may still resolve):\n${r.stderr.trim()}`);
}

/** Add the i386 architecture when we can (as root), or say exactly what to run. */
export function ensureI386(log: (s: string) => void): boolean {
  if (hasI386()) return false;
  if (!isRoot()) {
    throw new GuestBuildError(
      'the i386 architecture is not configured for apt on this host. As root, run:\n' +
      '  dpkg --add-architecture i386 && apt-get update\n' +
      'then run npm run guest:linux again (it needs no root once i386 is added).',
    );
  }
  log('dpkg --add-architecture i386');
  run('dpkg', ['--add-architecture', ARCH]);
  aptUpdate(log);
  return true;
}

/** The candidate version apt would install, or null when the package is unknown (lists not updated). */
export function candidateVersion(pkg: string): string | null {
  const r = run('apt-cache', ['policy', `${pkg}:${ARCH}`], { allowFailure: true });
  const m = /^\s*Candidate:\s*(\S+)\s*$/m.exec(r.stdout);
  if (!m || m[1] === '(none)') return null;
  return m[1]!;
}

/**
 * The real kernel package behind a flavour metapackage: linux-image-686
 * depends on linux-image-<abi>-686 (the versioned package that holds the
 * kernel and its modules).
 */
export function resolveKernelPackage(flavour: string): string {
  const meta = `linux-image-${flavour}`;
  const r = run('apt-cache', ['depends', `${meta}:${ARCH}`], { allowFailure: true });
  const re = new RegExp(`^\\s*\\|?Depends:\\s*(linux-image-\\d[^\\s:]*-${flavour.replace(/[-]/g, '\\-')})(?::${ARCH})?\\s*$`, 'm');
  const m = re.exec(r.stdout);
  if (!m) {
    throw new GuestBuildError(`cannot resolve ${meta}:${ARCH} to a kernel package (apt-cache depends said:\n${(r.stdout + r.stderr).trim()})`);
  }
  return m[1]!;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The file name apt-get download gives a package (the epoch's ':' is escaped as %3a). */
export const debFileName = (pkg: string, version: string): string => `${pkg}_${version.replace(/:/g, '%3a')}_${ARCH}.deb`;

/** The SHA256 the archive's index gives for one version of a package, when apt shows one. */
function archiveSha256(pkg: string, version: string): string | null {
  const r = run('apt-cache', ['show', `${pkg}:${ARCH}=${version}`], { allowFailure: true });
  return /^SHA256:\s*([0-9a-f]{64})\s*$/m.exec(r.stdout)?.[1] ?? null;
}

/** Download one package at its candidate version into `dir` (kept there as a cache of .debs). */
export function downloadPackage(pkg: string, dir: string, log: (s: string) => void): ManifestPackage {
  const version = candidateVersion(pkg);
  if (!version) throw new GuestBuildError(`apt knows no ${pkg}:${ARCH}; run apt-get update (as root) and try again`);
  const deb = debFileName(pkg, version);
  const path = join(dir, deb);
  const expected = archiveSha256(pkg, version);
  if (existsSync(path) && expected && sha256(readFileSync(path)) !== expected) {
    log(`cached ${deb} does not match the archive's SHA256; downloading it again`);
    rmSync(path);
  }
  if (!existsSync(path)) {
    log(`apt-get download ${pkg}:${ARCH}=${version}`);
    // As root, apt drops to the _apt user to download and warns that it
    // cannot write our folder; downloading as root into it is what we want.
    const sandbox = isRoot() ? ['-o', 'APT::Sandbox::User=root'] : [];
    run('apt-get', [...sandbox, 'download', '-qq', `${pkg}:${ARCH}=${version}`], { cwd: dir });
    if (!existsSync(path)) throw new GuestBuildError(`apt-get download ${pkg} finished but ${deb} is not in ${dir}`);
  } else {
    log(`using cached ${deb}`);
  }
  const bytes = readFileSync(path);
  if (expected && sha256(bytes) !== expected) throw new GuestBuildError(`${deb} does not match the SHA256 in the archive's index (${expected})`);
  return { name: pkg, version, deb, size: bytes.length, sha256: sha256(bytes) };
}

/** Unpack a .deb's files (not its maintainer scripts) under `dir`. */
export function extractDeb(deb: string, dir: string): void {
  run('dpkg-deb', ['-x', deb, dir]);
}
