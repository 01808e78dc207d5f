/* Counters, gauges and fixed-bucket histograms of the worker, and their Prometheus text. */
#include "worker_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BUCKETS 16

typedef struct hist_def {
    const char *name, *help, *label; /* label: `stage="..."` or NULL */
    double bounds[MAX_BUCKETS];
    int n_bounds;
} hist_def;

static const double sec_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
static const double lat_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                    1,     2.5,  5,     10,   30,  60,   300};
static const double jobs_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
static const double tok_bounds[] = {64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};

static const char *const counter_names[EXAM_WM_COUNTER_COUNT][3] = {
    {"examiner_jobs_done_total", "Jobs that got a scored result.", NULL},
    {"examiner_jobs_failed_total", "Jobs that got an error result.", NULL},
    {"examiner_dead_letters_total", "Dead-letter entries written, by reason.",
     "reason=\"invalid\""},
    {"examiner_dead_letters_total", NULL, "reason=\"max_deliveries\""},
    {"examiner_dead_letters_total", NULL, "reason=\"trimmed\""},
    {"examiner_duplicate_results_total",
     "Results that overwrote an existing result of the same job (redeliveries).", NULL},
    {"examiner_reclaimed_total", "Entries taken over from idle consumers with XAUTOCLAIM.", NULL},
    {"examiner_batches_total", "Batches committed.", NULL},
    {"examiner_commit_retries_total", "Commits repeated because EXEC answered nil.", NULL},
    {"examiner_redis_reconnects_total", "Successful reconnects to Redis.", NULL},
    {"examiner_redis_errors_total", "Redis transport or server errors.", NULL},
    {"examiner_redis_seconds_total",
     "Seconds inside Redis calls other than waiting for jobs (commit, claim, heartbeat, "
     "non-blocking reads).",
     NULL},
    {"examiner_redis_wait_seconds_total", "Seconds blocked in XREADGROUP waiting for jobs.", NULL},
    {"examiner_grade_seconds_total", "Seconds in the grader (encoding and scoring).", NULL},
};

static const char *const gauge_names[EXAM_WM_GAUGE_COUNT][2] = {
    {"examiner_queue_lag", "Stream entries not yet delivered to the consumer group."},
    {"examiner_queue_pending", "Entries delivered to the group and not yet acknowledged."},
    {"examiner_in_flight_jobs", "Jobs this worker holds (grading or read ahead)."},
    {"examiner_redis_up", "1 while the worker's Redis connections are usable."},
};

struct exam_worker_metrics {
    pthread_mutex_t mu;
    double counters[EXAM_WM_COUNTER_COUNT];
    double gauges[EXAM_WM_GAUGE_COUNT];
    hist_def defs[EXAM_WM_HIST_COUNT];
    unsigned long long buckets[EXAM_WM_HIST_COUNT][MAX_BUCKETS + 1];
    double sum[EXAM_WM_HIST_COUNT];
    unsigned long long count[EXAM_WM_HIST_COUNT];
    double start;
};

static double wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void def(hist_def *d, const char *name, const char *help, const char *label, const double *b,
                int n) {
    d->name = name;
    d->help = help;
    d->label = label;
    d->n_bounds = n;
    memcpy(d->bounds, b, (size_t)n * sizeof *b);
}

exam_status exam_wm_init(exam_worker_metrics **out) {
    *out = NULL;
    exam_worker_metrics *m = calloc(1, sizeof *m);
    if (!m) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return exam_error_set(EXAM_ERR_NOMEM, "cannot create a mutex");
    }
    const int ns = (int)(sizeof sec_bounds / sizeof sec_bounds[0]);
    const char *stage_help = "Seconds per batch in each pipeline stage.";
    def(&m->defs[EXAM_WM_BATCH_JOBS], "examiner_batch_jobs", "Jobs per batch.", NULL, jobs_bounds,
        (int)(sizeof jobs_bounds / sizeof jobs_bounds[0]));
    def(&m->defs[EXAM_WM_BATCH_TOKENS], "examiner_batch_tokens", "Answer wordpieces per batch.",
        NULL, tok_bounds, (int)(sizeof tok_bounds / sizeof tok_bounds[0]));
    def(&m->defs[EXAM_WM_STAGE_READ], "examiner_stage_seconds", stage_help, "stage=\"read\"",
        sec_bounds, ns);
    def(&m->defs[EXAM_WM_STAGE_DECODE], "examiner_stage_seconds", NULL, "stage=\"decode\"",
        sec_bounds, ns);
    def(&m->defs[EXAM_WM_STAGE_GRADE], "examiner_stage_seconds", NULL, "stage=\"grade\"",
        sec_bounds, ns);
    def(&m->defs[EXAM_WM_STAGE_COMMIT], "examiner_stage_seconds", NULL, "stage=\"commit\"",
        sec_bounds, ns);
    def(&m->defs[EXAM_WM_LATENCY], "examiner_job_latency_seconds",
        "Seconds from enqueue (the job's stream id) to its committed result.", NULL, lat_bounds,
        (int)(sizeof lat_bounds / sizeof lat_bounds[0]));
    m->start = wall_now();
    *out = m;
    return EXAM_OK;
}

