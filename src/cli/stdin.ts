/**
 * The terminal's input for the guest, as QEMU's stdio character device
 * with its -nographic mux: Ctrl-A X ends the run, Ctrl-A Ctrl-A sends one
 * Ctrl-A, any other Ctrl-A pair is dropped. On a terminal, raw mode hands
 * every key to the guest (its own line discipline echoes).
 *
 * Where the input goes (stdinTarget): COM1 when it is on stdio and
 * -nographic is given (as before); else, when COM1 is not on stdio, the
 * first virtio console that writes to stdout (no path=), as a QEMU
 * virtconsole on chardev stdio reads stdin; else nowhere. A virtio console
 * holds what comes before its driver is ready (up to its input limit) and
 * hands it over with the driver's first receive buffers; Linux's
 * virtio_console (no MULTIPORT offered) frees buffers used before its port
 * is registered, so keys typed during its probe are lost in that guest.
 */
import type { Machine } from '../machine.js';
import type { CliOptions } from './args.js';

/** Ctrl-A: the escape character of QEMU's -nographic console. */
export const ESCAPE = 0x01;

/** The device stdin feeds: COM1, or a virtio console by its index among -device virtio-console. */
export type StdinTarget = { kind: 'com1' } | { kind: 'virtio-console'; index: number };

/** Where stdin goes for these options (see the file comment); null: the guest gets no input. */
export function stdinTarget(opts: Pick<CliOptions, 'serial' | 'nographic' | 'virtioConsole'>): StdinTarget | null {
  if (opts.serial.kind === 'stdio') return opts.nographic ? { kind: 'com1' } : null;
  const index = opts.virtioConsole.findIndex((c) => c.path === undefined);
  return index >= 0 ? { kind: 'virtio-console', index } : null;
}

/**
 * Read `stdin` into `deliver` through the Ctrl-A escapes; `quit` on Ctrl-A
 * X. Returns the function that lets the input go (and leaves raw mode).
 */
export function attachInput(stdin: NodeJS.ReadStream, deliver: (bytes: Uint8Array) => void, quit: () => void): () => void {
  let escaped = false;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  const onData = (chunk: Buffer | string): void => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    const bytes: number[] = [];
    for (const b of data) {
      if (escaped) {
        escaped = false;
        if (b === 0x78 || b === 0x58) quit();
        else if (b === ESCAPE) bytes.push(ESCAPE);
        continue;
      }
      if (b === ESCAPE) escaped = true;
      else bytes.push(b);
    }
    if (bytes.length) deliver(Uint8Array.from(bytes));
  };
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.pause();
    if (raw) stdin.setRawMode(false);
  };
}

/** Feed `stdin` to the device the options give it to (stdinTarget); null when none takes it. */
export function attachStdin(machine: Machine, opts: Pick<CliOptions, 'serial' | 'nographic' | 'virtioConsole'>, stdin: NodeJS.ReadStream): (() => void) | null {
  const target = stdinTarget(opts);
  if (!target) return null;
  const quit = (): void => machine.requestStop('Ctrl-A X');
  if (target.kind === 'com1') return attachInput(stdin, (b) => machine.uart.receive(b), quit);
  const console = machine.virtio.console[target.index]!;
  return attachInput(stdin, (b) => console.receive(b), quit);
}
