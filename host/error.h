/* Status codes and the per-thread error message that library calls leave for their caller. */
#ifndef EXAM_ERROR_H
#define EXAM_ERROR_H

#include <stddef.h>

typedef enum exam_status {
    EXAM_OK = 0,
    EXAM_ERR_ARG,         /* a caller passed something invalid */
    EXAM_ERR_IO,          /* a file could not be opened, read, mapped or written */
    EXAM_ERR_FORMAT,      /* a file or message is malformed or lies about itself */
    EXAM_ERR_UTF8,        /* text is not valid UTF-8 */
    EXAM_ERR_NOMEM,       /* an allocation failed */
    EXAM_ERR_BACKEND,     /* a BLAS, OpenCL or CUDA call failed */
    EXAM_ERR_UNAVAILABLE, /* a backend or service is not present on this machine */
    EXAM_ERR_LIMIT,       /* an input exceeds a configured limit */
    EXAM_ERR_NOT_FOUND,   /* a named thing (question id, tensor, file) does not exist */
    EXAM_ERR_DENIED,      /* a service refused our credentials or the command (Redis AUTH, ACL) */
    EXAM_ERR_NUMERIC, /* a computation gave NaN or infinity (an embedding the model overflowed) */
} exam_status;

/* Records status and a printf-style message for the calling thread, prefixed with file:line;
 * returns status so callers can write `return exam_error_set(...)`. */
exam_status exam_error_set_at(exam_status status, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define exam_error_set(status, ...) exam_error_set_at((status), __FILE__, __LINE__, __VA_ARGS__)

/* The calling thread's last error message ("" when none was recorded). */
const char *exam_error_message(void);

/* Forgets the calling thread's last error. */
void exam_error_clear(void);

/* A short constant name for a status ("ok", "format", ...). */
const char *exam_status_name(exam_status status);

#endif
