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

/* Lines are kept to this many columns; longer details wrap onto indented lines. */
#define WIDTH 96

/* Prints `head` then `text`, wrapped at spaces to WIDTH columns, continuation lines indented
 * to `indent` columns (a word longer than a line is printed whole). */
static void print_wrapped(const char *head, int indent, const char *text) {
    int col = printf("%s", head), fresh = 0; /* fresh: at the start of a continuation line */
    for (const char *p = text; *p;) {
        while (*p == ' ') p++;
        int word = (int)strcspn(p, " ");
        if (!word) break;
        if (col > indent && col + 1 + word > WIDTH) {
            col = printf("\n%*s", indent, "") - 1;
            fresh = 1;
        }
        if (!fresh) col += printf(" ");
        fresh = 0;
        col += printf("%.*s", word, p);
        p += word;
    }
    putchar('\n');
}

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

    exam_backend_info infos[EXAM_BACKEND_MAX];
    int n = exam_backend_probe(infos, EXAM_BACKEND_MAX);
    for (int i = 0; i < n; i++) {
        char head[64];
        snprintf(head, sizeof head, "%-7s %-12s", infos[i].name,
                 infos[i].available ? "available" : "unavailable");
        print_wrapped(head, (int)strlen(head) + 1, infos[i].detail);
    }

    /* the choice names the backend; its device and the reasons for the others are above */
    exam_backend_options opts = {0};
    exam_backend *be = NULL;
    exam_backend_choice c;
    if (exam_backend_choose(NULL, &opts, &be, &c) != EXAM_OK) {
        if (c.forced) {
            print_wrapped("selected: none, the forced backend failed:", 4, exam_error_message());
            return EXAM_EXIT_FAILURE;
        }
        printf("selected: none\n");
        for (int i = 0; i < c.n_passed; i++) {
            char head[64];
            snprintf(head, sizeof head, "  %s:", c.passed[i].name);
            print_wrapped(head, 4, c.passed[i].reason);
        }
        return EXAM_EXIT_FAILURE;
    }
    printf("selected: %s (%s)\n", be->name, c.forced ? "forced by $EXAMINER_BACKEND" : "automatic");
    for (int i = 0; i < c.n_passed; i++) {
        char head[64];
        snprintf(head, sizeof head, "  passed over %s:", c.passed[i].name);
        print_wrapped(head, 4, c.passed[i].reason);
    }
    exam_backend_free(be);
    return EXAM_EXIT_OK;
}
