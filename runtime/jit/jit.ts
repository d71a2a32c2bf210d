/**
 * The JIT tier: looks the current EIP up in the translation cache, runs
 * translated regions, compiles hot ones, and falls back to the reference
 * interpreter for one instruction where no translation can exist (a
 * sensitive instruction is a hypervisor call answered by the VMM there).
 *
 * Translations are keyed by the physical address of their entry and the
 * mode bits their code was specialised for; they are dropped when their
 * physical page is written (the write takes the TLB's slow path because the
 * page is marked as holding code).
 */
import { type CompileOptions, compileRegion } from '../../translator/emit/compile.js';
import { buildSupportModule } from '../../translator/emit/support.js';
import { JitExit, IMPORTS } from '../../translator/emit/emit-backend.js';
import { DEFAULT_LIMITS, formRegion } from '../../translator/emit/region.js';
import { Seg, type Size } from '../../translator/table/types.js';
import { StateSlot } from '../cpu.js';
import { GuestFault } from '../exceptions.js';
import { ExitReason } from '../exit-reason.js';
import { BUDGET_EXHAUSTED, exitOf, type Interpreter, type VmExit } from '../interpreter.js';
import { Access, tlbMask } from '../mmu.js';
import { CODE_HASH_DELETED, CODE_HASH_EMPTY, CODE_HASH_PROBES, CODE_HASH_SLOTS, codeHashStart } from '../host-area.js';

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
   * Self-modifying code: 'page' drops every translation of a written page;
   * 'subpage' only those whose guest bytes overlap the write; 'verify'
   * keeps them and compares the saved guest bytes when a translation is
   * entered. In every policy a write into the region that is running ends
   * it after the writing instruction, so the rest runs the new bytes.
   */
  readonly smc: 'page' | 'subpage' | 'verify';
  /** Called with every compiled module (`npx wasmvisor --dump-wasm DIR` writes them and their wabt text). */
  readonly dump?: (name: string, binary: Uint8Array) => void;
}

export interface JitStats {
  hits: number;
  misses: number;
  compiles: number;
  evictions: number;
  invalidations: number;
  wasmBytes: number;
  guestInstructionsTranslated: number;
  compileMs: number;
  interpretedSteps: number;
  /** Entries into the Wasm dispatcher (each returns when translated code needs the runtime). */
  dispatches: number;
  /** Asynchronous compilation: jobs submitted, and results dropped because their page changed meanwhile. */
  asyncSubmitted: number;
  asyncDiscarded: number;
}

interface Translation {
  readonly key: number;
  /** The entry's EIP: its code has the virtual EIPs of this entry built in, so an alias of the frame is another translation. */
  readonly eip: number;
  readonly page: number;
  readonly csBase: number;
  readonly csLimit: number;
  readonly run: () => number;
  readonly bytes: number;
  /** Guest bytes translated: offsets within the page. */
  readonly byteStart: number;
  readonly byteEnd: number;
  /** For the 'verify' policy: the guest bytes the translation was made from. */
  readonly saved: Uint8Array | null;
  /** Where dispatch() finds it: function-table index and code-hash slot (null when not registered). */
  slot: { index: number; at: number } | null;
  readonly text?: string;
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
  readonly options: CompileOptions;
}

