/**
 * virtio-blk on PCI, driven by the spec-written test driver: identity and
 * BAR, feature negotiation, configuration space, and read / write / flush
 * / GET_ID requests against a raw image in a temporary file, with the
 * used ring, ISR status and the INTx# line checked after each.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileBlockBackend, MemoryBlockBackend, type BlockBackend } from '../../runtime/devices/virtio/block-backend.js';
import {
  VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, addVirtioBlk,
} from '../../runtime/devices/virtio/blk.js';
import { F_EVENT_IDX, F_INDIRECT, LegacyDriver, testBoard } from './virtio-driver.js';

const work = mkdtempSync(join(tmpdir(), 'wasmvisor-virtio-blk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const IRQ = 10; // slot 2, INTA#, PIRQB

function image(name: string, sectors: number): string {
  const path = join(work, name);
  const bytes = new Uint8Array(sectors * 512);
  for (let s = 0; s < sectors; s++) bytes.fill(s & 0xff, s * 512, s * 512 + 512);
  writeFileSync(path, bytes);
  return path;
}

function setup(backend: BlockBackend, options: { serial?: string; want?: number } = {}) {
  const b = testBoard();
  const errors: string[] = [];
  const { device, pci } = addVirtioBlk(b.pci, b.mem, { backend, serial: options.serial ?? 'WV-DISK-0001', onError: (m) => errors.push(m) });
  const d = new LegacyDriver(b.io, b.mem, b.cfg, pci.slot);
  const accepted = d.init(options.want ?? 0xffffffff, 1);
  const q = d.queues[0]!;
  const header = (type: number, sector: number): number => {
    const at = d.alloc(16);
    b.mem.write32(at, type);
    b.mem.write32(at + 4, 0);
    b.mem.write32(at + 8, sector);
    b.mem.write32(at + 12, 0);
    return at;
  };
  /** Post a request of header, data buffers and status byte; kick; return the status address. */
  const request = (type: number, sector: number, data: { addr: number; len: number; write?: boolean }[], indirect = false): number => {
    const status = d.alloc(1);
    b.mem.write8(status, 0xee);
    const chain = [{ addr: header(type, sector), len: 16 }, ...data, { addr: status, len: 1, write: true }];
    q.add(chain, indirect ? { indirectAt: d.alloc(16 * chain.length) } : {});
    d.kick(0);
    return status;
  };
  return { ...b, device, pci, d, q, accepted, errors, request };
}

describe('virtio-blk: identity and configuration', () => {
  it('is a transitional virtio block device with a 64-byte I/O BAR and INTA#', () => {
    const { cfg, pci } = setup(new MemoryBlockBackend(new Uint8Array(4096)));
    const s = pci.slot;
    expect(cfg.read(s, 0, 0x00, 4)).toBe(0x10011af4);
    expect(cfg.read(s, 0, 0x08, 4)).toBe(0x01000000); // class 01 00 00, revision 0
    expect(cfg.read(s, 0, 0x2c, 4)).toBe(0x00021af4); // subsystem: virtio device 2
    expect(cfg.read(s, 0, 0x3c, 2)).toBe(0x0100 | IRQ);
    expect(cfg.read(s, 0, 0x06, 2) & 0x10).toBe(0); // no capability list: only the legacy interface
    const bar = cfg.read(s, 0, 0x10, 4);
    cfg.write(s, 0, 0x10, 4, 0xffffffff);
    expect(cfg.read(s, 0, 0x10, 4)).toBe(0xffffffc1);
    cfg.write(s, 0, 0x10, 4, bar);
  });

  it('offers its features and reports capacity, seg_max and blk_size in the legacy configuration layout', () => {
    const path = image('config.img', 2048 + 1); // one MiB and a sector
    const { d, accepted } = setup(new FileBlockBackend(path));
    const want = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | F_INDIRECT | F_EVENT_IDX | (1 << 27);
    expect(d.hostFeatures).toBe(want >>> 0);
    expect(accepted).toBe(want >>> 0);
    expect(d.r32(0x04)).toBe(want >>> 0); // driver features read back
    const cfgBytes = Array.from({ length: 36 }, (_, i) => d.config8(i));
    const u32 = (at: number): number => (cfgBytes[at]! | (cfgBytes[at + 1]! << 8) | (cfgBytes[at + 2]! << 16) | (cfgBytes[at + 3]! << 24)) >>> 0;
    expect([u32(0), u32(4)]).toEqual([2049, 0]);
    expect(u32(12)).toBe(126);
    expect(u32(20)).toBe(512);
    expect(d.r32(0x14)).toBe(2049); // a dword read of the same bytes
    expect(d.config8(40)).toBe(0xff); // beyond the configuration
    d.w8(0x14, 0); // capacity is read-only
    expect(d.config8(0)).toBe(2049 & 0xff);
  });

  it('offers RO for a read-only image', () => {
    const { d } = setup(new FileBlockBackend(image('ro-features.img', 8), { readOnly: true }));
    expect(d.hostFeatures & VIRTIO_BLK_F_RO).toBe(VIRTIO_BLK_F_RO);
  });
});

