/* The constant-rate load generator: absolute-deadline sleeps on the monotonic clock. */
#include "load_gen.h"

#include <errno.h>
#include <math.h>
#include <time.h>

uint64_t exam_clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

exam_status exam_loadgen_init(exam_loadgen *g, double rate) {
    if (!(isfinite(rate) && rate > 0 && rate <= 1e9)) {
        return exam_error_set(EXAM_ERR_ARG, "load generator: rate %g is not in (0, 1e9]", rate);
    }
    g->rate = rate;
    g->start_ns = exam_clock_ns();
    g->sent = 0;
    g->late = 0;
    g->max_lag_ns = 0;
    return EXAM_OK;
}

uint64_t exam_loadgen_next_due(const exam_loadgen *g) {
    /* computed from the start every time, so rounding never accumulates */
    return g->start_ns + (uint64_t)llround((double)g->sent * 1e9 / g->rate);
}

uint64_t exam_loadgen_wait(exam_loadgen *g, uint64_t *seq) {
    uint64_t due = exam_loadgen_next_due(g);
    uint64_t now = exam_clock_ns();
    if (now < due) {
        struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
                              .tv_nsec = (long)(due % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
    } else if (now > due) {
        g->late++;
        if (now - due > g->max_lag_ns) {
            g->max_lag_ns = now - due;
        }
    }
    if (seq) {
        *seq = g->sent;
    }
    g->sent++;
    return due;
}

exam_status exam_loadgen_run(exam_loadgen *g, uint64_t n, exam_loadgen_send_fn send, void *ctx) {
    for (uint64_t i = 0; i < n; i++) {
        uint64_t seq;
        uint64_t due = exam_loadgen_wait(g, &seq);
        exam_status st = send(ctx, seq, due);
        if (st != EXAM_OK) {
            return st;
        }
    }
    return EXAM_OK;
}
