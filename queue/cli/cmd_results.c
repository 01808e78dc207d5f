/* `examiner results`: a cohort's results from the queue as JSONL, with the cohort table and
 * the HTML report of `examiner grade` on request; optionally waits for the cohort to finish. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bank.h"
#include "cli.h"
#include "grade_report.h"
#include "line_reader.h"
#include "queue_cli.h"
#include "queue_results.h"

static const char results_help[] =
    "usage: examiner results --cohort C [--redis URL] [--queue NAME] [--wait] [--timeout S]\n"
    "                        [--out FILE] [--table] [--report FILE --bank PATH\n"
    "                        --answers JOBS.jsonl --title TEXT]\n"
    "Prints the results of cohort C as JSONL (one result object a line, the queue's result\n"
    "schema), sorted by candidate, then question: the job ids recorded in\n"
    "examiner:{NAME}:cohort:C:ids and each one's result hash.\n\n"
    "  --cohort C         the cohort (required)\n"
    "  --wait             first wait until every recorded job id of the cohort has a result\n"
    "                     (dead-lettered jobs have an error result, so they count as done);\n"
    "                     reconnects if Redis goes away meanwhile\n"
    "  --timeout S        give up waiting after S seconds (exit 1; default: no limit)\n"
    "  --out FILE         write the JSONL there instead of stdout\n"
    "  --table            print the cohort table (candidate x question; on stderr when the\n"
    "                     JSONL goes to stdout)\n"
    "  --report FILE      write the HTML report of `examiner grade`\n"
    "  --bank PATH        question bank for the report's question texts\n"
    "  --answers FILE     the submitted jobs: the report's answer texts, and the table's and\n"
    "                     report's order (the file's, as `examiner grade` prints it)\n"
    "  --title TEXT       report title (default: \"Grading report: cohort C\")\n"
    "Exit status 1 when some recorded jobs have no result (after --wait: when it timed out).\n";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Waits until the cohort has ids and none lacks a result. Returns 0, or -1 (timed out or a
 * Redis error, reported). */
static int wait_done(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                     double timeout) {
    double t0 = now_s(), last_note = t0;
    for (;;) {
        size_t total = 0, missing = 0;
        exam_status st = exam_queue_cohort_progress(r, keys, cohort, &total, &missing);
        double left = timeout > 0 ? timeout - (now_s() - t0) : 0;
        if (st == EXAM_ERR_UNAVAILABLE) {
            fprintf(stderr, "examiner results: %s; reconnecting\n", exam_error_message());
            if (timeout > 0 && left <= 0) return -1;
            st = exam_redis_reconnect_backoff(r, NULL, timeout > 0 ? left : 0);
            if (st != EXAM_OK) {
                fprintf(stderr, "examiner results: %s\n", exam_error_message());
                return -1;
            }
            continue;
        }
        if (st != EXAM_OK) {
            fprintf(stderr, "examiner results: %s\n", exam_error_message());
            return -1;
        }
        if (total > 0 && missing == 0) return 0;
        if (timeout > 0 && left <= 0) {
            fprintf(stderr,
                    "examiner results: timed out after %.0f s: %zu of %zu jobs of cohort "
                    "'%s' have no result yet\n",
                    timeout, missing, total, cohort);
            return -1;
        }
        if (now_s() - last_note >= 10) {
            fprintf(stderr, "examiner results: waiting: %zu of %zu jobs of cohort '%s' left\n",
                    missing, total, cohort);
            last_note = now_s();
        }
        sleep_s(0.2);
    }
}

/* Longest line of the submitted jobs file that is read back for the report. */
#define EXAM_RESULTS_MAX_JOB_LINE (16u << 20)

