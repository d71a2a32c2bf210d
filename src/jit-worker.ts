/**
 * The compile worker (Node worker_threads): forms and compiles regions off
 * the main thread for the asynchronous JIT strategies (runtime/jit/jit.ts
 * translateJob, the same code the synchronous path runs).
 */
import { parentPort } from 'node:worker_threads';
import { type CompileJob, translateJob } from '../runtime/jit/jit.js';

parentPort!.on('message', (msg: { id: number; job: CompileJob }) => {
  try {
    const result = translateJob(msg.job);
    parentPort!.postMessage({ id: msg.id, result }, result ? [result.binary.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, result: null, error: e instanceof Error ? e.message : String(e) });
  }
});