export interface TranslatedJob {
  readonly binary: Uint8Array;
  readonly text?: string;
  readonly byteStart: number;
  readonly byteEnd: number;
  readonly instructionCount: number;
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

/** Form and compile the region of a job (pure: runs on any thread). */
export function translateJob(job: CompileJob): TranslatedJob | null {
  const started = performance.now();
  const readByte = (e: number): number => {
    if (e > job.csLimit) return -1;
    const l = (job.csBase + e) >>> 0;
    if ((l & ~0xfff) !== job.pageLin) return -1;
    return job.bytes[l & 0xfff]!;
  };
  const region = formRegion(readByte, job.eip, job.options.mode.code32, DEFAULT_LIMITS);
  if (!region) return null;
  const compiled = compileRegion(region, job.options);
  return {
    binary: compiled.binary, text: compiled.text, byteStart: region.byteStart, byteEnd: region.byteEnd,
    instructionCount: region.instructionCount, ms: performance.now() - started,
  };
}

/** Segments flat enough for the inline fast path: usable read/write data, base 0, limit 4 GiB. */
function flatSegments(interp: Interpreter): number {
  let mask = 0;
  const segs = interp.cpu.segs;
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) {
    const c = segs[s]!;
    const type = c.access & 0xf;
    const dataRw = (type & 0xa) === 0x2; // data, writable, expand-up (bit 2 clear checked below)
    if (!c.unusable && c.base === 0 && c.limit === 0xffffffff && dataRw && !(type & 4)) mask |= 1 << s;
  }
  if (!interp.cpu.mode.protectedMode) mask = 0;
  return mask;
}

