/* `examiner grade`: grades a JSONL file of jobs against a question bank, writes results,
 * prints the cohort table and optionally writes an HTML report. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bank.h"
#include "cli.h"
#include "grade.h"
#include "grade_report.h"
#include "line_reader.h"

static const char grade_help[] =
    "usage: examiner grade --bank BANK --answers JOBS.jsonl [--out RESULTS.jsonl]\n"
    "                      [--report report.html] [OPTIONS]\n"
    "Grades every job (one JSON object a line, the queue's job schema) against the bank (a\n"
    "JSONL file or a folder of them) and writes one result a line (the queue's result schema)\n"
    "to --out ('-' for stdout). Prints the cohort table (candidate x question) and a timing\n"
    "line; --report writes an HTML report for hiring managers.\n\n"
    "  --bank PATH        question bank file or folder (required)\n"
    "  --answers FILE     jobs, JSONL ('-' for stdin) (required)\n"
    "  --out FILE         results, JSONL\n"
    "  --report FILE      HTML report\n"
    "  --title TEXT       report title (default: \"Grading report\")\n"
    "  --batch N          jobs graded per batch (default 64)\n"
    "  --max-job-bytes N  longest accepted job line (default 65536)\n"
    "  --quiet            no cohort table\n"
    "  --cache-dir DIR    where the bank's embeddings are kept between runs, one file per bank\n"
    "                     version, model and backend (default: $EXAMINER_CACHE_DIR, else\n"
    "                     $XDG_CACHE_HOME/examiner, else ~/.cache/examiner)\n"
    "  --no-cache         embed the bank afresh and keep nothing\n";

typedef struct grade_args {
    const char *bank, *answers, *out, *report, *title, *cache_dir;
    int no_cache;
    int batch;
    long max_job;
    int quiet;
} grade_args;

static int parse_args(int argc, char **argv, grade_args *a, exam_cli_model_args *m) {
    memset(a, 0, sizeof *a);
    a->batch = 64;
    a->max_job = 65536;
    a->title = "Grading report";
    for (int i = 1; i < argc; i++) {
        int r = exam_cli_parse_model_arg(argc, argv, &i, m);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0) continue;
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            printf("%s%s", grade_help, exam_cli_model_help);
            return -1;
        }
        if (exam_cli_refuse_long_arg("grade", o)) return EXAM_EXIT_USAGE;
        if (!strcmp(o, "--quiet")) {
            a->quiet = 1;
            continue;
        }
        if (!strcmp(o, "--no-cache")) {
            a->no_cache = 1;
            continue;
        }
        const char **dst = !strcmp(o, "--bank")        ? &a->bank
                           : !strcmp(o, "--answers")   ? &a->answers
                           : !strcmp(o, "--out")       ? &a->out
                           : !strcmp(o, "--report")    ? &a->report
                           : !strcmp(o, "--title")     ? &a->title
                           : !strcmp(o, "--cache-dir") ? &a->cache_dir
                                                       : NULL;
        int is_num = !strcmp(o, "--batch") || !strcmp(o, "--max-job-bytes");
        if (!dst && !is_num) {
            fprintf(stderr, "examiner grade: unknown option '%s' (see --help)\n", o);
            return EXAM_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "examiner grade: %s needs a value\n", o);
            return EXAM_EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (dst) {
            *dst = v;
            continue;
        }
        char *end;
        long x = strtol(v, &end, 10);
        if (*end || x < 1 || x > (1L << 30)) {
            fprintf(stderr, "examiner grade: %s wants a positive number, not '%s'\n", o, v);
            return EXAM_EXIT_USAGE;
        }
        if (!strcmp(o, "--batch"))
            a->batch = (int)(x > 4096 ? 4096 : x);
        else
            a->max_job = x;
    }
    if (!a->bank || !a->answers) {
        fprintf(stderr, "examiner grade: --bank and --answers are required (see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    return 0;
}

/* Everything graded so far, kept for the table and the report. */
typedef struct collected {
    json_t **results;
    char **answers;
    size_t n, cap;
} collected;

static int collect(collected *c, json_t *result, const char *answer) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        json_t **r = realloc(c->results, cap * sizeof *r);
        if (!r) return 0;
        c->results = r;
        char **a = realloc(c->answers, cap * sizeof *a);
        if (!a) return 0;
        c->answers = a;
        c->cap = cap;
    }
    c->results[c->n] = result;
    c->answers[c->n] = answer ? strdup(answer) : NULL;
    c->n++;
    return 1;
}

static void collected_free(collected *c) {
    for (size_t i = 0; i < c->n; i++) {
        json_decref(c->results[i]);
        free(c->answers[i]);
    }
    free(c->results);
    free(c->answers);
}

