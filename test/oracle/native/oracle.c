/*
 * wasmvisor native oracle.
 *
 * Runs one x86 instruction at a time on the host CPU at CPL 3 in a 32-bit
 * (or 16-bit) code segment, from a fully specified state, and reports the
 * state at the first exception. See ../layout.ts for the environment and
 * ../native.ts for the protocol peer.
 *
 * The host process is a 64-bit (x86_64, PIE) Linux process and the guest runs
 * in compatibility mode: CS = 0x23 (the same 32-bit user code segment every
 * 32-bit Linux process uses) or a 16-bit LDT code segment. Being a 64-bit
 * process means the whole low 4 GiB holds nothing but the guest pages, so the
 * guest cannot read, write or jump into the harness, libc or the vDSO
 * whatever addresses it computes.
 *
 * Entry: IRETQ from 64-bit mode straight into the guest (no system call).
 * Exit:  the guest's first exception becomes a signal; the handler (on an
 *        alternate stack) copies the interrupted state out of the ucontext
 *        and jumps back into oracle_enter's caller (oracle_leave).
 * Timeout: ITIMER_REAL ticks every 10 ms while cases are being processed; once
 *        5 ticks have been delivered while the same case's guest code was
 *        running (i.e. after 40..50 ms) the case is abandoned
 *        (--timeout-ms=N scales the tick). Ticks that arrive while the
 *        harness runs are ignored, and a descheduled process gets at most one
 *        pending SIGALRM, so a short case cannot be killed spuriously.
 *        (ITIMER_VIRTUAL would measure CPU time, but it is jiffy-granular:
 *        a 10 ms interval becomes 12+ ms.)
 *
 * Protocol (stdin -> stdout, little-endian, see native.ts):
 *   startup:  HELLO record
 *   'CASE' record (212 bytes) -> 'RSLT' record (172 bytes + 3 per write)
 *   'FILL' record (212 bytes) -> 'FILL' magic, seed, MEM_SIZE bytes of the
 *                                initial memory image for that seed
 *
 * x87/MMX state: a case sets FCW, FSW (TOP included), the abridged tag word
 * and the eight physical registers R0..R7 (80 bits each); FOP, FIP and FDP
 * start at 0, SSE/AVX at their init state. The result reports the same
 * fields plus FOP, FIP and FDP, read from the FPU image the kernel saves in
 * the signal frame (XSAVE64 layout: FIP/FDP are offsets, no FCS/FDS).
 *
 * Memory patch: a case may overwrite up to 32 bytes of the seed's memory
 * image (to place chosen operands); writes are then reported against the
 * patched image.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef __x86_64__
#error "the native oracle host must be built as an x86_64 program"
#endif

/* ---- environment (must match layout.ts) -------------------------------- */

#define CODE_BASE 0x1000u
#define CODE_SIZE 0x2000u
#define CODE_FILL 0xF4u
#define MEM_BASE 0x4000u
#define MEM_SIZE 0x6000u
#define RO_OFF 0x3000u /* 0x7000 - MEM_BASE */
#define RO_SIZE 0x1000u
#define MAX_CODE 32u

#define SEL_CODE32 0x23u
#define SEL_DATA32 0x2Bu
#define SEL_CODE16 0x07u
#define SEL_DATA16 0x0Fu
#define SEL_CODE64 0x33u /* host __USER_CS */

#define XS_ZERO_SEED 0x9E3779B9u
#define EFLAGS_CASE_MASK 0x00200ED5u /* CF PF AF ZF SF DF OF ID */
#define EFLAGS_FIXED 0x00000202u     /* bit 1, IF */

/* Timeout: TIMEOUT_TICKS ticks of ITIMER_REAL that land in the guest.
   Default 50 ms; `oracle --timeout-ms=N` changes it. */
#define TIMEOUT_TICKS 5
static long timer_interval_us = 10000;

/* ---- protocol ----------------------------------------------------------- */

#define MAGIC_HELLO 0x4C43524Fu /* "ORCL" */
#define MAGIC_CASE 0x45534143u  /* "CASE" */
#define MAGIC_FILL 0x4C4C4946u  /* "FILL" */
#define MAGIC_RSLT 0x544C5352u  /* "RSLT" */
#define PROTOCOL_VERSION 2u

#define CASE_SIZE 212u
#define RESULT_HEADER 172u
/* Offsets of the x87 block in a CASE record and in a RSLT record. */
#define CASE_FPU 84u
#define CASE_PATCH 172u /* u32 address, u8 length, 3 pad, 32 bytes */
#define MAX_PATCH 32u
#define RSLT_FPU 76u

enum { ST_OK = 0, ST_REFUSED = 1, ST_INVALID = 2, ST_ENTRY_FAILED = 3 };

