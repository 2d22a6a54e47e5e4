/* libFuzzer target: the configuration loader, libconfig included. Each input is written to a file in a
 * directory of its own and loaded as merzimd and merzimctl load it: accepted, or refused with errors that
 * name the file and are UTF-8 text. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf.h"
#include "utf8.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/merzim-fuzz-config-XXXXXX";
static char *path;

static void remove_dir(void) {
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        if (!mkdtemp(dir))
                abort();
        path = xasprintf("%s/merzim.conf", dir);
        atexit(remove_dir);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, data, size) != (ssize_t) size || close(fd) < 0)
                abort();

        struct config *c = NULL;
        struct errlist errs = {0};
        int r = config_load(path, &c, &errs);
        if ((r < 0) != (errs.n > 0) || (r < 0) != (c == NULL))
                abort();
        for (size_t i = 0; i < errs.n; i++) {
                size_t bad;
                if (strncmp(errs.msgs[i], path, strlen(path)) != 0 ||
                    !utf8_valid(errs.msgs[i], strlen(errs.msgs[i]), &bad)) {
                        fprintf(stderr, "a bad message: %s\n", errs.msgs[i]);
                        abort();
                }
        }
        /* The agencies read a slice at a time give what libconfig's tree of the whole file gives. */
        struct config *whole = NULL;
        struct errlist whole_errs = {0};
        int rw = config_load_flags(path, CONFIG_WHOLE, &whole, &whole_errs);
        if (rw != r || whole_errs.n != errs.n || (c && (whole->n_agencies != c->n_agencies || whole->n_plans != c->n_plans)))
                abort();
        for (size_t i = 0; i < errs.n; i++)
                if (!streq(errs.msgs[i], whole_errs.msgs[i])) {
                        fprintf(stderr, "sliced: %s\nwhole: %s\n", errs.msgs[i], whole_errs.msgs[i]);
                        abort();
                }
        for (size_t i = 0; c && i < c->n_agencies; i++)
                if (!streq(c->agencies[i].code, whole->agencies[i].code) || c->agencies[i].line != whole->agencies[i].line ||
                    !streq_ptr(c->agencies[i].webhook_url, whole->agencies[i].webhook_url))
                        abort();
        config_free(whole);
        errlist_clear(&whole_errs);
        config_free(c);
        errlist_clear(&errs);
        return 0;
}
