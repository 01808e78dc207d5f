/* The STS-B figure on the OpenCL backend (PoCL when no GPU is present): `examiner sts --backend
 * opencl` must give the same cosine Spearman as the CPU backend, 0.8203 ± 0.0005. Slow on PoCL
 * (about 2 minutes on two cores). */
/* labels: external slow backend */
#include <stdio.h>

#include "backend.h"
#include "testlib.h"

int main(void) {
    const char *data = exam_test_datasets_dir();
    if (!data) {
        printf("SKIP ALL: ../shared/datasets not found\n");
        return 0;
    }
    exam_backend_options opts = {0};
    opts.allow_cpu_device = 1;
    exam_backend *be = NULL;
    if (exam_backend_create("opencl", &opts, &be) != EXAM_OK) {
        printf("SKIP ALL: opencl: %s\n", exam_error_message());
        return 0;
    }
    printf("opencl device: %s\n", be->device);
    exam_backend_free(be);

    exam_test_check_sts_figure(data, "opencl");
    return exam_test_finish();
}
