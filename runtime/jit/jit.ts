/**
 * The JIT tier: looks the current EIP up in the translation cache, runs
 * translated regions, compiles hot ones, and falls back to the reference
 * interpreter for one instruction where no translation can exist (a
 * sensitive instruction is a hypervisor call answered by the VMM there).
 *
 * Translations are keyed by the physical address of their entry and the
 * mode bits their code was specialised for; they are dropped when their
 * physical page is written (the write takes the TLB's slow path because the
 * page is marked as holding code), or the next page, for an instruction
 * that runs into it. One compiled module (a region) has
 * several entries (its own, its return points and loop headers), each a
 * translation; a region stops where another translation already begins,
 * so the dispatcher links the two instead of translating the code twice.
 */
import { type CompileOptions, compileRegion, encoderFor, ENTRY_COUNTER, RUN_EXPORT } from '../../translator/emit/compile.js';
import type { Encoder } from '../../translator/emit/wasm.js';
import { binaryenLib } from '../../translator/emit/binaryen-lib.js';
import { buildSupportModule, SUPPORT_REEXPORTS } from '../../translator/emit/support.js';
import { HELPER_MODULE_ID, type HelperSite, JitExit, IMPORTS, RUNTIME_TABLE_SLOTS, Untranslatable } from '../../translator/emit/emit-backend.js';
import { type CalleePages, DEFAULT_LIMITS, formRegion, type RegionLimits } from '../../translator/emit/region.js';
import { decode } from '../../translator/decoder.js';
import { type Instruction, isFault, Seg, type Size } from '../../translator/table/types.js';
import { StateSlot, wholeSpace } from '../cpu.js';
import { Flag } from '../../translator/semantics/backend.js';
import { HELPERS, type HelperRoutine } from '../helpers.js';
import { GuestFault } from '../exceptions.js';
import { ExitReason } from '../exit-reason.js';
import { BUDGET_EXHAUSTED, exitOf, type Interpreter, type VmExit } from '../interpreter.js';
import { Access, TLB_VALID, tlbMask } from '../mmu.js';
import { debugStepping } from '../system/debug.js';
import { CODE_HASH_DELETED, CODE_HASH_EMPTY, CODE_HASH_ENTRY_BITS, CODE_HASH_PROBES, CODE_HASH_SLOTS, codeHashStart } from '../host-area.js';
import { inPageKey, inPageOfKey, MODE_BITS, PageKeyMap, pageOfKey, wholeKey } from './page-keys.js';

/** How the JIT decides what to compile, and how. */
export interface JitStrategy {
  readonly name: string;
  /** Executions of an entry before it is compiled (0: compile before the first run). */
  readonly threshold: number;
  /** binaryen optimisation level for compiled regions. */
  readonly optimize: number;
  /** Keep each module's text (for debugging; costs time). */
  readonly keepText?: boolean;
  /** Bound on live translations; the oldest are evicted first. */
  readonly maxTranslations?: number;
  /** Bound on the Wasm bytes of live translations (same eviction). */
  readonly maxWasmBytes?: number;
  /** Compile on a worker while the interpreter runs (needs a CompileService from the front end). */
  readonly async?: boolean;
  /**
   * With `async`: only re-optimisation (tierUp) goes to the worker; first
   * compilations stay on the runtime's thread, so that hot code leaves the
   * interpreter at once.
   */
  readonly asyncTierUpOnly?: boolean;
  /**
   * Compile a module again at binaryen level `optimize` once it has been
   * entered `entries` times (its code runs faster under V8 after binaryen's
   * optimiser; the first compilation skips that for latency). On the
   * worker when the strategy is async, else on the spot.
   */
  readonly tierUp?: { readonly entries: number; readonly optimize: number };
  /**
   * Self-modifying code: 'page' drops every translation of a written page;
   * 'subpage' only those whose guest bytes overlap the write; 'verify'
   * keeps them and compares the saved guest bytes when a translation is
   * entered. In every policy a write into the region that is running ends
   * it after the writing instruction, so the rest runs the new bytes.
   */
  readonly smc: 'page' | 'subpage' | 'verify';
  /** Called with every compiled module (`npx wasmvisor --dump-wasm DIR` writes them and their wabt text). */
  readonly dump?: (name: string, binary: Uint8Array) => void;
  /**
   * How exactly run(budget) uses its budget. 'exact' (the default): it
   * retires exactly `budget` instructions unless an exit comes first,
   * interpreting the last few when the path to the next budget test is
   * longer than what is left. 'approximate': when translated code has
   * already made progress, it returns at that budget test instead (a loop
   * header or an entry), short of the budget by less than one path, so
   * the next run() re-enters translated code there rather than the
   * interpreter finishing the slice and then catching up with translated
   * code; it never goes over the budget, and it still interprets when it
   * could not otherwise make progress. For callers whose slices are
   * "about" a size (the vCPU's).
   */
  readonly budget?: 'exact' | 'approximate';
  /**
   * How the cheap sensitive instructions (CLI/STI, PUSHF/POPF, IN/OUT to
   * ports of the VMM core's devices, RDTSC) are rewritten. 'trap' (the default):
   * each ends translated code and runs as a hypervisor call through the
   * interpreter, with VT-x exit semantics (runtime/vmm.ts). 'inline': they
   * are translated into code that acts on the virtual CPU (flags in the
   * state block, the device through a runtime call without an exit record),
   * leaving for the trap path only when the VMM must act (JitExit.Vmm):
   * CPL > IOPL, a port the embedder takes or no core device owns, an I/O
   * breakpoint that could match. The binary translator's approach (Adams
   * and Agesen, ASPLOS 2006) next to the hardware VMM's.
   */
  readonly sensitive?: 'trap' | 'inline';
  /**
   * How large a region may grow (blocks, instructions per block); region.ts
   * DEFAULT_LIMITS when absent. Smaller regions cost more dispatches but
   * make smaller Wasm functions, which V8 optimises sooner: its optimising
   * tier (TurboFan) takes time superlinear in a function's size, on
   * background threads, and until it is done the function runs as
   * Liftoff's baseline code. Measured on Debian's 686 boot: 16 blocks
   * instead of 64 cut the boot's TurboFan time from 268 s to 81 s on a
   * loaded host, but the busybox workload ran slower (more dispatches), so
   * no named strategy sets it; scripts/stats-linux.ts --max-blocks tries it.
   */
  readonly regionLimits?: RegionLimits;
  /**
   * Which blocks a region takes in. 'executed' (the default when the
   * threshold is above 0): past a control transfer, only blocks that have
   * run in the interpreter (a jump, branch or call target, a return point)
   * and blocks on a cycle through those (a loop's branch not taken yet:
   * left out, it would cost two dispatches per iteration once taken), so
   * the cold paths of a function (error handling, rare cases) are not
   * translated until they run often enough to be compiled as regions of
   * their own (region.ts formRegion). 'reachable': every block reachable
   * on the page (the only choice at threshold 0, where nothing has run).
   * Measured on Debian's 686 boot (--stats): 259 k guest instructions
   * translated into 60 MB of Wasm under 'reachable', 160 k into 39 MB
   * under 'executed', for 12% more compilations and the same number of
   * dispatches.
   */
  readonly regions?: 'executed' | 'reachable';
  /**
   * How many pages besides its own a region may take in: the pages of
   * functions its direct CALLs reach that have run (region.ts
   * CalleePages), so that a call and the callee's RET stay inside the
   * region instead of going through the dispatcher twice (absent: 0).
   * Only with 'executed' regions, a flat CS and a policy other than
   * 'verify', and for compilations on the runtime's own thread (the pages
   * are chosen as the region forms, from the TLB and what has run).
   * No named strategy but jit-inline-callees sets it: see there.
   */
  readonly calleePages?: number;
  /**
   * Who writes unoptimised modules: 'direct', the baseline encoder that
   * writes Wasm bytes itself (translator/emit/wasm-bytes.ts, the default),
   * or 'binaryen' (building the module through binaryen.js, as optimised
   * modules always are). Their bytes are the same; the cost differs.
   */
  readonly encoder?: Encoder;
}

/**
 * What the JIT's inline sensitive instructions need of the VMM core
 * (DefaultVmm implements it; a tier without it traps every one).
 */
export interface InlineVmm {
  /**
   * A port access from translated code, `retired` instructions having
   * retired before it: the value read (0 for an output), or null when the
   * VMM must act (the instruction then runs by the trap path). A device
   * may throw (a VM exit, a guest fault) as under the trap path.
   */
  inlineIo(port: number, size: 1 | 2 | 4, input: boolean, value: number, retired: number): number | null;
  /** STI with IF = 0 retired inline, `retired` instructions having retired before it: blocking by STI, recorded exactly. */
  inlineSti(retired: number): void;
  /** RDTSC run inline, `retired` instructions having retired before it: the TSC, or null when the trap path must run it. */
  inlineRdtsc(retired: number): bigint | null;
}

