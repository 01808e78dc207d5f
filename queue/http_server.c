/* GET-only HTTP server on libmicrohttpd's internal epoll (or poll) thread, hardened so that slow
 * or numerous clients cannot take the worker down: loopback unless a host is named, at most
 * EXAM_HTTP_MAX_CONNECTIONS connections (EXAM_HTTP_MAX_PER_IP from one address), an idle
 * timeout, and a deadline for each request's headers that trickling bytes cannot extend (a
 * watchdog thread shuts such connections down). libmicrohttpd's own messages (accept errors,
 * the connection limit) are logged at most once every few seconds with a count of the rest.
 * The limits are in http_server.h. */
#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

#define IDLE_TIMEOUT_S 5u    /* libmicrohttpd's timeout: reset by every byte */
#define LOG_EVERY_S 10.0     /* at most one line of libmicrohttpd messages this often */
#define HEADER_MEMORY 16384u /* per-connection memory: the request's headers must fit */

/* One open connection, for the header deadline. */
typedef struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    double since;  /* when its current request began (accept, or the last one's end) */
    int answering; /* headers complete: the handler has the request */
    int cut;       /* shut down by the watchdog */
} http_conn;

struct exam_http_server {
    struct MHD_Daemon *d;
    exam_http_handler handler;
    void *user;
    int port;
    char bound[80];

