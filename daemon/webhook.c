/* Webhooks through libcurl: a signed JSON POST to an agency's endpoint, and what its answer means for
 * the delivery. The secret only ever goes into the HMAC. */
#include "config.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <strings.h>

#include "delivery.h"
#include "utf8.h"
#include "util.h"

#define RESPONSE_MAX 512 /* bytes of the response body kept for the audit */
#define KEY_MAX 255

struct webhook_job {
        struct curl_slist *headers;
        char response[RESPONSE_MAX];
        size_t response_len;
        char error[CURL_ERROR_SIZE];
};

/* Whether the idempotency key may go into a header as it is. */
static bool key_valid(const char *s) {
        if (isempty(s) || strlen(s) > KEY_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
                    !strchr("._-", *p))
                        return false;
        return true;
}

/* Whether an endpoint is an absolute http or https URL that libcurl parses, with nothing that could
 * end the request line. */
static bool endpoint_valid(const char *url) {
        if (isempty(url))
                return false;
        for (const unsigned char *p = (const unsigned char *) url; *p; p++)
                if (*p <= ' ' || *p == 0x7f)
                        return false;
        if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
                return false;
        CURLU *u = curl_url();
        if (!u)
                return false;
        char *host = NULL;
        bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
                  curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && !isempty(host);
        curl_free(host);
        curl_url_cleanup(u);
        return ok;
}

char *webhook_signature(const char *secret, const char *timestamp, const char *body) {
        static const char hex[] = "0123456789abcdef";
        unsigned char mac[EVP_MAX_MD_SIZE];
        size_t mac_len = 0;
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end(),
        };
        EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        EVP_MAC_CTX *ctx = hmac ? EVP_MAC_CTX_new(hmac) : NULL;

        secret = secret ? secret : "";
        timestamp = timestamp ? timestamp : "";
        body = body ? body : "";
        bool ok = ctx && EVP_MAC_init(ctx, (const unsigned char *) secret, strlen(secret), params) &&
                  EVP_MAC_update(ctx, (const unsigned char *) timestamp, strlen(timestamp)) &&
                  EVP_MAC_update(ctx, (const unsigned char *) ".", 1) &&
                  EVP_MAC_update(ctx, (const unsigned char *) body, strlen(body)) &&
                  EVP_MAC_final(ctx, mac, &mac_len, sizeof(mac));
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(hmac);
        if (!ok)
                return NULL;

        char *s = xmalloc(strlen("sha256=") + 2 * mac_len + 1);
        char *p = stpcpy(s, "sha256=");
        for (size_t i = 0; i < mac_len; i++) {
                *p++ = hex[mac[i] >> 4];
                *p++ = hex[mac[i] & 15];
        }
        *p = 0;
        return s;
}

/* Add a header line to the job's list. */
static void header_add(struct webhook_job *job, char *line) {
        struct curl_slist *l = curl_slist_append(job->headers, line);
        free(line);
        if (!l)
                abort(); /* out of memory, as xmalloc would */
        job->headers = l;
}

/* Keep the start of the response body for the audit and let the rest go by. */
static size_t on_response(char *data, size_t size, size_t n, void *userdata) {
        struct webhook_job *job = userdata;
        size_t len = size * n;
        size_t room = sizeof(job->response) - job->response_len;
        size_t take = len < room ? len : room;
        memcpy(job->response + job->response_len, data, take);
        job->response_len += take;
        return len;
}

/* Make the easy handle forget everything that points into the job, so that the job can be freed. */
static void webhook_detach(CURL *easy) {
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, NULL);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
}

/* Set the transfer's options; any failure means this libcurl cannot do what the configuration asks. */
static int webhook_options(struct webhook_job *job, CURL *easy, const struct config *cfg,
                           const struct delivery *d) {
        const char *payload = d->payload ? d->payload : "";
        CURLcode c = CURLE_OK;

        job->error[0] = 0;
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job->error);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_URL, d->address);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(payload));
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, payload);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, job->headers);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, cfg->webhook_verify ? 1L : 0L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, cfg->webhook_verify ? 2L : 0L);
        if (!c && !isempty(cfg->webhook_ca_file))
                c = curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->webhook_ca_file);
        if (!c && cfg->timeout_seconds > 0)
                c = curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long) cfg->timeout_seconds);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_response);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_WRITEDATA, job);
        if (c == CURLE_OUT_OF_MEMORY)
                return -ENOMEM;
        return c == CURLE_OK ? 0 : -EOPNOTSUPP;
}

