/* The batch commit of docs/queue.md: WATCH the batch's result keys and read what they hold, let
 * exam_outcome_decide plan each job's writes, then one MULTI/EXEC with the result hashes, the
 * results stream, cohort aggregates, dead letters and the XACK; EXEC answering nil (a watched
 * result changed) repeats it. A follow-up transaction links new dead letters to their error
 * results (or removes them when an ok result superseded the error meanwhile). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "queue_fields.h"
#include "queue_outcome.h"
#include "queue_results.h"
#include "worker_calib.h"
#include "worker_internal.h"

#define MAX_ARGS 24
#define MAX_TRIES 50

/* One command being built: at most MAX_ARGS arguments, strings owned by the caller or `own`. */
typedef struct cmd {
    const char *argv[MAX_ARGS];
    size_t lens[MAX_ARGS];
    int argc;
} cmd;

static void arg(cmd *c, const char *s) {
    c->argv[c->argc] = s;
    c->lens[c->argc++] = strlen(s);
}

static void argn(cmd *c, const char *s, size_t n) {
    c->argv[c->argc] = s;
    c->lens[c->argc++] = n;
}

/* The commit's state: commands queued and how many replies to read. */
typedef struct pipe {
    exam_redis *r;
    int queued;
    exam_status st;
} pipe_t;

static void pipe_send(pipe_t *p, cmd *c) {
    if (p->st != EXAM_OK) return;
    p->st = exam_redis_append_argv(p->r, c->argc, c->argv, c->lens);
    if (p->st == EXAM_OK) p->queued++;
}

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Variable-length command (WATCH, XACK) from a fixed head and a list of strings. */
static exam_status send_list(exam_redis *r, const char *const *head, int n_head,
                             const char *const *list, size_t n) {
    const char **argv = malloc((n + (size_t)n_head) * sizeof *argv);
    if (!argv) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_head; i++) argv[i] = head[i];
    for (size_t i = 0; i < n; i++) argv[(size_t)n_head + i] = list[i];
    exam_status st = exam_redis_append_argv(r, (int)n + n_head, argv, NULL);
    free(argv);
    return st;
}

static const char *reason_of(const wk_item *it) {
    return it->kind == WK_TRIMMED          ? "trimmed"
           : it->kind == WK_MAX_DELIVERIES ? "max_deliveries"
                                           : "invalid";
}

/* What the commit knows of one item: its result key, the hash as read, the plan. */
typedef struct wk_slot {
    char *key;         /* result:<id>, NULL when the item has no result (no id, trimmed) */
    char *prev_str[4]; /* owned copies of status, cohort, entry, dead as read */
    exam_result_prev prev;
    exam_outcome_plan plan;
    int dead_at;      /* index of its XADD dead in EXEC's reply, -1 none */
    char dead_id[48]; /* that letter's id, after EXEC */
} wk_slot;

static void slot_clear_prev(wk_slot *s) {
    for (int k = 0; k < 4; k++) {
        free(s->prev_str[k]);
        s->prev_str[k] = NULL;
    }
    memset(&s->prev, 0, sizeof s->prev);
}

static const char *const read_fields[] = {EXAM_QF_RESULT_STATUS, EXAM_QF_RESULT_COHORT,
                                          EXAM_QF_RESULT_ENTRY, EXAM_QF_RESULT_DEAD};

/* Queues WATCH <keys> and HMGET <key> status cohort entry dead for each slot with a key. */
static exam_status send_reads(exam_redis *r, wk_slot *slots, size_t n, size_t *n_keys) {
    *n_keys = 0;
    const char **watch = malloc((n + 1) * sizeof *watch);
    if (!watch) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (slots[i].key) watch[(*n_keys)++] = slots[i].key;
    exam_status st = EXAM_OK;
    if (*n_keys) {
        const char *head[] = {"WATCH"};
        st = send_list(r, head, 1, watch, *n_keys);
    }
    free(watch);
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (!slots[i].key) continue;
        const char *argv[] = {"HMGET",        slots[i].key,   read_fields[0],
                              read_fields[1], read_fields[2], read_fields[3]};
        st = exam_redis_append_argv(r, 6, argv, NULL);
    }
    return st;
}