function isInlineVmm(x: unknown): x is InlineVmm {
  return typeof x === 'object' && x !== null && 'inlineIo' in x && 'inlineSti' in x && 'inlineRdtsc' in x;
}

export interface JitStats {
  hits: number;
  misses: number;
  compiles: number;
  evictions: number;
  invalidations: number;
  wasmBytes: number;
  guestInstructionsTranslated: number;
  /**
   * Milliseconds spent forming and compiling regions on the runtime's own
   * thread, by the compile clock (wall time unless useCompileClock set
   * another).
   */
  compileMs: number;
  /** Milliseconds spent compiling on the compile service's worker (off the runtime's thread). */
  workerCompileMs: number;
  /** Modules compiled again at the tier-up optimisation level. */
  tieredUp: number;
  interpretedSteps: number;
  /** Entries into the Wasm dispatcher (each returns when translated code needs the runtime). */
  dispatches: number;
  /** Exits of translated loops at an access that missed the TLB (the runtime ran that instruction). */
  slowExits: number;
  /** Asynchronous compilation: jobs submitted, and results dropped because their page changed meanwhile. */
  asyncSubmitted: number;
  asyncDiscarded: number;
  /** Inline strategy: sensitive instructions translated code ran itself (CLI, STI, PUSHF, POPF, IN, OUT), no exit taken. */
  inlineOps: number;
  /** Of those, port accesses done by the VMM core from translated code. */
  inlineIo: number;
  /** Inline sensitive instructions that left for the VMM's trap path (CPL > IOPL, a port the embedder takes, ...). */
  inlineToVmm: number;
  /** Inline strategy: modules dropped to be compiled again with direct runtime calls at accesses that keep missing the TLB. */
  directRecompiles: number;
  /** Pages besides their own that compiled regions took in (JitStrategy.calleePages), summed over compilations. */
  calleePages: number;
  /**
   * Entries into compiled regions, from the dispatcher or the runtime: each
   * control transfer between regions is one (the prologue's count, the
   * entry counter global of every module, dropped ones included).
   */
  readonly regionEntries: number;
}

/** Slow exits at one instruction before its accesses call the runtime directly (inline strategy). */
const SLOW_SITE_LIMIT = 16;

/** One compiled region: a Wasm module with one or more entries. */
interface CodeModule {
  /** Physical page of its guest code. */
  readonly page: number;
  readonly bytes: number;
  /** Guest bytes translated: offsets within the page. */
  readonly byteStart: number;
  readonly byteEnd: number;
  /** The physical page an instruction at the page's end runs into, and how many of its bytes it reads (tailEnd 0: none). */
  readonly tailPage: number;
  readonly tailEnd: number;
  /** Code it took in from other pages (CompileJob.callees): physical page, and offsets of the first and one past the last byte. */
  readonly callees: readonly CalleeExtent[];
  /** For the 'verify' policy: the guest bytes the module was made from. */
  readonly saved: Uint8Array | null;
  /** Its entries still in the cache. */
  readonly entries: Set<Translation>;
  /** Cache keys of the starts of its blocks. */
  readonly blockKeys: readonly number[];
  /** The job it was compiled from (compiled again at tier-up), and its page's write generation then. */
  readonly job: CompileJob;
  readonly gen: number;
  /**
   * Its entry counter (the module's exported global) when it counts its own
   * entries (CompileOptions.entryCounter 'module', for tier-up), else null.
   */
  readonly entryCount: WebAssembly.Global | null;
  /** Its number for the shared helper function (JitTier.helperFns; -1: it has no helper sites). */
  readonly helperId: number;
  /** Its run function (RUN_EXPORT): run(k) enters at entry k. */
  readonly run: (entry: number) => number;
  /** Its run function's index in the shared function table, once an entry is registered (-1 before, and after it is dropped). */
  tableIndex: number;
  readonly text?: string;
}

/** Guest bytes a module translated on a page other than its entry's. */
interface CalleeExtent {
  readonly page: number;
  readonly start: number;
  readonly end: number;
}

/** The physical pages whose writes concern a module: its own, the one its last instruction runs into, its callees'. */
function codePagesOf(mod: CodeModule): number[] {
  const pages = mod.tailEnd > 0 ? [mod.page, mod.tailPage] : [mod.page];
  for (const c of mod.callees) if (!pages.includes(c.page)) pages.push(c.page);
  return pages;
}

/** Did the module translate guest bytes of physical page `page` in [off, off + len)? */
function overlaps(mod: CodeModule, page: number, off: number, len: number): boolean {
  return (mod.page === page && mod.byteStart < off + len && off < mod.byteEnd) || (mod.tailPage === page && off < mod.tailEnd)
    || mod.callees.some((c) => c.page === page && c.start < off + len && off < c.end);
}

/** An entry of a compiled region: what the cache holds, and what dispatch() calls. */
interface Translation {
  readonly key: number;
  /** The entry's EIP: its code has the virtual EIPs of this entry built in, so an alias of the frame is another translation. */
  readonly eip: number;
  readonly csBase: number;
  readonly csLimit: number;
  readonly module: CodeModule;
  /** Its number among the module's entries: the argument of the module's run function. */
  readonly entry: number;
  /** Where dispatch() finds it: its code-hash slot (-1 when not registered). */
  slot: number;
}

interface SupportExports {
  readonly dispatch: () => number;
  /** Every runtime function by name (IMPORTS), as a Wasm function for the function table. */
  readonly runtime: Record<string, WebAssembly.ExportValue>;
}

/** A compilation request: plain data, so that it can be sent to a worker. */
export interface CompileJob {
  readonly key: number;
  /** Physical address of the entry, and its page number. */
  readonly pa: number;
  readonly page: number;
  /** Linear address of the entry's page, and a copy of the page's bytes. */
  readonly pageLin: number;
  readonly bytes: Uint8Array;
  readonly csBase: number;
  readonly csLimit: number;
  readonly eip: number;
  /** EIPs on the page where other translations begin: the region links to them instead of translating them again. */
  readonly linked: readonly number[];
  /**
   * The first bytes of the frame the next linear page maps for fetches
   * (for an instruction that runs into it; options.tail says where they
   * came from), absent when that page does not map to RAM.
   */
  readonly tailBytes?: Uint8Array;
  /**
   * Block starts on the page that have run in the interpreter, one bit per
   * byte offset (absent: every reachable block joins the region). A region
   * grows along control transfers only to code that has run; the rest stays
   * out of it until it runs often enough to be compiled itself.
   */
  readonly executed?: Uint8Array;
  /**
   * Most pages besides its own the region may take in (JitStrategy.
   * calleePages), and those it took in: filled as the region first forms
   * (translateJob with an admitter), read when it forms again (tier-up,
   * a worker), so that it forms the same way.
   */
  readonly calleeLimit?: number;
  readonly callees?: CalleePage[];
  readonly options: CompileOptions;
  /** The strategy's region limits (JitStrategy.regionLimits). */
  readonly limits?: RegionLimits;
}

/** A page a region took in (CompileJob.callees): where it was, a copy of its bytes, what of it had run. */
export interface CalleePage {
  /** Linear address of the page and physical address of its frame. */
  readonly lin: number;
  readonly pa: number;
  readonly bytes: Uint8Array;
  /** Block starts that had run, one bit per byte offset (CompileJob.executed). */
  readonly executed: Uint8Array;
  /** EIPs of its instructions whose accesses call the runtime on a TLB miss (CompileOptions.directAccess). */
  readonly direct: readonly number[];
}

/** Finds a page for a region to take in at run time (JitTier.admitCallee): the page holding a CALL's target EIP, or null. */
export type CalleeAdmitter = (eip: number) => CalleePage | null;

export interface TranslatedJob {
  readonly binary: Uint8Array;
  readonly text?: string;
  readonly byteStart: number;
  readonly byteEnd: number;
  /** Bytes of the next page its instructions read (Region.tailEnd). */
  readonly tailEnd: number;
  /** What it translated of the pages it took in (CompileJob.callees). */
  readonly callees: readonly CalleeExtent[];
  readonly instructionCount: number;
  /** Entry EIPs: entry k is the module's run(k). */
  readonly entries: readonly number[];
  /** EIPs of the region's blocks. */
  readonly blocks: readonly number[];
  readonly helperSites: readonly HelperSite[];
  /** Time spent forming and compiling, in ms. */
  readonly ms: number;
}

/**
 * Compiles off the critical path (a worker thread in Node, a Web Worker in
 * a page): `done` is called later, from the event loop, with the result of
 * translateJob() or null when the entry cannot be translated.
 */
export interface CompileService {
  submit(job: CompileJob, done: (result: TranslatedJob | null) => void): void;
  close(): void;
}

/** The clock compile times are measured with, in milliseconds (see useCompileClock). */
let compileClock: () => number = () => performance.now();

