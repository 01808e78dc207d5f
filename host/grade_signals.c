/* Text-only answer signals: empty and non-answers, injection, keyword stuffing, copying. */
#include "grade_signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const function_words[] = {
    "a",       "about",   "above",   "after",   "again",   "against", "all",     "also",
    "am",      "an",      "and",     "any",     "are",     "as",      "at",      "be",
    "because", "been",    "before",  "being",   "below",   "between", "both",    "but",
    "by",      "can",     "cannot",  "could",   "did",     "do",      "does",    "doing",
    "don't",   "down",    "during",  "each",    "either",  "else",    "even",    "ever",
    "every",   "few",     "for",     "from",    "further", "had",     "has",     "have",
    "having",  "he",      "her",     "here",    "hers",    "him",     "his",     "how",
    "however", "i",       "if",      "in",      "into",    "is",      "isn't",   "it",
    "it's",    "its",     "itself",  "just",    "less",    "like",    "many",    "may",
    "me",      "might",   "more",    "most",    "much",    "must",    "my",      "neither",
    "no",      "nor",     "not",     "now",     "of",      "off",     "often",   "on",
    "once",    "one",     "only",    "or",      "other",   "our",     "out",     "over",
    "own",     "per",     "rather",  "same",    "shall",   "she",     "should",  "so",
    "some",    "such",    "than",    "that",    "the",     "their",   "them",    "then",
    "there",   "these",   "they",    "this",    "those",   "though",  "through", "thus",
    "to",      "too",     "under",   "until",   "up",      "upon",    "us",      "usually",
    "very",    "via",     "was",     "we",      "well",    "were",    "what",    "when",
    "where",   "whether", "which",   "while",   "who",     "whom",    "whose",   "why",
    "will",    "with",    "within",  "without", "would",   "yet",     "you",     "your",
    "you're",  "we're",   "they're", "i'm",     "i'd",     "i'll",    "can't",   "doesn't",
    "won't",   "let",     "lets",    "get",     "gets",    "got",     "make",    "makes",
    "made",    "use",     "used",    "uses",    "using",   "way",     "instead", "there's",
    "that's",  "what's"};

int exam_is_function_word(const char *w, size_t n) {
    for (size_t i = 0; i < sizeof function_words / sizeof function_words[0]; i++)
        if (strlen(function_words[i]) == n && memcmp(function_words[i], w, n) == 0) return 1;
    return 0;
}

int exam_text_has_negation(const char *text, size_t len) {
    static const char *const neg[] = {"not",     "no",  "never",  "none",   "nothing",
                                      "neither", "nor", "cannot", "nobody", "nowhere"};
    char *folded;
    if (exam_text_fold(text, len, &folded) != EXAM_OK) return 0;
    exam_spans words = {0};
    int found = 0;
    if (exam_split_words(folded, strlen(folded), &words) == EXAM_OK) {
        for (size_t i = 0; !found && i < words.count; i++) {
            const char *w = folded + words.items[i].start;
            size_t n = words.items[i].end - words.items[i].start;
            if (n > 3 && (memcmp(w + n - 3, "n't", 3) == 0 ||
                          (n > 5 && memcmp(w + n - 5, "n\xE2\x80\x99t", 5) == 0)))
                found = 1;
            for (size_t k = 0; !found && k < COUNT(neg); k++)
                if (strlen(neg[k]) == n && memcmp(neg[k], w, n) == 0) found = 1;
        }
    }
    exam_spans_free(&words);
    free(folded);
    return found;
}

void exam_text_signals_free(exam_text_signals *s) {
    exam_spans_free(&s->injection);
    memset(s, 0, sizeof *s);
}

static int contains_any(const char *hay, const char *const *needles, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strstr(hay, needles[i])) return 1;
    return 0;
}

/* Does verb occur in s as an instruction: at the start of the sentence (after an optional
 * "please", "now", "just", "so", "and" or "then") or after "you", "please", "must",
 * "should", "to"; and followed within a few words by a determiner aimed at the grader's
 * material ("the", "your", "all", "any", "previous", "prior", "above", "these", "those")? */
