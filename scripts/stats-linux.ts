/**
 * What a Linux guest's steady-state workload costs, apart from its boot:
 *   node scripts/run.mjs scripts/stats-linux.ts [--strategy jit-hot] [--cmd 'i=0; ...'] [--chunk 200000]
 *     [--paging nested|shadow] [--cpu-prof out.cpuprofile] [--top 30] [--no-syms] [--max-blocks N] [--count-entries]
 * boots the kernel as the CLI does (paced clock, 256 MiB, runAsync), the
 * guest printing a marker before and after `--cmd`. Between the markers it
 * counts JIT statistics, VM exits by reason, paging counters, host and CPU
 * time, retired instructions, and samples the guest EIP every `--chunk`
 * instructions; with --cpu-prof the host's V8 profiler runs between the
 * markers only and its top functions by self time are printed (the
 * instructions the JIT interpreted are then not listed: counting them
 * would show in the profile). --max-blocks N runs the strategy with
 * regions of at most N blocks (JitStrategy.regionLimits); --count-entries
 * sums the region entries (the modules' entry counters). After the
 * second marker the guest prints its kernel text symbols (from
 * /proc/kallsyms, so KASLR does not matter), to name the sampled EIPs.
 */
import { createMachine } from '../src/machine.js';
import { loadLinux, readInitrdFile } from '../src/loaders/linux.js';
import { readImageFile } from '../src/loaders/flat.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { JitTier } from '../runtime/jit/jit.js';
import { DEFAULT_LIMITS } from '../translator/emit/region.js';
import { threadCpuSeconds } from '../bench/cpu-time.js';
import { Access, type PagingPolicyName } from '../runtime/mmu.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { readKallsyms, symbolAt } from './kallsyms.js';
// binaryen.js before anything runs: the strategies this tool may run build modules with it.
import '../translator/emit/binaryen-ready.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 && k + 1 < args.length ? args[k + 1]! : dflt;
};
const cache = join(PROJECT_ROOT, 'guests', 'linux', 'cache');
const strategy = opt('strategy', 'jit-hot');
const cmd = opt('cmd', 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo $i');
const chunk = Number(opt('chunk', '200000'));
const top = Number(opt('top', '30'));
const profPath = opt('cpu-prof', '');
const syms = !args.includes('--no-syms');
// The kernel echoes its command line: the markers appear there only as WV$((1))BEGIN and so on.
const BEGIN = 'WV1BEGIN';
const END = 'WV1END';
const tail = syms ? `; grep ' [tTwW] ' /proc/kallsyms; echo WV$((1))SYMS` : '';
const append = `console=ttyS0 cryptomgr.notests wasmvisor.cmd="echo WV$((1))BEGIN; ${cmd}; echo WV$((1))END${tail}"`;

let out = '';
const decoder = new TextDecoder();
const paging = opt('paging', '') as PagingPolicyName | '';
const machine = createMachine({ memoryMiB: 256, tier: strategy, clock: 'paced', serial: (b) => { out += decoder.decode(b); }, ...(paging ? { paging } : {}) });
const kernel = opt('kernel', join(cache, 'vmlinuz-686'));
const boot = (): void => {
  loadLinux(machine, readImageFile(kernel), { initrd: readInitrdFile(opt('initrd', join(cache, 'initramfs-686.cpio.gz'))), cmdline: append, name: kernel });
};
boot();
machine.setBoot(boot);
// --count-entries: every module keeps its entry counter (the tier-up one, at a level never reached), so the
// region entries between the markers can be summed. JitTier's modules and candidates are private: reached
// through a cast, for this tool only.
const countEntries = args.includes('--count-entries');
interface CountedJit { modules: Set<{ counter: WebAssembly.Global | null }>; tierCandidates: Set<unknown> }
// --max-blocks N: the strategy with regions of at most N blocks (JitStrategy.regionLimits).
const maxBlocks = opt('max-blocks', '');
if ((countEntries || maxBlocks) && machine.jit) {
  machine.useJit(new JitTier(machine.interpreter, {
    ...machine.jit.strategy, name: `${strategy}-custom`,
    ...(countEntries ? { tierUp: { entries: 2 ** 30, optimize: 9 } } : {}),
    ...(maxBlocks ? { regionLimits: { ...DEFAULT_LIMITS, maxBlocks: Number(maxBlocks) } } : {}),
  }));
}
const entriesNow = (): number => {
  let n = 0;
  for (const mod of (machine.jit as unknown as CountedJit).modules) n += (mod.counter?.value as number | undefined) ?? 0;
  return n;
};

interface Snapshot {
  retired: number; ms: number; cpuMs: number; threadS: number;
  jit: Record<string, number>; exits: Map<string, { count: number; ms: number }>; paging: Record<string, number>;
}
const snapshot = (): Snapshot => {
  const used = process.cpuUsage();
  return {
    retired: machine.interpreter.retired, ms: performance.now(), cpuMs: (used.user + used.system) / 1000, threadS: threadCpuSeconds(),
    jit: machine.jit ? { ...machine.jit.stats, ...(countEntries ? { regionEntries: entriesNow() } : {}) } as unknown as Record<string, number> : {},
    exits: new Map(machine.exitStats().map((r) => [r.name, { count: r.count, ms: r.ms }])),
    paging: { ...machine.interpreter.mmu.counters } as unknown as Record<string, number>,
  };
};

interface Sample { eip: number; cpl: number; halted: boolean }
const samples: Sample[] = [];
let begin: Snapshot | null = null;
let end: Snapshot | null = null;
const session = profPath ? new Session() : null;
session?.connect();
// Instructions the JIT interpreted between the markers (JitTier.step is private: reached through a cast, for this
// tool only). Counting them costs host time, so a run with --cpu-prof leaves them out of its profile.
const stepped = new Map<string, number>();
let tracing = false;
if (machine.jit && !profPath) {
  const jit = machine.jit as unknown as { step(): unknown; midBlock: boolean };
  const step = jit.step.bind(jit);
  jit.step = () => {
    if (tracing) {
      const cpu = machine.cpu;
      const lin = (cpu.segs[1]!.base + cpu.eip) >>> 0;
      let bytes = '';
      try {
        const pa = machine.interpreter.mmu.translate(lin, Access.Fetch);
        for (let k = 0; k < 6; k++) bytes += machine.mem.u8[pa + k]!.toString(16).padStart(2, '0');
      } catch { bytes = '?'; }
      const key = `${lin.toString(16).padStart(8, '0')} cpl${cpu.cpl} ${bytes}${jit.midBlock ? ' mid' : ''}`;
      stepped.set(key, (stepped.get(key) ?? 0) + 1);
    }
    return step();
  };
}
const bootStart = performance.now();
for (;;) {
  const r = await machine.runAsync({ maxInstructions: chunk });
  // Nothing is ever tiered up: tierUp() need not look at the candidates on every run.
  if (countEntries) (machine.jit as unknown as CountedJit).tierCandidates.clear();
  if (!begin && out.includes(BEGIN)) {
    begin = snapshot();
    console.log(`boot to the first marker: ${((begin.ms - bootStart) / 1000).toFixed(1)} s, ${(begin.retired / 1e9).toFixed(3)} G instructions`);
    if (machine.jit) console.log(`JIT at the first marker: ${JSON.stringify(machine.jit.stats)}`);
    tracing = true;
    if (session) {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
  } else if (begin && !end) {
    const cpu = machine.cpu;
    samples.push({ eip: cpu.eip >>> 0, cpl: cpu.cpl, halted: cpu.halted });
    if (out.includes(END)) {
      end = snapshot();
      tracing = false;
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(profPath, JSON.stringify(profile));
        printProfile(profile);
      }
      if (!syms) break;
    }
  }
  if (end && out.includes('WV1SYMS\n')) break;
  if (r.outcome.kind !== 'instruction-limit') break;
}
if (!begin || !end) {
  console.log(`markers not seen (begin ${!!begin}, end ${!!end}); console tail:\n${out.slice(-2000)}`);
  process.exit(1);
}

const insns = end.retired - begin.retired;
const ms = end.ms - begin.ms;
console.log(`--- between the markers: ${(insns / 1e6).toFixed(1)} M instructions, ${(ms / 1000).toFixed(2)} s host, ` +
  `${((end.cpuMs - begin.cpuMs) / 1000).toFixed(2)} s CPU (process), ${(end.threadS - begin.threadS).toFixed(2)} s CPU (this thread), ` +
  `${(insns / ms / 1000).toFixed(1)} MIPS (host), ${(insns / (end.threadS - begin.threadS) / 1e6).toFixed(1)} MIPS (thread CPU)`);
console.log(`console: ${out.slice(out.indexOf(BEGIN) + BEGIN.length, out.indexOf(END)).trim().slice(0, 200)}`);
console.log('--- JIT statistics (delta; per M instructions)');
for (const [k, v] of Object.entries(end.jit)) {
  const d = v - (begin.jit[k] ?? 0);
  if (d) console.log(`  ${k.padEnd(28)} ${(Number.isInteger(d) ? String(d) : d.toFixed(1)).padStart(12)} ${(d / (insns / 1e6)).toFixed(1).padStart(10)}`);
}
console.log('--- VM exits (delta: count, host ms; per M instructions)');
for (const [k, v] of end.exits) {
  const b = begin.exits.get(k) ?? { count: 0, ms: 0 };
  const d = v.count - b.count;
  if (d) console.log(`  ${k.padEnd(28)} ${String(d).padStart(10)} ${(v.ms - b.ms).toFixed(0).padStart(8)} ms ${(d / (insns / 1e6)).toFixed(1).padStart(10)}`);
}
console.log(`--- paging counters (${machine.interpreter.mmu.policyName}; delta; per M instructions)`);
for (const [k, v] of Object.entries(end.paging)) {
  const d = v - (begin.paging[k] ?? 0);
  if (d) console.log(`  ${k.padEnd(28)} ${String(d).padStart(10)} ${(d / (insns / 1e6)).toFixed(1).padStart(10)}`);
}

// Guest EIP samples: by kernel symbol (the guest's kallsyms) or user page.
const table = readKallsyms(out.slice(out.indexOf(END)));
const nameOf = (s: Sample): string => {
  if (s.halted) return '(halted)';
  if (s.cpl === 3) return `(user) page ${(s.eip >>> 12).toString(16)}`;
  return symbolAt(table, s.eip) ?? `(kernel) ${s.eip.toString(16)}`;
};
const counts = new Map<string, number>();
for (const s of samples) counts.set(nameOf(s), (counts.get(nameOf(s)) ?? 0) + 1);
const user = samples.filter((s) => s.cpl === 3 && !s.halted).length;
console.log(`--- guest EIP every ${chunk} instructions: ${samples.length} samples, ${(100 * user / samples.length).toFixed(1)}% user`);
for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${(100 * n / samples.length).toFixed(1).padStart(5)}%  ${k}`);
}
console.log(`--- instructions the JIT interpreted, by linear address (${stepped.size} addresses)`);
for (const [k, n] of [...stepped].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  const lin = parseInt(k, 16);
  const cpl = k.includes('cpl3') ? 3 : 0;
  console.log(`  ${String(n).padStart(8)}  ${k}  ${cpl === 3 ? '' : nameOf({ eip: lin, cpl, halted: false })}`);
}
machine.close();

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
function printProfile(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  const sampled = profile.samples ?? [];
  for (let k = 0; k < sampled.length; k++) {
    const n = byId.get(sampled[k]!)!;
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/dist\//, '')}:${f.lineNumber + 1}`;
    const dt = profile.timeDeltas?.[k] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  }
  console.log(`--- host profile between the markers: top functions by self time (${(total / 1e6).toFixed(2)} s sampled)`);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(100 * us / total).toFixed(1).padStart(5)}% ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`);
  }
}
