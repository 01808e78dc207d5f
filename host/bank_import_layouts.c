/* The importer's layout parsers: ID-headed questions with labelled sections, markdown question
 * tables, "Q1:" / "Part" / "Design" labelled blocks, "N. Question?" lists, answer-only blocks. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bank_import_doc.h"
#include "text_split.h"

static const char *const R_PREAMBLE = "page header before the first question";
static const char *const R_NOISE = "advertising or page furniture";
static const char *const R_NO_ANSWER = "question without an answer";
static const char *const R_EXERCISE = "exercise without a model answer";
static const char *const R_TABLE = "table that is not a question list";
static const char *const R_GLUED = "question run into its answer (scraped page, question cut)";
static const char *const R_PROSE = "prose without questions (answer-only text)";
static const char *const R_ANSWER_ONLY =
    "answer-only block (answer, explanation, example, mistakes, scenario) without its question";

static size_t count_words(const char *s) {
    return exam_text_count_words(s, strlen(s));
}

static const char *skip_spaces(const char *s) {
    while (*s == ' ') s++;
    return s;
}

static int ends_with_punct(const char *s, size_t n) {
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == ')')) n--;
    return n > 0 && strchr(".?!:;,", s[n - 1]) != NULL;
}

/* ---- section labels of ID-headed questions ---- */

typedef enum section {
    SEC_NONE = 0,
    SEC_ANSWER,
    SEC_EXPLANATION,
    SEC_EXAMPLE,
    SEC_MISTAKES,
    SEC_SCENARIO,
    SEC_FOLLOWUPS,
} section;

/* The section a label line opens ("⚠ Common Mistakes" -> SEC_MISTAKES), or SEC_NONE. */
static section section_label(const char *s) {
    while (*s && !isalpha((unsigned char)*s)) {
        if ((unsigned char)*s < 0x80 && *s != ' ') return SEC_NONE; /* digits, punctuation */
        s++;
    }
    static const struct {
        const char *label;
        section sec;
    } labels[] = {{"answer", SEC_ANSWER},
                  {"model answer", SEC_ANSWER},
                  {"short answer", SEC_ANSWER},
                  {"deep explanation", SEC_EXPLANATION},
                  {"explanation", SEC_EXPLANATION},
                  {"real-world example", SEC_EXAMPLE},
                  {"real world example", SEC_EXAMPLE},
                  {"example", SEC_EXAMPLE},
                  {"common mistakes", SEC_MISTAKES},
                  {"mistakes", SEC_MISTAKES},
                  {"common pitfalls", SEC_MISTAKES},
                  {"production scenario", SEC_SCENARIO},
                  {"follow-up questions", SEC_FOLLOWUPS},
                  {"follow up questions", SEC_FOLLOWUPS},
                  {"follow-ups", SEC_FOLLOWUPS}};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcasecmp(s, labels[i].label) == 0) return labels[i].sec;
    return SEC_NONE;
}

/* "AI-MLO-001 How do ...?": returns the length of the ID token, or 0. */
static size_t id_header(const char *s) {
    size_t i = 0, groups = 0;
    for (;;) {
        size_t g = i;
        while (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i])) i++;
        if (i == g || i - g > 10) return 0;
        groups++;
        if (s[i] != '-') break;
        i++;
    }
    if (groups < 2 || !isupper((unsigned char)s[0]) || s[i] != ' ') return 0;
    if (count_words(s + i) < 3) return 0;
    return i;
}

/* Appends "Label: text" paragraphs to an explanation string. */
static int append_text(char **dst, const char *label, const char *text) {
    if (!text || !*text) return 1;
    size_t a = *dst ? strlen(*dst) : 0;
    size_t need = a + strlen(label) + strlen(text) + 8;
    char *s = realloc(*dst, need);
    if (!s) return 0;
    if (a == 0) s[0] = '\0';
    snprintf(s + a, need - a, "%s%s%s", a ? "\n\n" : "", label, text);
    *dst = s;
    return 1;
}

