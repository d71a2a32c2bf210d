/**
 * virtio-console (one port, no MULTIPORT) on PCI, driven by the test
 * driver: output to the sink, input into the driver's receive buffers,
 * the SIZE configuration and its change interrupt; and the ring's
 * behaviour over index wrap-around and driver protocol errors.
 */
import { describe, expect, it } from 'vitest';
import { VIRTIO_CONSOLE_F_SIZE, addVirtioConsole } from '../../runtime/devices/virtio/console.js';
import { DESC_NEXT, DESC_WRITE, F_EVENT_IDX, F_INDIRECT, LegacyDriver, testBoard } from './virtio-driver.js';

const IRQ = 10;
const RX = 0;
const TX = 1;

function setup(options: { queueSize?: number; want?: number; init?: boolean } = {}) {
  const b = testBoard();
  const out: number[][] = [];
  const errors: string[] = [];
  const { device, pci } = addVirtioConsole(b.pci, b.mem, {
    sink: (bytes) => void out.push(Array.from(bytes)),
    cols: 132,
    rows: 43,
    onError: (m) => errors.push(m),
    ...(options.queueSize ? { queueSize: options.queueSize } : {}),
  });
  const d = new LegacyDriver(b.io, b.mem, b.cfg, pci.slot);
  if (options.init ?? true) d.init(options.want ?? 0xffffffff, 2);
  const text = (s: string): number => {
    const at = d.alloc(s.length);
    b.mem.load(at, new TextEncoder().encode(s));
    return at;
  };
  return { ...b, device, pci, d, out, errors, text };
}

const decode = (chunks: number[][]): string => chunks.map((c) => String.fromCharCode(...c)).join('');

describe('virtio-console', () => {
  it('is a transitional virtio console device (0x1003, subsystem 3, class 0x0780)', () => {
    const { cfg, pci, d } = setup();
    expect(cfg.read(pci.slot, 0, 0x00, 4)).toBe(0x10031af4);
    expect(cfg.read(pci.slot, 0, 0x08, 4)).toBe(0x07800000);
    expect(cfg.read(pci.slot, 0, 0x2c, 4)).toBe(0x00031af4);
    expect(d.hostFeatures & VIRTIO_CONSOLE_F_SIZE).toBe(VIRTIO_CONSOLE_F_SIZE);
    expect([d.r16(0x14), d.r16(0x16), d.r32(0x18)]).toEqual([132, 43, 1]); // cols, rows, max_nr_ports
    d.w16(0x0e, 2);
    expect(d.r16(0x0c)).toBe(0); // two queues: receiveq and transmitq of port 0
  });

  it("sends each transmit buffer to the sink and returns it used, interrupting the driver", () => {
    const h = setup();
    const q = h.d.queues[TX]!;
    q.add([{ addr: h.text('hello, '), len: 7 }, { addr: h.text('world\n'), len: 6 }]);
    h.d.kick(TX);
    expect(decode(h.out)).toBe('hello, world\n');
    expect(q.takeUsed()).toEqual([{ id: 0, len: 0 }]);
    expect(h.irq.level[IRQ]).toBe(true);
    expect(h.d.isr()).toBe(1);
    q.add([{ addr: h.text('more'), len: 4 }], { indirectAt: h.d.alloc(16) });
    h.d.kick(TX);
    expect(decode(h.out)).toBe('hello, world\nmore');
  });

  it('fills receive buffers with input, keeping what does not fit for the next buffers', () => {
    const h = setup();
    const q = h.d.queues[RX]!;
    h.device.receive(new TextEncoder().encode('typed early')); // no buffers yet: kept
    expect(h.device.pendingInput).toBe(11);
    const a = h.d.alloc(8);
    q.add([{ addr: a, len: 8, write: true }]);
    h.d.kick(RX);
    expect(q.takeUsed()).toEqual([{ id: 0, len: 8 }]);
    expect(String.fromCharCode(...h.mem.u8.subarray(a, a + 8))).toBe('typed ea');
    expect(h.irq.level[IRQ]).toBe(true);
    expect(h.d.isr()).toBe(1);
    const b = h.d.alloc(64);
    const c = h.d.alloc(64);
    q.add([{ addr: b, len: 64, write: true }]);
    q.add([{ addr: c, len: 64, write: true }]);
    h.d.kick(RX);
    expect(q.takeUsed()).toEqual([{ id: 1, len: 3 }]);
    expect(String.fromCharCode(...h.mem.u8.subarray(b, b + 3))).toBe('rly');
    h.device.receive([0x6c, 0x73, 0x0d]); // delivered at once into the buffer left
    expect(q.takeUsed()).toEqual([{ id: 2, len: 3 }]);
    expect(String.fromCharCode(...h.mem.u8.subarray(c, c + 3))).toBe('ls\r');
    expect(h.device.pendingInput).toBe(0);
  });

  it('holds input until DRIVER_OK even when buffers are posted', () => {
    const h = setup({ init: false });
    h.d.negotiate(0xffffffff);
    const q = h.d.setupQueue(RX);
    h.d.setupQueue(TX);
    const a = h.d.alloc(16);
    q.add([{ addr: a, len: 16, write: true }]);
    h.d.kick(RX);
    h.device.receive([0x41]);
    h.device.poll();
    expect(q.usedIdx).toBe(0);
    h.d.driverOk();
    expect(q.takeUsed()).toEqual([{ id: 0, len: 1 }]);
  });

  it('raises a configuration interrupt (ISR bit 1) when the size changes', () => {
    const h = setup();
    h.device.setSize(100, 30);
    expect(h.irq.level[IRQ]).toBe(true);
    expect(h.d.isr()).toBe(2);
    expect(h.irq.level[IRQ]).toBe(false);
    expect([h.d.r16(0x14), h.d.r16(0x16)]).toEqual([100, 30]);
  });

  it('keeps its indices right past the ring size and the 16-bit wrap of avail.idx and used.idx', () => {
    const h = setup({ queueSize: 4, want: F_EVENT_IDX | F_INDIRECT });
    const q = h.d.queues[TX]!;
    const x = h.text('x');
    let used = 0;
    for (let i = 0; i < 65536 + 10; i++) {
      q.usedEvent = (i | 1) & 0xffff; // interrupt when the entry lands at an odd index: every other buffer
      q.add([{ addr: x, len: 1 }]);
      h.d.kick(TX);
      used += q.takeUsed().length;
      const isr = h.d.isr();
      if (isr !== (i % 2 === 1 ? 1 : 0)) throw new Error(`buffer ${i}: ISR ${isr}`);
    }
    expect(used).toBe(65546);
    expect(q.usedIdx).toBe(10);
    expect(h.out.length).toBe(65546);
    expect(h.errors).toEqual([]);
  });
});

