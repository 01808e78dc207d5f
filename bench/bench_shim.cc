// The only C++ in examiner: Google Benchmark behind the extern "C" API of bench_shim.h.
#include "bench_shim.h"

#include <benchmark/benchmark.h>

#include <exception>
#include <memory>
#include <string>
#include <vector>

struct exam_bench_def {
    benchmark::internal::Benchmark *b = nullptr;
    exam_bench_fn fn = nullptr;
    void *ctx = nullptr;
    bool manual = false;
};

struct exam_bench_state {
    benchmark::State *st;
    const exam_bench_def *def;
    bool started;
    bool finished;
};

namespace {

std::vector<std::unique_ptr<exam_bench_def>> &defs() {
    static std::vector<std::unique_ptr<exam_bench_def>> all;
    return all;
}

exam_bench_hooks g_hooks = {};
bool g_have_hooks = false;

bool hooks_apply(const exam_bench_state *s) {
    return g_have_hooks && !s->def->manual;
}

void run_one(benchmark::State &st, const exam_bench_def *def) {
    exam_bench_state s = {&st, def, false, false};
    def->fn(&s, def->ctx);
    if (s.started && !s.finished && !st.error_occurred()) {
        st.SkipWithError("benchmark returned before its loop finished");
    }
}

benchmark::TimeUnit to_unit(exam_bench_unit u) {
    switch (u) {
    case EXAM_BENCH_US:
        return benchmark::kMicrosecond;
    case EXAM_BENCH_MS:
        return benchmark::kMillisecond;
    case EXAM_BENCH_S:
        return benchmark::kSecond;
    default:
        return benchmark::kNanosecond;
    }
}

} // namespace

extern "C" {

exam_bench_def *exam_bench_register(const char *name, exam_bench_fn fn, void *ctx) {
    if (!name || !fn) {
        return nullptr;
    }
    try {
        auto def = std::make_unique<exam_bench_def>();
        exam_bench_def *raw = def.get();
        raw->fn = fn;
        raw->ctx = ctx;
        raw->b =
            benchmark::RegisterBenchmark(name, [raw](benchmark::State &st) { run_one(st, raw); });
        if (!raw->b) {
            return nullptr;
        }
        defs().push_back(std::move(def));
        return raw;
    } catch (const std::exception &) {
        return nullptr;
    }
}

void exam_bench_args(exam_bench_def *b, const int64_t *args, int n) {
    if (b && args && n > 0) {
        b->b->Args(std::vector<int64_t>(args, args + n));
    }
}

void exam_bench_arg_names(exam_bench_def *b, const char *const *names, int n) {
    if (b && names && n > 0) {
        b->b->ArgNames(std::vector<std::string>(names, names + n));
    }
}

void exam_bench_set_unit(exam_bench_def *b, exam_bench_unit unit) {
    if (b) {
        b->b->Unit(to_unit(unit));
    }
}

void exam_bench_use_manual_time(exam_bench_def *b) {
    if (b) {
        b->manual = true;
        b->b->UseManualTime();
    }
}

void exam_bench_use_real_time(exam_bench_def *b) {
    if (b) {
        b->b->UseRealTime();
    }
}

void exam_bench_set_min_time(exam_bench_def *b, double seconds) {
    if (b && seconds > 0) {
        b->b->MinTime(seconds);
    }
}

void exam_bench_set_iterations(exam_bench_def *b, int64_t n) {
    if (b && n > 0) {
        b->b->Iterations(n);
    }
}

void exam_bench_set_repetitions(exam_bench_def *b, int n) {
    if (b && n > 0) {
        b->b->Repetitions(n);
    }
}

int64_t exam_bench_batch(exam_bench_state *s, int64_t max) {
    if (max < 1) {
        max = 1;
    }
    if (s->finished) {
        return 0;
    }
    if (!s->started) {
        s->started = true;
        if (hooks_apply(s) && g_hooks.begin) {
            g_hooks.begin(g_hooks.user);
        }
    }
    if (s->st->KeepRunningBatch(static_cast<benchmark::IterationCount>(max))) {
        return max;
    }
    s->finished = true;
    if (hooks_apply(s) && g_hooks.end && !s->st->error_occurred()) {
        g_hooks.end(s, static_cast<int64_t>(s->st->iterations()), g_hooks.user);
    }
    return 0;
}

int64_t exam_bench_arg(const exam_bench_state *s, int i) {
    return i >= 0 ? s->st->range(static_cast<std::size_t>(i)) : 0;
}

int64_t exam_bench_iterations(const exam_bench_state *s) {
    return static_cast<int64_t>(s->st->iterations());
}

void exam_bench_pause(exam_bench_state *s) {
    s->st->PauseTiming();
    if (hooks_apply(s) && g_hooks.pause) {
        g_hooks.pause(g_hooks.user);
    }
}

void exam_bench_resume(exam_bench_state *s) {
    if (hooks_apply(s) && g_hooks.resume) {
        g_hooks.resume(g_hooks.user);
    }
    s->st->ResumeTiming();
}

void exam_bench_set_iteration_time(exam_bench_state *s, double seconds) {
    s->st->SetIterationTime(seconds);
}

void exam_bench_counter(exam_bench_state *s, const char *name, double value, int flags) {
    int f = 0;
    if (flags & EXAM_BENCH_COUNTER_RATE) {
        f |= benchmark::Counter::kIsRate;
    }
    if (flags & EXAM_BENCH_COUNTER_PER_ITERATION) {
        f |= benchmark::Counter::kAvgIterations;
    }
    if (flags & EXAM_BENCH_COUNTER_ITER_INVARIANT) {
        f |= benchmark::Counter::kIsIterationInvariant;
    }
    benchmark::Counter::OneK k = (flags & EXAM_BENCH_COUNTER_BINARY) ? benchmark::Counter::kIs1024
                                                                     : benchmark::Counter::kIs1000;
    s->st->counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f), k);
}

void exam_bench_set_bytes(exam_bench_state *s, int64_t bytes) {
    s->st->SetBytesProcessed(bytes);
}

void exam_bench_set_items(exam_bench_state *s, int64_t items) {
    s->st->SetItemsProcessed(items);
}

void exam_bench_set_label(exam_bench_state *s, const char *label) {
    s->st->SetLabel(label ? label : "");
}

void exam_bench_fail(exam_bench_state *s, const char *message) {
    s->st->SkipWithError(message ? message : "failed");
    s->finished = true;
}

void exam_bench_add_context(const char *key, const char *value) {
    if (key && value) {
        benchmark::AddCustomContext(key, value);
    }
}

void exam_bench_init(int *argc, char **argv) {
    benchmark::Initialize(argc, argv);
}

long exam_bench_run(void) {
    try {
        return static_cast<long>(benchmark::RunSpecifiedBenchmarks());
    } catch (const std::exception &) {
        return -1;
    }
}

void exam_bench_shutdown(void) {
    benchmark::Shutdown();
    defs().clear();
}

void exam_bench_set_hooks(const exam_bench_hooks *hooks) {
    if (hooks) {
        g_hooks = *hooks;
        g_have_hooks = true;
    } else {
        g_hooks = exam_bench_hooks{};
        g_have_hooks = false;
    }
}

} // extern "C"