/* Splits "What is X? How does Y??" into questions. */
static exam_status split_questions(const char *text, exam_strlist *out) {
    const char *p = text;
    while (*p) {
        p = skip_spaces(p);
        const char *q = strchr(p, '?');
        const char *end = q ? q + 1 : p + strlen(p);
        size_t n = (size_t)(end - p);
        while (n > 0 && isspace((unsigned char)p[n - 1])) n--;
        if (n > 0 && !exam_text_is_blank(p, n)) {
            exam_status st = exam_strlist_push(out, p, n);
            if (st != EXAM_OK) return st;
        }
        p = end;
        while (*p == '?' || isspace((unsigned char)*p)) p++;
    }
    return EXAM_OK;
}

/* "AI Integration AI Integration Advanced" -> "AI Integration" (level word dropped,
 * a repeated half collapsed). */
static void topic_from_category(const char *s, char *out, size_t cap) {
    static const char *const levels[] = {"beginner", "intermediate", "advanced", "junior",
                                         "senior",   "expert",       "mid",      "entry"};
    snprintf(out, cap, "%s", s);
    char *sp = strrchr(out, ' ');
    if (sp) {
        for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
            if (strcasecmp(sp + 1, levels[i]) == 0) *sp = '\0';
    }
    size_t n = strlen(out);
    if (n % 2 == 1 && out[n / 2] == ' ' && strncmp(out, out + n / 2 + 1, n / 2) == 0)
        out[n / 2] = '\0';
}

exam_status exam_import_id_headed(exam_doc *d, int *found) {
    *found = 0;
    size_t first_header = d->n_lines;
    for (size_t i = 0; i < d->n_lines; i++) {
        size_t idn = id_header(d->lines[i].s);
        if (!idn || d->lines[i].used) continue;
        /* an "Answer" label must follow within a few lines */
        size_t ans = 0;
        for (size_t k = i + 1; k < d->n_lines && k <= i + 6; k++)
            if (section_label(d->lines[k].s) == SEC_ANSWER) {
                ans = k;
                break;
            }
        if (!ans) continue;
        size_t end = ans + 1;
        while (end < d->n_lines && !(id_header(d->lines[end].s) && !d->lines[end].used)) end++;
        /* end is the next header (exclusive) */
        if (first_header == d->n_lines) first_header = i;
        char id[32];
        snprintf(id, sizeof id, "%.*s", (int)idn, d->lines[i].s);
        char topic[96] = "";
        int difficulty = 0;
        char level[32] = "";
        for (size_t k = i + 1; k < ans; k++) {
            const char *s = d->lines[k].s;
            int a, b;
            if (sscanf(s, "%d/%d", &a, &b) == 2 && b == 10)
                difficulty = a;
            else if (!d->lines[k].blank && !topic[0])
                topic_from_category(s, topic, sizeof topic);
        }
        exam_doc_question dq;
        const char *qtext = d->lines[i].s + idn + 1;
        exam_status st = exam_doc_question_start(d, &dq, id, qtext, strlen(qtext), topic);
        if (st != EXAM_OK) return st;
        /* sections */
        section cur = SEC_NONE;
        size_t sec_first = 0;
        char *expl = NULL;
        for (size_t k = ans; k <= end; k++) {
            section next = k < end ? section_label(d->lines[k].s) : SEC_NONE;
            int footer = k < end && exam_doc_starts_with(d->lines[k].s, "ID:");
            if (k == end || next != SEC_NONE || footer) {
                if (cur != SEC_NONE) {
                    char *body = exam_doc_join(d, sec_first, k - 1);
                    if (!body)
                        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                    else if (cur == SEC_ANSWER) {
                        free(dq.q.answer);
                        dq.q.answer = body;
                        body = NULL;
                    } else if (cur == SEC_MISTAKES)
                        st = exam_bank_split_points(body, &dq.q.common_mistakes);
                    else if (cur == SEC_FOLLOWUPS)
                        st = split_questions(body, &dq.q.follow_ups);
                    else if (!append_text(&expl,
                                          cur == SEC_EXPLANATION ? ""
                                          : cur == SEC_EXAMPLE   ? "Example: "
                                                                 : "Production scenario: ",
                                          body))
                        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                    free(body);
                    if (st != EXAM_OK) break;
                }
                cur = next;
                sec_first = k + 1;
            }
            if (footer) {
                const char *s = d->lines[k].s;
                const char *p = strcasestr(s, "Difficulty:");
                if (p) difficulty = atoi(p + 11);
                p = strcasestr(s, "Level:");
                if (p) snprintf(level, sizeof level, "%s", skip_spaces(p + 6));
                cur = SEC_NONE;
            }
        }
        if (st == EXAM_OK && expl) {
            free(dq.q.explanation);
            dq.q.explanation = expl;
            expl = NULL;
        }
        free(expl);
        if (st == EXAM_OK && level[0]) {
            char *lv = strdup(level);
            if (!lv)
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            else {
                for (char *c = lv; *c; c++) *c = (char)tolower((unsigned char)*c);
                free(dq.q.level);
                dq.q.level = lv;
            }
        }
        dq.q.difficulty = difficulty >= 0 && difficulty <= 10 ? difficulty : 0;
        if (st != EXAM_OK) {
            exam_question_free(&dq.q);
            return st;
        }
        st = exam_doc_question_finish(d, &dq, i, end - 1, R_NO_ANSWER);
        if (st != EXAM_OK) return st;
        *found = 1;
        i = end - 1;
    }
    if (*found && first_header > 0) exam_doc_skip(d, 0, first_header - 1, R_PREAMBLE);
    return EXAM_OK;
}