/**
 * Measure compile times (JitStats.compileMs, TranslatedJob.ms) with this
 * clock instead of the wall clock: the bench passes the thread's CPU time,
 * so that a loaded host does not inflate them.
 */
export function useCompileClock(clock: () => number): void {
  compileClock = clock;
}

/** The offset in linear page `pageLin` of the job's CS:eip, or -1 beyond the CS limit or outside that page. */
function offsetIn(job: CompileJob, eip: number, pageLin: number): number {
  if (eip > job.csLimit) return -1;
  const l = (job.csBase + eip) >>> 0;
  return (l & ~0xfff) === pageLin ? l & 0xfff : -1;
}

/** The bytes of a job's page by EIP (-1 beyond the CS limit or outside the page). */
function jobReader(job: CompileJob): (eip: number) => number {
  return (e: number): number => {
    const off = offsetIn(job, e, job.pageLin);
    return off < 0 ? -1 : job.bytes[off]!;
  };
}

/** The bytes of the next page an instruction of the job's page may run into, by EIP (-1 where the job has none), or null. */
function jobTailReader(job: CompileJob): ((eip: number) => number) | null {
  const bytes = job.tailBytes, tail = job.options.tail;
  if (!bytes || !tail) return null;
  return (e: number): number => {
    const off = offsetIn(job, e, tail.lin);
    return off < 0 || off >= bytes.length ? -1 : bytes[off]!;
  };
}

/** Is the bit of in-page offset `off` set in an executed bitmap (CompileJob.executed)? */
function ranAt(bits: Uint8Array, off: number): boolean {
  return ((bits[off >>> 3]! >>> (off & 7)) & 1) !== 0;
}

/** Has the block at EIP run (CompileJob.executed)? Null when the job does not say. */
function jobExecuted(job: CompileJob): ((eip: number) => boolean) | null {
  const bits = job.executed;
  if (!bits) return null;
  return (e: number): boolean => {
    const off = offsetIn(job, e, job.pageLin);
    return off >= 0 && ranAt(bits, off);
  };
}

/** Thrown through translated code by a helper whose store dropped translations (see helperImport). */
const CODE_CHANGED = Symbol('translated code changed');

/** The longest x86 instruction: the most bytes of the next page one may read. */
const MAX_INSTRUCTION_LENGTH = 15;

/**
 * Does the strategy build modules with binaryen (its compilations, or its
 * tier-up's optimised ones, by encoderFor)? Then binaryen.js must be loaded first.
 */
export function strategyNeedsBinaryen(s: JitStrategy): boolean {
  const own = { optimize: s.optimize, wantText: s.keepText, ...(s.encoder ? { encoder: s.encoder } : {}) };
  return encoderFor(own) === 'binaryen' || (s.tierUp !== undefined && encoderFor({ ...own, optimize: s.tierUp.optimize }) === 'binaryen');
}

/** Does the job build its module with binaryen? (A compile worker loads binaryen.js first.) */
export function jobNeedsBinaryen(job: CompileJob): boolean {
  return encoderFor(job.options) === 'binaryen';
}

/**
 * Form and compile the region of a job (pure: runs on any thread). With
 * `admit`, the region may take in pages of callees up to the job's limit,
 * which are added to job.callees; without, only those already there.
 */
export function translateJob(job: CompileJob, admit: CalleeAdmitter | null = null): TranslatedJob | null {
  const started = compileClock();
  const linked = new Set(job.linked);
  linked.delete(job.eip);
  const inline = job.options.sensitive === 'inline' ? job.options.mode : null;
  const callees = jobCallees(job, admit);
  const region = formRegion(jobReader(job), job.eip, job.options.mode.code32, job.limits ?? DEFAULT_LIMITS, (e) => linked.has(e), inline, jobTailReader(job),
    jobExecuted(job), callees);
  if (!region) return null;
  // The pages the region kept blocks of: their frames for its run-time checks, their direct accesses.
  const kept = [...region.callees.keys()].map((page) => job.callees!.find((c) => c.lin >>> 12 === page)!);
  const options: CompileOptions = kept.length === 0 ? job.options : {
    ...job.options,
    callees: kept.map((c) => ({ lin: c.lin, pa: c.pa })),
    directAccess: [...job.options.directAccess ?? [], ...kept.flatMap((c) => c.direct)],
  };
  let compiled;
  try {
    compiled = compileRegion(region, options);
  } catch (e) {
    if (e instanceof Untranslatable) return null;
    throw e;
  }
  return {
    binary: compiled.binary, text: compiled.text, byteStart: region.byteStart, byteEnd: region.byteEnd, tailEnd: region.tailEnd,
    callees: kept.map((c) => ({ page: c.pa >>> 12, ...region.callees.get(c.lin >>> 12)! })),
    instructionCount: region.instructionCount, entries: compiled.entries, blocks: [...region.blocks.keys()], helperSites: compiled.helperSites,
    ms: compileClock() - started,
  };
}

/**
 * The callee pages of a job's region as formation sees them (null when the
 * job takes in none): a page is readable once admitted, in the order
 * formation admits them, so that forming again from job.callees gives the
 * same region as the first formation, which admitted them through `admit`.
 */
function jobCallees(job: CompileJob, admit: CalleeAdmitter | null): CalleePages | null {
  const list = job.callees;
  if (!list || !job.calleeLimit) return null;
  const page = (eip: number): number => ((job.csBase + eip) >>> 0) >>> 12;
  const admitted = new Set<number>();
  const at = (eip: number): CalleeByte | null => (admitted.has(page(eip)) ? calleeByte(job, eip) : null);
  return {
    page,
    admit(eip: number): boolean {
      const n = page(eip);
      if (admitted.has(n)) return true;
      let p = list.find((c) => c.lin >>> 12 === n);
      if (!p && admit && list.length < job.calleeLimit!) {
        p = admit(eip) ?? undefined;
        if (p) list.push(p);
      }
      if (p) admitted.add(n);
      return p !== undefined;
    },
    read(eip: number): number {
      const b = at(eip);
      return b ? b.page.bytes[b.off]! : -1;
    },
    executed(eip: number): boolean {
      const b = at(eip);
      return b !== null && ranAt(b.page.executed, b.off);
    },
  };
}

interface CalleeByte {
  readonly page: CalleePage;
  readonly off: number;
}

/** The page of job.callees holding CS:eip and the offset in it, or null (beyond the CS limit, on no such page). */
function calleeByte(job: CompileJob, eip: number): CalleeByte | null {
  if (eip > job.csLimit) return null;
  const l = (job.csBase + eip) >>> 0;
  const page = job.callees?.find((c) => c.lin >>> 12 === l >>> 12);
  return page ? { page, off: l & 0xfff } : null;
}

/** The bytes of the pages a job's region took in, by EIP (-1 elsewhere). */
function jobCalleeReader(job: CompileJob): (eip: number) => number {
  return (e: number): number => {
    const b = calleeByte(job, e);
    return b ? b.page.bytes[b.off]! : -1;
  };
}

/** The data segment registers flatSegments() looks at. */
const DATA_SEGS: readonly Seg[] = [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS];

/** Segments flat enough for the inline fast path: wholeSpace() with base 0. */
function flatSegments(interp: Interpreter): number {
  if (!interp.cpu.mode.protectedMode) return 0;
  let mask = 0;
  const segs = interp.cpu.segs;
  for (let k = 0; k < DATA_SEGS.length; k++) {
    const s = DATA_SEGS[k]!;
    const c = segs[s]!;
    if (c.base === 0 && wholeSpace(c)) mask |= 1 << s;
  }
  return mask;
}



export class JitTier {
  readonly stats: JitStats = this.newStats();

