/**
 * A CompileService on a Web Worker (src/browser/compile-worker.ts): the
 * JIT submits jobs and the interpreter keeps running; results arrive as
 * messages between the VM worker's bursts. The browser's counterpart of
 * src/compile-service.ts, which needs node:worker_threads.
 *
 * `ready` settles when the worker has loaded the translator (binaryen.js
 * with it). Its caller waits for that before running the guest: a nested
 * worker's module scripts are fetched through its parent's event loop,
 * and while the VM worker runs bursts back to back Chromium was seen to
 * leave that loading stalled for tens of seconds.
 */
import type { CompileJob, CompileService, TranslatedJob } from '../../runtime/jit/jit.js';
import type { CompileRequest, FromCompileWorker } from './compile-worker.js';

export class WebWorkerCompileService implements CompileService {
  /** Settles once the worker can compile; rejects if it cannot be loaded. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (r: TranslatedJob | null) => void>();
  private next = 1;

  /** `onError`: told when a job throws (it then counts as untranslatable) or the worker fails once loaded. */
  constructor(private readonly onError: (message: string) => void = () => {}) {
    this.worker = new Worker(new URL('./compile-worker.js', import.meta.url), { type: 'module' });
    let loaded = false;
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.addEventListener('message', (event: MessageEvent) => {
        const m = event.data as FromCompileWorker;
        if (m.type === 'ready') {
          loaded = true;
          resolve();
          return;
        }
        if (m.error) this.onError(`a compilation failed: ${m.error}`);
        const done = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        done?.(m.result);
      });
      this.worker.addEventListener('error', (event: ErrorEvent) => {
        const message = `the compile worker failed: ${event.message || 'it could not be loaded'}`;
        if (loaded) this.onError(message);
        else reject(new Error(message));
      });
    });
    this.worker.addEventListener('messageerror', () => this.onError('a compiled region could not be received'));
  }

  submit(job: CompileJob, done: (result: TranslatedJob | null) => void): void {
    const id = this.next++;
    this.waiting.set(id, done);
    const request: CompileRequest = { id, job };
    this.worker.postMessage(request);
  }

  close(): void {
    this.worker.terminate();
    this.waiting.clear();
  }
}
