/* Parsing of Redis URLs (redis://[user:password@]host:port/db) and their log-safe form. */
#ifndef EXAM_REDIS_URL_H
#define EXAM_REDIS_URL_H

#include <stddef.h>

#include "error.h"

/* Where Redis is looked for when neither an option nor $REDIS_URL says. */
#define EXAM_REDIS_DEFAULT_URL "redis://127.0.0.1:6379/0"

/* A parsed Redis URL. Strings are owned; user and password are NULL when absent. */
typedef struct exam_redis_url {
    char *host;     /* host name or address; IPv6 literals without brackets */
    int port;       /* 6379 by default */
    int db;         /* logical database, 0 by default */
    char *user;     /* ACL user name (percent-decoded), or NULL for the default user */
    char *password; /* percent-decoded password, or NULL */
} exam_redis_url;

/* Parses `redis://[[user]:password@]host[:port][/db]` (user and password may be
 * percent-encoded; "redis://:pw@host" authenticates the default user). The credentials end at
 * the URL's last '@', so a password holding '/', ':' or '@' parses whole. `rediss://` and unix
 * sockets are refused (this build's hiredis has no TLS). On error the message quotes the URL
 * only with its credentials replaced by "***"; *out is zeroed.
 * Errors: EXAM_ERR_ARG (malformed URL, bad port or db), EXAM_ERR_UNAVAILABLE (rediss://),
 * EXAM_ERR_NOMEM. */
exam_status exam_redis_url_parse(const char *url, exam_redis_url *out);

/* A new URL (the caller frees it, wiping it first if it likes) that is `url` with `password`
 * (raw, percent-encoded here) in place of any password it had, keeping its user name, host,
 * port and database. Errors: as exam_redis_url_parse. */
exam_status exam_redis_url_with_password(const char *url, const char *password, char **out);

/* Frees the URL's strings (wiping the password first) and zeroes it. */
void exam_redis_url_free(exam_redis_url *url);

/* Writes the URL with the password replaced by "***" into buf (always NUL-terminated). */
void exam_redis_url_redact(const exam_redis_url *url, char *buf, size_t size);

#endif
