/* `examiner bank import`: every layout on small documents written here, then the shared seed
 * documents: every question of the three cleanly laid-out seeds is imported (counted by an
 * independent scan of the raw files), the others never crash and report what they skip. */
/* labels: unit */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bank.h"
#include "bank_import.h"
#include "mojibake.h"
#include "testlib.h"

static size_t import(const char *text, exam_bank *bank, exam_import_report *rep) {
    memset(bank, 0, sizeof *bank);
    exam_status st = exam_bank_import_text("doc.txt", text, strlen(text), bank, rep);
    CHECKF(st == EXAM_OK, "%s", exam_error_message());
    return rep->questions;
}

static int has_skip(const exam_import_report *rep, size_t first, size_t last, const char *why) {
    for (size_t i = 0; i < rep->n_skips; i++)
        if (rep->skips[i].first_line == first && rep->skips[i].last_line == last &&
            strstr(rep->skips[i].reason, why))
            return 1;
    return 0;
}

static void test_id_headed(void) {
    const char *doc = "Site header\n\n"
                      "PY-ADV-001 What is a closure in Python?\n"
                      "Python Core Python Advanced\n"
                      "7/10\n"
                      "Answer\n\n"
                      "A closure is a function that keeps the variables of its enclosing scope. It "
                      "remembers them after the outer function returns.\n\n"
                      "Deep Explanation\n\nCells hold the captured variables.\n\n"
                      "\xe2\x9a\xa0 Common Mistakes\n\nThinking closures copy values. Forgetting "
                      "nonlocal when assigning.\n\n"
                      "Follow-up Questions\nWhat is nonlocal? What is late binding??\n"
                      "ID: PY-ADV-001 \xc2\xb7 Difficulty: 7/10 \xc2\xb7 Level: Advanced\n"
                      "ML-MLO-002 How do you version models?\n"
                      "ML AI/ML Intermediate\n"
                      "Answer\n\nUse a registry that records each model with its data and code "
                      "versions.\n";
    exam_bank bank;
    exam_import_report rep;
    CHECK(import(doc, &bank, &rep) == 2);
    CHECK(strcmp(rep.layouts, "id-headed") == 0);
    const exam_question *q = exam_bank_find(&bank, "PY-ADV-001");
    CHECK(q != NULL);
    if (q) {
        CHECK(strcmp(q->question, "What is a closure in Python?") == 0);
        CHECK(q->key_points.count == 2);
        CHECK(q->common_mistakes.count == 2);
        CHECK(q->follow_ups.count == 2 &&
              strcmp(q->follow_ups.items[1], "What is late binding?") == 0);
        CHECK(q->difficulty == 7 && strcmp(q->level, "advanced") == 0);
        CHECK(strcmp(q->topic, "Python Core Python") == 0 || strcmp(q->topic, "Python Core") == 0);
        CHECK(strstr(q->explanation, "Cells hold") != NULL);
    }
    q = exam_bank_find(&bank, "ML-MLO-002");
    CHECK(q && q->common_mistakes.count == 0 && q->key_points.count == 1);
    CHECK(has_skip(&rep, 1, 1, "header"));
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
}

static void test_numbered(void) {
    const char *doc = "Great Interview Questions\n\nFind mentors at\nAcme\n\n"
                      "1. What is overfitting and how do you avoid it?\n\n"
                      "Overfitting is memorising noise. Use regularisation and more data.\n\n"
                      "  1. Nested list item that is not a question\n\n"
                      "Free trial, cancel anytime with every mentor.\n\nSome illustration\n\n"
                      "2. How do you validate a model?\n\nHold out data. Cross-validate.\n\n"
                      "3. Describe a project you shipped end to end.\n\nI framed the problem "
                      "first. Then I built a baseline.\n\n"
                      "Get coaching from experts\n\nBook a call today\n";
    exam_bank bank;
    exam_import_report rep;
    CHECK(import(doc, &bank, &rep) == 3);
    CHECK(strstr(rep.layouts, "numbered") != NULL);
    for (size_t i = 0; i < bank.count; i++) {
        CHECKF(strstr(bank.questions[i].answer, "mentor") == NULL, "%s", bank.questions[i].answer);
        CHECK(strstr(bank.questions[i].answer, "illustration") == NULL);
        CHECK(strstr(bank.questions[i].answer, "coaching") == NULL);
        CHECK(strcmp(bank.questions[i].topic, "Great") == 0);
    }
    if (bank.count == 3) {
        CHECK(strcmp(bank.questions[0].question, "What is overfitting and how do you avoid it?") ==
              0);
        CHECK(strstr(bank.questions[0].answer, "Nested list item") != NULL);
        CHECK(strstr(bank.questions[2].question, "Describe a project") ==
              bank.questions[2].question);
    }
    CHECK(has_skip(&rep, 1, 4, "header"));
    CHECK(has_skip(&rep, 12, 14, "advertising"));
    CHECK(has_skip(&rep, 24, 26, "advertising"));
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
}