/* Reads the replies of send_reads into each slot's prev. */
static exam_status read_prev(exam_redis *r, wk_slot *slots, size_t n, size_t n_keys) {
    exam_status st = EXAM_OK, first = EXAM_OK;
    size_t want = n_keys ? n_keys + 1 : 0;
    for (size_t k = 0, i = 0; k < want; k++) {
        redisReply *rep = NULL;
        if ((st = exam_redis_get_reply(r, &rep)) != EXAM_OK) return st;
        exam_status rs = exam_redis_reply_status(rep, k == 0 ? "WATCH" : "HMGET");
        if (rs != EXAM_OK && first == EXAM_OK) first = rs;
        while (k > 0 && i < n && !slots[i].key) i++;
        if (k > 0 && i < n) { /* one reply per key */
            wk_slot *s = &slots[i++];
            slot_clear_prev(s);
            for (size_t f = 0; rep->type == REDIS_REPLY_ARRAY && f < rep->elements && f < 4; f++)
                if (rep->element[f]->type == REDIS_REPLY_STRING &&
                    !(s->prev_str[f] = strdup(rep->element[f]->str)) && first == EXAM_OK)
                    first = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            const char *status = s->prev_str[0];
            s->prev.state = !status                 ? EXAM_RESULT_NONE
                            : !strcmp(status, "ok") ? EXAM_RESULT_OK
                                                    : EXAM_RESULT_ERROR;
            s->prev.cohort = s->prev_str[1];
            s->prev.entry = s->prev_str[2];
            s->prev.dead = s->prev_str[3];
        }
        freeReplyObject(rep);
    }
    return first;
}

/* The dead letter of item it: bounded payload (worker_read.c), its length and whether it was
 * cut, the error, where it came from. */
static exam_status send_dead_letter(pipe_t *p, exam_worker *w, const wk_item *it) {
    json_t *e = json_pack("{s:s, s:s}", "code", it->code, "message", it->message);
    char *ejs = e ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(e);
    if (!ejs) return p->st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    char deliv[32], bytes[32];
    snprintf(deliv, sizeof deliv, "%ld", it->deliveries);
    snprintf(bytes, sizeof bytes, "%zu", it->raw_bytes > it->raw_len ? it->raw_bytes : it->raw_len);
    cmd c = {0};
    arg(&c, "XADD");
    arg(&c, w->keys.dead);
    arg(&c, "*");
    arg(&c, EXAM_QF_DEAD_ID);
    arg(&c, it->id ? it->id : "");
    arg(&c, EXAM_QF_JOB);
    argn(&c, it->raw ? it->raw : "", it->raw ? it->raw_len : 0);
    arg(&c, EXAM_QF_DEAD_JOB_BYTES);
    arg(&c, bytes);
    arg(&c, EXAM_QF_DEAD_TRUNCATED);
    arg(&c, it->raw_truncated ? "1" : "0");
    arg(&c, "error");
    arg(&c, ejs);
    arg(&c, EXAM_QF_DEAD_ENTRY);
    arg(&c, it->entry);
    arg(&c, "deliveries");
    arg(&c, deliv);
    arg(&c, "worker");
    arg(&c, w->consumer);
    arg(&c, "reason");
    arg(&c, reason_of(it));
    pipe_send(p, &c);
    free(ejs);
    return p->st;
}

