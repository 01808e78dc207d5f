/* The grader's question vectors: embedding a bank's references (token level), key points,
 * mistakes and question texts, the idf weights, and the on-disk cache (see grade_vectors.h). */
#include "grade_vectors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "text_split.h"
#include "tokenizer.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void exam_qvec_free(exam_qvec *v) {
    free(v->ref);
    free(v->tok_off);
    free(v->tok);
    free(v->tok_w);
    free(v->tok_ids);
    free(v->q_ids);
    free(v->kp);
    free(v->kp_off);
    free(v->mis);
    free(v->question);
    free(v->rs);
    memset(v, 0, sizeof *v);
}

float exam_idf_weight(const exam_idf *idf, int32_t id) {
    return (idf->w && id >= 0 && id < idf->vocab) ? idf->w[id] : idf->unseen;
}

exam_status exam_gv_encode(exam_encoder *enc, const char *const *texts, int n, int want_tokens,
                           exam_embeddings *out, double *seconds) {
    memset(out, 0, sizeof *out);
    if (n == 0) return EXAM_OK;
    size_t *lens = malloc((size_t)n * sizeof *lens);
    if (!lens) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) lens[i] = strlen(texts[i]);
    exam_encode_options o = exam_encode_default_options();
    o.long_mode = EXAM_LONG_WINDOW; /* nothing a candidate wrote is cut off */
    o.want_tokens = want_tokens;
    double t0 = now_seconds();
    exam_status st = exam_encoder_encode(enc, texts, lens, n, &o, out);
    if (seconds) *seconds += now_seconds() - t0;
    free(lens);
    return st;
}

exam_status exam_gv_encode_tokens(exam_encoder *enc, const exam_tokens *toks, int n,
                                  int want_tokens, exam_embeddings *out, double *seconds) {
    memset(out, 0, sizeof *out);
    if (n == 0) return EXAM_OK;
    exam_encode_options o = exam_encode_default_options();
    o.long_mode = EXAM_LONG_WINDOW; /* as exam_gv_encode */
    o.want_tokens = want_tokens;
    double t0 = now_seconds();
    exam_status st = exam_encoder_encode_tokens(enc, toks, n, &o, out);
    if (seconds) *seconds += now_seconds() - t0;
    return st;
}

