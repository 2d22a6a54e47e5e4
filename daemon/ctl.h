/* merzimctl: shared state of a command and the helpers every command uses. */
#pragma once

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "store.h"

#define EXIT_USAGE 2
/* merzimctl import: the plan was imported, but some measures are undated. */
#define CTL_EXIT_UNDATED 3

struct ctl {
        const char *command;
        const char *usage; /* of the command */
        char *config_path; /* -c */
        struct config *config;
        struct store *store;
        struct calendar *calendar;
        bool json;
        int64_t now;
        const char *now_arg; /* --now, read in the configured time zone */
        char *actor;         /* who runs merzimctl, for the history: "merzimctl (user)" */
        bool may_create;     /* the command may make the database (import) */
};

/* A command-specific option: called with getopt's result; returns 0 or EXIT_USAGE after
 * ctl_usage_error(). */
typedef int (*ctl_option_fn)(struct ctl *ctl, int opt, const char *arg, void *userdata);

/* Parse the command's arguments: the common options (-c FILE, --json, --now T, -h) and its own.
 * Returns the index of the first operand, or -EXIT_USAGE after printing the error and usage, or
 * -1 after printing help (exit 0). */
int ctl_parse(struct ctl *ctl, int argc, char **argv, const char *shortopts, const struct option *longopts,
              ctl_option_fn fn, void *userdata);
/* Print "merzimctl COMMAND: message" and the command's usage; returns EXIT_USAGE. fmt is a message id,
 * translated here (make update-po knows ctl_usage_error as a keyword). */
int ctl_usage_error(struct ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Load what a command needs, once; errors are printed. Return 0 or a negative errno. */
int ctl_load_config(struct ctl *ctl);
int ctl_open_store(struct ctl *ctl);
int ctl_load_calendar(struct ctl *ctl);

/* A figure of a summary: what is counted (a translated label) and how many. */
struct ctl_figure {
        const char *label;
        long long value;
};
/* Print figures one a line as "INDENT label: number", the numbers aligned whatever the language's
 * labels: each count is a message of its own. */
void ctl_print_figures(const char *indent, const struct ctl_figure *figures, size_t n);

/* Print a JSON value to stdout followed by a newline, and free it. */
void ctl_print_json(json_t *v);
/* Parse "A-B" years; returns 0 or -EINVAL. */
int ctl_parse_years(const char *s, int *from, int *to);
/* Resolve a plan argument (id), or 0 for any; errors are printed. */
int ctl_parse_plan(struct ctl *ctl, const char *arg, int64_t *ret);
/* An agency as the user typed it: the exact code, or else the one code that matches when case, spaces
 * and quotes are ignored ("атамекен ҰКП" for "\"Атамекен\" ҰКП"). Needs the store open. Returns an exit
 * status after printing the error, or -1 with the code in *ret (caller frees). */
int ctl_resolve_agency(struct ctl *ctl, const char *arg, char **ret);

int cmd_import(struct ctl *ctl, int argc, char **argv);
int cmd_deadline(struct ctl *ctl, int argc, char **argv);
int cmd_due(struct ctl *ctl, int argc, char **argv);
int cmd_event(struct ctl *ctl, int argc, char **argv);
int cmd_plans(struct ctl *ctl, int argc, char **argv);
int cmd_measures(struct ctl *ctl, int argc, char **argv);
int cmd_agencies(struct ctl *ctl, int argc, char **argv);
int cmd_occurrences(struct ctl *ctl, int argc, char **argv);
int cmd_done(struct ctl *ctl, int argc, char **argv);
int cmd_reopen(struct ctl *ctl, int argc, char **argv);
int cmd_waive(struct ctl *ctl, int argc, char **argv);
int cmd_schedule(struct ctl *ctl, int argc, char **argv);
int cmd_ics(struct ctl *ctl, int argc, char **argv);
int cmd_status(struct ctl *ctl, int argc, char **argv);
int cmd_report(struct ctl *ctl, int argc, char **argv);
int cmd_token(struct ctl *ctl, int argc, char **argv);
int cmd_outbox(struct ctl *ctl, int argc, char **argv);
