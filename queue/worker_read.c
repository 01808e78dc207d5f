/* The worker's reading side: XAUTOCLAIM of idle entries (with their delivery counts), XREADGROUP
 * of new ones cut by count, token budget and wait window, and decoding each entry into a valid
 * job or an invalid one with its reason. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue_fields.h"
#include "worker_internal.h"

/* Payloads up to this size are parsed even when over the limit, to find the job's id. */
#define ID_PARSE_LIMIT (16L << 20)

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (d) {
        if (n) memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The string member `key` of obj when it is a NUL-free string of 1..max bytes, copied; else
 * NULL (*too_long, when not NULL, says it was longer). */
static char *string_member(const json_t *obj, const char *key, size_t max, int *too_long) {
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (too_long) *too_long = 0;
    if (!json_is_string(v)) return NULL;
    size_t n = json_string_length(v);
    if (n > max && too_long) *too_long = 1;
    if (n == 0 || n > max || memchr(json_string_value(v), '\0', n)) return NULL;
    return dup_n(json_string_value(v), n);
}

/* Keeps the payload for a dead letter: whole when it is within max_job_bytes, else its first
 * EXAM_DEAD_JOB_PREFIX bytes (cut at a UTF-8 boundary), so an oversized job costs neither the
 * reader nor Redis its size. */
static exam_status keep_payload(exam_worker *w, wk_item *it, const char *s, size_t n) {
    size_t keep = n;
    if (n > (size_t)w->cfg.max_job_bytes && n > EXAM_DEAD_JOB_PREFIX) {
        keep = EXAM_DEAD_JOB_PREFIX;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) keep--;
        it->raw_truncated = 1;
    }
    it->raw = dup_n(s, keep);
    it->raw_len = keep;
    it->raw_bytes = n;
    return it->raw ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
}

static void set_invalid(wk_item *it, exam_status st, const char *msg) {
    it->kind = WK_INVALID;
    it->err = st;
    snprintf(it->code, sizeof it->code, "%s", exam_status_name(st));
    snprintf(it->message, sizeof it->message, "%s", msg);
}

exam_status wk_prepare_item(exam_worker *w, wk_item *it) {
    exam_grade_prep_free(it->prep);
    it->prep = NULL;
    exam_status st = exam_grader_prepare(w->cfg.grader, &it->job, 1, &it->prep);
    if (st != EXAM_OK) return st;
    if (w->cfg.after_prepare) w->cfg.after_prepare(w->cfg.after_prepare_arg, &it->job);
    size_t n = exam_grade_prep_answer_tokens(it->prep, 0);
    it->tokens = (int)(n > (1u << 30) ? (1u << 30) : n) + 2;
    return EXAM_OK;
}

