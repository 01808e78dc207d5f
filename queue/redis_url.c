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
    /* The credentials end at the last '@' of the URL: a host, port or database never holds
     * one, so a password with '/', ':' or '@' in it (percent-encoded or not) stays in the
     * credentials and no part of it can be taken for the host, the port or the path. */
    const char *auth_end = NULL;
    for (const char *q = end; q > p; q--)
        if (q[-1] == '@') {
            auth_end = q - 1;
            break;
        }
    const char *after = auth_end ? auth_end + 1 : p;
    const char *slash = memchr(after, '/', (size_t)(end - after));
    /* what errors may quote: the URL with its credentials replaced by "***" */
    char shown[160];
    snprintf(shown, sizeof shown, "redis://%s%.*s", auth_end ? "***@" : "",
             (int)((end - after) > 120 ? 120 : (end - after)), after);
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
            st = exam_error_set(EXAM_ERR_ARG, "Redis URL %s: unclosed '[' in the host", shown);
            goto fail;
        }
        host_start = p + 1;
        host_len = (size_t)(close - host_start);
        if (close + 1 < host_end) {
            if (close[1] != ':') {
                st =
                    exam_error_set(EXAM_ERR_ARG, "Redis URL %s: junk after ']' in the host", shown);
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
        st = exam_error_set(EXAM_ERR_ARG, "Redis URL %s has no host", shown);
        goto fail;
    }
    out->host = malloc(host_len + 1);
    if (!out->host) goto fail_nomem;
    memcpy(out->host, host_start, host_len);
    out->host[host_len] = '\0';
    out->port = 6379;
    if (port_sep &&
        parse_int(port_sep + 1, (size_t)(host_end - port_sep - 1), 1, 65535, &out->port) != 0) {
        st = exam_error_set(EXAM_ERR_ARG, "Redis URL %s: the port is not a number in 1..65535",
                            shown);
        goto fail;
    }
    out->db = 0;
    if (slash && slash + 1 < end) {
        const char *q = strchr(slash + 1, '?');
        size_t n = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
        if (n > 0 && parse_int(slash + 1, n, 0, 1 << 20, &out->db) != 0) {
            st = exam_error_set(EXAM_ERR_ARG, "Redis URL %s: the database is not a number", shown);
            goto fail;
        }
    }
    return EXAM_OK;
fail_part:
    if (bad) {
        st = exam_error_set(EXAM_ERR_ARG, "Redis URL %s: bad percent-escape in the credentials",
                            shown);
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

/* Appends s percent-encoded (all but RFC 3986's unreserved characters) at *o. */
static void encode_part(const char *s, char **o) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
            *(*o)++ = (char)*c;
        } else {
            *(*o)++ = '%';
            *(*o)++ = hex[*c >> 4];
            *(*o)++ = hex[*c & 15];
        }
    }
}

exam_status exam_redis_url_with_password(const char *url, const char *password, char **out) {
    *out = NULL;
    exam_redis_url u;
    exam_status st = exam_redis_url_parse(url, &u);
    if (st != EXAM_OK) return st;
    size_t n = 64 + strlen(u.host) + 3 * (strlen(password) + (u.user ? strlen(u.user) : 0));
    char *s = malloc(n);
    if (!s) {
        exam_redis_url_free(&u);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory building the Redis URL");
    }
    char *o = s;
    memcpy(o, "redis://", 8);
    o += 8;
    if (u.user) encode_part(u.user, &o);
    *o++ = ':';
    encode_part(password, &o);
    int ipv6 = strchr(u.host, ':') != NULL;
    snprintf(o, n - (size_t)(o - s), "@%s%s%s:%d/%d", ipv6 ? "[" : "", u.host, ipv6 ? "]" : "",
             u.port, u.db);
    exam_redis_url_free(&u);
    *out = s;
    return EXAM_OK;
}
