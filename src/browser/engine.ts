/**
 * What the VM worker loads once its message handler is in place: the
 * machine front end, the browser's compile service, and the choices the
 * page's menus offer. One module, so that the worker has one import to
 * wait for. binaryen.js (15 MB) is loaded only for a strategy that
 * builds modules with it (prepareStrategy).
 */
import { TIERS } from '../machine.js';
import { CPU_MODELS } from '../../runtime/cpu-model.js';
import { PAGING_POLICY_NAMES } from '../../runtime/mmu.js';
import { JIT_STRATEGIES } from '../../runtime/jit/strategies.js';
import type { EngineChoices } from './protocol.js';

export { VmSession } from './session.js';
export { WebWorkerCompileService } from './compile-service.js';
export { prepareStrategy } from '../../runtime/jit/strategies.js';

/** The execution tiers, paging policies, x87 strategies and CPU models this engine has. */
export function engineChoices(): EngineChoices {
  return { tiers: [...TIERS], paging: [...PAGING_POLICY_NAMES], fpu: ['exact', 'fast'], cpus: Object.keys(CPU_MODELS) };
}

/** True for a strategy that compiles on a worker (it needs a compile service). */
export function compilesAsync(tier: string): boolean {
  return JIT_STRATEGIES[tier]?.async === true;
}