exam_status wk_decode_entry(exam_worker *w, const redisReply *e, long deliveries, wk_item *it) {
    memset(it, 0, sizeof *it);
    it->deliveries = deliveries;
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
        e->element[0]->type != REDIS_REPLY_STRING) {
        snprintf(it->entry, sizeof it->entry, "?");
        it->raw = dup_n("", 0);
        set_invalid(it, EXAM_ERR_FORMAT, "unexpected stream entry shape");
        return it->raw ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    snprintf(it->entry, sizeof it->entry, "%s", e->element[0]->str);
    it->enqueue_ms = strtod(it->entry, NULL);
    const redisReply *f = e->elements > 1 ? e->element[1] : NULL;
    const redisReply *payload = NULL;
    if (f && f->type == REDIS_REPLY_ARRAY) {
        for (size_t k = 0; k + 1 < f->elements; k += 2)
            if (f->element[k]->type == REDIS_REPLY_STRING && !strcmp(f->element[k]->str, "job") &&
                f->element[k + 1]->type == REDIS_REPLY_STRING) {
                payload = f->element[k + 1];
                break;
            }
    }
    if (!payload) {
        /* keep whatever the entry held, for the dead letter */
        const redisReply *v = f && f->type == REDIS_REPLY_ARRAY && f->elements >= 2 &&
                                      f->element[1]->type == REDIS_REPLY_STRING
                                  ? f->element[1]
                                  : NULL;
        exam_status ks = keep_payload(w, it, v ? v->str : "", v ? v->len : 0);
        if (ks != EXAM_OK) return ks;
        char msg[200];
        snprintf(msg, sizeof msg, "stream entry has no \"job\" field (first field: \"%.60s\")",
                 f && f->type == REDIS_REPLY_ARRAY && f->elements >= 1 &&
                         f->element[0]->type == REDIS_REPLY_STRING
                     ? f->element[0]->str
                     : "");
        set_invalid(it, EXAM_ERR_FORMAT, msg);
        return EXAM_OK;
    }
    exam_status ks = keep_payload(w, it, payload->str, payload->len);
    if (ks != EXAM_OK) return ks;

    int oversize = payload->len > (size_t)w->cfg.max_job_bytes;
    if (oversize && payload->len > (size_t)ID_PARSE_LIMIT) {
        char msg[200];
        snprintf(msg, sizeof msg, "job of %zu bytes exceeds the %ld-byte limit", payload->len,
                 w->cfg.max_job_bytes);
        set_invalid(it, EXAM_ERR_LIMIT, msg);
        return EXAM_OK;
    }
    if (payload->len == 0) {
        set_invalid(it, EXAM_ERR_FORMAT, "empty job");
        return EXAM_OK;
    }
    json_error_t jerr;
    json_t *obj = json_loadb(payload->str, payload->len, 0, &jerr);
    int id_too_long = 0;
    if (obj) {
        it->id = string_member(obj, "id", EXAM_JOB_ID_MAX, &id_too_long);
        it->cohort = string_member(obj, "cohort", EXAM_COHORT_NAME_MAX, NULL);
    }
    char msg[320];
    if (id_too_long) {
        /* no result can be addressed by it: the dead letter (id "") is the job's only trace */
        const char *v = json_string_value(json_object_get(obj, "id"));
        int head = 40; /* a prefix of whole UTF-8 characters, for the message */
        while (head > 0 && ((unsigned char)v[head] & 0xC0) == 0x80) head--;
        snprintf(msg, sizeof msg,
                 "job id has %zu bytes, more than the limit of %d (it starts \"%.*s\")",
                 json_string_length(json_object_get(obj, "id")), EXAM_JOB_ID_MAX, head, v);
        set_invalid(it, EXAM_ERR_LIMIT, msg);
        snprintf(it->code, sizeof it->code, "id_too_long");
    } else if (oversize) {
        snprintf(msg, sizeof msg, "job of %zu bytes exceeds the %ld-byte limit", payload->len,
                 w->cfg.max_job_bytes);
        set_invalid(it, EXAM_ERR_LIMIT, msg);
    } else if (!obj) {
        exam_status st =
            json_error_code(&jerr) == json_error_invalid_utf8 ? EXAM_ERR_UTF8 : EXAM_ERR_FORMAT;
        snprintf(msg, sizeof msg, "malformed JSON: %s (byte %d)", jerr.text, jerr.position);
        set_invalid(it, st, msg);
    } else {
        exam_status st = exam_grade_job_from_json(obj, &it->job);
        if (st == EXAM_ERR_NOMEM) {
            json_decref(obj);
            return st;
        }
        if (st != EXAM_OK) {
            set_invalid(it, st, exam_error_message());
            exam_grade_job_free(&it->job);
        } else {
            it->kind = WK_JOB;
        }
    }
    json_decref(obj);
    return EXAM_OK;
}

/* Reads the delivery counts of `ids` (pipelined XPENDING <jobs> examiner <id> <id> 1). */
static exam_status delivery_counts(exam_worker *w, const redisReply *entries, long *counts) {
    for (size_t i = 0; i < entries->elements; i++) {
        counts[i] = 1;
        const redisReply *e = entries->element[i];
        const char *id = e->type == REDIS_REPLY_ARRAY && e->elements >= 1 &&
                                 e->element[0]->type == REDIS_REPLY_STRING
                             ? e->element[0]->str
                             : "0-0";
        const char *argv[] = {"XPENDING", w->keys.jobs, EXAM_QUEUE_GROUP, id, id, "1"};
        exam_status st = exam_redis_append_argv(w->rd, 6, argv, NULL);
        if (st != EXAM_OK) return st;
    }
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *rep;
        exam_status st = exam_redis_get_reply(w->rd, &rep);
        if (st != EXAM_OK) return st;
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
            rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 4 &&
            rep->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
            counts[i] = (long)rep->element[0]->element[3]->integer;
        freeReplyObject(rep);
    }
    return EXAM_OK;
}

