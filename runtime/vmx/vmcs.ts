/**
 * The virtual-machine control structure of one vCPU (SDM vol. 3C, chapter
 * 24), as typed fields: the VM-execution controls, the VM-exit and
 * VM-entry controls, the exit-information fields, and the event-injection
 * fields of VM entry. The guest-state area is the vCPU's CpuState itself
 * (registers, segment caches, CRs, descriptor-table registers; activity
 * state in `halted`, interruptibility in `interruptShadow`), so nothing is
 * copied on entry or exit.
 *
 * Departures from VT-x: there is no host-state area and no VMREAD/VMWRITE
 * encoding (the embedder sets fields directly); the VMX fixed bits of CR0
 * and CR4 are not enforced (the guest runs as with "unrestricted guest":
 * real mode and paging off are allowed); CR8, MONITOR/MWAIT and PAUSE
 * cannot occur in this CPU's 32-bit modes, so their controls are absent.
 */
import { ExitReason } from '../exit-reason.js';
import { EventKind, type GuestEvent } from '../system/event-types.js';
import { hasErrorCode } from '../exceptions.js';

/** Pin-based VM-execution controls (table 24-5). */
export const enum PinControl {
  ExternalInterruptExiting = 1 << 0,
}

/** Primary processor-based VM-execution controls (table 24-6). */
export const enum ProcControl {
  InterruptWindowExiting = 1 << 2,
  UseTscOffsetting = 1 << 3,
  HltExiting = 1 << 7,
  InvlpgExiting = 1 << 9,
  RdpmcExiting = 1 << 11,
  RdtscExiting = 1 << 12,
  Cr3LoadExiting = 1 << 15,
  Cr3StoreExiting = 1 << 16,
  /**
   * MOV to/from CR8 exist only in 64-bit mode, which this CPU has not, so
   * these two controls can never cause an exit; they are kept so that a
   * control word copied from a real VMM means the same here.
   */
  Cr8LoadExiting = 1 << 19,
  Cr8StoreExiting = 1 << 20,
  /** With CR8 absent, the TPR shadow has no instruction that reads it in this CPU's modes. */
  UseTprShadow = 1 << 21,
  MovDrExiting = 1 << 23,
  UnconditionalIoExiting = 1 << 24,
  UseIoBitmaps = 1 << 25,
  UseMsrBitmaps = 1 << 28,
  ActivateSecondaryControls = 1 << 31,
}

/** Secondary processor-based VM-execution controls (table 24-7), in effect only with ActivateSecondaryControls. */
export const enum ProcControl2 {
  DescriptorTableExiting = 1 << 2,
  WbinvdExiting = 1 << 6,
}

/** VM-exit controls (table 24-11). */
export const enum ExitControl {
  /** An external-interrupt exit acknowledges the controller and reports the vector (27.2.2). */
  AcknowledgeInterruptOnExit = 1 << 15,
}

/** Bits of the interruption-information fields (tables 24-13, 24-15, 24-16). */
export const INTERRUPTION_VALID = 1 << 31;
export const INTERRUPTION_ERROR_CODE = 1 << 11;

/** An interruption-information word: vector (7:0), type (10:8), error code valid (11), valid (31). */
export function interruptionInfo(vector: number, kind: EventKind, errorCodeValid: boolean): number {
  return (INTERRUPTION_VALID | (vector & 0xff) | (kind << 8) | (errorCodeValid ? INTERRUPTION_ERROR_CODE : 0)) | 0;
}

/** The parts of an interruption-information word. */
export function decodeInterruption(info: number): { valid: boolean; vector: number; kind: EventKind; errorCodeValid: boolean } {
  return { valid: (info & INTERRUPTION_VALID) !== 0, vector: info & 0xff, kind: ((info >>> 8) & 7) as EventKind, errorCodeValid: (info & INTERRUPTION_ERROR_CODE) !== 0 };
}

/** The exit-information fields one VM exit writes (27.2). Fields an exit does not define are 0. */
export interface ExitInfo {
  readonly reason: ExitReason;
  readonly qualification: number;
  /** Guest-linear address (LMSW with a memory operand, INS/OUTS); else 0. */
  readonly guestLinearAddress: number;
  /** VM-exit instruction length (instruction exits, software exceptions). */
  readonly instructionLength: number;
  /** VM-exit instruction information (INS/OUTS, descriptor-table instructions). */
  readonly instructionInfo: number;
  /** VM-exit interruption information and error code (exceptions, external interrupts). */
  readonly interruptionInfo: number;
  readonly interruptionErrorCode: number;
  /**
   * IDT-vectoring information and error code (24.9.3): the event being
   * delivered when the exit happened (a task switch through a task gate in
   * the IDT); absent: not valid.
   */
  readonly idtVectoringInfo?: number;
  readonly idtVectoringErrorCode?: number;
}

