/* Loads backend modules (libexaminer-<name>.so) with dlopen, checks that they speak this core's
 * ABI, and lends them the core's error recording. A module stays loaded until the process ends:
 * the backends it creates run its code, and the CUDA runtime does not like being unloaded. */
#include "backend_plugin.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODULES 4

typedef struct loaded_module {
    char name[32];
    const exam_plugin_api *api;
} loaded_module;

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static loaded_module modules[MAX_MODULES];
static int n_modules;

static exam_status host_error_set(exam_status status, const char *file, int line,
                                  const char *text) {
    return exam_error_set_at(status, file, line, "%s", text);
}

static const exam_plugin_host plugin_host = {EXAM_PLUGIN_ABI, host_error_set, exam_error_message};

/* The directories a module is looked for in, in order; returns how many were written. */
static int search_dirs(char dirs[][PATH_MAX], int cap) {
    int n = 0;
    const char *env = getenv("EXAMINER_PLUGIN_DIR");
    if (env && *env && n < cap) snprintf(dirs[n++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0 && n < cap) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dirs[n++], PATH_MAX, "%s", exe[0] ? exe : "/");
#ifdef EXAMINER_PLUGIN_RELATIVE_DIR
            if (n < cap) {
                int w = snprintf(dirs[n], PATH_MAX, "%s/%s", exe, EXAMINER_PLUGIN_RELATIVE_DIR);
                if (w > 0 && w < PATH_MAX) n++; /* a path too long to hold is skipped */
            }
#endif
        }
    }
#ifdef EXAMINER_PLUGIN_BUILD_DIR
    if (n < cap) snprintf(dirs[n++], PATH_MAX, "%s", EXAMINER_PLUGIN_BUILD_DIR);
#endif
#ifdef EXAMINER_PLUGIN_INSTALL_DIR
    if (n < cap) snprintf(dirs[n++], PATH_MAX, "%s", EXAMINER_PLUGIN_INSTALL_DIR);
#endif
    return n;
}

/* Finds, loads and checks the module; on failure writes why into reason. */
static const exam_plugin_api *module_open(const char *name, char *reason, size_t reason_len) {
    char file[64];
    snprintf(file, sizeof file, "libexaminer-%s.so", name);
    char dirs[5][PATH_MAX];
    int n_dirs = search_dirs(dirs, 5);
    char path[PATH_MAX + 64] = "";
    int found = 0;
    for (int i = 0; i < n_dirs && !found; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], file);
        found = access(path, F_OK) == 0;
    }
    if (!found) {
        int used = snprintf(reason, reason_len, "%s not found in", file);
        for (int i = 0; i < n_dirs && used > 0 && (size_t)used < reason_len; i++)
            used +=
                snprintf(reason + used, reason_len - (size_t)used, "%s %s", i ? "," : "", dirs[i]);
        return NULL;
    }
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *err = dlerror();
        snprintf(reason, reason_len, "%s", err ? err : "dlopen failed");
        return NULL;
    }
    exam_plugin_get_api_fn get_api = NULL;
    void *sym = dlsym(handle, EXAM_PLUGIN_ENTRY);
    memcpy(&get_api, &sym, sizeof get_api); /* ISO C has no cast from object to function pointer */
    const exam_plugin_api *api = get_api ? get_api(&plugin_host) : NULL;
    if (!api) {
        snprintf(reason, reason_len, "%s has no entry point %s", path, EXAM_PLUGIN_ENTRY);
    } else if (api->abi != EXAM_PLUGIN_ABI) {
        snprintf(reason, reason_len, "%s speaks plugin ABI %d, this examiner %d (rebuild it)", path,
                 api->abi, EXAM_PLUGIN_ABI);
    } else if (api->backend_size != sizeof(exam_backend) ||
               api->ops_size != sizeof(exam_backend_ops) ||
               api->options_size != sizeof(exam_backend_options)) {
        snprintf(reason, reason_len,
                 "%s was compiled against another backend.h (struct sizes differ; rebuild it)",
                 path);
    } else if (!api->name || strcmp(api->name, name) != 0 || !api->backend_create) {
        snprintf(reason, reason_len, "%s does not describe the %s backend", path, name);
    } else {
        return api;
    }
    dlclose(handle);
    return NULL;
}

exam_status exam_plugin_load(const char *name, const char *title, const exam_plugin_api **out) {
    *out = NULL;
    if (!name || strlen(name) >= sizeof modules[0].name)
        return exam_error_set(EXAM_ERR_ARG, "invalid backend module name");
    pthread_mutex_lock(&modules_lock);
    for (int i = 0; i < n_modules && i < MAX_MODULES; i++)
        if (strcmp(modules[i].name, name) == 0) *out = modules[i].api;
    char reason[768] = "";
    if (!*out) {
        *out = module_open(name, reason, sizeof reason);
        if (*out && n_modules < MAX_MODULES) {
            snprintf(modules[n_modules].name, sizeof modules[0].name, "%s", name);
            modules[n_modules++].api = *out;
        }
    }
    pthread_mutex_unlock(&modules_lock);
    if (!*out) return exam_error_set(EXAM_ERR_UNAVAILABLE, "%s unavailable: %s", title, reason);
    return EXAM_OK;
}
