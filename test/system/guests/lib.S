# The shared runtime of the system test guests: the multiboot header, the
# entry point (own GDT, IDT, TSS and stacks, PICs masked, the .real section
# copied below 1 MiB), printing to the debug console, the exception
# handlers behind TRY/ENDTRY, and the descriptor-building routines. Each
# guest supplies `main`; returning from it ends the run with status 0.
#
# Linked first (link.ld puts .multiboot at the start of the image). Built
# with --defsym AOUT_KLUDGE=1 the header carries the a.out kludge's
# address fields and flag 16, so the same guest loads as a flat binary.
        .include "lib.inc"

        .set MB_MAGIC, 0x1badb002
        .set MB_PAGE_ALIGN, 0x1
        .set MB_MEMORY_INFO, 0x2
        .set MB_AOUT_KLUDGE, 0x10000
        .ifdef AOUT_KLUDGE
        .set MB_FLAGS, MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE
        .else
        .set MB_FLAGS, MB_PAGE_ALIGN | MB_MEMORY_INFO
        .endif

        .section .multiboot, "a"
        .align 4
mb_header:
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)
        # The a.out kludge's fields (read only when flag 16 is set).
        .long   mb_header               # header_addr
        .long   __load_start            # load_addr
        .long   __load_end              # load_end_addr
        .long   __bss_end               # bss_end_addr
        .long   _start                  # entry_addr

        .text
        .globl  _start
_start:
        # Multiboot hands over in flat protected mode but says nothing of
        # GDTR, IDTR or the stack: set up our own before touching anything
        # (the flat DS and SS it gives are usable until then).
        movl    %eax, mb_magic
        movl    %ebx, mb_info
        movl    $kernel_stack_top, %esp
        pushfl
        popl    mb_eflags
        cli
        cld
        lgdt    gdt_pointer
        ljmp    $KCODE, $1f
1:      movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    $kernel_stack_top, %esp
        # The BIOS of a PC leaves the 8259As unmasked; with every line masked
        # STI is safe (no device interrupts reach the guests).
        movb    $0xff, %al
        outb    %al, $0x21
        outb    %al, $0xa1
        call    copy_real
        call    idt_init
        lidt    idt_pointer
        call    tss_init
        movw    $MAIN_TSS, %ax
        ltr     %ax
        call    main
        EXIT    0

# Copy the .real section (16-bit code and data for real mode and v86 mode)
# from the image to REAL_BASE; link.ld gave it offsets from there.
copy_real:
        pushal
        movl    $__real_lma, %esi
        movl    $REAL_BASE, %edi
        movl    $__real_size, %ecx
        rep movsb
        popal
        ret

# --- Printing -------------------------------------------------------------

# Print the NUL-terminated string at DS:ESI.
        .globl  puts
puts:
        pushl   %eax
        pushl   %esi
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        jmp     1b
2:      popl    %esi
        popl    %eax
        ret

        .globl  putc
putc:
        outb    %al, $DEBUGCON
        ret

        .globl  newline
newline:
        pushl   %eax
        movb    $'\n', %al
        outb    %al, $DEBUGCON
        popl    %eax
        ret

# Print EAX in hex: 8, 4 or 2 digits.
        .globl  puthex32, puthex16, puthex8
puthex32:
        pushl   %ecx
        movl    $8, %ecx
        jmp     puthex
puthex16:
        pushl   %ecx
        movl    $4, %ecx
        roll    $16, %eax
        jmp     puthex
puthex8:
        pushl   %ecx
        movl    $2, %ecx
        roll    $24, %eax
puthex:
        pushl   %eax
        pushl   %edx
        movl    %eax, %edx
1:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0xf, %eax
        movb    hex_digits(%eax), %al
        outb    %al, $DEBUGCON
        loop    1b
        popl    %edx
        popl    %eax
        popl    %ecx
        ret

# Print EAX in hex without leading zeros.
        .globl  puthex_min
puthex_min:
        pushal
        movl    %eax, %edx
        movl    $8, %ecx
