/* `examiner similarity A B`: the cosine of two texts' sentence embeddings. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char similarity_help[] =
    "usage: examiner similarity [OPTIONS] TEXT_A TEXT_B\n"
    "Prints the cosine similarity of the two texts' embeddings (-1 .. 1).\n\n";

int exam_cli_similarity(int argc, char **argv) {
    exam_cli_model_args m = {0};
    const char *texts[2];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        int r = exam_cli_parse_model_arg(argc, argv, &i, &m);
        if (r < 0) return EXAM_EXIT_USAGE;
        if (r > 0 || exam_cli_parse_long_arg(argv[i], &m)) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("%s%s%s", similarity_help, exam_cli_model_help, exam_cli_long_help);
            return EXAM_EXIT_OK;
        }
        if (n == 2 || (argv[i][0] == '-' && argv[i][1] == '-')) {
            fprintf(stderr, "examiner similarity: unexpected '%s' (see --help)\n", argv[i]);
            return EXAM_EXIT_USAGE;
        }
        texts[n++] = argv[i];
    }
    if (n != 2) {
        fprintf(stderr, "examiner similarity: needs two texts (see --help)\n");
        return EXAM_EXIT_USAGE;
    }
    exam_backend *be;
    exam_encoder *enc;
    int rc = exam_cli_open_encoder(&m, &be, &enc);
    if (rc != EXAM_EXIT_OK) return rc;
    size_t lens[2] = {strlen(texts[0]), strlen(texts[1])};
    exam_encode_options opts = exam_cli_encode_options(&m);
    exam_embeddings e;
    if (exam_encoder_encode(enc, texts, lens, 2, &opts, &e) != EXAM_OK) {
        fprintf(stderr, "examiner similarity: %s\n", exam_error_message());
        exam_cli_close_encoder(be, enc);
        return EXAM_EXIT_INPUT;
    }
    double dot = 0, na = 0, nb = 0;
    for (int d = 0; d < e.dim; d++) {
        double a = e.sentences[d], b = e.sentences[e.dim + d];
        dot += a * b;
        na += a * a;
        nb += b * b;
    }
    printf("%.6f\n", na > 0 && nb > 0 ? dot / __builtin_sqrt(na * nb) : 0.0);
    exam_embeddings_free(&e);
    exam_cli_close_encoder(be, enc);
    return EXAM_EXIT_OK;
}
