/* Key names of a queue, all under one hash tag. */
#include "queue_keys.h"

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
    return EXAM_OK;
}

char *exam_queue_key_for(const exam_queue_keys *keys, const char *kind, const char *id) {
    size_t n = strlen(keys->prefix) + strlen(kind) + strlen(id) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s:%s", keys->prefix, kind, id);
    return s;
}
