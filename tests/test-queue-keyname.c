/* The one rule that puts a user-chosen name (cohort, job id) into a Redis key
 * (exam_queue_name_encode, docs/queue.md "Key layout v2"): safe names map to themselves, every
 * other byte is %XX so ':' never appears inside a component, the encoding round-trips and is
 * injective on tricky inputs, long names become a bounded readable head plus a SHA-256, and the
 * key functions use it.
 * labels: unit */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_keys.h"
#include "testlib.h"

static char *enc(const char *s) {
    return exam_queue_name_encode(s, strlen(s));
}

static void check_round_trip(const char *name, size_t len) {
    char *c = exam_queue_name_encode(name, len);
    CHECK(c != NULL);
    if (!c) return;
    CHECKF(strpbrk(c, ":{} #") == NULL, "component '%s' holds a raw special byte", c);
    char *back = NULL;
    size_t n = 0;
    CHECKF(exam_queue_name_decode(c, &back, &n) == EXAM_OK, "decode '%s': %s", c,
           exam_error_message());
    CHECKF(back && n == len && memcmp(back, name, len) == 0, "round trip of '%s'", c);
    free(back);
    free(c);
}

static void test_safe_and_escaped(void) {
    const char *same[] = {"demo", "A", "c1", "job-7", "demo-alice-py-gil", "x.y_z~w"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char *c = enc(same[i]);
        CHECKF(c && !strcmp(c, same[i]), "'%s' needs no escape, got '%s'", same[i], c ? c : "");
        free(c);
    }
    struct {
        const char *in, *out;
    } cases[] = {{"k:ids", "k%3Aids"},
                 {"team a", "team%20a"},
                 {"50%", "50%25"},
                 {"{q}", "%7Bq%7D"},
                 {"a#b", "a%23b"},
                 {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
                 {"", ""},
                 {"a/b", "a%2Fb"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *c = enc(cases[i].in);
        CHECKF(c && !strcmp(c, cases[i].out), "'%s' -> '%s', want '%s'", cases[i].in, c ? c : "",
               cases[i].out);
        free(c);
    }
    /* a byte that is never a name byte in JSON, and one with the high bit */
    const char nul[] = {'a', '\0', 'b'};
    char *c = exam_queue_name_encode(nul, 3);
    CHECK(c && !strcmp(c, "a%00b"));
    free(c);
}

static void test_round_trip_and_injective(void) {
    const char *tricky[] = {"k",         "k:ids",      "k%3Aids",     "k%253Aids", "j",
                            "j:ids",     "j:ids:ids",  "%",           "%%",        "%25",
                            "#",         "a#0123",     "{",           "}",         "{}",
                            "team a",    "team+a",     "team%20a",    " ",         "~",
                            "\xff\xfe",  ":",          "::",          "a:",        ":a",
                            "submitted", ":submitted", "x:submitted", "x:pairs",   "pairs"};
    size_t n = sizeof tricky / sizeof tricky[0];
    char **out = calloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        check_round_trip(tricky[i], strlen(tricky[i]));
        out[i] = enc(tricky[i]);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            CHECKF(out[i] && out[j] && strcmp(out[i], out[j]) != 0, "'%s' and '%s' collide as '%s'",
                   tricky[i], tricky[j], out[i] ? out[i] : "");
    /* every single byte round-trips and no two collide */
    char *one[256];
    for (int b = 0; b < 256; b++) {
        char s[1] = {(char)b};
        check_round_trip(s, 1);
        one[b] = exam_queue_name_encode(s, 1);
    }
    int distinct = 1;
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < a; b++) distinct &= strcmp(one[a], one[b]) != 0;
    CHECK(distinct);
    for (int b = 0; b < 256; b++) free(one[b]);
    for (size_t i = 0; i < n; i++) free(out[i]);
    free(out);
    /* decoding refuses what the encoder never writes */
    const char *bad[] = {"a:b", "%4", "%zz", "%41", "a b", "%3a", "ab#00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *d = NULL;
        CHECKF(exam_queue_name_decode(bad[i], &d, NULL) == EXAM_ERR_FORMAT, "'%s' decoded", bad[i]);
        free(d);
    }
}

static void test_long_names(void) {
    char a[601], b[601];
    for (int i = 0; i < 600; i++) a[i] = (char)('a' + i % 26);
    a[600] = '\0';
    memcpy(b, a, sizeof a);
    b[599] = 'Z'; /* differs only at the end, far past the kept head */
    char *ca = enc(a), *cb = enc(b);
    CHECK(ca && cb && strcmp(ca, cb) != 0);
    CHECKF(ca && strlen(ca) <= EXAM_QUEUE_COMPONENT_MAX, "length %zu", ca ? strlen(ca) : 0);
    CHECK(ca && strncmp(ca, a, EXAM_QUEUE_COMPONENT_HEAD) == 0 &&
          ca[EXAM_QUEUE_COMPONENT_HEAD] == '#');
    char *d = NULL;
    CHECK(exam_queue_name_decode(ca, &d, NULL) == EXAM_ERR_FORMAT);
    free(d);
    free(ca);
    free(cb);
    /* the hash is the SHA-256 of the whole name (digest of 129 x 'a' from coreutils sha256sum,
     * upper-case) */
    char m[130];
    memset(m, 'a', 129);
    m[129] = '\0';
    char *cm = enc(m);
    CHECKF(cm && strchr(cm, '#') &&
               !strcmp(strchr(cm, '#') + 1,
                       "C12CB024A2E5551CCA0E08FCE8F1C5E314555CC3FEF6329EE994A3DB752166AE"),
           "129 x 'a' -> %s", cm ? cm : "");
    free(cm);
    /* exactly at the bound: kept whole; one byte more: hashed */
    char at[EXAM_QUEUE_COMPONENT_MAX + 2];
    memset(at, 'q', sizeof at);
    at[EXAM_QUEUE_COMPONENT_MAX] = '\0';
    char *c1 = enc(at);
    CHECK(c1 && !strcmp(c1, at));
    at[EXAM_QUEUE_COMPONENT_MAX] = 'q';
    at[EXAM_QUEUE_COMPONENT_MAX + 1] = '\0';
    char *c2 = enc(at);
    CHECK(c2 && strchr(c2, '#') && strlen(c2) == EXAM_QUEUE_COMPONENT_HEAD + 65);
    free(c1);
    free(c2);
    /* the head is cut between escapes, never inside one */
    char sp[200];
    memset(sp, ' ', sizeof sp - 1);
    sp[sizeof sp - 1] = '\0';
    char *cs = enc(sp);
    CHECK(cs && strchr(cs, '#') - cs == 48 - 48 % 3);
    free(cs);
}

static void test_keys(void) {
    exam_queue_keys k;
    CHECK(exam_queue_keys_init("grading", &k) == EXAM_OK);
    char *r = exam_queue_key_for(&k, "result", "job-7");
    CHECK(r && !strcmp(r, "examiner:{grading}:result:job-7"));
    free(r);
    char *c = exam_queue_key_for(&k, "cohort", "k:ids");
    CHECK(c && !strcmp(c, "examiner:{grading}:cohort:k%3Aids"));
    free(c);
    c = exam_queue_key_for(&k, "calib", "team {a}");
    CHECK(c && !strcmp(c, "examiner:{grading}:calib:team%20%7Ba%7D"));
    free(c);
    CHECK(!strcmp(k.meta, "examiner:{grading}:meta"));
}

int main(void) {
    test_safe_and_escaped();
    test_round_trip_and_injective();
    test_long_names();
    test_keys();
    return exam_test_finish();
}
