# 32-bit paging (SDM vol. 3, 4.3, 4.6-4.10): 4 KiB pages through a page
# table and 4 MiB pages (CR4.PSE); accessed and dirty bits; the #PF error
# code (P, W/R, U/S, RSVD) and CR2, for data accesses and fetches, at CPL 0
# and 3, with rights combined from the PDE and the PTE; CR0.WP; and the
# TLB operations whose effect is architectural: INVLPG, MOV to CR3 (which
# keeps global translations only as a permission, so only the flushes that
# are guaranteed are checked) and toggling CR4.PGE.
        .include "lib.inc"

        .set PAGE_DIR, 0x00300000
        .set PT_LOW, 0x00301000         # 0-4 MiB: identity, user
        .set PT_A, 0x00302000           # 4-8 MiB: the test pages
        .set PT_B, 0x00303000           # 16-20 MiB: PDE supervisor, PTE user
        .set PT_C, 0x00304000           # 20-24 MiB: PDE read-only, PTE writable
        .set P, 1
        .set W, 2
        .set U, 4
        .set A, 0x20
        .set D, 0x40
        .set PS, 0x80
        .set G, 0x100
        .set FRAMES, 0x00500000         # physical frames behind the test pages

        .text
        .globl  main
main:
        call    build_tables
        movl    %cr4, %eax
        orl     $CR4_PSE, %eax
        movl    %eax, %cr4
        movl    $PAGE_DIR, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $CR0_PG, %eax
        movl    %eax, %cr0
        PRINTLN "paging on"

        # --- Translations.
        PRINT   "4 KiB page 400000h reads frame "
        HEX32   0x00400000
        NEWLINE
        movl    $0x4d4d4d4d, 0x00800010
        PRINT   "4 MiB page 800000h, written at +10h, seen at C00010h: "
        HEX32   0x00c00010
        NEWLINE

        # --- Accessed and dirty bits.
        PRINT   "PTE of 401000h before any access: "
        call    pte_ad_401
        movl    0x00401004, %eax
        PRINT   "after a read: "
        call    pte_ad_401
        movl    %eax, 0x00401004
        PRINT   "after a write: "
        call    pte_ad_401
        PRINT   "PDE of the 4 MiB page at 800000h after a write: A "
        movl    PAGE_DIR + 2 * 4, %eax
        shrl    $5, %eax
        andl    $1, %eax
        call    puthex_min
        PRINT   " D "
        movl    PAGE_DIR + 2 * 4, %eax
        shrl    $6, %eax
        andl    $1, %eax
        call    puthex_min
        PRINT   ", PDE of 4-8 MiB: A "
        movl    PAGE_DIR + 1 * 4, %eax
        shrl    $5, %eax
        andl    $1, %eax
        call    puthex_min
        NEWLINE

        # --- Page faults at CPL 0.
        TRY     "read of a not-present page"
        movl    0x00402000, %eax
        ENDTRY
        TRY     "write to a not-present page"
        movl    %eax, 0x00402008
        ENDTRY
        TRY     "dword read across into a not-present page"
        movl    0x00401ffe, %eax
        ENDTRY
        TRY     "CALL to a not-present page"
        call    *not_present_code
        ENDTRY
        TRY     "write to a read-only page, CR0.WP clear"
        movl    %eax, 0x00405000
        ENDTRY
        movl    %cr0, %eax
        orl     $CR0_WP, %eax
        movl    %eax, %cr0
        TRY     "write to a read-only page, CR0.WP set"
        movl    %eax, 0x00405004
        ENDTRY
        TRY     "write to a read-only user page, CR0.WP set"
        movl    %eax, 0x00403004
        ENDTRY
        movl    %cr0, %eax
        andl    $~CR0_WP, %eax
        movl    %eax, %cr0
        TRY     "read of a 4 MiB page with reserved bit 21"
        movl    0x01800000, %eax
        ENDTRY
        TRY     "read of a not-present 4 MiB region"
        movl    0x01c00000, %eax
        ENDTRY

        # --- Page faults at CPL 3.
        RING3
        TRY     "ring 3: read of a user page"
        movl    0x00401000, %eax
        ENDTRY
        TRY     "ring 3: read of a supervisor page"
        movl    0x00404000, %eax
        ENDTRY
        TRY     "ring 3: write to a user read-only page"
        movl    %eax, 0x00403000
        ENDTRY
        TRY     "ring 3: read of a not-present page"
        movl    0x00402000, %eax
        ENDTRY
        TRY     "ring 3: read where the PDE is supervisor, the PTE user"
        movl    0x01000000, %eax
        ENDTRY
        TRY     "ring 3: write where the PDE is read-only, the PTE writable"
        movl    %eax, 0x01400000
        ENDTRY
        TRY     "ring 3: read of the supervisor 4 MiB page"
        movl    0x00800000, %eax
        ENDTRY
        TRY     "ring 3: CALL to code on a supervisor page"
        call    *supervisor_code
        ENDTRY
        RING0

        # --- INVLPG and MOV to CR3 make a changed PTE take effect.
        movl    $FRAMES + 0x2000 + P + W + U, PT_A + 0  # 400000h -> frame 502000h
        invlpg  0x00400000
        PRINT   "after INVLPG: 400000h reads frame "
        HEX32   0x00400000
        NEWLINE
        movl    $FRAMES + 0x3000 + P + W + U, PT_A + 0  # -> 503000h
        movl    %cr3, %eax
        movl    %eax, %cr3
        PRINT   "after MOV CR3: 400000h reads frame "
        HEX32   0x00400000
        NEWLINE

        # --- Global pages (CR4.PGE): INVLPG and clearing PGE flush them.
        movl    %cr4, %eax
        orl     $CR4_PGE, %eax
        movl    %eax, %cr4
        movl    $FRAMES + 0x0000 + P + W + U + G, PT_A + 0
        invlpg  0x00400000
        PRINT   "global page: 400000h reads frame "
        HEX32   0x00400000
        NEWLINE
        movl    $FRAMES + 0x1000 + P + W + U + G, PT_A + 0
        invlpg  0x00400000
        PRINT   "global page, after INVLPG: 400000h reads frame "
        HEX32   0x00400000
        NEWLINE
        movl    $FRAMES + 0x2000 + P + W + U + G, PT_A + 0
        movl    %cr4, %eax
        andl    $~CR4_PGE, %eax
        movl    %eax, %cr4
        orl     $CR4_PGE, %eax
        movl    %eax, %cr4
        PRINT   "global page, after clearing and setting CR4.PGE: 400000h reads frame "
        HEX32   0x00400000
        NEWLINE
        movl    $FRAMES + 0x3000 + P + W + U, PT_A + 4  # 401000h, not global -> 503000h
        movl    %cr3, %eax
        movl    %eax, %cr3
        PRINT   "non-global page with CR4.PGE, after MOV CR3: 401000h reads frame "
        HEX32   0x00401000
        NEWLINE

        movl    %cr0, %eax
        andl    $~CR0_PG, %eax
        movl    %eax, %cr0
        movl    %cr4, %eax
        andl    $~(CR4_PGE | CR4_PSE), %eax
        movl    %eax, %cr4
        PRINTLN "paging off"
        ret

