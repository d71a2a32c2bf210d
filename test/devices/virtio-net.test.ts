/**
 * virtio-net on PCI, driven by the test driver: identity, MAC and link
 * status, transmit and receive with the legacy 10-byte header, and two
 * NICs exchanging frames both ways, in memory and over QEMU's socket
 * netdev protocol on a loopback TCP connection (listen on 127.0.0.1, port
 * 0). Socket tests wait for the event loop, bounded in time.
 */
import { type Socket, createConnection, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type NetBackend, SocketNetBackend, createNetPair, parseHostPort, socketNetBackend } from '../../runtime/devices/virtio/net-backend.js';
import { NET_RX_QUEUE, NET_TX_QUEUE, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_HDR_SIZE, addVirtioNet } from '../../runtime/devices/virtio/net.js';
import { LegacyDriver, testBoard } from './virtio-driver.js';

const IRQ = 10;
const HDR = VIRTIO_NET_HDR_SIZE;

/** A NIC with its driver, receive buffers posted. */
function nic(backend: NetBackend, mac: string, rxBuffers = 8, rxLen = 1536) {
  const b = testBoard();
  const errors: string[] = [];
  const { device, pci } = addVirtioNet(b.pci, b.mem, { backend, mac, onError: (m) => errors.push(m) });
  const d = new LegacyDriver(b.io, b.mem, b.cfg, pci.slot);
  d.init(0xffffffff, 2);
  const rx = d.queues[NET_RX_QUEUE]!;
  const tx = d.queues[NET_TX_QUEUE]!;
  const rxAddrs = new Map<number, number>();
  const postRx = (n: number, len = rxLen): void => {
    for (let i = 0; i < n; i++) {
      const at = d.alloc(len);
      rxAddrs.set(rx.add([{ addr: at, len, write: true }]), at);
    }
    d.kick(NET_RX_QUEUE);
  };
  postRx(rxBuffers);
  /** Transmit a frame: header and frame in separate buffers, or together (ANY_LAYOUT). */
  const send = (frame: Uint8Array, together = false): void => {
    const hdr = d.alloc(HDR + frame.length);
    b.mem.load(hdr, new Uint8Array(HDR));
    if (together) {
      b.mem.load(hdr + HDR, frame);
      tx.add([{ addr: hdr, len: HDR + frame.length }]);
    } else {
      const body = d.alloc(frame.length);
      b.mem.load(body, frame);
      tx.add([{ addr: hdr, len: HDR }, { addr: body, len: frame.length }]);
    }
    d.kick(NET_TX_QUEUE);
  };
  /** Frames the device has put in receive buffers since the last call (header checked and stripped). */
  const received = (): Uint8Array[] =>
    rx.takeUsed().map((e) => {
      const at = rxAddrs.get(e.id)!;
      const bytes = b.mem.u8.slice(at, at + e.len);
      expect(Array.from(bytes.subarray(0, HDR))).toEqual(new Array(HDR).fill(0));
      return bytes.subarray(HDR);
    });
  return { ...b, device, pci, d, rx, tx, send, received, postRx, errors };
}

/** An Ethernet frame from `src` to `dst` with a payload naming it. */
function frame(dst: string, src: string, payload: string): Uint8Array {
  const mac = (s: string): number[] => s.split(':').map((x) => parseInt(x, 16));
  return Uint8Array.from([...mac(dst), ...mac(src), 0x88, 0xb5, ...new TextEncoder().encode(payload)]);
}

const MAC_A = '52:54:00:12:34:56';
const MAC_B = '52:54:00:12:34:57';

