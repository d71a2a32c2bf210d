# SMC test (a): stores into the instructions that follow them in the same
# basic block. A CPU fetches the new bytes (SDM vol. 3, 11.6: a write to a
# code location that is about to run is seen by the fetch), so the rest of
# the block must run what was written, not what was translated.
#
#   RESULTS+0  fold of patch_imm(i)  = 2i       (new imm32 of the next MOV)
#   RESULTS+4  fold of patch_op(i)   = i+1 or i-1 (next opcode INC or DEC)
#   RESULTS+8  fold of patch_rep(i)  = 3i       (REP MOVSB over the next MOV)
#   RESULTS+12 fold of patch_prev(i) = i-1, 0x100 for i=1 (rewrites an instruction that already ran)
#   RESULTS+16 fold of patch_x87(i)  = 5i       (an x87 store, FISTP, writes the next MOV's imm32)
#   RESULTS+20 fold of patch_x87_run(i) = 11i   (FISTP rewrites the address of the FILD after it,
#                                                two x87 instructions later in the same run)
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .set RESULTS, 0x70000
        .set N, 64

        .include "guest.inc"

        .text
        .globl _start
_start:
        cli
        cld
        FOLD_CALLS patch_imm, RESULTS+0
        FOLD_CALLS patch_op, RESULTS+4
        FOLD_CALLS patch_rep, RESULTS+8
        FOLD_CALLS patch_prev, RESULTS+12
        fninit
        FOLD_CALLS patch_x87, RESULTS+16
        FOLD_CALLS patch_x87_run, RESULTS+20
        hlt

# EAX = 2 * ECX: the store gives the next instruction the immediate ECX.
patch_imm:
        movl    %ecx, 2f+1
2:      movl    $0xdeadbeef, %eax
        addl    %ecx, %eax
        ret

# EAX = ECX + 1 for even ECX, ECX - 1 for odd: the store turns the NOP
# that follows it into INC EAX or DEC EAX.
patch_op:
        movl    %ecx, %eax
        movl    %ecx, %edx
        andl    $1, %edx
        movb    opcodes(%edx), %dl
        movb    %dl, 3f
3:      nop
        ret
opcodes:
        .byte   0x40, 0x48              # inc %eax, dec %eax

# EAX = 3 * ECX: REP MOVSB copies "mov $3i, %eax" (built in a template)
# over the instruction right after it.
patch_rep:
        pushl   %esi
        pushl   %edi
        movl    %ecx, %edx
        leal    (%ecx,%ecx,2), %eax
        movl    %eax, template+1
        movl    $template, %esi
        movl    $4f, %edi
        movl    $5, %ecx
        rep movsb
4:      movl    $0xdeadbeef, %eax
        movl    %edx, %ecx
        popl    %edi
        popl    %esi
        ret

# EAX = the ECX of the previous call (0x100 on the first): the store
# rewrites the immediate of the MOV that already ran in this block, which
# must change nothing now and everything on the next call.
patch_prev:
5:      movl    $0x100, %eax
        movl    %ecx, 5b+1
        ret

# EAX = 5 * ECX: FISTP stores 5i over the immediate of the MOV after it.
patch_x87:
        leal    (%ecx,%ecx,4), %eax
        movl    %eax, x87_scratch
        fildl   x87_scratch
        fistpl  6f+1
6:      movl    $0xdeadbeef, %eax
        ret

# EAX = 11 * ECX: FISTP writes the address of x87_b into the displacement
# of the FILD two instructions on (DB 05 disp32), which then loads 11i
# instead of x87_a's 1.
patch_x87_run:
        imull   $11, %ecx, %eax
        movl    %eax, x87_b
        fildl   x87_b_address
        fistpl  7f+2
7:      fildl   x87_a
        fistpl  x87_scratch
        movl    x87_scratch, %eax
        ret

        .data
x87_scratch:
        .long   0
x87_a:
        .long   1
x87_b:
        .long   0
x87_b_address:
        .long   x87_b
template:
        movl    $0, %eax
