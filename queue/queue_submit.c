/* Adds JSONL job lines to the jobs stream: checks each line, pipelines the XADDs in chunks,
 * paces them at a constant rate when asked, and keeps the stream under its backlog cap by
 * trimming acknowledged entries only. */
#include "queue_submit.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grade.h"
#include "line_reader.h"
#include "queue_fields.h"
#include "queue_results.h"
#include "queue_trim.h"

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

exam_status exam_queue_ensure_group(exam_redis *r, const exam_queue_keys *keys) {
    redisReply *rep = NULL;
    exam_status st =
        exam_redis_command(r, &rep, "XGROUP CREATE %s %s 0 MKSTREAM", keys->jobs, EXAM_QUEUE_GROUP);
    if (st != EXAM_OK) return st;
    if (!(rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "BUSYGROUP", 9) == 0))
        st = exam_redis_reply_status(rep, "XGROUP CREATE");
    freeReplyObject(rep);
    return st;
}

/* One line waiting to be sent. */
typedef struct pending_line {
    char *text;
    size_t len;
    size_t line_no;
    char *id, *cohort; /* from the parsed job; NULL with --raw or when absent */
} pending_line;

typedef struct submitter {
    exam_redis *r;
    const exam_queue_keys *keys;
    exam_submit_options o;
    exam_submit_reject_fn reject;
    void *user;
    exam_submit_stats *stats;
    json_t *seen; /* job ids of earlier lines -> line number */
    pending_line *chunk;
    size_t n;
} submitter;

static void reject_line(submitter *s, size_t line_no, const char *why) {
    s->stats->rejected++;
    if (s->reject) s->reject(s->user, line_no, why);
}

static void line_clear(pending_line *p) {
    free(p->text);
    free(p->id);
    free(p->cohort);
    memset(p, 0, sizeof *p);
}

/* Checks one line as a job; on success fills p->id and p->cohort. Returns 0, or -1 after
 * reporting it (a NOMEM is reported as a rejected line too, and returned through *st). */
static int check_line(submitter *s, pending_line *p, exam_status *st) {
    json_error_t jerr;
    json_t *obj = json_loadb(p->text, p->len, JSON_REJECT_DUPLICATES, &jerr);
    char why[320];
    if (!obj) {
        snprintf(why, sizeof why, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
        reject_line(s, p->line_no, why);
        return -1;
    }
    if (!json_is_object(obj)) {
        json_decref(obj);
        reject_line(s, p->line_no, "a job must be a JSON object");
        return -1;
    }
    exam_grade_job job;
    exam_status js = exam_grade_job_from_json(obj, &job);
    json_decref(obj);
    if (js != EXAM_OK) {
        snprintf(why, sizeof why, "not a job: %s", exam_error_message());
        exam_grade_job_free(&job);
        reject_line(s, p->line_no, why);
        return -1;
    }
    json_t *prev = json_object_get(s->seen, job.id);
    if (prev) {
        snprintf(why, sizeof why, "job id '%.200s' was already used on line %lld", job.id,
                 (long long)json_integer_value(prev));
        exam_grade_job_free(&job);
        reject_line(s, p->line_no, why);
        return -1;
    }
    p->id = strdup(job.id);
    p->cohort = job.cohort && *job.cohort ? strdup(job.cohort) : NULL;
    int oom = !p->id || (job.cohort && *job.cohort && !p->cohort) ||
              json_object_set_new(s->seen, job.id, json_integer((json_int_t)p->line_no));
    exam_grade_job_free(&job);
    if (oom) {
        *st = exam_error_set(EXAM_ERR_NOMEM, "out of memory checking line %zu", p->line_no);
        return -1;
    }
    return 0;
}

/* Keeps the stream within maxlen before adding `incoming` entries. */
static exam_status make_room(submitter *s, size_t incoming) {
    if (s->o.maxlen <= 0) return EXAM_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *rep = NULL;
        exam_status st = exam_redis_command(s->r, &rep, "XLEN %s", s->keys->jobs);
        if (st != EXAM_OK) return st;
        st = exam_redis_reply_status(rep, "XLEN");
        long long len = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
        freeReplyObject(rep);
        if (st != EXAM_OK) return st;
        if (len + (long long)incoming <= s->o.maxlen) return EXAM_OK;
        if (attempt == 1)
            return exam_error_set(EXAM_ERR_LIMIT,
                                  "%s holds %lld unfinished entries: adding %zu more would pass "
                                  "--maxlen %lld (only acknowledged entries are ever trimmed)",
                                  s->keys->jobs, len, incoming, s->o.maxlen);
        long long removed = 0;
        st = exam_queue_trim_acknowledged(s->r, s->keys, &removed);
        if (st != EXAM_OK) return st;
        s->stats->trimmed += (size_t)removed;
    }
    return EXAM_OK;
}

