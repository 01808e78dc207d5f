/* `examiner worker`: grades jobs from the queue's Redis stream until SIGTERM/SIGINT, with
 * /metrics and /healthz on --http. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank.h"
#include "cli.h"
#include "grade.h"
#include "http_server.h"
#include "log.h"
#include "queue_cli.h"
#include "redis_conn.h"
#include "worker.h"

static const char worker_help[] =
    "usage: examiner worker --bank BANK [--redis URL] [--queue NAME] [OPTIONS]\n"
    "Reads jobs from the Redis stream examiner:{NAME}:jobs as consumer group \"examiner\",\n"
    "grades them in batches and writes each batch's results, cohort aggregates, dead letters\n"
    "and acknowledgements in one MULTI/EXEC (docs/queue.md). Runs until SIGTERM or SIGINT,\n"
    "then stops reading, finishes the batches in hand within --drain-s (or hands them back\n"
    "for other workers) and exits 0. Logs are logfmt lines on stderr.\n\n"
    "  --bank PATH              question bank file or folder (required)\n"
    "  --redis URL              redis://[user@]host:port/db (default: $REDIS_URL, else\n"
    "                           redis://127.0.0.1:6379/0); a password here is visible to\n"
    "                           every user (ps): put it in $REDIS_URL, a file or\n"
    "                           $REDISCLI_AUTH. It is never logged.\n"
    "  --redis-password-file F  the Redis password is F's first line (default:\n"
    "                           $REDISCLI_AUTH when the URL has none)\n"
    "  --queue NAME             queue name, the keys' hash tag (default grading)\n"
    "  --batch N                most jobs per batch (default 32)\n"
    "  --max-batch-tokens T     most answer wordpieces per batch (default 8192)\n"
    "  --wait-ms W              after a batch's first job, wait at most W ms for more\n"
    "                           (default 5; 0: take what is there)\n"
    "  --claim-idle-ms MS       reclaim jobs other workers held this long (default 60000);\n"
    "                           the jobs in hand are re-claimed every MS/3 so they stay ours\n"
    "  --max-deliveries N       a job delivered more often is dead-lettered (default 5)\n"
    "  --max-job-bytes N        larger jobs are rejected (default 65536)\n"
    "  --results-maxlen N       MAXLEN ~ of the results stream (default 1000000; 0: none)\n"
    "  --consumer NAME          consumer name (default <hostname>-<pid>-<random hex>)\n"
    "  --consumer-gc-idle-ms MS at start, delete consumers idle this long with nothing\n"
    "                           pending (default 3600000; 0: never)\n"
    "  --drain-s S              on SIGTERM, finish the batches in hand within S s (default 20)\n"
    "  --idle-exit-s S          exit 0 after S s without a job (default: never)\n"
    "  --calib-min N            fit a cohort's calibration against its judge once it has N\n"
    "                           judged results (default 20; 0: only `examiner calibrate fit`)\n"
    "  --calib-every K          refit after K more judged results (default 50)\n"
    "  --calib-threshold T      review list of the fits: |calibrated - judge| > T judge\n"
    "                           points (default a fifth of the judge's scale)\n"
    "  --http [HOST:]PORT       serve /metrics (Prometheus) and /healthz there; without a\n"
    "                           host on 127.0.0.1 only (0.0.0.0:PORT: all interfaces,\n"
    "                           [::]:PORT: IPv6); at most 64 connections, 16 per client\n"
    "                           address, request headers complete within 10 s\n"
    "  --log-level LEVEL        debug, info (default), warn or error\n"
    "  --cache-dir DIR          bank embeddings cache (as `examiner grade`)\n"
    "  --no-cache               embed the bank afresh\n\n"
    "exit codes: 0 stopped by a signal (or idle), 1 failure, 2 usage, 4 Redis refused the\n"
    "credentials or a command (ACL)\n";

typedef struct worker_args {
    const char *bank, *redis, *password_file, *queue, *consumer, *http, *cache_dir, *log_level;
    int no_cache;
    long batch, max_tokens, wait_ms, claim_idle, max_deliv, max_job, maxlen, gc_idle;
    double drain_s, idle_exit_s;
    long calib_min, calib_every;
    double calib_threshold;
} worker_args;

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

static int parse_args(int argc, char **argv, worker_args *a, exam_cli_model_args *m) {
    memset(a, 0, sizeof *a);
    a->wait_ms = -2; /* not given */
    a->maxlen = -2;
    a->gc_idle = -2;
    a->calib_min = -2;
    for (int i = 1; i < argc; i++) {
        int r = exam_cli_parse_model_arg(argc, argv, &i, m);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0) continue;
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            printf("%s%s", worker_help, exam_cli_model_help);
            return -1;
        }
        if (exam_cli_refuse_long_arg("worker", o)) return EXAM_EXIT_USAGE;
        if (!strcmp(o, "--no-cache")) {
            a->no_cache = 1;
            continue;
        }
        const char **s = !strcmp(o, "--bank")                  ? &a->bank
                         : !strcmp(o, "--redis")               ? &a->redis
                         : !strcmp(o, "--redis-password-file") ? &a->password_file
                         : !strcmp(o, "--queue")               ? &a->queue
                         : !strcmp(o, "--consumer")            ? &a->consumer
                         : !strcmp(o, "--http")                ? &a->http
                         : !strcmp(o, "--cache-dir")           ? &a->cache_dir
                         : !strcmp(o, "--log-level")           ? &a->log_level
                                                               : NULL;
        long *n = !strcmp(o, "--batch")                 ? &a->batch
                  : !strcmp(o, "--max-batch-tokens")    ? &a->max_tokens
                  : !strcmp(o, "--wait-ms")             ? &a->wait_ms
                  : !strcmp(o, "--claim-idle-ms")       ? &a->claim_idle
                  : !strcmp(o, "--max-deliveries")      ? &a->max_deliv
                  : !strcmp(o, "--max-job-bytes")       ? &a->max_job
                  : !strcmp(o, "--results-maxlen")      ? &a->maxlen
                  : !strcmp(o, "--consumer-gc-idle-ms") ? &a->gc_idle
                  : !strcmp(o, "--calib-min")           ? &a->calib_min
                  : !strcmp(o, "--calib-every")         ? &a->calib_every
                                                        : NULL;
        double *d = !strcmp(o, "--drain-s")           ? &a->drain_s
                    : !strcmp(o, "--idle-exit-s")     ? &a->idle_exit_s
                    : !strcmp(o, "--calib-threshold") ? &a->calib_threshold
                                                      : NULL;
        if (!s && !n && !d) {
            fprintf(stderr, "examiner worker: unknown option '%s' (see --help)\n", o);
            return EXAM_EXIT_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "examiner worker: %s needs a value\n", o);
            return EXAM_EXIT_USAGE;
        }
        const char *v = argv[++i];
        if (s) {
            *s = s == &a->redis ? exam_cli_redis_arg("worker", argv[i]) : v;
            continue;
        }
        char *end;
        if (n) {
            long x = strtol(v, &end, 10);
            int zero_ok =
                n == &a->wait_ms || n == &a->maxlen || n == &a->gc_idle || n == &a->calib_min;
            if (*end || !*v || x < (zero_ok ? 0 : 1) || x > (1L << 30)) {
                fprintf(stderr, "examiner worker: %s wants a %s number, not '%s'\n", o,
                        zero_ok ? "non-negative" : "positive", v);
                return EXAM_EXIT_USAGE;
            }
            *n = x;
        } else {
            double x = strtod(v, &end);
            if (*end || !*v || !(x > 0) || x > 1e7) {
                fprintf(stderr,
                        "examiner worker: %s wants a positive number%s, not "
                        "'%s'\n",
                        o, d == &a->calib_threshold ? "" : " of seconds", v);
                return EXAM_EXIT_USAGE;
            }
            *d = x;
        }
    }
    if (!a->bank) {
        fprintf(stderr, "examiner worker: --bank is required (see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    if (a->log_level && exam_log_level_parse(a->log_level) < 0) {
        fprintf(stderr, "examiner worker: --log-level wants debug, info, warn or error\n");
        return EXAM_EXIT_USAGE;
    }
    return 0;
}

