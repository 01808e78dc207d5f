/* The CUDA backend (cuBLAS GEMMs, kernels compiled by nvcc from kernels/) as its module's entry
 * point sees it; compiled only into libexaminer-cuda.so, which the core loads at run time. */
#ifndef EXAM_BACKEND_CUDA_H
#define EXAM_BACKEND_CUDA_H

#include "backend.h"

/* Creates the CUDA backend on the current CUDA device (device 0 unless CUDA_VISIBLE_DEVICES
 * says otherwise): one stream, one cuBLAS handle, pinned staging buffers for uploads.
 * opts->precision picks the GEMM input precision (fp32, or fp16/bf16 on tensor cores with fp32
 * accumulation). EXAM_ERR_UNAVAILABLE with "CUDA unavailable: <driver's reason>" when there is
 * no usable device. opts may be NULL (fp32). One backend (one stream) serves one thread at a
 * time; a worker with several threads creates one backend each. */
exam_status exam_backend_cuda_create(const exam_backend_options *opts, exam_backend **out);

#endif
