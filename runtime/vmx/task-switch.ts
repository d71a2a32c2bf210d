/**
 * Task-switch VM exits (SDM vol. 3C, 25.4.2: a task switch in VMX non-root
 * operation always causes a VM exit; 27.2.1 table 27-2 and 27.2.4). The
 * exit comes after the checks of the instruction or gate that starts the
 * switch and before any check of the switch itself (runtime/system/
 * tasks.ts calls the hook there). Its information: the new TSS selector and
 * the source in the qualification, the instruction length for a switch an
 * instruction caused (JMP, CALL, IRET, and INT n, INT3, INTO, INT1 through
 * a task gate), and the event in the IDT-vectoring information for a
 * switch through a task gate in the IDT.
 *
 * The default VMM handles the exit as KVM does, by performing the switch:
 * the hook records the exit and returns, and the switch goes on. An
 * embedder that takes TaskSwitch exits gets those of JMP, CALL and IRET,
 * with their instruction (skipInstruction() once it has switched tasks
 * itself, or completeByDefault()). Departure: the switch through an IDT
 * task gate is always the default VMM's (recorded, counted, not returned),
 * since its event has no way back to the embedder yet.
 */
import { VmExitSignal } from '../concrete-backend.js';
import { ExitReason } from '../exit-reason.js';
import type { VmExit } from '../interpreter.js';
import { EventKind } from '../system/event-types.js';
import { TaskSource, type TaskSwitchRequest } from '../system/tasks.js';
import type { TakenExit } from '../vmm.js';
import { TaskSwitchSource, taskSwitchQualification } from './qualification.js';
import type { ExitStats } from './stats.js';
import { type ExitInfo, exitInfo, interruptionInfo, type Vmcs } from './vmcs.js';

/** Table 27-2's source of a task switch. */
function sourceOf(source: TaskSource): TaskSwitchSource {
  switch (source) {
    case TaskSource.Call: return TaskSwitchSource.Call;
    case TaskSource.Iret: return TaskSwitchSource.Iret;
    case TaskSource.Jmp: return TaskSwitchSource.Jmp;
    case TaskSource.Interrupt: return TaskSwitchSource.IdtTaskGate;
  }
}

/** The exit information of a task switch (27.2.1, 27.2.4, 27.2.5). */
export function taskSwitchExitInfo(request: TaskSwitchRequest): ExitInfo {
  const qualification = taskSwitchQualification(request.selector, sourceOf(request.source));
  const cause = request.cause;
  if ('insn' in cause) return exitInfo(ExitReason.TaskSwitch, { qualification, instructionLength: cause.insn.length });
  const { event } = cause;
  const software = event.kind === EventKind.SoftwareInterrupt || event.kind === EventKind.SoftwareException
    || event.kind === EventKind.PrivilegedSoftwareException;
  // Without a known length, the prefix-less encodings: CD ib for INT n, one byte for INT3, INTO, INT1.
  const instructionLength = software ? cause.instructionLength ?? (event.kind === EventKind.SoftwareInterrupt ? 2 : 1) : 0;
  const errorCodeValid = event.kind === EventKind.HardwareException && event.errorCode !== undefined;
  return {
    ...exitInfo(ExitReason.TaskSwitch, { qualification, instructionLength }),
    idtVectoringInfo: interruptionInfo(event.vector, event.kind, errorCodeValid),
    idtVectoringErrorCode: errorCodeValid ? event.errorCode! : 0,
  };
}

/** A vCPU's task-switch exits: install `hook` with setTaskSwitchHook (runtime/vcpu.ts does). */
export class TaskSwitchExits {
  /**
   * Set while the default VMM completes a task-switch exit the embedder
   * handed back (completeByDefault()): that switch is the exit's handling,
   * it does not exit again.
   */
  completing = false;

  constructor(private readonly vmcs: Vmcs, private readonly stats: ExitStats, private readonly userExits: ReadonlySet<ExitReason>) {}

  readonly hook = (request: TaskSwitchRequest): void => {
    if (this.completing) {
      this.completing = false;
      return;
    }
    const info = taskSwitchExitInfo(request);
    this.vmcs.recordExit(info);
    this.stats.count(ExitReason.TaskSwitch);
    const cause = request.cause;
    if ('insn' in cause && this.userExits.has(ExitReason.TaskSwitch)) {
      const taken: TakenExit = { taken: info, insn: cause.insn };
      throw new VmExitSignal({ reason: ExitReason.TaskSwitch, detail: taken } satisfies VmExit);
    }
  };
}
