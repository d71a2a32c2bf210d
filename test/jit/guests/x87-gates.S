# The gates of the x87 semantics' inline paths (translator/semantics/x87.ts)
# in translated code: loops of FLD m64fp / FSTP m64fp that run inline until
# the gate closes. No IDT: the fault ends the run. The scenario is a dword
# the test writes at SCENARIO before the run:
#
#   0  CR0.TS set after a first pass: the next FLD raises #NM (vector 7)
#   1  an unmasked invalid operation made pending after a first pass (FXCH
#      with an empty register, IE unmasked): the next FLD raises #MF (16)
#   2  FNSTSW AX under CR0.TS: #NM too (it waits for nothing but is an x87 instruction)
        .code32
        .set SCENARIO, 0x70100
        .set VALUE, 0x70200
        .set OUT, 0x70300

        .text
        .globl _start
_start:
        cli
        movl    %cr0, %eax
        orl     $0x20, %eax             # CR0.NE: unmasked exceptions are #MF
        andl    $~0xc, %eax             # EM and TS clear
        movl    %eax, %cr0
        fninit
        movl    $0x3ff80000, VALUE + 4  # 1.5
        movl    $0, VALUE
        movl    SCENARIO, %eax
        jmp     *table(,%eax,4)

        .p2align 2
table:
        .long   ts, pending, fnstsw_ts

ts:
        movl    $8, %ecx
1:      fldl    VALUE
        fstpl   OUT
        cmpl    $4, %ecx
        jne     2f
        movl    %cr0, %eax
        orl     $8, %eax                # CR0.TS: the next x87 instruction is #NM
        movl    %eax, %cr0
2:      decl    %ecx
        jnz     1b
        hlt

pending:
        movl    $8, %ecx
1:      fldl    VALUE
        fstpl   OUT
        cmpl    $4, %ecx
        jne     2f
        fnstcw  OUT + 8
        andw    $~1, OUT + 8            # IE unmasked
        fldcw   OUT + 8
        fxch    %st(3)                  # both empty: stack underflow, IE pending (#MF at the next waiting one)
2:      decl    %ecx
        jnz     1b
        hlt

fnstsw_ts:
        movl    $8, %ecx
1:      fldl    VALUE
        fstpl   OUT
        fnstsw  %ax
        movl    %eax, OUT + 12
        cmpl    $4, %ecx
        jne     2f
        movl    %cr0, %eax
        orl     $8, %eax
        movl    %eax, %cr0
        fnstsw  %ax                     # #NM here
2:      decl    %ecx
        jnz     1b
        hlt
