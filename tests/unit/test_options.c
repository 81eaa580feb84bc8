// SPDX-License-Identifier: MIT
/* test_options.c — unit tests of src/options.c: every flag, every refused value */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "app/options.h"
#include "backend/backend.h"

static struct config cfg;
static char err[512];
static int dgram_fd, stream_fd, inet_fd, seqpacket_fd, pipe_fd;
static char dgram_arg[32], stream_arg[32];

/* Parse a NULL-terminated list of arguments after "sock-vmnet". */
static enum options_result parse_with(bool need_vm, const char *first, ...)
{
	char *argv[64] = {"sock-vmnet"};
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	err[0] = '\0';
	options_free(&cfg); /* what the last parse gave (LeakSanitizer: make asan) */
	return options_parse(argc, argv, need_vm, &cfg, err, sizeof(err));
}

#define parse(...) parse_with(true, __VA_ARGS__, NULL)

static int make_fds(void **state)
{
	int sv[2], p[2];

	(void)state;
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	dgram_fd = sv[0];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	stream_fd = sv[0];
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	seqpacket_fd = sv[0];
	inet_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (pipe(p) < 0)
		return -1;
	pipe_fd = p[0];
	snprintf(dgram_arg, sizeof(dgram_arg), "--fd=%d", dgram_fd);
	snprintf(stream_arg, sizeof(stream_arg), "--fd=%d", stream_fd);
	return 0;
}

static void expect_error(enum options_result r, const char *message)
{
	assert_int_equal(r, OPTIONS_ERROR);
	assert_string_equal(err, message);
}

static void defaults_match_the_seed(void **state)
{
	(void)state;
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56"), OPTIONS_OK);
	assert_int_equal(cfg.vm.fd, dgram_fd);
	assert_int_equal(cfg.vm.transport, VM_FD_DGRAM);
	assert_int_equal(inet_v4(&cfg.net4.gateway), 0xc0a84001); /* --start-addr */
	assert_int_equal(inet_v4(&cfg.net4.range_end), 0xc0a840ff);
	assert_int_equal(cfg.net4.mask, 0xffffff00);
	assert_true(inet_is_v4(&cfg.net4.gateway));
	assert_int_equal(inet_v4(&cfg.net4.subnet.addr), 0xc0a84000);
	assert_int_equal(cfg.net4.subnet.len, 24);
	assert_string_equal(cfg.backend.bridge, "svmnet0");
	assert_int_equal(cfg.vm.mtu, 1500);
	assert_false(cfg.debug);
	assert_true(cfg.sandbox);
	assert_memory_equal(cfg.vm.mac, "\x52\x54\x00\x12\x34\x56", 6);
}

static void sandbox_is_on_or_off(void **state)
{
	(void)state;
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--sandbox=off"), OPTIONS_OK);
	assert_false(cfg.sandbox);
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--sandbox", "on"), OPTIONS_OK);
	assert_true(cfg.sandbox);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--sandbox=yes"),
		     "--sandbox: \"yes\" is neither on nor off");
}

static void both_spellings_work(void **state)
{
	char fd[16];

	(void)state;
	snprintf(fd, sizeof(fd), "%d", dgram_fd);
	assert_int_equal(parse("--fd", fd, "--mac", "52:54:00:12:34:56", "--start-addr", "10.0.0.1",
			       "--end-addr=10.0.0.50", "--subnet-mask", "255.255.255.192", "--debug",
			       "--bridge", "br-test", "--mtu=9000"),
			 OPTIONS_OK);
	assert_int_equal(inet_v4(&cfg.net4.gateway), 0x0a000001);
	assert_int_equal(inet_v4(&cfg.net4.range_end), 0x0a000032);
	assert_int_equal(cfg.net4.subnet.len, 26);
	assert_true(cfg.debug);
	assert_string_equal(cfg.backend.bridge, "br-test");
	assert_int_equal(cfg.vm.mtu, 9000);
}

static void stream_socket_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(parse(stream_arg, "--mac=52:54:00:12:34:56"), OPTIONS_OK);
	assert_int_equal(cfg.vm.transport, VM_FD_STREAM);
}

