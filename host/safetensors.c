/* Reader for .safetensors: 8-byte little-endian header length, a JSON header, then raw data.
 * Nothing in the header is trusted: sizes, offsets and shapes are checked before use. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct exam_safetensors {
    void *map; /* the mapping (NULL for in-memory images) */
    size_t map_size;
    const uint8_t *base;
    size_t size;
    char source[256]; /* file name for messages */
    exam_tensor_info *tensors;
    int count;
    void **converted; /* fp32 copies made by get_f32, one slot per tensor */
};

static const struct {
    const char *name;
    exam_dtype dtype;
    size_t size;
} dtype_table[] = {
    {"F32", EXAM_DTYPE_F32, 4},   {"F16", EXAM_DTYPE_F16, 2}, {"BF16", EXAM_DTYPE_BF16, 2},
    {"F64", EXAM_DTYPE_F64, 8},   {"I64", EXAM_DTYPE_I64, 8}, {"I32", EXAM_DTYPE_I32, 4},
    {"I16", EXAM_DTYPE_I16, 2},   {"I8", EXAM_DTYPE_I8, 1},   {"U8", EXAM_DTYPE_U8, 1},
    {"BOOL", EXAM_DTYPE_BOOL, 1},
};
#define DTYPE_COUNT ((int)(sizeof dtype_table / sizeof dtype_table[0]))

const char *exam_dtype_name(exam_dtype dtype) {
    for (int i = 0; i < DTYPE_COUNT; i++)
        if (dtype_table[i].dtype == dtype) return dtype_table[i].name;
    return "?";
}

size_t exam_dtype_size(exam_dtype dtype) {
    for (int i = 0; i < DTYPE_COUNT; i++)
        if (dtype_table[i].dtype == dtype) return dtype_table[i].size;
    return 0;
}

static int dtype_parse(const char *s, exam_dtype *out) {
    for (int i = 0; i < DTYPE_COUNT; i++) {
        if (strcmp(dtype_table[i].name, s) == 0) {
            *out = dtype_table[i].dtype;
            return 1;
        }
    }
    return 0;
}

void exam_safetensors_close(exam_safetensors *st) {
    if (!st) return;
    for (int i = 0; i < st->count; i++) {
        free(st->tensors[i].name);
        if (st->converted) free(st->converted[i]);
    }
    free(st->tensors);
    free(st->converted);
    if (st->map) munmap(st->map, st->map_size);
    free(st);
}

/* Parses one header entry into t; returns EXAM_OK or a format error naming the tensor. */
static exam_status parse_tensor(exam_safetensors *st, const char *name, json_t *entry,
                                size_t data_size, exam_tensor_info *t) {
    const char *src = st->source;
    if (!json_is_object(entry))
        return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' is not a JSON object", src, name);
    json_t *jd = json_object_get(entry, "dtype");
    json_t *js = json_object_get(entry, "shape");
    json_t *jo = json_object_get(entry, "data_offsets");
    if (!json_is_string(jd) || !json_is_array(js) || !json_is_array(jo) || json_array_size(jo) != 2)
        return exam_error_set(EXAM_ERR_FORMAT,
                              "%s: tensor '%s' needs dtype, shape and two data_offsets", src, name);
    if (!dtype_parse(json_string_value(jd), &t->dtype))
        return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' has unknown dtype '%s'", src, name,
                              json_string_value(jd));
    size_t ndim = json_array_size(js);
    if (ndim > EXAM_SAFETENSORS_MAX_DIMS)
        return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' has %zu dimensions (max %d)", src,
                              name, ndim, EXAM_SAFETENSORS_MAX_DIMS);
    t->ndim = (int)ndim;
    uint64_t elements = 1;
    for (size_t d = 0; d < ndim; d++) {
        json_t *jv = json_array_get(js, d);
        if (!json_is_integer(jv) || json_integer_value(jv) < 0)
            return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' has a bad dimension %zu", src,
                                  name, d);
        uint64_t dim = (uint64_t)json_integer_value(jv);
        if (dim != 0 && elements > UINT64_MAX / dim)
            return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' shape overflows", src, name);
        elements *= dim;
        t->shape[d] = (int64_t)dim;
    }
    json_t *jb = json_array_get(jo, 0), *je = json_array_get(jo, 1);
    if (!json_is_integer(jb) || !json_is_integer(je) || json_integer_value(jb) < 0 ||
        json_integer_value(je) < json_integer_value(jb))
        return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' has bad data_offsets", src, name);
    uint64_t begin = (uint64_t)json_integer_value(jb), end = (uint64_t)json_integer_value(je);
    if (end > data_size)
        return exam_error_set(EXAM_ERR_FORMAT,
                              "%s: tensor '%s' ends at byte %llu but the data section has %zu "
                              "(truncated file?)",
                              src, name, (unsigned long long)end, data_size);
    size_t esize = exam_dtype_size(t->dtype);
    if (elements > UINT64_MAX / esize || elements * esize != end - begin)
        return exam_error_set(
            EXAM_ERR_FORMAT, "%s: tensor '%s' claims %llu bytes but its shape needs %llu", src,
            name, (unsigned long long)(end - begin), (unsigned long long)(elements * esize));
    t->bytes = (size_t)(end - begin);
    t->data = (const void *)(uintptr_t)begin; /* made absolute once the header is parsed */
    return EXAM_OK;
}

