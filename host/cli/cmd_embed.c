/* `examiner embed`: texts in (one per line, or JSONL), JSONL embeddings out. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "line_reader.h"

typedef struct embed_args {
    exam_cli_model_args model;
    const char *input;
    int jsonl;
    int stats;
    int batch;
    size_t max_bytes;
} embed_args;

typedef struct pending {
    char **texts;
    size_t *lens;
    char **ids; /* JSONL "id" values (NULL when absent) */
    long *line;
    int count;
} pending;

static const char embed_help[] =
    "usage: examiner embed [OPTIONS] [FILE]\n"
    "Reads texts from FILE (default: standard input), one per line, and writes one JSON line per\n"
    "text: {\"index\", \"id\"?, \"n_tokens\", \"embedding\": [...]}. A rejected text gets\n"
    "{\"index\", \"error\": {\"code\", \"message\"}} and the rest go on (exit code 3).\n\n"
    "  --jsonl          input lines are JSON: {\"text\": ..., \"id\"?: ...} or a JSON string\n"
    "  --batch N        texts per encoder call (default 256)\n"
    "  --max-bytes N    reject texts longer than N bytes (default 1048576)\n"
    "  --stats          print 'embed: texts=N tokens=T seconds=S texts_per_s=X' on stderr\n";

static void print_error(long index, const char *code, const char *message) {
    json_t *o = json_pack("{s:I,s:{s:s,s:s}}", "index", (json_int_t)index, "error", "code", code,
                          "message", message);
    char *s = json_dumps(o, JSON_COMPACT);
    if (s) puts(s);
    free(s);
    json_decref(o);
    fprintf(stderr, "examiner: line %ld: %s\n", index + 1, message);
}

static void print_embedding(long index, const char *id, int n_tokens, const float *v, int dim) {
    printf("{\"index\":%ld,", index);
    if (id) {
        json_t *js = json_string(id);
        char *s = json_dumps(js, JSON_ENCODE_ANY);
        printf("\"id\":%s,", s ? s : "null");
        free(s);
        json_decref(js);
    }
    printf("\"n_tokens\":%d,\"embedding\":[", n_tokens);
    for (int d = 0; d < dim; d++) printf(d ? ",%.8g" : "%.8g", v[d]);
    puts("]}");
}

static void pending_clear(pending *p) {
    for (int i = 0; i < p->count; i++) {
        free(p->texts[i]);
        free(p->ids[i]);
    }
    p->count = 0;
}

/* A failure that belongs to one text (bad UTF-8, too long, an embedding the model overflowed
 * to NaN or infinity): that text is rejected and the others go on. */
static int rejects_text(exam_status st) {
    return st == EXAM_ERR_UTF8 || st == EXAM_ERR_LIMIT || st == EXAM_ERR_NUMERIC;
}

/* Encodes the pending texts; on a batch failure encodes them one by one so that only the bad
 * ones are rejected. Returns the number rejected, or -1 on a failure that is not the input's. */
static int flush(exam_encoder *enc, const exam_encode_options *opts, pending *p, long *tokens) {
    if (p->count == 0) return 0;
    exam_embeddings e;
    int rejected = 0;
    exam_status st =
        exam_encoder_encode(enc, (const char *const *)p->texts, p->lens, p->count, opts, &e);
    if (st == EXAM_OK) {
        for (int i = 0; i < p->count; i++) {
            print_embedding(p->line[i], p->ids[i], e.n_tokens[i], e.sentences + (size_t)i * e.dim,
                            e.dim);
            *tokens += e.n_tokens[i];
        }
        exam_embeddings_free(&e);
    } else if (rejects_text(st)) {
        for (int i = 0; i < p->count; i++) {
            const char *text = p->texts[i];
            st = exam_encoder_encode(enc, &text, &p->lens[i], 1, opts, &e);
            if (st == EXAM_OK) {
                print_embedding(p->line[i], p->ids[i], e.n_tokens[0], e.sentences, e.dim);
                *tokens += e.n_tokens[0];
                exam_embeddings_free(&e);
            } else if (rejects_text(st)) {
                print_error(p->line[i], exam_status_name(st), exam_error_message());
                rejected++;
            } else {
                fprintf(stderr, "examiner: %s\n", exam_error_message());
                return -1;
            }
        }
    } else {
        fprintf(stderr, "examiner: %s\n", exam_error_message());
        return -1;
    }
    fflush(stdout);
    pending_clear(p);
    return rejected;
}

/* What the encoder calls of one run add up to. */
typedef struct embed_stats {
    long tokens;
    int rejected;
    double busy; /* seconds inside the encoder */
    int failed;
} embed_stats;

/* flush() with its time, tokens and rejections added to `stats`. */
static void flush_timed(exam_encoder *enc, const exam_encode_options *opts, pending *p,
                        embed_stats *stats) {
    double t0 = exam_cli_now();
    int r = flush(enc, opts, p, &stats->tokens);
    stats->busy += exam_cli_now() - t0;
    if (r < 0)
        stats->failed = 1;
    else
        stats->rejected += r;
}

