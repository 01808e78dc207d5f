/* `examiner migrate-keys`: moves a queue written by an older examiner (key layout v1, names in
 * keys unescaped) to key layout v2 (docs/queue.md). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "queue_cli.h"
#include "queue_migrate.h"

static const char migrate_help[] =
    "usage: examiner migrate-keys [--redis URL] [--queue NAME] [--dry-run]\n"
    "Moves the queue's keys from layout v1 (cohort names and job ids used in key names as they\n"
    "are) to layout v2 (names percent-encoded, long ones hashed; docs/queue.md): renames the\n"
    "cohort, calibration and result keys whose name changes, writes each cohort hash's `name`\n"
    "and records keys_version 2 in examiner:{NAME}:meta. Stop the queue's workers first. Names\n"
    "that need no escape keep their keys; a queue already in v2 is left alone. Needs TYPE,\n"
    "SCAN, RENAMENX, SMEMBERS, EXISTS, HGET and HSET on the queue's keys.\n\n"
    "  --dry-run          list the renames (OLD -> NEW) and change nothing\n";

int exam_cli_migrate_keys(int argc, char **argv) {
    exam_queue_cli_args q;
    exam_queue_cli_defaults(&q);
    int dry_run = 0;
    for (int i = 1; i < argc; i++) {
        int r = exam_queue_cli_parse("migrate-keys", argc, argv, &i, &q);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s", migrate_help, exam_queue_cli_help);
            return EXAM_EXIT_OK;
        }
        if (!strcmp(argv[i], "--dry-run")) {
            dry_run = 1;
            continue;
        }
        fprintf(stderr, "examiner migrate-keys: unknown option '%s' (see --help)\n", argv[i]);
        return EXAM_EXIT_USAGE;
    }
    exam_queue_keys keys;
    exam_redis *r;
    /* no layout check here: this verb is what an old layout is refused in favour of */
    int rc = exam_queue_cli_connect("migrate-keys", &q, &keys, &r);
    if (rc != EXAM_EXIT_OK) return rc;
    exam_migrate_stats stats;
    exam_status st = exam_queue_migrate_keys(r, &keys, dry_run, stdout, &stats);
    exam_redis_close(r);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner migrate-keys: %s\n", exam_error_message());
        return exam_queue_cli_exit(st);
    }
    if (stats.already)
        printf("queue '%s' is already in key layout v%d: nothing to do\n", keys.queue,
               EXAM_QUEUE_KEYS_VERSION);
    else
        printf("queue '%s': %zu cohorts, %zu keys %s; key layout v%d%s\n", keys.queue,
               stats.cohorts, stats.moved, dry_run ? "to rename" : "renamed",
               EXAM_QUEUE_KEYS_VERSION, dry_run ? " not recorded (--dry-run)" : " recorded");
    return EXAM_EXIT_OK;
}