/* Job ids are global per queue: refuses (as rejected lines) the checked lines whose id already
 * has a result in another cohort (pipelined HGET result:<id> cohort), and drops them from the
 * chunk. A copy in another cohort that is not graded yet is caught by the worker's commit. */
static exam_status refuse_id_conflicts(submitter *s) {
    exam_status st = EXAM_OK;
    size_t sent = 0;
    for (size_t i = 0; i < s->n && st == EXAM_OK; i++) {
        if (!s->chunk[i].id) continue;
        char *key = exam_queue_key_for(s->keys, EXAM_QK_RESULT, s->chunk[i].id);
        if (!key) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        const char *hget[] = {"HGET", key, "cohort"};
        st = exam_redis_append_argv(s->r, 3, hget, NULL);
        free(key);
        if (st == EXAM_OK) sent++;
    }
    size_t kept = 0;
    for (size_t i = 0, k = 0; i < s->n; i++) {
        pending_line *p = &s->chunk[i];
        int refuse = 0;
        if (p->id && k < sent) {
            k++;
            redisReply *rep = NULL;
            exam_status rs = exam_redis_get_reply(s->r, &rep);
            if (rs == EXAM_OK) rs = exam_redis_reply_status(rep, "HGET");
            if (rs == EXAM_OK && rep->type == REDIS_REPLY_STRING &&
                strcmp(rep->str, p->cohort ? p->cohort : "") != 0) {
                char why[400];
                snprintf(why, sizeof why,
                         "job id '%.100s' already has a result in cohort '%.100s' (job ids are "
                         "global per queue: id_conflict)",
                         p->id, rep->str);
                reject_line(s, p->line_no, why);
                refuse = 1;
            }
            if (st == EXAM_OK) st = rs;
            freeReplyObject(rep);
        }
        if (refuse)
            line_clear(p);
        else
            s->chunk[kept++] = *p;
    }
    for (size_t i = kept; i < s->n; i++) memset(&s->chunk[i], 0, sizeof s->chunk[i]);
    s->n = kept;
    return st;
}

