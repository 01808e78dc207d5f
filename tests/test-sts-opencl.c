/* The STS-B figure on the OpenCL backend (PoCL when no GPU is present): `examiner sts --backend
 * opencl` must give the same cosine Spearman as the CPU backend, 0.8203 ± 0.0005. Slow on PoCL
 * (about 2 minutes on two cores). */
/* labels: external slow backend */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

    const char *build = getenv("EXAMINER_BUILD_DIR");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/examiner sts --backend opencl %s/stsbenchmark/sts-test.csv",
             build ? build : "build", data);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    char line[512], last[512] = "";
    while (p && fgets(line, sizeof line, p)) snprintf(last, sizeof last, "%s", line);
    int rc = p ? pclose(p) : -1;
    CHECKF(rc == 0, "'%s' exited with %d", cmd, rc);
    double spearman = 0, pearson = 0;
    int n = 0;
    CHECKF(sscanf(last, "spearman=%lf pearson=%lf n=%d", &spearman, &pearson, &n) == 3,
           "last line: '%s'", last);
    printf("%s", last);
    CHECKF(spearman >= 0.8198 && spearman <= 0.8208, "spearman %.4f outside 0.8203 ± 0.0005",
           spearman);
    CHECK(n == 1379);
    return exam_test_finish();
}
