/**
 * The Linux bench (bench/linux/): the workload script and the kernel
 * command line that carries it, the console's line stamping and marker
 * reading, medians, ratios and targets, the table and the options; then
 * the quick workload run natively by the guest's own i386 busybox (its
 * answers checked against the same computations done here), and the
 * wasmvisor engine's command run for real on a tiny multiboot guest that
 * prints what /init and the workload would (the Linux boot itself is
 * test/linux's; the full three-engine bench is run by hand).
 *
 *   npx vitest run test/bench/linux-bench.test.ts
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_STATUS_PREFIX, READY_BANNER, WASMVISOR_CMD_FUNCTION } from '../../guests/linux/initramfs.js';
import { initramfsName, LINUX_GUEST_CACHE } from '../../guests/linux/paths.js';
import { runLinuxBench } from '../../bench/linux/bench.js';
import { parseLinuxArgs } from '../../bench/linux/cli.js';
import { ConsoleError, LineStamper, readConsole, type TimedLine } from '../../bench/linux/console.js';
import { engineUnavailable, guestCommand, WASMVISOR_CLI, type GuestSetup } from '../../bench/linux/engines.js';
import { formatLinuxTable, median, sameOutput, summarise, withRatios, type LinuxBenchRow } from '../../bench/linux/report.js';
import { runProcess } from '../../bench/linux/run.js';
import {
  BASE_COMMAND_LINE, KERNEL_COMMAND_LINE_MAX, kernelCommandLine, MARKER_PREFIX, workloadPhases, workloadScript, type PhaseName,
} from '../../bench/linux/workload.js';

const PHASES: PhaseName[] = ['int', 'mem', 'fp'];
const at = (seconds: number, text: string): TimedLine => ({ seconds, text });

describe('the workload script', () => {
  for (const size of ['quick', 'full'] as const) {
    it(`${size}: one line without double quotes, markers in order, and it fits the kernel's command line`, () => {
      const script = workloadScript(workloadPhases(size));
      expect(script).not.toMatch(/["\n]/);
      const marks = [...script.matchAll(/wvbench_mark (\w+)/g)].map((m) => m[1]);
      expect(marks).toEqual(['begin', 'int', 'mem', 'fp', 'end']);
      const line = kernelCommandLine(script);
      expect(line.startsWith(`${BASE_COMMAND_LINE} wasmvisor.cmd="`)).toBe(true);
      expect(line.length).toBeLessThan(KERNEL_COMMAND_LINE_MAX);
    });
  }

  it('refuses what the kernel command line cannot carry', () => {
    expect(() => workloadScript([{ name: 'int', what: '', commands: ['echo "x"'] }])).toThrow(/double quote/);
    expect(() => kernelCommandLine('x'.repeat(KERNEL_COMMAND_LINE_MAX))).toThrow(/at most 2047/);
  });

  it("comes out of the guest /init's wasmvisor.cmd= reader unchanged", () => {
    const script = workloadScript(workloadPhases('full'));
    const r = spawnSync('sh', ['-c', `${WASMVISOR_CMD_FUNCTION}\nwasmvisor_cmd "$1"`, 'sh', kernelCommandLine(script)], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${script}\n`);
  });
});

describe('the console', () => {
  it('stamps each line when its newline arrives, across chunks, without carriage returns', () => {
    let now = 1;
    const s = new LineStamper(() => now);
    const enc = (t: string): Uint8Array => new TextEncoder().encode(t);
    expect(s.push(enc('wvbench: be'))).toEqual([]);
    now = 2;
    expect(s.push(enc('gin\r\nabc\r\nde'))).toEqual([at(2, 'wvbench: begin'), at(2, 'abc')]);
    now = 3;
    expect(s.flush()).toEqual([at(3, 'de')]);
  });

  const guest = (): TimedLine[] => [
    at(0.5, '[    0.000000] Linux version 6.1.0'),
    at(0.9, 'wasmvisor: running: wvbench_mark() { echo wvbench: $1; }; wvbench_mark begin'),
    at(4.0, `${READY_BANNER}: Linux 6.1.0-50-686 i686`),
    at(4.1, `${MARKER_PREFIX}begin`),
    at(4.2, `${MARKER_PREFIX}int`),
    at(5.0, '12345'),
    at(5.2, `${MARKER_PREFIX}mem`),
    at(5.3, '[    9.123456] random: crng init done'),
    at(6.0, 'abc  -'),
    at(6.5, `${MARKER_PREFIX}fp`),
    at(7.0, '785 11'),
    at(8.1, `${MARKER_PREFIX}end`),
    at(8.2, `${EXIT_STATUS_PREFIX}0`),
  ];

  it('gives boot, workload and phase times and the output without kernel messages', () => {
    const t = readConsole(guest(), PHASES, READY_BANNER);
    expect(t.bootSeconds).toBe(4.0);
    expect(t.workloadSeconds).toBeCloseTo(4.0, 9);
    expect(t.phaseSeconds.int).toBeCloseTo(1.0, 9);
    expect(t.phaseSeconds.mem).toBeCloseTo(1.3, 9);
    expect(t.phaseSeconds.fp).toBeCloseTo(1.6, 9);
    expect(t.output).toEqual(['12345', 'abc  -', '785 11']);
  });

  it('has no boot time for a run without a banner (native)', () => {
    expect(readConsole(guest().slice(3), PHASES).bootSeconds).toBeNull();
  });

  it('says what is missing or out of order', () => {
    const lines = guest();
    expect(() => readConsole(lines.filter((l) => !l.text.startsWith(READY_BANNER)), PHASES, READY_BANNER)).toThrow(/ready banner/);
    expect(() => readConsole(lines.slice(0, 9), PHASES, READY_BANNER)).toThrow(ConsoleError);
    expect(() => readConsole(lines.slice(0, 9), PHASES, READY_BANNER)).toThrow(/before its 'fp' marker \(last: 'mem'\)/);
    expect(() => readConsole(lines.filter((l) => l.text !== `${MARKER_PREFIX}int`), PHASES, READY_BANNER)).toThrow(/'mem' where 'int'/);
  });
});

describe('figures', () => {
  const row = (kind: LinuxBenchRow['kind'], boot: number | null, work: number | null): LinuxBenchRow => ({
    engine: kind, kind, status: 'ok', bootSeconds: boot, workloadSeconds: work, phaseSeconds: {}, bootRatioToQemu: null,
    workloadRatioToNative: null, bootTargetMet: null, workloadTargetMet: null, outputMatchesNative: null, runs: [],
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    const s = summarise([
      { bootSeconds: 5, workloadSeconds: 2, phaseSeconds: { int: 1 } },
      { bootSeconds: 7, workloadSeconds: 4, phaseSeconds: { int: 3 } },
      { bootSeconds: 6, workloadSeconds: 9, phaseSeconds: { int: 2 } },
    ]);
    expect(s).toEqual({ bootSeconds: 6, workloadSeconds: 4, phaseSeconds: { int: 2 } });
    expect(summarise([{ bootSeconds: null, workloadSeconds: 1, phaseSeconds: {} }]).bootSeconds).toBeNull();
  });

  it('computes ratios against QEMU and native, and the targets', () => {
    const [native, qemu, fast, slow, broken] = withRatios([
      row('native', null, 2), row('qemu', 5, 10), row('wasmvisor', 4, 6), row('v86', 15, 6.5), { ...row('v86', null, null), status: 'unavailable', reason: 'v86 missing' },
    ]);
    expect(native).toMatchObject({ workloadRatioToNative: 1, workloadTargetMet: null, bootRatioToQemu: null });
    expect(qemu).toMatchObject({ bootRatioToQemu: 1, bootTargetMet: null, workloadRatioToNative: 5, workloadTargetMet: false });
    expect(fast).toMatchObject({ bootRatioToQemu: 0.8, bootTargetMet: true, workloadRatioToNative: 3, workloadTargetMet: true });
    expect(slow).toMatchObject({ bootRatioToQemu: 3, bootTargetMet: false, workloadRatioToNative: 3.25, workloadTargetMet: false });
    expect(broken).toMatchObject({ bootRatioToQemu: null, workloadRatioToNative: null, bootTargetMet: null, workloadTargetMet: null });
    const table = formatLinuxTable([native!, qemu!, fast!, slow!, broken!], PHASES);
    expect(table.split('\n')).toHaveLength(6);
    expect(table).toMatch(/^wasmvisor .* 0\.80x +3\.00x +met +met/m);
    expect(table).toMatch(/^v86 .* 3\.00x +3\.25x +not met +not met/m);
    expect(table).toContain('not run: v86 missing');
  });

  it('leaves ratios out when a baseline is missing', () => {
    const [w] = withRatios([row('wasmvisor', 4, 6)]);
    expect(w).toMatchObject({ bootRatioToQemu: null, workloadRatioToNative: null, bootTargetMet: null, workloadTargetMet: null });
  });

  it('compares outputs line for line', () => {
    expect(sameOutput(['1', 'a  -'], ['1 ', 'a  -'])).toBe(true);
    expect(sameOutput(['1'], ['2'])).toBe(false);
    expect(sameOutput(['1'], ['1', '2'])).toBe(false);
  });
});

describe('options', () => {
  it('defaults to every engine, jit-inline, 3 runs, the full workload', () => {
    expect(parseLinuxArgs([])).toMatchObject({ engines: ['wasmvisor', 'qemu', 'v86'], strategies: ['jit-inline'], runs: 3, size: 'full', flavour: '686', memoryMiB: 256 });
  });

  it('--quick is one run of the small workload; --runs still wins', () => {
    expect(parseLinuxArgs(['--quick'])).toMatchObject({ size: 'quick', runs: 1 });
    expect(parseLinuxArgs(['--quick', '--runs', '2'])).toMatchObject({ size: 'quick', runs: 2 });
    expect(parseLinuxArgs(['--strategy', 'jit-hot,interpreter', '--engine', 'qemu', '--json', 'x.json'])).toMatchObject({ strategies: ['jit-hot', 'interpreter'], engines: ['qemu'], json: 'x.json' });
    expect(parseLinuxArgs(['-h'])).toBeNull();
  });

  it('rejects unknown engines, strategies and bad numbers', () => {
    expect(() => parseLinuxArgs(['--engine', 'bochs'])).toThrow(/unknown engine 'bochs'/);
    expect(() => parseLinuxArgs(['--strategy', 'fast'])).toThrow(/unknown strategy 'fast'/);
    expect(() => parseLinuxArgs(['--runs', '0'])).toThrow(/whole number/);
  });
});

describe('engine commands', () => {
  const setup: GuestSetup = { kernel: 'K', initrd: 'I', cmdline: 'console=ttyS0 x', memoryMiB: 256, bios: 'B', vgaBios: 'V' };

  it('boot the same kernel, initrd, command line and RAM everywhere', () => {
    const qemu = guestCommand({ kind: 'qemu', label: 'qemu-tcg' }, setup);
    expect(qemu.file).toBe('qemu-system-i386');
    expect(qemu.args.join(' ')).toBe('-accel tcg -m 256 -kernel K -initrd I -append console=ttyS0 x -nographic -no-reboot');
    const ours = guestCommand({ kind: 'wasmvisor', strategy: 'jit-hot', label: 'wasmvisor jit-hot' }, setup);
    expect(ours.args.slice(1).join(' ')).toBe('-m 256 -kernel K -initrd I -append console=ttyS0 x -nographic -no-reboot --strategy jit-hot');
    const v86 = guestCommand({ kind: 'v86', label: 'v86' }, setup);
    expect(v86.args.slice(1).join(' ')).toBe('--bios B --vga-bios V --kernel K --initrd I --append console=ttyS0 x --memory 256');
  });

  it('say why an engine cannot run instead of failing', () => {
    expect(engineUnavailable('v86', { ...setup, bios: join(tmpdir(), 'no-such-seabios', 'bios.bin') })).toMatch(/^SeaBIOS ROM .*no-such-seabios.*bios\.bin is missing \(Debian: seabios/);
  });
});

/** The quick workload's answers, computed here the way busybox computes them. */
function expectedQuickOutput(): string[] {
  const md5 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');
  const script = workloadScript(workloadPhases('quick'));
  const count = (re: RegExp): number => Number(re.exec(script)![1]);
  let s = 0;
  for (let i = 0; i < count(/-lt (\d+)/); i++) s = (s * 31 + i) % 1000003;
  const zeros = new Uint8Array(count(/count=(\d+)/) * 65536);
  const lines = Array.from({ length: count(/seq 1 (\d+)/) }, (_, i) => String(i + 1));
  const sorted = [...lines].sort().reverse();
  const awkLoop = count(/i < (\d+)/);
  let x = 0;
  let sign = 1;
  for (let i = 0; i < awkLoop; i++) { x += sign / (2 * i + 1); sign = -sign; }
  let y = 1;
  for (let i = 1; i <= awkLoop / 2; i++) y = y * 1.0000001 + 1 / i;
  return [String(s), `${md5(zeros)}  -`, `${md5(`${sorted.join('\n')}\n${lines.join('\n')}\n`)}  -`, `${Math.trunc(x * 1e9)} ${Math.trunc(y * 1e6)}`];
}

