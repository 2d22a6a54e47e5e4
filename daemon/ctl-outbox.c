/* merzimctl outbox retry: send failed deliveries again once their cause is fixed (an address corrected in
 * the configuration, a relay or endpoint back). merzimd sees the change at once. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "outbox.h"
#include "util.h"

struct outbox_args {
        bool failed;
        const char *agency;
};

enum { OPT_FAILED = 0x2000, OPT_AGENCY };

static int outbox_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct outbox_args *a = userdata;
        switch (opt) {
        case OPT_FAILED:
                a->failed = true;
                return 0;
        case OPT_AGENCY:
                a->agency = arg;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

/* Say what became of each delivery. */
static void print_retried(struct ctl *ctl, const struct outbox_retried *v, size_t n) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                const char *channel = streq(v[i].channel, "email") ? _("e-mail") : _("webhook");
                json_t *to = v[i].replaced_by ? json_array() : json_null();
                for (char **p = v[i].replaced_by; p && *p; p++)
                        json_array_append_new(to, json_string(*p));
                json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t) v[i].id, "agency",
                                                     v[i].agency, "channel", v[i].channel, "address", v[i].address,
                                                     "sent_to", to));
                if (ctl->json)
                        continue;
                if (!v[i].replaced_by) {
                        printf(_("#%lld %s %s to %s: goes out again\n"), (long long) v[i].id, v[i].agency, channel,
                               v[i].address);
                } else if (!v[i].replaced_by[0]) {
                        printf(_("#%lld %s %s to %s: %s no longer has that address, and its addresses now have "
                                 "the message already\n"), (long long) v[i].id, v[i].agency, channel, v[i].address,
                               v[i].agency);
                } else {
                        struct buf to_list = {0};
                        for (char **p = v[i].replaced_by; *p; p++)
                                buf_printf(&to_list, "%s%s", p == v[i].replaced_by ? "" : ", ", *p);
                        printf(_("#%lld %s %s to %s: %s no longer has that address; goes to %s instead\n"),
                               (long long) v[i].id, v[i].agency, channel, v[i].address, v[i].agency, to_list.data);
                        buf_free(&to_list);
                }
        }
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                printf(plural("put back in line: %zu; merzimd sends it as soon as it sees the change\n",
                              "put back in line: %zu; merzimd sends them as soon as it sees the change\n", n),
                       n);
        }
}

int cmd_outbox(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"failed", no_argument, NULL, OPT_FAILED},
                {"agency", required_argument, NULL, OPT_AGENCY},
                {},
        };
        struct outbox_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, outbox_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i >= argc || !streq(argv[i], "retry"))
                return ctl_usage_error(ctl, "say \"outbox retry ID\" or \"outbox retry --failed\"");
        i++;
        if (a.failed == (i < argc))
                return ctl_usage_error(ctl, "retry one delivery by its ID (merzimctl status shows it as #ID), or "
                                            "every failed one with --failed");
        if (i < argc - 1)
                return ctl_usage_error(ctl, "one ID at a time, or --failed");
        if (a.agency && !a.failed)
                return ctl_usage_error(ctl, "--agency goes with --failed");
        unsigned long id = 0;
        if (i < argc && parse_uint(argv[i][0] == '#' ? argv[i] + 1 : argv[i], INT64_MAX, &id) < 0)
                return ctl_usage_error(ctl, "\"%s\" is not a delivery ID (a number, as merzimctl status shows)", argv[i]);
        if (i < argc && id == 0)
                return ctl_usage_error(ctl, "there is no delivery 0");
        if (ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        _cleanup_free_ char *agency = NULL;
        if (a.agency) {
                int r = ctl_resolve_agency(ctl, a.agency, &agency);
                if (r >= 0)
                        return r;
        }

        struct outbox_retried *v;
        size_t n;
        int r = outbox_retry(ctl->store, ctl->config, (int64_t) id, agency, ctl->now, &v, &n);
        if (r == -ENOENT) {
                fprintf(stderr, _("merzimctl outbox: there is no delivery %lu\n"), id);
                return EXIT_FAILURE;
        }
        if (r == -EALREADY) {
                fprintf(stderr, _("merzimctl outbox: delivery %lu was delivered or cancelled: nothing to send again\n"),
                        id);
                return EXIT_FAILURE;
        }
        if (r < 0)
                return EXIT_FAILURE;
        print_retried(ctl, v, n);
        outbox_retried_free(v, n);
        return EXIT_SUCCESS;
}
