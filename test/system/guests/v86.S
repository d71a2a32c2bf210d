# Virtual-8086 mode (SDM vol. 3, chapter 20): entered by IRET with VM set
# in the EFLAGS image (from CPL 0), left by interrupts and exceptions
# through the protected-mode IDT (a 36-byte frame with the real-mode
# segment registers, which read as null in the handler). With IOPL < 3,
# CLI, STI, PUSHF, POPF, INT n and IRET raise #GP(0) and a monitor (here:
# gp_monitor) emulates them, reflecting INT n through the v86 program's
# IVT; IN/OUT obey the TSS's I/O bitmap, not IOPL. With IOPL = 3 those
# run directly and INT n goes through the IDT, where a gate whose DPL is
# below 3 raises #GP(vector * 8 + 2).
        .include "lib.inc"

        .set EXIT_VECTOR, 0x31          # INT 31h leaves v86 mode (DPL 3 gate, or the monitor)
        .set SCRATCH, 0x20010           # 2000:0010

        .text
        .globl  main
main:
        IDTGATE 13, $gp_monitor, KCODE, GATE_INT
        IDTGATE EXIT_VECTOR, $v86_exit_gate, KCODE, GATE_INT3
        CAPTURE 6, noerr
        CAPTURE 0x51, noerr, GATE_INT3
        IDTGATE 0x52, $never, KCODE, GATE_INT           # DPL 0
        # The v86 program's IVT: INT 50h and 52h handlers.
        movw    $v86_int50, 0x50 * 4
        movw    $REAL_SEG, 0x50 * 4 + 2
        movw    $v86_int52, 0x52 * 4
        movw    $REAL_SEG, 0x52 * 4 + 2
        movl    $0x00c0ffee, SCRATCH

        # --- IOPL 0: the monitor path.
        movl    $v86_after_ud, capture_resume
        movl    $1f, v86_exit_continue
        movl    $0, %ebx
        movl    $v86_iopl0, %eax
        jmp     enter_v86
1:      PRINT   "#UD in v86 mode: "
        call    print_v86_frame

        # --- IOPL 3: direct CLI/STI/PUSHF/POPF, INT n through the IDT.
        movl    $v86_after_int51, capture_resume
        movl    $1f, v86_exit_continue
        movl    $EFL_IOPL3, %ebx
        movl    $v86_iopl3, %eax
        jmp     enter_v86
1:      PRINT   "INT 51h from v86 mode with IOPL 3: "
        call    print_v86_frame
        LIBGATE 13
        LIBGATE 6
        ret

# Enter v86 mode at REAL_SEG:AX with EFLAGS = VM | IF | EBX (IOPL), the
# stack at REAL_SEG:REAL_STACK and every data segment REAL_SEG: an IRET
# whose EFLAGS image has VM set pops ES, DS, FS and GS as well.
enter_v86:
        movl    %esp, v86_kernel_esp
        pushl   $REAL_SEG               # GS
        pushl   $REAL_SEG               # FS
        pushl   $REAL_SEG               # DS
        pushl   $REAL_SEG               # ES
        pushl   $REAL_SEG               # SS
        pushl   $REAL_STACK             # ESP
        orl     $(EFL_VM | EFL_IF | 2), %ebx
        pushl   %ebx                    # EFLAGS
        pushl   $REAL_SEG               # CS
        movzwl  %ax, %eax
        pushl   %eax                    # EIP
        iretl

# INT 31h from v86 mode with IOPL 3 (and the monitor's emulation of it):
# back to the protected-mode code that entered v86 mode.
v86_exit_gate:
        movw    $KDATA, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movl    v86_kernel_esp, %esp
        jmp     *v86_exit_continue

# The #UD and INT 51h frames (captured): size, EIP, CS, VM.
print_v86_frame:
        PRINT   "frame "
        movl    $kernel_trap_stack_top, %eax
        subl    captured_esp, %eax
        HEX8    %al
        PRINT   " bytes, CS "
        HEX16   captured_cs
        PRINT   ", EFLAGS.VM "
        movl    captured_eflags, %eax
        shrl    $17, %eax
        andl    $1, %eax
        call    puthex_min
        PRINT   ", IOPL "
        movl    captured_eflags, %eax
        shrl    $12, %eax
        andl    $3, %eax
        call    puthex_min
        NEWLINE
        ret

# --- The v86 monitor: #GP handler -----------------------------------------------
# Frame: error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
        .set M_ERR, 32
        .set M_EIP, 36
        .set M_CS, 40
        .set M_EFLAGS, 44
        .set M_ESP, 48
        .set M_SS, 52
gp_monitor:
        pushal
        movw    %ds, %ax
        movw    %es, %bx
        movw    %fs, %cx
        movw    %gs, %dx
        movw    $KDATA, %si
        movw    %si, %ds
        movw    %si, %es
        movl    %esp, %ebp
        testl   $EFL_VM, M_EFLAGS(%ebp)
        jnz     1f
        # Not from v86 mode: the library's handler reports it.
        popal
        jmp     exception_stubs + 13 * 16
