/* merzimctl token: make a bearer token for the HTTP interface. The token is shown once; the
 * configuration keeps only its SHA-256. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>

#include "ctl.h"
#include "util.h"

struct token_args {
        bool coordinator, feed;
        const char *name;
};

enum { OPT_COORDINATOR = 0x2000, OPT_NAME, OPT_FEED };

static int token_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct token_args *a = userdata;
        if (opt == OPT_COORDINATOR) {
                a->coordinator = true;
                return 0;
        }
        if (opt == OPT_NAME) {
                a->name = arg;
                return 0;
        }
        if (opt == OPT_FEED) {
                a->feed = true;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

int cmd_token(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"coordinator", no_argument, NULL, OPT_COORDINATOR},
                {"name", required_argument, NULL, OPT_NAME},
                {"feed", no_argument, NULL, OPT_FEED},
                {},
        };
        struct token_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, token_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (argc - i < 1 || !streq(argv[i], "new"))
                return ctl_usage_error(ctl, "say \"token new AGENCY\" or \"token new --coordinator\"");
        const char *agency = argc - i == 2 ? argv[i + 1] : NULL;
        if (a.coordinator == (agency != NULL) || argc - i > 2)
                return ctl_usage_error(ctl, "a token is for one AGENCY or --coordinator");
        if (agency && strpbrk(agency, "\"\\\r\n"))
                return ctl_usage_error(ctl, "an agency code with quotes: write it in the configuration by hand");
        if (a.name && strpbrk(a.name, "\"\\\r\n"))
                return ctl_usage_error(ctl, "--name cannot hold quotes, backslashes or line breaks");

        unsigned char raw[32];
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
                fprintf(stderr, _("merzimctl token: no randomness available\n"));
                return EXIT_FAILURE;
        }
        char token[64];
        EVP_EncodeBlock((unsigned char *) token, raw, sizeof(raw));
        for (char *p = token; *p; p++)
                *p = *p == '+' ? '-' : *p == '/' ? '_' : *p == '=' ? 0 : *p;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        char hex[65];
        EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
        for (unsigned k = 0; k < 32 && k < n; k++)
                snprintf(hex + 2 * k, 3, "%02x", md[k]);

        if (ctl->json) {
                ctl_print_json(json_pack("{s:s, s:s?, s:b, s:b, s:s}", "token", token, "agency", agency, "coordinator",
                                         a.coordinator, "feed", a.feed, "sha256", hex));
                return EXIT_SUCCESS;
        }
        printf(_("token: %s\n\n"), token);
        if (a.feed)
                printf(_("A feed token: it reads the calendar feed (and, the coordinator's, the status page) and changes\n"
                       "nothing; it is the one kind of token a URL may carry: PUBLIC_URL/calendar.ics?token=%s\n\n"),
                       token);
        else
                printf(_("A full token: for the API, in the Authorization header only (Bearer); never in a URL.\n\n"));
        printf(_("Give the token to its holder; it is not kept anywhere. Add this to http.tokens in merzim.conf\n"
               "and reload merzimd:\n\n"));
        _cleanup_free_ char *name = a.name ? xasprintf("name = \"%s\"; ", a.name) : xstrdup("");
        if (agency)
                printf("        { agency = \"%s\"; %s%ssha256 = \"%s\"; },\n", agency, name, a.feed ? "feed = true; " : "",
                       hex);
        else
                printf("        { coordinator = true; %s%ssha256 = \"%s\"; },\n", name, a.feed ? "feed = true; " : "",
                       hex);
        explicit_bzero(token, sizeof(token));
        return EXIT_SUCCESS;
}
