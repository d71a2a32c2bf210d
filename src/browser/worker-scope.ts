/**
 * The part of a dedicated worker's global scope the workers here use.
 * The project compiles against the DOM library (no "webworker" lib: the
 * two conflict), so the worker side is declared here.
 */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** This worker's global scope. */
export const workerScope = globalThis as unknown as WorkerScope;