static void bad_mac_is_refused(void **state)
{
	(void)state;
	expect_error(parse(dgram_arg, "--mac=zz:zz"), "--mac: \"zz:zz\" is not a MAC address");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34"),
		     "--mac: \"52:54:00:12:34\" is not a MAC address");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56:78"),
		     "--mac: \"52:54:00:12:34:56:78\" is not a MAC address");
	expect_error(parse(dgram_arg, "--mac=01:00:5e:00:00:01"),
		     "--mac: \"01:00:5e:00:00:01\" is a multicast address");
	expect_error(parse(dgram_arg, "--mac=ff:ff:ff:ff:ff:ff"),
		     "--mac: \"ff:ff:ff:ff:ff:ff\" is a multicast address");
	expect_error(parse(dgram_arg, "--mac=00:00:00:00:00:00"),
		     "--mac: \"00:00:00:00:00:00\" is the zero address");
	expect_error(parse(dgram_arg), "--mac: missing; see --help");
}

static void bad_fd_is_refused(void **state)
{
	char arg[32];

	(void)state;
	expect_error(parse("--fd=x", "--mac=52:54:00:12:34:56"),
		     "--fd: \"x\" is not a file descriptor number");
	expect_error(parse("--fd=999", "--mac=52:54:00:12:34:56"),
		     "--fd: 999 is not an open file descriptor");
	snprintf(arg, sizeof(arg), "--fd=%d", pipe_fd);
	assert_int_equal(parse(arg, "--mac=52:54:00:12:34:56"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "is not a socket"));
	snprintf(arg, sizeof(arg), "--fd=%d", inet_fd);
	assert_int_equal(parse(arg, "--mac=52:54:00:12:34:56"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "is not an AF_UNIX socket"));
	snprintf(arg, sizeof(arg), "--fd=%d", seqpacket_fd);
	assert_int_equal(parse(arg, "--mac=52:54:00:12:34:56"), OPTIONS_ERROR);
	assert_non_null(strstr(err, "wrong type"));
	expect_error(parse("--mac=52:54:00:12:34:56"),
		     "--fd: missing (or --socket/--listen); see --help");
}

static void bad_addresses_are_refused(void **state)
{
	(void)state;
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--start-addr=192.168.64"),
		     "--start-addr: \"192.168.64\" is not an IPv4 address");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--end-addr=1.2.3.256"),
		     "--end-addr: \"1.2.3.256\" is not an IPv4 address");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--start-addr=192.168.64.100",
			   "--end-addr=192.168.64.10"),
		     "--start-addr: \"192.168.64.100\" is after --end-addr \"192.168.64.10\"");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--end-addr=192.168.65.10"),
		     "--end-addr: \"192.168.65.10\" is outside the subnet of --start-addr");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--subnet-mask=255.0.255.0"),
		     "--subnet-mask: \"255.0.255.0\" is not a contiguous netmask");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--start-addr=192.168.64.0"),
		     "--start-addr: \"192.168.64.0\" is the network or broadcast address");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--start-addr=10.0.0.1",
			   "--end-addr=10.0.0.1", "--subnet-mask=255.0.0.0"),
		     "--end-addr: the range leaves no address for the VM");
}

static void ipv6_on_by_default_with_a_stable_prefix(void **state)
{
	struct inet_prefix first;
	char text[INET_TEXT_LEN];

	(void)state;
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56"), OPTIONS_OK);
	assert_true(cfg.net6.enabled);
	assert_int_equal(cfg.net6.prefix.len, 64);
	assert_int_equal(cfg.net6.prefix.addr.b[0], 0xfd);
	first = cfg.net6.prefix;
	inet_format(&cfg.net6.gateway_ll, text);
	assert_string_equal(text, "fe80::1");
	assert_memory_equal(cfg.net6.gateway.b, first.addr.b, 15);
	assert_int_equal(cfg.net6.gateway.b[15], 1);
	/* the same network again: the same prefix; another IPv4 network: another one */
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:57"), OPTIONS_OK);
	assert_true(inet_equal(&first.addr, &cfg.net6.prefix.addr));
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--start-addr=10.0.5.1",
			       "--end-addr=10.0.5.200"),
			 OPTIONS_OK);
	assert_false(inet_equal(&first.addr, &cfg.net6.prefix.addr));

	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6-prefix",
			       "2001:db8:100::/64"),
			 OPTIONS_OK);
	inet_format(&cfg.net6.gateway, text);
	assert_string_equal(text, "2001:db8:100::1");
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6=off"), OPTIONS_OK);
	assert_false(cfg.net6.enabled);
	/* a link too small for IPv6: off, unless asked for */
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--mtu=576"), OPTIONS_OK);
	assert_false(cfg.net6.enabled);
}

