/* The importer's driver: decoding and repair, normalisation, line bookkeeping, the helpers the
 * layout parsers share, and the report of skipped regions. */
#include "bank_import.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bank_import_doc.h"
#include "mojibake.h"
#include "text_split.h"

void exam_import_report_free(exam_import_report *rep) {
    free(rep->skips);
    memset(rep, 0, sizeof *rep);
}

static exam_status add_skip(exam_import_report *rep, size_t first, size_t last, const char *why) {
    if (rep->n_skips == rep->cap_skips) {
        size_t cap = rep->cap_skips ? rep->cap_skips * 2 : 16;
        exam_import_skip *s = realloc(rep->skips, cap * sizeof *s);
        if (!s) return exam_error_set(EXAM_ERR_NOMEM, "out of memory recording a skipped region");
        rep->skips = s;
        rep->cap_skips = cap;
    }
    exam_import_skip *s = &rep->skips[rep->n_skips++];
    s->first_line = first;
    s->last_line = last;
    snprintf(s->reason, sizeof s->reason, "%s", why);
    return EXAM_OK;
}

int exam_doc_starts_with(const char *s, const char *prefix) {
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int exam_doc_is_noise(const char *s) {
    static const char *const phrases[] = {"mentor",
                                          "free trial",
                                          "cancel anytime",
                                          "sign up",
                                          "subscribe to our",
                                          "satisfaction rate",
                                          "no strings attached",
                                          "illustration",
                                          "coaching",
                                          "start matching",
                                          "user check",
                                          "take our word",
                                          "1-on-1",
                                          "personal chats",
                                          "flexible program",
                                          "expert guidance",
                                          "perfect your answers",
                                          "interview journey",
                                          "interview preparation",
                                          "skip to main content",
                                          "knowledge hub",
                                          "study mode",
                                          "choose your preferred way",
                                          "thousands of students",
                                          "average rating",
                                          "book a call",
                                          "try it free",
                                          "cookie policy",
                                          "accept cookies",
                                          "all rights reserved",
                                          "our newsletter",
                                          "view pricing",
                                          "see pricing"};
    size_t n = strlen(s);
    if (n > 400) return 0; /* prose paragraphs are content even when they mention these */
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
        size_t m = strlen(phrases[i]);
        for (size_t k = 0; k + m <= n; k++)
            if (strncasecmp(s + k, phrases[i], m) == 0) return 1;
    }
    return 0;
}

void exam_doc_skip(exam_doc *d, size_t first, size_t last, const char *reason) {
    size_t region = ++d->next_region;
    for (size_t i = first; i <= last && i < d->n_lines; i++) {
        if (d->lines[i].used || d->lines[i].blank) continue;
        d->lines[i].reason = reason;
        d->lines[i].region = region;
    }
}

char *exam_doc_join(const exam_doc *d, size_t first, size_t last) {
    size_t total = 1;
    for (size_t i = first; i <= last && i < d->n_lines; i++) total += d->lines[i].n + 1;
    char *out = malloc(total);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = first; i <= last && i < d->n_lines; i++) {
        const exam_doc_line *l = &d->lines[i];
        if (l->blank || (l->reason && !l->used)) {
            /* keep paragraph breaks so sentence splitting sees them */
            if (k > 0 && out[k - 1] != '\n') out[k++] = '\n';
            if (l->blank && k > 0 && (k < 2 || out[k - 2] != '\n')) out[k++] = '\n';
            continue;
        }
        if (k > 0 && out[k - 1] != '\n') out[k++] = '\n';
        size_t lead = 0;
        while (lead < l->n && l->s[lead] == ' ') lead++;
        memcpy(out + k, l->s + lead, l->n - lead);
        k += l->n - lead;
    }
    while (k > 0 && (out[k - 1] == '\n' || out[k - 1] == ' ')) k--;
    out[k] = '\0';
    return out;
}

