/**
 * Where a Linux boot spends its guest instructions and host time:
 *   node scripts/run.mjs scripts/profile-guest.ts [--strategy jit-hot] [--every 1000000]
 *     [--kernel K] [--initrd I] [--append '...'] [--cmd '...'] [--symbols 0] [--threshold N] [--top 40] [--gap-ms 1000] [--save samples.json]
 * boots the kernel as the CLI does (paced clock, 256 MiB, runAsync) and
 * samples the guest EIP every `--every` retired instructions, with the
 * host and CPU time each step took. The guest runs `--cmd` (the CLI
 * boot's), then prints the kernel's text symbols (grep on /proc/kallsyms,
 * in this very boot, so KASLR does not matter: Debian's System.map is a
 * stub pointing at the -dbg package); samples from then on are left out.
 * Prints a timeline of the console output (where the host time goes by
 * boot phase), the top functions by guest instructions and by host time,
 * and what no symbol covers (the bzImage decompressor, which runs with
 * paging off, and user space). A function's host time, CPU time and JIT
 * counters are those of the steps that ended in it (a step's compilations
 * of other code count there too): take them as a sample, with a small
 * `--every` for host time. `--threshold N` runs the strategy with another
 * hotness threshold.
 */
import { createMachine } from '../src/machine.js';
import { loadLinux, readInitrdFile } from '../src/loaders/linux.js';
import { readImageFile } from '../src/loaders/flat.js';
import { PROJECT_ROOT } from '../src/project-root.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { JitTier, useCompileClock } from '../runtime/jit/jit.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';
import { readKallsyms, symbolAt } from './kallsyms.js';
// binaryen.js before anything runs: the strategies this tool may run build modules with it.
import '../translator/emit/binaryen-ready.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 && k + 1 < args.length ? args[k + 1]! : dflt;
};
const cache = join(PROJECT_ROOT, 'guests', 'linux', 'cache');
const kernel = opt('kernel', join(cache, 'vmlinuz-686'));
const initrd = opt('initrd', join(cache, 'initramfs-686.cpio.gz'));
// The guest prints MARK before the symbols; the command line (which the kernel echoes) holds it only as `KALL$((1))SYMS`.
const MARK = 'KALL1SYMS';
const cmd = opt('cmd', 'uname -a; echo $((6*7))');
const symbols = opt('symbols', '1') !== '0';
const dump = symbols ? `; echo KALL$((1))SYMS; grep ' [tTwW] ' /proc/kallsyms` : '';
const append = `${opt('append', 'console=ttyS0 cryptomgr.notests')} wasmvisor.cmd="${cmd}${dump}"`;
// Compile times in CPU time (as the bench measures them), so that a loaded host does not inflate them.
useCompileClock(() => process.cpuUsage().user / 1000);
const every = Number(opt('every', '1000000'));
const top = Number(opt('top', '40'));

let out = '';
const decoder = new TextDecoder();
const machine = createMachine({ memoryMiB: 256, tier: opt('strategy', 'jit-hot'), clock: 'paced', serial: (b) => { out += decoder.decode(b); } });
const image = readImageFile(kernel);
const initrdBytes = readInitrdFile(initrd);
const threshold = opt('threshold', '');
if (threshold !== '') {
  // The strategy with another hotness threshold (what compiling earlier or later costs the boot).
  const strategy = JIT_STRATEGIES[opt('strategy', 'jit-hot')]!;
  machine.useJit(new JitTier(machine.interpreter, { ...strategy, name: `${strategy.name}-t${threshold}`, threshold: Number(threshold) }));
}
// Compilations by linear entry address (JitTier.compile is private: reached through a cast, for this tool only).
const compiledAt = new Map<number, number>();
if (machine.jit) {
  const jit = machine.jit as unknown as { compile(key: number, pa: number, lin: number): unknown };
  const compile = jit.compile.bind(jit);
  jit.compile = (key, pa, lin) => {
    compiledAt.set(lin >>> 0, (compiledAt.get(lin >>> 0) ?? 0) + 1);
    return compile(key, pa, lin);
  };
}
const boot = (): void => { loadLinux(machine, image, { initrd: initrdBytes, cmdline: append, name: kernel }); };
boot();
machine.setBoot(boot);

interface Sample {
  eip: number; retired: number; ms: number; cpuMs: number; halted: boolean; paging: boolean; cpl: number; outLength: number;
  /** JIT counters over the step: interpreted instructions, compilations and their ms, VM exits. */
  interpreted: number; compiles: number; compileMs: number; exits: number;
}
const samples: Sample[] = [];
const exitCount = (): number => machine.exitStats().reduce((n, r) => n + r.count, 0);
let dumpAt = -1;
const t0 = performance.now();
let cpu0 = process.cpuUsage();
for (;;) {
  const before = performance.now();
  const jit0 = machine.jit ? { ...machine.jit.stats } : null;
  const exits0 = exitCount();
  // As the CLI runs: the event loop in between, HLT waiting in host time.
  const r = await machine.runAsync({ maxInstructions: every });
  const ms = performance.now() - before;
  const used = process.cpuUsage(cpu0);
  cpu0 = process.cpuUsage();
  const cpu = machine.cpu;
  samples.push({
    eip: cpu.eip >>> 0, retired: r.retired, ms, cpuMs: (used.user + used.system) / 1000, halted: cpu.halted,
    paging: (cpu.cr0 & 0x80000000) !== 0, cpl: cpu.cpl, outLength: out.length,
    interpreted: jit0 ? machine.jit!.stats.interpretedSteps - jit0.interpretedSteps : r.retired,
    compiles: jit0 ? machine.jit!.stats.compiles - jit0.compiles : 0,
    compileMs: jit0 ? machine.jit!.stats.compileMs - jit0.compileMs : 0,
    exits: exitCount() - exits0,
  });
  if (dumpAt < 0 && out.includes(MARK)) dumpAt = samples.length;
  if (r.outcome.kind !== 'instruction-limit') break;
}
const wall = (performance.now() - t0) / 1000;

