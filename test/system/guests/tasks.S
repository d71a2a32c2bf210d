# Hardware task switching (SDM vol. 3, chapter 7): JMP to a TSS (busy
# flags move, no link), CALL to a TSS and INT n through a task gate in the
# IDT and a CALL through one in the GDT (nested: back link, NT, both busy),
# IRET with NT back to the previous task; what a switch saves in the old
# TSS and loads from the new one (general registers, EFLAGS, LDTR; CR0.TS
# set; CR3 is left out, as paging is off here); the checks: busy TSS,
# limit below 67h, not present, IRET to a task that is not busy; and LTR.
        .include "lib.inc"

        .set TSS_A, FREE_SEL                    # task A (entered by JMP)
        .set TSS_B, FREE_SEL + 0x08             # task B (nested: CALL, task gates)
        .set TSS_SHORT, FREE_SEL + 0x10         # limit 60h: too small
        .set TSS_NP, FREE_SEL + 0x18            # not present
        .set TASK_GATE, FREE_SEL + 0x20         # GDT task gate to TSS_B
        .set LDT_A, FREE_SEL + 0x28             # task A's LDT
        .set BUSY_GATE, FREE_SEL + 0x30         # GDT task gate to MAIN_TSS

        .text
        .globl  main
main:
        movl    $tss_a, %edi
        movl    $task_a, %eax
        call    init_tss
        movl    $0xaaaa0001, tss_a + 40                 # EAX
        movl    $(0x2 | EFL_OF), tss_a + 36             # EFLAGS
        movl    $LDT_A, tss_a + 96
        movl    $tss_b, %edi
        movl    $task_b, %eax
        call    init_tss
        SEGDESC TSS_A, $tss_a, 0x67, (ACC_P | T_TSS32)
        SEGDESC TSS_B, $tss_b, 0x67, (ACC_P | T_TSS32)
        SEGDESC TSS_SHORT, $tss_b, 0x60, (ACC_P | T_TSS32)
        SEGDESC TSS_NP, $tss_b, 0x67, T_TSS32
        SEGDESC LDT_A, $ldt_a, 15, (ACC_P | T_LDT)
        GDTGATE TASK_GATE, $0, TSS_B, GATE_TASK
        GDTGATE BUSY_GATE, $0, MAIN_TSS, GATE_TASK
        IDTGATE 0x60, $0, TSS_B, GATE_TASK
        IDTGATE 0x61, $0, MAIN_TSS, GATE_TASK

        # --- JMP to a TSS and back.
        movl    $0x1234abcd, %ebx
        ljmp    $TSS_A, $0
after_jmp_a:
        PRINT   "main after JMP back: EBX "
        HEX32   %ebx
        PRINT   ", TR "
        str     %ax
        HEX16   %ax
        PRINT   ", LDTR "
        sldt    %ax
        HEX16   %ax
        PRINT   ", busy main/A/B "
        call    print_busy
        NEWLINE
        clts

        # --- CALL to a TSS; IRET with NT returns.
        lcall   $TSS_B, $0
        PRINT   "main after CALL, IRET: busy main/A/B "
        call    print_busy
        PRINT   ", NT "
        call    print_nt
        PRINT   ", CR0.TS "
        call    print_ts
        NEWLINE
        clts

        # --- Task gates: INT n through the IDT, CALL through the GDT.
        int     $0x60
        PRINT   "main after INT 60h (task gate), IRET: busy main/A/B "
        call    print_busy
        NEWLINE
        lcall   $TASK_GATE, $0
        PRINT   "main after CALL to a task gate, IRET: busy main/A/B "
        call    print_busy
        NEWLINE
        clts

        # --- The checks.
        TRY     "JMP to the running (busy) task's TSS"
        ljmp    $MAIN_TSS, $0
        ENDTRY
        TRY     "CALL to a TSS with limit 60h"
        lcall   $TSS_SHORT, $0
        ENDTRY
        TRY     "JMP to a not-present TSS"
        ljmp    $TSS_NP, $0
        ENDTRY
        TRY     "CALL through a task gate to the busy TSS"
        lcall   $BUSY_GATE, $0
        ENDTRY
        TRY     "INT 61h: task gate to the busy TSS"
        int     $0x61
        ENDTRY
        movw    $TSS_A, main_tss                # back link of the main task
        TRY     "IRET with NT, back link to an available TSS"
        pushfl
        orl     $EFL_NT, (%esp)
        popfl
        iretl
        ENDTRY
        PRINT   "busy main/A/B after the checks "
        call    print_busy
        NEWLINE

        # --- LTR: only an available TSS, which it marks busy.
        TRY     "LTR with a data segment"
        movw    $KDATA, %ax
        ltr     %ax
        ENDTRY
        TRY     "LTR with the busy TSS"
        movw    $MAIN_TSS, %ax
        ltr     %ax
        ENDTRY
        TRY     "LTR with a not-present TSS"
        movw    $TSS_NP, %ax
        ltr     %ax
        ENDTRY
        movw    $TSS_B, %ax
        ltr     %ax
        PRINT   "after LTR of task B's TSS: TR "
        str     %ax
        HEX16   %ax
        PRINT   ", busy main/A/B "
        call    print_busy
        NEWLINE
        ret

