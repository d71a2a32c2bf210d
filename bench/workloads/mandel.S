# mandel: escape counts of the Mandelbrot set over a 96x64 grid of
# [-2.25, 0.75] x [-1.25, 1.25], at most 64 iterations per point, in x87
# code under double precision control (as Windows and FreeBSD run the x87,
# and as fast mode is designed for). Returns the counts hashed together.
# Exercises FILD, FLD/FSTP (registers and m64), FMUL, FADD, FSUBP, FXCH,
# FCOMP m64, FNSTSW AX + SAHF, FLDCW, FNINIT.
        .code32
        .set WIDTH, 96
        .set HEIGHT, 64
        .set MAXIT, 64

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        pushl   %ebp

        fninit                          # a known state (the caller's is the init state too)
        fldcw   cw_double               # PC = 53 bits, round to nearest, all masked
        xorl    %ebp, %ebp              # hash
        xorl    %edi, %edi              # y
1:      xorl    %esi, %esi              # x
2:      movl    %esi, itmp              # cr = xmin + x * dx
        fildl   itmp
        fmull   dx
        faddl   xmin
        fstpl   cr
        movl    %edi, itmp              # ci = ymin + y * dy
        fildl   itmp
        fmull   dy
        faddl   ymin
        fstpl   ci
        fldz                            # zi
        fldz                            # zr          stack: zr zi
        xorl    %ecx, %ecx
3:      fld     %st(0)                  # zr zr zi
        fmul    %st(1), %st             # zr2 zr zi
        fld     %st(2)                  # zi zr2 zr zi
        fmul    %st(3), %st             # zi2 zr2 zr zi
        fld     %st(0)                  # zi2 zi2 zr2 zr zi
        fadd    %st(2), %st             # |z|2 zi2 zr2 zr zi
        fcompl  four                    # zi2 zr2 zr zi
        fnstsw  %ax
        sahf
        ja      5f                      # |z|^2 > 4: escaped
        .byte   0xde, 0xe9              # FSUBP ST(1), ST(0): zr2 - zi2, pop   -> d zr zi
        faddl   cr                      # zr' zr zi
        fxch    %st(1)                  # zr zr' zi
        fmul    %st(2), %st             # zr*zi zr' zi
        fadd    %st(0), %st             # 2 zr zi, zr' zi
        faddl   ci                      # zi' zr' zi
        fstp    %st(2)                  # zr' zi'
        incl    %ecx
        cmpl    $MAXIT, %ecx
        jb      3b
        jmp     6f
5:      fstp    %st(0)                  # drop zi2, zr2
        fstp    %st(0)
6:      fstp    %st(0)                  # drop zr, zi
        fstp    %st(0)
        imull   $31, %ebp, %ebp         # hash = hash * 31 + count
        addl    %ecx, %ebp
        incl    %esi
        cmpl    $WIDTH, %esi
        jb      2b
        incl    %edi
        cmpl    $HEIGHT, %edi
        jb      1b

        fninit                          # leave the caller the init state (control word 037F)
        movl    %ebp, %eax
        popl    %ebp
        popl    %edi
        popl    %esi
        popl    %ebx
        ret

        .data
        .balign 4096                    # its own page: stores to cr/ci must not hit the code's page
xmin:   .double -2.25
ymin:   .double -1.25
dx:     .double 0.03125                 # 3 / 96
dy:     .double 0.0390625               # 2.5 / 64
four:   .double 4.0
cw_double:
        .short  0x027f

        .bss
        .balign 4096
cr:     .skip   8
ci:     .skip   8
itmp:   .skip   4
