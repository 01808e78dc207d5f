/* Key layout v1 -> v2: collect the keys whose name changes (cohorts from the cohorts set, result
 * hashes from SCAN), check their types, rename through temporary names, record the version. */
#include "queue_migrate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static exam_status argv_reply(exam_redis *r, int argc, const char **argv, const char *what,
                              redisReply **out) {
    redisReply *rep = NULL;
    exam_status st = exam_redis_argv(r, argc, argv, NULL, &rep);
    if (st == EXAM_OK) st = exam_redis_reply_status(rep, what);
    if (st != EXAM_OK || !out)
        freeReplyObject(rep);
    else
        *out = rep;
    return st;
}

/* Adds old -> new to `moves` when `old` exists with type `type`. */
static exam_status want_move(exam_redis *r, json_t *moves, const char *old, const char *new_key,
                             const char *type) {
    if (!strcmp(old, new_key) || json_object_get(moves, old)) return EXAM_OK;
    redisReply *rep = NULL;
    const char *argv[] = {"TYPE", old};
    exam_status st = argv_reply(r, 2, argv, "TYPE", &rep);
    if (st != EXAM_OK) return st;
    int match = rep->type == REDIS_REPLY_STATUS && !strcmp(rep->str, type);
    freeReplyObject(rep);
    if (match && json_object_set_new(moves, old, json_string(new_key)))
        return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    return EXAM_OK;
}

/* The v1 name "<prefix><kind>:<name><suffix>". */
static char *v1_key(const exam_queue_keys *keys, const char *kind, const char *name,
                    const char *suffix) {
    size_t n = strlen(keys->prefix) + strlen(kind) + strlen(name) + strlen(suffix) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s:%s%s", keys->prefix, kind, name, suffix);
    return s;
}

static char *v2_key(const exam_queue_keys *keys, const char *kind, const char *name,
                    const char *suffix) {
    char *base = exam_queue_key_for(keys, kind, name);
    size_t n = base ? strlen(base) + strlen(suffix) + 1 : 0;
    char *s = base ? malloc(n) : NULL;
    if (s) snprintf(s, n, "%s%s", base, suffix);
    free(base);
    return s;
}

static exam_status cohort_moves(exam_redis *r, const exam_queue_keys *keys, const char *cohort,
                                json_t *moves) {
    static const struct {
        const char *kind, *suffix, *type;
    } parts[] = {{"cohort", "", "hash"},
                 {"cohort", ":ids", "set"},
                 {"cohort", ":submitted", "set"},
                 {"calib", "", "string"},
                 {"calib", ":pairs", "hash"}};
    exam_status st = EXAM_OK;
    for (size_t i = 0; st == EXAM_OK && i < sizeof parts / sizeof parts[0]; i++) {
        char *old = v1_key(keys, parts[i].kind, cohort, parts[i].suffix);
        char *nk = v2_key(keys, parts[i].kind, cohort, parts[i].suffix);
        st = old && nk ? want_move(r, moves, old, nk, parts[i].type)
                       : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        free(old);
        free(nk);
    }
    return st;
}

static exam_status result_moves(exam_redis *r, const exam_queue_keys *keys, json_t *moves) {
    char cursor[32] = "0", pattern[EXAM_QUEUE_NAME_MAX + 32];
    snprintf(pattern, sizeof pattern, "%sresult:*", keys->prefix);
    size_t skip = strlen(keys->prefix) + strlen("result:");
    exam_status st = EXAM_OK;
    json_t *found = json_object();
    if (!found) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    do {
        redisReply *rep = NULL;
        const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
        if ((st = argv_reply(r, 6, argv, "SCAN", &rep)) != EXAM_OK) break;
        if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
            rep->element[0]->type != REDIS_REPLY_STRING ||
            rep->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(rep);
            st = exam_error_set(EXAM_ERR_FORMAT, "SCAN: unexpected reply");
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str);
        for (size_t i = 0; st == EXAM_OK && i < rep->element[1]->elements; i++) {
            const redisReply *k = rep->element[1]->element[i];
            if (k->type == REDIS_REPLY_STRING && k->len > skip &&
                json_object_set_new(found, k->str, json_true()))
                st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
        freeReplyObject(rep);
    } while (st == EXAM_OK && strcmp(cursor, "0") != 0);
    /* every key is collected before any is renamed: SCAN would meet the new names again */
    const char *key;
    json_t *v;
    json_object_foreach(found, key, v) {
        if (st != EXAM_OK) break;
        char *nk = v2_key(keys, "result", key + skip, "");
        st = nk ? want_move(r, moves, key, nk, "hash")
                : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        free(nk);
    }
    json_decref(found);
    return st;
}

