/* Entry point of the `examiner` CLI: dispatches to one function per verb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} verb;

static const verb verbs[] = {
    {"embed", exam_cli_embed, "embed texts (one per line, or JSONL) into JSONL embeddings"},
    {"similarity", exam_cli_similarity, "cosine similarity of two texts"},
    {"sts", exam_cli_sts, "evaluate on an STS-Benchmark file (Spearman, Pearson)"},
    {"backends", exam_cli_backends, "list the backends, which one is chosen and why"},
    {"bank", exam_cli_bank, "import interview documents into a question bank, or lint a bank"},
    {"grade", exam_cli_grade, "grade a JSONL file of answers against a bank; table and report"},
    {"calibrate", exam_cli_calibrate, "agreement with an LLM/human judge and a map onto its scale"},
    {"worker", exam_cli_worker, "grade jobs from a Redis stream until stopped (see docs/queue.md)"},
    {"submit", exam_cli_submit, "add a JSONL file of jobs to the Redis queue"},
    {"results", exam_cli_results, "a cohort's results from the Redis queue (JSONL, table, report)"},
    {"status", exam_cli_status, "the Redis queue: backlog, lag, pending, consumers, cohorts"},
    {"dlq", exam_cli_dlq, "list or replay the Redis queue's dead letters"},
    {"migrate-keys", exam_cli_migrate_keys, "move a Redis queue from key layout v1 to v2"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: examiner VERB [OPTIONS]   (examiner VERB --help for details)\n\nverbs:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\nexit codes: 0 ok, 1 failure, 2 usage error, 3 some inputs rejected,\n"
                 "            4 credentials refused\n");
}

/* libgomp's idle threads spin by default; between our OpenMP ops and OpenBLAS's own threads
 * that starves the thread doing the work on a small machine (cold start 0.44 s instead of 0.06 s,
 * STS-B 17 s instead of 12 s on 2 cores). libgomp reads OMP_WAIT_POLICY once, when it loads, so
 * the CLI re-executes itself with the passive policy unless the caller chose one. */
static void prefer_passive_openmp(char **argv) {
    if (getenv("OMP_WAIT_POLICY")) return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
    execv("/proc/self/exe", argv); /* returns only on failure: carry on as we are */
}

int main(int argc, char **argv) {
    prefer_passive_openmp(argv);
    if (argc < 2) {
        usage(stderr);
        return EXAM_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXAM_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("examiner %s\n", EXAMINER_VERSION);
        return EXAM_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0) return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "examiner: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return EXAM_EXIT_USAGE;
}
