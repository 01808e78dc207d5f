/* Dead-letter listing and replay. Replay follows the worker's commit protocol (docs/queue.md):
 * exam_outcome_decide says what replaying a letter writes; over an error result it removes the
 * result and undoes its `failed` count atomically with re-adding the job, which the worker then
 * grades and counts afresh. */
#include "queue_dlq.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "grade.h"
#include "queue_fields.h"
#include "queue_outcome.h"
#include "queue_reply.h"
#include "queue_results.h"
#include "queue_trim.h"

/* One dead-letter entry ([id, [field, value ...]]) as a JSON object. */
static json_t *entry_json(const redisReply *e) {
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
        return NULL;
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "dlq_id", json_string(e->element[0]->str));
    const redisReply *f = e->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const char *name = exam_reply_str(f->element[i]);
        const redisReply *v = f->element[i + 1];
        if (!name || v->type != REDIS_REPLY_STRING) continue;
        json_t *value = NULL;
        if (!strcmp(name, "error")) value = json_loadb(v->str, (size_t)v->len, 0, NULL);
        if (!value) value = json_stringn_nocheck(v->str, (size_t)v->len);
        json_object_set_new(o, name, value);
    }
    return o;
}

exam_status exam_queue_dlq_list(exam_redis *r, const exam_queue_keys *keys, size_t limit,
                                json_t **out, long long *total) {
    *out = NULL;
    redisReply *rep = NULL;
    exam_status st = limit ? exam_redis_command(r, &rep, "XRANGE %s - + COUNT %llu", keys->dead,
                                                (unsigned long long)limit)
                           : exam_redis_command(r, &rep, "XRANGE %s - +", keys->dead);
    if (st != EXAM_OK) return st;
    st = exam_redis_reply_status(rep, "XRANGE");
    json_t *list = json_array();
    if (st == EXAM_OK && !list) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == EXAM_OK && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++)
        if (json_array_append_new(list, entry_json(rep->element[i])))
            st = exam_error_set(EXAM_ERR_FORMAT, "XRANGE %s: unexpected entry", keys->dead);
    freeReplyObject(rep);
    if (st == EXAM_OK && total) {
        st = exam_redis_command(r, &rep, "XLEN %s", keys->dead);
        if (st == EXAM_OK) {
            st = exam_redis_reply_status(rep, "XLEN");
            *total = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
            freeReplyObject(rep);
        }
    }
    if (st != EXAM_OK) {
        json_decref(list);
        return st;
    }
    *out = list;
    return EXAM_OK;
}

static exam_status simple(exam_redis *r, const char *what, int argc, const char **argv,
                          redisReply **keep) {
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
    if (st != EXAM_OK) return st;
    st = exam_redis_reply_status(rep, what);
    if (keep && st == EXAM_OK)
        *keep = rep;
    else
        freeReplyObject(rep);
    return st;
}

/* What a replay needs from one dead letter. */
typedef struct dead_letter {
    char *payload;
    size_t payload_len;
    char *id, *cohort;
    int id_conflict; /* error code id_conflict: the result hash belongs to another job */
} dead_letter;

/* What the result hash of the letter's job holds (queue_outcome.h), owned strings. */
typedef struct stored_result {
    char *field[4]; /* status, cohort, entry, dead */
    exam_result_prev prev;
} stored_result;

static void stored_result_free(stored_result *s) {
    for (int k = 0; k < 4; k++) free(s->field[k]);
    memset(s, 0, sizeof *s);
}

static void dead_letter_free(dead_letter *d) {
    free(d->payload);
    free(d->id);
    free(d->cohort);
    memset(d, 0, sizeof *d);
}

