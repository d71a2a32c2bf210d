/**
 * Putting a guest into a machine from bytes, as QEMU's -kernel, -initrd
 * and -append do: a bzImage goes through the Linux 32-bit boot protocol
 * (src/loaders/linux.ts), an image with a multiboot header through the
 * multiboot loader (the initrd, if any, becomes its one module, as QEMU
 * does), anything else is a flat binary at 1 MiB. Browser-safe: no file
 * system, only bytes. (The CLI reads files and has no format detection
 * yet; this could move to src/loaders/ for both front ends.)
 */
import type { Machine } from '../machine.js';
import { ConfigError } from '../errors.js';
import { loadFlat } from '../loaders/flat.js';
import { findMultibootHeader, loadMultiboot } from '../loaders/multiboot.js';
import { isBzImage, loadLinux } from '../loaders/linux.js';
import type { GuestImages, LoadedFormat } from './protocol.js';

/** The loader an image asks for: a bzImage's setup header, a multiboot header, or neither. */
export function detectFormat(kernel: Uint8Array): LoadedFormat {
  if (isBzImage(kernel)) return 'linux';
  if (findMultibootHeader(kernel) >= 0) return 'multiboot';
  return 'flat';
}

/** Load `guest` into `machine` and set its vCPU up at the entry; returns the loader used and a line for people. Throws ConfigError. */
export function loadGuest(machine: Machine, guest: GuestImages): { format: LoadedFormat; detail: string } {
  const format = guest.format === 'auto' ? detectFormat(guest.kernel) : guest.format;
  const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
  switch (format) {
    case 'linux': {
      const plan = loadLinux(machine, guest.kernel, {
        name: guest.kernelName,
        cmdline: guest.cmdline,
        ...(guest.initrd ? { initrd: guest.initrd } : {}),
      });
      const initrd = plan.initrd ? `, initrd ${plan.initrd.size} bytes at ${hex(plan.initrd.address)}` : '';
      const version = plan.header.kernelVersion ? ` ${plan.header.kernelVersion.split(' ')[0]}` : '';
      return { format, detail: `Linux${version} (32-bit boot protocol): kernel at ${hex(plan.loadAddress)}${initrd}, command line '${plan.cmdline}'` };
    }
    case 'multiboot': {
      // QEMU hands a multiboot kernel its own file name in front of the command line, and -initrd files as modules.
      const cmdline = guest.cmdline ? `${guest.kernelName} ${guest.cmdline}` : guest.kernelName;
      const modules = guest.initrd ? [{ data: guest.initrd, cmdline: guest.initrdName ?? 'initrd' }] : [];
      const load = loadMultiboot(machine, guest.kernel, { cmdline, modules }, guest.kernelName);
      return { format, detail: `multiboot (${load.image.format}): entry ${hex(load.entry)}, ${modules.length} module(s), information at ${hex(load.infoAddress)}` };
    }
    case 'flat': {
      // A flat image has nowhere to receive either; saying so beats dropping them.
      if (guest.initrd) throw new ConfigError(`'${guest.kernelName}' is a flat binary, which takes no initrd (only Linux and multiboot kernels do)`);
      if (guest.cmdline.trim()) throw new ConfigError(`'${guest.kernelName}' is a flat binary, which takes no command line (only Linux and multiboot kernels do)`);
      loadFlat(machine, guest.kernel, guest.kernelName);
      return { format, detail: `flat binary: ${guest.kernel.length} bytes at 0x100000` };
    }
  }
}
