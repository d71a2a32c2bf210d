/**
 * The compile worker of the browser (a Web Worker started by the VM
 * worker): forms and compiles regions for the asynchronous JIT strategies
 * with translateJob, the code the synchronous path runs. The browser's
 * counterpart of src/jit-worker.ts (Node worker_threads). Says 'ready'
 * once loaded (src/browser/compile-service.ts waits for it).
 */
import './node-globals.js';
import { type CompileJob, jobNeedsBinaryen, type TranslatedJob, translateJob } from '../../runtime/jit/jit.js';
import { loadBinaryen } from '../../translator/emit/binaryen-lib.js';
import { workerScope } from './worker-scope.js';

/** A job as the service sends it. */
export interface CompileRequest {
  readonly id: number;
  readonly job: CompileJob;
}

/** The worker has loaded; or the answer to a job: its translation, or null (untranslatable, or failed: `error` says why). */
export type FromCompileWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: TranslatedJob | null; readonly error?: string };

function answer(message: FromCompileWorker, transfer: Transferable[] = []): void {
  workerScope.postMessage(message, transfer);
}

workerScope.addEventListener('message', async (event: MessageEvent) => {
  const { id, job } = event.data as CompileRequest;
  try {
    // An optimised job (a tier-up) needs binaryen.js, loaded with the first such job.
    if (jobNeedsBinaryen(job)) await loadBinaryen();
    const result = translateJob(job);
    answer({ type: 'result', id, result }, result ? [result.binary.buffer as ArrayBuffer] : []);
  } catch (e) {
    answer({ type: 'result', id, result: null, error: e instanceof Error ? e.message : String(e) });
  }
});

answer({ type: 'ready' });
