/*
 * Guest network (--network user, bridge networks): loopback always up; with
 * berth.net=ADDR/PREFIX,GATEWAY[,DNS[,MTU]] on the kernel command line, eth0 gets that address
 * (and MTU), a default route via GATEWAY and /etc/resolv.conf names DNS (which may be empty).
 * Plain ioctls: the image needs no tools.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "init.h"

static int set_addr(int s, const char *ifname, unsigned long req, in_addr_t a)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = a;
	return ioctl(s, req, &ifr);
}

static int set_mtu(int s, const char *ifname, int mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_mtu = mtu;
	return ioctl(s, SIOCSIFMTU, &ifr);
}

static int link_up(int s, const char *ifname)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int set_mac(int s, const char *ifname, const char *text)
{
	unsigned int b[6];
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
		errno = EINVAL;
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	for (int i = 0; i < 6; i++)
		ifr.ifr_hwaddr.sa_data[i] = (char)b[i];
	return ioctl(s, SIOCSIFHWADDR, &ifr);
}

/* eth0 from ARG (ADDR/PREFIX,GATEWAY[,DNS[,MTU]], changed in place) and, for a clone, MAC first.
 * NULL, or what failed. */
static const char *configure_eth0(int s, char *arg, const char *mac)
{
	char *addr = arg, *gw = strchr(arg, ','), *dns = NULL, *slash = strchr(arg, '/');
	if (!gw || !slash || slash > gw)
		return "want ADDR/PREFIX,GATEWAY[,DNS[,MTU]]";
	*gw++ = 0;
	*slash = 0;
	if ((dns = strchr(gw, ',')))
		*dns++ = 0;
	char *mtu = dns ? strchr(dns, ',') : NULL;
	if (mtu)
		*mtu++ = 0;
	int prefix = atoi(slash + 1);
	struct in_addr a, g;
	if (inet_pton(AF_INET, addr, &a) != 1 || inet_pton(AF_INET, gw, &g) != 1 || prefix < 1 || prefix > 32)
		return "bad address or gateway";
	/* virtio-net changes its MAC while up (IFF_LIVE_ADDR_CHANGE) and tells QEMU, whose receive
	 * filter then takes the clone's own address. */
	if (mac && set_mac(s, "eth0", mac) < 0)
		return "eth0 MAC address failed";
	in_addr_t mask = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
	if (set_addr(s, "eth0", SIOCSIFADDR, a.s_addr) < 0)
		return "eth0 address failed (is virtio_net loaded?)";
	if (set_addr(s, "eth0", SIOCSIFNETMASK, mask) < 0)
		return "eth0 netmask failed";
	/* A larger MTU is a speed-up, not a need: the defaults still work. */
	if (mtu && *mtu && set_mtu(s, "eth0", atoi(mtu)) < 0)
		say("network: eth0 mtu %s: %s", mtu, strerror(errno));
	if (link_up(s, "eth0") < 0)
		return "eth0 up failed";
	struct rtentry rt;
	memset(&rt, 0, sizeof rt);
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	struct sockaddr_in *rg = (struct sockaddr_in *)&rt.rt_gateway;
	rg->sin_family = AF_INET;
	rg->sin_addr = g;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	/* A clone's address change may keep the saved default route: that one is as good. */
	if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return "default route failed";
	if (dns && *dns) {
		char text[96];
		snprintf(text, sizeof text, "nameserver %s\n", dns);
		if (write_file("/etc/resolv.conf", text) < 0)
			say("network: write /etc/resolv.conf: %s", strerror(errno));
	}
	return NULL;
}

void setup_network(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		say("network: socket: %s", strerror(errno));
		return;
	}
	if (link_up(s, "lo") < 0)
		say("network: lo up: %s", strerror(errno));
	char arg[128];
	if (!cmdline_value("berth.net=", arg, sizeof arg)) {
		close(s);
		return;
	}
	const char *err = configure_eth0(s, arg, NULL);
	if (err)
		die("berth.net: %s: %s", err, strerror(errno));
	close(s);
}

const char *renew_network(const char *net, const char *mac)
{
	char arg[128];
	if (strlen(net) >= sizeof arg)
		return "net: too long";
	strcpy(arg, net);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return "net: socket failed";
	const char *err = configure_eth0(s, arg, mac);
	close(s);
	return err;
}
