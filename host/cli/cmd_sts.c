/* `examiner sts FILE`: cosine Spearman/Pearson against an STS-Benchmark file's gold scores. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "line_reader.h"

/* Longest line of an STS file (two sentences and a score). */
#define EXAM_STS_MAX_LINE (1u << 20)
#include "stats.h"

static const char sts_help[] =
    "usage: examiner sts [OPTIONS] FILE\n"
    "FILE is STS-Benchmark format: TAB-separated, no quoting; column 5 is the gold score (0-5),\n"
    "columns 6 and 7 the two sentences. Prints, as its last line,\n"
    "  spearman=0.xxxx pearson=0.xxxx n=N\n"
    "for the cosine of the pair's embeddings against the gold score. Malformed lines are\n"
    "reported with their line number and left out (exit code 3).\n\n";

typedef struct sts_set {
    char **sentences; /* 2 per pair */
    size_t *lens;
    double *gold;
    int n, cap;
} sts_set;

/* Splits line into up to max TAB-separated fields in place; returns the field count. */
static int split_tabs(char *line, char **fields, int max) {
    int n = 0;
    fields[n++] = line;
    for (char *p = line; *p && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            fields[n++] = p + 1;
        }
    }
    return n;
}

static int add_pair(sts_set *s, const char *a, const char *b, double gold) {
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 1024;
        char **ns = realloc(s->sentences, sizeof *ns * 2 * cap);
        if (!ns) return -1;
        s->sentences = ns;
        size_t *nl = realloc(s->lens, sizeof *nl * 2 * cap);
        if (!nl) return -1;
        s->lens = nl;
        double *ng = realloc(s->gold, sizeof *ng * cap);
        if (!ng) return -1;
        s->gold = ng;
        s->cap = cap;
    }
    s->sentences[2 * s->n] = strdup(a);
    s->sentences[2 * s->n + 1] = strdup(b);
    if (!s->sentences[2 * s->n] || !s->sentences[2 * s->n + 1]) return -1;
    s->lens[2 * s->n] = strlen(a);
    s->lens[2 * s->n + 1] = strlen(b);
    s->gold[s->n++] = gold;
    return 0;
}

static void free_set(sts_set *s) {
    for (int i = 0; i < 2 * s->n; i++) free(s->sentences[i]);
    free(s->sentences);
    free(s->lens);
    free(s->gold);
}

/* Reads the file; returns the number of malformed lines, or -1 if it cannot be read. */
static int read_sts(const char *path, sts_set *s) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    exam_line_reader lr;
    exam_line_reader_init(&lr, f, EXAM_STS_MAX_LINE);
    int bad = 0;
    for (;;) {
        char *line;
        size_t got;
        exam_status rs = exam_line_reader_next(&lr, &line, &got);
        if (rs == EXAM_ERR_IO) {
            fprintf(stderr, "examiner sts: %s: %s\n", path, exam_error_message());
            bad = -1;
            break;
        }
        if (rs == EXAM_OK && !line) break;
        if (rs != EXAM_OK) {
            fprintf(stderr, "examiner sts: %s: %s, skipped\n", path, exam_error_message());
            bad++;
            continue;
        }
        long lineno = (long)lr.line_no;
        if (got == 0) continue;
        char *fields[9];
        int nf = split_tabs(line, fields, 9);
        char *end;
        double gold = nf >= 7 ? strtod(fields[4], &end) : NAN;
        if (nf < 7 || end == fields[4] || *end || !isfinite(gold)) {
            fprintf(stderr,
                    "examiner sts: %s:%ld: malformed line (needs 7 TAB-separated fields "
                    "with a numeric score), skipped\n",
                    path, lineno);
            bad++;
            continue;
        }
        if (add_pair(s, fields[5], fields[6], gold) != 0) {
            fprintf(stderr, "examiner sts: out of memory\n");
            bad = -1;
            break;
        }
    }
    exam_line_reader_free(&lr);
    fclose(f);
    return bad;
}

int exam_cli_sts(int argc, char **argv) {
    exam_cli_model_args m = {0};
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        int r = exam_cli_parse_model_arg(argc, argv, &i, &m);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0 || exam_cli_parse_long_arg(argv[i], &m)) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s%s", sts_help, exam_cli_model_help, exam_cli_long_help);
            return EXAM_EXIT_OK;
        }
        if (path || argv[i][0] == '-') {
            fprintf(stderr, "examiner sts: unexpected '%s' (see --help)\n", argv[i]);
            return EXAM_EXIT_USAGE;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "examiner sts: needs a file (see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    sts_set s = {0};
    int bad = read_sts(path, &s);
    if (bad < 0 || s.n < 2) {
        if (bad >= 0) fprintf(stderr, "examiner sts: %s has fewer than two usable pairs\n", path);
        free_set(&s);
        return EXAM_EXIT_FAILURE;
    }
    exam_backend *be;
    exam_encoder *enc;
    int rc = exam_cli_open_encoder(&m, &be, &enc);
    if (rc != EXAM_EXIT_OK) {
        free_set(&s);
        return rc;
    }
    exam_encode_options opts = exam_cli_encode_options(&m);
    exam_embeddings e;
    double t0 = exam_cli_now();
    if (exam_encoder_encode(enc, (const char *const *)s.sentences, s.lens, 2 * s.n, &opts, &e) !=
        EXAM_OK) {
        fprintf(stderr, "examiner sts: %s\n", exam_error_message());
        exam_cli_close_encoder(be, enc);
        free_set(&s);
        return EXAM_EXIT_INPUT;
    }
    double seconds = exam_cli_now() - t0;
    double *cos = malloc(sizeof *cos * s.n);
    for (int i = 0; cos && i < s.n; i++) {
        const float *a = e.sentences + (size_t)(2 * i) * e.dim, *b = a + e.dim;
        double dot = 0, na = 0, nb = 0;
        for (int d = 0; d < e.dim; d++) {
            dot += (double)a[d] * b[d];
            na += (double)a[d] * a[d];
            nb += (double)b[d] * b[d];
        }
        cos[i] = na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0.0;
    }
    if (!cos) {
        fprintf(stderr, "examiner sts: out of memory\n");
        rc = EXAM_EXIT_FAILURE;
    } else {
        fprintf(stderr, "sts: %d sentences embedded in %.3f s on %s (%.1f sentences/s)\n", 2 * s.n,
                seconds, be->name, 2 * s.n / seconds);
        printf("spearman=%.4f pearson=%.4f n=%d\n", exam_stats_spearman(cos, s.gold, (size_t)s.n),
               exam_stats_pearson(cos, s.gold, (size_t)s.n), s.n);
        rc = bad ? EXAM_EXIT_INPUT : EXAM_EXIT_OK;
    }
    free(cos);
    exam_embeddings_free(&e);
    exam_cli_close_encoder(be, enc);
    free_set(&s);
    return rc;
}
