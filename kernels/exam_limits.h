/* Work-group shapes and size limits shared by the kernels and the host code that launches them
 * (plain macros, valid in C, OpenCL C and CUDA C++). */
#ifndef EXAM_KERNEL_LIMITS_H
#define EXAM_KERNEL_LIMITS_H

/* Work-group size of the row kernels (layernorm, pooling, normalisation); a power of two. */
#define EXAM_ROW_THREADS 128
/* Work-group size of the element-wise kernels. */
#define EXAM_ELEM_THREADS 256
/* Attention: query rows per work-group (one work-item each), keys per local-memory tile,
 * and the largest head dimension the kernel holds in registers. */
#define EXAM_ATTN_QTILE 64
#define EXAM_ATTN_KTILE 32
#define EXAM_ATTN_MAX_D 64
/* Cosine matrix and greedy matching tile edge (a TILE×TILE work-group). */
#define EXAM_COS_TILE 16

#endif
