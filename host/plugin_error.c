/* The module side of error reporting: a backend module (libexaminer-<name>.so) links this instead
 * of error.c, so that its exam_error_set records the message in the core that loaded it. */
#include <stdarg.h>
#include <stdio.h>

#include "backend_plugin.h"
#include "error.h"

static const exam_plugin_host *module_host;

void exam_plugin_host_set(const exam_plugin_host *host) {
    module_host = host;
}

exam_status exam_error_set_at(exam_status status, const char *file, int line, const char *fmt,
                              ...) {
    char text[896];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (module_host) return module_host->error_set(status, file, line, text);
    return status;
}

const char *exam_error_message(void) {
    return module_host ? module_host->error_message() : "";
}
