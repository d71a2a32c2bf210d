# 16-bit protected mode (SDM vol. 3, 21.1 "Defining 16-bit and 32-bit
# program modules", 21.3 "Mixing 16-bit and 32-bit code segments"): a code
# segment with D = 0 runs with 16-bit operands and addresses by default; a
# stack segment with B = 0 moves SP only; far calls across sizes push and
# pop the caller's size; a 16-bit interrupt gate pushes a 16-bit frame; a
# 16-bit call gate; a near jump past a 16-bit code segment's limit.
        .include "lib.inc"

        .set CODE16_SMALL, FREE_SEL             # 16-bit code from small_code to small_end
        .set GATE16, FREE_SEL + 8               # 16-bit call gate to gate_target16
        .set CODE32_REAL, FREE_SEL + 16         # 32-bit code based at REAL_BASE

        .text
        .globl  main
main:
        IDTGATE 0x41, $int41_handler16, KCODE16, (0x8000 | (T_INT16 << 8))
        GDTGATE GATE16, $gate_target16, KCODE16, (0x8000 | (T_CALL16 << 8))
        SEGDESC CODE16_SMALL, $(REAL_BASE + small_code), (small_end - small_code), (ACC_P | ACC_CODE | ACC_READ)
        SEGDESC CODE32_REAL, $REAL_BASE, 0xffff, (ACC_P | ACC_CODE | ACC_READ | FLG_DB)
        movl    %esp, pm_saved_esp
        movl    %esp, saved_esp32
        # A far call into 16-bit code pushes a 32-bit return address (the
        # caller's operand size); the 16-bit code returns with a 32-bit LRET.
        lcall   $KCODE16, $far16
far16_return:
        PRINT   "back in 32-bit code after LRETL, ESP balanced: "
        cmpl    saved_esp32, %esp
        jne     1f
        PRINTLN "yes"
        jmp     2f
1:      PRINTLN "no"
2:
        ljmp    $KCODE16, $main16

        .code16
        .section .real, "ax"
far16:
        PRINT16 "16-bit code: CS="
        HEX16_16 %cs
        PRINT16 ", 32-bit return address (CS, EIP) on the stack: "
        movl    %esp, %ebx              # the 32-bit stack (SS = KDATA, B = 1)
        cmpw    $KCODE, %ss:4(%ebx)
        jne     1f
        cmpl    $far16_return, %ss:(%ebx)
        jne     1f
        PRINTLN16 "yes"
        lretl
1:      PRINTLN16 "no"
        lretl

main16:
        movw    $KDATA16, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        # A 16-bit stack: PUSH moves SP and leaves ESP's high half alone.
        movl    $0xabcdfff0, %esp
        pushw   %ax
        pushl   %eax
        movl    %esp, %ebx
        PRINT16 "ESP after PUSH (16 and 32-bit) on a 16-bit stack: "
        roll    $16, %ebx
        HEX16_16 %bx
        roll    $16, %ebx
        HEX16_16 %bx
        NEWLINE16
        movl    $0x0000fff0, %esp

        # 16-bit operands by default, 32-bit with a 66h prefix.
        movl    $0x11112222, %eax
        movw    $0x3333, %ax
        PRINT16 "EAX after MOV AX: "
        roll    $16, %eax
        HEX16_16 %ax
        roll    $16, %eax
        HEX16_16 %ax
        NEWLINE16

        # SP wraps at 64 KiB: a push at SP = 0 writes SS:FFFEh.
        movw    $0, %sp
        pushw   $0x5aa5
        movw    %sp, %bx
        movw    $0xfff0, %sp
        PRINT16 "PUSH at SP=0: SP="
        HEX16_16 %bx
        PRINT16 ", SS:FFFE="
        HEX16_16 %ss:0xfffe
        NEWLINE16

        # A near call and return with 16-bit IP.
        call    near16
        PRINTLN16 "near CALL/RET in 16-bit code: ok"

        # INT through a 16-bit interrupt gate: FLAGS, CS and IP as words.
        movw    %sp, %bx
int41_site:
        int     $0x41
        PRINT16 "16-bit interrupt gate: frame "
        movw    %bx, %ax
        subw    frame_sp16, %ax
        HEX8_16 %al
        PRINT16 " bytes, IP +"
        movw    frame_ip16, %ax
        subw    $int41_site, %ax
        call    puthexmin_16
        PRINT16 ", CS "
        HEX16_16 frame_cs16
        NEWLINE16

        # A far call through a 16-bit call gate (same privilege).
        lcall   $GATE16, $0
        PRINT16 "16-bit call gate: AX="
        HEX16_16 %ax
        NEWLINE16

        # A far call from 16-bit code into 32-bit code: a 16-bit return
        # address, which the 32-bit routine pops with a 16-bit LRET.
        lcall   $CODE32_REAL, $far32
far32_return:
        movl    %eax, %edx
        PRINT16 "32-bit code called from 16-bit code: 16-bit return address (CS, IP) "
        cmpw    $KCODE16, ret_cs16
        jne     1f
        cmpw    $far32_return, ret_ip16
        jne     1f
        PRINT16 "right"
        jmp     2f
1:      PRINT16 "wrong"
2:      PRINT16 ", EAX="
        roll    $16, %edx
        HEX16_16 %dx
        roll    $16, %edx
        HEX16_16 %dx
        NEWLINE16

        # Back to 32-bit code for good.
        ljmpl   $KCODE, $main32

near16:
        ret

int41_handler16:
        pushw   %bp
        movw    %sp, %bp
        leaw    2(%bp), %ax
        movw    %ax, %ds:frame_sp16
        movw    2(%bp), %ax
        movw    %ax, %ds:frame_ip16
        movw    4(%bp), %ax
        movw    %ax, %ds:frame_cs16
        popw    %bp
        iret

gate_target16:
        movw    $0x6a7e, %ax
        lret

# The small segment (based here, so its offsets start at 0): it ends at
# small_end, so the jump leaves it.
small_code:
        jmp     small_end + 0x10
small_end:

# 32-bit code in the .real section (CODE32_REAL): 32-bit operands by
# default; the 16-bit return address comes off a 16-bit stack.
        .code32
far32:
        movw    %ss:(%esp), %ax         # the 16-bit return: IP, then CS
        movw    %ax, %ds:ret_ip16
        movw    %ss:2(%esp), %ax
        movw    %ax, %ds:ret_cs16
        movl    $0x32323232, %eax
        lretw

        .section .real.data, "a"
frame_sp16:     .word 0
frame_ip16:     .word 0
frame_cs16:     .word 0
ret_ip16:       .word 0
ret_cs16:       .word 0

        .text

main32:
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movl    pm_saved_esp, %esp
        PRINTLN "32-bit code again"
        # A near jump past the limit of a 16-bit code segment: #GP(0) at the
        # jump (offset 0 of the segment), not at its target.
        TRY     "jump past a 16-bit segment's limit"
        ljmp    $CODE16_SMALL, $0
        ENDTRY
        ret

        .data
saved_esp32:    .long 0
