/* berth-guest-init: PID 1 inside the uml and microvm guests (see docs/guest-protocol.md). */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <sys/types.h>

/* Frame types (docs/guest-protocol.md). Host -> guest: */
#define F_START 0x01
#define F_STDIN 0x02
#define F_RESIZE 0x03
#define F_SIGNAL 0x04
#define F_SHUTDOWN 0x05
#define F_IDENTITY 0x06
#define F_PAUSE 0x07
#define F_RESUME 0x08
/* Guest -> host: */
#define F_READY 0x81
#define F_STARTED 0x82
#define F_STDOUT 0x83
#define F_STDERR 0x84
#define F_EXIT 0x85
#define F_ACK 0x86
/* The bulk channel (bulk.c, uml): host -> guest */
#define F_BULK_IN 0x20
#define F_BULK_TAKEN 0x21
/* guest -> host */
#define F_BULK_READY 0xa0
#define F_BULK_OUT 0xa1
#define F_BULK_DONE 0xa2
/* A bulk file holds at most BULK_CHUNK bytes; output below BULK_MIN goes on the line; each
 * session has at most BULK_WINDOW output files the host has not taken yet. */
#define BULK_CHUNK (1u << 20)
/* The serial of microvm's bulk channel disk (qemu-cmdline.ts BULK_DISK_SERIAL). */
#define BULK_DISK_SERIAL "berth.bulk"
#define BULK_MIN (16u * 1024)
#define BULK_WINDOW 4

/* The one signal the init ignores (main.c); a command's process gets it back as the default. */
#define INIT_IGNORED_SIGNAL SIGPIPE
#define HDR_LEN 9
#define MAX_PAYLOAD (1u << 20)
#define MAX_SESSIONS 64

/* A chunk's bytes are aligned for an O_DIRECT read from the bulk channel's disk (bulk.c). */
#define CHUNK_ALIGN 512
/* stdin_queue.c: a session's stdin not yet written, in chunks of up to BULK_CHUNK bytes */
struct chunk {
	struct chunk *next;
	size_t start, end; /* the bytes not yet written: data[start, end) */
	uint8_t data[] __attribute__((aligned(CHUNK_ALIGN)));
};
struct stdin_queue {
	struct chunk *head, *tail;
	size_t bytes;
};
/* An empty chunk of BULK_CHUNK bytes (a spare one when there is one); NULL when out of memory. */
struct chunk *chunk_get(void);
/* Back to the spares (or freed when there are enough). */
void chunk_put(struct chunk *c);
int chunk_spares(void);
/* Queue a filled chunk (an empty one goes back to the spares). */
void squeue_push(struct stdin_queue *q, struct chunk *c);
/* Queue a copy of LEN bytes; -1 when out of memory. */
int squeue_append(struct stdin_queue *q, const uint8_t *p, size_t len);
/* Write what fd takes, in order, until it is full: the bytes written, or -1 when its reader is
 * gone (errno says why) and nothing was written. */
ssize_t squeue_write(struct stdin_queue *q, int fd);
/* Drop every queued byte. */
void squeue_clear(struct stdin_queue *q);

/* stdin_pace.c: the wait before a full stdin pipe is written again, from how much of it the last
 * refill found drained (pure) */
#define STDIN_DEFER_MIN_MS 1
#define STDIN_DEFER_START_MS 2
#define STDIN_DEFER_MAX_MS 8
int stdin_next_defer_ms(int defer_ms, size_t refilled, size_t pipe_size);

/* path_search.c: the path of the first runnable FILE in PATH (NULL when there is none, or FILE has
 * a slash: execvp then decides), written into BUF */
const char *path_search(const char *file, const char *path, char *buf, size_t size);

/* util.c */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Ends this process at once unless it is the guest's PID 1. A uml kernel killed from outside
 * detaches its traced processes for a moment, and they run natively on the host: every
 * operation that would hit a host (kill -1, umount, remount, reboot) asks this first. */
void require_guest_pid1(void);
/* `berth-connect PORT` (relay.c): stdin/stdout <-> 127.0.0.1:PORT inside the guest. */
int relay_main(const char *port_text);
/* `berth-hosts` (hosts.c): stdin replaces /etc/hosts (peers on a named network). */
int hosts_main(void);
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);
int write_all(int fd, const void *buf, size_t len);
int mkdir_p(const char *path, mode_t mode);
int write_file(const char *path, const char *text);
/* The device (/dev/ENTRY) of the entry of CLASS_DIR whose file ATTR reads WANT (a trailing newline
 * aside): 0, or -1 when there is none. */
