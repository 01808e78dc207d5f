/* The interface between the examiner core and a backend module (libexaminer-<name>.so, loaded at
 * run time), so that the core starts without the CUDA or OpenCL libraries and passes a backend
 * over when its module or the module's libraries cannot be loaded. */
#ifndef EXAM_BACKEND_PLUGIN_H
#define EXAM_BACKEND_PLUGIN_H

#include <stddef.h>
#include <stdio.h>

#include "backend.h"

/* Bumped whenever backend.h, error.h or the structs below change in a way a module sees. */
#define EXAM_PLUGIN_ABI 3

/* The one symbol a module exports: an exam_plugin_get_api_fn. */
#define EXAM_PLUGIN_ENTRY "exam_plugin_get_api"

/* What the core lends a module: its per-thread error message, so that a module's errors reach
 * the caller of exam_error_message() like any other. `abi` comes first in every version. */
typedef struct exam_plugin_host {
    int abi;
    /* Records `status` with the already formatted `text`, as exam_error_set_at does. */
    exam_status (*error_set)(exam_status status, const char *file, int line, const char *text);
    const char *(*error_message)(void);
} exam_plugin_host;

/* What a module offers. `abi` comes first in every version; the sizes let the core refuse a
 * module compiled against different structs. */
typedef struct exam_plugin_api {
    int abi;
    size_t backend_size; /* sizeof(exam_backend) in the module */
    size_t ops_size;     /* sizeof(exam_backend_ops) */
    size_t options_size; /* sizeof(exam_backend_options) */
    const char *name;    /* "cuda", "opencl": must match the module's file name */
    exam_status (*backend_create)(const exam_backend_options *opts, exam_backend **out);
    /* Builds every kernel and reports on `report` (see exam_backend_check_kernels); NULL when
     * the backend has nothing to check. */
    exam_status (*kernels_check)(FILE *report, int *n_dirty);
} exam_plugin_api;

/* The type of the module's entry point, EXAM_PLUGIN_ENTRY. */
typedef const exam_plugin_api *(*exam_plugin_get_api_fn)(const exam_plugin_host *host);

/* ---- core side (host/backend_plugin.c) ---- */

/* Loads libexaminer-<name>.so once per process and returns its description. The module is
 * looked for in $EXAMINER_PLUGIN_DIR, the directory of the running executable, the install
 * layout next to it (<exe>/../lib/examiner), the build directory and the install directory, in
 * that order; the first file found is the one loaded.
 * EXAM_ERR_UNAVAILABLE with "<title> unavailable: <why>" (title: "CUDA", "OpenCL") when it
 * is not found, cannot be loaded (dlerror's message), or speaks another ABI. Thread-safe. */
exam_status exam_plugin_load(const char *name, const char *title, const exam_plugin_api **out);

/* ---- module side (host/plugin_error.c and host/backend_<name>_entry.c in every module) ---- */

/* The module's entry point: keeps `host` (when host->abi matches its own) and returns its
 * description, which lives as long as the module. */
const exam_plugin_api *exam_plugin_get_api(const exam_plugin_host *host);

/* Routes the module's exam_error_set / exam_error_message to `host` (NULL: errors are dropped). */
void exam_plugin_host_set(const exam_plugin_host *host);

#endif
