/* GET-only HTTP server on libmicrohttpd's internal polling thread. */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct exam_http_server {
    struct MHD_Daemon *d;
    exam_http_handler handler;
    void *user;
    int port;
};

static mhd_result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                         const char *version, const char *upload, size_t *upload_size,
                         void **state) {
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    exam_http_server *s = cls;
    char *body = NULL;
    const char *ctype = "text/plain; charset=utf-8";
    int code;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        code = 405;
        body = strdup("method not allowed\n");
    } else {
        code = s->handler(s->user, url, &body, &ctype);
        if (!body) body = strdup(code == 404 ? "not found\n" : "");
    }
    if (!body) return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    mhd_result ret = MHD_queue_response(c, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

exam_status exam_http_start(const char *addr, exam_http_handler handler, void *user,
                            exam_http_server **out) {
    *out = NULL;
    char host[64] = "";
    const char *colon = strrchr(addr, ':');
    const char *port_s = colon ? colon + 1 : addr;
    if (colon) {
        size_t n = (size_t)(colon - addr);
        if (n >= sizeof host) return exam_error_set(EXAM_ERR_ARG, "bad --http address '%s'", addr);
        memcpy(host, addr, n);
        host[n] = '\0';
    }
    char *end;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 0 || port > 65535)
        return exam_error_set(EXAM_ERR_ARG, "bad --http port in '%s'", addr);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (!host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "*"))
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (!strcmp(host, "localhost"))
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return exam_error_set(EXAM_ERR_ARG, "bad --http host '%s' (an IPv4 address)", host);
    exam_http_server *s = calloc(1, sizeof *s);
    if (!s) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    s->handler = handler;
    s->user = user;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
                            NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "cannot listen for HTTP on %s", addr);
    }
    s->port = (int)port;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port) s->port = info->port;
    *out = s;
    return EXAM_OK;
}

int exam_http_port(const exam_http_server *s) {
    return s->port;
}

void exam_http_stop(exam_http_server *s) {
    if (!s) return;
    if (s->d) MHD_stop_daemon(s->d);
    free(s);
}
