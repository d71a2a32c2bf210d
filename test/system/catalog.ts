/**
 * The system test guests, and the lines where QEMU (TCG, the version the
 * expected files were generated with: QEMU_REVIEWED) is wrong against the
 * Intel SDM. Each guest's reviewed transcript is
 * test/system/guests/NAME.expected; QEMU's transcript equals it except for
 * the lines listed here.
 */
import type { GuestSpec } from './runner.js';

export const GUESTS: readonly GuestSpec[] = [
  {
    name: 'boot',
    about: 'multiboot hand-over from an ELF image: machine state, boot information, memory map, command line, modules',
    append: 'one two',
    modules: [{ file: 'module1.txt', args: 'a=1 b' }, { file: 'module2.txt', args: '' }],
  },
  {
    name: 'boot-aout',
    source: 'boot.S',
    format: 'aout',
    about: 'the same hand-over from a flat image loaded through the a.out kludge',
    append: 'kludge',
    modules: [{ file: 'module2.txt', args: 'only' }],
  },
  {
    name: 'exceptions',
    about: '#DE, #DB (single step), #BP, #OF, #BR, #UD, #NM, #PF with CR2, and the frames of faults, traps and INT n',
  },
  {
    name: 'realmode',
    about: 'down to real mode and back (via 16-bit protected mode, LMSW, MOV CR0): segment arithmetic, 32-bit prefixes, far CALL, INT n and exceptions through the IVT, LIDT in real mode, the 64 KiB limit',
  },
  {
    name: 'unreal',
    about: 'unreal mode: FS and GS keep 4 GiB limits in real mode, through real-mode segment loads; DS keeps 64 KiB',
  },
  {
    name: 'pm16',
    about: '16-bit protected mode: default operand size, 16-bit stacks (SP only, wrap), far calls across code sizes, 16-bit interrupt and call gates, a 16-bit segment limit',
  },
  {
    name: 'privilege',
    about: 'rings: IRET to ring 3 (segment nulling), interrupt/trap gates to ring 0 on the TSS stack, INT n DPL check, call gate with parameters and RET imm to the outer level, conforming code, CPL 3 restrictions, I/O bitmap, inward IRET/RET refused',
  },
  {
    name: 'segments',
    about: 'segment protection: load checks with #GP/#NP/#SS error codes, null selectors, limits (byte/page granular, expand-down), types, accessed bit, LDT, LAR/LSL/VERR/VERW/ARPL, SGDT/SIDT/STR',
  },
  {
    name: 'v86',
    about: 'virtual-8086 mode: entry by IRET, the #GP monitor path with IOPL < 3 (CLI/STI/PUSHF/POPF/INT/IRET emulated, INT reflected through the IVT), the I/O bitmap, exceptions to the PM IDT, IOPL 3 with INT n through the IDT and the gate DPL check',
  },
  {
    name: 'tasks',
    about: 'hardware task switches: JMP/CALL to a TSS, task gates in the IDT and GDT, IRET with NT, state saved and loaded (registers, EFLAGS, LDTR, CR3, CR0.TS), busy flags, and the #GP/#TS/#NP checks',
  },
  {
    name: 'doublefault',
    about: 'exceptions during delivery: benign/software then contributory handled serially (EXT bit), contributory+contributory and page fault+contributory/page fault give #DF, contributory+page fault serial, #DF through a task gate',
  },
  {
    name: 'triplefault',
    about: 'a triple fault (#UD, #GP, #DF all undeliverable) shuts the processor down: the run ends',
  },
  {
    name: 'sysenter',
    about: 'SYSENTER/SYSEXIT through the SYSENTER MSRs: selectors, stacks, EFLAGS.IF, and the #GP(0) checks',
  },
  {
    name: 'paging',
    about: '32-bit paging: 4 KiB and 4 MiB (PSE) pages, A/D bits, #PF error codes and CR2 at CPL 0 and 3, combined PDE/PTE rights, CR0.WP, reserved bits, INVLPG, MOV CR3, global pages and CR4.PGE',
  },
  {
    name: 'pae',
    about: 'PAE paging: PDPT, 2 MiB pages, A/D bits, reserved bits (#PF RSVD, #GP on a bad PDPTE at MOV CR3), execute-disable with EFER.NXE (fetch vs read, I/D bit, XD reserved without NXE), INVLPG of a 2 MiB page',
  },
  {
    name: 'cpuid',
    about: 'CPUID (vendor, family, the P6 system features and NX), SYSENTER and EFER MSRs read back, TSC MSR and RDTSC, #GP for missing MSRs, reserved EFER bits, RDMSR at CPL 3, CR4.TSD',
  },
  {
    name: 'transfers',
    about: 'far JMP/CALL/RET at one privilege level: direct and indirect forms, RET imm, call gates without a privilege change (CALL and JMP), RPL and gate checks, targets past a code segment limit',
  },
  {
    name: 'crfaults',
    about: 'the #GP(0) checks of MOV to CR0 and CR4 (PG without PE, NW without CD, reserved and unsupported CR4 bits)',
    qemu: 'QEMU 7.2 TCG loses this guest: it accepts CR0.PG without PE and hangs on a reserved CR4 bit (an SVM #VMEXIT path outside SVM); NAME.expected is written from the SDM',
  },
];

