/* The `examiner` command line: one function per verb, plus the helpers the verbs share. */
#ifndef EXAM_CLI_H
#define EXAM_CLI_H

#include <stdio.h>

#include "backend.h"
#include "encoder.h"

/* Exit codes shared by every verb. */
enum {
    EXAM_EXIT_OK = 0,
    EXAM_EXIT_FAILURE = 1, /* the command could not do its job (model, backend, I/O) */
    EXAM_EXIT_USAGE = 2,   /* bad command line */
    EXAM_EXIT_INPUT = 3,   /* it ran, but some inputs were rejected (each reported) */
    EXAM_EXIT_DENIED = 4,  /* a service refused the credentials or a command (Redis AUTH, ACL) */
};

/* Verbs: each takes argv with argv[0] = the verb's name and returns an exit code. */
int exam_cli_embed(int argc, char **argv);
int exam_cli_similarity(int argc, char **argv);
int exam_cli_sts(int argc, char **argv);
int exam_cli_backends(int argc, char **argv);
int exam_cli_bank(int argc, char **argv);
int exam_cli_grade(int argc, char **argv);
int exam_cli_calibrate(int argc, char **argv);
int exam_cli_worker(int argc, char **argv);
int exam_cli_submit(int argc, char **argv);
int exam_cli_results(int argc, char **argv);
int exam_cli_status(int argc, char **argv);
int exam_cli_dlq(int argc, char **argv);
int exam_cli_migrate_keys(int argc, char **argv);

/* What `examiner calibrate show|fit|suggest COHORT` asks of the queue's Redis. */
typedef struct exam_cli_calib_request {
    const char *verb, *cohort;       /* "show", "fit" or "suggest"; the cohort */
    const char *redis, *queue;       /* NULL: $REDIS_URL or redis://127.0.0.1:6379/0; "grading" */
    const char *redis_password_file; /* --redis-password-file, or NULL */
    const char *report;              /* HTML page to write, or NULL */
    int json, push;                  /* print JSON; suggest: XADD the picks to judge-requests */
    long n;                          /* suggest: how many (0: 10) */
    int threshold_given;             /* fit: options->threshold was given */
    const struct exam_calib_options *options; /* fit settings */
} exam_cli_calib_request;

/* Serves a calibrate cohort verb from Redis (queue/cli/cmd_calibrate_redis.c); returns an exit
 * code. */
int exam_cli_calibrate_redis(const exam_cli_calib_request *req);

/* The value of a --redis option, argv[i]: when it carries a password, returns a copy (kept
 * until exit), overwrites the password in argv[i] with '*' so that ps and /proc/<pid>/cmdline
 * no longer show it, and warns once on stderr; else returns arg. (queue/cli/queue_cli.c) */
const char *exam_cli_redis_arg(const char *verb, char *arg);

/* The Redis URL to connect to, in a new string the caller frees: `url` (--redis), else
 * $REDIS_URL, else redis://127.0.0.1:6379/0, with the password taken from the first line of
 * password_file when given (it replaces one in the URL), else from $REDISCLI_AUTH when the
 * URL has none. NULL after reporting a bad URL or an unreadable file on stderr. */
char *exam_cli_redis_url(const char *verb, const char *url, const char *password_file);

/* Options every model-using verb accepts. */
typedef struct exam_cli_model_args {
    const char *model_dir; /* --model, else $EXAMINER_MODEL_DIR, else the default folder */
    const char *backend;   /* --backend, else $EXAMINER_BACKEND, else automatic */
    int threads;           /* --threads */
    int window;            /* --window (else --truncate): verbs that embed texts only */
} exam_cli_model_args;

/* Consumes a model option (--model, --backend, --threads) at argv[*i] (advancing *i past its
 * value); returns 1 if it was one, 0 if not, -1 on a missing value (reported on stderr). */
int exam_cli_parse_model_arg(int argc, char **argv, int *i, exam_cli_model_args *args);

/* Consumes --truncate or --window, how the verbs that embed texts (embed, similarity, sts)
 * treat texts over the model's window; returns 1 if arg was one of them, else 0. */
int exam_cli_parse_long_arg(const char *arg, exam_cli_model_args *args);

/* For verbs that grade, where answers are always embedded whole (windows): 1 after saying on
 * stderr that arg (--truncate or --window) does not apply, else 0 (arg is not one of them). */
int exam_cli_refuse_long_arg(const char *verb, const char *arg);

/* Help text for the shared model options, and for --truncate / --window. */
extern const char exam_cli_model_help[];
extern const char exam_cli_long_help[];

/* Creates the backend and loads the encoder; reports failures on stderr. */
int exam_cli_open_encoder(const exam_cli_model_args *args, exam_backend **be, exam_encoder **enc);

/* Frees what exam_cli_open_encoder made. */
void exam_cli_close_encoder(exam_backend *be, exam_encoder *enc);

/* Encoding options from the shared model args. */
exam_encode_options exam_cli_encode_options(const exam_cli_model_args *args);

/* The folder where the bank's embeddings are cached: `flag` (--cache-dir) when given, else
 * $EXAMINER_CACHE_DIR ("" turns caching off), else $XDG_CACHE_HOME/examiner, else
 * ~/.cache/examiner (built in buf). NULL when no_cache is set, caching is off, or no home is
 * known. */
const char *exam_cli_cache_dir(const char *flag, int no_cache, char *buf, size_t cap);

/* Seconds on a monotonic clock. */
double exam_cli_now(void);

#endif
