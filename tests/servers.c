/* Real servers on loopback for merzim's tests: start the Python servers in tests/servers/, wait for the
 * port they chose, stop them, read what they recorded; and make TLS material with openssl. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "servers.h"
#include "util.h"

extern char **environ;

/* Debian's interpreter, the one python3-aiosmtpd is installed for (not whatever python3 is on PATH). */
#define PYTHON "/usr/bin/python3"
#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define POLL_INTERVAL_MS 10

/* The source tree, where the server scripts are. */
static const char *srcdir(void) {
        const char *s = getenv("MERZIM_SRCDIR");
        return isempty(s) ? "." : s;
}

/* Monotonic milliseconds, to measure waits. */
static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep a little between polls. */
static void sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Start argv with stdin from /dev/null and stdout and stderr appended to output. */
static int spawn(const char *const *argv, const char *output, pid_t *ret) {
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t none, defaults;
        int r;

        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output, O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

        /* A test may block signals for its event loop; the server must still die on SIGTERM. */
        sigemptyset(&none);
        sigemptyset(&defaults);
        sigaddset(&defaults, SIGTERM);
        sigaddset(&defaults, SIGINT);
        sigaddset(&defaults, SIGPIPE);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

        if (strchr(argv[0], '/'))
                r = posix_spawn(ret, argv[0], &actions, &attr, (char *const *) argv, environ);
        else
                r = posix_spawnp(ret, argv[0], &actions, &attr, (char *const *) argv, environ);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
        return -r;
}

/* Wait for a child; returns its exit status, or 128+signal. */
static int wait_exit(pid_t pid) {
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Log what a program wrote, to explain why it failed. */
static void log_output(const char *what, const char *output) {
        _cleanup_free_ char *text = NULL;
        if (read_file(output, &text, NULL) < 0 || isempty(text))
                log_error("%s; it wrote nothing (%s)", what, output);
        else
                log_error("%s; it wrote (%s):\n%s", what, output, text);
}

/* Run a program to its end; 0 if it succeeded. */
static int run(const char *const *argv, const char *output) {
        pid_t pid;
        int r = spawn(argv, output, &pid);
        if (r < 0)
                return log_error_errno(r, "Failed to start %s: %m", argv[0]);
        r = wait_exit(pid);
        if (r < 0)
                return log_error_errno(r, "Failed to wait for %s: %m", argv[0]);
        if (r != 0) {
                _cleanup_free_ char *what = xasprintf("%s %s failed with status %d", argv[0], argv[1], r);
                log_output(what, output);
                return -EIO;
        }
        return 0;
}

/* Whether dir/name exists. */
static bool exists_in(const char *dir, const char *name) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        return access(path, F_OK) == 0;
}

/* Write text to path, replacing it. */
static int write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        if (fclose(f) != 0)
                return -errno;
        return 0;
}

int test_tls_material(const char *dir) {
        if (exists_in(dir, "ca.pem") && exists_in(dir, "server.pem") && exists_in(dir, "server.key"))
                return 0;

        _cleanup_free_ char *ca_key = xasprintf("%s/ca.key", dir);
        _cleanup_free_ char *ca_pem = xasprintf("%s/ca.pem", dir);
        _cleanup_free_ char *key = xasprintf("%s/server.key", dir);
        _cleanup_free_ char *csr = xasprintf("%s/server.csr", dir);
        _cleanup_free_ char *pem = xasprintf("%s/server.pem", dir);
        _cleanup_free_ char *ext = xasprintf("%s/server.ext", dir);
        _cleanup_free_ char *output = xasprintf("%s/openssl.log", dir);
        int r = write_text(ext, "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                                "basicConstraints = critical, CA:FALSE\n"
                                "keyUsage = critical, digitalSignature, keyEncipherment\n"
                                "extendedKeyUsage = serverAuth\n"
                                "subjectKeyIdentifier = hash\n"
                                "authorityKeyIdentifier = keyid\n");
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", ext);

        const char *make_ca[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                 "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "3650",
                                 "-subj", "/CN=merzim test CA",
                                 "-addext", "basicConstraints=critical,CA:TRUE",
                                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL};
        const char *make_request[] = {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                      "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost", NULL};
        const char *sign[] = {"openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                              "-CAcreateserial", "-days", "3650", "-extfile", ext, "-out", pem, NULL};
        r = run(make_ca, output);
        if (r >= 0)
                r = run(make_request, output);
        if (r >= 0)
                r = run(sign, output);
        return r;
}

/* Read the port a server published in dir/name; -ENOENT until it has. */
static int read_port(const char *dir, const char *name, int *ret) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_free_ char *text = NULL;
        unsigned long port;
        int r = read_file(path, &text, NULL);
        if (r < 0)
                return r;
        r = parse_uint(strstrip(text), 65535, &port);
        if (r < 0)
                return r;
        if (port == 0)
                return -EINVAL;
        *ret = (int) port;
        return 0;
}