/* ---- guest entry (entry.S) ---------------------------------------------- */

struct oracle_entry {
  uint32_t regs[8];
  uint64_t frame;
  uint16_t ds, es;
  uint32_t use_xsave;
  uint64_t fpu_image;
  uint32_t xmask_lo, xmask_hi;
};
_Static_assert(sizeof(struct oracle_entry) == 64, "entry layout");

extern void oracle_enter(struct oracle_entry *e);
extern void oracle_leave(void) __attribute__((noreturn));
extern void oracle_sig_trampoline(int, siginfo_t *, void *);
void oracle_sig_handler(int, siginfo_t *, void *) __attribute__((visibility("hidden")));

/* ---- state -------------------------------------------------------------- */

static uint8_t *code_rw;   /* RW alias of CODE_BASE..+CODE_SIZE */
static uint8_t *mem_rw;    /* RW alias of MEM_BASE..+MEM_SIZE */
static uint8_t *mem_ref;   /* initial image for cur_seed (points into seed_cache) */
static uint32_t cur_seed;
static int have_seed;

/* Recently used initial images, so alternating between a few seeds costs a
   24 KiB copy instead of regenerating. */
#define SEED_CACHE 16
static struct {
  uint32_t seed;
  int valid;
  uint64_t used;
  uint8_t *image;
} seed_cache[SEED_CACHE];
static uint64_t seed_clock;

static uint64_t frame32[5] __attribute__((aligned(16)));
static uint8_t *frame16_region;          /* 4 GiB, 4 GiB-aligned, lazily touched */
static uint8_t frame16_touched[65536 / 8];
static unsigned frame16_count;
#define FRAME16_MAX_PAGES 2048

static struct oracle_entry entry;
static uint64_t host_fsbase, host_gsbase;
static int have_fsgsbase;

/* Filled by the signal handler. */
static volatile int in_guest;
static volatile int guest_ticks;
static volatile int entry_failed;
static struct {
  uint32_t regs[8];
  uint32_t eip, eflags;
  int32_t vector;
  uint32_t err, cr2;
  uint16_t sregs[6]; /* ES CS SS DS FS GS */
  int have_fpu;
  uint8_t fx[160]; /* legacy FXSAVE region: control words, pointers, ST0..ST7 */
} res;

/* ---- small helpers ------------------------------------------------------ */

static void die(const char *msg) {
  fprintf(stderr, "oracle: %s (errno %d: %s)\n", msg, errno, strerror(errno));
  exit(70);
}

static void put_hex(char *p, uint64_t v) {
  for (int i = 15; i >= 0; i--) {
    p[i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  }
}

/* Async-signal-safe fatal path: no stdio, no TLS. */
static void __attribute__((noreturn)) sig_fatal(int sig, uint64_t rip, uint64_t trapno) {
  char msg[] = "oracle: host fault sig=0000000000000000 rip=0000000000000000 trap=0000000000000000\n";
  put_hex(msg + 23, (uint64_t)sig);
  put_hex(msg + 44, rip);
  put_hex(msg + 66, trapno);
  syscall(SYS_write, 2, msg, sizeof msg - 1);
  syscall(SYS_exit_group, 71);
  __builtin_unreachable();
}

static inline uint16_t read_sreg(int which) {
  uint16_t v = 0;
  switch (which) {
    case 0: __asm__ volatile("mov %%es, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%ds, %0" : "=r"(v)); break;
    case 4: __asm__ volatile("mov %%fs, %0" : "=r"(v)); break;
    case 5: __asm__ volatile("mov %%gs, %0" : "=r"(v)); break;
  }
  return v;
}

/* ---- signal handler ----------------------------------------------------- */

static void capture(const greg_t *g, int32_t vector) {
  res.regs[0] = (uint32_t)g[REG_RAX];
  res.regs[1] = (uint32_t)g[REG_RCX];
  res.regs[2] = (uint32_t)g[REG_RDX];
  res.regs[3] = (uint32_t)g[REG_RBX];
  res.regs[4] = (uint32_t)g[REG_RSP];
  res.regs[5] = (uint32_t)g[REG_RBP];
  res.regs[6] = (uint32_t)g[REG_RSI];
  res.regs[7] = (uint32_t)g[REG_RDI];
  res.eip = (uint32_t)g[REG_RIP];
  res.eflags = (uint32_t)g[REG_EFL];
  res.vector = vector;
  res.err = vector >= 0 ? (uint32_t)g[REG_ERR] : 0;
  /* sigcontext.cr2 is only meaningful for #PF; otherwise it is stale. */
  res.cr2 = vector == 14 ? (uint32_t)g[REG_CR2] : 0;
  uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];
  res.sregs[0] = read_sreg(0);
  res.sregs[1] = (uint16_t)csgsfs;
  res.sregs[2] = (uint16_t)(csgsfs >> 48); /* ss (UC_SIGCONTEXT_SS) */
  res.sregs[3] = read_sreg(3);
  res.sregs[4] = read_sreg(4);
  res.sregs[5] = read_sreg(5);
}

