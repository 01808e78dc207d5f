/* Options and connection set-up shared by submit, results, status and dlq. */
#include "queue_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "queue_layout.h"

const char exam_queue_cli_help[] =
    "  --redis URL        redis://[user@]host:port/db (default: $REDIS_URL, else\n"
    "                     " EXAM_REDIS_DEFAULT_URL "); a password here is visible to\n"
    "                     every user (ps): give it in $REDIS_URL, a file or $REDISCLI_AUTH\n"
    "  --redis-password-file FILE  the Redis password is FILE's first line (default:\n"
    "                     $REDISCLI_AUTH when the URL has none)\n"
    "  --queue NAME       queue name, the {hash tag} of its keys (default: " EXAM_QUEUE_DEFAULT_NAME
    ")\n"
    "Exit status 4 when Redis refuses the credentials or a command (ACL).\n";

void exam_queue_cli_defaults(exam_queue_cli_args *a) {
    a->redis = NULL;
    a->password_file = NULL;
    a->queue = EXAM_QUEUE_DEFAULT_NAME;
}

/* Copies of --redis values whose password was blanked in argv (reachable until exit). */
static char *kept_urls[8];

const char *exam_cli_redis_arg(const char *verb, char *arg) {
    if (strncmp(arg, "redis://", 8) != 0) return arg;
    char *p = arg + 8, *at = strrchr(p, '@');
    if (!at) return arg;
    char *colon = memchr(p, ':', (size_t)(at - p));
    char *pw = colon ? colon + 1 : p; /* "redis://secret@host": the lone part is a password */
    if (pw == at) return arg;         /* "redis://user:@host", "redis://@host": none here */
    size_t slot = 0;
    while (slot < sizeof kept_urls / sizeof kept_urls[0] && kept_urls[slot]) slot++;
    char *copy = slot < sizeof kept_urls / sizeof kept_urls[0] ? strdup(arg) : NULL;
    if (!copy) return arg; /* keep it usable rather than lose it */
    kept_urls[slot] = copy;
    memset(pw, '*', (size_t)(at - pw)); /* /proc/<pid>/cmdline and ps now show stars */
    static int warned;
    if (!warned++)
        fprintf(stderr,
                "examiner %s: warning: the Redis password was given on the command line, where "
                "every user of this machine can read it (ps, /proc/<pid>/cmdline); it has been "
                "blanked there, but use $REDIS_URL, --redis-password-file FILE or "
                "$REDISCLI_AUTH instead\n",
                verb);
    return copy;
}

char *exam_cli_redis_url(const char *verb, const char *url, const char *password_file) {
    if (!url) url = getenv("REDIS_URL");
    if (!url || !*url) url = EXAM_REDIS_DEFAULT_URL;
    exam_redis_url u;
    if (exam_redis_url_parse(url, &u) != EXAM_OK) {
        fprintf(stderr, "examiner %s: %s\n", verb, exam_error_message());
        return NULL;
    }
    int has_password = u.password && *u.password; /* "user:@host": the password comes apart */
    exam_redis_url_free(&u);
    char pw[1024];
    pw[0] = '\0';
    if (password_file) {
        FILE *f = fopen(password_file, "r");
        if (!f || !fgets(pw, sizeof pw, f)) {
            fprintf(stderr, "examiner %s: cannot read the Redis password from %s: %s\n", verb,
                    password_file, f ? "empty file" : strerror(errno));
            if (f) fclose(f);
            return NULL;
        }
        fclose(f);
        pw[strcspn(pw, "\r\n")] = '\0';
    } else if (!has_password) {
        const char *env = getenv("REDISCLI_AUTH");
        if (env) snprintf(pw, sizeof pw, "%s", env);
    }
    char *out = NULL;
    exam_status st = pw[0] ? exam_redis_url_with_password(url, pw, &out)
                           : ((out = strdup(url)) ? EXAM_OK : EXAM_ERR_NOMEM);
    volatile char *v = pw;
    while (*v) *v++ = 0;
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner %s: %s\n", verb,
                st == EXAM_ERR_NOMEM ? "out of memory" : exam_error_message());
        return NULL;
    }
    return out;
}

int exam_queue_cli_parse(const char *verb, int argc, char **argv, int *i, exam_queue_cli_args *a) {
    const char *o = argv[*i];
    const char **dst = !strcmp(o, "--redis")                 ? &a->redis
                       : !strcmp(o, "--redis-password-file") ? &a->password_file
                       : !strcmp(o, "--queue")               ? &a->queue
                                                             : NULL;
    if (!dst) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "examiner %s: %s needs a value\n", verb, o);
        return -1;
    }
    ++*i;
    *dst = dst == &a->redis ? exam_cli_redis_arg(verb, argv[*i]) : argv[*i];
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
    char *url = exam_cli_redis_url(verb, a->redis, a->password_file);
    if (!url) return EXAM_EXIT_USAGE;
    exam_status st = exam_redis_open(url, &opt, r);
    free(url);
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
