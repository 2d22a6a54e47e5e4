/* A long list of a configuration's text found without libconfig, to be parsed a slice at a time. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* The list: its parentheses and each element's first byte, the byte after it (its comma or the list's
 * ")") and its line. */
struct conf_list {
        size_t open, close;
        size_t *starts, *ends;
        int *lines;
        size_t n;
};

/* Find "name = ( ... );" at the top level of text; -ENOENT if it is not there as a list of at least one
 * element, or if anything about the text is unusual (libconfig then parses it whole and says what). */
int conf_list_find(const char *text, size_t len, const char *name, struct conf_list *ret);
void conf_list_clear(struct conf_list *l);
/* The text with the list's elements blanked (newlines kept: lines as in the file). */
FILE *conf_open_without_list(const char *text, size_t len, const struct conf_list *l);
/* The elements from to to - 1 as a configuration of their own, "head elements );", on their lines. */
FILE *conf_open_slice(const char *text, const struct conf_list *l, const char *head, size_t from, size_t to);
