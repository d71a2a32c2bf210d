/**
 * Synthetic bzImage files for the boot-protocol tests: a setup header
 * with the fields boot.rst defines, at their offsets, in front of a
 * protected-mode payload.
 */
export interface SyntheticBzImage {
  /** Protocol version (default 2.15). */
  version?: number;
  /** The setup_sects byte as stored (0 means 4). */
  setupSects?: number;
  loadflags?: number;
  relocatable?: boolean;
  kernelAlignment?: number;
  prefAddress?: number;
  initSize?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  kernelVersion?: string;
  /** Overrides syssize (default: the payload's size in 16-byte units, rounded up). */
  syssize?: number;
  /** payload_offset and payload_length (2.08+): where the compressed kernel sits inside `payload` (default 0, 0: none). */
  payloadOffset?: number;
  payloadLength?: number;
  payload: Uint8Array;
}

function put(b: Uint8Array, at: number, v: number, size: number): void {
  for (let i = 0; i < size; i++) b[at + i] = Math.floor(v / 2 ** (8 * i)) & 0xff;
}

export function syntheticBzImage(o: SyntheticBzImage): Uint8Array {
  const sects = o.setupSects ?? 4;
  const setupBytes = ((sects === 0 ? 4 : sects) + 1) * 512;
  const paragraphs = Math.ceil(o.payload.length / 16);
  const image = new Uint8Array(setupBytes + paragraphs * 16);
  image[0x1ef] = 0xff; // the sentinel a careless loader would copy
  image[0x1f1] = sects;
  put(image, 0x1f4, o.syssize ?? paragraphs, 4);
  put(image, 0x1fa, 0xffff, 2); // vid_mode "normal"
  put(image, 0x1fe, 0xaa55, 2);
  image[0x200] = 0xeb; // jmp short over the header; its displacement gives the header's end
  image[0x201] = 0x6a; // header ends at 0x202 + 0x6a = 0x26c (protocol 2.15)
  image.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS"
  put(image, 0x206, o.version ?? 0x020f, 2);
  if (o.kernelVersion) {
    image.set(new TextEncoder().encode(`${o.kernelVersion}\0`), 0x400);
    put(image, 0x20e, 0x400 - 0x200, 2);
  }
  image[0x211] = o.loadflags ?? 0x01;
  put(image, 0x214, 0x100000, 4); // code32_start
  put(image, 0x22c, o.initrdAddrMax ?? 0x7fffffff, 4);
  put(image, 0x230, o.kernelAlignment ?? 0x200000, 4);
  image[0x234] = o.relocatable ? 1 : 0;
  image[0x235] = 12;
  put(image, 0x238, o.cmdlineSize ?? 2047, 4);
  put(image, 0x248, o.payloadOffset ?? 0, 4);
  put(image, 0x24c, o.payloadLength ?? 0, 4);
  put(image, 0x258, o.prefAddress ?? 0, 8);
  put(image, 0x260, o.initSize ?? 0, 4);
  image.set(o.payload, setupBytes);
  return image;
}

export interface SyntheticSegment {
  paddr: number;
  bytes: Uint8Array;
  /** Size in memory (default: the bytes' length); the rest is .bss. */
  memsz?: number;
}

/**
 * A vmlinux-like ELF file: 32-bit, little-endian, ET_EXEC for EM_386 (or
 * what `elfClass`/`machine` say), one PT_LOAD per segment, linked at
 * PAGE_OFFSET + paddr as a 32-bit kernel is.
 */
export function syntheticVmlinux(o: { entry: number; segments: SyntheticSegment[]; elfClass?: number; machine?: number }): Uint8Array {
  const phoff = 52;
  let offset = phoff + 32 * o.segments.length;
  const placed = o.segments.map((seg) => {
    offset = Math.ceil(offset / 16) * 16;
    const at = offset;
    offset += seg.bytes.length;
    return at;
  });
  const elf = new Uint8Array(offset);
  elf.set([0x7f, 0x45, 0x4c, 0x46, o.elfClass ?? 1, 1, 1]);
  put(elf, 16, 2, 2); // ET_EXEC
  put(elf, 18, o.machine ?? 3, 2);
  put(elf, 20, 1, 4);
  put(elf, 24, o.entry, 4);
  put(elf, 28, phoff, 4);
  put(elf, 40, 52, 2);
  put(elf, 42, 32, 2);
  put(elf, 44, o.segments.length, 2);
  o.segments.forEach((seg, k) => {
    const ph = phoff + 32 * k;
    put(elf, ph, 1, 4); // PT_LOAD
    put(elf, ph + 4, placed[k]!, 4);
    put(elf, ph + 8, (0xc0000000 + seg.paddr) % 2 ** 32, 4);
    put(elf, ph + 12, seg.paddr, 4);
    put(elf, ph + 16, seg.bytes.length, 4);
    put(elf, ph + 20, seg.memsz ?? seg.bytes.length, 4);
    put(elf, ph + 24, 7, 4);
    put(elf, ph + 28, 0x1000, 4);
    elf.set(seg.bytes, placed[k]!);
  });
  return elf;
}
