/* Checks the safetensors reader on well-formed, truncated, oversized and lying files. */
/* labels: unit */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safetensors.h"
#include "testlib.h"

/* Builds an image: 8-byte length, header JSON, then `data_len` bytes of data. */
static uint8_t *make_image(const char *header, const void *data, size_t data_len, size_t *size) {
    size_t hl = strlen(header);
    *size = 8 + hl + data_len;
    uint8_t *img = calloc(1, *size);
    for (int i = 0; i < 8; i++) img[i] = (uint8_t)((uint64_t)hl >> (8 * i));
    memcpy(img + 8, header, hl);
    if (data_len) memcpy(img + 8 + hl, data, data_len);
    return img;
}

/* Opens an image from memory and returns the status (closing on success). */
static exam_status try_image(const char *header, const void *data, size_t data_len) {
    size_t size;
    uint8_t *img = make_image(header, data, data_len, &size);
    exam_safetensors *st = NULL;
    exam_status s = exam_safetensors_open_memory(img, size, &st);
    exam_safetensors_close(st);
    free(img);
    return s;
}

static void test_valid_f32(void) {
    /* Header padded so the data section starts 4-byte aligned (8 + 88 = 96). */
    const char *h =
        "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],"
        "\"data_offsets\":[0,24]}}   ";
    float data[6] = {1, 2, 3, 4, 5, 6};
    size_t size;
    uint8_t *img = make_image(h, data, sizeof data, &size);
    exam_safetensors *st = NULL;
    CHECKF(exam_safetensors_open_memory(img, size, &st) == EXAM_OK, "%s", exam_error_message());
    if (st) {
        CHECK(exam_safetensors_count(st) == 1);
        const exam_tensor_info *t = exam_safetensors_find(st, "w");
        CHECK(t && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->bytes == 24);
        const float *v = NULL;
        int64_t shape[2] = {2, 3};
        CHECK(exam_safetensors_get_f32(st, "w", 2, shape, &v) == EXAM_OK);
        CHECK(v && v[0] == 1.0f && v[5] == 6.0f);
        int64_t wrong[2] = {3, 2};
        CHECK(exam_safetensors_get_f32(st, "w", 2, wrong, &v) == EXAM_ERR_FORMAT);
        CHECK(strstr(exam_error_message(), "shape") != NULL);
        CHECK(exam_safetensors_get_f32(st, "missing", 2, shape, &v) == EXAM_ERR_NOT_FOUND);
    }
    exam_safetensors_close(st);
    free(img);
}

static void test_half_types(void) {
    /* 1.0, -2.0, 0.5 and a subnormal (2^-24) in F16; 1.0, -3.0 in BF16. */
    uint16_t f16[4] = {0x3c00, 0xc000, 0x3800, 0x0001};
    uint16_t bf16[2] = {0x3f80, 0xc040};
    uint8_t data[12];
    memcpy(data, f16, 8);
    memcpy(data + 8, bf16, 4);
    const char *h = "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]}}";
    size_t size;
    uint8_t *img = make_image(h, data, sizeof data, &size);
    exam_safetensors *st = NULL;
    CHECK(exam_safetensors_open_memory(img, size, &st) == EXAM_OK);
    if (st) {
        const float *a = NULL, *b = NULL;
        int64_t sa = 4, sb = 2;
        CHECK(exam_safetensors_get_f32(st, "a", 1, &sa, &a) == EXAM_OK);
        CHECK(a && a[0] == 1.0f && a[1] == -2.0f && a[2] == 0.5f && a[3] == ldexpf(1.0f, -24));
        CHECK(exam_safetensors_get_f32(st, "b", 1, &sb, &b) == EXAM_OK);
        CHECK(b && b[0] == 1.0f && b[1] == -3.0f);
    }
    exam_safetensors_close(st);
    free(img);
}

/* A NaN or infinity in a float tensor is refused when it is read, naming the tensor and the
 * element, whatever the dtype (a model holding one can only give NaN embeddings). */
