/* examiner-bench-compare on synthetic Google Benchmark files: the Mann-Whitney test's exact and
 * approximate p-values, a 10% slowdown flagged, equal distributions left alone in >= 99 of 100
 * seeded trials, and added, removed, renamed and malformed inputs reported without a crash. */
/* labels: unit */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"
#include "mwu.h"
#include "testlib.h"

static uint64_t rng_state;

/* Seeds through splitmix64: xorshift's first outputs from a small seed are far from uniform. */
static void seed(uint64_t s) {
    uint64_t z = s + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    rng_state = (z ^ (z >> 31)) | 1;
}

static double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* A timing-like sample: median m, multiplicative noise of about cv, plus rare slow outliers. */
static double sample(double m, double cv) {
    double g = sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
    double v = m * exp(cv * g);
    return uniform() < 0.05 ? v * 1.3 : v;
}

typedef struct bench_spec {
    const char *name;
    double median;
    double cv;
} bench_spec;

/* Writes a result file with `reps` repetitions of each benchmark (plus the aggregates Google
 * Benchmark adds, which the compare tool must ignore); metric "real_time" in ns. */
static void write_results(const char *path, const bench_spec *b, int n, int reps) {
    FILE *f = fopen(path, "w");
    if (!f) {
        CHECKF(0, "cannot write %s", path);
        return;
    }
    fprintf(f, "{\"context\": {\"date\": \"x\", \"git_commit\": \"abc\"}, \"benchmarks\": [\n");
    int first = 1;
    for (int i = 0; i < n; i++) {
        for (int r = 0; r < reps; r++) {
            double v = sample(b[i].median, b[i].cv);
            fprintf(f,
                    "%s{\"name\": \"%s\", \"run_name\": \"%s\", \"run_type\": \"iteration\", "
                    "\"repetitions\": %d, \"repetition_index\": %d, \"iterations\": 100, "
                    "\"real_time\": %.6f, \"cpu_time\": %.6f, \"time_unit\": \"us\", "
                    "\"bytes_per_second\": %.6f}\n",
                    first ? "" : ",", b[i].name, b[i].name, reps, r, v / 1000, v / 1000, 1e12 / v);
            first = 0;
        }
        fprintf(f,
                ",{\"name\": \"%s_mean\", \"run_name\": \"%s\", \"run_type\": \"aggregate\", "
                "\"aggregate_name\": \"mean\", \"real_time\": 1e9, \"time_unit\": \"us\"}\n",
                b[i].name, b[i].name);
    }
    fprintf(f, "]}\n");
    fclose(f);
}

static char out_path[256];

