# Unreal mode: a segment register keeps its descriptor cache when PE is
# cleared, and a real-mode load changes only the selector and the base
# (SDM vol. 3, 3.4.3 and 20.1.1: "the limit and attributes are not
# changed"). FS and GS are given flat 4 GiB data descriptors in protected
# mode and are not reloaded through the 64 KiB descriptors on the way
# down, so real-mode code reaches all of memory through them with 32-bit
# addresses, even after loading FS with a real-mode value; DS, which went
# down through a 64 KiB descriptor, does not.
        .include "lib.inc"

        .set HIGH, 0x00200000           # 2 MiB: far beyond real mode's 1 MiB

        .text
        .globl  main
main:
        movl    $0, HIGH
        movl    $0, HIGH + 0x10000
        cli
        movl    %esp, pm_saved_esp
        movw    $KDATA, %ax
        movw    %ax, %fs
        movw    %ax, %gs
        ljmp    $KCODE16, $down16

        .code16
        .section .real, "ax"
down16:
        # Only DS, ES and SS get 64 KiB descriptors (SDM vol. 3, 10.9.2 step 4 asks it of all five).
        movw    $KDATA16, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        lidtl   %cs:ivt_pointer
        movl    %cr0, %eax
        andl    $~CR0_PE, %eax
        movl    %eax, %cr0
        ljmp    $REAL_SEG, $real
real:
        movw    $REAL_SEG, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $REAL_STACK, %sp
        call    rm_ivt_init

        PRINT16 "real mode, FS selector "
        HEX16_16 %fs
        NEWLINE16
        movl    $HIGH, %ebx
        RTRY    "write FS:[200000h] (4 GiB limit kept)"
        movl    $0x600dbeef, %fs:(%ebx)
        RENDTRY
        PRINT16 "read back through GS: "
        movl    %gs:(%ebx), %eax
        roll    $16, %eax
        HEX16_16 %ax
        roll    $16, %eax
        HEX16_16 %ax
        NEWLINE16
        # A real-mode load: base = 1000h * 16, the limit stays 4 GiB.
        movw    $0x1000, %ax
        movw    %ax, %fs
        RTRY    "after MOV FS, 1000h: write FS:[200000h]"
        movl    $0x0badf00d, %fs:(%ebx)
        RENDTRY
        RTRY    "DS (64 KiB limit): read DS:[200000h]"
        movl    (%ebx), %eax
        RENDTRY
        movl    $pm32, %ebx
        jmp     enter_pm32

        .section .real.data, "a"
ivt_pointer:
        .word   0x3ff
        .long   0

        .code32
        .text
pm32:
        PRINT   "protected mode: linear 200000h holds "
        HEX32   HIGH
        NEWLINE
        PRINT   "protected mode: linear 210000h holds "
        HEX32   HIGH + 0x10000
        NEWLINE
        ret
