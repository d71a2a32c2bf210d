/**
 * The differential-test environment, shared by the native oracle
 * (`native.ts` + `native/oracle.c`) and by the emulator side of the
 * harness, which builds an identical machine from these constants.
 *
 * Pure data and pure functions only: no Node APIs, so any tier can import it.
 *
 * Linear address space (everything not listed is unmapped):
 *
 *   0x0000-0x0FFF  never mapped
 *   0x1000-0x2FFF  CODE   r-x   filled with 0xF4 (HLT), instruction at codeOffset
 *   0x3000-0x3FFF  unmapped
 *   0x4000-0x6FFF  DATA   rw-   xorshift32 fill
 *   0x7000-0x7FFF  DATA   r--   xorshift32 fill (read-only page)
 *   0x8000-0x9FFF  STACK  rw-   xorshift32 fill (continues the DATA stream)
 *   0xA000-...     unmapped
 *
 * Data pages are not executable (the host enforces NX: a jump into them is a
 * #PF with the instruction-fetch bit set in the error code).
 */

export const PAGE_SIZE = 0x1000;

// ---------------------------------------------------------------------------
// Memory map
// ---------------------------------------------------------------------------

export const CODE_BASE = 0x1000;
export const CODE_SIZE = 0x2000;
export const CODE_END = CODE_BASE + CODE_SIZE; // 0x3000, exclusive
/** Byte the whole code area is filled with before each case (HLT). */
export const CODE_FILL = 0xf4;
/** Default linear address of the instruction's first byte. */
export const DEFAULT_CODE_OFFSET = 0x1800;
/** Longest accepted instruction byte string. */
export const MAX_CODE_LENGTH = 32;

export const DATA_BASE = 0x4000;
export const DATA_SIZE = 0x4000;
/** The last DATA page is mapped read-only. */
export const DATA_RO_BASE = 0x7000;
export const DATA_RO_SIZE = 0x1000;

export const STACK_BASE = 0x8000;
export const STACK_SIZE = 0x2000;

/** The range covered by `fillMemory` and by `OracleResult.memWrites`: DATA + STACK. */
export const MEM_BASE = DATA_BASE; // 0x4000
export const MEM_END = STACK_BASE + STACK_SIZE; // 0xA000, exclusive
export const MEM_SIZE = MEM_END - MEM_BASE; // 0x6000

export interface Region {
  name: 'code' | 'data' | 'data-ro' | 'stack';
  base: number;
  size: number;
  read: boolean;
  write: boolean;
  exec: boolean;
}

/** Every mapped page range, ascending. Anything else is unmapped (#PF, error code without P). */
export const REGIONS: readonly Region[] = Object.freeze([
  { name: 'code', base: CODE_BASE, size: CODE_SIZE, read: true, write: false, exec: true },
  { name: 'data', base: DATA_BASE, size: DATA_SIZE - DATA_RO_SIZE, read: true, write: true, exec: false },
  { name: 'data-ro', base: DATA_RO_BASE, size: DATA_RO_SIZE, read: true, write: false, exec: false },
  { name: 'stack', base: STACK_BASE, size: STACK_SIZE, read: true, write: true, exec: false },
] as Region[]);

/** The region containing `address`, or undefined if unmapped. */
export function regionAt(address: number): Region | undefined {
  const a = address >>> 0;
  for (const r of REGIONS) if (a >= r.base && a < r.base + r.size) return r;
  return undefined;
}

// ---------------------------------------------------------------------------
// Initial memory contents
// ---------------------------------------------------------------------------

/** xorshift32 state used when the seed is 0 (xorshift32 must not start at 0). */
export const XORSHIFT_ZERO_SEED = 0x9e3779b9;

/**
 * Initial contents of MEM_BASE..MEM_END (DATA, including the read-only page,
 * then STACK) for `seed`: one xorshift32 stream, state = seed || 0x9E3779B9,
 * and for each little-endian 32-bit word: x ^= x << 13; x ^= x >>> 17;
 * x ^= x << 5; word = x.
 *
 * `out` is normally MEM_SIZE bytes (0x6000) and receives bytes from MEM_BASE;
 * a shorter buffer receives a prefix of the stream (a trailing partial word
 * gets the low bytes of the next word).
 */
export function fillMemory(seed: number, out: Uint8Array): void {
  let x = seed >>> 0 || XORSHIFT_ZERO_SEED;
  const n = out.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = x >>> 24;
  }
  if (i < n) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    for (let k = 0; i < n; i++, k += 8) out[i] = (x >>> k) & 0xff;
  }
}