/** The QEMU release the differences below were reviewed against (Debian 12's qemu-system-x86). */
export const QEMU_REVIEWED = '7.2';

/** A line where QEMU's TCG departs from the SDM: .expected holds `sdm`, QEMU prints `qemu`. */
export interface QemuDifference {
  readonly guest: string;
  readonly sdm: string;
  readonly qemu: string;
  /** Why QEMU is wrong, with the SDM's reference. */
  readonly reason: string;
}

const QEMU_IGNORES_DATA_LIMITS = 'QEMU 7.2 TCG does not check data accesses against segment limits or types; the SDM raises #GP(0) (#SS(0) for SS) for an access outside the limit, a write to read-only data or code, and a read of execute-only code (vol. 3, 5.3 and 5.4.1; vol. 2, MOV)';
const QEMU_RSVD_WITHOUT_P = 'QEMU 7.2 reports a reserved-bit page fault without the P bit; the SDM sets P (the entry was present) with RSVD (vol. 3, 4.7: P is 0 only when a P flag was 0)';
const QEMU_NO_CS_LIMIT_ON_NEAR = 'QEMU 7.2 TCG checks CS limits when it fetches, not on near JMP/RET: it faults at the target, or not at all; the SDM faults on the JMP or RET itself, with EIP unchanged (vol. 2, JMP and RET: "IF tempEIP is beyond code segment limit THEN #GP(0)")';
const QEMU_NO_MSR_GP = 'QEMU 7.2 TCG ignores RDMSR/WRMSR of MSRs it does not know and reserved EFER bits; the SDM raises #GP(0) (vol. 2, RDMSR and WRMSR)';

