# SMC test (f): an instruction that straddles a page boundary, whose last
# bytes lie on the next page (an immediate split across two frames). The
# JIT translates it with the bytes of both frames, so it must notice a write
# to the second frame, and a remapping of the second linear page onto
# another frame (with INVLPG), as the CPU does. The same page tables as
# smc-alias.S: ALIAS maps alias_area's two frames; strad sits 3 bytes
# before the end of the first:
#   strad: 05 44 33 | 22 11   addl $0x11223344, %eax  (| = page boundary)
#          c3                 ret
#
#   RESULTS+0  fold of strad(i) as loaded (i + 0x11223344)
#   RESULTS+4  fold of strad(i) after the guest writes 66 55 over the
#              second frame's first two bytes through the identity map
#              (i + 0x55663344)
#   RESULTS+8  fold of strad(i) after the second linear page is remapped
#              onto other_frame, which starts 88 77 c3 (i + 0x77883344)
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .include "alias-paging.inc"

        ALIAS_GUEST_START 2
        FOLD_CALLS call_strad, RESULTS
        movw    $0x5566, alias_area + 4096
        FOLD_CALLS call_strad, RESULTS+4
        movl    $other_frame + PTE_PW, PAGE_TABLE_ALIAS + 4
        invlpg  ALIAS + 4096
        FOLD_CALLS call_strad, RESULTS+8
        hlt

# EAX = strad(ECX), called through the alias.
call_strad:
        movl    %ecx, %eax
        jmp     *strad_alias
strad_alias:
        .long   strad - alias_area + ALIAS

        .p2align 12
alias_area:
        .fill   4096 - 3, 1, 0xcc
strad:  .byte   0x05, 0x44, 0x33
        .byte   0x22, 0x11
        ret
        .p2align 12
other_frame:
        .byte   0x88, 0x77
        ret
