/* The bounded line reader: bytes are taken one at a time from the stream's buffer, so the
 * length bound is applied before a byte is stored, and a read error or a failed allocation is
 * told apart from the end of the input. */
#include "line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void exam_line_reader_init(exam_line_reader *r, FILE *in, size_t max_bytes) {
    memset(r, 0, sizeof *r);
    r->in = in;
    r->max_bytes = max_bytes ? max_bytes : (size_t)-1 / 2;
}

void exam_line_reader_free(exam_line_reader *r) {
    if (!r) return;
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* Makes room for `need` bytes plus the terminating NUL; 0 on success. */
static int reserve(exam_line_reader *r, size_t need) {
    if (need < r->cap) return 0;
    size_t cap = r->cap ? r->cap : 256;
    while (cap <= need) cap = cap > (size_t)-1 / 4 ? need + 1 : cap * 2;
    if (cap > r->max_bytes + 1) cap = r->max_bytes + 1;
    if (cap <= need) cap = need + 1;
    char *b = realloc(r->buf, cap);
    if (!b) return -1;
    r->buf = b;
    r->cap = cap;
    return 0;
}

exam_status exam_line_reader_next(exam_line_reader *r, char **line, size_t *len) {
    *line = NULL;
    *len = 0;
    size_t n = 0;    /* bytes of the line so far, the pending '\r's not included */
    size_t crs = 0;  /* '\r's seen since the last other byte: dropped if a line end follows */
    size_t kept = 0; /* bytes stored in buf */
    int skip = 0;    /* EXAM_ERR_LIMIT or EXAM_ERR_NOMEM once the line is not being stored */
    int any = 0;     /* a byte of this line was read */
    int c;
    flockfile(r->in);
    errno = 0;
    while ((c = getc_unlocked(r->in)) != EOF) {
        any = 1;
        if (c == '\n') break;
        if (c == '\r') {
            crs++;
            continue;
        }
        size_t add = crs + 1; /* the pending '\r's belong to the line after all */
        for (size_t k = 0; k < add; k++) {
            char b = k < crs ? '\r' : (char)c;
            n++;
            if (skip) continue;
            if (n > r->max_bytes) {
                skip = EXAM_ERR_LIMIT;
                continue;
            }
            if (reserve(r, kept + 1) != 0) {
                skip = EXAM_ERR_NOMEM;
                continue;
            }
            r->buf[kept++] = b;
        }
        crs = 0;
    }
    int read_error = c == EOF && ferror(r->in);
    int err = errno;
    funlockfile(r->in);
    if (read_error) {
        return exam_error_set(EXAM_ERR_IO, "read error after line %zu: %s", r->line_no,
                              strerror(err ? err : EIO));
    }
    if (!any) return EXAM_OK; /* end of input */
    r->line_no++;
    r->len = n;
    if (skip == EXAM_ERR_LIMIT)
        return exam_error_set(EXAM_ERR_LIMIT,
                              "line %zu has %zu bytes, more than the limit of %zu bytes",
                              r->line_no, n, r->max_bytes);
    if (skip == EXAM_ERR_NOMEM)
        return exam_error_set(EXAM_ERR_NOMEM, "line %zu: out of memory holding its %zu bytes",
                              r->line_no, n);
    if (reserve(r, kept) != 0)
        return exam_error_set(EXAM_ERR_NOMEM, "line %zu: out of memory holding its %zu bytes",
                              r->line_no, n);
    r->buf[kept] = '\0';
    *line = r->buf;
    *len = kept;
    return EXAM_OK;
}
