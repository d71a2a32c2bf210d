;; x87-load-store: FLD m64fp and FSTP m64fp inline on the x87 state block (translator/semantics/x87.ts), with the helper for anything else
;; guest bytes at 100000: dd 03 dd 19 eb 10
(module
  (type $t0 (func (param i32 i32 i32)))
  (type $t1 (func (param i32 i32 i32 i32 i32) (result i32)))
  (type $t2 (func (param i32) (result i32)))
  (type $t3 (func (param i32 i32 i32 i32) (result i32)))
  (type $t4 (func (param i32 i32 i32 i32 i32 i32) (result i32)))
  (type $t5 (func (param i32 i32 i32 i32 i32 i32)))
  (type $t6 (func (param i32 i32 i32 i32 i32)))
  (type $t7 (func (param i32 i32)))
  (import "env" "memory" (memory $env.memory 113 113))
  (import "env" "table" (table $env.table 11 funcref))
  (func $run (export "run") (type $t2) (param $p0 i32) (result i32)
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $l5 i32) (local $l6 i32) (local $l7 i32) (local $l8 i32) (local $l9 i32) (local $l10 i32) (local $l11 i32) (local $l12 i32) (local $l13 i32) (local $l14 i32) (local $l15 i32) (local $l16 i32) (local $l17 i32) (local $l18 i32) (local $l19 i32) (local $l20 i32) (local $l21 i32) (local $l22 i32) (local $l23 i32) (local $l24 i32) (local $l25 i32) (local $l26 i32) (local $l27 i32) (local $l28 i32) (local $l29 i32) (local $l30 i32) (local $l31 i32) (local $l32 i32) (local $l33 i32) (local $l34 i32) (local $l35 i32) (local $l36 i32) (local $l37 i32) (local $l38 i32) (local $l39 i32) (local $l40 i32) (local $l41 i32) (local $l42 i32) (local $l43 i32) (local $l44 i32) (local $l45 i32) (local $l46 i32) (local $l47 i32) (local $l48 i32) (local $l49 i32) (local $l50 i32) (local $l51 i32) (local $l52 i32) (local $l53 i32) (local $l54 i32) (local $l55 i32) (local $l56 i32) (local $l57 i32) (local $l58 i32) (local $l59 i32) (local $l60 i32) (local $l61 i32) (local $l62 i32) (local $l63 i32) (local $l64 i32) (local $l65 i32) (local $l66 i32) (local $l67 i32) (local $l68 i32) (local $l69 i32) (local $l70 i32) (local $l71 i32) (local $l72 i32) (local $l73 i32) (local $l74 i32) (local $l75 i32) (local $l76 i32) (local $l77 i32) (local $l78 i32) (local $l79 i32) (local $l80 i32) (local $l81 i32) (local $l82 i32) (local $l83 i32) (local $l84 i32) (local $l85 i32) (local $l86 i32) (local $l87 i32) (local $l88 i32) (local $l89 i32) (local $l90 i32) (local $l91 i32) (local $l92 i32) (local $l93 i32) (local $l94 i32) (local $l95 i32) (local $l96 i32) (local $l97 i32) (local $l98 i32) (local $l99 i32) (local $l100 i32) (local $l101 i32) (local $l102 i32) (local $l103 i32) (local $l104 i32) (local $l105 i32) (local $l106 i32) (local $l107 i32) (local $l108 i32) (local $l109 i32) (local $l110 i32) (local $l111 i32) (local $l112 i32) (local $l113 i32) (local $l114 i32) (local $l115 i32) (local $l116 i32) (local $l117 i32) (local $l118 i32) (local $l119 i32) (local $l120 i32) (local $l121 i32) (local $l122 i32) (local $l123 i32) (local $l124 i32) (local $l125 i32) (local $l126 i32) (local $l127 i32) (local $l128 i32) (local $l129 i32) (local $l130 i32) (local $l131 i32) (local $l132 i32) (local $l133 i32) (local $l134 i32) (local $l135 i32) (local $l136 i32) (local $l137 i32) (local $l138 i32) (local $l139 i32) (local $l140 i32) (local $l141 i32) (local $l142 i32) (local $l143 i32) (local $l144 i32)
    (block $B0
      (block $B1
        (block $B2
          (block $B3
            (i32.store offset=2097300
              (i32.const 0)
              (i32.add
                (i32.load offset=2097300
                  (i32.const 0))
                (i32.const 1)))
            (local.set $l1
              (i32.load offset=2097152
                (i32.const 0)))
            (local.set $l2
              (i32.load offset=2097156
                (i32.const 0)))
            (local.set $l3
              (i32.load offset=2097160
                (i32.const 0)))
            (local.set $l4
              (i32.load offset=2097164
                (i32.const 0)))
            (local.set $l5
              (i32.load offset=2097168
                (i32.const 0)))
            (local.set $l6
              (i32.load offset=2097172
                (i32.const 0)))
            (local.set $l7
              (i32.load offset=2097176
                (i32.const 0)))
            (local.set $l8
              (i32.load offset=2097180
                (i32.const 0)))
            (local.set $l13
              (i32.load offset=2097188
                (i32.const 0)))
            (local.set $l14
              (i32.load offset=2097192
                (i32.const 0)))
            (local.set $l15
              (i32.load offset=2097196
                (i32.const 0)))
            (local.set $l16
              (i32.load offset=2097200
                (i32.const 0)))
            (local.set $l17
              (i32.load offset=2097204
                (i32.const 0)))
            (local.set $l18
              (i32.const 0))
            (local.set $l10
              (i32.const 0))
            (local.set $l12
              (i32.load offset=2097208
                (i32.const 0)))
            (local.set $l137
              (call_indirect $env.table (type $t1)
                (i32.and
                  (i32.shr_u
                    (local.get $l14)
                    (i32.const 12))
                  (i32.const 255))
                (i32.shr_u
                  (local.get $l14)
                  (i32.const 20))
                (local.get $l15)
                (local.get $l16)
                (local.get $l17)
                (i32.const 9)))
            (local.set $l138
              (i32.and
                (i32.and
                  (local.get $l14)
                  (i32.const 4095))
                (i32.const 2261)))
            (local.set $l139
              (i32.or
                (i32.and
                  (local.get $l13)
                  (i32.xor
                    (local.get $l138)
                    (i32.const -1)))
                (i32.and
                  (local.get $l137)
                  (local.get $l138))))
            (local.set $l140
              (i32.and
                (i32.and
                  (local.get $l14)
                  (i32.const 4095))
                (i32.const -2262)))
            (local.set $l18
              (i32.const 0))
            (local.set $l141
              (i32.and
                (local.get $l14)
                (i32.const -4096)))
            (local.set $l142
              (i32.or
                (local.get $l140)
                (local.get $l141)))
            (local.set $l14
              (local.get $l142))
            (local.set $l13
              (local.get $l139))
            (if $I4
              (i32.lt_s
                (local.get $l12)
                (i32.const 3))
              (then
                (local.set $l9
                  (i32.const 1048576))
                (br $B2)))
            (local.set $l12
              (i32.sub
                (local.get $l12)
                (i32.const 3)))
            (local.set $l22
              (i32.eqz
                (i32.and
                  (i32.load offset=2097244
                    (i32.const 0))
                  (i32.const 12))))
            (if $I5
              (local.get $l22)
              (then
                (local.set $l23
                  (i32.load offset=2097392
                    (i32.const 0)))
                (local.set $l24
                  (i32.load offset=2097396
                    (i32.const 0)))
                (local.set $l25
                  (i32.load offset=2097400
                    (i32.const 0)))
                (local.set $l26
                  (i32.load offset=2097404
                    (i32.const 0)))
                (local.set $l27
                  (i32.xor
                    (local.get $l23)
                    (i32.const -1)))
                (local.set $l28
                  (i32.and
                    (local.get $l24)
                    (local.get $l27)))
                (local.set $l29
                  (i32.and
                    (local.get $l28)
                    (i32.const 63)))
                (local.set $l30
                  (i32.eqz
                    (local.get $l29)))
                (if $I6
                  (local.get $l30)
                  (then
                    (local.set $l31
                      (local.get $l4))
                    (local.set $l35
                      (i32.load offset=2101248
                        (i32.shl
                          (i32.shr_u
                            (local.get $l31)
                            (i32.const 12))
                          (i32.const 2))))
                    (block $B7
                      (block $B8
                        (br_if $B8
                          (i32.ne
                            (i32.and
                              (local.get $l35)
                              (i32.const 65))
                            (i32.const 1)))
                        (br_if $B8
                          (i32.gt_u
                            (i32.and
                              (local.get $l31)
                              (i32.const 4095))
                            (i32.const 4088)))
                        (local.set $l34
                          (i32.xor
                            (i32.and
                              (local.get $l35)
                              (i32.const -4096))
                            (local.get $l31)))
                        (local.set $l32
                          (i32.load align=1
                            (local.get $l34)))
                        (local.set $l33
                          (i32.load offset=4 align=1
                            (local.get $l34)))
                        (br $B7))
                      (call $f1
                        (local.get $l13)
                        (local.get $l14)
                        (local.get $l15)
                        (local.get $l16)
                        (local.get $l17)
                        (local.get $l12))
                      (local.set $l32
                        (call_indirect $env.table (type $t3)
                          (i32.const 3)
                          (local.get $l31)
                          (i32.const 1048576)
                          (i32.const 3)
                          (i32.const 3)))
                      (if $I9
                        (i32.load offset=2097236
                          (i32.const 0))
                        (then
                          (br $B1)))
                      (local.set $l12
                        (i32.load offset=2097208
                          (i32.const 0)))
                      (local.set $l33
                        (i32.load offset=2097216
                          (i32.const 0))))
                    (local.set $l36
                      (i32.add
                        (local.get $l25)
                        (i32.const 7)))
                    (local.set $l37
                      (i32.and
                        (local.get $l36)
                        (i32.const 7)))
                    (local.set $l38
                      (i32.shr_u
                        (local.get $l33)
                        (i32.const 20)))
                    (local.set $l39
                      (i32.and
                        (local.get $l38)
                        (i32.const 2047)))
                    (local.set $l40
                      (i32.and
                        (local.get $l33)
                        (i32.const 2147483647)))
                    (local.set $l41
                      (i32.or
                        (local.get $l40)
                        (local.get $l32)))
                    (local.set $l42
                      (i32.eqz
                        (local.get $l41)))
                    (local.set $l43
                      (i32.sub
                        (local.get $l39)
                        (i32.const 1)))
                    (local.set $l44
                      (i32.lt_u
                        (local.get $l43)
                        (i32.const 2046)))
                    (local.set $l45
                      (i32.or
                        (local.get $l42)
                        (local.get $l44)))
                    (local.set $l46
                      (i32.shr_u
                        (local.get $l26)
                        (local.get $l37)))
                    (local.set $l47
                      (i32.and
                        (local.get $l46)
                        (i32.const 1)))
                    (local.set $l48
                      (i32.and
                        (local.get $l47)
                        (local.get $l45)))
                    (if $I10
                      (local.get $l48)
                      (then
                        (local.set $l49
                          (i32.shr_u
                            (local.get $l33)
                            (i32.const 31)))
                        (local.set $l50
                          (i32.shl
                            (local.get $l49)
                            (i32.const 15)))
                        (local.set $l51
                          (i32.add
                            (local.get $l39)
                            (i32.const 15360)))
                        (local.set $l52
                          (select
                            (i32.const 0)
                            (local.get $l51)
                            (local.get $l42)))
                        (local.set $l53
                          (i32.or
                            (local.get $l50)
                            (local.get $l52)))
                        (i32.store16 offset=2097376
                          (i32.shl
                            (local.get $l37)
                            (i32.const 1))
                          (local.get $l53))
                        (local.set $l54
                          (i32.and
                            (local.get $l33)
                            (i32.const 1048575)))
                        (local.set $l55
                          (i32.shl
                            (local.get $l54)
                            (i32.const 11)))
                        (local.set $l56
                          (i32.shr_u
                            (local.get $l32)
                            (i32.const 21)))
                        (local.set $l57
                          (i32.or
                            (local.get $l55)
                            (local.get $l56)))
                        (local.set $l58
                          (i32.or
                            (i32.const -2147483648)
                            (local.get $l57)))
                        (local.set $l59
                          (select
                            (i32.const 0)
                            (local.get $l58)
                            (local.get $l42)))
                        (i32.store offset=2097316
                          (i32.shl
                            (local.get $l37)
                            (i32.const 3))
                          (local.get $l59))
                        (local.set $l60
                          (i32.shl
                            (local.get $l32)
                            (i32.const 11)))
                        (i32.store offset=2097312
                          (i32.shl
                            (local.get $l37)
                            (i32.const 3))
                          (local.get $l60))
                        (local.set $l61
                          (i32.shl
                            (i32.const 1)
                            (local.get $l37)))
                        (local.set $l62
                          (i32.xor
                            (local.get $l61)
                            (i32.const -1)))
                        (local.set $l63
                          (i32.and
                            (local.get $l26)
                            (local.get $l62)))
                        (i32.store offset=2097404
                          (i32.const 0)
                          (local.get $l63))
                        (i32.store offset=2097400
                          (i32.const 0)
                          (local.get $l37))
                        (local.set $l64
                          (i32.and
                            (local.get $l24)
                            (i32.const -513)))
                        (i32.store offset=2097396
                          (i32.const 0)
                          (local.get $l64))
                        (i32.store offset=2097408
                          (i32.const 0)
                          (i32.const 1048576))
                        (local.set $l65
                          (i32.load offset=2097252
                            (i32.const 0)))
                        (i32.store offset=2097412
                          (i32.const 0)
                          (local.get $l65))
                        (i32.store offset=2097416
                          (i32.const 0)
                          (i32.const 1283))
                        (i32.store offset=2097420
                          (i32.const 0)
                          (local.get $l31))
                        (local.set $l66
                          (i32.load offset=2097260
                            (i32.const 0)))
                        (i32.store offset=2097424
                          (i32.const 0)
                          (local.get $l66)))
                      (else
                        (i32.store offset=2097188
                          (i32.const 0)
                          (local.get $l13))
                        (i32.store offset=2097192
                          (i32.const 0)
                          (local.get $l14))
                        (i32.store offset=2097196
                          (i32.const 0)
                          (local.get $l15))
                        (i32.store offset=2097200
                          (i32.const 0)
                          (local.get $l16))
                        (i32.store offset=2097204
                          (i32.const 0)
                          (local.get $l17))
                        (i32.store offset=2097152
                          (i32.const 0)
                          (local.get $l1))
                        (i32.store offset=2097156
                          (i32.const 0)
                          (local.get $l2))
                        (i32.store offset=2097160
                          (i32.const 0)
                          (local.get $l3))
                        (i32.store offset=2097164
                          (i32.const 0)
                          (local.get $l4))
                        (i32.store offset=2097168
                          (i32.const 0)
                          (local.get $l5))
                        (i32.store offset=2097172
                          (i32.const 0)
                          (local.get $l6))
                        (i32.store offset=2097176
                          (i32.const 0)
                          (local.get $l7))
                        (i32.store offset=2097180
                          (i32.const 0)
                          (local.get $l8))
                        (i32.store offset=2097208
                          (i32.const 0)
                          (local.get $l12))
                        (call_indirect $env.table (type $t0)
                          (global.get $hid)
                          (i32.const 0)
                          (i32.const 3)
                          (i32.const 5))
                        (if $I11
                          (i32.load offset=2097236
                            (i32.const 0))
                          (then
                            (br $B1)))
                        (local.set $l12
                          (i32.load offset=2097208
                            (i32.const 0)))
                        (local.set $l1
                          (i32.load offset=2097152
                            (i32.const 0)))
                        (local.set $l2
                          (i32.load offset=2097156
                            (i32.const 0)))
                        (local.set $l3
                          (i32.load offset=2097160
                            (i32.const 0)))
                        (local.set $l4
                          (i32.load offset=2097164
                            (i32.const 0)))
                        (local.set $l5
                          (i32.load offset=2097168
                            (i32.const 0)))
                        (local.set $l6
                          (i32.load offset=2097172
                            (i32.const 0)))
                        (local.set $l7
                          (i32.load offset=2097176
                            (i32.const 0)))
                        (local.set $l8
                          (i32.load offset=2097180
                            (i32.const 0)))
                        (local.set $l13
                          (i32.load offset=2097188
                            (i32.const 0)))
                        (local.set $l14
                          (i32.load offset=2097192
                            (i32.const 0)))
                        (local.set $l15
                          (i32.load offset=2097196
                            (i32.const 0)))
                        (local.set $l16
                          (i32.load offset=2097200
                            (i32.const 0)))
                        (local.set $l17
                          (i32.load offset=2097204
                            (i32.const 0)))
                        (local.set $l18
                          (i32.const 0)))))
                  (else
                    (i32.store offset=2097188
                      (i32.const 0)
                      (local.get $l13))
                    (i32.store offset=2097192
                      (i32.const 0)
                      (local.get $l14))
                    (i32.store offset=2097196
                      (i32.const 0)
                      (local.get $l15))
                    (i32.store offset=2097200
                      (i32.const 0)
                      (local.get $l16))
                    (i32.store offset=2097204
                      (i32.const 0)
                      (local.get $l17))
                    (i32.store offset=2097152
                      (i32.const 0)
                      (local.get $l1))
                    (i32.store offset=2097156
                      (i32.const 0)
                      (local.get $l2))
                    (i32.store offset=2097160
                      (i32.const 0)
                      (local.get $l3))
                    (i32.store offset=2097164
                      (i32.const 0)
                      (local.get $l4))
                    (i32.store offset=2097168
                      (i32.const 0)
                      (local.get $l5))
                    (i32.store offset=2097172
                      (i32.const 0)
                      (local.get $l6))
                    (i32.store offset=2097176
                      (i32.const 0)
                      (local.get $l7))
                    (i32.store offset=2097180
                      (i32.const 0)
                      (local.get $l8))
                    (i32.store offset=2097208
                      (i32.const 0)
                      (local.get $l12))
                    (call_indirect $env.table (type $t0)
                      (global.get $hid)
                      (i32.const 1)
                      (i32.const 3)
                      (i32.const 5))
                    (if $I12
                      (i32.load offset=2097236
                        (i32.const 0))
                      (then
                        (br $B1)))
                    (local.set $l12
                      (i32.load offset=2097208
                        (i32.const 0)))
                    (local.set $l1
                      (i32.load offset=2097152
                        (i32.const 0)))
                    (local.set $l2
                      (i32.load offset=2097156
                        (i32.const 0)))
                    (local.set $l3
                      (i32.load offset=2097160
                        (i32.const 0)))
                    (local.set $l4
                      (i32.load offset=2097164
                        (i32.const 0)))
                    (local.set $l5
                      (i32.load offset=2097168
                        (i32.const 0)))
                    (local.set $l6
                      (i32.load offset=2097172
                        (i32.const 0)))
                    (local.set $l7
                      (i32.load offset=2097176
                        (i32.const 0)))
                    (local.set $l8
                      (i32.load offset=2097180
                        (i32.const 0)))
                    (local.set $l13
                      (i32.load offset=2097188
                        (i32.const 0)))
                    (local.set $l14
                      (i32.load offset=2097192
                        (i32.const 0)))
                    (local.set $l15
                      (i32.load offset=2097196
                        (i32.const 0)))
                    (local.set $l16
                      (i32.load offset=2097200
                        (i32.const 0)))
                    (local.set $l17
                      (i32.load offset=2097204
                        (i32.const 0)))
                    (local.set $l18
                      (i32.const 0)))))
              (else
                (i32.store offset=2097188
                  (i32.const 0)
                  (local.get $l13))
                (i32.store offset=2097192
                  (i32.const 0)
                  (local.get $l14))
                (i32.store offset=2097196
                  (i32.const 0)
                  (local.get $l15))
                (i32.store offset=2097200
                  (i32.const 0)
                  (local.get $l16))
                (i32.store offset=2097204
                  (i32.const 0)
                  (local.get $l17))
                (i32.store offset=2097152
                  (i32.const 0)
                  (local.get $l1))
                (i32.store offset=2097156
                  (i32.const 0)
                  (local.get $l2))
                (i32.store offset=2097160
                  (i32.const 0)
                  (local.get $l3))
                (i32.store offset=2097164
                  (i32.const 0)
                  (local.get $l4))
                (i32.store offset=2097168
                  (i32.const 0)
                  (local.get $l5))
                (i32.store offset=2097172
                  (i32.const 0)
                  (local.get $l6))
                (i32.store offset=2097176
                  (i32.const 0)
                  (local.get $l7))
                (i32.store offset=2097180
                  (i32.const 0)
                  (local.get $l8))
                (i32.store offset=2097208
                  (i32.const 0)
                  (local.get $l12))
                (call_indirect $env.table (type $t0)
                  (global.get $hid)
                  (i32.const 2)
                  (i32.const 3)
                  (i32.const 5))
                (if $I13
                  (i32.load offset=2097236
                    (i32.const 0))
                  (then
                    (br $B1)))
                (local.set $l12
                  (i32.load offset=2097208
                    (i32.const 0)))
                (local.set $l1
                  (i32.load offset=2097152
                    (i32.const 0)))
                (local.set $l2
                  (i32.load offset=2097156
                    (i32.const 0)))
                (local.set $l3
                  (i32.load offset=2097160
                    (i32.const 0)))
                (local.set $l4
                  (i32.load offset=2097164
                    (i32.const 0)))
                (local.set $l5
                  (i32.load offset=2097168
                    (i32.const 0)))
                (local.set $l6
                  (i32.load offset=2097172
                    (i32.const 0)))
                (local.set $l7
                  (i32.load offset=2097176
                    (i32.const 0)))
                (local.set $l8
                  (i32.load offset=2097180
                    (i32.const 0)))
                (local.set $l13
                  (i32.load offset=2097188
                    (i32.const 0)))
                (local.set $l14
                  (i32.load offset=2097192
                    (i32.const 0)))
                (local.set $l15
                  (i32.load offset=2097196
                    (i32.const 0)))
                (local.set $l16
                  (i32.load offset=2097200
                    (i32.const 0)))
                (local.set $l17
                  (i32.load offset=2097204
                    (i32.const 0)))
                (local.set $l18
                  (i32.const 0))))
            (local.set $l67
              (i32.eqz
                (i32.and
                  (i32.load offset=2097244
                    (i32.const 0))
                  (i32.const 12))))
            (if $I14
              (local.get $l67)
              (then
                (local.set $l68
                  (i32.load offset=2097392
                    (i32.const 0)))
                (local.set $l69
                  (i32.load offset=2097396
                    (i32.const 0)))
                (local.set $l70
                  (i32.load offset=2097400
                    (i32.const 0)))
                (local.set $l71
                  (i32.load offset=2097404
                    (i32.const 0)))
                (local.set $l72
                  (i32.xor
                    (local.get $l68)
                    (i32.const -1)))
                (local.set $l73
                  (i32.and
                    (local.get $l69)
                    (local.get $l72)))
                (local.set $l74
                  (i32.and
                    (local.get $l73)
                    (i32.const 63)))
                (local.set $l75
                  (i32.eqz
                    (local.get $l74)))
                (if $I15
                  (local.get $l75)
                  (then
                    (local.set $l76
                      (i32.load16_u offset=2097376
                        (i32.shl
                          (local.get $l70)
                          (i32.const 1))))
                    (local.set $l77
                      (i32.load offset=2097316
                        (i32.shl
                          (local.get $l70)
                          (i32.const 3))))
                    (local.set $l78
                      (i32.load offset=2097312
                        (i32.shl
                          (local.get $l70)
                          (i32.const 3))))
                    (local.set $l79
                      (i32.and
                        (local.get $l76)
                        (i32.const 32767)))
                    (local.set $l80
                      (i32.shr_u
                        (local.get $l76)
                        (i32.const 15)))
                    (local.set $l81
                      (i32.shl
                        (local.get $l77)
                        (i32.const 21)))
                    (local.set $l82
                      (i32.shr_u
                        (local.get $l78)
                        (i32.const 11)))
                    (local.set $l83
                      (i32.or
                        (local.get $l81)
                        (local.get $l82)))
                    (local.set $l84
                      (i32.shr_u
                        (local.get $l77)
                        (i32.const 11)))
                    (local.set $l85
                      (i32.shr_u
                        (local.get $l78)
                        (i32.const 10)))
                    (local.set $l86
                      (i32.and
                        (local.get $l85)
                        (i32.const 1)))
                    (local.set $l87
                      (i32.and
                        (local.get $l78)
                        (i32.const 1023)))
                    (local.set $l88
                      (i32.ne
                        (local.get $l87)
                        (i32.const 0)))
                    (local.set $l89
                      (i32.or
                        (local.get $l86)
                        (local.get $l88)))
                    (local.set $l90
                      (i32.shr_u
                        (local.get $l68)
                        (i32.const 10)))
                    (local.set $l91
                      (i32.and
                        (local.get $l90)
                        (i32.const 3)))
                    (local.set $l92
                      (i32.and
                        (local.get $l83)
                        (i32.const 1)))
                    (local.set $l93
                      (i32.or
                        (local.get $l88)
                        (local.get $l92)))
                    (local.set $l94
                      (i32.and
                        (local.get $l86)
                        (local.get $l93)))
                    (local.set $l95
                      (i32.eq
                        (local.get $l91)
                        (i32.const 2)))
                    (local.set $l96
                      (i32.eqz
                        (local.get $l80)))
                    (local.set $l97
                      (i32.eq
                        (local.get $l95)
                        (local.get $l96)))
                    (local.set $l98
                      (i32.and
                        (local.get $l89)
                        (local.get $l97)))
                    (local.set $l99
                      (i32.eqz
                        (local.get $l91)))
                    (local.set $l100
                      (i32.eq
                        (local.get $l91)
                        (i32.const 3)))
                    (local.set $l101
                      (select
                        (i32.const 0)
                        (local.get $l98)
                        (local.get $l100)))
                    (local.set $l102
                      (select
                        (local.get $l94)
                        (local.get $l101)
                        (local.get $l99)))
                    (local.set $l103
                      (i32.add
                        (local.get $l83)
                        (local.get $l102)))
                    (local.set $l104
                      (i32.eqz
                        (local.get $l103)))
                    (local.set $l105
                      (i32.and
                        (local.get $l102)
                        (local.get $l104)))
                    (local.set $l106
                      (i32.add
                        (local.get $l84)
                        (local.get $l105)))
                    (local.set $l107
                      (i32.eq
                        (local.get $l106)
                        (i32.const 2097152)))
                    (local.set $l108
                      (i32.sub
                        (local.get $l79)
                        (i32.const 15360)))
                    (local.set $l109
                      (i32.add
                        (local.get $l108)
                        (local.get $l107)))
                    (local.set $l110
                      (i32.shr_u
                        (local.get $l71)
                        (local.get $l70)))
                    (local.set $l111
                      (i32.and
                        (local.get $l110)
                        (i32.const 1)))
                    (local.set $l112
                      (i32.eqz
                        (local.get $l111)))
                    (local.set $l113
                      (i32.lt_s
                        (local.get $l77)
                        (i32.const 0)))
                    (local.set $l114
                      (i32.and
                        (local.get $l112)
                        (local.get $l113)))
                    (local.set $l115
                      (i32.sub
                        (local.get $l109)
                        (i32.const 1)))
                    (local.set $l116
                      (i32.lt_u
                        (local.get $l115)
                        (i32.const 2046)))
                    (local.set $l117
                      (i32.and
                        (local.get $l114)
                        (local.get $l116)))
                    (if $I16
                      (local.get $l117)
                      (then
                        (local.set $l118
                          (local.get $l2))
                        (local.set $l119
                          (i32.shl
                            (local.get $l80)
                            (i32.const 31)))
                        (local.set $l120
                          (i32.shl
                            (local.get $l109)
                            (i32.const 20)))
                        (local.set $l121
                          (i32.and
                            (local.get $l106)
                            (i32.const 1048575)))
                        (local.set $l122
                          (i32.or
                            (local.get $l120)
                            (local.get $l121)))
                        (local.set $l123
                          (i32.or
                            (local.get $l119)
                            (local.get $l122)))
                        (local.set $l125
                          (i32.load offset=2101248
                            (i32.shl
                              (i32.shr_u
                                (local.get $l118)
                                (i32.const 12))
                              (i32.const 2))))
                        (block $B17
                          (block $B18
                            (br_if $B18
                              (i32.ne
                                (i32.and
                                  (local.get $l125)
                                  (i32.const 89))
                                (i32.const 1)))
                            (br_if $B18
                              (i32.gt_u
                                (i32.and
                                  (local.get $l118)
                                  (i32.const 4095))
                                (i32.const 4088)))
                            (local.set $l124
                              (i32.xor
                                (i32.and
                                  (local.get $l125)
                                  (i32.const -4096))
                                (local.get $l118)))
                            (i32.store align=1
                              (local.get $l124)
                              (local.get $l103))
                            (i32.store offset=4 align=1
                              (local.get $l124)
                              (local.get $l123))
                            (br $B17))
                          (call $f1
                            (local.get $l13)
                            (local.get $l14)
                            (local.get $l15)
                            (local.get $l16)
                            (local.get $l17)
                            (local.get $l12))
                          (local.set $l10
                            (i32.or
                              (local.get $l10)
                              (call_indirect $env.table (type $t4)
                                (i32.const 3)
                                (local.get $l118)
                                (local.get $l103)
                                (local.get $l123)
                                (i32.const 1048578)
                                (i32.const 2)
                                (i32.const 4))))
                          (if $I19
                            (i32.load offset=2097236
                              (i32.const 0))
                            (then
                              (br $B1)))
                          (local.set $l12
                            (i32.load offset=2097208
                              (i32.const 0))))
                        (local.set $l126
                          (i32.and
                            (local.get $l69)
                            (i32.const -513)))
                        (local.set $l127
                          (i32.shl
                            (local.get $l89)
                            (i32.const 5)))
                        (local.set $l128
                          (i32.shl
                            (local.get $l102)
                            (i32.const 9)))
                        (local.set $l129
                          (i32.or
                            (local.get $l127)
                            (local.get $l128)))
                        (local.set $l130
                          (i32.or
                            (local.get $l126)
                            (local.get $l129)))
                        (i32.store offset=2097396
                          (i32.const 0)
                          (local.get $l130))
                        (local.set $l131
                          (i32.shl
                            (i32.const 1)
                            (local.get $l70)))
                        (local.set $l132
                          (i32.or
                            (local.get $l71)
                            (local.get $l131)))
                        (i32.store offset=2097404
                          (i32.const 0)
                          (local.get $l132))
                        (local.set $l133
                          (i32.add
                            (local.get $l70)
                            (i32.const 1)))
                        (local.set $l134
                          (i32.and
                            (local.get $l133)
                            (i32.const 7)))
                        (i32.store offset=2097400
                          (i32.const 0)
                          (local.get $l134))
                        (i32.store offset=2097408
                          (i32.const 0)
                          (i32.const 1048578))
                        (local.set $l135
                          (i32.load offset=2097252
                            (i32.const 0)))
                        (i32.store offset=2097412
                          (i32.const 0)
                          (local.get $l135))
                        (i32.store offset=2097416
                          (i32.const 0)
                          (i32.const 1305))
                        (i32.store offset=2097420
                          (i32.const 0)
                          (local.get $l118))
                        (local.set $l136
                          (i32.load offset=2097260
                            (i32.const 0)))
                        (i32.store offset=2097424
                          (i32.const 0)
                          (local.get $l136)))
                      (else
                        (i32.store offset=2097188
                          (i32.const 0)
                          (local.get $l13))
                        (i32.store offset=2097192
                          (i32.const 0)
                          (local.get $l14))
                        (i32.store offset=2097196
                          (i32.const 0)
                          (local.get $l15))
                        (i32.store offset=2097200
                          (i32.const 0)
                          (local.get $l16))
                        (i32.store offset=2097204
                          (i32.const 0)
                          (local.get $l17))
                        (i32.store offset=2097152
                          (i32.const 0)
                          (local.get $l1))
                        (i32.store offset=2097156
                          (i32.const 0)
                          (local.get $l2))
                        (i32.store offset=2097160
                          (i32.const 0)
                          (local.get $l3))
                        (i32.store offset=2097164
                          (i32.const 0)
                          (local.get $l4))
                        (i32.store offset=2097168
                          (i32.const 0)
                          (local.get $l5))
                        (i32.store offset=2097172
                          (i32.const 0)
                          (local.get $l6))
                        (i32.store offset=2097176
                          (i32.const 0)
                          (local.get $l7))
                        (i32.store offset=2097180
                          (i32.const 0)
                          (local.get $l8))
                        (i32.store offset=2097208
                          (i32.const 0)
                          (local.get $l12))
                        (call_indirect $env.table (type $t0)
                          (global.get $hid)
                          (i32.const 3)
                          (i32.const 2)
                          (i32.const 5))
                        (if $I20
                          (i32.load offset=2097236
                            (i32.const 0))
                          (then
                            (br $B1)))
                        (local.set $l12
                          (i32.load offset=2097208
                            (i32.const 0)))
                        (local.set $l1
                          (i32.load offset=2097152
                            (i32.const 0)))
                        (local.set $l2
                          (i32.load offset=2097156
                            (i32.const 0)))
                        (local.set $l3
                          (i32.load offset=2097160
                            (i32.const 0)))
                        (local.set $l4
                          (i32.load offset=2097164
                            (i32.const 0)))
                        (local.set $l5
                          (i32.load offset=2097168
                            (i32.const 0)))
                        (local.set $l6
                          (i32.load offset=2097172
                            (i32.const 0)))
                        (local.set $l7
                          (i32.load offset=2097176
                            (i32.const 0)))
                        (local.set $l8
                          (i32.load offset=2097180
                            (i32.const 0)))
                        (local.set $l13
                          (i32.load offset=2097188
                            (i32.const 0)))
                        (local.set $l14
                          (i32.load offset=2097192
                            (i32.const 0)))
                        (local.set $l15
                          (i32.load offset=2097196
                            (i32.const 0)))
                        (local.set $l16
                          (i32.load offset=2097200
                            (i32.const 0)))
                        (local.set $l17
                          (i32.load offset=2097204
                            (i32.const 0)))
                        (local.set $l18
                          (i32.const 0)))))
                  (else
                    (i32.store offset=2097188
                      (i32.const 0)
                      (local.get $l13))
                    (i32.store offset=2097192
                      (i32.const 0)
                      (local.get $l14))
                    (i32.store offset=2097196
                      (i32.const 0)
                      (local.get $l15))
                    (i32.store offset=2097200
                      (i32.const 0)
                      (local.get $l16))
                    (i32.store offset=2097204
                      (i32.const 0)
                      (local.get $l17))
                    (i32.store offset=2097152
                      (i32.const 0)
                      (local.get $l1))
                    (i32.store offset=2097156
                      (i32.const 0)
                      (local.get $l2))
                    (i32.store offset=2097160
                      (i32.const 0)
                      (local.get $l3))
                    (i32.store offset=2097164
                      (i32.const 0)
                      (local.get $l4))
                    (i32.store offset=2097168
                      (i32.const 0)
                      (local.get $l5))
                    (i32.store offset=2097172
                      (i32.const 0)
                      (local.get $l6))
                    (i32.store offset=2097176
                      (i32.const 0)
                      (local.get $l7))
                    (i32.store offset=2097180
                      (i32.const 0)
                      (local.get $l8))
                    (i32.store offset=2097208
                      (i32.const 0)
                      (local.get $l12))
                    (call_indirect $env.table (type $t0)
                      (global.get $hid)
                      (i32.const 4)
                      (i32.const 2)
                      (i32.const 5))
                    (if $I21
                      (i32.load offset=2097236
                        (i32.const 0))
                      (then
                        (br $B1)))
                    (local.set $l12
                      (i32.load offset=2097208
                        (i32.const 0)))
                    (local.set $l1
                      (i32.load offset=2097152
                        (i32.const 0)))
                    (local.set $l2
                      (i32.load offset=2097156
                        (i32.const 0)))
                    (local.set $l3
                      (i32.load offset=2097160
                        (i32.const 0)))
                    (local.set $l4
                      (i32.load offset=2097164
                        (i32.const 0)))
                    (local.set $l5
                      (i32.load offset=2097168
                        (i32.const 0)))
                    (local.set $l6
                      (i32.load offset=2097172
                        (i32.const 0)))
                    (local.set $l7
                      (i32.load offset=2097176
                        (i32.const 0)))
                    (local.set $l8
                      (i32.load offset=2097180
                        (i32.const 0)))
                    (local.set $l13
                      (i32.load offset=2097188
                        (i32.const 0)))
                    (local.set $l14
                      (i32.load offset=2097192
                        (i32.const 0)))
                    (local.set $l15
                      (i32.load offset=2097196
                        (i32.const 0)))
                    (local.set $l16
                      (i32.load offset=2097200
                        (i32.const 0)))
                    (local.set $l17
                      (i32.load offset=2097204
                        (i32.const 0)))
                    (local.set $l18
                      (i32.const 0)))))
              (else
                (i32.store offset=2097188
                  (i32.const 0)
                  (local.get $l13))
                (i32.store offset=2097192
                  (i32.const 0)
                  (local.get $l14))
                (i32.store offset=2097196
                  (i32.const 0)
                  (local.get $l15))
                (i32.store offset=2097200
                  (i32.const 0)
                  (local.get $l16))
                (i32.store offset=2097204
                  (i32.const 0)
                  (local.get $l17))
                (i32.store offset=2097152
                  (i32.const 0)
                  (local.get $l1))
                (i32.store offset=2097156
                  (i32.const 0)
                  (local.get $l2))
                (i32.store offset=2097160
                  (i32.const 0)
                  (local.get $l3))
                (i32.store offset=2097164
                  (i32.const 0)
                  (local.get $l4))
                (i32.store offset=2097168
                  (i32.const 0)
                  (local.get $l5))
                (i32.store offset=2097172
                  (i32.const 0)
                  (local.get $l6))
                (i32.store offset=2097176
                  (i32.const 0)
                  (local.get $l7))
                (i32.store offset=2097180
                  (i32.const 0)
                  (local.get $l8))
                (i32.store offset=2097208
                  (i32.const 0)
                  (local.get $l12))
                (call_indirect $env.table (type $t0)
                  (global.get $hid)
                  (i32.const 5)
                  (i32.const 2)
                  (i32.const 5))
                (if $I22
                  (i32.load offset=2097236
                    (i32.const 0))
                  (then
                    (br $B1)))
                (local.set $l12
                  (i32.load offset=2097208
                    (i32.const 0)))
                (local.set $l1
                  (i32.load offset=2097152
                    (i32.const 0)))
                (local.set $l2
                  (i32.load offset=2097156
                    (i32.const 0)))
                (local.set $l3
                  (i32.load offset=2097160
                    (i32.const 0)))
                (local.set $l4
                  (i32.load offset=2097164
                    (i32.const 0)))
                (local.set $l5
                  (i32.load offset=2097168
                    (i32.const 0)))
                (local.set $l6
                  (i32.load offset=2097172
                    (i32.const 0)))
                (local.set $l7
                  (i32.load offset=2097176
                    (i32.const 0)))
                (local.set $l8
                  (i32.load offset=2097180
                    (i32.const 0)))
                (local.set $l13
                  (i32.load offset=2097188
                    (i32.const 0)))
                (local.set $l14
                  (i32.load offset=2097192
                    (i32.const 0)))
                (local.set $l15
                  (i32.load offset=2097196
                    (i32.const 0)))
                (local.set $l16
                  (i32.load offset=2097200
                    (i32.const 0)))
                (local.set $l17
                  (i32.load offset=2097204
                    (i32.const 0)))
                (local.set $l18
                  (i32.const 0))))
            (if $I23
              (local.get $l10)
              (then
                (call $f2
                  (local.get $l13)
                  (local.get $l14)
                  (local.get $l15)
                  (local.get $l16)
                  (local.get $l17))
                (call $f3
                  (i32.const 1048580)
                  (i32.add
                    (local.get $l12)
                    (i32.const 1)))
                (local.set $l11
                  (i32.const 0))
                (br $B0)))
            (local.set $l18
              (i32.const 0))
            (local.set $l9
              (i32.const 1048598))
            (br $B3))
          (local.set $l143
            (if $I24 (result i32)
              (i32.and
                (i32.and
                  (i32.and
                    (local.get $l18)
                    (i32.const 4095))
                  (i32.xor
                    (i32.and
                      (local.get $l14)
                      (i32.const 4095))
                    (i32.const -1)))
                (i32.const 1))
              (then
                (i32.or
                  (i32.and
                    (local.get $l13)
                    (i32.const -2))
                  (call_indirect $env.table (type $t1)
                    (i32.and
                      (i32.shr_u
                        (local.get $l18)
                        (i32.const 12))
                      (i32.const 255))
                    (i32.shr_u
                      (local.get $l18)
                      (i32.const 20))
                    (local.get $l19)
                    (local.get $l20)
                    (local.get $l21)
                    (i32.const 10))))
              (else
                (local.get $l13))))
          (i32.store offset=2097188
            (i32.const 0)
            (local.get $l143))
          (i32.store offset=2097192
            (i32.const 0)
            (local.get $l14))
          (i32.store offset=2097196
            (i32.const 0)
            (local.get $l15))
          (i32.store offset=2097200
            (i32.const 0)
            (local.get $l16))
          (i32.store offset=2097204
            (i32.const 0)
            (local.get $l17))
          (i32.store offset=2097208
            (i32.const 0)
            (local.get $l12))
          (i32.store offset=2097184
            (i32.const 0)
            (local.get $l9))
          (return
            (i32.const 0)))
        (local.set $l144
          (if $I25 (result i32)
            (i32.and
              (i32.and
                (i32.and
                  (local.get $l18)
                  (i32.const 4095))
                (i32.xor
                  (i32.and
                    (local.get $l14)
                    (i32.const 4095))
                  (i32.const -1)))
              (i32.const 1))
            (then
              (i32.or
                (i32.and
                  (local.get $l13)
                  (i32.const -2))
                (call_indirect $env.table (type $t1)
                  (i32.and
                    (i32.shr_u
                      (local.get $l18)
                      (i32.const 12))
                    (i32.const 255))
                  (i32.shr_u
                    (local.get $l18)
                    (i32.const 20))
                  (local.get $l19)
                  (local.get $l20)
                  (local.get $l21)
                  (i32.const 10))))
            (else
              (local.get $l13))))
        (i32.store offset=2097188
          (i32.const 0)
          (local.get $l144))
        (i32.store offset=2097192
          (i32.const 0)
          (local.get $l14))
        (i32.store offset=2097196
          (i32.const 0)
          (local.get $l15))
        (i32.store offset=2097200
          (i32.const 0)
          (local.get $l16))
        (i32.store offset=2097204
          (i32.const 0)
          (local.get $l17))
        (i32.store offset=2097208
          (i32.const 0)
          (local.get $l12))
        (i32.store offset=2097184
          (i32.const 0)
          (local.get $l9))
        (return
          (i32.const 1)))
      (return
        (i32.const 4)))
    (return
      (local.get $l11)))
  (func $f1 (type $t5) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32)
    (i32.store offset=2097188
      (i32.const 0)
      (local.get $p0))
    (i32.store offset=2097192
      (i32.const 0)
      (local.get $p1))
    (i32.store offset=2097196
      (i32.const 0)
      (local.get $p2))
    (i32.store offset=2097200
      (i32.const 0)
      (local.get $p3))
    (i32.store offset=2097204
      (i32.const 0)
      (local.get $p4))
    (i32.store offset=2097208
      (i32.const 0)
      (local.get $p5)))
  (func $f2 (type $t6) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32)
    (i32.store offset=2097188
      (i32.const 0)
      (local.get $p0))
    (i32.store offset=2097192
      (i32.const 0)
      (local.get $p1))
    (i32.store offset=2097196
      (i32.const 0)
      (local.get $p2))
    (i32.store offset=2097200
      (i32.const 0)
      (local.get $p3))
    (i32.store offset=2097204
      (i32.const 0)
      (local.get $p4)))
  (func $f3 (type $t7) (param $p0 i32) (param $p1 i32)
    (i32.store offset=2097184
      (i32.const 0)
      (local.get $p0))
    (i32.store offset=2097208
      (i32.const 0)
      (local.get $p1)))
  (global $hid (export "hid") (mut i32) (i32.const 0)))
