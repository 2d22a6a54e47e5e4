/* merzimd: reminds agencies of their deadlines and escalates missed ones. */
#include "config.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "conf.h"
#include "daemon.h"
#include "i18n.h"
#include "log.h"
#include "tzone.h"
#include "util.h"

static void usage(FILE *f) {
        fprintf(f, _("Usage: merzimd [-c FILE] [--check-config] [--now TIME] [--debug]\n\n"
                   "  -c, --config FILE   the configuration (default $MERZIM_CONFIG or %s)\n"
                   "      --check-config  check the configuration, print \"configuration OK\" or every error, and exit\n"
                   "      --now TIME      testing: start the daemon's clock at TIME (YYYY-MM-DDTHH:MM, local)\n"
                   "                      and let it run on from there\n"
                   "  -d, --debug         log debug messages too\n"
                   "  -h, --help          show this help\n"
                   "  -V, --version       show the version\n"),
                   CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv) {
        enum { OPT_CHECK = 0x100, OPT_NOW };
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"check-config", no_argument, NULL, OPT_CHECK},
                {"now", required_argument, NULL, OPT_NOW},
                {"debug", no_argument, NULL, 'd'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        struct daemon_options o = {0};
        const char *now_arg = NULL;
        bool check = false;
        int opt;
        i18n_init();
        log_open("merzimd");
        /* Started outside its unit (UMask=0007) too: the database, its journal and what else merzimd
         * writes are for its group (operators) and for nobody else. */
        umask(0007);
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":c:dhV", opts, NULL)) >= 0) {
                switch (opt) {
                case 'c':
                        o.config_path = optarg;
                        break;
                case OPT_CHECK:
                        check = true;
                        break;
                case OPT_NOW:
                        now_arg = optarg;
                        break;
                case 'd':
                        log_set_max_level(LOG_DEBUG);
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_SUCCESS;
                case 'V':
                        puts(PACKAGE_STRING);
                        return EXIT_SUCCESS;
                case ':':
                        fprintf(stderr, _("merzimd: option %s needs a value\n"), argv[optind - 1]);
                        usage(stderr);
                        return 2;
                default:
                        fprintf(stderr, _("merzimd: unknown option %s\n"), argv[optind - 1]);
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, _("merzimd: unexpected argument \"%s\"\n"), argv[optind]);
                usage(stderr);
                return 2;
        }
        if (check)
                return daemon_check_config(o.config_path) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        /* Before any thread: the mail thread uses libcurl too. */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        struct daemon *d;
        if (daemon_new(&o, &d) < 0)
                return EXIT_FAILURE;
        /* --now is local time in the configured zone, which daemon_new has set. */
        if (now_arg) {
                int64_t t;
                if (tz_parse(now_arg, &t) < 0) {
                        fprintf(stderr, _("merzimd: --now wants YYYY-MM-DDTHH:MM, not \"%s\"\n"), now_arg);
                        daemon_free(d);
                        return 2;
                }
                daemon_set_clock(d, t);
        }
        int r = daemon_run(d);
        daemon_free(d);
        curl_global_cleanup();
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
