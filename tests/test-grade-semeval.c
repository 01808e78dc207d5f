/* The shipped score on SemEval-2013 Task 7 training answers (the data its defaults were fitted
 * on): ROC AUC of the score for correct vs not correct, per corpus, on every Nth answer
 * (EXAMINER_SEMEVAL_STRIDE, default 8) so the suite stays quick. A guard against regressions
 * in features or defaults; tools/fit_score.py gives the cross-validated figures. Needs the
 * model and ../shared/datasets. */
/* labels: external slow */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "bank.h"
#include "encoder.h"
#include "grade.h"
#include "testlib.h"

/* ---- a reader for this dataset's fixed XML layout (no general XML) ---- */

/* Copies the element text between p and end with whitespace collapsed and the five XML
 * entities decoded. */
static char *text_of(const char *p, const char *end) {
    char *out = malloc((size_t)(end - p) + 1);
    size_t k = 0;
    int space = 0;
    for (; out && p < end; p++) {
        char c = *p;
        if (c == '&') {
            static const struct {
                const char *ent;
                char ch;
            } ents[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
            for (size_t e = 0; e < 5; e++)
                if (strncmp(p, ents[e].ent, strlen(ents[e].ent)) == 0) {
                    c = ents[e].ch;
                    p += strlen(ents[e].ent) - 1;
                    break;
                }
        }
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            space = k > 0;
            continue;
        }
        if (space) out[k++] = ' ';
        space = 0;
        out[k++] = c;
    }
    if (out) out[k] = '\0';
    return out;
}

/* The next element <tag ...>text</tag> from *pos: its text and attribute `attr` (may be NULL). */
static char *next_element(const char **pos, const char *tag, const char *attr, char *attr_out,
                          size_t attr_cap) {
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *s = strstr(*pos, open);
    while (s && s[strlen(open)] != ' ' && s[strlen(open)] != '>') s = strstr(s + 1, open);
    if (!s) return NULL;
    const char *gt = strchr(s, '>');
    const char *e = gt ? strstr(gt, close) : NULL;
    if (!e) return NULL;
    if (attr && attr_out) {
        attr_out[0] = '\0';
        char key[64];
        snprintf(key, sizeof key, " %s=\"", attr);
        const char *a = strstr(s, key);
        if (a && a < gt) {
            a += strlen(key);
            const char *q = strchr(a, '"');
            if (q) snprintf(attr_out, attr_cap, "%.*s", (int)(q - a), a);
        }
    }
    *pos = e + strlen(close);
    return text_of(gt + 1, e);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int category_rank(const char *c) {
    return !strcmp(c, "BEST")      ? 0
           : !strcmp(c, "GOOD")    ? 1
           : !strcmp(c, "MINIMAL") ? 2
           : c[0]                  ? 3
                                   : 0;
}

typedef struct corpus {
    exam_bank bank;
    exam_grade_job *jobs;
    int *correct;
    size_t n, cap;
} corpus;

/* Loads one corpus folder: every XML file a question, every Nth student answer a job. */
static int load_corpus(const char *dir, const char *name, int stride, corpus *c) {
    memset(c, 0, sizeof *c);
    DIR *d = opendir(dir);
    if (!d) return 0;
    char *names[512];
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 512)
        if (strstr(de->d_name, ".xml")) names[nn++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)nn, sizeof *names, cmp_str);
    size_t seen = 0;
    for (int f = 0; f < nn; f++) {
        char path[2048];
        snprintf(path, sizeof path, "%.1000s/%.1000s", dir, names[f]);
        char *xml = exam_test_read_file(path, NULL);
        free(names[f]);
        if (!xml) continue;
        const char *p = xml;
        char qattr[128] = "";
        const char *qs = strstr(xml, "<question ");
        const char *idp = qs ? strstr(qs, " id=\"") : NULL;
        if (idp) snprintf(qattr, sizeof qattr, "%.*s", (int)strcspn(idp + 5, "\""), idp + 5);
        exam_question q = {0};
        char id[200];
        snprintf(id, sizeof id, "%s-%s", name, qattr);
        q.id = strdup(id);
        q.question = next_element(&p, "questionText", NULL, NULL, 0);
        q.topic = strdup(name);
        q.level = strdup("");
        q.explanation = strdup("");
        /* references, BEST first (stable) */
        char *refs[32];
        int ranks[32], nr = 0;
        char cat[32];
        const char *rp = p;
        char *t;
        while (nr < 32 && (t = next_element(&rp, "referenceAnswer", "category", cat, sizeof cat))) {
            ranks[nr] = category_rank(cat);
            refs[nr++] = t;
        }
        for (int a = 1; a < nr; a++)
            for (int b = a; b > 0 && ranks[b] < ranks[b - 1]; b--) {
                int tr = ranks[b];
                ranks[b] = ranks[b - 1];
                ranks[b - 1] = tr;
                char *ts = refs[b];
                refs[b] = refs[b - 1];
                refs[b - 1] = ts;
            }
        q.answer = nr ? refs[0] : strdup("");
        for (int a = 1; a < nr; a++) {
            exam_strlist_push(&q.alt_answers, refs[a], strlen(refs[a]));
            free(refs[a]);
        }
        exam_bank_split_points(q.answer, &q.key_points);
        if (q.key_points.count == 0) exam_strlist_push(&q.key_points, q.answer, strlen(q.answer));
        char acc[32];
        const char *sp = rp;
        while ((t = next_element(&sp, "studentAnswer", "accuracy", acc, sizeof acc))) {
            if (seen++ % (size_t)stride != 0) {
                free(t);
                continue;
            }
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 256;
                c->jobs = realloc(c->jobs, c->cap * sizeof *c->jobs);
                c->correct = realloc(c->correct, c->cap * sizeof *c->correct);
            }
            exam_grade_job *j = &c->jobs[c->n];
            memset(j, 0, sizeof *j);
            char jid[64];
            snprintf(jid, sizeof jid, "%s-%zu", name, seen);
            j->id = strdup(jid);
            j->question_id = strdup(id);
            j->answer = t;
            j->answer_len = strlen(t);
            c->correct[c->n++] = strcmp(acc, "correct") == 0;
        }
        exam_bank_add(&c->bank, &q);
        free(xml);
    }
    return c->n > 0;
}

