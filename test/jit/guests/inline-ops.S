# The cheap sensitive instructions in loops (so that every JIT tier
# translates them, the hot one after 20 iterations): CLI, STI, PUSHF and
# POPF (32- and 16-bit) at CPL 0; IN and OUT (imm8 and DX) to a port of
# the VMM core (the slave 8259A's mask register; the master's masks every
# line) and to an unclaimed one; all of them at CPL 3 with IOPL 3 (they run)
# and IOPL 0 (CLI, STI, IN, OUT fault: #GP, counted by a handler that steps
# over the instruction; POPF leaves IF alone); POPF setting TF (the #DB
# comes after the next instruction). The transcript must be the same in
# every tier (test/jit/inline.test.ts).
        .include "../../system/guests/lib.inc"

        .set LOOPS, 40
        .set PIC2_MASK, 0xa1
        .set UNCLAIMED, 0xe0

        .text
        .globl  main
main:
        IDTGATE 1, $db_handler, KCODE, GATE_INT
        IDTGATE 13, $gp_handler, KCODE, GATE_INT

        # --- CPL 0: CLI, STI, PUSHF, POPF ---------------------------------------
        xorl    %ebx, %ebx
        movl    $LOOPS, %ecx
1:      cli
        pushfl
        popl    %eax
        andl    $0xed5, %eax
        addl    %eax, %ebx
        sti
        pushfl
        popl    %eax
        andl    $0xed5, %eax
        addl    %eax, %ebx
        movl    %ecx, %eax
        imull   $0x9b, %eax
        andl    $0xcd5, %eax            # CF PF AF ZF SF DF OF from the counter, IF = 0
        pushl   %eax
        popfl
        pushfl
        popl    %eax
        addl    %eax, %ebx
        sbbl    %ecx, %ebx              # reads the CF POPF wrote
        movl    %ecx, %eax
        andl    $0xcd5, %eax
        orl     $0x200, %eax            # IF = 1
        pushw   %ax
        popfw
        pushfw
        popw    %ax
        movzwl  %ax, %eax
        addl    %eax, %ebx
        cld
        cli
        loop    1b
        PRINT   "cpl0 flags: "
        HEX32   %ebx
        NEWLINE

        # --- CPL 0: IN and OUT ----------------------------------------------------
        xorl    %ebx, %ebx
        movl    $LOOPS, %ecx
2:      movb    %cl, %al
        outb    %al, $PIC2_MASK
        inb     $PIC2_MASK, %al
        movzbl  %al, %eax
        addl    %eax, %ebx
        notb    %al
        movw    $PIC2_MASK, %dx
        outb    %al, (%dx)
        inb     (%dx), %al
        movzbl  %al, %eax
        addl    %eax, %ebx
        inb     $UNCLAIMED, %al
        movzbl  %al, %eax
        addl    %eax, %ebx
        movw    $UNCLAIMED, %dx
        inl     (%dx), %eax
        xorl    %eax, %ebx
        loop    2b
        movb    $0xff, %al
        outb    %al, $PIC2_MASK
        PRINT   "cpl0 io: "
        HEX32   %ebx
        NEWLINE

        # --- CPL 3, IOPL 3: everything runs ----------------------------------------
        RING3   3
        xorl    %ebx, %ebx
        movl    $LOOPS, %ecx
3:      cli
        pushfl
        popl    %eax
        addl    %eax, %ebx
        sti
        pushfl
        popl    %eax
        addl    %eax, %ebx
        pushl   %ecx
        andl    $0x0c5, (%esp)
        popfl                           # IF = 0 (CPL <= IOPL: POPF may change it)
        pushfl
        popl    %eax
        addl    %eax, %ebx
        movb    %cl, %al
        outb    %al, $PIC2_MASK
        movw    $PIC2_MASK, %dx
        inb     (%dx), %al
        movzbl  %al, %eax
        addl    %eax, %ebx
        loop    3b
        movb    $0xff, %al
        outb    %al, $PIC2_MASK
        RING0
        PRINT   "cpl3 iopl3: "
        HEX32   %ebx
        NEWLINE

        # --- CPL 3, IOPL 0: CLI, STI, IN, OUT fault; POPF keeps IF -----------------
        movl    $0, gp_count
        RING3   0
        xorl    %ebx, %ebx
        movl    $LOOPS, %ecx
4:      movl    $1, gp_skip
        cli
        sti
        movl    $2, gp_skip
        inb     $PIC2_MASK, %al
        outb    %al, $PIC2_MASK
        movl    $1, gp_skip
        movw    $PIC2_MASK, %dx
        inb     (%dx), %al
        pushl   $0x2d5                  # IF = 1: ignored at CPL 3 with IOPL 0
        popfl
        pushfl
        popl    %eax
        addl    %eax, %ebx
        loop    4b
        RING0
        PRINT   "cpl3 iopl0: "
        HEX32   %ebx
        PRINT   " #GP "
        HEX32   gp_count
        NEWLINE

        # --- POPF setting TF: #DB after the next instruction ------------------------
        movl    $0, db_count
        movl    $0, db_wrong
        movl    $LOOPS, %ecx
        xorl    %edi, %edi
5:      pushfl
        orl     $EFL_TF, (%esp)
        popfl
        incl    %edi
db_expected:
        loop    5b
        PRINT   "popf tf: #DB "
        HEX32   db_count
        PRINT   " elsewhere "
        HEX32   db_wrong
        PRINT   " edi "
        HEX32   %edi
        NEWLINE
        ret

# #GP from ring 3: step over the faulting instruction (gp_skip bytes).
gp_handler:
        addl    $4, %esp                # the error code
        pushl   %eax
        movl    %ss:gp_skip, %eax
        addl    %eax, 4(%esp)
        incl    %ss:gp_count
        popl    %eax
        iretl

# Single-step #DB: count where it came from, clear TF in the frame.
db_handler:
        incl    db_count
        cmpl    $db_expected, (%esp)
        je      1f
        incl    db_wrong
1:      andl    $~EFL_TF, 8(%esp)
        iretl

        .data
gp_skip:        .long 1
gp_count:       .long 0
db_count:       .long 0
db_wrong:       .long 0
