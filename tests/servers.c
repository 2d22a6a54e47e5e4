/* Real servers on loopback for merzim's tests: start the Python servers in tests/servers/, wait for the
 * port they chose, stop them, read what they recorded; make TLS material with openssl; and run a real
 * Postfix from a configuration directory of its own. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>
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

#define POSTFIX "/usr/sbin/postfix"
#define POSTFIX_HOSTNAME "relay.merzim.test"

bool test_postfix_available(void) {
        return geteuid() == 0 && access(POSTFIX, X_OK) == 0 && access("/usr/sbin/saslpasswd2", X_OK) == 0 &&
               getpwnam("postfix") != NULL;
}

/* A port free now, below the kernel's ephemeral range (32768 and up) where the Python servers and every
 * client get theirs: none of those can take it before Postfix binds it. */
static int free_fixed_port(unsigned *seed) {
        for (int i = 0; i < 1000; i++) {
                int port = 20000 + (int) (rand_r(seed) % 12000);
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                bool ok = fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
                if (fd >= 0)
                        close(fd);
                if (ok)
                        return port;
        }
        return -EADDRINUSE;
}

/* Whether a socket listens on 127.0.0.1:port, from /proc/net/tcp: a test connection would be in the
 * relay's log as a client that went away. */
static bool listening(int port) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ char *local = xasprintf(" 0100007F:%04X 00000000:0000 0A ", (unsigned) port);
        return read_file("/proc/net/tcp", &text, NULL) >= 0 && strstr(text, local) != NULL;
}

/* Write dir/name, or log why not. */
static int write_in(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        int r = write_text(path, text);
        return r < 0 ? log_error_errno(r, "Failed to write %s: %m", path) : 0;
}

/* main.cf: a relay as strict as a ministry's, for merzim's client side. */
static char *postfix_main_cf(const char *dir, const struct postfix_options *o, const struct passwd *pw) {
        struct buf b = {0};
        buf_printf(&b,
                   "compatibility_level = 3.6\n"
                   "myhostname = " POSTFIX_HOSTNAME "\n"
                   "mydomain = merzim.test\n"
                   "myorigin = $myhostname\n"
                   "mydestination =\n"
                   "inet_interfaces = 127.0.0.1\n"
                   "inet_protocols = ipv4\n"
                   "# An address the tests never connect from: no exception of mynetworks applies to them.\n"
                   "mynetworks = 127.0.0.2/32\n"
                   "queue_directory = %s/queue\n"
                   "data_directory = %s/data\n"
                   "maillog_file = %s/maillog\n"
                   "maillog_file_prefixes = %s\n"
                   "mail_owner = postfix\n"
                   "setgid_group = postdrop\n"
                   "alias_maps =\n"
                   "alias_database =\n"
                   "virtual_mailbox_domains = test.kz\n"
                   "virtual_mailbox_base = %s/mail\n"
                   "virtual_mailbox_maps = static:all/\n"
                   "virtual_uid_maps = static:%u\n"
                   "virtual_gid_maps = static:%u\n"
                   "smtpd_helo_required = yes\n"
                   "smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname\n"
                   "smtpd_forbid_bare_newline = reject\n"
                   "smtpd_forbid_bare_newline_exclusions =\n"
                   "smtpd_forbid_unauth_pipelining = yes\n"
                   "smtpd_data_restrictions = reject_unauth_pipelining\n"
                   "smtpd_timeout = %ds\n"
                   "smtpd_client_event_limit_exceptions =\n"
                   "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination\n"
                   "smtpd_tls_cert_file = %s/server.pem\n"
                   "smtpd_tls_key_file = %s/server.key\n",
                   dir, dir, dir, dir, dir, (unsigned) pw->pw_uid, (unsigned) pw->pw_gid,
                   o->timeout_seconds > 0 ? o->timeout_seconds : 5, dir, dir);
        if (o->refuse_at_end_of_data)
                buf_printf(&b, "smtpd_end_of_data_restrictions = check_recipient_access "
                               "inline:{ { %s = 550 5.7.1 refused at end of data } }\n", o->refuse_at_end_of_data);
        if (o->connection_limit > 0)
                buf_printf(&b, "smtpd_client_connection_count_limit = %d\n", o->connection_limit);
        return buf_steal(&b);
}

/* master.cf: the two listeners and the services a relay that delivers to a Maildir needs, none
 * chrooted. */