/** Convenience: a fresh MEM_SIZE buffer holding the initial DATA+STACK contents. */
export function initialMemory(seed: number): Uint8Array {
  const out = new Uint8Array(MEM_SIZE);
  fillMemory(seed, out);
  return out;
}

/** Initial byte at linear `address` (must be inside MEM_BASE..MEM_END). */
export function initialByte(seed: number, address: number, cache?: Uint8Array): number {
  const mem = cache ?? initialMemory(seed);
  return mem[(address >>> 0) - MEM_BASE]!;
}

// ---------------------------------------------------------------------------
// EFLAGS
// ---------------------------------------------------------------------------

export const EFLAGS_CF = 1 << 0;
export const EFLAGS_FIXED1 = 1 << 1; // reserved, always 1
export const EFLAGS_PF = 1 << 2;
export const EFLAGS_AF = 1 << 4;
export const EFLAGS_ZF = 1 << 6;
export const EFLAGS_SF = 1 << 7;
export const EFLAGS_TF = 1 << 8;
export const EFLAGS_IF = 1 << 9;
export const EFLAGS_DF = 1 << 10;
export const EFLAGS_OF = 1 << 11;
export const EFLAGS_NT = 1 << 14;
export const EFLAGS_RF = 1 << 16;
export const EFLAGS_VM = 1 << 17;
export const EFLAGS_AC = 1 << 18;
export const EFLAGS_ID = 1 << 21;

/**
 * The case's `eflags` is honoured only for these bits: CF PF AF ZF SF DF OF ID.
 * Everything else comes from the host: bit 1 = 1, IF = 1, IOPL = 0, and
 * TF AC NT RF VM VIF VIP = 0.
 */
export const EFLAGS_CASE_MASK =
  EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_DF | EFLAGS_OF | EFLAGS_ID;
/** Bits always set in the initial EFLAGS. */
export const EFLAGS_INITIAL_FIXED = EFLAGS_FIXED1 | EFLAGS_IF;

/** EFLAGS the guest actually starts with for a case's `eflags`. */
export function initialEflags(caseEflags: number): number {
  return ((caseEflags & EFLAGS_CASE_MASK) | EFLAGS_INITIAL_FIXED) >>> 0;
}

// ---------------------------------------------------------------------------
// Segments
// ---------------------------------------------------------------------------

/** CPL of every case. */
export const CPL = 3;

export const SEL_NULL = 0x00;
/** Linux __USER32_CS: flat 32-bit code, DPL 3. */
export const SEL_CODE32 = 0x23;
/** Linux __USER_DS: flat 32-bit data, DPL 3. */
export const SEL_DATA32 = 0x2b;
/** LDT entry 0 (TI=1, RPL 3): 16-bit code, base 0, limit 0xFFFF. */
export const SEL_CODE16 = 0x07;
/** LDT entry 1 (TI=1, RPL 3): 16-bit data, base 0, limit 0xFFFF. */
export const SEL_DATA16 = 0x0f;

export interface SegmentDescriptor {
  selector: number;
  /** Null selector: any memory access through it raises #GP(0). Other fields are zero. */
  null: boolean;
  base: number;
  /** Effective byte-granular limit (after scaling by G). */
  limit: number;
  /** The 20-bit limit field as stored in the descriptor. */
  rawLimit: number;
  /** 4-bit type field, accessed bit included (the kernel pre-sets it on every descriptor). */
  type: number;
  /** Descriptor type bit S (1 = code/data). */
  s: number;
  dpl: number;
  present: boolean;
  /** D/B bit: default operand size (code) / stack size & expand-down bound (data). */
  db: number;
  /** Granularity bit. */
  g: number;
  /** 64-bit code bit. */
  l: number;
  avl: number;
  /** What the LAR instruction returns for this selector (masked with 0x00F0FF00). */
  lar: number;
}

/** LAR's defined bits: access byte (8..15) and G/DB/L/AVL (20..23). */
export const LAR_MASK = 0x00f0ff00;

function descriptor(
  selector: number,
  d: { base: number; rawLimit: number; type: number; dpl: number; db: number; g: number; l?: number; avl?: number },
): SegmentDescriptor {
  const l = d.l ?? 0;
  const avl = d.avl ?? 0;
  const limit = d.g ? ((d.rawLimit << 12) | 0xfff) >>> 0 : d.rawLimit;
  const access = 0x80 /* P */ | (d.dpl << 5) | 0x10 /* S */ | d.type;
  const lar = ((access << 8) | (avl << 20) | (l << 21) | (d.db << 22) | (d.g << 23)) >>> 0;
  return Object.freeze({
    selector,
    null: false,
    base: d.base >>> 0,
    limit,
    rawLimit: d.rawLimit,
    type: d.type,
    s: 1,
    dpl: d.dpl,
    present: true,
    db: d.db,
    g: d.g,
    l,
    avl,
    lar,
  });
}

