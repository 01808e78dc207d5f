/* A checked hiredis connection with authentication, database selection and reconnects. */
#include "redis_conn.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis_url.h"

struct exam_redis {
    redisContext *ctx;
    exam_redis_url url;
    exam_redis_options opt;
    char *client_name;
    char described[512];
    int broken;
};

static struct timeval to_timeval(double s) {
    struct timeval tv;
    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    return tv;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

exam_status exam_redis_reply_status(const redisReply *reply, const char *what) {
    if (!reply) return exam_error_set(EXAM_ERR_UNAVAILABLE, "%s: no reply from Redis", what);
    if (reply->type != REDIS_REPLY_ERROR) return EXAM_OK;
    const char *m = reply->str ? reply->str : "";
    exam_status st = EXAM_ERR_FORMAT;
    if (!strncmp(m, "NOPERM", 6) || !strncmp(m, "NOAUTH", 6) || !strncmp(m, "WRONGPASS", 9) ||
        strstr(m, "invalid password") || strstr(m, "invalid username-password"))
        st = EXAM_ERR_DENIED;
    else if (!strncmp(m, "NOGROUP", 7))
        st = EXAM_ERR_NOT_FOUND;
    return exam_error_set(st, "%s: Redis replied: %s", what, m);
}

static exam_status transport_error(exam_redis *r, const char *what) {
    r->broken = 1;
    const char *m = r->ctx && r->ctx->errstr[0] ? r->ctx->errstr : "connection lost";
    if (r->ctx && r->ctx->err == REDIS_ERR_OOM)
        return exam_error_set(EXAM_ERR_NOMEM, "%s on %s: %s", what, r->described, m);
    return exam_error_set(EXAM_ERR_UNAVAILABLE, "%s on %s: %s", what, r->described, m);
}

/* Runs a command on a fresh connection during the handshake and checks its reply. */
static exam_status handshake_argv(exam_redis *r, int argc, const char **argv, const char *what) {
    redisReply *reply = redisCommandArgv(r->ctx, argc, argv, NULL);
    if (!reply) return transport_error(r, what);
    exam_status st = exam_redis_reply_status(reply, what);
    if (st != EXAM_OK) {
        /* restate with the (redacted) address so the user knows which server refused */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", exam_error_message());
        st = exam_error_set(st, "%s (%s)", msg, r->described);
    }
    freeReplyObject(reply);
    return st;
}

static exam_status connect_once(exam_redis *r) {
    if (r->ctx) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
    r->broken = 1;
    r->ctx =
        redisConnectWithTimeout(r->url.host, r->url.port, to_timeval(r->opt.connect_timeout_s));
    if (!r->ctx) return exam_error_set(EXAM_ERR_NOMEM, "out of memory connecting to Redis");
    if (r->ctx->err)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "cannot connect to Redis at %s: %s",
                              r->described, r->ctx->errstr);
    if (redisSetTimeout(r->ctx, to_timeval(r->opt.io_timeout_s)) != REDIS_OK)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "cannot set the socket timeout for %s: %s",
                              r->described, r->ctx->errstr);
    redisEnableKeepAlive(r->ctx);
    exam_status st;
    if (r->url.password) {
        const char *auth_user[] = {"AUTH", r->url.user ? r->url.user : "", r->url.password};
        const char *auth_pw[] = {"AUTH", r->url.password};
        st = r->url.user ? handshake_argv(r, 3, auth_user, "AUTH")
                         : handshake_argv(r, 2, auth_pw, "AUTH");
        if (st != EXAM_OK) return st;
    }
    if (r->url.db != 0) {
        char db[16];
        snprintf(db, sizeof db, "%d", r->url.db);
        const char *sel[] = {"SELECT", db};
        if ((st = handshake_argv(r, 2, sel, "SELECT")) != EXAM_OK) return st;
    }
    const char *ping[] = {"PING"};
    if ((st = handshake_argv(r, 1, ping, "PING")) != EXAM_OK) return st;
    if (r->client_name) {
        const char *name[] = {"CLIENT", "SETNAME", r->client_name};
        /* an ACL user may lack CLIENT: the name is a courtesy, not a requirement */
        redisReply *reply = redisCommandArgv(r->ctx, 3, name, NULL);
        if (!reply) return transport_error(r, "CLIENT SETNAME");
        freeReplyObject(reply);
    }
    r->broken = 0;
    return EXAM_OK;
}

