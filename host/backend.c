/* The backend registry: creation by name, automatic selection, and the probe behind
 * `examiner backends`. Accelerator backends register here when they are compiled in. */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"
#ifdef EXAMINER_HAVE_CUDA
#include "backend_cuda.h"
#endif
#ifdef EXAMINER_HAVE_OPENCL
#include "backend_opencl.h"
#endif

typedef exam_status (*backend_create_fn)(const exam_backend_options *opts, exam_backend **out);

typedef struct backend_entry {
    const char *name;
    backend_create_fn create;
} backend_entry;

/* In order of preference for automatic selection: CUDA, an OpenCL GPU, then the CPU backend
 * (OpenCL takes a CPU device such as PoCL only when forced or asked to by the options). */
static const backend_entry backend_table[] = {
#ifdef EXAMINER_HAVE_CUDA
    {"cuda", exam_backend_cuda_create},
#endif
#ifdef EXAMINER_HAVE_OPENCL
    {"opencl", exam_backend_opencl_create},
#endif
    {"cpu", exam_backend_cpu_create},
};

static const int backend_count = (int)(sizeof backend_table / sizeof backend_table[0]);

static const backend_entry *find_backend(const char *name) {
    for (int i = 0; i < backend_count; i++)
        if (strcmp(backend_table[i].name, name) == 0) return &backend_table[i];
    return NULL;
}

exam_status exam_backend_create(const char *name, const exam_backend_options *opts,
                                exam_backend **out) {
    const backend_entry *e = find_backend(name);
    if (!e) {
        char known[128] = "";
        for (int i = 0; i < backend_count; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, backend_table[i].name, sizeof known - strlen(known) - 1);
        }
        return exam_error_set(EXAM_ERR_NOT_FOUND, "unknown backend '%s' (built in: %s)", name,
                              known);
    }
    return e->create(opts, out);
}

exam_status exam_backend_select(const char *forced, const exam_backend_options *opts,
                                exam_backend **out, char *why, size_t why_len) {
    const char *env = getenv("EXAMINER_BACKEND");
    const char *name = forced && *forced ? forced : (env && *env ? env : NULL);
    if (name) {
        /* forcing OpenCL accepts whatever device it finds, a CPU device (PoCL) included */
        exam_backend_options forced_opts = {0};
        if (opts) forced_opts = *opts;
        forced_opts.allow_cpu_device = 1;
        exam_status st = exam_backend_create(name, &forced_opts, out);
        if (why && st == EXAM_OK)
            snprintf(why, why_len, "backend %s (forced): %s", name, (*out)->device);
        return st;
    }
    char passed[512] = "";
    for (int i = 0; i < backend_count; i++) {
        exam_status st = backend_table[i].create(opts, out);
        if (st == EXAM_OK) {
            if (why)
                snprintf(why, why_len, "backend %s: %s%s%s", backend_table[i].name, (*out)->device,
                         passed[0] ? "; passed over: " : "", passed);
            return EXAM_OK;
        }
        size_t used = strlen(passed);
        snprintf(passed + used, sizeof passed - used, "%s%s (%s)", used ? ", " : "",
                 backend_table[i].name, exam_error_message());
    }
    return exam_error_set(EXAM_ERR_UNAVAILABLE, "no backend could be created: %s", passed);
}

int exam_backend_probe(exam_backend_info *infos, int cap) {
    int n = 0;
    for (int i = 0; i < backend_count && n < cap; i++, n++) {
        exam_backend *be = NULL;
        exam_backend_options opts = {0};
        infos[n].name = backend_table[i].name;
        exam_status st = backend_table[i].create(&opts, &be);
        snprintf(infos[n].detail, sizeof infos[n].detail, "%s", exam_error_message());
        int forced_only = 0;
        if (st == EXAM_ERR_UNAVAILABLE) {
            /* usable only on a CPU device (OpenCL on PoCL): available, but not chosen unasked */
            opts.allow_cpu_device = 1;
            st = backend_table[i].create(&opts, &be);
            forced_only = st == EXAM_OK;
            if (st != EXAM_OK)
                snprintf(infos[n].detail, sizeof infos[n].detail, "%s", exam_error_message());
        }
        infos[n].available = st == EXAM_OK;
        if (st == EXAM_OK) {
            snprintf(infos[n].detail, sizeof infos[n].detail, "%s%s", be->device,
                     forced_only ? "; a CPU device, used only when forced" : "");
            exam_backend_free(be);
        }
    }
    return n;
}

void exam_backend_free(exam_backend *be) {
    if (be) be->ops->free(be);
}