/* The answer text of each result, by job id, from the submitted jobs file (NULL when absent). */
static char **answers_for(const char *path, json_t *results) {
    size_t n = json_array_size(results);
    char **answers = calloc(n ? n : 1, sizeof *answers);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "examiner results: cannot open %s: %s (report without answers)\n", path,
                strerror(errno));
        return answers;
    }
    json_t *by_id = json_object();
    exam_line_reader lr;
    exam_line_reader_init(&lr, f, EXAM_RESULTS_MAX_JOB_LINE);
    char *line;
    size_t len;
    exam_status rs;
    while (by_id && ((rs = exam_line_reader_next(&lr, &line, &len)) != EXAM_OK || line)) {
        if (rs != EXAM_OK) {
            fprintf(stderr, "examiner results: %s: %s\n", path, exam_error_message());
            if (rs == EXAM_ERR_IO) break;
            continue;
        }
        json_t *job = json_loadb(line, len, 0, NULL);
        const char *id = json_string_value(json_object_get(job, "id"));
        json_t *answer = json_object_get(job, "answer");
        if (id && json_is_string(answer)) json_object_set(by_id, id, answer);
        json_decref(job);
    }
    exam_line_reader_free(&lr);
    fclose(f);
    for (size_t i = 0; answers && i < n; i++) {
        const char *id = json_string_value(json_object_get(json_array_get(results, i), "id"));
        const char *a = id ? json_string_value(json_object_get(by_id, id)) : NULL;
        answers[i] = a ? strdup(a) : NULL;
    }
    json_decref(by_id);
    return answers;
}

/* A new array of the results in the order their jobs appear in the submitted jobs file (results
 * of ids not in the file keep their order, after the others), so the table's and the report's
 * rows and columns follow the file, as `examiner grade`'s do. NULL when the file cannot be read. */
static json_t *in_file_order(const char *path, json_t *results) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    json_t *line_of = json_object();
    exam_line_reader lr;
    exam_line_reader_init(&lr, f, EXAM_RESULTS_MAX_JOB_LINE);
    char *line;
    size_t len;
    exam_status rs;
    json_int_t k = 0;
    while (line_of && ((rs = exam_line_reader_next(&lr, &line, &len)) != EXAM_OK || line)) {
        if (rs == EXAM_ERR_IO) break; /* answers_for has said so */
        json_t *job = rs == EXAM_OK ? json_loadb(line, len, 0, NULL) : NULL;
        const char *id = json_string_value(json_object_get(job, "id"));
        if (id && !json_object_get(line_of, id)) json_object_set_new(line_of, id, json_integer(k));
        k++;
        json_decref(job);
    }
    exam_line_reader_free(&lr);
    fclose(f);
    json_t *ordered = line_of ? json_array() : NULL;
    size_t n = json_array_size(results);
    json_t **slot = ordered ? calloc((size_t)k + n + 1, sizeof *slot) : NULL;
    if (!slot) {
        json_decref(ordered);
        json_decref(line_of);
        return NULL;
    }
    size_t extra = (size_t)k;
    for (size_t i = 0; i < n; i++) {
        json_t *res = json_array_get(results, i);
        const char *id = json_string_value(json_object_get(res, "id"));
        json_t *at = id ? json_object_get(line_of, id) : NULL;
        size_t pos = at ? (size_t)json_integer_value(at) : extra++;
        if (slot[pos]) pos = extra++; /* the same id twice in the file: keep both */
        slot[pos] = res;
    }
    for (size_t i = 0; i < extra; i++)
        if (slot[i]) json_array_append(ordered, slot[i]);
    free(slot);
    json_decref(line_of);
    return ordered;
}

static int write_report(const char *path, const char *bank_path, const char *answers_path,
                        const char *title, json_t *results) {
    exam_bank bank;
    int have_bank = 0;
    if (bank_path) {
        if (exam_bank_load(bank_path, &bank) != EXAM_OK) {
            fprintf(stderr, "examiner results: %s\n", exam_error_message());
            return -1;
        }
        have_bank = 1;
    }
    size_t n = json_array_size(results);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    char **answers = answers_path ? answers_for(answers_path, results) : NULL;
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!v || !f) {
        fprintf(stderr, "examiner results: cannot write %s: %s\n", path, strerror(errno));
        rc = -1;
    } else {
        for (size_t i = 0; i < n; i++) v[i] = json_array_get(results, i);
        if (exam_report_write_html(f, v, (const char *const *)answers, n, have_bank ? &bank : NULL,
                                   title) != EXAM_OK) {
            fprintf(stderr, "examiner results: %s\n", exam_error_message());
            rc = -1;
        }
    }
    if (f && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "examiner results: writing %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    for (size_t i = 0; answers && i < n; i++) free(answers[i]);
    free(answers);
    free(v);
    if (have_bank) exam_bank_free(&bank);
    return rc;
}

