/* The cohort table and the HTML report (see grade_report.h). */
#include "grade_report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bank.h"
#include "calib_report.h"
#include "html_escape.h"

typedef struct names {
    const char **items;
    size_t count;
} names;

static size_t name_index(names *n, const char *s, int add) {
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->items[i], s) == 0) return i;
    if (!add) return (size_t)-1;
    n->items[n->count] = s;
    return n->count++;
}

static const char *str_field(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int has_flag(const json_t *o, const char *flag) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "flags"), i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), flag) == 0) return 1;
    }
    return 0;
}

static char marker(const json_t *o) {
    if (json_object_get(o, "error")) return 'E';
    if (has_flag(o, "prompt_injection")) return '!';
    if (has_flag(o, "empty") || has_flag(o, "non_answer")) return 'e';
    if (has_flag(o, "off_topic")) return '?';
    if (has_flag(o, "copied_question") || has_flag(o, "keyword_stuffing")) return '~';
    if (has_flag(o, "misconception")) return 'x';
    return ' ';
}

/* Candidates and questions in first-seen order, and the cell each result fills. */
typedef struct grid {
    names cands, quests;
    long *cell; /* [cands × quests] index into results, -1 when empty */
    size_t errors;
} grid;

static int grid_build(grid *g, json_t *const *results, size_t n) {
    memset(g, 0, sizeof *g);
    g->cands.items = calloc(n + 1, sizeof *g->cands.items);
    g->quests.items = calloc(n + 1, sizeof *g->quests.items);
    if (!g->cands.items || !g->quests.items) return 0;
    for (size_t i = 0; i < n; i++) {
        if (json_object_get(results[i], "error")) {
            g->errors++;
            continue;
        }
        name_index(&g->cands, str_field(results[i], "candidate"), 1);
        name_index(&g->quests, str_field(results[i], "question_id"), 1);
    }
    size_t cells = g->cands.count * g->quests.count;
    g->cell = malloc((cells ? cells : 1) * sizeof *g->cell);
    if (!g->cell) return 0;
    for (size_t i = 0; i < cells; i++) g->cell[i] = -1;
    for (size_t i = 0; i < n; i++) {
        if (json_object_get(results[i], "error")) continue;
        size_t c = name_index(&g->cands, str_field(results[i], "candidate"), 0);
        size_t q = name_index(&g->quests, str_field(results[i], "question_id"), 0);
        g->cell[c * g->quests.count + q] = (long)i;
    }
    return 1;
}

static void grid_free(grid *g) {
    free(g->cands.items);
    free(g->quests.items);
    free(g->cell);
    memset(g, 0, sizeof *g);
}

void exam_report_print_table(FILE *out, json_t *const *results, size_t n) {
    grid g;
    if (!grid_build(&g, results, n)) {
        fprintf(out, "(out of memory building the cohort table)\n");
        grid_free(&g);
        return;
    }
    size_t cw = 9;
    for (size_t c = 0; c < g.cands.count; c++)
        if (strlen(g.cands.items[c]) > cw) cw = strlen(g.cands.items[c]);
    if (cw > 24) cw = 24;
    fprintf(out, "%-*s", (int)cw, "candidate");
    for (size_t q = 0; q < g.quests.count; q++) fprintf(out, " Q%-4zu", q + 1);
    fprintf(out, "   mean\n");
    for (size_t c = 0; c < g.cands.count; c++) {
        fprintf(out, "%-*.*s", (int)cw, (int)cw, g.cands.items[c]);
        double sum = 0;
        int cnt = 0;
        for (size_t q = 0; q < g.quests.count; q++) {
            long i = g.cell[c * g.quests.count + q];
            if (i < 0) {
                fprintf(out, "   -  ");
                continue;
            }
            double s = json_number_value(json_object_get(results[i], "score"));
            fprintf(out, " %4.1f%c", s, marker(results[i]));
            sum += s;
            cnt++;
        }
        fprintf(out, "  %5.2f\n", cnt ? sum / cnt : 0.0);
    }
    fprintf(out, "\nquestions:");
    for (size_t q = 0; q < g.quests.count; q++)
        fprintf(out, "%s Q%zu=%s", q ? "," : "", q + 1, g.quests.items[q]);
    fprintf(out, "\nmarkers: ! injected instructions  e empty/non-answer  ? off topic  ~ copied "
                 "question or keyword stuffing  x misconception\n");
    if (g.errors) fprintf(out, "%zu job(s) failed and are not in the table\n", g.errors);
    grid_free(&g);
}