/** Run the event loop until `done()` holds, at most `ms`. */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting for the network');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('virtio-net: device', () => {
  it('is a transitional virtio network device with its MAC and link status in the configuration', () => {
    const [a] = createNetPair();
    const h = nic(a, MAC_A);
    expect(h.cfg.read(h.pci.slot, 0, 0x00, 4)).toBe(0x10001af4);
    expect(h.cfg.read(h.pci.slot, 0, 0x08, 4)).toBe(0x02000000);
    expect(h.cfg.read(h.pci.slot, 0, 0x2c, 4)).toBe(0x00011af4);
    expect(h.d.hostFeatures & (VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS)).toBe(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
    expect(Array.from({ length: 6 }, (_, i) => h.d.config8(i))).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect(h.d.r16(0x14 + 6)).toBe(1); // VIRTIO_NET_S_LINK_UP
    // A legacy driver may set the MAC byte by byte; a reset restores the configured one.
    h.d.w8(0x14 + 5, 0x99);
    expect(h.d.config8(5)).toBe(0x99);
    h.d.w8(0x14 + 6, 0); // status is read-only
    expect(h.d.r16(0x14 + 6)).toBe(1);
    h.d.w8(0x12, 0);
    expect(h.d.config8(5)).toBe(0x56);
  });

  it('passes frames both ways between two NICs, stripping and adding the 10-byte header', () => {
    const [ba, bb] = createNetPair();
    const A = nic(ba, MAC_A);
    const B = nic(bb, MAC_B);
    const f1 = frame(MAC_B, MAC_A, 'one');
    const f2 = frame(MAC_B, MAC_A, 'two, header and frame in one buffer');
    A.send(f1);
    A.send(f2, true);
    expect(A.tx.takeUsed()).toEqual([{ id: 0, len: 0 }, { id: 2, len: 0 }]);
    expect(A.irq.level[IRQ]).toBe(true);
    B.device.poll();
    expect(B.received()).toEqual([f1, f2]);
    expect(B.irq.level[IRQ]).toBe(true);
    expect(B.d.isr()).toBe(1);
    const f3 = frame(MAC_A, MAC_B, 'three');
    B.send(f3);
    A.device.poll();
    expect(A.received()).toEqual([f3]);
    expect([A.errors, B.errors]).toEqual([[], []]);
  });

  it('keeps frames until the driver posts receive buffers, and drops one too big for a buffer', () => {
    const [ba, bb] = createNetPair();
    const A = nic(ba, MAC_A);
    const B = nic(bb, MAC_B, 0);
    const big = new Uint8Array(200).fill(7);
    const small = frame(MAC_B, MAC_A, 'fits');
    A.send(big);
    A.send(small);
    B.device.poll();
    expect(B.rx.usedIdx).toBe(0);
    expect(bb.inbox.length).toBe(2);
    B.postRx(1, 100); // room for 90 bytes of frame
    expect(B.received()).toEqual([small]);
    expect(B.device.dropped).toBe(1);
    expect(bb.inbox.length).toBe(0);
  });

  it('bounds the frames waiting for the guest: later ones are dropped and counted', () => {
    const [ba, bb] = createNetPair(3);
    const A = nic(ba, MAC_A);
    const B = nic(bb, MAC_B, 0);
    let told = 0;
    bb.inbox.onFrame = () => told++;
    for (let i = 0; i < 5; i++) A.send(frame(MAC_B, MAC_A, `frame ${i}`));
    expect([bb.inbox.length, bb.inbox.dropped, told]).toEqual([3, 2, 3]);
    B.postRx(8);
    expect(B.received().map((f) => new TextDecoder().decode(f.subarray(14)))).toEqual(['frame 0', 'frame 1', 'frame 2']);
  });

  it('takes the link down and up: configuration interrupts, STATUS 0 while down, frames dropped both ways', () => {
    const [ba, bb] = createNetPair();
    const A = nic(ba, MAC_A);
    const B = nic(bb, MAC_B);
    A.device.setLink(false);
    expect(A.d.isr()).toBe(2);
    expect(A.d.r16(0x14 + 6)).toBe(0);
    A.send(frame(MAC_B, MAC_A, 'lost'));
    expect(A.tx.takeUsed()).toHaveLength(1); // the buffer still comes back
    expect(A.d.isr()).toBe(1);
    expect(bb.inbox.length).toBe(0);
    B.send(frame(MAC_A, MAC_B, 'lost too'));
    A.device.poll();
    expect(A.received()).toEqual([]);
    A.device.setLink(true);
    expect(A.d.isr()).toBe(2);
    B.send(frame(MAC_A, MAC_B, 'arrives'));
    A.device.poll();
    expect(A.received()).toHaveLength(1);
    expect(A.device.dropped).toBe(2);
  });
});

