/**
 * Where `npm run guest:linux` leaves the Debian guest images and what its
 * manifest says, for the builder, the tests and anyone who boots them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';

/** The cache folder (ignored by git). */
export const LINUX_GUEST_CACHE = join(PROJECT_ROOT, 'guests', 'linux', 'cache');
export const LINUX_GUEST_MANIFEST = join(LINUX_GUEST_CACHE, 'manifest.json');
/** The kernel flavours built, by Debian's name for them. */
export const LINUX_FLAVOURS = ['686', '686-pae'] as const;
export type LinuxFlavour = (typeof LINUX_FLAVOURS)[number];

export const vmlinuzName = (f: LinuxFlavour): string => `vmlinuz-${f}`;
export const initramfsName = (f: LinuxFlavour): string => `initramfs-${f}.cpio.gz`;

/** One output file as the manifest records it. */
export interface ManifestFile {
  file: string;
  size: number;
  sha256: string;
}

export interface ManifestPackage {
  name: string;
  version: string;
  deb: string;
  size: number;
  sha256: string;
}

export interface ManifestFlavour {
  /** The kernel's release (uname -r). */
  release: string;
  package: ManifestPackage;
  vmlinuz: ManifestFile;
  initramfs: ManifestFile;
  /** Module paths under /lib/modules/<release>/, in the order /init loads them. */
  modules: string[];
}

export interface LinuxGuestManifest {
  /** Bumped whenever the builder's output changes for the same packages. */
  format: number;
  builtAt: string;
  /** `applets`: how many applet links the initramfs has; `appletSource`: where their list came from. */
  busybox: ManifestPackage & { applets: number; appletSource: string };
  flavours: Record<LinuxFlavour, ManifestFlavour>;
}

/** The manifest, or null when the cache has not been built. */
export function readLinuxGuestManifest(): LinuxGuestManifest | null {
  if (!existsSync(LINUX_GUEST_MANIFEST)) return null;
  return JSON.parse(readFileSync(LINUX_GUEST_MANIFEST, 'utf8')) as LinuxGuestManifest;
}
