/* examiner-bench-compare BASE.json NEW.json: a table of per-benchmark changes between two
 * Google Benchmark result files; exit 1 on any regression, 2 on a usage or input error. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

static void usage(FILE *f) {
    fprintf(f, "usage: examiner-bench-compare BASE.json NEW.json [--threshold 5%%] [--alpha 0.01]\n"
               "       [--metric real_time|cpu_time|COUNTER] [--min-reps 10]\n"
               "A benchmark regresses when a two-sided Mann-Whitney U test over its repetitions\n"
               "gives p < alpha AND its median moved beyond the threshold in the bad direction\n"
               "(slower; for *_per_second metrics, lower). Exit 1 on any regression.\n");
}

/* "5%", "5 %" or "0.05" as a fraction. */
static int parse_fraction(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno) {
        return -1;
    }
    while (*end == ' ') {
        end++;
    }
    if (*end == '%') {
        v /= 100;
        end++;
    }
    if (*end || !isfinite(v) || v < 0) {
        return -1;
    }
    *out = v;
    return 0;
}

static const char *opt_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) {
        return NULL;
    }
    if (argv[*i][n] == '=') {
        return argv[*i] + n + 1;
    }
    if (argv[*i][n] == 0 && *i + 1 < argc) {
        return argv[++*i];
    }
    return NULL;
}

static void fmt_value(char *buf, size_t cap, double v, int is_time) {
    if (!is_time) {
        snprintf(buf, cap, "%.4g", v);
    } else if (v >= 1e9) {
        snprintf(buf, cap, "%.3f s", v / 1e9);
    } else if (v >= 1e6) {
        snprintf(buf, cap, "%.3f ms", v / 1e6);
    } else if (v >= 1e3) {
        snprintf(buf, cap, "%.3f us", v / 1e3);
    } else {
        snprintf(buf, cap, "%.1f ns", v);
    }
}

int main(int argc, char **argv) {
    const char *files[2] = {NULL, NULL};
    int n_files = 0;
    exam_cmp_options o = exam_cmp_default_options();
    const char *metric = "real_time";
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--threshold"))) {
            if (parse_fraction(v, &o.threshold) != 0) {
                fprintf(stderr, "examiner-bench-compare: bad --threshold '%s'\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--alpha"))) {
            if (parse_fraction(v, &o.alpha) != 0 || o.alpha <= 0 || o.alpha >= 1) {
                fprintf(stderr, "examiner-bench-compare: bad --alpha '%s'\n", v);
                return 2;
            }
        } else if ((v = opt_value(argc, argv, &i, "--metric"))) {
            metric = v;
        } else if ((v = opt_value(argc, argv, &i, "--min-reps"))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 2 || n > 100000) {
                fprintf(stderr, "examiner-bench-compare: bad --min-reps '%s'\n", v);
                return 2;
            }
            o.min_reps = (size_t)n;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "examiner-bench-compare: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (n_files < 2) {
            files[n_files++] = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (n_files != 2) {
        usage(stderr);
        return 2;
    }
    exam_bench_results base, next;
    if (exam_bench_results_load(files[0], metric, &base) != EXAM_OK) {
        fprintf(stderr, "examiner-bench-compare: %s\n", exam_error_message());
        return 2;
    }
    if (exam_bench_results_load(files[1], metric, &next) != EXAM_OK) {
        fprintf(stderr, "examiner-bench-compare: %s\n", exam_error_message());
        exam_bench_results_free(&base);
        return 2;
    }
    exam_cmp_row *rows;
    size_t n_rows;
    if (exam_bench_compare(&base, &next, &o, &rows, &n_rows) != EXAM_OK) {
        fprintf(stderr, "examiner-bench-compare: %s\n", exam_error_message());
        exam_bench_results_free(&base);
        exam_bench_results_free(&next);
        return 2;
    }
    int is_time = strcmp(metric, "real_time") == 0 || strcmp(metric, "cpu_time") == 0;
    int w = 9;
    for (size_t i = 0; i < n_rows; i++) {
        int len = (int)strlen(rows[i].name);
        if (rows[i].new_name) {
            len += 4 + (int)strlen(rows[i].new_name);
        }
        if (len > w) {
            w = len;
        }
    }
    printf("metric %s (%s is better), threshold %.1f%%, alpha %g, min %zu repetitions\n", metric,
           base.higher_is_better ? "higher" : "lower", o.threshold * 100, o.alpha, o.min_reps);
    printf("%-*s %5s %14s %14s %9s %9s  %s\n", w, "benchmark", "n", "base median", "new median",
           "change", "p", "verdict");
    int regressions = 0, improvements = 0, changed_set = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const exam_cmp_row *r = &rows[i];
        char name[1024], bm[32] = "-", nm[32] = "-", ch[16] = "-", p[16] = "-", n[16];
        if (r->new_name) {
            snprintf(name, sizeof name, "%s -> %s", r->name, r->new_name);
        } else {
            snprintf(name, sizeof name, "%s", r->name);
        }
        snprintf(n, sizeof n, "%zu/%zu", r->n_base, r->n_new);
        if (r->n_base) {
            fmt_value(bm, sizeof bm, r->base_median, is_time);
        }
        if (r->n_new) {
            fmt_value(nm, sizeof nm, r->new_median, is_time);
        }
        if (r->n_base && r->n_new) {
            snprintf(ch, sizeof ch, "%+.1f%%", r->change * 100);
        }
        if (r->verdict == EXAM_CMP_SAME || r->verdict == EXAM_CMP_REGRESSION ||
            r->verdict == EXAM_CMP_IMPROVEMENT || r->verdict == EXAM_CMP_RENAMED) {
            snprintf(p, sizeof p, "%.2g", r->p);
        }
        printf("%-*s %5s %14s %14s %9s %9s  %s\n", w, name, n, bm, nm, ch, p,
               exam_cmp_verdict_name(r->verdict));
        regressions += r->verdict == EXAM_CMP_REGRESSION;
        improvements += r->verdict == EXAM_CMP_IMPROVEMENT;
        changed_set += r->verdict == EXAM_CMP_NEW || r->verdict == EXAM_CMP_MISSING ||
                       r->verdict == EXAM_CMP_RENAMED;
    }
    printf("%d regression(s), %d improvement(s), %d new/missing/renamed\n", regressions,
           improvements, changed_set);
    free(rows);
    exam_bench_results_free(&base);
    exam_bench_results_free(&next);
    return regressions ? 1 : 0;
}