static exam_status add_item(exam_worker *w, wk_batch *b, const redisReply *e, long deliveries) {
    wk_item *it = wk_batch_push(b);
    if (!it) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    double t0 = wk_now();
    exam_status st = wk_decode_entry(w, e, deliveries, it);
    b->decode_s += wk_now() - t0;
    if (st != EXAM_OK) return st;
    if (deliveries > w->cfg.max_deliveries) {
        if (it->kind == WK_JOB) exam_grade_job_free(&it->job);
        it->kind = WK_MAX_DELIVERIES;
        it->err = EXAM_ERR_LIMIT;
        snprintf(it->code, sizeof it->code, "max_deliveries");
        snprintf(it->message, sizeof it->message,
                 "job was delivered %ld times (limit %d): workers failed on it repeatedly",
                 deliveries, w->cfg.max_deliveries);
    }
    if (it->kind == WK_JOB) {
        double t1 = wk_now();
        st = wk_prepare_item(w, it);
        b->decode_s += wk_now() - t1;
        if (st != EXAM_OK) return st;
    }
    b->tokens += it->tokens;
    return EXAM_OK;
}

/* Frees entry i of a reply's entry list once it is decoded (the item keeps what it needs: an
 * oversized payload only as a bounded prefix), so a read does not hold each payload twice. */
static void release_entry(const redisReply *entries, size_t i) {
    freeReplyObject(entries->element[i]);
    entries->element[i] = NULL; /* freeReplyObject of the whole reply skips it */
}

