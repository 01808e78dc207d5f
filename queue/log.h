/* Structured log lines (logfmt) on stderr: `ts=... level=... event=... key=value ...`. */
#ifndef EXAM_LOG_H
#define EXAM_LOG_H

/* Log levels, in increasing severity. */
typedef enum exam_log_level {
    EXAM_LOG_DEBUG = 0,
    EXAM_LOG_INFO,
    EXAM_LOG_WARN,
    EXAM_LOG_ERROR,
} exam_log_level;

/* Lines below `level` are dropped (default EXAM_LOG_INFO). */
void exam_log_set_level(exam_log_level level);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int exam_log_level_parse(const char *name);

/* Writes one line: ts, level, event, then the printf-formatted key=value pairs in `fmt` (may be
 * NULL). Values with spaces must be quoted by the caller with exam_log_quote. Thread-safe: the
 * line is written with a single call. Never pass a password: use exam_redis_describe. */
void exam_log(exam_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes `s` as a logfmt value (double-quoted, with \" \\ and control characters escaped,
 * truncated to fit) into buf; returns buf. */
const char *exam_log_quote(const char *s, char *buf, unsigned long size);

#endif
