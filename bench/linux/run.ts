/**
 * One timed run of an engine: start its process, stamp each console line
 * with the wall-clock seconds since the start, and end the process once
 * the workload's last marker and the guest's exit-status line are in
 * (a powered-off v86 never exits by itself; QEMU and wasmvisor would,
 * after their own shutdown, which the bench does not time). A run that
 * exceeds its time limit is killed.
 */
import { spawn } from 'node:child_process';
import { LineStamper, type TimedLine } from './console.js';
import type { EngineCommand } from './engines.js';

export interface ProcessRun {
  lines: TimedLine[];
  /** The exit code, or null when a signal ended the process. */
  status: number | null;
  signal: NodeJS.Signals | null;
  /** The process's stderr (the last 4 KiB). */
  stderr: string;
  timedOut: boolean;
  /** Whether the bench ended the process itself once `done` said so. */
  stoppedByBench: boolean;
}

export interface RunLimits {
  timeoutSeconds: number;
  /** True for the line after which the bench needs nothing more: the process is then ended. */
  done: (line: TimedLine) => boolean;
}

const STDERR_KEEP = 4096;
/** After SIGTERM, how long a process gets before SIGKILL. */
const KILL_GRACE_MS = 3000;

export function runProcess(cmd: EngineCommand, limits: RunLimits): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const stamper = new LineStamper(() => (performance.now() - start) / 1000);
    const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: cmd.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: TimedLine[] = [];
    let stderr = '';
    let timedOut = false;
    let stoppedByBench = false;
    let killTimer: NodeJS.Timeout | null = null;
    const stop = (): void => {
      if (child.exitCode !== null || child.signalCode !== null || killTimer) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const limit = setTimeout(() => { timedOut = true; stop(); }, limits.timeoutSeconds * 1000);
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of stamper.push(chunk)) {
        lines.push(line);
        if (!stoppedByBench && limits.done(line)) {
          stoppedByBench = true;
          stop();
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP); });
    child.on('error', (e) => {
      clearTimeout(limit);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(limit);
      if (killTimer) clearTimeout(killTimer);
      lines.push(...stamper.flush());
      resolve({ lines, status, signal, stderr, timedOut, stoppedByBench });
    });
  });
}