static char *trimmed_copy(const char *s, size_t n) {
    while (n > 0 && isspace((unsigned char)*s)) s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    char *out = malloc(n + 1);
    if (!out) return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

exam_status exam_doc_question_start(exam_doc *d, exam_doc_question *dq, const char *id,
                                    const char *question, size_t n, const char *topic) {
    memset(dq, 0, sizeof *dq);
    char gen[96];
    if (!id || !*id) {
        snprintf(gen, sizeof gen, "%s-%zu", d->stem, ++d->next_seq);
        id = gen;
    }
    const char *t = (topic && *topic) ? topic : (d->title[0] ? d->title : "general");
    dq->q.id = trimmed_copy(id, strlen(id));
    dq->q.question = trimmed_copy(question, n);
    dq->q.topic = trimmed_copy(t, strlen(t));
    dq->q.level = trimmed_copy("", 0);
    dq->q.explanation = trimmed_copy("", 0);
    if (!dq->q.id || !dq->q.question || !dq->q.topic || !dq->q.level || !dq->q.explanation) {
        exam_question_free(&dq->q);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    return EXAM_OK;
}

exam_status exam_doc_question_finish(exam_doc *d, exam_doc_question *dq, size_t first, size_t last,
                                     const char *reason_if_empty) {
    exam_question *q = &dq->q;
    if (!q->answer || exam_text_is_blank(q->answer, strlen(q->answer)) ||
        exam_text_is_blank(q->question, strlen(q->question))) {
        exam_question_free(q);
        exam_doc_skip(d, first, last, reason_if_empty);
        return EXAM_OK;
    }
    exam_status st = EXAM_OK;
    if (q->key_points.count == 0) st = exam_bank_split_points(q->answer, &q->key_points);
    if (st == EXAM_OK && q->key_points.count == 0)
        st = exam_strlist_push(&q->key_points, q->answer, strlen(q->answer));
    if (st != EXAM_OK) {
        exam_question_free(q);
        return st;
    }
    for (size_t i = first; i <= last && i < d->n_lines; i++)
        if (!d->lines[i].reason) d->lines[i].used = 1;
    st = exam_bank_add(d->bank, q);
    if (st == EXAM_OK) d->rep->questions++;
    return st;
}

/* Copies text into a normalised buffer: no BOM, CR, NBSP (as space), zero-width characters
 * or pilcrows (web pages put one after every heading). */
static char *normalise(const char *text, size_t len) {
    char *out = malloc(len + 1);
    if (!out) return NULL;
    size_t k = 0, i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\r') {
            i++;
            continue;
        }
        if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] == 0xA0) {
            out[k++] = ' ';
            i += 2;
            continue;
        }
        if (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] == 0xB6) {
            i += 2;
            continue;
        }
        if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
            ((unsigned char)text[i + 2] == 0x8B || (unsigned char)text[i + 2] == 0x8C ||
             (unsigned char)text[i + 2] == 0x8D)) {
            i += 3;
            continue;
        }
        if (c == 0xEF && i + 2 < len && (unsigned char)text[i + 1] == 0xBB &&
            (unsigned char)text[i + 2] == 0xBF) {
            i += 3;
            continue;
        }
        if (c == '\t') c = ' ';
        if (c == '\0') c = ' ';
        out[k++] = (char)c;
        i++;
    }
    out[k] = '\0';
    return out;
}

static exam_status split_lines(exam_doc *d) {
    size_t count = 1;
    for (const char *p = d->text; *p; p++) count += *p == '\n';
    d->lines = calloc(count, sizeof *d->lines);
    if (!d->lines) return exam_error_set(EXAM_ERR_NOMEM, "out of memory splitting lines");
    char *p = d->text;
    size_t no = 0;
    while (p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ')) p[--n] = '\0';
        exam_doc_line *l = &d->lines[no];
        l->s = p;
        l->n = n;
        l->no = ++no;
        l->blank = exam_text_is_blank(p, n);
        p = nl ? nl + 1 : NULL;
    }
    d->n_lines = no;
    /* a trailing newline leaves an empty last line that is not part of the document */
    if (d->n_lines > 1 && d->lines[d->n_lines - 1].n == 0) d->n_lines--;
    return EXAM_OK;
}

