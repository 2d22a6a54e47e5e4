/* One-click confirmation links. */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>

#include "link.h"
#include "util.h"


/* Base64 with the URL-safe alphabet and no padding (RFC 4648, section 5). */
static char *b64url(const unsigned char *data, size_t n) {
        char *out = xmalloc(4 * ((n + 2) / 3) + 1);
        int len = EVP_EncodeBlock((unsigned char *) out, data, (int) n);
        while (len > 0 && out[len - 1] == '=')
                len--;
        out[len] = 0;
        for (char *p = out; *p; p++)
                *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        return out;
}

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decode b64url text in its one canonical form (RFC 4648, section 5, no padding): only the URL-safe
 * alphabet, no '=', no length that leaves a lone character, and the unused bits of the last character
 * zero. Returns the length, or -1 for anything else. */
static int b64url_decode(const char *text, unsigned char *out, size_t max) {
        size_t n = strlen(text);
        if (n == 0 || n % 4 == 1 || 3 * (n / 4) + (n % 4 ? n % 4 - 1 : 0) > max)
                return -1;
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                const char *at = text[i] ? strchr(b64url_alphabet, text[i]) : NULL;
                if (!at)
                        return -1;
                acc = (acc << 6) | (uint32_t) (at - b64url_alphabet);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[len++] = (unsigned char) (acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        /* What is left over must be zero bits: another spelling of the same bytes is not this link. */
        return acc == 0 ? (int) len : -1;
}

/* A decimal number in its one canonical form: digits only, no sign, no space, no leading zero, at most
 * 18 digits; the text is advanced past it. Returns 0 or -1. */
static int parse_canonical_number(const char **p, long long *ret) {
        const char *s = *p;
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
                return -1;
        long long v = 0;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (s[i] - '0');
        *ret = v;
        *p = s + n;
        return 0;
}

static void mac_of(const char *secret, int64_t id, const char *agency, int64_t expires, unsigned char mac[LINK_MAC_BYTES]) {
        _cleanup_free_ char *text = xasprintf("merzim-confirm\n%lld\n%s\n%lld", (long long) id, agency, (long long) expires);
        unsigned len = LINK_MAC_BYTES;
        HMAC(EVP_sha256(), secret, (int) strlen(secret), (const unsigned char *) text, strlen(text), mac, &len);
}

char *link_format(int64_t occurrence_id, int64_t expires, const char *agency, const unsigned char mac[LINK_MAC_BYTES]) {
        _cleanup_free_ char *a = b64url((const unsigned char *) agency, strlen(agency));
        _cleanup_free_ char *m = b64url(mac, LINK_MAC_BYTES);
        return xasprintf("%lld.%lld.%s.%s", (long long) occurrence_id, (long long) expires, a, m);
}

char *link_token(const char *secret, int64_t occurrence_id, const char *agency, int64_t expires) {
        unsigned char mac[LINK_MAC_BYTES];
        mac_of(secret, occurrence_id, agency, expires, mac);
        return link_format(occurrence_id, expires, agency, mac);
}

int link_parse(const char *token, int64_t *occurrence_id, int64_t *expires, char **agency,
               unsigned char mac[LINK_MAC_BYTES]) {
        long long id, until;
        if (strlen(token) > 400)
                return -EBADMSG;
        /* ID.EXPIRES.AGENCY.MAC, each part in its one canonical spelling. */
        const char *p = token;
        if (parse_canonical_number(&p, &id) < 0 || *p++ != '.' || parse_canonical_number(&p, &until) < 0 ||
            *p++ != '.' || id <= 0)
                return -EBADMSG;
        const char *dot = strchr(p, '.');
        if (!dot || dot == p || (size_t) (dot - p) >= 256 || strchr(dot + 1, '.'))
                return -EBADMSG;
        _cleanup_free_ char *a = xstrndup(p, (size_t) (dot - p));
        unsigned char code[192], m[LINK_MAC_BYTES + 3];
        int n = b64url_decode(a, code, sizeof(code) - 1);
        if (n <= 0 || b64url_decode(dot + 1, m, sizeof(m)) != LINK_MAC_BYTES)
                return -EBADMSG;
        code[n] = 0;
        if (memchr(code, 0, (size_t) n))
                return -EBADMSG;
        *occurrence_id = id;
        *expires = until;
        *agency = xstrdup((const char *) code);
        memcpy(mac, m, LINK_MAC_BYTES);
        return 0;
}

int link_verify(const char *secret, const char *token, int64_t now, int64_t *occurrence_id, char **agency) {
        int64_t id, expires;
        _cleanup_free_ char *code = NULL;
        unsigned char mac[LINK_MAC_BYTES], want[LINK_MAC_BYTES];
        if (link_parse(token, &id, &expires, &code, mac) < 0)
                return -EBADMSG;
        mac_of(secret, id, code, expires, want);
        if (CRYPTO_memcmp(mac, want, LINK_MAC_BYTES) != 0)
                return -EBADMSG;
        if (now > expires)
                return -ETIME;
        *occurrence_id = id;
        *agency = code;
        code = NULL;
        return 0;
}
