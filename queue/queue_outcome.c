/* The decision table of queue_outcome.h: prior result hash + new outcome -> the writes. */
#include "queue_outcome.h"

#include <string.h>

static int present(const char *s) {
    return s && *s;
}

static const char *or_null(const char *s) {
    return present(s) ? s : NULL;
}

static int same(const char *a, const char *b) {
    return !strcmp(a ? a : "", b ? b : "");
}

exam_outcome_plan exam_outcome_decide(const exam_result_prev *prev, const exam_outcome *next) {
    exam_outcome_plan p;
    memset(&p, 0, sizeof p);
    p.after = *prev;
    const char *old_cohort = or_null(prev->cohort);
    const char *new_cohort = or_null(next->cohort);

    if (next->kind == EXAM_OUTCOME_REPLAY) {
        p.readd_job = 1;
        p.del_dead[0] = next->letter;
        if (present(prev->dead) && !same(prev->dead, next->letter)) p.del_dead[1] = prev->dead;
        if (prev->state == EXAM_RESULT_ERROR) {
            /* the job looks never graded again: the worker counts it afresh */
            p.delete_result = 1;
            p.uncount_cohort = old_cohort;
            p.srem_cohort = old_cohort;
            memset(&p.after, 0, sizeof p.after);
        }
        return p;
    }

    int ok = next->kind == EXAM_OUTCOME_OK;
    exam_result_prev written = {ok ? EXAM_RESULT_OK : EXAM_RESULT_ERROR, next->cohort, next->entry,
                                NULL};
    switch (prev->state) {
    case EXAM_RESULT_NONE:
        p.write_result = 1;
        p.append_result = 1;
        p.count_cohort = new_cohort;
        p.count_ok = ok;
        p.add_dead = p.link_dead = !ok;
        p.after = written;
        break;
    case EXAM_RESULT_OK:
        if (ok) {
            p.write_result = 1; /* an identical overwrite (or a newer calibration) */
            p.duplicate = 1;
            p.after = written;
        } else if (same(prev->entry, next->entry)) {
            p.duplicate = 1; /* this entry was graded: a redundant delivery failed, no job */
        } else {
            p.add_dead = 1; /* a later copy failed: recorded, the ok result stays */
        }
        break;
    case EXAM_RESULT_ERROR:
        if (ok) {
            /* the ok result supersedes the error: move the counts, resolve the letter */
            p.write_result = 1;
            p.drop_dead = 1;
            p.append_result = 1;
            p.del_dead[0] = or_null(prev->dead);
            p.uncount_cohort = old_cohort;
            if (old_cohort && !same(old_cohort, new_cohort)) p.srem_cohort = old_cohort;
            p.count_cohort = new_cohort;
            p.count_ok = 1;
            p.after = written;
        } else {
            p.write_result = 1;
            p.drop_score = 1;
            p.duplicate = 1;
            p.after = written;
            p.after.dead = prev->dead; /* the letter of the first failure stays linked */
        }
        break;
    }
    return p;
}

exam_link_action exam_outcome_link(const exam_result_prev *now, const char *entry,
                                   const char *letter) {
    if (now->state == EXAM_RESULT_OK) return EXAM_LINK_RESOLVE;
    if (now->state == EXAM_RESULT_ERROR && !present(now->dead) && same(now->entry, entry) &&
        present(letter))
        return EXAM_LINK_SET;
    return EXAM_LINK_KEEP;
}