1:      cmpl    $1, %ecx
        je      2f
        testl   $0xf0000000, %edx
        jnz     2f
        shll    $4, %edx
        decl    %ecx
        jmp     1b
2:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0xf, %eax
        movb    hex_digits(%eax), %al
        outb    %al, $DEBUGCON
        loop    2b
        popal
        ret

# --- Descriptors -----------------------------------------------------------

# gdt_set: EAX = selector, EBX = base, ECX = 20-bit limit, EDX = access byte
# | flags << 8 (lib.inc's ACC_*/FLG_* values).
        .globl  gdt_set
gdt_set:
        pushal
        andl    $0xfff8, %eax
        leal    gdt(%eax), %edi
        movw    %cx, (%edi)             # limit 15:0
        movw    %bx, 2(%edi)            # base 15:0
        shrl    $16, %ebx
        movb    %bl, 4(%edi)            # base 23:16
        movb    %dl, 5(%edi)            # access byte
        shrl    $16, %ecx
        andb    $0x0f, %cl              # limit 19:16
        movb    %dh, %al
        andb    $0x0f, %al              # flags nibble was in bits 8-11
        shlb    $4, %al
        orb     %cl, %al
        movb    %al, 6(%edi)
        movb    %bh, 7(%edi)            # base 31:24
        popal
        ret

# gate_set: EDI = where, EBX = offset, ECX = selector, EDX = attribute word.
gate_set:
        movw    %bx, (%edi)
        movw    %cx, 2(%edi)
        movw    %dx, 4(%edi)
        shrl    $16, %ebx
        movw    %bx, 6(%edi)
        ret

# idt_set: EAX = vector, EBX = offset, ECX = selector, EDX = attributes.
        .globl  idt_set
idt_set:
        pushal
        movzbl  %al, %eax
        leal    idt(,%eax,8), %edi
        call    gate_set
        popal
        ret

# gdt_gate_set: EAX = selector of the gate, EBX = offset, ECX = target selector, EDX = attributes.
        .globl  gdt_gate_set
gdt_gate_set:
        pushal
        andl    $0xfff8, %eax
        leal    gdt(%eax), %edi
        call    gate_set
        popal
        ret

# Vectors 0-31 go to the library's handlers (32-bit interrupt gates, DPL 0);
# RING0_VECTOR is a DPL 3 gate; everything else is not present.
idt_init:
        pushal
        movl    $idt, %edi
        movl    $256 * 2, %ecx
        xorl    %eax, %eax
        rep stosl
        xorl    %eax, %eax
1:      movl    %eax, %ebx
        shll    $4, %ebx
        addl    $exception_stubs, %ebx
        movl    $KCODE, %ecx
        movl    $GATE_INT, %edx
        call    idt_set
        incl    %eax
        cmpl    $32, %eax
        jne     1b
        IDTGATE RING0_VECTOR, $ring0_entry, KCODE, GATE_INT3
        popal
        ret

# The main TSS: ring 0 stack for interrupts from ring 3 and v86 mode, and an
# I/O permission bitmap that lets every ring use the debug console and
# isa-debug-exit (and nothing else).
tss_init:
        pushal
        movl    $kernel_trap_stack_top, main_tss + 4   # ESP0
        movl    $KDATA, main_tss + 8                   # SS0
        movw    $(main_iomap - main_tss), main_tss + 102
        SEGDESC MAIN_TSS, $main_tss, (main_tss_end - main_tss - 1), (ACC_P | T_TSS32)
        popal
        ret

# --- Exceptions -------------------------------------------------------------

# One 16-byte stub per vector: push a zero where the CPU pushes no error
# code, then the vector number.
        .align 16
        .globl  exception_stubs
exception_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .align 16
        .if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21)
        .else
        pushl   $0
        .endif
        pushl   $\v
        jmp     exception_common
        .endr

