/* Boot steps: modules, root disk, switch_root, /proc /sys /dev, hostname, online grow, power off. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

#ifndef EXT4_IOC_RESIZE_FS
#define EXT4_IOC_RESIZE_FS _IOW('f', 16, unsigned long long)
#endif

/* /etc/berth/modules: file names under /lib/modules, one per line, in load order. */
void load_modules(void)
{
	FILE *f = fopen("/etc/berth/modules", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		char path[512];
		snprintf(path, sizeof path, "/lib/modules/%s", line);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("module %s listed in /etc/berth/modules is missing: %s", line, strerror(errno));
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
			die("load module %s: %s", line, strerror(errno));
		close(fd);
	}
	fclose(f);
}

/* Free the initramfs: remove its files (never crossing into another filesystem). */
static void remove_tree(int dirfd, dev_t dev)
{
	DIR *d = fdopendir(dirfd);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub >= 0)
				remove_tree(sub, dev);
			unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd, e->d_name, 0);
		}
	}
	closedir(d);
}

void mount_root_and_switch(const struct boot_args *a)
{
	mkdir("/newroot", 0755);
	int tries = 0;
	while (mount(a->root, "/newroot", a->rootfstype, 0, NULL) < 0) {
		/* Block devices of modules loaded a moment ago may still be appearing. */
		if ((errno == ENOENT || errno == ENXIO) && tries++ < 500) {
			struct timespec ts = {0, 10000000};
			nanosleep(&ts, NULL);
			continue;
		}
		die("mount root %s (%s): %s", a->root, a->rootfstype, strerror(errno));
	}
	umount2("/dev", MNT_DETACH);
	umount2("/proc", MNT_DETACH);
	struct stat st;
	if (stat("/", &st) == 0) {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			remove_tree(fd, st.st_dev);
	}
	if (chdir("/newroot") < 0)
		die("chdir /newroot: %s", strerror(errno));
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		die("move the root mount: %s", strerror(errno));
	if (chroot(".") < 0 || chdir("/") < 0)
		die("chroot into the root disk: %s", strerror(errno));
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
	mkdir_p(dst, 0755);
	if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY)
		die("mount %s on %s: %s", type, dst, strerror(errno));
}

void mount_api_filesystems(void)
{
	mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mnt("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	mnt("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mnt("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,ptmxmode=0666,mode=0620,gid=5");
	mnt("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	unlink("/dev/ptmx");
	if (symlink("pts/ptmx", "/dev/ptmx") < 0)
		say("symlink /dev/ptmx: %s", strerror(errno));
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
}

void set_hostname(const char *name)
{
	if (!name[0])
		return;
	if (sethostname(name, strlen(name)) < 0)
		die("sethostname %s: %s", name, strerror(errno));
	char text[256];
	snprintf(text, sizeof text, "%s\n", name);
	mkdir("/etc", 0755);
	/* The root disk is this environment's own copy-on-write view: the image is not touched. */
	if (write_file("/etc/hostname", text) < 0)
		say("write /etc/hostname: %s", strerror(errno));
	snprintf(text, sizeof text, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t%s\n",
		 name);
	if (write_file("/etc/hosts", text) < 0)
		say("write /etc/hosts: %s", strerror(errno));
}

/* berth.disk_size: the disk may be bigger than the filesystem built for the image; grow it online. */
void grow_root(const struct boot_args *a)
{
	if (!a->disk_size)
		return;
	int dev = open(a->root, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		die("open %s: %s", a->root, strerror(errno));
	unsigned long long bytes = 0;
	if (ioctl(dev, BLKGETSIZE64, &bytes) < 0)
		die("size of %s: %s", a->root, strerror(errno));
	close(dev);
	struct statfs sf;
	if (statfs("/", &sf) < 0)
		die("statfs /: %s", strerror(errno));
	unsigned long long blocks = bytes / (unsigned long long)sf.f_bsize;
	if (blocks <= (unsigned long long)sf.f_blocks + 16)
		return;
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ioctl(root, EXT4_IOC_RESIZE_FS, &blocks) < 0)
		die("grow the root filesystem to %llu bytes: %s", bytes, strerror(errno));
	close(root);
}

/* The kernel's own modules, so that modprobe works inside: a read-only hostfs mount of the
 * host directory berth.modules names, at /lib/modules/RELEASE (created on the environment's
 * own disk when the image lacks it). A failure is said on the console, not fatal. */
void mount_kernel_modules(const struct boot_args *a)
{
	if (!a->modules[0])
		return;
	struct utsname u;
	if (uname(&u) < 0)
		return;
	char target[128];
	snprintf(target, sizeof target, "/lib/modules/%s", u.release);
	mkdir_p(target, 0755);
	if (mount("none", target, "hostfs", MS_RDONLY | MS_NOSUID | MS_NODEV, a->modules) < 0)
		say("mount the kernel modules on %s: %s", target, strerror(errno));
}

void power_off(void)
{
	sync();
	require_guest_pid1();
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		say("remount / read-only: %s", strerror(errno));
	sync();
	reboot(RB_POWER_OFF);
	_exit(0);
}
