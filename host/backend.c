/* The backend registry: creation by name, automatic selection, and the probe behind
 * `examiner backends`. The CPU backend is built in; CUDA and OpenCL, when compiled, live in
 * modules (libexaminer-cuda.so, libexaminer-opencl.so) loaded on first use, so that the core
 * starts, and works, on machines without their libraries. */
#include "backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"
#include "backend_plugin.h"
#include "backend_precheck.h"

typedef exam_status (*backend_create_fn)(const exam_backend_options *opts, exam_backend **out);

typedef struct backend_entry {
    const char *name;
    const char *title;        /* how messages name it ("CUDA") */
    backend_create_fn create; /* a built-in backend; NULL for one in a module */
    /* Before every creation: EXAM_OK when the backend can work here at all, otherwise why not
     * (without loading its module). NULL: nothing to check. */
    exam_status (*requires)(void);
    /* Automatic selection only: EXAM_OK when the backend is worth creating, otherwise why not
     * (without loading its module). NULL: always worth it. */
    exam_status (*precheck)(const exam_backend_options *opts);
} backend_entry;

#ifdef EXAMINER_HAVE_OPENCL
/* A CPU device (PoCL) is not chosen unasked, so when PoCL is all there is, PoCL is not started. */
static exam_status precheck_opencl(const exam_backend_options *opts) {
    if (opts && opts->allow_cpu_device) return EXAM_OK;
    return exam_precheck_opencl_icds();
}
#endif

/* In order of preference for automatic selection: CUDA, an OpenCL GPU, then the CPU backend
 * (OpenCL takes a CPU device such as PoCL only when forced or asked to by the options). */
static const backend_entry backend_table[] = {
#ifdef EXAMINER_HAVE_CUDA
    {"cuda", "CUDA", NULL, exam_precheck_cuda_driver, NULL},
#endif
#ifdef EXAMINER_HAVE_OPENCL
    {"opencl", "OpenCL", NULL, NULL, precheck_opencl},
#endif
    {"cpu", "CPU", exam_backend_cpu_create, NULL, NULL},
};

static const int backend_count = (int)(sizeof backend_table / sizeof backend_table[0]);

/* Creates the entry's backend, loading its module first when it lives in one. */
static exam_status entry_create(const backend_entry *e, const exam_backend_options *opts,
                                exam_backend **out) {
    *out = NULL;
    if (e->requires) {
        exam_status st = e->requires();
        if (st != EXAM_OK) return st;
    }
    if (e->create) return e->create(opts, out);
    const exam_plugin_api *api = NULL;
    exam_status st = exam_plugin_load(e->name, e->title, &api);
    if (st != EXAM_OK) return st;
    return api->backend_create(opts, out);
}

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
    return entry_create(e, opts, out);
}

exam_status exam_backend_choose(const char *forced, const exam_backend_options *opts,
                                exam_backend **out, exam_backend_choice *choice) {
    exam_backend_choice local;
    exam_backend_choice *c = choice ? choice : &local;
    memset(c, 0, sizeof *c);
    const char *env = getenv("EXAMINER_BACKEND");
    const char *name = forced && *forced ? forced : (env && *env ? env : NULL);
    if (name) {
        /* forcing OpenCL accepts whatever device it finds, a CPU device (PoCL) included */
        exam_backend_options forced_opts = {0};
        if (opts) forced_opts = *opts;
        forced_opts.allow_cpu_device = 1;
        c->forced = 1;
        return exam_backend_create(name, &forced_opts, out);
    }
    for (int i = 0; i < backend_count; i++) {
        exam_status st = EXAM_OK;
        if (backend_table[i].precheck) st = backend_table[i].precheck(opts);
        if (st == EXAM_OK) st = entry_create(&backend_table[i], opts, out);
        if (st == EXAM_OK) return EXAM_OK;
        if (c->n_passed < EXAM_BACKEND_MAX) {
            c->passed[c->n_passed].name = backend_table[i].name;
            snprintf(c->passed[c->n_passed].reason, sizeof c->passed[0].reason, "%s",
                     exam_error_message());
            c->n_passed++;
        }
    }
    char passed[768] = "";
    for (int i = 0; i < c->n_passed; i++) {
        size_t used = strlen(passed);
        snprintf(passed + used, sizeof passed - used, "%s%s (%s)", i ? ", " : "", c->passed[i].name,
                 c->passed[i].reason);
    }
    return exam_error_set(EXAM_ERR_UNAVAILABLE, "no backend could be created: %s", passed);
}

exam_status exam_backend_select(const char *forced, const exam_backend_options *opts,
                                exam_backend **out, char *why, size_t why_len) {
    exam_backend_choice c;
    exam_status st = exam_backend_choose(forced, opts, out, &c);
    if (!why || st != EXAM_OK) return st;
    if (c.forced) {
        snprintf(why, why_len, "backend %s (forced): %s", (*out)->name, (*out)->device);
        return st;
    }
    int k = snprintf(why, why_len, "backend %s: %s", (*out)->name, (*out)->device);
    for (int i = 0; i < c.n_passed && k >= 0 && (size_t)k < why_len; i++)
        k += snprintf(why + k, why_len - (size_t)k, "%s%s (%s)",
                      i ? ", " : "; passed over: ", c.passed[i].name, c.passed[i].reason);
    return st;
}

int exam_backend_probe(exam_backend_info *infos, int cap) {
    int n = 0;
    for (int i = 0; i < backend_count && n < cap; i++, n++) {
        exam_backend *be = NULL;
        exam_backend_options opts = {0};
        infos[n].name = backend_table[i].name;
        exam_status st = entry_create(&backend_table[i], &opts, &be);
        snprintf(infos[n].detail, sizeof infos[n].detail, "%s", exam_error_message());
        int forced_only = 0;
        if (st == EXAM_ERR_UNAVAILABLE) {
            /* usable only on a CPU device (OpenCL on PoCL): available, but not chosen unasked */
            opts.allow_cpu_device = 1;
            st = entry_create(&backend_table[i], &opts, &be);
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

exam_status exam_backend_check_kernels(const char *name, FILE *report, int *n_dirty) {
    *n_dirty = 0;
    const backend_entry *e = find_backend(name);
    if (!e || e->create)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "backend '%s' has no kernels to check here",
                              name);
    const exam_plugin_api *api = NULL;
    exam_status st = exam_plugin_load(e->name, e->title, &api);
    if (st != EXAM_OK) return st;
    if (!api->kernels_check)
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "backend '%s' has no kernel check", name);
    return api->kernels_check(report, n_dirty);
}

void exam_backend_free(exam_backend *be) {
    if (be) be->ops->free(be);
}
