/* Human-readable views of grading results: the cohort table (candidate × question) for the
 * terminal and a self-contained HTML report for hiring managers. Both read result objects in
 * the queue's result schema, so they work on anything `examiner grade` wrote. */
#ifndef EXAM_GRADE_REPORT_H
#define EXAM_GRADE_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "bank.h"
#include "error.h"

struct json_t;

/* Prints the cohort table: one row per candidate, one column per question (in first-seen
 * order), scores with one decimal and a marker for flagged answers ('!' injection, '~' copied
 * or stuffed, '?' off topic, 'e' empty, 'x' misconception, 'E' failed), then each candidate's
 * mean and a legend. Error results are counted, not scored. */
void exam_report_print_table(FILE *out, struct json_t *const *results, size_t n);

/* Writes a self-contained HTML report: summary, the cohort table with coloured scores, then
 * per candidate and question the score, flags, covered and missed key points, misconceptions,
 * the judge's score when a job carried one, and the answer itself (answers[i] may be NULL);
 * when jobs carried judge scores, an agreement section (calib_report.h) after the table.
 * bank (may be NULL) supplies question texts. Errors: EXAM_ERR_IO when writing fails. */
exam_status exam_report_write_html(FILE *out, struct json_t *const *results,
                                   const char *const *answers, size_t n, const exam_bank *bank,
                                   const char *title);

#endif