describe('virtio-net: socket netdev (QEMU -netdev socket over TCP)', () => {
  it('parses QEMU host:port options', () => {
    expect(parseHostPort(':1234', 'listen')).toEqual({ host: '0.0.0.0', port: 1234 });
    expect(parseHostPort(':1234', 'connect')).toEqual({ host: '127.0.0.1', port: 1234 });
    expect(parseHostPort('[::1]:80', 'connect')).toEqual({ host: '::1', port: 80 });
    expect(() => parseHostPort('localhost', 'connect')).toThrow(/host:port/);
    expect(() => socketNetBackend({})).toThrow(/exactly one/);
  });

  it('connects two NICs over loopback TCP and carries frames both ways', async () => {
    const server = new SocketNetBackend({ listen: { host: '127.0.0.1', port: 0 } });
    cleanups.push(() => server.close());
    await server.ready;
    const client = socketNetBackend({ connect: `127.0.0.1:${server.address().port}` });
    cleanups.push(() => client.close());
    await client.ready;
    await until(() => server.connected);

    const A = nic(server, MAC_A);
    const B = nic(client, MAC_B);
    const toB = [frame(MAC_B, MAC_A, 'ping 1'), frame(MAC_B, MAC_A, 'ping 2'), new Uint8Array(1514).map((_, i) => i & 0xff)];
    for (const f of toB) A.send(f);
    const gotB: Uint8Array[] = [];
    await until(() => {
      B.device.poll();
      gotB.push(...B.received());
      return gotB.length === toB.length;
    });
    expect(gotB).toEqual(toB);
    expect(B.irq.level[IRQ]).toBe(true);

    const reply = frame(MAC_A, MAC_B, 'pong');
    B.send(reply);
    const gotA: Uint8Array[] = [];
    await until(() => {
      A.device.poll();
      gotA.push(...A.received());
      return gotA.length === 1;
    });
    expect(gotA).toEqual([reply]);
  }, 10_000);

  it('speaks the wire format: a 4-byte big-endian length before each frame, however the stream is split', async () => {
    const backend = new SocketNetBackend({ listen: { host: '127.0.0.1', port: 0 } });
    cleanups.push(() => backend.close());
    await backend.ready;
    const peer: Socket = createConnection({ host: '127.0.0.1', port: backend.address().port });
    cleanups.push(() => void peer.destroy());
    const fromDevice: Buffer[] = [];
    peer.on('data', (c: Buffer) => fromDevice.push(c));
    await new Promise<void>((r) => peer.once('connect', () => r()));
    await until(() => backend.connected);

    const f1 = Uint8Array.from({ length: 60 }, (_, i) => i);
    const f2 = Uint8Array.from({ length: 3 }, (_, i) => 0xa0 + i);
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 60]), f1, Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0, 3]), f2]);
    // Byte by byte in odd pieces: the parser must reassemble lengths and frames.
    for (let at = 0; at < wire.length; at += 7) {
      peer.write(wire.subarray(at, at + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    await until(() => backend.inbox.length === 2);
    expect([backend.inbox.shift(), backend.inbox.shift()]).toEqual([f1, f2]);

    backend.send(Uint8Array.of(1, 2, 3, 4, 5));
    await until(() => Buffer.concat(fromDevice).length >= 9);
    expect(Array.from(Buffer.concat(fromDevice))).toEqual([0, 0, 0, 5, 1, 2, 3, 4, 5]);
  }, 10_000);

  it('serves one peer at a time and accepts a new one after the first leaves', async () => {
    const events: string[] = [];
    const backend = new SocketNetBackend({ listen: { host: '127.0.0.1', port: 0 } }, { onEvent: (m) => events.push(m) });
    cleanups.push(() => backend.close());
    await backend.ready;
    const port = backend.address().port;
    const first = createConnection({ host: '127.0.0.1', port });
    cleanups.push(() => void first.destroy());
    await until(() => backend.connected);
    const second = createConnection({ host: '127.0.0.1', port });
    const secondClosed = new Promise<void>((r) => second.once('close', () => r()));
    second.on('error', () => {});
    await secondClosed; // turned away
    first.destroy();
    await until(() => !backend.connected);
    const third = createConnection({ host: '127.0.0.1', port });
    cleanups.push(() => void third.destroy());
    await until(() => backend.connected);
    third.write(Buffer.from([0, 0, 0, 1, 0x42]));
    await until(() => backend.inbox.length === 1);
    expect(Array.from(backend.inbox.shift()!)).toEqual([0x42]);
    expect(events.filter((e) => e.includes('connection from'))).toHaveLength(2);
  }, 10_000);

  it('closes a connection that announces a frame longer than QEMU allows', async () => {
    const backend = new SocketNetBackend({ listen: { host: '127.0.0.1', port: 0 } }, { onEvent: () => {} });
    cleanups.push(() => backend.close());
    await backend.ready;
    const peer = createConnection({ host: '127.0.0.1', port: backend.address().port });
    cleanups.push(() => void peer.destroy());
    const closed = new Promise<void>((r) => peer.once('close', () => r()));
    peer.on('error', () => {});
    await until(() => backend.connected);
    peer.write(Buffer.from([0x00, 0x10, 0x00, 0x00]));
    await closed;
    await until(() => !backend.connected);
    expect(backend.inbox.length).toBe(0);
  }, 10_000);

  it('rejects `ready` when nobody listens at the connect address', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const events: string[] = [];
    const client = new SocketNetBackend({ connect: { host: '127.0.0.1', port } }, { onEvent: (m) => events.push(m) });
    cleanups.push(() => client.close());
    await expect(client.ready).rejects.toThrow(/ECONNREFUSED/);
    expect(events.join()).toMatch(/ECONNREFUSED/);
    client.send(new Uint8Array(14));
    expect(client.sendDropped).toBe(1);
  }, 10_000);
});
