# Far transfers at one privilege level (SDM vol. 2, JMP, CALL, RET; vol. 3,
# 5.8): direct and indirect far JMP and CALL, far RET with an immediate,
# CALL and JMP through call gates that do not change privilege (no stack
# switch, no parameters copied), and the checks: RPL above CPL, a gate
# whose target is more privileged for JMP, and targets past a code
# segment's limit (the fault is the transfer's, with CS and EIP unchanged).
        .include "lib.inc"

        .set GATE_SAME, FREE_SEL                # call gate DPL 0 -> KCODE, 2 parameters
        .set GATE_USER, FREE_SEL + 8            # call gate DPL 3 -> KCODE
        .set SMALL_CODE, FREE_SEL + 0x10        # 32-bit code from small_code to small_limit

        .text
        .globl  main
main:
        GDTGATE GATE_SAME, $gate_fn, KCODE, (GATE_CALL | 2)
        GDTGATE GATE_USER, $gate_fn, KCODE, GATE_CALL3
        SEGDESC SMALL_CODE, $small_code, (small_limit - small_code), (ACC_P | ACC_CODE | ACC_READ | FLG_DB)

        ljmp    $KCODE, $1f
1:      PRINTLN "direct far JMP: ok"
        ljmp    *far_ptr
2:      PRINTLN "indirect far JMP (m16:32): ok"

        movl    %esp, %ebx
        lcall   $KCODE, $far_fn
3:      PRINT   "direct far CALL: pushed "
        movl    $3b, %edx
        call    print_far_frame
        movl    %esp, %ebx
        lcall   *far_call_ptr
4:      PRINT   "indirect far CALL: pushed "
        movl    $4b, %edx
        call    print_far_frame
        movl    %esp, %ebx
        pushl   $0x1111
        lcall   $KCODE, $far_fn_ret4
        PRINT   "far RET 4: ESP back to where it was before the parameter: "
        cmpl    %ebx, %esp
        call    print_yes_if_equal

        # A call gate that does not change privilege: no stack switch, and
        # the parameter count is ignored.
        movl    %esp, %ebx
        lcall   $GATE_SAME, $0
5:      PRINT   "CALL through a same-privilege call gate: pushed "
        movl    $5b, %edx
        call    print_far_frame
        movl    %esp, %ebx
        movl    $1, gate_via_jmp
        ljmp    $GATE_SAME, $0
jmp_gate_back:
        PRINT   "JMP through a call gate: ESP moved by "
        movl    %ebx, %eax
        subl    gate_esp, %eax
        call    puthex_min
        NEWLINE

        # --- Checks.
        TRY     "far CALL with RPL 3 to non-conforming DPL 0 code at CPL 0"
        lcall   $KCODE | 3, $never
        ENDTRY
        RING3
        TRY     "ring 3: JMP through a DPL 3 call gate to DPL 0 code"
        ljmp    $GATE_USER, $0
        ENDTRY
        RING0
        TRY     "far JMP to an offset past the target segment's limit"
        ljmp    $SMALL_CODE, $(small_limit - small_code + 0x100)
        ENDTRY
        TRY     "near JMP past CS's limit"
        ljmp    $SMALL_CODE, $0
        ENDTRY
        TRY     "near RET to past CS's limit"
        ljmp    $SMALL_CODE, $(small_ret - small_code)
        ENDTRY
        ret

# EBX = ESP before the call, EDX = the return address; the called code
# left the frame it saw in frame_*.
print_far_frame:
        movl    %ebx, %eax
        subl    frame_esp, %eax
        call    puthex_min
        PRINT   " bytes, CS "
        HEX16   frame_cs
        PRINT   ", EIP is the return address: "
        cmpl    %edx, frame_eip
        call    print_yes_if_equal
        ret

far_fn:
        movl    %esp, frame_esp
        movl    (%esp), %eax
        movl    %eax, frame_eip
        movw    4(%esp), %ax
        movw    %ax, frame_cs
        lret

far_fn_ret4:
        lret    $4

gate_fn:
        movl    %esp, gate_esp
        cmpl    $0, gate_via_jmp
        jne     1f
        movl    %esp, frame_esp
        movl    (%esp), %eax
        movl    %eax, frame_eip
        movw    4(%esp), %ax
        movw    %ax, frame_cs
        lret
1:      jmp     jmp_gate_back           # reached by JMP: nothing to return with

print_yes_if_equal:
        jne     1f
        PRINTLN "yes"
        ret
1:      PRINTLN "no"
        ret

never:
        PRINTLN "reached a place a check should have kept us from"
        EXIT    1

# Code run through SMALL_CODE (based here): its limit ends at small_limit,
# inside this block.
small_code:
        jmp     small_outside
small_ret:
        pushl   $(small_outside - small_code)
        ret
        .set    small_limit, . + 0x10
        .fill   0x20, 1, 0x90
small_outside:
        ljmp    $KCODE, $escaped

# Past the limit without a fault: report it like ENDTRY, and go on.
escaped:
        call    try_no_fault
        jmp     *try_resume

        .data
far_ptr:        .long 2b
                .word KCODE
far_call_ptr:   .long far_fn
                .word KCODE
frame_esp:      .long 0
frame_cs:       .word 0
frame_eip:      .long 0
gate_esp:       .long 0
gate_via_jmp:   .long 0