static int imperative(const char *s, const char *verb) {
    static const char *const lead[] = {"please ", "now ", "just ", "so ", "and ", "then ", "also "};
    static const char *const before[] = {"you ", "please ", "must ", "should ", "to ", "now "};
    static const char *const dets[] = {" the ",   " your ",  " all ",   " any ",   " previous ",
                                       " prior ", " above ", " these ", " those ", " every "};
    size_t vn = strlen(verb);
    for (const char *p = strstr(s, verb); p; p = strstr(p + 1, verb)) {
        if (p[vn] != ' ' || (p > s && p[-1] != ' ')) continue;
        const char *q = s;
        while (*q == ' ' || *q == '"' || *q == '(' || *q == '-') q++;
        for (int k = 0; k < 4; k++)
            for (size_t i = 0; i < COUNT(lead); i++)
                if (strncmp(q, lead[i], strlen(lead[i])) == 0) q += strlen(lead[i]);
        int ok = q == p;
        for (size_t i = 0; !ok && i < COUNT(before); i++) {
            size_t bn = strlen(before[i]);
            if ((size_t)(p - s) >= bn && strncmp(p - bn, before[i], bn) == 0) ok = 1;
        }
        if (!ok) continue;
        char window[64];
        snprintf(window, sizeof window, "%.60s", p + vn);
        for (size_t i = 0; i < COUNT(dets); i++)
            if (strstr(window, dets[i]) || strncmp(window, dets[i] + 1, strlen(dets[i]) - 1) == 0)
                return 1;
    }
    return 0;
}

/* Is the case-folded sentence s an instruction aimed at the grader? */
static int is_injection(const char *s) {
    static const char *const ignore_verbs[] = {"ignore", "disregard", "forget", "override",
                                               "bypass", "overrule",  "skip"};
    static const char *const ignore_objects[] = {
        "instruction", "rubric", "rules",    "reference", "scoring", "guideline",
        "key point",   "prompt", "criteria", "grading",   "marking", "everything"};
    static const char *const score_verbs[] = {"give", "award", "assign", "output", "rate",
                                              "mark", "grade", "score",  "return", "deserve"};
    static const char *const score_targets[] = {
        "10/10",         "10 out of 10", "ten out of ten", "full marks",    "full score",
        "maximum score", "max score",    "maximum marks",  "perfect score", "top marks",
        "highest score", "score of 10",  "score=10",       "score = 10",    "score: 10",
        "grade of 10",   "a 10",         "a ten",          "give 10",       "give it 10",
        "give me 10",    "give this 10", " as perfect",    "as excellent",  "the maximum",
        "100 points",    "full points"};
    static const char *const grader_words[] = {"answer", "response", "candidate", "this",  " me ",
                                               "me a",   "me the",   "score",     "marks", "mark",
                                               "grade",  "rating",   " it"};
    static const char *const hijack[] = {"you are now",     "system:",
                                         "system note",     "system prompt:",
                                         "new instruction", "as the grader",
                                         "to the grader",   "dear grader",
                                         "note to grader",  "grader:",
                                         "</answer>",       "</response>",
                                         "</candidate",     "<system>",
                                         "</system",        "[inst]",
                                         "[/inst]",         "<|",
                                         "### instruction", "evaluation override",
                                         "override mode",   "reveal the rubric",
                                         "assistant:",      "developer mode"};
    if (contains_any(s, hijack, COUNT(hijack))) return 1;
    for (size_t i = 0; i < COUNT(ignore_verbs); i++)
        if (imperative(s, ignore_verbs[i]) &&
            contains_any(s, ignore_objects, COUNT(ignore_objects)))
            return 1;
    if (contains_any(s, score_verbs, COUNT(score_verbs)) &&
        contains_any(s, score_targets, COUNT(score_targets)) &&
        contains_any(s, grader_words, COUNT(grader_words)))
        return 1;
    return 0;
}

