# Real mode and the switches between modes (SDM vol. 3, 10.9, 20.1): from
# the multiboot entry's 32-bit protected mode down to real mode (through
# 16-bit protected mode, as 10.9.2 prescribes) and back up, several times.
# In real mode: segment arithmetic (linear = selector * 16 + offset),
# 32-bit operands and addresses, far CALL/RET, interrupts and exceptions
# through the IVT (FLAGS, CS, IP pushed; IF cleared), an IVT moved by
# LIDT, the 64 KiB offset limit (#GP, or #SS for the stack), LMSW's
# inability to clear PE, and CR0 as real mode sees it.
        .include "lib.inc"

        .set SCRATCH_SEG, 0x2000        # linear 20000h
        .set MOVED_IVT, 0x30000

        .text
        .globl  main
main:
        PRINTLN "32-bit protected mode: going down"
        movw    $real1, %ax
        jmp     enter_real

        .code16
        .section .real, "ax"
real1:
        call    rm_ivt_init
        movw    %sp, %bx
        PRINT16 "real mode: CS="
        HEX16_16 %cs
        PRINT16 " SS:SP="
        HEX16_16 %ss
        PRINT16 ":"
        HEX16_16 %bx
        PRINT16 " CR0.PE="
        movl    %cr0, %eax
        andw    $1, %ax
        HEX16_16 %ax
        NEWLINE16

        # Segment arithmetic: write through ES = 2000h, read back through a
        # segment of 1FFFh with an offset 16 higher, and later in protected
        # mode at linear 20010h.
        movw    $SCRATCH_SEG, %ax
        movw    %ax, %es
        movl    $0x12345678, %es:0x10
        movw    $SCRATCH_SEG - 1, %ax
        movw    %ax, %fs
        PRINT16 "1FFF:0020 reads "
        movl    %fs:0x20, %eax
        HEX16_16 %ax
        NEWLINE16

        # 32-bit operand and address sizes (66h and 67h prefixes).
        movl    $0x00010000, %ebx
        movl    $0xfedcba98, %eax
        addl    %ebx, %eax
        PRINT16 "EAX high and low: "
        roll    $16, %eax
        HEX16_16 %ax
        rorl    $16, %eax
        HEX16_16 %ax
        NEWLINE16
        movl    $0x10, %esi
        PRINT16 "ES:[ESI] with a 32-bit address: "
        movw    %es:(%esi), %ax
        HEX16_16 %ax
        NEWLINE16

        # Far CALL and RET.
        lcall   $REAL_SEG, $far_routine
        PRINT16 "far call returned, AX="
        HEX16_16 %ax
        NEWLINE16

        # INT n through the IVT: the handler sees FLAGS, CS, IP and IF = 0.
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    $int50_handler, 0x50 * 4
        movw    $REAL_SEG, 0x50 * 4 + 2
        movw    %cs, %ax
        movw    %ax, %ds
        sti
        movw    %sp, %bx