int sysfs_find(const char *class_dir, const char *attr, const char *want, char *dev, size_t devlen);

/* cmdline.c: berth.* keys from /proc/cmdline */
struct boot_args {
	char root[64];
	char rootfstype[16];
	char ctl[64];
	char hostname[65];
	unsigned long long disk_size;
	/* uml: host directory of the kernel's modules, shared read-only at /lib/modules/RELEASE */
	char modules[512];
};
void read_boot_args(struct boot_args *a);
int cmdline_value(const char *key, char *out, size_t cap);

/* boot.c */
void load_modules(void);
void mount_root_and_switch(const struct boot_args *a);
void mount_api_filesystems(void);
void set_hostname(const char *name);
void grow_root(const struct boot_args *a);
void mount_kernel_modules(const struct boot_args *a);
void power_off(void) __attribute__((noreturn));

/* net.c: loopback up; eth0 from berth.net= (microvm --network user) */
void setup_network(void);
/* A clone on a bridge network: eth0 gets its own MAC and lease (NET as berth.net=). NULL, or what failed. */
const char *renew_network(const char *net, const char *mac);

/* ctl.c: the framed control channel */
/* berth.ctl: a tty's path, or the name of a virtio-serial port. */
int ctl_open(const char *spec);
void ctl_send(uint8_t type, uint32_t session, const void *payload, uint32_t len);
/* Reads what is available; calls on_frame for every complete frame. Returns 0; -1 on EOF of a
 * tty; 1 when a virtio-serial port has no host end connected (wait, then read again). */
int ctl_pump(int fd, void (*on_frame)(uint8_t type, uint32_t session, const uint8_t *p, uint32_t len));

/* identity.c: a clone's own hostname, clock and RNG seed. NULL, or what failed. */
const char *identity_apply(const uint8_t *p, uint32_t len);
/* ctl.c: acknowledge everything read so far (a resumed clone starts the host's window afresh). */
void ctl_ack_all(void);

/* oom.c: the guest's OOM kills since boot (/proc/vmstat oom_kill; 0 when unknown) */
unsigned long long oom_kills(void);

/* session.c */
void session_start(uint32_t id, const uint8_t *p, uint32_t len);
void session_stdin(uint32_t id, const uint8_t *p, uint32_t len);
void session_resize(uint32_t id, const uint8_t *p, uint32_t len);
void session_signal(uint32_t id, const uint8_t *p, uint32_t len);
/* The host's reader of a session's output is behind: stop (1) or go on (0) reading its output. */
void session_pause(uint32_t id, int paused);
/* poll set contribution and handling */
int session_pollfds(struct pollfd *fds, int max);
void session_handle(struct pollfd *fds, int n);
/* ms until a deferred stdin write is due (-1: none), and those writes once due. */
void session_clock(void);
int session_poll_timeout(void);
void session_retry_due(void);
void session_reaped(pid_t pid, int status);
void session_kill_all(void);
/* IDENTITY: the sessions of the environment a clone was saved from are no host's any more. */
void session_orphan_all(void);
/* Stdin from the bulk file SEQ, read into C (the queue takes it over): BULK_DONE(seq) once it is all
 * written to the process. */
void session_stdin_bulk(uint32_t id, struct chunk *c, uint32_t seq);
/* A bulk input file could not be read: the session's process is killed (no silent hole). */
void session_input_lost(uint32_t id);
/* BULK_TAKEN: the host took one of the session's output files. */
void session_bulk_taken(uint32_t id);

/* bulk.c: the bulk channel over a hostfs directory (uml, berth.bulk=) or a virtio-blk disk (microvm) */
void bulk_setup(void);
void bulk_announce(void);
/* Output goes in files too (uml's directory; microvm's disk carries stdin only). */
int bulk_out_ready(void);
void bulk_in(uint32_t session, const uint8_t *p, uint32_t len);
void bulk_in_done(uint32_t session, uint32_t seq);
int bulk_out(uint32_t session, uint8_t type, const uint8_t *buf, size_t len);

#endif