/* Reads entry `entry` of the dead-letter stream (under WATCH). */
static exam_status read_dead_letter(exam_redis *r, const exam_queue_keys *keys, const char *entry,
                                    dead_letter *d) {
    memset(d, 0, sizeof *d);
    redisReply *rep = NULL;
    const char *xr[] = {"XRANGE", keys->dead, entry, entry};
    exam_status st = simple(r, "XRANGE", 4, xr, &rep);
    if (st != EXAM_OK) return st;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
        freeReplyObject(rep);
        return exam_error_set(EXAM_ERR_NOT_FOUND, "%s has no dead letter %s", keys->dead, entry);
    }
    const redisReply *e = rep->element[0];
    const redisReply *fields =
        e->type == REDIS_REPLY_ARRAY && e->elements == 2 ? e->element[1] : NULL;
    const redisReply *job = exam_reply_field(fields, EXAM_QF_JOB);
    const char *id = exam_reply_str(exam_reply_field(fields, EXAM_QF_DEAD_ID));
    const char *err = exam_reply_str(exam_reply_field(fields, "error"));
    json_t *eo = err ? json_loads(err, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(eo, "code"));
    d->id_conflict = code && !strcmp(code, "id_conflict");
    json_decref(eo);
    if (!job || job->type != REDIS_REPLY_STRING) {
        freeReplyObject(rep);
        return exam_error_set(EXAM_ERR_FORMAT, "dead letter %s has no '%s' field to replay", entry,
                              EXAM_QF_JOB);
    }
    const char *cut = exam_reply_str(exam_reply_field(fields, EXAM_QF_DEAD_TRUNCATED));
    if (cut && !strcmp(cut, "1")) {
        const char *bytes = exam_reply_str(exam_reply_field(fields, EXAM_QF_DEAD_JOB_BYTES));
        exam_status fs = exam_error_set(EXAM_ERR_FORMAT,
                                        "dead letter %s keeps only the first %zu of the job's %s "
                                        "bytes (it was over the worker's --max-job-bytes): "
                                        "nothing to replay",
                                        entry, (size_t)job->len, bytes ? bytes : "?");
        freeReplyObject(rep);
        return fs;
    }
    d->payload = malloc((size_t)job->len + 1);
    if (d->payload) {
        memcpy(d->payload, job->str, (size_t)job->len);
        d->payload[job->len] = '\0';
        d->payload_len = (size_t)job->len;
    }
    /* The id and cohort come from the job itself when it parses; the dead letter's own id
     * field covers a job whose JSON could not be read. */
    json_t *obj = json_loadb(job->str, (size_t)job->len, 0, NULL);
    const char *jid = json_string_value(json_object_get(obj, "id"));
    const char *coh = json_string_value(json_object_get(obj, "cohort"));
    if (jid && strlen(jid) > EXAM_JOB_ID_MAX) jid = NULL; /* no result is addressed by it */
    if (id && strlen(id) > EXAM_JOB_ID_MAX) id = NULL;
    if (jid && *jid)
        d->id = strdup(jid);
    else if (id && *id)
        d->id = strdup(id);
    if (coh && *coh) d->cohort = strdup(coh);
    int oom =
        !d->payload || ((jid && *jid) || (id && *id) ? !d->id : 0) || (coh && *coh && !d->cohort);
    json_decref(obj);
    freeReplyObject(rep);
    if (oom) {
        dead_letter_free(d);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    return EXAM_OK;
}

