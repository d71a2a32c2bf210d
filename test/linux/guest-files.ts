/**
 * Where the Linux boot tests find the CLI and the guest images
 * (npm run guest:linux builds them into guests/linux/cache), and how long
 * one boot may take before it counts as hung.
 */
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'wasmvisor.js');
export const CACHE = join(ROOT, 'guests', 'linux', 'cache');
export const KERNEL = join(CACHE, 'vmlinuz-686');
export const INITRD = join(CACHE, 'initramfs-686.cpio.gz');
/** One boot to the shell takes two to six minutes on a loaded 2-core host; a hung guest fails at this bound. */
export const RUN_TIMEOUT_MS = 600_000;