# Task A, entered by JMP: what it was given and what the main task left.
task_a:
        pushfl                                  # before anything changes the flags
        popl    %ebp
        PRINT   "task A: TR "
        str     %dx
        HEX16   %dx
        PRINT   ", LDTR "
        sldt    %dx
        HEX16   %dx
        PRINT   ", EAX "
        HEX32   %eax
        PRINT   ", EFLAGS "
        HEX32   %ebp
        PRINT   ", CR0.TS "
        call    print_ts
        PRINT   ", back link "
        HEX16   tss_a
        PRINT   ", busy main/A/B "
        call    print_busy
        NEWLINE
        PRINT   "task A: the main task's TSS holds EIP after its JMP: "
        cmpl    $after_jmp_a, main_tss + 32
        call    print_yes_if_equal
        PRINT   "task A: the main task's TSS holds EBX "
        HEX32   main_tss + 52
        NEWLINE
        ljmp    $MAIN_TSS, $0
        jmp     task_a

# Task B, nested: it returns with IRET, and starts over after it next time.
task_b:
        PRINT   "task B: back link "
        HEX16   tss_b
        PRINT   ", NT "
        call    print_nt
        PRINT   ", busy main/A/B "
        call    print_busy
        NEWLINE
        iretl
        jmp     task_b

# EDI = TSS, EAX = entry: flat ring 0 segments, its own stack, EFLAGS 2.
init_tss:
        pushal
        movl    %eax, %edx
        xorl    %eax, %eax
        movl    $26, %ecx
        rep stosl
        movl    (%esp), %edi                    # PUSHAL's EDI
        movl    %edx, 32(%edi)                  # EIP
        movl    $2, 36(%edi)                    # EFLAGS
        leal    task_stack_top - tss_a(%edi), %eax
        movl    %eax, 56(%edi)                  # ESP: each TSS's own stack after it
        movl    $KDATA, 8(%edi)                 # SS0
        movl    %eax, 4(%edi)                   # ESP0
        movl    $KCODE, 76(%edi)                # CS
        movl    $KDATA, 72(%edi)                # ES
        movl    $KDATA, 80(%edi)                # SS
        movl    $KDATA, 84(%edi)                # DS
        movl    $KDATA, 88(%edi)                # FS
        movl    $KDATA, 92(%edi)                # GS
        movw    $104, 102(%edi)                 # no I/O bitmap
        popal
        ret

# "B" (busy) or "a" (available) for MAIN_TSS, TSS_A, TSS_B.
print_busy:
        pushl   %eax
        movl    $MAIN_TSS, %eax
        call    print_busy1
        movl    $TSS_A, %eax
        call    print_busy1
        movl    $TSS_B, %eax
        call    print_busy1
        popl    %eax
        ret
print_busy1:
        testb   $0x2, gdt + 5(%eax)
        movb    $'a', %al
        jz      1f
        movb    $'B', %al
1:      call    putc
        ret

print_nt:
        pushfl
        popl    %eax
        shrl    $14, %eax
        andl    $1, %eax
        call    puthex_min
        ret

print_ts:
        movl    %cr0, %eax
        shrl    $3, %eax
        andl    $1, %eax
        call    puthex_min
        ret

print_yes_if_equal:
        jne     1f
        PRINTLN "yes"
        ret
1:      PRINTLN "no"
        ret

        .data
        .align 256
        # Each TSS is followed by its task's stack (init_tss).
tss_a:  .fill   104, 1, 0
        .fill   1024, 1, 0
task_stack_top:
        .align 256
tss_b:  .fill   104, 1, 0
        .fill   1024, 1, 0
        .align 8
ldt_a:  .quad   0
        .quad   0x00cf92000000ffff
