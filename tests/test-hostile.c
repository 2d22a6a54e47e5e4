/* Hostile input: every document in tests/hostile/roadmaps through the real merzimctl import, each into a
 * database of its own, and every configuration in tests/hostile/configs through merzimd --check-config and
 * merzimctl plans. NAME.expect next to each file says what must happen:
 *
 *   refused LINE TEXT   refused, with an error "FILE:LINE: ...TEXT..." (LINE 0: "FILE: ...TEXT...", for a
 *                       file with no line to name); may be given more than once
 *   imported            (roadmaps) imported: exit status 0, or 3 when measures are undated
 *   undated N           (roadmaps) N measures are undated (exit status 3 if N > 0)
 *   warned LINE TEXT    (roadmaps) imported with a warning "FILE:LINE: ...TEXT..."
 *   strict-refused LINE TEXT  (roadmaps) with --strict, refused with this error
 *   accepted            (configurations) accepted by both programs
 *   accepted-by PROGRAM (configurations) refused, but not by PROGRAM: merzimctl reads no secret files
 *   measures N          the database holds N measures
 *   agency CODE         an agency with exactly this code was imported
 *   no-agency TEXT      no agency code contains TEXT
 *
 * Whatever the expectation, nothing may crash or trip a sanitizer, stderr must be UTF-8, no imported
 * agency code may hold a control character, and a refused import leaves no plan, measure or agency. */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"
#include "utf8.h"
#include "util.h"

#define MAX_DIRECTIVES 16
#define CORPUS_MAX 1024 /* files of one kind */

struct corpus_file {
        char name[128]; /* in tests/hostile/KIND/, without its extension */
};

struct directive {
        char *verb; /* "refused", "imported", "accepted", "accepted-by", "measures", "agency", "no-agency" */
        int line;   /* refused */
        char *arg;  /* what follows the verb (after the line, for refused) */
};

struct expectation {
        struct directive d[MAX_DIRECTIVES];
        size_t n;
        bool refused;
};

static int compare_names(const void *a, const void *b) {
        return strcmp(((const struct corpus_file *) a)->name, ((const struct corpus_file *) b)->name);
}

static void corpus_free(struct criterion_test_params *params) {
        cr_free(params->params);
}

/* Every file of tests/hostile/KIND ending in ext (any but .expect for ext NULL, the name then keeping its
 * extension), sorted, as test parameters. */
static struct criterion_test_params corpus_params(const char *kind, const char *ext) {
        _cleanup_free_ char *dir = xasprintf("%s/tests/hostile/%s", test_srcdir(), kind);
        DIR *d = opendir(dir);
        size_t n = 0, cap = CORPUS_MAX;
        struct corpus_file *v = cr_calloc(cap, sizeof(*v));
        for (struct dirent *e; d && v && (e = readdir(d));) {
                size_t len = strlen(e->d_name), elen = ext ? strlen(ext) : 0;
                if (e->d_name[0] == '.' || len <= elen || len - elen >= sizeof(v->name) || n == cap)
                        continue;
                if (ext ? !streq(e->d_name + len - elen, ext) : (len > 7 && streq(e->d_name + len - 7, ".expect")))
                        continue;
                snprintf(v[n++].name, sizeof(v->name), "%.*s", (int) (len - elen), e->d_name);
        }
        if (d)
                closedir(d);
        qsort(v, n, sizeof(*v), compare_names);
        return cr_make_param_array(struct corpus_file, v, n, corpus_free);
}

static void expectation_read(const char *path, struct expectation *x) {
        _cleanup_free_ char *text = test_read(path);
        *x = (struct expectation) {0};
        char *save;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#' || isempty(strstrip(line)))
                        continue;
                cr_assert_lt(x->n, MAX_DIRECTIVES, "%s: too many lines", path);
                struct directive *d = &x->d[x->n++];
                char *sp = strchr(line, ' ');
                d->verb = xstrndup(line, sp ? (size_t) (sp - line) : strlen(line));
                const char *rest = sp ? sp + 1 : "";
                if (streq(d->verb, "refused") || streq(d->verb, "warned") || streq(d->verb, "strict-refused")) {
                        char *end;
                        d->line = (int) strtol(rest, &end, 10);
                        cr_assert(end != rest && d->line >= 0, "%s: \"%s LINE TEXT\", not \"%s\"", path, d->verb,
                                  line);
                        rest = *end == ' ' ? end + 1 : end;
                        x->refused = x->refused || streq(d->verb, "refused");
                }
                d->arg = xstrdup(rest);
        }
        cr_assert_gt(x->n, 0, "%s says nothing", path);
}

