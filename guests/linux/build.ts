/**
 * `npm run guest:linux` (node scripts/run.mjs guests/linux/build.ts
 * [--force]): the Debian i386 guest images. Downloads Debian's
 * linux-image-686 and linux-image-686-pae kernels (through their
 * metapackages) and busybox-static with apt-get, and writes to
 * guests/linux/cache/: vmlinuz-<flavour>, initramfs-<flavour>.cpio.gz
 * (busybox, the virtio modules of that kernel, /init) and manifest.json
 * (package versions, sizes, SHA256s). Re-running is a no-op when every
 * file the manifest lists is there with its recorded hash; --force
 * rebuilds (re-using downloaded .debs whose hash still matches the
 * archive's index).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeCpioPath } from '../../src/initramfs/cpio.js';
import { parseSetupHeader } from '../../src/loaders/linux.js';
import { ConfigError } from '../../src/errors.js';
import { aptUpdate, downloadPackage, ensureI386, extractDeb, GuestBuildError, isRoot, resolveKernelPackage } from './debian.js';
import { buildInitramfs, FALLBACK_APPLETS } from './initramfs.js';
import { findModuleTree, selectVirtioModules } from './modules.js';
import {
  initramfsName, LINUX_FLAVOURS, LINUX_GUEST_CACHE, LINUX_GUEST_MANIFEST, readLinuxGuestManifest, vmlinuzName,
  type LinuxFlavour, type LinuxGuestManifest, type ManifestFile, type ManifestFlavour, type ManifestPackage,
} from './paths.js';

/** Bump when the builder makes different files from the same packages (init script, module choice, layout). */
const FORMAT = 1;
const BUSYBOX_PACKAGE = 'busybox-static';
const DEB_DIR = join(LINUX_GUEST_CACHE, 'debs');

const log = (s: string): void => console.log(`guest:linux: ${s}`);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const mib = (n: number): string => `${(n / (1024 * 1024)).toFixed(2)} MiB`;

function fileOk(f: ManifestFile): boolean {
  const path = join(LINUX_GUEST_CACHE, f.file);
  if (!existsSync(path)) return false;
  const bytes = readFileSync(path);
  return bytes.length === f.size && sha256(bytes) === f.sha256;
}

/** The manifest when the cache holds everything it lists, intact; else null. */
function completeCache(): LinuxGuestManifest | null {
  let m: LinuxGuestManifest | null;
  try {
    m = readLinuxGuestManifest();
  } catch {
    return null;
  }
  if (!m || m.format !== FORMAT) return null;
  for (const f of LINUX_FLAVOURS) {
    const fl = m.flavours?.[f];
    if (!fl || !fileOk(fl.vmlinuz) || !fileOk(fl.initramfs)) return null;
  }
  return m;
}

function writeOutput(name: string, bytes: Uint8Array): ManifestFile {
  const path = join(LINUX_GUEST_CACHE, name);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return { file: name, size: bytes.length, sha256: sha256(bytes) };
}

/**
 * Busybox's own list of its applets with their install paths. The binary
 * is i386; an x86-64 kernel runs it natively (IA32 emulation), and
 * otherwise qemu-user may; failing both we link a fixed list.
 */
function listApplets(busybox: string): { applets: string[]; source: string } {
  for (const cmd of [[busybox], ['qemu-i386-static', busybox], ['qemu-i386', busybox]] as const) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), '--list-full'], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout) continue;
    // The list names busybox itself too; that one is the binary, not a link.
    const applets = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean).map(normalizeCpioPath).filter((a) => a !== 'bin/busybox');
    if (applets.length > 0) return { applets, source: `${cmd.length === 1 ? 'busybox' : cmd[0]} --list-full` };
  }
  log('warning: cannot run the i386 busybox on this host (no IA32 support, no qemu-user); linking a fixed list of applets');
  return { applets: [...FALLBACK_APPLETS], source: 'fixed list' };
}

interface Downloads {
  busybox: ManifestPackage;
  kernels: Record<LinuxFlavour, ManifestPackage>;
}

function download(): Downloads {
  const busybox = downloadPackage(BUSYBOX_PACKAGE, DEB_DIR, log);
  const kernels = {} as Record<LinuxFlavour, ManifestPackage>;
  for (const f of LINUX_FLAVOURS) {
    const pkg = resolveKernelPackage(f);
    log(`linux-image-${f} -> ${pkg}`);
    kernels[f] = downloadPackage(pkg, DEB_DIR, log);
  }
  return { busybox, kernels };
}

