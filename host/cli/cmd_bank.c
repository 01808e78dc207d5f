/* `examiner bank import FILE... [-o BANK.jsonl]` and `examiner bank lint BANK`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bank.h"
#include "bank_import.h"
#include "bank_lint.h"
#include "cli.h"

static int usage(FILE *f) {
    fputs("usage: examiner bank import FILE... [-o BANK.jsonl | -o -]\n"
          "       examiner bank lint BANK.jsonl|FOLDER\n"
          "import: turns interview-question documents into bank questions; without -o it only\n"
          "        reports. Skipped regions go to stderr; the last stdout line is\n"
          "        \"questions=N skipped=M\" (with -o -, the bank goes to stdout and the\n"
          "        summary to stderr).\n"
          "lint:   checks every line of a bank; exit 1 when it has errors.\n",
          f);
    return 2;
}

static int cmd_import(int argc, char **argv) {
    const char *out_path = NULL;
    const char *files[1024];
    int n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) {
            if (++i >= argc) return usage(stderr);
            out_path = argv[i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "examiner bank import: unknown option %s\n", argv[i]);
            return usage(stderr);
        } else if (n_files < 1024) {
            files[n_files++] = argv[i];
        }
    }
    if (n_files == 0) return usage(stderr);
    int to_stdout = out_path && strcmp(out_path, "-") == 0;
    FILE *summary = to_stdout ? stderr : stdout;
    exam_bank bank = {0};
    size_t total_q = 0, total_skipped = 0;
    int failed = 0;
    for (int f = 0; f < n_files; f++) {
        exam_import_report rep;
        exam_status st = exam_bank_import_file(files[f], &bank, &rep);
        if (st != EXAM_OK) {
            fprintf(stderr, "examiner bank import: %s: %s\n", files[f], exam_error_message());
            failed = 1;
            exam_import_report_free(&rep);
            continue;
        }
        if (rep.decoded_cp1252) fprintf(stderr, "%s: not UTF-8; read as windows-1252\n", files[f]);
        if (rep.mojibake.codepage)
            fprintf(stderr,
                    "%s: repaired double-encoded UTF-8 (text had been decoded as %s): %zu "
                    "characters restored\n",
                    files[f], rep.mojibake.codepage, rep.mojibake.repaired);
        for (size_t k = 0; k < rep.n_skips; k++) {
            const exam_import_skip *s = &rep.skips[k];
            if (s->first_line == s->last_line)
                fprintf(stderr, "%s:%zu: skipped: %s\n", files[f], s->first_line, s->reason);
            else
                fprintf(stderr, "%s:%zu-%zu: skipped: %s\n", files[f], s->first_line, s->last_line,
                        s->reason);
        }
        fprintf(summary, "%s: layout=%s questions=%zu skipped=%zu\n", files[f],
                rep.layouts[0] ? rep.layouts : "none", rep.questions, rep.n_skips);
        total_q += rep.questions;
        total_skipped += rep.n_skips;
        exam_import_report_free(&rep);
    }
    if (out_path) {
        FILE *out = to_stdout ? stdout : fopen(out_path, "w");
        if (!out) {
            fprintf(stderr, "examiner bank import: cannot write %s: %s\n", out_path,
                    strerror(errno));
            failed = 1;
        } else {
            if (exam_bank_write(&bank, out) != EXAM_OK) {
                fprintf(stderr, "examiner bank import: %s\n", exam_error_message());
                failed = 1;
            }
            if (!to_stdout && fclose(out) != 0) {
                fprintf(stderr, "examiner bank import: cannot write %s: %s\n", out_path,
                        strerror(errno));
                failed = 1;
            }
        }
    }
    exam_bank_free(&bank);
    fprintf(summary, "questions=%zu skipped=%zu\n", total_q, total_skipped);
    return failed ? 1 : 0;
}

static int cmd_lint(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') return usage(stderr);
    exam_lint_counts c;
    exam_status st = exam_bank_lint(argv[1], stdout, &c);
    if (st != EXAM_OK) {
        fprintf(stderr, "examiner bank lint: %s\n", exam_error_message());
        return 1;
    }
    printf("questions=%zu errors=%zu warnings=%zu\n", c.questions, c.errors, c.warnings);
    return c.errors > 0 || c.questions == 0 ? 1 : 0;
}

int exam_cli_bank(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    if (strcmp(argv[1], "import") == 0) return cmd_import(argc - 1, argv + 1);
    if (strcmp(argv[1], "lint") == 0) return cmd_lint(argc - 1, argv + 1);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "examiner bank: unknown command %s\n", argv[1]);
    return usage(stderr);
}
