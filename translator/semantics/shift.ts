/**
 * Semantics of shifts and rotates, SHLD/SHRD, the bit tests and scans,
 * BSWAP, SETcc and CMOVcc; SDM vol. 2.
 *
 * Counts are masked to 5 bits as the CPU does; a masked count of 0 changes
 * neither the destination nor the flags (a memory destination is still
 * accessed, with write intent, so it can fault). Where the manual leaves a result undefined we do something
 * deterministic:
 *  - OF after a multi-bit shift or rotate: the 1-bit formula;
 *  - SHLD/SHRD with 16-bit operands and a count above 16: the shift of the
 *    48-bit pattern dest:src:dest, as reported for Intel parts (AMD, the
 *    host of the differential tests, repeats src instead);
 *  - BSF/BSR of 0: destination unchanged (what AMD documents and Intel does);
 *  - BSWAP of a 16-bit register: 0;
 *  - flags other than CF after BT*, other than ZF after BSF/BSR: unchanged.
 */
import type { Backend, Sem } from './backend.js';
import { Flag, FlagOp } from './backend.js';
import { type Instruction, type OpcodeRow, type Operand, type Size } from '../table/types.js';
import { effectiveAddress, read, rmw, sizeOf, write } from './operands.js';

function operand(i: Instruction, n: number): Operand {
  return i.operands[n]!;
}

/** A shift count: known at decode time (Ib, 1) or read from CL; masked to 5 bits either way. */
type Count<V> = { static: true; n: number } | { static: false; v: V };

function countOf<V>(b: Backend<V>, op: Operand): Count<V> {
  if (op.kind === 'imm') return { static: true, n: op.value & 0x1f };
  return { static: false, v: b.and(read(b, op), b.k(0x1f)) };
}

/**
 * Run `body` with the count as a value when it is not 0: statically when
 * the count is an immediate, under a runtime test otherwise.
 */
function whenNonZero<V>(b: Backend<V>, c: Count<V>, body: (n: V) => void): void {
  if (c.static) {
    if (c.n !== 0) body(b.k(c.n));
  } else {
    b.if_(b.ne(c.v, b.k(0)), () => body(c.v));
  }
}

/** Bit (0/1) `n` of x. */
function bit<V>(b: Backend<V>, x: V, n: V): V {
  return b.and(b.shrU(x, n), b.k(1));
}

/** Most significant bit (0/1) of a `size`-byte value (bits above are ignored). */
function msb<V>(b: Backend<V>, x: V, size: Size): V {
  return bit(b, x, b.k(size * 8 - 1));
}

/** Set CF and OF from 0/1 values, leaving the other flags (rotates). */
function setCarryOverflow<V>(b: Backend<V>, cf: V, of: V): void {
  b.setEflags(b.or(cf, b.shl(of, b.k(11))), Flag.CF | Flag.OF);
}

/** SHL/SAL, SHR, SAR: lazy flags from the original value and the count. */
function shift(op: FlagOp.Shl | FlagOp.Shr | FlagOp.Sar): Sem {
  return (b, i) => {
    const dst = operand(i, 0);
    const size = sizeOf(dst);
    const d = rmw(b, dst);
    const count = countOf(b, operand(i, 1));
    whenNonZero(b, count, (n) => {
      const a = d.value;
      const res = op === FlagOp.Shl ? b.shl(a, n) : op === FlagOp.Shr ? b.shrU(a, n) : b.shrS(b.sx(a, size), n);
      d.set(res);
      b.flagsOp(op, size, res, a, n);
    });
  };
}

/** The value repeated to fill 32 bits, so that a 32-bit rotate rotates each copy modulo its width. */
function replicate<V>(b: Backend<V>, a: V, size: Size): V {
  if (size === 4) return a;
  if (size === 2) return b.or(a, b.shl(a, b.k(16)));
  return b.mul(a, b.k(0x01010101));
}

/**
 * ROL/ROR: the rotation is by count mod width, but CF and OF are updated
 * whenever the masked count is not 0 (an 8-bit ROL by 8 sets CF = bit 0).
 */
function rotate(left: boolean): Sem {
  return (b, i) => {
    const dst = operand(i, 0);
    const size = sizeOf(dst);
    const d = rmw(b, dst);
    const count = countOf(b, operand(i, 1));
    whenNonZero(b, count, (n) => {
      const wide = replicate(b, d.value, size);
      const res = left ? b.rotl(wide, n) : b.rotr(wide, n);
      d.set(res);
      if (left) {
        const cf = b.and(res, b.k(1));
        setCarryOverflow(b, cf, b.xor(msb(b, res, size), cf));
      } else {
        const cf = msb(b, res, size);
        setCarryOverflow(b, cf, b.xor(cf, bit(b, res, b.k(size * 8 - 2))));
      }
    });
  };
}