export const NULL_DESCRIPTOR: SegmentDescriptor = Object.freeze({
  selector: SEL_NULL,
  null: true,
  base: 0,
  limit: 0,
  rawLimit: 0,
  type: 0,
  s: 0,
  dpl: 0,
  present: false,
  db: 0,
  g: 0,
  l: 0,
  avl: 0,
  lar: 0,
});

/** 0x23: type 0xB (execute/read, accessed), DPL 3, D=1, G=1, base 0, limit 4 GiB. */
export const DESC_CODE32 = descriptor(SEL_CODE32, { base: 0, rawLimit: 0xfffff, type: 0xb, dpl: 3, db: 1, g: 1 });
/** 0x2B: type 0x3 (read/write, accessed), DPL 3, B=1, G=1, base 0, limit 4 GiB. */
export const DESC_DATA32 = descriptor(SEL_DATA32, { base: 0, rawLimit: 0xfffff, type: 0x3, dpl: 3, db: 1, g: 1 });
/** LDT 0 (0x07): type 0xB (execute/read, accessed), DPL 3, D=0, G=0, base 0, limit 0xFFFF. */
export const DESC_CODE16 = descriptor(SEL_CODE16, { base: 0, rawLimit: 0xffff, type: 0xb, dpl: 3, db: 0, g: 0 });
/** LDT 1 (0x0F): type 0x3 (read/write, accessed), DPL 3, B=0, G=0, base 0, limit 0xFFFF. */
export const DESC_DATA16 = descriptor(SEL_DATA16, { base: 0, rawLimit: 0xffff, type: 0x3, dpl: 3, db: 0, g: 0 });

export interface SegmentSet {
  es: SegmentDescriptor;
  cs: SegmentDescriptor;
  ss: SegmentDescriptor;
  ds: SegmentDescriptor;
  fs: SegmentDescriptor;
  gs: SegmentDescriptor;
}

/** Hardware order of segment registers (as in `OracleResult.sregs`). */
export const SREG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

export const SEGMENTS_32: SegmentSet = Object.freeze({
  es: DESC_DATA32,
  cs: DESC_CODE32,
  ss: DESC_DATA32,
  ds: DESC_DATA32,
  fs: NULL_DESCRIPTOR,
  gs: NULL_DESCRIPTOR,
});

export const SEGMENTS_16: SegmentSet = Object.freeze({
  es: DESC_DATA16,
  cs: DESC_CODE16,
  ss: DESC_DATA16,
  ds: DESC_DATA16,
  fs: NULL_DESCRIPTOR,
  gs: NULL_DESCRIPTOR,
});

/** Initial segment registers for a case. */
export function segmentsFor(mode: 16 | 32): SegmentSet {
  return mode === 16 ? SEGMENTS_16 : SEGMENTS_32;
}

/**
 * The LDT, identical in both modes (a 32-bit case may load 0x07 / 0x0F into
 * a segment register and it will succeed natively).
 */
export const LDT: readonly SegmentDescriptor[] = Object.freeze([DESC_CODE16, DESC_DATA16]);

/**
 * GDT selectors usable at CPL 3 on the host (x86_64 Linux kernel, as probed
 * with LAR/LSL). Everything else in the GDT is a system descriptor, DPL 0, or
 * empty, so loading it faults. Notes for an emulator that wants to match:
 *  - 0x33 is the 64-bit user code segment (L=1): a far transfer to it really
 *    enters 64-bit mode on the host. Emulators will differ; don't compare.
 *  - 0x7B is the kernel's per-CPU segment (type 0x5, read-only expand-down,
 *    G=0, D=0) whose *limit encodes the CPU number*: LSL on it is
 *    non-deterministic. Don't compare cases that use it.
 */
export const GDT_USER_DESCRIPTORS: readonly SegmentDescriptor[] = Object.freeze([
  DESC_CODE32,
  DESC_DATA32,
  descriptor(0x33, { base: 0, rawLimit: 0xfffff, type: 0xb, dpl: 3, db: 0, g: 1, l: 1 }),
]);
export const SEL_CODE64 = 0x33;
export const SEL_PERCPU = 0x7b;

