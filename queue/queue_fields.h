/* Field and key-kind names of the queue's Redis schema (docs/queue.md) that the operations
 * verbs read and write, in one place so that the verbs and the worker agree. */
#ifndef EXAM_QUEUE_FIELDS_H
#define EXAM_QUEUE_FIELDS_H

#define EXAM_QF_JOB "job"                      /* jobs stream and dead letters: the job JSON */
#define EXAM_QF_RESULT_JSON "json"             /* result hash: the result JSON */
#define EXAM_QF_RESULT_STATUS "status"         /* result hash: "ok" or "error" */
#define EXAM_QF_DEAD_ID "id"                   /* dead letter: the job id ("" when unreadable) */
#define EXAM_QF_DEAD_ENTRY "entry"             /* dead letter: the jobs-stream entry id */
#define EXAM_QF_DEAD_JOB_BYTES "job_bytes"     /* dead letter: the payload's length as received */
#define EXAM_QF_DEAD_TRUNCATED "job_truncated" /* dead letter: "1" when `job` is a prefix */
#define EXAM_QF_RESULT_COHORT "cohort"         /* result hash: the cohort it was counted in */
#define EXAM_QF_RESULT_ENTRY "entry"           /* result hash: the jobs-stream entry id */
#define EXAM_QF_RESULT_DEAD "dead"       /* result hash (error results): id of its dead letter */
#define EXAM_QF_COHORT_DONE "done"       /* cohort hash: jobs graded */
#define EXAM_QF_COHORT_FAILED "failed"   /* cohort hash: jobs that got an error result */
#define EXAM_QF_COHORT_SUM "score_sum"   /* cohort hash: sum of the graded jobs' scores */
#define EXAM_QK_RESULT "result"          /* examiner:{q}:result:<job id> */
#define EXAM_QK_COHORT "cohort"          /* examiner:{q}:cohort:<cohort> */
#define EXAM_QK_COHORT_IDS_SUFFIX ":ids" /* examiner:{q}:cohort:<c>:ids: ids with a result */
#define EXAM_QK_COHORT_SUBMITTED_SUFFIX ":submitted" /* ids `examiner submit` added */

/* A dead letter keeps at most this many bytes of a payload over the worker's --max-job-bytes
 * (with job_bytes and job_truncated); payloads within the limit are kept whole (replayable). */
#define EXAM_DEAD_JOB_PREFIX 4096

#endif
