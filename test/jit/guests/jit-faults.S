# JIT fault test: loops whose N-th iteration faults, with lazy flags
# pending at the faulting instruction (the machine has no IDT: the fault
# ends the run, and the test compares the state every tier reports). The
# scenario number is a dword the test writes at SCENARIO before the run.
#
#   0  a load loop that runs into a page that is not present (#PF, read)
#   1  a store loop that runs into a read-only page (#PF, write)
#   2  a loop whose divisor counts down to 0 (#DE)
#   3  a REP MOVSD whose destination runs into a page that is not present
#   4  an x87 loop whose FSTP, the last of four x87 instructions in a row,
#      runs into a page that is not present (#PF, write)
#
# Paging: 0 - 4 MiB identity-mapped, except ABSENT (not present) and
# READONLY (not writable).
        .code32

        .include "fault-paging.inc"

        .text
        .globl _start
_start:
        cli
        FAULT_PAGE_TABLES
        PAGING_ON_TO_SCENARIO

        .p2align 2
table:
        .long   load_loop, store_loop, divide_loop, rep_loop, x87_loop

load_loop:
        movl    $ABSENT - 0x800, %esi
        xorl    %eax, %eax
        movl    $5, %ebx
1:      addl    $4, %esi                # CF of this ADD ...
        incl    %ebx                    # ... kept by INC when the next load faults
        addl    -4(%esi), %eax
        cmpl    $ABSENT + 0x1000, %esi
        jb      1b
        hlt

store_loop:
        movl    $READONLY - 0x400, %edi
        movl    $0x01010101, %eax
        movl    $-3, %edx
1:      subl    $7, %edx                # flags of this SUB are pending at the faulting store
        movl    %eax, (%edi)
        roll    $3, %eax
        addl    $4, %edi
        cmpl    $READONLY + 0x1000, %edi
        jb      1b
        hlt

divide_loop:
        movl    $9, %ecx
        movl    $0, %ebx
1:      movl    $1000, %eax
        xorl    %edx, %edx
        decl    %ebx                    # flags of this DEC are pending at the #DE
        divl    %ecx
        addl    %eax, %esi
        decl    %ecx
        jmp     1b

rep_loop:
        movl    $0x100000, %esi
        movl    $ABSENT - 0x1ffc, %edi
        movl    $0x2000, %ecx
        cmpl    %ecx, %esi              # flags of this CMP stay through the REP
        rep movsl
        hlt

x87_loop:
        fninit
        movl    $ABSENT - 0x800, %edi
        movl    $3, %ebx
1:      addl    $8, %edi
        decl    %ebx                    # flags of this DEC are pending through the x87 instructions
        fld1
        fld1
        faddp
        fstpl   -8(%edi)
        cmpl    $ABSENT + 0x1000, %edi
        jb      1b
        hlt
