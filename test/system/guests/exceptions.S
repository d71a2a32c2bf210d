# Exceptions raised by ordinary instructions (SDM vol. 3, 6.15 and each
# instruction's exception list in vol. 2): #DE, #DB (single step), #BP,
# #OF, #BR, #UD, #NM, #PF with CR2 (control-register #GPs are in crfaults.S); and
# the frames they push at CPL 0 (size, saved EIP: the faulting instruction
# for faults, the next one for traps; RF is 1 in the EFLAGS image of a
# fault, SDM vol. 3, 17.3.1.1).
        .include "lib.inc"

        .text
        .globl  main
main:
        # --- #DE (interrupt 0): a fault.
        xorl    %ecx, %ecx
        TRY     "DIV by zero"
        divl    %ecx
        ENDTRY
        movl    $0x80000000, %eax
        movl    $0xffffffff, %edx
        movl    $-1, %ecx
        TRY     "IDIV overflow (80000000h / -1)"
        idivl   %ecx
        ENDTRY
        movw    $0x1000, %ax
        movb    $2, %bl
        TRY     "8-bit DIV with a quotient over FFh"
        divb    %bl
        ENDTRY
        TRY     "AAM 0"
        aam     $0
        ENDTRY
        movl    $7, %eax
        xorl    %edx, %edx
        movl    $2, %ecx
        TRY     "DIV without overflow"
        divl    %ecx
        ENDTRY

        # --- #DB (interrupt 1): TF traps after the instruction that follows
        # the POPF which set it; DR6.BS says why.
        xorl    %eax, %eax
        movl    %eax, %db6
        TRY     "single step"
        pushfl
        orl     $EFL_TF, (%esp)
        popfl
        nop
        nop
        ENDTRY
        PRINT   "DR6.BS: "
        movl    %db6, %eax
        shrl    $14, %eax
        andl    $1, %eax
        HEX8    %al
        NEWLINE

        # --- #BP (interrupt 3) and #OF (interrupt 4): traps.
        TRY     "INT3"
        int3
        ENDTRY
        TRY     "INT 3 (CD 03)"
        .byte   0xcd, 0x03
        ENDTRY
        TRY     "INTO with OF clear"
        xorl    %eax, %eax
        into
        ENDTRY
        TRY     "INTO with OF set"
        movb    $0x7f, %al
        incb    %al
        into
        ENDTRY

        # --- #BR (interrupt 5): a fault.
        movl    $5, %eax
        TRY     "BOUND in range"
        boundl  %eax, bounds
        ENDTRY
        movl    $11, %eax
        TRY     "BOUND above the upper bound"
        boundl  %eax, bounds
        ENDTRY
        movl    $-1, %eax
        TRY     "BOUND below the lower bound"
        boundl  %eax, bounds
        ENDTRY

        # --- #UD (interrupt 6).
        TRY     "UD2"
        ud2
        ENDTRY
        TRY     "LOCK on a register destination"
        .byte   0xf0, 0x01, 0xc0        # lock add %eax, %eax
        ENDTRY
        TRY     "LOCK NOP"
        .byte   0xf0, 0x90
        ENDTRY
        TRY     "MOV to CS"
        .byte   0x8e, 0xc8              # mov %eax, %cs
        ENDTRY
        TRY     "FF /7"
        .byte   0xff, 0xf8
        ENDTRY
        TRY     "MOV to CR1"
        .byte   0x0f, 0x22, 0xc8        # mov %eax, %cr1
        ENDTRY
        TRY     "MOV from CR5"
        .byte   0x0f, 0x20, 0xe8        # mov %cr5, %eax
        ENDTRY

        # --- #NM (interrupt 7): CR0.TS and EM.
        movl    %cr0, %eax
        movl    %eax, saved_cr0
        orl     $CR0_TS, %eax
        andl    $~0x6, %eax             # MP = EM = 0
        movl    %eax, %cr0
        TRY     "FNINIT with CR0.TS"
        fninit
        ENDTRY
        TRY     "FWAIT with CR0.TS, MP clear"
        fwait
        ENDTRY
        movl    %cr0, %eax
        orl     $0x2, %eax              # MP
        movl    %eax, %cr0
        TRY     "FWAIT with CR0.TS and MP"
        fwait
        ENDTRY
        clts
        TRY     "FNINIT after CLTS"
        fninit
        ENDTRY
        movl    %cr0, %eax
        orl     $0x4, %eax              # EM
        movl    %eax, %cr0
        TRY     "FNINIT with CR0.EM"
        fninit
        ENDTRY
        TRY     "EMMS with CR0.EM"
        emms
        ENDTRY
        movl    saved_cr0, %eax
        movl    %eax, %cr0

        # --- #PF (interrupt 14): paging on, with 0-8 MiB mapped by two 4 MiB
        # pages and 8-12 MiB by a page table whose second page is missing.
        call    paging_on
        TRY     "read of an unmapped 4 MiB region"
        movl    0x01000010, %eax
        ENDTRY
        TRY     "write to an unmapped 4 MiB region"
        movl    %eax, 0x01000020
        ENDTRY
        TRY     "read of a not-present 4 KiB page"
        movl    0x00801ffc, %eax
        ENDTRY
        TRY     "read of a present 4 KiB page"
        movl    0x00800ffc, %eax
        ENDTRY
        TRY     "jump to a not-present page"
        call    *jump_target
        ENDTRY
        call    paging_off

        # --- Frames at CPL 0.
        CAPTURE 6, noerr
        movl    $1f, capture_resume
        movl    %esp, %ebx