static exam_status rename_key(exam_redis *r, const char *from, const char *to) {
    redisReply *rep = NULL;
    const char *argv[] = {"RENAMENX", from, to};
    exam_status st = argv_reply(r, 3, argv, "RENAMENX", &rep);
    if (st != EXAM_OK) return st;
    int done = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
    freeReplyObject(rep);
    return done ? EXAM_OK
                : exam_error_set(EXAM_ERR_FORMAT,
                                 "cannot rename %s to %s: the target exists (nothing else of this "
                                 "pass was undone; resolve it and run migrate-keys again)",
                                 from, to);
}

static exam_status apply(exam_redis *r, const exam_queue_keys *keys, json_t *moves,
                         json_t *cohorts) {
    exam_status st = EXAM_OK;
    size_t i = 0, n = json_object_size(moves);
    char **tmp = calloc(n + 1, sizeof *tmp);
    if (!tmp) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    const char *old;
    json_t *nk;
    json_object_foreach(moves, old, nk) {
        if (st != EXAM_OK) break;
        size_t len = strlen(keys->prefix) + 40;
        if (!(tmp[i] = malloc(len))) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(tmp[i], len, "%smigrating-v2:%zu", keys->prefix, i);
        st = rename_key(r, old, tmp[i]);
        i++;
    }
    i = 0;
    json_object_foreach(moves, old, nk) {
        if (st != EXAM_OK) break;
        st = rename_key(r, tmp[i++], json_string_value(nk));
    }
    for (size_t k = 0; k < n; k++) free(tmp[k]);
    free(tmp);
    size_t idx;
    json_t *c;
    json_array_foreach(cohorts, idx, c) {
        if (st != EXAM_OK) break;
        char *ck = exam_queue_key_for(keys, "cohort", json_string_value(c));
        if (!ck) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        const char *ex[] = {"EXISTS", ck};
        redisReply *rep = NULL;
        st = argv_reply(r, 2, ex, "EXISTS", &rep);
        if (st == EXAM_OK && rep->type == REDIS_REPLY_INTEGER && rep->integer == 1) {
            const char *hset[] = {"HSET", ck, "name", json_string_value(c)};
            st = argv_reply(r, 4, hset, "HSET", NULL);
        }
        freeReplyObject(rep);
        free(ck);
    }
    return st;
}

exam_status exam_queue_migrate_keys(exam_redis *r, const exam_queue_keys *keys, int dry_run,
                                    FILE *log, exam_migrate_stats *stats) {
    memset(stats, 0, sizeof *stats);
    char want[16];
    snprintf(want, sizeof want, "%d", EXAM_QUEUE_KEYS_VERSION);
    redisReply *rep = NULL;
    const char *hget[] = {"HGET", keys->meta, "keys_version"};
    exam_status st = argv_reply(r, 3, hget, "HGET", &rep);
    if (st != EXAM_OK) return st;
    if (rep->type == REDIS_REPLY_STRING) {
        st = strcmp(rep->str, want) == 0
                 ? EXAM_OK
                 : exam_error_set(EXAM_ERR_FORMAT,
                                  "queue '%s' is in key layout v%.20s: only v1 (no version) "
                                  "can be migrated",
                                  keys->queue, rep->str);
        stats->already = st == EXAM_OK;
        freeReplyObject(rep);
        return st;
    }
    freeReplyObject(rep);
    rep = NULL;
    json_t *moves = json_object(), *cohorts = json_array();
    const char *smembers[] = {"SMEMBERS", keys->cohorts};
    if (!moves || !cohorts) st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    if (st == EXAM_OK) st = argv_reply(r, 2, smembers, "SMEMBERS", &rep);
    for (size_t i = 0; st == EXAM_OK && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
        const redisReply *m = rep->element[i];
        if (m->type != REDIS_REPLY_STRING) continue;
        stats->cohorts++;
        if (json_array_append_new(cohorts, json_string_nocheck(m->str)))
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        if (st == EXAM_OK) st = cohort_moves(r, keys, m->str, moves);
    }
    freeReplyObject(rep);
    if (st == EXAM_OK) st = result_moves(r, keys, moves);
    stats->moved = json_object_size(moves);
    const char *old;
    json_t *nk;
    if (log && st == EXAM_OK)
        json_object_foreach(moves, old, nk) fprintf(log, "%s -> %s\n", old, json_string_value(nk));
    if (st == EXAM_OK && !dry_run) st = apply(r, keys, moves, cohorts);
    if (st == EXAM_OK && !dry_run) {
        const char *hset[] = {"HSET", keys->meta, "keys_version", want};
        st = argv_reply(r, 4, hset, "HSET", NULL);
    }
    json_decref(moves);
    json_decref(cohorts);
    return st;
}
