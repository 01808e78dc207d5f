/* examiner-bench: registers the benchmark sets (C), runs them through Google Benchmark with a
 * context block (commit, backend, device, model, threads), counts instructions where the CPU
 * allows, appends the run to the history; `examiner-bench report` writes the trend page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_env.h"
#include "bench_shim.h"
#include "history.h"
#include "perf_instr.h"

#ifndef EXAMINER_SOURCE_DIR
#define EXAMINER_SOURCE_DIR "."
#endif
#ifndef EXAMINER_VERSION
#define EXAMINER_VERSION "0"
#endif

/* The sets: a new one is a file with its register function and one line here (one a line:
 * clang-format would pack them). */
static const struct {
    const char *name;
    exam_bench_set_fn fn;
    int in_default;
} k_sets[] = {
    /* clang-format off */
    {"tokenizer", exam_bench_tokenizer_register, 1},
    {"encoder", exam_bench_encoder_register, 1},
    {"similarity", exam_bench_similarity_register, 1},
    {"grade", exam_bench_grade_register, 1},
    {"calib", exam_bench_calib_register, 1},
    {"queue", exam_bench_queue_register, 1},
    /* clang-format on */
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: examiner-bench [--sets=LIST|all] [--backends=cpu,opencl,cuda] [--threads=N]\n"
            "                      [--full] [--model=DIR] [--root=DIR] [--history=DIR]\n"
            "                      [--benchmark_* flags of Google Benchmark]\n"
            "       examiner-bench report [--history=FILE.jsonl] [--out=FILE.html]\n"
            "                      [--metric=real_time] [--threshold=5%%] [--alpha=0.01]\n"
            "Sets:");
    for (size_t i = 0; i < sizeof k_sets / sizeof k_sets[0]; i++) {
        fprintf(f, " %s%s", k_sets[i].name, k_sets[i].in_default ? "" : " (not by default)");
    }
    fprintf(f, "\nBackends that do not open here (no GPU) register no benchmarks.\n");
}

static const char *flag_value(const char *arg, const char *name) {
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int report_main(int argc, char **argv, const char *root) {
    char history[4096], out[4096];
    snprintf(history, sizeof history, "%s/bench/history/runs.jsonl", root);
    snprintf(out, sizeof out, "bench-report.html");
    const char *metric = "real_time";
    exam_cmp_options o = exam_cmp_default_options();
    for (int i = 2; i < argc; i++) {
        const char *v;
        if ((v = flag_value(argv[i], "--history"))) {
            snprintf(history, sizeof history, "%s", v);
        } else if ((v = flag_value(argv[i], "--out"))) {
            snprintf(out, sizeof out, "%s", v);
        } else if ((v = flag_value(argv[i], "--metric"))) {
            metric = v;
        } else if ((v = flag_value(argv[i], "--threshold"))) {
            o.threshold = strtod(v, NULL) / (strchr(v, '%') ? 100 : 1);
        } else if ((v = flag_value(argv[i], "--alpha"))) {
            o.alpha = strtod(v, NULL);
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (exam_bench_report_write(history, metric, &o, out) != EXAM_OK) {
        fprintf(stderr, "examiner-bench report: %s\n", exam_error_message());
        return 1;
    }
    printf("examiner-bench: wrote %s\n", out);
    return 0;
}

/* Instruction counts around each CPU-timed benchmark loop. */
static void hook_begin(void *u) {
    exam_perf_instr_start(u);
}
static void hook_pause(void *u) {
    exam_perf_instr_pause(u);
}
static void hook_resume(void *u) {
    exam_perf_instr_resume(u);
}
static void hook_end(exam_bench_state *st, int64_t iterations, void *u) {
    exam_perf_instr_pause(u);
    if (iterations > 0) {
        exam_bench_counter(st, "instructions", (double)exam_perf_instr_total(u),
                           EXAM_BENCH_COUNTER_PER_ITERATION);
    }
}

static void git_commit(const char *root, char *out, size_t cap) {
    const char *env = getenv("EXAMINER_GIT_COMMIT");
    if (!env || !*env) {
        env = getenv("GITHUB_SHA");
    }
    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return;
    }
    snprintf(out, cap, "unknown");
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse HEAD 2>/dev/null", root);
    FILE *p = strchr(root, '\'') ? NULL : popen(cmd, "r");
    if (!p) {
        return;
    }
    char line[128];
    if (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\r\n")] = 0;
        if (*line) {
            snprintf(out, cap, "%s", line);
        }
    }
    pclose(p);
    snprintf(cmd, sizeof cmd, "git -C '%s' status --porcelain --untracked-files=no 2>/dev/null",
             root);
    if ((p = popen(cmd, "r"))) {
        if (fgets(line, sizeof line, p) && strcmp(out, "unknown") != 0) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "-dirty");
        }
        pclose(p);
    }
}