/* Queues the cohort writes of a plan for item it. */
static exam_status send_cohort(pipe_t *p, exam_worker *w, const wk_item *it,
                               const exam_outcome_plan *pl, const char *now_s) {
    cmd c = {0};
    if (pl->srem_cohort) {
        char *ids = exam_queue_cohort_key(&w->keys, pl->srem_cohort, EXAM_QK_COHORT_IDS_SUFFIX);
        if (!ids) return p->st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        arg(&c, "SREM");
        arg(&c, ids);
        arg(&c, it->id);
        pipe_send(p, &c);
        free(ids);
    }
    if (pl->uncount_cohort) {
        char *ck = exam_queue_cohort_key(&w->keys, pl->uncount_cohort, "");
        if (!ck) return p->st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        c.argc = 0;
        arg(&c, "HINCRBY");
        arg(&c, ck);
        arg(&c, EXAM_QF_COHORT_FAILED);
        arg(&c, "-1");
        pipe_send(p, &c);
        c.argc = 0;
        arg(&c, "HSET");
        arg(&c, ck);
        arg(&c, "updated_ms");
        arg(&c, now_s);
        pipe_send(p, &c);
        free(ck);
    }
    if (!pl->count_cohort) return p->st;
    char *ck = exam_queue_cohort_key(&w->keys, pl->count_cohort, "");
    char *ids = exam_queue_cohort_key(&w->keys, pl->count_cohort, EXAM_QK_COHORT_IDS_SUFFIX);
    if (!ck || !ids) {
        free(ck);
        free(ids);
        return p->st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    char score[40], sq[40], bin[16];
    snprintf(score, sizeof score, "%.10g", it->score);
    snprintf(sq, sizeof sq, "%.10g", it->score * it->score);
    c.argc = 0;
    arg(&c, "SADD");
    arg(&c, ids);
    arg(&c, it->id);
    pipe_send(p, &c);
    c.argc = 0;
    arg(&c, "SADD");
    arg(&c, w->keys.cohorts);
    arg(&c, pl->count_cohort);
    pipe_send(p, &c);
    c.argc = 0;
    arg(&c, "HINCRBY");
    arg(&c, ck);
    arg(&c, pl->count_ok ? EXAM_QF_COHORT_DONE : EXAM_QF_COHORT_FAILED);
    arg(&c, "1");
    pipe_send(p, &c);
    if (pl->count_ok) {
        c.argc = 0;
        arg(&c, "HINCRBYFLOAT");
        arg(&c, ck);
        arg(&c, EXAM_QF_COHORT_SUM);
        arg(&c, score);
        pipe_send(p, &c);
        c.argc = 0;
        arg(&c, "HINCRBYFLOAT");
        arg(&c, ck);
        arg(&c, "score_sumsq");
        arg(&c, sq);
        pipe_send(p, &c);
        int k = (int)floor(it->score + 0.5);
        snprintf(bin, sizeof bin, "bin:%d", k < 0 ? 0 : k > 10 ? 10 : k);
        c.argc = 0;
        arg(&c, "HINCRBY");
        arg(&c, ck);
        arg(&c, bin);
        arg(&c, "1");
        pipe_send(p, &c);
    }
    c.argc = 0;
    arg(&c, "HSET");
    arg(&c, ck);
    arg(&c, "updated_ms");
    arg(&c, now_s);
    arg(&c, "name"); /* the real name: the key holds its encoding */
    arg(&c, pl->count_cohort);
    pipe_send(p, &c);
    free(ck);
    free(ids);
    return p->st;
}

/* Queues every write of item i's plan (exam_outcome_decide) inside the MULTI. */
static exam_status send_item(pipe_t *p, exam_worker *w, wk_item *it, wk_slot *s, const char *now_s,
                             const char *maxlen) {
    const exam_outcome_plan *pl = &s->plan;
    const char *cohort = it->cohort ? it->cohort : "";
    char score[40];
    snprintf(score, sizeof score, "%.10g", it->score);
    cmd c = {0};
    if (pl->write_result) {
        arg(&c, "HSET");
        arg(&c, s->key);
        arg(&c, EXAM_QF_RESULT_JSON);
        arg(&c, it->result);
        arg(&c, EXAM_QF_RESULT_STATUS);
        arg(&c, it->ok ? "ok" : "error");
        arg(&c, EXAM_QF_RESULT_COHORT);
        arg(&c, cohort);
        if (it->ok) {
            arg(&c, "score");
            arg(&c, score);
        }
        arg(&c, EXAM_QF_RESULT_ENTRY);
        arg(&c, it->entry);
        arg(&c, "worker");
        arg(&c, w->consumer);
        arg(&c, "updated_ms");
        arg(&c, now_s);
        pipe_send(p, &c);
        if (p->st == EXAM_OK) p->st = wk_calib_append(w, p->r, it, &p->queued);
    }
    if (pl->drop_score || pl->drop_dead) {
        c.argc = 0;
        arg(&c, "HDEL");
        arg(&c, s->key);
        if (pl->drop_score) arg(&c, "score");
        if (pl->drop_dead) arg(&c, EXAM_QF_RESULT_DEAD);
        pipe_send(p, &c);
    }
    if (pl->append_result) {
        c.argc = 0;
        arg(&c, "XADD");
        arg(&c, w->keys.results);
        if (w->cfg.results_maxlen >= 0) {
            arg(&c, "MAXLEN");
            arg(&c, "~");
            arg(&c, maxlen);
        }
        arg(&c, "*");
        arg(&c, "id");
        arg(&c, it->id);
        arg(&c, "result");
        arg(&c, it->result);
        pipe_send(p, &c);
    }
    for (int k = 0; k < 2; k++)
        if (pl->del_dead[k]) {
            c.argc = 0;
            arg(&c, "XDEL");
            arg(&c, w->keys.dead);
            arg(&c, pl->del_dead[k]);
            pipe_send(p, &c);
        }
    if (p->st == EXAM_OK) send_cohort(p, w, it, pl, now_s);
    if (pl->add_dead && p->st == EXAM_OK) {
        send_dead_letter(p, w, it);
        if (pl->link_dead) s->dead_at = p->queued - 2; /* MULTI is not in EXEC's reply */
    }
    return p->st;
}

/* The plan of item i: from the hash as read, or from an earlier copy of the id in the batch. */
static void plan_item(wk_item *items, wk_slot *slots, size_t i) {
    wk_slot *s = &slots[i];
    memset(&s->plan, 0, sizeof s->plan);
    s->dead_at = -1;
    s->dead_id[0] = '\0';
    if (!s->key) {
        /* no result to address (no readable id, trimmed): a dead letter, every time */
        s->plan.add_dead = 1;
        return;
    }
    exam_result_prev prev = s->prev;
    for (size_t j = 0; j < i; j++)
        if (slots[j].key && !strcmp(slots[j].key, s->key)) prev = slots[j].plan.after;
    if (wk_commit_id_conflict(&items[i], &prev)) {
        /* the id's result is another cohort's: a dead letter only, the hash stays as it is */
        s->plan.add_dead = 1;
        s->plan.after = prev;
        return;
    }
    exam_outcome next = {items[i].ok ? EXAM_OUTCOME_OK : EXAM_OUTCOME_ERROR, items[i].cohort,
                         items[i].entry, NULL};
    s->plan = exam_outcome_decide(&prev, &next);
}

/* One attempt. *retry is set when EXEC answered nil. */
static exam_status attempt(exam_worker *w, wk_item *items, size_t n, wk_slot *slots,
                           long *duplicates, int *retry) {
    exam_redis *r = w->wr;
    *retry = 0;
    *duplicates = 0;
    const char **acks = malloc((n + 1) * sizeof *acks);
    if (!acks) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) acks[i] = items[i].entry;
    /* 1. WATCH the result keys and read what they hold */
    size_t n_keys = 0;
    exam_status st = send_reads(r, slots, n, &n_keys);
    if (st == EXAM_OK) st = read_prev(r, slots, n, n_keys);
    if (st != EXAM_OK) {
        free(acks);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        plan_item(items, slots, i);
        *duplicates += slots[i].plan.duplicate;
    }

    /* 2. MULTI ... EXEC */
    pipe_t p = {r, 0, EXAM_OK};
    char now_s[32], maxlen[32];
    snprintf(now_s, sizeof now_s, "%.0f", wall_ms());
    snprintf(maxlen, sizeof maxlen, "%ld", w->cfg.results_maxlen);
    cmd c = {0};
    arg(&c, "MULTI");
    pipe_send(&p, &c);
    for (size_t i = 0; i < n && p.st == EXAM_OK; i++)
        send_item(&p, w, &items[i], &slots[i], now_s, maxlen);
    if (p.st == EXAM_OK) {
        const char *head[] = {"XACK", w->keys.jobs, EXAM_QUEUE_GROUP};
        p.st = send_list(r, head, 3, acks, n);
        if (p.st == EXAM_OK) p.queued++;
    }
    c.argc = 0;
    arg(&c, "EXEC");
    if (p.st == EXAM_OK) pipe_send(&p, &c);
    free(acks);
    if (p.st != EXAM_OK) {
        /* the connection is in an unknown state: drop it, the caller reconnects */
        if (p.st != EXAM_ERR_UNAVAILABLE) {
            exam_status keep = p.st;
            exam_redis_reconnect(r);
            return keep;
        }
        return p.st;
    }
    /* replies: MULTI, QUEUED per command, EXEC */
    exam_status queued_err = EXAM_OK;
    char queued_msg[512] = "";
    for (int i = 0; i < p.queued - 1; i++) {
        redisReply *rep;
        if ((st = exam_redis_get_reply(r, &rep)) != EXAM_OK) return st;
        if (rep->type == REDIS_REPLY_ERROR && queued_err == EXAM_OK) {
            queued_err = exam_redis_reply_status(rep, "MULTI");
            snprintf(queued_msg, sizeof queued_msg, "%s", exam_error_message());
        }
        freeReplyObject(rep);
    }
    redisReply *rep;
    if ((st = exam_redis_get_reply(r, &rep)) != EXAM_OK) return st;
    if (rep->type == REDIS_REPLY_NIL) {
        freeReplyObject(rep);
        *retry = 1;
        return EXAM_OK;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        st = queued_err != EXAM_OK ? exam_error_set(queued_err, "commit refused: %s", queued_msg)
                                   : exam_redis_reply_status(rep, "EXEC");
        freeReplyObject(rep);
        return st;
    }
    /* runtime errors of single commands (e.g. a key of the wrong type) do not undo the rest */
    for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++)
        if (rep->element[i]->type == REDIS_REPLY_ERROR) {
            exam_wm_add(w->metrics, EXAM_WM_REDIS_ERRORS, 1);
            char q[300];
            exam_log(EXAM_LOG_WARN, "commit_command_failed", "command=%zu error=%s", i,
                     exam_log_quote(rep->element[i]->str, q, sizeof q));
        }
    /* the ids of the dead letters that belong to error results, for linking */
    for (size_t i = 0; i < n; i++) {
        wk_slot *s = &slots[i];
        if (s->dead_at < 0 || rep->type != REDIS_REPLY_ARRAY || (size_t)s->dead_at >= rep->elements)
            continue;
        const redisReply *e = rep->element[s->dead_at];
        if (e->type == REDIS_REPLY_STRING) snprintf(s->dead_id, sizeof s->dead_id, "%s", e->str);
    }
    freeReplyObject(rep);
    return EXAM_OK;
}

