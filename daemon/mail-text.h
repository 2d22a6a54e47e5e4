/* The text of an e-mail as merzim sends it (RFC 5322 and MIME): headers that text from plans and the
 * configuration cannot break out of, and one text/plain part in UTF-8, every line ending in CRLF. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* What goes into one e-mail. */
struct mail_fields {
        const char *from_name, *from_address; /* the sender, as sender_parse gives it */
        const char *to_name, *to_address;     /* the recipient agency's name and address */
        const char *subject, *body;           /* UTF-8 */
        const char *key;                      /* the notification's key: Message-ID and X-Merzim-Key */
        const char *host;                     /* right-hand side of the Message-ID */
        int64_t date;                         /* the Date: header */
};

/* The whole message, headers and body, ready for DATA. Caller frees. */
char *mail_text(const struct mail_fields *f);

/* Whether an address is one plain mailbox that cannot break out of MAIL FROM, RCPT TO or a header. */
bool mail_address_valid(const char *a);
/* Whether a key or host name may go into a header or a Message-ID as it is (letters, digits, extra). */
bool mail_token_valid(const char *s, const char *extra);
/* Split the configured sender, "merzim <merzim@host>" or "merzim@host", into name (NULL if none) and
 * address. Returns 0 or -EINVAL. */
int mail_sender_parse(const char *from, char **ret_name, char **ret_address);

/* A header value for UTF-8 text: as is if it is plain printable ASCII, else RFC 2047 encoded-words
 * ("=?UTF-8?B?...?=", each at most 75 characters, split on character boundaries). CR and LF never
 * pass through. Caller frees. */
char *mail_encode_header(const char *utf8);
/* Text as quoted-printable (RFC 2045 6.7): lines of at most 76 characters, CRLF line ends. */
char *mail_quoted_printable(const char *text);