/* ---- HTML ---- */

static const char *score_class(double s) {
    return s >= 7.0 ? "hi" : s >= 4.0 ? "mid" : "lo";
}

static void list(FILE *out, const json_t *o, const char *key, const char *cls, const char *title) {
    json_t *a = json_object_get(o, key);
    if (!json_is_array(a) || json_array_size(a) == 0) return;
    fprintf(out, "<div class=\"%s\"><b>%s</b><ul>", cls, title);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        fputs("<li>", out);
        exam_html_escape(out, json_string_value(v), 1);
        fputs("</li>", out);
    }
    fputs("</ul></div>", out);
}

static const char css[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:72em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;"
    "text-align:center}th.c,td.c{text-align:left}.hi{background:#d8f3dc}.mid{background:#fff3bf}"
    ".lo{background:#ffd6d6}.flag{display:inline-block;background:#eee;border-radius:.6em;"
    "padding:0 .5em;margin-right:.3em;font-size:.85em}.flag.bad{background:#ffc9c9}"
    ".q{border:1px solid #ddd;border-radius:.4em;padding:.6em 1em;margin:.6em 0}"
    ".score{font-size:1.3em;font-weight:bold;padding:0 .4em;border-radius:.3em}"
    ".cov li{color:#1b5e20}.mis li{color:#b71c1c}.wrong li{color:#8a4b00}"
    "details{margin-top:.4em;color:#444}small{color:#666}";

exam_status exam_report_write_html(FILE *out, json_t *const *results, const char *const *answers,
                                   size_t n, const exam_bank *bank, const char *title) {
    grid g;
    if (!grid_build(&g, results, n)) {
        grid_free(&g);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory building the report");
    }
    const char *model = "", *backend = "", *bank_version = "";
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(results[i], "error")) {
            model = str_field(results[i], "model");
            backend = str_field(results[i], "backend");
            bank_version = str_field(results[i], "bank");
            break;
        }
    fprintf(out, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    exam_html_escape(out, title, 1);
    fprintf(out, "</title><style>%s</style></head><body><h1>", css);
    exam_html_escape(out, title, 1);
    fprintf(out, "</h1><p>%zu candidates, %zu questions, %zu answers graded", g.cands.count,
            g.quests.count, n - g.errors);
    if (g.errors) fprintf(out, ", %zu failed", g.errors);
    fputs(". <small>Scores are 0&ndash;10 from the answer's similarity to the model answer, "
          "its key-point coverage and misconception checks; model ",
          out);
    exam_html_escape(out, model, 1);
    fputs(", backend ", out);
    exam_html_escape(out, backend, 1);
    fputs(", bank ", out);
    exam_html_escape(out, bank_version, 1);
    fputs(".</small></p>", out);

    /* cohort table */
    fputs("<h2>Cohort</h2><table><tr><th class=\"c\">candidate</th>", out);
    for (size_t q = 0; q < g.quests.count; q++) {
        const exam_question *bq = bank ? exam_bank_find(bank, g.quests.items[q]) : NULL;
        fprintf(out, "<th title=\"");
        exam_html_escape(out, bq ? bq->question : g.quests.items[q], 1);
        fprintf(out, "\">Q%zu</th>", q + 1);
    }
    fputs("<th>mean</th></tr>", out);
    for (size_t c = 0; c < g.cands.count; c++) {
        fputs("<tr><td class=\"c\"><a href=\"#cand-", out);
        fprintf(out, "%zu\">", c);
        exam_html_escape(out, g.cands.items[c], 1);
        fputs("</a></td>", out);
        double sum = 0;
        int cnt = 0;
        for (size_t q = 0; q < g.quests.count; q++) {
            long i = g.cell[c * g.quests.count + q];
            if (i < 0) {
                fputs("<td>&ndash;</td>", out);
                continue;
            }
            double s = json_number_value(json_object_get(results[i], "score"));
            char m = marker(results[i]);
            char mark[3] = {' ', m, '\0'};
            fprintf(out, "<td class=\"%s\">%.1f%s</td>", score_class(s), s, m == ' ' ? "" : mark);
            sum += s;
            cnt++;
        }
        double mean = cnt ? sum / cnt : 0;
        fprintf(out, "<td class=\"%s\"><b>%.2f</b></td></tr>", score_class(mean), mean);
    }
    fputs("</table><p><small>Markers: ! injected instructions, e empty or non-answer, ? off "
          "topic, ~ copied question or keyword stuffing, x misconception.</small></p><ol>",
          out);
    for (size_t q = 0; q < g.quests.count; q++) {
        const exam_question *bq = bank ? exam_bank_find(bank, g.quests.items[q]) : NULL;
        fputs("<li>", out);
        exam_html_escape(out, bq ? bq->question : g.quests.items[q], 1);
        fputs(" <small>(", out);
        exam_html_escape(out, g.quests.items[q], 1);
        fputs(")</small></li>", out);
    }
    fputs("</ol>", out);

    /* agreement with the judge, when jobs carried judge scores */
    json_t *calib = NULL;
    if (exam_calib_fit_results(results, n, &calib) == EXAM_OK && calib)
        exam_calib_write_html(out, calib);
    json_decref(calib);

    /* per candidate */
    for (size_t c = 0; c < g.cands.count; c++) {
        fprintf(out, "<h2 id=\"cand-%zu\">", c);
        exam_html_escape(out, g.cands.items[c], 1);
        fputs("</h2>", out);
        for (size_t q = 0; q < g.quests.count; q++) {
            long i = g.cell[c * g.quests.count + q];
            if (i < 0) continue;
            const json_t *o = results[i];
            const exam_question *bq = bank ? exam_bank_find(bank, g.quests.items[q]) : NULL;
            double s = json_number_value(json_object_get(o, "score"));
            fprintf(out, "<div class=\"q\"><span class=\"score %s\">%.1f</span> <b>Q%zu.</b> ",
                    score_class(s), s, q + 1);
            exam_html_escape(out, bq ? bq->question : g.quests.items[q], 1);
            fputs("<div>", out);
            size_t k;
            json_t *f;
            json_array_foreach(json_object_get(o, "flags"), k, f) {
                const char *fl = json_string_value(f);
                int bad = fl && strcmp(fl, "misconception") != 0;
                fprintf(out, "<span class=\"flag%s\">", bad ? " bad" : "");
                exam_html_escape(out, fl, 1);
                fputs("</span>", out);
            }
            json_t *judge = json_object_get(o, "judge");
            if (judge)
                fprintf(out, "<small>judge: %.1f / %.0f (%s)</small>",
                        json_number_value(json_object_get(judge, "score")),
                        json_number_value(json_object_get(judge, "scale_max")),
                        json_string_value(json_object_get(judge, "source"))
                            ? json_string_value(json_object_get(judge, "source"))
                            : "judge");
            fputs("</div>", out);
            list(out, o, "covered", "cov", "Covered");
            list(out, o, "missed", "mis", "Missed");
            list(out, o, "misconceptions", "wrong", "States a known misconception");
            if (answers && answers[i]) {
                fputs("<details><summary>Answer</summary><p>", out);
                exam_html_escape(out, answers[i][0] ? answers[i] : "(empty)", 1);
                fputs("</p></details>", out);
            }
            fputs("</div>", out);
        }
    }
    fputs("</body></html>\n", out);
    grid_free(&g);
    if (ferror(out)) return exam_error_set(EXAM_ERR_IO, "cannot write the report");
    return EXAM_OK;
}
