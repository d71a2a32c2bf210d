# Exceptions raised while delivering another (SDM vol. 3, 6.15, interrupt 8,
# tables 6-4 and 6-5): benign then contributory is handled serially (the
# second exception's error code has EXT set unless the first was a
# software interrupt); contributory then contributory, and page fault then
# contributory or page fault, is a double fault (error code 0, saved EIP
# undefined); contributory then page fault is handled serially. The last
# case delivers #DF through a task gate, the usual way to get a good stack.
        .include "lib.inc"

        .set TSS_DF, FREE_SEL
        .set NP_DATA, FREE_SEL + 8
        .set PAGE_DIR, 0x00300000
        .set PAGE_TABLE, 0x00301000             # maps 4-8 MiB, one page missing
        .set IDT2, 0x007fff90                   # gate 14 starts the page at 800000h

        .macro GATE_ABSENT vector
        andl    $~0x8000, idt + \vector * 8 + 4
        .endm

        .text
        .globl  main
main:
        SEGDESC NP_DATA, $0, 0xfffff, (ACC_DATA | ACC_WRITE | FLG_G | FLG_DB)

        # --- Benign or software first: handled one after the other.
        GATE_ABSENT 3
        TRY     "INT3 with gate 3 not present"
        int3
        ENDTRY
        LIBGATE 3
        GATE_ABSENT 6
        TRY     "UD2 with gate 6 not present"
        ud2
        ENDTRY
        LIBGATE 6
        IDTGATE 0x40, $0, KCODE, (GATE_INT & ~0x8000)
        TRY     "INT 40h with gate 40h not present"
        int     $0x40
        ENDTRY

        # --- Contributory then contributory: #DF.
        GATE_ABSENT 13
        TRY     "#GP with gate 13 not present"
        movw    $0x1000, %ax
        movw    %ax, %ds
        ENDTRY
        LIBGATE 13
        GATE_ABSENT 0
        xorl    %ecx, %ecx
        TRY     "#DE with gate 0 not present"
        divl    %ecx
        ENDTRY
        LIBGATE 0
        GATE_ABSENT 11
        TRY     "#NP with gate 11 not present"
        movw    $NP_DATA, %ax
        movw    %ax, %ds
        ENDTRY
        LIBGATE 11
        movw    $13 * 8 - 1, short_idt          # vectors 0-12 only
        lidt    short_idt
        TRY     "#GP with vector 13 past the IDT limit"
        movw    $0x1000, %ax
        movw    %ax, %ds
        ENDTRY
        lidt    idt_pointer

        # --- With paging: 0-4 MiB and 8 MiB onward by 4 MiB pages, 4-8 MiB
        # by a page table without its last page (7FF000h).
        call    paging_on
        GATE_ABSENT 14
        TRY     "#PF with gate 14 not present"
        movl    0x007ff000, %eax
        ENDTRY
        LIBGATE 14
        # An IDT whose gate 13 lies on the missing page: reading it page-faults.
        movl    $idt + 14 * 8, %esi
        movl    $IDT2 + 14 * 8, %edi
        movl    $(256 - 14) * 2, %ecx
        rep movsl
        movl    $IDT2, idt2_pointer + 2
        lidt    idt2_pointer
        TRY     "#GP whose gate is on a not-present page"
        movw    $0x1000, %ax
        movw    %ax, %ds
        ENDTRY
        lidt    idt_pointer
        # #PF while pushing the #PF's own frame: #DF, through a task gate.
        movl    $tss_df, %edi
        xorl    %eax, %eax
        movl    $26, %ecx
        rep stosl
        movl    $df_task, tss_df + 32           # EIP
        movl    $2, tss_df + 36                 # EFLAGS
        movl    $df_stack_top, tss_df + 56      # ESP
        movl    $KCODE, tss_df + 76             # CS
        movl    $KDATA, tss_df + 72             # ES
        movl    $KDATA, tss_df + 80             # SS
        movl    $KDATA, tss_df + 84             # DS
        movl    $KDATA, tss_df + 88             # FS
        movl    $KDATA, tss_df + 92             # GS
        movl    $PAGE_DIR, tss_df + 28          # CR3
        movl    $PAGE_DIR, main_tss + 28        # CR3 when the main task is resumed
        movw    $104, tss_df + 102
        SEGDESC TSS_DF, $tss_df, 0x67, (ACC_P | T_TSS32)
        IDTGATE 8, $0, TSS_DF, GATE_TASK
        PRINT   "push with ESP on a not-present page: "
        movl    %esp, good_esp
        movl    $0x00800000, %esp
        pushl   %eax
        PRINTLN "no fault"
df_resume:
        LIBGATE 8
        call    paging_off
        ret

# The double-fault task: report, then make the main task resume at
# df_resume with its stack back, and return to it.
df_task:
        popl    %eax                            # the error code, on this task's stack
        PRINT   "#DF("
        HEX16   %ax
        PRINT   ") through a task gate, CR2 "
        movl    %cr2, %eax
        HEX32   %eax
        PRINT   ", back link "
        HEX16   tss_df
        NEWLINE
        movl    $df_resume, main_tss + 32
        movl    good_esp, %eax
        movl    %eax, main_tss + 56
        iretl
        jmp     df_task

paging_on:
        pushal
        movl    $PAGE_DIR, %edi
        xorl    %eax, %eax
        movl    $2048, %ecx
        rep stosl
        movl    $0x00000083, %eax               # 4 MiB pages, present, writable
        movl    $PAGE_DIR, %edi
        movl    $1024, %ecx
1:      movl    %eax, (%edi)
        addl    $0x00400000, %eax
        addl    $4, %edi
        loop    1b
        movl    $PAGE_TABLE + 3, PAGE_DIR + 4   # 4-8 MiB through a page table
        movl    $PAGE_TABLE, %edi
        movl    $0x00400003, %eax
        movl    $1023, %ecx
2:      movl    %eax, (%edi)
        addl    $0x1000, %eax
        addl    $4, %edi
        loop    2b                              # entry 1023 (7FF000h) stays 0
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
        .align 4
        .word   0
short_idt:
        .word   0
        .long   idt
        .word   0
idt2_pointer:
        .word   256 * 8 - 1
        .long   0
good_esp:
        .long   0
        .align 256
tss_df: .fill   104, 1, 0
        .fill   2048, 1, 0
df_stack_top:
