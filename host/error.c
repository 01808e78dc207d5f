/* Per-thread error messages behind exam_error_set / exam_error_message. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char error_message[1024];

exam_status exam_error_set_at(exam_status status, const char *file, int line, const char *fmt,
                              ...) {
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    char text[896];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(error_message, sizeof error_message, "%s (%s:%d)", text, base, line);
    return status;
}

const char *exam_error_message(void) {
    return error_message;
}

void exam_error_clear(void) {
    error_message[0] = '\0';
}

const char *exam_status_name(exam_status status) {
    switch (status) {
    case EXAM_OK:
        return "ok";
    case EXAM_ERR_ARG:
        return "invalid_argument";
    case EXAM_ERR_IO:
        return "io";
    case EXAM_ERR_FORMAT:
        return "format";
    case EXAM_ERR_UTF8:
        return "invalid_utf8";
    case EXAM_ERR_NOMEM:
        return "out_of_memory";
    case EXAM_ERR_BACKEND:
        return "backend";
    case EXAM_ERR_UNAVAILABLE:
        return "unavailable";
    case EXAM_ERR_LIMIT:
        return "limit";
    case EXAM_ERR_NOT_FOUND:
        return "not_found";
    case EXAM_ERR_DENIED:
        return "denied";
    case EXAM_ERR_NUMERIC:
        return "non_finite";
    }
    return "unknown";
}