describe('virtio-blk: requests against a raw image file', () => {
  it('writes sectors to the file, flushes, and reads them back, with used entries, ISR and INTx#', () => {
    const path = image('rw.img', 64);
    const h = setup(new FileBlockBackend(path));
    const data = h.d.alloc(1024);
    for (let i = 0; i < 1024; i++) h.mem.write8(data + i, (i * 7) & 0xff);

    const st1 = h.request(VIRTIO_BLK_T_OUT, 10, [{ addr: data, len: 1024 }]);
    expect(h.mem.read8(st1)).toBe(VIRTIO_BLK_S_OK);
    expect(h.q.takeUsed()).toEqual([{ id: 0, len: 1 }]);
    expect(h.irq.level[IRQ]).toBe(true);
    expect(h.d.isr()).toBe(1);
    expect(h.irq.level[IRQ]).toBe(false);
    expect(h.d.isr()).toBe(0);

    const st2 = h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.mem.read8(st2)).toBe(VIRTIO_BLK_S_OK);
    const onDisk = new Uint8Array(readFileSync(path));
    expect(Array.from(onDisk.subarray(10 * 512, 10 * 512 + 1024))).toEqual(Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff));
    expect(onDisk[9 * 512 + 511]).toBe(9);
    expect(onDisk[12 * 512]).toBe(12);

    // Read sectors 9-12 into two buffers (header, 512 + 1536 bytes, status): the data spans them.
    const a = h.d.alloc(512);
    const b = h.d.alloc(1536);
    const st3 = h.request(VIRTIO_BLK_T_IN, 9, [{ addr: a, len: 512, write: true }, { addr: b, len: 1536, write: true }]);
    expect(h.mem.read8(st3)).toBe(VIRTIO_BLK_S_OK);
    expect(h.q.takeUsed()).toEqual([{ id: 3, len: 1 }, { id: 5, len: 2048 + 1 }]); // the flush, then the read
    expect(h.mem.read8(a)).toBe(9);
    expect(h.mem.read8(b)).toBe(0);
    expect(h.mem.read8(b + 1023)).toBe((1023 * 7) & 0xff);
    expect(h.mem.read8(b + 1024)).toBe(12);
    expect(h.errors).toEqual([]);
  });

  it('reports bytes written (data and status) in the used ring', () => {
    const h = setup(new FileBlockBackend(image('len.img', 16)));
    const buf = h.d.alloc(2048);
    h.request(VIRTIO_BLK_T_OUT, 0, [{ addr: buf, len: 512 }]);
    h.request(VIRTIO_BLK_T_IN, 2, [{ addr: buf, len: 2048, write: true }]);
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    // Heads: 3 descriptors, then 3, then 2.
    expect(h.q.takeUsed()).toEqual([{ id: 0, len: 1 }, { id: 3, len: 2049 }, { id: 6, len: 1 }]);
  });

  it('takes a request through an indirect descriptor table', () => {
    const h = setup(new FileBlockBackend(image('indirect.img', 16)));
    const buf = h.d.alloc(512);
    const st = h.request(VIRTIO_BLK_T_IN, 5, [{ addr: buf, len: 512, write: true }], true);
    expect(h.mem.read8(st)).toBe(VIRTIO_BLK_S_OK);
    expect(h.mem.read8(buf + 100)).toBe(5);
    expect(h.q.takeUsed()).toEqual([{ id: 0, len: 513 }]);
  });

  it('answers GET_ID with the serial, NUL-padded to 20 bytes', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(4096)), { serial: 'ABC' });
    const buf = h.d.alloc(20);
    h.mem.load(buf, new Uint8Array(20).fill(0x55));
    const st = h.request(VIRTIO_BLK_T_GET_ID, 0, [{ addr: buf, len: 20, write: true }]);
    expect(h.mem.read8(st)).toBe(VIRTIO_BLK_S_OK);
    expect(Array.from(h.mem.u8.subarray(buf, buf + 20))).toEqual([0x41, 0x42, 0x43, ...new Array(17).fill(0)]);
    expect(h.q.takeUsed()).toEqual([{ id: 0, len: 21 }]);
  });

  it('fails requests past the end, of partial sectors or writing a read-only image with IOERR, and unknown ones with UNSUPP', () => {
    const path = image('errors.img', 8);
    const before = readFileSync(path);
    const ro = setup(new FileBlockBackend(path, { readOnly: true }));
    const buf = ro.d.alloc(1024);
    expect(ro.mem.read8(ro.request(VIRTIO_BLK_T_IN, 7, [{ addr: buf, len: 1024, write: true }]))).toBe(VIRTIO_BLK_S_IOERR);
    expect(ro.mem.read8(ro.request(VIRTIO_BLK_T_IN, 0, [{ addr: buf, len: 100, write: true }]))).toBe(VIRTIO_BLK_S_IOERR);
    expect(ro.mem.read8(ro.request(VIRTIO_BLK_T_OUT, 0, [{ addr: buf, len: 512 }]))).toBe(VIRTIO_BLK_S_IOERR);
    expect(ro.mem.read8(ro.request(11 /* DISCARD, not offered */, 0, [{ addr: buf, len: 16 }]))).toBe(VIRTIO_BLK_S_UNSUPP);
    expect(ro.mem.read8(ro.request(VIRTIO_BLK_T_IN, 7, [{ addr: buf, len: 512, write: true }]))).toBe(VIRTIO_BLK_S_OK);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(ro.errors).toEqual([]);
  });

  it('reads the disk into code pages through the write tracking (DMA invalidates translations)', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(8192).fill(0x90)));
    const page = h.d.alloc(4096, 4096);
    h.mem.codePages[page >>> 12] = 1;
    const seen: [number, number][] = [];
    h.mem.onWrite = (pa, len) => void seen.push([pa, len]);
    h.request(VIRTIO_BLK_T_IN, 1, [{ addr: page + 512, len: 1024, write: true }]);
    expect(seen).toEqual([[page + 512, 1024]]);
    expect(h.mem.read8(page + 512)).toBe(0x90);
  });
});

