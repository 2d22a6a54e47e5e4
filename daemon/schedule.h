/* From stages to messages: who is told of which occurrence at a stage (with agencies that have no
 * contact routed to the coordinator), and everything due to one recipient at one send time gathered
 * into one message with a stable key. Pure: the same code makes the daemon's messages and the
 * preview's timeline. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "date.h"
#include "policy.h"

struct executor {
        char *code;
        bool by_agreement;
};

struct plan_info {
        int64_t id;
        char *title;
        char *coordinator; /* agency codes, or NULL */
        char *supervisor;
};

struct occurrence_info {
        int64_t id;
        const struct plan_info *plan;
        int64_t measure_id;
        int measure; /* its number in the plan */
        char *measure_name;
        char *form; /* the completion form */
        char *period;
        char *status;
        char *report_to;
        day_t nominal, effective;
        struct executor *executors; /* lead first */
        size_t n_executors;
};

/* An agency without contact that an item is forwarded for. */
struct forwarded {
        const char *code;
        bool by_agreement;
};

struct message_item {
        const struct occurrence_info *occ;
        struct stage stage;
        unsigned roles;    /* the recipient's own roles (enum role bits); 0 if it is only forwarded */
        bool by_agreement; /* the recipient itself takes part by agreement */
        struct forwarded *forwarded; /* agencies without contact this is forwarded for, by code */
        size_t n_forwarded;
};

struct message {
        int64_t at;
        day_t day;
        char *recipient; /* agency code it is delivered to */
        bool catch_up;
        const char *kind; /* "reminder", "due", "escalation", "digest", "catch-up" */
        char stage[STAGE_NAME_MAX]; /* shared by all items, or "mixed", "catch-up" */
        struct message_item *items;
        size_t n_items;
        char key[65]; /* hex SHA-256 of recipient, time, kind, stage and items */
};

struct schedule {
        const struct config *cfg;
        struct message *messages;
        size_t n_messages;
        /* Private to schedule.c: the messages by time, kind and recipient (open addressing, message
         * index + 1, 0 for an empty slot), so that a send time with thousands of recipients is not
         * quadratic. Zero-initialized is right. */
        size_t *slots;
        size_t n_slots;
        /* If set, only the messages it wants are made: it is asked for each recipient and send instant
         * before an item is added (the notifier works through a wake-up a group of recipients at a time). */
        bool (*want)(int64_t at, const char *recipient, void *userdata);
        void *want_data;
};

/* Tell the recipients of stage st about occ, at st->at; with catch_up, in the recipients' catch-up
 * digests sent at the instant `at` instead. */
void schedule_add(struct schedule *s, const struct occurrence_info *occ, const struct stage *st, bool catch_up,
                  int64_t at);
/* Order the messages by time and recipient and give each its kind, stage and key. */
void schedule_finish(struct schedule *s);
void schedule_clear(struct schedule *s);
void message_clear(struct message *m);

/* Where a message to agency code goes: itself if it has a contact, else the plan's coordinator if that
 * has one (*on_behalf_of = code), else itself with no channel. */
const char *schedule_route(const struct config *cfg, const struct plan_info *plan, const char *code,
                           const char **on_behalf_of);
/* The agencies an item is forwarded for, "A, B", or NULL if none. Caller frees. */
char *message_item_forwarded(const struct message_item *it);
/* "email", "webhook" channels of an agency as a bit set: 1 e-mail, 2 webhook. */
unsigned schedule_channels(const struct config *cfg, const char *code);

void occurrence_info_free(struct occurrence_info *o);
void plan_info_free(struct plan_info *p);