static void bad_ipv6_values_are_refused(void **state)
{
	(void)state;
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6=yes"),
		     "--ipv6: \"yes\" is neither on nor off");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6-prefix=fd00::/48"),
		     "--ipv6-prefix: \"fd00::/48\" is a /48: SLAAC needs a /64 (RFC 4862)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6-prefix=fd00::1/64"),
		     "--ipv6-prefix: \"fd00::1/64\" has bits set beyond /64");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6-prefix=10.0.0.0/8"),
		     "--ipv6-prefix: \"10.0.0.0/8\" is not an IPv6 prefix (want PREFIX/64, e.g. "
		     "fd00:1:2:3::/64)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6-prefix=fe80::/64"),
		     "--ipv6-prefix: \"fe80::/64\" is not a unicast network a VM may have "
		     "(multicast, link-local, site-local and ::/8 are not)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6=on", "--mtu=1000"),
		     "--mtu: 1000 is below IPv6's minimum of 1280 (RFC 8200 5): give --ipv6=off "
		     "or a larger --mtu");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--ipv6=off",
			   "--ipv6-prefix=fd00::/64"),
		     "--ipv6-prefix: IPv6 is off (--ipv6=off or --mtu below 1280)");
}

static void bad_mtu_and_bridge_are_refused(void **state)
{
	(void)state;
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--mtu=65522"),
		     "--mtu: \"65522\" is not a number from 576 to 65521");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--mtu=100"),
		     "--mtu: \"100\" is not a number from 576 to 65521");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--mtu=15OO"),
		     "--mtu: \"15OO\" is not a number from 576 to 65521");
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--mtu=65521"), OPTIONS_OK);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--bridge=a-name-much-too-long"),
		     "--bridge: \"a-name-much-too-long\" is not a valid interface name (letters, "
		     "digits, '-', '_', '.')");
	/* the name goes into nftables' commands: nothing that could end a string there */
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--bridge=br\";x"),
		     "--bridge: \"br\";x\" is not a valid interface name (letters, digits, '-', "
		     "'_', '.')");
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--bridge=br-vm_0.1"),
			 OPTIONS_OK);
}

static void vm_offload_takes_three_modes_on_a_datagram_socket(void **state)
{
	(void)state;
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56"), OPTIONS_OK);
	assert_int_equal(cfg.vm.offload, VM_OFFLOAD_OFF);
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload=on"), OPTIONS_OK);
	assert_int_equal(cfg.vm.offload, VM_OFFLOAD_ON);
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload", "vnet-hdr"),
			 OPTIONS_OK);
	assert_int_equal(cfg.vm.offload, VM_OFFLOAD_VNET_HDR);
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload=off"), OPTIONS_OK);
	assert_int_equal(cfg.vm.offload, VM_OFFLOAD_OFF);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload=yes"),
		     "--vm-offload: \"yes\" is none of off, on, vnet-hdr");
	expect_error(parse(stream_arg, "--mac=52:54:00:12:34:56", "--vm-offload=on"),
		     "--vm-offload: only on a datagram socket (--fd of a SOCK_DGRAM socket, "
		     "--socket, run)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload=on", "--offload=off"),
		     "--vm-offload: needs --offload=on (the host side's large packets)");
	assert_int_equal(parse_with(false, "--mac=52:54:00:12:34:56", "--vm-offload=on", NULL),
			 OPTIONS_OK);
	/* vmnet's virtio header: the vmnet back-end's, for the VM's large packets */
	if (!backend_find("vmnet")) {
		expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload=on",
				   "--vmnet-virtio-header=on"),
			     "--vmnet-virtio-header: only with --backend=vmnet");
		return;
	}
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vmnet-virtio-header=on"),
		     "--vmnet-virtio-header: only with --vm-offload (the VM's large packets pass "
		     "through it)");
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-offload=on",
			       "--vmnet-virtio-header=on"),
			 OPTIONS_OK);
	assert_true(cfg.backend.vmnet.virtio_header);
}