/* Runs the compare binary; returns its exit status and leaves its output in out_path. */
static int run_compare(const char *args) {
    const char *dir = getenv("EXAMINER_BUILD_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s/examiner-bench-compare' %s > '%s' 2>&1", dir ? dir : "build",
             args, out_path);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int output_has(const char *needle) {
    FILE *f = fopen(out_path, "r");
    if (!f) {
        return 0;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strstr(buf, needle) != NULL;
}

static void test_mwu(void) {
    /* 3 vs 3: P(U <= 0) = 1 / C(6,3) = 1/20; P(U <= 1) = 2/20 */
    CHECK(fabs(exam_mwu_exact_cdf(3, 3, 0) - 0.05) < 1e-12);
    CHECK(fabs(exam_mwu_exact_cdf(3, 3, 1) - 0.10) < 1e-12);
    CHECK(fabs(exam_mwu_exact_cdf(3, 3, 9) - 1.0) < 1e-12);
    /* symmetry of the null distribution: P(U <= u) = P(U >= mn - u) */
    for (int u = 0; u <= 100; u += 7) {
        double lo = exam_mwu_exact_cdf(10, 10, u);
        double hi = 1 - exam_mwu_exact_cdf(10, 10, 100 - u - 1);
        CHECKF(fabs(lo - hi) < 1e-12, "u=%d %g %g", u, lo, hi);
    }
    double x[10], y[10];
    for (int i = 0; i < 10; i++) {
        x[i] = i;
        y[i] = 100 + i;
    }
    exam_mwu t;
    CHECK(exam_mwu_test(x, 10, y, 10, &t) == EXAM_OK);
    /* completely separated samples: 2 / C(20, 10) */
    CHECKF(t.exact && t.u == 0 && fabs(t.p - 2.0 / 184756) < 1e-12, "p=%g u=%g", t.p, t.u);
    CHECK(exam_mwu_test(y, 10, x, 10, &t) == EXAM_OK && t.u == 100);
    /* exact and normal approximation agree for moderate samples */
    double a[30], b[30];
    seed(7);
    for (int i = 0; i < 30; i++) {
        a[i] = sample(1, 0.1);
        b[i] = sample(1.05, 0.1);
    }
    exam_mwu e;
    CHECK(exam_mwu_test(a, 30, b, 30, &e) == EXAM_OK && e.exact);
    double mean = 450, sd = sqrt(30.0 * 30 * 61 / 12);
    double z = (fabs(e.u - mean) - 0.5) / sd;
    CHECKF(fabs(e.p - erfc(z / sqrt(2.0))) < 0.01, "exact %g approx %g", e.p, erfc(z / sqrt(2.0)));
    /* ties: everything equal gives p = 1 through the tie-corrected approximation */
    double same[10] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    CHECK(exam_mwu_test(same, 10, same, 10, &t) == EXAM_OK && t.ties && !t.exact && t.p == 1);
    double nan_v[2] = {1, NAN};
    CHECK(exam_mwu_test(nan_v, 2, same, 10, &t) == EXAM_ERR_ARG);
    CHECK(exam_mwu_test(x, 0, y, 10, &t) == EXAM_ERR_ARG);
}

/* Trials through the library: how often two files are judged a regression. */
static int count_regressions(double slowdown, int trials, double cv) {
    int flagged = 0;
    bench_spec base = {"encoder/cpu/batch:1/len:32", 1e6, cv};
    for (int t = 0; t < trials; t++) {
        seed(1000 + (uint64_t)t);
        write_results("/tmp/examiner-cmp-base.json", &base, 1, 10);
        bench_spec next = base;
        next.median *= 1 + slowdown;
        write_results("/tmp/examiner-cmp-new.json", &next, 1, 10);
        exam_bench_results rb, rn;
        if (exam_bench_results_load("/tmp/examiner-cmp-base.json", "real_time", &rb) != EXAM_OK) {
            CHECKF(0, "%s", exam_error_message());
            return -1;
        }
        if (exam_bench_results_load("/tmp/examiner-cmp-new.json", "real_time", &rn) != EXAM_OK) {
            exam_bench_results_free(&rb);
            CHECKF(0, "%s", exam_error_message());
            return -1;
        }
        exam_cmp_options o = exam_cmp_default_options();
        exam_cmp_row *rows;
        size_t n;
        if (exam_bench_compare(&rb, &rn, &o, &rows, &n) == EXAM_OK) {
            CHECK(n == 1 && rows[0].n_base == 10 && rows[0].n_new == 10);
            flagged += n == 1 && rows[0].verdict == EXAM_CMP_REGRESSION;
            free(rows);
        }
        exam_bench_results_free(&rb);
        exam_bench_results_free(&rn);
    }
    return flagged;
}

static void test_trials(void) {
    int same = count_regressions(0.0, 100, 0.05);
    CHECKF(same >= 0 && same <= 1, "same distribution flagged in %d of 100 trials", same);
    int slow = count_regressions(0.10, 100, 0.03);
    /* power with 5% outliers of +30% in both samples (about 92 of 100 seen) */
    CHECKF(slow >= 85, "10%% slowdown flagged in only %d of 100 trials", slow);
    /* a 2% slowdown is inside the 5% threshold, however significant */
    int small = count_regressions(0.02, 20, 0.001);
    CHECKF(small == 0, "2%% slowdown flagged %d times", small);
}

static void test_binary(void) {
    snprintf(out_path, sizeof out_path, "/tmp/examiner-cmp-out-%d.txt", (int)getpid());
    const char *base = "/tmp/examiner-cmp-b.json", *next = "/tmp/examiner-cmp-n.json";
    bench_spec b[] = {{"tokenizer/sentences", 9e6, 0.03},
                      {"similarity/cosine/m:1/n:64", 2e4, 0.03}};
    seed(42);
    write_results(base, b, 2, 10);
    bench_spec n[] = {{"tokenizer/sentences", 9.9e6, 0.03},
                      {"similarity/cosine/m:1/n:64", 2e4, 0.03}};
    write_results(next, n, 2, 10);
    char args[1024];
    snprintf(args, sizeof args, "%s %s", base, next);
    CHECKF(run_compare(args) == 1, "10%% slower tokenizer must exit 1");
    CHECK(output_has("REGRESSION") && output_has("tokenizer/sentences"));
    /* the same files the other way round: an improvement, exit 0 */
    snprintf(args, sizeof args, "%s %s", next, base);
    CHECK(run_compare(args) == 0 && output_has("improvement"));
    /* a threshold above the change: no regression */
    snprintf(args, sizeof args, "%s %s --threshold 15%%", base, next);
    CHECK(run_compare(args) == 0);
    /* a rate metric: lower bytes_per_second is the bad direction */
    snprintf(args, sizeof args, "%s %s --metric bytes_per_second", base, next);
    CHECK(run_compare(args) == 1 && output_has("higher is better"));
    /* three repetitions only: not tested, exit 0 */
    write_results(base, b, 2, 3);
    write_results(next, n, 2, 3);
    snprintf(args, sizeof args, "%s %s", base, next);
    CHECK(run_compare(args) == 0 && output_has("too few samples"));

    /* added, removed and renamed benchmarks */
    bench_spec b2[] = {{"tokenizer/sentences", 9e6, 0.03},
                       {"encoder/cpu/batch:1/len:32", 5e6, 0.03},
                       {"grade/cpu/jobs:16", 8e7, 0.03}};
    bench_spec n2[] = {{"tokenizer/sentences", 9e6, 0.03},
                       {"encoder/cpu/batch:1/length:32", 5e6, 0.03},
                       {"queue/roundtrip/rate:100", 1e6, 0.03}};
    write_results(base, b2, 3, 10);
    write_results(next, n2, 3, 10);
    CHECK(run_compare(args) == 0);
    CHECK(output_has("encoder/cpu/batch:1/len:32 -> encoder/cpu/batch:1/length:32"));
    CHECK(output_has("renamed?") && output_has("missing") && output_has("new"));
    CHECK(output_has("grade/cpu/jobs:16") && output_has("queue/roundtrip/rate:100"));
    /* an empty side: everything missing */
    FILE *f = fopen(next, "w");
    if (f) {
        fputs("{\"benchmarks\": []}", f);
        fclose(f);
    }
    CHECK(run_compare(args) == 0 && output_has("missing"));

    /* bad input: exit 2 with a message, never a crash */
    f = fopen(next, "w");
    if (f) {
        fputs("{\"benchmarks\": [ {\"name\": ", f);
        fclose(f);
    }
    CHECK(run_compare(args) == 2 && output_has("examiner-bench-compare:"));
    f = fopen(next, "w");
    if (f) {
        fputs("[1, 2, 3]", f);
        fclose(f);
    }
    CHECK(run_compare(args) == 2 && output_has("benchmarks"));
    snprintf(args, sizeof args, "%s /nonexistent/x.json", base);
    CHECK(run_compare(args) == 2 && output_has("cannot open"));
    CHECK(run_compare(base) == 2);
    snprintf(args, sizeof args, "%s %s --threshold abc", base, base);
    CHECK(run_compare(args) == 2);
    unlink(base);
    unlink(next);
    unlink(out_path);
}

static void test_names(void) {
    CHECK(exam_bench_name_distance("abc", "abc") == 0);
    CHECK(exam_bench_name_distance("abc", "xyz") == 1);
    CHECK(fabs(exam_bench_name_distance("kitten", "sitting") - 3.0 / 7) < 1e-12);
    double v[] = {3, 1, 2, 10};
    CHECK(exam_bench_median(v, 4) == 2.5 && exam_bench_median(v, 3) == 2);
}

int main(void) {
    test_mwu();
    test_names();
    test_trials();
    test_binary();
    unlink("/tmp/examiner-cmp-base.json");
    unlink("/tmp/examiner-cmp-new.json");
    return exam_test_finish();
}