  /** What the translation cache holds now: live translations, the modules holding them, their Wasm bytes. */
  cacheSize(): { translations: number; modules: number; wasmBytes: number } {
    return { translations: this.cache.size, modules: this.modules.size, wasmBytes: this.liveBytes };
  }
  /** Translations by (physical page, in-page key): see page-keys.ts. */
  private readonly cache = new PageKeyMap<Translation>();
  private readonly byPage = new Map<number, Set<CodeModule>>();
  /** Live modules, oldest first (the eviction order). */
  private readonly modules = new Set<CodeModule>();
  /** Executions counted towards compilation, by physical page and in-page key. */
  private readonly counts = new PageKeyMap<number>();
  private readonly untranslatable = new PageKeyMap<true>();
  /** An exception a runtime call raised inside translated code. */
  private pending: unknown = null;
  /** Set when a write invalidated translated code (for the SMC exit of the running region). */
  private invalidated = false;
  /** Asynchronous compilation: keys and pages with a job in flight, and per-page write generations. */
  private readonly pendingJobs = new Set<number>();
  private readonly pendingPages = new Map<number, number>();
  private readonly pageGen = new Map<number, number>();
  /** The module that is running (for the 'verify' policy's check of writes into it). */
  private running: CodeModule | null = null;
  /**
   * The interpreter is finishing a time slice (or starting the next one)
   * in the middle of a block: EIPs it meets are not block starts, so they
   * are not counted towards compilation until control transfers to code
   * that is not already a block of a translation (the interpreter is
   * catching up with translated code, which it re-enters at a loop header
   * or another entry within one iteration).
   */
  private midBlock = false;
  /** Block starts of live modules by (page, in-page key), with how many modules have each. */
  private readonly blockKeys = new PageKeyMap<number>();
  /**
   * Does a translator block start at the current EIP? Lookups and hotness
   * counts happen only there: after a control transfer, a sensitive or REP
   * string instruction, a page crossing, at the start of a run (unless it
   * resumes the straight-line code the last one stopped in), and where
   * translated code returned. A translation cannot begin in the middle
   * of straight-line code except at a loop header reached by falling into
   * it, which the next iteration's jump finds.
   */
  private atBlockStart = true;
  /** Linear address where the last run stopped in straight-line code (-1: it did not). */
  private straightLin = -1;
  /** Where currentKey() found the current EIP: physical address, linear address, page and in-page key. */
  private curPa = 0;
  private curLin = 0;
  private curPage = 0;
  private curInPage = 0;
  private readonly imports: Record<string, WebAssembly.ImportValue>;
  private readonly memoryPages: number;
  /** Every registered region's run(), for dispatch()'s call_indirect. */
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 64 });
  private readonly freeIndices: number[] = [];
  /** The code hash table in the host area (see runtime/host-area.ts). */
  private readonly codeHash: Int32Array;
  private readonly support: SupportExports;

  constructor(readonly interp: Interpreter, readonly strategy: JitStrategy, private readonly service: CompileService | null = null) {
    // Its compilations are synchronous: binaryen.js must be there already (prepareStrategy), else this says so.
    if (strategyNeedsBinaryen(strategy) && !service) binaryenLib();
    const b = interp.backend;
    const cpu = interp.cpu;
    const st = cpu.state;
    const mem = interp.mem;
    this.memoryPages = mem.memory.buffer.byteLength / 65536;
    for (let k = this.table.length - 1; k >= 0; k--) this.freeIndices.push(k);
    this.codeHash = new Int32Array(mem.memory.buffer, mem.host.codeHash, CODE_HASH_SLOTS * 4);
    for (let k = 0; k < CODE_HASH_SLOTS; k++) this.codeHash[k * 4 + 1] = CODE_HASH_EMPTY;
    interp.codeHolders.push((pa, len) => this.codeWritten(pa, len));
    const vmm = interp.backend.vmm;
    this.inlineVmm = isInlineVmm(vmm) ? vmm : null;
    st[StateSlot.InlineOps] = 0;
    st[StateSlot.Raised] = 0;
    st[StateSlot.RegionEntries] = 0;
    const fail = (e: unknown, eip: number, left: number): number => this.fail(e, eip, left);
    const runtime: Record<string, (...args: number[]) => number | void> = {
        [IMPORTS.slowLoad.name]: (seg: number, off: number, size: number, eip: number, left: number): number => {
          try { return b.load(seg as Seg, off, size as Size); } catch (e) { return fail(e, eip, left); }
        },
        [IMPORTS.slowStore.name]: (seg: number, off: number, size: number, v: number, eip: number, left: number): number => {
          this.invalidated = false;
          try { b.store(seg as Seg, off, size as Size, v); } catch (e) { return fail(e, eip, left); }
          return this.invalidated ? 1 : 0;
        },
        [IMPORTS.slowProbe.name]: (seg: number, off: number, len: number, eip: number, left: number): void => {
          try { b.probeWrite(seg as Seg, off, len); } catch (e) { fail(e, eip, left); }
        },
        [IMPORTS.slowLoad64.name]: (seg: number, off: number, eip: number, left: number): number => {
          try {
            const v = b.load64(seg as Seg, off);
            st[StateSlot.ExitArg] = v.hi;
            return v.lo;
          } catch (e) { return fail(e, eip, left); }
        },
        [IMPORTS.slowStore64.name]: (seg: number, off: number, lo: number, hi: number, eip: number, left: number): number => {
          this.invalidated = false;
          try { b.store64(seg as Seg, off, lo, hi); } catch (e) { return fail(e, eip, left); }
          return this.invalidated ? 1 : 0;
        },
        [IMPORTS.portIo.name]: (port: number, op: number, value: number, eip: number, left: number): number => {
          const vmm = this.inlineVmm;
          if (!vmm) return 1;
          let v: number | null;
          this.invalidated = false;
          try {
            v = vmm.inlineIo(port & 0xffff, (op & 7) as 1 | 2 | 4, (op & 8) !== 0, value, this.retiredAt(left));
          } catch (e) {
            return fail(e, eip, left);
          }
          if (v === null) return 1;
          this.stats.inlineIo++;
          st[StateSlot.ExitArg] = v;
          // A device that wrote guest memory holding translated code (DMA): the region leaves after the instruction.
          return this.invalidated ? 2 : 0;
        },
        [IMPORTS.rdtsc.name]: (left: number): number => {
          const tsc = this.inlineVmm?.inlineRdtsc(this.retiredAt(left)) ?? null;
          if (tsc === null) return 1;
          st[StateSlot.ExitArg] = Number(tsc & 0xffffffffn) | 0;
          st[StateSlot.ExitError] = Number(tsc >> 32n) | 0;
          st[StateSlot.InlineOps] = (st[StateSlot.InlineOps]! + 1) | 0;
          return 0;
        },
        [IMPORTS.stiShadow.name]: (left: number): void => {
          if (this.inlineVmm) this.inlineVmm.inlineSti(this.retiredAt(left));
          else cpu.interruptShadow = 1;
        },
        [IMPORTS.helper.name]: (id: number, site: number, left: number): void => this.helperFns[id]!(site, left),
    };
    this.support = JitTier.support(mem.memory, this.table, this.memoryPages, mem.host, runtime);
    // Region modules call the runtime through a table of its own (WasmModule.declareTableFunction),
    // set once: V8 keeps a copy of an imported table in each instance importing it, so that
    // instantiating copies it and every later change of it is made in every copy (with the shared
    // table of regions, a Linux boot took 2.5 times as long). The lazy flags of a record known only at
    // run time stay in Wasm (the support module's pure functions).
    const runtimeTable = new WebAssembly.Table({ element: 'anyfunc', initial: RUNTIME_TABLE_SLOTS });
    for (const f of Object.values(IMPORTS)) runtimeTable.set(f.slot, this.support.runtime[f.name] as WebAssembly.ExportValue);
    this.imports = { memory: mem.memory, table: runtimeTable };
  }

  /** Each installed module's helper function (helperImport) by the number its HELPER_MODULE_ID global holds; free numbers in helperIdsFree. */
  private readonly helperFns: Array<((site: number, left: number) => void) | undefined> = [];
  private readonly helperIdsFree: number[] = [];

  private newStats(): JitStats {
    const tier = this;
    return {
      hits: 0, misses: 0, compiles: 0, evictions: 0, invalidations: 0, wasmBytes: 0, guestInstructionsTranslated: 0, compileMs: 0, interpretedSteps: 0,
      dispatches: 0, slowExits: 0, asyncSubmitted: 0, asyncDiscarded: 0, workerCompileMs: 0, tieredUp: 0, inlineIo: 0, inlineToVmm: 0, directRecompiles: 0, calleePages: 0,
      // Translated code counts the ones it runs without a runtime call in the state block.
      get inlineOps(): number { return (tier.interp.cpu.state[StateSlot.InlineOps]! >>> 0) + this.inlineIo; },
      get regionEntries(): number {
        // Entries of modules since dropped and of the state block's counter since the last slice (foldEntries).
        let n = tier.droppedEntries + (tier.interp.cpu.state[StateSlot.RegionEntries]! >>> 0);
        for (const mod of tier.modules) if (mod.entryCount) n += (mod.entryCount.value as number) >>> 0;
        return n;
      },
    };
  }

  /**
   * Instructions retired before the current one of translated code that
   * called the runtime with `left` instructions of its block not retired
   * (the state block's budget is exact at the call): interp.retired is
   * brought up to date only when translated code returns.
   */
  private retiredAt(left: number): number {
    return this.interp.retired + (this.runBudget - this.interp.cpu.state[StateSlot.Budget]!) - left;
  }

  /** The budget in the state block when translated code was last entered (see retiredAt). */
  private runBudget = 0;

  /**
   * Inline strategy: Slow exits by physical address of the instruction,
   * and the instructions that have had enough of them to be compiled with
   * a direct runtime call on a TLB miss (CompileOptions.directAccess).
   */
  private readonly slowSites = new Map<number, number>();
  /** Physical page -> offsets within it. */
  private readonly directSites = new Map<number, Set<number>>();

  /**
   * A Slow exit under the inline strategy. An access whose TLB miss
   * repeats at the same instruction is one the TLB cannot hold: a device
   * page (the local APIC's TPR, VT-x's APIC-access page), a store into a
   * page of code, a page the guest keeps invalidating. Each such miss in a
   * loop costs an exit and the interpreter up to the next entry; after
   * SLOW_SITE_LIMIT of them the instruction's modules are compiled again
   * with the access calling the runtime on a miss instead (the device is
   * reached directly from translated code, and the loop goes on).
   */
  private noteSlowSite(): void {
    if (!this.currentKey()) return;
    const pa = this.curPa;
    const page = pa >>> 12, off = pa & 0xfff;
    let sites = this.directSites.get(page);
    if (sites?.has(off)) return;
    const n = (this.slowSites.get(pa) ?? 0) + 1;
    if (n < SLOW_SITE_LIMIT) { this.slowSites.set(pa, n); return; }
    this.slowSites.delete(pa);
    if (!sites) this.directSites.set(page, (sites = new Set()));
    sites.add(off);
    for (const mod of [...this.byPage.get(page) ?? []]) {
      if (overlaps(mod, page, off, 1)) { this.dropModule(mod); this.stats.directRecompiles++; }
    }
  }

  /** The VMM core the inline strategy's port accesses call (null: they take the trap path). */
  private readonly inlineVmm: InlineVmm | null;

  /**
   * A runtime call from translated code failed: the state block gets the
   * instruction's EIP, the budget back and Raised (the code returns
   * JitExit.Exception after the call: EmitBackend.raised), and the runtime
   * keeps the exception. Returns the call's (unused) result.
   */
  private fail(e: unknown, eip: number, left: number): number {
    const st = this.interp.cpu.state;
    st[StateSlot.Eip] = eip;
    st[StateSlot.Budget] = st[StateSlot.Budget]! + left;
    st[StateSlot.Raised] = 1;
    this.pending = e;
    return 0;
  }

  /** Instantiate the support module (flag functions, dispatch) on this guest memory and function table. */
  private static support(memory: WebAssembly.Memory, table: WebAssembly.Table, pages: number, host: { state: number; tlb: number; codeHash: number },
    runtime: Record<string, (...args: number[]) => number | void>): SupportExports {
    const binary = buildSupportModule(pages, host.state, host.tlb, host.codeHash);
    const env: Record<string, WebAssembly.ImportValue> = { memory, table };
    for (const f of SUPPORT_REEXPORTS) env[f.name] = runtime[f.name]!;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), { env });
    const x = instance.exports;
    return { dispatch: x.dispatch as () => number, runtime: x };
  }

  /**
   * The `helper` import of one module: its helper sites decoded again from
   * the bytes the module was made from, each run on the reference tier's
   * backend (the state block is exact when translated code calls it).
   */
  private helperImport(job: CompileJob, sites: readonly HelperSite[]): (site: number, left: number) => void {
    const read = jobReader(job), tail = jobTailReader(job), callee = jobCalleeReader(job);
    const decodeAt = (s: { eip: number; name: string }): { insn: Instruction; routine: HelperRoutine } => {
      // A helper instruction of a callee page lies on that page (region.ts: no instruction runs from one into another).
      const onCallee = read(s.eip) < 0;
      const r = decode((k) => {
        const e = (s.eip + k) >>> 0;
        if (onCallee) return callee(e);
        const v = read(e);
        return v >= 0 || !tail ? v : tail(e);
      }, s.eip, job.options.mode.code32);
      if (isFault(r)) throw new Error(`helper site at ${s.eip.toString(16)} no longer decodes`);
      // The routine is looked up once here, not by name on every call (ConcreteBackend.helper).
      const routine = HELPERS[s.name];
      if (!routine) throw new Error(`no runtime helper '${s.name}'`);
      return { insn: r as Instruction, routine };
    };
    const runs = sites.map((s) => [decodeAt(s), ...s.more.map(decodeAt)]);
    const b = this.interp.backend;
    // A site runs its instructions in order; the k-th of them has k fewer instructions of the block left.
    // One whose store dropped translated code (the running region's, maybe the rest of this very run)
    // ends the region right after it, as a slow-path store does: the runtime goes on at the next EIP.
    // (Such an instruction writes no general register: the register stores of the raise path lose nothing.)
    return (site: number, left: number): void => {
      const run = runs[site]!;
      for (let k = 0; k < run.length; k++) {
        const s = run[k]!;
        b.begin(s.insn);
        this.invalidated = false;
        try { s.routine(b, s.insn); } catch (e) { this.fail(e, s.insn.eip, left - k); return; }
        if (this.invalidated) { this.fail(CODE_CHANGED, s.insn.nextEip, left - k - 1); return; }
      }
    };
  }

  /** Put a translation in the function table and the code hash table, where dispatch() finds it. */
  private register(t: Translation, pa: number, bits: number): void {
    if (t.entry >= 1 << CODE_HASH_ENTRY_BITS) return;
    const mod = t.module;
    if (mod.tableIndex < 0) {
      mod.tableIndex = this.freeIndices.pop() ?? this.table.grow(1);
      this.table.set(mod.tableIndex, mod.run);
    }
    const h = this.codeHash;
    let at = codeHashStart(t.eip, bits);
    for (let k = 0; k < CODE_HASH_PROBES; k++, at = (at + 1) & (CODE_HASH_SLOTS - 1)) {
      const mode = h[at * 4 + 1]!;
      if (mode === CODE_HASH_EMPTY || mode === CODE_HASH_DELETED || (h[at * 4] === (pa | 0) && mode === bits && h[at * 4 + 3] === t.eip)) {
        h[at * 4] = pa;
        h[at * 4 + 2] = (mod.tableIndex << CODE_HASH_ENTRY_BITS) | t.entry;
        h[at * 4 + 3] = t.eip;
        h[at * 4 + 1] = bits;
        t.slot = at;
        return;
      }
    }
    // No room within the probe window: the runtime's own lookup still finds it.
  }

  private unregister(t: Translation): void {
    if (t.slot < 0) return;
    this.codeHash[t.slot * 4 + 1] = CODE_HASH_DELETED;
    t.slot = -1;
  }

  /**
   * A write hit a physical page holding translations: drop those the SMC
   * policy says are stale (every one in the page, or only those whose
   * guest bytes overlap the write). Returns whether any remain in the page.
   */
  private codeWritten(pa: number, len: number): boolean {
    const page = pa >>> 12;
    this.pageGen.set(page, (this.pageGen.get(page) ?? 0) + 1);
    const mods = this.byPage.get(page);
    if (!mods) return this.pendingPages.has(page);
    const off = pa & 0xfff;
    if (this.strategy.smc === 'verify') {
      // Translations stay; they are checked when next entered. Only the running one must stop now.
      if (this.running && overlaps(this.running, page, off, len)) this.invalidated = true;
      return true;
    }
    for (const mod of [...mods]) {
      if (this.strategy.smc === 'subpage' && !overlaps(mod, page, off, len)) continue;
      this.dropModule(mod);
      this.stats.invalidations++;
      this.invalidated = true;
    }
    this.untranslatable.deletePage(page);
    return this.byPage.has(page) || this.pendingPages.has(page);
  }

  /** Is the current EIP the start of a block of a live translation? */
  private atTranslatedBlock(): boolean {
    return this.currentKey() && this.blockKeys.has(this.curPage, this.curInPage);
  }

  /**
   * Locate the current EIP: physical and linear address, page and in-page
   * key (offset and mode bits) into curPa, curLin, curPage, curInPage.
   * False if the fetch would fault (the interpreter raises the fault).
   */
  private currentKey(): boolean {
    const cpu = this.interp.cpu;
    const cs = cpu.segs[Seg.CS]!;
    const eip = cpu.eip;
    if (eip > cs.limit) return false;
    const lin = (cs.base + eip) >>> 0;
    let pa: number;
    try {
      pa = this.interp.mmu.translate(lin, Access.Fetch);
    } catch {
      return false;
    }
    if (pa >= this.interp.mem.size) return false;
    this.curPa = pa;
    this.curLin = lin;
    this.curPage = pa >>> 12;
    this.curInPage = inPageKey(pa, this.modeBits());
    return true;
  }

  /** The mode bits a translation is specialised for (the low part of its key). */
  private modeBits(): number {
    const m = this.interp.cpu.mode;
    return (m.code32 ? 1 : 0) | (m.stack32 ? 2 : 0) | (m.cpl << 2) | (m.protectedMode ? 16 : 0) | (m.v86 ? 32 : 0) | (flatSegments(this.interp) << 6);
  }

  /** Can dispatch() run the current code? It assumes a flat CS (EIP is the linear address) and no entry check. */
  private dispatchable(): boolean {
    const cs = this.interp.cpu.segs[Seg.CS]!;
    return this.dispatchableWith(cs.base, cs.limit, this.interp.cpu.mode.protectedMode);
  }

  /** dispatch()'s assumptions for a given CS and mode: flat CS, protected mode, no entry check. */
  private dispatchableWith(csBase: number, csLimit: number, protectedMode: boolean): boolean {
    return csBase === 0 && csLimit === 0xffffffff && this.strategy.smc !== 'verify' && protectedMode;
  }

  private lookup(): Translation | null {
    if (!this.currentKey()) return null;
    const page = this.curPage, k = this.curInPage;
    if (this.profiled) {
      let bits = this.executed.get(page);
      if (!bits) this.executed.set(page, (bits = new Uint8Array(512)));
      const off = this.curPa & 0xfff;
      bits[off >>> 3] |= 1 << (off & 7);
    }
    const t = this.cache.get(page, k);
    if (t) {
      const cpu = this.interp.cpu;
      const cs = cpu.segs[Seg.CS]!;
      if (t.csBase === cs.base && t.csLimit === cs.limit && t.eip === cpu.eip) {
        if (!t.module.saved || this.unchanged(t.module)) {
          this.stats.hits++;
          return t;
        }
        this.dropModule(t.module);
        this.stats.invalidations++;
      }
    }
    this.stats.misses++;
    if (this.midBlock || this.untranslatable.has(page, k)) return null;
    // A job for this page is in flight: what runs here now is likely in it (counting resumes when it lands).
    if (this.pendingPages.size && this.pendingPages.has(page)) return null;
    const n = (this.counts.get(page, k) ?? 0) + 1;
    if (n <= this.strategy.threshold) {
      this.counts.set(page, k, n);
      return null;
    }
    this.counts.delete(page, k);
    return this.compile(wholeKey(page, k), this.curPa, this.curLin);
  }

  /** Block starts that have run in the interpreter, by physical page (CompileJob.executed). */
  private readonly executed = new Map<number, Uint8Array>();

  /** Do regions grow only into code that has run (JitStrategy.regions)? */
  private get profiled(): boolean {
    return this.strategy.threshold > 0 && this.strategy.regions !== 'reachable';
  }

  private compile(key: number, pa: number, lin: number): Translation | null {
    const job = this.jobFor(key, pa, lin);
    if (this.service && !this.strategy.asyncTierUpOnly) {
      // Asynchronous: the interpreter carries on; the result is installed when it arrives,
      // unless the page was written in the meantime.
      if (this.pendingJobs.has(key)) return null;
      this.pendingJobs.add(key);
      this.pendingPages.set(job.page, (this.pendingPages.get(job.page) ?? 0) + 1);
      this.markCodePage(job.page);
      this.stats.asyncSubmitted++;
      const gen = this.pageGen.get(job.page) ?? 0;
      this.service.submit(job, (result) => {
        this.pendingJobs.delete(key);
        const left = (this.pendingPages.get(job.page) ?? 1) - 1;
        if (left) this.pendingPages.set(job.page, left); else this.pendingPages.delete(job.page);
        this.stats.workerCompileMs += result?.ms ?? 0;
        if ((this.pageGen.get(job.page) ?? 0) !== gen || (result && !this.tailUnchanged(job, result))) { this.stats.asyncDiscarded++; return; }
        if (!result) { this.untranslatable.set(pageOfKey(key), inPageOfKey(key), true); return; }
        this.install(job, result, gen);
      });
      return null;
    }
    const result = translateJob(job, job.calleeLimit ? (eip) => this.admitCallee(job, eip) : null);
    this.stats.compileMs += result?.ms ?? 0;
    if (!result) {
      this.untranslatable.set(pageOfKey(key), inPageOfKey(key), true);
      return null;
    }
    return this.install(job, result, this.pageGen.get(job.page) ?? 0);
  }

  /**
   * The bytes of the next page a result's instructions read are still
   * those of the job (its page is watched for writes only from install
   * on, so a write while the job was on the worker is found here).
   */
  private tailUnchanged(job: CompileJob, result: TranslatedJob): boolean {
    if (result.tailEnd === 0) return true;
    const u8 = this.interp.mem.u8, pa = job.options.tail!.pa;
    for (let k = 0; k < result.tailEnd; k++) if (u8[pa + k] !== job.tailBytes![k]) return false;
    return true;
  }

  /** Entries counted by modules since dropped, and by the state block's counter (JitStats.regionEntries). */
  private droppedEntries = 0;

  /** Move the state block's entry count (StateSlot.RegionEntries) into droppedEntries (each slice: it wraps at 2^32). */
  private foldEntries(): void {
    const st = this.interp.cpu.state;
    this.droppedEntries += st[StateSlot.RegionEntries]! >>> 0;
    st[StateSlot.RegionEntries] = 0;
  }

  /** Modules whose entry counters are watched for tier-up. */
  private readonly tierCandidates = new Set<CodeModule>();

  /**
   * Compile the candidates that have been entered often enough again at
   * the tier-up level (JitStrategy.tierUp); the new module replaces the
   * old one if the page has not been written meanwhile.
   */
  private tierUp(): void {
    const up = this.strategy.tierUp!;
    for (const mod of this.tierCandidates) {
      if (((mod.entryCount?.value as number | undefined) ?? 0) < up.entries) continue;
      this.tierCandidates.delete(mod);
      const job: CompileJob = { ...mod.job, options: { ...mod.job.options, optimize: up.optimize } };
      const done = (result: TranslatedJob | null): void => {
        if (!result || !this.modules.has(mod) || (this.pageGen.get(job.page) ?? 0) !== mod.gen) return;
        this.dropModule(mod);
        this.install(job, result, mod.gen, true);
      };
      if (this.service) {
        this.stats.asyncSubmitted++;
        this.service.submit(job, (result) => {
          this.stats.workerCompileMs += result?.ms ?? 0;
          done(result);
        });
      } else {
        const result = translateJob(job);
        this.stats.compileMs += result?.ms ?? 0;
        done(result);
      }
    }
  }

  /** Everything a compilation needs, as plain data (it may run in another thread). */
  private jobFor(key: number, pa: number, lin: number): CompileJob {
    const interp = this.interp;
    const cpu = interp.cpu;
    const cs = cpu.segs[Seg.CS]!;
    const mem = interp.mem;
    const pagePa = pa & ~0xfff;
    const bits = key % MODE_BITS;
    const pageLin = lin & ~0xfff;
    // Entries of this page's other translations for the same mode, CS and linear page: link, do not translate again.
    const linked: number[] = [];
    for (const mod of this.byPage.get(pagePa >>> 12) ?? []) {
      for (const t of mod.entries) {
        if (t.key % MODE_BITS === bits && t.csBase === cs.base && t.csLimit === cs.limit && (((t.csBase + t.eip) >>> 0) & ~0xfff) === pageLin) linked.push(t.eip);
      }
    }
    const tail = this.nextPage(pageLin);
    // Callee pages are chosen as the region forms on this thread (admitCallee), for code that dispatch() runs.
    const callees = this.strategy.calleePages && this.profiled && !(this.service && !this.strategy.asyncTierUpOnly)
      && this.dispatchableWith(cs.base, cs.limit, cpu.mode.protectedMode);
    return {
      key, pa, page: pagePa >>> 12, pageLin,
      bytes: mem.u8.slice(pagePa, pagePa + 4096),
      csBase: cs.base, csLimit: cs.limit, eip: cpu.eip, linked,
      ...(tail ? { tailBytes: mem.u8.slice(tail.pa, tail.pa + MAX_INSTRUCTION_LENGTH) } : {}),
      ...(this.profiled ? { executed: (this.executed.get(pagePa >>> 12) ?? new Uint8Array(512)).slice() } : {}),
      ...(this.strategy.regionLimits ? { limits: this.strategy.regionLimits } : {}),
      ...(callees ? { calleeLimit: this.strategy.calleePages, callees: [] } : {}),
      options: {
        memoryPages: this.memoryPages, stateBase: mem.host.state, tlbBase: mem.host.tlb,
        mode: { ...cpu.mode }, flatSegments: flatSegments(interp), csLimit: cs.limit,
        optimize: this.strategy.optimize, wantText: this.strategy.keepText,
        sensitive: this.strategy.sensitive ?? 'trap',
        ...(this.strategy.encoder ? { encoder: this.strategy.encoder } : {}),
        // Tier-up reads each module's count; otherwise one counter in the state block serves the stats.
        ...(this.strategy.tierUp ? { entryCounter: 'module' as const } : {}),
        directAccess: this.directEips(pagePa, pageLin, cs.base),
        ...(tail ? { tail } : {}),
      },
    };
  }

  /**
   * The frame the linear page after `pageLin` maps for fetches now, for
   * instructions that run into it (null: it does not map RAM, or the
   * 'verify' policy, whose saved bytes cover one page). Its code checks
   * the mapping again at run time.
   */
  private nextPage(pageLin: number): { lin: number; pa: number } | null {
    if (this.strategy.smc === 'verify' || pageLin === 0xfffff000) return null;
    const lin = pageLin + 0x1000;
    let pa: number;
    try {
      pa = this.interp.mmu.translate(lin, Access.Fetch);
    } catch {
      return null;
    }
    return pa + 0x1000 <= this.interp.mem.size ? { lin, pa } : null;
  }

  /**
   * The page holding `eip`, a CALL target a forming region met, if it may
   * join the region (CompileJob.callees): the TLB maps it to RAM for
   * fetches at the job's CPL now (no page walk: nothing of the guest's
   * changes) and the target has run. Its code checks the mapping again
   * at run time.
   */
  private admitCallee(job: CompileJob, eip: number): CalleePage | null {
    const mem = this.interp.mem;
    const lin = (job.csBase + eip) >>> 0;
    const e = mem.tlb[lin >>> 12]!;
    if ((e & tlbMask(Access.Fetch, job.options.mode.cpl === 3)) !== TLB_VALID) return null;
    const pa = (((e & ~0xfff) ^ lin) >>> 0) & ~0xfff;
    if (pa + 4096 > mem.size || pa >>> 12 === job.page) return null;
    const bits = this.executed.get(pa >>> 12);
    const off = lin & 0xfff;
    if (!bits || !ranAt(bits, off)) return null;
    const pageLin = (lin & ~0xfff) >>> 0;
    return { lin: pageLin, pa, bytes: mem.u8.slice(pa, pa + 4096), executed: bits.slice(), direct: this.directEips(pa, pageLin, job.csBase) };
  }

  /** The EIPs (through the job's linear page and CS) of the page's instructions with direct accesses. */
  private directEips(pagePa: number, pageLin: number, csBase: number): number[] {
    return [...this.directSites.get(pagePa >>> 12) ?? []].map((off) => ((pageLin | off) - csBase) >>> 0);
  }

  private markCodePage(page: number): void {
    const mem = this.interp.mem;
    if (!mem.codePages[page]) {
      mem.codePages[page] = 1;
      this.interp.mmu.codePageAdded();
    }
  }

  /**
   * Instantiate a compiled region and make its entries findable; `gen` is
   * its page's write generation when the job was made. A module compiled
   * below the tier-up level becomes a tier-up candidate; `tieredUp` says it
   * replaces one (it is counted apart from new regions).
   */
  private install(job: CompileJob, result: TranslatedJob, gen: number, tieredUp = false): Translation | null {
    const mem = this.interp.mem;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(result.binary as Uint8Array<ArrayBuffer>), { env: this.imports });
    let helperId = -1;
    if (result.helperSites.length) {
      helperId = this.helperIdsFree.pop() ?? this.helperFns.length;
      this.helperFns[helperId] = this.helperImport(job, result.helperSites);
      (instance.exports[HELPER_MODULE_ID] as WebAssembly.Global).value = helperId;
    }
    this.strategy.dump?.(`${job.pa.toString(16).padStart(8, '0')}-${(job.key % MODE_BITS).toString(16)}-${this.stats.compiles}`, result.binary);
    const bits = job.key % MODE_BITS;
    const keyOf = (eip: number): number => wholeKey(job.page, inPageKey((job.csBase + eip) >>> 0, bits));
    const up = this.strategy.tierUp;
    const candidate = up && !tieredUp && job.options.optimize < up.optimize;
    // Only the entry page's blocks and entries are looked up by their page (a callee page's code runs inside the region).
    const own = (eip: number): boolean => offsetIn(job, eip, job.pageLin) >= 0;
    const mod: CodeModule = {
      blockKeys: result.blocks.filter(own).map(keyOf),
      job,
      gen,
      entryCount: (instance.exports[ENTRY_COUNTER] as WebAssembly.Global | undefined) ?? null,
      helperId,
      run: instance.exports[RUN_EXPORT] as (entry: number) => number,
      tableIndex: -1,
      page: job.page,
      bytes: result.binary.length,
      byteStart: result.byteStart,
      byteEnd: result.byteEnd,
      tailPage: result.tailEnd > 0 ? job.options.tail!.pa >>> 12 : -1,
      tailEnd: result.tailEnd,
      callees: result.callees,
      saved: this.strategy.smc === 'verify' ? mem.u8.slice(job.page * 4096 + result.byteStart, job.page * 4096 + result.byteEnd) : null,
      entries: new Set(),
      text: result.text,
    };
    this.evictIfFull();
    this.modules.add(mod);
    this.liveBytes += mod.bytes;
    for (const key of mod.blockKeys) {
      const page = pageOfKey(key), k = inPageOfKey(key);
      this.blockKeys.set(page, k, (this.blockKeys.get(page, k) ?? 0) + 1);
    }
    if (candidate) this.tierCandidates.add(mod);
    for (const page of codePagesOf(mod)) {
      let set = this.byPage.get(page);
      if (!set) this.byPage.set(page, (set = new Set()));
      set.add(mod);
      this.markCodePage(page);
    }
    const cs = this.interp.cpu.segs[Seg.CS]!;
    const pm = job.options.mode.protectedMode;
    const dispatchable = this.dispatchableWith(cs.base, cs.limit, pm) && this.dispatchableWith(job.csBase, job.csLimit, pm);
    let primary: Translation | null = null;
    result.entries.forEach((eip, k) => {
      // An entry on a callee page is never entered: the entry page's mapping is checked only by entering there.
      if (!own(eip)) return;
      const key = keyOf(eip);
      const pa = Math.floor(key / MODE_BITS);
      const old = this.cache.get(job.page, inPageOfKey(key));
      // The entry the job was made for replaces an older translation (the same frame entered through another
      // virtual address, or an asynchronous race); another module's entry stays where it is.
      if (old && k > 0) return;
      if (old) this.dropEntry(old);
      const t: Translation = {
        key, eip, csBase: job.csBase, csLimit: job.csLimit, module: mod, entry: k, slot: -1,
      };
      this.cache.set(job.page, inPageOfKey(key), t);
      mod.entries.add(t);
      if (dispatchable) this.register(t, pa, bits);
      if (k === 0) primary = t;
    });
    if (mod.entries.size === 0) this.dropModule(mod);
    // Counts inside the new module were made while its code was interpreted (before it existed, or in
    // the interpreter's catching up with it): they start again.
    this.counts.deleteWhere(job.page, (k) => (k >>> 12) >= result.byteStart && (k >>> 12) < result.byteEnd);
    if (tieredUp) {
      this.stats.tieredUp++;
    } else {
      this.stats.compiles++;
      this.stats.wasmBytes += mod.bytes;
      this.stats.guestInstructionsTranslated += result.instructionCount;
    }
    this.stats.calleePages += result.callees.length;
    return primary;
  }

  /** 'verify' policy: are the guest bytes still those the module was made from? */
  private unchanged(mod: CodeModule): boolean {
    const u8 = this.interp.mem.u8;
    const base = mod.page * 4096 + mod.byteStart;
    const saved = mod.saved!;
    for (let k = 0; k < saved.length; k++) if (u8[base + k] !== saved[k]) return false;
    return true;
  }

  /** Wasm bytes of the live modules. */
  private liveBytes = 0;

  /** Forget one entry; the module goes when its last entry does. */
  private dropEntry(t: Translation): void {
    this.unregister(t);
    this.uncache(t);
    t.module.entries.delete(t);
    if (t.module.entries.size === 0) this.dropModule(t.module);
  }

  /** Remove the translation from the cache (if it is still the one there). */
  private uncache(t: Translation): void {
    const page = pageOfKey(t.key), k = inPageOfKey(t.key);
    if (this.cache.get(page, k) === t) this.cache.delete(page, k);
  }

  /** Forget a module and every entry of it. */
  private dropModule(mod: CodeModule): void {
    if (!this.modules.delete(mod)) return;
    if (mod.entryCount) this.droppedEntries += (mod.entryCount.value as number) >>> 0;
    this.tierCandidates.delete(mod);
    this.liveBytes -= mod.bytes;
    if (mod.helperId >= 0) {
      // Its code does not run again (nothing finds it now), and code running now leaves at once (a
      // module is dropped from a runtime call only by a write to its code): the number can be reused.
      this.helperFns[mod.helperId] = undefined;
      this.helperIdsFree.push(mod.helperId);
    }
    for (const key of mod.blockKeys) {
      const page = pageOfKey(key), k = inPageOfKey(key);
      const n = (this.blockKeys.get(page, k) ?? 1) - 1;
      if (n) this.blockKeys.set(page, k, n); else this.blockKeys.delete(page, k);
    }
    for (const t of mod.entries) {
      this.unregister(t);
      this.uncache(t);
    }
    mod.entries.clear();
    if (mod.tableIndex >= 0) {
      this.table.set(mod.tableIndex, null);
      this.freeIndices.push(mod.tableIndex);
      mod.tableIndex = -1;
    }
    for (const page of codePagesOf(mod)) {
      const set = this.byPage.get(page);
      set?.delete(mod);
      if (set && set.size === 0) this.byPage.delete(page);
    }
  }

  private evictIfFull(): void {
    const max = this.strategy.maxTranslations ?? 16384;
    const maxBytes = this.strategy.maxWasmBytes ?? 256 << 20;
    while (this.modules.size > 0 && (this.cache.size >= max || this.liveBytes >= maxBytes)) {
      const oldest = this.modules.values().next().value as CodeModule;
      this.dropModule(oldest);
      this.stats.evictions++;
    }
  }

  /** Instructions retired since creation (interpreted and translated). */
  get retired(): number {
    return this.interp.retired;
  }

  /** The translation's text (when the strategy keeps it), for debugging. */
  textAt(): string | undefined {
    return this.currentKey() ? this.cache.get(this.curPage, this.curInPage)?.module.text : undefined;
  }

  /**
   * One instruction in the interpreter, charged to the budget. An
   * instruction that starts debugging (TF set by POPF, a breakpoint enabled
   * by MOV DR7) ends the interpreter's slice by zeroing the budget, for a
   * caller that switches to the interpreter then; this run carries on
   * instead, in the interpreter while debugStepping() holds.
   */
  private step(): VmExit | null {
    const interp = this.interp;
    const st = interp.cpu.state;
    const left = st[StateSlot.Budget]! - 1;
    st[StateSlot.Budget] = left;
    this.stats.interpretedSteps++;
    const exit = interp.stepExit();
    // After an exit the next run starts where the VMM left the guest: a block start.
    this.atBlockStart = exit !== null || interp.endedBlock;
    if (!exit && debugStepping(interp.cpu)) st[StateSlot.Budget] = left;
    return exit;
  }

  /** The linear address of the current EIP (CS base + EIP). */
  private linearEip(): number {
    const cpu = this.interp.cpu;
    return (cpu.segs[Seg.CS]!.base + cpu.eip) >>> 0;
  }

  /** Run until a VM exit or until `budget` instructions have retired. */
  run(budget: number): VmExit | { reason: typeof BUDGET_EXHAUSTED } {
    // A run resuming the straight-line code the last one stopped in is not at a block start; anything else
    // (an event delivered, the interpreter run by the vCPU, an exit's emulation) is.
    if (!this.atBlockStart && this.linearEip() !== this.straightLin) this.atBlockStart = true;
    const exit = this.runSlice(budget);
    this.straightLin = this.atBlockStart ? -1 : this.linearEip();
    return exit;
  }

  /**
   * Did the last instruction set the IF an event waits for (StateSlot.
   * IntrWaiting)? Then the run ends at this boundary, where the vCPU takes it.
   */
  private eventWindowOpened(): boolean {
    const cpu = this.interp.cpu;
    return cpu.state[StateSlot.IntrWaiting] !== 0 && (cpu.flags & Flag.IF) !== 0;
  }

  private runSlice(budget: number): VmExit | { reason: typeof BUDGET_EXHAUSTED } {
    const interp = this.interp;
    const cpu = interp.cpu;
    const st = cpu.state;
    if (this.tierCandidates.size) this.tierUp();
    this.foldEntries();
    st[StateSlot.Budget] = budget;
    const started = interp.retired;
    while (st[StateSlot.Budget]! > 0) {
      if (cpu.halted) return { reason: ExitReason.Hlt };
      if (this.eventWindowOpened()) return { reason: BUDGET_EXHAUSTED };
      if (debugStepping(cpu)) {
        // Translated code neither single-steps nor checks breakpoints: the interpreter runs.
        const exit = this.step();
        if (exit) return exit;
        continue;
      }
      if (!this.atBlockStart) {
        // Straight-line code in the interpreter: no translation begins here, and nothing is counted.
        const exit = this.step();
        if (exit) return exit;
        if (interp.backend.jumped && this.midBlock) this.midBlock = this.atTranslatedBlock();
        continue;
      }
      let code: number = JitExit.Miss;
      if (this.dispatchable()) {
        // Stay in Wasm for as long as translated code keeps finding translated code.
        st[StateSlot.ModeBits] = this.modeBits();
        st[StateSlot.FetchMask] = tlbMask(Access.Fetch, cpu.cpl === 3);
        const before = st[StateSlot.Budget]!;
        this.runBudget = before;
        this.pending = null;
        code = this.support.dispatch();
        interp.retired += this.runBudget - st[StateSlot.Budget]!;
        // Translated code ran: where it stopped is a block start.
        if (st[StateSlot.Budget] !== before) this.midBlock = false;
        this.stats.dispatches++;
      }
      if (code === JitExit.Miss) {
        const t = this.lookup();
        if (!t) {
          const exit = this.step();
          if (exit) return exit;
          // A control transfer lands on a block start: hotness counts again from there, unless it is a
          // block of a translation (the interpreter catches up with translated code).
          if (interp.backend.jumped && this.midBlock) this.midBlock = this.atTranslatedBlock();
          continue;
        }
        const before = st[StateSlot.Budget]!;
        this.runBudget = before;
        this.pending = null;
        this.running = t.module;
        code = t.module.run(t.entry);
        this.running = null;
        interp.retired += this.runBudget - st[StateSlot.Budget]!;
      }
      // Translated code returns at block boundaries (the instruction of a Slow or Vmm exit is then stepped).
      this.atBlockStart = true;
      this.midBlock = false;
      switch (code) {
        case JitExit.Continue:
          break;
        case JitExit.Budget:
          // Translated STI or POPF left after setting IF.
          if (this.eventWindowOpened()) return { reason: BUDGET_EXHAUSTED };
          // The path to the next budget test is longer than the budget left. Stop at the test if the
          // strategy allows and this run made progress; else finish the slice
          if (this.strategy.budget === 'approximate' && interp.retired > started) return { reason: BUDGET_EXHAUSTED };
          // The path to the next budget check is longer than the budget left: finish the slice
          // instruction by instruction. The slice then ends in the middle of a block (unless its
          // last instruction transferred control).
          while (st[StateSlot.Budget]! > 0) {
            this.midBlock = true;
            const exit = this.step();
            if (exit) return exit;
            if (interp.backend.jumped) this.midBlock = this.atTranslatedBlock();
          }
          break;
        case JitExit.Slow:
        case JitExit.Vmm: {
          if (code === JitExit.Slow) {
            // An access of translated code missed the TLB: the interpreter runs that instruction (filling the
            // TLB, faulting, or reaching a device), then carries on to the next entry of translated code.
            this.stats.slowExits++;
            if (this.strategy.sensitive === 'inline') this.noteSlowSite();
          } else {
            // An inline sensitive instruction needs the VMM: the trap path (the interpreter's hypercall) runs it.
            this.stats.inlineToVmm++;
          }
          const exit = this.step();
          if (exit) return exit;
          this.midBlock = interp.backend.jumped ? this.atTranslatedBlock() : true;
          break;
        }
        case JitExit.Fault:
          return { reason: ExitReason.ExceptionOrNmi, fault: new GuestFault(st[StateSlot.ExitArg]!, st[StateSlot.ExitError]!) };
        case JitExit.Trap:
          return { reason: ExitReason.ExceptionOrNmi, fault: new GuestFault(st[StateSlot.ExitArg]!, 0, 0, true) };
        case JitExit.Exception: {
          const e = this.pending;
          this.pending = null;
          st[StateSlot.Raised] = 0;
          // A helper's store changed translated code: carry on at the EIP it left in the state block.
          if (e === CODE_CHANGED) break;
          return exitOf(e);
        }
        default:
          throw new Error(`translated code returned ${code}`);
      }
    }
    return { reason: BUDGET_EXHAUSTED };
  }

  /**
   * End run() at the next budget test (ExecutionTier.endSliceEarly: the vCPU's,
   * when a device raised INTR during the slice). The state block's budget
   * goes to 0, as the interpreter's endSlice() does: run() and the
   * dispatcher test it between translations, so an access from the
   * interpreter (an I/O instruction, a TLB miss in a loop) ends the run
   * right after its instruction. From a runtime call inside translated
   * code (which stored its budget local there for the call), the code
   * reads the budget back after the call (EmitBackend.budgetFromState)
   * and leaves at its next budget test; the instructions the cut removes
   * come off runBudget, so that the retired count stays exact.
   */
  endSliceEarly(): void {
    const st = this.interp.cpu.state;
    this.runBudget -= st[StateSlot.Budget]!;
    st[StateSlot.Budget] = 0;
  }
}