static void unknown_and_stray_arguments_are_refused(void **state)
{
	(void)state;
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--frobnicate"),
		     "--frobnicate: unknown option (see --help)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "extra"),
		     "\"extra\": unexpected argument (see --help)");
	expect_error(parse(dgram_arg, "--mac"), "--mac: needs a value");
}

static void dns_and_policy_lists_are_split(void **state)
{
	(void)state;
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--dns=1.1.1.1,9.9.9.9",
			       "--allow=203.0.113.0/24,198.51.100.7", "--block", "0.0.0.0/0"),
			 OPTIONS_OK);
	assert_int_equal(cfg.dns.count, 2);
	assert_int_equal(inet_v4(&cfg.dns.servers[1]), 0x09090909);
	assert_int_equal(cfg.policy.count, 3);
	assert_true(cfg.policy.rules[0].allow);
	assert_int_equal(cfg.policy.rules[1].dst.len, 32);
	assert_false(cfg.policy.rules[2].allow);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--dns=1.1.1"),
		     "--dns: \"1.1.1\" is not an IP address");
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--allow=10.0.0.0/33"),
			 OPTIONS_ERROR);
	assert_true(strncmp(err, "--allow: ", 9) == 0);
}

static void run_mode_takes_no_vm_socket(void **state)
{
	(void)state;
	assert_int_equal(parse_with(false, "--mac=52:54:00:12:34:56", "--vm-fd-number=4", NULL),
			 OPTIONS_OK);
	assert_int_equal(cfg.vm.fd_number, 4);
	assert_int_equal(parse_with(false, dgram_arg, "--mac=52:54:00:12:34:56", NULL),
			 OPTIONS_ERROR);
	assert_string_equal(err, "--fd: not with \"run\", which makes the VM socket");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--vm-fd-number=4"),
		     "--vm-fd-number: only with \"run\"");
}

