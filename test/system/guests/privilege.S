# Privilege levels (SDM vol. 3, 5.5-5.9 and 6.12.1): IRET to ring 3 (and
# the data segment registers it nulls), interrupt and trap gates back to
# ring 0 on the TSS's stack, the DPL check of INT n / INT3 against CPL, a
# call gate with parameters and the far RET with an immediate that goes
# back out, conforming code, privileged instructions and the I/O bitmap at
# CPL 3, POPF at CPL 3, and the checks of IRET and far RET that refuse to
# go inward.
        .include "lib.inc"

        .set CONF_CODE, FREE_SEL                # conforming code, DPL 0
        .set CALL_GATE3, FREE_SEL + 8           # call gate, DPL 3, 2 parameters
        .set CALL_GATE0, FREE_SEL + 16          # call gate, DPL 0
        .set CONF_READ, FREE_SEL + 24           # conforming readable code, DPL 0 (for GS)

        .text
        .globl  main
main:
        SEGDESC CONF_CODE, $0, 0xfffff, (ACC_P | ACC_CODE | ACC_READ | ACC_CONF | FLG_G | FLG_DB)
        SEGDESC CONF_READ, $0, 0xfffff, (ACC_P | ACC_CODE | ACC_READ | ACC_CONF | FLG_G | FLG_DB)
        GDTGATE CALL_GATE3, $gate_fn, KCODE, (GATE_CALL3 | 2)
        GDTGATE CALL_GATE0, $gate_fn, KCODE, GATE_CALL
        CAPTURE 0x42, noerr, GATE_INT3          # interrupt gate, DPL 3
        CAPTURE 0x43, noerr, GATE_TRAP3         # trap gate, DPL 3
        IDTGATE 0x44, $never, KCODE, GATE_INT   # DPL 0

        # --- IRET to ring 3 by hand, with DS and FS holding a DPL 0 data
        # segment, ES a DPL 3 one and GS a conforming code segment: IRET
        # nulls DS and FS only (SDM vol. 2, IRET, RETURN-TO-OUTER-PRIVILEGE-LEVEL).
        movw    $UDATA, %ax
        movw    %ax, %es
        movw    $CONF_READ, %ax
        movw    %ax, %gs
        movl    %esp, ring3_kernel_esp
        pushl   $UDATA
        pushl   $user_stack_top
        pushfl
        orl     $EFL_IF, (%esp)         # IF = 1 at ring 3 (the 8259As are masked)
        pushl   $UCODE
        pushl   $ring3
        iretl
ring3:
        movw    %ds, %ax
        movw    %es, %bx
        movw    %fs, %cx
        movw    %gs, %dx
        movw    $UDATA, %si
        movw    %si, %ds
        PRINT   "after IRET to ring 3: CS="
        movw    %cs, %di
        HEX16   %di
        PRINT   " SS="
        movw    %ss, %di
        HEX16   %di
        PRINT   " DS="
        HEX16   %ax
        PRINT   " ES="
        HEX16   %bx
        PRINT   " FS="
        HEX16   %cx
        PRINT   " GS="
        HEX16   %dx
        NEWLINE
        movw    %si, %es
        movw    %si, %fs
        movw    %si, %gs

        # --- INT n through DPL 3 gates: to ring 0 on TSS.ESP0, SS0.
        movl    $1f, capture_resume
        movl    %esp, %ebx
int42_site:
        int     $0x42
1:      PRINT   "INT 42h (interrupt gate) from ring 3: "
        movl    $int42_site, %edx
        call    print_ring_frame
        movl    $1f, capture_resume
int43_site:
        int     $0x43
