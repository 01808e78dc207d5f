/* `examiner calibrate`: agreement with an external judge and the isotonic map onto its scale,
 * offline from a results file of `examiner grade` (--results), or per cohort from Redis
 * (show | fit | suggest COHORT; parsed here, served by queue/cli/cmd_calibrate_redis.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calib.h"
#include "calib_report.h"
#include "cli.h"
#include "line_reader.h"

static const char calibrate_help[] =
    "usage: examiner calibrate --results RESULTS.jsonl [--json] [--threshold T]\n"
    "                          [--report FILE.html] [--cohort NAME] [--suggest K] [OPTIONS]\n"
    "       examiner calibrate show|fit|suggest COHORT [--redis URL] [--queue NAME] [--n K]\n"
    "Measures how examiner's scores agree with the judge scores that jobs carried (each result\n"
    "of `examiner grade` echoes its job's \"judge\" block) and fits an isotonic map from\n"
    "examiner's 0-10 score onto the judge's scale. Prints a table, or with --json the\n"
    "calibration JSON (docs/calibration.md). Results without a judge block are skipped.\n\n"
    "  --results FILE     results, JSONL ('-' for stdin)\n"
    "  --json             print the calibration JSON instead of the table\n"
    "  --threshold T      list answers whose calibrated score differs from the judge's by more\n"
    "                     than T judge points (default: a fifth of the judge's scale)\n"
    "  --report FILE      write an HTML page with the table and the reliability diagram\n"
    "  --cohort NAME      use only results of this cohort (needed when the file holds several)\n"
    "  --suggest K        also name the K answers whose judging would most improve the map\n"
    "  --bins N           reliability bins (default 10)\n"
    "  --reps N           bootstrap resamples (default 1000)\n"
    "  --seed N           bootstrap seed (default 42)\n\n"
    "Cohort verbs (the calibration kept in Redis by `examiner worker`; --redis defaults to\n"
    "$REDIS_URL, else redis://127.0.0.1:6379/0, the password to --redis-password-file FILE,\n"
    "else $REDISCLI_AUTH; --queue to grading):\n"
    "  show COHORT        print the stored calibration (table; --json for the JSON;\n"
    "                     --report FILE.html for the page with the reliability diagram)\n"
    "  fit COHORT         refit now from the stored pairs and store the result\n"
    "  suggest COHORT     --n K (default 10) answers to judge next; --json; --push adds them\n"
    "                     to the stream examiner:{queue}:judge-requests for a judge to score\n";

typedef struct calib_args {
    const char *results, *report, *cohort, *redis, *redis_password_file, *queue, *verb,
        *verb_cohort;
    int json, push, threshold_given;
    long suggest;
    exam_calib_options opt;
} calib_args;

static int parse_long(const char *o, const char *v, long min, long *out) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || x < min) {
        fprintf(stderr, "examiner calibrate: %s needs an integer >= %ld, not '%s'\n", o, min, v);
        return 0;
    }
    *out = x;
    return 1;
}

/* 0 ok, -1 help printed, else an exit code. */
static int parse_args(int argc, char **argv, calib_args *a) {
    memset(a, 0, sizeof *a);
    exam_calib_options_default(&a->opt);
    int i = 1;
    if (argc > 1 && argv[1][0] != '-') {
        a->verb = argv[1];
        if (strcmp(a->verb, "show") && strcmp(a->verb, "fit") && strcmp(a->verb, "suggest")) {
            fprintf(stderr, "examiner calibrate: unknown verb '%s' (show, fit, suggest)\n",
                    a->verb);
            return EXAM_EXIT_USAGE;
        }
        if (argc < 3 || argv[2][0] == '-') {
            fprintf(stderr, "examiner calibrate %s: needs a COHORT\n", a->verb);
            return EXAM_EXIT_USAGE;
        }
        a->verb_cohort = argv[2];
        i = 3;
    }
    for (; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            fputs(calibrate_help, stdout);
            return -1;
        }
        if (!strcmp(o, "--json") || !strcmp(o, "--push")) {
            *(!strcmp(o, "--json") ? &a->json : &a->push) = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "examiner calibrate: %s needs a value (see --help)\n", o);
            return EXAM_EXIT_USAGE;
        }
        char *v = argv[++i];
        long x;
        if (!strcmp(o, "--results"))
            a->results = v;
        else if (!strcmp(o, "--report"))
            a->report = v;
        else if (!strcmp(o, "--cohort"))
            a->cohort = v;
        else if (!strcmp(o, "--redis"))
            a->redis = exam_cli_redis_arg("calibrate", v);
        else if (!strcmp(o, "--redis-password-file"))
            a->redis_password_file = v;
        else if (!strcmp(o, "--queue"))
            a->queue = v;
        else if (!strcmp(o, "--threshold")) {
            char *end;
            a->opt.threshold = strtod(v, &end);
            a->threshold_given = 1;
            if (*end || !(a->opt.threshold > 0)) {
                fprintf(stderr, "examiner calibrate: --threshold needs a positive number\n");
                return EXAM_EXIT_USAGE;
            }
        } else if (!strcmp(o, "--suggest") || !strcmp(o, "--n")) {
            if (!parse_long(o, v, 1, &a->suggest)) return EXAM_EXIT_USAGE;
        } else if (!strcmp(o, "--bins") || !strcmp(o, "--reps")) {
            if (!parse_long(o, v, 1, &x)) return EXAM_EXIT_USAGE;
            *(!strcmp(o, "--bins") ? &a->opt.bins : &a->opt.boot_reps) = (size_t)x;
        } else if (!strcmp(o, "--seed")) {
            if (!parse_long(o, v, 0, &x)) return EXAM_EXIT_USAGE;
            a->opt.seed = (unsigned long)x;
        } else {
            fprintf(stderr, "examiner calibrate: unknown option '%s' (see --help)\n", o);
            return EXAM_EXIT_USAGE;
        }
    }
    if (!a->verb && !a->results) {
        fprintf(stderr, "examiner calibrate: --results FILE or a cohort verb is required "
                        "(see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    return 0;
}

/* Longest line of a results file. */
#define EXAM_CALIB_MAX_LINE (16u << 20)

typedef struct loaded {
    json_t **results;
    size_t n, cap;
    int rejected;
} loaded;

/* Reads the results file; lines that are not JSON objects are reported and counted. */
static int load_results(const char *path, loaded *l) {
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        perror(path);
        return 0;
    }
    exam_line_reader lr;
    exam_line_reader_init(&lr, f, EXAM_CALIB_MAX_LINE);
    int ok = 1;
    for (;;) {
        char *line;
        size_t len;
        exam_status rs = exam_line_reader_next(&lr, &line, &len);
        if (rs == EXAM_ERR_IO) {
            fprintf(stderr, "examiner calibrate: %s: %s\n", path, exam_error_message());
            ok = 0;
            break;
        }
        if (rs == EXAM_OK && !line) break;
        long lineno = (long)lr.line_no;
        if (rs != EXAM_OK) {
            fprintf(stderr, "%s:%ld: %s\n", path, lineno, exam_error_message());
            l->rejected++;
            continue;
        }
        if (strspn(line, " \t\r") >= len) continue;
        json_error_t err;
        json_t *o = json_loadb(line, len, 0, &err);
        if (!json_is_object(o)) {
            fprintf(stderr, "%s:%ld: not a result object: %s\n", path, lineno,
                    o ? "not an object" : err.text);
            json_decref(o);
            l->rejected++;
            continue;
        }
        if (l->n == l->cap) {
            size_t nc = l->cap ? 2 * l->cap : 256;
            json_t **nr = realloc(l->results, nc * sizeof *nr);
            if (!nr) {
                json_decref(o);
                ok = 0;
                fprintf(stderr, "examiner calibrate: out of memory\n");
                break;
            }
            l->results = nr;
            l->cap = nc;
        }
        l->results[l->n++] = o;
    }
    exam_line_reader_free(&lr);
    if (f != stdin) fclose(f);
    return ok;
}

