/**
 * Names of the SDM's basic exit reasons for people (`--stats`, error
 * messages). `ExitReason` is a const enum, so it has no reverse mapping.
 */
import { ExitReason } from '../runtime/exit-reason.js';

const NAMES: Readonly<Record<number, string>> = {
  [ExitReason.ExceptionOrNmi]: 'EXCEPTION_NMI',
  [ExitReason.ExternalInterrupt]: 'EXTERNAL_INTERRUPT',
  [ExitReason.TripleFault]: 'TRIPLE_FAULT',
  [ExitReason.InitSignal]: 'INIT_SIGNAL',
  [ExitReason.InterruptWindow]: 'INTERRUPT_WINDOW',
  [ExitReason.NmiWindow]: 'NMI_WINDOW',
  [ExitReason.TaskSwitch]: 'TASK_SWITCH',
  [ExitReason.Cpuid]: 'CPUID',
  [ExitReason.Hlt]: 'HLT',
  [ExitReason.Invd]: 'INVD',
  [ExitReason.Invlpg]: 'INVLPG',
  [ExitReason.Rdpmc]: 'RDPMC',
  [ExitReason.Rdtsc]: 'RDTSC',
  [ExitReason.Vmcall]: 'VMCALL',
  [ExitReason.CrAccess]: 'CR_ACCESS',
  [ExitReason.DrAccess]: 'DR_ACCESS',
  [ExitReason.IoInstruction]: 'IO_INSTRUCTION',
  [ExitReason.Rdmsr]: 'MSR_READ',
  [ExitReason.Wrmsr]: 'MSR_WRITE',
  [ExitReason.EntryFailGuestState]: 'ENTRY_FAIL_GUEST_STATE',
  [ExitReason.Mwait]: 'MWAIT',
  [ExitReason.MonitorTrap]: 'MONITOR_TRAP_FLAG',
  [ExitReason.Monitor]: 'MONITOR',
  [ExitReason.Pause]: 'PAUSE',
  [ExitReason.TprBelowThreshold]: 'TPR_BELOW_THRESHOLD',
  [ExitReason.ApicAccess]: 'APIC_ACCESS',
  [ExitReason.GdtrIdtrAccess]: 'GDTR_IDTR_ACCESS',
  [ExitReason.LdtrTrAccess]: 'LDTR_TR_ACCESS',
  [ExitReason.EptViolation]: 'EPT_VIOLATION',
  [ExitReason.EptMisconfig]: 'EPT_MISCONFIG',
  [ExitReason.Wbinvd]: 'WBINVD',
  [ExitReason.Xsetbv]: 'XSETBV',
};

/** The SDM's name of an exit reason (as Linux's VMX_EXIT_REASONS spells them), or `EXIT_<n>`. */
export function exitReasonName(reason: number): string {
  return NAMES[reason] ?? `EXIT_${reason}`;
}