int50_site:
        int     $0x50
        cli
        PRINT16 "INT 50h: frame "
        movw    %bx, %ax
        subw    frame_sp, %ax
        HEX8_16 %al
        PRINT16 " bytes, IP +"
        movw    frame_ip, %ax
        subw    $int50_site, %ax
        call    puthexmin_16
        PRINT16 ", CS "
        HEX16_16 frame_cs
        PRINT16 ", FLAGS.IF "
        movw    frame_flags, %ax
        shrw    $9, %ax
        andw    $1, %ax
        call    puthexmin_16
        PRINT16 ", IF in handler "
        HEX8_16 handler_if
        NEWLINE16

        # An IVT moved by LIDT (real-mode IDTR base, 80386 and later).
        xorl    %eax, %eax
        movw    $MOVED_IVT >> 4, %ax
        movw    %ax, %es
        movw    $int50_moved, %es:0x50 * 4
        movw    $REAL_SEG, %es:0x50 * 4 + 2
        lidtl   moved_idt_pointer
        movw    $0, %ax
        int     $0x50
        lidtl   real_idt_pointer16
        PRINT16 "INT 50h through the moved IVT: AX="
        HEX16_16 %ax
        NEWLINE16

        # Exceptions through the IVT.
        xorw    %cx, %cx
        RTRY    "DIV by zero"
        divw    %cx
        RENDTRY
        RTRY    "UD2"
        ud2
        RENDTRY
        RTRY    "INT3"
        int3
        RENDTRY
        movw    $20, %ax
        RTRY    "BOUND out of range"
        boundw  %ax, bounds16
        RENDTRY
        # A word at offset FFFFh runs past the 64 KiB limit: #GP (exception
        # 13) for DS, #SS (12) for SS (SDM vol. 3, 20.1.3; vol. 2, MOV).
        RTRY    "word read at DS:FFFFh"
        movw    0xffff, %ax
        RENDTRY
        movw    $0xffff, %bp
        RTRY    "word read at SS:FFFFh"
        movw    (%bp), %ax
        RENDTRY
        RTRY    "byte read at DS:FFFFh"
        movb    0xffff, %al
        RENDTRY
        movl    $0x10000, %esi
        RTRY    "32-bit address above FFFFh"
        movb    (%esi), %al
        RENDTRY

        # LMSW sets PE but never clears it; here it enters protected mode
        # (with the GDT the library loaded, still in GDTR).
        PRINTLN16 "LMSW with PE: going up to 16-bit protected mode"
        smsw    %ax
        orw     $CR0_PE, %ax
        lmsw    %ax
        ljmp    $KCODE16, $pm16_1
pm16_1:
        movw    $KDATA16, %ax
        movw    %ax, %ds
        movw    %ax, %ss
        PRINT16 "16-bit protected mode: CS="
        HEX16_16 %cs
        PRINT16 " CR0.PE="
        smsw    %ax
        andw    $1, %ax
        HEX16_16 %ax
        NEWLINE16
        smsw    %ax
        andw    $~CR0_PE, %ax
        lmsw    %ax
        PRINT16 "after LMSW without PE: CR0.PE="
        smsw    %ax
        andw    $1, %ax
        HEX16_16 %ax
        NEWLINE16
        # Back to 32-bit code through a far jump with a 32-bit offset.
        ljmpl   $KCODE, $pm32_1

        .code32
        .text
pm32_1:
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    pm_saved_esp, %esp
        lidt    idt_pointer
        PRINT   "32-bit protected mode again: linear 20010h holds "
        HEX32   0x20010
        NEWLINE

        # A second round trip, coming back up through enter_pm32 (MOV CR0).
        movw    $real2, %ax
        jmp     enter_real
        .code16
        .section .real, "ax"
real2:
        PRINT16 "real mode again: CR0.PE="
        movl    %cr0, %eax
        andw    $1, %ax
        HEX16_16 %ax
        NEWLINE16
        movl    $pm32_2, %ebx
        jmp     enter_pm32
        .code32
        .text
pm32_2:
        PRINTLN "32-bit protected mode: done"
        ret

        .code16
        .section .real, "ax"
far_routine:
        movw    $0xfa12, %ax
        lret

int50_handler:
        pushw   %bp
        movw    %sp, %bp
        movw    %sp, %cs:frame_sp
        addw    $2, %cs:frame_sp         # SP at entry, before our push
        movw    2(%bp), %ax
        movw    %ax, %cs:frame_ip
        movw    4(%bp), %ax
        movw    %ax, %cs:frame_cs
        movw    6(%bp), %ax
        movw    %ax, %cs:frame_flags
        pushfw
        popw    %ax
        shrw    $9, %ax
        andb    $1, %al
        movb    %al, %cs:handler_if
        popw    %bp
        iret

int50_moved:
        movw    $0x5050, %ax
        iret

        .section .real.data, "a"
        .align 4
frame_sp:       .word 0
frame_ip:       .word 0
frame_cs:       .word 0
frame_flags:    .word 0
handler_if:     .byte 0
        .align 4
bounds16:       .word 0, 10
moved_idt_pointer:
        .word   0x3ff
        .long   MOVED_IVT
real_idt_pointer16:
        .word   0x3ff
        .long   0
        .code32