# The frame below the saved registers: vector, error code, EIP, CS, EFLAGS
# [, ESP, SS from ring 3 or v86 [, ES, DS, FS, GS from v86]].
        .set F_VECTOR, 48
        .set F_ERROR, 52
        .set F_EIP, 56
        .set F_CS, 60
        .set F_EFLAGS, 64
        .set F_ESP, 68
        .set F_SS, 72

exception_common:
        pushal
        pushl   %ds
        pushl   %es
        pushl   %fs
        pushl   %gs
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movl    %esp, %ebp
        cmpl    $0, try_active
        je      1f
        movl    $0, try_active
        call    print_event
        NEWLINE
        jmp     try_resume_path
1:      PRINT   "unexpected "
        call    print_event
        PRINT   " eax="
        HEX32   44(%ebp)
        NEWLINE
        EXIT    1

# Print the event of the frame at EBP: "#GP(0010) at +3 [cs=001b] [cr2=...]".
        .globl  print_event
print_event:
        pushal
        movl    F_VECTOR(%ebp), %eax
        cmpl    $32, %eax
        jae     1f
        leal    REAL_BASE + vector_names(,%eax,4), %esi
        call    puts
        jmp     2f
1:      PRINT   "vector "
        call    puthex8
2:      # Error code: the vectors that push one (SDM vol. 3, 6.13).
        cmpl    $8, %eax
        je      3f
        cmpl    $17, %eax
        je      3f
        cmpl    $10, %eax
        jb      4f
        cmpl    $14, %eax
        ja      4f
3:      movb    $'(', %al
        call    putc
        movl    F_ERROR(%ebp), %eax
        call    puthex16
        movb    $')', %al
        call    putc
4:      # #DF saves an undefined CS:EIP (SDM vol. 3, 6.15, interrupt 8).
        cmpl    $8, F_VECTOR(%ebp)
        je      7f
        testl   $EFL_VM, F_EFLAGS(%ebp)
        jnz     8f
        PRINT   " at "
        movl    F_EIP(%ebp), %eax
        subl    try_start, %eax
        cmpl    $0x10000, %eax
        jae     5f
        movb    $'+', %al
        call    putc
        movl    F_EIP(%ebp), %eax
        subl    try_start, %eax
        call    puthex_min
        jmp     6f
5:      HEX32   F_EIP(%ebp)
6:      cmpw    $KCODE, F_CS(%ebp)
        je      7f
        PRINT   " cs="
        HEX16   F_CS(%ebp)
7:      cmpl    $14, F_VECTOR(%ebp)
        jne     9f
        PRINT   " cr2="
        movl    %cr2, %eax
        call    puthex32
        jmp     9f
8:      PRINT   " in v86 at "
        HEX16   F_CS(%ebp)
        movb    $':', %al
        call    putc
        HEX16   F_EIP(%ebp)
9:      popal
        ret

# Resume after ENDTRY with the stack, flags and ring of TRY.
try_resume_path:
        testb   $3, try_cs
        jnz     1f
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    try_ss, %ss
        movl    try_esp, %esp
        pushl   try_eflags
        popfl
        jmp     *try_resume
1:      pushl   try_ss
        pushl   try_esp
        pushl   try_eflags
        pushl   try_cs
        pushl   try_resume
        movw    $UDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        iretl

# Called by TRY: remember where and how to resume.
        .globl  try_enter
try_enter:
        pushl   %eax
        leal    8(%esp), %eax           # ESP after TRY's call returns
        movl    %eax, try_esp
        pushfl
        popl    try_eflags
        movw    %cs, try_cs
        movw    %ss, try_ss
        movl    $1, try_active
        popl    %eax
        ret

# Called by ENDTRY when the checked code ran to its end: segment registers
# back to the flat ones of the current ring, then "no fault".
        .globl  try_no_fault
try_no_fault:
        pushl   %eax
        movw    %cs, %ax
        testb   $3, %al
        movw    $KDATA, %ax
        jz      1f
        movw    $UDATA, %ax
1:      movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movl    $0, try_active
        popl    %eax
        PRINTLN "no fault"
        ret