# Print the A and D bits of the PTE of 401000h.
pte_ad_401:
        pushl   %eax
        PRINT   "A "
        movl    PT_A + 4, %eax
        shrl    $5, %eax
        andl    $1, %eax
        call    puthex_min
        PRINT   " D "
        movl    PT_A + 4, %eax
        shrl    $6, %eax
        andl    $1, %eax
        call    puthex_min
        NEWLINE
        popl    %eax
        ret

build_tables:
        pushal
        movl    $PAGE_DIR, %edi
        xorl    %eax, %eax
        movl    $5 * 1024, %ecx
        rep stosl
        # Frames 500000h-505000h hold their own address (and a code byte: RET).
        movl    $FRAMES, %edi
        movl    $6, %ecx
1:      movl    %edi, (%edi)
        addl    $0x1000, %edi
        loop    1b
        # 0-4 MiB identity, user, writable.
        movl    $PT_LOW, %edi
        movl    $P + W + U, %eax
        movl    $1024, %ecx
2:      stosl
        addl    $0x1000, %eax
        loop    2b
        movl    $PT_LOW + P + W + U, PAGE_DIR + 0 * 4
        # 4-8 MiB: the test pages.
        movl    $PT_A + P + W + U, PAGE_DIR + 1 * 4
        movl    $FRAMES + 0x0000 + P + W + U, PT_A + 0 * 4     # 400000h: user
        movl    $FRAMES + 0x1000 + P + W + U, PT_A + 1 * 4     # 401000h: user
        #                                                        402000h: not present
        movl    $FRAMES + 0x3000 + P + U, PT_A + 3 * 4         # 403000h: user, read-only
        movl    $FRAMES + 0x4000 + P + W, PT_A + 4 * 4         # 404000h: supervisor
        movl    $FRAMES + 0x5000 + P, PT_A + 5 * 4             # 405000h: supervisor, read-only
        # 8-12 MiB: a supervisor 4 MiB page onto C00000h; 12-16 MiB: identity, user.
        movl    $0x00c00000 + P + W + PS, PAGE_DIR + 2 * 4
        movl    $0x00c00000 + P + W + U + PS, PAGE_DIR + 3 * 4
        # 16-20 MiB: PDE supervisor, PTE user; 20-24 MiB: PDE read-only, PTE writable.
        movl    $PT_B + P + W, PAGE_DIR + 4 * 4
        movl    $0x01000000 + P + W + U, PT_B
        movl    $PT_C + P + U, PAGE_DIR + 5 * 4
        movl    $0x01400000 + P + W + U, PT_C
        # 24-28 MiB: a 4 MiB page with reserved bit 21 set; 28-32 MiB: not present.
        movl    $0x01800000 + 0x00200000 + P + W + PS, PAGE_DIR + 6 * 4
        popal
        ret

        .data
not_present_code:       .long 0x00402000
supervisor_code:        .long 0x00404000