static float *copy_rows(const float *src, int rows, int dim) {
    size_t bytes = (size_t)(rows > 0 ? rows : 1) * (size_t)dim * sizeof(float);
    float *d = calloc(1, bytes);
    if (d && rows > 0) memcpy(d, src, (size_t)rows * dim * sizeof(float));
    return d;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The sorted distinct wordpiece ids of the question text, for question demoting. */
static exam_status question_ids(exam_encoder *enc, const char *question, exam_qvec *v) {
    v->q_ids = NULL;
    v->n_q_ids = 0;
    if (!question || !*question) return EXAM_OK;
    exam_tokens t = {0};
    exam_status st =
        exam_tokenizer_encode(exam_encoder_tokenizer(enc), question, strlen(question), &t);
    if (st == EXAM_OK && t.count) {
        v->q_ids = malloc(t.count * sizeof *v->q_ids);
        if (!v->q_ids)
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        else {
            memcpy(v->q_ids, t.ids, t.count * sizeof *v->q_ids);
            qsort(v->q_ids, t.count, sizeof *v->q_ids, cmp_i32);
            int k = 0;
            for (size_t i = 0; i < t.count; i++)
                if (k == 0 || v->q_ids[k - 1] != v->q_ids[i]) v->q_ids[k++] = v->q_ids[i];
            v->n_q_ids = k;
        }
    }
    exam_tokens_free(&t);
    return st;
}

int exam_qvec_in_question(const exam_qvec *v, int32_t id) {
    return v->n_q_ids && bsearch(&id, v->q_ids, (size_t)v->n_q_ids, sizeof id, cmp_i32) != NULL;
}

exam_status exam_qvecs_build(exam_encoder *enc, const exam_qsrc *src, int n, exam_idf *idf,
                             exam_qvec *vecs, double *seconds) {
    int n_refs = 0, n_other = 0;
    for (int i = 0; i < n; i++) {
        n_refs += src[i].n_refs;
        n_other += src[i].n_kp + src[i].n_mis + 1 + src[i].n_rs;
    }
    const char **refs = calloc((size_t)n_refs + 1, sizeof *refs);
    const char **other = calloc((size_t)n_other + 1, sizeof *other);
    exam_embeddings er = {0}, eo = {0};
    exam_status st = EXAM_OK;
    if (!refs || !other) {
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        goto done;
    }
    int r = 0, o = 0;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < src[i].n_refs; k++) refs[r++] = src[i].refs[k];
        for (int k = 0; k < src[i].n_kp; k++) other[o++] = src[i].kps[k];
        for (int k = 0; k < src[i].n_mis; k++) other[o++] = src[i].mis[k];
        other[o++] = src[i].question && *src[i].question ? src[i].question : "";
        for (int k = 0; k < src[i].n_rs; k++) other[o++] = src[i].rs[k];
    }
    if ((st = exam_gv_encode(enc, refs, n_refs, 1, &er, seconds)) != EXAM_OK) goto done;
    if ((st = exam_gv_encode(enc, other, n_other, 0, &eo, seconds)) != EXAM_OK) goto done;
    int d = exam_encoder_dim(enc);
    r = 0;
    o = 0;
    for (int i = 0; i < n && st == EXAM_OK; i++) {
        exam_qvec *v = &vecs[i];
        memset(v, 0, sizeof *v);
        v->n_refs = src[i].n_refs;
        v->n_kp = src[i].n_kp;
        v->n_mis = src[i].n_mis;
        v->ref = copy_rows(er.sentences + (size_t)r * d, v->n_refs, d);
        v->tok_off = malloc((size_t)(v->n_refs + 1) * sizeof *v->tok_off);
        int t0 = er.token_offsets[r], t1 = er.token_offsets[r + v->n_refs];
        v->tok = copy_rows(er.tokens + (size_t)t0 * d, t1 - t0, d);
        v->tok_w = malloc((size_t)(t1 - t0 + 1) * sizeof *v->tok_w);
        v->tok_ids = malloc((size_t)(t1 - t0 + 1) * sizeof *v->tok_ids);
        if (v->tok_ids)
            for (int t = t0; t < t1; t++) v->tok_ids[t - t0] = er.token_ids[t];
        if (st == EXAM_OK) st = question_ids(enc, src[i].question, v);
        if (st != EXAM_OK) break;
        v->kp = copy_rows(eo.sentences + (size_t)o * d, v->n_kp, d);
        v->kp_off = malloc((size_t)(v->n_refs + 1) * sizeof *v->kp_off);
        if (v->kp_off)
            for (int k = 0; k <= v->n_refs; k++)
                v->kp_off[k] = src[i].kp_off ? src[i].kp_off[k] : (k == 0 ? 0 : v->n_kp);
        v->mis = copy_rows(eo.sentences + (size_t)(o + v->n_kp) * d, v->n_mis, d);
        v->question = copy_rows(eo.sentences + (size_t)(o + v->n_kp + v->n_mis) * d, 1, d);
        v->n_rs = src[i].n_rs;
        v->rs = copy_rows(eo.sentences + (size_t)(o + v->n_kp + v->n_mis + 1) * d, v->n_rs, d);
        if (!v->ref || !v->tok_off || !v->tok || !v->tok_w || !v->tok_ids || !v->kp || !v->kp_off ||
            !v->mis || !v->question || !v->rs) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            break;
        }
        if (!src[i].question || !*src[i].question)
            memset(v->question, 0, (size_t)d * sizeof(float));
        for (int k = 0; k <= v->n_refs; k++) v->tok_off[k] = er.token_offsets[r + k] - t0;
        for (int t = t0; t < t1; t++) v->tok_w[t - t0] = exam_idf_weight(idf, er.token_ids[t]);
        r += v->n_refs;
        o += v->n_kp + v->n_mis + 1 + v->n_rs;
    }
    /* idf is computed from these (the bank's) references when none was given */
    if (st == EXAM_OK && !idf->w) {
        int32_t vocab = exam_tokenizer_vocab_size(exam_encoder_tokenizer(enc));
        float *df = calloc((size_t)vocab, sizeof *df);
        int *seen = malloc((size_t)vocab * sizeof *seen);
        if (!df || !seen) {
            free(df);
            free(seen);
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory for idf");
            goto done;
        }
        for (int32_t k = 0; k < vocab; k++) seen[k] = -1;
        for (int t = 0; t < n_refs; t++)
            for (int j = er.token_offsets[t]; j < er.token_offsets[t + 1]; j++) {
                int32_t id = er.token_ids[j];
                if (id >= 0 && id < vocab && seen[id] != t) {
                    seen[id] = t;
                    df[id] += 1.0f;
                }
            }
        free(seen);
        /* BERTScore's idf: ln((N + 1) / (df + 1)) over the N reference texts */
        double N = n_refs;
        for (int32_t k = 0; k < vocab; k++) df[k] = (float)log((N + 1.0) / (df[k] + 1.0));
        idf->w = df;
        idf->vocab = vocab;
        idf->unseen = (float)log(N + 1.0);
        r = 0;
        for (int i = 0; i < n; i++) {
            int t0 = er.token_offsets[r];
            int t1 = er.token_offsets[r + vecs[i].n_refs];
            for (int t = t0; t < t1; t++)
                vecs[i].tok_w[t - t0] = exam_idf_weight(idf, er.token_ids[t]);
            r += vecs[i].n_refs;
        }
    }