/** An exit's information with the fields it does not define set to 0. */
export function exitInfo(reason: ExitReason, fields: Partial<Omit<ExitInfo, 'reason'>> = {}): ExitInfo {
  return {
    reason,
    qualification: fields.qualification ?? 0,
    guestLinearAddress: fields.guestLinearAddress ?? 0,
    instructionLength: fields.instructionLength ?? 0,
    instructionInfo: fields.instructionInfo ?? 0,
    interruptionInfo: fields.interruptionInfo ?? 0,
    interruptionErrorCode: fields.interruptionErrorCode ?? 0,
  };
}

/** I/O bitmap A covers ports 0000H-7FFFH, B covers 8000H-FFFFH (24.6.4). */
const IO_BITMAP_BYTES = 4096;
/** MSR bitmap layout (24.6.9): read-low, read-high, write-low, write-high, 1 KiB each. */
const MSR_LOW_END = 0x1fff;
const MSR_HIGH_BASE = 0xc0000000;
const MSR_HIGH_END = 0xc0001fff;

export class Vmcs {
  // --- VM-execution control fields (24.6) ---
  pinControls = 0;
  procControls = 0;
  procControls2 = 0;
  /** One bit per exception vector: 1 makes that exception exit (25.2). */
  exceptionBitmap = 0;
  /** With bit 14 set, #PF exits iff (PFEC & mask) === match; with it clear, iff they differ. */
  pageFaultErrorCodeMask = 0;
  pageFaultErrorCodeMatch = 0;
  readonly ioBitmapA = new Uint8Array(IO_BITMAP_BYTES);
  readonly ioBitmapB = new Uint8Array(IO_BITMAP_BYTES);
  readonly msrBitmap = new Uint8Array(4096);
  /** Added to the TSC that RDTSC and RDMSR(IA32_TIME_STAMP_COUNTER) read with UseTscOffsetting (a 64-bit two's-complement value). */
  tscOffset = 0n;
  /** Bits set are owned by the host: guest reads see the read shadow, writes that change them exit (25.3). */
  cr0GuestHostMask = 0;
  cr0ReadShadow = 0;
  cr4GuestHostMask = 0;
  cr4ReadShadow = 0;
  /** CR3-target values (at most 4): MOV to CR3 of one of these does not exit under CR3-load exiting. */
  cr3TargetValues: number[] = [];
  /** TPR threshold and the virtual-APIC page's TPR (bits 7:4), for the TPR shadow. */
  tprThreshold = 0;
  virtualTpr = 0;

  // --- VM-exit and VM-entry control fields (24.7, 24.8) ---
  exitControls = 0;
  /** VM-entry interruption information (table 24-14): the event VM entry injects. */
  entryInterruptionInfo = 0;
  entryExceptionErrorCode = 0;
  /** For software interrupts and exceptions: the length of the instruction that raised them. */
  entryInstructionLength = 0;

  // --- VM-exit information fields (24.9) ---
  exitReason = 0;
  exitQualification = 0;
  guestLinearAddress = 0;
  exitInstructionLength = 0;
  exitInstructionInfo = 0;
  exitInterruptionInfo = 0;
  exitInterruptionErrorCode = 0;
  idtVectoringInfo = 0;
  idtVectoringErrorCode = 0;

  /** Whether a primary processor-based control is set. */
  has(control: ProcControl): boolean {
    return (this.procControls & control) !== 0;
  }

  /** Whether a secondary control is in effect (it needs ActivateSecondaryControls). */
  has2(control: ProcControl2): boolean {
    return (this.procControls & ProcControl.ActivateSecondaryControls) !== 0 && (this.procControls2 & control) !== 0;
  }

  /** Record a VM exit's information (27.2); every VM exit also clears the valid bit of the VM-entry interruption information (24.8.3). */
  recordExit(info: ExitInfo): void {
    this.exitReason = info.reason;
    this.exitQualification = info.qualification;
    this.guestLinearAddress = info.guestLinearAddress;
    this.exitInstructionLength = info.instructionLength;
    this.exitInstructionInfo = info.instructionInfo;
    this.exitInterruptionInfo = info.interruptionInfo;
    this.exitInterruptionErrorCode = info.interruptionErrorCode;
    this.idtVectoringInfo = info.idtVectoringInfo ?? 0;
    this.idtVectoringErrorCode = info.idtVectoringErrorCode ?? 0;
    this.entryInterruptionInfo &= ~INTERRUPTION_VALID;
  }

