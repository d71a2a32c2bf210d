/**
 * Semantics of sensitive and system instructions. In the binary-translation
 * design these become hypervisor calls: the runtime gives them the
 * semantics of VT-x exits (runtime/vmm).
 */
import type { Sem } from './backend.js';

const hypercall: Sem = (b, i) => b.hypercall(i);

const SYSTEM_SEMS = [
  'hypercall', 'in', 'out', 'ins', 'outs', 'cli', 'sti', 'hlt',
  'sldt', 'str', 'lldt', 'ltr', 'verr', 'verw', 'sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', 'lmsw', 'invlpg',
  'lar', 'lsl', 'arpl', 'clts', 'invd', 'wbinvd', 'movFromCr', 'movFromDr', 'movToCr', 'movToDr',
  'wrmsr', 'rdmsr', 'rdpmc', 'jmpFar', 'callFar', 'retFar', 'iret', 'int', 'int1', 'sysenter', 'sysexit',
  'movToSeg', 'popSeg', 'les', 'lds', 'lss', 'lfs', 'lgs',
] as const;

export const SYSTEM_SEMANTICS: Record<string, Sem> = {
  ...Object.fromEntries(SYSTEM_SEMS.map((name) => [name, hypercall])),
};