/* Reads the letter's job's result hash (HMGET status cohort entry dead) into *out. */
static exam_status read_stored(exam_redis *r, const char *result_key, stored_result *out) {
    memset(out, 0, sizeof *out);
    redisReply *rep = NULL;
    const char *hmget[] = {"HMGET",
                           result_key,
                           EXAM_QF_RESULT_STATUS,
                           EXAM_QF_RESULT_COHORT,
                           EXAM_QF_RESULT_ENTRY,
                           EXAM_QF_RESULT_DEAD};
    exam_status st = simple(r, "HMGET", 6, hmget, &rep);
    if (st != EXAM_OK) return st;
    for (size_t k = 0; rep->type == REDIS_REPLY_ARRAY && k < rep->elements && k < 4; k++) {
        const char *v = exam_reply_str(rep->element[k]);
        if (v && !(out->field[k] = strdup(v))) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    freeReplyObject(rep);
    const char *status = out->field[0];
    out->prev.state = !status                 ? EXAM_RESULT_NONE
                      : !strcmp(status, "ok") ? EXAM_RESULT_OK
                                              : EXAM_RESULT_ERROR;
    out->prev.cohort = out->field[1];
    out->prev.entry = out->field[2];
    out->prev.dead = out->field[3];
    return st;
}

/* One optimistic attempt; *conflict is set when EXEC was aborted by a concurrent write. The
 * writes are exam_outcome_decide's for a replay. */
static exam_status replay_once(exam_redis *r, const exam_queue_keys *keys, const char *entry,
                               char *new_id, size_t new_id_size, int *conflict) {
    *conflict = 0;
    const char *watch_dead[] = {"WATCH", keys->dead};
    exam_status st = simple(r, "WATCH", 2, watch_dead, NULL);
    if (st != EXAM_OK) return st;
    dead_letter d;
    st = read_dead_letter(r, keys, entry, &d);
    char *result_key = NULL, *cohort_key = NULL, *ids_key = NULL;
    stored_result stored = {0};
    if (st == EXAM_OK && d.id) {
        result_key = exam_queue_key_for(keys, EXAM_QK_RESULT, d.id);
        if (!result_key) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        const char *watch_result[] = {"WATCH", result_key};
        if (st == EXAM_OK) st = simple(r, "WATCH", 2, watch_result, NULL);
        if (st == EXAM_OK) st = read_stored(r, result_key, &stored);
        /* a hash without a cohort field (older workers): the job's own cohort */
        if (st == EXAM_OK && !stored.field[1]) stored.prev.cohort = d.cohort;
        /* an id_conflict letter's job never had that result: it is another cohort's, so the
         * replay leaves the hash and its counts alone */
        if (st == EXAM_OK && d.id_conflict) memset(&stored.prev, 0, sizeof stored.prev);
    }
    exam_outcome next = {EXAM_OUTCOME_REPLAY, NULL, NULL, entry};
    exam_outcome_plan plan = exam_outcome_decide(&stored.prev, &next);
    if (st == EXAM_OK && plan.uncount_cohort)
        cohort_key = exam_queue_cohort_key(keys, plan.uncount_cohort, "");
    if (st == EXAM_OK && plan.srem_cohort)
        ids_key = exam_queue_cohort_key(keys, plan.srem_cohort, EXAM_QK_COHORT_IDS_SUFFIX);
    if (st == EXAM_OK && ((plan.uncount_cohort && !cohort_key) || (plan.srem_cohort && !ids_key)))
        st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    if (st != EXAM_OK) {
        const char *unwatch[] = {"UNWATCH"};
        if (exam_redis_connected(r)) simple(r, "UNWATCH", 1, unwatch, NULL);
        dead_letter_free(&d);
        stored_result_free(&stored);
        free(result_key);
        free(cohort_key);
        free(ids_key);
        return st;
    }
    /* MULTI, the writes, EXEC: pipelined, replies read in order. */
    const char *multi[] = {"MULTI"};
    const char *xadd[] = {"XADD", keys->jobs, "*", EXAM_QF_JOB, d.payload};
    size_t xadd_len[] = {4, strlen(keys->jobs), 1, strlen(EXAM_QF_JOB), d.payload_len};
    const char *xdel[] = {"XDEL", keys->dead, plan.del_dead[0]};
    const char *xdel2[] = {"XDEL", keys->dead, plan.del_dead[1]};
    const char *del[] = {"DEL", result_key};
    const char *hincr[] = {"HINCRBY", cohort_key, EXAM_QF_COHORT_FAILED, "-1"};
    const char *srem[] = {"SREM", ids_key, d.id};
    const char *exec[] = {"EXEC"};
    struct {
        int argc;
        const char **argv;
        const size_t *lens;
        int use;
    } cmds[] = {{1, multi, NULL, 1},
                {5, xadd, xadd_len, plan.readd_job},
                {3, xdel, NULL, plan.del_dead[0] != NULL},
                {3, xdel2, NULL, plan.del_dead[1] != NULL},
                {2, del, NULL, plan.delete_result && result_key},
                {4, hincr, NULL, cohort_key != NULL},
                {3, srem, NULL, ids_key != NULL},
                {1, exec, NULL, 1}};
    size_t sent = 0;
    for (size_t c = 0; st == EXAM_OK && c < sizeof cmds / sizeof cmds[0]; c++)
        if (cmds[c].use) {
            st = exam_redis_append_argv(r, cmds[c].argc, cmds[c].argv, cmds[c].lens);
            if (st == EXAM_OK) sent++;
        }
    redisReply *last = NULL;
    for (size_t k = 0; k < sent; k++) {
        redisReply *rep = NULL;
        exam_status rs = exam_redis_get_reply(r, &rep);
        if (rs != EXAM_OK) {
            st = rs;
            break;
        }
        if (k + 1 < sent) {
            rs = exam_redis_reply_status(rep, k == 0 ? "MULTI" : "queued command");
            if (st == EXAM_OK) st = rs;
            freeReplyObject(rep);
        } else {
            last = rep;
        }
    }
    if (st == EXAM_OK && last) {
        st = exam_redis_reply_status(last, "EXEC");
        if (st == EXAM_OK && last->type == REDIS_REPLY_NIL) {
            *conflict = 1;
        } else if (st == EXAM_OK && last->type == REDIS_REPLY_ARRAY && last->elements >= 2) {
            st = exam_redis_reply_status(last->element[0], "XADD");
            if (st == EXAM_OK) st = exam_redis_reply_status(last->element[1], "XDEL");
            if (st == EXAM_OK && new_id && last->element[0]->type == REDIS_REPLY_STRING)
                snprintf(new_id, new_id_size, "%s", last->element[0]->str);
        } else if (st == EXAM_OK) {
            st = exam_error_set(EXAM_ERR_FORMAT, "EXEC: unexpected reply");
        }
    }
    freeReplyObject(last);
    dead_letter_free(&d);
    stored_result_free(&stored);
    free(result_key);
    free(cohort_key);
    free(ids_key);
    return st;
}

exam_status exam_queue_dlq_replay(exam_redis *r, const exam_queue_keys *keys, const char *entry,
                                  char *new_id, size_t new_id_size) {
    exam_stream_id parsed;
    if (exam_stream_id_parse(entry, &parsed))
        return exam_error_set(EXAM_ERR_ARG, "'%s' is not a stream entry id", entry);
    for (int attempt = 0; attempt < 20; attempt++) {
        int conflict;
        exam_status st = replay_once(r, keys, entry, new_id, new_id_size, &conflict);
        if (st != EXAM_OK || !conflict) return st;
    }
    return exam_error_set(EXAM_ERR_UNAVAILABLE,
                          "dead letter %s: gave up after 20 attempts that conflicted with "
                          "concurrent writes",
                          entry);
}

exam_status exam_queue_dlq_replay_all(exam_redis *r, const exam_queue_keys *keys, size_t *replayed,
                                      size_t *skipped) {
    *replayed = *skipped = 0;
    /* The newest dead letter now bounds the run, so jobs that fail again are not replayed in
     * a loop. */
    redisReply *rep = NULL;
    exam_status st = exam_redis_command(r, &rep, "XREVRANGE %s + - COUNT 1", keys->dead);
    if (st != EXAM_OK) return st;
    st = exam_redis_reply_status(rep, "XREVRANGE");
    char end[48] = "";
    if (st == EXAM_OK && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2 &&
        rep->element[0]->element[0]->type == REDIS_REPLY_STRING)
        snprintf(end, sizeof end, "%s", rep->element[0]->element[0]->str);
    freeReplyObject(rep);
    if (st != EXAM_OK || !end[0]) return st;
    char start[52] = "-";
    for (;;) {
        st = exam_redis_command(r, &rep, "XRANGE %s %s %s COUNT 100", keys->dead, start, end);
        if (st != EXAM_OK) return st;
        st = exam_redis_reply_status(rep, "XRANGE");
        size_t n = st == EXAM_OK && rep->type == REDIS_REPLY_ARRAY ? rep->elements : 0;
        for (size_t i = 0; st == EXAM_OK && i < n; i++) {
            const redisReply *e = rep->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
                e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            snprintf(start, sizeof start, "(%s", e->element[0]->str);
            st = exam_queue_dlq_replay(r, keys, e->element[0]->str, NULL, 0);
            if (st == EXAM_OK) {
                (*replayed)++;
            } else if (st == EXAM_ERR_NOT_FOUND) {
                st = EXAM_OK; /* replayed by someone else meanwhile */
            } else if (st == EXAM_ERR_FORMAT) {
                (*skipped)++; /* nothing to replay in it: left for `dlq list` to show */
                st = EXAM_OK;
            }
        }
        freeReplyObject(rep);
        if (st != EXAM_OK || n == 0) return st;
    }
}