export const QEMU_DIFFERENCES: readonly QemuDifference[] = [
  { guest: 'exceptions', sdm: 'EMMS with CR0.EM: #UD at +0', qemu: 'EMMS with CR0.EM: no fault', reason: 'EMMS raises #UD when CR0.EM = 1 (SDM vol. 2, EMMS); QEMU 7.2 TCG does not check EM for EMMS' },
  { guest: 'exceptions', sdm: '#UD frame: size 0c, EIP +0, CS 0008, IF 0, RF 1', qemu: '#UD frame: size 0c, EIP +0, CS 0008, IF 0, RF 0', reason: 'the EFLAGS image pushed for a fault has RF = 1 (SDM vol. 3, 17.3.1.1); QEMU 7.2 pushes RF as it is' },
  { guest: 'exceptions', sdm: '#GP frame: size 10, error 1000, EIP +0, CS 0008, IF 0, RF 1', qemu: '#GP frame: size 10, error 1000, EIP +0, CS 0008, IF 0, RF 0', reason: 'as for #UD: RF = 1 in the image pushed for a fault (SDM vol. 3, 17.3.1.1)' },
  { guest: 'realmode', sdm: 'word read at DS:FFFFh: #GP at +0', qemu: 'word read at DS:FFFFh: no fault', reason: 'real mode keeps the 64 KiB limit: #GP (interrupt 13) for a word at offset FFFFh (SDM vol. 3, 20.1.3; vol. 2, MOV, real-address mode exceptions); ' + QEMU_IGNORES_DATA_LIMITS },
  { guest: 'realmode', sdm: 'word read at SS:FFFFh: #SS at +0', qemu: 'word read at SS:FFFFh: no fault', reason: 'as for DS, with #SS (interrupt 12) for the stack segment; ' + QEMU_IGNORES_DATA_LIMITS },
  { guest: 'realmode', sdm: '32-bit address above FFFFh: #GP at +0', qemu: '32-bit address above FFFFh: no fault', reason: 'an address-size prefix does not lift the 64 KiB limit (SDM vol. 3, 20.1.1); ' + QEMU_IGNORES_DATA_LIMITS },
  { guest: 'unreal', sdm: 'DS (64 KiB limit): read DS:[200000h]: #GP at +0', qemu: 'DS (64 KiB limit): read DS:[200000h]: no fault', reason: 'DS came down through a 64 KiB descriptor, so its limit is 64 KiB in real mode; ' + QEMU_IGNORES_DATA_LIMITS },
  { guest: 'pm16', sdm: "jump past a 16-bit segment's limit: #GP(0000) at 00000000 cs=0040", qemu: "jump past a 16-bit segment's limit: #GP(0000) at 0000001c cs=0040", reason: QEMU_NO_CS_LIMIT_ON_NEAR },
  { guest: 'segments', sdm: 'read through a null FS: #GP(0000) at +0', qemu: 'read through a null FS: no fault', reason: 'a memory access through a segment register holding a null selector raises #GP(0) in protected mode (SDM vol. 3, 3.4.2); QEMU 7.2 TCG does not check it' },
  ...[
    ['dword at FFDh, limit FFFh', '#GP(0000) at +0'],
    ['byte at 1000h, limit FFFh', '#GP(0000) at +0'],
    ['byte at 1000h, limit 0 with G', '#GP(0000) at +0'],
    ['STOSW at FFFh, limit FFFh', '#GP(0000) at +0'],
    ['expand-down (B=1): dword at FFEh', '#GP(0000) at +0'],
    ['expand-down (B=0): word at FFFFh', '#GP(0000) at +0'],
    ['read [EBP] past a 16 MiB SS limit', '#SS(0000) at +0'],
    ['write through read-only ES', '#GP(0000) at +0'],
    ['write through ES = readable code', '#GP(0000) at +0'],
    ['write through CS', '#GP(0000) at +0'],
    ['read through CS when it is execute-only', '#GP(0000) at +7 cs=0068'],
    ["ring 3: PUSH with ESP at an expand-down SS's limit + 4", '#SS(0000) at +c cs=001b'],
  ].map(([check, sdm]): QemuDifference => ({ guest: 'segments', sdm: `${check}: ${sdm}`, qemu: `${check}: no fault`, reason: QEMU_IGNORES_DATA_LIMITS })),
  { guest: 'segments', sdm: 'LAR KCODE: ZF=1 00c09b00', qemu: 'LAR KCODE: ZF=1 00c09a00', reason: 'loading CS sets the accessed bit of its descriptor like any segment load (SDM vol. 3, 3.4.5.1); QEMU 7.2 sets it for data segment loads only' },
  { guest: 'doublefault', sdm: 'UD2 with gate 6 not present: #NP(0033) at +0', qemu: 'UD2 with gate 6 not present: #NP(0032) at +0', reason: 'an exception raised while delivering a hardware exception has EXT (bit 0) set in its error code (SDM vol. 3, 6.13); QEMU 7.2 never sets EXT' },
  { guest: 'paging', sdm: 'read of a 4 MiB page with reserved bit 21: #PF(0009) at +0 cr2=01800000', qemu: 'read of a 4 MiB page with reserved bit 21: #PF(0008) at +0 cr2=01800000', reason: QEMU_RSVD_WITHOUT_P },
  { guest: 'pae', sdm: 'read of a 2 MiB page with reserved bit 13: #PF(0009) at +0 cr2=00c00000', qemu: 'read of a 2 MiB page with reserved bit 13: #PF(0008) at +0 cr2=00c00000', reason: QEMU_RSVD_WITHOUT_P },
  { guest: 'pae', sdm: 'read of a 2 MiB page with bit 40 set (beyond MAXPHYADDR): #PF(0009) at +0 cr2=00e00000', qemu: 'read of a 2 MiB page with bit 40 set (beyond MAXPHYADDR): #PF(0008) at +0 cr2=00e00000', reason: QEMU_RSVD_WITHOUT_P },
  { guest: 'pae', sdm: 'EFER.NXE clear: read of a page with XD set: #PF(0009) at +0 cr2=01000000', qemu: 'EFER.NXE clear: read of a page with XD set: #PF(0008) at +0 cr2=01000000', reason: QEMU_RSVD_WITHOUT_P },
  { guest: 'pae', sdm: 'MOV CR3 with a PDPTE that sets reserved bit 1: #GP(0000) at +5', qemu: 'MOV CR3 with a PDPTE that sets reserved bit 1: no fault', reason: 'with PAE paging on, MOV to CR3 loads the four PDPTEs and raises #GP(0) if a present one sets a reserved bit (SDM vol. 3, 4.4.1); QEMU 7.2 TCG does not load PDPTEs at MOV CR3' },
  { guest: 'cpuid', sdm: 'RDMSR(TSC) after RDTSC is not smaller: yes', qemu: 'RDMSR(TSC) after RDTSC is not smaller: no', reason: 'IA32_TIME_STAMP_COUNTER (MSR 10h) is the counter RDTSC reads (SDM vol. 3, 18.17); QEMU 7.2 TCG returns a stale value for RDMSR 10h' },
  { guest: 'cpuid', sdm: 'RDMSR of MSR 1234h (none): #GP(0000) at +0', qemu: 'RDMSR of MSR 1234h (none): no fault', reason: QEMU_NO_MSR_GP },
  { guest: 'cpuid', sdm: 'WRMSR of MSR 1234h (none): #GP(0000) at +0', qemu: 'WRMSR of MSR 1234h (none): no fault', reason: QEMU_NO_MSR_GP },
  { guest: 'cpuid', sdm: 'WRMSR EFER with reserved bit 1: #GP(0000) at +0', qemu: 'WRMSR EFER with reserved bit 1: no fault', reason: QEMU_NO_MSR_GP },
  { guest: 'transfers', sdm: "near JMP past CS's limit: #GP(0000) at 00000000 cs=0050", qemu: "near JMP past CS's limit: no fault", reason: QEMU_NO_CS_LIMIT_ON_NEAR },
  { guest: 'transfers', sdm: "near RET to past CS's limit: #GP(0000) at 00000007 cs=0050", qemu: "near RET to past CS's limit: no fault", reason: QEMU_NO_CS_LIMIT_ON_NEAR },
];

export function guestByName(name: string): GuestSpec | undefined {
  return GUESTS.find((g) => g.name === name);
}

/** Whether QEMU printing `qemu` where the SDM says `sdm` is a reviewed difference for this guest. */
export function isKnownQemuDifference(guest: string, qemu: string, sdm: string): boolean {
  return QEMU_DIFFERENCES.some((d) => d.guest === guest && d.qemu === qemu && d.sdm === sdm);
}

/** QEMU's transcript lines with the reviewed differences put right (how NAME.expected is made). */
export function correctQemuLines(guest: string, lines: readonly string[]): string[] {
  return lines.map((l) => QEMU_DIFFERENCES.find((d) => d.guest === guest && d.qemu === l)?.sdm ?? l);
}