/* Sends the chunk as one pipeline: XADD each line, SADD its id and cohort. */
static exam_status flush_chunk(submitter *s) {
    if (s->n == 0) return EXAM_OK;
    exam_status st = refuse_id_conflicts(s);
    if (st == EXAM_OK) st = make_room(s, s->n);
    size_t sent = 0;
    for (size_t i = 0; st == EXAM_OK && i < s->n; i++) {
        pending_line *p = &s->chunk[i];
        const char *xadd[] = {"XADD", s->keys->jobs, "*", EXAM_QF_JOB, p->text};
        size_t xlen[] = {4, strlen(s->keys->jobs), 1, strlen(EXAM_QF_JOB), p->len};
        st = exam_redis_append_argv(s->r, 5, xadd, xlen);
        if (st == EXAM_OK) sent++;
        if (st == EXAM_OK && p->id && p->cohort) {
            char *ids_key =
                exam_queue_cohort_key(s->keys, p->cohort, EXAM_QK_COHORT_SUBMITTED_SUFFIX);
            if (!ids_key) {
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            const char *sadd1[] = {"SADD", ids_key, p->id};
            const char *sadd2[] = {"SADD", s->keys->cohorts, p->cohort};
            st = exam_redis_append_argv(s->r, 3, sadd1, NULL);
            if (st == EXAM_OK) sent++;
            if (st == EXAM_OK) st = exam_redis_append_argv(s->r, 3, sadd2, NULL);
            if (st == EXAM_OK) sent++;
            free(ids_key);
        }
    }
    /* Read every reply that was queued, even after an error, so the connection stays in step. */
    for (size_t i = 0, k = 0; i < s->n && k < sent; i++) {
        pending_line *p = &s->chunk[i];
        size_t replies = (p->id && p->cohort) ? 3 : 1;
        for (size_t j = 0; j < replies && k < sent; j++, k++) {
            redisReply *rep = NULL;
            exam_status rs = exam_redis_get_reply(s->r, &rep);
            if (rs != EXAM_OK) {
                if (st == EXAM_OK) st = rs;
                k = sent;
                break;
            }
            rs = exam_redis_reply_status(rep, j == 0 ? "XADD" : "SADD");
            if (rs == EXAM_OK && j == 0 && rep->type == REDIS_REPLY_STRING) {
                if (!s->stats->first_id[0])
                    snprintf(s->stats->first_id, sizeof s->stats->first_id, "%s", rep->str);
                snprintf(s->stats->last_id, sizeof s->stats->last_id, "%s", rep->str);
                s->stats->added++;
            }
            if (st == EXAM_OK) st = rs;
            freeReplyObject(rep);
        }
    }
    for (size_t i = 0; i < s->n; i++) line_clear(&s->chunk[i]);
    s->n = 0;
    return st;
}

exam_status exam_queue_submit_file(exam_redis *r, const exam_queue_keys *keys, FILE *in,
                                   const char *name, const exam_submit_options *options,
                                   exam_submit_reject_fn reject, void *user,
                                   exam_submit_stats *stats) {
    memset(stats, 0, sizeof *stats);
    submitter s = {.r = r, .keys = keys, .reject = reject, .user = user, .stats = stats};
    if (options) s.o = *options;
    if (s.o.chunk == 0) s.o.chunk = 256;
    if (s.o.max_line == 0) s.o.max_line = 65536;
    if (s.o.rate < 0) return exam_error_set(EXAM_ERR_ARG, "rate must not be negative");
    s.seen = json_object();
    s.chunk = calloc(s.o.chunk, sizeof *s.chunk);
    if (!s.seen || !s.chunk) {
        json_decref(s.seen);
        free(s.chunk);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    exam_status st = exam_queue_ensure_group(r, keys);
    exam_line_reader lr;
    exam_line_reader_init(&lr, in, s.o.max_line);
    double t0 = mono_now();
    size_t queued = 0; /* lines accepted so far (sent or in the chunk) */
    while (st == EXAM_OK) {
        char *buf;
        size_t len;
        exam_status rs = exam_line_reader_next(&lr, &buf, &len);
        size_t line_no = lr.line_no;
        if (rs == EXAM_ERR_IO) {
            st = exam_error_set(EXAM_ERR_IO, "%s: %s", name, exam_error_message());
            break;
        }
        if (rs != EXAM_OK) { /* too long, or no memory to hold it: that line only */
            char why[128];
            if (rs == EXAM_ERR_LIMIT)
                snprintf(why, sizeof why, "line has %zu bytes, more than the limit of %zu", lr.len,
                         s.o.max_line);
            else
                snprintf(why, sizeof why, "out of memory holding the line's %zu bytes", lr.len);
            reject_line(&s, line_no, why);
            continue;
        }
        if (!buf) break; /* end of input */
        size_t lead = 0;
        while (lead < len && (buf[lead] == ' ' || buf[lead] == '\t')) lead++;
        if (lead == len) continue; /* blank lines separate nothing and are not jobs */
        pending_line *p = &s.chunk[s.n];
        p->text = malloc(len + 1);
        if (!p->text) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory at line %zu", line_no);
            break;
        }
        memcpy(p->text, buf, len);
        p->text[len] = '\0';
        p->len = len;
        p->line_no = line_no;
        if (!s.o.raw && check_line(&s, p, &st) != 0) {
            line_clear(p);
            continue;
        }
        s.n++;
        queued++;
        if (s.o.rate > 0) {
            /* Open loop: job k is due at t0 + (k-1)/rate; send what is due, then wait. */
            double due_next = t0 + (double)queued / s.o.rate;
            double now = mono_now();
            if (s.n == s.o.chunk || due_next > now) st = flush_chunk(&s);
            if (st == EXAM_OK) sleep_s(due_next - mono_now());
        } else if (s.n == s.o.chunk) {
            st = flush_chunk(&s);
        }
    }
    if (st == EXAM_OK)
        st = flush_chunk(&s);
    else
        for (size_t i = 0; i < s.n; i++) line_clear(&s.chunk[i]);
    stats->seconds = mono_now() - t0;
    exam_line_reader_free(&lr);
    free(s.chunk);
    json_decref(s.seen);
    return st;
}
