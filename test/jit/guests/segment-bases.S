# Accesses through FS and GS with a base other than 0 and a 4 GiB limit
# (Linux's per-CPU FS, the C library's thread-pointer GS): translated code
# adds the base from the state block (EmitBackend.inlineLinear). The guest
# loads its own GDT with two such segments (bases not page-aligned, so that
# small offsets cross pages), then, in loops, stores and loads bytes, words
# and dwords at register and constant offsets, 8-byte x87 loads and stores
# (FLD/FSTP m64fp), and reloads GS with the other base between iterations.
# No IDT: a fault ends the run. The scenario is a dword the test writes at
# SCENARIO before the run:
#
#   0  the loops; the checksum (ESI) at RESULTS, halt
#   1  a dword load at FS:FFFFFFFEh: its last byte is beyond the limit, #GP(0)
#   2  FST m64fp at GS:FFFFFFF0h, F2h, ...: #GP(0) at FFFFFFFAh (its last byte is beyond the limit)
#   3  GS reloaded with a 64 KiB segment after a pass through a 4 GiB one, in
#      the same translated loop: #GP(0) at the byte load at GS:10000h
        .code32
        .set RESULTS, 0x70000
        .set SCENARIO, 0x70100
        .set N, 48
        .set BASE_A, 0x201ffd
        .set BASE_B, 0x300ffa

        .include "guest.inc"

        .text
        .globl _start
_start:
        cli
        lgdt    gdt_pointer
        ljmp    $0x08, $1f
1:      movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x18, %ax
        movw    %ax, %fs
        movw    $0x20, %ax
        movw    %ax, %gs
        fninit
        movl    SCENARIO, %eax
        jmp     *table(,%eax,4)

        .p2align 2
table:
        .long   loops, fs_beyond_limit, fstp_beyond_limit, small_gs

loops:
        # Pages 0 and 1 through DS, in loops so that translated code fills the TLB with them: an access
        # that left out its segment's base would find them there and go wrong instead of asking the runtime.
        xorl    %eax, %eax
        movl    $0x2000, %ecx
1:      movl    %eax, -4(%ecx)
        subl    $4, %ecx
        jnz     1b
        xorl    %esi, %esi
        movl    $N, %ecx
2:      # Stores through FS and GS at register offsets (some straddle pages: the bases are 3 and 6 bytes short of one).
        movl    %ecx, %edx
        imull   $0x01010101, %edx
        movl    %edx, %fs:(,%ecx,4)
        movw    %dx, %gs:1(%ecx)
        movb    %cl, %fs:0x400(%ecx)
        # Loads back, at other widths and offsets.
        movl    %fs:-4(,%ecx,4), %eax
        FOLD    %eax
        movzwl  %fs:2(,%ecx,4), %eax
        FOLD    %eax
        movzbl  %gs:2(%ecx), %eax
        FOLD    %eax
        movl    %gs:(%ecx), %eax
        FOLD    %eax
        movzbl  %fs:0x400(%ecx), %eax
        FOLD    %eax
        # Constant offsets, one across the page boundary.
        movl    %gs:4, %eax
        FOLD    %eax
        addl    %ecx, %fs:1
        movl    %fs:1, %eax
        FOLD    %eax
        # x87: 8-byte loads and stores through the bases, one straddling a page.
        fildl   %fs:(,%ecx,4)
        fstpl   %gs:0x100
        fldl    %gs:0x100
        fstpl   %gs:(%ecx)
        movl    %gs:(%ecx), %eax
        FOLD    %eax
        movl    %gs:4(%ecx), %eax
        FOLD    %eax
        # The other base for GS on odd iterations: the same code then reads through it.
        movw    $0x20, %ax
        testb   $1, %cl
        jz      3f
        movw    $0x28, %ax
3:      movw    %ax, %gs
        movl    %gs:8, %eax
        FOLD    %eax
        decl    %ecx
        jnz     2b
        movl    %esi, RESULTS
        hlt

fs_beyond_limit:
        movl    $0xfffffff0, %ebx
        movl    $8, %ecx
4:      movl    %fs:(%ebx), %eax        # at EBX = FFFFFFFEh its last byte is beyond the 4 GiB limit
        addl    $2, %ebx
        decl    %ecx
        jnz     4b
        hlt

fstp_beyond_limit:
        fld1
        movl    $0xfffffff0, %ebx
        movl    $8, %ecx
5:      fstl    %gs:(%ebx)              # at EBX = FFFFFFF8h it still fits; FFFFFFFAh does not
        addl    $2, %ebx
        decl    %ecx
        jnz     5b
        hlt

small_gs:
        movzbl  BASE_A + 0x10000, %eax  # that page in the TLB: only the limit stands between it and GS:10000h
        movl    $0xfff8, %ebx
        movl    $16, %ecx
6:      movzbl  %gs:(%ebx), %eax        # 4 GiB GS on the first pass, then the 64 KiB one: #GP(0) at EBX = 10000h
        movw    $0x30, %dx
        movw    %dx, %gs
        incl    %ebx
        decl    %ecx
        jnz     6b
        hlt

        .p2align 3
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff      # 0x08: code, base 0, 4 GiB (accessed: loads write no descriptor on the code page)
        .quad   0x00cf93000000ffff      # 0x10: data, base 0, 4 GiB
        # 0x18: data, base BASE_A, 4 GiB (the base's bytes 0-2 at bits 16-39, byte 3 at bits 56-63)
        .long   0x0000ffff | ((BASE_A & 0xffff) << 16)
        .long   ((BASE_A >> 16) & 0xff) | 0x00cf9300 | (BASE_A & 0xff000000)
        # 0x20: data, base BASE_B, 4 GiB
        .long   0x0000ffff | ((BASE_B & 0xffff) << 16)
        .long   ((BASE_B >> 16) & 0xff) | 0x00cf9300 | (BASE_B & 0xff000000)
        # 0x28: data, base BASE_A + 0x10, 4 GiB
        .long   0x0000ffff | (((BASE_A + 0x10) & 0xffff) << 16)
        .long   (((BASE_A + 0x10) >> 16) & 0xff) | 0x00cf9300 | ((BASE_A + 0x10) & 0xff000000)
        # 0x30: data, base BASE_A, limit FFFFh (byte granular)
        .long   0x0000ffff | ((BASE_A & 0xffff) << 16)
        .long   ((BASE_A >> 16) & 0xff) | 0x00009300 | (BASE_A & 0xff000000)
gdt_end:
gdt_pointer:
        .word   gdt_end - gdt - 1
        .long   gdt
