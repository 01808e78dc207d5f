/* The question bank: the shipped bank loads and is complete, JSON round-trips, bad lines are
 * rejected with their line number, lint finds problems, sentence splitting and mojibake repair
 * behave. */
/* labels: unit */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bank.h"
#include "bank_lint.h"
#include "mojibake.h"
#include "testlib.h"
#include "text_split.h"

static const char *write_tmp(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/exam-test-bank-%d-%s",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_shipped_bank(void) {
    exam_bank bank;
    exam_status st = exam_bank_load("data/bank", &bank);
    CHECKF(st == EXAM_OK, "%s", exam_error_message());
    if (st != EXAM_OK) return;
    CHECKF(bank.count >= 30, "%zu questions", bank.count);
    const char *topics[] = {"python", "ml", "llm-rag", "mlops", "system-design"};
    int seen[5] = {0};
    for (size_t i = 0; i < bank.count; i++) {
        const exam_question *q = &bank.questions[i];
        CHECKF(q->key_points.count >= 3, "%s: %zu key points", q->id, q->key_points.count);
        CHECKF(q->common_mistakes.count >= 2, "%s: %zu mistakes", q->id, q->common_mistakes.count);
        CHECKF(q->follow_ups.count >= 1, "%s: no follow-ups", q->id);
        CHECKF(q->difficulty >= 1 && q->difficulty <= 10, "%s: difficulty %d", q->id,
               q->difficulty);
        CHECKF(q->level[0] != '\0', "%s: no level", q->id);
        for (int t = 0; t < 5; t++)
            if (strcmp(q->topic, topics[t]) == 0) seen[t]++;
        CHECK(exam_bank_find(&bank, q->id) == q);
    }
    for (int t = 0; t < 5; t++)
        CHECKF(seen[t] >= 5, "topic %s has %d questions", topics[t], seen[t]);
    CHECK(strlen(bank.version) == 16);
    CHECK(exam_bank_find(&bank, "no-such-question") == NULL);

    /* write and load again: the same questions */
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    CHECK(exam_bank_write(&bank, mem) == EXAM_OK);
    fclose(mem);
    const char *path = write_tmp("roundtrip.jsonl", buf);
    exam_bank again;
    CHECK(path && exam_bank_load(path, &again) == EXAM_OK);
    CHECK(again.count == bank.count);
    for (size_t i = 0; i < bank.count && i < again.count; i++) {
        CHECK(strcmp(bank.questions[i].answer, again.questions[i].answer) == 0);
        CHECK(again.questions[i].key_points.count == bank.questions[i].key_points.count);
        CHECK(again.questions[i].common_mistakes.count == bank.questions[i].common_mistakes.count);
    }
    exam_bank_free(&again);
    if (path) remove(path);
    free(buf);

    /* the shipped bank lints without errors */
    exam_lint_counts c;
    FILE *sink = fopen("/dev/null", "w");
    CHECK(exam_bank_lint("data/bank", sink, &c) == EXAM_OK);
    CHECKF(c.errors == 0 && c.questions == bank.count, "errors %zu questions %zu", c.errors,
           c.questions);
    fclose(sink);
    exam_bank_free(&bank);
}

static void expect_load_error(const char *name, const char *text, exam_status want,
                              const char *needle) {
    const char *path = write_tmp(name, text);
    exam_bank bank;
    exam_status st = exam_bank_load(path, &bank);
    CHECKF(st == want, "%s: got %s (%s)", name, exam_status_name(st), exam_error_message());
    CHECKF(strstr(exam_error_message(), needle) != NULL, "%s: message '%s' lacks '%s'", name,
           exam_error_message(), needle);
    CHECK(bank.count == 0 && bank.questions == NULL);
    remove(path);
}

