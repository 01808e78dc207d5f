/* `examiner backends`: which backends are built in, which work here (and on what device), why
 * the others do not, and which one automatic selection picks; --check-kernels builds every
 * kernel source on every OpenCL device and fails on any build log. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char backends_help[] =
    "usage: examiner backends [--check-kernels]\n"
    "\n"
    "Lists every backend built into this binary, whether it can run here (with its device)\n"
    "or why not, and the backend automatic selection picks (CUDA, then an OpenCL GPU, then\n"
    "cpu; $EXAMINER_BACKEND=cpu|opencl|cuda forces one).\n"
    "\n"
    "  --check-kernels  build each kernel source on every OpenCL device with -Werror and\n"
    "                   print the build logs; exit 1 if any build fails or logs anything\n";

/* Builds every kernel on every OpenCL device; the exit code says whether all were clean. */
static int check_kernels(void) {
#ifdef EXAMINER_HAVE_OPENCL
    int dirty = 0;
    exam_status st = exam_backend_check_kernels("opencl", stdout, &dirty);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner backends: %s\n", exam_error_message());
        return EXAM_EXIT_FAILURE;
    }
    if (dirty) {
        fprintf(stderr, "examiner backends: %d kernel build(s) failed or left a log\n", dirty);
        return EXAM_EXIT_FAILURE;
    }
    printf("every kernel built cleanly\n");
    return EXAM_EXIT_OK;
#else
    fprintf(stderr, "examiner backends: this binary was built without OpenCL\n");
    return EXAM_EXIT_FAILURE;
#endif
}

int exam_cli_backends(int argc, char **argv) {
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(backends_help, stdout);
            return EXAM_EXIT_OK;
        }
        if (strcmp(argv[i], "--check-kernels") == 0) {
            check = 1;
            continue;
        }
        fprintf(stderr, "examiner backends: unknown option '%s'\n%s", argv[i], backends_help);
        return EXAM_EXIT_USAGE;
    }
    if (check) return check_kernels();

    exam_backend_info infos[8];
    int n = exam_backend_probe(infos, 8);
    for (int i = 0; i < n; i++)
        printf("%-7s %-12s %s\n", infos[i].name, infos[i].available ? "available" : "unavailable",
               infos[i].detail);

    exam_backend_options opts = {0};
    exam_backend *be = NULL;
    char why[1024] = "";
    if (exam_backend_select(NULL, &opts, &be, why, sizeof why) != EXAM_OK) {
        printf("selected: none (%s)\n", exam_error_message());
        return EXAM_EXIT_FAILURE;
    }
    printf("selected: %s\n", why);
    exam_backend_free(be);
    return EXAM_EXIT_OK;
}
