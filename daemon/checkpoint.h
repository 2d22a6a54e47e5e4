/* WAL checkpoints off the commit path. SQLite's automatic checkpoint copies the write-ahead log back into
 * the database inside the commit that takes it past 1,000 pages, so that the thread committing pays for
 * it; merzimd's writer commits without it, and a thread with a connection of its own copies the log back
 * once it has grown past CHECKPOINT_PAGES and no commit came for a moment (a burst is over), or at once
 * past CHECKPOINT_MAX_PAGES. Each commit stays durable: checkpoints only move what the log already holds. */
#pragma once

#include "store.h"

struct checkpointer;

/* Start the thread, with its own connection to the database of s, and take over the checkpoints of the
 * commits made through s. Errors are logged. */
int checkpointer_start(struct store *s, struct checkpointer **ret);
/* Stop the thread; the connection checkpoints as SQLite does by itself again (and the last connection to
 * close checkpoints what is left). */
void checkpointer_stop(struct checkpointer *c);
