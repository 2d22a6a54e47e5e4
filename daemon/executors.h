/* The executors of a measure as real plans write them, and the agency a completion form addresses. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct roadmap_executor {
        char *code;        /* as written, spaces squeezed, the agreement mark left out: "\"Атамекен\" ҰКП" */
        char *key;         /* agency_key(code): the agency whatever its spelling */
        bool by_agreement; /* "(келісу бойынша)", "(по согласованию)" */
        bool group;        /* a generic group ("заинтересованные государственные органы", "МИО") */
};

/* Split an executors cell into agencies, in order, each once. Commas and semicolons separate them;
 * so does a period that does not end an abbreviation ("гг.", "т.б."), and a line break when the cell
 * has no commas; an agreement mark anywhere (inside quotes too) marks its executor; a list that ends in
 * a head noun ("акиматы областей, гг. Астаны, Алматы и Шымкента", "облыстардың, Астана, Алматы және
 * Шымкент қалаларының әкімдіктері") is one executor. Returns the count; *ret is malloc'ed. */
size_t executors_split(const char *cell, struct roadmap_executor **ret);
void executors_free(struct roadmap_executor *e, size_t n);

/* The key by which spellings of one organisation are one agency: lower case, without quotes, with
 * Latin and Cyrillic look-alike letters made alike word by word, spaces squeezed. */
char *agency_key(const char *code);

/* Whether an executor is a generic group of agencies rather than one. */
bool executor_is_group(const char *code);

/* Who a completion form is addressed to ("ИИДМ-ға ақпарат" -> "ИИДМ", "информация в Правительство" ->
 * "Правительство"); NULL when it names nobody ("публикация в СМИ"). */
char *executors_report_recipient(const char *form);