/* The guest's x87 state as the kernel saved it into the signal frame. */
static void capture_fpu(const ucontext_t *uc) {
  const uint8_t *fx = (const uint8_t *)uc->uc_mcontext.fpregs;
  res.have_fpu = fx != NULL;
  if (fx) memcpy(res.fx, fx, sizeof res.fx);
}

void oracle_sig_handler(int sig, siginfo_t *si, void *ctx) {
  (void)si;
  ucontext_t *uc = ctx;
  const greg_t *g = uc->uc_mcontext.gregs;
  uint16_t cs = (uint16_t)g[REG_CSGSFS];
  uint64_t rip = (uint64_t)g[REG_RIP];
  /* Guest context: anything not 64-bit code, or 64-bit code below 4 GiB (a
     guest that far-jumped to selector 0x33). Harness code lives above 4 GiB. */
  int guest = in_guest && (cs != SEL_CODE64 || rip < 0x100000000ull);

  if (sig == SIGALRM) {
    if (!guest) return;
    if (++guest_ticks < TIMEOUT_TICKS) return;
    capture(g, -1);
    capture_fpu(uc);
    in_guest = 0;
    oracle_leave();
  }
  if (!guest) {
    if (in_guest) {
      /* Faulted in the entry sequence itself (before IRETQ completed). */
      capture(g, (int32_t)g[REG_TRAPNO]);
      entry_failed = 1;
      in_guest = 0;
      oracle_leave();
    }
    sig_fatal(sig, rip, (uint64_t)g[REG_TRAPNO]);
  }
  capture(g, (int32_t)g[REG_TRAPNO]);
  capture_fpu(uc);
  in_guest = 0;
  oracle_leave();
}

/* ---- memory ------------------------------------------------------------- */

/* xorshift32 jump-ahead: JUMP[b] is the state reached from state (1 << b)
   after LANE_WORDS steps (the map is linear over GF(2)). */
#define LANES 16
#define MEM_WORDS (MEM_SIZE / 4)
#define LANE_WORDS (MEM_WORDS / LANES)
_Static_assert(MEM_WORDS % LANES == 0, "lanes");
static uint32_t JUMP[32];

