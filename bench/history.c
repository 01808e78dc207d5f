/* The JSONL history of benchmark runs and its HTML trend report. */
#include "history.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bank.h"
#include "html_escape.h"

exam_status exam_bench_history_append(const char *dir, const char *json_path) {
    json_error_t jerr;
    json_t *root = json_load_file(json_path, 0, &jerr);
    if (!root) {
        return exam_error_set(EXAM_ERR_FORMAT, "%s:%d: %s", json_path, jerr.line, jerr.text);
    }
    if (!json_is_array(json_object_get(root, "benchmarks"))) {
        json_decref(root);
        return exam_error_set(EXAM_ERR_FORMAT, "%s: not a benchmark result", json_path);
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        json_decref(root);
        return exam_error_set(EXAM_ERR_IO, "%s: %s", dir, strerror(errno));
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/runs.jsonl", dir);
    char *line = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!line) {
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    FILE *f = fopen(path, "a");
    exam_status st = EXAM_OK;
    if (!f || fprintf(f, "%s\n", line) < 0) {
        st = exam_error_set(EXAM_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (f && fclose(f) != 0 && st == EXAM_OK) {
        st = exam_error_set(EXAM_ERR_IO, "%s: %s", path, strerror(errno));
    }
    free(line);
    return st;
}

/* One run of the history. */
typedef struct run {
    exam_bench_results res;
    char label[64]; /* date and commit */
} run;

static const exam_bench_series *find_series(const exam_bench_results *r, const char *name) {
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->s[i].name, name) == 0) {
            return &r->s[i];
        }
    }
    return NULL;
}

/* 1 when `name` regressed in run k against run k-1. */
static int regressed(const run *runs, size_t k, const char *name, const exam_cmp_options *o) {
    if (k == 0) {
        return 0;
    }
    const exam_bench_series *a = find_series(&runs[k - 1].res, name);
    const exam_bench_series *b = find_series(&runs[k].res, name);
    if (!a || !b) {
        return 0;
    }
    exam_bench_results ra = {
        .s = (exam_bench_series *)a, .n = 1, .higher_is_better = runs[k].res.higher_is_better};
    exam_bench_results rb = ra;
    rb.s = (exam_bench_series *)b;
    exam_cmp_row *rows;
    size_t n;
    if (exam_bench_compare(&ra, &rb, o, &rows, &n) != EXAM_OK) {
        return 0;
    }
    int r = n == 1 && rows[0].verdict == EXAM_CMP_REGRESSION;
    free(rows);
    return r;
}

static void write_chart(FILE *f, const run *runs, size_t n_runs, const char *name,
                        const exam_cmp_options *o, const char *metric) {
    const double W = 640, H = 200, L = 70, R = 10, T = 10, B = 30;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < n_runs; k++) {
        const exam_bench_series *s = find_series(&runs[k].res, name);
        if (s && s->n) {
            double m = exam_bench_median(s->v, s->n);
            lo = fmin(lo, m);
            hi = fmax(hi, m);
        }
    }
    if (!isfinite(lo)) {
        return;
    }
    if (hi - lo < 1e-12 * fabs(hi) + 1e-300) {
        lo -= fabs(lo) * 0.05 + 1e-9;
        hi += fabs(hi) * 0.05 + 1e-9;
    }
    fputs("<h2>", f);
    exam_html_escape(f, name, 0);
    fputs("</h2>\n", f);
    fprintf(f, "<svg width=\"%.0f\" height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n", W, H);
    fprintf(f,
            "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
            "stroke=\"#ccc\"/>\n",
            L, T, W - L - R, H - T - B);
    fprintf(f, "<text x=\"2\" y=\"%.0f\" font-size=\"10\">%.4g</text>\n", T + 10, hi);
    fprintf(f, "<text x=\"2\" y=\"%.0f\" font-size=\"10\">%.4g</text>\n", H - B, lo);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\">%s by run (%zu runs)</text>\n", L,
            H - 8, metric, n_runs);
    double span = n_runs > 1 ? (double)(n_runs - 1) : 1;
    fputs("<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"1.5\" points=\"", f);
    for (size_t k = 0; k < n_runs; k++) {
        const exam_bench_series *s = find_series(&runs[k].res, name);
        if (s && s->n) {
            double x = L + (W - L - R) * (double)k / span;
            double y = H - B - (H - T - B) * (exam_bench_median(s->v, s->n) - lo) / (hi - lo);
            fprintf(f, "%.1f,%.1f ", x, y);
        }
    }
    fputs("\"/>\n", f);
    for (size_t k = 0; k < n_runs; k++) {
        const exam_bench_series *s = find_series(&runs[k].res, name);
        if (!s || !s->n) {
            continue;
        }
        double m = exam_bench_median(s->v, s->n);
        double x = L + (W - L - R) * (double)k / span;
        double y = H - B - (H - T - B) * (m - lo) / (hi - lo);
        int bad = regressed(runs, k, name, o);
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"><title>", x, y,
                bad ? 5 : 3, bad ? "#d00" : "#36c");
        exam_html_escape(f, runs[k].label, 0);
        fprintf(f, ": %.5g (n=%zu)%s</title></circle>\n", m, s->n, bad ? " REGRESSION" : "");
    }
    fputs("</svg>\n", f);
}

