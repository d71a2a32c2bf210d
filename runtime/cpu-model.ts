/**
 * CPU models answered by CPUID (SDM vol. 2, CPUID; vol. 3, 19.1): QEMU's
 * model names where QEMU has them (pentium, pentium2, pentium3, with the
 * family, model, stepping and leaf-1 features QEMU gives them) and our
 * default 'i686'. A model records what the real CPU reports; CPUID reports
 * that masked by what this engine implements (ENGINE_FEATURES), as KVM
 * masks a model by what the host supports, so a guest never sees a feature
 * it would fault on. `-cpu NAME,+feature,-feature` adjusts a model
 * (parseCpuModel); asking for an unknown model or feature, or for one the
 * engine does not implement, is a CpuModelError.
 *
 * Departures from the real CPUs: no processor serial number (the Pentium
 * III reports maximum leaf 2, as with PSN disabled by the BIOS); leaf 1
 * EBX (brand index, CLFLUSH size, APIC ID) is 0.
 */

/** CPUID.1:EDX feature bits (SDM vol. 2, table 3-11). */
export const enum Feature {
  FPU = 1 << 0,
  VME = 1 << 1,
  DE = 1 << 2,
  PSE = 1 << 3,
  TSC = 1 << 4,
  MSR = 1 << 5,
  PAE = 1 << 6,
  MCE = 1 << 7,
  CX8 = 1 << 8,
  APIC = 1 << 9,
  SEP = 1 << 11,
  MTRR = 1 << 12,
  PGE = 1 << 13,
  MCA = 1 << 14,
  CMOV = 1 << 15,
  PAT = 1 << 16,
  PSE36 = 1 << 17,
  PSN = 1 << 18,
  CLFSH = 1 << 19,
  DS = 1 << 21,
  ACPI = 1 << 22,
  MMX = 1 << 23,
  FXSR = 1 << 24,
  SSE = 1 << 25,
  SSE2 = 1 << 26,
  SS = 1 << 27,
  HTT = 1 << 28,
  TM = 1 << 29,
  PBE = 1 << 31,
}

/** CPUID.80000001H:EDX bits an IA-32 processor can have. */
export const enum ExtFeature {
  /** Execute-disable (XD): IA32_EFER.NXE and the PAE XD bit. */
  NX = 1 << 20,
}

/** Feature names of `-cpu` (QEMU's spelling), by CPUID word. */
const EDX_NAMES: Readonly<Record<string, number>> = {
  fpu: Feature.FPU, vme: Feature.VME, de: Feature.DE, pse: Feature.PSE, tsc: Feature.TSC, msr: Feature.MSR,
  pae: Feature.PAE, mce: Feature.MCE, cx8: Feature.CX8, apic: Feature.APIC, sep: Feature.SEP, mtrr: Feature.MTRR,
  pge: Feature.PGE, mca: Feature.MCA, cmov: Feature.CMOV, pat: Feature.PAT, pse36: Feature.PSE36, pn: Feature.PSN,
  clflush: Feature.CLFSH, ds: Feature.DS, acpi: Feature.ACPI, mmx: Feature.MMX, fxsr: Feature.FXSR, sse: Feature.SSE,
  sse2: Feature.SSE2, ss: Feature.SS, ht: Feature.HTT, tm: Feature.TM, pbe: Feature.PBE,
};
/** CPUID.1:ECX names (none is implemented; named so that asking for one is a clear error). */
const ECX_NAMES: Readonly<Record<string, number>> = {
  pni: 1 << 0, sse3: 1 << 0, monitor: 1 << 3, vmx: 1 << 5, est: 1 << 7, ssse3: 1 << 9, cx16: 1 << 13,
  'sse4.1': 1 << 19, 'sse4.2': 1 << 20, x2apic: 1 << 21, movbe: 1 << 22, popcnt: 1 << 23, xsave: 1 << 26, avx: 1 << 28,
};
const EXT_EDX_NAMES: Readonly<Record<string, number>> = { nx: ExtFeature.NX, xd: ExtFeature.NX, syscall: 1 << 11, lm: 1 << 29 };

