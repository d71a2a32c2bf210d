# Segment protection (SDM vol. 3, 5.2-5.7; vol. 2, MOV, LLDT, LAR, LSL,
# VERR/VERW, ARPL, JMP): the checks of segment-register loads and the
# error codes of the #GP/#NP/#SS they raise (the selector, or 0 for null),
# the checks of every access against the limit (byte and page granular,
# expand-up and expand-down) and the type (read-only data, execute-only
# code), the accessed bit, the LDT, and the instructions that inspect
# descriptors.
        .include "lib.inc"

        .set DATA_4K, FREE_SEL + 0x00           # data, base 0, limit FFFh (byte granular)
        .set DATA_G, FREE_SEL + 0x08            # data, base 0, limit 0 with G (FFFh)
        .set DOWN_BIG, FREE_SEL + 0x10          # expand-down, limit FFFh, B = 1 (to 4 GiB)
        .set DOWN_SMALL, FREE_SEL + 0x18        # expand-down, limit FFFh, B = 0 (to FFFFh)
        .set READ_ONLY, FREE_SEL + 0x20         # read-only data, flat
        .set EXEC_ONLY, FREE_SEL + 0x28         # execute-only code, flat
        .set CODE_READ, FREE_SEL + 0x30         # readable code, flat
        .set NOT_PRESENT, FREE_SEL + 0x38       # data, not present
        .set NP_CODE, FREE_SEL + 0x40           # code, not present
        .set LDT_SEL, FREE_SEL + 0x48           # an LDT with two descriptors
        .set STACK_16M, FREE_SEL + 0x50         # stack: flat base, limit 16 MiB
        .set FRESH_DATA, FREE_SEL + 0x58        # data, accessed bit clear
        .set DOWN3, FREE_SEL + 0x60             # expand-down, DPL 3, limit FFFFFh bytes, B = 1
        .set CALL_GATE, FREE_SEL + 0x68
        .set LDT_DATA, 0x04 | 0x08              # LDT index 1: data based at 20000h (TI = 1)

        .text
        .globl  main