static void loaded_free(loaded *l) {
    for (size_t i = 0; i < l->n; i++) json_decref(l->results[i]);
    free(l->results);
}

/* The one cohort of the results (or --cohort); NULL with a message when there are several. */
static const char *pick_cohort(const loaded *l, const char *want) {
    if (want) return want;
    const char *first = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const char *c = json_string_value(json_object_get(l->results[i], "cohort"));
        if (!c) continue;
        if (!first)
            first = c;
        else if (strcmp(first, c)) {
            fprintf(stderr,
                    "examiner calibrate: the results hold several cohorts ('%s', '%s', ...); "
                    "choose one with --cohort\n",
                    first, c);
            return NULL;
        }
    }
    return first ? first : "";
}

static int in_cohort(const json_t *r, const char *cohort) {
    const char *c = json_string_value(json_object_get(r, "cohort"));
    return !cohort[0] || (c && !strcmp(c, cohort));
}

/* Adds the suggestions, as result ids, to calib["suggest"] and prints them unless json. */
static int suggest(const calib_args *a, const loaded *l, const char *cohort,
                   const exam_calib_accum *acc, json_t *calib) {
    double *scores = malloc((l->n ? l->n : 1) * sizeof *scores);
    int *judged = malloc((l->n ? l->n : 1) * sizeof *judged);
    size_t *idx = malloc((l->n ? l->n : 1) * sizeof *idx);
    size_t *picked = malloc((l->n ? l->n : 1) * sizeof *picked);
    size_t m = 0, np = 0;
    int ok = scores && judged && idx && picked;
    for (size_t i = 0; ok && i < l->n; i++) {
        const json_t *r = l->results[i];
        json_t *s = json_object_get(r, "score");
        if (!in_cohort(r, cohort) || json_object_get(r, "error") || !json_is_number(s)) continue;
        scores[m] = json_number_value(s);
        judged[m] = json_is_object(json_object_get(r, "judge"));
        idx[m++] = i;
    }
    if (ok &&
        exam_calib_suggest(acc, scores, judged, m, (size_t)a->suggest, picked, &np) != EXAM_OK) {
        fprintf(stderr, "examiner calibrate: %s\n", exam_error_message());
        ok = 0;
    }
    json_t *arr = json_array();
    if (ok && !a->json) printf("\njudge next (%zu, where the map has the least support):\n", np);
    for (size_t k = 0; ok && k < np; k++) {
        const json_t *r = l->results[idx[picked[k]]];
        const char *id = json_string_value(json_object_get(r, "id"));
        json_array_append_new(arr, json_string(id ? id : ""));
        if (!a->json)
            printf("  %-32s score %5.2f%s\n", id ? id : "-", scores[picked[k]],
                   judged[picked[k]] ? "  (already judged once)" : "");
    }
    json_object_set_new(calib, "suggest", arr);
    free(scores);
    free(judged);
    free(idx);
    free(picked);
    return ok;
}