describe('virtqueue protocol errors stop the device', () => {
  const cases: { what: string; message: RegExp; post: (h: ReturnType<typeof setup>) => void }[] = [
    {
      what: 'a descriptor chain that loops',
      message: /descriptor chain from 0 loops/,
      post: (h) => {
        const q = h.d.queues[TX]!;
        q.add([{ addr: h.text('a'), len: 1 }, { addr: h.text('b'), len: 1 }]);
        h.mem.write16(q.desc + 16 + 14, 0); // descriptor 1 links back to 0
        h.mem.write16(q.desc + 16 + 12, DESC_NEXT);
      },
    },
    {
      what: 'a buffer outside RAM',
      message: /buffer 0x3ff000\+8192 lies outside RAM/,
      post: (h) => void h.d.queues[TX]!.add([{ addr: 0x3ff000, len: 8192 }]),
    },
    {
      what: 'a device-readable buffer after a device-writable one',
      message: /device-readable descriptor follows a device-writable one/,
      post: (h) => void h.d.queues[TX]!.add([{ addr: h.text('ab'), len: 1, write: true }, { addr: h.text('c'), len: 1 }]),
    },
    {
      what: 'an indirect table inside an indirect table',
      message: /indirect table refers to another/,
      post: (h) => {
        const q = h.d.queues[TX]!;
        const table = h.d.alloc(16);
        q.add([{ addr: h.text('a'), len: 1 }], { indirectAt: table });
        h.mem.write16(table + 12, 4); // the table's only descriptor is itself indirect
        h.mem.write32(table + 8, 16);
      },
    },
    {
      what: 'an available index more than a ring ahead',
      message: /ran 200 entries ahead of a 128-entry ring/,
      post: (h) => h.mem.write16(h.d.queues[TX]!.avail + 2, 200),
    },
    {
      what: 'a head descriptor number beyond the ring',
      message: /names descriptor 500 of 128/,
      post: (h) => {
        const q = h.d.queues[TX]!;
        q.add([{ addr: h.text('a'), len: 1 }]);
        h.mem.write16(q.avail + 4, 500);
      },
    },
    {
      what: 'a next pointer beyond the ring',
      message: /descriptor 0 links to 300 of 128/,
      post: (h) => {
        const q = h.d.queues[TX]!;
        q.add([{ addr: h.text('a'), len: 1 }, { addr: h.text('b'), len: 1 }]);
        h.mem.write16(q.desc + 14, 300);
      },
    },
  ];

  for (const c of cases) {
    it(c.what, () => {
      const h = setup();
      c.post(h);
      h.d.kick(TX);
      expect(h.errors).toHaveLength(1);
      expect(h.errors[0]).toMatch(c.message);
      expect(h.out).toEqual([]);
      expect(h.device.broken).not.toBeNull();
    });
  }

  it('an indirect descriptor the driver did not negotiate', () => {
    const h = setup({ want: F_EVENT_IDX });
    h.d.queues[TX]!.add([{ addr: h.text('a'), len: 1 }], { indirectAt: h.d.alloc(16) });
    h.d.kick(TX);
    expect(h.errors[0]).toMatch(/indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC/);
  });

  it('(for contrast) a well-formed indirect chain of readable buffers is served', () => {
    const h = setup();
    const q = h.d.queues[TX]!;
    const table = h.d.alloc(32);
    q.add([{ addr: h.text('p'), len: 1 }, { addr: h.text('q'), len: 1 }], { indirectAt: table });
    expect(h.mem.read16(table + 12)).toBe(DESC_NEXT);
    expect(h.mem.read16(table + 16 + 12) & DESC_WRITE).toBe(0);
    h.d.kick(TX);
    expect(decode(h.out)).toBe('pq');
  });
});