static double auc(const double *s, const int *y, size_t n) {
    /* Mann-Whitney U with ties counted half */
    double num = 0;
    size_t pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (!y[i]) continue;
        pos++;
        for (size_t j = 0; j < n; j++) {
            if (y[j]) continue;
            num += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        }
    }
    for (size_t j = 0; j < n; j++) neg += !y[j];
    return pos && neg ? num / ((double)pos * (double)neg) : 0.5;
}

int main(void) {
    const char *ds = exam_test_datasets_dir();
    struct stat sb;
    if (!ds) {
        printf("SKIP ALL: ../shared/datasets not found\n");
        return 0;
    }
    if (stat(exam_test_path(exam_test_model_dir(), "model.safetensors"), &sb) != 0) {
        printf("SKIP ALL: model not found in %s\n", exam_test_model_dir());
        return 0;
    }
    int stride = getenv("EXAMINER_SEMEVAL_STRIDE") ? atoi(getenv("EXAMINER_SEMEVAL_STRIDE")) : 8;
    if (stride < 1) stride = 1;
    exam_backend *be = NULL;
    exam_encoder *enc = NULL;
    CHECK(exam_backend_create("cpu", NULL, &be) == EXAM_OK);
    CHECKF(exam_encoder_init(exam_test_model_dir(), be, &enc) == EXAM_OK, "%s",
           exam_error_message());
    if (!enc) return exam_test_finish();
    /* floors well under the fitted defaults' cross-validated AUC (about 0.73 and 0.82) */
    const char *names[2] = {"sciEntsBank", "beetle"};
    const double floors[2] = {0.69, 0.77};
    for (int k = 0; k < 2; k++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/semeval2013-task7/training-3way/%s", ds, names[k]);
        corpus c;
        if (!load_corpus(dir, names[k], stride, &c)) {
            printf("SKIP %s: %s unreadable\n", names[k], dir);
            continue;
        }
        exam_grader *g = NULL;
        CHECKF(exam_grader_init(&c.bank, enc, NULL, NULL, &g) == EXAM_OK, "%s",
               exam_error_message());
        exam_grade_result *res = calloc(c.n, sizeof *res);
        double *score = calloc(c.n, sizeof *score);
        size_t done = 0;
        while (g && done < c.n) {
            size_t nb = c.n - done < 128 ? c.n - done : 128;
            CHECK(exam_grader_grade(g, c.jobs + done, nb, res + done) == EXAM_OK);
            done += nb;
        }
        int failed = 0;
        for (size_t i = 0; i < c.n; i++) {
            failed += res[i].status != EXAM_OK;
            score[i] = res[i].score;
        }
        CHECKF(failed == 0, "%d jobs failed", failed);
        double a = auc(score, c.correct, c.n);
        printf("%s: %zu answers (every %dth), ROC AUC of the score %.4f (floor %.2f)\n", names[k],
               c.n, stride, a, floors[k]);
        CHECKF(a >= floors[k], "%s AUC %.4f below %.2f", names[k], a, floors[k]);
        for (size_t i = 0; i < c.n; i++) {
            exam_grade_result_free(&res[i]);
            exam_grade_job_free(&c.jobs[i]);
        }
        free(res);
        free(score);
        free(c.jobs);
        free(c.correct);
        exam_grader_free(g);
        exam_bank_free(&c.bank);
    }
    exam_encoder_free(enc);
    exam_backend_free(be);
    return exam_test_finish();
}