static void expectation_free(struct expectation *x) {
        for (size_t i = 0; i < x->n; i++) {
                free(x->d[i].verb);
                free(x->d[i].arg);
        }
}

/* The checks every run gets: no crash, no sanitizer report, UTF-8 on stderr. */
static void assert_sane(const char *what, int status, const char *err) {
        cr_assert_lt(status, 128, "%s: killed by signal %d: %s", what, status - 128, err);
        cr_assert_null(strstr(err, "Sanitizer"), "%s: sanitizer report: %s", what, err);
        cr_assert_null(strstr(err, "runtime error:"), "%s: UBSan report: %s", what, err);
        size_t bad;
        cr_assert(utf8_valid(err, strlen(err), &bad), "%s: stderr is not UTF-8 at byte %zu", what, bad);
}

/* Whether some line of err starts with "FILE:LINE: " ("FILE: " for line 0) and contains text. */
static bool has_error(const char *err, const char *file, int line, const char *text) {
        _cleanup_free_ char *prefix = line > 0 ? xasprintf("%s:%d: ", file, line) : xasprintf("%s: ", file);
        for (const char *p = err; p && *p;) {
                const char *nl = strchr(p, '\n');
                _cleanup_free_ char *l = xstrndup(p, nl ? (size_t) (nl - p) : strlen(p));
                if (strncmp(l, prefix, strlen(prefix)) == 0 && strstr(l + strlen(prefix), text))
                        return true;
                p = nl ? nl + 1 : NULL;
        }
        return false;
}

static void assert_messages(const char *what, const struct expectation *x, const char *verb, const char *file,
                            const char *err) {
        for (size_t i = 0; i < x->n; i++)
                if (streq(x->d[i].verb, verb))
                        cr_expect(has_error(err, file, x->d[i].line, x->d[i].arg),
                                  "%s: no %s \"%s:%d: ...%s...\" in:\n%s", what, verb, file, x->d[i].line,
                                  x->d[i].arg, err);
}

static void assert_refusals(const char *what, const struct expectation *x, const char *file, const char *err) {
        assert_messages(what, x, "refused", file, err);
}

static int64_t query_int(sqlite3 *db, const char *sql, const char *arg) {
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
        if (arg)
                sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
        int64_t v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

/* What the database holds after an import: nothing after a refusal; what the expectation names after an
 * import; never an agency code with a control character in it. */
static void assert_database(const char *what, const char *path, const struct expectation *x) {
        sqlite3 *db = NULL;
        if (access(path, F_OK) < 0) {
                cr_assert(x->refused, "%s: imported, but there is no database", what);
                return;
        }
        cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "%s: open %s", what, path);
        if (x->refused) {
                static const char *const tables[] = {"plan", "section", "measure", "agency", "occurrence"};
                for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                        _cleanup_free_ char *sql = xasprintf("SELECT count(*) FROM %s", tables[i]);
                        cr_expect_eq(query_int(db, sql, NULL), 0, "%s: refused, yet table %s has rows", what,
                                     tables[i]);
                }
        }
        for (size_t i = 0; i < x->n; i++) {
                const struct directive *d = &x->d[i];
                if (streq(d->verb, "measures"))
                        cr_expect_eq(query_int(db, "SELECT count(*) FROM measure", NULL), atoll(d->arg),
                                     "%s: not %s measures", what, d->arg);
                else if (streq(d->verb, "undated"))
                        cr_expect_eq(query_int(db, "SELECT count(*) FROM measure WHERE undated IS NOT NULL", NULL),
                                     atoll(d->arg), "%s: not %s undated measures", what, d->arg);
                else if (streq(d->verb, "agency"))
                        cr_expect_eq(query_int(db, "SELECT count(*) FROM agency WHERE code = ?", d->arg), 1,
                                     "%s: no agency \"%s\"", what, d->arg);
                else if (streq(d->verb, "no-agency"))
                        cr_expect_eq(query_int(db, "SELECT count(*) FROM agency WHERE instr(code, ?) > 0", d->arg),
                                     0, "%s: an agency code contains \"%s\"", what, d->arg);
        }
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(db, "SELECT code FROM agency", -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *code = (const char *) sqlite3_column_text(st, 0);
                for (const char *p = code; p && *p; p++)
                        cr_expect((unsigned char) *p >= 0x20 && *p != 0x7F,
                                  "%s: agency code \"%s\" has control character 0x%02x", what, code,
                                  (unsigned char) *p);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
}

