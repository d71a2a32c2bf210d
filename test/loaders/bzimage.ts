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
  put(image, 0x258, o.prefAddress ?? 0, 8);
  put(image, 0x260, o.initSize ?? 0, 4);
  image.set(o.payload, setupBytes);
  return image;
}
