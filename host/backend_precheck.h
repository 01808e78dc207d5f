/* Cheap checks that let automatic backend selection pass an accelerator over without loading its
 * module or its vendor runtime (cuBLAS maps ~600 MB; PoCL starts LLVM). The CUDA driver check is
 * a requirement, made before every CUDA backend is created (forced, probed or automatic), so
 * that one reason stands for a machine without a driver; the PoCL check is only a preference of
 * automatic selection, which forcing a backend and `examiner backends` skip. */
#ifndef EXAM_BACKEND_PRECHECK_H
#define EXAM_BACKEND_PRECHECK_H

#include "error.h"

/* EXAM_OK when the CUDA driver library (libcuda.so.1) can be loaded, so the CUDA backend is
 * worth trying; otherwise EXAM_ERR_UNAVAILABLE with "CUDA unavailable: no CUDA driver (...)".
 * Looked for once per process (thread-safe); later calls give the same answer and message.
 * A loaded driver library stays loaded (the CUDA runtime loads it next anyway). */
exam_status exam_precheck_cuda_driver(void);

/* EXAM_ERR_UNAVAILABLE, with "only PoCL (CPU devices) installed; used only when forced
 * (EXAMINER_BACKEND=opencl)", when every OpenCL driver registered with the ICD loader is PoCL
 * (libpocl*), read from the registry the ICD loader reads ($OCL_ICD_FILENAMES, $OCL_ICD_VENDORS,
 * the .icd files in $OPENCL_VENDOR_PATH or /etc/OpenCL/vendors) without loading any. EXAM_OK
 * otherwise, also when the registry is empty or cannot be read: the real probe then decides. */
exam_status exam_precheck_opencl_icds(void);

#endif