/* ---- markdown tables ---- */

/* Splits "| a | b | c |" into up to `cap` trimmed cells in place; returns the count. */
static size_t table_cells(char *s, char **cells, size_t cap) {
    size_t n = 0;
    char *p = s;
    if (*p == '|') p++;
    while (*p && n < cap) {
        char *bar = strchr(p, '|');
        if (bar) *bar = '\0';
        char *c = (char *)skip_spaces(p);
        size_t len = strlen(c);
        while (len > 0 && c[len - 1] == ' ') c[--len] = '\0';
        if (bar || *c) cells[n++] = c;
        if (!bar) break;
        p = bar + 1;
        if (!*p) break;
    }
    return n;
}

static int is_separator_row(const char *s) {
    if (*s != '|') return 0;
    for (; *s; s++)
        if (!strchr("|-: ", *s)) return 0;
    return 1;
}

exam_status exam_import_tables(exam_doc *d, int *found) {
    *found = 0;
    for (size_t i = 0; i + 1 < d->n_lines; i++) {
        if (d->lines[i].used || d->lines[i].s[0] != '|' || !is_separator_row(d->lines[i + 1].s))
            continue;
        size_t end = i + 2;
        /* rows run until a non-row line or the header of the next table */
        while (end < d->n_lines && d->lines[end].s[0] == '|' &&
               !(end + 1 < d->n_lines && is_separator_row(d->lines[end + 1].s)))
            end++;
        char header[512];
        snprintf(header, sizeof header, "%s", d->lines[i].s);
        char *hcells[8];
        size_t hn = table_cells(header, hcells, 8);
        if (hn < 2 || hn > 3 || strcasecmp(hcells[0], "question") != 0) {
            exam_doc_skip(d, i, end - 1, R_TABLE);
            i = end - 1;
            continue;
        }
        int third_is_topic =
            hn == 3 && (strcasecmp(hcells[2], "card") == 0 || strcasecmp(hcells[2], "topic") == 0 ||
                        strcasecmp(hcells[2], "category") == 0);
        for (size_t r = i + 2; r < end; r++) {
            char row[2048];
            snprintf(row, sizeof row, "%s", d->lines[r].s);
            char *cells[8];
            size_t cn = table_cells(row, cells, 8);
            if (cn < 2 || exam_text_is_blank(cells[1], strlen(cells[1]))) {
                exam_doc_skip(d, r, r, R_NO_ANSWER);
                continue;
            }
            exam_doc_question dq;
            const char *topic = third_is_topic && cn >= 3 ? cells[2] : NULL;
            exam_status st =
                exam_doc_question_start(d, &dq, NULL, cells[0], strlen(cells[0]), topic);
            if (st != EXAM_OK) return st;
            char answer[2048];
            if (hn == 3 && !third_is_topic && cn >= 3 && cells[2][0])
                snprintf(answer, sizeof answer, "%s; %s", cells[1], cells[2]);
            else
                snprintf(answer, sizeof answer, "%s", cells[1]);
            dq.q.answer = strdup(answer);
            if (!dq.q.answer) {
                exam_question_free(&dq.q);
                return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            }
            st = exam_doc_question_finish(d, &dq, r, r, R_NO_ANSWER);
            if (st != EXAM_OK) return st;
            *found = 1;
        }
        /* the header and separator belong to the questions below them */
        d->lines[i].used = d->lines[i + 1].used = 1;
        i = end - 1;
    }
    return EXAM_OK;
}