static uint32_t xs_step(uint32_t x) {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

static void init_jump(void) {
  for (int b = 0; b < 32; b++) {
    uint32_t x = 1u << b;
    for (unsigned i = 0; i < LANE_WORDS; i++) x = xs_step(x);
    JUMP[b] = x;
  }
}

static uint32_t jump(uint32_t v) {
  uint32_t r = 0;
  for (int b = 0; b < 32; b++) r ^= JUMP[b] & (0u - ((v >> b) & 1u));
  return r;
}

typedef uint32_t v4u __attribute__((vector_size(16)));

/* Same bytes as layout.ts fillMemory(seed, out[MEM_SIZE]): one xorshift32
   stream, computed as 16 interleaved sub-streams for speed. */
static void fill_memory(uint32_t seed, uint8_t *out) {
  uint32_t s[LANES] __attribute__((aligned(16)));
  s[0] = seed ? seed : XS_ZERO_SEED;
  for (int k = 1; k < LANES; k++) s[k] = jump(s[k - 1]);
  v4u a, b, c, d;
  memcpy(&a, s, 16);
  memcpy(&b, s + 4, 16);
  memcpy(&c, s + 8, 16);
  memcpy(&d, s + 12, 16);
  uint32_t *o = (uint32_t *)out;
#define XS(v) (v ^= v << 13, v ^= v >> 17, v ^= v << 5)
  for (unsigned j = 0; j < LANE_WORDS; j++) {
    XS(a);
    XS(b);
    XS(c);
    XS(d);
    o[0 * LANE_WORDS + j] = a[0];
    o[1 * LANE_WORDS + j] = a[1];
    o[2 * LANE_WORDS + j] = a[2];
    o[3 * LANE_WORDS + j] = a[3];
    o[4 * LANE_WORDS + j] = b[0];
    o[5 * LANE_WORDS + j] = b[1];
    o[6 * LANE_WORDS + j] = b[2];
    o[7 * LANE_WORDS + j] = b[3];
    o[8 * LANE_WORDS + j] = c[0];
    o[9 * LANE_WORDS + j] = c[1];
    o[10 * LANE_WORDS + j] = c[2];
    o[11 * LANE_WORDS + j] = c[3];
    o[12 * LANE_WORDS + j] = d[0];
    o[13 * LANE_WORDS + j] = d[1];
    o[14 * LANE_WORDS + j] = d[2];
    o[15 * LANE_WORDS + j] = d[3];
  }
#undef XS
}

static int make_memfd(const char *name, size_t size) {
  int fd = (int)syscall(SYS_memfd_create, name, 0u);
  if (fd < 0) die("memfd_create");
  if (ftruncate(fd, (off_t)size) != 0) die("ftruncate");
  return fd;
}

static int pages_locked = 1;

/* Guest pages are populated and locked so their page-table entries are always
   present: otherwise e.g. a write to the read-only page reports error code 6
   (not present) or 7 (protection) depending on whether it was read before. */
static void map_fixed(uintptr_t addr, size_t len, int prot, int fd, off_t off) {
  void *p = mmap((void *)addr, len, prot, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE, fd, off);
  if (p == MAP_FAILED || (uintptr_t)p != addr) die("mmap of a guest page failed (address in use?)");
  if (mlock(p, len) != 0) {
    if (pages_locked) fprintf(stderr, "oracle: warning: mlock failed (errno %d); #PF error codes may vary\n", errno);
    pages_locked = 0;
  }
}

static void setup_memory(void) {
  int cfd = make_memfd("oracle-code", CODE_SIZE);
  map_fixed(CODE_BASE, CODE_SIZE, PROT_READ | PROT_EXEC, cfd, 0);
  code_rw = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
  if (code_rw == MAP_FAILED) die("mmap code alias");
  close(cfd);
  memset(code_rw, CODE_FILL, CODE_SIZE);

  int mfd = make_memfd("oracle-mem", MEM_SIZE);
  map_fixed(MEM_BASE, RO_OFF, PROT_READ | PROT_WRITE, mfd, 0);
  map_fixed(MEM_BASE + RO_OFF, RO_SIZE, PROT_READ, mfd, RO_OFF);
  map_fixed(MEM_BASE + RO_OFF + RO_SIZE, MEM_SIZE - RO_OFF - RO_SIZE, PROT_READ | PROT_WRITE, mfd,
            RO_OFF + RO_SIZE);
  mem_rw = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
  if (mem_rw == MAP_FAILED) die("mmap mem alias");
  close(mfd);

  for (int i = 0; i < SEED_CACHE; i++) {
    seed_cache[i].image = aligned_alloc(64, MEM_SIZE);
    if (!seed_cache[i].image) die("alloc");
  }

  /* IRETQ into a 16-bit stack segment loads only SP: ESP[31:16] keep the
     bits of the RSP that executed IRETQ. So the 16-bit frame lives at an
     address whose bits 31:16 equal the guest's ESP[31:16] (the kernel's
     espfix64 uses the same trick). Reserve 4 GiB aligned to 4 GiB. */
  size_t four_g = (size_t)1 << 32;
  uint8_t *r = mmap(NULL, 2 * four_g, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) die("reserve frame16 region");
  uint8_t *aligned = (uint8_t *)(((uintptr_t)r + four_g - 1) & ~(uintptr_t)(four_g - 1));
  if (mmap(aligned, four_g, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
           0) != aligned)
    die("map frame16 region");
  frame16_region = aligned;
}

static uint64_t *frame16_for(uint32_t esp) {
  uint32_t hi = esp >> 16;
  if (!(frame16_touched[hi >> 3] & (1u << (hi & 7)))) {
    if (frame16_count >= FRAME16_MAX_PAGES) {
      madvise(frame16_region, (size_t)1 << 32, MADV_DONTNEED);
      memset(frame16_touched, 0, sizeof frame16_touched);
      frame16_count = 0;
    }
    frame16_touched[hi >> 3] |= (uint8_t)(1u << (hi & 7));
    frame16_count++;
  }
  return (uint64_t *)(frame16_region + ((size_t)hi << 16) + 0x100);
}

/* Nothing but our pages may live below 4 GiB. */
static int low_memory_clean(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) return 0;
  char line[512];
  int clean = 1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
    if (lo >= 0x100000000ul) continue;
    int ours = (lo >= CODE_BASE && hi <= CODE_BASE + CODE_SIZE) || (lo >= MEM_BASE && hi <= MEM_BASE + MEM_SIZE);
    if (!ours) {
      fprintf(stderr, "oracle: unexpected low mapping: %s", line);
      clean = 0;
    }
  }
  fclose(f);
  return clean;
}

/* ---- segments ------------------------------------------------------------ */