exam_status exam_redis_open(const char *url, const exam_redis_options *options, exam_redis **out) {
    *out = NULL;
    exam_redis *r = calloc(1, sizeof *r);
    if (!r) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    exam_status st = exam_redis_url_parse(url, &r->url);
    if (st != EXAM_OK) {
        free(r);
        return st;
    }
    if (options) r->opt = *options;
    if (r->opt.connect_timeout_s <= 0) r->opt.connect_timeout_s = 2.0;
    if (r->opt.io_timeout_s <= 0) r->opt.io_timeout_s = 5.0;
    if (r->opt.backoff_cap_s <= 0) r->opt.backoff_cap_s = 5.0;
    r->opt.client_name = NULL;
    if (options && options->client_name) {
        r->client_name = strdup(options->client_name);
        if (!r->client_name) {
            exam_redis_close(r);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
    }
    exam_redis_url_redact(&r->url, r->described, sizeof r->described);
    st = connect_once(r);
    if (st != EXAM_OK) {
        exam_redis_close(r);
        return st;
    }
    *out = r;
    return EXAM_OK;
}

void exam_redis_close(exam_redis *r) {
    if (!r) return;
    if (r->ctx) redisFree(r->ctx);
    exam_redis_url_free(&r->url);
    free(r->client_name);
    free(r);
}

const char *exam_redis_describe(const exam_redis *r) {
    return r->described;
}

int exam_redis_connected(const exam_redis *r) {
    return r->ctx && !r->broken;
}

exam_status exam_redis_reconnect(exam_redis *r) {
    return connect_once(r);
}

exam_status exam_redis_reconnect_backoff(exam_redis *r, const volatile sig_atomic_t *stop,
                                         double give_up_s) {
    double start = now_s(), delay = 0.05;
    unsigned seed = (unsigned)(start * 1e6);
    for (;;) {
        if (stop && *stop)
            return exam_error_set(EXAM_ERR_UNAVAILABLE, "stopped while reconnecting to %s",
                                  r->described);
        exam_status st = connect_once(r);
        if (st == EXAM_OK || st == EXAM_ERR_DENIED || st == EXAM_ERR_NOMEM) return st;
        if (give_up_s > 0 && now_s() - start >= give_up_s) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", exam_error_message());
            return exam_error_set(EXAM_ERR_UNAVAILABLE, "gave up after %.1f s: %s", now_s() - start,
                                  msg);
        }
        double jitter = 0.8 + 0.4 * (double)(rand_r(&seed) % 1000) / 1000.0;
        double wait = delay * jitter;
        /* sleep in short slices so a stop request is seen quickly */
        for (double left = wait; left > 0 && !(stop && *stop); left -= 0.05) {
            struct timespec ts = {0, (long)(fmin(left, 0.05) * 1e9)};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
                if (stop && *stop) break;
            }
        }
        delay = fmin(delay * 2.0, r->opt.backoff_cap_s);
    }
}

static exam_status check_ready(exam_redis *r, const char *what) {
    if (!r->ctx || r->broken)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "%s: not connected to %s", what, r->described);
    return EXAM_OK;
}

exam_status exam_redis_argv(exam_redis *r, int argc, const char **argv, const size_t *lens,
                            redisReply **reply) {
    *reply = NULL;
    exam_status st = check_ready(r, argv[0]);
    if (st != EXAM_OK) return st;
    *reply = redisCommandArgv(r->ctx, argc, argv, lens);
    if (!*reply) return transport_error(r, argv[0]);
    return EXAM_OK;
}

exam_status exam_redis_command(exam_redis *r, redisReply **reply, const char *fmt, ...) {
    *reply = NULL;
    exam_status st = check_ready(r, fmt);
    if (st != EXAM_OK) return st;
    va_list ap;
    va_start(ap, fmt);
    *reply = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    if (!*reply) return transport_error(r, fmt);
    return EXAM_OK;
}

exam_status exam_redis_append_argv(exam_redis *r, int argc, const char **argv, const size_t *lens) {
    exam_status st = check_ready(r, argv[0]);
    if (st != EXAM_OK) return st;
    if (redisAppendCommandArgv(r->ctx, argc, argv, lens) != REDIS_OK)
        return transport_error(r, argv[0]);
    return EXAM_OK;
}

exam_status exam_redis_get_reply(exam_redis *r, redisReply **reply) {
    *reply = NULL;
    exam_status st = check_ready(r, "reading a reply");
    if (st != EXAM_OK) return st;
    void *p = NULL;
    if (redisGetReply(r->ctx, &p) != REDIS_OK || !p) return transport_error(r, "reading a reply");
    *reply = p;
    return EXAM_OK;
}

exam_status exam_redis_set_io_timeout(exam_redis *r, double seconds) {
    if (seconds <= 0) return exam_error_set(EXAM_ERR_ARG, "socket timeout must be positive");
    r->opt.io_timeout_s = seconds;
    if (r->ctx && !r->broken && redisSetTimeout(r->ctx, to_timeval(seconds)) != REDIS_OK)
        return transport_error(r, "setting the socket timeout");
    return EXAM_OK;
}
