/* Writing text into HTML: the one escaper the reports (grading, calibration, benchmark trends)
 * share. */
#ifndef EXAM_HTML_ESCAPE_H
#define EXAM_HTML_ESCAPE_H

#include <stdio.h>

/* Writes s (NULL writes nothing) to out with & < > " ' escaped, so it is safe both as element
 * text and inside a quoted attribute; with line_breaks, each newline becomes <br>. */
void exam_html_escape(FILE *out, const char *s, int line_breaks);

#endif