/**
 * CPUID.1:EDX features this engine implements, and where:
 *  FPU (runtime/fpu), PSE and PGE (runtime/mmu.ts, runtime/paging), TSC
 *  (RDTSC, CR4.TSD: runtime/system/basic-ops.ts), MSR (runtime/msr.ts), PAE
 *  (runtime/paging), CX8 (CMPXCHG8B), SEP (SYSENTER/SYSEXIT and their MSRs),
 *  MTRR and PAT (runtime/msr.ts; memory types have no visible effect where
 *  no cache is modelled), PSE-36 (runtime/paging/walker.ts: a 4 MiB page's
 *  PDE bits 16:13 are physical-address bits 35:32, and the machine gives
 *  the walker the model's features through pagingFeaturesOf; such frames
 *  lie beyond RAM, where accesses go as any access beyond RAM does:
 *  runtime/memory.ts), CMOV, MMX and FXSR.
 * Not implemented: VME and PVI, DE's I/O breakpoints, MCE/MCA (no machine
 * checks), PSN, CLFLUSH, SSE and later.
 * The local APIC is a device (runtime/devices/lapic.ts), not part of the
 * engine: a model whose CPU has one says so in `apic`, and CPUID.1:EDX.APIC
 * reads 1 only while a machine has wired the device and IA32_APIC_BASE
 * enables it (CpuidState.apicEnabled).
 */
export const ENGINE_FEATURES = Feature.FPU | Feature.PSE | Feature.TSC | Feature.MSR | Feature.PAE | Feature.CX8 | Feature.SEP
  | Feature.MTRR | Feature.PGE | Feature.CMOV | Feature.PAT | Feature.PSE36 | Feature.MMX | Feature.FXSR;
/** CPUID.80000001H:EDX features this engine implements: XD (runtime/paging, with IA32_EFER in runtime/msr.ts). */
export const ENGINE_EXT_FEATURES: number = ExtFeature.NX;

/** A CPU model: what CPUID reports (already masked by what the engine implements). */
export interface CpuModel {
  readonly name: string;
  readonly vendor: string;
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
  /** CPUID.1:EDX feature bits (Feature). */
  readonly features: number;
  /** CPUID.1:ECX feature bits (none is implemented: 0). */
  readonly featuresEcx: number;
  /** CPUID.80000001H:EDX bits (ExtFeature). */
  readonly extFeatures: number;
  /** Highest basic leaf (CPUID.0:EAX). */
  readonly maxLeaf: number;
  /** Highest extended leaf, or 0 when the CPU has none (everything before the Pentium 4). */
  readonly maxExtLeaf: number;
  /** Leaf 2 (cache and TLB descriptors), when maxLeaf >= 2. */
  readonly leaf2?: readonly [number, number, number, number];
  /** Processor brand string (leaves 80000002H-80000004H), when maxExtLeaf reaches them. */
  readonly brand: string;
  /** The CPU has a local APIC: a machine that wires the device reports CPUID.1:EDX.APIC. */
  readonly apic: boolean;
}

/** A model as its CPU reports it; CPU_MODELS masks it. */
interface ModelDefinition extends Omit<CpuModel, 'features' | 'featuresEcx' | 'extFeatures' | 'apic'> {
  readonly cpuFeatures: number;
  readonly cpuExtFeatures?: number;
}

/**
 * Leaf 2 of the P6 family with a 512 KiB L2 (Pentium II and III): ITLB 4K
 * (01h), ITLB 4M (02h), DTLB 4K (03h), L2 512 KiB (43h), L1I 16 KiB (08h),
 * DTLB 4M (04h), L1D 16 KiB (0Ch); AL = 1 call.
 */
const P6_LEAF2_512K: readonly [number, number, number, number] = [0x03020101, 0, 0, 0x0c040843];

