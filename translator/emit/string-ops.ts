/**
 * Fast paths for REP MOVS and REP STOS in translated code. The generic
 * translation runs one iteration per pass of a block that branches back
 * to itself (the reference tier's model: each iteration retires as one
 * instruction). Before that iteration, this code runs as many iterations
 * as it can in bulk: whole runs of elements that stay inside one page of
 * the source and one of the destination, both hitting the TLB for their
 * access, moving forward (DF = 0), with a 32-bit address size and flat
 * segments. Such a run cannot fault, so memory.copy / memory.fill (or a
 * tight store loop) does it, and ECX, ESI, EDI and the budget advance by
 * the run's length. Anything else (a page not in the TLB, a code page,
 * an element across a page end, DF = 1, a forward overlap whose element
 * order shows, the last iteration) is left to the generic iteration,
 * which has the exact fault semantics: the CPU is interruptible between
 * iterations, and that is where the bulk runs stop.
 */
import { Flag } from '../semantics/backend.js';
import { type Instruction, type MemOperand, Reg, Seg } from '../table/types.js';
import { Access, tlbMask, TLB_VALID } from '../../runtime/mmu.js';
import type { EmitBackend } from './emit-backend.js';
import type { Expr } from './wasm.js';

/** Can this instruction take the bulk path under these flat segments? */
export function bulkString(i: Instruction, flatSegments: number): boolean {
  if (i.rep === 0 || i.adsize !== 4) return false;
  const sem = i.row.sem;
  if (sem !== 'movs' && sem !== 'stos') return false;
  const mems = i.operands.filter((o): o is MemOperand => o.kind === 'mem');
  return mems.every((m) => (flatSegments & (1 << m.seg)) !== 0) && mems.length === (sem === 'movs' ? 2 : 1);
}

/**
 * Emit the bulk runs of a REP MOVS/STOS into `b`, before its generic
 * iteration. `reserve` instructions of budget must remain for the path
 * after the instruction (the region's budget check guaranteed them).
 */
export function emitBulkString(b: EmitBackend, i: Instruction, reserve: number): void {
  const w = b.w;
  const m = w.m;
  const dst = i.operands.find((o): o is MemOperand => o.kind === 'mem' && o.seg === Seg.ES && o.base === Reg.EDI)
    ?? (i.operands[0] as MemOperand);
  const size = dst.size as 1 | 2 | 4;
  const shift = size === 1 ? 0 : size === 2 ? 1 : 2;
  const movs = i.row.sem === 'movs';
  const user = b.mode.cpl === 3;
  const L = (): number => w.newLocal();
  const ecx = b.regLocals[Reg.ECX]!, esi = b.regLocals[Reg.ESI]!, edi = b.regLocals[Reg.EDI]!;
  const n = L(), avail = L(), eD = L(), paD = L(), eS = L(), paS = L(), len = L(), v = L(), k = L();
  const g = (l: number): Expr => w.get(l);
  const k32 = (x: number): Expr => w.k(x);
  const done = b.label('bulk'), again = b.label('bulkLoop'), fill = b.label('fillLoop');
  const minInto = (l: number, e: () => Expr): Expr => w.set(l, m.select(m.i32.lt_u(g(l), e()), g(l), e()));
  const tlbEntry = (lin: Expr): Expr => m.i32.load(b.tlbBase, 4, m.i32.shl(m.i32.shr_u(lin, k32(12)), k32(2)));
  const leftInPage = (lin: number): Expr => m.i32.shr_u(m.i32.sub(k32(0x1000), m.i32.and(g(lin), k32(0xfff))), k32(shift));
  const body: Expr[] = [
    w.br(done, m.i32.and(g(b.flagsWordLocal()), k32(Flag.DF))),
    // The last iteration stays with the generic code (it decides where the block continues).
    w.br(done, m.i32.le_u(g(ecx), k32(1))),
    w.set(avail, m.i32.sub(g(b.budgetLocal), k32(reserve))),
    w.br(done, m.i32.le_s(g(avail), k32(0))),
    w.set(n, m.i32.sub(g(ecx), k32(1))),
    minInto(n, () => g(avail)),
    minInto(n, () => leftInPage(edi)),
    ...(movs ? [minInto(n, () => leftInPage(esi))] : []),
    w.br(done, m.i32.eqz(g(n))),
    w.set(eD, tlbEntry(g(edi))),
    w.br(done, m.i32.ne(m.i32.and(g(eD), k32(tlbMask(Access.Write, user))), k32(TLB_VALID))),
    w.set(paD, m.i32.xor(m.i32.and(g(eD), k32(~0xfff)), g(edi))),
    w.set(len, m.i32.shl(g(n), k32(shift))),
  ];
  if (movs) {
    body.push(
      w.set(eS, tlbEntry(g(esi))),
      w.br(done, m.i32.ne(m.i32.and(g(eS), k32(tlbMask(Access.Read, user))), k32(TLB_VALID))),
      w.set(paS, m.i32.xor(m.i32.and(g(eS), k32(~0xfff)), g(esi))),
      // Element-by-element forward copying differs from memmove only when the destination starts inside the source run.
      w.br(done, m.i32.and(m.i32.ne(g(paD), g(paS)), m.i32.lt_u(m.i32.sub(g(paD), g(paS)), g(len)))),
      w.memoryCopy(g(paD), g(paS), g(len)),
      w.set(esi, m.i32.add(g(esi), g(len))),
    );
  } else {
    const acc = b.regLocals[Reg.EAX]!;
    body.push(w.set(v, size === 4 ? g(acc) : m.i32.and(g(acc), k32(size === 2 ? 0xffff : 0xff))));
    if (size === 1) {
      body.push(w.memoryFill(g(paD), g(v), g(len)));
    } else {
      // Equal bytes (clearing, the common case) fill; others store element by element.
      const uniform = m.i32.eq(g(v), m.i32.mul(m.i32.and(g(v), k32(0xff)), k32(size === 2 ? 0x0101 : 0x01010101)));
      body.push(w.if_(uniform, w.memoryFill(g(paD), g(v), g(len)), w.block([
        w.set(k, k32(0)),
        w.loop(fill, w.block([
          w.store(0, size, m.i32.add(g(paD), g(k)), g(v)),
          w.set(k, m.i32.add(g(k), k32(size))),
          w.br(fill, m.i32.lt_u(g(k), g(len))),
        ])),
      ])));
    }
  }
  body.push(
    w.set(edi, m.i32.add(g(edi), g(len))),
    w.set(ecx, m.i32.sub(g(ecx), g(n))),
    w.set(b.budgetLocal, m.i32.sub(g(b.budgetLocal), g(n))),
    w.br(again),
  );
  b.emit(w.named(done, [w.loop(again, w.block(body))]));
  // The loop wrote ECX, ESI and EDI behind setReg's back.
  b.forgetRegisterParts();
}