/* The programs run here may be built with sanitizers: leaks that are libconfig's are not theirs. */
static void suppress_library_leaks(void) {
        const char *old = getenv("LSAN_OPTIONS");
        _cleanup_free_ char *v = xasprintf("%s%ssuppressions=%s/tests/hostile/lsan.supp", old ? old : "",
                                           isempty(old) ? "" : ":", test_srcdir());
        setenv("LSAN_OPTIONS", v, 1);
}

static bool has_directive(const struct expectation *x, const char *verb, const char *arg) {
        for (size_t i = 0; i < x->n; i++)
                if (streq(x->d[i].verb, verb) && (!arg || streq(x->d[i].arg, arg)))
                        return true;
        return false;
}

/* Files of tests/hostile/KIND ending in ext; NULL: any but .expect. */
static size_t count_files(const char *kind, const char *ext) {
        _cleanup_free_ char *dir = xasprintf("%s/tests/hostile/%s", test_srcdir(), kind);
        DIR *d = opendir(dir);
        cr_assert_not_null(d, "cannot read %s", dir);
        size_t n = 0;
        for (struct dirent *e; (e = readdir(d));) {
                size_t len = strlen(e->d_name);
                if (e->d_name[0] == '.')
                        continue;
                if (!ext)
                        n += !(len > 7 && streq(e->d_name + len - 7, ".expect"));
                else
                        n += len > strlen(ext) && streq(e->d_name + len - strlen(ext), ext);
        }
        closedir(d);
        return n;
}

/* The parameterized tests below see nothing if the corpus is missing: make that a failure. */
Test(hostile, the_corpus_is_there) {
        size_t roadmaps = count_files("roadmaps", NULL), configs = count_files("configs", ".conf");
        cr_assert_geq(roadmaps, 30);
        cr_assert_leq(roadmaps, CORPUS_MAX);
        cr_assert_eq(count_files("roadmaps", ".expect"), roadmaps, "every document needs its .expect");
        cr_assert_geq(configs, 30);
        cr_assert_leq(configs, CORPUS_MAX);
        cr_assert_eq(count_files("configs", ".expect"), configs, "every configuration needs its .expect");
}

ParameterizedTestParameters(hostile, roadmap) {
        return corpus_params("roadmaps", NULL);
}

