/* HTML escaping for the reports. */
#include "html_escape.h"

void exam_html_escape(FILE *out, const char *s, int line_breaks) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        case '\n':
            if (line_breaks)
                fputs("<br>", out);
            else
                fputc('\n', out);
            break;
        default:
            fputc(*s, out);
        }
    }
}