const syms = readKallsyms(out.slice(out.indexOf(MARK)));
const symbolOf = (s: Sample): string => {
  const eip = s.eip;
  if (!s.paging) return `(paging off: bzImage decompressor, ${(eip >>> 20).toString(16)}xxxxx)`;
  if (s.cpl === 3) return '(user space)';
  return symbolAt(syms, eip) ?? '(kernel, no symbol)';
};

const used = dumpAt > 0 ? samples.slice(0, dumpAt) : samples;
interface Row { insns: number; ms: number; cpuMs: number; interpreted: number; compiles: number; compileMs: number; exits: number }
const rows = new Map<string, Row>();
let totalInsns = 0;
let totalMs = 0;
for (const s of used) {
  const name = s.halted ? '(halted)' : symbolOf(s);
  let r = rows.get(name);
  if (!r) rows.set(name, (r = { insns: 0, ms: 0, cpuMs: 0, interpreted: 0, compiles: 0, compileMs: 0, exits: 0 }));
  r.insns += s.retired;
  r.ms += s.ms;
  r.cpuMs += s.cpuMs;
  r.interpreted += s.interpreted;
  r.compiles += s.compiles;
  r.compileMs += s.compileMs;
  r.exits += s.exits;
  totalInsns += s.retired;
  totalMs += s.ms;
}
const table = (key: (r: Row) => number): string =>
  [...rows].sort((a, b) => key(b[1]) - key(a[1])).slice(0, top).map(([k, r]) =>
    `${(100 * r.insns / totalInsns).toFixed(1).padStart(5)}% ${(r.insns / 1e6).toFixed(0).padStart(5)} M  ${(100 * r.ms / totalMs).toFixed(1).padStart(5)}% ${(r.ms / 1000).toFixed(2).padStart(6)} s ` +
    `${(r.cpuMs / 1000).toFixed(2).padStart(6)} s  ${(r.interpreted / 1e3).toFixed(0).padStart(6)} k ${String(r.compiles).padStart(5)} ${(r.compileMs / 1000).toFixed(2).padStart(6)} s ${String(r.exits).padStart(7)}  ${k}`).join('\n');
const HEADER = ' insns (share, M)   host (share, s)  cpu s   interp.  compiles (n, s)  exits  function';
// The timeline: each console line that comes after a gap of host time or instructions, with the totals when it appeared.
const gapMs = Number(opt('gap-ms', '1000'));
const markAt = out.indexOf(MARK);
console.log('--- timeline (host s, cpu s, G instructions: console line)');
{
  let k = 0;
  let insns = 0;
  let ms = 0;
  let cpuMs = 0;
  let lastMs = -Infinity;
  let end = 0;
  for (const line of out.slice(0, markAt < 0 ? out.length : markAt).split('\n')) {
    end += line.length + 1;
    while (k < samples.length && samples[k]!.outLength < end) {
      insns += samples[k]!.retired;
      ms += samples[k]!.ms;
      cpuMs += samples[k]!.cpuMs;
      k++;
    }
    if (ms - lastMs >= gapMs || /Run \/init|wasmvisor/.test(line)) {
      console.log(`${(ms / 1000).toFixed(1).padStart(7)} ${(cpuMs / 1000).toFixed(1).padStart(7)} ${(insns / 1e9).toFixed(3)}: ${line.trim().slice(0, 100)}`);
      lastMs = ms;
    }
  }
}
const cpuTotal = used.reduce((n, x) => n + x.cpuMs, 0);
console.log(`cpu ${(cpuTotal / 1000).toFixed(1)} s up to the symbols (compiling ${((machine.jit?.stats.compileMs ?? 0) / 1000).toFixed(1)} s cpu over the whole run)`);
console.log(`wall ${wall.toFixed(1)} s; ${syms.length} symbols; ${used.length} samples up to the symbol dump (${(totalInsns / 1e9).toFixed(3)} G instructions, ${(totalMs / 1000).toFixed(1)} s host)`);
console.log(`--- by guest instructions\n${HEADER}`);
console.log(table((r) => r.insns));
console.log(`--- by host time\n${HEADER}`);
console.log(table((r) => r.ms));
const save = opt('save', '');
if (save) writeFileSync(save, JSON.stringify({ samples, syms }));
// Functions compiled most often (by entry address), and how many distinct entries they were compiled at.
const byFunction = new Map<string, { compiles: number; entries: number; again: number }>();
for (const [lin, n] of compiledAt) {
  const name = lin >= 0xc0000000 ? symbolOf({ eip: lin, paging: true, cpl: 0 } as Sample) : '(below 3 GiB)';
  const f = byFunction.get(name) ?? { compiles: 0, entries: 0, again: 0 };
  f.compiles += n;
  f.entries++;
  f.again += n - 1;
  byFunction.set(name, f);
}
console.log('--- most compiled functions (whole run): compilations, distinct entry addresses, compilations of an address compiled before');
for (const [k, f] of [...byFunction].sort((a, b) => b[1].compiles - a[1].compiles).slice(0, 20)) {
  console.log(`${String(f.compiles).padStart(6)} ${String(f.entries).padStart(6)} ${String(f.again).padStart(6)}  ${k}`);
}
if (machine.jit) console.log(`--- JIT: ${JSON.stringify(machine.jit.stats)}`);
machine.close();
