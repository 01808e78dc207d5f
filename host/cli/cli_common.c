/* Helpers the CLI verbs share: model/backend options, opening the encoder, timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char exam_cli_model_help[] =
    "  --model DIR      model folder (default: $EXAMINER_MODEL_DIR, else\n"
    "                   models/all-MiniLM-L6-v2 beside the working folder or the binary)\n"
    "  --backend NAME   cpu | opencl | cuda (default: $EXAMINER_BACKEND, else the best found)\n"
    "  --threads N      CPU threads (default: all cores)\n";

const char exam_cli_long_help[] =
    "  --truncate       texts over the model's window keep their first 254 wordpieces, as\n"
    "                   sentence-transformers does (default)\n"
    "  --window         texts over the window are embedded in overlapping windows; every\n"
    "                   wordpiece is kept\n";

int exam_cli_parse_long_arg(const char *arg, exam_cli_model_args *args) {
    if (strcmp(arg, "--truncate") == 0) {
        args->window = 0;
        return 1;
    }
    if (strcmp(arg, "--window") == 0) {
        args->window = 1;
        return 1;
    }
    return 0;
}

int exam_cli_refuse_long_arg(const char *verb, const char *arg) {
    if (strcmp(arg, "--truncate") && strcmp(arg, "--window")) return 0;
    fprintf(stderr,
            "examiner %s: %s does not apply here: grading always embeds the whole answer, in "
            "overlapping windows when it is longer than the model's window\n",
            verb, arg);
    return 1;
}

int exam_cli_parse_model_arg(int argc, char **argv, int *i, exam_cli_model_args *args) {
    const char *a = argv[*i];
    if (strcmp(a, "--model") && strcmp(a, "--backend") && strcmp(a, "--threads")) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "examiner: %s needs a value\n", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (strcmp(a, "--model") == 0)
        args->model_dir = v;
    else if (strcmp(a, "--backend") == 0)
        args->backend = v;
    else {
        char *end;
        long t = strtol(v, &end, 10);
        if (*end || t < 1 || t > 1024) {
            fprintf(stderr, "examiner: --threads wants a number from 1 to 1024, not '%s'\n", v);
            return -1;
        }
        args->threads = (int)t;
    }
    return 1;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The model folder: the flag, the environment, ./models/..., or <binary>/../models/... */
static const char *default_model_dir(char *buf, size_t len) {
    const char *env = getenv("EXAMINER_MODEL_DIR");
    if (env && *env) return env;
    const char *rel = "models/all-MiniLM-L6-v2";
    if (is_dir(rel)) return rel;
    char exe[2048];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(buf, len, "%s/../%s", exe, rel);
        if (is_dir(buf)) return buf;
    }
    return rel;
}

int exam_cli_open_encoder(const exam_cli_model_args *args, exam_backend **be, exam_encoder **enc) {
    char buf[4096];
    const char *dir = args->model_dir ? args->model_dir : default_model_dir(buf, sizeof buf);
    exam_backend_options opts = {0};
    opts.threads = args->threads;
    char why[1024] = "";
    *be = NULL;
    *enc = NULL;
    if (exam_backend_select(args->backend, &opts, be, why, sizeof why) != EXAM_OK) {
        fprintf(stderr, "examiner: %s\n", exam_error_message());
        return EXAM_EXIT_FAILURE;
    }
    if (getenv("EXAMINER_VERBOSE")) fprintf(stderr, "examiner: %s\n", why);
    if (exam_encoder_init(dir, *be, enc) != EXAM_OK) {
        fprintf(stderr, "examiner: cannot load the model from %s: %s\n", dir, exam_error_message());
        if (!args->model_dir && !getenv("EXAMINER_MODEL_DIR"))
            fprintf(stderr, "examiner: fetch it with scripts/fetch-model.sh or pass --model DIR\n");
        exam_backend_free(*be);
        *be = NULL;
        return EXAM_EXIT_FAILURE;
    }
    return EXAM_EXIT_OK;
}

void exam_cli_close_encoder(exam_backend *be, exam_encoder *enc) {
    exam_encoder_free(enc);
    exam_backend_free(be);
}

exam_encode_options exam_cli_encode_options(const exam_cli_model_args *args) {
    exam_encode_options o = exam_encode_default_options();
    o.long_mode = args->window ? EXAM_LONG_WINDOW : EXAM_LONG_TRUNCATE;
    return o;
}

double exam_cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *exam_cli_cache_dir(const char *flag, int no_cache, char *buf, size_t cap) {
    if (no_cache) return NULL;
    if (flag) return flag;
    const char *env = getenv("EXAMINER_CACHE_DIR");
    if (env) return *env ? env : NULL;
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, cap, "%s/examiner", xdg);
    else if (home && *home)
        snprintf(buf, cap, "%s/.cache/examiner", home);
    else
        return NULL;
    return buf;
}
