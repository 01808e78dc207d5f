/* Helpers private to the OpenCL backend: error names, checked-call macros, device choice and
 * program building with a binary cache. */
#ifndef EXAM_BACKEND_OPENCL_UTIL_H
#define EXAM_BACKEND_OPENCL_UTIL_H

#include <stddef.h>

#include <CL/cl.h>
#include <clblast_c.h>

#include "error.h"

/* Options every kernel program is built with. */
#define EXAM_CL_BUILD_OPTIONS "-cl-std=CL1.2"

/* The symbolic name of an OpenCL error code ("CL_OUT_OF_RESOURCES"), or "unknown OpenCL error". */
const char *exam_cl_error_name(cl_int err);

/* The symbolic name of a CLBlast status code. */
const char *exam_clblast_status_name(CLBlastStatusCode status);

/* Returns from the calling function with EXAM_ERR_BACKEND when `call` (an expression giving a
 * cl_int) is not CL_SUCCESS; the message names the call and the error (file:line are added). */
#define EXAM_CL_CHECK(call)                                                                        \
    do {                                                                                           \
        cl_int exam_cl_err_ = (call);                                                              \
        if (exam_cl_err_ != CL_SUCCESS)                                                            \
            return exam_error_set(EXAM_ERR_BACKEND, "%s failed: %s (%d)", #call,                   \
                                  exam_cl_error_name(exam_cl_err_), (int)exam_cl_err_);            \
    } while (0)

/* Like EXAM_CL_CHECK for calls that report through an errcode_ret argument `err`. */
#define EXAM_CL_CHECK_ERR(err, what)                                                               \
    do {                                                                                           \
        if ((err) != CL_SUCCESS)                                                                   \
            return exam_error_set(EXAM_ERR_BACKEND, "%s failed: %s (%d)", (what),                  \
                                  exam_cl_error_name(err), (int)(err));                            \
    } while (0)

/* A device the OpenCL backend may run on. */
typedef struct exam_cl_device {
    cl_platform_id platform;
    cl_device_id device;
    int is_gpu;
    char description[128]; /* "<device name> (<platform name>, GPU|CPU)" */
} exam_cl_device;

/* Fills up to `cap` devices, GPUs of every platform first, then CPU devices; *count receives
 * how many. EXAM_ERR_UNAVAILABLE (with the reason) when there is no platform or no device. */
exam_status exam_cl_devices_list(exam_cl_device *devices, int cap, int *count);

/* Builds the program made of `sources` (n strings, concatenated) for `device` with `options`.
 * With use_cache, first tries the binary cached for this device, options and source text, and
 * stores the binary after a source build. On a failed build the message holds the start of
 * the build log; *log (may be NULL) receives the whole log (caller frees) in every case. */
exam_status exam_cl_program_build(cl_context ctx, cl_device_id device, const char **sources, int n,
                                  const char *options, int use_cache, cl_program *out, char **log);

#endif