/* After the commit: records each new dead letter of an error result in the result hash's
 * `dead` field, or deletes it when an ok result superseded that error meanwhile (a concurrent
 * commit could not know the letter's id). WATCH, HMGET, MULTI, HSET/XDEL, EXEC; again on nil. */
static exam_status link_letters(exam_worker *w, wk_item *items, size_t n, wk_slot *slots) {
    exam_redis *r = w->wr;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += slots[i].dead_id[0] != '\0';
    if (m == 0) return EXAM_OK;
    /* only the slots with a letter to link take part */
    wk_slot *sub = calloc(n, sizeof *sub);
    exam_link_action *act = calloc(n, sizeof *act);
    exam_status st = sub && act ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && st == EXAM_OK; i++)
        if (slots[i].dead_id[0]) sub[i].key = slots[i].key;
    for (int tries = 0; st == EXAM_OK; tries++) {
        if (tries > MAX_TRIES) {
            st = exam_error_set(EXAM_ERR_UNAVAILABLE, "linking dead letters: EXEC kept answering "
                                                      "nil");
            break;
        }
        size_t n_keys = 0;
        st = send_reads(r, sub, n, &n_keys);
        if (st == EXAM_OK) st = read_prev(r, sub, n, n_keys);
        if (st != EXAM_OK) break;
        int writes = 0;
        for (size_t i = 0; i < n; i++) {
            act[i] = sub[i].key ? exam_outcome_link(&sub[i].prev, items[i].entry, slots[i].dead_id)
                                : EXAM_LINK_KEEP;
            writes += act[i] != EXAM_LINK_KEEP;
        }
        if (!writes) {
            redisReply *rep = NULL;
            if ((st = exam_redis_command(r, &rep, "UNWATCH")) == EXAM_OK) freeReplyObject(rep);
            break;
        }
        pipe_t p = {r, 0, EXAM_OK};
        cmd c = {0};
        arg(&c, "MULTI");
        pipe_send(&p, &c);
        for (size_t i = 0; i < n && p.st == EXAM_OK; i++) {
            c.argc = 0;
            if (act[i] == EXAM_LINK_SET) {
                arg(&c, "HSET");
                arg(&c, sub[i].key);
                arg(&c, EXAM_QF_RESULT_DEAD);
                arg(&c, slots[i].dead_id);
            } else if (act[i] == EXAM_LINK_RESOLVE) {
                arg(&c, "XDEL");
                arg(&c, w->keys.dead);
                arg(&c, slots[i].dead_id);
            } else {
                continue;
            }
            pipe_send(&p, &c);
        }
        c.argc = 0;
        arg(&c, "EXEC");
        pipe_send(&p, &c);
        if (p.st != EXAM_OK) {
            st = p.st;
            if (st != EXAM_ERR_UNAVAILABLE) exam_redis_reconnect(r); /* mid-MULTI: start over */
            break;
        }
        int nil = 0;
        exam_status first = EXAM_OK;
        for (int k = 0; k < p.queued && st == EXAM_OK; k++) {
            redisReply *rep = NULL;
            if ((st = exam_redis_get_reply(r, &rep)) != EXAM_OK) break;
            if (k == p.queued - 1) {
                nil = rep->type == REDIS_REPLY_NIL;
                if (!nil) first = exam_redis_reply_status(rep, "EXEC");
            } else if (first == EXAM_OK) {
                first = exam_redis_reply_status(rep, k == 0 ? "MULTI" : "queued command");
            }
            freeReplyObject(rep);
        }
        if (st == EXAM_OK) st = first;
        if (st != EXAM_OK || !nil) break;
        exam_wm_add(w->metrics, EXAM_WM_COMMIT_RETRIES, 1);
    }
    for (size_t i = 0; sub && i < n; i++) slot_clear_prev(&sub[i]);
    free(sub);
    free(act);
    return st;
}

