/**
 * CPU models answered by CPUID. Features are reported only where the
 * engine implements them: the x87 FPU, MMX and FXSAVE/FXRSTOR (runtime/fpu).
 */
export interface CpuModel {
  readonly name: string;
  readonly vendor: string;
  readonly family: number;
  readonly model: number;
  readonly stepping: number;
  /** CPUID.1:EDX feature bits. */
  readonly features: number;
  readonly brand: string;
}

const FEAT_FPU = 1 << 0, FEAT_VME = 1 << 1, FEAT_PSE = 1 << 3, FEAT_TSC = 1 << 4, FEAT_CX8 = 1 << 8, FEAT_CMOV = 1 << 15;
const FEAT_MMX = 1 << 23, FEAT_FXSR = 1 << 24;
void FEAT_VME;

export const CPU_MODELS: Readonly<Record<string, CpuModel>> = {
  i686: { name: 'i686', vendor: 'GenuineIntel', family: 6, model: 1, stepping: 9, features: FEAT_FPU | FEAT_PSE | FEAT_TSC | FEAT_CX8 | FEAT_CMOV | FEAT_MMX | FEAT_FXSR, brand: 'wasmvisor i686' },
};

/** CPUID leaf → [EAX, EBX, ECX, EDX]. */
export function cpuid(model: CpuModel, leaf: number): [number, number, number, number] {
  const str = (s: string, at: number): number =>
    s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);
  switch (leaf >>> 0) {
    case 0: return [1, str(model.vendor, 0), str(model.vendor, 8), str(model.vendor, 4)];
    case 1: return [(model.family << 8) | (model.model << 4) | model.stepping, 0, 0, model.features];
    case 0x80000000: return [0x80000004, 0, 0, 0];
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const brand = model.brand.padEnd(48, '\0');
      const o = (leaf - 0x80000002) * 16;
      return [str(brand, o), str(brand, o + 4), str(brand, o + 8), str(brand, o + 12)];
    }
    default: return [0, 0, 0, 0];
  }
}