const initrd = join(LINUX_GUEST_CACHE, initramfsName('686'));
const haveGuest = existsSync(initrd);
if (!haveGuest) console.warn(`test/bench/linux-bench: skipping the native workload run: no ${initrd} (npm run guest:linux)`);

describe('the native baseline', () => {
  it.skipIf(!haveGuest)("runs the quick workload with the guest's i386 busybox and gets the right answers", async () => {
    const logs: string[] = [];
    const r = await runLinuxBench({
      engines: [], strategies: [], runs: 1, nativeRuns: 1, size: 'quick', timeoutSeconds: 60, memoryMiB: 256, flavour: '686', seabiosDir: '/nonexistent', log: (l) => logs.push(l),
    });
    expect(r.failures).toEqual([]);
    expect(r.rows).toHaveLength(1);
    const [native] = r.rows;
    expect(native!.status, native!.reason).toBe('ok');
    expect(native!.workloadSeconds).toBeGreaterThan(0);
    expect(Object.keys(native!.phaseSeconds)).toEqual(PHASES);
    expect(logs[0]).toContain(JSON.stringify(expectedQuickOutput()));
  });
});

/**
 * A multiboot kernel (a.out kludge, loaded at 1 MiB) that writes `text` to
 * COM1 and halts with interrupts off: the CLI then exits by itself.
 */
