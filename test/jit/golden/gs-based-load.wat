;; gs-based-load: a load through GS, not flat: when the state block says it spans 4 GiB, its base plus the offset, through the inline TLB
;; guest bytes at 100000: 65 a1 14 00 00 00 eb 10
(module
  (type $t0 (func (param i32 i32 i32 i32 i32) (result i32)))
  (type $t1 (func (param i32) (result i32)))
  (type $t2 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "env" "memory" (memory $env.memory 113 113))
  (import "env" "table" (table $env.table 11 funcref))
  (func $run (export "run") (type $t1) (param $p0 i32) (result i32)
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $l5 i32) (local $l6 i32) (local $l7 i32) (local $l8 i32) (local $l9 i32) (local $l10 i32) (local $l11 i32) (local $l12 i32) (local $l13 i32) (local $l14 i32)
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
              (i32.load offset=2097188
                (i32.const 0)))
            (local.set $l6
              (i32.load offset=2097192
                (i32.const 0)))
            (local.set $l7
              (i32.load offset=2097196
                (i32.const 0)))
            (local.set $l8
              (i32.load offset=2097200
                (i32.const 0)))
            (local.set $l9
              (i32.load offset=2097204
                (i32.const 0)))
            (local.set $l10
              (i32.const 0))
            (local.set $l11
              (i32.const 0))
            (local.set $l11
              (i32.load offset=2097208
                (i32.const 0)))
            (local.set $l10
              (i32.const 0))
            (if $I4
              (i32.lt_s
                (local.get $l11)
                (i32.const 2))
              (then
                (local.set $l12
                  (i32.const 1048576))
                (br $B2)))
            (local.set $l11
              (i32.sub
                (local.get $l11)
                (i32.const 2)))
            (local.set $l13
              (i32.add
                (i32.load offset=2097292
                  (i32.const 0))
                (i32.const 20)))
            (local.set $l14
              (i32.load offset=2101248
                (i32.shl
                  (i32.shr_u
                    (local.get $l13)
                    (i32.const 12))
                  (i32.const 2))))
            (block $B5
              (block $B6
                (br_if $B6
                  (i32.eqz
                    (i32.and
                      (i32.load offset=2097296
                        (i32.const 0))
                      (i32.const 32))))
                (br_if $B6
                  (i32.ne
                    (i32.and
                      (local.get $l14)
                      (i32.const 65))
                    (i32.const 1)))
                (br_if $B6
                  (i32.gt_u
                    (i32.and
                      (local.get $l13)
                      (i32.const 4095))
                    (i32.const 4092)))
                (local.set $l13
                  (i32.load align=1
                    (i32.xor
                      (i32.and
                        (local.get $l14)
                        (i32.const -4096))
                      (local.get $l13))))
                (br $B5))
              (call $f1
                (local.get $l5)
                (local.get $l6)
                (local.get $l7)
                (local.get $l8)
                (local.get $l9)
                (local.get $l10)
                (local.get $l1)
                (local.get $l2)
                (local.get $l3)
                (local.get $l11))
              (local.set $l13
                (call_indirect $env.table (type $t0)
                  (i32.const 5)
                  (i32.const 20)
                  (i32.const 4)
                  (i32.const 1048576)
                  (i32.const 2)
                  (i32.const 0)))
              (if $I7
                (i32.load offset=2097236
                  (i32.const 0))
                (then
                  (br $B1)))
              (local.set $l11
                (i32.load offset=2097208
                  (i32.const 0))))
            (local.set $l4
              (local.get $l13))
            (local.set $l12
              (i32.const 1048600))
            (br $B3))
          (local.set $l13
            (if $I8 (result i32)
              (i32.and
                (i32.and
                  (i32.and
                    (local.get $l10)
                    (i32.const 4095))
                  (i32.xor
                    (i32.and
                      (local.get $l6)
                      (i32.const 4095))
                    (i32.const -1)))
                (i32.const 1))
              (then
                (i32.or
                  (i32.and
                    (local.get $l5)
                    (i32.const -2))
                  (call_indirect $env.table (type $t0)
                    (i32.and
                      (i32.shr_u
                        (local.get $l10)
                        (i32.const 12))
                      (i32.const 255))
                    (i32.shr_u
                      (local.get $l10)
                      (i32.const 20))
                    (local.get $l1)
                    (local.get $l2)
                    (local.get $l3)
                    (i32.const 10))))
              (else
                (local.get $l5))))
          (i32.store offset=2097188
            (i32.const 0)
            (local.get $l13))
          (i32.store offset=2097192
            (i32.const 0)
            (local.get $l6))
          (i32.store offset=2097196
            (i32.const 0)
            (local.get $l7))
          (i32.store offset=2097200
            (i32.const 0)
            (local.get $l8))
          (i32.store offset=2097204
            (i32.const 0)
            (local.get $l9))
          (i32.store offset=2097152
            (i32.const 0)
            (local.get $l4))
          (i32.store offset=2097208
            (i32.const 0)
            (local.get $l11))
          (i32.store offset=2097184
            (i32.const 0)
            (local.get $l12))
          (return
            (i32.const 0)))
        (local.set $l1
          (if $I9 (result i32)
            (i32.and
              (i32.and
                (i32.and
                  (local.get $l10)
                  (i32.const 4095))
                (i32.xor
                  (i32.and
                    (local.get $l6)
                    (i32.const 4095))
                  (i32.const -1)))
              (i32.const 1))
            (then
              (i32.or
                (i32.and
                  (local.get $l5)
                  (i32.const -2))
                (call_indirect $env.table (type $t0)
                  (i32.and
                    (i32.shr_u
                      (local.get $l10)
                      (i32.const 12))
                    (i32.const 255))
                  (i32.shr_u
                    (local.get $l10)
                    (i32.const 20))
                  (local.get $l1)
                  (local.get $l2)
                  (local.get $l3)
                  (i32.const 10))))
            (else
              (local.get $l5))))
        (i32.store offset=2097188
          (i32.const 0)
          (local.get $l1))
        (i32.store offset=2097192
          (i32.const 0)
          (local.get $l6))
        (i32.store offset=2097196
          (i32.const 0)
          (local.get $l7))
        (i32.store offset=2097200
          (i32.const 0)
          (local.get $l8))
        (i32.store offset=2097204
          (i32.const 0)
          (local.get $l9))
        (i32.store offset=2097152
          (i32.const 0)
          (local.get $l4))
        (i32.store offset=2097208
          (i32.const 0)
          (local.get $l11))
        (i32.store offset=2097184
          (i32.const 0)
          (local.get $l12))
        (return
          (i32.const 1)))
      (i32.store offset=2097152
        (i32.const 0)
        (local.get $l4))
      (return
        (i32.const 4)))
    (unreachable))
  (func $f1 (type $t2) (param $p0 i32) (param $p1 i32) (param $p2 i32) (param $p3 i32) (param $p4 i32) (param $p5 i32) (param $p6 i32) (param $p7 i32) (param $p8 i32) (param $p9 i32)
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
      (local.get $p4))
    (i32.store offset=2097208
      (i32.const 0)
      (local.get $p9))))