const P5_FEATURES = Feature.FPU | Feature.VME | Feature.DE | Feature.PSE | Feature.TSC | Feature.MSR | Feature.MCE | Feature.CX8 | Feature.MMX | Feature.APIC;
const P6_FEATURES = P5_FEATURES | Feature.PAE | Feature.SEP | Feature.MTRR | Feature.PGE | Feature.MCA | Feature.CMOV | Feature.PAT | Feature.PSE36 | Feature.FXSR;

const DEFINITIONS: readonly ModelDefinition[] = [
  {
    // Our default: a generic P6-family CPU with every feature the engine implements.
    name: 'i686', vendor: 'GenuineIntel', family: 6, model: 1, stepping: 9, maxLeaf: 1, maxExtLeaf: 0x80000004,
    cpuFeatures: ENGINE_FEATURES | Feature.APIC, brand: 'wasmvisor i686',
  },
  // Pentium with MMX technology (P55C), as QEMU's 'pentium'.
  { name: 'pentium', vendor: 'GenuineIntel', family: 5, model: 4, stepping: 3, maxLeaf: 1, maxExtLeaf: 0, cpuFeatures: P5_FEATURES, brand: '' },
  // Pentium II (Deschutes), as QEMU's 'pentium2'.
  { name: 'pentium2', vendor: 'GenuineIntel', family: 6, model: 5, stepping: 2, maxLeaf: 2, maxExtLeaf: 0, cpuFeatures: P6_FEATURES, leaf2: P6_LEAF2_512K, brand: '' },
  // Pentium III (Katmai), as QEMU's 'pentium3'.
  { name: 'pentium3', vendor: 'GenuineIntel', family: 6, model: 7, stepping: 3, maxLeaf: 2, maxExtLeaf: 0, cpuFeatures: P6_FEATURES | Feature.SSE, leaf2: P6_LEAF2_512K, brand: '' },
];

function masked(d: ModelDefinition): CpuModel {
  const { cpuFeatures, cpuExtFeatures, ...rest } = d;
  return {
    ...rest, features: cpuFeatures & ENGINE_FEATURES, featuresEcx: 0, extFeatures: (cpuExtFeatures ?? 0) & ENGINE_EXT_FEATURES,
    apic: (cpuFeatures & Feature.APIC) !== 0,
  };
}

/** The models by name, as CPUID reports them on this engine. */
export const CPU_MODELS: Readonly<Record<string, CpuModel>> = Object.fromEntries(DEFINITIONS.map((d) => [d.name, masked(d)]));

/** What the real CPU of a model reports in CPUID.1:EDX (before masking), for `-cpu help`. */
export function modelCpuFeatures(name: string): number | undefined {
  return DEFINITIONS.find((d) => d.name === name)?.cpuFeatures;
}

/** A bad `-cpu` specification. */
export class CpuModelError extends Error {
  override readonly name = 'CpuModelError';
}

/** Names of the CPUID.1:EDX bits set in `features`, in bit order. */
export function featureNames(features: number): string[] {
  return Object.entries(EDX_NAMES).filter(([, bit]) => (features & bit) !== 0).map(([name]) => name);
}

/**
 * A model from `-cpu`'s argument: `NAME[,+feature|-feature|feature=on|feature=off]...`.
 * Adding a feature the engine does not implement is an error (QEMU's
 * `enforce`); removing one only hides it from CPUID.
 */
