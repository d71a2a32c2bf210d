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
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $l5 i32) (local $l6 i32) (local $l7 i32) (local $l8 i32) (local $l9 i32) (local $l10 i32) (local $l11 i32) (local $l12 i32) (local $l13 i32) (local $l14 i32) (local $l15 i32) (local $l16 i32) (local $l17 i32) (local $l18 i32) (local $l19 i32) (local $l20 i32) (local $l21 i32) (local $l22 i32) (local $l23 i32) (local $l24 i32) (local $l25 i32) (local $l26 i32) (local $l27 i32) (local $l28 i32) (local $l29 i32) (local $l30 i32) (local $l31 i32) (local $l32 i32) (local $l33 i32)
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
            (local.set $l4
              (i32.load offset=2097152
                (i32.const 0)))
            (local.set $l5
              (i32.load offset=2097156
                (i32.const 0)))
            (local.set $l6
              (i32.load offset=2097160
                (i32.const 0)))
            (local.set $l7
              (i32.load offset=2097164
                (i32.const 0)))
            (local.set $l8
              (i32.load offset=2097168
                (i32.const 0)))
            (local.set $l9
              (i32.load offset=2097172
                (i32.const 0)))
            (local.set $l10
              (i32.load offset=2097176
                (i32.const 0)))
            (local.set $l11
              (i32.load offset=2097180
                (i32.const 0)))
            (local.set $l12
              (i32.load offset=2097188
                (i32.const 0)))
            (local.set $l13
              (i32.load offset=2097192
                (i32.const 0)))
            (local.set $l14
              (i32.load offset=2097196
                (i32.const 0)))
            (local.set $l15
              (i32.load offset=2097200
                (i32.const 0)))
            (local.set $l16
              (i32.load offset=2097204
                (i32.const 0)))
            (local.set $l17
              (i32.const 0))
            (local.set $l18
              (i32.const 0))
            (local.set $l19
              (i32.load offset=2097208
                (i32.const 0)))
            (local.set $l20
              (call_indirect $env.table (type $t1)
                (i32.and
                  (i32.shr_u
                    (local.get $l13)
                    (i32.const 12))
                  (i32.const 255))
                (i32.shr_u
                  (local.get $l13)
                  (i32.const 20))
                (local.get $l14)
                (local.get $l15)
                (local.get $l16)
                (i32.const 9)))
            (local.set $l21
              (i32.and
                (i32.and
                  (local.get $l13)
                  (i32.const 4095))
                (i32.const 2261)))
            (local.set $l20
              (i32.or
                (i32.and
                  (local.get $l12)
                  (i32.xor
                    (local.get $l21)
                    (i32.const -1)))
                (i32.and
                  (local.get $l20)
                  (local.get $l21))))
            (local.set $l21
              (i32.and
                (i32.and
                  (local.get $l13)
                  (i32.const 4095))
                (i32.const -2262)))
            (local.set $l17
              (i32.const 0))
            (local.set $l22
              (i32.and
                (local.get $l13)
                (i32.const -4096)))
            (local.set $l21
              (i32.or
                (local.get $l21)
                (local.get $l22)))
            (local.set $l13
              (local.get $l21))
            (local.set $l12
              (local.get $l20))
            (if $I4
              (i32.lt_s
                (local.get $l19)
                (i32.const 3))
              (then
                (local.set $l20
                  (i32.const 1048576))
                (br $B2)))
            (local.set $l19
              (i32.sub
                (local.get $l19)
                (i32.const 3)))
            (local.set $l21
              (i32.eqz
                (i32.and
                  (i32.load offset=2097244
                    (i32.const 0))
                  (i32.const 12))))
            (if $I5
              (local.get $l21)
              (then
                (local.set $l21
                  (i32.load offset=2097392
                    (i32.const 0)))
                (local.set $l22
                  (i32.load offset=2097396
                    (i32.const 0)))
                (local.set $l23
                  (i32.load offset=2097400
                    (i32.const 0)))
                (local.set $l24
                  (i32.load offset=2097404
                    (i32.const 0)))
                (local.set $l21
                  (i32.xor
                    (local.get $l21)
                    (i32.const -1)))
                (local.set $l21
                  (i32.and
                    (local.get $l22)
                    (local.get $l21)))
                (local.set $l21
                  (i32.and
                    (local.get $l21)
                    (i32.const 63)))
                (local.set $l21
                  (i32.eqz
                    (local.get $l21)))
                (if $I6
                  (local.get $l21)
                  (then
                    (local.set $l21
                      (local.get $l7))
                    (local.set $l25
                      (i32.load offset=2101248
                        (i32.shl
                          (i32.shr_u
                            (local.get $l21)
                            (i32.const 12))
                          (i32.const 2))))
                    (block $B7
                      (block $B8
                        (br_if $B8
                          (i32.ne
                            (i32.and
                              (local.get $l25)
                              (i32.const 65))
                            (i32.const 1)))
                        (br_if $B8
                          (i32.gt_u
                            (i32.and
                              (local.get $l21)
                              (i32.const 4095))
                            (i32.const 4088)))
                        (local.set $l25
                          (i32.xor
                            (i32.and
                              (local.get $l25)
                              (i32.const -4096))
                            (local.get $l21)))
                        (local.set $l26
                          (i32.load align=1
                            (local.get $l25)))
                        (local.set $l25
                          (i32.load offset=4 align=1
                            (local.get $l25)))
                        (br $B7))
                      (call $f1
                        (local.get $l12)
                        (local.get $l13)
                        (local.get $l14)
                        (local.get $l15)
                        (local.get $l16)
                        (local.get $l19))
                      (local.set $l26
                        (call_indirect $env.table (type $t3)
                          (i32.const 3)
                          (local.get $l21)
                          (i32.const 1048576)
                          (i32.const 3)
                          (i32.const 3)))
                      (if $I9
                        (i32.load offset=2097236
                          (i32.const 0))
                        (then
                          (br $B1)))
                      (local.set $l19
                        (i32.load offset=2097208
                          (i32.const 0)))
                      (local.set $l25
                        (i32.load offset=2097216
                          (i32.const 0))))
                    (local.set $l23
                      (i32.add
                        (local.get $l23)
                        (i32.const 7)))
                    (local.set $l23
                      (i32.and
                        (local.get $l23)
                        (i32.const 7)))
                    (local.set $l27
                      (i32.shr_u
                        (local.get $l25)
                        (i32.const 20)))
                    (local.set $l27
                      (i32.and
                        (local.get $l27)
                        (i32.const 2047)))
                    (local.set $l28
                      (i32.and
                        (local.get $l25)
                        (i32.const 2147483647)))
                    (local.set $l28
                      (i32.or
                        (local.get $l28)
                        (local.get $l26)))
                    (local.set $l28
                      (i32.eqz
                        (local.get $l28)))
                    (local.set $l29
                      (i32.sub
                        (local.get $l27)
                        (i32.const 1)))
                    (local.set $l29
                      (i32.lt_u
                        (local.get $l29)
                        (i32.const 2046)))
                    (local.set $l29
                      (i32.or
                        (local.get $l28)
                        (local.get $l29)))
                    (local.set $l30
                      (i32.shr_u
                        (local.get $l24)
                        (local.get $l23)))
                    (local.set $l30
                      (i32.and
                        (local.get $l30)
                        (i32.const 1)))
                    (local.set $l29
                      (i32.and
                        (local.get $l30)
                        (local.get $l29)))
                    (if $I10
                      (local.get $l29)
                      (then
                        (local.set $l29
                          (i32.shr_u
                            (local.get $l25)
                            (i32.const 31)))
                        (local.set $l29
                          (i32.shl
                            (local.get $l29)
                            (i32.const 15)))
                        (local.set $l27
                          (i32.add
                            (local.get $l27)
                            (i32.const 15360)))
                        (local.set $l27
                          (select
                            (i32.const 0)
                            (local.get $l27)
                            (local.get $l28)))
                        (local.set $l27
                          (i32.or
                            (local.get $l29)
                            (local.get $l27)))
                        (i32.store16 offset=2097376
                          (i32.shl
                            (local.get $l23)
                            (i32.const 1))
                          (local.get $l27))
                        (local.set $l25
                          (i32.and
                            (local.get $l25)
                            (i32.const 1048575)))
                        (local.set $l25
                          (i32.shl
                            (local.get $l25)
                            (i32.const 11)))
                        (local.set $l27
                          (i32.shr_u
                            (local.get $l26)
                            (i32.const 21)))
                        (local.set $l25
                          (i32.or
                            (local.get $l25)
                            (local.get $l27)))
                        (local.set $l25
                          (i32.or
                            (i32.const -2147483648)
                            (local.get $l25)))
                        (local.set $l25
                          (select
                            (i32.const 0)
                            (local.get $l25)
                            (local.get $l28)))
                        (i32.store offset=2097316
                          (i32.shl
                            (local.get $l23)
                            (i32.const 3))
                          (local.get $l25))
                        (local.set $l25
                          (i32.shl
                            (local.get $l26)
                            (i32.const 11)))
                        (i32.store offset=2097312
                          (i32.shl
                            (local.get $l23)
                            (i32.const 3))
                          (local.get $l25))
                        (local.set $l25
                          (i32.shl
                            (i32.const 1)
                            (local.get $l23)))
                        (local.set $l25
                          (i32.xor
                            (local.get $l25)
                            (i32.const -1)))
                        (local.set $l24
                          (i32.and
                            (local.get $l24)
                            (local.get $l25)))
                        (i32.store offset=2097404
                          (i32.const 0)
                          (local.get $l24))
                        (i32.store offset=2097400
                          (i32.const 0)
                          (local.get $l23))
                        (local.set $l22
                          (i32.and
                            (local.get $l22)
                            (i32.const -513)))
                        (i32.store offset=2097396
                          (i32.const 0)
                          (local.get $l22))
                        (i32.store offset=2097408
                          (i32.const 0)
                          (i32.const 1048576))
                        (local.set $l22
                          (i32.load offset=2097252
                            (i32.const 0)))
                        (i32.store offset=2097412
                          (i32.const 0)
                          (local.get $l22))
                        (i32.store offset=2097416
                          (i32.const 0)
                          (i32.const 1283))
                        (i32.store offset=2097420
                          (i32.const 0)
                          (local.get $l21))
                        (local.set $l21
                          (i32.load offset=2097260
                            (i32.const 0)))
                        (i32.store offset=2097424
                          (i32.const 0)
                          (local.get $l21)))
                      (else
                        (i32.store offset=2097188
                          (i32.const 0)
                          (local.get $l12))
                        (i32.store offset=2097192
                          (i32.const 0)
                          (local.get $l13))
                        (i32.store offset=2097196
                          (i32.const 0)
                          (local.get $l14))
                        (i32.store offset=2097200
                          (i32.const 0)
                          (local.get $l15))
                        (i32.store offset=2097204
                          (i32.const 0)
                          (local.get $l16))
                        (i32.store offset=2097152
                          (i32.const 0)
                          (local.get $l4))
                        (i32.store offset=2097156
                          (i32.const 0)
                          (local.get $l5))
                        (i32.store offset=2097160
                          (i32.const 0)
                          (local.get $l6))
                        (i32.store offset=2097164
                          (i32.const 0)
                          (local.get $l7))
                        (i32.store offset=2097168
                          (i32.const 0)
                          (local.get $l8))
                        (i32.store offset=2097172
                          (i32.const 0)
                          (local.get $l9))
                        (i32.store offset=2097176
                          (i32.const 0)
                          (local.get $l10))
                        (i32.store offset=2097180
                          (i32.const 0)
                          (local.get $l11))
                        (i32.store offset=2097208
                          (i32.const 0)
                          (local.get $l19))
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
                        (local.set $l19
                          (i32.load offset=2097208
                            (i32.const 0)))
                        (local.set $l4
                          (i32.load offset=2097152
                            (i32.const 0)))
                        (local.set $l5
                          (i32.load offset=2097156
                            (i32.const 0)))
                        (local.set $l6
                          (i32.load offset=2097160
                            (i32.const 0)))
                        (local.set $l7
                          (i32.load offset=2097164
                            (i32.const 0)))
                        (local.set $l8
                          (i32.load offset=2097168
                            (i32.const 0)))
                        (local.set $l9
                          (i32.load offset=2097172
                            (i32.const 0)))
                        (local.set $l10
                          (i32.load offset=2097176
                            (i32.const 0)))
                        (local.set $l11
                          (i32.load offset=2097180
                            (i32.const 0)))
                        (local.set $l12
                          (i32.load offset=2097188
                            (i32.const 0)))
                        (local.set $l13
                          (i32.load offset=2097192
                            (i32.const 0)))
                        (local.set $l14
                          (i32.load offset=2097196
                            (i32.const 0)))
                        (local.set $l15
                          (i32.load offset=2097200
                            (i32.const 0)))
                        (local.set $l16
                          (i32.load offset=2097204
                            (i32.const 0)))
                        (local.set $l17
                          (i32.const 0)))))
                  (else
                    (i32.store offset=2097188
                      (i32.const 0)
                      (local.get $l12))
                    (i32.store offset=2097192
                      (i32.const 0)
                      (local.get $l13))
                    (i32.store offset=2097196
                      (i32.const 0)
                      (local.get $l14))
                    (i32.store offset=2097200
                      (i32.const 0)
                      (local.get $l15))
                    (i32.store offset=2097204
                      (i32.const 0)
                      (local.get $l16))
                    (i32.store offset=2097152
                      (i32.const 0)
                      (local.get $l4))
                    (i32.store offset=2097156
                      (i32.const 0)
                      (local.get $l5))
                    (i32.store offset=2097160
                      (i32.const 0)
                      (local.get $l6))
                    (i32.store offset=2097164
                      (i32.const 0)
                      (local.get $l7))
                    (i32.store offset=2097168
                      (i32.const 0)
                      (local.get $l8))
                    (i32.store offset=2097172
                      (i32.const 0)
                      (local.get $l9))
                    (i32.store offset=2097176
                      (i32.const 0)
                      (local.get $l10))
                    (i32.store offset=2097180
                      (i32.const 0)
                      (local.get $l11))
                    (i32.store offset=2097208
                      (i32.const 0)
                      (local.get $l19))
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
                    (local.set $l19
                      (i32.load offset=2097208
                        (i32.const 0)))
                    (local.set $l4
                      (i32.load offset=2097152
                        (i32.const 0)))
                    (local.set $l5
                      (i32.load offset=2097156
                        (i32.const 0)))
                    (local.set $l6
                      (i32.load offset=2097160
                        (i32.const 0)))
                    (local.set $l7
                      (i32.load offset=2097164
                        (i32.const 0)))
                    (local.set $l8
                      (i32.load offset=2097168
                        (i32.const 0)))
                    (local.set $l9
                      (i32.load offset=2097172
                        (i32.const 0)))
                    (local.set $l10
                      (i32.load offset=2097176
                        (i32.const 0)))
                    (local.set $l11
                      (i32.load offset=2097180
                        (i32.const 0)))
                    (local.set $l12
                      (i32.load offset=2097188
                        (i32.const 0)))
                    (local.set $l13
                      (i32.load offset=2097192
                        (i32.const 0)))
                    (local.set $l14
                      (i32.load offset=2097196
                        (i32.const 0)))
                    (local.set $l15
                      (i32.load offset=2097200
                        (i32.const 0)))
                    (local.set $l16
                      (i32.load offset=2097204
                        (i32.const 0)))
                    (local.set $l17
                      (i32.const 0)))))
              (else
                (i32.store offset=2097188
                  (i32.const 0)
                  (local.get $l12))
                (i32.store offset=2097192
                  (i32.const 0)
                  (local.get $l13))
                (i32.store offset=2097196
                  (i32.const 0)
                  (local.get $l14))
                (i32.store offset=2097200
                  (i32.const 0)
                  (local.get $l15))
                (i32.store offset=2097204
                  (i32.const 0)
                  (local.get $l16))
                (i32.store offset=2097152
                  (i32.const 0)
                  (local.get $l4))
                (i32.store offset=2097156
                  (i32.const 0)
                  (local.get $l5))
                (i32.store offset=2097160
                  (i32.const 0)
                  (local.get $l6))
                (i32.store offset=2097164
                  (i32.const 0)
                  (local.get $l7))
                (i32.store offset=2097168
                  (i32.const 0)
                  (local.get $l8))
                (i32.store offset=2097172
                  (i32.const 0)
                  (local.get $l9))
                (i32.store offset=2097176
                  (i32.const 0)
                  (local.get $l10))
                (i32.store offset=2097180
                  (i32.const 0)
                  (local.get $l11))
                (i32.store offset=2097208
                  (i32.const 0)
                  (local.get $l19))
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
                (local.set $l19
                  (i32.load offset=2097208
                    (i32.const 0)))
                (local.set $l4
                  (i32.load offset=2097152
                    (i32.const 0)))
                (local.set $l5
                  (i32.load offset=2097156
                    (i32.const 0)))
                (local.set $l6
                  (i32.load offset=2097160
                    (i32.const 0)))
                (local.set $l7
                  (i32.load offset=2097164
                    (i32.const 0)))
                (local.set $l8
                  (i32.load offset=2097168
                    (i32.const 0)))
                (local.set $l9
                  (i32.load offset=2097172
                    (i32.const 0)))
                (local.set $l10
                  (i32.load offset=2097176
                    (i32.const 0)))
                (local.set $l11
                  (i32.load offset=2097180
                    (i32.const 0)))
                (local.set $l12
                  (i32.load offset=2097188
                    (i32.const 0)))
                (local.set $l13
                  (i32.load offset=2097192
                    (i32.const 0)))
                (local.set $l14
                  (i32.load offset=2097196
                    (i32.const 0)))
                (local.set $l15
                  (i32.load offset=2097200
                    (i32.const 0)))
                (local.set $l16
                  (i32.load offset=2097204
                    (i32.const 0)))
                (local.set $l17
                  (i32.const 0))))
            (local.set $l21
              (i32.eqz
                (i32.and
                  (i32.load offset=2097244
                    (i32.const 0))
                  (i32.const 12))))
            (if $I14
              (local.get $l21)
              (then
                (local.set $l21
                  (i32.load offset=2097392
                    (i32.const 0)))
                (local.set $l22
                  (i32.load offset=2097396
                    (i32.const 0)))
                (local.set $l23
                  (i32.load offset=2097400
                    (i32.const 0)))
                (local.set $l24
                  (i32.load offset=2097404
                    (i32.const 0)))
                (local.set $l25
                  (i32.xor
                    (local.get $l21)
                    (i32.const -1)))
                (local.set $l25
                  (i32.and
                    (local.get $l22)
                    (local.get $l25)))
                (local.set $l25
                  (i32.and
                    (local.get $l25)
                    (i32.const 63)))
                (local.set $l25
                  (i32.eqz
                    (local.get $l25)))
                (if $I15
                  (local.get $l25)
                  (then
                    (local.set $l25
                      (i32.load16_u offset=2097376
                        (i32.shl
                          (local.get $l23)
                          (i32.const 1))))
                    (local.set $l26
                      (i32.load offset=2097316
                        (i32.shl
                          (local.get $l23)
                          (i32.const 3))))
                    (local.set $l27
                      (i32.load offset=2097312
                        (i32.shl
                          (local.get $l23)
                          (i32.const 3))))
                    (local.set $l28
                      (i32.and
                        (local.get $l25)
                        (i32.const 32767)))
                    (local.set $l25
                      (i32.shr_u
                        (local.get $l25)
                        (i32.const 15)))
                    (local.set $l29
                      (i32.shl
                        (local.get $l26)
                        (i32.const 21)))
                    (local.set $l30
                      (i32.shr_u
                        (local.get $l27)
                        (i32.const 11)))
                    (local.set $l29
                      (i32.or
                        (local.get $l29)
                        (local.get $l30)))
                    (local.set $l30
                      (i32.shr_u
                        (local.get $l26)
                        (i32.const 11)))
                    (local.set $l31
                      (i32.shr_u
                        (local.get $l27)
                        (i32.const 10)))
                    (local.set $l31
                      (i32.and
                        (local.get $l31)
                        (i32.const 1)))
                    (local.set $l27
                      (i32.and
                        (local.get $l27)
                        (i32.const 1023)))
                    (local.set $l27
                      (i32.ne
                        (local.get $l27)
                        (i32.const 0)))
                    (local.set $l32
                      (i32.or
                        (local.get $l31)
                        (local.get $l27)))
                    (local.set $l21
                      (i32.shr_u
                        (local.get $l21)
                        (i32.const 10)))
                    (local.set $l21
                      (i32.and
                        (local.get $l21)
                        (i32.const 3)))
                    (local.set $l33
                      (i32.and
                        (local.get $l29)
                        (i32.const 1)))
                    (local.set $l27
                      (i32.or
                        (local.get $l27)
                        (local.get $l33)))
                    (local.set $l27
                      (i32.and
                        (local.get $l31)
                        (local.get $l27)))
                    (local.set $l31
                      (i32.eq
                        (local.get $l21)
                        (i32.const 2)))
                    (local.set $l33
                      (i32.eqz
                        (local.get $l25)))
                    (local.set $l31
                      (i32.eq
                        (local.get $l31)
                        (local.get $l33)))
                    (local.set $l31
                      (i32.and
                        (local.get $l32)
                        (local.get $l31)))
                    (local.set $l33
                      (i32.eqz
                        (local.get $l21)))
                    (local.set $l21
                      (i32.eq
                        (local.get $l21)
                        (i32.const 3)))
                    (local.set $l21
                      (select
                        (i32.const 0)
                        (local.get $l31)
                        (local.get $l21)))
                    (local.set $l21
                      (select
                        (local.get $l27)
                        (local.get $l21)
                        (local.get $l33)))
                    (local.set $l27
                      (i32.add
                        (local.get $l29)
                        (local.get $l21)))
                    (local.set $l29
                      (i32.eqz
                        (local.get $l27)))
                    (local.set $l29
                      (i32.and
                        (local.get $l21)
                        (local.get $l29)))
                    (local.set $l29
                      (i32.add
                        (local.get $l30)
                        (local.get $l29)))
                    (local.set $l30
                      (i32.eq
                        (local.get $l29)
                        (i32.const 2097152)))
                    (local.set $l28
                      (i32.sub
                        (local.get $l28)
                        (i32.const 15360)))
                    (local.set $l28
                      (i32.add
                        (local.get $l28)
                        (local.get $l30)))
                    (local.set $l30
                      (i32.shr_u
                        (local.get $l24)
                        (local.get $l23)))
                    (local.set $l30
                      (i32.and
                        (local.get $l30)
                        (i32.const 1)))
                    (local.set $l30
                      (i32.eqz
                        (local.get $l30)))
                    (local.set $l26
                      (i32.lt_s
                        (local.get $l26)
                        (i32.const 0)))
                    (local.set $l26
                      (i32.and
                        (local.get $l30)
                        (local.get $l26)))
                    (local.set $l30
                      (i32.sub
                        (local.get $l28)
                        (i32.const 1)))
                    (local.set $l30
                      (i32.lt_u
                        (local.get $l30)
                        (i32.const 2046)))
                    (local.set $l26
                      (i32.and
                        (local.get $l26)
                        (local.get $l30)))
                    (if $I16
                      (local.get $l26)
                      (then
                        (local.set $l26
                          (local.get $l5))
                        (local.set $l25
                          (i32.shl
                            (local.get $l25)
                            (i32.const 31)))
                        (local.set $l28
                          (i32.shl
                            (local.get $l28)
                            (i32.const 20)))
                        (local.set $l29
                          (i32.and
                            (local.get $l29)
                            (i32.const 1048575)))
                        (local.set $l28
                          (i32.or
                            (local.get $l28)
                            (local.get $l29)))
                        (local.set $l25
                          (i32.or
                            (local.get $l25)
                            (local.get $l28)))
                        (local.set $l28
                          (i32.load offset=2101248
                            (i32.shl
                              (i32.shr_u
                                (local.get $l26)
                                (i32.const 12))
                              (i32.const 2))))
                        (block $B17
                          (block $B18
                            (br_if $B18
                              (i32.ne
                                (i32.and
                                  (local.get $l28)
                                  (i32.const 89))
                                (i32.const 1)))
                            (br_if $B18
                              (i32.gt_u
                                (i32.and
                                  (local.get $l26)
                                  (i32.const 4095))
                                (i32.const 4088)))
                            (local.set $l28
                              (i32.xor
                                (i32.and
                                  (local.get $l28)
                                  (i32.const -4096))
                                (local.get $l26)))
                            (i32.store align=1
                              (local.get $l28)
                              (local.get $l27))
                            (i32.store offset=4 align=1
                              (local.get $l28)
                              (local.get $l25))
                            (br $B17))
                          (call $f1
                            (local.get $l12)
                            (local.get $l13)
                            (local.get $l14)
                            (local.get $l15)
                            (local.get $l16)
                            (local.get $l19))
                          (local.set $l18
                            (i32.or
                              (local.get $l18)
                              (call_indirect $env.table (type $t4)
                                (i32.const 3)
                                (local.get $l26)
                                (local.get $l27)
                                (local.get $l25)
                                (i32.const 1048578)
                                (i32.const 2)
                                (i32.const 4))))
                          (if $I19
                            (i32.load offset=2097236
                              (i32.const 0))
                            (then
                              (br $B1)))
                          (local.set $l19
                            (i32.load offset=2097208
                              (i32.const 0))))
                        (local.set $l22
                          (i32.and
                            (local.get $l22)
                            (i32.const -513)))
                        (local.set $l25
                          (i32.shl
                            (local.get $l32)
                            (i32.const 5)))
                        (local.set $l21
                          (i32.shl
                            (local.get $l21)
                            (i32.const 9)))
                        (local.set $l21
                          (i32.or
                            (local.get $l25)
                            (local.get $l21)))
                        (local.set $l21
                          (i32.or
                            (local.get $l22)
                            (local.get $l21)))
                        (i32.store offset=2097396
                          (i32.const 0)
                          (local.get $l21))
                        (local.set $l21
                          (i32.shl
                            (i32.const 1)
                            (local.get $l23)))
                        (local.set $l21
                          (i32.or
                            (local.get $l24)
                            (local.get $l21)))
                        (i32.store offset=2097404
                          (i32.const 0)
                          (local.get $l21))
                        (local.set $l21
                          (i32.add
                            (local.get $l23)
                            (i32.const 1)))
                        (local.set $l21
                          (i32.and
                            (local.get $l21)
                            (i32.const 7)))
                        (i32.store offset=2097400
                          (i32.const 0)
                          (local.get $l21))
                        (i32.store offset=2097408
                          (i32.const 0)
                          (i32.const 1048578))
                        (local.set $l21
                          (i32.load offset=2097252
                            (i32.const 0)))
                        (i32.store offset=2097412
                          (i32.const 0)
                          (local.get $l21))
                        (i32.store offset=2097416
                          (i32.const 0)
                          (i32.const 1305))
                        (i32.store offset=2097420
                          (i32.const 0)
                          (local.get $l26))
                        (local.set $l21
                          (i32.load offset=2097260
                            (i32.const 0)))
                        (i32.store offset=2097424
                          (i32.const 0)
                          (local.get $l21)))
                      (else
                        (i32.store offset=2097188
                          (i32.const 0)
                          (local.get $l12))
                        (i32.store offset=2097192
                          (i32.const 0)
                          (local.get $l13))
                        (i32.store offset=2097196
                          (i32.const 0)
                          (local.get $l14))
                        (i32.store offset=2097200
                          (i32.const 0)
                          (local.get $l15))
                        (i32.store offset=2097204
                          (i32.const 0)
                          (local.get $l16))
                        (i32.store offset=2097152
                          (i32.const 0)
                          (local.get $l4))
                        (i32.store offset=2097156
                          (i32.const 0)
                          (local.get $l5))
                        (i32.store offset=2097160
                          (i32.const 0)
                          (local.get $l6))
                        (i32.store offset=2097164
                          (i32.const 0)
                          (local.get $l7))
                        (i32.store offset=2097168
                          (i32.const 0)
                          (local.get $l8))
                        (i32.store offset=2097172
                          (i32.const 0)
                          (local.get $l9))
                        (i32.store offset=2097176
                          (i32.const 0)
                          (local.get $l10))
                        (i32.store offset=2097180
                          (i32.const 0)
                          (local.get $l11))
                        (i32.store offset=2097208
                          (i32.const 0)
                          (local.get $l19))
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
                        (local.set $l19
                          (i32.load offset=2097208
                            (i32.const 0)))
                        (local.set $l4
                          (i32.load offset=2097152
                            (i32.const 0)))
                        (local.set $l5
                          (i32.load offset=2097156
                            (i32.const 0)))
                        (local.set $l6
                          (i32.load offset=2097160
                            (i32.const 0)))
                        (local.set $l7
                          (i32.load offset=2097164
                            (i32.const 0)))
                        (local.set $l8
                          (i32.load offset=2097168
                            (i32.const 0)))
                        (local.set $l9
                          (i32.load offset=2097172
                            (i32.const 0)))
                        (local.set $l10
                          (i32.load offset=2097176
                            (i32.const 0)))
                        (local.set $l11
                          (i32.load offset=2097180
                            (i32.const 0)))
                        (local.set $l12
                          (i32.load offset=2097188
                            (i32.const 0)))
                        (local.set $l13
                          (i32.load offset=2097192
                            (i32.const 0)))
                        (local.set $l14
                          (i32.load offset=2097196
                            (i32.const 0)))
                        (local.set $l15
                          (i32.load offset=2097200
                            (i32.const 0)))
                        (local.set $l16
                          (i32.load offset=2097204
                            (i32.const 0)))
                        (local.set $l17
                          (i32.const 0)))))
                  (else
                    (i32.store offset=2097188
                      (i32.const 0)
                      (local.get $l12))
                    (i32.store offset=2097192
                      (i32.const 0)
                      (local.get $l13))
                    (i32.store offset=2097196
                      (i32.const 0)
                      (local.get $l14))
                    (i32.store offset=2097200
                      (i32.const 0)
                      (local.get $l15))
                    (i32.store offset=2097204
                      (i32.const 0)
                      (local.get $l16))
                    (i32.store offset=2097152
                      (i32.const 0)
                      (local.get $l4))
                    (i32.store offset=2097156
                      (i32.const 0)
                      (local.get $l5))
                    (i32.store offset=2097160
                      (i32.const 0)
                      (local.get $l6))
                    (i32.store offset=2097164
                      (i32.const 0)
                      (local.get $l7))
                    (i32.store offset=2097168
                      (i32.const 0)
                      (local.get $l8))
                    (i32.store offset=2097172
                      (i32.const 0)
                      (local.get $l9))
                    (i32.store offset=2097176
                      (i32.const 0)
                      (local.get $l10))
                    (i32.store offset=2097180
                      (i32.const 0)
                      (local.get $l11))
                    (i32.store offset=2097208
                      (i32.const 0)
                      (local.get $l19))
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
                    (local.set $l19
                      (i32.load offset=2097208
                        (i32.const 0)))
                    (local.set $l4
                      (i32.load offset=2097152
                        (i32.const 0)))
                    (local.set $l5
                      (i32.load offset=2097156
                        (i32.const 0)))
                    (local.set $l6
                      (i32.load offset=2097160
                        (i32.const 0)))
                    (local.set $l7
                      (i32.load offset=2097164
                        (i32.const 0)))
                    (local.set $l8
                      (i32.load offset=2097168
                        (i32.const 0)))
                    (local.set $l9
                      (i32.load offset=2097172
                        (i32.const 0)))
                    (local.set $l10
                      (i32.load offset=2097176
                        (i32.const 0)))
                    (local.set $l11
                      (i32.load offset=2097180
                        (i32.const 0)))
                    (local.set $l12
                      (i32.load offset=2097188
                        (i32.const 0)))
                    (local.set $l13
                      (i32.load offset=2097192
                        (i32.const 0)))
                    (local.set $l14
                      (i32.load offset=2097196
                        (i32.const 0)))
                    (local.set $l15
                      (i32.load offset=2097200
                        (i32.const 0)))
                    (local.set $l16
                      (i32.load offset=2097204
                        (i32.const 0)))
                    (local.set $l17
                      (i32.const 0)))))
              (else
                (i32.store offset=2097188
                  (i32.const 0)
                  (local.get $l12))
                (i32.store offset=2097192
                  (i32.const 0)
                  (local.get $l13))
                (i32.store offset=2097196
                  (i32.const 0)
                  (local.get $l14))
                (i32.store offset=2097200
                  (i32.const 0)
                  (local.get $l15))
                (i32.store offset=2097204
                  (i32.const 0)
                  (local.get $l16))
                (i32.store offset=2097152
                  (i32.const 0)
                  (local.get $l4))
                (i32.store offset=2097156
                  (i32.const 0)
                  (local.get $l5))
                (i32.store offset=2097160
                  (i32.const 0)
                  (local.get $l6))
                (i32.store offset=2097164
                  (i32.const 0)
                  (local.get $l7))
                (i32.store offset=2097168
                  (i32.const 0)
                  (local.get $l8))
                (i32.store offset=2097172
                  (i32.const 0)
                  (local.get $l9))
                (i32.store offset=2097176
                  (i32.const 0)
                  (local.get $l10))
                (i32.store offset=2097180
                  (i32.const 0)
                  (local.get $l11))
                (i32.store offset=2097208
                  (i32.const 0)
                  (local.get $l19))
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
                (local.set $l19
                  (i32.load offset=2097208
                    (i32.const 0)))
                (local.set $l4
                  (i32.load offset=2097152
                    (i32.const 0)))
                (local.set $l5
                  (i32.load offset=2097156
                    (i32.const 0)))
                (local.set $l6
                  (i32.load offset=2097160
                    (i32.const 0)))
                (local.set $l7
                  (i32.load offset=2097164
                    (i32.const 0)))
                (local.set $l8
                  (i32.load offset=2097168
                    (i32.const 0)))
                (local.set $l9
                  (i32.load offset=2097172
                    (i32.const 0)))
                (local.set $l10
                  (i32.load offset=2097176
                    (i32.const 0)))
                (local.set $l11
                  (i32.load offset=2097180
                    (i32.const 0)))
                (local.set $l12
                  (i32.load offset=2097188
                    (i32.const 0)))
                (local.set $l13
                  (i32.load offset=2097192
                    (i32.const 0)))
                (local.set $l14
                  (i32.load offset=2097196
                    (i32.const 0)))
                (local.set $l15
                  (i32.load offset=2097200
                    (i32.const 0)))
                (local.set $l16
                  (i32.load offset=2097204
                    (i32.const 0)))
                (local.set $l17
                  (i32.const 0))))
            (if $I23
              (local.get $l18)
              (then
                (call $f2
                  (local.get $l12)
                  (local.get $l13)
                  (local.get $l14)
                  (local.get $l15)
                  (local.get $l16))
                (call $f3
                  (i32.const 1048580)
                  (i32.add
                    (local.get $l19)
                    (i32.const 1)))
                (local.set $l4
                  (i32.const 0))
                (br $B0)))
            (local.set $l17
              (i32.const 0))
            (local.set $l20
              (i32.const 1048598))
            (br $B3))
          (local.set $l5
            (if $I24 (result i32)
              (i32.and
                (i32.and
                  (i32.and
                    (local.get $l17)
                    (i32.const 4095))
                  (i32.xor
                    (i32.and
                      (local.get $l13)
                      (i32.const 4095))
                    (i32.const -1)))
                (i32.const 1))
              (then
                (i32.or
                  (i32.and
                    (local.get $l12)
                    (i32.const -2))
                  (call_indirect $env.table (type $t1)
                    (i32.and
                      (i32.shr_u
                        (local.get $l17)
                        (i32.const 12))
                      (i32.const 255))
                    (i32.shr_u
                      (local.get $l17)
                      (i32.const 20))
                    (local.get $l1)
                    (local.get $l2)
                    (local.get $l3)
                    (i32.const 10))))
              (else
                (local.get $l12))))
          (i32.store offset=2097188
            (i32.const 0)
            (local.get $l5))
          (i32.store offset=2097192
            (i32.const 0)
            (local.get $l13))
          (i32.store offset=2097196
            (i32.const 0)
            (local.get $l14))
          (i32.store offset=2097200
            (i32.const 0)
            (local.get $l15))
          (i32.store offset=2097204
            (i32.const 0)
            (local.get $l16))
          (i32.store offset=2097208
            (i32.const 0)
            (local.get $l19))
          (i32.store offset=2097184
            (i32.const 0)
            (local.get $l20))
          (return
            (i32.const 0)))
        (local.set $l1
          (if $I25 (result i32)
            (i32.and
              (i32.and
                (i32.and
                  (local.get $l17)
                  (i32.const 4095))
                (i32.xor
                  (i32.and
                    (local.get $l13)
                    (i32.const 4095))
                  (i32.const -1)))
              (i32.const 1))
            (then
              (i32.or
                (i32.and
                  (local.get $l12)
                  (i32.const -2))
                (call_indirect $env.table (type $t1)
                  (i32.and
                    (i32.shr_u
                      (local.get $l17)
                      (i32.const 12))
                    (i32.const 255))
                  (i32.shr_u
                    (local.get $l17)
                    (i32.const 20))
                  (local.get $l1)
                  (local.get $l2)
                  (local.get $l3)
                  (i32.const 10))))
            (else
              (local.get $l12))))
        (i32.store offset=2097188
          (i32.const 0)
          (local.get $l1))
        (i32.store offset=2097192
          (i32.const 0)
          (local.get $l13))
        (i32.store offset=2097196
          (i32.const 0)
          (local.get $l14))
        (i32.store offset=2097200
          (i32.const 0)
          (local.get $l15))
        (i32.store offset=2097204
          (i32.const 0)
          (local.get $l16))
        (i32.store offset=2097208
          (i32.const 0)
          (local.get $l19))
        (i32.store offset=2097184
          (i32.const 0)
          (local.get $l20))
        (return
          (i32.const 1)))
      (return
        (i32.const 4)))
    (return
      (local.get $l4)))
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