  /**
   * Whether an I/O access of `size` bytes at `port` exits (25.1.3): with
   * I/O bitmaps, iff a bit of any port it touches is set or it wraps past
   * FFFFH; without, iff unconditional I/O exiting is set.
   */
  ioExits(port: number, size: number): boolean {
    if (!this.has(ProcControl.UseIoBitmaps)) return this.has(ProcControl.UnconditionalIoExiting);
    const p0 = port & 0xffff;
    if (p0 + size - 1 > 0xffff) return true;
    for (let p = p0; p < p0 + size; p++) {
      const bitmap = p < 0x8000 ? this.ioBitmapA : this.ioBitmapB;
      const bit = p & 0x7fff;
      if (bitmap[bit >>> 3]! & (1 << (bit & 7))) return true;
    }
    return false;
  }

  /** Set or clear the I/O-bitmap bits of `count` ports from `port`. */
  setIoIntercept(port: number, count: number, exit: boolean): void {
    for (let p = port; p < port + count; p++) {
      const bitmap = (p & 0xffff) < 0x8000 ? this.ioBitmapA : this.ioBitmapB;
      const bit = p & 0x7fff;
      if (exit) bitmap[bit >>> 3]! |= 1 << (bit & 7);
      else bitmap[bit >>> 3]! &= ~(1 << (bit & 7));
    }
  }

  /** Offset of an MSR's bit in the MSR bitmap (within the read half), or -1 outside the two ranges it covers. */
  private msrBit(msr: number): number {
    const m = msr >>> 0;
    if (m <= MSR_LOW_END) return m;
    if (m >= MSR_HIGH_BASE && m <= MSR_HIGH_END) return 1024 * 8 + (m - MSR_HIGH_BASE);
    return -1;
  }

  /**
   * Whether RDMSR (`write` false) or WRMSR of `msr` exits (25.1.3): always
   * without MSR bitmaps or for an MSR outside the bitmaps' ranges; else iff
   * its bit is set.
   */
  msrExits(msr: number, write: boolean): boolean {
    if (!this.has(ProcControl.UseMsrBitmaps)) return true;
    const bit = this.msrBit(msr);
    if (bit < 0) return true;
    const at = bit + (write ? 2048 * 8 : 0);
    return (this.msrBitmap[at >>> 3]! & (1 << (at & 7))) !== 0;
  }

  /** Set or clear an MSR's read and/or write bits. */
  setMsrIntercept(msr: number, access: { read?: boolean; write?: boolean }): void {
    const bit = this.msrBit(msr);
    if (bit < 0) throw new Error(`MSR ${msr.toString(16)}h is outside the MSR bitmap's ranges (it always exits)`);
    for (const [half, on] of [[0, access.read], [2048 * 8, access.write]] as const) {
      if (on === undefined) continue;
      const at = bit + half;
      if (on) this.msrBitmap[at >>> 3]! |= 1 << (at & 7);
      else this.msrBitmap[at >>> 3]! &= ~(1 << (at & 7));
    }
  }

  /**
   * Whether an exception exits (25.2): its bit in the exception bitmap,
   * except #PF, whose bit selects how its error code is compared with the
   * PFEC mask and match.
   */
  exceptionExits(vector: number, errorCode: number): boolean {
    const bit = (this.exceptionBitmap >>> vector) & 1;
    if (vector !== 14) return bit === 1;
    const matches = (errorCode & this.pageFaultErrorCodeMask) === this.pageFaultErrorCodeMatch;
    return bit === 1 ? matches : !matches;
  }

  /** CR0 as the guest reads it: host-owned bits from the read shadow (25.3, MOV from CR0). */
  cr0Visible(actual: number): number {
    return ((actual & ~this.cr0GuestHostMask) | (this.cr0ReadShadow & this.cr0GuestHostMask)) | 0;
  }

  cr4Visible(actual: number): number {
    return ((actual & ~this.cr4GuestHostMask) | (this.cr4ReadShadow & this.cr4GuestHostMask)) | 0;
  }

  /**
   * Ask VM entry to inject `event` (24.8.3): a software interrupt or
   * exception needs the length of the instruction that raised it (the
   * return address is the guest EIP plus that length).
   */
  injectEvent(event: GuestEvent, instructionLength = 0): void {
    const withCode = event.kind === EventKind.HardwareException && hasErrorCode(event.vector);
    this.entryInterruptionInfo = interruptionInfo(event.vector, event.kind, withCode);
    this.entryExceptionErrorCode = withCode ? (event.errorCode ?? 0) : 0;
    this.entryInstructionLength = instructionLength;
  }
}
