/* clientframe.c: what a client of the monitor's socket asks (onClientFrame in vm-monitor.ts),
 * and what its going away ends: its execs, and the command when it was the attached CLI. */
#include "vmmon.h"

#include <stdlib.h>
#include <string.h>

static void map_session(struct client *c, uint32_t cs, uint32_t g)
{
	for (size_t i = 0; i < c->nsessions; i++)
		if (c->sessions[i].cs == cs) {
			c->sessions[i].g = g;
			return;
		}
	if (c->nsessions == c->capsessions) {
		size_t cap = c->capsessions ? c->capsessions * 2 : 4;
		void *p = realloc(c->sessions, cap * sizeof *c->sessions);
		if (!p)
			die("out of memory");
		c->sessions = p;
		c->capsessions = cap;
	}
	c->sessions[c->nsessions].cs = cs;
	c->sessions[c->nsessions++].g = g;
}

static int mapped(struct client *c, uint32_t cs, uint32_t *g)
{
	for (size_t i = 0; i < c->nsessions; i++)
		if (c->sessions[i].cs == cs) {
			*g = c->sessions[i].g;
			return 1;
		}
	return 0;
}

void client_frame(void *ctx, struct frame *f)
{
	struct client *c = ctx;
	uint32_t g;
	int known;

	if (c->dead)
		return;
	switch (f->type) {
	case F_ATTACH:
		session_attach(c, f->payload, f->len);
		return;
	case F_DETACH:
		c->detached = 1;
		detached_once = 1;
		return;
	case F_RESTORED:
		execs_end_all("the environment was restored to a checkpoint while this ran");
		return;
	case F_START:
		g = execs_add(c, f->session);
		map_session(c, f->session, g);
		gflow_send_frame(F_START, g, f->payload, f->len);
		return;
	case F_STDIN:
	case F_RESIZE:
	case F_SIGNAL:
		/* A session this client started (an exec) first: an exec client numbers its own from 1 too. */
		known = mapped(c, f->session, &g);
		if (!known && f->session == MAIN_SESSION &&
		    (c->attached || f->type == F_SIGNAL || f->type == F_RESIZE)) {
			g = MAIN_SESSION;
			known = 1;
		}
		if (known && g == MAIN_SESSION && !main_sent)
			session_main_input(f->type, f->payload, f->len);
		else if (known)
			session_forward(f->type, g, f->payload, f->len);
		/* The guest takes input at its channel's pace: stop reading a client that sends faster,
		 * rather than buffer all it sends. */
		if (f->type != F_STDIN || c->input_paused)
			return;
		if (known && bulk_active() && bulk_held(g) >= CLIENT_INPUT_LIMIT) {
			c->input_paused = 2;
			c->pause_g = g;
		} else if (gflow_pending() >= CLIENT_INPUT_LIMIT)
			c->input_paused = 1;
		return;
	default:
		return;
	}
}

void client_gone(struct client *c)
{
	static const char kill9[4] = {9, 0, 0, 0};

	for (size_t i = 0; i < c->nsessions; i++) {
		uint32_t g = c->sessions[i].g;
		if (!execs_find(g))
			continue;
		/* An exec whose client went away: its input still queued is not sent; its process ends. */
		gflow_drop(g);
		bulk_end(g);
		gflow_send_frame(F_SIGNAL, g, kill9, 4);
		execs_remove(g);
	}
	outflow_drained(c);
	if (c->owner && !c->detached && C.attached && !has_main_exit && !detached_once)
		lifecycle_watchdog("the attached berth disconnected");
}
