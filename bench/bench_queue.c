/* The queue end to end: a private redis-server (AOF, appendfsync everysec), one in-process
 * worker on the CPU backend grading against data/bank, a producer XADDing the demo cohort's
 * jobs and a collector reading the results stream. Rows: a closed burst (capacity), then
 * constant offered rates (open loop, latency from each job's scheduled send time, so queueing
 * behind a slow worker is counted). Environment: EXAMINER_BENCH_QUEUE_RATES (jobs/s list),
 * EXAMINER_BENCH_QUEUE_SECONDS (offered load per rate row), EXAMINER_BENCH_QUEUE_BURST. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_env.h"
#include "bench_queue_row.h"
#include "bench_shim.h"
#include "log.h"
#include "redis_server.h"

#define QUEUE_MAX_RATES 16

typedef struct queue_bench {
    exam_bench_env *env;
    exam_bank bank;
    int bank_loaded;
    exam_encoder *enc;
    exam_grader *grader;
    json_t *jobs; /* array of the demo jobs */
    exam_test_redis redis;
    int redis_state; /* 0 not tried, 1 running, -1 failed */
    int run;         /* rows so far (job ids are unique per row) */
    double capacity; /* jobs/s of the last burst row */
    double seconds;
    long burst;
} queue_bench;

static void queue_bench_free(void *arg) {
    queue_bench *qb = arg;
    exam_grader_free(qb->grader);
    if (qb->bank_loaded) {
        exam_bank_free(&qb->bank);
    }
    json_decref(qb->jobs);
    if (qb->redis_state == 1) {
        exam_test_redis_free(&qb->redis);
    }
    free(qb);
}

