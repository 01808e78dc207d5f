/* Bank linting: every line parsed and checked, every problem reported with file and line. */
#include "bank_lint.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bank.h"
#include "text_split.h"

static void report(FILE *out, exam_lint_counts *c, const char *file, size_t line, int error,
                   const char *msg) {
    fprintf(out, "%s:%zu: %s: %s\n", file, line, error ? "error" : "warning", msg);
    if (error)
        c->errors++;
    else
        c->warnings++;
}

static void check_question(FILE *out, exam_lint_counts *c, const char *file, size_t line,
                           const json_t *obj, const exam_question *q) {
    char msg[256];
    json_t *kp = json_object_get(obj, "key_points");
    if (!kp || json_array_size(kp) == 0)
        report(out, c, file, line, 0, "no key_points: they will be derived from the answer");
    if (q->common_mistakes.count == 0)
        report(out, c, file, line, 0, "no common_mistakes: misconceptions cannot be flagged");
    if (q->difficulty == 0) report(out, c, file, line, 0, "difficulty missing or 0");
    if (!q->topic[0]) report(out, c, file, line, 0, "topic is empty");
    if (!q->level[0]) report(out, c, file, line, 0, "level is empty");
    if (exam_text_count_words(q->answer, strlen(q->answer)) < 8) {
        snprintf(msg, sizeof msg, "model answer of \"%s\" has fewer than 8 words", q->id);
        report(out, c, file, line, 0, msg);
    }
    if (q->key_points.count > 15) {
        snprintf(msg, sizeof msg, "%zu key points: consider curating the essential ones",
                 q->key_points.count);
        report(out, c, file, line, 0, msg);
    }
    for (size_t i = 0; i < q->key_points.count; i++) {
        const char *k = q->key_points.items[i];
        if (exam_text_count_words(k, strlen(k)) > 60) {
            snprintf(msg, sizeof msg, "key point %zu is longer than 60 words", i + 1);
            report(out, c, file, line, 0, msg);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(k, q->key_points.items[j]) == 0) {
                snprintf(msg, sizeof msg, "key point %zu repeats key point %zu", i + 1, j + 1);
                report(out, c, file, line, 0, msg);
            }
    }
}

exam_status exam_bank_lint(const char *path, FILE *out, exam_lint_counts *counts) {
    exam_lint_counts c = {0, 0, 0};
    exam_strlist files = {0}, ids = {0};
    exam_status st = exam_bank_files(path, &files);
    for (size_t f = 0; st == EXAM_OK && f < files.count; f++) {
        const char *file = files.items[f];
        char *text;
        size_t len;
        st = exam_bank_read_file(file, &text, &len);
        if (st != EXAM_OK) break;
        size_t pos = 0, line_no = 0, n;
        const char *line;
        while (exam_bank_next_line(text, len, &pos, &line_no, &line, &n)) {
            char msg[640];
            size_t bad;
            if (!exam_utf8_valid(line, n, &bad)) {
                snprintf(msg, sizeof msg, "invalid UTF-8 at column %zu", bad + 1);
                report(out, &c, file, line_no, 1, msg);
                continue;
            }
            json_error_t jerr;
            json_t *obj = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
            if (!obj) {
                snprintf(msg, sizeof msg, "malformed JSON: %s", jerr.text);
                report(out, &c, file, line_no, 1, msg);
                continue;
            }
            exam_question q;
            if (exam_question_from_json(obj, &q) != EXAM_OK) {
                snprintf(msg, sizeof msg, "%s", exam_error_message());
                report(out, &c, file, line_no, 1, msg);
                json_decref(obj);
                continue;
            }
            int dup = 0;
            for (size_t i = 0; i < ids.count; i++)
                if (strcmp(ids.items[i], q.id) == 0) dup = 1;
            if (dup) {
                snprintf(msg, sizeof msg, "duplicate question id \"%s\"", q.id);
                report(out, &c, file, line_no, 1, msg);
            } else if (exam_strlist_push(&ids, q.id, strlen(q.id)) != EXAM_OK) {
                st = EXAM_ERR_NOMEM;
            }
            check_question(out, &c, file, line_no, obj, &q);
            c.questions++;
            exam_question_free(&q);
            json_decref(obj);
        }
        free(text);
    }
    exam_strlist_free(&files);
    exam_strlist_free(&ids);
    if (counts) *counts = c;
    return st;
}