static char *postfix_master_cf(const struct test_postfix *p, const struct postfix_options *o) {
        struct buf b = {0};
        buf_printf(&b, "127.0.0.1:%d inet n - n - - smtpd\n", p->port);
        buf_printf(&b, "127.0.0.1:%d inet n - n - - smtpd\n"
                       "  -o smtpd_tls_security_level=may\n"
                       "  -o smtpd_tls_auth_only=yes\n", p->auth_port);
        if (o->auth)
                buf_puts(&b, "  -o smtpd_sasl_auth_enable=yes\n"
                             "  -o smtpd_sasl_type=cyrus\n"
                             "  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject\n");
        buf_puts(&b, "pickup unix n - n 60 1 pickup\n"
                     "cleanup unix n - n - 0 cleanup\n"
                     "qmgr unix n - n 300 1 qmgr\n"
                     "tlsmgr unix - - n 1000? 1 tlsmgr\n"
                     "rewrite unix - - n - - trivial-rewrite\n"
                     "bounce unix - - n - 0 bounce\n"
                     "defer unix - - n - 0 bounce\n"
                     "trace unix - - n - 0 bounce\n"
                     "verify unix - - n - 1 verify\n"
                     "flush unix n - n 1000? 0 flush\n"
                     "proxymap unix - - n - - proxymap\n"
                     "smtp unix - - n - - smtp\n"
                     "relay unix - - n - - smtp\n"
                     "showq unix n - n - - showq\n"
                     "error unix - - n - - error\n"
                     "retry unix - - n - - error\n"
                     "discard unix - - n - - discard\n"
                     "local unix - n n - - local\n"
                     "virtual unix - n n - - virtual\n"
                     "anvil unix - - n - 1 anvil\n"
                     "scache unix - - n - 1 scache\n"
                     "postlog unix-dgram n - n - 1 postlogd\n");
        return buf_steal(&b);
}

/* The SASL user: Debian's Postfix reads Cyrus SASL's smtpd.conf from conf/sasl/; the sasldb must be
 * readable by the user postfix. */
static int postfix_sasl(const char *dir, const char *auth, const struct passwd *pw) {
        _cleanup_free_ char *conf = xasprintf("%s/conf/sasl", dir), *db = xasprintf("%s/sasldb2", dir);
        _cleanup_free_ char *user = xstrdup(auth), *output = xasprintf("%s/saslpasswd2.log", dir);
        char *colon = strchr(user, ':');
        if (!colon)
                return -EINVAL;
        *colon = 0;
        _cleanup_free_ char *smtpd_conf = xasprintf("pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                                                    "mech_list: PLAIN LOGIN\nsasldb_path: %s\n", db);
        if (mkdir(conf, 0755) < 0 && errno != EEXIST)
                return log_error_errno(-errno, "Failed to create %s: %m", conf);
        int r = write_in(conf, "smtpd.conf", smtpd_conf);
        if (r < 0)
                return r;
        const char *argv[] = {"/bin/sh", "-c", "printf %s \"$1\" | /usr/sbin/saslpasswd2 -p -c -f \"$2\" -u \"$3\" \"$4\"",
                              "sh", colon + 1, db, POSTFIX_HOSTNAME, user, NULL};
        r = run(argv, output);
        if (r >= 0 && chown(db, pw->pw_uid, pw->pw_gid) < 0)
                r = log_error_errno(-errno, "Failed to give %s to postfix: %m", db);
        return r;
}

int test_postfix_start(const char *dir, const struct postfix_options *o, struct test_postfix *ret) {
        static const struct postfix_options none = {0};
        const struct passwd *pw = getpwnam("postfix");
        if (!o)
                o = &none;
        if (!pw)
                return log_error_errno(-ENOENT, "there is no user postfix: install the postfix package");
        *ret = (struct test_postfix) {.dir = xstrdup(dir)};
        unsigned seed = (unsigned) getpid() ^ (unsigned) time(NULL);
        ret->port = free_fixed_port(&seed);
        do
                ret->auth_port = free_fixed_port(&seed);
        while (ret->auth_port == ret->port);
        if (ret->port < 0 || ret->auth_port < 0)
                return log_error_errno(-EADDRINUSE, "no free port for Postfix");

        /* The user postfix enters dir's parent (the test's directory) to reach its queue and Maildir. */
        _cleanup_free_ char *parent = path_dirname(dir);
        struct stat st;
        if (stat(parent, &st) == 0)
                chmod(parent, (st.st_mode & 07777) | 0011);
        static const char *const subdirs[] = {"", "/conf", "/queue", "/data", "/mail"};
        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                _cleanup_free_ char *path = xasprintf("%s%s", dir, subdirs[i]);
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(-errno, "Failed to create %s: %m", path);
                chmod(path, 0755);
                if (i >= 3 && chown(path, pw->pw_uid, pw->pw_gid) < 0)
                        return log_error_errno(-errno, "Failed to give %s to postfix: %m", path);
        }
        int r = test_tls_material(dir);
        _cleanup_free_ char *main_cf = postfix_main_cf(dir, o, pw), *master_cf = postfix_master_cf(ret, o);
        _cleanup_free_ char *conf = xasprintf("%s/conf", dir), *output = xasprintf("%s/postfix.log", dir);
        if (r >= 0)
                r = write_in(conf, "main.cf", main_cf);
        if (r >= 0)
                r = write_in(conf, "master.cf", master_cf);
        if (r >= 0 && o->auth)
                r = postfix_sasl(dir, o->auth, pw);
        if (r >= 0)
                r = run((const char *const[]) {POSTFIX, "-c", conf, "start", NULL}, output);
        if (r < 0)
                return r;
        long long deadline = now_ms() + START_TIMEOUT_MS;
        while (!(listening(ret->port) && listening(ret->auth_port))) {
                if (now_ms() > deadline) {
                        log_output("Postfix did not listen", output);
                        test_postfix_stop(ret);
                        return -ETIMEDOUT;
                }
                sleep_ms(POLL_INTERVAL_MS);
        }
        return 0;
}

