# CPUID, the time-stamp counter and MSRs (SDM vol. 2, CPUID, RDTSC, RDMSR,
# WRMSR; vol. 4 for the MSRs): the vendor, the family, the feature bits
# this machine's system support is about (a P6 with PAE, PGE, SEP, PSE-36,
# PAT, and NX), the SYSENTER MSRs and IA32_EFER.NXE read back what was
# written, the TSC MSR is the counter RDTSC reads; #GP(0) for an MSR that
# does not exist, a reserved EFER bit, RDMSR at CPL 3, and RDTSC at CPL 3
# with CR4.TSD. Model, stepping and brand differ between CPUs: not printed.
        .include "lib.inc"

        .set MSR_TSC, 0x10
        .set MSR_SYSENTER_CS, 0x174
        .set MSR_SYSENTER_ESP, 0x175
        .set MSR_SYSENTER_EIP, 0x176
        .set MSR_EFER, 0xc0000080
        .set CR4_TSD, 0x4

        .text
        .globl  main
main:
        xorl    %eax, %eax
        cpuid
        movl    %ebx, vendor
        movl    %edx, vendor + 4
        movl    %ecx, vendor + 8
        PRINT   "vendor: "
        movl    $vendor, %esi
        call    puts
        NEWLINE
        PRINT   "largest basic leaf at least 1: "
        cmpl    $1, %eax
        jb      1f
        PRINTLN "yes"
        jmp     2f
1:      PRINTLN "no"
2:      movl    $1, %eax
        cpuid
        PRINT   "family: "
        shrl    $8, %eax
        andl    $0xf, %eax
        call    puthex_min
        NEWLINE
        PRINT   "CPUID.1:EDX:"
        movl    $features_1_edx, %esi
        call    print_features
        movl    $0x80000000, %eax
        cpuid
        PRINT   "largest extended leaf at least 80000001h: "
        cmpl    $0x80000001, %eax
        jb      1f
        PRINTLN "yes"
        movl    $0x80000001, %eax
        cpuid
        PRINT   "CPUID.80000001h:EDX:"
        movl    $features_ext_edx, %esi
        call    print_features
        jmp     2f
1:      PRINTLN "no"
2:
        # --- The SYSENTER MSRs and EFER keep what is written.
        movl    $MSR_SYSENTER_CS, %ecx
        movl    $0x0008, %eax
        call    write_read
        movl    $MSR_SYSENTER_ESP, %ecx
        movl    $0x12345678, %eax
        call    write_read
        movl    $MSR_SYSENTER_EIP, %ecx
        movl    $0x9abcdef0, %eax
        call    write_read
        PRINT   "EFER at start: "
        movl    $MSR_EFER, %ecx
        rdmsr
        HEX32   %edx
        HEX32   %eax
        NEWLINE
        movl    $MSR_EFER, %ecx
        movl    $0x800, %eax
        call    write_read
        movl    $MSR_EFER, %ecx
        xorl    %eax, %eax
        call    write_read

        # --- The TSC.
        rdtsc
        movl    %eax, %esi
        movl    %edx, %edi
        movl    $MSR_TSC, %ecx
        rdmsr
        PRINT   "RDMSR(TSC) after RDTSC is not smaller: "
        subl    %esi, %eax
        sbbl    %edi, %edx
        jb      1f
        PRINTLN "yes"
        jmp     2f
1:      PRINTLN "no"
2:      movl    $MSR_TSC, %ecx
        xorl    %eax, %eax
        xorl    %edx, %edx
        wrmsr
        rdtsc
        PRINT   "RDTSC soon after WRMSR(TSC, 0) is below 2^32: "
        testl   %edx, %edx
        jnz     1f
        PRINTLN "yes"
        jmp     2f
1:      PRINTLN "no"
2:
        # --- Faults.
        movl    $0x00001234, %ecx
        TRY     "RDMSR of MSR 1234h (none)"
        rdmsr
        ENDTRY
        movl    $0x00001234, %ecx
        xorl    %eax, %eax
        xorl    %edx, %edx
        TRY     "WRMSR of MSR 1234h (none)"
        wrmsr
        ENDTRY
        movl    $MSR_EFER, %ecx
        movl    $0x2, %eax
        xorl    %edx, %edx
        TRY     "WRMSR EFER with reserved bit 1"
        wrmsr
        ENDTRY
        RING3
        TRY     "CPUID at ring 3"
        movl    $1, %eax
        cpuid
        ENDTRY
        TRY     "RDTSC at ring 3"
        rdtsc
        ENDTRY
        movl    $MSR_TSC, %ecx
        TRY     "RDMSR at ring 3"
        rdmsr
        ENDTRY
        RING0
        movl    %cr4, %eax
        orl     $CR4_TSD, %eax
        movl    %eax, %cr4
        TRY     "RDTSC at ring 0 with CR4.TSD"
        rdtsc
        ENDTRY
        RING3
        TRY     "RDTSC at ring 3 with CR4.TSD"
        rdtsc
        ENDTRY
        RING0
        movl    %cr4, %eax
        andl    $~CR4_TSD, %eax
        movl    %eax, %cr4
        ret

# WRMSR ECX with EDX:EAX = 0:EAX, then print what RDMSR gives.
write_read:
        PRINT   "MSR "
        HEX32   %ecx
        PRINT   " written "
        HEX32   %eax
        xorl    %edx, %edx
        pushl   %ecx
        wrmsr
        popl    %ecx
        movl    $0xdeadbeef, %eax
        movl    $0xdeadbeef, %edx
        rdmsr
        PRINT   ", read "
        HEX32   %edx
        HEX32   %eax
        NEWLINE
        ret

# ESI = table of (bit, name) pairs ending with bit 0xff; EDX = the register.
# Prints " NAME" for every bit of the table that is set, then a newline.
print_features:
1:      movzbl  (%esi), %ecx
        cmpl    $0xff, %ecx
        je      3f
        incl    %esi
        btl     %ecx, %edx
        jnc     2f
        movb    $' ', %al
        call    putc
        call    puts
2:      lodsb                           # skip the name
        testb   %al, %al
        jnz     2b
        jmp     1b
3:      NEWLINE
        ret

        .data
vendor: .fill   16, 1, 0
features_1_edx:
        .byte 0
        .asciz "FPU"
        .byte 3
        .asciz "PSE"
        .byte 4
        .asciz "TSC"
        .byte 5
        .asciz "MSR"
        .byte 6
        .asciz "PAE"
        .byte 8
        .asciz "CX8"
        .byte 11
        .asciz "SEP"
        .byte 13
        .asciz "PGE"
        .byte 15
        .asciz "CMOV"
        .byte 16
        .asciz "PAT"
        .byte 17
        .asciz "PSE36"
        .byte 23
        .asciz "MMX"
        .byte 24
        .asciz "FXSR"
        .byte 0xff
features_ext_edx:
        .byte 20
        .asciz "NX"
        .byte 0xff
