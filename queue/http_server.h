/* A small HTTP endpoint (libmicrohttpd, its own thread) that answers GET requests through one
 * callback: the worker's /metrics and /healthz. */
#ifndef EXAM_HTTP_SERVER_H
#define EXAM_HTTP_SERVER_H

#include "error.h"

/* Fills *body (malloc'd, the server frees it), *content_type (static) for `path` and returns
 * the HTTP status (404 for an unknown path, with *body NULL allowed). */
typedef int (*exam_http_handler)(void *user, const char *path, char **body,
                                 const char **content_type);

typedef struct exam_http_server exam_http_server;

/* Limits of the server (docs/queue.md): open connections in all, from one client address, the
 * seconds within which a request's headers must be complete (from the connection's accept or the
 * previous request's end; trickling does not extend it), and descriptors kept free for the rest
 * of the process (Redis): the connection limit shrinks to fit RLIMIT_NOFILE minus these. */
#define EXAM_HTTP_MAX_CONNECTIONS 64
#define EXAM_HTTP_MAX_PER_IP 16
#define EXAM_HTTP_HEADER_DEADLINE_S 10
#define EXAM_HTTP_RESERVED_FDS 128

/* Listens on `addr` ("PORT", ":PORT" or "HOST:PORT": no host means 127.0.0.1 only; HOST an IPv4
 * address, "localhost", "0.0.0.0" or "*" for all interfaces, or "[V6]:PORT" such as
 * "[::1]:9100" or "[::]:9100"; port 0 picks a free one) and serves GET requests with `handler`
 * within the limits above. Errors: EXAM_ERR_ARG (bad address), EXAM_ERR_UNAVAILABLE (cannot
 * listen), EXAM_ERR_NOMEM. */
exam_status exam_http_start(const char *addr, exam_http_handler handler, void *user,
                            exam_http_server **out);

/* The port actually listened on. */
int exam_http_port(const exam_http_server *s);

/* The address actually listened on, as "127.0.0.1:9100" or "[::]:9100". */
const char *exam_http_bound(const exam_http_server *s);

/* Stops the server and frees it (NULL is allowed). */
void exam_http_stop(exam_http_server *s);

#endif