static int compare_by_offset(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const exam_tensor_info *)a)->data;
    uintptr_t y = (uintptr_t)((const exam_tensor_info *)b)->data;
    return x < y ? -1 : x > y;
}

static exam_status parse_header(exam_safetensors *st) {
    const char *src = st->source;
    if (st->size < 8)
        return exam_error_set(EXAM_ERR_FORMAT, "%s: %zu bytes is too short for a header length",
                              src, st->size);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; i--) header_len = (header_len << 8) | st->base[i];
    if (header_len > EXAM_SAFETENSORS_MAX_HEADER)
        return exam_error_set(EXAM_ERR_FORMAT, "%s: header of %llu bytes exceeds the %u-byte limit",
                              src, (unsigned long long)header_len, EXAM_SAFETENSORS_MAX_HEADER);
    if (header_len > st->size - 8)
        return exam_error_set(EXAM_ERR_FORMAT,
                              "%s: header claims %llu bytes but only %zu follow (truncated file?)",
                              src, (unsigned long long)header_len, st->size - 8);
    json_error_t jerr;
    json_t *root =
        json_loadb((const char *)st->base + 8, (size_t)header_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return exam_error_set(EXAM_ERR_FORMAT, "%s: header is not valid JSON: %s (at byte %d)", src,
                              jerr.text, jerr.position);
    exam_status status = EXAM_OK;
    if (!json_is_object(root)) {
        status = exam_error_set(EXAM_ERR_FORMAT, "%s: header is not a JSON object", src);
        goto done;
    }
    size_t n = json_object_size(root);
    st->tensors = calloc(n ? n : 1, sizeof *st->tensors);
    st->converted = calloc(n ? n : 1, sizeof *st->converted);
    if (!st->tensors || !st->converted) {
        status = exam_error_set(EXAM_ERR_NOMEM, "%s: cannot allocate %zu tensor entries", src, n);
        goto done;
    }
    const uint8_t *data = st->base + 8 + header_len;
    size_t data_size = st->size - 8 - (size_t)header_len;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, "__metadata__") == 0) continue;
        exam_tensor_info *t = &st->tensors[st->count];
        status = parse_tensor(st, key, value, data_size, t);
        if (status != EXAM_OK) goto done;
        t->name = strdup(key);
        if (!t->name) {
            status = exam_error_set(EXAM_ERR_NOMEM, "%s: out of memory", src);
            goto done;
        }
        st->count++;
    }
    /* Tensors must not overlap: sort a copy by offset and compare neighbours. */
    exam_tensor_info *sorted = malloc(sizeof *sorted * (st->count ? st->count : 1));
    if (!sorted) {
        status = exam_error_set(EXAM_ERR_NOMEM, "%s: out of memory", src);
        goto done;
    }
    memcpy(sorted, st->tensors, sizeof *sorted * st->count);
    qsort(sorted, st->count, sizeof *sorted, compare_by_offset);
    for (int i = 1; i < st->count; i++) {
        uintptr_t prev_end = (uintptr_t)sorted[i - 1].data + sorted[i - 1].bytes;
        if ((uintptr_t)sorted[i].data < prev_end && sorted[i].bytes && sorted[i - 1].bytes) {
            status = exam_error_set(EXAM_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap", src,
                                    sorted[i - 1].name, sorted[i].name);
            break;
        }
    }
    free(sorted);
    for (int i = 0; i < st->count; i++) st->tensors[i].data = data + (uintptr_t)st->tensors[i].data;
done:
    json_decref(root);
    return status;
}

exam_status exam_safetensors_open_memory(const void *data, size_t size, exam_safetensors **out) {
    exam_safetensors *st = calloc(1, sizeof *st);
    if (!st) return exam_error_set(EXAM_ERR_NOMEM, "safetensors: out of memory");
    st->base = data;
    st->size = size;
    snprintf(st->source, sizeof st->source, "<memory>");
    exam_status status = parse_header(st);
    if (status != EXAM_OK) {
        exam_safetensors_close(st);
        return status;
    }
    *out = st;
    return EXAM_OK;
}

