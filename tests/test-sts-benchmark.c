/* The published STS-B figure: `examiner sts` on the test split must give cosine Spearman
 * 0.8203 ± 0.0005 (MTEB's figure for all-MiniLM-L6-v2). */
/* labels: external slow */
#include <stdio.h>

#include "testlib.h"

int main(void) {
    const char *data = exam_test_datasets_dir();
    if (!data) {
        printf("SKIP ALL: ../shared/datasets not found\n");
        return 0;
    }
    exam_test_check_sts_figure(data, NULL);
    return exam_test_finish();
}
