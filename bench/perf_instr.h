/* Retired user-space instructions of this process (perf_event_open, PERF_COUNT_HW_INSTRUCTIONS,
 * inherited by threads started after opening), for benchmarks whose time is noisy. */
#ifndef EXAM_PERF_INSTR_H
#define EXAM_PERF_INSTR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct exam_perf_instr {
    int fd;         /* -1 when unavailable */
    uint64_t base;  /* reading at the last start/resume */
    uint64_t total; /* instructions counted while running */
    int running;
    char why[192]; /* why the counter is unavailable ("" when it works) */
} exam_perf_instr;

/* Opens the counter for the calling thread and the threads it starts from now on (call it
 * before any worker threads exist). Errors: EXAM_ERR_UNAVAILABLE with the reason (no PMU in a
 * VM, kernel.perf_event_paranoid, seccomp) also left in p->why; p is usable either way and
 * its calls then do nothing. */
exam_status exam_perf_instr_open(exam_perf_instr *p);

/* Closes the counter (safe on an unavailable one). */
void exam_perf_instr_close(exam_perf_instr *p);

/* 1 when instructions are being counted. */
int exam_perf_instr_available(const exam_perf_instr *p);

/* Zeroes the total and starts counting / stops counting / continues counting. */
void exam_perf_instr_start(exam_perf_instr *p);
void exam_perf_instr_pause(exam_perf_instr *p);
void exam_perf_instr_resume(exam_perf_instr *p);

/* Instructions counted between start and now, paused stretches excluded. */
uint64_t exam_perf_instr_total(exam_perf_instr *p);

#endif