done:
    if (st != EXAM_OK)
        for (int i = 0; i < n; i++) exam_qvec_free(&vecs[i]);
    exam_embeddings_free(&er);
    exam_embeddings_free(&eo);
    free(refs);
    free(other);
    return st;
}

/* The reference texts of a bank question: its answer and alternatives. */
exam_status exam_qsrc_sentences(const char *text, exam_strlist *out) {
    exam_spans sp = {0};
    exam_status st = exam_split_sentences(text, strlen(text), &sp);
    for (size_t k = 0; st == EXAM_OK && k < sp.count; k++)
        st = exam_strlist_push(out, text + sp.items[k].start, sp.items[k].end - sp.items[k].start);
    exam_spans_free(&sp);
    return st;
}

const char **exam_question_refs(const exam_question *q, int *n) {
    const char **refs = malloc((q->alt_answers.count + 1) * sizeof *refs);
    if (!refs) return NULL;
    int k = 0;
    refs[k++] = q->answer;
    for (size_t i = 0; i < q->alt_answers.count; i++) refs[k++] = q->alt_answers.items[i];
    *n = k;
    return refs;
}

static exam_status cache_load(const char *path, const exam_bank *bank, int dim,
                              exam_bank_vectors *bv);
static void cache_save(const char *path, const exam_bank_vectors *bv);

/* "<dir>/bank-<version>-<model>-<backend>-<dim>.vec" */
static void cache_path(char *buf, size_t cap, const char *dir, const exam_bank *bank,
                       exam_encoder *enc) {
    char model[96];
    snprintf(model, sizeof model, "%s", exam_encoder_model_name(enc));
    for (char *c = model; *c; c++)
        if (*c == '/' || *c == ' ') *c = '_';
    snprintf(buf, cap, "%s/bank-%s-%s-%s-%d.vec", dir, bank->version, model,
             exam_encoder_backend(enc)->name, exam_encoder_dim(enc));
}

