/* libFuzzer target: arbitrary bytes as a safetensors image; every tensor that validates is
 * read back as fp32 (so lying headers that slip through would touch memory out of range). */
#include <stddef.h>
#include <stdint.h>

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    exam_safetensors *st = NULL;
    if (exam_safetensors_open_memory(data, size, &st) != EXAM_OK) return 0;
    volatile float sink = 0;
    for (int i = 0; i < exam_safetensors_count(st); i++) {
        const exam_tensor_info *t = exam_safetensors_at(st, i);
        const float *v = NULL;
        if (exam_safetensors_get_f32(st, t->name, t->ndim, t->shape, &v) != EXAM_OK) continue;
        size_t n = t->bytes / exam_dtype_size(t->dtype);
        for (size_t k = 0; k < n; k++) sink += v[k];
    }
    (void)sink;
    exam_safetensors_close(st);
    return 0;
}