static void test_labelled_and_tables(void) {
    const char *doc =
        "Prep Notes\n\nPart 1: Core Concepts (2 Questions)\n\n"
        "Q1: Bias vs variance?\n\nBias means underfitting. Variance means overfitting.\n\n"
        "Q2: What is dropout? Randomly zeroing activations during training.\n\n"
        "Problem 1: Clean Data\n\nHandle missing values. (20 min)\n\n"
        "\xe2\x80\x9cTell me about a failure.\xe2\x80\x9d Own it and say what you changed.\n\n"
        "| Question | Cue | Card |\n|---|---|---|\n"
        "| Why is NumPy fast? | contiguous arrays, no interpreter loop | Vectorization |\n"
        "| Empty cue |  | X |\n"
        "| Concept | What it is |\n|---|---|\n| Pod | unit of scheduling |\n";
    exam_bank bank;
    exam_import_report rep;
    CHECK(import(doc, &bank, &rep) == 4);
    CHECK(strstr(rep.layouts, "q-blocks") && strstr(rep.layouts, "question-table"));
    int seen = 0;
    for (size_t i = 0; i < bank.count; i++) {
        const exam_question *q = &bank.questions[i];
        if (strcmp(q->question, "Bias vs variance?") == 0) {
            seen++;
            CHECK(strcmp(q->topic, "Core Concepts") == 0 && q->key_points.count == 2);
        }
        if (strcmp(q->question, "What is dropout?") == 0) {
            seen++;
            CHECK(strcmp(q->answer, "Randomly zeroing activations during training.") == 0);
        }
        if (strcmp(q->question, "Tell me about a failure.") == 0) seen++;
        if (strcmp(q->question, "Why is NumPy fast?") == 0) {
            seen++;
            CHECK(strcmp(q->topic, "Vectorization") == 0);
        }
    }
    CHECK(seen == 4);
    CHECK(has_skip(&rep, 11, 13, "exercise"));
    CHECK(has_skip(&rep, 20, 20, "without an answer"));
    CHECK(has_skip(&rep, 21, 23, "not a question list"));
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
}

static void test_hostile(void) {
    exam_bank bank;
    exam_import_report rep;
    /* five answer-only lines, one block */
    char doc[4096] = "";
    for (int i = 0; i < 5; i++)
        strcat(doc, "This is a long line of model answer prose that has no question anywhere in it "
                    "and keeps going for a while.\n");
    CHECK(import(doc, &bank, &rep) == 0);
    CHECK(has_skip(&rep, 1, 5, "answer-only"));
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
    /* binary noise with NULs and invalid UTF-8: no crash, no questions */
    unsigned char noise[3000];
    unsigned s = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        s = s * 1103515245u + 12345u;
        noise[i] = (unsigned char)(s >> 16);
    }
    memset(&bank, 0, sizeof bank);
    CHECK(exam_bank_import_text("noise.bin", (const char *)noise, sizeof noise, &bank, &rep) ==
          EXAM_OK);
    CHECK(rep.decoded_cp1252 == 1);
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
    /* windows-1252 bytes (not UTF-8) are decoded */
    const char *cp = "Q1: What\x92s a tuple?\nAn immutable sequence \x96 hashable.\nQ2: And a "
                     "list?\nA mutable one.\n";
    CHECK(import(cp, &bank, &rep) == 2);
    CHECK(rep.decoded_cp1252 == 1);
    CHECK(bank.count == 2 && strcmp(bank.questions[0].question, "What\xe2\x80\x99s a tuple?") == 0);
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
    /* empty input */
    CHECK(import("", &bank, &rep) == 0);
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
}