static int http_handler(void *user, const char *path, char **body, const char **ctype) {
    exam_worker *w = user;
    if (!strcmp(path, "/metrics")) {
        *body = exam_wm_render(exam_worker_metrics_of(w), exam_worker_consumer(w));
        *ctype = "text/plain; version=0.0.4; charset=utf-8";
        return *body ? 200 : 500;
    }
    if (!strcmp(path, "/healthz")) {
        int ok = exam_worker_healthy(w);
        *body = strdup(ok ? "ok\n" : "unhealthy\n");
        return ok ? 200 : 503;
    }
    return 404;
}

static int exit_for(exam_status st) {
    return st == EXAM_ERR_ARG ? EXAM_EXIT_USAGE : exam_queue_cli_exit(st);
}

int exam_cli_worker(int argc, char **argv) {
    worker_args a;
    exam_cli_model_args m = {0};
    int rc = parse_args(argc, argv, &a, &m);
    if (rc) return rc < 0 ? EXAM_EXIT_OK : rc;
    if (a.log_level) exam_log_set_level((exam_log_level)exam_log_level_parse(a.log_level));
    char *url = exam_cli_redis_url("worker", a.redis, a.password_file);
    if (!url) return EXAM_EXIT_USAGE;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a dropped Redis socket is an error to handle, not a death */

    /* fail fast on a wrong password or an unreachable server, before loading the model */
    exam_redis *probe = NULL;
    exam_status st = exam_redis_open(url, NULL, &probe);
    if (st != EXAM_OK) {
        char q[700];
        exam_log(EXAM_LOG_ERROR, st == EXAM_ERR_DENIED ? "authentication_failed" : "redis_error",
                 "error=%s", exam_log_quote(exam_error_message(), q, sizeof q));
        fprintf(stderr, "examiner worker: %s%s\n",
                st == EXAM_ERR_DENIED ? "authentication failed: " : "", exam_error_message());
        free(url);
        return exit_for(st);
    }
    exam_redis_close(probe);

    exam_bank bank;
    if (exam_bank_load(a.bank, &bank) != EXAM_OK) {
        fprintf(stderr, "examiner worker: %s\n", exam_error_message());
        free(url);
        return EXAM_EXIT_FAILURE;
    }
    exam_backend *be = NULL;
    exam_encoder *enc = NULL;
    exam_grader *g = NULL;
    rc = exam_cli_open_encoder(&m, &be, &enc);
    char cbuf[4096];
    if (rc == EXAM_EXIT_OK &&
        exam_grader_init(&bank, enc, NULL,
                         exam_cli_cache_dir(a.cache_dir, a.no_cache, cbuf, sizeof cbuf),
                         &g) != EXAM_OK) {
        fprintf(stderr, "examiner worker: cannot embed the bank: %s\n", exam_error_message());
        rc = EXAM_EXIT_FAILURE;
    }
    exam_worker *w = NULL;
    exam_http_server *http = NULL;
    if (rc == EXAM_EXIT_OK) {
        exam_worker_config cfg = {0};
        cfg.redis_url = url;
        cfg.queue = a.queue;
        cfg.consumer = a.consumer;
        cfg.batch = (int)a.batch;
        cfg.max_batch_tokens = (int)a.max_tokens;
        cfg.wait_ms = a.wait_ms == -2 ? 0 : a.wait_ms == 0 ? -1 : (int)a.wait_ms;
        cfg.claim_idle_ms = (int)a.claim_idle;
        cfg.max_deliveries = (int)a.max_deliv;
        cfg.max_job_bytes = a.max_job;
        cfg.results_maxlen = a.maxlen == -2 ? 0 : a.maxlen == 0 ? -1 : a.maxlen;
        cfg.consumer_gc_idle_ms = a.gc_idle == -2 ? 0 : a.gc_idle == 0 ? -1 : a.gc_idle;
        cfg.drain_s = a.drain_s;
        cfg.idle_exit_s = a.idle_exit_s;
        cfg.calib_min = a.calib_min == -2 ? 0 : a.calib_min == 0 ? -1 : a.calib_min;
        cfg.calib_every = a.calib_every;
        cfg.calib_threshold = a.calib_threshold;
        cfg.grader = g;
        cfg.tokenizer = exam_encoder_tokenizer(enc);
        cfg.context.backend = be->name;
        cfg.context.model = exam_encoder_model_name(enc);
        cfg.context.version = EXAMINER_VERSION;
        cfg.context.bank_version = bank.version;
        st = exam_worker_init(&cfg, &w);
        if (st != EXAM_OK) {
            fprintf(stderr, "examiner worker: %s%s\n",
                    st == EXAM_ERR_DENIED ? "authentication failed: " : "", exam_error_message());
            rc = exit_for(st);
        }
    }
    if (w && a.http) {
        if (exam_http_start(a.http, http_handler, w, &http) != EXAM_OK) {
            fprintf(stderr, "examiner worker: %s\n", exam_error_message());
            rc = EXAM_EXIT_USAGE;
        } else {
            exam_log(EXAM_LOG_INFO, "http_listening", "addr=%s port=%d", exam_http_bound(http),
                     exam_http_port(http));
        }
    }
    if (w && rc == EXAM_EXIT_OK) {
        exam_log(EXAM_LOG_INFO, "grader_ready",
                 "backend=%s model=%s bank_questions=%zu bank_from_cache=%d bank_s=%.2f", be->name,
                 exam_encoder_model_name(enc), bank.count, exam_grader_from_cache(g),
                 exam_grader_bank_seconds(g));
        st = exam_worker_run(w, &stop_flag);
        if (st != EXAM_OK) {
            fprintf(stderr, "examiner worker: %s\n", exam_error_message());
            rc = exit_for(st);
        }
    }
    exam_http_stop(http);
    exam_worker_free(w);
    exam_grader_free(g);
    exam_cli_close_encoder(be, enc);
    exam_bank_free(&bank);
    free(url);
    return rc;
}
