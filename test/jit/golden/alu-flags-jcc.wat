;; alu-flags-jcc: SUB whose CF is consumed by a JB in the same block
;; guest bytes at 100000: 29 d8 72 10
(module
  (type $t0 (func (param i32 i32 i32 i32 i32) (result i32)))
  (type $t1 (func (param i32) (result i32)))
  (import "env" "memory" (memory $env.memory 113 113))
  (import "env" "table" (table $env.table 11 funcref))
  (func $run (export "run") (type $t1) (param $p0 i32) (result i32)
    (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $l4 i32) (local $l5 i32) (local $l6 i32) (local $l7 i32) (local $l8 i32) (local $l9 i32) (local $l10 i32) (local $l11 i32) (local $l12 i32) (local $l13 i32) (local $l14 i32) (local $l15 i32) (local $l16 i32)
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
              (i32.load offset=2097164
                (i32.const 0)))
            (local.set $l6
              (i32.load offset=2097188
                (i32.const 0)))
            (local.set $l7
              (i32.load offset=2097192
                (i32.const 0)))
            (local.set $l8
              (i32.load offset=2097196
                (i32.const 0)))
            (local.set $l9
              (i32.load offset=2097200
                (i32.const 0)))
            (local.set $l10
              (i32.load offset=2097204
                (i32.const 0)))
            (local.set $l11
              (i32.const 0))
            (local.set $l12
              (i32.const 0))
            (local.set $l12
              (i32.load offset=2097208
                (i32.const 0)))
            (local.set $l11
              (i32.const 0))
            (if $I4
              (i32.lt_s
                (local.get $l12)
                (i32.const 2))
              (then
                (local.set $l13
                  (i32.const 1048576))
                (br $B2)))
            (local.set $l12
              (i32.sub
                (local.get $l12)
                (i32.const 2)))
            (local.set $l14
              (local.get $l4))
            (local.set $l5
              (local.get $l5))
            (local.set $l15
              (i32.sub
                (local.get $l14)
                (local.get $l5)))
            (local.set $l4
              (local.get $l15))
            (local.set $l16
              (i32.lt_u
                (local.get $l14)
                (local.get $l5)))
            (local.set $l11
              (i32.const 0))
            (local.set $l7
              (i32.const 4204757))
            (local.set $l8
              (local.get $l15))
            (local.set $l9
              (local.get $l14))
            (local.set $l10
              (local.get $l5))
            (local.set $l13
              (select
                (i32.const 1048596)
                (i32.const 1048580)
                (local.get $l16)))
            (br $B3))
          (local.set $l5
            (if $I5 (result i32)
              (i32.and
                (i32.and
                  (i32.and
                    (local.get $l11)
                    (i32.const 4095))
                  (i32.xor
                    (i32.and
                      (local.get $l7)
                      (i32.const 4095))
                    (i32.const -1)))
                (i32.const 1))
              (then
                (i32.or
                  (i32.and
                    (local.get $l6)
                    (i32.const -2))
                  (call_indirect $env.table (type $t0)
                    (i32.and
                      (i32.shr_u
                        (local.get $l11)
                        (i32.const 12))
                      (i32.const 255))
                    (i32.shr_u
                      (local.get $l11)
                      (i32.const 20))
                    (local.get $l1)
                    (local.get $l2)
                    (local.get $l3)
                    (i32.const 10))))
              (else
                (local.get $l6))))
          (i32.store offset=2097188
            (i32.const 0)
            (local.get $l5))
          (i32.store offset=2097192
            (i32.const 0)
            (local.get $l7))
          (i32.store offset=2097196
            (i32.const 0)
            (local.get $l8))
          (i32.store offset=2097200
            (i32.const 0)
            (local.get $l9))
          (i32.store offset=2097204
            (i32.const 0)
            (local.get $l10))
          (i32.store offset=2097152
            (i32.const 0)
            (local.get $l4))
          (i32.store offset=2097208
            (i32.const 0)
            (local.get $l12))
          (i32.store offset=2097184
            (i32.const 0)
            (local.get $l13))
          (return
            (i32.const 0)))
        (local.set $l1
          (if $I6 (result i32)
            (i32.and
              (i32.and
                (i32.and
                  (local.get $l11)
                  (i32.const 4095))
                (i32.xor
                  (i32.and
                    (local.get $l7)
                    (i32.const 4095))
                  (i32.const -1)))
              (i32.const 1))
            (then
              (i32.or
                (i32.and
                  (local.get $l6)
                  (i32.const -2))
                (call_indirect $env.table (type $t0)
                  (i32.and
                    (i32.shr_u
                      (local.get $l11)
                      (i32.const 12))
                    (i32.const 255))
                  (i32.shr_u
                    (local.get $l11)
                    (i32.const 20))
                  (local.get $l1)
                  (local.get $l2)
                  (local.get $l3)
                  (i32.const 10))))
            (else
              (local.get $l6))))
        (i32.store offset=2097188
          (i32.const 0)
          (local.get $l1))
        (i32.store offset=2097192
          (i32.const 0)
          (local.get $l7))
        (i32.store offset=2097196
          (i32.const 0)
          (local.get $l8))
        (i32.store offset=2097200
          (i32.const 0)
          (local.get $l9))
        (i32.store offset=2097204
          (i32.const 0)
          (local.get $l10))
        (i32.store offset=2097152
          (i32.const 0)
          (local.get $l4))
        (i32.store offset=2097208
          (i32.const 0)
          (local.get $l12))
        (i32.store offset=2097184
          (i32.const 0)
          (local.get $l13))
        (return
          (i32.const 1)))
      (unreachable))
    (unreachable)))