function serialPrinter(text: string): Uint8Array {
  const base = 0x100000;
  const magic = 0x1badb002;
  const flags = 0x00010000;
  const codeAt = 32;
  const code = [
    0xba, 0xf8, 0x03, 0x00, 0x00, // mov edx, 0x3f8
    0xbe, 0, 0, 0, 0, //             mov esi, text
    0xac, //                         next: lodsb
    0x84, 0xc0, //                   test al, al
    0x74, 0x03, //                   jz done
    0xee, //                         out dx, al
    0xeb, 0xf8, //                   jmp next
    0xfa, 0xf4, //                   done: cli; hlt
  ];
  const textAt = codeAt + code.length;
  const bytes = new Uint8Array(textAt + text.length + 1);
  const view = new DataView(bytes.buffer);
  const header = [magic, flags, (-(magic + flags)) >>> 0, base, base, 0, 0, base + codeAt];
  header.forEach((v, i) => view.setUint32(i * 4, v, true));
  bytes.set(code, codeAt);
  view.setUint32(codeAt + 6, base + textAt, true);
  bytes.set(new TextEncoder().encode(text), textAt);
  return bytes;
}

describe('the wasmvisor engine', () => {
  it.skipIf(!existsSync(WASMVISOR_CLI))('runs the CLI as the bench does and reads its console', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-linux-bench-test-'));
    try {
      const console = [
        `${READY_BANNER}: fake`, `${MARKER_PREFIX}begin`, `${MARKER_PREFIX}int`, '42', `${MARKER_PREFIX}mem`, `${MARKER_PREFIX}fp`, '1 2',
        `${MARKER_PREFIX}end`, `${EXIT_STATUS_PREFIX}0`, '',
      ].join('\r\n');
      writeFileSync(join(dir, 'kernel'), serialPrinter(console));
      writeFileSync(join(dir, 'initrd'), 'module');
      const setup: GuestSetup = { kernel: join(dir, 'kernel'), initrd: join(dir, 'initrd'), cmdline: 'x', memoryMiB: 64, bios: '', vgaBios: '' };
      const run = await runProcess(guestCommand({ kind: 'wasmvisor', strategy: 'jit-hot', label: 'wasmvisor jit-hot' }, setup), {
        timeoutSeconds: 50, done: (l) => l.text.startsWith(EXIT_STATUS_PREFIX),
      });
      expect(run.stderr).toBe('');
      expect(run.timedOut).toBe(false);
      const t = readConsole(run.lines, PHASES, READY_BANNER);
      expect(t.output).toEqual(['42', '1 2']);
      expect(t.bootSeconds).toBeGreaterThan(0);
      expect(t.workloadSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