void exam_wm_free(exam_worker_metrics *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void exam_wm_add(exam_worker_metrics *m, exam_wm_counter c, double v) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->counters[c] += v;
    pthread_mutex_unlock(&m->mu);
}

void exam_wm_set(exam_worker_metrics *m, exam_wm_gauge g, double v) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->gauges[g] = v;
    pthread_mutex_unlock(&m->mu);
}

void exam_wm_observe(exam_worker_metrics *m, exam_wm_hist h, double v) {
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    const hist_def *d = &m->defs[h];
    int b = 0;
    while (b < d->n_bounds && v > d->bounds[b]) b++;
    m->buckets[h][b]++;
    m->sum[h] += v;
    m->count[h]++;
    pthread_mutex_unlock(&m->mu);
}

double exam_wm_get(exam_worker_metrics *m, exam_wm_counter c) {
    if (!m) return 0;
    pthread_mutex_lock(&m->mu);
    double v = m->counters[c];
    pthread_mutex_unlock(&m->mu);
    return v;
}

/* A growing text buffer; `failed` sticks after an allocation failure. */
typedef struct text {
    char *s;
    size_t n, cap;
    int failed;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k < 0) {
            t->failed = 1;
            return;
        }
        if (t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return;
        }
        size_t cap = (t->cap + (size_t)k + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

char *exam_wm_render(exam_worker_metrics *m, const char *consumer) {
    text t = {malloc(4096), 0, 4096, 0};
    if (!t.s) return NULL;
    t.s[0] = '\0';
    pthread_mutex_lock(&m->mu);
    put(&t,
        "# HELP examiner_up_seconds Seconds since this worker started.\n"
        "# TYPE examiner_up_seconds gauge\nexaminer_up_seconds{consumer=\"%s\"} %.3f\n",
        consumer ? consumer : "", wall_now() - m->start);
    for (int c = 0; c < EXAM_WM_COUNTER_COUNT; c++) {
        const char *name = counter_names[c][0], *help = counter_names[c][1],
                   *label = counter_names[c][2];
        if (help) put(&t, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
        if (label)
            put(&t, "%s{%s} %.17g\n", name, label, m->counters[c]);
        else
            put(&t, "%s %.17g\n", name, m->counters[c]);
    }
    for (int g = 0; g < EXAM_WM_GAUGE_COUNT; g++)
        put(&t, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", gauge_names[g][0], gauge_names[g][1],
            gauge_names[g][0], gauge_names[g][0], m->gauges[g]);
    for (int h = 0; h < EXAM_WM_HIST_COUNT; h++) {
        const hist_def *d = &m->defs[h];
        if (d->help) put(&t, "# HELP %s %s\n# TYPE %s histogram\n", d->name, d->help, d->name);
        const char *l = d->label ? d->label : "", *sep = d->label ? "," : "";
        unsigned long long cum = 0;
        for (int b = 0; b <= d->n_bounds; b++) {
            cum += m->buckets[h][b];
            if (b < d->n_bounds)
                put(&t, "%s_bucket{%s%sle=\"%g\"} %llu\n", d->name, l, sep, d->bounds[b], cum);
            else
                put(&t, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", d->name, l, sep, cum);
        }
        if (d->label) {
            put(&t, "%s_sum{%s} %.17g\n%s_count{%s} %llu\n", d->name, l, m->sum[h], d->name, l,
                m->count[h]);
        } else {
            put(&t, "%s_sum %.17g\n%s_count %llu\n", d->name, m->sum[h], d->name, m->count[h]);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}
