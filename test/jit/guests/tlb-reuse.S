# Reuse of TLB lookups within a block (translator/emit/emit-backend.ts,
# tlbAccess): loops whose body makes a second access near a first one, in
# the cases where the first lookup must not answer for the second. The
# machine has no IDT: a fault ends the run. The scenario number is a dword
# the test writes at SCENARIO before the run.
#
#   0  two loads through ESI, 8 bytes apart, running into a page that is not present
#   1  a dword load through ESI, then one 6 bytes on that straddles into it
#   2  a load, then a store to the same address, running into a read-only page
#   3  a load of X, an x87 store rewriting X's PTE, a load of X again (results)
#   4  a load of an immediate in the running block, then a store over it (results)
#
# Paging: 0 - 4 MiB identity-mapped, except ABSENT (not present), READONLY
# (not writable) and X (mapped on FRAME_A or FRAME_B by scenario 3).
        .code32
        .set RESULTS, 0x70000
        .set TEMP, 0x70200
        .set N, 64
        .set X, 0x304000
        .set FRAME_A, 0x305000
        .set FRAME_B, 0x306000

        .include "fault-paging.inc"

        .text
        .globl _start
_start:
        cli
        FAULT_PAGE_TABLES
        movl    $FRAME_A + PTE_PW, PAGE_TABLE + (X >> 12) * 4
        movl    $0x11111111, FRAME_A
        movl    $0x22222222, FRAME_B
        PAGING_ON_TO_SCENARIO

        .p2align 2
table:
        .long   next_page, straddle, read_then_write, pte_rewrite, smc_store
frames:
        .long   FRAME_A + PTE_PW, FRAME_B + PTE_PW

next_page:
        movl    $ABSENT - 0x800, %esi
        xorl    %eax, %eax
        xorl    %edx, %edx
1:      movl    (%esi), %eax
        movl    8(%esi), %edx           # #PF at ESI = ABSENT - 8: the first load was on the page before
        addl    $4, %esi
        cmpl    $ABSENT + 0x1000, %esi
        jb      1b
        hlt

straddle:
        movl    $ABSENT - 0x800, %esi
        xorl    %eax, %eax
        xorl    %edx, %edx
1:      movl    (%esi), %eax
        movl    6(%esi), %edx           # at ESI = ABSENT - 8 its last two bytes are in ABSENT
        addl    $4, %esi
        cmpl    $ABSENT + 0x1000, %esi
        jb      1b
        hlt

read_then_write:
        movl    READONLY, %eax          # the TLB holds READONLY for reads when the loop gets there
        movl    $READONLY - 0x400, %edi
1:      movl    (%edi), %eax
        addl    $1, %eax
        movl    %eax, (%edi)            # #PF (write) at EDI = READONLY, which the load could read
        addl    $4, %edi
        cmpl    $READONLY + 0x1000, %edi
        jb      1b
        hlt

pte_rewrite:
        fninit
        xorl    %esi, %esi
        movl    $N, %ecx
1:      movl    X, %eax
        FOLD    %eax
        movl    %ecx, %edx
        andl    $1, %edx
        movl    frames(,%edx,4), %edx
        movl    %edx, TEMP
        fildl   TEMP
        fistpl  PAGE_TABLE + (X >> 12) * 4   # the runtime's store (an x87 helper) rewrites X's PTE
        movl    X, %eax                 # no INVLPG: the old translation may be used, or the new one
        FOLD    %eax
        loop    1b
        movl    %esi, RESULTS
        hlt

smc_store:
        xorl    %esi, %esi
        movl    $N, %ecx
1:      movl    patch + 1, %eax         # a read of the running block's page
        FOLD    %eax
        leal    (%ecx,%ecx,2), %edx
        movl    %edx, patch + 1         # a store to it, into the block's next instruction
patch:  movl    $0x12345678, %eax
        FOLD    %eax
        loop    1b
        movl    %esi, RESULTS
        hlt
