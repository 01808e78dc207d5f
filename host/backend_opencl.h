/* The OpenCL backend (CLBlast GEMMs, kernels built from the embedded kernels/ sources) as its
 * module's entry point sees it; compiled only into libexaminer-opencl.so (loaded at run time). */
#ifndef EXAM_BACKEND_OPENCL_H
#define EXAM_BACKEND_OPENCL_H

#include <stdio.h>

#include "backend.h"

/* Creates the OpenCL backend on the first GPU device of any platform, or, when no GPU exists
 * and opts->allow_cpu_device is set, on the first CPU device (PoCL). Builds every kernel (or
 * loads the cached binary for this device and source). EXAM_ERR_UNAVAILABLE when no suitable
 * device exists, EXAM_ERR_BACKEND when a call or a kernel build fails (the build log is in the
 * message). opts may be NULL (defaults: F32, no CPU device). GEMMs are fp32 whatever
 * opts->precision asks. One backend serves one thread at a time (its kernels hold their
 * arguments); a worker with several threads creates one backend each. */
exam_status exam_backend_opencl_create(const exam_backend_options *opts, exam_backend **out);

/* Builds each kernel source (behind the prelude) separately on every OpenCL device with the
 * backend's build options, and writes one line per build to `report`, followed by any build
 * log. *n_dirty receives how many builds failed or left a non-empty log. EXAM_ERR_UNAVAILABLE
 * when no OpenCL device exists. */
exam_status exam_opencl_check_kernels(FILE *report, int *n_dirty);

#endif
