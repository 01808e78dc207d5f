/* Redis URL parsing: scheme, credentials (percent-decoded), host, port and database. */
#include "redis_url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Copies s[0..n) percent-decoded into a new string; NULL on a bad escape or no memory
 * (*bad_escape tells which). */
static char *decode_part(const char *s, size_t n, int *bad_escape) {
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                *bad_escape = 1;
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static int parse_int(const char *s, size_t n, long lo, long hi, int *out) {
    if (n == 0 || n > 9) return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

exam_status exam_redis_url_parse(const char *url, exam_redis_url *out) {
    memset(out, 0, sizeof *out);
    if (!url || !*url) return exam_error_set(EXAM_ERR_ARG, "empty Redis URL");
    if (!strncmp(url, "rediss://", 9))
        return exam_error_set(EXAM_ERR_UNAVAILABLE,
                              "rediss:// (TLS) is not supported by this build's hiredis");
    if (strncmp(url, "redis://", 8) != 0)
        return exam_error_set(EXAM_ERR_ARG, "Redis URL must start with redis:// (form "
                                            "redis://[user:password@]host:port/db)");
    const char *p = url + 8;
    const char *end = p + strlen(p);
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *auth_end = NULL;
    /* the credentials end at the last '@' before the path (a password may contain '@' only
     * percent-encoded, but be lenient) */
    for (const char *q = slash ? slash : end; q > p; q--)
        if (q[-1] == '@') {
            auth_end = q - 1;
            break;
        }
    exam_status st = EXAM_OK;
    int bad = 0;
    if (auth_end) {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        if (!colon) {
            /* "redis://secret@host": the lone part is a password, as redis-cli reads it */
            out->password = decode_part(p, (size_t)(auth_end - p), &bad);
            if (!out->password) goto fail_part;
        } else {
            if (colon > p) {
                out->user = decode_part(p, (size_t)(colon - p), &bad);
                if (!out->user) goto fail_part;
            }
            out->password = decode_part(colon + 1, (size_t)(auth_end - colon - 1), &bad);
            if (!out->password) goto fail_part;
        }
        p = auth_end + 1;
    }
    const char *host_end = slash ? slash : end;
    const char *port_sep = NULL;
    const char *host_start = p;
    size_t host_len;
    if (*p == '[') { /* [ipv6]:port */
        const char *close = memchr(p, ']', (size_t)(host_end - p));
        if (!close) {
            st = exam_error_set(EXAM_ERR_ARG, "Redis URL: unclosed '[' in the host");
            goto fail;
        }
        host_start = p + 1;
        host_len = (size_t)(close - host_start);
        if (close + 1 < host_end) {
            if (close[1] != ':') {
                st = exam_error_set(EXAM_ERR_ARG, "Redis URL: junk after ']' in the host");
                goto fail;
            }
            port_sep = close + 1;
        }
    } else {
        for (const char *q = host_end; q > p; q--)
            if (q[-1] == ':') {
                port_sep = q - 1;
                break;
            }
        host_len = (size_t)((port_sep ? port_sep : host_end) - p);
    }
    if (host_len == 0) {
        st = exam_error_set(EXAM_ERR_ARG, "Redis URL has no host");
        goto fail;
    }
    out->host = malloc(host_len + 1);
    if (!out->host) goto fail_nomem;
    memcpy(out->host, host_start, host_len);
    out->host[host_len] = '\0';
    out->port = 6379;
    if (port_sep &&
        parse_int(port_sep + 1, (size_t)(host_end - port_sep - 1), 1, 65535, &out->port) != 0) {
        st = exam_error_set(EXAM_ERR_ARG, "Redis URL: port '%.*s' is not a number in 1..65535",
                            (int)(host_end - port_sep - 1), port_sep + 1);
        goto fail;
    }
    out->db = 0;
    if (slash && slash + 1 < end) {
        const char *q = strchr(slash + 1, '?');
        size_t n = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
        if (n > 0 && parse_int(slash + 1, n, 0, 1 << 20, &out->db) != 0) {
            st = exam_error_set(EXAM_ERR_ARG, "Redis URL: database '%.*s' is not a number", (int)n,
                                slash + 1);
            goto fail;
        }
    }
    return EXAM_OK;
fail_part:
    if (bad) {
        st = exam_error_set(EXAM_ERR_ARG, "Redis URL: bad percent-escape in the credentials");
        goto fail;
    }
fail_nomem:
    st = exam_error_set(EXAM_ERR_NOMEM, "out of memory parsing the Redis URL");
fail:
    exam_redis_url_free(out);
    return st;
}

void exam_redis_url_free(exam_redis_url *url) {
    if (!url) return;
    if (url->password) {
        volatile char *v = url->password;
        while (*v) *v++ = 0;
    }
    free(url->host);
    free(url->user);
    free(url->password);
    memset(url, 0, sizeof *url);
}

void exam_redis_url_redact(const exam_redis_url *url, char *buf, size_t size) {
    if (!size) return;
    int ipv6 = url->host && strchr(url->host, ':') != NULL;
    snprintf(buf, size, "redis://%s%s%s%s%s%s:%d/%d", url->user ? url->user : "",
             url->password ? ":***" : "", (url->user || url->password) ? "@" : "", ipv6 ? "[" : "",
             url->host ? url->host : "", ipv6 ? "]" : "", url->port, url->db);
}