static void setup_ldt(void) {
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = 0; /* 16-bit code: selector 0x07 */
  d.base_addr = 0;
  d.limit = 0xFFFF;
  d.seg_32bit = 0;
  d.contents = MODIFY_LDT_CONTENTS_CODE;
  d.read_exec_only = 0;
  d.limit_in_pages = 0;
  d.seg_not_present = 0;
  d.useable = 0;
  if (syscall(SYS_modify_ldt, 0x11, &d, sizeof d) != 0) die("modify_ldt (code16)");
  d.entry_number = 1; /* 16-bit data: selector 0x0F */
  d.contents = MODIFY_LDT_CONTENTS_DATA;
  if (syscall(SYS_modify_ldt, 0x11, &d, sizeof d) != 0) die("modify_ldt (data16)");
}

/* ---- FPU init image ---------------------------------------------------------- */

static uint8_t *fpu_image;

static void setup_fpu(void) {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  int osxsave = (c >> 27) & 1;
  size_t size = 512 + 64;
  uint64_t xcr0 = 0;
  if (osxsave) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = ((uint64_t)hi << 32) | lo;
    __cpuid_count(0xD, 0, a, b, c, d);
    if (b > size) size = b;
  }
  size = (size + 63) & ~(size_t)63;
  fpu_image = aligned_alloc(64, size);
  if (!fpu_image) die("alloc fpu image");
  memset(fpu_image, 0, size);
  fpu_image[0] = 0x7F; /* FCW 0x037F */
  fpu_image[1] = 0x03;
  uint32_t mxcsr = 0x1F80;
  memcpy(fpu_image + 24, &mxcsr, 4);
  /* XSAVE header (offset 512) stays zero: XSTATE_BV = 0 -> every requested
     component is put in its init state; MXCSR is loaded from the image. */
  entry.fpu_image = (uint64_t)(uintptr_t)fpu_image;
  entry.use_xsave = osxsave ? 1u : 0u;
  entry.xmask_lo = (uint32_t)xcr0;
  entry.xmask_hi = (uint32_t)(xcr0 >> 32);
}

/* ---- FS/GS bases ------------------------------------------------------------ */

static inline uint64_t rd_fsbase(void) {
  uint64_t v;
  __asm__ volatile("rdfsbase %0" : "=r"(v));
  return v;
}
static inline uint64_t rd_gsbase(void) {
  uint64_t v;
  __asm__ volatile("rdgsbase %0" : "=r"(v));
  return v;
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static void setup_fsgs(void) {
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
  have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
  if (syscall(SYS_arch_prctl, ARCH_GET_FS, &host_fsbase) != 0) die("arch_prctl(GET_FS)");
  if (syscall(SYS_arch_prctl, ARCH_GET_GS, &host_gsbase) != 0) die("arch_prctl(GET_GS)");
  if (read_sreg(4) != 0 || read_sreg(5) != 0) die("unexpected non-null FS/GS in the host process");
}

/* After the guest: the guest may have loaded FS/GS (even a null selector
   zeroes the base on this CPU family), and glibc needs FS for TLS. */
static void restore_fsgs(void) {
  uint16_t fs = read_sreg(4), gs = read_sreg(5);
  if (fs != 0) __asm__ volatile("mov %0, %%fs" ::"r"(0));
  if (gs != 0) __asm__ volatile("mov %0, %%gs" ::"r"(0));
  if (have_fsgsbase) {
    if (rd_fsbase() != host_fsbase) __asm__ volatile("wrfsbase %0" ::"r"(host_fsbase));
    if (rd_gsbase() != host_gsbase) __asm__ volatile("wrgsbase %0" ::"r"(host_gsbase));
  } else {
    /* No TLS access before this point (no errno: raw syscalls). */
    syscall(SYS_arch_prctl, ARCH_SET_FS, host_fsbase);
    syscall(SYS_arch_prctl, ARCH_SET_GS, host_gsbase);
  }
}

/* ---- I/O ------------------------------------------------------------------- */

static uint8_t *in_buf;
static size_t in_cap = 1u << 20, in_start, in_end;
static uint8_t *out_buf;
static size_t out_cap = 4u << 20, out_len;
#define OUT_RESERVE (RESULT_HEADER + 3u * MEM_SIZE + 64u)

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(1, out_buf + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) exit(0);
      die("write");
    }
    off += (size_t)n;
  }
  out_len = 0;
}

static void ensure_out(size_t n) {
  if (out_cap - out_len < n) flush_out();
}

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline uint32_t get32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint16_t get16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
  return v;
}

/* The timeout timer only runs while we process cases (no idle wake-ups). */
static void set_timer(int on) {
  struct itimerval it;
  memset(&it, 0, sizeof it);
  if (on) {
    it.it_interval.tv_sec = timer_interval_us / 1000000;
    it.it_interval.tv_usec = timer_interval_us % 1000000;
    it.it_value = it.it_interval;
  }
  if (setitimer(ITIMER_REAL, &it, NULL) != 0) die("setitimer");
}

