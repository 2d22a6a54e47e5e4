/* merzimctl import: read a roadmap document into the store. */
#include "config.h"

#include <malloc.h>
#include <stdio.h>

#include "ctl.h"
#include "i18n.h"
#include "import.h"
#include "roadmap.h"
#include "util.h"

struct import_args {
        bool dry_run, strict;
        const char *coordinator;
        int year_from, year_to;
};

enum { OPT_DRY_RUN = 0x2000, OPT_COORDINATOR, OPT_YEARS, OPT_STRICT };

static int import_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct import_args *a = userdata;
        switch (opt) {
        case OPT_DRY_RUN:
                a->dry_run = true;
                return 0;
        case OPT_STRICT:
                a->strict = true;
                return 0;
        case OPT_COORDINATOR:
                a->coordinator = arg;
                return 0;
        case OPT_YEARS:
                if (ctl_parse_years(arg, &a->year_from, &a->year_to) < 0)
                        return ctl_usage_error(ctl, "--years wants FIRST-LAST, e.g. 2022-2024, not \"%s\"", arg);
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

static void print_report(struct ctl *ctl, const char *file, const struct roadmap *r, const struct import_report *rep,
                         bool dry_run) {
        if (ctl->json) {
                json_t *o = json_pack("{s:s, s:I, s:s, s:s?, s:s?, s:b, s:b, s:b}", "file", file, "plan", rep->plan_id,
                                      "title", r->title, "doc_number", r->doc_number, "doc_date", r->doc_date,
                                      "dry_run", dry_run, "created", rep->plan_created, "unchanged", rep->unchanged);
                json_object_set_new(o, "totals", json_pack("{s:i, s:i, s:i, s:i, s:I}", "sections", rep->n_sections,
                                                           "measures", rep->n_measures, "occurrences",
                                                           rep->n_occurrences, "agencies", rep->n_agencies,
                                                           "undated", (json_int_t) rep->n_waiting));
                json_t *warnings = json_array();
                for (size_t k = 0; k < r->warnings.n; k++)
                        json_array_append_new(warnings, json_string(r->warnings.msgs[k]));
                json_object_set_new(o, "warnings", warnings);
                json_object_set_new(o, "format", json_string(doc_format_name(r->format)));
                json_object_set_new(o, "changes",
                                    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "measures_added",
                                              rep->measures_added, "measures_updated", rep->measures_updated,
                                              "measures_withdrawn", rep->measures_withdrawn, "occurrences_added",
                                              rep->occurrences_added, "occurrences_rescheduled",
                                              rep->occurrences_rescheduled, "occurrences_withdrawn",
                                              rep->occurrences_withdrawn, "agencies_added", rep->agencies_added));
                ctl_print_json(o);
                return;
        }
        printf(_("%s: plan %lld \"%s\"\n"), file, (long long) rep->plan_id, r->title);
        if (r->doc_date || r->doc_number) {
                char date[DATE_SHOWN_MAX];
                day_t d;
                const char *date_text = !r->doc_date                          ? "?"
                                        : date_parse(r->doc_date, &d) >= 0 ? date_shown(d, date)
                                                                              : r->doc_date;
                printf(_("  edition: %s № %s\n"), date_text, r->doc_number ? r->doc_number : "?");
        }
        printf(r->format == DOC_HTML ? _("  read from a web page (HTML):\n")
               : r->format == DOC_DOCX ? _("  read from a Word document (.docx):\n")
                                       : _("  read from text:\n"));
        const struct ctl_figure read[] = {
                {_("sections"), rep->n_sections},
                {_("measures"), rep->n_measures},
                {_("occurrences"), rep->n_occurrences},
                {_("agencies"), rep->n_agencies},
        };
        ctl_print_figures("    ", read, ELEMENTSOF(read));
        if (rep->n_waiting)
                printf(plural("  %d measure is undated: its deadline gives no date (see the warnings above); give it "
                              "a date with merzimctl due, or its event's with merzimctl event\n",
                              "  %d measures are undated: their deadline gives no date (see the warnings above); give "
                              "each a date with merzimctl due, or its event's with merzimctl event\n",
                              (unsigned long) rep->n_waiting),
                       rep->n_waiting);
        if (rep->unchanged) {
                printf(_("  this document was imported before: nothing changed\n"));
                return;
        }
        printf(dry_run ? _("  would change:\n") : _("  changed:\n"));
        const struct ctl_figure changes[] = {
                {_("measures added"), rep->measures_added},
                {_("measures updated"), rep->measures_updated},
                {_("measures withdrawn"), rep->measures_withdrawn},
                {_("occurrences added"), rep->occurrences_added},
                {_("occurrences rescheduled"), rep->occurrences_rescheduled},
                {_("occurrences withdrawn"), rep->occurrences_withdrawn},
                {_("new agencies"), rep->agencies_added},
        };
        ctl_print_figures("    ", changes, ELEMENTSOF(changes));
        if (dry_run)
                printf(_("  dry run: nothing was written\n"));
}