static exam_status load_jobs(queue_bench *qb, const char *path) {
    char *text;
    size_t len;
    exam_status st = exam_bank_read_file(path, &text, &len);
    if (st != EXAM_OK) {
        return st;
    }
    for (char *line = text; line && *line && st == EXAM_OK;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = 0;
        }
        if (*line) {
            json_error_t jerr;
            json_t *obj = json_loads(line, 0, &jerr);
            if (!json_is_object(obj)) {
                st = exam_error_set(EXAM_ERR_FORMAT, "%s: %s", path, jerr.text);
            } else if (json_array_append(qb->jobs, obj) != 0) {
                st = exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
            }
            json_decref(obj);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return st;
}

static void fail_status(exam_bench_state *st, const char *what) {
    char msg[600];
    snprintf(msg, sizeof msg, "%s: %s", what, exam_error_message());
    exam_bench_fail(st, msg);
}

/* The redis-server and the grader, on first use (not timed: before the first batch). */
static int queue_bench_ready(queue_bench *qb, exam_bench_state *st) {
    if (qb->redis_state == 0) {
        /* later lines of the config win: production's fsync policy, not the tests' */
        int rc = exam_test_redis_start(&qb->redis, "appendfsync everysec");
        qb->redis_state = rc == 0 ? 1 : -1;
        if (rc != 0) {
            exam_test_redis_free(&qb->redis);
            exam_bench_fail(st, rc == 1 ? "redis-server is not installed"
                                        : "redis-server did not start");
            return 0;
        }
    }
    if (qb->redis_state != 1) {
        exam_bench_fail(st, "redis-server did not start");
        return 0;
    }
    if (!qb->grader) {
        if (exam_bench_env_encoder(qb->env, "cpu", &qb->enc) != EXAM_OK ||
            exam_grader_init(&qb->bank, qb->enc, NULL, NULL, &qb->grader) != EXAM_OK) {
            fail_status(st, "grader");
            return 0;
        }
    }
    return 1;
}

static void report(exam_bench_state *st, const exam_qrow_result *r, double offered) {
    exam_latency_summary s = exam_latency_hist_summary(r->hist);
    double ms = 1e-6;
    exam_bench_counter(st, "jobs", (double)r->received, 0);
    exam_bench_counter(st, "jobs_per_second", r->wall_s > 0 ? r->received / r->wall_s : 0, 0);
    exam_bench_counter(st, "offered_rate", offered, 0);
    exam_bench_counter(st, "p50_ms", s.p50 * ms, 0);
    exam_bench_counter(st, "p95_ms", s.p95 * ms, 0);
    exam_bench_counter(st, "p99_ms", s.p99 * ms, 0);
    exam_bench_counter(st, "p999_ms", s.p999 * ms, 0);
    exam_bench_counter(st, "max_ms", s.max * ms, 0);
    exam_bench_counter(st, "late_sends", (double)r->late_sends, 0);
    exam_bench_counter(st, "max_send_lag_ms", r->max_send_lag_s * 1e3, 0);
    double busy = r->redis_s + r->grade_s;
    exam_bench_counter(st, "redis_share", busy > 0 ? r->redis_s / busy : 0, 0);
    exam_bench_counter(st, "batches", r->batches, 0);
    exam_bench_counter(st, "mean_batch", r->batches > 0 ? r->jobs_done / r->batches : 0, 0);
    exam_bench_set_items(st, (int64_t)r->received);
}

/* One row (rate 0: the burst); returns the achieved jobs/s of its last iteration, 0 on failure. */
static double run_row(exam_bench_state *st, queue_bench *qb, double rate, uint64_t n) {
    exam_qrow_config cfg = {0};
    cfg.redis_url = qb->redis.url;
    cfg.grader = qb->grader;
    cfg.tokenizer = exam_encoder_tokenizer(qb->enc);
    cfg.context.backend = "cpu";
    cfg.context.model = exam_encoder_model_name(qb->enc);
    cfg.context.version = EXAMINER_VERSION;
    cfg.context.bank_version = qb->bank.version;
    cfg.jobs = qb->jobs;
    cfg.rate = rate;
    cfg.n = n;
    cfg.drain_limit_s = 60 + qb->seconds * 4;
    double achieved = 0;
    while (!st || exam_bench_batch(st, 1) > 0) {
        cfg.run = ++qb->run;
        exam_qrow_result r;
        if (exam_qrow_run(&cfg, &r) != EXAM_OK) {
            if (st) {
                fail_status(st, "queue row");
            }
            exam_qrow_result_free(&r);
            return 0;
        }
        achieved = r.wall_s > 0 ? (double)r.received / r.wall_s : 0;
        if (st) {
            exam_bench_set_iteration_time(st, r.wall_s);
            report(st, &r, rate > 0 ? rate : achieved);
        }
        exam_qrow_result_free(&r);
        if (!st) {
            break;
        }
    }
    return achieved;
}

static void bm_burst(exam_bench_state *st, void *ctx) {
    queue_bench *qb = ctx;
    if (queue_bench_ready(qb, st)) {
        double c = run_row(st, qb, 0, (uint64_t)exam_bench_arg(st, 0));
        qb->capacity = c > 0 ? c : qb->capacity;
    }
}

static void run_rate(exam_bench_state *st, queue_bench *qb, double rate) {
    uint64_t n = (uint64_t)(rate * qb->seconds + 0.5);
    run_row(st, qb, rate, n > 0 ? n : 1);
}

static void bm_rate(exam_bench_state *st, void *ctx) {
    queue_bench *qb = ctx;
    if (queue_bench_ready(qb, st)) {
        run_rate(st, qb, (double)exam_bench_arg(st, 0));
    }
}

/* A share of the capacity the burst measured (measured now, untimed, when the burst row was
 * filtered out). */
static void bm_load(exam_bench_state *st, void *ctx) {
    queue_bench *qb = ctx;
    if (!queue_bench_ready(qb, st)) {
        return;
    }
    if (qb->capacity <= 0) {
        qb->capacity = run_row(NULL, qb, 0, (uint64_t)qb->burst);
    }
    if (qb->capacity <= 0) {
        fail_status(st, "capacity burst");
        return;
    }
    run_rate(st, qb, qb->capacity * (double)exam_bench_arg(st, 0) / 100.0);
}

static double env_double(const char *name, double dflt, double lo, double hi) {
    const char *v = getenv(name);
    if (!v || !*v) {
        return dflt;
    }
    char *end;
    double x = strtod(v, &end);
    if (*end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "examiner-bench: ignoring %s=%s (want %g..%g)\n", name, v, lo, hi);
        return dflt;
    }
    return x;
}

/* EXAMINER_BENCH_QUEUE_RATES: a comma list of jobs/s ("20") and shares of the burst's
 * capacity ("50%"); by default 25%,50%,80%,100%. Returns 0 on a bad list. */
