# The multiboot hand-over (Multiboot 0.6.96, section 3.2 "Machine state"
# and 3.3 "Boot information format"): EAX holds 2BADB002h, EBX the boot
# information; protected mode with paging off, IF and VM clear. The
# information gives conventional memory, a memory map in which the kernel
# lies in available RAM, the command line (file name first, as QEMU and
# GRUB pass it) and the modules, page-aligned as header flag 0 asks.
#
# The values that differ between PCs (mem_upper, the map's entries, where
# the loader put things) are checked, not printed.
        .include "lib.inc"

        .set MBI_MEMORY, 0x1
        .set MBI_CMDLINE, 0x4
        .set MBI_MODS, 0x8
        .set MBI_MMAP, 0x40

        .text
        .globl  main
main:
        PRINT   "EAX at entry: "
        HEX32   mb_magic
        NEWLINE
        PRINT   "EFLAGS.IF and VM at entry: "
        movl    mb_eflags, %eax
        andl    $(EFL_IF | EFL_VM), %eax
        HEX32   %eax
        NEWLINE
        PRINT   "CR0.PG and PE: "
        movl    %cr0, %eax
        andl    $(CR0_PG | CR0_PE), %eax
        HEX32   %eax
        NEWLINE

        movl    mb_info, %ebx
        PRINT   "info flags (memory, cmdline, mods, mmap): "
        movl    (%ebx), %eax
        andl    $(MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP), %eax
        HEX32   %eax
        NEWLINE
        PRINT   "mem_lower: "
        HEX32   4(%ebx)
        NEWLINE
        # mem_upper: RAM above 1 MiB up to the first hole; a PC of 32 MiB
        # may keep the last few hundred KiB for ACPI tables.
        PRINT   "mem_upper within 30-31 MiB: "
        movl    8(%ebx), %eax
        cmpl    $30 * 1024, %eax
        jb      1f
        cmpl    $31 * 1024, %eax
        ja      1f
        PRINTLN "yes"
        jmp     2f
1:      PRINT   "no, "
        HEX32   %eax
        NEWLINE
2:
        # The memory map: some available entry holds the whole image.
        PRINT   "mmap: the image lies in one available range: "
        movl    48(%ebx), %esi
        movl    44(%ebx), %ecx
        addl    %esi, %ecx
3:      cmpl    %ecx, %esi
        jae     5f
        cmpl    $1, 20(%esi)            # type 1: available RAM
        jne     4f
        cmpl    $0, 8(%esi)             # base above 4 GiB
        jne     4f
        cmpl    $__load_start, 4(%esi)
        ja      4f
        movl    4(%esi), %eax
        addl    12(%esi), %eax          # end (the guests' RAM is far below 4 GiB)
        cmpl    $__bss_end, %eax
        jb      4f
        PRINTLN "yes"
        jmp     6f
4:      addl    (%esi), %esi            # size does not count itself
        addl    $4, %esi
        jmp     3b
5:      PRINTLN "no"
6:
        PRINT   "mmap: nothing available in A0000h-FFFFFh: "
        movl    48(%ebx), %esi
        movl    44(%ebx), %ecx
        addl    %esi, %ecx
7:      cmpl    %ecx, %esi
        jae     9f
        cmpl    $1, 20(%esi)
        jne     8f
        movl    4(%esi), %eax
        cmpl    $0x100000, %eax
        jae     8f
        addl    12(%esi), %eax
        cmpl    $0xa0000, %eax
        jbe     8f
        PRINTLN "no"
        jmp     10f
8:      addl    (%esi), %esi
        addl    $4, %esi
        jmp     7b
9:      PRINTLN "yes"
10:
        PRINT   "cmdline: ["
        movl    16(%ebx), %esi
        call    puts
        PRINTLN "]"

        PRINT   "mods_count: "
        HEX32   20(%ebx)
        NEWLINE
        movl    24(%ebx), %edi
        movl    20(%ebx), %ecx
11:     testl   %ecx, %ecx
        jz      14f
        PRINT   "module ["
        movl    8(%edi), %esi
        call    puts
        PRINT   "] page-aligned "
        testl   $0xfff, (%edi)
        jnz     12f
        PRINT   "yes"
        jmp     13f
12:     PRINT   "no"
13:     PRINT   ", size "
        movl    4(%edi), %eax
        subl    (%edi), %eax
        HEX32   %eax
        PRINT   ", first bytes: "
        pushl   %ecx
        movl    (%edi), %esi
        movl    $8, %ecx
15:     lodsb
        call    puthex8
        loop    15b
        popl    %ecx
        NEWLINE
        addl    $16, %edi
        decl    %ecx
        jmp     11b
14:
        # The image was loaded where the ELF program headers (or the a.out
        # kludge's fields) say, .bss zeroed.
        PRINT   "image loaded: "
        HEX32   loaded_marker
        NEWLINE
        PRINT   "bss zeroed: "
        movl    $__bss_start_marker, %esi
        movl    $256, %ecx
        xorl    %eax, %eax
16:     orb     (%esi), %al
        incl    %esi
        loop    16b
        HEX8    %al
        NEWLINE
        ret

        .data
loaded_marker:
        .long   0x600dc0de
        .bss
__bss_start_marker:
        .skip   256
