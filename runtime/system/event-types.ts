/**
 * An event delivered to the guest through the IDT (or the real-mode IVT):
 * an exception, an external interrupt, an NMI or a software interrupt.
 * The kinds are VT-x's interruption types (SDM vol. 3, 25.8.3), so a VMCS
 * event-injection field and a delivered event say the same thing.
 */
export const enum EventKind {
  External = 0,
  Nmi = 2,
  HardwareException = 3,
  /** INT n. */
  SoftwareInterrupt = 4,
  /** INT1 (ICEBP). */
  PrivilegedSoftwareException = 5,
  /** INT3, INTO. */
  SoftwareException = 6,
}

export interface GuestEvent {
  readonly vector: number;
  readonly kind: EventKind;
  /** Pushed for the exceptions that have one (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
  readonly errorCode?: number;
}
