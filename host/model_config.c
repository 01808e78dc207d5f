/* Parses config.json and the sentence-transformers side files into exam_model_config. */
#include "model_config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static json_t *load_json(const char *dir, const char *name, int required, exam_status *status) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        *status = required ? exam_error_set(EXAM_ERR_IO, "%s: missing", path) : EXAM_OK;
        return NULL;
    }
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        *status = exam_error_set(EXAM_ERR_FORMAT, "%s: not a JSON object: %s (line %d)", path,
                                 root ? "wrong type" : err.text, err.line);
        return NULL;
    }
    *status = EXAM_OK;
    return root;
}

/* Reads an integer field within [lo, hi] into *out; absent fields keep *out when optional. */
static exam_status get_int(json_t *obj, const char *key, int lo, int hi, int required, int *out) {
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required) return exam_error_set(EXAM_ERR_FORMAT, "config.json: '%s' missing", key);
        return EXAM_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return exam_error_set(EXAM_ERR_FORMAT, "config: '%s' must be an integer in [%d, %d]", key,
                              lo, hi);
    *out = (int)json_integer_value(v);
    return EXAM_OK;
}

static exam_status parse_bert(json_t *cfg, exam_model_config *c) {
    exam_status st;
    if ((st = get_int(cfg, "vocab_size", 8, 1 << 22, 1, &c->vocab_size)) ||
        (st = get_int(cfg, "hidden_size", 8, 16384, 1, &c->hidden)) ||
        (st = get_int(cfg, "num_hidden_layers", 1, 256, 1, &c->layers)) ||
        (st = get_int(cfg, "num_attention_heads", 1, 1024, 1, &c->heads)) ||
        (st = get_int(cfg, "intermediate_size", 8, 65536, 1, &c->intermediate)) ||
        (st = get_int(cfg, "max_position_embeddings", 8, 1 << 16, 1, &c->max_positions)) ||
        (st = get_int(cfg, "type_vocab_size", 1, 1024, 0, &c->type_vocab)))
        return st;
    if (c->hidden % c->heads != 0)
        return exam_error_set(EXAM_ERR_FORMAT,
                              "config.json: hidden_size %d not divisible by %d heads", c->hidden,
                              c->heads);
    json_t *eps = json_object_get(cfg, "layer_norm_eps");
    if (eps) {
        if (!json_is_number(eps) || json_number_value(eps) <= 0 || json_number_value(eps) > 1)
            return exam_error_set(EXAM_ERR_FORMAT, "config.json: bad layer_norm_eps");
        c->layer_norm_eps = (float)json_number_value(eps);
    }
    json_t *act = json_object_get(cfg, "hidden_act");
    if (act && (!json_is_string(act) || strcmp(json_string_value(act), "gelu") != 0))
        return exam_error_set(EXAM_ERR_FORMAT,
                              "config.json: hidden_act '%s' unsupported (only erf 'gelu')",
                              json_is_string(act) ? json_string_value(act) : "?");
    json_t *pet = json_object_get(cfg, "position_embedding_type");
    if (pet && (!json_is_string(pet) || strcmp(json_string_value(pet), "absolute") != 0))
        return exam_error_set(EXAM_ERR_FORMAT, "config.json: only absolute position embeddings");
    return EXAM_OK;
}

static exam_status parse_pooling(json_t *pool, exam_model_config *c) {
    int mean = json_is_true(json_object_get(pool, "pooling_mode_mean_tokens"));
    int cls = json_is_true(json_object_get(pool, "pooling_mode_cls_token"));
    int other = json_is_true(json_object_get(pool, "pooling_mode_max_tokens")) ||
                json_is_true(json_object_get(pool, "pooling_mode_mean_sqrt_len_tokens"));
    if (mean + cls != 1 || other)
        return exam_error_set(EXAM_ERR_FORMAT,
                              "1_Pooling/config.json: only mean or CLS pooling (one of them) is "
                              "supported");
    c->pooling = mean ? EXAM_POOL_MEAN : EXAM_POOL_CLS;
    return EXAM_OK;
}

static int has_normalize_module(json_t *modules) {
    size_t i;
    json_t *m;
    json_array_foreach(modules, i, m) {
        const char *type = json_string_value(json_object_get(m, "type"));
        if (type && strstr(type, "Normalize")) return 1;
    }
    return 0;
}

exam_status exam_model_config_load(const char *dir, exam_model_config *out) {
    exam_model_config c = {0};
    c.type_vocab = 2;
    c.layer_norm_eps = 1e-12f;
    c.pooling = EXAM_POOL_MEAN;
    c.lowercase = 1;
    exam_status st;
    json_t *cfg = load_json(dir, "config.json", 1, &st);
    if (!cfg) return st;
    st = parse_bert(cfg, &c);
    json_decref(cfg);
    if (st != EXAM_OK) return st;
    c.max_seq_length = c.max_positions < 512 ? c.max_positions : 512;

    json_t *sb = load_json(dir, "sentence_bert_config.json", 0, &st);
    if (st != EXAM_OK) return st;
    if (sb) {
        st = get_int(sb, "max_seq_length", 3, c.max_positions, 0, &c.max_seq_length);
        json_decref(sb);
        if (st != EXAM_OK) return st;
    }
    json_t *pool = load_json(dir, "1_Pooling/config.json", 0, &st);
    if (st != EXAM_OK) return st;
    if (pool) {
        st = parse_pooling(pool, &c);
        json_decref(pool);
        if (st != EXAM_OK) return st;
    }
    json_t *tc = load_json(dir, "tokenizer_config.json", 0, &st);
    if (st != EXAM_OK) return st;
    if (tc) {
        json_t *lc = json_object_get(tc, "do_lower_case");
        if (json_is_boolean(lc)) c.lowercase = json_is_true(lc);
        json_decref(tc);
    }
    /* modules.json is a JSON array, so it is read here rather than through load_json. */
    char path[4096];
    snprintf(path, sizeof path, "%s/modules.json", dir);
    struct stat sbuf;
    if (stat(path, &sbuf) == 0) {
        json_error_t err;
        json_t *mods = json_load_file(path, 0, &err);
        if (!json_is_array(mods)) {
            json_decref(mods);
            return exam_error_set(EXAM_ERR_FORMAT, "%s: not a JSON array", path);
        }
        c.normalize = has_normalize_module(mods);
        json_decref(mods);
    }
    *out = c;
    return EXAM_OK;
}