/* Writes a result and keeps it; 0, with the reason on stderr, when it cannot (a result that
 * could not be built: out of memory, or a score that is not a finite number). */
static int emit(FILE *out, collected *all, json_t *result, const char *answer) {
    if (!result) {
        fprintf(stderr, "examiner grade: cannot build a result (out of memory, or a score that "
                        "is not a finite number)\n");
        return 0;
    }
    if (out) {
        char *s = json_dumps(result, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (!s) {
            json_decref(result);
            return 0;
        }
        fprintf(out, "%s\n", s);
        free(s);
    }
    if (!collect(all, result, answer)) {
        json_decref(result);
        return 0;
    }
    return 1;
}

int exam_cli_grade(int argc, char **argv) {
    grade_args a;
    exam_cli_model_args m = {0};
    int rc = parse_args(argc, argv, &a, &m);
    if (rc) return rc < 0 ? EXAM_EXIT_OK : rc;

    exam_bank bank;
    if (exam_bank_load(a.bank, &bank) != EXAM_OK) {
        fprintf(stderr, "examiner grade: %s\n", exam_error_message());
        return EXAM_EXIT_FAILURE;
    }
    FILE *in = strcmp(a.answers, "-") == 0 ? stdin : fopen(a.answers, "r");
    if (!in) {
        fprintf(stderr, "examiner grade: cannot open %s: %s\n", a.answers, strerror(errno));
        exam_bank_free(&bank);
        return EXAM_EXIT_FAILURE;
    }
    FILE *out = NULL;
    int out_stdout = a.out && strcmp(a.out, "-") == 0;
    if (a.out) out = out_stdout ? stdout : fopen(a.out, "w");
    if (a.out && !out) {
        fprintf(stderr, "examiner grade: cannot write %s: %s\n", a.out, strerror(errno));
        if (in != stdin) fclose(in);
        exam_bank_free(&bank);
        return EXAM_EXIT_FAILURE;
    }
    FILE *table = out_stdout ? stderr : stdout;

    exam_backend *be = NULL;
    exam_encoder *enc = NULL;
    exam_grader *g = NULL;
    double t0 = exam_cli_now();
    rc = exam_cli_open_encoder(&m, &be, &enc);
    char cache_buf[4096];
    const char *cdir = exam_cli_cache_dir(a.cache_dir, a.no_cache, cache_buf, sizeof cache_buf);
    if (rc == EXAM_EXIT_OK && exam_grader_init(&bank, enc, NULL, cdir, &g) != EXAM_OK) {
        fprintf(stderr, "examiner grade: cannot embed the bank: %s\n", exam_error_message());
        rc = EXAM_EXIT_FAILURE;
    }
    double t_ready = exam_cli_now();
    char host[256] = "cli";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "cli");
    host[sizeof host - 1] = '\0';
    exam_grade_context ctx = {be ? be->name : "", enc ? exam_encoder_model_name(enc) : "", host,
                              EXAMINER_VERSION, bank.version};

    collected all = {0};
    exam_grade_job *jobs = calloc((size_t)a.batch, sizeof *jobs);
    exam_grade_result *res = calloc((size_t)a.batch, sizeof *res);
    size_t n_jobs = 0, n_failed = 0, n_graded = 0;
    exam_line_reader lr;
    exam_line_reader_init(&lr, in, (size_t)a.max_job);
    /* results leave in input order: a slot is a job of the batch or an early error result */
    json_t **early = calloc((size_t)a.batch, sizeof *early);
    int *slot_job = calloc((size_t)a.batch, sizeof *slot_job);
    int done = rc != EXAM_EXIT_OK || !jobs || !res || !early || !slot_job;
    if (!jobs || !res || !early || !slot_job) rc = EXAM_EXIT_FAILURE;
    double t_grade = 0;
    while (!done) {
        int nb = 0, ns = 0;
        while (ns < a.batch) {
            char *line;
            size_t len;
            exam_status rs = exam_line_reader_next(&lr, &line, &len);
            size_t line_no = lr.line_no;
            if (rs == EXAM_ERR_IO) {
                fprintf(stderr, "examiner grade: %s: %s\n", a.answers, exam_error_message());
                rc = EXAM_EXIT_FAILURE;
                done = 1;
                break;
            }
            if (rs == EXAM_OK && !line) {
                done = 1;
                break;
            }
            char msg[300];
            if (rs != EXAM_OK) { /* too long, or no memory to hold it: an error for that line */
                n_jobs++;
                if (rs == EXAM_ERR_LIMIT)
                    snprintf(msg, sizeof msg,
                             "line %zu: job of %zu bytes exceeds the %ld-byte limit", line_no,
                             lr.len, a.max_job);
                else
                    snprintf(msg, sizeof msg, "line %zu: out of memory holding its %zu bytes",
                             line_no, lr.len);
                fprintf(stderr, "examiner grade: %s\n", msg);
                n_failed++;
                slot_job[ns] = -1;
                early[ns++] = exam_grade_error_json(NULL, rs, msg);
                continue;
            }
            size_t k = 0;
            while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
            if (k == len) continue;
            n_jobs++;
            json_error_t jerr;
            json_t *obj = json_loadb(line, len, 0, &jerr);
            exam_status st = EXAM_OK;
            if (!obj) {
                snprintf(msg, sizeof msg, "line %zu: malformed JSON: %s", line_no, jerr.text);
                st = EXAM_ERR_FORMAT;
            } else if ((st = exam_grade_job_from_json(obj, &jobs[nb])) != EXAM_OK) {
                snprintf(msg, sizeof msg, "line %zu: %s", line_no, exam_error_message());
            }
            json_decref(obj);
            if (st != EXAM_OK) {
                fprintf(stderr, "examiner grade: %s\n", msg);
                n_failed++;
                slot_job[ns] = -1;
                early[ns++] = exam_grade_error_json(jobs[nb].id, st, msg);
                exam_grade_job_free(&jobs[nb]);
                continue;
            }
            slot_job[ns] = nb;
            early[ns++] = NULL;
            nb++;
        }
        if (ns == 0) break;
        if (nb > 0) {
            double tb = exam_cli_now();
            exam_status st = exam_grader_grade(g, jobs, (size_t)nb, res);
            t_grade += exam_cli_now() - tb;
            if (st != EXAM_OK) {
                fprintf(stderr, "examiner grade: batch failed: %s\n", exam_error_message());
                rc = EXAM_EXIT_FAILURE;
            }
        }
        for (int k = 0; k < ns; k++) {
            if (slot_job[k] < 0) {
                if (!emit(out, &all, early[k], NULL)) rc = EXAM_EXIT_FAILURE;
                early[k] = NULL;
                continue;
            }
            int i = slot_job[k];
            if (res[i].status != EXAM_OK) {
                fprintf(stderr, "examiner grade: job %s: %s\n", jobs[i].id, res[i].error);
                n_failed++;
            } else {
                n_graded++;
            }
            if (!emit(out, &all, exam_grade_result_to_json(&jobs[i], &res[i], &ctx),
                      jobs[i].answer))
                rc = EXAM_EXIT_FAILURE;
            exam_grade_result_free(&res[i]);
            exam_grade_job_free(&jobs[i]);
        }
        if (rc == EXAM_EXIT_FAILURE) break;
    }
    exam_line_reader_free(&lr);
    if (in != stdin) fclose(in);
    if (out && !out_stdout && fclose(out) != 0) {
        fprintf(stderr, "examiner grade: cannot write %s: %s\n", a.out, strerror(errno));
        rc = EXAM_EXIT_FAILURE;
    }
    if (g && !a.quiet && all.n) exam_report_print_table(table, all.results, all.n);
    if (g && a.report) {
        FILE *rf = fopen(a.report, "w");
        if (!rf || exam_report_write_html(rf, all.results, (const char *const *)all.answers, all.n,
                                          &bank, a.title) != EXAM_OK) {
            fprintf(stderr, "examiner grade: cannot write %s: %s\n", a.report,
                    rf ? exam_error_message() : strerror(errno));
            rc = EXAM_EXIT_FAILURE;
        }
        if (rf && fclose(rf) != 0) rc = EXAM_EXIT_FAILURE;
    }
    if (g) {
        double enc_s = exam_grader_encode_seconds(g);
        fprintf(stderr,
                "examiner grade: %zu jobs, %zu graded, %zu failed; bank of %zu questions %s "
                "in %.2f s (model load %.2f s); grading %.2f s = %.1f answers/s, %.0f%% of it "
                "encoding answers (backend %s)\n",
                n_jobs, n_graded, n_failed, bank.count,
                exam_grader_from_cache(g) ? "read from the cache" : "embedded",
                exam_grader_bank_seconds(g), t_ready - t0 - exam_grader_bank_seconds(g), t_grade,
                t_grade > 0 ? (double)n_graded / t_grade : 0.0,
                t_grade > 0 ? 100.0 * enc_s / t_grade : 0.0, ctx.backend);
    }
    collected_free(&all);
    free(early);
    free(slot_job);
    free(jobs);
    free(res);
    exam_grader_free(g);
    exam_cli_close_encoder(be, enc);
    exam_bank_free(&bank);
    if (rc == EXAM_EXIT_OK && n_failed) rc = EXAM_EXIT_INPUT;
    return rc;
}
