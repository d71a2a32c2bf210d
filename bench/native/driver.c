/*
 * Native baseline for the bench: runs one workload (bench/workloads/NAME.S,
 * linked into this program) on the host CPU in 32-bit mode and times it.
 *
 *   driver [MIN_BATCH_SECONDS [SAMPLES]]
 *
 * One warm-up call, then a batch size (calls per sample) doubled until a
 * batch lasts MIN_BATCH_SECONDS, then SAMPLES batches; prints one JSON
 * line with the checksum and the median seconds per call, by the wall
 * clock ("seconds") and by the thread's CPU time ("cpuSeconds", what the
 * guest side measures where it can: bench/cpu-time.ts). Every call must
 * return the warm-up's checksum, or the driver fails (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern unsigned workload_main(void);

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }
static double cpu_now(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static unsigned expected;

/* CPU seconds of the last batch. */
static double batch_cpu;

static double timed_batch(long calls) {
  double t0 = now(), c0 = cpu_now();
  for (long i = 0; i < calls; i++) {
    unsigned got = workload_main();
    if (got != expected) {
      fprintf(stderr, "checksum changed between calls: %08x then %08x\n", expected, got);
      exit(1);
    }
  }
  batch_cpu = cpu_now() - c0;
  return now() - t0;
}

static double median(double *xs, int n) {
  qsort(xs, n, sizeof(double), by_value);
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

int main(int argc, char **argv) {
  double min_batch = argc > 1 ? atof(argv[1]) : 0.05;
  int samples = argc > 2 ? atoi(argv[2]) : 11;
  if (min_batch <= 0 || samples < 1 || samples > 1000) {
    fprintf(stderr, "usage: %s [MIN_BATCH_SECONDS [SAMPLES]]\n", argv[0]);
    return 2;
  }
  expected = workload_main();
  long calls = 1;
  while (timed_batch(calls) < min_batch) calls *= 2;
  double *per_call = malloc(sizeof(double) * samples);
  double *cpu_per_call = malloc(sizeof(double) * samples);
  for (int s = 0; s < samples; s++) {
    per_call[s] = timed_batch(calls) / calls;
    cpu_per_call[s] = batch_cpu / calls;
  }
  double wall = median(per_call, samples), cpu = median(cpu_per_call, samples);
  printf("{\"checksum\":%u,\"seconds\":%.9g,\"cpuSeconds\":%.9g,\"callsPerSample\":%ld,\"samples\":%d}\n", expected, wall, cpu, calls, samples);
  free(per_call);
  free(cpu_per_call);
  return 0;
}