static int is_non_answer(const char *folded) {
    static const char *const phrases[] = {"i don't know",
                                          "i do not know",
                                          "i dont know",
                                          "don't know",
                                          "dont know",
                                          "no idea",
                                          "not sure",
                                          "pass",
                                          "skip",
                                          "n/a",
                                          "na",
                                          "none",
                                          "no answer",
                                          "idk",
                                          "?",
                                          "-",
                                          "i have no idea",
                                          "i'm not sure",
                                          "i am not sure",
                                          "no clue",
                                          "nothing"};
    size_t n = strlen(folded);
    /* trim spaces and end punctuation */
    size_t a = 0, b = n;
    while (a < b && strchr(" \t\n\r.!", folded[a])) a++;
    while (b > a && strchr(" \t\n\r.!", folded[b - 1])) b--;
    for (size_t i = 0; i < COUNT(phrases); i++)
        if (strlen(phrases[i]) == b - a && memcmp(folded + a, phrases[i], b - a) == 0) return 1;
    return 0;
}

/* Content words (not function words) of folded text, as spans. */
static exam_status content_words(const char *text, exam_spans *out) {
    exam_spans words = {0};
    exam_status st = exam_split_words(text, strlen(text), &words);
    for (size_t i = 0; st == EXAM_OK && i < words.count; i++) {
        const char *w = text + words.items[i].start;
        size_t n = words.items[i].end - words.items[i].start;
        if (!exam_is_function_word(w, n))
            st = exam_spans_push(out, words.items[i].start, words.items[i].end);
    }
    exam_spans_free(&words);
    return st;
}

/* Crude stemming for overlap: drops a plural or verb suffix so "threads" meets "thread". */
static size_t stem_len(const char *w, size_t n) {
    if (n > 5 && memcmp(w + n - 3, "ing", 3) == 0) return n - 3;
    if (n > 4 && memcmp(w + n - 2, "ed", 2) == 0) return n - 2;
    if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's') return n - 1;
    return n;
}

/* A word (or its stem) of folded text, for sorting and looking up without quadratic scans. */
typedef struct word_ref {
    const char *p;
    size_t n;
} word_ref;

static int word_ref_cmp(const void *a, const void *b) {
    const word_ref *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    return memcmp(x->p, y->p, x->n);
}

/* The stems of the spans' words of text, sorted; NULL when out of memory. */
static word_ref *sorted_stems(const char *text, const exam_spans *words, size_t *count) {
    *count = 0;
    word_ref *refs = malloc((words->count + 1) * sizeof *refs);
    if (!refs) return NULL;
    for (size_t i = 0; i < words->count; i++) {
        const char *w = text + words->items[i].start;
        size_t n = words->items[i].end - words->items[i].start;
        refs[i] = (word_ref){w, stem_len(w, n)};
    }
    qsort(refs, words->count, sizeof *refs, word_ref_cmp);
    *count = words->count;
    return refs;
}

/* Does the stem of w[0..n) equal the stem of one of the sorted question stems? */
static int word_in(const char *w, size_t n, const word_ref *stems, size_t count) {
    word_ref key = {w, stem_len(w, n)};
    return count && bsearch(&key, stems, count, sizeof *stems, word_ref_cmp) != NULL;
}

/* How often the most repeated non-function word of folded text occurs. */
static exam_status top_repeat(const char *folded, const exam_spans *words, size_t *top) {
    *top = 0;
    word_ref *refs = malloc((words->count + 1) * sizeof *refs);
    if (!refs) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < words->count; i++) {
        const char *w = folded + words->items[i].start;
        size_t n = words->items[i].end - words->items[i].start;
        if (!exam_is_function_word(w, n)) refs[k++] = (word_ref){w, n};
    }
    qsort(refs, k, sizeof *refs, word_ref_cmp);
    for (size_t i = 0; i < k;) {
        size_t j = i + 1;
        while (j < k && word_ref_cmp(&refs[i], &refs[j]) == 0) j++;
        if (j - i > *top) *top = j - i;
        i = j;
    }
    free(refs);
    return EXAM_OK;
}