static int file_exists(const char *dir, const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

int main(int argc, char **argv) {
    /* before any thread exists, so that OpenMP and BLAS workers inherit the counter */
    static exam_perf_instr perf;
    int have_perf = exam_perf_instr_open(&perf) == EXAM_OK;
    exam_error_clear();

    const char *root = EXAMINER_SOURCE_DIR;
    for (int i = 1; i < argc; i++) {
        const char *v = flag_value(argv[i], "--root");
        if (v) {
            root = v;
        }
    }
    if (argc > 1 && strcmp(argv[1], "report") == 0) {
        return report_main(argc, argv, root);
    }

    exam_bench_env env;
    memset(&env, 0, sizeof env);
    env.root = root;
    env.backends = "cpu,cuda";
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    env.threads = ncpu > 0 ? (int)ncpu : 1;
    const char *sets = NULL, *history = NULL, *model = getenv("EXAMINER_MODEL_DIR");
    const char *out_path = NULL;
    char model_buf[4000], out_buf[4200];
    /* our flags out, Google Benchmark's kept */
    char **rest = calloc((size_t)argc + 3, sizeof *rest);
    int n_rest = 0;
    if (!rest) {
        fprintf(stderr, "examiner-bench: out of memory\n");
        return 2;
    }
    rest[n_rest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            free(rest);
            return 0;
        } else if ((v = flag_value(argv[i], "--sets"))) {
            sets = v;
        } else if ((v = flag_value(argv[i], "--backends"))) {
            env.backends = v;
        } else if ((v = flag_value(argv[i], "--threads"))) {
            env.threads = atoi(v);
            if (env.threads < 1 || env.threads > 1024) {
                fprintf(stderr, "examiner-bench: bad --threads '%s'\n", v);
                free(rest);
                return 2;
            }
        } else if (strcmp(argv[i], "--full") == 0) {
            env.full = 1;
        } else if ((v = flag_value(argv[i], "--model"))) {
            model = v;
        } else if ((v = flag_value(argv[i], "--history"))) {
            history = v;
        } else if (flag_value(argv[i], "--root")) {
            /* read above */
        } else {
            if ((v = flag_value(argv[i], "--benchmark_out"))) {
                out_path = v;
            }
            rest[n_rest++] = argv[i];
        }
    }
    if (history && !out_path) {
        /* the history needs the JSON even when no --benchmark_out was given */
        snprintf(out_buf, sizeof out_buf, "--benchmark_out=%s/last-run.json", history);
        out_path = out_buf + strlen("--benchmark_out=");
        rest[n_rest++] = out_buf;
        rest[n_rest++] = (char *)"--benchmark_out_format=json";
    }
    rest[n_rest] = NULL;
    if (!model || !*model) {
        snprintf(model_buf, sizeof model_buf, "%s/models/all-MiniLM-L6-v2", root);
        model = model_buf;
    }
    env.model_dir = file_exists(model, "vocab.txt") ? model : NULL;
    if (!env.model_dir) {
        fprintf(stderr,
                "examiner-bench: no model at %s: tokenizer, encoder and grade sets skipped\n",
                model);
    }
    exam_bench_init(&n_rest, rest);
    for (int i = 1; i < n_rest; i++) {
        fprintf(stderr, "examiner-bench: unknown argument '%s'\n", rest[i]);
        usage(stderr);
        free(rest);
        return 2;
    }

    for (size_t i = 0; i < sizeof k_sets / sizeof k_sets[0]; i++) {
        int want = sets ? (strcmp(sets, "all") == 0 || exam_bench_list_has(sets, k_sets[i].name))
                        : k_sets[i].in_default;
        if (want && k_sets[i].fn(&env) != EXAM_OK) {
            fprintf(stderr, "examiner-bench: set %s not registered: %s\n", k_sets[i].name,
                    exam_error_message());
            exam_error_clear();
        }
    }

    /* Sets that open their backend inside a benchmark would leave the context saying "none":
     * open every requested backend now (one that cannot open here is simply not listed). */
    char want_be[256];
    snprintf(want_be, sizeof want_be, "%s", env.backends);
    for (char *save = NULL, *name = strtok_r(want_be, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        exam_backend *opened = NULL;
        if (exam_bench_env_backend(&env, name, &opened) != EXAM_OK) exam_error_clear();
    }

    char commit[160], buf[512];
    git_commit(root, commit, sizeof commit);
    exam_bench_add_context("git_commit", commit);
    exam_bench_add_context("examiner_version", EXAMINER_VERSION);
    buf[0] = 0;
    char devices[1024] = "";
    for (int i = 0; i < env.n_be; i++) {
        size_t n = strlen(buf), m = strlen(devices);
        snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", env.be[i]->name);
        snprintf(devices + m, sizeof devices - m, "%s%s: %s", i ? "; " : "", env.be[i]->name,
                 env.be[i]->device);
    }
    exam_bench_add_context("backend", env.n_be ? buf : "none");
    exam_bench_add_context("device", env.n_be ? devices : "none");
    exam_bench_add_context("model", env.model_dir ? env.model_dir : "none");
    snprintf(buf, sizeof buf, "%d", env.threads);
    exam_bench_add_context("threads", buf);
    exam_bench_add_context("grid", env.full ? "full" : "default");
    exam_bench_add_context("texts", env.texts_source ? env.texts_source : "none");
    exam_bench_add_context("instructions", have_perf ? "perf_event_open" : perf.why);
    if (have_perf) {
        exam_bench_hooks hooks = {hook_begin, hook_pause, hook_resume, hook_end, &perf};
        exam_bench_set_hooks(&hooks);
    } else {
        fprintf(stderr, "examiner-bench: no instruction counts: %s\n", perf.why);
    }

    long ran = exam_bench_run();
    exam_bench_shutdown();
    exam_bench_env_free(&env);
    exam_perf_instr_close(&perf);
    free(rest);
    if (ran < 0) {
        fprintf(stderr, "examiner-bench: Google Benchmark failed\n");
        return 1;
    }
    if (history && out_path) {
        if (exam_bench_history_append(history, out_path) != EXAM_OK) {
            fprintf(stderr, "examiner-bench: history: %s\n", exam_error_message());
            return 1;
        }
        fprintf(stderr, "examiner-bench: appended this run to %s/runs.jsonl\n", history);
    }
    return 0;
}
