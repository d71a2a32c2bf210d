/**
 * The compile worker (Node worker_threads): forms and compiles regions off
 * the main thread for the asynchronous JIT strategies (runtime/jit/jit.ts
 * translateJob, the same code the synchronous path runs).
 */
import { parentPort } from 'node:worker_threads';
import { type CompileJob, jobNeedsBinaryen, translateJob } from '../runtime/jit/jit.js';
import { loadBinaryen } from '../translator/emit/binaryen-lib.js';

parentPort!.on('message', async (msg: { id: number; job: CompileJob }) => {
  try {
    // An optimised job (a tier-up) needs binaryen.js, loaded with the first such job.
    if (jobNeedsBinaryen(msg.job)) await loadBinaryen();
    const result = translateJob(msg.job);
    parentPort!.postMessage({ id: msg.id, result }, result ? [result.binary.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, result: null, error: e instanceof Error ? e.message : String(e) });
  }
});
