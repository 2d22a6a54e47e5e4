/* merzimd's event loop: one timer for the next due stage or retry, deliveries through curl's multi
 * interface, changes by merzimctl noticed through inotify on the database, signals, and systemd's
 * notifications. */
#pragma once

#include <stdint.h>

struct daemon;

struct daemon_options {
        const char *config_path; /* NULL: the default */
};

/* Load the configuration and everything it names, and open the store. Errors are logged. */
int daemon_new(const struct daemon_options *o, struct daemon **ret);
/* Testing: start the daemon's clock at the instant t; it runs on from there. */
void daemon_set_clock(struct daemon *d, int64_t t);
/* Run until SIGTERM or SIGINT; returns 0 or a negative errno. */
int daemon_run(struct daemon *d);
void daemon_free(struct daemon *d);

/* Check a configuration as merzimd would load it: print every problem, or "configuration OK".
 * Returns 0 if it is fine. */
int daemon_check_config(const char *config_path);