// ---------------------------------------------------------------------------
// Registers
// ---------------------------------------------------------------------------

/** General-purpose registers in hardware order (ModRM reg numbering). */
export const GPR_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export const EAX = 0;
export const ECX = 1;
export const EDX = 2;
export const EBX = 3;
export const ESP = 4;
export const EBP = 5;
export const ESI = 6;
export const EDI = 7;

/**
 * FPU / SSE / AVX state at the start of every case: SSE/AVX in the XSAVE
 * init state (XMM/YMM/ZMM zero, MXCSR 0x1F80); the x87/MMX state is the
 * case's `x87` (default: the init state, FCW 0x037F, FSW 0, all registers
 * empty and zero), with FOP, FIP and FDP 0. The result reports the x87
 * state at the event.
 */
export const INITIAL_FCW = 0x037f;
export const INITIAL_MXCSR = 0x1f80;

/** The x87/MMX state a case starts from. */
export interface X87State {
  /** Control word. */
  fcw: number;
  /** Status word, TOP (bits 11-13) included. */
  fsw: number;
  /** Abridged tag word (FXSAVE form): bit i set = physical register R(i) is not empty. */
  ftw: number;
  /** R0..R7 (physical order), 10 bytes each: significand (8, little-endian), then sign and exponent (2). */
  regs: Uint8Array;
}

/** The x87 state a case ends with: FOP and the low 32 bits of FIP and FDP as well (FCS/FDS are not reported). */
export interface X87Result extends X87State {
  fop: number;
  fip: number;
  fdp: number;
}

/** Bytes of the eight 80-bit registers. */
export const X87_REGS_SIZE = 80;

/** The x87 init state (FNINIT / XSAVE init): what a case without `x87` starts from. */
export function initialX87(): X87State {
  return { fcw: INITIAL_FCW, fsw: 0, ftw: 0, regs: new Uint8Array(X87_REGS_SIZE) };
}

// ---------------------------------------------------------------------------
// Kernel behaviour the emulator must mimic to match
// ---------------------------------------------------------------------------

/**
 * The host has UMIP on, and Linux emulates SMSW, SGDT, SIDT, SLDT and STR for
 * 32-bit and 16-bit code with these fixed values instead of faulting (the
 * instruction completes; no exception). Register destinations of SMSW get the
 * low 16 bits with a 16-bit operand size, all 32 with a 32-bit one; memory
 * destinations of SMSW/SLDT/STR are 16-bit; SGDT/SIDT store a 16-bit limit
 * and a 32-bit base (in both modes).
 *
 * Caveat: when the kernel's emulated store faults, it reports #PF with error
 * code 6 (user|write) even for a present read-only page, where a real store
 * reports 7.
 */
export const UMIP = Object.freeze({
  smsw: 0x80050033,
  gdtLimit: 0,
  gdtBase: 0xfffe0000,
  idtLimit: 0,
  idtBase: 0xffff0000,
  ldtSelector: 0x50,
  trSelector: 0x40,
  /** #PF error code reported for a faulting emulated store, whatever the page. */
  storeFaultErrorCode: 6,
});

// ---------------------------------------------------------------------------
// Safety filter
// ---------------------------------------------------------------------------

/**
 * Byte pairs that must not appear anywhere in a case's code (they could make
 * a real system call on the host): CD 80 (INT 80h), 0F 34 (SYSENTER),
 * 0F 05 (SYSCALL), 0F 07 (SYSRET). The native side enforces the same list.
 */
export const FORBIDDEN_PAIRS: readonly (readonly [number, number])[] = Object.freeze([
  [0xcd, 0x80],
  [0x0f, 0x34],
  [0x0f, 0x05],
  [0x0f, 0x07],
] as const);

/** Index of the first forbidden pair in `code`, or -1. */
export function findForbidden(code: ArrayLike<number>): number {
  for (let i = 0; i + 1 < code.length; i++) {
    const a = code[i]!;
    const b = code[i + 1]!;
    if ((a === 0xcd && b === 0x80) || (a === 0x0f && (b === 0x34 || b === 0x05 || b === 0x07))) return i;
  }
  return -1;
}

/** Whether a case's placement is acceptable: 1..32 bytes entirely inside CODE. */
export function validPlacement(codeOffset: number, length: number): boolean {
  return (
    Number.isInteger(codeOffset) &&
    length >= 1 &&
    length <= MAX_CODE_LENGTH &&
    codeOffset >= CODE_BASE &&
    codeOffset + length <= CODE_END
  );
}