/* A table of 100000 rows imports every row, each under its own id, in linear time (the id check
 * of exam_bank_add once scanned the whole bank per row: 77 s for this table). */
static void test_large_table(void) {
    enum { ROWS = 100000 };
    size_t cap = (size_t)ROWS * 80 + 64, n = 0;
    char *doc = malloc(cap);
    CHECK(doc != NULL);
    if (!doc) return;
    n += (size_t)snprintf(doc + n, cap - n, "| Question | Cue | Card |\n|---|---|---|\n");
    for (int i = 0; i < ROWS; i++)
        n += (size_t)snprintf(doc + n, cap - n, "| Why is case %d fast? | arrays %d | Topic |\n", i,
                              i);
    exam_bank bank;
    exam_import_report rep;
    double t0 = exam_test_now();
    memset(&bank, 0, sizeof bank);
    exam_status st = exam_bank_import_text("big.md", doc, n, &bank, &rep);
    double secs = exam_test_now() - t0;
    CHECKF(st == EXAM_OK, "%s", exam_error_message());
    CHECKF(rep.questions == ROWS && bank.count == ROWS, "%zu questions, %zu in the bank",
           rep.questions, bank.count);
    size_t found = 0;
    for (size_t i = 0; i < bank.count; i++)
        found += exam_bank_find(&bank, bank.questions[i].id) == &bank.questions[i];
    CHECKF(found == bank.count, "%zu of %zu ids find their own question", found, bank.count);
    CHECKF(secs < 30.0, "import of %d rows took %.1f s", ROWS, secs); /* backstop only */
    printf("import of %d table rows: %.2f s\n", ROWS, secs);
    exam_import_report_free(&rep);
    exam_bank_free(&bank);
    free(doc);
}

/* ---- the shared seeds ---- */

static const exam_question *find_question(const exam_bank *b, const char *text, size_t n) {
    for (size_t i = 0; i < b->count; i++)
        if (strlen(b->questions[i].question) == n &&
            strncmp(b->questions[i].question, text, n) == 0)
            return &b->questions[i];
    return NULL;
}

/* Imports one seed file; returns its questions in `bank`. */
static int import_seed(const char *dir, const char *name, exam_bank *bank,
                       exam_import_report *rep) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    memset(bank, 0, sizeof *bank);
    exam_status st = exam_bank_import_file(path, bank, rep);
    CHECKF(st == EXAM_OK, "%s: %s", name, exam_error_message());
    return st == EXAM_OK;
}

