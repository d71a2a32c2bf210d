/**
 * The flat-binary loader: a raw image (no headers) copied to physical
 * 1 MiB, entered the way a multiboot loader hands over (Multiboot
 * specification 0.6.96, section 3.2 "Machine state"): 32-bit protected
 * mode, paging off, CPL0, flat 4 GiB code and data segments, interrupts
 * off. It departs from multiboot in what a flat image cannot ask for: no
 * magic in EAX and no information structure in EBX (both are zero), and
 * the stack is set up for it (ESP = 0x90000) because a flat image has no
 * header saying where its own would be.
 */
import { readFileSync, statSync } from 'node:fs';
import { CR0_ET, CR0_PE, CODE_RX_ACCESS, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { Seg } from '../../translator/table/types.js';
import { ConfigError } from '../errors.js';
import type { Machine } from '../machine.js';

export const FLAT_LOAD_ADDRESS = 0x100000;
export const FLAT_INITIAL_ESP = 0x90000;
/** The selectors a multiboot loader's GDT typically uses; the caches are what matter. */
const CODE_SELECTOR = 0x08;
const DATA_SELECTOR = 0x10;

/** Read a kernel image, rejecting what cannot be one with a message naming the problem. */
export function readImageFile(path: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new ConfigError(`kernel image '${path}' is a directory, not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`kernel image '${path}' does not exist`);
    throw new ConfigError(`cannot read kernel image '${path}': ${(e as Error).message}`);
  }
  if (size === 0) throw new ConfigError(`kernel image '${path}' is empty`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ConfigError(`cannot read kernel image '${path}': ${(e as Error).message}`);
  }
}

/** Copy a flat image to 1 MiB and set the vCPU up to enter it. `name` is used in error messages. */
export function loadFlat(machine: Machine, image: Uint8Array, name = 'image'): void {
  if (image.length === 0) throw new ConfigError(`kernel image '${name}' is empty`);
  const room = machine.mem.size - FLAT_LOAD_ADDRESS;
  if (image.length > room) {
    const mib = machine.mem.size / (1024 * 1024);
    throw new ConfigError(
      `kernel image '${name}' is ${image.length} bytes, but ${mib} MiB of RAM leaves only ${room} bytes above 1 MiB where it is loaded; ` +
      `give the machine more memory (-m)`,
    );
  }
  machine.mem.load(FLAT_LOAD_ADDRESS, image);
  enterFlatProtectedMode(machine, FLAT_LOAD_ADDRESS, FLAT_INITIAL_ESP);
}

/** The hand-over state: flat 32-bit protected mode at CPL0, paging and interrupts off. */
export function enterFlatProtectedMode(machine: Machine, eip: number, esp: number): void {
  const cpu = machine.cpu;
  cpu.reset();
  cpu.regs.fill(0);
  cpu.cr0 = CR0_PE | CR0_ET;
  cpu.cpl = 0;
  for (let s = 0; s < 6; s++) {
    const code = s === Seg.CS;
    cpu.setSeg(s, {
      selector: code ? CODE_SELECTOR : DATA_SELECTOR,
      base: 0,
      limit: 0xffffffff,
      access: code ? CODE_RX_ACCESS(0) : DATA_RW_ACCESS(0),
      big: true,
      unusable: false,
    });
  }
  cpu.regs[4] = esp; // ESP
  cpu.eip = eip;
  cpu.flags = 2;
  cpu.lazyMask = 0;
  cpu.halted = false;
  cpu.refreshMode();
}
