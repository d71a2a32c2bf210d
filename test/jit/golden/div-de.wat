;; div-de: DIV ECX, which raises #DE on a zero divisor or a quotient that does not fit
;; guest bytes at 100000: f7 f1 eb 10
(module
  (type $t0 (func (param i32 i32 i32 i32 i32) (result i32)))
  (type $t1 (func (param i32) (result i32)))
  (type $t2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (type $t3 (func (param i32 i32 i32 i32)))
  (import "env" "memory" (memory $env.memory 113 113))
  (import "env" "table" (table $env.table 11 funcref))
  (func $run (export "run") (type $t1) (param $p0 i32) (result i32)
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $l5 i32) (local $l6 i32) (local $l7 i32) (local $l8 i32) (local $l9 i32) (local $l10 i32) (local $l11 i32) (local $l12 i32) (local $l13 i32) (local $l14 i32) (local $l15 i32) (local $l16 i32) (local $l17 i64) (local $l18 i64) (local $l19 i64)
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
              (i32.load offset=2097188
                (i32.const 0)))
            (local.set $l8
              (i32.load offset=2097192
                (i32.const 0)))
            (local.set $l9
              (i32.load offset=2097196
                (i32.const 0)))
            (local.set $l10
              (i32.load offset=2097200
                (i32.const 0)))
            (local.set $l11
              (i32.load offset=2097204
                (i32.const 0)))
            (local.set $l12
              (i32.const 0))
            (local.set $l13
              (i32.const 0))
            (local.set $l13
              (i32.load offset=2097208
                (i32.const 0)))
            (local.set $l12
              (i32.const 0))
            (if $I4
              (i32.lt_s
                (local.get $l13)
                (i32.const 2))
              (then
                (local.set $l14
                  (i32.const 1048576))
                (br $B2)))
            (local.set $l13
              (i32.sub
                (local.get $l13)
                (i32.const 2)))
            (local.set $l5
              (local.get $l5))
            (local.set $l15
              (local.get $l6))
            (local.set $l16
              (local.get $l4))
            (local.set $l17
              (i64.or
                (i64.shl
                  (i64.extend_i32_u
                    (local.get $l15))
                  (i64.const 32))
                (i64.extend_i32_u
                  (local.get $l16))))
            (local.set $l18
              (i64.extend_i32_u
                (local.get $l5)))
            (local.set $l5
              (i64.eqz
                (local.get $l18)))
            (local.set $l18
              (select
                (i64.const 1)
                (local.get $l18)
                (local.get $l5)))
            (local.set $l19
              (i64.div_u
                (local.get $l17)
                (local.get $l18)))
            (local.set $l17
              (i64.rem_u
                (local.get $l17)
                (local.get $l18)))
            (local.set $l5
              (i32.or
                (local.get $l5)
                (i64.gt_u
                  (local.get $l19)
                  (i64.const 4294967295))))
            (local.set $l15
              (i32.wrap_i64
                (local.get $l19)))
            (local.set $l16
              (i32.wrap_i64
                (local.get $l17)))
            (if $I5
              (local.get $l5)
              (then
                (call $f1
                  (local.get $l7)
                  (local.get $l8)
                  (local.get $l9)
                  (local.get $l10)
                  (local.get $l11)
                  (local.get $l12)
                  (local.get $l1)
                  (local.get $l2)
                  (local.get $l3))
                (call $f2
                  (i32.const 1048576)
                  (i32.add
                    (local.get $l13)
                    (i32.const 2))
                  (i32.const 0)
                  (i32.const 0))
                (local.set $l5
                  (i32.const 2))
                (br $B0)))
            (local.set $l4
              (local.get $l15))
            (local.set $l6
              (local.get $l16))
            (local.set $l14
              (i32.const 1048596))
            (br $B3))
          (local.set $l15
            (if $I6 (result i32)
              (i32.and
                (i32.and
                  (i32.and
                    (local.get $l12)
                    (i32.const 4095))
                  (i32.xor
                    (i32.and
                      (local.get $l8)
                      (i32.const 4095))
                    (i32.const -1)))
                (i32.const 1))
              (then
                (i32.or
                  (i32.and
                    (local.get $l7)
                    (i32.const -2))
                  (call_indirect $env.table (type $t0)
                    (i32.and
                      (i32.shr_u
                        (local.get $l12)
                        (i32.const 12))
                      (i32.const 255))
                    (i32.shr_u
                      (local.get $l12)
                      (i32.const 20))
                    (local.get $l1)
                    (local.get $l2)
                    (local.get $l3)
                    (i32.const 10))))
              (else
                (local.get $l7))))
          (i32.store offset=2097188
            (i32.const 0)
            (local.get $l15))
          (i32.store offset=2097192
            (i32.const 0)
            (local.get $l8))
          (i32.store offset=2097196
            (i32.const 0)
            (local.get $l9))
          (i32.store offset=2097200
            (i32.const 0)
            (local.get $l10))
          (i32.store offset=2097204
            (i32.const 0)
            (local.get $l11))
          (i32.store offset=2097152
            (i32.const 0)
            (local.get $l4))
          (i32.store offset=2097160
            (i32.const 0)
            (local.get $l6))
          (i32.store offset=2097208
            (i32.const 0)
            (local.get $l13))
          (i32.store offset=2097184
            (i32.const 0)
            (local.get $l14))
          (return
            (i32.const 0)))
        (local.set $l1
          (if $I7 (result i32)
            (i32.and
              (i32.and
                (i32.and
                  (local.get $l12)
                  (i32.const 4095))
                (i32.xor
                  (i32.and
                    (local.get $l8)
                    (i32.const 4095))
                  (i32.const -1)))
              (i32.const 1))
            (then
              (i32.or
                (i32.and
                  (local.get $l7)
                  (i32.const -2))
                (call_indirect $env.table (type $t0)
                  (i32.and
                    (i32.shr_u
                      (local.get $l12)
                      (i32.const 12))
                    (i32.const 255))
                  (i32.shr_u
                    (local.get $l12)
                    (i32.const 20))
                  (local.get $l1)
                  (local.get $l2)
                  (local.get $l3)
                  (i32.const 10))))
            (else
              (local.get $l7))))
        (i32.store offset=2097188
          (i32.const 0)
          (local.get $l1))
        (i32.store offset=2097192
          (i32.const 0)
          (local.get $l8))
        (i32.store offset=2097196
          (i32.const 0)
          (local.get $l9))
        (i32.store offset=2097200
          (i32.const 0)
          (local.get $l10))
        (i32.store offset=2097204
          (i32.const 0)
          (local.get $l11))
        (i32.store offset=2097152
          (i32.const 0)
          (local.get $l4))
        (i32.store offset=2097160
          (i32.const 0)
          (local.get $l6))
        (i32.store offset=2097208
          (i32.const 0)
          (local.get $l13))
        (i32.store offset=2097184
          (i32.const 0)
          (local.get $l14))
        (return
          (i32.const 1)))
      (unreachable))
    (i32.store offset=2097152
      (i32.const 0)
      (local.get $l4))
    (i32.store offset=2097160
      (i32.const 0)
      (local.get $l6))
    (return
      (local.get $l5)))
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