static void test_seeds(const char *dir) {
    exam_bank bank;
    exam_import_report rep;
    char path[512];

    /* 001: ID-headed; every "XX-YYY-NNN question" line is a question */
    if (import_seed(dir, "001_be189eef77056074.txt", &bank, &rep)) {
        snprintf(path, sizeof path, "%s/001_be189eef77056074.txt", dir);
        char *raw = exam_test_read_file(path, NULL);
        size_t expected = 0, found = 0;
        for (char *line = raw ? strtok(raw, "\n") : NULL; line; line = strtok(NULL, "\n")) {
            char *sp = strchr(line, ' ');
            if (!sp || sp - line < 8 || sp - line > 12 || !isupper((unsigned char)line[0]))
                continue;
            int dashes = 0;
            for (char *c = line; c < sp; c++) dashes += *c == '-';
            if (dashes != 2 || !isdigit((unsigned char)sp[-1])) continue;
            expected++;
            char id[16];
            snprintf(id, sizeof id, "%.*s", (int)(sp - line), line);
            const exam_question *q = exam_bank_find(&bank, id);
            if (q && strcmp(q->question, sp + 1) == 0 && q->common_mistakes.count > 0 &&
                q->follow_ups.count > 0 && q->difficulty > 0)
                found++;
        }
        CHECKF(expected >= 9 && found == expected && bank.count == expected,
               "001: %zu of %zu (bank %zu)", found, expected, bank.count);
        free(raw);
        exam_import_report_free(&rep);
        exam_bank_free(&bank);
    }

    /* 003: "Qn: ...?" questions, double-encoded; every Q line is imported and repaired */
    if (import_seed(dir, "003_0e7c44c96d4411e4.txt", &bank, &rep)) {
        CHECK(rep.mojibake.codepage != NULL && rep.mojibake.repaired > 50);
        snprintf(path, sizeof path, "%s/003_0e7c44c96d4411e4.txt", dir);
        size_t raw_len = 0;
        char *mangled = exam_test_read_file(path, &raw_len), *raw = NULL;
        exam_mojibake_report mr;
        CHECK(mangled && exam_mojibake_repair(mangled, raw_len, &raw, NULL, &mr) == EXAM_OK);
        free(mangled);
        size_t expected = 0, found = 0;
        for (char *line = raw ? strtok(raw, "\n") : NULL; line; line = strtok(NULL, "\n")) {
            if (line[0] != 'Q' || !isdigit((unsigned char)line[1])) continue;
            expected++;
            char *colon = strchr(line, ':');
            char *qm = colon ? strchr(colon, '?') : NULL;
            if (qm && find_question(&bank, colon + 2, (size_t)(qm + 1 - (colon + 2)))) found++;
        }
        CHECKF(expected == 20 && found == expected, "003: %zu of %zu", found, expected);
        for (size_t i = 0; i < bank.count; i++) {
            const exam_question *q = &bank.questions[i];
            CHECKF(!strstr(q->question, "\xce\x92\xce\x86") &&
                       !strstr(q->answer, "\xce\xb2\xe2\x82\xac"),
                   "mojibake left in %s", q->id);
            CHECK(!strstr(q->question, "\xc2\xb6"));
        }
        free(raw);
        exam_import_report_free(&rep);
        exam_bank_free(&bank);
    }

    /* 004: numbered questions with advertising between them */
    if (import_seed(dir, "004_2e81cf07c1a4fdd4.txt", &bank, &rep)) {
        snprintf(path, sizeof path, "%s/004_2e81cf07c1a4fdd4.txt", dir);
        char *raw = exam_test_read_file(path, NULL);
        size_t expected = 0, found = 0;
        for (char *line = raw ? strtok(raw, "\n") : NULL; line; line = strtok(NULL, "\n")) {
            char *e;
            long n = strtol(line, &e, 10);
            if (!isdigit((unsigned char)line[0]) || n <= 0 || e[0] != '.' || e[1] != ' ') continue;
            expected++;
            if (find_question(&bank, e + 2, strlen(e + 2))) found++;
        }
        CHECKF(expected == 40 && found == expected && bank.count == 40, "004: %zu of %zu", found,
               expected);
        for (size_t i = 0; i < bank.count; i++) {
            const char *a = bank.questions[i].answer;
            CHECKF(!strstr(a, "mentor") && !strstr(a, "free trial") && !strstr(a, "Free trial"),
                   "advertising left in %s", bank.questions[i].id);
        }
        CHECK(rep.n_skips >= 3);
        free(raw);
        exam_import_report_free(&rep);
        exam_bank_free(&bank);
    }

    /* 000: answer-only blocks: nothing to import, each block reported */
    if (import_seed(dir, "000_f6f9371541cff69b.txt", &bank, &rep)) {
        size_t blocks = 0;
        for (size_t i = 0; i < rep.n_skips; i++)
            if (strstr(rep.skips[i].reason, "answer-only")) blocks++;
        CHECKF(bank.count == 0 && blocks >= 4, "000: %zu questions, %zu blocks", bank.count,
               blocks);
        exam_import_report_free(&rep);
        exam_bank_free(&bank);
    }

    /* 002: the long scraped page: its question tables import, the rest is reported */
    if (import_seed(dir, "002_f5c000c5e3290bfa.txt", &bank, &rep)) {
        CHECKF(bank.count >= 50, "002: %zu questions", bank.count);
        CHECK(rep.n_skips > 100);
        int ok_lines = 1;
        for (size_t i = 0; i < rep.n_skips; i++)
            ok_lines &= rep.skips[i].first_line >= 1 && rep.skips[i].last_line <= rep.lines &&
                        rep.skips[i].first_line <= rep.skips[i].last_line;
        CHECK(ok_lines);
        exam_import_report_free(&rep);
        exam_bank_free(&bank);
    }
}

int main(void) {
    test_id_headed();
    test_numbered();
    test_labelled_and_tables();
    test_hostile();
    test_large_table();
    const char *dir = getenv("EXAMINER_SEEDS") ? getenv("EXAMINER_SEEDS") : "../shared/seeds";
    struct stat sb;
    if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
        test_seeds(dir);
    else
        printf("SKIP seeds: %s not found\n", dir);
    return exam_test_finish();
}