exam_status exam_bank_vectors_build(const exam_bank *bank, exam_encoder *enc, const char *cache_dir,
                                    exam_bank_vectors *out, int *from_cache, double *seconds) {
    memset(out, 0, sizeof *out);
    if (from_cache) *from_cache = 0;
    out->dim = exam_encoder_dim(enc);
    char path[4096] = "";
    if (cache_dir && *cache_dir) {
        cache_path(path, sizeof path, cache_dir, bank, enc);
        if (cache_load(path, bank, out->dim, out) == EXAM_OK) {
            if (from_cache) *from_cache = 1;
            return EXAM_OK;
        }
        memset(out, 0, sizeof *out);
        out->dim = exam_encoder_dim(enc);
    }
    out->n = bank->count;
    out->q = calloc(bank->count ? bank->count : 1, sizeof *out->q);
    size_t n = bank->count;
    exam_qsrc *src = calloc(n ? n : 1, sizeof *src);
    const char ***refs = calloc(n ? n : 1, sizeof *refs);
    exam_strlist *kps = calloc(n ? n : 1, sizeof *kps);
    int **kp_off = calloc(n ? n : 1, sizeof *kp_off);
    exam_strlist *rs = calloc(n ? n : 1, sizeof *rs);
    exam_status st = (out->q && src && refs && kps && kp_off && rs)
                         ? EXAM_OK
                         : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == EXAM_OK && i < n; i++) {
        const exam_question *q = &bank->questions[i];
        refs[i] = exam_question_refs(q, &src[i].n_refs);
        if (!refs[i]) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            break;
        }
        src[i].refs = refs[i];
        /* the bank's key points belong to the model answer; each alternative answer brings
         * its own sentences as key points */
        kp_off[i] = malloc((size_t)(src[i].n_refs + 1) * sizeof *kp_off[i]);
        if (!kp_off[i]) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            break;
        }
        kp_off[i][0] = 0;
        for (size_t k = 0; st == EXAM_OK && k < q->key_points.count; k++)
            st = exam_strlist_push(&kps[i], q->key_points.items[k], strlen(q->key_points.items[k]));
        kp_off[i][1] = (int)kps[i].count;
        for (size_t a = 0; st == EXAM_OK && a < q->alt_answers.count; a++) {
            st = exam_bank_split_points(q->alt_answers.items[a], &kps[i]);
            if (st == EXAM_OK && (int)kps[i].count == kp_off[i][a + 1])
                st = exam_strlist_push(&kps[i], q->alt_answers.items[a],
                                       strlen(q->alt_answers.items[a]));
            kp_off[i][a + 2] = (int)kps[i].count;
        }
        if (st != EXAM_OK) break;
        src[i].kps = (const char *const *)kps[i].items;
        src[i].n_kp = (int)kps[i].count;
        src[i].kp_off = kp_off[i];
        src[i].mis = (const char *const *)q->common_mistakes.items;
        src[i].n_mis = (int)q->common_mistakes.count;
        src[i].question = q->question;
        for (int r = 0; st == EXAM_OK && r < src[i].n_refs; r++)
            st = exam_qsrc_sentences(refs[i][r], &rs[i]);
        src[i].rs = (const char *const *)rs[i].items;
        src[i].n_rs = (int)rs[i].count;
    }
    if (st == EXAM_OK) st = exam_qvecs_build(enc, src, (int)n, &out->idf, out->q, seconds);
    for (size_t i = 0; refs && i < n; i++) free(refs[i]);
    for (size_t i = 0; kps && i < n; i++) exam_strlist_free(&kps[i]);
    for (size_t i = 0; kp_off && i < n; i++) free(kp_off[i]);
    for (size_t i = 0; rs && i < n; i++) exam_strlist_free(&rs[i]);
    free(rs);
    free(refs);
    free(kps);
    free(kp_off);
    free(src);
    if (st != EXAM_OK) {
        free(out->q);
        free(out->idf.w);
        memset(out, 0, sizeof *out);
        return st;
    }
    if (path[0]) cache_save(path, out);
    return EXAM_OK;
}

void exam_bank_vectors_free(exam_bank_vectors *bv) {
    for (size_t i = 0; bv->q && i < bv->n; i++) exam_qvec_free(&bv->q[i]);
    free(bv->q);
    free(bv->idf.w);
    memset(bv, 0, sizeof *bv);
}

/* ---- the cache file: "EXAMVEC1", dim, vocab, question count, idf, then per question its
 * counts and arrays in exam_qvec order, and "END1". Native byte order: a cache belongs to the
 * machine that wrote it. ---- */

static const char magic[8] = {'E', 'X', 'A', 'M', 'V', 'E', 'C', '2'};

static int put(FILE *f, const void *p, size_t bytes) {
    return bytes == 0 || fwrite(p, 1, bytes, f) == bytes;
}

static void cache_save(const char *path, const exam_bank_vectors *bv) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        /* make the folder and its parent (…/.cache/examiner) if they are missing */
        char *mid = strrchr(dir, '/');
        if (mid && mid != dir) {
            *mid = '\0';
            mkdir(dir, 0755);
            *mid = '/';
        }
        mkdir(dir, 0755);
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return; /* no cache is not an error */
    size_t d = (size_t)bv->dim;
    uint32_t dim = (uint32_t)bv->dim;
    uint64_t n = bv->n;
    int ok = put(f, magic, 8) && put(f, &dim, 4) && put(f, &bv->idf.vocab, 4) && put(f, &n, 8) &&
             put(f, &bv->idf.unseen, 4) && put(f, bv->idf.w, (size_t)bv->idf.vocab * 4);
    for (size_t i = 0; ok && i < bv->n; i++) {
        const exam_qvec *v = &bv->q[i];
        int32_t n_tok = v->tok_off[v->n_refs];
        int32_t counts[6] = {v->n_refs, v->n_kp, v->n_mis, n_tok, v->n_q_ids, v->n_rs};
        ok = put(f, counts, sizeof counts) && put(f, v->ref, (size_t)v->n_refs * d * 4) &&
             put(f, v->tok_off, (size_t)(v->n_refs + 1) * 4) &&
             put(f, v->tok, (size_t)n_tok * d * 4) && put(f, v->tok_w, (size_t)n_tok * 4) &&
             put(f, v->tok_ids, (size_t)n_tok * 4) && put(f, v->q_ids, (size_t)v->n_q_ids * 4) &&
             put(f, v->kp, (size_t)v->n_kp * d * 4) &&
             put(f, v->kp_off, (size_t)(v->n_refs + 1) * 4) &&
             put(f, v->mis, (size_t)v->n_mis * d * 4) && put(f, v->question, d * 4) &&
             put(f, v->rs, (size_t)v->n_rs * d * 4);
    }
    ok = ok && put(f, "END1", 4);
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

