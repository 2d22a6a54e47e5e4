/* UTF-8 text as merzim meets it: Kazakh, Russian and English, with typographic spaces and dashes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Decode one code point at *p (not past end) and advance; returns -1 on a malformed sequence
 * (and advances by one byte). */
int32_t utf8_decode(const char **p, const char *end);
/* The same, with the common cases inline: ASCII, and the two bytes of a Cyrillic letter. */
static inline int32_t utf8_next(const char **p, const char *end) {
        const unsigned char *s = (const unsigned char *) *p;
        if (*p < end && s[0] < 0x80)
                return (int32_t) (unsigned char) *(*p)++;
        if (end - *p >= 2 && s[0] >= 0xC2 && s[0] < 0xE0 && (s[1] & 0xC0) == 0x80) {
                *p += 2;
                return (int32_t) (((uint32_t) (s[0] & 0x1F) << 6) | (s[1] & 0x3F));
        }
        return utf8_decode(p, end);
}
void utf8_encode(struct buf *b, uint32_t cp);
/* Returns true if s[0..n) is valid UTF-8; otherwise the offset of the first bad byte. */
bool utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* Lower case for Latin, Cyrillic and the Kazakh letters; other code points are returned as they are. */
uint32_t unicode_tolower(uint32_t cp);
/* White space, no-break and typographic spaces too. */
static inline bool unicode_is_space(uint32_t c) {
        if (c < 0x80)
                return c == ' ' || (c >= '\t' && c <= '\r');
        return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
               c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}
bool unicode_is_dash(uint32_t cp);
bool unicode_is_letter(uint32_t cp);
bool unicode_is_upper(uint32_t cp);
/* Lower-cased copy with every dash as '-', every space (no-break too) as one ' ', trimmed. */
char *utf8_fold(const char *s);
/* Copy with runs of white space (no-break too) as one ' ', trimmed; case is kept. */
char *utf8_squeeze(const char *s);
/* Columns a terminal needs to show s. */
size_t utf8_width(const char *s);
/* The longest prefix of s that fits in the given columns, as a byte count. */
size_t utf8_prefix_for_width(const char *s, size_t columns);

/* What a terminal or a text reader would act on rather than show: C0 and C1 controls, DEL, the line and
 * paragraph separators, and the bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) that reorder what follows. */
bool unicode_is_control(uint32_t cp);
/* The first such code point in s that is not among the ASCII characters of allowed (NULL: none, "\n\t"
 * for text of several lines), or -1 if there is none. */
int utf8_find_control(const char *s, const char *allowed);
/* s with each control shown as an escape a reader sees ("\x1B", "\u202E") and each invalid byte as
 * "\xFF": what merzimctl prints of text it did not write itself. Caller frees. */
char *utf8_printable(const char *s);
void utf8_put_printable(struct buf *b, const char *s);
