/* Hand-written tokenizer cases: normalisation, splitting, WordPiece, spans, errors, vocab files.
 * Expected pieces were taken from Hugging Face's fast BertTokenizer for all-MiniLM-L6-v2. */
/* labels: unit */
#include "testlib.h"
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const exam_tokenizer *tok;

/* The pieces of `text` joined by single spaces ("<error>" when encoding fails). */
static const char *pieces_n(const char *text, size_t len) {
    static char buf[8192];
    exam_tokens t = {0};
    buf[0] = '\0';
    if (exam_tokenizer_encode(tok, text, len, &t) != EXAM_OK) {
        exam_tokens_free(&t);
        return "<error>";
    }
    size_t used = 0;
    for (size_t i = 0; i < t.count; i++) {
        const char *p = exam_tokenizer_token_text(tok, t.ids[i]);
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? " " : "", p ? p : "?");
        if (used >= sizeof buf) break;
    }
    exam_tokens_free(&t);
    return buf;
}

static const char *pieces(const char *text) {
    return pieces_n(text, strlen(text));
}

#define CHECK_PIECES(text, want)                                                                   \
    do {                                                                                           \
        const char *got_ = pieces(text);                                                           \
        CHECKF(strcmp(got_, (want)) == 0, "\"%s\" -> \"%s\", want \"%s\"", (text), got_, (want));  \
    } while (0)

static void test_normalisation(void) {
    CHECK_PIECES("Café au lait", "cafe au lai ##t");
    CHECK_PIECES("ÉCOLE naïve", "ecole naive");
    CHECK_PIECES("résumé", "resume");
    CHECK_PIECES("İstanbul", "istanbul"); /* U+0130: NFD then lowercase */
    CHECK_PIECES("ab\x01"
                 "cd x\xe2\x80\x8by",
                 "abc ##d x ##y"); /* control and ZWSP dropped */
    CHECK_PIECES("tab\there\nnew\rline", "tab here new line");
    CHECK_PIECES("nbsp\xc2\xa0split", "n ##bs ##p split"); /* U+00A0 is whitespace */
    CHECK_PIECES("\xef\xbf\xbd", "");                      /* U+FFFD is removed */
}

static void test_splitting(void) {
    CHECK_PIECES("Hello, world!", "hello , world !");
    CHECK_PIECES("unaffable", "una ##ffa ##ble");
    CHECK_PIECES("supercalifragilistic", "super ##cal ##if ##rag ##ilis ##tic");
    CHECK_PIECES("\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xaf", "\xe6\x9d\xb1 \xe4\xba\xac \xe3\x81\xaf");
    CHECK_PIECES("a[SEP]b", "a [SEP] b"); /* special tokens are matched in the raw text */
    CHECK_PIECES("a [sep] b", "a [ sep ] b");
    CHECK_PIECES("", "");
    CHECK_PIECES("   \t\n ", "");
}

static void test_long_words(void) {
    char word[256];
    memset(word, 'a', sizeof word);
    exam_tokens t = {0};
    CHECK(exam_tokenizer_encode(tok, word, 100, &t) == EXAM_OK);
    CHECKF(t.count == 50 && t.ids[0] != exam_tokenizer_unk_id(tok), "100 a's gave %zu tokens",
           t.count);
    exam_tokens_clear(&t);
    CHECK(exam_tokenizer_encode(tok, word, 101, &t) == EXAM_OK);
    CHECKF(t.count == 1 && t.ids[0] == exam_tokenizer_unk_id(tok), "101 a's gave %zu tokens",
           t.count);
    CHECK(t.count == 1 && t.starts[0] == 0 && t.ends[0] == 101);
    exam_tokens_clear(&t);
    /* A word whose end no piece matches becomes one [UNK] covering the whole word. */
    const char *text = "ok abc\xf0\x9f\xa5\xb0!";
    CHECK_PIECES(text, "ok [UNK] !");
    CHECK(exam_tokenizer_encode(tok, text, strlen(text), &t) == EXAM_OK);
    CHECK(t.count == 3 && t.starts[1] == 3 && t.ends[1] == 10);
    exam_tokens_free(&t);
}

static void test_spans(void) {
    exam_tokens t = {0};
    const char *text = "Caf\xc3\xa9! unaffable";
    CHECK(exam_tokenizer_encode(tok, text, strlen(text), &t) == EXAM_OK);
    CHECKF(t.count == 5, "count %zu", t.count);
    if (t.count == 5) {
        uint32_t want[5][2] = {{0, 5}, {5, 6}, {7, 10}, {10, 13}, {13, 16}};
        for (size_t i = 0; i < 5; i++)
            CHECKF(t.starts[i] == want[i][0] && t.ends[i] == want[i][1],
                   "token %zu span [%u, %u), want [%u, %u)", i, t.starts[i], t.ends[i], want[i][0],
                   want[i][1]);
    }
    size_t before = t.count;
    CHECK(exam_tokens_wrap(tok, &t, 0, (uint32_t)strlen(text)) == EXAM_OK);
    CHECK(t.count == before + 2 && t.ids[0] == exam_tokenizer_cls_id(tok) &&
          t.ids[t.count - 1] == exam_tokenizer_sep_id(tok));
    CHECK(t.starts[t.count - 1] == strlen(text) &&
          t.ids[1] == exam_tokenizer_token_id(tok, "cafe", 4));
    exam_tokens_free(&t);
}