void test_postfix_stop(struct test_postfix *p) {
        if (!p || !p->dir)
                return;
        _cleanup_free_ char *conf = xasprintf("%s/conf", p->dir), *output = xasprintf("%s/postfix.log", p->dir);
        _cleanup_free_ char *pid_path = xasprintf("%s/queue/pid/master.pid", p->dir), *pid_text = NULL;
        unsigned long pid = 0;
        if (read_file(pid_path, &pid_text, NULL) >= 0)
                parse_uint(strstrip(pid_text), INT32_MAX, &pid);
        run((const char *const[]) {POSTFIX, "-c", conf, "stop", NULL}, output);
        /* postfix stop only signals the master: wait for it, so that the directory can go. */
        long long deadline = now_ms() + STOP_TIMEOUT_MS;
        while (pid > 0 && kill((pid_t) pid, 0) == 0 && now_ms() < deadline)
                sleep_ms(POLL_INTERVAL_MS);
        free(p->dir);
        *p = (struct test_postfix) {0};
}

char *test_postfix_log(const struct test_postfix *p) {
        _cleanup_free_ char *path = xasprintf("%s/maillog", p->dir);
        char *text = NULL;
        if (read_file(path, &text, NULL) < 0)
                text = xstrdup("");
        return text;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A test that waited in vain for mail says why Postfix did not deliver it: the lines of its log that
 * are not plain successes (deferrals, warnings, errors). */
static void tell_undelivered(const struct test_postfix *p, size_t n, size_t min) {
        fprintf(stderr, "Postfix delivered %zu of %zu messages in time; its log says:\n", n, min);
        _cleanup_free_ char *log = test_postfix_log(p);
        for (char *line = log, *end; *line; line = end) {
                end = strchrnul(line, '\n');
                bool more = *end == '\n';
                *end = '\0';
                if (strstr(line, "deferred") || strstr(line, "warning") || strstr(line, "error") ||
                    strstr(line, "fatal") || strstr(line, "bounced"))
                        fprintf(stderr, "  %s\n", line);
                end += more;
        }
}

char **test_postfix_delivered(const struct test_postfix *p, size_t min, int timeout_ms) {
        _cleanup_free_ char *maildir = xasprintf("%s/mail/all/new", p->dir);
        long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                char **names = xcalloc(1, sizeof(char *));
                size_t n = 0;
                DIR *d = opendir(maildir);
                for (struct dirent *e; d && (e = readdir(d));) {
                        if (e->d_name[0] == '.')
                                continue;
                        names = xreallocarray(names, n + 2, sizeof(char *));
                        names[n++] = xstrdup(e->d_name);
                        names[n] = NULL;
                }
                if (d)
                        closedir(d);
                if (n >= min || now_ms() >= deadline) {
                        if (n < min)
                                tell_undelivered(p, n, min);
                        if (n > 1)
                                qsort(names, n, sizeof(char *), compare_names);
                        for (size_t i = 0; i < n; i++) {
                                _cleanup_free_ char *path = xasprintf("%s/%s", maildir, names[i]);
                                char *text = NULL;
                                if (read_file(path, &text, NULL) < 0)
                                        text = xstrdup("");
                                free(names[i]);
                                names[i] = text;
                        }
                        return names;
                }
                test_strv_free(names);
                sleep_ms(POLL_INTERVAL_MS);
        }
}
