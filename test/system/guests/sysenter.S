# SYSENTER and SYSEXIT (SDM vol. 2, SYSENTER, SYSEXIT): CS, SS, ESP and EIP
# from IA32_SYSENTER_CS/ESP/EIP (MSRs 174h-176h) on the way in, with VM,
# IF and RF cleared; CS = SYSENTER_CS + 16, SS = + 24 (RPL 3), EIP = EDX,
# ESP = ECX on the way out. #GP(0) for SYSENTER with SYSENTER_CS null, and
# for SYSEXIT at CPL > 0 or with SYSENTER_CS null. The library's GDT has
# the layout this needs: KCODE, KDATA, UCODE, UDATA in a row.
        .include "lib.inc"

        .set MSR_SYSENTER_CS, 0x174
        .set MSR_SYSENTER_ESP, 0x175
        .set MSR_SYSENTER_EIP, 0x176

        .text
        .globl  main
main:
        PRINT   "CPUID.1:EDX.SEP: "
        movl    $1, %eax
        cpuid
        shrl    $11, %edx
        andl    $1, %edx
        HEX8    %dl
        NEWLINE
        movl    $MSR_SYSENTER_CS, %ecx
        movl    $KCODE, %eax
        xorl    %edx, %edx
        wrmsr
        movl    $MSR_SYSENTER_ESP, %ecx
        movl    $sysenter_stack_top, %eax
        wrmsr
        movl    $MSR_SYSENTER_EIP, %ecx
        movl    $sysenter_entry, %eax
        wrmsr

        # --- Ring 3 (IOPL 3, so that IF can be set there) to ring 0 and back.
        RING3   3
        sti
        movl    %esp, %ecx
        movl    $after_sysexit, %edx
        movl    $0x5e5e5e5e, %ebx
        sysenter
after_sysexit:
        movl    %esp, %eax
        movw    %cs, %si
        movw    %ss, %di
        PRINT   "in SYSENTER's target: CS "
        HEX16   entry_cs
        PRINT   ", SS "
        HEX16   entry_ss
        PRINT   ", ESP is SYSENTER_ESP: "
        cmpl    $sysenter_stack_top, entry_esp
        call    print_yes_if_equal
        PRINT   "  EFLAGS.IF "
        movl    entry_eflags, %edx
        shrl    $9, %edx
        andl    $1, %edx
        HEX8    %dl
        PRINT   ", EBX kept "
        HEX32   entry_ebx
        NEWLINE
        PRINT   "after SYSEXIT: CS "
        HEX16   %si
        PRINT   ", SS "
        HEX16   %di
        PRINT   ", ESP is ECX: "
        cmpl    %eax, %ecx
        call    print_yes_if_equal
        PRINT   "  EFLAGS.IF "
        pushfl
        popl    %edx
        shrl    $9, %edx
        andl    $1, %edx
        HEX8    %dl
        NEWLINE
        cli
        TRY     "SYSEXIT at CPL 3"
        sysexit
        ENDTRY
        RING0

        # --- SYSENTER from ring 0 is allowed too; SYSEXIT always goes to ring 3.
        movl    %esp, ring3_kernel_esp
        movl    $user_stack_top, %ecx
        movl    $after_sysexit0, %edx
        sysenter
after_sysexit0:
        movw    %cs, %si
        movw    $UDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        PRINT   "SYSENTER from ring 0, then SYSEXIT: CS "
        HEX16   %si
        NEWLINE
        RING0

        # --- SYSENTER_CS null.
        movl    $MSR_SYSENTER_CS, %ecx
        xorl    %eax, %eax
        xorl    %edx, %edx
        wrmsr
        TRY     "SYSEXIT at CPL 0 with SYSENTER_CS null"
        sysexit
        ENDTRY
        RING3
        TRY     "SYSENTER with SYSENTER_CS null"
        sysenter
        ENDTRY
        RING0
        ret

# SYSENTER lands here: record, then SYSEXIT back (EDX and ECX kept).
sysenter_entry:
        movw    %cs, %ss:entry_cs
        movw    %ss, %ss:entry_ss
        movl    %esp, %ss:entry_esp
        movl    %ebx, %ss:entry_ebx
        pushfl
        popl    %ss:entry_eflags
        sysexit

print_yes_if_equal:
        jne     1f
        PRINTLN "yes"
        ret
1:      PRINTLN "no"
        ret

        .data
entry_cs:       .word 0
entry_ss:       .word 0
entry_esp:      .long 0
entry_ebx:      .long 0
entry_eflags:   .long 0
        .align 16
        .fill   1024, 1, 0
sysenter_stack_top:
