/* One-click confirmation links. */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>

#include "link.h"
#include "util.h"

#define MAC_BYTES 32

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

/* Decode b64url text; returns the length or -1. */
static int b64url_decode(const char *text, unsigned char *out, size_t max) {
        size_t n = strlen(text);
        if (n == 0 || n > 4 * (max / 3) + 4 || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != n)
                return -1;
        _cleanup_free_ char *padded = xmalloc(n + 4);
        for (size_t i = 0; i < n; i++)
                padded[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
        size_t pad = (4 - n % 4) % 4;
        if (pad == 3)
                return -1;
        memset(padded + n, '=', pad);
        padded[n + pad] = 0;
        _cleanup_free_ unsigned char *tmp = xmalloc(3 * (n + pad) / 4 + 1);
        int len = EVP_DecodeBlock(tmp, (const unsigned char *) padded, (int) (n + pad));
        if (len < 0)
                return -1;
        len -= (int) pad; /* EVP_DecodeBlock counts the padding as zero bytes */
        if (len < 0 || (size_t) len > max)
                return -1;
        memcpy(out, tmp, (size_t) len);
        return len;
}

static void mac_of(const char *secret, int64_t id, const char *agency, int64_t expires, unsigned char mac[MAC_BYTES]) {
        _cleanup_free_ char *text = xasprintf("merzim-confirm\n%lld\n%s\n%lld", (long long) id, agency, (long long) expires);
        unsigned len = MAC_BYTES;
        HMAC(EVP_sha256(), secret, (int) strlen(secret), (const unsigned char *) text, strlen(text), mac, &len);
}

char *link_token(const char *secret, int64_t occurrence_id, const char *agency, int64_t expires) {
        unsigned char mac[MAC_BYTES];
        mac_of(secret, occurrence_id, agency, expires, mac);
        _cleanup_free_ char *a = b64url((const unsigned char *) agency, strlen(agency));
        _cleanup_free_ char *m = b64url(mac, sizeof(mac));
        return xasprintf("%lld.%lld.%s.%s", (long long) occurrence_id, (long long) expires, a, m);
}

int link_verify(const char *secret, const char *token, int64_t now, int64_t *occurrence_id, char **agency) {
        long long id, expires;
        char a[256], m[64];
        int consumed = 0;
        if (strlen(token) > 400 ||
            sscanf(token, "%lld.%lld.%255[A-Za-z0-9_-].%63[A-Za-z0-9_-]%n", &id, &expires, a, m, &consumed) != 4 ||
            token[consumed] != 0 || id <= 0)
                return -EBADMSG;
        unsigned char code[192], mac[MAC_BYTES], want[MAC_BYTES];
        int n = b64url_decode(a, code, sizeof(code) - 1);
        if (n <= 0 || b64url_decode(m, mac, sizeof(mac)) != MAC_BYTES)
                return -EBADMSG;
        code[n] = 0;
        if (memchr(code, 0, (size_t) n))
                return -EBADMSG;
        mac_of(secret, id, (const char *) code, expires, want);
        if (CRYPTO_memcmp(mac, want, MAC_BYTES) != 0)
                return -EBADMSG;
        if (now > expires)
                return -ETIME;
        *occurrence_id = id;
        *agency = xstrdup((const char *) code);
        return 0;
}
