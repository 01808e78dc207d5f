/* Cheap availability checks for automatic backend selection: is there a CUDA driver library, and
 * is any OpenCL driver other than PoCL registered? Neither loads a vendor runtime. */
#include "backend_precheck.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The driver library is looked for once per process: the answer cannot change while it runs,
 * and every caller (selection, the probe, a forced backend) then gives the same reason. */
static pthread_once_t cuda_once = PTHREAD_ONCE_INIT;
static int cuda_found;
static char cuda_why[512];

static void cuda_look(void) {
    dlerror();
    void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    cuda_found = driver != NULL; /* kept loaded on purpose: the CUDA runtime is about to load it */
    if (!driver) {
        const char *err = dlerror();
        snprintf(cuda_why, sizeof cuda_why, "%s", err ? err : "libcuda.so.1 not found");
    }
}

exam_status exam_precheck_cuda_driver(void) {
    pthread_once(&cuda_once, cuda_look);
    if (cuda_found) return EXAM_OK;
    return exam_error_set(EXAM_ERR_UNAVAILABLE, "CUDA unavailable: no CUDA driver (%s)", cuda_why);
}

/* What the ICD registry lists: how many driver libraries, how many are PoCL, how many entries
 * could not be read. */
typedef struct icd_count {
    int total;
    int pocl;
    int unreadable;
} icd_count;

static void count_library(icd_count *c, const char *library) {
    const char *base = strrchr(library, '/');
    base = base ? base + 1 : library;
    c->total++;
    if (strncmp(base, "libpocl", 7) == 0) c->pocl++;
}

/* Counts the library named on the first line of an .icd file. */
static void count_icd_file(icd_count *c, const char *path) {
    char line[PATH_MAX];
    FILE *f = fopen(path, "r");
    int ok = f && fgets(line, sizeof line, f);
    if (f) fclose(f);
    if (!ok) {
        c->unreadable++;
        return;
    }
    size_t n = strcspn(line, "\r\n");
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    line[n] = '\0';
    const char *name = line + strspn(line, " \t");
    if (!*name)
        c->unreadable++;
    else
        count_library(c, name);
}

static int has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Counts every *.icd file in dir (a missing directory lists nothing). */
static void count_icd_dir(icd_count *c, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".icd")) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        count_icd_file(c, path);
    }
    closedir(d);
}

/* $OCL_ICD_FILENAMES (Khronos loader): ':'-separated driver libraries loaded besides the rest. */
static void count_icd_filenames(icd_count *c, const char *list) {
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
        if (*tok) count_library(c, tok);
}

exam_status exam_precheck_opencl_icds(void) {
    icd_count c = {0, 0, 0};
    const char *filenames = getenv("OCL_ICD_FILENAMES");
    if (filenames && *filenames) count_icd_filenames(&c, filenames);
    const char *vendor_dir = getenv("OPENCL_VENDOR_PATH");
    if (!vendor_dir || !*vendor_dir) vendor_dir = "/etc/OpenCL/vendors";
    const char *vendors = getenv("OCL_ICD_VENDORS");
    struct stat st;
    if (!vendors || !*vendors) {
        count_icd_dir(&c, vendor_dir);
    } else if (stat(vendors, &st) == 0 && S_ISDIR(st.st_mode)) {
        count_icd_dir(&c, vendors); /* replaces the vendors directory */
    } else if (has_suffix(vendors, ".icd")) {
        /* one .icd file; a bare name is looked for in the vendors directory first */
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", vendor_dir, vendors);
        if (strchr(vendors, '/') || access(path, R_OK) != 0)
            snprintf(path, sizeof path, "%s", vendors);
        count_icd_file(&c, path);
    } else {
        count_library(&c, vendors); /* the driver library itself */
    }
    if (c.total > 0 && c.unreadable == 0 && c.pocl == c.total)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "only PoCL (CPU devices) installed; used only "
                                                    "when forced (EXAMINER_BACKEND=opencl)");
    return EXAM_OK;
}