export class JitTier {
  readonly stats: JitStats = { hits: 0, misses: 0, compiles: 0, evictions: 0, invalidations: 0, wasmBytes: 0, guestInstructionsTranslated: 0, compileMs: 0, interpretedSteps: 0, dispatches: 0, asyncSubmitted: 0, asyncDiscarded: 0 };
  private readonly cache = new Map<number, Translation>();
  private readonly byPage = new Map<number, Set<number>>();
  private readonly counts = new Map<number, number>();
  private readonly untranslatable = new Set<number>();
  /** An exception a runtime call raised inside translated code. */
  private pending: unknown = null;
  /** Set when a write invalidated translated code (for the SMC exit of the running region). */
  private invalidated = false;
  /** Asynchronous compilation: keys and pages with a job in flight, and per-page write generations. */
  private readonly pendingJobs = new Set<number>();
  private readonly pendingPages = new Map<number, number>();
  private readonly pageGen = new Map<number, number>();
  /** The translation that is running (for the 'verify' policy's check of writes into it). */
  private running: Translation | null = null;
  private readonly imports: WebAssembly.Imports;
  private readonly memoryPages: number;
  /** Every registered region's run(), for dispatch()'s call_indirect. */
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 64 });
  private readonly freeIndices: number[] = [];
  /** The code hash table in the host area (see runtime/host-area.ts). */
  private readonly codeHash: Int32Array;
  private readonly support: { flagsWord: () => number; carryFlag: () => number; dispatch: () => number };

  constructor(readonly interp: Interpreter, readonly strategy: JitStrategy, private readonly service: CompileService | null = null) {
    const b = interp.backend;
    const cpu = interp.cpu;
    const st = cpu.state;
    const mem = interp.mem;
    this.memoryPages = mem.memory.buffer.byteLength / 65536;
    for (let k = this.table.length - 1; k >= 0; k--) this.freeIndices.push(k);
    this.codeHash = new Int32Array(mem.memory.buffer, mem.host.codeHash, CODE_HASH_SLOTS * 4);
    for (let k = 0; k < CODE_HASH_SLOTS; k++) this.codeHash[k * 4 + 1] = CODE_HASH_EMPTY;
    this.support = JitTier.support(mem.memory, this.table, this.memoryPages, mem.host);
    interp.codeHolders.push((pa, len) => this.codeWritten(pa, len));
    const fail = (e: unknown, eip: number, left: number): never => {
      st[StateSlot.Eip] = eip;
      st[StateSlot.Budget] = st[StateSlot.Budget]! + left;
      this.pending = e;
      throw e;
    };
    this.imports = {
      env: {
        memory: mem.memory,
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
        // Materialising lazy flags stays in Wasm: the support module's flagsWord().
        [IMPORTS.flagsWord.name]: this.support.flagsWord,
        [IMPORTS.carryFlag.name]: this.support.carryFlag,
        [IMPORTS.sreg.name]: (s: number): number => cpu.segs[s]!.selector,
      },
    };
  }

  /** Instantiate the support module (flagsWord, dispatch) on this guest memory and function table. */
  private static support(memory: WebAssembly.Memory, table: WebAssembly.Table, pages: number, host: { state: number; tlb: number; codeHash: number }): { flagsWord: () => number; carryFlag: () => number; dispatch: () => number } {
    const binary = buildSupportModule(pages, host.state, host.tlb, host.codeHash);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), { env: { memory, table } });
    return { flagsWord: instance.exports.flagsWord as () => number, carryFlag: instance.exports.carryFlag as () => number, dispatch: instance.exports.dispatch as () => number };
  }

  /** Put a translation in the function table and the code hash table, where dispatch() finds it. */
  private register(t: Translation, pa: number, bits: number): void {
    const index = this.freeIndices.pop() ?? this.table.grow(1);
    this.table.set(index, t.run);
    const h = this.codeHash;
    let at = codeHashStart(pa, bits);
    for (let k = 0; k < CODE_HASH_PROBES; k++, at = (at + 1) & (CODE_HASH_SLOTS - 1)) {
      const mode = h[at * 4 + 1]!;
      if (mode === CODE_HASH_EMPTY || mode === CODE_HASH_DELETED || (h[at * 4] === (pa | 0) && mode === bits)) {
        h[at * 4] = pa;
        h[at * 4 + 2] = index;
        h[at * 4 + 3] = t.eip;
        h[at * 4 + 1] = bits;
        t.slot = { index, at };
        return;
      }
    }
    // No room within the probe window: the runtime's own lookup still finds it.
    this.table.set(index, null);
    this.freeIndices.push(index);
  }

  private unregister(t: Translation): void {
    if (!t.slot) return;
    this.codeHash[t.slot.at * 4 + 1] = CODE_HASH_DELETED;
    this.table.set(t.slot.index, null);
    this.freeIndices.push(t.slot.index);
    t.slot = null;
  }

  /**
   * A write hit a physical page holding translations: drop those the SMC
   * policy says are stale (every one in the page, or only those whose
   * guest bytes overlap the write). Returns whether any remain in the page.
   */
  private codeWritten(pa: number, len: number): boolean {
    const page = pa >>> 12;
    this.pageGen.set(page, (this.pageGen.get(page) ?? 0) + 1);
    const keys = this.byPage.get(page);
    if (!keys) return this.pendingPages.has(page);
    const off = pa & 0xfff;
    const overlaps = (t: Translation): boolean => t.byteStart < off + len && off < t.byteEnd;
    if (this.strategy.smc === 'verify') {
      // Translations stay; they are checked when next entered. Only the running one must stop now.
      if (this.running && this.running.page === page && overlaps(this.running)) this.invalidated = true;
      return true;
    }
    for (const k of keys) {
      const t = this.cache.get(k);
      if (t && this.strategy.smc === 'subpage' && !overlaps(t)) continue;
      if (t) this.drop(t);
      else this.cache.delete(k);
      keys.delete(k);
      this.stats.invalidations++;
      this.invalidated = true;
    }
    for (const k of [...this.untranslatable]) if (Math.floor(k / 4096 / 4096) === page) this.untranslatable.delete(k);
    if (keys.size === 0) this.byPage.delete(page);
    return keys.size > 0 || this.pendingPages.has(page);
  }

  /** Cache key of the current EIP: physical address and mode bits; null if the fetch would fault. */
  private currentKey(): { key: number; pa: number; lin: number } | null {
    const cpu = this.interp.cpu;
    const cs = cpu.segs[Seg.CS]!;
    const eip = cpu.eip;
    if (eip > cs.limit) return null;
    const lin = (cs.base + eip) >>> 0;
    let pa: number;
    try {
      pa = this.interp.mmu.translate(lin, Access.Fetch);
    } catch {
      return null; // the interpreter raises the fault
    }
    if (pa >= this.interp.mem.size) return null;
    const m = cpu.mode;
    return { key: pa * 4096 + this.modeBits(), pa, lin };
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
    const cur = this.currentKey();
    if (!cur) return null;
    const cs = this.interp.cpu.segs[Seg.CS]!;
    const t = this.cache.get(cur.key);
    if (t && t.csBase === cs.base && t.csLimit === cs.limit && t.eip === this.interp.cpu.eip) {
      if (!t.saved || this.unchanged(t)) {
        this.stats.hits++;
        return t;
      }
      this.drop(t);
      this.stats.invalidations++;
    }
    this.stats.misses++;
    if (this.untranslatable.has(cur.key)) return null;
    const n = (this.counts.get(cur.key) ?? 0) + 1;
    if (n <= this.strategy.threshold) {
      this.counts.set(cur.key, n);
      return null;
    }
    this.counts.delete(cur.key);
    return this.compile(cur.key, cur.pa, cur.lin);
  }

  private compile(key: number, pa: number, lin: number): Translation | null {
    const job = this.jobFor(key, pa, lin);
    if (this.service) {
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
        this.stats.compileMs += result?.ms ?? 0;
        if ((this.pageGen.get(job.page) ?? 0) !== gen) { this.stats.asyncDiscarded++; return; }
        if (!result) { this.untranslatable.add(key); return; }
        this.install(job, result);
      });
      return null;
    }
    const result = translateJob(job);
    this.stats.compileMs += result?.ms ?? 0;
    if (!result) {
      this.untranslatable.add(key);
      return null;
    }
    return this.install(job, result);
  }

  /** Everything a compilation needs, as plain data (it may run in another thread). */
  private jobFor(key: number, pa: number, lin: number): CompileJob {
    const interp = this.interp;
    const cpu = interp.cpu;
    const cs = cpu.segs[Seg.CS]!;
    const mem = interp.mem;
    const pagePa = pa & ~0xfff;
    return {
      key, pa, page: pagePa >>> 12, pageLin: lin & ~0xfff,
      bytes: mem.u8.slice(pagePa, pagePa + 4096),
      csBase: cs.base, csLimit: cs.limit, eip: cpu.eip,
      options: {
        memoryPages: this.memoryPages, stateBase: mem.host.state, tlbBase: mem.host.tlb,
        mode: { ...cpu.mode }, flatSegments: flatSegments(interp), csLimit: cs.limit,
        optimize: this.strategy.optimize, wantText: this.strategy.keepText,
      },
    };
  }

  private markCodePage(page: number): void {
    const mem = this.interp.mem;
    if (!mem.codePages[page]) {
      mem.codePages[page] = 1;
      this.interp.mmu.codePageAdded();
    }
  }

  /** Instantiate a compiled region and make it findable. */
  private install(job: CompileJob, result: TranslatedJob): Translation {
    const mem = this.interp.mem;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(result.binary as Uint8Array<ArrayBuffer>), this.imports);
    this.strategy.dump?.(`${job.pa.toString(16).padStart(8, '0')}-${(job.key % 4096).toString(16)}-${this.stats.compiles}`, result.binary);
    const t: Translation = {
      key: job.key, eip: job.eip, page: job.page, csBase: job.csBase, csLimit: job.csLimit,
      run: instance.exports.run as () => number,
      bytes: result.binary.length,
      byteStart: result.byteStart,
      byteEnd: result.byteEnd,
      saved: this.strategy.smc === 'verify' ? mem.u8.slice(job.page * 4096 + result.byteStart, job.page * 4096 + result.byteEnd) : null,
      slot: null,
      text: result.text,
    };
    this.evictIfFull();
    // The same frame entered through another virtual address replaces the old translation.
    const old = this.cache.get(job.key);
    if (old) this.drop(old);
    this.cache.set(job.key, t);
    this.liveBytes += t.bytes;
    const cs = this.interp.cpu.segs[Seg.CS]!;
    const pm = job.options.mode.protectedMode;
    if (this.dispatchableWith(cs.base, cs.limit, pm) && this.dispatchableWith(job.csBase, job.csLimit, pm)) {
      this.register(t, job.pa, job.key % 4096);
    }
    let set = this.byPage.get(job.page);
    if (!set) this.byPage.set(job.page, (set = new Set()));
    set.add(job.key);
    this.markCodePage(job.page);
    this.stats.compiles++;
    this.stats.wasmBytes += t.bytes;
    this.stats.guestInstructionsTranslated += result.instructionCount;
    return t;
  }

  /** 'verify' policy: are the guest bytes still those the translation was made from? */
  private unchanged(t: Translation): boolean {
    const u8 = this.interp.mem.u8;
    const base = t.page * 4096 + t.byteStart;
    const saved = t.saved!;
    for (let k = 0; k < saved.length; k++) if (u8[base + k] !== saved[k]) return false;
    return true;
  }

  /** Wasm bytes of the live translations. */
  private liveBytes = 0;

  private drop(t: Translation): void {
    this.liveBytes -= t.bytes;
    this.unregister(t);
    this.cache.delete(t.key);
    const set = this.byPage.get(t.page);
    set?.delete(t.key);
    if (set && set.size === 0) this.byPage.delete(t.page);
  }

  private evictIfFull(): void {
    const max = this.strategy.maxTranslations ?? 16384;
    const maxBytes = this.strategy.maxWasmBytes ?? 256 << 20;
    while (this.cache.size >= max || (this.cache.size > 0 && this.liveBytes >= maxBytes)) {
      const oldest = this.cache.keys().next().value as number;
      this.drop(this.cache.get(oldest)!);
      this.stats.evictions++;
    }
  }

  /** Instructions retired since creation (interpreted and translated). */
  get retired(): number {
    return this.interp.retired;
  }

  /** The translation's text (when the strategy keeps it), for debugging. */
  textAt(): string | undefined {
    const cur = this.currentKey();
    return cur ? this.cache.get(cur.key)?.text : undefined;
  }

  /** Run until a VM exit or until `budget` instructions have retired. */
  run(budget: number): VmExit | { reason: typeof BUDGET_EXHAUSTED } {
    const interp = this.interp;
    const cpu = interp.cpu;
    const st = cpu.state;
    st[StateSlot.Budget] = budget;
    while (st[StateSlot.Budget]! > 0) {
      if (cpu.halted) return { reason: ExitReason.Hlt };
      let code: number = JitExit.Miss;
      if (this.dispatchable()) {
        // Stay in Wasm for as long as translated code keeps finding translated code.
        st[StateSlot.ModeBits] = this.modeBits();
        st[StateSlot.FetchMask] = tlbMask(Access.Fetch, cpu.cpl === 3);
        const before = st[StateSlot.Budget]!;
        this.pending = null;
        code = this.support.dispatch();
        interp.retired += before - st[StateSlot.Budget]!;
        this.stats.dispatches++;
      }
      if (code === JitExit.Miss) {
        const t = this.lookup();
        if (!t) {
          this.stats.interpretedSteps++;
          st[StateSlot.Budget] = st[StateSlot.Budget]! - 1;
          const exit = interp.stepExit();
          if (exit) return exit;
          continue;
        }
        const before = st[StateSlot.Budget]!;
        this.pending = null;
        this.running = t;
        code = t.run();
        this.running = null;
        interp.retired += before - st[StateSlot.Budget]!;
      }
      switch (code) {
        case JitExit.Continue:
          break;
        case JitExit.Budget:
          // The next block is longer than the budget left: finish the slice instruction by instruction.
          while (st[StateSlot.Budget]! > 0) {
            st[StateSlot.Budget] = st[StateSlot.Budget]! - 1;
            this.stats.interpretedSteps++;
            const exit = interp.stepExit();
            if (exit) return exit;
          }
          break;
        case JitExit.Fault:
          return { reason: ExitReason.ExceptionOrNmi, fault: new GuestFault(st[StateSlot.ExitArg]!, st[StateSlot.ExitError]!) };
        case JitExit.Trap:
          return { reason: ExitReason.ExceptionOrNmi, fault: new GuestFault(st[StateSlot.ExitArg]!, 0, 0, true) };
        case JitExit.Exception: {
          const e = this.pending;
          this.pending = null;
          return exitOf(e);
        }
        default:
          throw new Error(`translated code returned ${code}`);
      }
    }
    return { reason: BUDGET_EXHAUSTED };
  }
}