exam_status exam_safetensors_open(const char *path, exam_safetensors **out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return exam_error_set(EXAM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return exam_error_set(EXAM_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)sb.st_size;
    void *map = NULL;
    if (size > 0) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int e = errno;
            close(fd);
            return exam_error_set(EXAM_ERR_IO, "%s: cannot map %zu bytes: %s", path, size,
                                  strerror(e));
        }
    }
    close(fd);
    exam_safetensors *st = calloc(1, sizeof *st);
    if (!st) {
        if (map) munmap(map, size);
        return exam_error_set(EXAM_ERR_NOMEM, "safetensors: out of memory");
    }
    st->map = map;
    st->map_size = size;
    st->base = map;
    st->size = size;
    snprintf(st->source, sizeof st->source, "%s", path);
    exam_status status = parse_header(st);
    if (status != EXAM_OK) {
        exam_safetensors_close(st);
        return status;
    }
    *out = st;
    return EXAM_OK;
}

int exam_safetensors_count(const exam_safetensors *st) {
    return st->count;
}

const exam_tensor_info *exam_safetensors_at(const exam_safetensors *st, int i) {
    return (i >= 0 && i < st->count) ? &st->tensors[i] : NULL;
}

const exam_tensor_info *exam_safetensors_find(const exam_safetensors *st, const char *name) {
    for (int i = 0; i < st->count; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

void exam_safetensors_release(exam_safetensors *st, const char *name) {
    const exam_tensor_info *t = exam_safetensors_find(st, name);
    if (!st->map || !t || !t->bytes) return;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t begin = ((uintptr_t)t->data + page - 1) / page * page;
    uintptr_t end = ((uintptr_t)t->data + t->bytes) / page * page;
    if (end > begin) madvise((void *)begin, end - begin, MADV_DONTNEED);
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static float bf16_to_float(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Hands out the fp32 view `v` of tensor t when every value is finite; a NaN or infinity is an
 * EXAM_ERR_FORMAT naming the tensor and the first such element (a model that holds one can only
 * ever produce NaN embeddings). Reads the exponent bits, so no compiler flag can drop the test. */
static exam_status check_finite(const exam_safetensors *st, const exam_tensor_info *t,
                                const float *v, const float **out) {
    size_t n = t->bytes / exam_dtype_size(t->dtype);
    uint32_t any = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], sizeof bits);
        any |= (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
    }
    if (any) {
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &v[i], sizeof bits);
            if ((bits & 0x7f800000u) != 0x7f800000u) continue;
            return exam_error_set(
                EXAM_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value (%s) at element %zu",
                st->source, t->name, (bits & 0x007fffffu) ? "NaN" : "infinity", i);
        }
    }
    *out = v;
    return EXAM_OK;
}

exam_status exam_safetensors_get_f32(exam_safetensors *st, const char *name, int ndim,
                                     const int64_t *shape, const float **out) {
    const exam_tensor_info *t = exam_safetensors_find(st, name);
    if (!t) return exam_error_set(EXAM_ERR_NOT_FOUND, "%s: no tensor '%s'", st->source, name);
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++) same = t->shape[d] == shape[d];
    if (!same) {
        char want[96] = "", got[96] = "";
        for (int d = 0; d < ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d ? "," : "",
                     (long long)shape[d]);
        for (int d = 0; d < t->ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "",
                     (long long)t->shape[d]);
        return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' has shape [%s], expected [%s]",
                              st->source, name, got, want);
    }
    if (t->dtype != EXAM_DTYPE_F32 && t->dtype != EXAM_DTYPE_F16 && t->dtype != EXAM_DTYPE_BF16)
        return exam_error_set(EXAM_ERR_FORMAT, "%s: tensor '%s' is %s, not a float type",
                              st->source, name, exam_dtype_name(t->dtype));
    if (t->dtype == EXAM_DTYPE_F32 && ((uintptr_t)t->data % sizeof(float)) == 0)
        return check_finite(st, t, t->data, out);
    int idx = (int)(t - st->tensors);
    if (!st->converted[idx]) {
        size_t n = t->bytes / exam_dtype_size(t->dtype);
        float *dst = malloc(n ? n * sizeof(float) : 1);
        if (!dst)
            return exam_error_set(EXAM_ERR_NOMEM, "%s: cannot convert '%s'", st->source, name);
        const uint8_t *src = t->data;
        for (size_t i = 0; i < n; i++) {
            if (t->dtype == EXAM_DTYPE_F32) {
                memcpy(&dst[i], src + 4 * i, 4);
            } else {
                uint16_t h = (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8));
                dst[i] = t->dtype == EXAM_DTYPE_F16 ? half_to_float(h) : bf16_to_float(h);
            }
        }
        st->converted[idx] = dst;
    }
    return check_finite(st, t, st->converted[idx], out);
}