ParameterizedTest(struct corpus_file *f, hostile, roadmap, .init = suppress_library_leaks) {
        _cleanup_free_ char *doc = xasprintf("%s/tests/hostile/roadmaps/%s", test_srcdir(), f->name);
        const char *dot = strrchr(f->name, '.');
        _cleanup_free_ char *expect_path = xasprintf("%s/tests/hostile/roadmaps/%.*s.expect", test_srcdir(),
                                                     (int) (dot ? dot - f->name : (ptrdiff_t) strlen(f->name)), f->name);
        struct expectation x;
        expectation_read(expect_path, &x);
        cr_assert(x.refused != has_directive(&x, "imported", NULL), "%s: say either refused or imported", expect_path);

        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *conf = test_write(dir, "merzim.conf", "database = \"merzim.db\";\n");
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        _cleanup_free_ char *out = NULL, *err = NULL;
        int status = test_run((const char *const[]) {"merzimctl", "-c", conf, "import", doc, NULL}, NULL, &out, &err);
        assert_sane(f->name, status, err);
        if (x.refused) {
                cr_expect_eq(status, 1, "%s: exit status %d, not 1 (refused):\n%s%s", f->name, status, out, err);
                assert_refusals(f->name, &x, doc, err);
        } else {
                int want = 0;
                for (size_t i = 0; i < x.n; i++)
                        if (streq(x.d[i].verb, "undated") && atoi(x.d[i].arg) > 0)
                                want = 3;
                cr_expect_eq(status, want, "%s: exit status %d, not %d (imported):\n%s", f->name, status, want, err);
                assert_messages(f->name, &x, "warned", doc, err);
        }
        assert_database(f->name, db, &x);
        if (has_directive(&x, "strict-refused", NULL)) {
                _cleanup_free_ char *dir2 = test_mkdtemp();
                _cleanup_free_ char *conf2 = test_write(dir2, "merzim.conf", "database = \"merzim.db\";\n");
                _cleanup_free_ char *out2 = NULL, *err2 = NULL;
                int st2 = test_run((const char *const[]) {"merzimctl", "-c", conf2, "import", "--strict", doc, NULL},
                                   NULL, &out2, &err2);
                assert_sane(f->name, st2, err2);
                cr_expect_eq(st2, 1, "%s --strict: exit status %d, not 1:\n%s", f->name, st2, err2);
                assert_messages(f->name, &x, "strict-refused", doc, err2);
                _cleanup_free_ char *db2 = xasprintf("%s/merzim.db", dir2);
                struct expectation refused = {.refused = true};
                assert_database(f->name, db2, &refused);
                test_rmdir(dir2);
        }
        expectation_free(&x);
        test_rmdir(dir);
}

ParameterizedTestParameters(hostile, config) {
        return corpus_params("configs", ".conf");
}

/* A copy of a file, byte for byte (test_write stops at a NUL). */
static char *copy_file(const char *from, const char *dir, const char *name) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        cr_assert_eq(read_file(from, &text, &len), 0, "cannot read %s", from);
        char *to = xasprintf("%s/%s", dir, name);
        FILE *f = fopen(to, "we");
        cr_assert_not_null(f, "cannot write %s", to);
        cr_assert_eq(fwrite(text, 1, len, f), len);
        fclose(f);
        return to;
}

ParameterizedTest(struct corpus_file *f, hostile, config, .init = suppress_library_leaks) {
        _cleanup_free_ char *src = xasprintf("%s/tests/hostile/configs/%s.conf", test_srcdir(), f->name);
        _cleanup_free_ char *expect_path = xasprintf("%s/tests/hostile/configs/%s.expect", test_srcdir(), f->name);
        struct expectation x;
        expectation_read(expect_path, &x);
        cr_assert(x.refused != has_directive(&x, "accepted", NULL), "%s: say either refused or accepted", expect_path);

        /* In a directory of its own: the database of an accepted configuration is created next to it. */
        _cleanup_free_ char *dir = test_mkdtemp();
        _cleanup_free_ char *name = xasprintf("%s.conf", f->name);
        _cleanup_free_ char *conf = copy_file(src, dir, name);
        static const char *const commands[][4] = {
                {"merzimd", "--check-config", "-c", NULL},
                {"merzimctl", "-c", NULL, "plans"},
        };
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                const char *argv[5];
                for (size_t k = 0; k < 4; k++)
                        argv[k] = commands[i][k] ? commands[i][k] : conf;
                argv[4] = NULL;
                _cleanup_free_ char *out = NULL, *err = NULL;
                _cleanup_free_ char *what = xasprintf("%s (%s)", f->name, commands[i][0]);
                int status = test_run(argv, NULL, &out, &err);
                assert_sane(what, status, err);
                bool refused = x.refused && !has_directive(&x, "accepted-by", commands[i][0]);
                if (refused) {
                        cr_expect_eq(status, 1, "%s: exit status %d, not 1 (refused):\n%s%s", what, status, out, err);
                        assert_refusals(what, &x, conf, err);
                } else {
                        cr_expect_eq(status, 0, "%s: exit status %d, not 0 (accepted):\n%s", what, status, err);
                }
        }
        if (x.refused && !has_directive(&x, "accepted-by", "merzimctl")) {
                _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
                cr_expect_neq(access(db, F_OK), 0, "%s: refused, yet merzimctl created %s", f->name, db);
        }
        expectation_free(&x);
        test_rmdir(dir);
}
