/**
 * A CompileService on a Node worker thread: the JIT submits jobs and the
 * interpreter keeps running; results arrive through the event loop (the
 * machine's asynchronous run loop yields between time slices).
 */
import { Worker } from 'node:worker_threads';
import type { CompileJob, CompileService, TranslatedJob } from '../runtime/jit/jit.js';

export class WorkerCompileService implements CompileService {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (r: TranslatedJob | null) => void>();
  private next = 1;

  constructor() {
    // The worker runs the compiled JavaScript (dist/src/jit-worker.js, beside this module).
    this.worker = new Worker(new URL('./jit-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.on('message', (msg: { id: number; result: TranslatedJob | null }) => {
      const done = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      done?.(msg.result);
    });
  }

  submit(job: CompileJob, done: (result: TranslatedJob | null) => void): void {
    const id = this.next++;
    this.waiting.set(id, done);
    this.worker.postMessage({ id, job });
  }

  close(): void {
    void this.worker.terminate();
  }
}
