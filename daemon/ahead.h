/* Work done ahead in a second thread. A reader that goes through many items in order (a plan's rows,
 * its measures) and does for each some work that depends on the item alone hands that work to a
 * thread, which prepares the items in the same order a little ahead; when the reader comes to an
 * item the thread has not begun, the reader takes it and prepares it itself. Each item is prepared
 * once, by one of the two. On a machine with two cores the work costs the reader about nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ahead;

/* Start preparing items 0..n-1 in a thread, at most window items past the last one asked for:
 * prepare(userdata, i) must read only what does not change until ahead_stop and write only item i's
 * own place, or that of an item a window or more before it: when the thread prepares item i, the
 * reader has asked for an item after i - window, and is done with those before (see ahead_taken).
 * NULL (prepare nothing) when no thread starts: then ahead_taken is always false. */
struct ahead *ahead_start(size_t n, size_t window, void (*prepare)(void *userdata, size_t i), void *userdata);
/* Whether item i was prepared by the thread (true: it is ready, and the caller may use what the
 * thread wrote) or is the caller's to prepare (false). Items are asked for in increasing order, and
 * asking for one says the caller is done with those before it; those skipped are not prepared. Asked
 * for again, an item gives the same answer. */
bool ahead_taken(struct ahead *a, size_t i);
/* Stop the thread once it has finished the item in hand; NULL is fine. Items not taken stay
 * unprepared. */
void ahead_stop(struct ahead *a);
