/* Question bank: JSON (de)serialisation, loading from a file or folder, lookup, writing. */
#include "bank.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bank_index.h"
#include "text_split.h"

exam_status exam_strlist_push(exam_strlist *l, const char *s, size_t len) {
    if (l->count == l->capacity) {
        size_t cap = l->capacity ? l->capacity * 2 : 8;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items) return exam_error_set(EXAM_ERR_NOMEM, "out of memory growing a list");
        l->items = items;
        l->capacity = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return exam_error_set(EXAM_ERR_NOMEM, "out of memory copying a string");
    memcpy(copy, s, len);
    copy[len] = '\0';
    l->items[l->count++] = copy;
    return EXAM_OK;
}

void exam_strlist_free(exam_strlist *l) {
    for (size_t i = 0; i < l->count; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void exam_question_free(exam_question *q) {
    free(q->id);
    free(q->question);
    free(q->answer);
    free(q->topic);
    free(q->level);
    free(q->explanation);
    exam_strlist_free(&q->alt_answers);
    exam_strlist_free(&q->key_points);
    exam_strlist_free(&q->common_mistakes);
    exam_strlist_free(&q->follow_ups);
    memset(q, 0, sizeof *q);
}

uint64_t exam_bank_digest(const void *data, size_t len, uint64_t seed) {
    uint64_t h = seed ? seed : 0xcbf29ce484222325ULL;
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *dup_n(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Copies string field `key` into *dst; required fields must be present and non-blank. */
static exam_status get_string(const json_t *obj, const char *key, int required, char **dst) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) return exam_error_set(EXAM_ERR_FORMAT, "missing field \"%s\"", key);
        *dst = dup_n("", 0);
        return *dst ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    }
    if (!json_is_string(v))
        return exam_error_set(EXAM_ERR_FORMAT, "field \"%s\" is not a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (memchr(s, '\0', n))
        return exam_error_set(EXAM_ERR_FORMAT, "field \"%s\" contains a NUL character", key);
    if (required && exam_text_is_blank(s, n))
        return exam_error_set(EXAM_ERR_FORMAT, "field \"%s\" is empty", key);
    *dst = dup_n(s, n);
    return *dst ? EXAM_OK : exam_error_set(EXAM_ERR_NOMEM, "out of memory");
}

static exam_status get_list(const json_t *obj, const char *key, exam_strlist *dst) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return EXAM_OK;
    if (!json_is_array(v))
        return exam_error_set(EXAM_ERR_FORMAT, "field \"%s\" is not an array", key);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return exam_error_set(EXAM_ERR_FORMAT, "%s[%zu] is not a string", key, i);
        const char *s = json_string_value(item);
        size_t n = json_string_length(item);
        if (memchr(s, '\0', n))
            return exam_error_set(EXAM_ERR_FORMAT, "%s[%zu] contains a NUL character", key, i);
        if (exam_text_is_blank(s, n))
            return exam_error_set(EXAM_ERR_FORMAT, "%s[%zu] is empty", key, i);
        exam_status st = exam_strlist_push(dst, s, n);
        if (st != EXAM_OK) return st;
    }
    return EXAM_OK;
}

exam_status exam_bank_split_points(const char *text, exam_strlist *list) {
    exam_spans spans = {0};
    size_t len = strlen(text);
    exam_status st = exam_split_sentences(text, len, &spans);
    for (size_t i = 0; st == EXAM_OK && i < spans.count; i++) {
        const char *s = text + spans.items[i].start;
        size_t n = spans.items[i].end - spans.items[i].start;
        if (n > 0 && s[n - 1] == ':') continue; /* a lead-in such as "Key points:" */
        if (exam_text_count_words(s, n) < 3) continue;
        st = exam_strlist_push(list, s, n);
    }
    exam_spans_free(&spans);
    return st;
}

