/* The batch commit of docs/queue.md: WATCH the batch's result keys and read which exist, then
 * one MULTI/EXEC with the result hashes, the results stream, cohort aggregates, dead letters and
 * the XACK; EXEC answering nil (a watched result changed) repeats it. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
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

/* One attempt. *retry is set when EXEC answered nil. */
static exam_status attempt(exam_worker *w, wk_item *items, size_t n, char **keys, int *had,
                           long *duplicates, int *retry) {
    exam_redis *r = w->wr;
    *retry = 0;
    *duplicates = 0;
    size_t n_keys = 0;
    const char **watch = malloc((n + 1) * sizeof *watch);
    const char **acks = malloc((n + 1) * sizeof *acks);
    if (!watch || !acks) {
        free(watch);
        free(acks);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (keys[i]) watch[n_keys++] = keys[i];
        acks[i] = items[i].entry;
    }
    exam_status st = EXAM_OK;
    /* 1. WATCH the result keys and ask which exist */
    if (n_keys) {
        const char *head[] = {"WATCH"};
        st = send_list(r, head, 1, watch, n_keys);
        for (size_t i = 0; i < n && st == EXAM_OK; i++) {
            if (!keys[i]) continue;
            const char *argv[] = {"HGET", keys[i], "status"};
            st = exam_redis_append_argv(r, 3, argv, NULL);
        }
        /* read every reply (keeps the connection in step), remember the first error */
        exam_status first = EXAM_OK;
        size_t want = st == EXAM_OK ? n_keys + 1 : 0;
        for (size_t k = 0, i = 0; k < want; k++) {
            redisReply *rep = NULL;
            if ((st = exam_redis_get_reply(r, &rep)) != EXAM_OK) break;
            exam_status rs = exam_redis_reply_status(rep, k == 0 ? "WATCH" : "HGET");
            if (rs != EXAM_OK && first == EXAM_OK) first = rs;
            if (k > 0) {
                while (!keys[i]) had[i++] = 0;
                had[i++] = rep->type != REDIS_REPLY_STRING ? 0
                           : strcmp(rep->str, "ok") == 0   ? 2
                                                           : 1;
            }
            freeReplyObject(rep);
        }
        if (st == EXAM_OK) st = first;
    }
    if (st == EXAM_OK) st = wk_commit_id_conflicts(w, items, n, keys, had);
    if (st != EXAM_OK) {
        free(watch);
        free(acks);
        return st;
    }
    /* a job id twice in one batch: the later copy is an overwrite */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i && keys[i] && !had[i]; j++)
            if (keys[j] && !strcmp(keys[i], keys[j])) had[i] = items[j].ok ? 2 : 1;

    /* 2. MULTI ... EXEC */
    pipe_t p = {r, 0, EXAM_OK};
    char now_s[32], maxlen[32];
    snprintf(now_s, sizeof now_s, "%.0f", wall_ms());
    snprintf(maxlen, sizeof maxlen, "%ld", w->cfg.results_maxlen);
    cmd c = {0};
    arg(&c, "MULTI");
    pipe_send(&p, &c);
    for (size_t i = 0; i < n && p.st == EXAM_OK; i++) {
        wk_item *it = &items[i];
        char score[40], sq[40], deliv[32], bin[16];
        snprintf(score, sizeof score, "%.10g", it->score);
        snprintf(sq, sizeof sq, "%.10g", it->score * it->score);
        snprintf(deliv, sizeof deliv, "%ld", it->deliveries);
        const char *cohort = it->cohort ? it->cohort : "";
        /* an error never replaces a graded result (a later copy of a job id that failed): the
         * ok result stays, the failure is kept as a dead letter below */
        int keep_ok = (had[i] == 2 && !it->ok) || it->id_conflict;
        if (keys[i] && !keep_ok) {
            if (had[i]) ++*duplicates;
            c.argc = 0;
            arg(&c, "HSET");
            arg(&c, keys[i]);
            arg(&c, "json");
            arg(&c, it->result);
            arg(&c, "status");
            arg(&c, it->ok ? "ok" : "error");
            arg(&c, "cohort");
            arg(&c, cohort);
            if (it->ok) {
                arg(&c, "score");
                arg(&c, score);
            }
            arg(&c, "entry");
            arg(&c, it->entry);
            arg(&c, "worker");
            arg(&c, w->consumer);
            arg(&c, "updated_ms");
            arg(&c, now_s);
            pipe_send(&p, &c);
            if (p.st == EXAM_OK) p.st = wk_calib_append(w, r, it, &p.queued);
            if (had[i] && !it->ok) {
                c.argc = 0;
                arg(&c, "HDEL");
                arg(&c, keys[i]);
                arg(&c, "score");
                pipe_send(&p, &c);
            }
            if (!had[i]) {
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
                pipe_send(&p, &c);
            }
            if (!had[i] && cohort[0]) {
                char *ck = exam_queue_key_for(&w->keys, "cohort", cohort);
                size_t idl = ck ? strlen(ck) + 8 : 0;
                char *ids = ck ? malloc(idl) : NULL;
                if (!ck || !ids) {
                    free(ck);
                    free(ids);
                    p.st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                    break;
                }
                snprintf(ids, idl, "%s:ids", ck);
                c.argc = 0;
                arg(&c, "SADD");
                arg(&c, ids);
                arg(&c, it->id);
                pipe_send(&p, &c);
                c.argc = 0;
                arg(&c, "SADD");
                arg(&c, w->keys.cohorts);
                arg(&c, cohort);
                pipe_send(&p, &c);
                c.argc = 0;
                arg(&c, "HINCRBY");
                arg(&c, ck);
                arg(&c, it->ok ? "done" : "failed");
                arg(&c, "1");
                pipe_send(&p, &c);
                if (it->ok) {
                    c.argc = 0;
                    arg(&c, "HINCRBYFLOAT");
                    arg(&c, ck);
                    arg(&c, "score_sum");
                    arg(&c, score);
                    pipe_send(&p, &c);
                    c.argc = 0;
                    arg(&c, "HINCRBYFLOAT");
                    arg(&c, ck);
                    arg(&c, "score_sumsq");
                    arg(&c, sq);
                    pipe_send(&p, &c);
                    int k = (int)floor(it->score + 0.5);
                    snprintf(bin, sizeof bin, "bin:%d", k < 0 ? 0 : k > 10 ? 10 : k);
                    c.argc = 0;
                    arg(&c, "HINCRBY");
                    arg(&c, ck);
                    arg(&c, bin);
                    arg(&c, "1");
                    pipe_send(&p, &c);
                }
                c.argc = 0;
                arg(&c, "HSET");
                arg(&c, ck);
                arg(&c, "updated_ms");
                arg(&c, now_s);
                arg(&c, "name"); /* the real name: the key holds its encoding */
                arg(&c, cohort);
                pipe_send(&p, &c);
                free(ck);
                free(ids);
            }
        }
        /* dead letter: every failed job once (a job without a readable id every time) */
        if (!it->ok && (!keys[i] || !had[i] || keep_ok)) {
            json_t *e = json_pack("{s:s, s:s}", "code", it->code, "message", it->message);
            char *ejs = e ? json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            json_decref(e);
            if (!ejs) {
                p.st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            c.argc = 0;
            arg(&c, "XADD");
            arg(&c, w->keys.dead);
            arg(&c, "*");
            arg(&c, "id");
            arg(&c, it->id ? it->id : "");
            arg(&c, "job");
            argn(&c, it->raw ? it->raw : "", it->raw ? it->raw_len : 0);
            arg(&c, "error");
            arg(&c, ejs);
            arg(&c, "entry");
            arg(&c, it->entry);
            arg(&c, "deliveries");
            arg(&c, deliv);
            arg(&c, "worker");
            arg(&c, w->consumer);
            arg(&c, "reason");
            arg(&c, reason_of(it));
            pipe_send(&p, &c);
            free(ejs);
        }
    }
    if (p.st == EXAM_OK) {
        const char *head[] = {"XACK", w->keys.jobs, EXAM_QUEUE_GROUP};
        p.st = send_list(r, head, 3, acks, n);
        if (p.st == EXAM_OK) p.queued++;
    }
    c.argc = 0;
    arg(&c, "EXEC");
    if (p.st == EXAM_OK) pipe_send(&p, &c);
    free(watch);
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
    freeReplyObject(rep);
    return EXAM_OK;
}