/* Start tests/servers/SCRIPT in dir with extra arguments and wait until it listens. */
static int server_start(const char *dir, const char *script, const char *name, const char *const *args,
                        struct test_server *ret) {
        _cleanup_free_ char *path = xasprintf("%s/tests/servers/%s", srcdir(), script);
        _cleanup_free_ char *parent = xasprintf("%d", (int) getpid());
        _cleanup_free_ char *port_file = xasprintf("%s.port", name);
        _cleanup_free_ char *port_path = xasprintf("%s/%s", dir, port_file);
        _cleanup_free_ char *output = xasprintf("%s/%s.stderr", dir, name);
        const char *argv[32] = {PYTHON, path, "--dir", dir, "--parent", parent};
        size_t n = 6;
        for (size_t i = 0; args[i] && n < ELEMENTSOF(argv) - 1; i++)
                argv[n++] = args[i];
        argv[n] = NULL;

        if (unlink(port_path) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "Failed to remove %s: %m", port_path);
        pid_t pid;
        int r = spawn(argv, output, &pid);
        if (r < 0)
                return log_error_errno(r, "Failed to start %s %s: %m", PYTHON, path);

        int port = 0;
        long long deadline = now_ms() + START_TIMEOUT_MS;
        for (;;) {
                if (read_port(dir, port_file, &port) >= 0)
                        break;
                int status;
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        _cleanup_free_ char *what = xasprintf("%s exited before listening", script);
                        log_output(what, output);
                        return -ECHILD;
                }
                if (now_ms() > deadline) {
                        kill(pid, SIGKILL);
                        wait_exit(pid);
                        _cleanup_free_ char *what = xasprintf("%s did not listen within %d s", script,
                                                              START_TIMEOUT_MS / 1000);
                        log_output(what, output);
                        return -ETIMEDOUT;
                }
                sleep_ms(POLL_INTERVAL_MS);
        }
        *ret = (struct test_server) {.pid = pid, .port = port, .dir = xstrdup(dir)};
        return 0;
}

int test_smtp_start(const char *dir, const struct smtp_options *o, struct test_server *ret) {
        static const struct smtp_options none = {0};
        const char *args[16];
        size_t n = 0;
        _cleanup_free_ char *delay = NULL;

        if (!o)
                o = &none;
        if (o->reject_rcpt) {
                args[n++] = "--reject-rcpt";
                args[n++] = o->reject_rcpt;
        }
        if (o->starttls)
                args[n++] = "--starttls";
        if (o->require_starttls)
                args[n++] = "--require-starttls";
        if (o->implicit_tls)
                args[n++] = "--implicit-tls";
        if (o->auth) {
                args[n++] = "--auth";
                args[n++] = o->auth;
        }
        if (o->delay > 0) {
                delay = xasprintf("%g", o->delay);
                args[n++] = "--delay";
                args[n++] = delay;
        }
        if (o->close_reused)
                args[n++] = "--close-reused";
        if (o->delay_rcpt) {
                args[n++] = "--delay-rcpt";
                args[n++] = o->delay_rcpt;
        }
        args[n] = NULL;
        return server_start(dir, "smtp-sink.py", "smtp", args, ret);
}

int test_http_start(const char *dir, const char *script, bool tls, struct test_server *ret) {
        _cleanup_free_ char *script_path = xasprintf("%s/http-script.json", dir);
        const char *args[4];
        size_t n = 0;

        if (script) {
                int r = write_text(script_path, script);
                if (r < 0)
                        return log_error_errno(r, "Failed to write %s: %m", script_path);
                args[n++] = "--script";
                args[n++] = script_path;
        }
        if (tls)
                args[n++] = "--tls";
        args[n] = NULL;
        return server_start(dir, "http-receiver.py", "http", args, ret);
}

void test_server_stop(struct test_server *s) {
        if (!s)
                return;
        if (s->pid > 0) {
                kill(s->pid, SIGTERM);
                long long deadline = now_ms() + STOP_TIMEOUT_MS;
                int status;
                pid_t r;
                while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
                        sleep_ms(POLL_INTERVAL_MS);
                if (r == 0) {
                        log_warning("Test server %d ignored SIGTERM, killing it", (int) s->pid);
                        kill(s->pid, SIGKILL);
                        wait_exit(s->pid);
                }
        }
        free(s->dir);
        *s = (struct test_server) {0};
}

/* Split text into its complete lines (those ending in a newline). */
static char **split_lines(const char *text, size_t *ret_n) {
        char **v = xcalloc(1, sizeof(char *));
        size_t n = 0;
        for (const char *p = text, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
                v = xreallocarray(v, n + 2, sizeof(char *));
                v[n++] = xstrndup(p, (size_t) (nl - p));
                v[n] = NULL;
        }
        *ret_n = n;
        return v;
}

char **test_server_log(const struct test_server *s, const char *name, size_t min_lines, int timeout_ms) {
        _cleanup_free_ char *path = xasprintf("%s/%s", s->dir, name);
        long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                _cleanup_free_ char *text = NULL;
                size_t n = 0;
                char **lines = split_lines(read_file(path, &text, NULL) >= 0 ? text : "", &n);
                if (n >= min_lines || now_ms() >= deadline)
                        return lines;
                test_strv_free(lines);
                sleep_ms(POLL_INTERVAL_MS);
        }
}

void test_strv_free(char **v) {
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}