exam_status exam_question_from_json(const json_t *obj, exam_question *q) {
    memset(q, 0, sizeof *q);
    if (!json_is_object(obj))
        return exam_error_set(EXAM_ERR_FORMAT, "a question must be a JSON object");
    exam_status st;
    if ((st = get_string(obj, "id", 1, &q->id)) != EXAM_OK ||
        (st = get_string(obj, "question", 1, &q->question)) != EXAM_OK ||
        (st = get_string(obj, "answer", 1, &q->answer)) != EXAM_OK ||
        (st = get_string(obj, "topic", 0, &q->topic)) != EXAM_OK ||
        (st = get_string(obj, "level", 0, &q->level)) != EXAM_OK ||
        (st = get_string(obj, "explanation", 0, &q->explanation)) != EXAM_OK ||
        (st = get_list(obj, "alt_answers", &q->alt_answers)) != EXAM_OK ||
        (st = get_list(obj, "key_points", &q->key_points)) != EXAM_OK ||
        (st = get_list(obj, "common_mistakes", &q->common_mistakes)) != EXAM_OK ||
        (st = get_list(obj, "follow_ups", &q->follow_ups)) != EXAM_OK)
        goto fail;
    for (const char *c = q->id; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == '"' || *c == '\\') {
            st = exam_error_set(EXAM_ERR_FORMAT, "id \"%s\" contains a space or control character",
                                q->id);
            goto fail;
        }
    }
    json_t *d = json_object_get(obj, "difficulty");
    if (d && !json_is_null(d)) {
        if (!json_is_integer(d) || json_integer_value(d) < 0 || json_integer_value(d) > 10) {
            st = exam_error_set(EXAM_ERR_FORMAT, "difficulty must be an integer from 0 to 10");
            goto fail;
        }
        q->difficulty = (int)json_integer_value(d);
    }
    if (q->key_points.count == 0 &&
        (st = exam_bank_split_points(q->answer, &q->key_points)) != EXAM_OK)
        goto fail;
    return EXAM_OK;
fail:
    exam_question_free(q);
    return st;
}

static int put_list(json_t *obj, const char *key, const exam_strlist *l) {
    json_t *arr = json_array();
    if (!arr) return 0;
    for (size_t i = 0; i < l->count; i++) {
        if (json_array_append_new(arr, json_string(l->items[i])) != 0) {
            json_decref(arr);
            return 0;
        }
    }
    return json_object_set_new(obj, key, arr) == 0;
}

