/* A checked reader for .safetensors files: mmap'd, header parsed with jansson, every tensor's
 * dtype, shape and byte range validated before any of its data is touched. */
#ifndef EXAM_SAFETENSORS_H
#define EXAM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define EXAM_SAFETENSORS_MAX_DIMS 8
/* Headers larger than this are refused (the format's own reference reader uses 100 MB). */
#define EXAM_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

typedef enum exam_dtype {
    EXAM_DTYPE_F32 = 0,
    EXAM_DTYPE_F16,
    EXAM_DTYPE_BF16,
    EXAM_DTYPE_F64,
    EXAM_DTYPE_I64,
    EXAM_DTYPE_I32,
    EXAM_DTYPE_I16,
    EXAM_DTYPE_I8,
    EXAM_DTYPE_U8,
    EXAM_DTYPE_BOOL,
} exam_dtype;

/* One tensor of a file: its name, dtype, shape and raw bytes inside the mapping. */
typedef struct exam_tensor_info {
    char *name;
    exam_dtype dtype;
    int ndim;
    int64_t shape[EXAM_SAFETENSORS_MAX_DIMS];
    const void *data;
    size_t bytes;
} exam_tensor_info;

typedef struct exam_safetensors exam_safetensors;

/* Maps and validates `path`. Errors: EXAM_ERR_IO (cannot open/map), EXAM_ERR_FORMAT (truncated,
 * oversized header, bad JSON, unknown dtype, shape/size mismatch, range outside the file,
 * overlapping tensors), each with a message naming the file and the offending tensor. */
exam_status exam_safetensors_open(const char *path, exam_safetensors **out);

/* Validates an in-memory image of a file (not copied: it must outlive the object). */
exam_status exam_safetensors_open_memory(const void *data, size_t size, exam_safetensors **out);

/* Unmaps the file and frees converted copies (NULL is allowed). */
void exam_safetensors_close(exam_safetensors *st);

/* Number of tensors and the i-th one, in header order. */
int exam_safetensors_count(const exam_safetensors *st);
const exam_tensor_info *exam_safetensors_at(const exam_safetensors *st, int i);

/* The tensor called `name`, or NULL. */
const exam_tensor_info *exam_safetensors_find(const exam_safetensors *st, const char *name);

/* An fp32 view of tensor `name` whose shape must equal shape[0..ndim): F32 data is returned in
 * place when aligned, F16/BF16 (or misaligned F32) are converted into memory the object owns.
 * Every value must be finite. Errors: EXAM_ERR_NOT_FOUND, EXAM_ERR_FORMAT (dtype not floating,
 * shape differs, a NaN or infinity: the message names the tensor and the element). */
exam_status exam_safetensors_get_f32(exam_safetensors *st, const char *name, int ndim,
                                     const int64_t *shape, const float **out);

/* Tells the kernel that tensor `name`'s mapped pages will not be read again (they drop out of
 * the resident set; a later read would fault them back in from the file). No-op for in-memory
 * images and unknown names. */
void exam_safetensors_release(exam_safetensors *st, const char *name);

/* The dtype's name as the format spells it ("F32") and its size in bytes. */
const char *exam_dtype_name(exam_dtype dtype);
size_t exam_dtype_size(exam_dtype dtype);

#endif
