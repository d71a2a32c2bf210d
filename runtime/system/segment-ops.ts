/**
 * Segment-register loads, descriptor-table and control-register
 * instructions (filled by the system issue's protection work).
 */
import type { SystemOps } from './context.js';

export const SEGMENT_OPS: SystemOps = {};
