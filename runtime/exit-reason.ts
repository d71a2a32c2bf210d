/**
 * Basic VM-exit reasons, numbered as in Intel SDM vol. 3D, appendix C.
 * The opcode table names the exit a sensitive instruction produces; the
 * runtime switches on this one enum.
 */
export const enum ExitReason {
  ExceptionOrNmi = 0,
  ExternalInterrupt = 1,
  TripleFault = 2,
  InitSignal = 3,
  InterruptWindow = 7,
  NmiWindow = 8,
  TaskSwitch = 9,
  Cpuid = 10,
  Hlt = 12,
  Invd = 13,
  Invlpg = 14,
  Rdpmc = 15,
  Rdtsc = 16,
  Vmcall = 18,
  CrAccess = 28,
  DrAccess = 29,
  IoInstruction = 30,
  Rdmsr = 31,
  Wrmsr = 32,
  EntryFailGuestState = 33,
  Mwait = 36,
  MonitorTrap = 37,
  Monitor = 39,
  Pause = 40,
  TprBelowThreshold = 43,
  ApicAccess = 44,
  GdtrIdtrAccess = 46,
  LdtrTrAccess = 47,
  EptViolation = 48,
  EptMisconfig = 49,
  Wbinvd = 54,
  Xsetbv = 55,
}