json_t *exam_question_to_json(const exam_question *q) {
    json_t *o = json_object();
    if (!o) return NULL;
    int ok = json_object_set_new(o, "id", json_string(q->id)) == 0 &&
             json_object_set_new(o, "question", json_string(q->question)) == 0 &&
             json_object_set_new(o, "answer", json_string(q->answer)) == 0 &&
             put_list(o, "key_points", &q->key_points) &&
             put_list(o, "common_mistakes", &q->common_mistakes) &&
             put_list(o, "follow_ups", &q->follow_ups) &&
             json_object_set_new(o, "topic", json_string(q->topic ? q->topic : "")) == 0 &&
             json_object_set_new(o, "level", json_string(q->level ? q->level : "")) == 0 &&
             json_object_set_new(o, "difficulty", json_integer(q->difficulty)) == 0;
    if (ok && q->alt_answers.count) ok = put_list(o, "alt_answers", &q->alt_answers);
    if (ok && q->explanation && *q->explanation)
        ok = json_object_set_new(o, "explanation", json_string(q->explanation)) == 0;
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const exam_question *exam_bank_find(const exam_bank *bank, const char *id) {
    long i = exam_bank_index_find(bank, id);
    return i < 0 ? NULL : &bank->questions[i];
}

exam_status exam_bank_add(exam_bank *bank, exam_question *q) {
    long taken = exam_bank_index_find(bank, q->id);
    unsigned k = 0;
    if (taken >= 0) {
        size_t base = strlen(q->id);
        char *id = malloc(base + 24);
        if (!id) {
            exam_question_free(q);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
        }
        /* suffixes below the one remembered for this id are taken already */
        for (k = exam_bank_index_next_suffix(bank, (size_t)taken);; k++) {
            snprintf(id, base + 24, "%s-%u", q->id, k);
            if (exam_bank_index_find(bank, id) < 0) break;
        }
        free(q->id);
        q->id = id;
    }
    if (bank->count == bank->capacity) {
        size_t cap = bank->capacity ? bank->capacity * 2 : 32;
        exam_question *qs = realloc(bank->questions, cap * sizeof *qs);
        if (!qs) {
            exam_question_free(q);
            return exam_error_set(EXAM_ERR_NOMEM, "out of memory growing the bank");
        }
        bank->questions = qs;
        bank->capacity = cap;
    }
    bank->questions[bank->count] = *q;
    exam_status st = exam_bank_index_add(bank, bank->count);
    if (st != EXAM_OK) {
        exam_question_free(q);
        return st;
    }
    if (taken >= 0) exam_bank_index_set_suffix(bank, (size_t)taken, k + 1);
    bank->count++;
    memset(q, 0, sizeof *q);
    return EXAM_OK;
}

void exam_bank_free(exam_bank *bank) {
    for (size_t i = 0; i < bank->count; i++) exam_question_free(&bank->questions[i]);
    free(bank->questions);
    exam_bank_index_free(bank);
    memset(bank, 0, sizeof *bank);
}

/* What a path that is neither a regular file nor a folder is, for the error message. */
static const char *file_kind(mode_t mode) {
    return S_ISFIFO(mode)   ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

/* Opens path for reading only if it is a regular file: the open does not wait (O_NONBLOCK, so a
 * FIFO without a writer cannot block it), and the kind is checked on the open descriptor. */
static exam_status open_regular(const char *path, FILE **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return exam_error_set(EXAM_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return exam_error_set(EXAM_ERR_IO, "cannot open %s: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return exam_error_set(EXAM_ERR_IO,
                              "%s is not a regular file (%s): only files and folders "
                              "are read",
                              path, S_ISDIR(sb.st_mode) ? "a folder" : file_kind(sb.st_mode));
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return exam_error_set(EXAM_ERR_IO, "cannot open %s: %s", path, strerror(e));
    }
    *out = f;
    return EXAM_OK;
}

exam_status exam_bank_read_file(const char *path, char **out, size_t *len) {
    *out = NULL;
    *len = 0;
    FILE *f;
    exam_status st = open_regular(path, &f);
    if (st != EXAM_OK) return st;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) { /* a partial read must not pass for the whole file */
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) return exam_error_set(EXAM_ERR_NOMEM, "out of memory reading %s", path);
    if (err) {
        free(buf);
        return exam_error_set(EXAM_ERR_IO, "cannot read %s", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return EXAM_OK;
}

int exam_bank_next_line(const char *text, size_t len, size_t *pos, size_t *line_no,
                        const char **line, size_t *n) {
    while (*pos < len) {
        size_t start = *pos, end = start;
        while (end < len && text[end] != '\n') end++;
        ++*line_no;
        *pos = end + 1;
        size_t k = start;
        while (k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r')) k++;
        if (k == end || text[k] == '#') continue;
        *line = text + start;
        *n = end - start;
        return 1;
    }
    return 0;
}

static exam_status load_file(const char *path, exam_bank *bank) {
    char *text;
    size_t len;
    exam_status st = exam_bank_read_file(path, &text, &len);
    if (st != EXAM_OK) return st;
    bank->hash = exam_bank_digest(text, len, exam_bank_digest(path, 0, bank->hash));
    size_t line_no = 0, pos = 0, n;
    const char *line;
    while (st == EXAM_OK && exam_bank_next_line(text, len, &pos, &line_no, &line, &n)) {
        size_t bad;
        if (!exam_utf8_valid(line, n, &bad)) {
            st = exam_error_set(EXAM_ERR_UTF8, "%s:%zu: invalid UTF-8 at column %zu", path, line_no,
                                bad + 1);
            break;
        }
        json_error_t jerr;
        json_t *obj = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj) {
            st = exam_error_set(EXAM_ERR_FORMAT, "%s:%zu: malformed JSON: %s", path, line_no,
                                jerr.text);
            break;
        }
        exam_question q;
        st = exam_question_from_json(obj, &q);
        json_decref(obj);
        if (st != EXAM_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", exam_error_message());
            st = exam_error_set(st, "%s:%zu: %s", path, line_no, msg);
            break;
        }
        if (exam_bank_find(bank, q.id)) {
            st = exam_error_set(EXAM_ERR_FORMAT, "%s:%zu: duplicate question id \"%s\"", path,
                                line_no, q.id);
            exam_question_free(&q);
            break;
        }
        st = exam_bank_add(bank, &q);
    }
    free(text);
    return st;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

exam_status exam_bank_files(const char *path, exam_strlist *files) {
    struct stat sb;
    if (stat(path, &sb) != 0)
        return exam_error_set(EXAM_ERR_IO, "cannot open bank %s: %s", path, strerror(errno));
    if (S_ISREG(sb.st_mode)) return exam_strlist_push(files, path, strlen(path));
    if (!S_ISDIR(sb.st_mode))
        return exam_error_set(EXAM_ERR_IO,
                              "bank %s is not a regular file (%s): a bank is a file "
                              "or a folder",
                              path, file_kind(sb.st_mode));
    DIR *dir = opendir(path);
    if (!dir)
        return exam_error_set(EXAM_ERR_IO, "cannot open folder %s: %s", path, strerror(errno));
    exam_strlist names = {0};
    exam_status st = EXAM_OK;
    struct dirent *de;
    while (st == EXAM_OK && (de = readdir(dir)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 6 && strcmp(de->d_name + n - 6, ".jsonl") == 0 && de->d_name[0] != '.')
            st = exam_strlist_push(&names, de->d_name, n);
    }
    closedir(dir);
    if (st == EXAM_OK && names.count == 0)
        st = exam_error_set(EXAM_ERR_NOT_FOUND, "folder %s holds no *.jsonl bank files", path);
    if (names.count) qsort(names.items, names.count, sizeof *names.items, cmp_names);
    for (size_t i = 0; st == EXAM_OK && i < names.count; i++) {
        size_t need = strlen(path) + strlen(names.items[i]) + 2;
        char *full = malloc(need);
        if (!full) {
            st = exam_error_set(EXAM_ERR_NOMEM, "out of memory");
            break;
        }
        int k = snprintf(full, need, "%s/%s", path, names.items[i]);
        st = exam_strlist_push(files, full, (size_t)k);
        free(full);
    }
    exam_strlist_free(&names);
    return st;
}

exam_status exam_bank_load(const char *path, exam_bank *bank) {
    memset(bank, 0, sizeof *bank);
    exam_strlist files = {0};
    exam_status st = exam_bank_files(path, &files);
    for (size_t i = 0; st == EXAM_OK && i < files.count; i++) st = load_file(files.items[i], bank);
    exam_strlist_free(&files);
    if (st == EXAM_OK && bank->count == 0)
        st = exam_error_set(EXAM_ERR_FORMAT, "bank %s holds no questions", path);
    if (st != EXAM_OK) {
        exam_bank_free(bank);
        return st;
    }
    snprintf(bank->version, sizeof bank->version, "%016llx", (unsigned long long)bank->hash);
    return EXAM_OK;
}

exam_status exam_bank_write(const exam_bank *bank, FILE *f) {
    for (size_t i = 0; i < bank->count; i++) {
        json_t *o = exam_question_to_json(&bank->questions[i]);
        if (!o) return exam_error_set(EXAM_ERR_NOMEM, "out of memory serialising the bank");
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!s) return exam_error_set(EXAM_ERR_NOMEM, "out of memory serialising the bank");
        int ok = fputs(s, f) >= 0 && fputc('\n', f) != EOF;
        free(s);
        if (!ok) return exam_error_set(EXAM_ERR_IO, "cannot write the bank: %s", strerror(errno));
    }
    return fflush(f) == 0
               ? EXAM_OK
               : exam_error_set(EXAM_ERR_IO, "cannot write the bank: %s", strerror(errno));
}
