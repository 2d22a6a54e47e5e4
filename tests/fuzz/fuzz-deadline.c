/* libFuzzer target: the deadline language. Any phrase is read or refused with a message; a rule that is
 * read writes a canonical text that reads back as the same rule, and expands without trouble. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "deadline.h"
#include "utf8.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_rule(const struct deadline *a, const struct deadline *b) {
        return a->kind == b->kind && a->year_from == b->year_from && a->year_to == b->year_to &&
               (a->kind == DEADLINE_CONTINUOUS ||
                (a->day == b->day && (a->kind == DEADLINE_QUARTERLY || a->month == b->month) &&
                 (a->kind != DEADLINE_ONCE || (a->year == b->year && a->unit == b->unit && a->part == b->part))));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 4096)
                return 0;
        _cleanup_free_ char *phrase = xstrndup((const char *) data, size);
        struct deadline dl;
        char err[256];
        size_t bad;
        if (deadline_parse(phrase, &dl, err, sizeof(err)) < 0) {
                /* The message is text, even when it quotes a phrase too long for it. */
                if (isempty(err) || (utf8_valid(phrase, strlen(phrase), &bad) && !utf8_valid(err, strlen(err), &bad)))
                        abort();
                return 0;
        }

        char rule[128];
        deadline_format(&dl, rule, sizeof(rule));
        struct deadline again;
        if (deadline_parse(rule, &again, err, sizeof(err)) < 0 || !same_rule(&dl, &again)) {
                fprintf(stderr, "'%s' makes the rule '%s', which does not read back: %s\n", phrase, rule, err);
                abort();
        }

        static const int ranges[][2] = {{0, 0}, {2022, 2024}, {1900, 2199}};
        for (size_t i = 0; i < ELEMENTSOF(ranges); i++) {
                struct deadline_occurrence *occ = NULL;
                int n = deadline_expand(&dl, ranges[i][0], ranges[i][1], &occ);
                for (int k = 1; k < n; k++)
                        if (occ[k].nominal < occ[k - 1].nominal)
                                abort(); /* in date order */
                free(occ);
        }
        return 0;
}
