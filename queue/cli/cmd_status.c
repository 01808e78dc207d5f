/* `examiner status`: a snapshot of one queue for operators, as text or JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "queue_cli.h"
#include "queue_info.h"

static const char status_help[] =
    "usage: examiner status [--redis URL] [--queue NAME] [--json]\n"
    "Shows the jobs stream (length, first/last id), the consumer group `examiner` (lag: entries\n"
    "not yet delivered, pending: delivered but not acknowledged, entries-read, last delivered\n"
    "id), each consumer (pending, idle ms), the results stream's length, the number of dead\n"
    "letters and each cohort's done / failed / mean score.\n\n"
    "  --json             one JSON object instead of text\n";

static long long num(const json_t *o, const char *k) {
    return (long long)json_integer_value(json_object_get(o, k));
}

/* Prints a JSON value that may be null. */
static void print_opt(const json_t *v) {
    if (json_is_integer(v))
        printf("%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        printf("%s", json_string_value(v));
    else
        printf("-");
}

static void print_text(const json_t *info) {
    const json_t *jobs = json_object_get(info, "jobs"), *g = json_object_get(info, "group");
    printf("queue        %s\n", json_string_value(json_object_get(info, "queue")));
    printf("jobs         %lld entries (", num(jobs, "length"));
    print_opt(json_object_get(jobs, "first_id"));
    printf(" .. ");
    print_opt(json_object_get(jobs, "last_id"));
    printf("), %lld ever added\n", num(jobs, "entries_added"));
    if (!json_is_true(json_object_get(g, "exists"))) {
        printf("group        %s: not created yet (no submit or worker has run)\n",
               json_string_value(json_object_get(g, "name")));
    } else {
        printf("group        %s: lag ", json_string_value(json_object_get(g, "name")));
        print_opt(json_object_get(g, "lag"));
        printf(", pending %lld, entries-read ", num(g, "pending"));
        print_opt(json_object_get(g, "entries_read"));
        printf(", last delivered ");
        print_opt(json_object_get(g, "last_delivered_id"));
        printf("\n");
        const json_t *cs = json_object_get(g, "consumers");
        printf("consumers    %zu\n", json_array_size(cs));
        size_t i;
        const json_t *c;
        json_array_foreach(cs, i, c) {
            printf("  %-32s pending %-6lld idle %lld ms\n",
                   json_string_value(json_object_get(c, "name")), num(c, "pending"),
                   num(c, "idle_ms"));
        }
    }
    printf("results      %lld entries\n", num(json_object_get(info, "results"), "length"));
    printf("dead letters %lld\n", num(info, "dead_letters"));
    const json_t *cohorts = json_object_get(info, "cohorts");
    printf("cohorts      %zu\n", json_array_size(cohorts));
    size_t i;
    const json_t *c;
    json_array_foreach(cohorts, i, c) {
        const json_t *mean = json_object_get(c, "mean");
        printf("  %-24s submitted %-6lld done %-6lld failed %-6lld mean ",
               json_string_value(json_object_get(c, "cohort")), num(c, "submitted"), num(c, "done"),
               num(c, "failed"));
        if (json_is_number(mean))
            printf("%.2f\n", json_number_value(mean));
        else
            printf("-\n");
    }
}

int exam_cli_status(int argc, char **argv) {
    exam_queue_cli_args q;
    exam_queue_cli_defaults(&q);
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        int r = exam_queue_cli_parse("status", argc, argv, &i, &q);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s", status_help, exam_queue_cli_help);
            return EXAM_EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            as_json = 1;
            continue;
        }
        fprintf(stderr, "examiner status: unknown option '%s' (see --help)\n", argv[i]);
        return EXAM_EXIT_USAGE;
    }
    exam_queue_keys keys;
    exam_redis *r;
    int rc = exam_queue_cli_open("status", &q, 0, &keys, &r);
    if (rc != EXAM_EXIT_OK) return rc;
    json_t *info = NULL;
    exam_status st = exam_queue_info(r, &keys, &info);
    exam_redis_close(r);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner status: %s\n", exam_error_message());
        return exam_queue_cli_exit(st);
    }
    if (as_json) {
        char *s = json_dumps(info, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        if (s) printf("%s\n", s);
        free(s);
    } else {
        print_text(info);
    }
    json_decref(info);
    return EXAM_EXIT_OK;
}
