/* `examiner dlq`: list dead letters, or replay them into the jobs stream. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "queue_cli.h"
#include "queue_dlq.h"

static const char dlq_help[] =
    "usage: examiner dlq list [--limit N] [--json] [--redis URL] [--queue NAME]\n"
    "       examiner dlq replay (--all | --id ENTRY...) [--redis URL] [--queue NAME]\n"
    "list shows the oldest N dead letters (default 20; 0 for all) of examiner:{NAME}:dead:\n"
    "entry id, job id, deliveries and error (--json: one JSON object a line, with the job).\n"
    "replay adds each dead letter's original job to the jobs stream again and deletes the dead\n"
    "letter and, in the same transaction, the job's error result and its cohort's `failed`\n"
    "count, so the worker grades and counts the job afresh. --all replays every dead letter\n"
    "present when it starts; --id takes dead-letter entry ids (as `dlq list` shows them).\n"
    "Exit status 3 when some ids were not found or had nothing to replay.\n";

static void print_entry(const json_t *e) {
    const json_t *err = json_object_get(e, "error");
    char *err_text = json_is_string(err) ? strdup(json_string_value(err))
                     : err               ? json_dumps(err, JSON_COMPACT | JSON_PRESERVE_ORDER)
                                         : strdup("-");
    const char *id = json_string_value(json_object_get(e, "id"));
    const char *del = json_string_value(json_object_get(e, "deliveries"));
    printf("%-20s id %-24s deliveries %-4s %s\n", json_string_value(json_object_get(e, "dlq_id")),
           id && *id ? id : "-", del ? del : "-", err_text ? err_text : "-");
    free(err_text);
}

static int dlq_list(exam_redis *r, const exam_queue_keys *keys, long long limit, int as_json) {
    json_t *list = NULL;
    long long total = 0;
    exam_status st = exam_queue_dlq_list(r, keys, (size_t)limit, &list, &total);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner dlq: %s\n", exam_error_message());
        return exam_queue_cli_exit(st);
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        if (as_json) {
            char *s = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
            if (s) printf("%s\n", s);
            free(s);
        } else {
            print_entry(e);
        }
    }
    if (!as_json)
        printf("%zu of %lld dead letters in %s\n", json_array_size(list), total, keys->dead);
    json_decref(list);
    return EXAM_EXIT_OK;
}

int exam_cli_dlq(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("%s%s", dlq_help, exam_queue_cli_help);
        return argc < 2 ? EXAM_EXIT_USAGE : EXAM_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "list") && strcmp(sub, "replay")) {
        fprintf(stderr, "examiner dlq: unknown action '%s' (list or replay)\n", sub);
        return EXAM_EXIT_USAGE;
    }
    exam_queue_cli_args q;
    exam_queue_cli_defaults(&q);
    long long limit = 20;
    int as_json = 0, all = 0;
    const char **ids = calloc((size_t)argc, sizeof *ids);
    size_t n_ids = 0;
    if (!ids) return EXAM_EXIT_FAILURE;
    int rc = EXAM_EXIT_OK;
    for (int i = 2; i < argc && rc == EXAM_EXIT_OK; i++) {
        int pr = exam_queue_cli_parse("dlq", argc, argv, &i, &q);
        if (pr < 0) rc = EXAM_EXIT_USAGE;
        if (pr != 0) continue;
        const char *a = argv[i];
        int is_list = !strcmp(sub, "list");
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s%s", dlq_help, exam_queue_cli_help);
            free(ids);
            return EXAM_EXIT_OK;
        } else if (is_list && !strcmp(a, "--json")) {
            as_json = 1;
        } else if (is_list && !strcmp(a, "--limit") && i + 1 < argc) {
            if (exam_queue_cli_number("dlq", a, argv[++i], 0, 1LL << 40, &limit))
                rc = EXAM_EXIT_USAGE;
        } else if (!is_list && !strcmp(a, "--all")) {
            all = 1;
        } else if (!is_list && !strcmp(a, "--id")) {
            /* --id takes one or more entry ids, up to the next option. */
            while (i + 1 < argc && argv[i + 1][0] != '-') ids[n_ids++] = argv[++i];
        } else {
            fprintf(stderr, "examiner dlq %s: unknown option or missing value '%s'\n", sub, a);
            rc = EXAM_EXIT_USAGE;
        }
    }
    if (rc == EXAM_EXIT_OK && !strcmp(sub, "replay") && (all == (n_ids > 0))) {
        fprintf(stderr, "examiner dlq replay: give --all or --id ENTRY... (one of them)\n");
        rc = EXAM_EXIT_USAGE;
    }
    exam_queue_keys keys;
    exam_redis *r = NULL;
    if (rc == EXAM_EXIT_OK) rc = exam_queue_cli_open("dlq", &q, 0, &keys, &r);
    if (rc != EXAM_EXIT_OK) {
        free(ids);
        return rc;
    }
    if (!strcmp(sub, "list")) {
        rc = dlq_list(r, &keys, limit, as_json);
    } else if (all) {
        size_t replayed = 0, skipped = 0;
        exam_status st = exam_queue_dlq_replay_all(r, &keys, &replayed, &skipped);
        if (st != EXAM_OK) {
            fprintf(stderr, "examiner dlq replay: %s\n", exam_error_message());
            rc = exam_queue_cli_exit(st);
        }
        printf("replayed %zu dead letters into %s", replayed, keys.jobs);
        if (skipped) printf(", %zu without a job payload left in place", skipped);
        printf("\n");
        if (skipped && rc == EXAM_EXIT_OK) rc = EXAM_EXIT_INPUT;
    } else {
        for (size_t i = 0; i < n_ids; i++) {
            char new_id[48] = "";
            exam_status st = exam_queue_dlq_replay(r, &keys, ids[i], new_id, sizeof new_id);
            if (st == EXAM_OK) {
                printf("%s -> %s %s\n", ids[i], keys.jobs, new_id);
                continue;
            }
            fprintf(stderr, "examiner dlq replay: %s\n", exam_error_message());
            if (st == EXAM_ERR_NOT_FOUND || st == EXAM_ERR_FORMAT || st == EXAM_ERR_ARG) {
                if (rc == EXAM_EXIT_OK) rc = EXAM_EXIT_INPUT;
            } else {
                rc = exam_queue_cli_exit(st);
                break;
            }
        }
    }
    exam_redis_close(r);
    free(ids);
    return rc;
}
