/**
 * Far transfers, software interrupts, IRET, SYSENTER/SYSEXIT (filled by
 * the system issue's control-transfer work).
 */
import type { SystemOps } from './context.js';

export const TRANSFER_OPS: SystemOps = {};
