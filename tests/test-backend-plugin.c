/* labels: unit
 * Backend modules: the core maps no CUDA or OpenCL library until a module is loaded; a missing,
 * broken or foreign module is reported as "<title> unavailable: <why>"; errors raised inside a
 * module reach the core's exam_error_message(); automatic selection reads the OpenCL ICD
 * registry and passes a PoCL-only machine over without starting PoCL. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <utf8proc.h>

#include "backend.h"
#include "backend_plugin.h"
#include "backend_precheck.h"
#include "testlib.h"

static char tmp[64];

/* Whether a library whose path contains `needle` is mapped into this process. */
static int mapped(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

static const char *tmp_path(const char *name) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    return path;
}

static void write_text(const char *name, const char *text) {
    FILE *f = fopen(tmp_path(name), "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void copy_file(const char *from, const char *name) {
    FILE *in = fopen(from, "rb"), *out = fopen(tmp_path(name), "wb");
    char buf[1 << 16];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    if (in) fclose(in);
    if (out) fclose(out);
}

static void test_core_maps_no_vendor_library(void) {
    const char *vendor[] = {"libcublas", "libcudart",  "libcuda.so",
                            "libOpenCL", "libclblast", "libpocl"};
    for (size_t i = 0; i < sizeof vendor / sizeof vendor[0]; i++)
        CHECKF(!mapped(vendor[i]), "%s is mapped before any backend was created", vendor[i]);
}

static void test_missing_broken_foreign_modules(void) {
    setenv("EXAMINER_PLUGIN_DIR", tmp, 1);
    const exam_plugin_api *api = (const exam_plugin_api *)1;
    CHECK(exam_plugin_load("nosuch", "Nosuch", &api) == EXAM_ERR_UNAVAILABLE);
    CHECK(api == NULL);
    CHECKF(strstr(exam_error_message(), "Nosuch unavailable: libexaminer-nosuch.so not found in") ==
               exam_error_message(),
           "%s", exam_error_message());
    CHECKF(strstr(exam_error_message(), tmp) != NULL, "%s", exam_error_message());

    write_text("libexaminer-broken.so", "not an ELF file\n");
    CHECK(exam_plugin_load("broken", "Broken", &api) == EXAM_ERR_UNAVAILABLE);
    CHECKF(strncmp(exam_error_message(), "Broken unavailable: ", 20) == 0, "%s",
           exam_error_message());
    CHECKF(strstr(exam_error_message(), "libexaminer-broken.so") != NULL, "%s",
           exam_error_message());

    /* a real shared library that is not a module: utf8proc's, copied under a module's name */
    Dl_info info;
    if (dladdr((void *)utf8proc_version, &info) && info.dli_fname &&
        strstr(info.dli_fname, ".so")) {
        copy_file(info.dli_fname, "libexaminer-foreign.so");
        CHECK(exam_plugin_load("foreign", "Foreign", &api) == EXAM_ERR_UNAVAILABLE);
        CHECKF(strstr(exam_error_message(), "has no entry point exam_plugin_get_api") != NULL, "%s",
               exam_error_message());
    }
    unsetenv("EXAMINER_PLUGIN_DIR");
}

static void test_icd_registry(void) {
    unsetenv("OCL_ICD_FILENAMES");
    unsetenv("OPENCL_VENDOR_PATH");
    char dir[256];
    snprintf(dir, sizeof dir, "%s", tmp_path("vendors"));
    CHECK(mkdir(dir, 0700) == 0);
    setenv("OCL_ICD_VENDORS", dir, 1);
    CHECKF(exam_precheck_opencl_icds() == EXAM_OK, "an empty registry is left to the probe");

    write_text("vendors/pocl.icd", "libpocl.so.2\n");
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    CHECKF(strstr(exam_error_message(), "only PoCL (CPU devices) installed; used only when forced "
                                        "(EXAMINER_BACKEND=opencl)") == exam_error_message(),
           "%s", exam_error_message());

    setenv("OCL_ICD_FILENAMES", "/opt/vendor/libvendor-opencl.so", 1);
    CHECKF(exam_precheck_opencl_icds() == EXAM_OK, "OCL_ICD_FILENAMES adds a non-PoCL driver");
    setenv("OCL_ICD_FILENAMES", "/usr/lib/libpocl.so.2:", 1);
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    unsetenv("OCL_ICD_FILENAMES");

    /* one .icd file, by path and by bare name in $OPENCL_VENDOR_PATH; a library named directly */
    char file[300];
    snprintf(file, sizeof file, "%s/pocl.icd", dir);
    setenv("OCL_ICD_VENDORS", file, 1);
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    setenv("OPENCL_VENDOR_PATH", dir, 1);
    setenv("OCL_ICD_VENDORS", "pocl.icd", 1);
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    unsetenv("OCL_ICD_VENDORS");
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    unsetenv("OPENCL_VENDOR_PATH");
    setenv("OCL_ICD_VENDORS", "/usr/lib/x86_64-linux-gnu/libpocl.so.2.10.0", 1);
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    setenv("OCL_ICD_VENDORS", "libnvidia-opencl.so.1", 1);
    CHECK(exam_precheck_opencl_icds() == EXAM_OK);

    /* any other driver, or an entry that cannot be read, means the real probe decides */
    setenv("OCL_ICD_VENDORS", dir, 1);
    write_text("vendors/nvidia.icd", "  libnvidia-opencl.so.1  \r\n");
    CHECK(exam_precheck_opencl_icds() == EXAM_OK);
    CHECK(remove(tmp_path("vendors/nvidia.icd")) == 0);
    write_text("vendors/empty.icd", "");
    CHECK(exam_precheck_opencl_icds() == EXAM_OK);
    CHECK(remove(tmp_path("vendors/empty.icd")) == 0);
    write_text("vendors/notes.txt", "libnvidia-opencl.so.1\n"); /* not an .icd: ignored */
    CHECK(exam_precheck_opencl_icds() == EXAM_ERR_UNAVAILABLE);
    CHECK(remove(tmp_path("vendors/notes.txt")) == 0);
}

/* Automatic selection with a PoCL-only registry: opencl is passed over and PoCL never loaded. */
static void test_auto_selection_skips_pocl(void) {
#ifdef EXAMINER_HAVE_OPENCL
    setenv("OCL_ICD_VENDORS", tmp_path("vendors"), 1);
    unsetenv("EXAMINER_BACKEND");
    exam_backend *be = NULL;
    char why[1024] = "";
    CHECK(exam_backend_select(NULL, NULL, &be, why, sizeof why) == EXAM_OK);
    if (be && strcmp(be->name, "cuda") != 0) { /* a GPU here stops the search before opencl */
        CHECKF(strstr(why, "opencl (only PoCL (CPU devices) installed") != NULL, "%s", why);
        CHECKF(!mapped("libpocl") && !mapped("libexaminer-opencl"), "PoCL was loaded: %s", why);
    }
    exam_backend_free(be);
    unsetenv("OCL_ICD_VENDORS");
#endif
}

/* The modules built with this core load, and their errors reach exam_error_message(). */
static void test_built_modules(void) {
    int count = 0;
#ifdef EXAMINER_HAVE_CUDA
    count++;
    const exam_plugin_api *api = NULL;
    CHECKF(exam_plugin_load("cuda", "CUDA", &api) == EXAM_OK, "%s", exam_error_message());
    CHECK(api && strcmp(api->name, "cuda") == 0 && api->kernels_check == NULL);
    CHECK(mapped("/libexaminer-cuda.so")); /* the maps check above can see a loaded library */
    exam_backend *be = NULL;
    if (exam_backend_create("cuda", NULL, &be) == EXAM_OK) {
        CHECK(strcmp(be->name, "cuda") == 0);
        CHECK(be->ops->gemm(be, NULL, NULL, NULL, 1, 1, 1) == EXAM_ERR_ARG);
        CHECKF(strstr(exam_error_message(), "cuda:") != NULL, "%s", exam_error_message());
        exam_backend_free(be);
    } else {
        /* no GPU here: the driver check's reason (no libcuda.so.1) or the CUDA runtime's came
         * through, and automatic selection passes CUDA over for exactly the same reason */
        char forced[512];
        snprintf(forced, sizeof forced, "%s", exam_error_message());
        CHECKF(strstr(forced, "CUDA unavailable: ") == forced &&
                   (strstr(forced, "(backend_cuda.c:") || strstr(forced, "(backend_precheck.c:")),
               "%s", forced);
        exam_backend_choice c;
        exam_backend *auto_be = NULL;
        unsetenv("EXAMINER_BACKEND");
        CHECK(exam_backend_choose(NULL, NULL, &auto_be, &c) == EXAM_OK);
        CHECKF(!c.forced && c.n_passed >= 1 && strcmp(c.passed[0].name, "cuda") == 0 &&
                   strcmp(c.passed[0].reason, forced) == 0,
               "passed over for \"%s\", forced: \"%s\"", c.n_passed ? c.passed[0].reason : "",
               forced);
        exam_backend_free(auto_be);
    }
    int dirty = 0;
    CHECK(exam_backend_check_kernels("cuda", stdout, &dirty) == EXAM_ERR_UNAVAILABLE);
#endif
#ifdef EXAMINER_HAVE_OPENCL
    count++;
    const exam_plugin_api *cl = NULL;
    CHECKF(exam_plugin_load("opencl", "OpenCL", &cl) == EXAM_OK, "%s", exam_error_message());
    CHECK(cl && strcmp(cl->name, "opencl") == 0 && cl->kernels_check != NULL);
#endif
    int dirty_cpu = 0;
    CHECK(exam_backend_check_kernels("cpu", stdout, &dirty_cpu) == EXAM_ERR_UNAVAILABLE);
    printf("%d backend module(s) built here\n", count);
}

int main(void) {
    test_core_maps_no_vendor_library();
    snprintf(tmp, sizeof tmp, "/tmp/exam-plugin-XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_missing_broken_foreign_modules();
    test_icd_registry();
    test_auto_selection_skips_pocl();
    test_built_modules();
    const char *files[] = {"vendors/pocl.icd", "vendors", "libexaminer-broken.so",
                           "libexaminer-foreign.so"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove(tmp_path(files[i]));
    rmdir(tmp);
    return exam_test_finish();
}