main:
        SEGDESC DATA_4K, $0, 0xfff, (ACC_P | ACC_DATA | ACC_WRITE)
        SEGDESC DATA_G, $0, 0, (ACC_P | ACC_DATA | ACC_WRITE | FLG_G | FLG_DB)
        SEGDESC DOWN_BIG, $0, 0xfff, (ACC_P | ACC_DATA | ACC_WRITE | ACC_DOWN | FLG_DB)
        SEGDESC DOWN_SMALL, $0, 0xfff, (ACC_P | ACC_DATA | ACC_WRITE | ACC_DOWN)
        SEGDESC READ_ONLY, $0, 0xfffff, (ACC_P | ACC_DATA | FLG_G | FLG_DB)
        SEGDESC EXEC_ONLY, $0, 0xfffff, (ACC_P | ACC_CODE | FLG_G | FLG_DB)
        SEGDESC CODE_READ, $0, 0xfffff, (ACC_P | ACC_CODE | ACC_READ | FLG_G | FLG_DB)
        SEGDESC NOT_PRESENT, $0, 0xfffff, (ACC_DATA | ACC_WRITE | FLG_G | FLG_DB)
        SEGDESC NP_CODE, $0, 0xfffff, (ACC_CODE | ACC_READ | FLG_G | FLG_DB)
        SEGDESC LDT_SEL, $ldt, 15, (ACC_P | T_LDT)
        SEGDESC STACK_16M, $0, 0xfff, (ACC_P | ACC_DATA | ACC_WRITE | FLG_G | FLG_DB)
        SEGDESC FRESH_DATA, $0, 0xfffff, (ACC_P | ACC_DATA | ACC_WRITE | FLG_G | FLG_DB)
        SEGDESC DOWN3, $0x00400000, 0xfffff, (ACC_P | ACC_DATA | ACC_WRITE | ACC_DOWN | DPL3 | FLG_DB)
        GDTGATE CALL_GATE, $never, KCODE, GATE_CALL
        movl    $0x4c445431, 0x20010    # what the LDT's data segment shows at offset 10h

        # --- Loading segment registers.
        TRY     "MOV DS, 0 (null)"
        xorl    %eax, %eax
        movw    %ax, %ds
        ENDTRY
        xorl    %eax, %eax
        movw    %ax, %fs
        TRY     "read through a null FS"
        movl    %fs:0x1000, %eax
        ENDTRY
        TRY     "MOV SS, 0 (null) at CPL 0"
        xorl    %eax, %eax
        movw    %ax, %ss
        ENDTRY
        TRY     "MOV DS with an index past the GDT limit"
        movw    $0x1000, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV DS, execute-only code"
        movw    $EXEC_ONLY, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV DS, readable code"
        movw    $CODE_READ, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV DS, a TSS descriptor"
        movw    $MAIN_TSS, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV DS, a call gate"
        movw    $CALL_GATE, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV DS, a not-present segment"
        movw    $NOT_PRESENT, %ax
        movw    %ax, %ds
        ENDTRY
        TRY     "MOV SS, a not-present segment"
        movw    $NOT_PRESENT, %ax
        movw    %ax, %ss
        ENDTRY
        TRY     "MOV SS, read-only data"
        movw    $READ_ONLY, %ax
        movw    %ax, %ss
        ENDTRY
        TRY     "MOV SS, readable code"
        movw    $CODE_READ, %ax
        movw    %ax, %ss
        ENDTRY
        TRY     "POP ES with a bad selector"
        pushl   $0x1000
        popl    %es
        ENDTRY
        TRY     "MOV GS, null after use"
        xorl    %eax, %eax
        movw    %ax, %gs
        ENDTRY
        PRINT   "accessed bit of a fresh descriptor before and after loading it: "
        movzbl  gdt + FRESH_DATA + 5, %eax
        andl    $1, %eax
        call    puthex_min
        movw    $FRESH_DATA, %ax
        movw    %ax, %es
        movzbl  gdt + FRESH_DATA + 5, %eax
        andl    $1, %eax
        PRINT   " "
        call    puthex_min
        NEWLINE

        # --- Limits: every byte of an access must be within the limit.
        movw    $DATA_4K, %ax
        movw    %ax, %es
        TRY     "dword at FFCh, limit FFFh"
        movl    %es:0xffc, %eax
        ENDTRY
        movw    $DATA_4K, %ax
        movw    %ax, %es
        TRY     "dword at FFDh, limit FFFh"
        movl    %es:0xffd, %eax
        ENDTRY
        movw    $DATA_4K, %ax
        movw    %ax, %es
        TRY     "byte at 1000h, limit FFFh"
        movb    %es:0x1000, %al
        ENDTRY
        movw    $DATA_G, %ax
        movw    %ax, %es
        TRY     "dword at FFCh, limit 0 with G (FFFh)"
        movl    %es:0xffc, %eax
        ENDTRY
        movw    $DATA_G, %ax
        movw    %ax, %es
        TRY     "byte at 1000h, limit 0 with G"
        movb    %es:0x1000, %al
        ENDTRY
        movw    $DATA_4K, %ax
        movw    %ax, %es
        movl    $0x0ffe, %edi
        TRY     "STOSW at FFEh, limit FFFh"
        stosw
        ENDTRY
        movw    $DATA_4K, %ax
        movw    %ax, %es
        movl    $0x0fff, %edi
        TRY     "STOSW at FFFh, limit FFFh"
        stosw
        ENDTRY

        # Expand-down: valid offsets are limit+1 up to FFFFFFFFh (B = 1) or FFFFh (B = 0).
        movw    $DOWN_BIG, %ax
        movw    %ax, %es
        TRY     "expand-down (B=1): dword at 1000h"
        movl    %es:0x1000, %eax
        ENDTRY
        movw    $DOWN_BIG, %ax
        movw    %ax, %es
        TRY     "expand-down (B=1): dword at FFEh"
        movl    %es:0xffe, %eax
        ENDTRY
        movw    $DOWN_BIG, %ax
        movw    %ax, %es
        TRY     "expand-down (B=1): dword at 00200000h"
        movl    %es:0x00200000, %eax
        ENDTRY
        movw    $DOWN_SMALL, %ax
        movw    %ax, %es
        TRY     "expand-down (B=0): word at FFFEh"
        movw    %es:0xfffe, %ax
        ENDTRY
        movw    $DOWN_SMALL, %ax
        movw    %ax, %es
        TRY     "expand-down (B=0): word at FFFFh"
        movw    %es:0xffff, %ax
        ENDTRY

        # The stack segment: #SS(0), not #GP(0).
        movw    $STACK_16M, %ax
        movw    %ax, %ss
        movl    $0x01000000, %ebp
        TRY     "read [EBP] past a 16 MiB SS limit"
        movl    (%ebp), %eax
        ENDTRY
        movl    $0x00fffffc, %ebp
        TRY     "read [EBP] at the end of a 16 MiB SS"
        movl    (%ebp), %eax
        ENDTRY
        movw    $KDATA, %ax
        movw    %ax, %ss

        # Types: no writes to read-only data or code, no reads of execute-only code.
        movw    $READ_ONLY, %ax
        movw    %ax, %es
        TRY     "write through read-only ES"
        movl    %eax, %es:scratch
        ENDTRY
        movw    $READ_ONLY, %ax
        movw    %ax, %es
        TRY     "read through read-only ES"
        movl    %es:scratch, %eax
        ENDTRY
        movw    $CODE_READ, %ax
        movw    %ax, %es
        TRY     "write through ES = readable code"
        movl    %eax, %es:scratch
        ENDTRY
        TRY     "read through CS (readable)"
        movl    %cs:scratch, %eax
        ENDTRY
        TRY     "write through CS"
        movl    %eax, %cs:scratch
        ENDTRY
        TRY     "read through CS when it is execute-only"
        ljmp    $EXEC_ONLY, $1f
