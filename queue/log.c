/* logfmt lines on stderr with a UTC timestamp, one write per line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int min_level = EXAM_LOG_INFO;

void exam_log_set_level(exam_log_level level) {
    min_level = (int)level;
}

int exam_log_level_parse(const char *name) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, names[i])) return i;
    return -1;
}

void exam_log(exam_log_level level, const char *event, const char *fmt, ...) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if ((int)level < min_level) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[2048];
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, names[level], event);
    if (n < 0) return;
    if (fmt && (size_t)n + 2 < sizeof line) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0) n += m;
    }
    if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

const char *exam_log_quote(const char *s, char *buf, unsigned long size) {
    size_t o = 0;
    if (size < 4) {
        if (size) buf[0] = '\0';
        return buf;
    }
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char esc[8];
        int k;
        if (*p == '"' || *p == '\\')
            k = snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p < 0x20)
            k = snprintf(esc, sizeof esc, "\\x%02x", *p);
        else
            k = snprintf(esc, sizeof esc, "%c", *p);
        if (o + (size_t)k + 2 > size) break;
        memcpy(buf + o, esc, (size_t)k);
        o += (size_t)k;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}
