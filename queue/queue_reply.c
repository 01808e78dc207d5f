/* Helpers that read Redis replies of known shapes without trusting them. */
#include "queue_reply.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const redisReply *exam_reply_field(const redisReply *pairs, const char *name) {
    if (!pairs || pairs->type != REDIS_REPLY_ARRAY) return NULL;
    size_t n = strlen(name);
    for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
        const redisReply *k = pairs->element[i];
        if ((k->type == REDIS_REPLY_STRING || k->type == REDIS_REPLY_STATUS) &&
            (size_t)k->len == n && memcmp(k->str, name, n) == 0)
            return pairs->element[i + 1];
    }
    return NULL;
}

const char *exam_reply_str(const redisReply *v) {
    if (!v || (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_STATUS)) return NULL;
    return v->str;
}

int exam_reply_ll(const redisReply *v, long long fallback, long long *out) {
    *out = fallback;
    if (!v) return -1;
    if (v->type == REDIS_REPLY_INTEGER) {
        *out = v->integer;
        return 0;
    }
    const char *s = exam_reply_str(v);
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = x;
    return 0;
}

int exam_reply_double(const redisReply *v, double fallback, double *out) {
    *out = fallback;
    if (!v) return -1;
    if (v->type == REDIS_REPLY_INTEGER) {
        *out = (double)v->integer;
        return 0;
    }
    const char *s = exam_reply_str(v);
    if (!s || !*s) return -1;
    char *end;
    double x = strtod(s, &end);
    if (*end || !isfinite(x)) return -1;
    *out = x;
    return 0;
}
