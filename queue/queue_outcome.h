/* The one place that decides a job's final state: given what its result hash held and the new
 * outcome (a graded result, an error result, or a dead letter being replayed), which writes keep
 * the result hash, the results stream, the cohort counts and the dead letters in agreement
 * (docs/queue.md, "One decision per outcome"). Pure: no Redis here; the worker's commit and
 * `examiner dlq replay` turn a plan into commands. */
#ifndef EXAM_QUEUE_OUTCOME_H
#define EXAM_QUEUE_OUTCOME_H

/* What a job's result hash holds. */
typedef enum exam_result_state {
    EXAM_RESULT_NONE = 0, /* no hash */
    EXAM_RESULT_OK,       /* status "ok" */
    EXAM_RESULT_ERROR,    /* status "error" */
} exam_result_state;

/* A result hash as read under WATCH (strings borrowed; NULL or "" mean absent). */
typedef struct exam_result_prev {
    exam_result_state state;
    const char *cohort; /* field `cohort`: the cohort the result is counted in */
    const char *entry;  /* field `entry`: the jobs-stream entry it came from */
    const char *dead;   /* field `dead` (error results): the id of its dead letter */
} exam_result_prev;

typedef enum exam_outcome_kind {
    EXAM_OUTCOME_OK,     /* a graded result */
    EXAM_OUTCOME_ERROR,  /* an error result (invalid job, grading failure, max_deliveries) */
    EXAM_OUTCOME_REPLAY, /* dead letter `letter` of this job goes back to the jobs stream */
} exam_outcome_kind;

/* The new outcome of a job whose id is readable (strings borrowed). */
typedef struct exam_outcome {
    exam_outcome_kind kind;
    const char *cohort; /* OK/ERROR: the job's cohort (NULL or "": none) */
    const char *entry;  /* OK/ERROR: the jobs-stream entry graded */
    const char *letter; /* REPLAY: the dead-letter id being replayed */
} exam_outcome;

/* The writes one outcome needs, in the order a MULTI should carry them. Cohort names are
 * borrowed from the inputs; NULL means "no such write". */
typedef struct exam_outcome_plan {
    int write_result;  /* HSET result:<id> json status cohort entry worker updated_ms [score] */
    int drop_score;    /* HDEL result:<id> score (an error result over an older hash) */
    int drop_dead;     /* HDEL result:<id> dead (an ok result over an error result) */
    int delete_result; /* DEL result:<id> (replay of an error result) */
    int append_result; /* XADD results id <id> result <json> */
    int add_dead;      /* XADD dead ...: a new dead letter records this outcome */
    int link_dead;     /* that letter belongs to the stored error result: after EXEC its id
                          goes into the hash's `dead` field (exam_outcome_link decides) */
    const char *del_dead[2];    /* dead letters to XDEL */
    const char *uncount_cohort; /* HINCRBY cohort:<c> failed -1 */
    const char *srem_cohort;    /* SREM cohort:<c>:ids <id> */
    const char *count_cohort;   /* SADD cohort:<c>:ids <id>, SADD cohorts <c>, then done +1 and
                                   the score's sum, sum of squares and bin (count_ok) or
                                   failed +1, and updated_ms */
    int count_ok;
    int readd_job;          /* REPLAY: XADD jobs * job <payload> */
    int duplicate;          /* the job already had this kind of result: nothing was counted again */
    exam_result_prev after; /* the hash after these writes (for a later copy of the id in the
                               same batch); `dead` is NULL while a new letter's id is unknown */
} exam_outcome_plan;

/* Decides the writes for `next` given `prev`:
 * - none -> ok/error: write, append, count; an error also gets a dead letter, linked.
 * - error -> ok (the ok supersedes it: e.g. a stalled holder commits after a peer recorded
 *   max_deliveries): write, drop `dead`, append, XDEL the linked letter, failed -1 in the old
 *   cohort (and SREM when the cohort differs), done +1 and the score in the new one.
 * - ok -> ok, error -> error: overwrite the hash, count nothing (duplicate).
 * - ok -> error: an error never replaces an ok. From the same entry (a redundant delivery of
 *   a job that was graded) nothing is written; from another entry (a later copy that failed)
 *   only an unlinked dead letter records it.
 * - replay: XDEL the letter (and the hash's linked one), re-add the job; over an error result
 *   also DEL the hash, failed -1 and SREM, so the job is graded and counted afresh. */
exam_outcome_plan exam_outcome_decide(const exam_result_prev *prev, const exam_outcome *next);

/* What becomes of a new dead letter whose plan said link_dead, once its id is known. */
typedef enum exam_link_action {
    EXAM_LINK_KEEP = 0, /* leave it (already linked, or the hash is gone or another entry's) */
    EXAM_LINK_SET,      /* HSET result:<id> dead <letter> */
    EXAM_LINK_RESOLVE,  /* XDEL dead <letter>: an ok result superseded the error meanwhile */
} exam_link_action;

/* Decides it from the hash as read again under WATCH (`now`), the entry whose error the letter
 * records and the letter's id: SET when the hash still holds that entry's error result and no
 * letter is linked; RESOLVE when it holds an ok result; else KEEP. */
exam_link_action exam_outcome_link(const exam_result_prev *now, const char *entry,
                                   const char *letter);

#endif