export function parseCpuModel(spec: string): CpuModel {
  const [name, ...changes] = spec.split(',');
  const base = CPU_MODELS[name ?? ''];
  if (!base) throw new CpuModelError(`unknown CPU model '${name}' (known: ${Object.keys(CPU_MODELS).join(', ')})`);
  let features = base.features;
  let extFeatures = base.extFeatures;
  for (const change of changes) {
    const m = /^([+-])(.+)$/.exec(change) ?? /^(.+)=(on|off)$/.exec(change);
    if (!m) throw new CpuModelError(`bad CPU feature change '${change}' in '${spec}': write +feature or -feature`);
    const [feature, add] = m[1] === '+' || m[1] === '-' ? [m[2]!, m[1] === '+'] : [m[1]!, m[2] === 'on'];
    const edx = EDX_NAMES[feature];
    const ext = EXT_EDX_NAMES[feature];
    if (edx === undefined && ext === undefined && ECX_NAMES[feature] === undefined) {
      throw new CpuModelError(`unknown CPU feature '${feature}' (known: ${[...Object.keys(EDX_NAMES), 'nx'].join(', ')})`);
    }
    if (add) {
      const implemented = edx !== undefined ? (ENGINE_FEATURES & edx) !== 0 : ext !== undefined && (ENGINE_EXT_FEATURES & ext) !== 0;
      if (!implemented) throw new CpuModelError(`CPU feature '${feature}' is not implemented by wasmvisor`);
      if (edx !== undefined) features |= edx;
      else extFeatures |= ext!;
    } else if (edx !== undefined) {
      features &= ~edx;
    } else if (ext !== undefined) {
      extFeatures &= ~ext;
    }
  }
  // XD lives in an extended leaf: a model without extended leaves gets leaf 80000001H for it.
  const maxExtLeaf = extFeatures && base.maxExtLeaf < 0x80000001 ? 0x80000001 : base.maxExtLeaf;
  const label = changes.length ? spec : base.name;
  return { ...base, name: label, features, extFeatures, maxExtLeaf };
}

/** State outside the model that changes what CPUID reports. */
export interface CpuidState {
  /** IA32_MISC_ENABLE bit 22 (Limit CPUID Maxval): CPUID.0:EAX reports at most 2. */
  readonly limitMaxLeaf?: boolean;
  /** IA32_MISC_ENABLE bit 34 (XD Bit Disable): CPUID.80000001H:EDX.XD reads 0. */
  readonly xdDisabled?: boolean;
  /**
   * A local APIC device is wired and IA32_APIC_BASE.EN is set: CPUID.1:EDX.APIC
   * reads 1 on a model with an APIC. Disabled (or absent), it reads 0 (SDM vol. 3, 10.4.3).
   */
  readonly apicEnabled?: boolean;
}

/** CPUID leaf → [EAX, EBX, ECX, EDX]. */
export function cpuid(model: CpuModel, leaf: number, state: CpuidState = {}): [number, number, number, number] {
  const str = (s: string, at: number): number =>
    s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);
  const maxLeaf = state.limitMaxLeaf ? Math.min(model.maxLeaf, 2) : model.maxLeaf;
  const l = leaf >>> 0;
  const extended = l >= 0x80000000;
  // A leaf past the highest basic or extended leaf returns the highest basic leaf's data
  // (SDM vol. 2, CPUID, "INPUT EAX = 0": Intel processors).
  if ((!extended && l > maxLeaf) || (extended && (model.maxExtLeaf === 0 || l > model.maxExtLeaf))) return cpuid(model, maxLeaf, state);
  switch (l) {
    case 0: return [maxLeaf, str(model.vendor, 0), str(model.vendor, 8), str(model.vendor, 4)];
    case 1: {
      const edx = state.apicEnabled && model.apic ? model.features | Feature.APIC : model.features & ~Feature.APIC;
      return [(model.family << 8) | (model.model << 4) | model.stepping, 0, model.featuresEcx, edx];
    }
    case 2: return model.leaf2 ? [...model.leaf2] : [0, 0, 0, 0];
    case 0x80000000: return [model.maxExtLeaf, 0, 0, 0];
    case 0x80000001: return [0, 0, 0, state.xdDisabled ? model.extFeatures & ~ExtFeature.NX : model.extFeatures];
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const brand = model.brand.padEnd(48, '\0');
      const o = (l - 0x80000002) * 16;
      return [str(brand, o), str(brand, o + 4), str(brand, o + 8), str(brand, o + 12)];
    }
    default: return [0, 0, 0, 0];
  }
}
