# cr8wr: CR8 exists only in 64-bit mode (SDM vol. 3, 2.5: CR8 is the
# TPR's architectural alias there, bits 3:0 = TPR[7:4]). A 32-bit guest
# changes its task priority by writing the local APIC's TPR at FEE00080h
# (10.8.3.1), which is what this loop does: MOV to the TPR, alternating
# 20h and 0 (interrupts stay off, so the priority never matters). Without
# an APIC-access page or TPR shadow each write is an MMIO access that
# leaves translated code.
#
# Setup reports whether CPUID announces an APIC and whether the TPR is
# live (a written value reads back; on an unclaimed bus it reads all
# ones): "info tpr live" or "info tpr open-bus". The check compares the
# TPR with the last value written when it is live.
        .include "nano.inc"

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "cr8wr"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        movl    $1, %eax
        cpuid
        testl   $0x200, %edx                    # CPUID.1:EDX.APIC
        jnz     1f
        PRINTLN "info apic absent"
        jmp     2f
1:      PRINTLN "info apic present"
        # Software-enable it (SVR bit 8) with spurious vector FFh (10.9).
        movl    APIC_SVR, %eax
        orl     $0x1ff, %eax
        movl    %eax, APIC_SVR
2:      movl    $0x20, APIC_TPR
        movl    APIC_TPR, %eax
        movl    $0, APIC_TPR
        andl    $0xff, %eax
        cmpl    $0x20, %eax
        jne     3f
        movl    $1, tpr_live
        PRINTLN "info tpr live"
        ret
3:      PRINTLN "info tpr open-bus"
        ret

bench_check:
        cmpl    $0, tpr_live
        je      1f
        movl    APIC_TPR, %eax
        andl    $0xff, %eax
        movl    op_count, %edx
        andl    $1, %edx
        shll    $5, %edx                        # 20h after an odd count of writes
        cmpl    %edx, %eax
        je      1f
        CHECK_FAIL "the TPR does not hold the last value written"
1:      PRINTLN "check ok"
        ret

        .bss                            # not beside code: see nano.S
tpr_live:       .long 0

        .macro OP
        xorl    $0x20, %ecx
        movl    %ecx, APIC_TPR
        incl    %esi
        .endm
        NANO_LOOPS
