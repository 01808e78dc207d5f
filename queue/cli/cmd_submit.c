/* `examiner submit`: adds a JSONL file of jobs to the queue's jobs stream. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "queue_fields.h"
#include "queue_cli.h"
#include "queue_submit.h"

static const char submit_help[] =
    "usage: examiner submit JOBS.jsonl [--redis URL] [--queue NAME] [--maxlen N] [--raw]\n"
    "                       [--rate R]\n"
    "Adds each line of JOBS.jsonl ('-' for stdin; one job object a line, the queue's job\n"
    "schema) to the jobs stream examiner:{NAME}:jobs as an entry with field `job`, pipelined in\n"
    "chunks, creates the consumer group `examiner` (from the stream's start) when missing, and\n"
    "records each job id in examiner:{NAME}:cohort:<cohort>" EXAM_QK_COHORT_SUBMITTED_SUFFIX
    " and the cohort in\n"
    "examiner:{NAME}:cohorts (key names: docs/queue.md, key layout v2). Job ids are global per\n"
    "queue: lines that are not valid jobs, reuse an earlier line's id, or reuse the id of a\n"
    "result of another cohort (id_conflict) are reported on stderr with their line numbers and\n"
    "skipped; the exit status is then 3. Prints how many were added and the first and last\n"
    "entry ids.\n\n"
    "  --raw              send every line as it is, unchecked (tests of the worker's checks)\n"
    "  --rate R           add R jobs per second at a constant pace (open loop), for benchmarks\n"
    "  --maxlen N         cap the jobs stream at N entries. Trimming policy: submit never trims\n"
    "                     with XADD MAXLEN, which would drop jobs no worker has read or\n"
    "                     acknowledged; when a chunk would pass N it removes (XTRIM MINID) only\n"
    "                     entries older than the consumer group's oldest pending or unread\n"
    "                     one. If unfinished jobs alone fill N it stops with exit status 1\n"
    "                     (back-pressure); what it added stays added. Default: no cap.\n"
    "  --max-job-bytes N  longest accepted line (default 65536)\n";

typedef struct submit_report {
    const char *name;
    size_t shown;
} submit_report;

static void report_reject(void *user, size_t line_no, const char *why) {
    submit_report *rep = user;
    if (rep->shown++ < 1000) fprintf(stderr, "%s:%zu: %s\n", rep->name, line_no, why);
}

int exam_cli_submit(int argc, char **argv) {
    exam_queue_cli_args q;
    exam_queue_cli_defaults(&q);
    exam_submit_options o = {0};
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        int r = exam_queue_cli_parse("submit", argc, argv, &i, &q);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0) continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s%s", submit_help, exam_queue_cli_help);
            return EXAM_EXIT_OK;
        }
        if (!strcmp(a, "--raw")) {
            o.raw = 1;
            continue;
        }
        if (!strcmp(a, "--maxlen") || !strcmp(a, "--rate") || !strcmp(a, "--max-job-bytes")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "examiner submit: %s needs a value\n", a);
                return EXAM_EXIT_USAGE;
            }
            const char *v = argv[++i];
            long long x;
            if (!strcmp(a, "--rate")) {
                char *end;
                double rate = strtod(v, &end);
                if (end == v || *end || !isfinite(rate) || rate <= 0 || rate > 1e7) {
                    fprintf(stderr, "examiner submit: --rate wants jobs per second > 0, not '%s'\n",
                            v);
                    return EXAM_EXIT_USAGE;
                }
                o.rate = rate;
            } else if (exam_queue_cli_number("submit", a, v, 1, 1LL << 40, &x)) {
                return EXAM_EXIT_USAGE;
            } else if (!strcmp(a, "--maxlen")) {
                o.maxlen = x;
            } else {
                o.max_line = (size_t)x;
            }
            continue;
        }
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "examiner submit: unknown option '%s' (see --help)\n", a);
            return EXAM_EXIT_USAGE;
        }
        if (file) {
            fprintf(stderr, "examiner submit: one JOBS file only ('%s' and '%s')\n", file, a);
            return EXAM_EXIT_USAGE;
        }
        file = a;
    }
    if (!file) {
        fprintf(stderr, "examiner submit: which JOBS.jsonl? (see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    FILE *in = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (!in) {
        fprintf(stderr, "examiner submit: cannot open %s: %s\n", file, strerror(errno));
        return EXAM_EXIT_FAILURE;
    }
    exam_queue_keys keys;
    exam_redis *r;
    int rc = exam_queue_cli_open("submit", &q, 1, &keys, &r);
    if (rc != EXAM_EXIT_OK) {
        if (in != stdin) fclose(in);
        return rc;
    }
    submit_report rep = {file, 0};
    exam_submit_stats stats;
    exam_status st = exam_queue_submit_file(r, &keys, in, file, &o, report_reject, &rep, &stats);
    if (in != stdin) fclose(in);
    if (st != EXAM_OK) fprintf(stderr, "examiner submit: %s\n", exam_error_message());
    printf("added %zu jobs to %s (%s .. %s) in %.2f s", stats.added, keys.jobs,
           stats.first_id[0] ? stats.first_id : "-", stats.last_id[0] ? stats.last_id : "-",
           stats.seconds);
    if (stats.rejected) printf(", %zu lines rejected", stats.rejected);
    if (stats.trimmed) printf(", %zu acknowledged entries trimmed", stats.trimmed);
    printf("\n");
    exam_redis_close(r);
    if (st != EXAM_OK) return exam_queue_cli_exit(st);
    return stats.rejected ? EXAM_EXIT_INPUT : EXAM_EXIT_OK;
}
