/* One checked Redis connection: connect from a URL, authenticate (ACL user or password), select
 * the database, run commands with every transport and server error turned into an exam_status,
 * and reconnect with capped exponential backoff. Only queue/ includes hiredis. */
#ifndef EXAM_REDIS_CONN_H
#define EXAM_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stddef.h>

#include "error.h"

typedef struct exam_redis exam_redis;

/* Connection settings; zero fields take the defaults. */
typedef struct exam_redis_options {
    double connect_timeout_s; /* TCP connect + handshake limit (default 2 s) */
    double io_timeout_s;      /* socket read/write limit; keep it above any BLOCK (default 5 s) */
    double backoff_cap_s;     /* longest wait between reconnect attempts (default 5 s) */
    const char *client_name;  /* CLIENT SETNAME after connecting, or NULL */
} exam_redis_options;

/* Connects to `url` (redis://[user:password@]host:port/db), sends AUTH when the URL has
 * credentials, SELECTs the database and checks the server answers PING. options may be NULL.
 * Errors: EXAM_ERR_ARG (bad URL), EXAM_ERR_UNAVAILABLE (cannot connect, timed out),
 * EXAM_ERR_DENIED (credentials refused, or NOAUTH: the server wants a password),
 * EXAM_ERR_NOMEM. Messages name the redacted URL, never the password. */
exam_status exam_redis_open(const char *url, const exam_redis_options *options, exam_redis **out);

/* Closes the connection and frees it (NULL is allowed). */
void exam_redis_close(exam_redis *r);

/* The URL with its password masked, for logs. */
const char *exam_redis_describe(const exam_redis *r);

/* 1 while the connection is usable; 0 after a transport error until a reconnect succeeds. */
int exam_redis_connected(const exam_redis *r);

/* One reconnect attempt (close, connect, AUTH, SELECT, SETNAME). Errors as exam_redis_open. */
exam_status exam_redis_reconnect(exam_redis *r);

/* Reconnects, waiting 50 ms, 100 ms, 200 ms ... up to the backoff cap between attempts (with
 * ±20% jitter), until it succeeds, the credentials are refused (EXAM_ERR_DENIED, at once: a
 * wrong password does not get better by waiting), *stop becomes non-zero, or give_up_s seconds
 * pass (0: never give up). Returns EXAM_ERR_UNAVAILABLE when it stopped or gave up. */
exam_status exam_redis_reconnect_backoff(exam_redis *r, const volatile sig_atomic_t *stop,
                                         double give_up_s);

/* Runs one command given as argc binary-safe arguments (lens may be NULL for C strings).
 * EXAM_OK with *reply set (the caller frees it with freeReplyObject) when the server answered,
 * including with an error reply: use exam_redis_reply_status to inspect it.
 * Errors: EXAM_ERR_UNAVAILABLE when the connection failed or timed out (the connection is
 * marked broken; reconnect before the next command), EXAM_ERR_NOMEM. */
exam_status exam_redis_argv(exam_redis *r, int argc, const char **argv, const size_t *lens,
                            redisReply **reply);

/* Like exam_redis_argv, with a printf-style format as hiredis' redisCommand takes it
 * (%s, %b for binary with a length, %d ...). */
exam_status exam_redis_command(exam_redis *r, redisReply **reply, const char *fmt, ...);

/* Queues a command for pipelining; its reply is read later with exam_redis_get_reply, in
 * order. Errors as exam_redis_argv. */
exam_status exam_redis_append_argv(exam_redis *r, int argc, const char **argv, const size_t *lens);

/* Reads the next pipelined reply. Errors as exam_redis_argv. */
exam_status exam_redis_get_reply(exam_redis *r, redisReply **reply);

/* EXAM_OK unless reply is an error reply; then records "<what>: <server message>" and returns
 * EXAM_ERR_DENIED (NOPERM, NOAUTH, WRONGPASS), EXAM_ERR_NOT_FOUND (NOGROUP), or
 * EXAM_ERR_FORMAT (any other server error). */
exam_status exam_redis_reply_status(const redisReply *reply, const char *what);

/* Changes the socket read/write timeout of the live connection (and of later reconnects). */
exam_status exam_redis_set_io_timeout(exam_redis *r, double seconds);

#endif
