/**
 * Where the command line sends the terminal's input (src/cli/stdin.ts):
 * COM1 with -nographic, else the first virtio console on stdout when COM1
 * is off stdio. The virtio console's receive path is driven from the CLI
 * layer into a machine whose console a test driver sets up through ports
 * and guest memory, as a guest would: input typed before the driver is
 * ready is held, Ctrl-A pairs are handled on the way. The same through a
 * Linux shell on /dev/hvc0 is test/linux/hvc-input.test.ts.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { attachStdin, stdinTarget } from '../../src/cli/stdin.js';
import { createMachine } from '../../src/machine.js';
import { ConfigAccess, LegacyDriver } from '../devices/virtio-driver.js';

const RX = 0;

/** A stream the CLI reads as it reads process.stdin (not a terminal: no raw mode). */
function fakeStdin(): { stream: PassThrough; stdin: NodeJS.ReadStream } {
  const stream = new PassThrough();
  return { stream, stdin: stream as unknown as NodeJS.ReadStream };
}

/** Let the stream's 'data' events run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('stdin routing', () => {
  it('gives stdin to COM1 with -nographic, else to the first virtio console on stdout when COM1 is off stdio', () => {
    const target = (...argv: string[]) => stdinTarget(parseArgs(argv));
    expect(target('-nographic')).toEqual({ kind: 'com1' });
    expect(target()).toBeNull(); // COM1 on stdout without -nographic: no input, as before
    expect(target('-nographic', '-device', 'virtio-console')).toEqual({ kind: 'com1' });
    expect(target('-device', 'virtio-console')).toBeNull(); // COM1 still on stdio
    expect(target('-serial', 'none', '-device', 'virtio-console')).toEqual({ kind: 'virtio-console', index: 0 });
    expect(target('-serial', 'file:com1.log', '-nographic', '-device', 'virtio-console')).toEqual({ kind: 'virtio-console', index: 0 });
    expect(target('-serial', 'none', '-device', 'virtio-console,path=a.out', '-device', 'virtio-console', '-device', 'virtio-console'))
      .toEqual({ kind: 'virtio-console', index: 1 });
    expect(target('-serial', 'none', '-device', 'virtio-console,path=a.out')).toBeNull();
    expect(target('-serial', 'none', '-nographic')).toBeNull();
  });
});

describe('stdin into a virtio console', () => {
  it('holds what is typed before the driver is ready, then fills its receive buffers; Ctrl-A Ctrl-A is one Ctrl-A, Ctrl-A X stops', async () => {
    const out: number[] = [];
    const m = createMachine({ memoryMiB: 16, virtioConsole: [{ sink: (b) => void out.push(...b) }] });
    const { stream, stdin } = fakeStdin();
    const stop = vi.spyOn(m, 'requestStop');
    const detach = attachStdin(m, parseArgs(['-serial', 'none', '-device', 'virtio-console']), stdin);
    try {
      expect(detach).not.toBeNull();
      const console = m.virtio.console[0]!;
      stream.write('ls\x01\x01\x01q\r'); // Ctrl-A Ctrl-A: one Ctrl-A; Ctrl-A q: dropped
      await settle();
      expect(console.pendingInput).toBe(4);
      expect(stop).not.toHaveBeenCalled();

      const d = new LegacyDriver(m.io, m.mem, new ConfigAccess(m.io), 2);
      d.init(0xffffffff, 2);
      const q = d.queues[RX]!;
      const a = d.alloc(64);
      q.add([{ addr: a, len: 64, write: true }]);
      d.kick(RX);
      expect(q.takeUsed()).toEqual([{ id: 0, len: 4 }]);
      expect(Array.from(m.mem.u8.subarray(a, a + 4))).toEqual([0x6c, 0x73, 0x01, 0x0d]);

      const b = d.alloc(64);
      q.add([{ addr: b, len: 64, write: true }]);
      stream.write('pwd\r\x01x');
      await settle();
      expect(q.takeUsed()).toEqual([{ id: 1, len: 4 }]);
      expect(String.fromCharCode(...m.mem.u8.subarray(b, b + 4))).toBe('pwd\r');
      expect(stop).toHaveBeenCalledWith('Ctrl-A X');
      expect(out).toEqual([]); // input goes to the guest only: the device does not echo
    } finally {
      detach?.();
      m.close();
    }
    // Let go: later input reaches nobody.
    stream.write('late');
    await settle();
    expect(m.virtio.console[0]!.pendingInput).toBe(0);
  });

  it('leaves the virtio console without input while COM1 has stdin (-nographic)', async () => {
    const m = createMachine({ memoryMiB: 16, virtioConsole: [{}] });
    const { stream, stdin } = fakeStdin();
    const received = vi.spyOn(m.uart, 'receive');
    const detach = attachStdin(m, parseArgs(['-nographic', '-device', 'virtio-console']), stdin);
    try {
      stream.write('abc');
      await settle();
      expect(m.virtio.console[0]!.pendingInput).toBe(0);
      expect(received).toHaveBeenCalledTimes(1);
      expect(Array.from(received.mock.calls[0]![0])).toEqual([0x61, 0x62, 0x63]);
    } finally {
      detach?.();
      m.close();
    }
  });
});