# INT RING0_VECTOR (RING0): back in ring 0 on the kernel stack of RING3,
# at the instruction after the INT, with the general registers untouched.
ring0_entry:
        pushl   %eax
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movl    4(%esp), %eax
        movl    %eax, ring0_return
        popl    %eax
        movl    ring3_kernel_esp, %esp
        jmp     *ring0_return

# Frame capture (CAPTURE in lib.inc): record what the CPU pushed, then IRET
# to capture_resume (same CS, EFLAGS and stack as the frame says).
        .globl  capture_noerr, capture_err
capture_noerr:
        movl    %esp, %ss:captured_esp
        pushfl
        popl    %ss:captured_handler_eflags
        movl    $0xffffffff, %ss:captured_error
        pushl   %esi
        leal    4(%esp), %esi
        jmp     1f
capture_err:
        movl    %esp, %ss:captured_esp
        pushfl
        popl    %ss:captured_handler_eflags
        pushl   %esi
        movl    4(%esp), %esi
        movl    %esi, %ss:captured_error
        leal    8(%esp), %esi
1:      pushl   %eax
        movl    %ss:(%esi), %eax
        movl    %eax, %ss:captured_eip
        movl    %ss:4(%esi), %eax
        movl    %eax, %ss:captured_cs
        movl    %ss:8(%esi), %eax
        movl    %eax, %ss:captured_eflags
        movl    %ss:12(%esi), %eax
        movl    %eax, %ss:captured_esp3
        movl    %ss:16(%esi), %eax
        movl    %eax, %ss:captured_ss3
        movl    %ss:capture_resume, %eax
        movl    %eax, %ss:(%esi)
        popl    %eax
        popl    %esi
        cmpl    $0xffffffff, %ss:captured_error
        je      2f
        addl    $4, %esp                # drop the error code
2:      iretl

# --- Mode switches (SDM vol. 3, 10.9) -----------------------------------------

# enter_real: from 32-bit protected mode at CPL 0 with paging off, switch
# to real mode and jump to REAL_SEG:AX (a .real label) with DS = ES = FS =
# GS = SS = REAL_SEG, SP = REAL_STACK, IDTR = (0, 3FFh), interrupts off.
# ESP is kept for enter_pm32.
        .globl  enter_real
enter_real:
        cli
        movl    %esp, pm_saved_esp
        movw    %ax, REAL_BASE + real_target
        # 10.9.2 step 3: a readable code segment with a 64 KiB limit.
        ljmp    $KCODE16, $pm16_to_real
        .code16
        .section .real, "ax"
pm16_to_real:
        # Step 4: segment registers with real-mode-like descriptors (limit
        # FFFFh, byte granular, expand-up, writable, present).
        movw    $KDATA16, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        # Step 5: the real-mode interrupt table.
        lidtl   %cs:real_idt_pointer
        # Step 6: clear PE; step 7: a far jump loads a real-mode CS.
        movl    %cr0, %eax
        andl    $~CR0_PE, %eax
        movl    %eax, %cr0
        ljmp    $REAL_SEG, $1f
1:      movw    $REAL_SEG, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movw    $REAL_STACK, %sp
        jmp     *%cs:real_target

# enter_pm32: from real mode, switch to 32-bit protected mode at CPL 0 and
# jump to the 32-bit address in EBX with the flat segments, the ESP of
# enter_real and the library's IDT. GDTR still holds the library's GDT.
        .globl  enter_pm32
enter_pm32:
        cli
        movl    %ebx, %cs:pm_continue
        movl    %cr0, %eax
        orl     $CR0_PE, %eax
        movl    %eax, %cr0
        ljmpl   *%cs:pm_far
        .code32
        .text
pm32_reentry:
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    pm_saved_esp, %esp
        lidt    idt_pointer
        jmp     *REAL_BASE + pm_continue

# --- 16-bit helpers for real mode, 16-bit protected mode and v86 mode -------
# They address their data through CS, so they work wherever CS is REAL_SEG
# or KCODE16 (both based at REAL_BASE).
        .section .real, "ax"
        .code16
# Print the NUL-terminated string at CS:SI.
        .globl  puts16