/* "AI Interview Questions" -> "AI": the document title's subject, used as a fallback topic. */
static void guess_title(exam_doc *d) {
    static const char *const tails[] = {"interview questions", "interview preparation",
                                        "interview prep", "questions"};
    for (size_t i = 0; i < d->n_lines && i < 5; i++) {
        const char *s = d->lines[i].s;
        if (d->lines[i].blank) continue;
        size_t n = d->lines[i].n;
        for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
            size_t m = strlen(tails[t]);
            for (size_t k = 0; k + m <= n; k++) {
                if (strncasecmp(s + k, tails[t], m) != 0) continue;
                size_t e = k;
                while (e > 0 && s[e - 1] == ' ') e--;
                if (e > 0 && e < sizeof d->title) {
                    memcpy(d->title, s, e);
                    d->title[e] = '\0';
                }
                return;
            }
        }
        return; /* only the first non-blank line can be the title */
    }
}

static exam_status collect_skips(exam_doc *d) {
    size_t i = 0;
    while (i < d->n_lines) {
        exam_doc_line *l = &d->lines[i];
        if (l->blank || l->used) {
            i++;
            continue;
        }
        const char *why = l->reason ? l->reason : "no question found";
        size_t first = i, last = i, j = i + 1;
        while (j < d->n_lines) {
            exam_doc_line *m = &d->lines[j];
            if (m->blank) {
                j++;
                continue;
            }
            if (m->used || m->region != l->region ||
                strcmp(m->reason ? m->reason : "no question found", why) != 0)
                break;
            last = j++;
        }
        exam_status st = add_skip(d->rep, d->lines[first].no, d->lines[last].no, why);
        if (st != EXAM_OK) return st;
        i = last + 1;
    }
    return EXAM_OK;
}

static void note_layout(exam_import_report *rep, const char *name, int found) {
    if (!found) return;
    size_t n = strlen(rep->layouts);
    snprintf(rep->layouts + n, sizeof rep->layouts - n, "%s%s", n ? "," : "", name);
}

exam_status exam_bank_import_text(const char *name, const char *text, size_t len, exam_bank *bank,
                                  exam_import_report *rep) {
    memset(rep, 0, sizeof *rep);
    exam_status st;
    char *utf8 = NULL, *repaired = NULL;
    size_t utf8_len = len;
    const char *src = text;
    if (!exam_utf8_valid(text, len, NULL)) {
        st = exam_mojibake_decode_cp1252(text, len, &utf8, &utf8_len);
        if (st != EXAM_OK) return st;
        rep->decoded_cp1252 = 1;
        src = utf8;
    }
    size_t rep_len;
    st = exam_mojibake_repair(src, utf8_len, &repaired, &rep_len, &rep->mojibake);
    free(utf8);
    if (st != EXAM_OK) return st;

    exam_doc d = {0};
    d.bank = bank;
    d.rep = rep;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    snprintf(d.stem, sizeof d.stem, "%s", base);
    char *dot = strrchr(d.stem, '.');
    if (dot && dot != d.stem) *dot = '\0';
    for (char *c = d.stem; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') *c = '-';
    d.text = normalise(repaired, rep_len);
    free(repaired);
    if (!d.text) return exam_error_set(EXAM_ERR_NOMEM, "out of memory normalising %s", name);
    st = split_lines(&d);
    if (st == EXAM_OK) {
        rep->lines = d.n_lines;
        guess_title(&d);
        int found = 0;
        if (st == EXAM_OK && (st = exam_import_id_headed(&d, &found)) == EXAM_OK)
            note_layout(rep, "id-headed", found);
        if (st == EXAM_OK && (st = exam_import_tables(&d, &found)) == EXAM_OK)
            note_layout(rep, "question-table", found);
        if (st == EXAM_OK && (st = exam_import_labelled(&d, &found)) == EXAM_OK)
            note_layout(rep, "q-blocks", found);
        if (st == EXAM_OK && (st = exam_import_numbered(&d, &found)) == EXAM_OK)
            note_layout(rep, "numbered", found);
        if (st == EXAM_OK) {
            exam_import_answer_only(&d, &found);
            note_layout(rep, "answer-only", found);
        }
        if (st == EXAM_OK) st = collect_skips(&d);
    }
    free(d.lines);
    free(d.text);
    return st;
}

exam_status exam_bank_import_file(const char *path, exam_bank *bank, exam_import_report *rep) {
    memset(rep, 0, sizeof *rep);
    char *buf;
    size_t n;
    exam_status read_st = exam_bank_read_file(path, &buf, &n);
    if (read_st != EXAM_OK) return read_st;
    exam_status st = exam_bank_import_text(path, buf, n, bank, rep);
    free(buf);
    return st;
}