/* One XAUTOCLAIM step from the saved cursor; claimed entries and trimmed ids join b. */
static exam_status reclaim(exam_worker *w, wk_batch *b, int room) {
    char idle[32], count[32];
    snprintf(idle, sizeof idle, "%d", w->cfg.claim_idle_ms);
    snprintf(count, sizeof count, "%d", room);
    const char *argv[] = {"XAUTOCLAIM", w->keys.jobs,    EXAM_QUEUE_GROUP, w->consumer,
                          idle,         w->claim_cursor, "COUNT",          count};
    redisReply *rep;
    double t0 = wk_now();
    exam_status st = exam_redis_argv(w->rd, 8, argv, NULL, &rep);
    if (st != EXAM_OK) return st;
    if ((st = exam_redis_reply_status(rep, "XAUTOCLAIM")) != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 2 ||
        rep->element[0]->type != REDIS_REPLY_STRING || rep->element[1]->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return exam_error_set(EXAM_ERR_FORMAT, "XAUTOCLAIM: unexpected reply");
    }
    snprintf(w->claim_cursor, sizeof w->claim_cursor, "%s", rep->element[0]->str);
    const redisReply *entries = rep->element[1];
    long *counts = calloc(entries->elements + 1, sizeof *counts);
    if (!counts) {
        freeReplyObject(rep);
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    wk_track_entries(w, entries); /* claimed now: the heartbeat keeps them while we prepare */
    if (entries->elements) st = delivery_counts(w, entries, counts);
    for (size_t i = 0; st == EXAM_OK && i < entries->elements; i++) {
        st = add_item(w, b, entries->element[i], counts[i]);
        release_entry(entries, i);
    }
    free(counts);
    if (st == EXAM_OK && entries->elements) {
        exam_wm_add(w->metrics, EXAM_WM_RECLAIMED, (double)entries->elements);
        exam_log(EXAM_LOG_INFO, "reclaimed", "entries=%zu consumer=%s", entries->elements,
                 w->consumer);
    }
    /* Redis 7: the third element lists pending ids whose entries were deleted (trimmed) */
    if (st == EXAM_OK && rep->elements >= 3 && rep->element[2]->type == REDIS_REPLY_ARRAY) {
        const redisReply *del = rep->element[2];
        for (size_t i = 0; i < del->elements && st == EXAM_OK; i++) {
            if (del->element[i]->type != REDIS_REPLY_STRING) continue;
            wk_item *it = wk_batch_push(b);
            if (!it || !(it->raw = dup_n("", 0))) {
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            snprintf(it->entry, sizeof it->entry, "%s", del->element[i]->str);
            it->enqueue_ms = strtod(it->entry, NULL);
            it->kind = WK_TRIMMED;
            it->deliveries = 0;
            snprintf(it->code, sizeof it->code, "trimmed");
            snprintf(it->message, sizeof it->message,
                     "the entry was deleted from the jobs stream while pending");
        }
    }
    freeReplyObject(rep);
    exam_wm_add(w->metrics, EXAM_WM_REDIS_SECONDS, wk_now() - t0);
    return st;
}

/* One XREADGROUP of up to `count` new entries, blocking at most block_ms (< 0: no BLOCK). */
static exam_status read_new(exam_worker *w, wk_batch *b, int count, long block_ms, int *got) {
    *got = 0;
    char cnt[32], blk[32];
    snprintf(cnt, sizeof cnt, "%d", count);
    snprintf(blk, sizeof blk, "%ld", block_ms);
    const char *argv[11] = {"XREADGROUP", "GROUP", EXAM_QUEUE_GROUP, w->consumer, "COUNT", cnt};
    int argc = 6;
    if (block_ms >= 0) {
        argv[argc++] = "BLOCK";
        argv[argc++] = blk;
    }
    argv[argc++] = "STREAMS";
    argv[argc++] = w->keys.jobs;
    argv[argc++] = ">";
    redisReply *rep;
    double t0 = wk_now();
    exam_status st = exam_redis_argv(w->rd, argc, argv, NULL, &rep);
    exam_wm_add(w->metrics, block_ms >= 0 ? EXAM_WM_REDIS_WAIT_SECONDS : EXAM_WM_REDIS_SECONDS,
                wk_now() - t0);
    if (st != EXAM_OK) return st;
    if ((st = exam_redis_reply_status(rep, "XREADGROUP")) != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1) {
        const redisReply *s = rep->element[0];
        if (s->type == REDIS_REPLY_ARRAY && s->elements >= 2 &&
            s->element[1]->type == REDIS_REPLY_ARRAY) {
            const redisReply *entries = s->element[1];
            wk_track_entries(w, entries);
            for (size_t i = 0; i < entries->elements && st == EXAM_OK; i++) {
                st = add_item(w, b, entries->element[i], 1);
                release_entry(entries, i);
                (*got)++;
            }
        }
    }
    freeReplyObject(rep);
    return st;
}

/* 1 when entry id `e` is in b or in a batch the grading thread holds. */
static int in_hand(exam_worker *w, const wk_batch *b, const char *e) {
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->items[i].entry, e)) return 1;
    int found = 0;
    pthread_mutex_lock(&w->mu);
    const wk_batch *held[2] = {w->ready, w->current};
    for (int k = 0; k < 2 && !found; k++)
        for (size_t i = 0; held[k] && i < held[k]->n && !found; i++)
            found = !strcmp(held[k]->items[i].entry, e);
    pthread_mutex_unlock(&w->mu);
    return found;
}

/* After a reconnect: one page of our own pending entries (XREADGROUP ... <cursor>); those not
 * in hand join b, deleted ones as trimmed. Clears recover_own after the last page. */
