/* http-sink: a fast local webhook receiver for the benchmarks. One thread, epoll, HTTP/1.1 keep-alive:
 * every request (any method, with or without a Content-Length body) is answered "200 OK" at once, and
 * the instant it was read completely is kept. On SIGTERM or SIGINT it writes the instants (Unix seconds
 * with microseconds, one a line, in arrival order) to the file given, says on stderr how many requests
 * came on how many connections and how many bytes they were ("http-sink: N requests on C connections,
 * B bytes"), and exits.
 *
 *   http-sink PORT TIMES_FILE [REQUEST_FILE]
 *
 * With REQUEST_FILE, every 100th request received (the first included) is written there as it came
 * (request line, headers and body), each after a line with its length in bytes: a sample of what the
 * client sends, for a load generator to send the same. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX (1 << 20)

struct conn {
        int fd;
        char *buf;
        size_t len;
};

static double *times;
static size_t n_times, cap_times;
static size_t n_connections;  /* accepted */
static const char *request_file; /* where the first request goes, if anywhere */
static unsigned long long n_bytes; /* of the requests, headers and bodies */

static void note_request(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (n_times == cap_times) {
                cap_times = cap_times ? cap_times * 2 : 65536;
                times = realloc(times, cap_times * sizeof(double));
                if (!times)
                        abort();
        }
        times[n_times++] = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The length of the first complete request in buf (headers and body), or 0 if it is not all there. */
static size_t request_length(const char *buf, size_t len) {
        const char *end = memmem(buf, len, "\r\n\r\n", 4);
        if (!end)
                return 0;
        size_t head = (size_t) (end - buf) + 4;
        size_t body = 0;
        for (const char *p = buf; p < end;) {
                const char *eol = memmem(p, (size_t) (end - p) + 2, "\r\n", 2);
                if (!eol)
                        break;
                if ((size_t) (eol - p) > 15 && strncasecmp(p, "content-length:", 15) == 0)
                        body = strtoul(p + 15, NULL, 10);
                p = eol + 2;
        }
        return len >= head + body ? head + body : 0;
}

static int conn_read(struct conn *c) {
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
        for (;;) {
                if (c->len == BUF_MAX)
                        return -1;
                ssize_t n = read(c->fd, c->buf + c->len, BUF_MAX - c->len);
                if (n == 0)
                        return -1;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -1;
                c->len += (size_t) n;
                size_t used;
                while ((used = request_length(c->buf, c->len)) > 0) {
                        if (request_file && n_times % 100 == 0) {
                                FILE *f = fopen(request_file, n_times == 0 ? "w" : "a");
                                if (f) {
                                        fprintf(f, "%zu\n", used);
                                        fwrite(c->buf, 1, used, f);
                                        fclose(f);
                                }
                        }
                        note_request();
                        n_bytes += used;
                        if (write(c->fd, answer, sizeof(answer) - 1) != (ssize_t) sizeof(answer) - 1)
                                return -1;
                        memmove(c->buf, c->buf + used, c->len - used);
                        c->len -= used;
                }
        }
}

int main(int argc, char **argv) {
        if (argc != 3 && argc != 4) {
                fprintf(stderr, "usage: http-sink PORT TIMES_FILE [REQUEST_FILE]\n");
                return 2;
        }
        request_file = argc == 4 ? argv[3] : NULL;
        int port = atoi(argv[1]);
        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(lfd, 1024) < 0) {
                perror("http-sink: bind");
                return 1;
        }
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
        struct conn sig = {.fd = sfd};
        ev.data.ptr = &sig;
        epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
        fprintf(stderr, "http-sink: listening on 127.0.0.1:%d\n", port);

        for (;;) {
                struct epoll_event evs[64];
                int n = epoll_wait(ep, evs, 64, -1);
                for (int i = 0; i < n; i++) {
                        struct conn *c = evs[i].data.ptr;
                        if (!c) {
                                int fd;
                                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                                        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                                        n_connections++;
                                        struct conn *nc = calloc(1, sizeof(*nc));
                                        nc->fd = fd;
                                        nc->buf = malloc(BUF_MAX);
                                        struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
                                        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                                }
                        } else if (c == &sig) {
                                FILE *f = fopen(argv[2], "w");
                                for (size_t k = 0; f && k < n_times; k++)
                                        fprintf(f, "%.6f\n", times[k]);
                                if (f)
                                        fclose(f);
                                fprintf(stderr, "http-sink: %zu requests on %zu connections, %llu bytes\n", n_times,
                                        n_connections, n_bytes);
                                return 0;
                        } else if (conn_read(c) < 0) {
                                close(c->fd);
                                free(c->buf);
                                free(c);
                        }
                }
        }
}
