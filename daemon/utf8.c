/* UTF-8 text as merzim meets it: Kazakh, Russian and English, with typographic spaces and dashes. */
#include "config.h"

#include "utf8.h"

int32_t utf8_decode(const char **p, const char *end) {
        const unsigned char *s = (const unsigned char *) *p;
        if ((const char *) s >= end)
                return -1;
        uint32_t c = s[0];
        int len;
        uint32_t min;
        if (c < 0x80) {
                *p += 1;
                return (int32_t) c;
        } else if ((c & 0xE0) == 0xC0) {
                len = 2, c &= 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
                len = 3, c &= 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
                len = 4, c &= 0x07, min = 0x10000;
        } else {
                *p += 1;
                return -1;
        }
        if (end - (const char *) s < len) {
                *p += 1;
                return -1;
        }
        for (int i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80) {
                        *p += 1;
                        return -1;
                }
                c = (c << 6) | (s[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
                *p += 1;
                return -1;
        }
        *p += len;
        return (int32_t) c;
}

void utf8_encode(struct buf *b, uint32_t cp) {
        if (cp < 0x80) {
                buf_putc(b, (char) cp);
                return;
        }
        char out[4];
        size_t n;
        if (cp < 0x80) {
                out[0] = (char) cp;
                n = 1;
        } else if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                n = 2;
        } else if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                n = 3;
        } else {
                out[0] = (char) (0xF0 | (cp >> 18));
                out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
                out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[3] = (char) (0x80 | (cp & 0x3F));
                n = 4;
        }
        buf_append(b, out, n);
}

bool utf8_valid(const char *s, size_t n, size_t *bad_offset) {
        const char *p = s, *end = s + n;
        while (p < end) {
                const char *start = p;
                if (utf8_next(&p, end) < 0) {
                        if (bad_offset)
                                *bad_offset = (size_t) (start - s);
                        return false;
                }
        }
        return true;
}

uint32_t unicode_tolower(uint32_t c) {
        if (c >= 'A' && c <= 'Z')
                return c + 32;
        if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
                return c + 32;
        if (c >= 0x0410 && c <= 0x042F) /* А..Я */
                return c + 32;
        if (c >= 0x0400 && c <= 0x040F) /* Ѐ..Џ, including І */
                return c + 80;
        if ((c >= 0x0460 && c <= 0x0481) || (c >= 0x048A && c <= 0x04BF) || (c >= 0x04D0 && c <= 0x04FF))
                return c | 1; /* upper case is even: Ғ Қ Ң Ү Ұ Һ Ә Ө ... */
        if (c == 0x04C0)
                return 0x04CF;
        if (c >= 0x04C1 && c <= 0x04CE)
                return (c & 1) ? c + 1 : c;
        return c;
}

bool unicode_is_upper(uint32_t c) {
        return unicode_tolower(c) != c;
}

bool unicode_is_dash(uint32_t c) {
        return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xFE58 || c == 0xFE63 ||
               c == 0xFF0D;
}

bool unicode_is_letter(uint32_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7) ||
               (c >= 0x0400 && c <= 0x04FF && !(c >= 0x0482 && c <= 0x0489)) || (c >= 0x0500 && c <= 0x052F);
}

/* Write a code point at out; returns the bytes written (1-4). */
static size_t encode_at(char *out, uint32_t cp) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

static char *squeeze(const char *s, bool fold) {
        /* Folding and squeezing never make text longer; a malformed byte becomes U+FFFD (three bytes). */
        size_t len = strlen(s), cap = len + 1, n = 0;
        char *out = xmalloc(cap);
        const char *p = s, *end = s + len;
        bool space = false;
        while (p < end) {
                const char *at = p;
                int32_t c = utf8_next(&p, end);
                if (c < 0 && cap < 3 * len + 1) {
                        cap = 3 * len + 1;
                        out = xrealloc(out, cap);
                }
                if (c < 0)
                        c = 0xFFFD;
                if (unicode_is_space((uint32_t) c)) {
                        space = true;
                        continue;
                }
                if (space && n > 0)
                        out[n++] = ' ';
                space = false;
                if (fold) {
                        if (unicode_is_dash((uint32_t) c))
                                c = '-';
                        c = (int32_t) unicode_tolower((uint32_t) c);
                        n += encode_at(out + n, (uint32_t) c);
                } else if (c == 0xFFFD) {
                        n += encode_at(out + n, (uint32_t) c);
                } else {
                        /* A well-formed code point is its own bytes. */
                        memcpy(out + n, at, (size_t) (p - at));
                        n += (size_t) (p - at);
                }
        }
        out[n] = 0;
        return out;
}

char *utf8_fold(const char *s) {
        return squeeze(s, true);
}

char *utf8_squeeze(const char *s) {
        return squeeze(s, false);
}

static int codepoint_width(uint32_t c) {
        if (c == 0 || (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) || c == 0x200B ||
            c == 0x200C || c == 0x200D || c == 0xFEFF)
                return 0;
        if (c < 0x20 || (c >= 0x7F && c < 0xA0))
                return 0;
        if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) || (c >= 0xAC00 && c <= 0xD7A3) ||
            (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
            (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD))
                return 2;
        return 1;
}

size_t utf8_width(const char *s) {
        size_t w = 0;
        const char *p = s, *end = s + strlen(s);
        while (p < end) {
                int32_t c = utf8_decode(&p, end);
                w += c < 0 ? 1 : (size_t) codepoint_width((uint32_t) c);
        }
        return w;
}

size_t utf8_prefix_for_width(const char *s, size_t columns) {
        size_t w = 0;
        const char *p = s, *end = s + strlen(s);
        while (p < end) {
                const char *start = p;
                int32_t c = utf8_decode(&p, end);
                size_t cw = c < 0 ? 1 : (size_t) codepoint_width((uint32_t) c);
                if (w + cw > columns)
                        return (size_t) (start - s);
                w += cw;
        }
        return (size_t) (end - s);
}

bool unicode_is_control(uint32_t c) {
        return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x061C || c == 0x200E || c == 0x200F ||
               (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

int utf8_find_control(const char *s, const char *allowed) {
        const char *p = s, *end = s + strlen(s);
        while (p < end) {
                int32_t c = utf8_decode(&p, end);
                if (c > 0 && unicode_is_control((uint32_t) c) && !(c < 0x80 && allowed && strchr(allowed, c)))
                        return c;
        }
        return -1;
}

void utf8_put_printable(struct buf *b, const char *s) {
        const char *p = s, *end = s + strlen(s);
        while (p < end) {
                const char *start = p;
                int32_t c = utf8_decode(&p, end);
                if (c < 0)
                        buf_printf(b, "\\x%02X", (unsigned char) *start);
                else if (c < 0x80 && unicode_is_control((uint32_t) c))
                        buf_printf(b, "\\x%02X", (unsigned) c);
                else if (unicode_is_control((uint32_t) c))
                        buf_printf(b, "\\u%04X", (unsigned) c);
                else
                        buf_append(b, start, (size_t) (p - start));
        }
}

char *utf8_printable(const char *s) {
        struct buf b = {0};
        utf8_put_printable(&b, s ? s : "");
        return buf_steal(&b);
}