exam_status exam_text_signals_strip(const exam_text_signals *s, const char *answer, size_t len,
                                    char **out, size_t *out_len) {
    char *buf = malloc(len + 1);
    if (!buf) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    size_t k = 0, pos = 0;
    for (size_t i = 0; i <= s->injection.count; i++) {
        size_t end = i < s->injection.count ? s->injection.items[i].start : len;
        if (end > pos) {
            memcpy(buf + k, answer + pos, end - pos);
            k += end - pos;
        }
        if (i < s->injection.count) {
            pos = s->injection.items[i].end;
            if (k > 0 && buf[k - 1] != ' ' && buf[k - 1] != '\n') buf[k++] = ' ';
            while (k > 0 && pos < len && (answer[pos] == ' ' || answer[pos] == '\t')) pos++;
        }
    }
    buf[k] = '\0';
    *out = buf;
    if (out_len) *out_len = k;
    return EXAM_OK;
}

exam_status exam_text_signals_compute(const char *answer, size_t len, const char *question,
                                      exam_text_signals *out) {
    memset(out, 0, sizeof *out);
    exam_status st = EXAM_OK;
    char *folded = NULL, *kept = NULL, *qfold = NULL;
    word_ref *qstems = NULL;
    exam_spans sentences = {0}, words = {0}, cw = {0}, qw = {0};
    out->empty = exam_text_is_blank(answer, len);
    if (out->empty) return EXAM_OK;
    out->words = exam_text_count_words(answer, len);
    if ((st = exam_text_fold(answer, len, &folded)) != EXAM_OK) goto done;
    out->non_answer = is_non_answer(folded);

    /* injection sentences, found on the folded text of each sentence */
    if ((st = exam_split_sentences(answer, len, &sentences)) != EXAM_OK) goto done;
    for (size_t i = 0; i < sentences.count; i++) {
        char *fs;
        exam_span sp = sentences.items[i];
        if ((st = exam_text_fold(answer + sp.start, sp.end - sp.start, &fs)) != EXAM_OK) goto done;
        int inj = is_injection(fs);
        free(fs);
        if (inj && (st = exam_spans_push(&out->injection, sp.start, sp.end)) != EXAM_OK) goto done;
    }
    size_t kept_len;
    if ((st = exam_text_signals_strip(out, answer, len, &kept, &kept_len)) != EXAM_OK) goto done;
    free(folded);
    folded = NULL;
    if ((st = exam_text_fold(kept, kept_len, &folded)) != EXAM_OK) goto done;

    /* function-word share and repetition of the kept text */
    if ((st = exam_split_words(folded, strlen(folded), &words)) != EXAM_OK) goto done;
    out->kept_words = words.count;
    size_t fn = 0, top = 0;
    for (size_t i = 0; i < words.count; i++)
        fn += exam_is_function_word(folded + words.items[i].start,
                                    words.items[i].end - words.items[i].start);
    if ((st = top_repeat(folded, &words, &top)) != EXAM_OK) goto done;
    out->function_ratio = words.count ? (double)fn / (double)words.count : 0.0;
    if (words.count >= 6) {
        double s = (0.25 - out->function_ratio) / 0.25;
        double rep = (double)top / (double)words.count;
        if (rep > 0.25) s += (rep - 0.25) * 2.0;
        out->stuffing = s < 0 ? 0 : s > 1 ? 1 : s;
    }

    /* overlap with the question's content words */
    if (question && *question) {
        if ((st = exam_text_fold(question, strlen(question), &qfold)) != EXAM_OK) goto done;
        if ((st = content_words(qfold, &qw)) != EXAM_OK) goto done;
    }
    if ((st = content_words(folded, &cw)) != EXAM_OK) goto done;
    size_t nstems = 0;
    if (qw.count && !(qstems = sorted_stems(qfold, &qw, &nstems))) {
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t shared = 0;
    for (size_t i = 0; i < cw.count; i++) {
        const char *w = folded + cw.items[i].start;
        size_t n = cw.items[i].end - cw.items[i].start;
        if (word_in(w, n, qstems, nstems))
            shared++;
        else
            out->novel_words++;
    }
    out->copy_ratio = cw.count ? (double)shared / (double)cw.count : 0.0;
done:
    free(folded);
    free(kept);
    free(qfold);
    free(qstems);
    exam_spans_free(&sentences);
    exam_spans_free(&words);
    exam_spans_free(&cw);
    exam_spans_free(&qw);
    if (st != EXAM_OK) exam_text_signals_free(out);
    return st;
}
