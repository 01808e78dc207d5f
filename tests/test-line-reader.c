/* The bounded line reader: lines at, over and far over the limit (skipped without being held,
 * each reported with its number and size, the following lines still read), CRLF, a last line
 * without a newline, embedded NUL bytes, and a read error told apart from the end of input.
 * labels: unit */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "line_reader.h"
#include "testlib.h"

/* Writes data to a temporary file and rewinds it. */
static FILE *file_of(const void *data, size_t len) {
    FILE *f = tmpfile();
    if (f) {
        fwrite(data, 1, len, f);
        rewind(f);
    }
    return f;
}

static void expect_line(exam_line_reader *r, const char *want, size_t want_len, size_t line_no) {
    char *line;
    size_t len;
    exam_status st = exam_line_reader_next(r, &line, &len);
    CHECKF(st == EXAM_OK && line && len == want_len && !memcmp(line, want, want_len) &&
               line[len] == '\0' && r->line_no == line_no,
           "line %zu: status %s, len %zu (want %zu)", line_no, exam_status_name(st), len, want_len);
}

static void expect_eof(exam_line_reader *r) {
    char *line = (char *)"x";
    size_t len = 1;
    exam_status st = exam_line_reader_next(r, &line, &len);
    CHECKF(st == EXAM_OK && !line && len == 0, "end of input: %s", exam_status_name(st));
}

static void test_limits(void) {
    const size_t far = 3u << 20; /* 3 MiB against a limit of 8 bytes */
    size_t cap = far + 256;
    char *data = malloc(cap);
    CHECK(data != NULL);
    if (!data) return;
    size_t n = 0;
    n += (size_t)sprintf(data + n, "12345678\n");   /* at the limit */
    n += (size_t)sprintf(data + n, "123456789\n");  /* one over */
    n += (size_t)sprintf(data + n, "1234567\r\n");  /* CRLF: the '\r' is not counted */
    n += (size_t)sprintf(data + n, "12345678\r\n"); /* at the limit with CRLF */
    memset(data + n, 'x', far);                     /* far over */
    n += far;
    data[n++] = '\n';
    n += (size_t)sprintf(data + n, "\n");     /* an empty line is a line */
    n += (size_t)sprintf(data + n, "a\rb\n"); /* a '\r' inside stays */
    memcpy(data + n, "nu\0l\0\n", 6);         /* embedded NULs */
    n += 6;
    n += (size_t)sprintf(data + n, "last"); /* no trailing newline */
    FILE *f = file_of(data, n);
    free(data);
    CHECK(f != NULL);
    if (!f) return;
    exam_line_reader r;
    exam_line_reader_init(&r, f, 8);
    expect_line(&r, "12345678", 8, 1);

    char *line;
    size_t len;
    exam_status st = exam_line_reader_next(&r, &line, &len);
    CHECKF(st == EXAM_ERR_LIMIT && !line && r.line_no == 2 && r.len == 9, "over by one: %s",
           exam_status_name(st));
    CHECKF(strstr(exam_error_message(), "line 2 has 9 bytes") != NULL, "message: %s",
           exam_error_message());

    expect_line(&r, "1234567", 7, 3);
    expect_line(&r, "12345678", 8, 4);

    st = exam_line_reader_next(&r, &line, &len);
    CHECKF(st == EXAM_ERR_LIMIT && !line && r.line_no == 5 && r.len == far, "far over: %s %zu",
           exam_status_name(st), r.len);
    CHECKF(strstr(exam_error_message(), "line 5 has 3145728 bytes") != NULL, "message: %s",
           exam_error_message());
    /* the skipped line was never held: the buffer stays at the limit */
    CHECKF(r.cap <= 8 + 1, "buffer grew to %zu bytes", r.cap);

    expect_line(&r, "", 0, 6);
    expect_line(&r, "a\rb", 3, 7);
    expect_line(&r, "nu\0l\0", 5, 8);
    expect_line(&r, "last", 4, 9);
    expect_eof(&r);
    expect_eof(&r);
    exam_line_reader_free(&r);
    fclose(f);

    /* no limit */
    f = file_of("one\ntwo\n", 8);
    exam_line_reader_init(&r, f, 0);
    expect_line(&r, "one", 3, 1);
    expect_line(&r, "two", 3, 2);
    expect_eof(&r);
    exam_line_reader_free(&r);
    fclose(f);
}

/* A stream that gives two lines, then fails. */
typedef struct failing {
    int calls;
} failing;

static ssize_t failing_read(void *cookie, char *buf, size_t size) {
    failing *fl = cookie;
    if (fl->calls++ == 0) {
        const char *s = "first\nsecond\nthi";
        size_t n = strlen(s) < size ? strlen(s) : size;
        memcpy(buf, s, n);
        return (ssize_t)n;
    }
    errno = EIO;
    return -1;
}

static void test_read_error(void) {
    failing fl = {0};
    cookie_io_functions_t io = {.read = failing_read};
    FILE *f = fopencookie(&fl, "r", io);
    CHECK(f != NULL);
    if (!f) return;
    exam_line_reader r;
    exam_line_reader_init(&r, f, 1024);
    expect_line(&r, "first", 5, 1);
    expect_line(&r, "second", 6, 2);
    char *line;
    size_t len;
    exam_status st = exam_line_reader_next(&r, &line, &len);
    CHECKF(st == EXAM_ERR_IO && !line, "read error: %s", exam_status_name(st));
    CHECKF(strstr(exam_error_message(), "read error after line 2") != NULL, "message: %s",
           exam_error_message());
    exam_line_reader_free(&r);
    fclose(f);
}

int main(void) {
    test_limits();
    test_read_error();
    return exam_test_finish();
}