/**
 * RCL/RCR rotate the (width+1)-bit value CF:dest. The count is taken mod 9
 * for bytes and mod 17 for words (a masked count that reduces to 0 changes
 * nothing); for t in 1..width, with w the width:
 *   RCL: res = dest << t | CF << (t-1) | dest >> (w+1-t), CF = bit w-t of dest
 *   RCR: res = dest >> t | CF << (w-t) | dest << (w+1-t), CF = bit t-1 of dest
 * The w+1-t shifts are split in two so that t = 1 shifts everything out.
 */
function rotateThroughCarry(left: boolean): Sem {
  return <V>(b: Backend<V>, i: Instruction): void => {
    const dst = operand(i, 0);
    const size = sizeOf(dst);
    const width = size * 8;
    const d = rmw(b, dst);
    const count = countOf(b, operand(i, 1));
    let t: Count<V>;
    if (count.static) {
      t = { static: true, n: size === 4 ? count.n : count.n % (width + 1) };
    } else if (size === 4) {
      t = count;
    } else if (size === 2) {
      // count - 17 * (count >= 17), for count 0..31
      t = { static: false, v: b.sub(count.v, b.mul(b.leU(b.k(17), count.v), b.k(17))) };
    } else {
      // count - 9 * floor(count / 9); floor(c / 9) = (c * 57) >> 9 for c in 0..31
      t = { static: false, v: b.sub(count.v, b.mul(b.shrU(b.mul(count.v, b.k(57)), b.k(9)), b.k(9))) };
    }
    rotateCarry(b, d, size, left, t);
  };
}

function rotateCarry<V>(
  b: Backend<V>, d: { value: V; set(v: V): void }, size: Size, left: boolean, t: Count<V>,
): void {
  const width = size * 8;
  whenNonZero(b, t, (n) => {
    const a = d.value;
    const cf = b.flag(Flag.CF);
    const rest = b.sub(b.k(width), n); // w - t
    let res: V;
    let outCf: V;
    let of: V;
    if (left) {
      res = b.or(b.or(b.shl(a, n), b.shl(cf, b.sub(n, b.k(1)))), b.shrU(b.shrU(a, b.k(1)), rest));
      outCf = bit(b, a, rest);
      of = b.xor(msb(b, res, size), outCf);
    } else {
      res = b.or(b.or(b.shrU(a, n), b.shl(cf, rest)), b.shl(b.shl(a, b.k(1)), rest));
      outCf = bit(b, a, b.sub(n, b.k(1)));
      of = b.xor(msb(b, res, size), bit(b, res, b.k(width - 2)));
    }
    d.set(res);
    setCarryOverflow(b, outCf, of);
  });
}

/**
 * SHLD/SHRD. 32-bit: the standard double shift. 16-bit: shift the 32-bit
 * pair (dest:src for SHLD, src:dest for SHRD) with dest as the next 16
 * bits to come in, which equals the manual for counts up to 16 and gives
 * the 48-bit-pattern result above. OF for a 1-bit shift is the sign change.
 */
function doubleShift(left: boolean): Sem {
  return <V>(b: Backend<V>, i: Instruction): void => {
    const dst = operand(i, 0);
    const size = sizeOf(dst);
    const d = rmw(b, dst);
    const src = read(b, operand(i, 1));
    const count = countOf(b, operand(i, 2));
    whenNonZero(b, count, (n) => {
      const a = d.value;
      const back = b.sub(b.k(32), n);
      let res: V;
      if (size === 4) {
        res = left ? b.or(b.shl(a, n), b.shrU(src, back)) : b.or(b.shrU(a, n), b.shl(src, back));
      } else if (left) {
        const pair = b.or(b.shl(a, b.k(16)), src);
        res = b.shrU(b.or(b.shl(pair, n), b.shrU(b.shl(a, b.k(16)), back)), b.k(16));
      } else {
        const pair = b.or(b.shl(src, b.k(16)), a);
        res = b.or(b.shrU(pair, n), b.shl(a, back));
      }
      d.set(res);
      if (left) {
        // Lazy SHL flags fit: CF = bit w-n of dest, OF = msb(res) ^ CF = the sign change for n = 1.
        b.flagsOp(FlagOp.Shl, size, res, a, n);
      } else {
        b.flagsOp(FlagOp.Shr, size, res, a, n);
        b.setFlag(Flag.OF, b.xor(msb(b, res, size), msb(b, a, size)));
      }
    });
  };
}

/** What BTS/BTR/BTC do to the selected bit (`mask` has only that bit set); BT writes nothing. */
type BitUpdate = <V>(b: Backend<V>, v: V, mask: V) => V;

