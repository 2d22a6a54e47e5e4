/* libFuzzer target: the deadline language. Any phrase is read or refused with a message; the rules it
 * reads into write a canonical text that reads back as the same rules, and each expands in date order. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "deadline.h"
#include "utf8.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read a phrase in a plan's context; abort if a refusal has no message or a reading does not read back. */
static void read_in(const char *phrase, const struct deadline_context *ctx) {
        struct deadline_rules rules, again;
        char err[256], text[8192], back[8192];
        size_t bad;
        if (deadline_read(phrase, ctx, &rules, err, sizeof(err)) < 0) {
                /* The message is text, even when it quotes a phrase too long for it. */
                if (isempty(err) || (utf8_valid(phrase, strlen(phrase), &bad) && !utf8_valid(err, strlen(err), &bad)))
                        abort();
                return;
        }
        if (rules.n == 0 || rules.n > DEADLINE_RULES_MAX)
                abort();
        deadline_format_rules(&rules, text, sizeof(text));
        if (deadline_read(text, NULL, &again, err, sizeof(err)) < 0) {
                fprintf(stderr, "'%s' makes the rules '%s', which do not read back: %s\n", phrase, text, err);
                abort();
        }
        deadline_format_rules(&again, back, sizeof(back));
        if (again.n != rules.n || !streq(text, back)) {
                fprintf(stderr, "'%s' makes the rules '%s', which read back as '%s'\n", phrase, text, back);
                abort();
        }
        static const int ranges[][2] = {{0, 0}, {2022, 2024}, {1900, 2199}};
        for (size_t k = 0; k < rules.n; k++)
                for (size_t i = 0; i < ELEMENTSOF(ranges); i++) {
                        struct deadline_occurrence *occ = NULL;
                        int n = deadline_expand(&rules.rule[k], ranges[i][0], ranges[i][1], &occ);
                        for (int j = 1; j < n; j++)
                                if (occ[j].nominal < occ[j - 1].nominal)
                                        abort(); /* in date order */
                        free(occ);
                }
        struct deadline_occurrence *all = NULL;
        int n = deadline_expand_rules(&rules, 2022, 2024, &all);
        for (int j = 0; j < n; j++)
                for (int i = 0; i < j; i++)
                        if (streq(all[i].period, all[j].period)) {
                                fprintf(stderr, "'%s' gives the period %s twice\n", phrase, all[j].period);
                                abort(); /* a measure has one occurrence a period */
                        }
        free(all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 4096)
                return 0;
        _cleanup_free_ char *phrase = xstrndup((const char *) data, size);
        static const struct deadline_context plans[] = {{0, 0, false}, {2022, 2022, true}, {2022, 2024, false}};
        for (size_t i = 0; i < ELEMENTSOF(plans); i++)
                read_in(phrase, &plans[i]);
        read_in(phrase, NULL);
        return 0;
}
