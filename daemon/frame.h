/* The frame around a plan's table: its title, the act that approved it and its latest edition, its
 * period, and the abbreviation key after the table. */
#pragma once

#include <stddef.h>

#include "doc.h"

struct roadmap;

/* Read the title, the act, the edition and the period from the blocks before the table's header
 * (blocks[0..header)); a row's cells are read as lines of text. */
void frame_read_preamble(struct roadmap *r, const struct document *d, size_t header);
/* Read an abbreviation key ("ИИДМ – Қазақстан Республикасы Индустрия ... министрлігі") from the blocks
 * after the table, or between its parts (blocks[from..to)). */
void frame_read_key(struct roadmap *r, const struct document *d, size_t from, size_t to);
/* When the title gives no years, the plan spans the years of its deadlines. */
void frame_years_from_deadlines(struct roadmap *r);

/* Whether a paragraph inside the table says what the plan is expected to achieve (kept, not a section). */
bool frame_expected_results(const char *text);
