/* Key names of a queue, all under one hash tag, and the one rule that puts a user-chosen name
 * into a key (percent-encoding, SHA-256 beyond a length bound; nettle's SHA-256, the library
 * GnuTLS already loads into the worker through libmicrohttpd). */
#include "queue_keys.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int name_char_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == ':';
}

exam_status exam_queue_keys_init(const char *name, exam_queue_keys *keys) {
    memset(keys, 0, sizeof *keys);
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > EXAM_QUEUE_NAME_MAX)
        return exam_error_set(EXAM_ERR_ARG, "queue name must have 1..%d characters",
                              EXAM_QUEUE_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if (!name_char_ok(name[i]))
            return exam_error_set(EXAM_ERR_ARG,
                                  "queue name '%s': character %zu is not one of "
                                  "A-Z a-z 0-9 _ - . :",
                                  name, i + 1);
    memcpy(keys->queue, name, n + 1);
    snprintf(keys->prefix, sizeof keys->prefix, "examiner:{%s}:", name);
    snprintf(keys->jobs, sizeof keys->jobs, "%sjobs", keys->prefix);
    snprintf(keys->results, sizeof keys->results, "%sresults", keys->prefix);
    snprintf(keys->dead, sizeof keys->dead, "%sdead", keys->prefix);
    snprintf(keys->cohorts, sizeof keys->cohorts, "%scohorts", keys->prefix);
    snprintf(keys->judge_requests, sizeof keys->judge_requests, "%sjudge-requests", keys->prefix);
    snprintf(keys->meta, sizeof keys->meta, "%smeta", keys->prefix);
    return EXAM_OK;
}

static int component_char_ok(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '~';
}

static const char hex_digits[] = "0123456789ABCDEF";

char *exam_queue_name_encode(const char *name, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) n += component_char_ok((unsigned char)name[i]) ? 1 : 3;
    char *s = malloc((n > EXAM_QUEUE_COMPONENT_MAX ? EXAM_QUEUE_COMPONENT_MAX : n) + 1);
    if (!s) return NULL;
    size_t cap = n > EXAM_QUEUE_COMPONENT_MAX ? EXAM_QUEUE_COMPONENT_HEAD : n, o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        size_t w = component_char_ok(c) ? 1 : 3;
        if (o + w > cap) break;
        if (w == 1) {
            s[o++] = (char)c;
        } else {
            s[o++] = '%';
            s[o++] = hex_digits[c >> 4];
            s[o++] = hex_digits[c & 15];
        }
    }
    if (n > EXAM_QUEUE_COMPONENT_MAX) {
        struct sha256_ctx ctx;
        uint8_t d[SHA256_DIGEST_SIZE];
        sha256_init(&ctx);
        sha256_update(&ctx, len, (const uint8_t *)name);
        sha256_digest(&ctx, sizeof d, d);
        s[o++] = '#';
        for (size_t i = 0; i < sizeof d; i++) {
            s[o++] = hex_digits[d[i] >> 4];
            s[o++] = hex_digits[d[i] & 15];
        }
    }
    s[o] = '\0';
    return s;
}

static int hex_value(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

exam_status exam_queue_name_decode(const char *component, char **out, size_t *len) {
    *out = NULL;
    size_t n = strlen(component), o = 0;
    char *s = malloc(n + 1);
    if (!s) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)component[i];
        int hi = c == '%' && i + 2 < n ? hex_value(component[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(component[i + 2]) : -1;
        if (c == '%' && lo >= 0 && !component_char_ok((unsigned char)(hi * 16 + lo))) {
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (component_char_ok(c)) {
            s[o++] = (char)c;
        } else {
            free(s);
            return exam_error_set(EXAM_ERR_FORMAT,
                                  c == '#'
                                      ? "key component '%.60s' is hashed: its name is not in it"
                                      : "key component '%.60s': byte %zu is not an encoding",
                                  component, i + 1);
        }
    }
    s[o] = '\0';
    if (len) *len = o;
    *out = s;
    return EXAM_OK;
}

char *exam_queue_key_for(const exam_queue_keys *keys, const char *kind, const char *name) {
    char *c = exam_queue_name_encode(name, strlen(name));
    if (!c) return NULL;
    size_t n = strlen(keys->prefix) + strlen(kind) + strlen(c) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s:%s", keys->prefix, kind, c);
    free(c);
    return s;
}