static void test_bad_banks(void) {
    const char *good = "{\"id\":\"a\",\"question\":\"Why?\",\"answer\":\"Because it is so. And "
                       "there is more.\"}\n";
    char text[1024];
    snprintf(text, sizeof text, "%s{\"id\":\"b\",\"question\":\"Why?\"\n", good);
    expect_load_error("malformed.jsonl", text, EXAM_ERR_FORMAT, ":2:");
    snprintf(text, sizeof text, "%s%s", good, good);
    expect_load_error("dup.jsonl", text, EXAM_ERR_FORMAT, "duplicate");
    expect_load_error("noanswer.jsonl", "{\"id\":\"a\",\"question\":\"Why?\"}\n", EXAM_ERR_FORMAT,
                      "answer");
    expect_load_error("blank.jsonl", "{\"id\":\"a\",\"question\":\"Why?\",\"answer\":\"  \"}\n",
                      EXAM_ERR_FORMAT, "empty");
    expect_load_error(
        "type.jsonl",
        "{\"id\":\"a\",\"question\":\"Why?\",\"answer\":\"x y\",\"key_points\":\"x\"}\n",
        EXAM_ERR_FORMAT, "key_points");
    expect_load_error("difficulty.jsonl",
                      "{\"id\":\"a\",\"question\":\"Why?\",\"answer\":\"x y\",\"difficulty\":11}\n",
                      EXAM_ERR_FORMAT, "difficulty");
    expect_load_error("utf8.jsonl", "{\"id\":\"a\",\"question\":\"Why\xff?\",\"answer\":\"x\"}\n",
                      EXAM_ERR_UTF8, ":1:");
    expect_load_error("empty.jsonl", "\n# only a comment\n", EXAM_ERR_FORMAT, "no questions");
    exam_bank bank;
    CHECK(exam_bank_load("/nonexistent/bank.jsonl", &bank) == EXAM_ERR_IO);

    /* key points are derived from the answer when absent */
    const char *path = write_tmp("derive.jsonl", good);
    CHECK(exam_bank_load(path, &bank) == EXAM_OK);
    CHECK(bank.count == 1 && bank.questions[0].key_points.count == 2);
    exam_bank_free(&bank);
    remove(path);

    /* lint reports every bad line, not just the first */
    snprintf(text, sizeof text,
             "%s{oops\n%s{\"id\":\"c\",\"question\":\"q\",\"answer\":\"short\"}\n", good, good);
    path = write_tmp("lint.jsonl", text);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    exam_lint_counts c;
    CHECK(exam_bank_lint(path, mem, &c) == EXAM_OK);
    fclose(mem);
    CHECKF(c.errors == 2, "lint errors %zu:\n%s", c.errors, buf);
    CHECKF(c.questions == 3, "lint questions %zu", c.questions);
    CHECK(c.warnings > 0);
    CHECK(strstr(buf, ":2: error: malformed JSON") != NULL);
    CHECK(strstr(buf, ":3: error: duplicate") != NULL);
    free(buf);
    remove(path);
}

/* A bank path, or a bank file in a folder, that is a FIFO is refused at once, not read (a read
 * would wait for a writer forever); the alarm turns a hang into a failure. */
static void test_fifo_refused(void) {
    char dir[] = "/tmp/exam-test-fifo-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char fifo[512], sub[512], in_sub[600];
    snprintf(fifo, sizeof fifo, "%s/bank.jsonl", dir);
    snprintf(sub, sizeof sub, "%s/folder", dir);
    snprintf(in_sub, sizeof in_sub, "%s/a.jsonl", sub);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(mkdir(sub, 0700) == 0 && mkfifo(in_sub, 0600) == 0);
    alarm(20);
    exam_bank bank;
    exam_status st = exam_bank_load(fifo, &bank);
    CHECKF(st == EXAM_ERR_IO && strstr(exam_error_message(), "not a regular file"), "%s: %s",
           exam_status_name(st), exam_error_message());
    st = exam_bank_load(sub, &bank);
    CHECKF(st == EXAM_ERR_IO && strstr(exam_error_message(), "a.jsonl"), "%s: %s",
           exam_status_name(st), exam_error_message());
    char *text = NULL;
    size_t len = 0;
    st = exam_bank_read_file(fifo, &text, &len);
    CHECKF(st == EXAM_ERR_IO && text == NULL, "%s", exam_error_message());
    exam_lint_counts c;
    FILE *devnull = fopen("/dev/null", "w");
    CHECK(exam_bank_lint(fifo, devnull, &c) == EXAM_ERR_IO);
    fclose(devnull);
    alarm(0);
    remove(in_sub);
    rmdir(sub);
    remove(fifo);
    rmdir(dir);
}

static int sentence_count(const char *text, const char *first, const char *last) {
    exam_spans s = {0};
    exam_split_sentences(text, strlen(text), &s);
    int ok = 1;
    if (first && s.count)
        ok &= strncmp(text + s.items[0].start, first, strlen(first)) == 0 &&
              s.items[0].end - s.items[0].start == strlen(first);
    if (last && s.count) {
        exam_span l = s.items[s.count - 1];
        ok &= l.end - l.start == strlen(last) && strncmp(text + l.start, last, strlen(last)) == 0;
    }
    int n = ok ? (int)s.count : -1;
    exam_spans_free(&s);
    return n;
}

/* Ids that collide get "-2", "-3", ... in order, also past ids that already hold a suffix, and
 * adding many of one id stays linear (each add once scanned the bank for every suffix tried). */