1:      PRINT   "INT 43h (trap gate) from ring 3: "
        movl    $int43_site, %edx
        call    print_ring_frame

        RING0
        RING3
        TRY     "INT 44h (DPL 0 gate) from ring 3"
        int     $0x44
        ENDTRY
        TRY     "INT3 (DPL 0 gate) from ring 3"
        int3
        ENDTRY
        TRY     "UD2 at ring 3 (exceptions ignore the gate's DPL)"
        ud2
        ENDTRY

        # --- A call gate with two parameters: ring 3 to ring 0 and back.
        movl    %esp, esp_before_call
        pushl   $0x11111111
        pushl   $0x22222222
        lcall   $CALL_GATE3 | 3, $0
        PRINT   "call gate: parameters "
        HEX32   param1
        PRINT   " "
        HEX32   param2
        PRINT   ", CS in the gate's code "
        HEX16   gate_cs
        PRINT   ", caller CS:ESP "
        HEX16   gate_caller_cs
        PRINT   ":"
        movl    gate_caller_esp, %eax
        subl    esp_before_call, %eax
        call    print_signed
        PRINT   ", ring 0 ESP "
        movl    gate_esp, %eax
        subl    $kernel_trap_stack_top, %eax
        call    print_signed
        PRINT   ", back at ring 3 with ESP "
        movl    %esp, %eax
        subl    esp_before_call, %eax
        call    print_signed
        NEWLINE
        TRY     "call gate with DPL 0 from ring 3"
        lcall   $CALL_GATE0, $0
        ENDTRY
        TRY     "far call to non-conforming DPL 0 code from ring 3"
        lcall   $KCODE, $never
        ENDTRY
        TRY     "far call to conforming DPL 0 code from ring 3"
        lcall   $CONF_CODE, $conforming_fn
        ENDTRY
        PRINT   "  CS in the conforming code: "
        HEX16   conforming_cs
        NEWLINE

        # --- Privileged instructions and I/O at CPL 3 with IOPL 0.
        TRY     "CLI"
        cli
        ENDTRY
        TRY     "HLT"
        hlt
        ENDTRY
        TRY     "MOV EAX, CR0"
        movl    %cr0, %eax
        ENDTRY
        TRY     "LIDT"
        lidt    idt_pointer
        ENDTRY
        TRY     "IN from port 80h (denied by the I/O bitmap)"
        inb     $0x80, %al
        ENDTRY
        TRY     "IN from port E9h (allowed by the I/O bitmap)"
        inb     $0xe9, %al
        ENDTRY
        PRINT   "POPF at CPL 3 with IOPL 0 (IF, IOPL unchanged): "
        pushfl
        orl     $(EFL_IF | EFL_IOPL3), (%esp)
        popfl
        pushfl
        popl    %eax
        andl    $(EFL_IF | EFL_IOPL3), %eax
        HEX32   %eax
        NEWLINE
        TRY     "MOV DS, KDATA (DPL 0) at CPL 3"
        movw    $KDATA, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV SS, KDATA (DPL 0) at CPL 3"
        movw    $KDATA, %ax
        movw    %ax, %ss
        ENDTRY

        # --- IRET and far RET refuse to go to a more privileged level.
        TRY     "IRET from ring 3 to ring 0"
        pushfl
        pushl   $KCODE
        pushl   $never
        iretl
        ENDTRY
        TRY     "far RET from ring 3 to ring 0"
        pushl   $KCODE
        pushl   $never
        lret
        ENDTRY
        RING0

        # --- Ring 3 with IOPL 3: CLI and STI are allowed.
        RING3   3
        TRY     "CLI at CPL 3 with IOPL 3"
        cli
        ENDTRY
        RING0

        # --- At ring 0: loads that the privilege rules refuse.
        TRY     "MOV SS, UDATA (DPL 3) at CPL 0"
        movw    $UDATA, %ax
        movw    %ax, %ss
        ENDTRY
        TRY     "MOV DS, KDATA with RPL 3 at CPL 0"
        movw    $KDATA | 3, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "IRET to ring 3 with SS RPL 0"
        pushl   $KDATA
        pushl   $user_stack_top
        pushfl
        pushl   $UCODE
        pushl   $never
        iretl
        ENDTRY
        TRY     "IRET to ring 3 with CS RPL 0"
        pushl   $UDATA
        pushl   $user_stack_top
        pushfl
        pushl   $(UCODE & ~3)
        pushl   $never
        iretl
        ENDTRY
        ret

# The frame INT 42h/43h pushed: EBX = ESP before, EDX = the INT's address.
print_ring_frame:
        PRINT   "frame "
        movl    $kernel_trap_stack_top, %eax
        subl    captured_esp, %eax
        HEX8    %al
        PRINT   " bytes on TSS.ESP0, EIP +"
        movl    captured_eip, %eax
        subl    %edx, %eax
        call    puthex_min
        PRINT   ", CS "
        HEX16   captured_cs
        PRINT   ", SS:ESP "
        HEX16   captured_ss3
        PRINT   ":"
        movl    captured_esp3, %eax
        subl    %ebx, %eax
        call    print_signed
        PRINT   ", IF in handler "
        movl    captured_handler_eflags, %eax
        shrl    $9, %eax
        andl    $1, %eax
        call    puthex_min
        NEWLINE
        ret

# Print EAX as a signed number in hex ("+0", "-8").
print_signed:
        pushl   %eax
        testl   %eax, %eax
        js      1f
        movb    $'+', %al
        call    putc
        movl    (%esp), %eax
        jmp     2f
1:      movb    $'-', %al
        call    putc
        movl    (%esp), %eax
        negl    %eax
2:      call    puthex_min
        popl    %eax
        ret

# Through CALL_GATE3: ring 0, on the TSS stack, parameters copied.
gate_fn:
        movl    %esp, %ss:gate_esp
        movl    8(%esp), %eax
        movl    %eax, %ss:param2
        movl    12(%esp), %eax
        movl    %eax, %ss:param1
        movw    %cs, %ss:gate_cs
        movl    4(%esp), %eax
        movw    %ax, %ss:gate_caller_cs
        movl    16(%esp), %eax
        movl    %eax, %ss:gate_caller_esp
        lret    $8

conforming_fn:
        movw    %cs, %ss:conforming_cs
        lret

never:
        PRINTLN "reached a place a check should have kept us from"
        EXIT    1

        .data
esp_before_call: .long 0
param1:         .long 0
param2:         .long 0
gate_cs:        .word 0
gate_caller_cs: .word 0
gate_caller_esp: .long 0
gate_esp:       .long 0
conforming_cs:  .word 0
