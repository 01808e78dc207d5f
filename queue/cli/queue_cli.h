/* What the queue verbs share: the --redis and --queue options and opening the connection. */
#ifndef EXAM_QUEUE_CLI_H
#define EXAM_QUEUE_CLI_H

#include "queue_keys.h"
#include "redis_conn.h"
#include "redis_url.h"

typedef struct exam_queue_cli_args {
    const char *redis;         /* --redis (NULL: $REDIS_URL, else EXAM_REDIS_DEFAULT_URL) */
    const char *password_file; /* --redis-password-file, or NULL ($REDISCLI_AUTH) */
    const char *queue;         /* --queue, else EXAM_QUEUE_DEFAULT_NAME */
} exam_queue_cli_args;

/* Sets the defaults. */
void exam_queue_cli_defaults(exam_queue_cli_args *a);

/* Consumes --redis, --redis-password-file or --queue at argv[*i] (advancing *i past its value);
 * returns 1 if it was one, 0 if not, -1 on a missing value (reported on stderr, prefixed with
 * `verb`). */
int exam_queue_cli_parse(const char *verb, int argc, char **argv, int *i, exam_queue_cli_args *a);

/* Help text for --redis and --queue. */
extern const char exam_queue_cli_help[];

/* Checks the queue name and connects; reports failures on stderr. Returns EXAM_EXIT_OK, or
 * EXAM_EXIT_USAGE (bad name or URL) / EXAM_EXIT_FAILURE / EXAM_EXIT_DENIED (cannot connect). */
int exam_queue_cli_connect(const char *verb, const exam_queue_cli_args *a, exam_queue_keys *keys,
                           exam_redis **r);

/* exam_queue_cli_connect, then checks the queue's key layout (exam_queue_layout_check;
 * `claim` for verbs that write: a new queue gets its version recorded); reports failures on
 * stderr. Returns EXAM_EXIT_OK, or EXAM_EXIT_USAGE (bad name or URL) / EXAM_EXIT_FAILURE
 * (cannot connect, old or unknown key layout) / EXAM_EXIT_DENIED. */
int exam_queue_cli_open(const char *verb, const exam_queue_cli_args *a, int claim,
                        exam_queue_keys *keys, exam_redis **r);

/* The exit code for a failed Redis operation: EXAM_EXIT_DENIED when Redis refused the
 * credentials or a command (ACL), else EXAM_EXIT_FAILURE. */
int exam_queue_cli_exit(exam_status st);

/* Parses a whole number in [lo, hi] for option `opt`; reports on stderr. Returns 0 or -1. */
int exam_queue_cli_number(const char *verb, const char *opt, const char *v, long long lo,
                          long long hi, long long *out);

#endif