exam_status exam_bench_report_write(const char *jsonl, const char *metric,
                                    const exam_cmp_options *opts, const char *out_html) {
    char *text;
    size_t len;
    exam_status st = exam_bank_read_file(jsonl, &text, &len);
    if (st != EXAM_OK) {
        return st;
    }
    run *runs = NULL;
    size_t n_runs = 0, cap = 0, skipped = 0;
    for (char *line = text; line && *line && st == EXAM_OK;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = 0;
        }
        json_t *root = *line ? json_loads(line, 0, NULL) : NULL;
        if (root) {
            if (n_runs == cap) {
                cap = cap ? cap * 2 : 16;
                run *nr = realloc(runs, cap * sizeof *nr);
                if (!nr) {
                    st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                    json_decref(root);
                    break;
                }
                runs = nr;
            }
            run *r = &runs[n_runs];
            memset(r, 0, sizeof *r);
            if (exam_bench_results_from_json(root, metric, &r->res) == EXAM_OK) {
                json_t *ctx = json_object_get(root, "context");
                const char *date = json_string_value(json_object_get(ctx, "date"));
                const char *commit = json_string_value(json_object_get(ctx, "git_commit"));
                snprintf(r->label, sizeof r->label, "%.25s %.12s", date ? date : "?",
                         commit ? commit : "?");
                n_runs++;
            } else {
                skipped++;
                exam_error_clear();
            }
            json_decref(root);
        } else if (*line) {
            skipped++;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (st == EXAM_OK && n_runs == 0) {
        st = exam_error_set(EXAM_ERR_NOT_FOUND, "%s: no benchmark runs", jsonl);
    }
    FILE *f = st == EXAM_OK ? fopen(out_html, "w") : NULL;
    if (st == EXAM_OK && !f) {
        st = exam_error_set(EXAM_ERR_IO, "%s: %s", out_html, strerror(errno));
    }
    if (f) {
        fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>examiner benchmark "
              "history</title>\n<style>body{font-family:sans-serif;margin:2em}h2{font-size:"
              "1em;margin:1.5em 0 .3em}</style></head><body>\n<h1>examiner benchmark history"
              "</h1>\n",
              f);
        fprintf(f, "<p>%zu runs from ", n_runs);
        exam_html_escape(f, jsonl, 0);
        fprintf(f,
                " (%zu lines skipped). Median %s per run; red points: Mann-Whitney p &lt; %g and "
                "a median change beyond %.1f%% in the bad direction against the run before.</p>\n",
                skipped, metric, opts->alpha, opts->threshold * 100);
        /* every name of every run, first appearance order */
        for (size_t k = 0; k < n_runs; k++) {
            for (size_t i = 0; i < runs[k].res.n; i++) {
                const char *name = runs[k].res.s[i].name;
                int seen = 0;
                for (size_t j = 0; j < k && !seen; j++) {
                    seen = find_series(&runs[j].res, name) != NULL;
                }
                if (!seen) {
                    write_chart(f, runs, n_runs, name, opts, metric);
                }
            }
        }
        fputs("</body></html>\n", f);
        if (fclose(f) != 0) {
            st = exam_error_set(EXAM_ERR_IO, "%s: %s", out_html, strerror(errno));
        }
    }
    for (size_t k = 0; k < n_runs; k++) {
        exam_bench_results_free(&runs[k].res);
    }
    free(runs);
    return st;
}