1:      movl    %cs:scratch, %eax
        ljmp    $KCODE, $2f
2:
        ENDTRY

        # A push below an expand-down stack's limit at ring 3 (the handler
        # gets the TSS stack, so the #SS can be delivered).
        RING3
        TRY     "ring 3: PUSH with ESP at an expand-down SS's limit + 4"
        movw    $DOWN3 | 3, %ax
        movw    %ax, %ss
        movl    $0x00100004, %esp
        pushl   %eax
        pushl   %eax
        ENDTRY
        RING0

        # --- Far jumps to bad code segments.
        TRY     "far JMP to a not-present code segment"
        ljmp    $NP_CODE, $never
        ENDTRY
        TRY     "far JMP to a data segment"
        ljmp    $KDATA, $never
        ENDTRY
        TRY     "far JMP to the null selector"
        ljmp    $0, $never
        ENDTRY

        # --- The LDT.
        TRY     "LLDT with a data segment"
        movw    $KDATA, %ax
        lldt    %ax
        ENDTRY
        movw    $LDT_SEL, %ax
        lldt    %ax
        PRINT   "LDT: SLDT "
        sldt    %ax
        HEX16   %ax
        PRINT   ", read through an LDT selector: "
        movw    $LDT_DATA, %ax
        movw    %ax, %es
        movl    %es:0x10, %eax
        HEX32   %eax
        NEWLINE
        TRY     "LDT selector past the LDT's limit"
        movw    $0x0014, %ax
        movw    %ax, %es
        ENDTRY
        xorl    %eax, %eax
        lldt    %ax
        TRY     "LDT selector after LLDT 0 (LDTR null)"
        movw    $LDT_DATA, %ax
        movw    %ax, %es
        ENDTRY

        # --- Inspecting descriptors: LAR, LSL, VERR, VERW, ARPL.
        PRINT   "LAR KCODE: "
        movw    $KCODE, %bx
        call    do_lar
        PRINT   "LAR MAIN_TSS: "
        movw    $MAIN_TSS, %bx
        call    do_lar
        PRINT   "LAR call gate: "
        movw    $CALL_GATE, %bx
        call    do_lar
        PRINT   "LAR null: "
        xorw    %bx, %bx
        call    do_lar
        PRINT   "LSL DATA_4K: "
        movw    $DATA_4K, %bx
        call    do_lsl
        PRINT   "LSL DATA_G: "
        movw    $DATA_G, %bx
        call    do_lsl
        PRINT   "LSL call gate: "
        movw    $CALL_GATE, %bx
        call    do_lsl
        PRINT   "VERR/VERW KDATA: "
        movw    $KDATA, %bx
        call    do_verrw
        PRINT   "VERR/VERW READ_ONLY: "
        movw    $READ_ONLY, %bx
        call    do_verrw
        PRINT   "VERR/VERW EXEC_ONLY: "
        movw    $EXEC_ONLY, %bx
        call    do_verrw
        PRINT   "VERR/VERW CODE_READ: "
        movw    $CODE_READ, %bx
        call    do_verrw
        RING3
        PRINT   "ring 3: LAR KDATA: "
        movw    $KDATA, %bx
        call    do_lar
        PRINT   "ring 3: VERR/VERW KDATA: "
        movw    $KDATA, %bx
        call    do_verrw
        RING0
        PRINT   "ARPL 0010h, 0003h: "
        movw    $0x0010, %ax
        movw    $0x0003, %bx
        arpl    %bx, %ax
        call    print_zf
        PRINT   " "
        HEX16   %ax
        NEWLINE
        PRINT   "ARPL 0013h, 0001h: "
        movw    $0x0013, %ax
        movw    $0x0001, %bx
        arpl    %bx, %ax
        call    print_zf
        PRINT   " "
        HEX16   %ax
        NEWLINE

        # --- Storing descriptor-table registers.
        sgdt    table_image
        PRINT   "SGDT: limit "
        HEX16   table_image
        PRINT   ", base is the library's GDT: "
        cmpl    $gdt, table_image + 2
        call    print_yes_if_equal
        sidt    table_image
        PRINT   "SIDT: limit "
        HEX16   table_image
        PRINT   ", base is the library's IDT: "
        cmpl    $idt, table_image + 2
        call    print_yes_if_equal
        PRINT   "STR: "
        str     %ax
        HEX16   %ax
        NEWLINE
        ret