static int parse_rates(int64_t *rates, int *n_rates, int64_t *pcts, int *n_pcts) {
    const char *v = getenv("EXAMINER_BENCH_QUEUE_RATES");
    if (!v || !*v) {
        v = "25%,50%,80%,100%";
    }
    *n_rates = *n_pcts = 0;
    while (*v) {
        char *end;
        long x = strtol(v, &end, 10);
        int pct = *end == '%';
        end += pct;
        if (end == v || x < 1 || x > (pct ? 1000 : 1000000) || (*end && *end != ',') ||
            (pct ? *n_pcts : *n_rates) >= QUEUE_MAX_RATES) {
            fprintf(stderr, "examiner-bench: bad EXAMINER_BENCH_QUEUE_RATES near '%s'\n", v);
            return 0;
        }
        if (pct) {
            pcts[(*n_pcts)++] = x;
        } else {
            rates[(*n_rates)++] = x;
        }
        v = *end ? end + 1 : end;
    }
    return *n_rates + *n_pcts > 0;
}

exam_status exam_bench_queue_register(exam_bench_env *env) {
    if (!env->model_dir) {
        return exam_error_set(EXAM_ERR_NOT_FOUND, "no model");
    }
    int64_t rates[QUEUE_MAX_RATES], pcts[QUEUE_MAX_RATES];
    int n_rates, n_pcts;
    if (!parse_rates(rates, &n_rates, pcts, &n_pcts)) {
        return exam_error_set(EXAM_ERR_ARG, "no usable rate in EXAMINER_BENCH_QUEUE_RATES");
    }
    queue_bench *qb = calloc(1, sizeof *qb);
    if (!qb || !(qb->jobs = json_array())) {
        free(qb);
        return exam_error_set(EXAM_ERR_NOMEM, "bench: out of memory");
    }
    qb->env = env;
    qb->seconds = env_double("EXAMINER_BENCH_QUEUE_SECONDS", env->full ? 30 : 8, 0.1, 3600);
    qb->burst = (long)env_double("EXAMINER_BENCH_QUEUE_BURST", env->full ? 512 : 128, 1, 1e6);
    char path[4096];
    snprintf(path, sizeof path, "%s/data/bank", env->root);
    exam_status st = exam_bank_load(path, &qb->bank);
    qb->bank_loaded = st == EXAM_OK;
    if (st == EXAM_OK) {
        snprintf(path, sizeof path, "%s/data/cohorts/demo.jsonl", env->root);
        st = load_jobs(qb, path);
    }
    if (st == EXAM_OK && json_array_size(qb->jobs) == 0) {
        st = exam_error_set(EXAM_ERR_NOT_FOUND, "%s holds no jobs", path);
    }
    if (st == EXAM_OK) {
        st = exam_bench_env_on_free(env, queue_bench_free, qb);
    }
    if (st != EXAM_OK) {
        queue_bench_free(qb);
        return st;
    }
    exam_log_set_level(EXAM_LOG_WARN); /* the worker's info lines would drown the table */

    static const char *const burst_names[] = {"jobs"};
    exam_bench_def *b = exam_bench_register("queue/burst", bm_burst, qb);
    exam_bench_arg_names(b, burst_names, 1);
    int64_t burst = qb->burst;
    exam_bench_args(b, &burst, 1);
    exam_bench_def *defs[3] = {b, NULL, NULL};
    if (n_pcts > 0) {
        static const char *const load_names[] = {"pct_of_burst"};
        defs[1] = exam_bench_register("queue/load", bm_load, qb);
        exam_bench_arg_names(defs[1], load_names, 1);
        for (int i = 0; i < n_pcts; i++) {
            exam_bench_args(defs[1], &pcts[i], 1);
        }
    }
    if (n_rates > 0) {
        static const char *const rate_names[] = {"jobs_per_s"};
        defs[2] = exam_bench_register("queue/rate", bm_rate, qb);
        exam_bench_arg_names(defs[2], rate_names, 1);
        for (int i = 0; i < n_rates; i++) {
            exam_bench_args(defs[2], &rates[i], 1);
        }
    }
    for (int i = 0; i < 3; i++) {
        exam_bench_set_unit(defs[i], EXAM_BENCH_S);
        exam_bench_use_manual_time(defs[i]);
        exam_bench_set_iterations(defs[i], 1);
        exam_bench_set_repetitions(defs[i], 1);
    }
    return EXAM_OK;
}
