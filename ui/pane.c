/*
 * pane — the table of panes (see pane.h): one line per pane, generated
 * from PANE_LIST so the enum and the table cannot disagree.
 */
#include "config.h"

#include "pane.h"

const struct pane_ops *const pane_table[PANE_COUNT] = {
#define X(id, ops) [id] = &ops,
	PANE_LIST(X)
#undef X
};