/** Resolve and download; when apt's lists are stale or empty, update them once (as root) and try again. */
function downloadWithUpdate(alreadyUpdated: boolean): Downloads {
  try {
    return download();
  } catch (e) {
    if (!(e instanceof GuestBuildError) || alreadyUpdated || !isRoot()) throw e;
    log(`${e.message.split('\n')[0]}; updating apt's package lists and trying again`);
    aptUpdate(log);
    return download();
  }
}

/** The kernel file in an unpacked linux-image package. */
function findVmlinuz(root: string, release: string): string {
  const path = join(root, 'boot', `vmlinuz-${release}`);
  if (existsSync(path)) return path;
  const any = existsSync(join(root, 'boot')) ? readdirSync(join(root, 'boot')).filter((n) => n.startsWith('vmlinuz-')) : [];
  throw new GuestBuildError(`no boot/vmlinuz-${release} in the kernel package (found: ${any.join(', ') || 'nothing'})`);
}

function build(): LinuxGuestManifest {
  mkdirSync(DEB_DIR, { recursive: true });
  const updated = ensureI386(log);
  const debs = downloadWithUpdate(updated);

  const work = mkdtempSync(join(tmpdir(), 'wasmvisor-guest-linux-'));
  try {
    const bbRoot = join(work, 'busybox');
    extractDeb(join(DEB_DIR, debs.busybox.deb), bbRoot);
    const bbPath = join(bbRoot, 'bin', 'busybox');
    if (!existsSync(bbPath)) throw new GuestBuildError(`${debs.busybox.deb} has no /bin/busybox`);
    const busybox = new Uint8Array(readFileSync(bbPath));
    const { applets, source } = listApplets(bbPath);
    log(`busybox ${debs.busybox.version}: ${applets.length} applets (from ${source})`);

    const flavours = {} as Record<LinuxFlavour, ManifestFlavour>;
    for (const f of LINUX_FLAVOURS) {
      const pkg = debs.kernels[f];
      const root = join(work, `linux-${f}`);
      extractDeb(join(DEB_DIR, pkg.deb), root);
      const { release, dir } = findModuleTree(root);
      const vmlinuz = new Uint8Array(readFileSync(findVmlinuz(root, release)));
      // Refuse to cache what our loader could not boot.
      const header = parseSetupHeader(vmlinuz, `vmlinuz-${release}`);
      const modules = selectVirtioModules(dir);
      const description = `Debian ${pkg.name} ${pkg.version}, ${BUSYBOX_PACKAGE} ${debs.busybox.version}`;
      const initramfs = buildInitramfs({ release, modules, busybox, applets, description });
      flavours[f] = {
        release,
        package: pkg,
        vmlinuz: writeOutput(vmlinuzName(f), vmlinuz),
        initramfs: writeOutput(initramfsName(f), initramfs),
        modules: modules.map((m) => m.path),
      };
      log(`${f}: kernel ${release} (boot protocol ${header.version >> 8}.${(header.version & 0xff).toString().padStart(2, '0')}), ` +
        `vmlinuz ${mib(vmlinuz.length)}, initramfs ${mib(initramfs.length)} with ${modules.length} modules: ${modules.map((m) => m.name).join(' ')}`);
    }
    const manifest: LinuxGuestManifest = {
      format: FORMAT,
      builtAt: new Date().toISOString(),
      busybox: { ...debs.busybox, applets: applets.length, appletSource: source },
      flavours,
    };
    const tmp = `${LINUX_GUEST_MANIFEST}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(tmp, LINUX_GUEST_MANIFEST);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(): number {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--force');
  if (unknown.length > 0) {
    console.error(`usage: npm run guest:linux [-- --force]  (unknown: ${unknown.join(' ')})`);
    return 2;
  }
  const cached = args.includes('--force') ? null : completeCache();
  if (cached) {
    log(`up to date in ${LINUX_GUEST_CACHE} (${LINUX_FLAVOURS.map((f) => cached.flavours[f].package.name + ' ' + cached.flavours[f].package.version).join(', ')}, busybox ${cached.busybox.version}); --force rebuilds`);
    return 0;
  }
  try {
    build();
    log(`done: ${LINUX_GUEST_CACHE}`);
    return 0;
  } catch (e) {
    if (e instanceof GuestBuildError || e instanceof ConfigError) {
      console.error(`guest:linux: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main();