fault_ud:
        ud2
1:      PRINT   "#UD frame: "
        movl    $fault_ud, %edx
        call    print_frame
        LIBGATE 6

        CAPTURE 13, err
        movl    $1f, capture_resume
        movl    %esp, %ebx
        movw    $0x1000, %ax            # past the GDT's limit
fault_gp:
        movw    %ax, %ds
1:      PRINT   "#GP frame: "
        movl    $fault_gp, %edx
        call    print_frame
        LIBGATE 13

        CAPTURE 3, noerr
        movl    $1f, capture_resume
        movl    %esp, %ebx
trap_bp:
        int3
1:      PRINT   "#BP frame: "
        movl    $trap_bp, %edx
        call    print_frame
        LIBGATE 3

        CAPTURE 0x40, noerr
        movl    $1f, capture_resume
        movl    %esp, %ebx
int_40:
        int     $0x40
1:      PRINT   "INT 40h frame: "
        movl    $int_40, %edx
        call    print_frame
        ret

# Print the captured frame: EBX = ESP before the event, EDX = the
# instruction's address. "size 16, error 1000, EIP +0, CS 0008, RF 1"
print_frame:
        PRINT   "size "
        movl    %ebx, %eax
        subl    captured_esp, %eax
        HEX8    %al
        cmpl    $0xffffffff, captured_error
        je      1f
        PRINT   ", error "
        HEX16   captured_error
1:      PRINT   ", EIP +"
        movl    captured_eip, %eax
        subl    %edx, %eax
        call    puthex_min
        PRINT   ", CS "
        HEX16   captured_cs
        PRINT   ", IF "
        movl    captured_eflags, %eax
        shrl    $9, %eax
        andl    $1, %eax
        call    puthex_min
        PRINT   ", RF "
        movl    captured_eflags, %eax
        shrl    $16, %eax
        andl    $1, %eax
        call    puthex_min
        NEWLINE
        ret

        .set PAGE_DIR, 0x00300000
        .set PAGE_TABLE, 0x00301000
paging_on:
        pushal
        movl    $PAGE_DIR, %edi
        xorl    %eax, %eax
        movl    $2048, %ecx
        rep stosl                       # directory and table empty
        movl    $0x00000083, PAGE_DIR           # 0-4 MiB: 4 MiB page, present, writable
        movl    $0x00400083, PAGE_DIR + 4       # 4-8 MiB
        movl    $PAGE_TABLE + 3, PAGE_DIR + 8   # 8-12 MiB: a page table
        movl    $0x00800003, PAGE_TABLE         # only its first page is present
        movl    %cr4, %eax
        orl     $CR4_PSE, %eax
        movl    %eax, %cr4
        movl    $PAGE_DIR, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $CR0_PG, %eax
        movl    %eax, %cr0
        popal
        ret

paging_off:
        pushal
        movl    %cr0, %eax
        andl    $~CR0_PG, %eax
        movl    %eax, %cr0
        popal
        ret

        .data
bounds: .long   0, 10
saved_cr0: .long 0
jump_target: .long 0x00801000