/* Returns 0 on EOF (with no partial record pending). */
static int fill_input(size_t need) {
  if (in_end - in_start >= need) return 1;
  if (in_start > 0) {
    memmove(in_buf, in_buf + in_start, in_end - in_start);
    in_end -= in_start;
    in_start = 0;
  }
  flush_out(); /* about to block: hand over what we have */
  set_timer(0);
  while (in_end - in_start < need) {
    ssize_t n = read(0, in_buf + in_end, in_cap - in_end);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) {
      if (in_end != in_start) {
        fprintf(stderr, "oracle: truncated record at EOF\n");
        exit(65);
      }
      return 0;
    }
    in_end += (size_t)n;
  }
  set_timer(1);
  return 1;
}

/* The case's x87 state into the image oracle_enter restores: the legacy
   region holds ST0..ST7 in stack order, the case sends R0..R7 (physical). */
static void load_fpu_case(const uint8_t *rec) {
  const uint8_t *f = rec + CASE_FPU;
  uint16_t fsw = get16(f + 2);
  unsigned top = (fsw >> 11) & 7;
  memset(fpu_image, 0, 160);
  memcpy(fpu_image, f, 4); /* FCW, FSW */
  fpu_image[4] = f[4];     /* abridged tag word: bit i set = R(i) not empty */
  uint32_t mxcsr = 0x1F80;
  memcpy(fpu_image + 24, &mxcsr, 4);
  for (unsigned i = 0; i < 8; i++) memcpy(fpu_image + 32 + 16 * i, f + 8 + 10 * ((top + i) & 7), 10);
  /* XSTATE_BV: x87 from the image; SSE and the rest from their init state. */
  if (entry.use_xsave) fpu_image[512] = 1;
}

/* The captured x87 state into a RSLT record: registers back in physical order. */
static void put_fpu_result(uint8_t *p) {
  const uint8_t *fx = res.fx;
  memset(p, 0, RESULT_HEADER - RSLT_FPU);
  if (!res.have_fpu) return;
  uint16_t fsw = get16(fx + 2);
  unsigned top = (fsw >> 11) & 7;
  memcpy(p, fx, 4);        /* FCW, FSW */
  put16(p + 4, fx[4]);     /* abridged tag word */
  memcpy(p + 6, fx + 6, 2); /* FOP */
  memcpy(p + 8, fx + 8, 4); /* FIP (low 32 bits of the 64-bit field) */
  memcpy(p + 12, fx + 16, 4); /* FDP */
  for (unsigned i = 0; i < 8; i++) memcpy(p + 16 + 10 * ((top + i) & 7), fx + 32 + 16 * i, 10);
}

/* ---- running a case ------------------------------------------------------- */

static int forbidden(const uint8_t *c, unsigned n) {
  for (unsigned i = 0; i + 1 < n; i++) {
    if (c[i] == 0xCD && c[i + 1] == 0x80) return 1;
    if (c[i] == 0x0F && (c[i + 1] == 0x34 || c[i + 1] == 0x05 || c[i + 1] == 0x07)) return 1;
  }
  return 0;
}

static void emit_status_only(int32_t status) {
  ensure_out(RESULT_HEADER);
  uint8_t *p = out_buf + out_len;
  memset(p, 0, RESULT_HEADER);
  put32(p, MAGIC_RSLT);
  put32(p + 4, (uint32_t)status);
  put32(p + 48, (uint32_t)-2);
  out_len += RESULT_HEADER;
}