describe('virtio-blk: the virtqueue protocol', () => {
  it('publishes avail_event and interrupts only when used.idx passes used_event (EVENT_IDX)', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(8192)));
    expect(h.accepted & F_EVENT_IDX).toBe(F_EVENT_IDX);
    h.q.usedEvent = 2; // interrupt me when the third buffer is used
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.irq.level[IRQ]).toBe(false);
    expect(h.q.availEvent).toBe(1); // notify me when you publish entry 1
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.irq.level[IRQ]).toBe(false);
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.irq.level[IRQ]).toBe(true);
    expect(h.d.isr()).toBe(1);
    expect(h.q.usedIdx).toBe(3);
  });

  it('suppresses interrupts while the driver sets VIRTQ_AVAIL_F_NO_INTERRUPT (no EVENT_IDX)', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(8192)), { want: F_INDIRECT });
    h.q.availFlags = 1;
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.irq.level[IRQ]).toBe(false);
    expect(h.q.takeUsed()).toHaveLength(1);
    h.q.availFlags = 0;
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.irq.level[IRQ]).toBe(true);
  });

  it('serves requests made while bus mastering was off once the driver turns it on', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(8192)));
    const cmd = h.cfg.read(h.pci.slot, 0, 0x04, 2);
    h.cfg.write(h.pci.slot, 0, 0x04, 2, cmd & ~0x4);
    const st = h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.mem.read8(st)).toBe(0xee);
    expect(h.q.usedIdx).toBe(0);
    h.cfg.write(h.pci.slot, 0, 0x04, 2, cmd);
    expect(h.mem.read8(st)).toBe(VIRTIO_BLK_S_OK);
    expect(h.q.usedIdx).toBe(1);
  });

  it('stops on a malformed request until the driver resets it', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(8192)));
    const st = h.d.alloc(1);
    h.q.add([{ addr: h.d.alloc(8), len: 8 }, { addr: st, len: 1, write: true }]); // header too short
    h.d.kick(0);
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toMatch(/virtio-blk: request without its 16-byte header/);
    expect(h.device.broken).not.toBeNull();
    expect(h.d.status & 0x40).toBe(0x40); // DEVICE_NEEDS_RESET
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.q.usedIdx).toBe(0);
    h.d.init(0xffffffff, 1); // reset and start over
    expect(h.device.broken).toBeNull();
    const q = h.d.queues[0]!;
    const s2 = h.d.alloc(1);
    const hdr = h.d.alloc(16);
    h.mem.write32(hdr, VIRTIO_BLK_T_FLUSH);
    q.add([{ addr: hdr, len: 16 }, { addr: s2, len: 1, write: true }]);
    h.d.kick(0);
    expect(q.takeUsed()).toEqual([{ id: 0, len: 1 }]);
  });

  it('resets on status 0: features, queue addresses and ISR cleared, INTx# dropped', () => {
    const h = setup(new MemoryBlockBackend(new Uint8Array(8192)));
    h.request(VIRTIO_BLK_T_FLUSH, 0, []);
    expect(h.irq.level[IRQ]).toBe(true);
    h.d.w8(0x12, 0);
    expect(h.irq.level[IRQ]).toBe(false);
    expect([h.d.status, h.d.r32(0x04), h.d.isr()]).toEqual([0, 0, 0]);
    h.d.w16(0x0e, 0);
    expect(h.d.r32(0x08)).toBe(0);
    expect(h.d.r16(0x0c)).toBe(128);
    h.d.w16(0x0e, 1); // no queue 1
    expect([h.d.r16(0x0c), h.d.r32(0x08)]).toEqual([0, 0]);
  });
});