static void print_table(FILE *out, json_t *results) {
    size_t n = json_array_size(results);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return;
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(results, i);
    exam_report_print_table(out, v, n);
    free(v);
}

int exam_cli_results(int argc, char **argv) {
    exam_queue_cli_args q;
    exam_queue_cli_defaults(&q);
    const char *cohort = NULL, *out_path = NULL, *report = NULL, *bank = NULL, *answers = NULL,
               *title = NULL;
    int wait = 0, table = 0;
    double timeout = 0;
    for (int i = 1; i < argc; i++) {
        int r = exam_queue_cli_parse("results", argc, argv, &i, &q);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0) continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s%s", results_help, exam_queue_cli_help);
            return EXAM_EXIT_OK;
        }
        if (!strcmp(a, "--wait") || !strcmp(a, "--table")) {
            *(!strcmp(a, "--wait") ? &wait : &table) = 1;
            continue;
        }
        const char **dst = !strcmp(a, "--cohort")    ? &cohort
                           : !strcmp(a, "--out")     ? &out_path
                           : !strcmp(a, "--report")  ? &report
                           : !strcmp(a, "--bank")    ? &bank
                           : !strcmp(a, "--answers") ? &answers
                           : !strcmp(a, "--title")   ? &title
                                                     : NULL;
        int is_timeout = !strcmp(a, "--timeout");
        if (!dst && !is_timeout) {
            fprintf(stderr, "examiner results: unknown option '%s' (see --help)\n", a);
            return EXAM_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "examiner results: %s needs a value\n", a);
            return EXAM_EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (dst) {
            *dst = v;
            continue;
        }
        char *end;
        timeout = strtod(v, &end);
        if (end == v || *end || !isfinite(timeout) || timeout <= 0) {
            fprintf(stderr, "examiner results: --timeout wants seconds > 0, not '%s'\n", v);
            return EXAM_EXIT_USAGE;
        }
    }
    if (!cohort || !*cohort) {
        fprintf(stderr, "examiner results: --cohort is required (see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    exam_queue_keys keys;
    exam_redis *r;
    int rc = exam_queue_cli_open("results", &q, 0, &keys, &r);
    if (rc != EXAM_EXIT_OK) return rc;
    if (wait && wait_done(r, &keys, cohort, timeout) != 0) rc = EXAM_EXIT_FAILURE;
    json_t *results = NULL;
    size_t missing = 0;
    exam_status st = exam_queue_cohort_results(r, &keys, cohort, &results, &missing);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner results: %s\n", exam_error_message());
        exam_redis_close(r);
        return exam_queue_cli_exit(st);
    }
    exam_redis_close(r);
    FILE *out = out_path && strcmp(out_path, "-") ? fopen(out_path, "w") : stdout;
    if (!out) {
        fprintf(stderr, "examiner results: cannot write %s: %s\n", out_path, strerror(errno));
        json_decref(results);
        return EXAM_EXIT_FAILURE;
    }
    size_t i;
    json_t *res;
    json_array_foreach(results, i, res) {
        char *s = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (s) fprintf(out, "%s\n", s);
        free(s);
    }
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "examiner results: writing %s: %s\n", out_path, strerror(errno));
        rc = EXAM_EXIT_FAILURE;
    } else if (out == stdout) {
        fflush(stdout);
    }
    /* the JSONL above is sorted by candidate and question; the views follow the jobs file when
     * it is given */
    json_t *view = answers ? in_file_order(answers, results) : NULL;
    if (!view) view = json_incref(results);
    if (table) print_table(out == stdout ? stderr : stdout, view);
    if (report) {
        char def_title[256];
        snprintf(def_title, sizeof def_title, "Grading report: cohort %s", cohort);
        if (write_report(report, bank, answers, title ? title : def_title, view) != 0)
            rc = EXAM_EXIT_FAILURE;
    }
    json_decref(view);
    if (missing && rc == EXAM_EXIT_OK) {
        fprintf(stderr, "examiner results: %zu jobs of cohort '%s' have no result yet\n", missing,
                cohort);
        rc = EXAM_EXIT_FAILURE;
    }
    if (json_array_size(results) == 0 && missing == 0)
        fprintf(stderr, "examiner results: cohort '%s' has no recorded jobs\n", cohort);
    json_decref(results);
    return rc;
}
