/* `examiner backends --check-kernels`: builds each kernel source on every OpenCL device and reports
 * the build logs, so CI can insist that every kernel builds without a single warning. */
#include "backend_opencl.h"

#include <ctype.h>
#include <stdlib.h>

#include "backend_opencl_util.h"
#include "kernel_sources.h"

/* 1 when the log holds anything but white space. */
static int log_has_text(const char *log) {
    for (const char *p = log; p && *p; p++)
        if (!isspace((unsigned char)*p)) return 1;
    return 0;
}

/* Builds every source on one device; adds the dirty builds to *n_dirty. */
static exam_status check_device(const exam_cl_device *d, FILE *report, int *n_dirty) {
    cl_int err = CL_SUCCESS;
    cl_context ctx = clCreateContext(NULL, 1, &d->device, NULL, NULL, &err);
    EXAM_CL_CHECK_ERR(err, "clCreateContext");
    for (int i = 0; i < exam_kernel_source_count; i++) {
        const char *sources[2] = {exam_kernel_prelude, exam_kernel_sources[i].text};
        cl_program program = NULL;
        char *log = NULL;
        exam_status st = exam_cl_program_build(ctx, d->device, sources, 2,
                                               EXAM_CL_BUILD_OPTIONS " -Werror", 0, &program, &log);
        int dirty = st != EXAM_OK || log_has_text(log);
        fprintf(report, "%-4s %s on %s\n", dirty ? "FAIL" : "ok", exam_kernel_sources[i].name,
                d->description);
        if (log_has_text(log))
            fprintf(report, "%s\n", log);
        else if (st != EXAM_OK)
            fprintf(report, "  %s\n", exam_error_message());
        *n_dirty += dirty;
        free(log);
        if (program) clReleaseProgram(program);
    }
    clReleaseContext(ctx);
    return EXAM_OK;
}

exam_status exam_opencl_check_kernels(FILE *report, int *n_dirty) {
    *n_dirty = 0;
    exam_cl_device devices[16];
    int count = 0;
    exam_status st = exam_cl_devices_list(devices, 16, &count);
    if (st != EXAM_OK) return st;
    for (int i = 0; i < count; i++) {
        st = check_device(&devices[i], report, n_dirty);
        if (st != EXAM_OK) return st;
    }
    return EXAM_OK;
}