/* ---- labelled blocks: "Q1: ...?", "Part 2: ...", "Design 1: ...", "Problem 1: ..." ---- */

typedef enum label_kind {
    L_NONE = 0,
    L_QUESTION,
    L_PART,
    L_DESIGN,
    L_EXERCISE,
    L_QUOTED
} label_kind;

/* Classifies a line; *rest points after "Q1:" etc., or at the quoted question. */
static label_kind label_of(const char *s, const char **rest) {
    static const struct {
        const char *word;
        label_kind kind;
    } words[] = {{"Q", L_QUESTION},       {"Question", L_QUESTION}, {"Part", L_PART},
                 {"Section", L_PART},     {"Design", L_DESIGN},     {"Case", L_DESIGN},
                 {"Problem", L_EXERCISE}, {"Exercise", L_EXERCISE}, {"Task", L_EXERCISE}};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t n = strlen(words[w].word);
        if (strncmp(s, words[w].word, n) != 0) continue;
        const char *p = s + n;
        if (words[w].kind != L_QUESTION || n > 1) p = skip_spaces(p);
        if (!isdigit((unsigned char)*p)) continue;
        while (isdigit((unsigned char)*p)) p++;
        if (*p != ':' && *p != '.' && *p != ')') continue;
        p = skip_spaces(p + 1);
        if (!*p) continue;
        *rest = p;
        return words[w].kind;
    }
    /* “Tell me about ...” or "..." followed by an answer */
    if (strncmp(s, "\xE2\x80\x9C", 3) == 0 || s[0] == '"') {
        *rest = s;
        return L_QUOTED;
    }
    return L_NONE;
}

/* A short title line ("Study Plan") that ends the previous block. */
static int is_heading(const exam_doc_line *l) {
    if (l->blank || l->s[0] == ' ' || l->s[0] == '|') return 0;
    if (ends_with_punct(l->s, l->n) || strpbrk(l->s, ".:;(?!")) return 0;
    if (isdigit((unsigned char)l->s[0])) return 0;
    return count_words(l->s) <= 5;
}

