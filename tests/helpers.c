/* Helpers for merzim's tests: paths, temporary directories, files, and running programs. */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <time.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "utf8.h"
#include "util.h"

extern char **environ;

const char *test_srcdir(void) {
        const char *s = getenv("MERZIM_SRCDIR");
        return s ? s : ".";
}

const char *test_builddir(void) {
        const char *s = getenv("MERZIM_BUILDDIR");
        return s ? s : ".";
}

char *test_seed_path(void) {
        return xasprintf("%s/examples/machine-building-roadmap-2024.kk.txt", test_srcdir());
}

char *test_mkdtemp(void) {
        const char *tmp = getenv("TMPDIR");
        char *dir = xasprintf("%s/merzim-test-XXXXXX", tmp ? tmp : "/tmp");
        cr_assert_not_null(mkdtemp(dir), "mkdtemp %s: %m", dir);
        return dir;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

void test_rmdir(const char *dir) {
        if (dir && !getenv("MERZIM_KEEP_TEST_FILES"))
                nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *test_write(const char *dir, const char *name, const char *text) {
        char *path = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(path, "we");
        cr_assert_not_null(f, "cannot write %s", path);
        fputs(text, f);
        fclose(f);
        return path;
}

char *test_read(const char *path) {
        char *text;
        cr_assert_eq(read_file(path, &text, NULL), 0, "cannot read %s", path);
        return text;
}

char *test_replace(const char *text, const char *old, const char *new_text) {
        const char *p = strstr(text, old);
        cr_assert_not_null(p, "test setup: \"%s\" is not in the text", old);
        return xasprintf("%.*s%s%s", (int) (p - text), text, new_text, p + strlen(old));
}

/* Read both pipes to the end without letting either fill up. */
static void drain(int out_fd, int err_fd, struct buf *out, struct buf *err) {
        struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
        int open_fds = 2;
        while (open_fds > 0) {
                if (poll(p, 2, -1) < 0)
                        break;
                for (int i = 0; i < 2; i++) {
                        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        char chunk[4096];
                        ssize_t n = read(p[i].fd, chunk, sizeof(chunk));
                        if (n <= 0) {
                                close(p[i].fd);
                                p[i].fd = -1;
                                open_fds--;
                        } else {
                                buf_append(i == 0 ? out : err, chunk, (size_t) n);
                        }
                }
        }
}

/* Whether the variable "NAME=..." is one a service manager gives its own process only: a program the
 * tests start must not see the ones of the process running the tests (a container's or CI's). */
static bool is_service_manager_variable(const char *var) {
        static const char *const names[] = {"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS=",
                                            "LISTEN_PID=", "LISTEN_FDNAMES=", NULL};
        for (size_t i = 0; names[i]; i++)
                if (strncmp(var, names[i], strlen(names[i])) == 0)
                        return true;
        return false;
}

/* Whether var ("NAME=...") sets a name that one of list ("NAME=..." strings) sets too. */
static bool is_set_in(const char *var, const char *const *list) {
        size_t n = strcspn(var, "=");
        for (size_t i = 0; list && list[i]; i++)
                if (strncmp(var, list[i], n) == 0 && list[i][n] == '=')
                        return true;
        return false;
}

char **test_environ(const char *const *env) {
        size_t n_env = 0, n_extra = 0;
        while (environ[n_env])
                n_env++;
        while (env && env[n_extra])
                n_extra++;
        char **envp = xcalloc(n_env + n_extra + 1, sizeof(char *));
        size_t n = 0;
        for (size_t i = 0; i < n_extra; i++)
                envp[n++] = (char *) env[i];
        for (size_t i = 0; i < n_env; i++)
                if (!is_service_manager_variable(environ[i]) && !is_set_in(environ[i], env))
                        envp[n++] = environ[i];
        return envp;
}

int test_run(const char *const *argv, const char *const *env, char **out, char **err) {
        _cleanup_free_ char *prog = strchr(argv[0], '/') ? xstrdup(argv[0])
                                                         : xasprintf("%s/daemon/%s", test_builddir(), argv[0]);
        int po[2], pe[2];
        cr_assert_eq(pipe2(po, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(pe, O_CLOEXEC), 0);

        char **envp = test_environ(env);

        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
        pid_t pid;
        int r = posix_spawn(&pid, prog, &fa, NULL, (char *const *) argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        free(envp);
        cr_assert_eq(r, 0, "cannot run %s: %s", prog, strerror(r));
        close(po[1]);
        close(pe[1]);

        struct buf bo = {0}, be = {0};
        drain(po[0], pe[0], &bo, &be);
        int status;
        waitpid(pid, &status, 0);
        char *o = buf_steal(&bo), *e = buf_steal(&be);
        if (out)
                *out = o;
        else
                free(o);
        if (err)
                *err = e;
        else
                free(e);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int test_count_lines(const char *text, const char *needle) {
        int n = 0;
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                _cleanup_free_ char *line = xstrndup(p, len);
                n += strstr(line, needle) != NULL;
                p = nl ? nl + 1 : NULL;
        }
        return n;
}

long test_figure(const char *text, const char *label) {
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                const char *start = p + strspn(p, " ");
                size_t n = strlen(label);
                char *end;
                if (strncmp(start, label, n) == 0 && start[n] == ':') {
                        long v = strtol(start + n + 1, &end, 10);
                        if (end > start + n + 1 && (*end == '\n' || *end == 0))
                                return v;
                }
                p = nl ? nl + 1 : NULL;
        }
        return -1;
}

pid_t test_daemon_start(const char *conf, const char *now, const char *const *env, const char *log_path) {
        _cleanup_free_ char *prog = xasprintf("%s/daemon/merzimd", test_builddir());
        const char *argv[] = {prog, "-c", conf, now ? "--now" : NULL, now, NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        char **envp = test_environ(env);
        pid_t pid;
        cr_assert_eq(posix_spawn(&pid, prog, &fa, NULL, (char *const *) argv, envp), 0);
        posix_spawn_file_actions_destroy(&fa);
        free(envp);
        return pid;
}

/* Whether process pid blocks signal sig (merzimd does once it handles it through its event loop). */
static bool blocks_signal(pid_t pid, int sig) {
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        unsigned long long mask = 0;
        bool found = false;
        while (!found && fgets(line, sizeof(line), f))
                found = sscanf(line, "SigBlk: %llx", &mask) == 1;
        fclose(f);
        return found && (mask & (1ULL << (sig - 1)));
}

int test_daemon_stop(pid_t pid) {
        /* A daemon just started may not have got as far as handling SIGTERM: wait until it does (or
         * has exited), so that the stop tested is its own. */
        for (int i = 0; i < 1000 * test_slowdown() && !blocks_signal(pid, SIGTERM); i++) {
                if (waitpid(pid, NULL, WNOHANG) == pid)
                        return -1;
                test_sleep_ms(10);
        }
        kill(pid, SIGTERM);
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int test_slowdown(void) {
        const char *e = getenv("MERZIM_TEST_SLOWDOWN");
        int v = e ? atoi(e) : 1;
        return v >= 1 ? v : 1;
}

char *test_burst_roadmap(int n, const char *first) {
        struct buf b = {0};
        buf_puts(&b, "Сынақ жол картасы 2024\nР/с №\t|\tАтауы\t|\tАяқталу нысаны\t|\tОрындау мерзімі\t|\tЖауапты орындаушылар\n"
                     "Бөлім\n");
        for (int i = 1; i <= n; i++)
                buf_printf(&b, "%d.\t|\tІс-шара %d\t|\tақпарат\t|\t%s\t|\tA%04d\n", i, i,
                           i == 1 && first ? first : "2024 жылғы маусым", i);
        return buf_steal(&b);
}

const char *test_before(const char *at, int seconds) {
        static char bufs[4][32];
        static unsigned next;
        char *out = bufs[next++ % 4];
        struct tm tm = {0};
        cr_assert(strptime(at, "%Y-%m-%dT%H:%M:%S", &tm), "bad time %s", at);
        time_t t = timegm(&tm) - (time_t) seconds * test_slowdown();
        gmtime_r(&t, &tm);
        strftime(out, sizeof(bufs[0]), "%Y-%m-%dT%H:%M:%S", &tm);
        return out;
}

void test_sleep_ms(int ms) {
        ms *= test_slowdown();
        struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

void test_exec(const char *db_path, const char *sql) {
        sqlite3 *db;
        cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK, "%s", db_path);
        sqlite3_busy_timeout(db, 10000);
        char *err = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
        cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        sqlite3_close(db);
}

int64_t test_query_int(const char *db_path, const char *sql) {
        sqlite3 *db;
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
                sqlite3_close(db);
                return -1;
        }
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *st;
        int64_t v = -1;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
                if (sqlite3_step(st) == SQLITE_ROW)
                        v = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
        }
        sqlite3_close(db);
        return v;
}

int64_t test_wait_for(const char *db_path, const char *sql, int64_t want, int ms) {
        int64_t v = -1;
        ms *= test_slowdown();
        for (int waited = 0; waited <= ms; waited += 100) {
                v = test_query_int(db_path, sql);
                if (v >= want)
                        return v;
                struct timespec ts = {0, 100 * 1000000L};
                nanosleep(&ts, NULL);
        }
        return v;
}

double test_cpu_seconds(pid_t pid) {
        _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int) pid);
        _cleanup_free_ char *text = NULL;
        if (read_file(path, &text, NULL) < 0)
                return -1;
        /* Fields after the command name in parentheses: state is 3rd, utime 14th, stime 15th. */
        const char *p = strrchr(text, ')');
        unsigned long long utime = 0, stime = 0;
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
                return -1;
        return (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
}

/* The bytes of line that fall in terminal columns [from, to) (to 0: to the end), trimmed. Caller frees. */
static char *columns_of(const char *line, size_t from, size_t to) {
        size_t a = utf8_prefix_for_width(line, from);
        size_t b = to ? utf8_prefix_for_width(line, to) : strlen(line);
        if (b < a)
                b = a;
        while (a < b && line[a] == ' ')
                a++;
        while (b > a && line[b - 1] == ' ')
                b--;
        return xstrndup(line + a, b - a);
}

json_t *test_table_parse(const char *text, const char *joiner) {
        _cleanup_free_ char *copy = xstrdup(text);
        char *save, *line = strtok_r(copy, "\n", &save);
        cr_assert_not_null(line, "no table: \"%s\"", text);
        /* The columns start where the first header line's headers do: two spaces or more apart. */
        size_t starts[64], n_cols = 0;
        for (const char *p = line; *p && n_cols < ELEMENTSOF(starts);) {
                _cleanup_free_ char *before = xstrndup(line, (size_t) (p - line));
                starts[n_cols++] = utf8_width(before);
                const char *gap = strstr(p, "  ");
                if (!gap)
                        break;
                p = gap + strspn(gap, " ");
        }
        json_t *rows = json_array(), *row = NULL;
        for (; line; line = strtok_r(NULL, "\n", &save)) {
                for (size_t c = 0; c < n_cols; c++) {
                        _cleanup_free_ char *piece = columns_of(line, starts[c], c + 1 < n_cols ? starts[c + 1] : 0);
                        /* Text in the first column starts a row; the lines after it continue it. */
                        if (c == 0 && (*piece || !row)) {
                                row = json_array();
                                for (size_t k = 0; k < n_cols; k++)
                                        json_array_append_new(row, json_string(""));
                                json_array_append_new(rows, row);
                        }
                        if (!*piece)
                                continue;
                        const char *had = json_string_value(json_array_get(row, c));
                        _cleanup_free_ char *joined = *had ? xasprintf("%s%s%s", had, joiner, piece) : xstrdup(piece);
                        json_array_set_new(row, c, json_string(joined));
                }
        }
        return rows;
}