/* Turns one input line into a text (and id); returns 0, or 1 with an error printed. */
static int parse_line(const embed_args *a, char *line, size_t len, long index, char **text,
                      size_t *text_len, char **id) {
    *id = NULL;
    if (!a->jsonl) {
        *text = malloc(len + 1);
        if (!*text) return print_error(index, "out_of_memory", "cannot copy the line"), 1;
        memcpy(*text, line, len + 1);
        *text_len = len;
        return 0;
    }
    json_error_t err;
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    json_t *jt = json_is_string(root) ? root : json_object_get(root, "text");
    if (!json_is_string(jt)) {
        char msg[256];
        snprintf(msg, sizeof msg, "not a JSON string or object with a \"text\" string%s%s",
                 root ? "" : ": ", root ? "" : err.text);
        print_error(index, "format", msg);
        json_decref(root);
        return 1;
    }
    size_t n = json_string_length(jt);
    *text = malloc(n + 1);
    if (*text) memcpy(*text, json_string_value(jt), n + 1);
    *text_len = n;
    json_t *jid = json_object_get(root, "id");
    if (json_is_string(jid))
        *id = strdup(json_string_value(jid));
    else if (json_is_integer(jid)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(jid));
        *id = strdup(buf);
    }
    json_decref(root);
    return *text ? 0 : 1;
}

static int parse_args(int argc, char **argv, embed_args *a) {
    for (int i = 1; i < argc; i++) {
        int r = exam_cli_parse_model_arg(argc, argv, &i, &a->model);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0 || exam_cli_parse_long_arg(argv[i], &a->model)) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s%s", embed_help, exam_cli_model_help, exam_cli_long_help);
            return -1;
        } else if (!strcmp(argv[i], "--jsonl"))
            a->jsonl = 1;
        else if (!strcmp(argv[i], "--stats"))
            a->stats = 1;
        else if ((!strcmp(argv[i], "--batch") || !strcmp(argv[i], "--max-bytes")) && i + 1 < argc) {
            char *end;
            long long v = strtoll(argv[i + 1], &end, 10);
            if (*end || v < 1) {
                fprintf(stderr, "examiner embed: %s wants a positive number\n", argv[i]);
                return EXAM_EXIT_USAGE;
            }
            if (argv[i][2] == 'b')
                a->batch = v > 65536 ? 65536 : (int)v;
            else
                a->max_bytes = (size_t)v;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "examiner embed: unknown option '%s' (see --help)\n", argv[i]);
            return EXAM_EXIT_USAGE;
        } else if (!a->input)
            a->input = argv[i];
        else {
            fprintf(stderr, "examiner embed: one input file at most\n");
            return EXAM_EXIT_USAGE;
        }
    }
    return EXAM_EXIT_OK;
}

int exam_cli_embed(int argc, char **argv) {
    embed_args a = {0};
    a.batch = 256;
    a.max_bytes = 1u << 20;
    int rc = parse_args(argc, argv, &a);
    if (rc != EXAM_EXIT_OK) return rc < 0 ? EXAM_EXIT_OK : rc;
    FILE *in = a.input ? fopen(a.input, "rb") : stdin;
    if (!in) {
        perror(a.input);
        return EXAM_EXIT_FAILURE;
    }
    exam_backend *be;
    exam_encoder *enc;
    if ((rc = exam_cli_open_encoder(&a.model, &be, &enc)) != EXAM_EXIT_OK) {
        if (in != stdin) fclose(in);
        return rc;
    }
    exam_encode_options opts = exam_cli_encode_options(&a.model);
    pending p = {0};
    p.texts = calloc((size_t)a.batch, sizeof *p.texts);
    p.lens = calloc((size_t)a.batch, sizeof *p.lens);
    p.ids = calloc((size_t)a.batch, sizeof *p.ids);
    p.line = calloc((size_t)a.batch, sizeof *p.line);
    exam_line_reader lr;
    exam_line_reader_init(&lr, in, a.max_bytes);
    long index = 0, texts = 0;
    int rejected = 0, read_failed = 0;
    embed_stats stats = {0};
    stats.failed = !p.texts || !p.lens || !p.ids || !p.line;
    while (!stats.failed) {
        char *line;
        size_t len;
        exam_status rs = exam_line_reader_next(&lr, &line, &len);
        if (rs == EXAM_ERR_IO) {
            fprintf(stderr, "examiner embed: %s: %s\n", a.input ? a.input : "stdin",
                    exam_error_message());
            read_failed = 1; /* what was read is still embedded; the exit status is 1 */
            break;
        }
        if (rs == EXAM_OK && !line) break; /* end of input */
        if (rs != EXAM_OK) { /* too long, or no memory to hold it: an error for that line */
            char msg[160];
            if (rs == EXAM_ERR_LIMIT)
                snprintf(msg, sizeof msg, "text of %zu bytes exceeds --max-bytes %zu", lr.len,
                         a.max_bytes);
            else
                snprintf(msg, sizeof msg, "out of memory holding the line's %zu bytes", lr.len);
            print_error(index++, exam_status_name(rs), msg);
            rejected++;
            continue;
        }
        int k = p.count;
        if (parse_line(&a, line, len, index, &p.texts[k], &p.lens[k], &p.ids[k]))
            rejected++;
        else {
            p.line[k] = index;
            p.count++;
            texts++;
        }
        index++;
        if (p.count == a.batch) flush_timed(enc, &opts, &p, &stats);
    }
    if (!stats.failed) flush_timed(enc, &opts, &p, &stats);
    rejected += stats.rejected;
    long embedded = texts - stats.rejected;
    if (a.stats)
        fprintf(stderr, "embed: texts=%ld tokens=%ld seconds=%.4f texts_per_s=%.1f\n", embedded,
                stats.tokens, stats.busy, stats.busy > 0 ? embedded / stats.busy : 0.0);
    pending_clear(&p);
    free(p.texts);
    free(p.lens);
    free(p.ids);
    free(p.line);
    exam_line_reader_free(&lr);
    if (in != stdin) fclose(in);
    exam_cli_close_encoder(be, enc);
    if (stats.failed || read_failed) return EXAM_EXIT_FAILURE;
    return rejected ? EXAM_EXIT_INPUT : EXAM_EXIT_OK;
}
