/* Options and connection set-up shared by submit, results, status and dlq. */
#include "queue_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "queue_layout.h"

const char exam_queue_cli_help[] =
    "  --redis URL        redis://[user:password@]host:port/db (default: $REDIS_URL, else\n"
    "                     " EXAM_REDIS_DEFAULT_URL ")\n"
    "  --queue NAME       queue name, the {hash tag} of its keys (default: " EXAM_QUEUE_DEFAULT_NAME
    ")\n"
    "Exit status 4 when Redis refuses the credentials or a command (ACL).\n";

void exam_queue_cli_defaults(exam_queue_cli_args *a) {
    const char *env = getenv("REDIS_URL");
    a->redis = env && *env ? env : EXAM_REDIS_DEFAULT_URL;
    a->queue = EXAM_QUEUE_DEFAULT_NAME;
}

int exam_queue_cli_parse(const char *verb, int argc, char **argv, int *i, exam_queue_cli_args *a) {
    const char *o = argv[*i];
    const char **dst = !strcmp(o, "--redis") ? &a->redis : !strcmp(o, "--queue") ? &a->queue : NULL;
    if (!dst) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "examiner %s: %s needs a value\n", verb, o);
        return -1;
    }
    *dst = argv[++*i];
    return 1;
}

int exam_queue_cli_connect(const char *verb, const exam_queue_cli_args *a, exam_queue_keys *keys,
                           exam_redis **r) {
    *r = NULL;
    if (exam_queue_keys_init(a->queue, keys) != EXAM_OK) {
        fprintf(stderr, "examiner %s: %s\n", verb, exam_error_message());
        return EXAM_EXIT_USAGE;
    }
    exam_redis_options opt = {.client_name = "examiner-ops"};
    exam_status st = exam_redis_open(a->redis, &opt, r);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner %s: %s\n", verb, exam_error_message());
        return st == EXAM_ERR_ARG ? EXAM_EXIT_USAGE : exam_queue_cli_exit(st);
    }
    return EXAM_EXIT_OK;
}

int exam_queue_cli_open(const char *verb, const exam_queue_cli_args *a, int claim,
                        exam_queue_keys *keys, exam_redis **r) {
    int rc = exam_queue_cli_connect(verb, a, keys, r);
    if (rc != EXAM_EXIT_OK) return rc;
    exam_status st = exam_queue_layout_check(*r, keys, claim);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner %s: %s\n", verb, exam_error_message());
        exam_redis_close(*r);
        *r = NULL;
        return exam_queue_cli_exit(st);
    }
    return EXAM_EXIT_OK;
}

int exam_queue_cli_exit(exam_status st) {
    return st == EXAM_ERR_DENIED ? EXAM_EXIT_DENIED : EXAM_EXIT_FAILURE;
}

int exam_queue_cli_number(const char *verb, const char *opt, const char *v, long long lo,
                          long long hi, long long *out) {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "examiner %s: %s wants a whole number in %lld..%lld, not '%s'\n", verb, opt,
                lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}
