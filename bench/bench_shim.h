/* A C interface to Google Benchmark: register C functions with argument rows, run batches of
 * iterations per call, report counters and manual (device-timed) iteration times. */
#ifndef EXAM_BENCH_SHIM_H
#define EXAM_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct exam_bench_state exam_bench_state; /* a running benchmark (benchmark::State) */
typedef struct exam_bench_def exam_bench_def;     /* a registered benchmark (its options) */

/* The body of a benchmark: set up, then `while ((n = exam_bench_batch(st, max)) > 0)` run n
 * iterations, then clean up. ctx is the pointer given at registration. */
typedef void (*exam_bench_fn)(exam_bench_state *st, void *ctx);

/* Time units for the report. */
typedef enum exam_bench_unit {
    EXAM_BENCH_NS = 0,
    EXAM_BENCH_US,
    EXAM_BENCH_MS,
    EXAM_BENCH_S,
} exam_bench_unit;

/* Counter flags (Google Benchmark's Counter::Flags): a rate divides by the run's time. */
enum {
    EXAM_BENCH_COUNTER_RATE = 1 << 0,           /* value / seconds */
    EXAM_BENCH_COUNTER_PER_ITERATION = 1 << 1,  /* value / iterations */
    EXAM_BENCH_COUNTER_ITER_INVARIANT = 1 << 2, /* value × iterations (a per-iteration amount) */
    EXAM_BENCH_COUNTER_BINARY = 1 << 3,         /* 1024-based (for bytes) */
};

/* Registers benchmark `name` (copied) running fn(state, ctx). Returns a handle for the options
 * below, or NULL when Google Benchmark refused it. Register before exam_bench_run. */
exam_bench_def *exam_bench_register(const char *name, exam_bench_fn fn, void *ctx);

/* Adds one argument row (n values); each row becomes its own run "name/a0/a1/...". */
void exam_bench_args(exam_bench_def *b, const int64_t *args, int n);

/* Names the arguments ("name/batch:1/len:32"); names[] has one entry per argument. */
void exam_bench_arg_names(exam_bench_def *b, const char *const *names, int n);

/* The time unit of the report for this benchmark. */
void exam_bench_set_unit(exam_bench_def *b, exam_bench_unit unit);

/* The iteration time comes from exam_bench_set_iteration_time (GPU work timed by the device)
 * rather than from the wall clock; no instruction counts are attached. */
void exam_bench_use_manual_time(exam_bench_def *b);

/* Reports wall time rather than the main thread's CPU time for multi-threaded work. */
void exam_bench_use_real_time(exam_bench_def *b);

/* Minimum seconds of measurement per run (Google Benchmark's MinTime). */
void exam_bench_set_min_time(exam_bench_def *b, double seconds);

/* Runs exactly n iterations (Google Benchmark's Iterations), whatever the minimum time. */
void exam_bench_set_iterations(exam_bench_def *b, int64_t n);

/* Repeats the run n times whatever --benchmark_repetitions says (for runs that take many
 * seconds each, such as the queue's offered-load rows). */
void exam_bench_set_repetitions(exam_bench_def *b, int n);

/* Starts the next batch: returns how many iterations (1..max, max >= 1) to run now, or 0 when
 * the run is over. Only one call crosses into C++ per batch, so choose max so that a batch
 * takes well over a microsecond. */
int64_t exam_bench_batch(exam_bench_state *st, int64_t max);

/* Argument i of the current row; i must be below the row's length (Google Benchmark checks). */
int64_t exam_bench_arg(const exam_bench_state *st, int i);

/* Iterations run so far (after the loop: all of them). */
int64_t exam_bench_iterations(const exam_bench_state *st);

/* Stops and restarts the timer around work that should not count (set-up inside the loop). */
void exam_bench_pause(exam_bench_state *st);
void exam_bench_resume(exam_bench_state *st);

/* Adds seconds of device-measured time for the iterations of this batch (manual time). */
void exam_bench_set_iteration_time(exam_bench_state *st, double seconds);

/* Sets counter `name` to value with EXAM_BENCH_COUNTER_* flags (0: reported as is). */
void exam_bench_counter(exam_bench_state *st, const char *name, double value, int flags);

/* Bytes and items processed in the whole run (reported as bytes_per_second, items_per_second). */
void exam_bench_set_bytes(exam_bench_state *st, int64_t bytes);
void exam_bench_set_items(exam_bench_state *st, int64_t items);

/* A free-text label shown beside the run. */
void exam_bench_set_label(exam_bench_state *st, const char *label);

/* Marks the run failed with a message (it is reported, not timed); return from fn afterwards
 * without calling exam_bench_batch again. */
void exam_bench_fail(exam_bench_state *st, const char *message);

/* Adds key = value to the report's context block. */
void exam_bench_add_context(const char *key, const char *value);

/* Parses and removes Google Benchmark's --benchmark_* flags from argv (argc updated). */
void exam_bench_init(int *argc, char **argv);

/* Runs the benchmarks selected by --benchmark_filter; returns how many ran, -1 on an error
 * escaping Google Benchmark. */
long exam_bench_run(void);

/* Releases Google Benchmark's global state. */
void exam_bench_shutdown(void);

/* Hooks called around each benchmark's measured loop, for per-run extras such as hardware
 * counters: begin() when the first batch starts, end() when the last one finishes, with the
 * iteration count; end() returns counters through exam_bench_counter. Either may be NULL. */
typedef struct exam_bench_hooks {
    void (*begin)(void *user);
    void (*pause)(void *user);
    void (*resume)(void *user);
    void (*end)(exam_bench_state *st, int64_t iterations, void *user);
    void *user;
} exam_bench_hooks;

/* Installs hooks for every benchmark without manual time (NULL removes them). */
void exam_bench_set_hooks(const exam_bench_hooks *hooks);

#ifdef __cplusplus
}
#endif

#endif