    pthread_mutex_t mu; /* the connection list, the log limiter, stop */
    pthread_cond_t cv;
    http_conn *conns;
    int stop;
    pthread_t watchdog;
    int watchdog_running;
    double last_log;
    long suppressed, cut_total;
};

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* libmicrohttpd's messages, rate-limited. */
static void mhd_logger(void *cls, const char *fmt, va_list ap) {
    exam_http_server *s = cls;
    char msg[300], q[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    pthread_mutex_lock(&s->mu);
    double now = mono_now();
    if (s->last_log > 0 && now - s->last_log < LOG_EVERY_S) {
        s->suppressed++;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    long skipped = s->suppressed;
    s->suppressed = 0;
    s->last_log = now;
    pthread_mutex_unlock(&s->mu);
    exam_log(EXAM_LOG_WARN, "http_error", "message=%s suppressed=%ld",
             exam_log_quote(msg, q, sizeof q), skipped);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode code) {
    exam_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        http_conn *hc = calloc(1, sizeof *hc);
        *socket_context = hc;
        if (!hc || !fd) return; /* not watched: the idle timeout still applies */
        hc->fd = fd->connect_fd;
        hc->since = mono_now();
        pthread_mutex_lock(&s->mu);
        hc->next = s->conns;
        if (s->conns) s->conns->prev = hc;
        s->conns = hc;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    /* closed: libmicrohttpd calls this before it closes the socket, so the watchdog (which
     * holds mu while it shuts sockets down) never touches a descriptor that was reused */
    http_conn *hc = *socket_context;
    if (!hc) return;
    pthread_mutex_lock(&s->mu);
    if (hc->prev)
        hc->prev->next = hc->next;
    else if (s->conns == hc)
        s->conns = hc->next;
    if (hc->next) hc->next->prev = hc->prev;
    pthread_mutex_unlock(&s->mu);
    free(hc);
    *socket_context = NULL;
}

static http_conn *conn_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? (http_conn *)i->socket_context : NULL;
}

/* A request ended: the next one on this connection gets a fresh deadline. */
static void request_completed(void *cls, struct MHD_Connection *c, void **state,
                              enum MHD_RequestTerminationCode why) {
    (void)why;
    (void)state;
    exam_http_server *s = cls;
    http_conn *hc = conn_of(c);
    if (!hc) return;
    pthread_mutex_lock(&s->mu);
    hc->answering = 0;
    hc->since = mono_now();
    pthread_mutex_unlock(&s->mu);
}

/* Shuts down connections whose request headers are not complete within the deadline. */
static void *watchdog_main(void *arg) {
    exam_http_server *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long ns = ts.tv_nsec + 250000000L;
        ts.tv_sec += ns / 1000000000L;
        ts.tv_nsec = ns % 1000000000L;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        double now = mono_now();
        long cut = 0;
        for (http_conn *hc = s->conns; hc; hc = hc->next)
            if (!hc->answering && !hc->cut && now - hc->since > EXAM_HTTP_HEADER_DEADLINE_S) {
                shutdown(hc->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
                hc->cut = 1;
                cut++;
            }
        s->cut_total += cut;
        if (cut && now - s->last_log >= LOG_EVERY_S) {
            long total = s->cut_total;
            s->cut_total = 0;
            s->last_log = now;
            pthread_mutex_unlock(&s->mu);
            exam_log(EXAM_LOG_WARN, "http_deadline",
                     "closed=%ld note=\"request headers not complete within %d s\"", total,
                     EXAM_HTTP_HEADER_DEADLINE_S);
            pthread_mutex_lock(&s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static mhd_result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                         const char *version, const char *upload, size_t *upload_size,
                         void **state) {
    (void)version;
    (void)upload;
    exam_http_server *s = cls;
    http_conn *hc = conn_of(c);
    if (hc) {
        pthread_mutex_lock(&s->mu);
        hc->answering = 1;
        pthread_mutex_unlock(&s->mu);
    }
    if (*upload_size) { /* a body on a GET: refuse rather than collect it */
        *upload_size = 0;
        return MHD_NO;
    }
    (void)state;
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

/* Parses "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT" into sa; *v6 tells which family. */
static exam_status parse_addr(const char *addr, struct sockaddr_storage *sa, int *v6) {
    char host[64] = "";
    const char *port_s = addr;
    *v6 = 0;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof host)
            return exam_error_set(EXAM_ERR_ARG, "bad --http address '%s' (want [V6]:PORT)", addr);
        memcpy(host, addr + 1, (size_t)(close - addr - 1));
        host[close - addr - 1] = '\0';
        port_s = close + 2;
        *v6 = 1;
    } else {
        const char *colon = strrchr(addr, ':');
        if (colon) {
            size_t n = (size_t)(colon - addr);
            if (n >= sizeof host || memchr(addr, ':', n))
                return exam_error_set(EXAM_ERR_ARG, "bad --http address '%s'", addr);
            memcpy(host, addr, n);
            host[n] = '\0';
            port_s = colon + 1;
        }
    }
    char *end;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 0 || port > 65535)
        return exam_error_set(EXAM_ERR_ARG, "bad --http port in '%s'", addr);
    memset(sa, 0, sizeof *sa);
    if (*v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return exam_error_set(EXAM_ERR_ARG, "bad --http host '[%s]' (an IPv6 address)", host);
        return EXAM_OK;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (!host[0] || !strcmp(host, "localhost"))
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* no host: loopback only */
    else if (!strcmp(host, "*"))
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return exam_error_set(EXAM_ERR_ARG, "bad --http host '%s' (an IPv4 address)", host);
    return EXAM_OK;
}

/* Writes the listening socket's address ("127.0.0.1:9100", "[::]:9100") to s->bound. */
static void describe_bound(exam_http_server *s) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    char host[64] = "?";
    snprintf(s->bound, sizeof s->bound, "?:%d", s->port);
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&sa, &len) != 0) return;
    if (sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
        s->port = ntohs(s6->sin6_port);
        snprintf(s->bound, sizeof s->bound, "[%s]:%d", host, s->port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        s->port = ntohs(s4->sin_port);
        snprintf(s->bound, sizeof s->bound, "%s:%d", host, s->port);
    }
}

exam_status exam_http_start(const char *addr, exam_http_handler handler, void *user,
                            exam_http_server **out) {
    *out = NULL;
    struct sockaddr_storage sa;
    int v6 = 0;
    exam_status st = parse_addr(addr, &sa, &v6);
    if (st != EXAM_OK) return st;
    exam_http_server *s = calloc(1, sizeof *s);
    if (!s) return exam_error_set(EXAM_ERR_NOMEM, "out of memory");
    s->handler = handler;
    s->user = user;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    unsigned flags = MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL_INTERNAL_THREAD
                                                                    : MHD_USE_POLL_INTERNAL_THREAD;
    /* keep EXAM_HTTP_RESERVED_FDS descriptors for Redis and the rest of the worker */
    unsigned limit = EXAM_HTTP_MAX_CONNECTIONS;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        rlim_t room =
            rl.rlim_cur > EXAM_HTTP_RESERVED_FDS ? rl.rlim_cur - EXAM_HTTP_RESERVED_FDS : 0;
        if (room < limit) limit = room > 4 ? (unsigned)room : 4;
    }
    uint16_t port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&sa)->sin6_port : ((struct sockaddr_in *)&sa)->sin_port);
    s->d = MHD_start_daemon(flags, port, NULL, NULL, answer, s, MHD_OPTION_EXTERNAL_LOGGER,
                            mhd_logger, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)EXAM_HTTP_MAX_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
                            IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)HEADER_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, s,
                            MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_END);
    if (!s->d) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return exam_error_set(EXAM_ERR_UNAVAILABLE, "cannot listen for HTTP on %s", addr);
    }
    s->port = port;
    describe_bound(s);
    if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0) {
        exam_http_stop(s);
        return exam_error_set(EXAM_ERR_NOMEM, "cannot start the HTTP watchdog thread");
    }
    s->watchdog_running = 1;
    *out = s;
    return EXAM_OK;
}

int exam_http_port(const exam_http_server *s) {
    return s->port;
}

const char *exam_http_bound(const exam_http_server *s) {
    return s->bound;
}

void exam_http_stop(exam_http_server *s) {
    if (!s) return;
    if (s->watchdog_running) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->watchdog, NULL);
    }
    if (s->d) MHD_stop_daemon(s->d);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
