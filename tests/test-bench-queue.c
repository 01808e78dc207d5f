/* examiner-bench's queue set, shortened (16-job burst, 1 s at half its capacity, 1 s at
 * 4 jobs/s): every row completes with all its jobs graded, and the latency counters are
 * ordered and plausible (no job faster than nothing, none slower than the whole row). */
/* labels: bench */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis_server.h"
#include "testlib.h"

static double num(json_t *b, const char *key) {
    json_t *v = json_object_get(b, key);
    return json_is_number(v) ? json_number_value(v) : -1;
}

int main(void) {
    const char *dir = getenv("EXAMINER_BUILD_DIR");
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/examiner-bench", dir ? dir : "build");
    if (access(bin, X_OK) != 0) {
        printf("SKIP ALL: %s not built (EXAMINER_BENCH=OFF or no Google Benchmark)\n", bin);
        return 0;
    }
    if (access(exam_test_path(exam_test_model_dir(), "vocab.txt"), R_OK) != 0) {
        printf("SKIP ALL: no model at %s\n", exam_test_model_dir());
        return 0;
    }
    int installed = exam_test_redis_installed();
    if (installed < 0) {
        CHECKF(0, "redis-server is not installed but EXAMINER_REQUIRE_REDIS is set");
        return exam_test_finish();
    }
    if (installed > 0) {
        printf("SKIP ALL: redis-server is not installed\n");
        return 0;
    }
    char tmp[] = "/tmp/examiner-bench-queue-XXXXXX";
    if (!mkdtemp(tmp)) {
        CHECK(0);
        return exam_test_finish();
    }
    char cmd[9000], out[4200];
    snprintf(out, sizeof out, "%s/out.json", tmp);
    snprintf(cmd, sizeof cmd,
             "EXAMINER_BENCH_QUEUE_SECONDS=1 EXAMINER_BENCH_QUEUE_BURST=16 "
             "EXAMINER_BENCH_QUEUE_RATES=50%%,4 '%s' --sets=queue --threads=2 "
             "--benchmark_out='%s' --benchmark_out_format=json > '%s/stdout.txt' 2>&1",
             bin, out, tmp);
    int rc = system(cmd);
    CHECKF(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "examiner-bench exit %d", rc);
    json_error_t jerr;
    json_t *root = json_load_file(out, 0, &jerr);
    CHECKF(root != NULL, "%s: %s", out, jerr.text);
    const char *want[] = {"queue/burst/jobs:16", "queue/load/pct_of_burst:50",
                          "queue/rate/jobs_per_s:4"};
    const double jobs[] = {16, -1, 4};
    int seen[3] = {0, 0, 0};
    size_t i;
    json_t *b;
    double capacity = 0;
    json_array_foreach(json_object_get(root, "benchmarks"), i, b) {
        const char *name = json_string_value(json_object_get(b, "run_name"));
        for (int k = 0; k < 3; k++) {
            if (!name || strncmp(name, want[k], strlen(want[k])) != 0) {
                continue;
            }
            seen[k]++;
            CHECKF(!json_is_true(json_object_get(b, "error_occurred")), "%s: %s", name,
                   json_string_value(json_object_get(b, "error_message")));
            double n = num(b, "jobs"), wall = num(b, "real_time");
            double p50 = num(b, "p50_ms"), p99 = num(b, "p99_ms"), mx = num(b, "max_ms");
            if (jobs[k] > 0) {
                CHECKF(n == jobs[k], "%s: %g jobs", name, n);
            } else {
                /* half the burst's rate for one second */
                CHECKF(n >= 1 && fabs(n - capacity / 2) <= 1, "%s: %g jobs, capacity %g", name, n,
                       capacity);
            }
            CHECKF(p50 > 0 && p50 <= p99 && p99 <= mx, "%s: p50 %g p99 %g max %g", name, p50, p99,
                   mx);
            /* real_time is in seconds (the rows' unit); no job takes longer than its row */
            CHECKF(mx <= wall * 1e3 * 1.01 + 1, "%s: max %g ms, row %g s", name, mx, wall);
            double share = num(b, "redis_share");
            CHECKF(share > 0 && share < 0.5, "%s: redis share %g", name, share);
            CHECKF(num(b, "batches") >= 1 && num(b, "mean_batch") >= 1, "%s: batches", name);
            if (k == 0) {
                capacity = num(b, "jobs_per_second");
                CHECKF(capacity > 0 && num(b, "offered_rate") == capacity, "%s: %g jobs/s", name,
                       capacity);
            } else {
                CHECKF(num(b, "offered_rate") > 0, "%s: offered %g", name, num(b, "offered_rate"));
            }
        }
    }
    for (int k = 0; k < 3; k++) {
        CHECKF(seen[k] == 1, "%s ran %d times", want[k], seen[k]);
    }
    json_decref(root);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0);
    return exam_test_finish();
}