static void operators_options(void **state)
{
	char ready[32], policy[] = "/tmp/test_options.XXXXXX", arg[64], want[160];
	int fd = mkstemp(policy);

	(void)state;
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56"), OPTIONS_OK);
	assert_int_equal(cfg.ops.pcap_size, 16u << 20);
	assert_int_equal(cfg.ops.metrics_interval, 15);
	assert_int_equal(cfg.ops.ready_fd, -1);
	snprintf(ready, sizeof(ready), "--ready-fd=%d", pipe_fd);
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--pcap=/tmp/a.pcap",
			       "--pcap-drops", "/tmp/d.pcap", "--pcap-size=2M", "--metrics=/tmp/m.prom",
			       "--metrics-interval=60", "--name=ci-7.a_b:c@d", "--audit=/tmp/a.jsonl",
			       "--audit-size=100k", ready),
			 OPTIONS_OK);
	assert_string_equal(cfg.ops.pcap, "/tmp/a.pcap");
	assert_string_equal(cfg.ops.pcap_drops, "/tmp/d.pcap");
	assert_int_equal(cfg.ops.pcap_size, 2u << 20);
	assert_int_equal(cfg.ops.audit_size, 100u << 10);
	assert_int_equal(cfg.ops.metrics_interval, 60);
	assert_string_equal(cfg.ops.name, "ci-7.a_b:c@d");
	assert_int_equal(cfg.ops.ready_fd, pipe_fd);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--pcap-size=65535"),
		     "--pcap-size: \"65535\" is not a size from 65536 bytes to 1T (a number, K, M or G)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--pcap-size=2T"),
		     "--pcap-size: \"2T\" is not a size from 65536 bytes to 1T (a number, K, M or G)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--pcap-size=-1"),
		     "--pcap-size: \"-1\" is not a size from 65536 bytes to 1T (a number, K, M or G)");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--metrics-interval=86401"),
		     "--metrics-interval: \"86401\" is not a number of seconds from 1 to 86400");
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", "--name=a/b"),
		     "--name: \"a/b\" is not a name (1 to 64 letters, digits, '-', '_', '.', ':', "
		     "'@')");
	snprintf(arg, sizeof(arg), "--ready-fd=%d", dgram_fd);
	snprintf(want, sizeof(want), "--ready-fd: %d is the VM's --fd", dgram_fd);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", arg), want);
	/* --policy: read at once, its rules kept apart from --allow's */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "allow 10.0.0.0/8\nblock udp::53 # dns\n", 37), 37);
	close(fd);
	snprintf(arg, sizeof(arg), "--policy=%s", policy);
	assert_int_equal(parse(dgram_arg, "--mac=52:54:00:12:34:56", arg, "--allow=1.2.3.4"),
			 OPTIONS_OK);
	assert_int_equal(cfg.ops.policy_rules.count, 2);
	assert_int_equal(cfg.policy.count, 1);
	options_free(&cfg);
	assert_null(cfg.ops.policy_rules.rules);
	expect_error(parse(dgram_arg, "--mac=52:54:00:12:34:56", arg, arg),
		     "--policy: given twice (one file; put every rule in it)");
	options_free(&cfg);
	unlink(policy);
}

/*
 * A socket path must fit this OS's sun_path: 104 bytes on macOS (XNU bsd/sys/un.h), 108 on
 * Linux, the NUL included. The longest that fits is taken, one more byte refused.
 */
static void socket_paths_fit_sun_path(void **state)
{
	struct sockaddr_un addr;
	char path[sizeof(addr.sun_path) + 1], arg[sizeof(path) + 16], message[64];

	(void)state;
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[sizeof(addr.sun_path) - 1] = '\0'; /* the longest: sun_path's size less the NUL */
	snprintf(arg, sizeof(arg), "--socket=%s", path);
	assert_int_equal(parse(arg, "--mac=52:54:00:12:34:56"), OPTIONS_OK);
	path[sizeof(addr.sun_path) - 1] = 'p';
	path[sizeof(addr.sun_path)] = '\0';
	snprintf(arg, sizeof(arg), "--listen=%s", path);
	snprintf(message, sizeof(message), "is not a usable socket path (1 to %zu bytes)",
		 sizeof(addr.sun_path) - 1);
	assert_int_equal(parse(arg, "--mac=52:54:00:12:34:56"), OPTIONS_ERROR);
	assert_true(strncmp(err, "--listen: ", 10) == 0);
	assert_non_null(strstr(err, message));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_seed),
		cmocka_unit_test(both_spellings_work),
		cmocka_unit_test(sandbox_is_on_or_off),
		cmocka_unit_test(stream_socket_is_accepted),
		cmocka_unit_test(bad_mac_is_refused),
		cmocka_unit_test(bad_fd_is_refused),
		cmocka_unit_test(bad_addresses_are_refused),
		cmocka_unit_test(bad_mtu_and_bridge_are_refused),
		cmocka_unit_test(vm_offload_takes_three_modes_on_a_datagram_socket),
		cmocka_unit_test(ipv6_on_by_default_with_a_stable_prefix),
		cmocka_unit_test(bad_ipv6_values_are_refused),
		cmocka_unit_test(unknown_and_stray_arguments_are_refused),
		cmocka_unit_test(dns_and_policy_lists_are_split),
		cmocka_unit_test(run_mode_takes_no_vm_socket),
		cmocka_unit_test(operators_options),
		cmocka_unit_test(socket_paths_fit_sun_path),
	};
	return cmocka_run_group_tests(tests, make_fds, NULL);
}