1:      PRINT   "monitor: #GP("
        HEX16   M_ERR(%ebp)
        PRINT   "), data segments in the handler "
        HEX16   %ax
        PRINT   " "
        HEX16   %bx
        PRINT   " "
        HEX16   %cx
        PRINT   " "
        HEX16   %dx
        PRINT   ": "
        # The instruction at CS:IP.
        movzwl  M_CS(%ebp), %esi
        shll    $4, %esi
        movzwl  M_EIP(%ebp), %eax
        addl    %eax, %esi
        movzbl  (%esi), %eax
        cmpb    $0xcd, %al
        je      m_int
        cmpb    $0xcf, %al
        je      m_iret
        cmpb    $0xfa, %al
        je      m_cli
        cmpb    $0xfb, %al
        je      m_sti
        cmpb    $0x9c, %al
        je      m_pushf
        cmpb    $0x9d, %al
        je      m_popf
        cmpb    $0xe4, %al
        je      m_in
        PRINT   "unexpected opcode "
        HEX8    %al
        NEWLINE
        EXIT    1

m_int:
        movzbl  1(%esi), %ebx
        cmpb    $EXIT_VECTOR, %bl
        jne     1f
        PRINTLN "INT 31h, leaving v86 mode"
        jmp     v86_exit_gate
1:      PRINT   "INT "
        HEX8    %bl
        PRINTLN "h reflected through the IVT"
        # Push FLAGS (IF from the virtual IF), CS and IP + 2, as real mode would.
        movl    M_EFLAGS(%ebp), %eax
        andl    $~EFL_IF, %eax
        orl     virtual_if, %eax
        call    v86_push
        movl    M_CS(%ebp), %eax
        call    v86_push
        movl    M_EIP(%ebp), %eax
        addl    $2, %eax
        call    v86_push
        movl    $0, virtual_if
        movzwl  (,%ebx,4), %eax
        movl    %eax, M_EIP(%ebp)
        movzwl  2(,%ebx,4), %eax
        movl    %eax, M_CS(%ebp)
        jmp     m_return

m_iret:
        PRINTLN "IRET emulated"
        call    v86_pop
        movl    %eax, M_EIP(%ebp)
        call    v86_pop
        movl    %eax, M_CS(%ebp)
        call    v86_pop
        andl    $EFL_IF, %eax
        movl    %eax, virtual_if
        jmp     m_return

m_cli:
        PRINTLN "CLI emulated"
        movl    $0, virtual_if
        jmp     m_skip1
m_sti:
        PRINTLN "STI emulated"
        movl    $EFL_IF, virtual_if
        jmp     m_skip1
m_pushf:
        PRINTLN "PUSHF emulated"
        movl    M_EFLAGS(%ebp), %eax
        andl    $~EFL_IF, %eax
        orl     virtual_if, %eax
        call    v86_push
        jmp     m_skip1
m_popf:
        PRINTLN "POPF emulated"
        call    v86_pop
        andl    $EFL_IF, %eax
        movl    %eax, virtual_if
        jmp     m_skip1
m_in:
        PRINT   "IN from port "
        HEX8    1(%esi)
        PRINTLN "h denied by the I/O bitmap"
        movb    $0xff, 28(%ebp)         # AL in the EAX that PUSHAL saved
        addl    $2, M_EIP(%ebp)
        jmp     m_return
m_skip1:
        incl    M_EIP(%ebp)
m_return:
        popal
        addl    $4, %esp                # the error code
        iretl

# Push/pop a word on the v86 stack of the frame at EBP.
v86_push:
        subw    $2, M_ESP(%ebp)
        movzwl  M_SS(%ebp), %edi
        shll    $4, %edi
        movzwl  M_ESP(%ebp), %ecx
        movw    %ax, (%edi,%ecx)
        ret
v86_pop:
        movzwl  M_SS(%ebp), %edi
        shll    $4, %edi
        movzwl  M_ESP(%ebp), %ecx
        movzwl  (%edi,%ecx), %eax
        addw    $2, M_ESP(%ebp)
        ret

never:
        PRINTLN "reached a place a check should have kept us from"
        EXIT    1

        .data
v86_kernel_esp:         .long 0
v86_exit_continue:      .long 0
virtual_if:             .long EFL_IF

# --- The v86 program -----------------------------------------------------------
        .code16
        .section .real, "ax"
v86_iopl0:
        PRINT16 "v86 mode, IOPL 0: CS="
        HEX16_16 %cs
        PRINT16 " SS:SP="
        HEX16_16 %ss
        PRINT16 ":"
        movw    %sp, %ax
        HEX16_16 %ax
        NEWLINE16
        cli
        sti
        pushf
        popf
        int     $0x50
        PRINTLN16 "v86: back after INT 50h"
        inb     $0x80, %al
        PRINT16 "v86: IN returned "
        HEX8_16 %al
        NEWLINE16
        # A segment load in v86 mode: base = selector * 16.
        movw    $0x2000, %ax
        movw    %ax, %es
        PRINT16 "v86: 2000:0010 holds "
        movw    %es:0x12, %ax
        HEX16_16 %ax
        movw    %es:0x10, %ax
        HEX16_16 %ax
        NEWLINE16
        ud2
v86_after_ud:
        PRINTLN16 "v86: resumed after #UD"
        int     $EXIT_VECTOR

v86_int50:
        PRINTLN16 "v86: IVT handler of INT 50h"
        iret

v86_iopl3:
        PRINTLN16 "v86 mode, IOPL 3"
        cli
        pushf
        popw    %ax
        PRINT16 "v86: PUSHF after CLI, IF and IOPL: "
        andw    $(EFL_IF | EFL_IOPL3), %ax
        HEX16_16 %ax
        NEWLINE16
        sti
        int     $0x51
v86_after_int51:
        PRINTLN16 "v86: back after INT 51h"
        int     $0x52
        PRINTLN16 "v86: back after INT 52h"
        int     $EXIT_VECTOR

v86_int52:
        PRINTLN16 "v86: IVT handler of INT 52h"
        iret
        .code32
