/* guestframe.c: a frame from the guest's init (onGuestFrame in vm-monitor.ts). */
#include "vmmon.h"

#include <stdlib.h>
#include <string.h>

static uint32_t u32le(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* STARTED, EXIT, output of an exec: to its client, in the client's session numbering. */
static void to_exec_client(struct frame *f)
{
	struct exec *e = execs_find(f->session);
	if (e && !e->c)
		hosts_frame(f->type, f->payload, f->len);
	else if (e && !e->c->dead)
		client_send(e->c, f->type, e->cs, f->payload, f->len);
}

void guest_frame(void *ctx, struct frame *f)
{
	(void)ctx;
	switch (f->type) {
	case F_ACK:
		if (f->len >= 4)
			gflow_acked(u32le(f->payload));
		return;
	case F_READY:
		ready = 1;
		client_broadcast(F_READY, 0, f->payload, f->len);
		/* Peers' names first: the command may look one up at once. */
		hosts_on_ready();
		session_maybe_start_main();
		return;
	case F_STARTED:
		if (f->session == MAIN_SESSION) {
			if (!main_started) {
				main_started = malloc_copy(f->payload, f->len);
				main_started_len = f->len;
			}
			client_broadcast(F_STARTED, MAIN_SESSION, f->payload, f->len);
		} else
			to_exec_client(f);
		return;
	case F_STDOUT:
	case F_STDERR: {
		struct client *wait_on;
		session_output(f->type, f->session, f->payload, f->len, &wait_on);
		return;
	}
	case F_EXIT:
		bulk_end(f->session);
		if (f->session == MAIN_SESSION) {
			struct exit_info e;
			decode_exit(f->payload, f->len, &e);
			session_main_exit(&e);
		} else {
			to_exec_client(f);
			execs_remove(f->session);
			outflow_ended(f->session);
		}
		return;
	case F_BULK_READY:
		bulk_ready();
		return;
	case F_BULK_DONE:
		bulk_done(f->session, f->payload, f->len);
		return;
	case F_BULK_OUT:
		bulk_out(f->session, f->payload, f->len);
		return;
	default:
		return;
	}
}
