;; rep-movsb: REP MOVSB: one iteration per pass of a block that branches back to itself
;; guest bytes at 100000: f3 a4
(module
  (type $t0 (func (param i32 i32 i32 i32 i32) (result i32)))
  (type $t1 (func (param i32) (result i32)))
  (type $t2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t3 (func (param i32 i32 i32 i32)))
  (import "env" "memory" (memory $env.memory 113 113))
  (import "env" "table" (table $env.table 11 funcref))
  (func $run (export "run") (type $t1) (param $p0 i32) (result i32)
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $l5 i32) (local $l6 i32) (local $l7 i32) (local $l8 i32) (local $l9 i32) (local $l10 i32) (local $l11 i32) (local $l12 i32) (local $l13 i32) (local $l14 i32) (local $l15 i32) (local $l16 i32) (local $l17 i32) (local $l18 i32) (local $l19 i32) (local $l20 i32) (local $l21 i32) (local $l22 i32)
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
            (local.set $l5
              (i32.load offset=2097156
                (i32.const 0)))
            (local.set $l6
              (i32.load offset=2097176
                (i32.const 0)))
            (local.set $l7
              (i32.load offset=2097180
                (i32.const 0)))
            (local.set $l8
              (i32.load offset=2097188
                (i32.const 0)))
            (local.set $l9
              (i32.load offset=2097192
                (i32.const 0)))
            (local.set $l10
              (i32.load offset=2097196
                (i32.const 0)))
            (local.set $l11
              (i32.load offset=2097200
                (i32.const 0)))
            (local.set $l12
              (i32.load offset=2097204
                (i32.const 0)))
            (local.set $l13
              (i32.const 0))
            (local.set $l14
              (i32.const 0))
            (local.set $l14
              (i32.load offset=2097208
                (i32.const 0)))
            (local.set $l13
              (i32.const 0))
            (loop $L4
              (if $I5
                (i32.lt_s
                  (local.get $l14)
                  (i32.const 1))
                (then
                  (local.set $l15
                    (i32.const 1048576))
                  (br $B2)))
              (local.set $l14
                (i32.sub
                  (local.get $l14)
                  (i32.const 1)))
              (block $B6
                (loop $L7
                  (br_if $B6
                    (i32.and
                      (local.get $l8)
                      (i32.const 1024)))
                  (br_if $B6
                    (i32.le_u
                      (local.get $l5)
                      (i32.const 1)))
                  (local.set $l17
                    (i32.sub
                      (local.get $l14)
                      (i32.const 0)))
                  (br_if $B6
                    (i32.le_s
                      (local.get $l17)
                      (i32.const 0)))
                  (local.set $l18
                    (i32.sub
                      (local.get $l5)
                      (i32.const 1)))
                  (local.set $l18
                    (select
                      (local.get $l18)
                      (local.get $l17)
                      (i32.lt_u
                        (local.get $l18)
                        (local.get $l17))))
                  (local.set $l18
                    (select
                      (local.get $l18)
                      (i32.shr_u
                        (i32.sub
                          (i32.const 4096)
                          (i32.and
                            (local.get $l7)
                            (i32.const 4095)))
                        (i32.const 0))
                      (i32.lt_u
                        (local.get $l18)
                        (i32.shr_u
                          (i32.sub
                            (i32.const 4096)
                            (i32.and
                              (local.get $l7)
                              (i32.const 4095)))
                          (i32.const 0)))))
                  (local.set $l18
                    (select
                      (local.get $l18)
                      (i32.shr_u
                        (i32.sub
                          (i32.const 4096)
                          (i32.and
                            (local.get $l6)
                            (i32.const 4095)))
                        (i32.const 0))
                      (i32.lt_u
                        (local.get $l18)
                        (i32.shr_u
                          (i32.sub
                            (i32.const 4096)
                            (i32.and
                              (local.get $l6)
                              (i32.const 4095)))
                          (i32.const 0)))))
                  (br_if $B6
                    (i32.eqz
                      (local.get $l18)))
                  (local.set $l17
                    (i32.load offset=2101248
                      (i32.shl
                        (i32.shr_u
                          (local.get $l7)
                          (i32.const 12))
                        (i32.const 2))))
                  (br_if $B6
                    (i32.ne
                      (i32.and
                        (local.get $l17)
                        (i32.const 89))
                      (i32.const 1)))
                  (local.set $l17
                    (i32.xor
                      (i32.and
                        (local.get $l17)
                        (i32.const -4096))
                      (local.get $l7)))
                  (local.set $l19
                    (i32.shl
                      (local.get $l18)
                      (i32.const 0)))
                  (local.set $l20
                    (i32.load offset=2101248
                      (i32.shl
                        (i32.shr_u
                          (local.get $l6)
                          (i32.const 12))
                        (i32.const 2))))
                  (br_if $B6
                    (i32.ne
                      (i32.and
                        (local.get $l20)
                        (i32.const 65))
                      (i32.const 1)))
                  (local.set $l20
                    (i32.xor
                      (i32.and
                        (local.get $l20)
                        (i32.const -4096))
                      (local.get $l6)))
                  (br_if $B6
                    (i32.and
                      (i32.ne
                        (local.get $l17)
                        (local.get $l20))
                      (i32.lt_u
                        (i32.sub
                          (local.get $l17)
                          (local.get $l20))
                        (local.get $l19))))
                  (memory.copy
                    (local.get $l17)
                    (local.get $l20)
                    (local.get $l19))
                  (local.set $l6
                    (i32.add
                      (local.get $l6)
                      (local.get $l19)))
                  (local.set $l7
                    (i32.add
                      (local.get $l7)
                      (local.get $l19)))
                  (local.set $l5
                    (i32.sub
                      (local.get $l5)
                      (local.get $l18)))
                  (local.set $l14
                    (i32.sub
                      (local.get $l14)
                      (local.get $l18)))
                  (br $L7))
                (unreachable))
              (local.set $l17
                (local.get $l5))
              (local.set $l18
                (i32.ne
                  (local.get $l17)
                  (i32.const 0)))
              (if $I8
                (local.get $l18)
                (then
                  (local.set $l19
                    (i32.and
                      (i32.shr_u
                        (local.get $l8)
                        (i32.const 10))
                      (i32.const 1)))
                  (local.set $l19
                    (i32.shl
                      (local.get $l19)
                      (i32.const 1)))
                  (local.set $l19
                    (i32.sub
                      (i32.const 1)
                      (local.get $l19)))
                  (local.set $l20
                    (local.get $l6))
                  (local.set $l21
                    (i32.load offset=2101248
                      (i32.shl
                        (i32.shr_u
                          (local.get $l20)
                          (i32.const 12))
                        (i32.const 2))))
                  (block $B9
                    (block $B10
                      (br_if $B10
                        (i32.ne
                          (i32.and
                            (local.get $l21)
                            (i32.const 65))
                          (i32.const 1)))
                      (local.set $l20
                        (i32.load8_u
                          (i32.xor
                            (i32.and
                              (local.get $l21)
                              (i32.const -4096))
                            (local.get $l20))))
                      (br $B9))
                    (call $f1
                      (local.get $l8)
                      (local.get $l9)
                      (local.get $l10)
                      (local.get $l11)
                      (local.get $l12)
                      (local.get $l13)
                      (local.get $l1)
                      (local.get $l2)
                      (local.get $l3))
                    (call $f2
                      (i32.const 1048576)
                      (i32.add
                        (local.get $l14)
                        (i32.const 1))
                      (i32.const 0)
                      (i32.const 0))
                    (local.set $l16
                      (i32.const 6))
                    (br $B0))
                  (local.set $l21
                    (local.get $l7))
                  (local.set $l22
                    (i32.load offset=2101248
                      (i32.shl
                        (i32.shr_u
                          (local.get $l21)
                          (i32.const 12))
                        (i32.const 2))))
                  (block $B11
                    (block $B12
                      (br_if $B12
                        (i32.ne
                          (i32.and
                            (local.get $l22)
                            (i32.const 89))
                          (i32.const 1)))
                      (i32.store8
                        (i32.xor
                          (i32.and
                            (local.get $l22)
                            (i32.const -4096))
                          (local.get $l21))
                        (local.get $l20))
                      (br $B11))
                    (call $f1
                      (local.get $l8)
                      (local.get $l9)
                      (local.get $l10)
                      (local.get $l11)
                      (local.get $l12)
                      (local.get $l13)
                      (local.get $l1)
                      (local.get $l2)
                      (local.get $l3))
                    (call $f2
                      (i32.const 1048576)
                      (i32.add
                        (local.get $l14)
                        (i32.const 1))
                      (i32.const 0)
                      (i32.const 0))
                    (local.set $l16
                      (i32.const 6))
                    (br $B0))
                  (local.set $l20
                    (local.get $l6))
                  (local.set $l20
                    (i32.add
                      (local.get $l20)
                      (local.get $l19)))
                  (local.set $l6
                    (local.get $l20))
                  (local.set $l20
                    (local.get $l7))
                  (local.set $l19
                    (i32.add
                      (local.get $l20)
                      (local.get $l19)))
                  (local.set $l7
                    (local.get $l19))
                  (local.set $l17
                    (i32.sub
                      (local.get $l17)
                      (i32.const 1)))
                  (local.set $l5
                    (local.get $l17))
                  (local.set $l4
                    (i32.ne
                      (local.get $l17)
                      (i32.const 0)))))
              (local.set $l17
                (select
                  (i32.ne
                    (local.get $l4)
                    (i32.const 0))
                  (i32.const 0)
                  (local.get $l18)))
              (if $I13
                (local.get $l17)
                (then
                  (br $L4))
                (else
                  (local.set $l15
                    (i32.const 1048578))
                  (br $B3)))
              (unreachable))
            (unreachable))
          (local.set $l4
            (if $I14 (result i32)
              (i32.and
                (i32.and
                  (i32.and
                    (local.get $l13)
                    (i32.const 4095))
                  (i32.xor
                    (i32.and
                      (local.get $l9)
                      (i32.const 4095))
                    (i32.const -1)))
                (i32.const 1))
              (then
                (i32.or
                  (i32.and
                    (local.get $l8)
                    (i32.const -2))
                  (call_indirect $env.table (type $t0)
                    (i32.and
                      (i32.shr_u
                        (local.get $l13)
                        (i32.const 12))
                      (i32.const 255))
                    (i32.shr_u
                      (local.get $l13)
                      (i32.const 20))
                    (local.get $l1)
                    (local.get $l2)
                    (local.get $l3)
                    (i32.const 10))))
              (else
                (local.get $l8))))
          (i32.store offset=2097188
            (i32.const 0)
            (local.get $l4))
          (i32.store offset=2097192
            (i32.const 0)
            (local.get $l9))
          (i32.store offset=2097196
            (i32.const 0)
            (local.get $l10))
          (i32.store offset=2097200
            (i32.const 0)
            (local.get $l11))
          (i32.store offset=2097204
            (i32.const 0)
            (local.get $l12))
          (i32.store offset=2097156
            (i32.const 0)
            (local.get $l5))
          (i32.store offset=2097176
            (i32.const 0)
            (local.get $l6))
          (i32.store offset=2097180
            (i32.const 0)
            (local.get $l7))
          (i32.store offset=2097208
            (i32.const 0)
            (local.get $l14))
          (i32.store offset=2097184
            (i32.const 0)
            (local.get $l15))
          (return
            (i32.const 0)))
        (local.set $l1
          (if $I15 (result i32)
            (i32.and
              (i32.and
                (i32.and
                  (local.get $l13)
                  (i32.const 4095))
                (i32.xor
                  (i32.and
                    (local.get $l9)
                    (i32.const 4095))
                  (i32.const -1)))
              (i32.const 1))
            (then
              (i32.or
                (i32.and
                  (local.get $l8)
                  (i32.const -2))
                (call_indirect $env.table (type $t0)
                  (i32.and
                    (i32.shr_u
                      (local.get $l13)
                      (i32.const 12))
                    (i32.const 255))
                  (i32.shr_u
                    (local.get $l13)
                    (i32.const 20))
                  (local.get $l1)
                  (local.get $l2)
                  (local.get $l3)
                  (i32.const 10))))
            (else
              (local.get $l8))))
        (i32.store offset=2097188
          (i32.const 0)
          (local.get $l1))
        (i32.store offset=2097192
          (i32.const 0)
          (local.get $l9))
        (i32.store offset=2097196
          (i32.const 0)
          (local.get $l10))
        (i32.store offset=2097200
          (i32.const 0)
          (local.get $l11))
        (i32.store offset=2097204
          (i32.const 0)
          (local.get $l12))
        (i32.store offset=2097156
          (i32.const 0)
          (local.get $l5))
        (i32.store offset=2097176
          (i32.const 0)
          (local.get $l6))
        (i32.store offset=2097180
          (i32.const 0)
          (local.get $l7))
        (i32.store offset=2097208
          (i32.const 0)
          (local.get $l14))
        (i32.store offset=2097184
          (i32.const 0)
          (local.get $l15))
        (return
          (i32.const 1)))
      (unreachable))
    (i32.store offset=2097156
      (i32.const 0)
      (local.get $l5))
    (i32.store offset=2097176
      (i32.const 0)
      (local.get $l6))
    (i32.store offset=2097180
      (i32.const 0)
      (local.get $l7))
    (return
      (local.get $l16)))
  (func $f1 (type $t2) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32) (param $p6 i32) (param $p7 i32) (param $p8 i32)
    (local.set $p0
      (if $I0 (result i32)
        (i32.and
          (i32.and
            (local.get $p5)
            (i32.xor
              (local.get $p1)
              (i32.const -1)))
          (i32.const 1))
        (then
          (i32.or
            (i32.and
              (local.get $p0)
              (i32.const -2))
            (call_indirect $env.table (type $t0)
              (i32.and
                (i32.shr_u
                  (local.get $p5)
                  (i32.const 12))
                (i32.const 255))
              (i32.shr_u
                (local.get $p5)
                (i32.const 20))
              (local.get $p6)
              (local.get $p7)
              (local.get $p8)
              (i32.const 10))))
        (else
          (local.get $p0))))
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
  (func $f2 (type $t3) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32)
    (i32.store offset=2097184
      (i32.const 0)
      (local.get $p0))
    (i32.store offset=2097208
      (i32.const 0)
      (local.get $p1))
    (i32.store offset=2097216
      (i32.const 0)
      (local.get $p2))
    (i32.store offset=2097220
      (i32.const 0)
      (local.get $p3))))
