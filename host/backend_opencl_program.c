/* Builds OpenCL programs for the OpenCL backend, caching binaries per device and source hash
 * under $EXAMINER_CACHE_DIR, $XDG_CACHE_HOME/examiner or ~/.cache/examiner. */
#include "backend_opencl_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* FNV-1a over `len` bytes, continuing from h. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t hash_string(uint64_t h, const char *s) {
    return fnv1a(h, s, strlen(s) + 1); /* the NUL separates fields */
}

/* Writes the cache file path for this build into path; 0 when no cache folder can be found. */
static int cache_path(cl_device_id device, const char **sources, int n, const char *options,
                      char *path, size_t cap) {
    char dir[512];
    const char *env = getenv("EXAMINER_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/examiner", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/examiner", home);
    else
        return 0;

    uint64_t h = 14695981039346656037ULL;
    static const cl_device_info keys[] = {CL_DEVICE_NAME, CL_DEVICE_VERSION, CL_DRIVER_VERSION,
                                          CL_DEVICE_VENDOR};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char text[256] = "";
        clGetDeviceInfo(device, keys[i], sizeof text - 1, text, NULL);
        h = hash_string(h, text);
    }
    h = hash_string(h, options);
    for (int i = 0; i < n; i++) h = hash_string(h, sources[i]);
    int len = snprintf(path, cap, "%s/opencl-%016llx.bin", dir, (unsigned long long)h);
    return len > 0 && (size_t)len < cap;
}

/* mkdir -p of path's folder; 0 on failure. */
static int make_parent_dirs(const char *path) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return 0;
        *p = '/';
    }
    return 1;
}

/* The program's build log for device (caller frees), or NULL. */
static char *build_log(cl_program program, cl_device_id device) {
    size_t size = 0;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, NULL, &size) != CL_SUCCESS)
        return NULL;
    char *log = calloc(size + 1, 1);
    if (!log) return NULL;
    if (clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log, NULL) != CL_SUCCESS)
        log[0] = '\0';
    return log;
}

/* Loads the cached binary at path and builds it; NULL when absent or unusable. */
static cl_program load_cached(cl_context ctx, cl_device_id device, const char *path,
                              const char *options) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *bin = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size > 0 && fseek(f, 0, SEEK_SET) == 0 && (bin = malloc((size_t)size)) != NULL &&
        fread(bin, 1, (size_t)size, f) != (size_t)size) {
        free(bin);
        bin = NULL;
    }
    fclose(f);
    if (!bin) return NULL;

    size_t len = (size_t)size;
    const unsigned char *bins[1] = {bin};
    cl_int status = CL_SUCCESS, err = CL_SUCCESS;
    cl_program program = clCreateProgramWithBinary(ctx, 1, &device, &len, bins, &status, &err);
    free(bin);
    if (err != CL_SUCCESS || status != CL_SUCCESS) {
        if (program) clReleaseProgram(program);
        return NULL;
    }
    if (clBuildProgram(program, 1, &device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(program);
        return NULL;
    }
    return program;
}

/* Stores the program's binary at path (write to a temporary name, then rename); best effort. */
static void store_cached(cl_program program, const char *path) {
    size_t size = 0;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) !=
            CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (!bin) return;
    unsigned char *bins[1] = {bin};
    char tmp[640];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = NULL;
    if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS &&
        make_parent_dirs(path) && (f = fopen(tmp, "wb")) != NULL) {
        int ok = fwrite(bin, 1, size, f) == size;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) remove(tmp);
    }
    free(bin);
}

exam_status exam_cl_program_build(cl_context ctx, cl_device_id device, const char **sources, int n,
                                  const char *options, int use_cache, cl_program *out, char **log) {
    *out = NULL;
    if (log) *log = NULL;
    char path[600];
    int cacheable = use_cache && cache_path(device, sources, n, options, path, sizeof path);
    if (cacheable) {
        cl_program cached = load_cached(ctx, device, path, options);
        if (cached) {
            if (log) *log = build_log(cached, device);
            *out = cached;
            return EXAM_OK;
        }
    }

    cl_int err = CL_SUCCESS;
    cl_program program = clCreateProgramWithSource(ctx, (cl_uint)n, sources, NULL, &err);
    EXAM_CL_CHECK_ERR(err, "clCreateProgramWithSource");
    err = clBuildProgram(program, 1, &device, options, NULL, NULL);
    char *text = build_log(program, device);
    if (err != CL_SUCCESS) {
        exam_status st =
            exam_error_set(EXAM_ERR_BACKEND, "clBuildProgram failed: %s; build log: %.600s",
                           exam_cl_error_name(err), text ? text : "(none)");
        if (log)
            *log = text;
        else
            free(text);
        clReleaseProgram(program);
        return st;
    }
    if (cacheable) store_cached(program, path);
    if (log)
        *log = text;
    else
        free(text);
    *out = program;
    return EXAM_OK;
}
