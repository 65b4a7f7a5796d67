/* execs.c: exec sessions: the guest numbers them from 2 (1 is the command); each belongs to
 * the client that started it, under that client's own session id. */
#include "vmmon.h"

#include <stdio.h>
#include <stdlib.h>

static struct exec *list;
static size_t n, cap;
static uint32_t next_g = 2;

uint32_t execs_add(struct client *c, uint32_t cs)
{
	if (n == cap) {
		size_t nc = cap ? cap * 2 : 8;
		struct exec *p = realloc(list, nc * sizeof *p);
		if (!p)
			die("out of memory");
		list = p;
		cap = nc;
	}
	list[n].g = next_g++;
	list[n].cs = cs;
	list[n].c = c;
	return list[n++].g;
}

struct exec *execs_find(uint32_t g)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].g == g)
			return &list[i];
	return NULL;
}

void execs_remove(uint32_t g)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].g == g) {
			list[i] = list[--n];
			return;
		}
}

void execs_end_all(const char *why)
{
	static const char kill9[4] = {9, 0, 0, 0};
	struct exit_info e = {.code = 137, .signo = 9};
	char p[8 + 1024];
	size_t len;

	snprintf(e.error, sizeof e.error, "%s", why);
	encode_exit(&e, p, &len);
	while (n > 0) {
		struct exec x = list[--n];
		if (x.c)
			client_send(x.c, F_EXIT, x.cs, p, len);
		else
			hosts_ended();
		if (!finished)
			gflow_send_frame(F_SIGNAL, x.g, kill9, 4);
	}
}
