/* libFuzzer target: confirmation tokens. Any text is read or refused; a token that is read has one
 * spelling only, so writing its parts again gives back exactly the text read; and one that a secret
 * verifies is exactly the token made with that secret (the seeds, tests/fuzz/link-tokens.txt, are). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "link.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 1024)
                return 0;
        _cleanup_free_ char *token = xstrndup((const char *) data, size);
        int64_t id, expires;
        char *agency = NULL;
        unsigned char mac[LINK_MAC_BYTES];
        if (link_parse(token, &id, &expires, &agency, mac) < 0)
                return 0;
        _cleanup_free_ char *again = link_format(id, expires, agency, mac);
        if (!streq(again, token)) {
                fprintf(stderr, "'%s' was read as '%s': another spelling of a token\n", token, again);
                abort();
        }
        free(agency);
        agency = NULL;
        int64_t verified;
        if (link_verify("fuzzing-secret-0123456789abcdef", token, 0, &verified, &agency) == 0) {
                _cleanup_free_ char *made = link_token("fuzzing-secret-0123456789abcdef", verified, agency, expires);
                if (!streq(made, token)) {
                        fprintf(stderr, "'%s' verified, but the token made with the secret is '%s'\n", token, made);
                        abort();
                }
        }
        free(agency);
        return 0;
}