static void test_utf8_errors(void) {
    exam_tokens t = {0};
    CHECK(exam_tokenizer_encode(tok, "keep me", 7, &t) == EXAM_OK);
    size_t count = t.count;
    int32_t first = t.ids[0];
    const char *bad[] = {"ok \xff bad", "abc\xc3", "x\xed\xa0\x80y", "\xc0\xaf",
                         "ok\xf4\x90\x80\x80"};
    size_t offsets[] = {3, 3, 1, 0, 2};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        exam_status st = exam_tokenizer_encode(tok, bad[i], strlen(bad[i]), &t);
        char want[64];
        snprintf(want, sizeof want, "byte offset %zu", offsets[i]);
        CHECKF(st == EXAM_ERR_UTF8, "case %zu: status %s", i, exam_status_name(st));
        CHECKF(strstr(exam_error_message(), want) != NULL, "case %zu: message '%s' lacks '%s'", i,
               exam_error_message(), want);
        CHECKF(t.count == count && t.ids[0] == first, "case %zu changed the list", i);
    }
    exam_tokens_free(&t);
}

/* Writes `text` to a fresh temporary file and returns its path (static buffer). */
static const char *temp_vocab(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/exam-vocab-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return "/nonexistent";
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? path : "/nonexistent";
}

static void check_vocab_status(const char *text, exam_status want, const char *what) {
    const char *path = temp_vocab(text);
    exam_tokenizer *t = NULL;
    exam_status st = exam_tokenizer_init(path, NULL, &t);
    CHECKF(st == want, "%s: got %s (%s)", what, exam_status_name(st), exam_error_message());
    CHECK((st == EXAM_OK) == (t != NULL));
    exam_tokenizer_free(t);
    unlink(path);
}

static void test_vocab_files(void) {
    exam_tokenizer *t = NULL;
    CHECK(exam_tokenizer_init("/nonexistent/vocab.txt", NULL, &t) == EXAM_ERR_IO && t == NULL);
    check_vocab_status("", EXAM_ERR_FORMAT, "empty file");
    check_vocab_status("[PAD]\n[UNK]\n[CLS]\n", EXAM_ERR_FORMAT, "no [SEP]");
    check_vocab_status("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[UNK]\n", EXAM_ERR_FORMAT, "duplicate");
    check_vocab_status("[PAD]\n\n[UNK]\n[CLS]\n[SEP]\n", EXAM_ERR_FORMAT, "empty line");
    check_vocab_status("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n", EXAM_OK, "CRLF");
    exam_tokenizer_options bad = exam_tokenizer_default_options();
    bad.max_word_chars = 0;
    CHECK(exam_tokenizer_init(exam_test_path(exam_test_model_dir(), "vocab.txt"), &bad, &t) ==
          EXAM_ERR_ARG);
}

static void test_lookups(void) {
    CHECK(exam_tokenizer_vocab_size(tok) == 30522);
    CHECK(exam_tokenizer_pad_id(tok) == 0 && exam_tokenizer_unk_id(tok) == 100);
    CHECK(exam_tokenizer_cls_id(tok) == 101 && exam_tokenizer_sep_id(tok) == 102);
    CHECK(exam_tokenizer_token_id(tok, "hello", 5) == 7592);
    CHECK(exam_tokenizer_token_id(tok, "##ble", 5) == 3468);
    CHECK(exam_tokenizer_token_id(tok, "no-such-piece", 13) == -1);
    CHECK(strcmp(exam_tokenizer_token_text(tok, 7592), "hello") == 0);
    CHECK(exam_tokenizer_token_text(tok, -1) == NULL &&
          exam_tokenizer_token_text(tok, 30522) == NULL);
}

static void test_options(void) {
    exam_tokenizer_options o = exam_tokenizer_default_options();
    o.strip_accents = 0; /* HF: BertNormalizer(strip_accents=False) keeps é, so the word is [UNK] */
    exam_tokenizer *t = NULL;
    CHECK(exam_tokenizer_init(exam_test_path(exam_test_model_dir(), "vocab.txt"), &o, &t) ==
          EXAM_OK);
    if (!t) return;
    const exam_tokenizer *saved = tok;
    tok = t;
    CHECK_PIECES("Caf\xc3\xa9", "[UNK]");
    exam_tokenizer_free(t);
    o = exam_tokenizer_default_options();
    o.lowercase = 0;
    o.tokenize_cjk = 0;
    CHECK(exam_tokenizer_init(exam_test_path(exam_test_model_dir(), "vocab.txt"), &o, &t) ==
          EXAM_OK);
    if (t) {
        tok = t;
        CHECK_PIECES("Caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac", "[UNK] \xe6\x9d\xb1 ##\xe4\xba\xac");
        exam_tokenizer_free(t);
    }
    tok = saved;
}

int main(void) {
    exam_tokenizer *t = NULL;
    const char *vocab = exam_test_path(exam_test_model_dir(), "vocab.txt");
    if (access(vocab, R_OK) != 0) {
        printf("SKIP ALL: %s missing (run `make model`)\n", vocab);
        return 0;
    }
    exam_status st = exam_tokenizer_init(vocab, NULL, &t);
    CHECKF(st == EXAM_OK, "init: %s", exam_error_message());
    if (st != EXAM_OK) return exam_test_finish();
    tok = t;
    test_normalisation();
    test_splitting();
    test_long_words();
    test_spans();
    test_utf8_errors();
    test_vocab_files();
    test_lookups();
    test_options();
    exam_tokenizer_free(t);
    return exam_test_finish();
}
