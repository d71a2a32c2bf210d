/**
 * The PC's PCI bus and virtio devices as the machine config and the
 * command line set them up: QEMU's -drive / -netdev / -device forms, their
 * errors, and what a guest finds in PCI configuration space (config
 * mechanism #1, PCI Local Bus Specification 3.0, 3.2.2.3.2). Linux
 * driving the devices is test/linux/virtio.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, splitOptionList } from '../../src/cli/args.js';
import { createMachine } from '../../src/machine.js';
import { MemoryBlockBackend } from '../../runtime/devices/virtio/block-backend.js';
import { createNetPair } from '../../runtime/devices/virtio/net-backend.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'wasmvisor.js');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('virtio command-line flags', () => {
  it('reads -drive if=virtio and the if=none + -device virtio-blk-pci form, in order', () => {
    const o = parseArgs(['-drive', 'file=a.img,if=virtio,format=raw', '-device', 'virtio-blk-pci,drive=d1', '-drive', 'file=b,,c.img,if=none,id=d1,readonly=on']);
    expect(o.virtioBlk).toEqual([{ file: 'a.img', readOnly: false }, { file: 'b,c.img', readOnly: true }]);
    expect(splitOptionList('file=x,,y,if=virtio')).toEqual(['file=x,y', 'if=virtio']);
  });

  it('rejects bad -drive values with the reason', () => {
    expect(() => parseArgs(['-drive', 'if=virtio'])).toThrow(/needs file=IMAGE/);
    expect(() => parseArgs(['-drive', 'file=a,if=ide'])).toThrow(/only if=virtio/);
    expect(() => parseArgs(['-drive', 'file=a,format=qcow2'])).toThrow(/only raw images/);
    expect(() => parseArgs(['-drive', 'file=a,readonly=maybe'])).toThrow(/use on or off/);
    expect(() => parseArgs(['-drive', 'file=a,bogus=1'])).toThrow(/no property 'bogus'/);
    expect(() => parseArgs(['-drive', 'file=a,if=none'])).toThrow(/needs id=ID/);
    expect(() => parseArgs(['-drive', 'file=a,if=none,id=d0'])).toThrow(/not used by any -device/);
    expect(() => parseArgs(['-device', 'virtio-blk-pci,drive=d9'])).toThrow(/no -drive with id=d9/);
    expect(() => parseArgs(['-device', 'virtio-blk-pci'])).toThrow(/needs drive=ID/);
  });

  it('reads -netdev socket with -device virtio-net-pci, either order', () => {
    const o = parseArgs(['-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:99', '-netdev', 'socket,id=n0,listen=:1234']);
    expect(o.virtioNet).toEqual([{ netdev: 'n0', listen: ':1234', mac: '52:54:00:12:34:99' }]);
    expect(parseArgs(['-netdev', 'socket,id=x,connect=127.0.0.1:5', '-device', 'virtio-net-pci,netdev=x']).virtioNet).toEqual([{ netdev: 'x', connect: '127.0.0.1:5' }]);
  });

  it('rejects bad -netdev and NIC values with the reason', () => {
    expect(() => parseArgs(['-netdev', 'user,id=n0'])).toThrow(/only socket/);
    expect(() => parseArgs(['-netdev', 'socket,listen=:1'])).toThrow(/needs id=ID/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0'])).toThrow(/exactly one of listen/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0,listen=:1,connect=:2'])).toThrow(/exactly one of listen/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0,connect=host'])).toThrow(/not host:port/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0,listen=:70000'])).toThrow(/no valid port/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0,listen=:1'])).toThrow(/not used by any -device virtio-net-pci/);
    expect(() => parseArgs(['-device', 'virtio-net-pci,netdev=n1'])).toThrow(/no -netdev with id=n1/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0,listen=:1', '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00'])).toThrow(/not a MAC address/);
    expect(() => parseArgs(['-netdev', 'socket,id=n0,listen=:1', '-device', 'virtio-net-pci,netdev=n0', '-device', 'virtio-net-pci,netdev=n0'])).toThrow(/more than one device/);
  });

  it('reads -device virtio-console and still knows isa-debug-exit', () => {
    expect(parseArgs(['-device', 'virtio-console', '-device', 'virtio-console,path=out.txt']).virtioConsole).toEqual([{}, { path: 'out.txt' }]);
    expect(() => parseArgs(['-device', 'virtio-console,chardev=c0'])).toThrow(/no property 'chardev'/);
    expect(parseArgs(['-device', 'isa-debug-exit,iobase=0x501']).debugExit).toEqual({ iobase: 0x501, iosize: 4 });
    expect(() => parseArgs(['-device', 'e1000'])).toThrow(/unsupported -device 'e1000'/);
  });
});

/** Configuration mechanism #1: read a dword of bus 0, `slot`, function 0. */
function configRead(m: ReturnType<typeof createMachine>, slot: number, offset: number): number {
  m.io.write(0xcf8, 4, (0x80000000 | (slot << 11) | offset) >>> 0);
  return m.io.read(0xcfc, 4) >>> 0;
}