# LAR's bits 19:16 are undefined (SDM vol. 2, LAR: "00FxFF00H"): masked.
do_lar:
        movl    $0xdeadbeef, %eax
        larl    %bx, %eax
        call    print_zf
        jnz     1f
        PRINT   " "
        andl    $0x00f0ff00, %eax
        HEX32   %eax
1:      NEWLINE
        ret

do_lsl:
        movl    $0xdeadbeef, %eax
        lsll    %bx, %eax
        call    print_zf
        jnz     1f
        PRINT   " "
        HEX32   %eax
1:      NEWLINE
        ret

do_verrw:
        verr    %bx
        call    print_zf
        PRINT   " "
        verw    %bx
        call    print_zf
        NEWLINE
        ret

# Print "ZF=1" or "ZF=0", keeping the flags.
print_zf:
        pushfl
        jz      1f
        PRINT   "ZF=0"
        popfl
        ret
1:      PRINT   "ZF=1"
        popfl
        ret

print_yes_if_equal:
        jne     1f
        PRINTLN "yes"
        ret
1:      PRINTLN "no"
        ret

never:
        PRINTLN "reached a place a check should have kept us from"
        EXIT    1

        .data
        .align 8
ldt:
        .quad   0
        # Index 1: data, base 20000h, limit FFFFh, present, writable.
        .word   0xffff, 0x0000
        .byte   0x02, 0x92, 0x00, 0x00
table_image:
        .word   0
        .long   0
scratch:
        .long   0x5c5c5c5c