static int run_offline(const calib_args *a) {
    loaded l = {0};
    if (!load_results(a->results, &l)) {
        loaded_free(&l);
        return EXAM_EXIT_FAILURE;
    }
    const char *cohort = pick_cohort(&l, a->cohort);
    if (!cohort) {
        loaded_free(&l);
        return EXAM_EXIT_USAGE;
    }
    exam_calib_accum *acc;
    if (exam_calib_accum_init(&acc) != EXAM_OK) {
        loaded_free(&l);
        return EXAM_EXIT_FAILURE;
    }
    int rejected = l.rejected;
    for (size_t i = 0; i < l.n; i++) {
        if (!in_cohort(l.results[i], cohort)) continue;
        exam_status st = exam_calib_accum_add_result(acc, l.results[i]);
        if (st == EXAM_OK || st == EXAM_ERR_NOT_FOUND) continue;
        const char *id = json_string_value(json_object_get(l.results[i], "id"));
        fprintf(stderr, "examiner calibrate: result %s rejected: %s\n", id ? id : "?",
                exam_error_message());
        rejected++;
    }
    if (exam_calib_accum_count(acc) == 0) {
        fprintf(stderr, "examiner calibrate: no result%s%s carries a judge score\n",
                cohort[0] ? " of cohort " : "", cohort);
        exam_calib_accum_free(acc);
        loaded_free(&l);
        return EXAM_EXIT_FAILURE;
    }
    exam_calib_options opt = a->opt;
    opt.cohort = cohort[0] ? cohort : NULL;
    json_t *calib = NULL;
    int rc = EXAM_EXIT_OK;
    if (exam_calib_fit(acc, &opt, &calib) != EXAM_OK) {
        fprintf(stderr, "examiner calibrate: %s\n", exam_error_message());
        rc = EXAM_EXIT_FAILURE;
        goto done;
    }
    if (!a->json) exam_calib_print_table(stdout, calib);
    if (a->suggest && !suggest(a, &l, cohort, acc, calib)) rc = EXAM_EXIT_FAILURE;
    if (a->json) {
        char *text = json_dumps(calib, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        if (text) puts(text);
        free(text);
    }
    if (a->report && exam_calib_write_page(a->report, calib) != EXAM_OK) {
        fprintf(stderr, "examiner calibrate: %s\n", exam_error_message());
        rc = EXAM_EXIT_FAILURE;
    }
    if (rc == EXAM_EXIT_OK && rejected) rc = EXAM_EXIT_INPUT;
done:
    json_decref(calib);
    exam_calib_accum_free(acc);
    loaded_free(&l);
    return rc;
}

int exam_cli_calibrate(int argc, char **argv) {
    calib_args a;
    int r = parse_args(argc, argv, &a);
    if (r) return r < 0 ? EXAM_EXIT_OK : r;
    if (a.verb) {
        /* the cohort's pairs and calibration live in Redis: queue/cli/cmd_calibrate_redis.c */
        exam_cli_calib_request req = {.verb = a.verb,
                                      .cohort = a.verb_cohort,
                                      .redis = a.redis,
                                      .redis_password_file = a.redis_password_file,
                                      .queue = a.queue,
                                      .report = a.report,
                                      .json = a.json,
                                      .push = a.push,
                                      .n = a.suggest,
                                      .threshold_given = a.threshold_given,
                                      .options = &a.opt};
        return exam_cli_calibrate_redis(&req);
    }
    return run_offline(&a);
}