describe('the machine with virtio devices', () => {
  it('puts blk, net and console on PCI bus 0 with IRQs 10, 11 and 5 and I/O BARs in the window', () => {
    const [net] = createNetPair();
    const m = createMachine({
      memoryMiB: 16,
      virtioBlk: [{ backend: new MemoryBlockBackend(new Uint8Array(4096)) }],
      virtioNet: [{ backend: net!, mac: '52:54:00:00:00:07' }],
      virtioConsole: [{}],
    });
    try {
      expect(configRead(m, 0, 0)).toBe(0x12378086); // 82441FX
      expect(configRead(m, 1, 0)).toBe(0x70008086); // PIIX3
      // Transitional virtio device IDs (virtio 1.0, 4.1.2.1): vendor 1AF4h; net 1000h, blk 1001h, console 1003h.
      const want = [[2, 0x1001, 10], [3, 0x1000, 11], [4, 0x1003, 5]] as const;
      for (const [slot, device, irq] of want) {
        expect(configRead(m, slot, 0)).toBe(((device << 16) | 0x1af4) >>> 0);
        expect(configRead(m, slot, 0x3c) & 0xff).toBe(irq);
        const bar = configRead(m, slot, 0x10);
        expect(bar & 1).toBe(1); // an I/O BAR
        expect(bar & ~3).toBeGreaterThanOrEqual(0xc000);
      }
      expect(configRead(m, 5, 0)).toBe(0xffffffff); // no device: master abort
      expect(m.virtio.net[0]!.backend).toBe(net);
      expect(m.virtio.blk).toHaveLength(1);
      expect(m.virtio.console).toHaveLength(1);
      // The ELCR marks the PIRQ IRQs level-triggered (firmware's step; 4D0h covers IRQ 0-7, 4D1h IRQ 8-15).
      expect(m.io.read(0x4d0, 1) & (1 << 5)).not.toBe(0);
      expect(m.io.read(0x4d1, 1) & ((1 << 2) | (1 << 3))).toBe((1 << 2) | (1 << 3));
    } finally {
      m.close();
    }
  });

  it('sets up PCI again on a system reset', () => {
    const m = createMachine({ memoryMiB: 16, virtioBlk: [{ backend: new MemoryBlockBackend(new Uint8Array(4096)) }] });
    try {
      const bar = configRead(m, 2, 0x10);
      // The guest moves the BAR and clears the Interrupt Line; a reset puts firmware's values back.
      m.io.write(0xcf8, 4, 0x80001010);
      m.io.write(0xcfc, 4, 0xd001);
      m.io.write(0xcf8, 4, 0x8000103c);
      m.io.write(0xcfc, 1, 0xff);
      expect(configRead(m, 2, 0x10)).not.toBe(bar);
      m.reset();
      expect(configRead(m, 2, 0x10)).toBe(bar);
      expect(configRead(m, 2, 0x3c) & 0xff).toBe(10);
    } finally {
      m.close();
    }
  });
});

describe('virtio through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-virtio-cli-'));
  // mov edx, 0CF8h; mov eax, 80001000h (bus 0, device 2, register 0); out dx, eax; mov edx, 0CFCh; in eax, dx;
  // cmp eax, 10011AF4h; jne +4; mov al, 1; out 0F4h, al; mov al, 2; out 0F4h, al
  const probe = Buffer.from([
    0xba, 0xf8, 0x0c, 0x00, 0x00, 0xb8, 0x00, 0x10, 0x00, 0x80, 0xef, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed,
    0x3d, 0xf4, 0x1a, 0x01, 0x10, 0x75, 0x04, 0xb0, 0x01, 0xe6, 0xf4, 0xb0, 0x02, 0xe6, 0xf4,
  ]);
  const kernel = join(dir, 'probe.bin');
  writeFileSync(kernel, probe);

  it('puts a -drive image at 00:02.0 as a virtio-blk device', () => {
    const image = join(dir, 'disk.img');
    writeFileSync(image, new Uint8Array(8192));
    expect(cli('-kernel', kernel, '-drive', `file=${image},if=virtio,format=raw`).status).toBe((1 << 1) | 1);
    // Without the drive, slot 2 is empty: the guest reads all ones.
    expect(cli('-kernel', kernel).status).toBe((2 << 1) | 1);
  });

  it('stops at start-up when a disk image cannot be opened (status 2)', () => {
    const r = cli('-kernel', kernel, '-drive', `file=${join(dir, 'nonexistent.img')},if=virtio`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/-drive file=.*nonexistent\.img: cannot open the image: ENOENT/);
  });

  it('stops at start-up when connect= is refused (status 1), as QEMU does', async () => {
    // A port nobody listens on: bind one, then let it go.
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    await new Promise((resolve) => server.close(resolve));
    const r = cli('-kernel', kernel, '-netdev', `socket,id=n0,connect=127.0.0.1:${port}`, '-device', 'virtio-net-pci,netdev=n0');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`-netdev socket,id=n0: cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});