/**
 * BT/BTS/BTR/BTC: CF = the selected bit. An immediate offset and a
 * register destination take the offset modulo the width; a register offset
 * with a memory destination is signed and selects the word or dword at
 * EA + (width/8) * floor(offset / width) (SDM vol. 2, BT).
 */
function bitTest(update: BitUpdate | undefined): Sem {
  return <V>(b: Backend<V>, i: Instruction): void => {
    const dst = operand(i, 0);
    const offsetOp = operand(i, 1);
    const size = sizeOf(dst);
    const width = size * 8;
    let index: V;
    let target: { value: V; set(v: V): void };
    if (dst.kind === 'mem' && offsetOp.kind === 'reg') {
      const offset = b.sx(read(b, offsetOp), size);
      index = b.and(offset, b.k(width - 1));
      // Byte displacement of the selected unit, floor division kept signed.
      const shiftDown = size === 4 ? 5 : 4;
      const unit = b.shl(b.shrS(offset, b.k(shiftDown)), b.k(size === 4 ? 2 : 1));
      let ea = b.add(effectiveAddress(b, dst), unit);
      if (dst.adsize === 2) ea = b.zx(ea, 2);
      const at = ea;
      if (update) b.probeWrite(dst.seg, at, size);
      target = { value: b.load(dst.seg, at, size), set: (v) => b.store(dst.seg, at, size, v) };
    } else {
      index = offsetOp.kind === 'imm' ? b.k(offsetOp.value & (width - 1)) : b.and(read(b, offsetOp), b.k(width - 1));
      target = update ? rmw(b, dst) : { value: read(b, dst), set: () => {} };
    }
    const cf = bit(b, target.value, index);
    if (update) target.set(update(b, target.value, b.shl(b.k(1), index)));
    b.setFlag(Flag.CF, cf);
  };
}

/**
 * BSF/BSR: a zero source sets ZF and leaves the destination; otherwise ZF
 * is cleared and the destination receives the index of the lowest or
 * highest set bit.
 */
function bitScan(forward: boolean): Sem {
  return (b, i) => {
    const dst = operand(i, 0);
    if (dst.kind !== 'reg') throw new Error('BSF/BSR destination must be a register');
    const src = read(b, operand(i, 1));
    const zero = b.eqz(src);
    const index = forward ? b.ctz(src) : b.sub(b.k(31), b.clz(src));
    b.setReg(dst.reg, dst.size, b.select(zero, b.reg(dst.reg, dst.size), index));
    b.setFlag(Flag.ZF, zero);
  };
}

const bswap: Sem = (b, i) => {
  const dst = operand(i, 0);
  if (dst.kind !== 'reg') throw new Error('BSWAP operand must be a register');
  b.setReg(dst.reg, dst.size, dst.size === 4 ? b.bswap(b.reg(dst.reg, 4)) : b.k(0));
};

/** Condition code of a SETcc/CMOVcc row: the low nibble of its last opcode byte ('0F 94 /r'). */
const conditionOfRow = new WeakMap<OpcodeRow, number>();

function conditionCode(row: OpcodeRow): number {
  let cc = conditionOfRow.get(row);
  if (cc === undefined) {
    const bytes = row.opcode.split(/\s+/).filter((t) => /^[0-9A-F]{2}$/i.test(t));
    cc = parseInt(bytes[bytes.length - 1]!, 16) & 0xf;
    conditionOfRow.set(row, cc);
  }
  return cc;
}

/** SETcc r/m8. */
const setcc: Sem = (b, i) => {
  write(b, operand(i, 0), b.cond(conditionCode(i.row)));
};

/**
 * CMOVcc: the source is read whatever the condition (a memory source
 * faults even when the move does not happen); the destination is only
 * changed when the condition holds.
 */
const cmovcc: Sem = (b, i) => {
  const dst = operand(i, 0);
  if (dst.kind !== 'reg') throw new Error('CMOVcc destination must be a register');
  const src = read(b, operand(i, 1));
  b.if_(b.cond(conditionCode(i.row)), () => b.setReg(dst.reg, dst.size, src));
};

export const SHIFT_SEMANTICS: Record<string, Sem> = {
  rol: rotate(true),
  ror: rotate(false),
  rcl: rotateThroughCarry(true),
  rcr: rotateThroughCarry(false),
  shl: shift(FlagOp.Shl),
  shr: shift(FlagOp.Shr),
  sar: shift(FlagOp.Sar),
  shld: doubleShift(true),
  shrd: doubleShift(false),
  bt: bitTest(undefined),
  bts: bitTest((b, v, mask) => b.or(v, mask)),
  btr: bitTest((b, v, mask) => b.and(v, b.not(mask))),
  btc: bitTest((b, v, mask) => b.xor(v, mask)),
  bsf: bitScan(true),
  bsr: bitScan(false),
  bswap,
  setcc,
  cmovcc,
};