static void run_case(const uint8_t *rec) {
  unsigned mode = rec[4];
  unsigned len = rec[5];
  uint32_t code_off = get32(rec + 8);
  const uint8_t *code = rec + 52;
  uint32_t eflags = get32(rec + 44);
  uint32_t seed = get32(rec + 48);

  if ((mode != 16 && mode != 32) || len < 1 || len > MAX_CODE || code_off < CODE_BASE ||
      code_off > CODE_BASE + CODE_SIZE - len) {
    emit_status_only(ST_INVALID);
    return;
  }
  if (forbidden(code, len)) {
    emit_status_only(ST_REFUSED);
    return;
  }
  uint32_t patch_addr = get32(rec + CASE_PATCH);
  unsigned patch_len = rec[CASE_PATCH + 4];
  if (patch_len > MAX_PATCH || (patch_len && (patch_addr < MEM_BASE || patch_addr > MEM_BASE + MEM_SIZE - patch_len))) {
    emit_status_only(ST_INVALID);
    return;
  }

  /* Memory: invariant is mem_rw == mem_ref == image(cur_seed) between cases. */
  if (!have_seed || seed != cur_seed) {
    int slot = -1, lru = 0;
    for (int i = 0; i < SEED_CACHE; i++) {
      if (seed_cache[i].valid && seed_cache[i].seed == seed) {
        slot = i;
        break;
      }
      if (!seed_cache[i].valid || seed_cache[i].used < seed_cache[lru].used) lru = i;
    }
    if (slot < 0) {
      slot = lru;
      fill_memory(seed, seed_cache[slot].image);
      seed_cache[slot].seed = seed;
      seed_cache[slot].valid = 1;
    }
    seed_cache[slot].used = ++seed_clock;
    mem_ref = seed_cache[slot].image;
    memcpy(mem_rw, mem_ref, MEM_SIZE);
    cur_seed = seed;
    have_seed = 1;
  }
  memcpy(code_rw + (code_off - CODE_BASE), code, len);
  load_fpu_case(rec);
  /* The patch goes into the live pages and the reference image alike, so the
     diff below reports writes against the patched image; both are undone after. */
  uint8_t saved[MAX_PATCH];
  uint32_t patch_off = patch_addr - MEM_BASE;
  if (patch_len) {
    memcpy(saved, mem_ref + patch_off, patch_len);
    memcpy(mem_ref + patch_off, rec + CASE_PATCH + 8, patch_len);
    memcpy(mem_rw + patch_off, rec + CASE_PATCH + 8, patch_len);
  }

  for (int i = 0; i < 8; i++) entry.regs[i] = get32(rec + 12 + 4 * i);
  uint32_t esp = entry.regs[4];
  uint64_t *fr;
  if (mode == 32) {
    fr = frame32;
    fr[1] = SEL_CODE32;
    fr[4] = SEL_DATA32;
    entry.ds = entry.es = SEL_DATA32;
  } else {
    fr = frame16_for(esp);
    fr[1] = SEL_CODE16;
    fr[4] = SEL_DATA16;
    entry.ds = entry.es = SEL_DATA16;
  }
  fr[0] = code_off;
  fr[2] = (eflags & EFLAGS_CASE_MASK) | EFLAGS_FIXED;
  fr[3] = esp;
  entry.frame = (uint64_t)(uintptr_t)fr;

  /* A timer tick or a context switch while the guest runs makes the kernel
     save the guest's FPU state and restore it from its 64-bit image, which
     has no FCS/FDS (and, with no exception pending, no FIP/FDP/FOP on this
     CPU): what a second x87 instruction then stores differs. Such a run is
     repeated (a few times at most; a timeout is final). */
  for (int attempt = 0;; attempt++) {
    struct rusage before, after;
    getrusage(RUSAGE_THREAD, &before);
    entry_failed = 0;
    guest_ticks = 0;
    in_guest = 1;
    oracle_enter(&entry);
    /* Back from the signal handler. Until FS is fixed: no libc, no TLS. */
    restore_fsgs();
    getrusage(RUSAGE_THREAD, &after);
    int disturbed = guest_ticks > 0 || after.ru_nivcsw != before.ru_nivcsw || after.ru_nvcsw != before.ru_nvcsw;
    if (!disturbed || res.vector == -1 || entry_failed || attempt >= 4) break;
    memcpy(mem_rw, mem_ref, MEM_SIZE); /* undo the guest's writes (mem_ref holds the patched image) */
  }

  memset(code_rw + (code_off - CODE_BASE), CODE_FILL, len);

  ensure_out(OUT_RESERVE);
  uint8_t *p = out_buf + out_len;
  put32(p, MAGIC_RSLT);
  put32(p + 4, entry_failed ? ST_ENTRY_FAILED : ST_OK);
  for (int i = 0; i < 8; i++) put32(p + 8 + 4 * i, res.regs[i]);
  put32(p + 40, res.eip);
  put32(p + 44, res.eflags);
  put32(p + 48, (uint32_t)res.vector);
  put32(p + 52, res.err);
  put32(p + 56, res.cr2);
  for (int i = 0; i < 6; i++) put16(p + 60 + 2 * i, res.sregs[i]);
  put_fpu_result(p + RSLT_FPU);
  uint8_t *w = p + RESULT_HEADER;
  uint32_t nw = 0;

  /* Diff the writable pages against the reference image, restoring as we go. */
  static const uint32_t ranges[2][2] = {{0, RO_OFF}, {RO_OFF + RO_SIZE, MEM_SIZE}};
  for (int r = 0; r < 2; r++) {
    for (uint32_t o = ranges[r][0]; o < ranges[r][1]; o += 64) {
      const uint64_t *a = (const uint64_t *)(mem_rw + o);
      const uint64_t *b = (const uint64_t *)(mem_ref + o);
      uint64_t diff = 0;
      for (int i = 0; i < 8; i++) diff |= a[i] ^ b[i];
      if (!diff) continue;
      for (uint32_t k = 0; k < 64; k++) {
        uint8_t now = mem_rw[o + k];
        if (now != mem_ref[o + k]) {
          put16(w, (uint16_t)(o + k));
          w[2] = now;
          w += 3;
          nw++;
        }
      }
      memcpy(mem_rw + o, mem_ref + o, 64);
    }
  }
  put32(p + 72, nw);
  if (patch_len) {
    memcpy(mem_ref + patch_off, saved, patch_len);
    memcpy(mem_rw + patch_off, saved, patch_len);
  }
  out_len += RESULT_HEADER + 3u * nw;
}

