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

/* Listens on `addr` ("HOST:PORT", ":PORT" or "PORT"; HOST an IPv4 address, "localhost" or
 * empty for all interfaces; port 0 picks a free one) and serves GET requests with `handler`.
 * Errors: EXAM_ERR_ARG (bad address), EXAM_ERR_UNAVAILABLE (cannot listen), EXAM_ERR_NOMEM. */
exam_status exam_http_start(const char *addr, exam_http_handler handler, void *user,
                            exam_http_server **out);

/* The port actually listened on. */
int exam_http_port(const exam_http_server *s);

/* Stops the server and frees it (NULL is allowed). */
void exam_http_stop(exam_http_server *s);

#endif