static void test_duplicate_ids(void) {
    enum { N = 4000 };
    exam_bank bank = {0};
    double t0 = exam_test_now();
    exam_status st = EXAM_OK;
    for (int i = 0; i < N && st == EXAM_OK; i++) {
        exam_question q = {0};
        q.id = strdup(i == 1 ? "dup-3" : "dup");
        q.question = strdup("q");
        q.answer = strdup("a");
        st = exam_bank_add(&bank, &q);
    }
    double secs = exam_test_now() - t0;
    CHECKF(st == EXAM_OK && bank.count == N, "%s", exam_error_message());
    if (bank.count == N) {
        CHECK(strcmp(bank.questions[0].id, "dup") == 0);
        CHECK(strcmp(bank.questions[1].id, "dup-3") == 0);
        CHECK(strcmp(bank.questions[2].id, "dup-2") == 0);
        CHECK(strcmp(bank.questions[3].id, "dup-4") == 0);
        CHECK(strcmp(bank.questions[N - 1].id, "dup-4000") == 0);
    }
    size_t found = 0;
    for (size_t i = 0; i < bank.count; i++)
        found += exam_bank_find(&bank, bank.questions[i].id) == &bank.questions[i];
    CHECKF(found == bank.count, "%zu of %zu ids find their own question", found, bank.count);
    CHECK(exam_bank_find(&bank, "dup-4001") == NULL);
    CHECKF(secs < 20.0, "%d adds of one id took %.1f s", N, secs); /* backstop only */
    exam_bank_free(&bank);
}

static void test_sentences(void) {
    CHECK(sentence_count("One. Two! Three?", "One.", "Three?") == 3);
    CHECK(sentence_count("Use e.g. a list, i.e. a sequence. Then stop.", NULL, "Then stop.") == 2);
    CHECK(sentence_count("The value is 0.5 here. Dr. Smith agrees.", NULL, "Dr. Smith agrees.") ==
          2);
    CHECK(sentence_count("lower case. after a stop stays", NULL, NULL) == 1);
    CHECK(sentence_count("Points:\n- first point\n- second point", "Points:", "second point") == 3);
    CHECK(sentence_count("  1. Collect data. 2. Train it.", "Collect data.", "Train it.") == 2);
    CHECK(sentence_count("", NULL, NULL) == 0);
    CHECK(sentence_count(" ... !!! ", NULL, NULL) == 0);
    CHECK(sentence_count("He said \"stop.\" Then left.", "He said \"stop.\"", "Then left.") == 2);
    CHECK(sentence_count("Bad \xff bytes. Still split.", NULL, "Still split.") == 2);
    CHECK(exam_text_count_words("don't use k-fold max_depth 0.5", 31) == 5);
}

static void test_mojibake(void) {
    char *out;
    size_t n;
    exam_mojibake_report rep;
    /* windows-1252 double encoding */
    const char *cp1252 = "It\xc3\xa2\xe2\x82\xac\xe2\x84\xa2s a caf\xc3\x83\xc2\xa9 "
                         "\xc3\xa2\xe2\x82\xac\xe2\x80\x9d yes";
    CHECK(exam_mojibake_repair(cp1252, strlen(cp1252), &out, &n, &rep) == EXAM_OK);
    CHECKF(strcmp(out, "It\xe2\x80\x99s a caf\xc3\xa9 \xe2\x80\x94 yes") == 0, "%s", out);
    CHECK(rep.codepage && strcmp(rep.codepage, "windows-1252") == 0 && rep.repaired == 3);
    free(out);
    /* Greek-page double encoding as in the seeds: "ΒΆ" for ¶ and "β€”" for — */
    const char *greek = "Heading\xce\x92\xce\x86 a \xce\xb2\xe2\x82\xac\xe2\x80\x9d b "
                        "\xce\xb2\xe2\x80\xa0\xe2\x80\x99 c "
                        "\xce\xb2\xe2\x82\xac\xc5\x93q\xce\xb2\xe2\x82\xac\xef\xbf\xbd";
    CHECK(exam_mojibake_repair(greek, strlen(greek), &out, &n, &rep) == EXAM_OK);
    CHECKF(strncmp(out, "Heading\xc2\xb6 a \xe2\x80\x94 b \xe2\x86\x92 c \xe2\x80\x9cq", 24) == 0,
           "%s", out);
    CHECK(rep.codepage != NULL);
    free(out);
    /* genuine text with Greek letters, dashes and accents is left alone */
    const char *clean = "The \xce\xb1 and \xce\xbb terms \xe2\x80\x94 na\xc3\xafve caf\xc3\xa9 "
                        "\xe2\x86\x92 \xc3\x97 2";
    CHECK(exam_mojibake_repair(clean, strlen(clean), &out, &n, &rep) == EXAM_OK);
    CHECK(strcmp(out, clean) == 0 && rep.codepage == NULL && rep.repaired == 0);
    free(out);
    CHECK(exam_mojibake_repair("bad \xff", 5, &out, &n, &rep) == EXAM_ERR_UTF8);
    /* bytes that are not UTF-8 at all are read as windows-1252 */
    CHECK(exam_mojibake_decode_cp1252("caf\xe9 \x93x\x94", 8, &out, &n) == EXAM_OK);
    CHECKF(strcmp(out, "caf\xc3\xa9 \xe2\x80\x9cx\xe2\x80\x9d") == 0, "%s", out);
    free(out);
}

int main(void) {
    test_shipped_bank();
    test_bad_banks();
    test_duplicate_ids();
    test_fifo_refused();
    test_sentences();
    test_mojibake();
    return exam_test_finish();
}