int cmd_import(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                {"coordinator", required_argument, NULL, OPT_COORDINATOR},
                {"years", required_argument, NULL, OPT_YEARS},
                {"strict", no_argument, NULL, OPT_STRICT},
                {},
        };
        struct import_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, import_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (argc - i != 1)
                return ctl_usage_error(ctl, "give exactly one document to import");
        const char *file = argv[i];
        /* A large import makes and frees millions of small blocks and a page cache of up to 64 MiB. With
         * glibc's fast bins, each large block freed (the page cache as the store closes, above all) first
         * merges every small block waiting in them: 0.1 s of the 2.5 s of a 100,000-measure import. Small
         * blocks still go through the per-thread cache. */
        mallopt(M_MXFAST, 0);

        _cleanup_free_ char *text = NULL;
        size_t len;
        /* A byte more than a document may have, for the parser to refuse it: no more is read. */
        int r = read_file_max(file, DOC_SIZE_MAX, &text, &len);
        if (r == -EFBIG) {
                fprintf(stderr, _("%s: the document is larger than %u MiB: merzim reads documents of up to %u MiB\n"),
                        file, DOC_SIZE_MAX >> 20, DOC_SIZE_MAX >> 20);
                return EXIT_FAILURE;
        }
        if (r < 0) {
                fprintf(stderr, _("merzimctl import: cannot read %s: %s\n"), file, strerror(-r));
                return EXIT_FAILURE;
        }

        struct roadmap *map;
        struct errlist errs = {0};
        struct roadmap_options ro = {.strict = a.strict, .year_from = a.year_from, .year_to = a.year_to};
        r = roadmap_parse(text, len, file, &ro, &map, &errs);
        /* The plan's settings, found by its title, may say how to read its deadlines: read it again. */
        const struct plan_settings *settings = r >= 0 && ctl_load_config(ctl) >= 0 ? config_plan(ctl->config, map->title)
                                                                                    : NULL;
        if (settings && (settings->month_start || (settings->year_from && !a.year_from))) {
                ro.month_start = settings->month_start;
                if (!a.year_from)
                        ro.year_from = settings->year_from, ro.year_to = settings->year_to;
                roadmap_free(map);
                errlist_clear(&errs);
                r = roadmap_parse(text, len, file, &ro, &map, &errs);
        }
        for (size_t k = 0; k < errs.n; k++)
                fprintf(stderr, "%s\n", errs.msgs[k]);
        if (r < 0) {
                fprintf(stderr,
                        plural("merzimctl import: %zu error in %s; nothing was imported\n",
                               "merzimctl import: %zu errors in %s; nothing was imported\n", errs.n),
                        errs.n, file);
                errlist_clear(&errs);
                return EXIT_FAILURE;
        }
        errlist_clear(&errs);
        for (size_t k = 0; k < map->warnings.n; k++)
                fprintf(stderr, "%s\n", map->warnings.msgs[k]);

        if (ctl_load_calendar(ctl) < 0 || ctl_open_store(ctl) < 0) {
                roadmap_free(map);
                return EXIT_FAILURE;
        }
        const struct plan_settings *ps = config_plan(ctl->config, map->title);
        char digest[65];
        import_digest(text, len, digest);
        free(TAKE_PTR(text)); /* a large document's bytes are not needed while its plan is written */
        struct import_options o = {
                .source_name = file,
                .sha256 = digest,
                .actor = ctl->actor,
                .coordinator = a.coordinator ? a.coordinator : (ps ? ps->coordinator : NULL),
                .year_from = a.year_from ? a.year_from : (ps ? ps->year_from : 0),
                .year_to = a.year_to ? a.year_to : (ps ? ps->year_to : 0),
                .calendar = ctl->calendar,
                .due_shift = ctl->config->due_shift,
                .now = ctl->now,
                .dry_run = a.dry_run,
        };
        struct import_report rep;
        r = import_roadmap(ctl->store, map, &o, &rep);
        if (r < 0)
                fprintf(stderr, _("merzimctl import: %s was not imported; the database is unchanged\n"), file);
        else
                print_report(ctl, file, map, &rep, a.dry_run);
        int undated = rep.n_waiting;
        roadmap_free(map);
        if (r < 0)
                return EXIT_FAILURE;
        /* A script can tell that measures wait for a date from the coordinator. */
        return undated ? CTL_EXIT_UNDATED : EXIT_SUCCESS;
}