/* Reads `count` elements of `size` bytes into a new buffer (at least one element). */
static void *take(FILE *f, size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size);
    if (p && count && fread(p, size, count, f) != count) {
        free(p);
        return NULL;
    }
    return p;
}

static exam_status cache_load(const char *path, const exam_bank *bank, int dim,
                              exam_bank_vectors *bv) {
    FILE *f = fopen(path, "rb");
    if (!f) return EXAM_ERR_NOT_FOUND;
    memset(bv, 0, sizeof *bv);
    char m[8];
    uint32_t fdim = 0;
    uint64_t n = 0;
    int ok = fread(m, 1, 8, f) == 8 && memcmp(m, magic, 8) == 0 && fread(&fdim, 4, 1, f) == 1 &&
             fdim == (uint32_t)dim && fread(&bv->idf.vocab, 4, 1, f) == 1 && bv->idf.vocab > 0 &&
             bv->idf.vocab < (1 << 24) && fread(&n, 8, 1, f) == 1 && n == bank->count &&
             fread(&bv->idf.unseen, 4, 1, f) == 1;
    if (ok) ok = (bv->idf.w = take(f, (size_t)bv->idf.vocab, 4)) != NULL;
    if (ok) {
        bv->n = (size_t)n;
        bv->dim = dim;
        ok = (bv->q = calloc(n ? n : 1, sizeof *bv->q)) != NULL;
    }
    size_t d = (size_t)dim;
    for (size_t i = 0; ok && i < n; i++) {
        exam_qvec *v = &bv->q[i];
        const exam_question *q = &bank->questions[i];
        int32_t c[6];
        ok = fread(c, sizeof c, 1, f) == 1 && c[0] == (int32_t)(q->alt_answers.count + 1) &&
             c[1] >= (int32_t)q->key_points.count && c[1] < 100000 &&
             c[2] == (int32_t)q->common_mistakes.count && c[3] >= 0 && c[3] < 10000000 &&
             c[4] >= 0 && c[4] < 100000 && c[5] >= 0 && c[5] < 100000;
        if (!ok) break;
        v->n_refs = c[0];
        v->n_kp = c[1];
        v->n_mis = c[2];
        v->n_q_ids = c[4];
        v->n_rs = c[5];
        ok = (v->ref = take(f, (size_t)v->n_refs * d, 4)) &&
             (v->tok_off = take(f, (size_t)v->n_refs + 1, 4)) &&
             (v->tok = take(f, (size_t)c[3] * d, 4)) && (v->tok_w = take(f, (size_t)c[3], 4)) &&
             (v->tok_ids = take(f, (size_t)c[3], 4)) && (v->q_ids = take(f, (size_t)c[4], 4)) &&
             (v->kp = take(f, (size_t)v->n_kp * d, 4)) &&
             (v->kp_off = take(f, (size_t)v->n_refs + 1, 4)) &&
             (v->mis = take(f, (size_t)v->n_mis * d, 4)) && (v->question = take(f, d, 4)) &&
             (v->rs = take(f, (size_t)v->n_rs * d, 4));
        if (!ok) break;
        ok = v->tok_off[0] == 0 && v->tok_off[v->n_refs] == c[3] && v->kp_off[0] == 0 &&
             v->kp_off[v->n_refs] == v->n_kp && v->kp_off[1] == (int)q->key_points.count;
        for (int r = 0; ok && r < v->n_refs; r++)
            ok = v->tok_off[r] <= v->tok_off[r + 1] && v->kp_off[r] <= v->kp_off[r + 1];
    }
    char end[4];
    ok = ok && fread(end, 1, 4, f) == 4 && memcmp(end, "END1", 4) == 0 && fgetc(f) == EOF;
    fclose(f);
    if (!ok) {
        exam_bank_vectors_free(bv);
        return EXAM_ERR_FORMAT;
    }
    return EXAM_OK;
}