int webhook_setup(CURL *easy, const struct config *cfg, const struct delivery *d, int64_t now,
                  struct webhook_job **ret) {
        if (!easy || !cfg || !d || !ret)
                return -EINVAL;
        if (!endpoint_valid(d->address) || !key_valid(d->key))
                return -EINVAL;

        struct webhook_job *job = xcalloc(1, sizeof(*job));
        _cleanup_free_ char *timestamp = xasprintf("%" PRId64, now);
        header_add(job, xstrdup("Content-Type: application/json; charset=utf-8"));
        header_add(job, xstrdup("User-Agent: merzim/" PACKAGE_VERSION));
        header_add(job, xasprintf("X-Merzim-Timestamp: %s", timestamp));
        if (!isempty(d->secret)) {
                char *signature = webhook_signature(d->secret, timestamp, d->payload);
                if (!signature) {
                        webhook_job_free(job);
                        return -EIO;
                }
                header_add(job, xasprintf("X-Merzim-Signature: %s", signature));
                free(signature);
        }
        header_add(job, xasprintf("Idempotency-Key: %s", d->key));
        header_add(job, xstrdup("Expect:")); /* no 100-continue round trip before the body */

        int r = webhook_options(job, easy, cfg, d);
        if (r < 0) {
                webhook_detach(easy);
                webhook_job_free(job);
                return r;
        }
        *ret = job;
        return 0;
}

/* The response body as one line of valid UTF-8 for the audit. */
static char *response_text(const struct webhook_job *job) {
        struct buf b = {0};
        const char *p = job->response, *end = job->response + job->response_len;
        while (p < end) {
                int32_t cp = utf8_decode(&p, end);
                if (cp < 0)
                        cp = 0xFFFD;
                else if (cp < 0x20 || cp == 0x7f)
                        cp = ' ';
                utf8_encode(&b, (uint32_t) cp);
        }
        char *s = buf_steal(&b);
        return strstrip(s);
}

void webhook_result(struct webhook_job *job, CURL *easy, CURLcode code, struct delivery_result *ret) {
        long status = 0;
        curl_off_t retry_after = 0;
        _cleanup_free_ char *error = job && job->error[0]
                                             ? xasprintf("%s: %s", curl_easy_strerror(code), job->error)
                                             : xstrdup(curl_easy_strerror(code));

        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        *ret = (struct delivery_result) {.verdict = DELIVERY_RETRY};

        if (code == CURLE_OK) {
                _cleanup_free_ char *body = job ? response_text(job) : xstrdup("");
                ret->code = status;
                if (status >= 200 && status < 300)
                        ret->verdict = DELIVERY_SENT;
                else if (status == 408 || status == 429 || (status >= 500 && status < 600))
                        ret->verdict = DELIVERY_RETRY;
                else
                        ret->verdict = DELIVERY_FAILED; /* 3xx (not followed) and the other 4xx */
                if (ret->verdict == DELIVERY_RETRY &&
                    curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
                        ret->retry_after = (int64_t) retry_after;
                ret->reply = isempty(body) ? xasprintf("HTTP %ld", status)
                                           : xasprintf("HTTP %ld: %s", status, body);
        } else if (code == CURLE_SSL_CACERT_BADFILE) {
                ret->reply = xasprintf("the CA file cannot be used (check webhook ca_file): %s", error);
        } else if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_ISSUER_ERROR ||
                   code == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
                /* Retrying will not help until someone fixes the CA file or the endpoint's certificate,
                 * but the notification itself is fine: keep it. */
                ret->reply = xasprintf("certificate not trusted (check webhook ca_file and the endpoint's "
                                       "certificate): %s", error);
        } else if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
                ret->verdict = DELIVERY_FAILED;
                ret->reply = xstrdup(error);
        } else {
                ret->reply = xstrdup(error);
        }
        webhook_detach(easy);
}

void webhook_job_free(struct webhook_job *job) {
        if (!job)
                return;
        curl_slist_free_all(job->headers);
        free(job);
}
