/* One-click confirmation links: "report submitted / есеп тапсырылды / отчёт представлен". A link carries
 * a token bound to one occurrence, one agency and an expiry, signed with HMAC-SHA256 under the
 * configured secret: it cannot be turned to another occurrence or agency, used after it expires, or
 * used after the secret changes. A token has one spelling only: a decimal id and expiry without sign,
 * space or leading zero, and base64url without padding whose last character has no stray bits. */
#pragma once

#include <stdint.h>

#define LINK_MAC_BYTES 32

/* The token for occurrence id confirmed by agency, good until the instant expires. Caller frees. */
char *link_token(const char *secret, int64_t occurrence_id, const char *agency, int64_t expires);
/* A token's parts, read in their one spelling: 0, or -EBADMSG for any other text (*agency malloc'ed). */
int link_parse(const char *token, int64_t *occurrence_id, int64_t *expires, char **agency,
               unsigned char mac[LINK_MAC_BYTES]);
/* The token of those parts: link_parse and link_format give back exactly what they were given. */
char *link_format(int64_t occurrence_id, int64_t expires, const char *agency, const unsigned char mac[LINK_MAC_BYTES]);
/* Check a token at the instant now. Returns 0 (and what it is bound to; *agency malloc'ed), -EBADMSG
 * for a malformed or forged one, -ETIME for an expired one. */
int link_verify(const char *secret, const char *token, int64_t now, int64_t *occurrence_id, char **agency);