puts16:
        pushw   %ax
        pushw   %si
1:      movb    %cs:(%si), %al
        incw    %si
        testb   %al, %al
        jz      2f
        outb    %al, $DEBUGCON
        jmp     1b
2:      popw    %si
        popw    %ax
        ret

# Print AX in hex (4 digits), AL in hex (2 digits), AX without leading zeros.
        .globl  puthex16_16, puthex8_16, puthexmin_16
puthex16_16:
        pushw   %cx
        movw    $4, %cx
        jmp     1f
puthex8_16:
        pushw   %cx
        movw    $2, %cx
        rolw    $8, %ax
        jmp     1f
puthexmin_16:
        pushw   %cx
        movw    $4, %cx
3:      cmpw    $1, %cx
        je      1f
        testw   $0xf000, %ax
        jnz     1f
        shlw    $4, %ax
        decw    %cx
        jmp     3b
1:      pushw   %ax
        pushw   %bx
        pushw   %dx
        movw    %ax, %dx
2:      rolw    $4, %dx
        movw    %dx, %bx
        andw    $0xf, %bx
        movb    %cs:hex_digits16(%bx), %al
        outb    %al, $DEBUGCON
        loop    2b
        popw    %dx
        popw    %bx
        popw    %ax
        popw    %cx
        ret

# --- RTRY/RENDTRY: checks that may fault, in real mode -------------------------
# rm_ivt_init points IVT entries 0-31 at stubs that print the exception
# (as the protected-mode handler does) and resume after RENDTRY.
        .globl  rm_ivt_init
rm_ivt_init:
        pushw   %ax
        pushw   %di
        pushw   %ds
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    $rm_stubs, %ax
        xorw    %di, %di
1:      movw    %ax, (%di)
        movw    $REAL_SEG, 2(%di)
        addw    $8, %ax
        addw    $4, %di
        cmpw    $32 * 4, %di
        jne     1b
        popw    %ds
        popw    %di
        popw    %ax
        ret

        .align 8
rm_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .align 8
        pushw   $\v
        jmp     rm_common
        .endr

# The real-mode frame: vector (pushed by the stub), IP, CS, FLAGS.
rm_common:
        movw    %sp, %bp
        cmpw    $0, %cs:rtry_active
        je      2f
        movw    $0, %cs:rtry_active
        call    rm_print_event
        NEWLINE16
        movw    %cs:rtry_sp, %sp
        movw    $REAL_SEG, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        jmp     *%cs:rtry_resume
2:      PRINT16 "unexpected in real mode "
        call    rm_print_event
        NEWLINE16
        movb    $1, %al
        outb    %al, $DEBUG_EXIT
        cli
        hlt

rm_print_event:
        movw    (%bp), %si
        shlw    $2, %si
        addw    $vector_names, %si
        call    puts16
        PRINT16 " at "
        movw    4(%bp), %ax
        cmpw    $REAL_SEG, %ax
        je      1f
        call    puthex16_16
        movb    $':', %al
        outb    %al, $DEBUGCON
        movw    2(%bp), %ax
        call    puthex16_16
        ret
1:      movb    $'+', %al
        outb    %al, $DEBUGCON
        movw    2(%bp), %ax
        subw    %cs:rtry_start, %ax
        call    puthexmin_16
        ret

        .globl  rtry_enter, rtry_no_fault
rtry_enter:
        pushw   %ax
        movw    %sp, %ax
        addw    $4, %ax                 # SP after RTRY's call returns
        movw    %ax, %cs:rtry_sp
        movw    $1, %cs:rtry_active
        popw    %ax
        ret

rtry_no_fault:
        movw    $0, %cs:rtry_active
        PRINTLN16 "no fault"
        ret

        .section .real.data, "a"
hex_digits16:
        .ascii  "0123456789abcdef"
        .globl  vector_names
