/* outflow.c: guest -> client flow control (output-flow.ts). Once a client's socket holds
 * OUTPUT_LIMIT bytes of a session's output, the session is paused in the guest (PAUSE: the init
 * stops reading its pipes) and resumed (RESUME) once that socket drained or closed. A bulk
 * output file an exec's client has not taken yet is TAKEN then too (bulk.c). */
#include "vmmon.h"

#include <stdlib.h>

#define MAX_PAUSED 128

static struct {
	uint32_t session;
	struct client *c;
} paused[MAX_PAUSED];
static size_t npaused;

void outflow_wrote(uint32_t session, struct client *c)
{
	if (c->out.bytes < OUTPUT_LIMIT)
		return;
	for (size_t i = 0; i < npaused; i++)
		if (paused[i].session == session)
			return;
	if (npaused == MAX_PAUSED)
		return; /* more sessions behind than any client opens: the queue grows instead */
	paused[npaused].session = session;
	paused[npaused++].c = c;
	gflow_send_frame(F_PAUSE, session, NULL, 0);
}

void outflow_drained(struct client *c)
{
	for (size_t i = 0; i < npaused;) {
		if (paused[i].c != c) {
			i++;
			continue;
		}
		gflow_send_frame(F_RESUME, paused[i].session, NULL, 0);
		paused[i] = paused[--npaused];
	}
	for (size_t i = 0; i < c->ntaken; i++)
		if (!finished)
			bulk_taken(c->taken_wait[i]);
	c->ntaken = 0;
}

void outflow_ended(uint32_t session)
{
	for (size_t i = 0; i < npaused; i++)
		if (paused[i].session == session) {
			paused[i] = paused[--npaused];
			return;
		}
}

/* The bulk file of session g is TAKEN once c drained. */
void outflow_take_later(struct client *c, uint32_t g)
{
	if (c->ntaken == c->captaken) {
		size_t cap = c->captaken ? c->captaken * 2 : 4;
		uint32_t *p = realloc(c->taken_wait, cap * sizeof *p);
		if (!p)
			die("out of memory");
		c->taken_wait = p;
		c->captaken = cap;
	}
	c->taken_wait[c->ntaken++] = g;
}
