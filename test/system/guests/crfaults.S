# The #GP(0) checks of MOV to CR0 and CR4 (SDM vol. 2, MOV—Move to/from
# Control Registers; vol. 3, 2.5): setting PG without PE, NW without CD,
# a reserved CR4 bit, or a CR4 bit for a feature the CPU does not report
# (OSXSAVE, SMEP on a P6). A faulting write changes nothing.
#
# QEMU 7.2's TCG cannot run this guest: it accepts CR0 = PG without PE
# (and so loses the guest), and a reserved CR4 bit sends it into an SVM
# #VMEXIT path that never returns. The expected output is from the SDM.
        .include "lib.inc"

        .text
        .globl  main
main:
        movl    %cr0, %ebx
        movl    %cr4, %esi
        movl    %ebx, %eax
        orl     $CR0_PG, %eax
        andl    $~CR0_PE, %eax
        TRY     "MOV CR0 with PG but not PE"
        movl    %eax, %cr0
        ENDTRY
        movl    %ebx, %eax
        andl    $~0x40000000, %eax      # CD = 0
        orl     $0x20000000, %eax       # NW = 1
        TRY     "MOV CR0 with NW but not CD"
        movl    %eax, %cr0
        ENDTRY
        movl    %esi, %eax
        orl     $0x80000000, %eax
        TRY     "MOV CR4 with reserved bit 31"
        movl    %eax, %cr4
        ENDTRY
        movl    %esi, %eax
        orl     $0x00040000, %eax
        TRY     "MOV CR4 with OSXSAVE (no XSAVE)"
        movl    %eax, %cr4
        ENDTRY
        movl    %esi, %eax
        orl     $0x00100000, %eax
        TRY     "MOV CR4 with SMEP (no SMEP)"
        movl    %eax, %cr4
        ENDTRY
        PRINT   "CR0 and CR4 unchanged: "
        movl    %cr0, %eax
        cmpl    %eax, %ebx
        jne     1f
        movl    %cr4, %eax
        cmpl    %eax, %esi
        jne     1f
        PRINTLN "yes"
        ret
1:      PRINTLN "no"
        ret
