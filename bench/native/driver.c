/*
 * Native baseline for the bench: runs one workload (bench/workloads/NAME.S,
 * linked into this program) on the host CPU in 32-bit mode and times it.
 *
 *   driver [MIN_BATCH_SECONDS [SAMPLES]]
 *
 * One warm-up call, then a batch size (calls per sample) doubled until a
 * batch lasts MIN_BATCH_SECONDS, then SAMPLES batches; prints one JSON
 * line with the checksum and the median seconds per call. Every call must
 * return the warm-up's checksum, or the driver fails (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern unsigned workload_main(void);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static unsigned expected;

static double timed_batch(long calls) {
  double t0 = now();
  for (long i = 0; i < calls; i++) {
    unsigned got = workload_main();
    if (got != expected) {
      fprintf(stderr, "checksum changed between calls: %08x then %08x\n", expected, got);
      exit(1);
    }
  }
  return now() - t0;
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
  for (int s = 0; s < samples; s++) per_call[s] = timed_batch(calls) / calls;
  qsort(per_call, samples, sizeof(double), by_value);
  double median = samples % 2 ? per_call[samples / 2] : (per_call[samples / 2 - 1] + per_call[samples / 2]) / 2;
  printf("{\"checksum\":%u,\"seconds\":%.9g,\"callsPerSample\":%ld,\"samples\":%d}\n", expected, median, calls, samples);
  free(per_call);
  return 0;
}