exam_status wk_commit(exam_worker *w, wk_item *items, size_t n, long *duplicates) {
    *duplicates = 0;
    if (n == 0) return EXAM_OK;
    char **keys = calloc(n, sizeof *keys);
    int *had = calloc(n, sizeof *had);
    exam_status st = keys && had ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && st == EXAM_OK; i++) {
        if (items[i].kind == WK_TRIMMED || !items[i].id || !items[i].result) continue;
        if (!(keys[i] = exam_queue_key_for(&w->keys, "result", items[i].id)))
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    for (int tries = 0; st == EXAM_OK; tries++) {
        int retry = 0;
        st = attempt(w, items, n, keys, had, duplicates, &retry);
        if (st != EXAM_OK || !retry) break;
        exam_wm_add(w->metrics, EXAM_WM_COMMIT_RETRIES, 1);
        if (tries >= MAX_TRIES) {
            st = exam_error_set(EXAM_ERR_UNAVAILABLE,
                                "commit: EXEC kept answering nil after %d tries", MAX_TRIES);
            break;
        }
    }
    /* leave no WATCH behind on an error path */
    if (st != EXAM_OK && exam_redis_connected(w->wr)) {
        redisReply *rep;
        if (exam_redis_command(w->wr, &rep, "UNWATCH") == EXAM_OK) freeReplyObject(rep);
    }
    for (size_t i = 0; keys && i < n; i++) free(keys[i]);
    free(keys);
    free(had);
    return st;
}