exam_status wk_commit(exam_worker *w, wk_item *items, size_t n, long *duplicates) {
    *duplicates = 0;
    if (n == 0) return EXAM_OK;
    wk_slot *slots = calloc(n, sizeof *slots);
    exam_status st = slots ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (items[i].kind == WK_TRIMMED || !items[i].id || !items[i].result) continue;
        if (!(slots[i].key = exam_queue_key_for(&w->keys, EXAM_QK_RESULT, items[i].id)))
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    for (int tries = 0; st == EXAM_OK; tries++) {
        int retry = 0;
        st = attempt(w, items, n, slots, duplicates, &retry);
        if (st != EXAM_OK || !retry) break;
        exam_wm_add(w->metrics, EXAM_WM_COMMIT_RETRIES, 1);
        if (tries >= MAX_TRIES) {
            st = exam_error_set(EXAM_ERR_UNAVAILABLE,
                                "commit: EXEC kept answering nil after %d tries", MAX_TRIES);
            break;
        }
    }
    /* The batch is committed; linking its letters is a follow-up that a failure here only
     * delays: the letters stay (listed, replayable), unlinked. */
    int unwatch = st != EXAM_OK;
    if (st == EXAM_OK) {
        exam_status ls = link_letters(w, items, n, slots);
        if (ls != EXAM_OK) {
            unwatch = 1;
            char q[300];
            exam_wm_add(w->metrics, EXAM_WM_REDIS_ERRORS, 1);
            exam_log(EXAM_LOG_WARN, "dead_letter_link_failed", "error=%s",
                     exam_log_quote(exam_error_message(), q, sizeof q));
            if (ls == EXAM_ERR_DENIED) st = ls;
        }
    }
    /* leave no WATCH behind */
    if (unwatch && exam_redis_connected(w->wr)) {
        redisReply *rep;
        if (exam_redis_command(w->wr, &rep, "UNWATCH") == EXAM_OK) freeReplyObject(rep);
    }
    for (size_t i = 0; slots && i < n; i++) {
        free(slots[i].key);
        slot_clear_prev(&slots[i]);
    }
    free(slots);
    return st;
}
