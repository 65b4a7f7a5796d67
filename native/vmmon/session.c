/* session.c: the environment's command (session 1): started once the guest is READY and, for an
 * attached run, the CLI has attached (its stdin and terminal size go into START); its output
 * goes to ctr.log and the attached clients; its EXIT is recorded, then the guest powers off. */
#include "vmmon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ready, main_sent, finished, has_main_exit;
struct exit_info main_exit;
char *main_started;
size_t main_started_len;

static int attach_seen, attach_stdin;
static unsigned attach_rows, attach_cols;
static struct queue main_input; /* input for the command before it was started */
struct crilog ctr_log = {.fd = -1};

static int json_true(const char *j, const char *key)
{
	const char *p = strstr(j, key);
	return p && !strncmp(p + strlen(key), "true", 4);
}

static unsigned json_uint(const char *j, const char *key)
{
	const char *p = strstr(j, key);
	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* ATTACH: the run's own CLI (its stdin and terminal size go into START), or with `input` a later
 * client that types into the running command (berth attach, berth serve's attach). */
void session_attach(struct client *c, const char *json, size_t len)
{
	/* JSON.stringify({stdin, rows?, cols?, input?}) by berth: no blanks, fixed keys */
	char *j = malloc_copy(json, len + 1);

	j[len] = '\0';
	c->attached = 1;
	c->owner = !json_true(j, "\"input\":");
	if (!attach_seen && c->owner) {
		attach_seen = 1;
		attach_stdin = json_true(j, "\"stdin\":");
		attach_rows = json_uint(j, "\"rows\":");
		attach_cols = json_uint(j, "\"cols\":");
	}
	free(j);
	session_maybe_start_main();
}

static void put(char **out, size_t *n, size_t *cap, const char *k, const char *v)
{
	size_t kl = strlen(k) + 1, vl = strlen(v) + 1;
	if (*n + kl + vl > *cap) {
		*cap = (*n + kl + vl) * 2;
		*out = realloc(*out, *cap);
		if (!*out)
			die("out of memory");
	}
	memcpy(*out + *n, k, kl);
	memcpy(*out + *n + kl, v, vl);
	*n += kl + vl;
}

/* The driver's START with the attached CLI's stdin and terminal size. */
static char *start_payload(size_t *len)
{
	size_t n = 0, cap = C.start_len + 64;
	char *out = malloc(cap), num[16];

	if (!out)
		die("out of memory");
	for (size_t at = 0; at < C.start_len;) {
		const char *k = C.start + at, *v = k + strlen(k) + 1;
		at += strlen(k) + 1 + strlen(v) + 1;
		if (attach_seen && !strcmp(k, "stdin"))
			v = !strcmp(v, "1") && attach_stdin ? "1" : "0";
		else if ((attach_rows && !strcmp(k, "rows")) || (attach_cols && !strcmp(k, "cols")))
			continue;
		put(&out, &n, &cap, k, v);
	}
	if (attach_rows) {
		snprintf(num, sizeof num, "%u", attach_rows);
		put(&out, &n, &cap, "rows", num);
	}
	if (attach_cols) {
		snprintf(num, sizeof num, "%u", attach_cols);
		put(&out, &n, &cap, "cols", num);
	}
	*len = n;
	return out;
}

void session_maybe_start_main(void)
{
	size_t len;
	char *p;

	if (main_sent || !ready || !hosts_copied)
		return;
	if (C.attached && !attach_seen)
		return;
	main_sent = 1;
	p = start_payload(&len);
	gflow_send_frame(F_START, MAIN_SESSION, p, len);
	free(p);
	while (main_input.head) {
		struct chunk *c = main_input.head;
		main_input.head = c->next;
		session_forward((uint8_t)c->data[0], MAIN_SESSION, c->data + HDR_LEN, c->len - HDR_LEN);
		free(c);
	}
	queue_clear(&main_input);
}

void session_main_input(uint8_t type, const char *payload, size_t len)
{
	queue_push(&main_input, frame_new(type, MAIN_SESSION, payload, len));
}

void session_forward(uint8_t type, uint32_t g, const char *payload, size_t len)
{
	if (type == F_STDIN && bulk_active())
		bulk_stdin(g, payload, len);
	else if (type == F_STDIN)
		gflow_send_input(type, g, payload, len);
	else
		gflow_send_frame(type, g, payload, len);
}

int session_output(uint8_t type, uint32_t s, const char *data, size_t len, struct client **wait_on)
{
	*wait_on = NULL;
	if (s != MAIN_SESSION) {
		struct exec *e = execs_find(s);
		struct client *c;
		if (e && !e->c) {
			hosts_frame(type, data, len);
			return 1;
		}
		if (!e || e->c->dead)
			return 1;
		c = e->c;
		client_send(c, type, e->cs, data, len);
		outflow_wrote(s, c);
		if (c->dead || c->out.bytes < CLIENT_HIGH_WATER)
			return 1;
		*wait_on = c;
		return 0;
	}
	crilog_write(&ctr_log, type == F_STDOUT ? "stdout" : "stderr", data, len);
	for (struct client *c = clients; c; c = c->next)
		if (c->attached && !c->detached && !c->dead) {
			client_send(c, type, MAIN_SESSION, data, len);
			outflow_wrote(MAIN_SESSION, c);
		}
	return 1;
}

void session_main_exit(const struct exit_info *e)
{
	char p[8 + 1024];
	size_t len;

	if (has_main_exit)
		return;
	main_exit = *e;
	has_main_exit = 1;
	lifecycle_write_exit(e);
	encode_exit(e, p, &len);
	client_broadcast(F_EXIT, MAIN_SESSION, p, len);
	/* A template's setup is done: the guest stays up, idle, until its state is saved. */
	if (C.hold_after_exit)
		return;
	/* The command is done: power the guest off (clean unmount), then the VM process exits. */
	gflow_send_frame(F_SHUTDOWN, 0, NULL, 0);
	lifecycle_shutdown_later();
}

/* EXIT: i32 code, u16 signal, u16 flags (bit 0: OOM kill), then an optional message. */
void encode_exit(const struct exit_info *e, char *out, size_t *len)
{
	uint32_t code = (uint32_t)e->code;
	size_t ml = strnlen(e->error, sizeof e->error);

	for (int i = 0; i < 4; i++)
		out[i] = (char)(code >> (8 * i));
	out[4] = (char)(e->signo & 0xff);
	out[5] = (char)((e->signo >> 8) & 0xff);
	out[6] = (char)(e->oom ? 1 : 0);
	out[7] = 0;
	memcpy(out + 8, e->error, ml);
	*len = 8 + ml;
}

void decode_exit(const char *p, size_t len, struct exit_info *e)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t ml;

	memset(e, 0, sizeof *e);
	if (len < 8) {
		e->code = 125;
		snprintf(e->error, sizeof e->error, "EXIT payload of %zu bytes is too short", len);
		return;
	}
	e->code =
		(int32_t)((uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24);
	e->signo = u[4] | u[5] << 8;
	e->oom = (u[6] & 1) != 0;
	ml = len - 8 < sizeof e->error - 1 ? len - 8 : sizeof e->error - 1;
	memcpy(e->error, p + 8, ml);
	e->error[ml] = '\0';
}