static void test_non_finite_values(void) {
    float f32[4] = {1.0f, 2.0f, NAN, 4.0f};
    uint16_t f16[2] = {0x3c00, 0x7c00}; /* 1.0, +infinity */
    uint8_t data[20];
    memcpy(data, f32, 16);
    memcpy(data + 16, f16, 4);
    const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]}}   ";
    size_t size;
    uint8_t *img = make_image(h, data, sizeof data, &size);
    exam_safetensors *st = NULL;
    CHECKF(exam_safetensors_open_memory(img, size, &st) == EXAM_OK, "%s", exam_error_message());
    if (st) {
        const float *v = NULL;
        int64_t s4 = 4, s2 = 2;
        CHECK(exam_safetensors_get_f32(st, "w", 1, &s4, &v) == EXAM_ERR_FORMAT && v == NULL);
        CHECKF(strstr(exam_error_message(), "'w'") &&
                   strstr(exam_error_message(), "non-finite value (NaN) at element 2"),
               "%s", exam_error_message());
        CHECK(exam_safetensors_get_f32(st, "h", 1, &s2, &v) == EXAM_ERR_FORMAT && v == NULL);
        CHECKF(strstr(exam_error_message(), "'h'") &&
                   strstr(exam_error_message(), "(infinity) at element 1"),
               "%s", exam_error_message());
    }
    exam_safetensors_close(st);
    free(img);
}

static void test_hostile_headers(void) {
    float d[4] = {0};
    /* Lying sizes and ranges. */
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,32]}}", d, 16) ==
          EXAM_ERR_FORMAT); /* ends past the data */
    CHECK(strstr(exam_error_message(), "truncated") != NULL);
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", d, 16) ==
          EXAM_ERR_FORMAT); /* shape needs 12 bytes */
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", d, 16) ==
          EXAM_ERR_FORMAT); /* reversed offsets */
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d, 16) ==
          EXAM_ERR_FORMAT);
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],"
                    "\"data_offsets\":[0,16]}}",
                    d, 16) == EXAM_ERR_FORMAT); /* element count overflows */
    CHECK(try_image("{\"w\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", d, 16) ==
          EXAM_ERR_FORMAT);
    CHECK(try_image("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                    d, 16) == EXAM_ERR_FORMAT);
    CHECK(strstr(exam_error_message(), "overlap") != NULL);
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", d, 16) == EXAM_ERR_FORMAT);
    CHECK(try_image("[1,2,3]", d, 16) == EXAM_ERR_FORMAT);
    CHECK(try_image("{\"w\":", d, 16) == EXAM_ERR_FORMAT);
    CHECK(try_image("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                    "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                    d, 16) == EXAM_ERR_FORMAT); /* duplicate names */
    CHECK(try_image("{}", d, 0) == EXAM_OK);    /* an empty file of tensors is valid */
}

static void test_truncated_length(void) {
    exam_safetensors *st = NULL;
    uint8_t short_img[5] = {1, 2, 3, 4, 5};
    CHECK(exam_safetensors_open_memory(short_img, sizeof short_img, &st) == EXAM_ERR_FORMAT);
    /* Header length larger than the file. */
    uint8_t img[16] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    CHECK(exam_safetensors_open_memory(img, sizeof img, &st) == EXAM_ERR_FORMAT);
    CHECK(strstr(exam_error_message(), "truncated") != NULL);
    /* Header length beyond the limit. */
    uint8_t huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x7f};
    CHECK(exam_safetensors_open_memory(huge, sizeof huge, &st) == EXAM_ERR_FORMAT);
    CHECK(strstr(exam_error_message(), "limit") != NULL);
}

/* The real model, cut short on disk, must be refused with a clear message. */
static void test_truncated_model_file(void) {
    const char *model = exam_test_path(exam_test_model_dir(), "model.safetensors");
    FILE *in = fopen(model, "rb");
    if (!in) {
        printf("SKIP truncated model file: %s missing\n", model);
        return;
    }
    char tmpl[] = "/tmp/exam-trunc-XXXXXX";
    int fd = mkstemp(tmpl);
    FILE *out = fdopen(fd, "wb");
    char buf[65536];
    size_t total = 0, n;
    while (total < 4u << 20 && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        fwrite(buf, 1, n, out);
        total += n;
    }
    fclose(in);
    fclose(out);
    exam_safetensors *st = NULL;
    CHECK(exam_safetensors_open(tmpl, &st) == EXAM_ERR_FORMAT);
    CHECKF(strstr(exam_error_message(), "truncated") != NULL, "%s", exam_error_message());
    CHECK(exam_safetensors_open("/nonexistent/model.safetensors", &st) == EXAM_ERR_IO);
    unlink(tmpl);
}

int main(void) {
    test_valid_f32();
    test_half_types();
    test_non_finite_values();
    test_hostile_headers();
    test_truncated_length();
    test_truncated_model_file();
    return exam_test_finish();
}
