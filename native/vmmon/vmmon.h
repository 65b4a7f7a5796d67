/* berth-vmmon: the monitor of one uml or microvm environment (ADR 0065). It starts the VM,
 * speaks the guest protocol (docs/guest-protocol.md) to its init, serves the environment's
 * unix socket to later berth invocations and writes the state files. One process per VM,
 * single-threaded, one poll() loop (main.c). One concept per .c file. */
#ifndef BERTH_VMMON_H
#define BERTH_VMMON_H

#include "../common/common.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Frame types (docs/guest-protocol.md, src/drivers/vm/guest-protocol.ts). */
#define F_START 0x01
#define F_STDIN 0x02
#define F_RESIZE 0x03
#define F_SIGNAL 0x04
#define F_SHUTDOWN 0x05
#define F_IDENTITY 0x06
#define F_PAUSE 0x07
#define F_RESUME 0x08
#define F_ATTACH 0x10
#define F_DETACH 0x11
#define F_RESTORED 0x12
#define F_READY 0x81
#define F_STARTED 0x82
#define F_STDOUT 0x83
#define F_STDERR 0x84
#define F_EXIT 0x85
#define F_ACK 0x86
#define F_BULK_IN 0x20
#define F_BULK_TAKEN 0x21
#define F_BULK_READY 0xa0
#define F_BULK_OUT 0xa1
#define F_BULK_DONE 0xa2

#define HDR_LEN 9
#define MAX_PAYLOAD (1u << 20)
#define MAIN_SESSION 1u

/* guest-flow.ts, output-flow.ts, bulk-channel.ts, vm-monitor.ts */
#define GUEST_WINDOW 3072u
#define OUTPUT_LIMIT (1u << 20)
#define CLIENT_INPUT_LIMIT (4u << 20)
#define BULK_CHUNK (1u << 20)
#define BULK_SMALL 4096u
#define BULK_IN_WINDOW 4
/* A socket "takes" a write below this (Node's highWaterMark): a bulk file is TAKEN at once. */
#define CLIENT_HIGH_WATER (16u * 1024)

struct helper {
	const char *what, *socket;
	char **argv; /* NULL-terminated */
	size_t argc;
};

/* A published port the monitor listens on itself (uml --network user -p, vm-port-relay.ts). */
struct relay_port {
	const char *addr;
	unsigned port;
	char *start; /* START of `berth-connect GUEST_PORT` */
	size_t start_len;
};

/* ---- config.c: monitor.cfg, key NUL value NUL pairs (written by vm-monitor-flat.ts) ---- */

struct config {
	const char *state_dir, *log_file, *console_log, *socket, *what, *cwd, *bulk_dir, *bulk_disk;
	unsigned long long log_max_bytes;
	unsigned log_max_files;
	int attached, hold_after_exit;
	pid_t owner_pid;
	unsigned long long owner_start;
	int has_owner, has_owner_start;
	const char *identity_hostname; /* NULL: no IDENTITY frame */
	const char *identity_net, *identity_mac; /* a clone on a bridge network: its lease and MAC */
	unsigned long long boot_timeout_ms;
	char **argv, **env, **exit_hook; /* NULL-terminated */
	char **hold_port; /* NULL-terminated: a bridge's -p, PROTO:ADDR:PORT, bound for the monitor's life */
	int has_user;
	uid_t uid;
	gid_t gid;
	int ctl_fd; /* the VM's fd N is the control channel, or -1 */
	const char *ctl_path; /* or connect to this socket */
	int ctl_acked; /* 1: keep GUEST_WINDOW unacknowledged at most */
	int console_fd; /* the VM's fd N is a console, or -1 */
	char *start; /* the command's START payload */
	size_t start_len;
	struct helper *helpers; /* started before the VM (helpers.c) */
	size_t nhelpers;
	const char *helpers_needle;
	struct relay_port *relays; /* relay.c */
	size_t nrelays;
	const char *hosts_file; /* a bridge network's hosts file (hosts.c) */
	char *hosts_start; /* START of `berth-hosts` */
	size_t hosts_start_len;
};
extern struct config C;
void config_read(const char *state_dir);

/* ---- clock.c ------------------------------------------------------------ */

long long now_ms(void); /* monotonic */
/* The next poll() timeout: the earliest of the deadlines given to timer_at() this turn. */
void timer_reset(void);
void timer_at(long long when_ms);
int timer_timeout(void);

/* ---- queue.c: chunks of bytes waiting for a non-blocking fd ---------------- */

struct chunk {
	struct chunk *next;
	size_t len, off;
	uint32_t session;
	int tagged; /* a session's input: drop() may take it back */
	char data[];
};
struct queue {
	struct chunk *head, *tail;
	size_t bytes; /* not yet written */
};
struct chunk *frame_new(uint8_t type, uint32_t session, const void *payload, size_t len);
void queue_push(struct queue *q, struct chunk *c);
void queue_push_front(struct queue *q, struct chunk *c);
void queue_clear(struct queue *q);
/* Writes what fd takes now. 0, or -1 when fd failed (not EAGAIN). */
int queue_flush(struct queue *q, int fd);
void *malloc_copy(const void *p, size_t n); /* dies when out of memory */
void memory_settle(void); /* gives the heap's free memory back (a client or a session's input ended) */

/* ---- decoder.c: frames out of a byte stream -------------------------------- */

struct frame {
	uint8_t type;
	uint32_t session;
	uint32_t len;
	char *payload;
};
struct decoder {
	char *buf;
	size_t start, len, cap; /* unread bytes: buf[start..len) */
};
/* Room for n more bytes at the end of the buffer (read into it, then decoder_feed(d, got)). */
char *decoder_space(struct decoder *d, size_t n);
/* Takes got bytes just read into the space: calls on() per whole frame. -1: out of step. */
int decoder_feed(struct decoder *d, size_t got, void (*on)(void *ctx, struct frame *f), void *ctx);
void decoder_free(struct decoder *d);

/* ---- guestflow.c: host -> guest, within the window (guest-flow.ts) ---------- */

void gflow_connected(int fd, int acked);
void gflow_send(struct chunk *c); /* queued; written as the window and the fd allow */
void gflow_send_frame(uint8_t type, uint32_t session, const void *payload, size_t len);
/* A session's input (STDIN frames): drop() forgets what is still queued. */
void gflow_send_input(uint8_t type, uint32_t session, const void *payload, size_t len);
void gflow_send_first(struct chunk *c); /* before anything queued (IDENTITY) */
void gflow_acked(uint32_t n);
void gflow_drop(uint32_t session);
void gflow_pump(void);
void gflow_closed(void); /* the channel is gone: nothing more is written */
size_t gflow_pending(void);
int gflow_wants_write(void);

/* ---- vm.c: the VM process and its consoles ---------------------------------- */

void vm_start(void);
void vm_kill(void);
/* poll() slots of the VM's consoles; vm_console_read() on POLLIN. */
int vm_console_fds(int *fds, int max);
void vm_console_read(int fd);
void vm_console_drain(void);
void vm_console_add(int fd); /* another output logged to console.log (a helper's) */
/* SIGCHLD: reaps; calls lifecycle_vm_exited() once the VM process is gone. */
void vm_reap(void);
pid_t vm_pid(void);

/* ---- helpers.c: processes started before the VM (microvm -v: virtiofsd) ------- */

int helpers_start(void); /* 0 once every helper listens; -1: failed (recorded) */
void helpers_kill(void);

/* ---- hosts.c: a bridge network's peer names in the guest's /etc/hosts --------- */

extern int hosts_copied; /* the first copy is done (or there is none): the command may start */
void hosts_on_ready(void);
void hosts_frame(uint8_t type, const char *payload, size_t len); /* of the copy's exec (c == NULL) */
void hosts_ended(void);
void hosts_timers(void);
void hosts_tick(void);

/* ---- relay.c: published ports the monitor listens on (uml --network user -p) ---- */

int relays_listen(void); /* 0, or -1 after lifecycle_fail() */
int relay_fds(int *fds, int max);
void relay_accept(int fd);
int relay_is(int fd);

/* ---- bootfail.c: why a kernel did not come up -------------------------------- */

void console_tail_add(const char *buf, size_t n);
/* The line of the console's tail that best says why (vm-monitor.ts bootFailureReason). */
void boot_failure_reason(char *out, size_t outlen);

/* ---- ctl.c: the guest's control channel ------------------------------------- */

void ctl_start(int fd); /* an fd already connected (uml), or -1: connect to C.ctl_path */
int ctl_fd(void);
void ctl_readable(void);
void ctl_drain(void);
void ctl_timers(void); /* connect retries */
void ctl_tick(void);

/* ---- identity.c: the IDENTITY frame of a template clone --------------------- */

struct chunk *identity_frame(void);

/* ---- guestframe.c: what the guest says --------------------------------------- */

void guest_frame(void *ctx, struct frame *f);

/* ---- clients.c: the monitor's unix socket ------------------------------------ */

struct client {
	struct client *next;
	int fd;
	int attached, detached, dead;
	int owner; /* the run's own attached CLI (ATTACH without input): its going is the watchdog's */
	int raw; /* a relayed TCP connection: bytes, not frames (relay.c) */
	int eof_in, ending; /* raw: its input ended; the session's EXIT came (shut down once flushed) */
	int input_paused; /* 0, or 1: until the guest queue is below half the limit, 2: the bulk hold of pause_g */
	uint32_t pause_g;
	struct decoder dec;
	struct queue out;
	/* client session -> guest session (execs) */
	struct {
		uint32_t cs, g;
	} * sessions;
	size_t nsessions, capsessions;
	/* guest sessions whose bulk file is TAKEN once this socket drained */
	uint32_t *taken_wait;
	size_t ntaken, captaken;
};
extern struct client *clients;
void server_listen(void);
void server_close(void);
int server_fd(void);
void server_accept(void);
struct client *client_new(int fd);
void client_readable(struct client *c);
void client_writable(struct client *c);
/* Queues a frame to the client and writes what its socket takes now. */
void client_send(struct client *c, uint8_t type, uint32_t session, const void *payload, size_t len);
void client_broadcast(uint8_t type, uint32_t session, const void *payload, size_t len);
void clients_reap(void); /* frees the dead ones */
void clients_resume_input(void); /* un-pause readers whose wait is over */
int clients_flushed(void);
void clients_end(void);
int any_detached(void);
extern int detached_once;

/* ---- clientframe.c: what a client asks ------------------------------------ */

void client_frame(void *ctx, struct frame *f);
void client_gone(struct client *c);

/* ---- outflow.c: guest -> client, PAUSE a session whose reader is behind ------- */

void outflow_wrote(uint32_t session, struct client *c);
void outflow_drained(struct client *c); /* its queue is empty, or it closed */
void outflow_ended(uint32_t session);
void outflow_take_later(struct client *c, uint32_t g); /* TAKEN for g once c drained or closed */

/* ---- execs.c: guest session -> the client that started it -------------------- */

struct exec {
	uint32_t g, cs;
	struct client *c; /* NULL: the hosts copy's own session (hosts.c) */
};
uint32_t execs_add(struct client *c, uint32_t cs);
struct exec *execs_find(uint32_t g);
void execs_remove(uint32_t g);
/* Every exec in flight ends (137) with why; its guest process is killed. */
void execs_end_all(const char *why);

/* ---- session.c: the environment's command ------------------------------------ */

struct exit_info {
	int code, signo, oom;
	char error[1024];
};
extern int ready, main_sent, finished;
extern struct exit_info main_exit;
extern int has_main_exit;
extern char *main_started; /* STARTED payload, once */
extern size_t main_started_len;
void session_attach(struct client *c, const char *json, size_t len);
void session_maybe_start_main(void);
void session_main_input(uint8_t type, const char *payload, size_t len);
/* A client's STDIN, RESIZE or SIGNAL for guest session g (stdin through the bulk channel when active). */
void session_forward(uint8_t type, uint32_t g, const char *payload, size_t len);
/* Output of guest session s: to the log and the attached clients, or to the exec's client.
 * Returns 1 when taken now, 0 when the exec's client must drain first (c set). */
int session_output(uint8_t type, uint32_t s, const char *data, size_t len, struct client **wait_on);
void session_main_exit(const struct exit_info *e);
void encode_exit(const struct exit_info *e, char *out, size_t *len); /* out >= 8 + 1024 */
void decode_exit(const char *p, size_t len, struct exit_info *e);

/* ---- bulk.c: uml's bulk channel (bulk-channel.ts, ADR 0053) ------------------- */

void bulk_init(void);
int bulk_active(void);
void bulk_ready(void);
void bulk_stdin(uint32_t session, const char *data, size_t len);
size_t bulk_held(uint32_t session);
void bulk_done(uint32_t session, const char *payload, size_t len);
void bulk_out(uint32_t session, const char *payload, size_t len);
void bulk_taken(uint32_t session);
void bulk_end(uint32_t session);
void bulk_timers(void); /* flushes that are due */
void bulk_tick(void);

/* ---- lifecycle.c: exits, failures, the watchdog, the exit hook ---------------- */

void lifecycle_write_exit(const struct exit_info *e);
void lifecycle_vm_exited(int status);
void lifecycle_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lifecycle_watchdog(const char *why);
void lifecycle_finish(void);
void lifecycle_start_timers(void); /* the boot deadline and the watchdog start now */
void lifecycle_timers(void);
void lifecycle_tick(void);
void lifecycle_shutdown_later(void); /* the guest was told SHUTDOWN: kill it in 10 s */
void lifecycle_die_hook(const char *msg);
int proc_alive(pid_t pid, unsigned long long start, int check_start);

#endif