vector_names:
        .asciz  "#DE"
        .asciz  "#DB"
        .asciz  "NMI"
        .asciz  "#BP"
        .asciz  "#OF"
        .asciz  "#BR"
        .asciz  "#UD"
        .asciz  "#NM"
        .asciz  "#DF"
        .asciz  "#09"
        .asciz  "#TS"
        .asciz  "#NP"
        .asciz  "#SS"
        .asciz  "#GP"
        .asciz  "#PF"
        .asciz  "#15"
        .asciz  "#MF"
        .asciz  "#AC"
        .asciz  "#MC"
        .asciz  "#XM"
        .asciz  "#VE"
        .asciz  "#CP"
        .irp v, 22,23,24,25,26,27,28,29,30,31
        .asciz  "#\v"
        .endr
        .align 4
real_target:    .word 0
real_idt_pointer:
        .word   0x3ff
        .long   0
        .align 4
pm_continue:    .long 0
pm_far:         .long pm32_reentry
                .word KCODE
        .globl  rtry_active, rtry_start, rtry_resume
rtry_active:    .word 0
rtry_start:     .word 0
rtry_resume:    .word 0
rtry_sp:        .word 0
        .code32

        .section .rodata
hex_digits:
        .ascii  "0123456789abcdef"
        .data
        .align 8
        .globl  gdt
gdt:
        .quad   0
        .quad   0x00cf9a000000ffff      # KCODE
        .quad   0x00cf92000000ffff      # KDATA
        .quad   0x00cffa000000ffff      # UCODE
        .quad   0x00cff2000000ffff      # UDATA
        .quad   0                       # MAIN_TSS (tss_init)
        .quad   0x00009a010000ffff      # KCODE16: base REAL_BASE
        .quad   0x000092010000ffff      # KDATA16: base REAL_BASE
        .fill   GDT_ENTRIES - 8, 8, 0
gdt_end:
        .align 4
        .word   0
        .globl  gdt_pointer
gdt_pointer:
        .word   gdt_end - gdt - 1
        .long   gdt
        .word   0
        .globl  idt_pointer
idt_pointer:
        .word   256 * 8 - 1
        .long   idt

        .align 256                      # the TSS must not cross a page boundary
        .globl  main_tss
main_tss:
        .fill   104, 1, 0
main_iomap:
        # Ports 0-F7h: one bit each, 1 = denied. E9h (debug console) and
        # F4h-F7h (isa-debug-exit) are allowed.
        .fill   0xe8 / 8, 1, 0xff
        .byte   0xff & ~(1 << (0xe9 & 7))       # E8h-EFh
        .byte   0xff & ~(0xf << (0xf4 & 7))     # F0h-F7h
        .byte   0xff                            # the byte past the bitmap
main_tss_end:

        .globl  mb_magic, mb_info, mb_eflags
mb_magic:       .long 0                 # EAX, EBX and EFLAGS at entry
mb_info:        .long 0
mb_eflags:      .long 0
        .globl  try_active, try_start, try_resume
try_active:     .long 0
try_start:      .long 0
try_resume:     .long 0
try_esp:        .long 0
try_eflags:     .long 0
try_cs:         .word 0
try_ss:         .word 0
        .globl  capture_resume, captured_esp, captured_error, captured_eip, captured_cs, captured_eflags, captured_esp3, captured_ss3
        .globl  captured_handler_eflags
captured_handler_eflags: .long 0
capture_resume: .long 0
captured_esp:   .long 0
captured_error: .long 0
captured_eip:   .long 0
captured_cs:    .long 0
captured_eflags: .long 0
captured_esp3:  .long 0
captured_ss3:   .long 0
        .globl  ring3_kernel_esp, pm_saved_esp
ring3_kernel_esp: .long 0
pm_saved_esp:   .long 0
ring0_return:   .long 0

        .bss
        .align 4096
        .globl  idt
idt:    .skip   256 * 8
        .align 16
        .skip   16384
        .globl  kernel_stack_top
kernel_stack_top:
        .skip   8192
        .globl  kernel_trap_stack_top
kernel_trap_stack_top:
        .skip   8192
        .globl  user_stack_top
user_stack_top:
