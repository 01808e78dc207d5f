/* The decision table of queue/queue_outcome.c, case by case: what a job's new outcome (ok,
 * error, replay) writes given what its result hash held, so that the result hash, the results
 * stream, the cohort counts and the dead letters cannot disagree.
 * labels: unit */
#include <string.h>

#include "queue_outcome.h"
#include "testlib.h"

static int eq(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void test_first_results(void) {
    exam_result_prev none = {EXAM_RESULT_NONE, NULL, NULL, NULL};
    exam_outcome ok = {EXAM_OUTCOME_OK, "c1", "1-1", NULL};
    exam_outcome_plan p = exam_outcome_decide(&none, &ok);
    CHECK(p.write_result && p.append_result && !p.add_dead && !p.duplicate);
    CHECK(eq(p.count_cohort, "c1") && p.count_ok && !p.uncount_cohort && !p.srem_cohort);
    CHECK(p.after.state == EXAM_RESULT_OK && eq(p.after.entry, "1-1"));

    exam_outcome err = {EXAM_OUTCOME_ERROR, "c1", "1-1", NULL};
    p = exam_outcome_decide(&none, &err);
    CHECK(p.write_result && p.append_result && p.add_dead && p.link_dead);
    CHECK(eq(p.count_cohort, "c1") && !p.count_ok);
    CHECK(p.after.state == EXAM_RESULT_ERROR && !p.after.dead);

    /* no cohort: no aggregates */
    exam_outcome bare = {EXAM_OUTCOME_OK, "", "1-1", NULL};
    p = exam_outcome_decide(&none, &bare);
    CHECK(p.write_result && !p.count_cohort);
}

/* The race: a peer recorded max_deliveries (error, letter 9-1), then the stalled
 * holder's ok result arrives. */
static void test_ok_supersedes_error(void) {
    exam_result_prev err = {EXAM_RESULT_ERROR, "c1", "1-1", "9-1"};
    exam_outcome ok = {EXAM_OUTCOME_OK, "c1", "1-1", NULL};
    exam_outcome_plan p = exam_outcome_decide(&err, &ok);
    CHECK(p.write_result && p.drop_dead && p.append_result && !p.duplicate && !p.add_dead);
    CHECK(eq(p.del_dead[0], "9-1") && !p.del_dead[1]);
    CHECK(eq(p.uncount_cohort, "c1") && eq(p.count_cohort, "c1") && p.count_ok);
    CHECK(!p.srem_cohort); /* same cohort: the id stays in its :ids set */
    CHECK(p.after.state == EXAM_RESULT_OK && !p.after.dead);

    /* the letter's id not linked yet: counts move, nothing to XDEL now (the link step resolves
     * it) */
    exam_result_prev unlinked = {EXAM_RESULT_ERROR, "c1", "1-1", ""};
    p = exam_outcome_decide(&unlinked, &ok);
    CHECK(!p.del_dead[0] && eq(p.uncount_cohort, "c1") && p.count_ok);

    /* a resubmission into another cohort: the old cohort loses the id and the failure */
    exam_outcome moved = {EXAM_OUTCOME_OK, "c2", "2-1", NULL};
    p = exam_outcome_decide(&err, &moved);
    CHECK(eq(p.uncount_cohort, "c1") && eq(p.srem_cohort, "c1") && eq(p.count_cohort, "c2"));
}

static void test_error_never_replaces_ok(void) {
    exam_result_prev ok = {EXAM_RESULT_OK, "c1", "1-1", NULL};
    /* a redundant delivery of the graded entry failed (max_deliveries after the ok): no trace */
    exam_outcome same = {EXAM_OUTCOME_ERROR, "c1", "1-1", NULL};
    exam_outcome_plan p = exam_outcome_decide(&ok, &same);
    CHECK(!p.write_result && !p.append_result && !p.add_dead && !p.count_cohort && p.duplicate);
    CHECK(p.after.state == EXAM_RESULT_OK);
    /* a later copy (another entry) failed: a dead letter only, not linked, no counts */
    exam_outcome later = {EXAM_OUTCOME_ERROR, "c1", "5-1", NULL};
    p = exam_outcome_decide(&ok, &later);
    CHECK(!p.write_result && !p.append_result && p.add_dead && !p.link_dead);
    CHECK(!p.count_cohort && !p.uncount_cohort && !p.drop_score);
}

static void test_duplicates(void) {
    exam_result_prev ok = {EXAM_RESULT_OK, "c1", "1-1", NULL};
    exam_outcome again = {EXAM_OUTCOME_OK, "c1", "1-1", NULL};
    exam_outcome_plan p = exam_outcome_decide(&ok, &again);
    CHECK(p.write_result && p.duplicate && !p.append_result && !p.count_cohort);
    exam_result_prev err = {EXAM_RESULT_ERROR, "c1", "1-1", "9-1"};
    exam_outcome err2 = {EXAM_OUTCOME_ERROR, "c1", "1-1", NULL};
    p = exam_outcome_decide(&err, &err2);
    CHECK(p.write_result && p.duplicate && !p.add_dead && !p.count_cohort && !p.append_result);
    CHECK(eq(p.after.dead, "9-1")); /* the first failure's letter stays linked */
}

static void test_replay(void) {
    exam_result_prev err = {EXAM_RESULT_ERROR, "c1", "1-1", "9-1"};
    exam_outcome replay = {EXAM_OUTCOME_REPLAY, NULL, NULL, "9-1"};
    exam_outcome_plan p = exam_outcome_decide(&err, &replay);
    CHECK(p.readd_job && p.delete_result && eq(p.del_dead[0], "9-1") && !p.del_dead[1]);
    CHECK(eq(p.uncount_cohort, "c1") && eq(p.srem_cohort, "c1") && !p.count_cohort);
    CHECK(p.after.state == EXAM_RESULT_NONE);
    /* another letter of the same job: the linked one goes too */
    exam_outcome other = {EXAM_OUTCOME_REPLAY, NULL, NULL, "8-1"};
    p = exam_outcome_decide(&err, &other);
    CHECK(eq(p.del_dead[0], "8-1") && eq(p.del_dead[1], "9-1"));
    /* over an ok result (a failed later copy): only the letter goes, the ok and counts stay */
    exam_result_prev ok = {EXAM_RESULT_OK, "c1", "1-1", NULL};
    p = exam_outcome_decide(&ok, &other);
    CHECK(p.readd_job && eq(p.del_dead[0], "8-1") && !p.delete_result && !p.uncount_cohort);
    CHECK(!p.srem_cohort && p.after.state == EXAM_RESULT_OK);
    /* no result (no readable id) */
    exam_result_prev none = {EXAM_RESULT_NONE, NULL, NULL, NULL};
    p = exam_outcome_decide(&none, &other);
    CHECK(p.readd_job && eq(p.del_dead[0], "8-1") && !p.delete_result && !p.uncount_cohort);
}

static void test_link(void) {
    exam_result_prev err = {EXAM_RESULT_ERROR, "c1", "1-1", NULL};
    CHECK(exam_outcome_link(&err, "1-1", "9-1") == EXAM_LINK_SET);
    /* another entry's error (the letter was replayed, the job failed again elsewhere) */
    CHECK(exam_outcome_link(&err, "2-1", "9-1") == EXAM_LINK_KEEP);
    exam_result_prev linked = {EXAM_RESULT_ERROR, "c1", "1-1", "9-1"};
    CHECK(exam_outcome_link(&linked, "1-1", "9-1") == EXAM_LINK_KEEP);
    /* an ok result superseded the error before the letter was linked */
    exam_result_prev ok = {EXAM_RESULT_OK, "c1", "1-1", NULL};
    CHECK(exam_outcome_link(&ok, "1-1", "9-1") == EXAM_LINK_RESOLVE);
    exam_result_prev none = {EXAM_RESULT_NONE, NULL, NULL, NULL};
    CHECK(exam_outcome_link(&none, "1-1", "9-1") == EXAM_LINK_KEEP);
}

/* A job id twice in one batch, error then ok: the plan's `after` feeds the second decision. */
static void test_in_batch_sequence(void) {
    exam_result_prev none = {EXAM_RESULT_NONE, NULL, NULL, NULL};
    exam_outcome err = {EXAM_OUTCOME_ERROR, "c1", "1-1", NULL};
    exam_outcome ok = {EXAM_OUTCOME_OK, "c1", "1-2", NULL};
    exam_outcome_plan p1 = exam_outcome_decide(&none, &err);
    exam_outcome_plan p2 = exam_outcome_decide(&p1.after, &ok);
    /* net: failed +1 -1, done +1 */
    CHECK(eq(p1.count_cohort, "c1") && !p1.count_ok);
    CHECK(eq(p2.uncount_cohort, "c1") && eq(p2.count_cohort, "c1") && p2.count_ok);
    CHECK(p2.after.state == EXAM_RESULT_OK);
}

int main(void) {
    test_first_results();
    test_ok_supersedes_error();
    test_error_never_replaces_ok();
    test_duplicates();
    test_replay();
    test_link();
    test_in_batch_sequence();
    return exam_test_finish();
}
