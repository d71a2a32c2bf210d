# PAE paging (SDM vol. 3, 4.4-4.7): a PDPT of four PDPTEs loaded with CR3,
# 64-bit PDEs and PTEs, 2 MiB pages; accessed and dirty bits; reserved
# bits (#PF with RSVD and P; #GP(0) for a PDPTE at MOV CR3); and
# execute-disable: with IA32_EFER.NXE, bit 63 (XD) forbids fetches (#PF
# with I/D) but not reads; without NXE, bit 63 is reserved.
        .include "lib.inc"

        .set PDPT, 0x00300000
        .set BAD_PDPT, 0x00300040
        .set PD0, 0x00301000
        .set PT0, 0x00302000            # 0-2 MiB, identity
        .set PT1, 0x00303000            # 4-6 MiB: the test pages
        .set P, 1
        .set W, 2
        .set U, 4
        .set A, 0x20
        .set D, 0x40
        .set PS, 0x80
        .set FRAMES, 0x00500000
        .set MSR_EFER, 0xc0000080
        .set EFER_NXE, 0x800

        # PDE/PTE: 64-bit entry at \at with low dword \lo and high dword \hi.
        .macro ENTRY64 at, lo, hi=0
        movl    $\lo, \at
        movl    $\hi, \at + 4
        .endm

        .text
        .globl  main
main:
        PRINT   "CPUID.80000001h:EDX.NX: "
        movl    $0x80000001, %eax
        cpuid
        shrl    $20, %edx
        andl    $1, %edx
        HEX8    %dl
        NEWLINE
        call    build_tables
        movl    %cr4, %eax
        orl     $CR4_PAE, %eax
        movl    %eax, %cr4
        movl    $PDPT, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $CR0_PG, %eax
        movl    %eax, %cr0
        PRINTLN "PAE paging on"

        PRINT   "4 KiB page 400000h reads frame "
        HEX32   0x00400000
        NEWLINE
        movl    $0x2a2a2a2a, 0x00600020
        PRINT   "2 MiB page 600000h, written at +20h, seen at A00020h: "
        HEX32   0x00a00020
        NEWLINE
        movl    %eax, 0x00402008
        PRINT   "PTE of 402000h after a write: A "
        movl    PT1 + 2 * 8, %eax
        shrl    $5, %eax
        andl    $1, %eax
        call    puthex_min
        PRINT   " D "
        movl    PT1 + 2 * 8, %eax
        shrl    $6, %eax
        andl    $1, %eax
        call    puthex_min
        NEWLINE

        # --- Reserved bits.
        TRY     "read of a 2 MiB page with reserved bit 13"
        movl    0x00c00000, %eax
        ENDTRY
        TRY     "read of a 2 MiB page with bit 40 set (beyond MAXPHYADDR)"
        movl    0x00e00000, %eax
        ENDTRY
        TRY     "EFER.NXE clear: read of a page with XD set"
        movl    0x01000000, %eax
        ENDTRY
        TRY     "EFER.NXE clear: CALL to a not-present page"
        call    *not_present_code
        ENDTRY
        TRY     "MOV CR3 with a PDPTE that sets reserved bit 1"
        movl    $BAD_PDPT, %eax
        movl    %eax, %cr3
        ENDTRY
        movl    $PDPT, %eax
        movl    %eax, %cr3

        # --- Execute-disable.
        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_NXE, %eax
        wrmsr
        TRY     "EFER.NXE set: CALL to an executable page"
        call    *exec_code
        ENDTRY
        TRY     "EFER.NXE set: CALL to an XD page"
        call    *xd_code
        ENDTRY
        TRY     "EFER.NXE set: read of an XD page"
        movl    0x00401000, %eax
        ENDTRY
        TRY     "EFER.NXE set: read of an XD 2 MiB page"
        movl    0x01000000, %eax
        ENDTRY
        TRY     "EFER.NXE set: CALL to a not-present page"
        call    *not_present_code
        ENDTRY
        RING3
        TRY     "ring 3: CALL to an XD user page"
        call    *xd_user_code
        ENDTRY
        TRY     "ring 3: read of an XD user page"
        movl    0x00403000, %eax
        ENDTRY
        RING0

        # --- INVLPG of a 2 MiB page.
        ENTRY64 PD0+3*8, 0x00800000+P+W+U+PS
        invlpg  0x00600000
        PRINT   "after remapping 600000h to 800000h and INVLPG: +20h reads "
        HEX32   0x00600020
        NEWLINE

        movl    %cr0, %eax
        andl    $~CR0_PG, %eax
        movl    %eax, %cr0
        movl    %cr4, %eax
        andl    $~CR4_PAE, %eax
        movl    %eax, %cr4
        movl    $MSR_EFER, %ecx
        rdmsr
        andl    $~EFER_NXE, %eax
        wrmsr
        PRINTLN "paging off"
        ret

build_tables:
        pushal
        movl    $PDPT, %edi
        xorl    %eax, %eax
        movl    $4 * 1024, %ecx
        rep stosl
        # Frames: their own address, and RET at +10h.
        movl    $FRAMES, %edi
        movl    $5, %ecx
1:      movl    %edi, (%edi)
        movb    $0xc3, 0x10(%edi)
        addl    $0x1000, %edi
        loop    1b
        movl    $0x5a5a5a5a, 0x00800020
        ENTRY64 PDPT+0, PD0+P
        # The same PDPT with reserved bit 1 (R/W, reserved in a PAE PDPTE) in entry 3.
        ENTRY64 BAD_PDPT+0, PD0+P
        ENTRY64 BAD_PDPT+3*8, PD0+P+W
        # 0-2 MiB: identity 4 KiB pages.
        movl    $PT0, %edi
        movl    $P + W + U, %eax
        movl    $512, %ecx
2:      movl    %eax, (%edi)
        movl    $0, 4(%edi)
        addl    $0x1000, %eax
        addl    $8, %edi
        loop    2b
        ENTRY64 PD0+0*8, PT0+P+W+U
        ENTRY64 PD0+1*8, 0x00200000+P+W+U+PS  # 2-4 MiB identity
        ENTRY64 PD0+2*8, PT1+P+W+U  # 4-6 MiB: test pages
        ENTRY64 PT1+0*8, FRAMES+0x0000+P+W+U  # 400000h
        ENTRY64 PT1+1*8, FRAMES+0x1000+P+W+U, 0x80000000  # 401000h: XD
        ENTRY64 PT1+2*8, FRAMES+0x2000+P+W+U  # 402000h
        ENTRY64 PT1+3*8, FRAMES+0x3000+P+W+U, 0x80000000  # 403000h: XD, user
        #                                                                 404000h: not present
        ENTRY64 PD0+3*8, 0x00a00000+P+W+U+PS  # 6-8 MiB -> A00000h
        ENTRY64 PD0+4*8, 0x00800000+P+W+U+PS  # 8-10 MiB identity
        ENTRY64 PD0+5*8, 0x00a00000+P+W+U+PS  # 10-12 MiB identity
        ENTRY64 PD0+6*8, 0x00c00000+0x2000+P+W+PS  # reserved bit 13
        ENTRY64 PD0+7*8, 0x00e00000+P+W+PS, 0x00000100  # bit 40
        ENTRY64 PD0+8*8, 0x01000000+P+W+PS, 0x80000000  # 16 MiB: XD
        popal
        ret

        .data
not_present_code:       .long 0x00404010
exec_code:              .long 0x00402010
xd_code:                .long 0x00401010
xd_user_code:           .long 0x00403010