exam_status exam_import_labelled(exam_doc *d, int *found) {
    *found = 0;
    size_t n_q = 0;
    const char *rest;
    for (size_t i = 0; i < d->n_lines; i++)
        if (!d->lines[i].used && label_of(d->lines[i].s, &rest) == L_QUESTION) n_q++;
    if (n_q < 2) return EXAM_OK;
    char topic[96] = "";
    size_t first_label = d->n_lines;
    for (size_t i = 0; i < d->n_lines; i++) {
        if (d->lines[i].used) continue;
        label_kind kind = label_of(d->lines[i].s, &rest);
        if (kind == L_NONE) continue;
        if (first_label == d->n_lines) first_label = i;
        /* the block runs to the next label, heading or used line */
        size_t end = i + 1;
        while (end < d->n_lines && !d->lines[end].used &&
               label_of(d->lines[end].s, &(const char *){NULL}) == L_NONE &&
               !is_heading(&d->lines[end]))
            end++;
        if (kind == L_PART) {
            snprintf(topic, sizeof topic, "%s", rest);
            char *paren = strchr(topic, '(');
            if (paren) *paren = '\0';
            size_t n = strlen(topic);
            while (n > 0 && topic[n - 1] == ' ') topic[--n] = '\0';
            d->lines[i].used = 1;
            /* the part's introduction is not a question */
            continue;
        }
        if (kind == L_EXERCISE) {
            exam_doc_skip(d, i, end - 1, R_EXERCISE);
            i = end - 1;
            continue;
        }
        /* question text and an answer on the same line after "? " or the closing quote */
        const char *qs = rest, *qe = NULL, *inline_answer = NULL;
        if (kind == L_QUOTED) {
            const char *close = strstr(rest + 1, "\xE2\x80\x9D");
            size_t skip = 3;
            if (!close) {
                close = strchr(rest + 1, '"');
                skip = 1;
            }
            if (!close) continue;
            qs = rest + (rest[0] == '"' ? 1 : 3);
            qe = close;
            inline_answer = skip_spaces(close + skip);
        } else if (kind == L_QUESTION) {
            const char *qm = strstr(rest, "? ");
            if (qm && !exam_text_is_blank(qm + 2, strlen(qm + 2))) {
                qe = qm + 1;
                inline_answer = skip_spaces(qm + 2);
            }
        }
        if (!qe) qe = rest + strlen(rest);
        exam_doc_question dq;
        exam_status st = exam_doc_question_start(d, &dq, NULL, qs, (size_t)(qe - qs), topic);
        if (st != EXAM_OK) return st;
        if (inline_answer && *inline_answer) {
            char *more = end > i + 1 ? exam_doc_join(d, i + 1, end - 1) : strdup("");
            size_t need = strlen(inline_answer) + (more ? strlen(more) : 0) + 2;
            dq.q.answer = malloc(need);
            if (dq.q.answer)
                snprintf(dq.q.answer, need, "%s%s%s", inline_answer, more && *more ? "\n" : "",
                         more ? more : "");
            free(more);
        } else {
            dq.q.answer = end > i + 1 ? exam_doc_join(d, i + 1, end - 1) : strdup("");
        }
        if (!dq.q.answer) {
            exam_question_free(&dq.q);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
        st = exam_doc_question_finish(d, &dq, i, end - 1, R_NO_ANSWER);
        if (st != EXAM_OK) return st;
        *found = 1;
        i = end - 1;
    }
    if (*found && first_label > 0) exam_doc_skip(d, 0, first_label - 1, R_PREAMBLE);
    return EXAM_OK;
}

/* ---- numbered questions: "12. How would you validate a model?" ---- */

static int numbered_question(const exam_doc_line *l, int *number, const char **text) {
    const char *s = l->s;
    if (!isdigit((unsigned char)s[0])) return 0;
    char *e;
    long n = strtol(s, &e, 10);
    if (n <= 0 || n > 999 || (*e != '.' && *e != ')') || e[1] != ' ') return 0;
    const char *t = skip_spaces(e + 1);
    if (count_words(t) < 4) return 0;
    size_t len = strlen(t);
    if (len > 300) return 0;
    *number = (int)n;
    *text = t;
    return 1;
}

/* Marks advertising and page furniture inside lines first..last (inclusive). */
static void mark_noise(exam_doc *d, size_t first, size_t last) {
    size_t n = last + 1 - first;
    char *mark = calloc(n, 1);
    if (!mark) return;
    for (size_t i = 0; i < n; i++)
        if (!d->lines[first + i].blank && exam_doc_is_noise(d->lines[first + i].s)) mark[i] = 1;
    /* neighbours: short unpunctuated lines next to noise, and short lines between noise */
    for (int pass = 0; pass < 4; pass++) {
        for (size_t i = 0; i < n; i++) {
            const exam_doc_line *l = &d->lines[first + i];
            if (mark[i] || l->blank) continue;
            int prev = 0, next = 0;
            for (size_t k = i; k-- > 0;)
                if (!d->lines[first + k].blank) {
                    prev = mark[k];
                    break;
                }
            for (size_t k = i + 1; k < n; k++)
                if (!d->lines[first + k].blank) {
                    next = mark[k];
                    break;
                }
            size_t words = count_words(l->s);
            if ((prev || next) && words <= 8 && !ends_with_punct(l->s, l->n) && l->s[0] != ' ')
                mark[i] = 1;
            else if (prev && next && words <= 40)
                mark[i] = 1;
        }
    }
    for (size_t i = 0; i < n;) {
        if (!mark[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && (mark[j + 1] || d->lines[first + j + 1].blank)) j++;
        while (j > i && !mark[j]) j--;
        exam_doc_skip(d, first + i, first + j, R_NOISE);
        i = j + 1;
    }
    free(mark);
}

exam_status exam_import_numbered(exam_doc *d, int *found) {
    *found = 0;
    size_t *qlines = malloc(d->n_lines * sizeof *qlines);
    if (!qlines) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    size_t nq = 0;
    int expect = 0;
    const char *text;
    for (size_t i = 0; i < d->n_lines; i++) {
        int num;
        if (d->lines[i].used || !numbered_question(&d->lines[i], &num, &text)) continue;
        if (nq == 0 || num == expect) {
            qlines[nq++] = i;
            expect = num + 1;
        }
    }
    if (nq < 3) {
        free(qlines);
        return EXAM_OK;
    }
    for (size_t k = 0; k < nq; k++) {
        size_t i = qlines[k];
        size_t end = k + 1 < nq ? qlines[k + 1] : d->n_lines;
        for (size_t j = i + 1; j < end; j++)
            if (d->lines[j].used) {
                end = j;
                break;
            }
        if (end > i + 1) mark_noise(d, i + 1, end - 1);
        int num;
        numbered_question(&d->lines[i], &num, &text);
        exam_doc_question dq;
        exam_status st = exam_doc_question_start(d, &dq, NULL, text, strlen(text), NULL);
        if (st == EXAM_OK) {
            dq.q.answer = end > i + 1 ? exam_doc_join(d, i + 1, end - 1) : strdup("");
            if (!dq.q.answer) {
                exam_question_free(&dq.q);
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            }
        }
        if (st == EXAM_OK) st = exam_doc_question_finish(d, &dq, i, end - 1, R_NO_ANSWER);
        if (st != EXAM_OK) {
            free(qlines);
            return st;
        }
        *found = 1;
    }
    if (qlines[0] > 0) {
        mark_noise(d, 0, qlines[0] - 1);
        exam_doc_skip(d, 0, qlines[0] - 1, R_PREAMBLE);
    }
    free(qlines);
    return EXAM_OK;
}

/* ---- what is left: answer-only blocks and scraped fragments ---- */

static int glued_question(const char *s) {
    for (const char *p = strchr(s, '?'); p; p = strchr(p + 1, '?'))
        if (isalnum((unsigned char)p[1]) || p[1] == '_' || p[1] == '@') return 1;
    return 0;
}

void exam_import_answer_only(exam_doc *d, int *found) {
    *found = 0;
    size_t i = 0;
    while (i < d->n_lines) {
        exam_doc_line *l = &d->lines[i];
        if (l->used || l->reason || l->blank) {
            i++;
            continue;
        }
        if (glued_question(l->s) && count_words(l->s) >= 8) {
            exam_doc_skip(d, i, i, R_GLUED);
            i++;
            continue;
        }
        /* a run of long prose lines with no question in them */
        size_t j = i;
        while (j < d->n_lines && !d->lines[j].used && !d->lines[j].reason && !d->lines[j].blank &&
               count_words(d->lines[j].s) >= 20 && !strchr(d->lines[j].s, '?'))
            j++;
        size_t run = j - i;
        if (run >= 5 && run % 5 == 0) {
            for (size_t b = i; b < j; b += 5) exam_doc_skip(d, b, b + 4, R_ANSWER_ONLY);
            *found = 1;
            i = j;
            continue;
        }
        if (run >= 3) {
            exam_doc_skip(d, i, j - 1, R_PROSE);
            i = j;
            continue;
        }
        i = j > i ? j : i + 1;
    }
}
