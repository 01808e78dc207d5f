/* Instruction counting through perf_event_open; absent counters are reported once, never fatal. */
#include "perf_instr.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int read_paranoid(void) {
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int v = -100;
    if (f) {
        if (fscanf(f, "%d", &v) != 1) {
            v = -100;
        }
        fclose(f);
    }
    return v;
}

exam_status exam_perf_instr_open(exam_perf_instr *p) {
    memset(p, 0, sizeof *p);
    p->fd = -1;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.exclude_kernel = 1; /* user space only: allowed up to perf_event_paranoid 2 */
    attr.exclude_hv = 1;
    attr.inherit = 1;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0L);
    if (fd < 0) {
        int err = errno;
        int paranoid = read_paranoid();
        const char *hint = "";
        if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV) {
            hint = " (no hardware instruction counter here, as in most VMs)";
        } else if (err == EACCES || err == EPERM) {
            hint = paranoid > 2 ? " (kernel.perf_event_paranoid > 2 forbids it)"
                                : " (refused: seccomp or a container policy)";
        } else if (err == ENOSYS) {
            hint = " (perf_event_open is not in this kernel)";
        }
        snprintf(p->why, sizeof p->why, "perf_event_open(instructions): %s%s, paranoid=%d",
                 strerror(err), hint, paranoid);
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "%s", p->why);
    }
    p->fd = (int)fd;
    return EXAM_OK;
}

void exam_perf_instr_close(exam_perf_instr *p) {
    if (p->fd >= 0) {
        close(p->fd);
    }
    p->fd = -1;
}

int exam_perf_instr_available(const exam_perf_instr *p) {
    return p->fd >= 0;
}

static uint64_t read_count(const exam_perf_instr *p) {
    uint64_t v = 0;
    if (p->fd < 0 || read(p->fd, &v, sizeof v) != (ssize_t)sizeof v) {
        return 0;
    }
    return v;
}

void exam_perf_instr_start(exam_perf_instr *p) {
    p->total = 0;
    p->base = read_count(p);
    p->running = 1;
}

void exam_perf_instr_pause(exam_perf_instr *p) {
    if (p->running) {
        uint64_t now = read_count(p);
        p->total += now >= p->base ? now - p->base : 0;
        p->running = 0;
    }
}

void exam_perf_instr_resume(exam_perf_instr *p) {
    if (!p->running) {
        p->base = read_count(p);
        p->running = 1;
    }
}

uint64_t exam_perf_instr_total(exam_perf_instr *p) {
    if (p->running) {
        uint64_t now = read_count(p);
        return p->total + (now >= p->base ? now - p->base : 0);
    }
    return p->total;
}
