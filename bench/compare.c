/* Loading benchmark samples from Google Benchmark JSON and comparing two runs of them. */
#include "compare.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mwu.h"

static double unit_to_ns(const char *unit) {
    if (!unit || strcmp(unit, "ns") == 0) {
        return 1;
    }
    if (strcmp(unit, "us") == 0) {
        return 1e3;
    }
    if (strcmp(unit, "ms") == 0) {
        return 1e6;
    }
    if (strcmp(unit, "s") == 0) {
        return 1e9;
    }
    return 1;
}

static int metric_higher_is_better(const char *metric) {
    size_t n = strlen(metric);
    const char *suffix = "per_second";
    size_t k = strlen(suffix);
    return n >= k && strcmp(metric + n - k, suffix) == 0;
}

static exam_bench_series *series_get(exam_bench_results *r, const char *name) {
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->s[i].name, name) == 0) {
            return &r->s[i];
        }
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        exam_bench_series *s = realloc(r->s, cap * sizeof *s);
        if (!s) {
            return NULL;
        }
        r->s = s;
        r->cap = cap;
    }
    exam_bench_series *s = &r->s[r->n];
    memset(s, 0, sizeof *s);
    if (!(s->name = strdup(name))) {
        return NULL;
    }
    r->n++;
    return s;
}

static int series_push(exam_bench_series *s, double v) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        double *nv = realloc(s->v, cap * sizeof *nv);
        if (!nv) {
            return -1;
        }
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return 0;
}

exam_status exam_bench_results_from_json(const json_t *root, const char *metric,
                                         exam_bench_results *out) {
    memset(out, 0, sizeof *out);
    out->higher_is_better = metric_higher_is_better(metric);
    json_t *list = json_object_get(root, "benchmarks");
    if (!json_is_array(list)) {
        return exam_error_set(EXAM_ERR_FORMAT, "no \"benchmarks\" array");
    }
    int is_time = strcmp(metric, "real_time") == 0 || strcmp(metric, "cpu_time") == 0;
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b) {
        const char *type = json_string_value(json_object_get(b, "run_type"));
        if (type && strcmp(type, "iteration") != 0) {
            continue; /* aggregates (mean, median, stddev, cv) */
        }
        if (json_is_true(json_object_get(b, "error_occurred"))) {
            continue;
        }
        const char *name = json_string_value(json_object_get(b, "run_name"));
        if (!name) {
            name = json_string_value(json_object_get(b, "name"));
        }
        json_t *val = json_object_get(b, metric);
        if (!name || !json_is_number(val)) {
            continue;
        }
        double v = json_number_value(val);
        if (is_time) {
            v *= unit_to_ns(json_string_value(json_object_get(b, "time_unit")));
        }
        if (!isfinite(v)) {
            continue;
        }
        exam_bench_series *s = series_get(out, name);
        if (!s || series_push(s, v) != 0) {
            exam_bench_results_free(out);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
    }
    return EXAM_OK;
}

exam_status exam_bench_results_load(const char *path, const char *metric, exam_bench_results *out) {
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            return exam_error_set(EXAM_ERR_IO, "%s: cannot open", path);
        }
        fclose(f);
        return exam_error_set(EXAM_ERR_FORMAT, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                              jerr.text);
    }
    exam_status st = exam_bench_results_from_json(root, metric, out);
    json_decref(root);
    return st;
}

void exam_bench_results_free(exam_bench_results *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->s[i].name);
        free(r->s[i].v);
    }
    free(r->s);
    memset(r, 0, sizeof *r);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double exam_bench_median(const double *v, size_t n) {
    if (n == 0) {
        return 0;
    }
    double *c = malloc(n * sizeof *c);
    if (!c) {
        return NAN;
    }
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

exam_cmp_options exam_cmp_default_options(void) {
    exam_cmp_options o = {.threshold = 0.05, .alpha = 0.01, .min_reps = 10};
    return o;
}

const char *exam_cmp_verdict_name(exam_cmp_verdict v) {
    switch (v) {
    case EXAM_CMP_SAME:
        return "same";
    case EXAM_CMP_REGRESSION:
        return "REGRESSION";
    case EXAM_CMP_IMPROVEMENT:
        return "improvement";
    case EXAM_CMP_FEW:
        return "too few samples";
    case EXAM_CMP_NEW:
        return "new";
    case EXAM_CMP_MISSING:
        return "missing";
    case EXAM_CMP_RENAMED:
        return "renamed?";
    }
    return "?";
}

double exam_bench_name_distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    size_t longest = na > nb ? na : nb;
    if (longest == 0) {
        return 0;
    }
    size_t *row = malloc((nb + 1) * sizeof *row);
    if (!row) {
        return 1;
    }
    for (size_t j = 0; j <= nb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    double d = (double)row[nb] / (double)longest;
    free(row);
    return d;
}

static const exam_bench_series *find(const exam_bench_results *r, const char *name) {
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->s[i].name, name) == 0) {
            return &r->s[i];
        }
    }
    return NULL;
}