static exam_status reread_own(exam_worker *w, wk_batch *b, int room) {
    char cnt[32];
    snprintf(cnt, sizeof cnt, "%d", room);
    const char *argv[] = {"XREADGROUP", "GROUP",   EXAM_QUEUE_GROUP, w->consumer,  "COUNT",
                          cnt,          "STREAMS", w->keys.jobs,     w->own_cursor};
    redisReply *rep;
    double t0 = wk_now();
    exam_status st = exam_redis_argv(w->rd, 9, argv, NULL, &rep);
    exam_wm_add(w->metrics, EXAM_WM_REDIS_SECONDS, wk_now() - t0);
    if (st != EXAM_OK) return st;
    if ((st = exam_redis_reply_status(rep, "XREADGROUP")) != EXAM_OK) {
        freeReplyObject(rep);
        return st;
    }
    size_t got = 0, added = 0;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 1 &&
        rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 2 &&
        rep->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
        const redisReply *entries = rep->element[0]->element[1];
        got = entries->elements;
        wk_track_entries(w, entries);
        for (size_t i = 0; i < entries->elements && st == EXAM_OK; i++) {
            const redisReply *e = entries->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
                e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            snprintf(w->own_cursor, sizeof w->own_cursor, "%s", e->element[0]->str);
            if (in_hand(w, b, e->element[0]->str)) continue;
            added++;
            if (e->elements >= 2 && e->element[1]->type == REDIS_REPLY_ARRAY) {
                st = add_item(w, b, e, 1);
                continue;
            }
            wk_item *it = wk_batch_push(b); /* deleted while pending: nil fields */
            if (!it || !(it->raw = dup_n("", 0))) {
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
                break;
            }
            snprintf(it->entry, sizeof it->entry, "%s", e->element[0]->str);
            it->kind = WK_TRIMMED;
            snprintf(it->code, sizeof it->code, "trimmed");
            snprintf(it->message, sizeof it->message,
                     "the entry was deleted from the jobs stream while pending");
        }
    }
    freeReplyObject(rep);
    if (got < (size_t)room) w->recover_own = 0;
    if (added)
        exam_log(EXAM_LOG_INFO, "recovered_own", "entries=%zu consumer=%s", added, w->consumer);
    return st;
}

/* Moves items beyond the token budget (never the first) from b to the carry list. */
static exam_status cut_by_tokens(exam_worker *w, wk_batch *b) {
    long sum = 0;
    size_t keep = 0;
    while (keep < b->n) {
        if (keep > 0 && sum + b->items[keep].tokens > w->cfg.max_batch_tokens) break;
        sum += b->items[keep].tokens;
        keep++;
    }
    if (keep == b->n) return EXAM_OK;
    wk_batch tail = {0};
    for (size_t i = keep; i < b->n; i++) {
        wk_item *it = wk_batch_push(&tail);
        if (!it) {
            wk_batch_clear(&tail);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
        *it = b->items[i];
        tail.tokens += it->tokens;
    }
    b->n = keep;
    b->tokens = sum;
    exam_status st = wk_batch_move(&tail, &w->carry);
    if (st == EXAM_OK) {
        wk_batch_clear(&w->carry);
        w->carry = tail;
    }
    return st;
}

exam_status wk_read_batch(exam_worker *w, wk_batch *b) {
    double t0 = wk_now();
    exam_status st = wk_batch_move(b, &w->carry);
    if (st != EXAM_OK) return st;
    int batch = w->cfg.batch;
    if (w->recover_own && (int)b->n < batch) {
        st = reread_own(w, b, batch - (int)b->n);
        if (st != EXAM_OK) return st;
    }
    /* reclaim idle entries of other (dead) consumers first: they have waited longest */
    if ((int)b->n < batch && t0 >= w->next_claim) {
        st = reclaim(w, b, batch - (int)b->n);
        if (st != EXAM_OK) return st;
        if (!strcmp(w->claim_cursor, "0-0")) {
            double every = w->cfg.claim_idle_ms / 4000.0;
            w->next_claim = wk_now() + (every < 1.0 ? 1.0 : every);
        }
    }
    int got = 0;
    if ((int)b->n < batch && b->tokens < w->cfg.max_batch_tokens) {
        long block = b->n ? (w->cfg.wait_ms > 0 ? w->cfg.wait_ms : -1) : w->cfg.idle_block_ms;
        st = read_new(w, b, batch - (int)b->n, block, &got);
        if (st != EXAM_OK) return st;
    }
    if (b->n > 0 && w->cfg.wait_ms > 0) {
        /* the wait window: more jobs for at most wait_ms after the first one */
        double deadline = wk_now() + w->cfg.wait_ms / 1000.0;
        while ((int)b->n < batch && b->tokens < w->cfg.max_batch_tokens) {
            long left = (long)((deadline - wk_now()) * 1000.0);
            if (left < 1) break;
            st = read_new(w, b, batch - (int)b->n, left, &got);
            if (st != EXAM_OK) return st;
            if (!got) break;
        }
    }
    if (b->n) {
        st = cut_by_tokens(w, b);
        b->read_s = wk_now() - t0 - b->decode_s;
    }
    return st;
}
