# Register parts test: byte and word register writes read back in the same
# block (translator/emit/emit-backend.ts keeps a written part known and
# returns it on a later read of the same part). Each case runs in a loop of
# ROUNDS iterations, so the hot tiers run it translated; each iteration
# folds what it read into ESI (fold(s, v) = 3s + v), and the test compares
# every tier with the reference interpreter and with values it computes.
#
#   RESULTS+0   AL loaded, incremented, stored, then AX and EAX read
#   RESULTS+4   AL then AH written, AX read; AX written, AL and AH read
#   RESULTS+8   CL written, then REP MOVSB (its bulk path writes ECX), CL read
#   RESULTS+12  AL written, EAX written whole, AL read
#   RESULTS+16  AL written, SHL AL, CL with CL = 0 or 1 by turns, AL read
#   RESULTS+20  BH written, BL written, BH loaded from memory, BX read
        .code32
        .set RESULTS, 0x70000
        .set DATA, 0x200000
        .set SRC, 0x201000
        .set DST, 0x202000
        .set ROUNDS, 300

        .include "guest.inc"

        .text
        .globl _start
_start:
        cli
        # Data bytes k * 5 + 1.
        movl    $DATA, %edi
        xorl    %ecx, %ecx
1:      leal    1(%ecx,%ecx,4), %eax
        movb    %al, (%edi,%ecx)
        incl    %ecx
        cmpl    $512, %ecx
        jb      1b

        # 1. mov al, [esi]; inc al; mov [edi], al; read AX and EAX.
        xorl    %esi, %esi
        movl    $0x12345678, %eax
        xorl    %ebx, %ebx
1:      movb    DATA(%ebx), %al
        incb    %al
        movb    %al, DATA+0x400(%ebx)
        movzwl  %ax, %edx
        FOLD    %edx
        FOLD    %eax
        incl    %ebx
        cmpl    $ROUNDS, %ebx
        jb      1b
        movl    %esi, RESULTS

        # 2. AL then AH, AX read; AX written, AL and AH read.
        xorl    %esi, %esi
        xorl    %ebx, %ebx
        movl    $0xdeadbeef, %eax
1:      movb    %bl, %al
        movb    DATA(%ebx), %ah
        movzwl  %ax, %edx
        FOLD    %edx
        movw    %bx, %ax
        addw    $0x1234, %ax
        movzbl  %al, %edx
        FOLD    %edx
        movzbl  %ah, %edx
        FOLD    %edx
        FOLD    %eax
        incl    %ebx
        cmpl    $ROUNDS, %ebx
        jb      1b
        movl    %esi, RESULTS+4

        # 3. CL written, REP MOVSB writes ECX (to 0) behind the part, CL read.
        cld
        xorl    %ebp, %ebp
        xorl    %ebx, %ebx
1:      pushl   %esi
        movl    $SRC, %esi
        movl    $DST, %edi
        xorl    %ecx, %ecx
        movb    $40, %cl
        rep movsb
        movzbl  %cl, %edx
        popl    %esi
        leal    (%ebp,%ebp,2), %ebp
        addl    %edx, %ebp
        addl    %ecx, %ebp
        addl    %edi, %ebp
        incl    %ebx
        cmpl    $ROUNDS, %ebx
        jb      1b
        movl    %ebp, RESULTS+8

        # 4. AL written, EAX written whole, AL read.
        xorl    %esi, %esi
        xorl    %ebx, %ebx
1:      movb    $0x77, %al
        leal    0x100(%ebx,%ebx,2), %eax
        movzbl  %al, %edx
        FOLD    %edx
        incl    %ebx
        cmpl    $ROUNDS, %ebx
        jb      1b
        movl    %esi, RESULTS+12

        # 5. AL written, SHL AL, CL with CL alternating 0 and 1, AL read.
        xorl    %esi, %esi
        xorl    %ebx, %ebx
1:      movb    DATA(%ebx), %al
        movl    %ebx, %ecx
        andl    $1, %ecx
        shlb    %cl, %al
        movzbl  %al, %edx
        FOLD    %edx
        incl    %ebx
        cmpl    $ROUNDS, %ebx
        jb      1b
        movl    %esi, RESULTS+16

        # 6. BH, BL written, BH loaded from memory, BX read.
        xorl    %esi, %esi
        xorl    %ecx, %ecx
1:      movl    %ecx, %ebx
        movb    $0x5a, %bh
        movb    %cl, %bl
        addb    $3, %bl
        movb    DATA(%ecx), %bh
        movzwl  %bx, %edx
        FOLD    %edx
        FOLD    %ebx
        incl    %ecx
        cmpl    $ROUNDS, %ecx
        jb      1b
        movl    %esi, RESULTS+20

        hlt
