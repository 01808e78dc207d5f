/* The CPU backend: OpenBLAS GEMMs and OpenMP-threaded ops; the oracle other backends match. */
#ifndef EXAM_BACKEND_CPU_H
#define EXAM_BACKEND_CPU_H

#include "backend.h"

/* Creates the CPU backend with opts->threads threads (0: every core). Never unavailable. */
exam_status exam_backend_cpu_create(const exam_backend_options *opts, exam_backend **out);

/* The host pointer behind a CPU buffer (for code that shares memory with the CPU backend). */
float *exam_backend_cpu_data(exam_buffer *buf);

#endif