static void run_fill(const uint8_t *rec) {
  uint32_t seed = get32(rec + 48);
  ensure_out(8 + MEM_SIZE);
  uint8_t *p = out_buf + out_len;
  put32(p, MAGIC_FILL);
  put32(p + 4, seed);
  fill_memory(seed, p + 8);
  out_len += 8 + MEM_SIZE;
}

/* ---- startup ---------------------------------------------------------------- */

static void hello(int clean) {
  /* Probe what the descriptor tables look like from CPL 3. */
  uint8_t *p = out_buf + out_len;
  put32(p, MAGIC_HELLO);
  put32(p + 4, PROTOCOL_VERSION);
  put32(p + 8, (clean ? 1u : 0u) | (have_fsgsbase ? 2u : 0u) | (entry.use_xsave ? 4u : 0u) | (pages_locked ? 8u : 0u));
  put32(p + 12, entry.xmask_lo);
  uint8_t *q = p + 20;
  uint32_t n = 0;
  for (unsigned sel = 3; sel < 0x100 + 3; sel += 8) { /* GDT 0..31, RPL 3 */
    uint32_t ar = 0, lim = 0;
    uint8_t ok_ar = 0, ok_lim = 0;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(ar), "=q"(ok_ar) : "r"(sel) : "cc");
    __asm__ volatile("lsl %2, %0\n\tsetz %1" : "=r"(lim), "=q"(ok_lim) : "r"(sel) : "cc");
    if (!ok_ar && !ok_lim) continue;
    put16(q, (uint16_t)sel);
    put16(q + 2, (uint16_t)(ok_ar | (ok_lim << 1)));
    put32(q + 4, ok_ar ? ar : 0);
    put32(q + 8, ok_lim ? lim : 0);
    q += 12;
    n++;
  }
  for (unsigned sel = 7; sel < 0x10 + 7; sel += 8) { /* LDT 0..1 */
    uint32_t ar = 0, lim = 0;
    uint8_t ok_ar = 0, ok_lim = 0;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(ar), "=q"(ok_ar) : "r"(sel) : "cc");
    __asm__ volatile("lsl %2, %0\n\tsetz %1" : "=r"(lim), "=q"(ok_lim) : "r"(sel) : "cc");
    put16(q, (uint16_t)sel);
    put16(q + 2, (uint16_t)(ok_ar | (ok_lim << 1)));
    put32(q + 4, ok_ar ? ar : 0);
    put32(q + 8, ok_lim ? lim : 0);
    q += 12;
    n++;
  }
  put32(p + 16, n);
  out_len += (size_t)(q - p);
  flush_out();
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--timeout-ms=", 13) == 0) {
      long ms = strtol(argv[i] + 13, NULL, 10);
      if (ms < 1 || ms > 100000) {
        fprintf(stderr, "oracle: bad --timeout-ms\n");
        return 64;
      }
      timer_interval_us = ms * 1000 / TIMEOUT_TICKS;
    } else {
      fprintf(stderr, "oracle: unknown argument %s\n", argv[i]);
      return 64;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  in_buf = malloc(in_cap);
  out_buf = malloc(out_cap);
  if (!in_buf || !out_buf) die("alloc io");

  init_jump();
  setup_fsgs();
  setup_fpu();
  setup_memory();
  setup_ldt();

  stack_t ss;
  ss.ss_size = 1u << 20;
  ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ss.ss_flags = 0;
  if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0) die("sigaltstack");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = oracle_sig_trampoline;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  static const int sigs[] = {SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS, SIGALRM};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction");


  hello(low_memory_clean());

  for (;;) {
    if (!fill_input(CASE_SIZE)) break;
    const uint8_t *rec = in_buf + in_start;
    uint32_t magic = get32(rec);
    if (magic == MAGIC_CASE)
      run_case(rec);
    else if (magic == MAGIC_FILL)
      run_fill(rec);
    else {
      fprintf(stderr, "oracle: bad record magic %08x\n", magic);
      exit(65);
    }
    in_start += CASE_SIZE;
  }
  flush_out();
  return 0;
}