/* The family of a name: what comes before the first '/' (the whole name without one). */
static size_t family_len(const char *name) {
    const char *slash = strchr(name, '/');
    return slash ? (size_t)(slash - name) : strlen(name);
}

/* A missing and a new name are probably one renamed benchmark when they share the family and
 * differ little, or differ very little whatever the family. */
static int looks_renamed(const char *a, const char *b, double *dist) {
    *dist = exam_bench_name_distance(a, b);
    size_t fa = family_len(a), fb = family_len(b);
    int same_family = fa == fb && strncmp(a, b, fa) == 0;
    return (same_family && *dist <= 0.5) || *dist <= 0.25;
}

static exam_status compare_series(const exam_bench_series *b, const exam_bench_series *n,
                                  int higher_better, const exam_cmp_options *o, exam_cmp_row *row) {
    row->n_base = b->n;
    row->n_new = n->n;
    row->base_median = exam_bench_median(b->v, b->n);
    row->new_median = exam_bench_median(n->v, n->n);
    double denom = fabs(row->base_median);
    row->change = denom > 0 ? (row->new_median - row->base_median) / denom : 0;
    row->worse = higher_better ? -row->change : row->change;
    row->p = 1;
    if (b->n < o->min_reps || n->n < o->min_reps) {
        row->verdict = EXAM_CMP_FEW;
        return EXAM_OK;
    }
    exam_mwu t;
    exam_status st = exam_mwu_test(b->v, b->n, n->v, n->n, &t);
    if (st != EXAM_OK) {
        return st;
    }
    row->p = t.p;
    row->verdict = EXAM_CMP_SAME;
    if (t.p < o->alpha && row->worse > o->threshold) {
        row->verdict = EXAM_CMP_REGRESSION;
    } else if (t.p < o->alpha && -row->worse > o->threshold) {
        row->verdict = EXAM_CMP_IMPROVEMENT;
    }
    return EXAM_OK;
}

exam_status exam_bench_compare(const exam_bench_results *base, const exam_bench_results *next,
                               const exam_cmp_options *opts, exam_cmp_row **rows, size_t *n_rows) {
    *rows = NULL;
    *n_rows = 0;
    if (base->higher_is_better != next->higher_is_better) {
        return exam_error_set(EXAM_ERR_ARG, "the two result sets use different metrics");
    }
    exam_cmp_row *out = calloc(base->n + next->n + 1, sizeof *out);
    char *paired = calloc(next->n + 1, 1); /* new benchmarks taken by a rename */
    if (!out || !paired) {
        free(out);
        free(paired);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    size_t k = 0;
    exam_status st = EXAM_OK;
    for (size_t i = 0; i < base->n && st == EXAM_OK; i++) {
        const exam_bench_series *b = &base->s[i];
        const exam_bench_series *n = find(next, b->name);
        exam_cmp_row *row = &out[k++];
        row->name = b->name;
        if (n) {
            st = compare_series(b, n, base->higher_is_better, opts, row);
            continue;
        }
        /* missing: the closest unpaired new name that looks like a rename */
        double best = 2;
        size_t best_j = next->n;
        for (size_t j = 0; j < next->n; j++) {
            double d;
            if (!paired[j] && !find(base, next->s[j].name) &&
                looks_renamed(b->name, next->s[j].name, &d) && d < best) {
                best = d;
                best_j = j;
            }
        }
        if (best_j < next->n) {
            paired[best_j] = 1;
            st = compare_series(b, &next->s[best_j], base->higher_is_better, opts, row);
            row->new_name = next->s[best_j].name;
            row->verdict = EXAM_CMP_RENAMED;
        } else {
            row->verdict = EXAM_CMP_MISSING;
            row->n_base = b->n;
            row->base_median = exam_bench_median(b->v, b->n);
            row->p = 1;
        }
    }
    for (size_t j = 0; j < next->n && st == EXAM_OK; j++) {
        if (paired[j] || find(base, next->s[j].name)) {
            continue;
        }
        exam_cmp_row *row = &out[k++];
        row->name = next->s[j].name;
        row->verdict = EXAM_CMP_NEW;
        row->n_new = next->s[j].n;
        row->new_median = exam_bench_median(next->s[j].v, next->s[j].n);
        row->p = 1;
    }
    free(paired);
    if (st != EXAM_OK) {
        free(out);
        return st;
    }
    *rows = out;
    *n_rows = k;
    return EXAM_OK;
}
