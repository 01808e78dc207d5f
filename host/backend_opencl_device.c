/* OpenCL device discovery for the OpenCL backend: every platform's GPUs first, then CPUs. */
#include "backend_opencl_util.h"

#include <stdio.h>
#include <string.h>

/* Appends the devices of `type` on `platform` to devices[*count..cap). */
static void add_devices(cl_platform_id platform, cl_device_type type, exam_cl_device *devices,
                        int cap, int *count) {
    cl_device_id ids[16];
    cl_uint n = 0;
    if (clGetDeviceIDs(platform, type, 16, ids, &n) != CL_SUCCESS) return;
    char pname[64] = "";
    clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof pname - 1, pname, NULL);
    for (cl_uint i = 0; i < n && *count < cap; i++) {
        exam_cl_device *d = &devices[(*count)++];
        char dname[80] = "";
        clGetDeviceInfo(ids[i], CL_DEVICE_NAME, sizeof dname - 1, dname, NULL);
        d->platform = platform;
        d->device = ids[i];
        d->is_gpu = type == CL_DEVICE_TYPE_GPU;
        snprintf(d->description, sizeof d->description, "%.70s (%.40s, %s)", dname, pname,
                 d->is_gpu ? "GPU" : "CPU");
    }
}

exam_status exam_cl_devices_list(exam_cl_device *devices, int cap, int *count) {
    *count = 0;
    cl_platform_id platforms[8];
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(8, platforms, &np);
    if (err != CL_SUCCESS || np == 0)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "no OpenCL platform: clGetPlatformIDs: %s",
                              err != CL_SUCCESS ? exam_cl_error_name(err) : "0 platforms");
    if (np > 8) np = 8;
    for (cl_uint p = 0; p < np; p++)
        add_devices(platforms[p], CL_DEVICE_TYPE_GPU, devices, cap, count);
    for (cl_uint p = 0; p < np; p++)
        add_devices(platforms[p], CL_DEVICE_TYPE_CPU, devices, cap, count);
    if (*count == 0)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "no OpenCL GPU or CPU device on %u platform(s)",
                              (unsigned)np);
    return EXAM_OK;
}
