// SPDX-License-Identifier: MIT
/* test_relay.c — unit tests of src/core/relay.c: batching, short writes, expiry, a VM gone */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "datapath/relay.h"
#include "test_config.h"

#define MAX_FRAMES 32
#define FRAME_LEN 60

static const uint8_t vm_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint32_t vm_ip = 0xc0a84032;

/* A port played by the test: recv hands out scripted frames, send takes up to @capacity. */
struct fake_port {
	struct frame_port port;
	uint8_t script[MAX_FRAMES][FRAME_LEN];
	unsigned scripted, handed;
	int recv_error;
	unsigned capacity;
	uint8_t got[MAX_FRAMES][FRAME_LEN];
	unsigned received;
	bool keep_tail;       /* take frames like a stream socket that takes the last in part */
	unsigned tail_writes; /* send() calls with no frames, to write that tail */
	bool answers;         /* a userspace stack: each frame sent makes one to hand out */
};

static void udp_frame(uint8_t *f, bool from_vm, const uint8_t *src_mac, uint8_t tag);

static int fake_recv(struct frame_port *p, struct frame_batch *b)
{
	struct fake_port *f = container_of(p, struct fake_port, port);

	b->count = 0;
	if (f->recv_error)
		return f->recv_error;
	while (f->handed < f->scripted && b->count < b->cap) {
		memcpy(b->data[b->count], f->script[f->handed++], FRAME_LEN);
		b->len[b->count++] = FRAME_LEN;
	}
	if (f->answers)
		p->rx_pending = f->handed < f->scripted;
	return (int)b->count;
}

static int fake_send(struct frame_port *p, const struct frame_ref *frames, unsigned n)
{
	struct fake_port *f = container_of(p, struct fake_port, port);
	unsigned taken = n < f->capacity ? n : f->capacity;

	if (n == 0 && p->tx_pending) {
		f->tail_writes++;
		p->tx_pending = false; /* the socket had room for the tail */
		return 0;
	}
	for (unsigned i = 0; i < taken; i++) {
		memcpy(f->got[f->received++], frames[i].data, FRAME_LEN);
		if (f->answers && f->scripted < MAX_FRAMES) {
			udp_frame(f->script[f->scripted++], false,
				  (const uint8_t *)"\x02\x00\x00\x00\x00\x01",
				  (uint8_t)(frames[i].data[42] + 100));
			p->rx_pending = true;
		}
	}
	f->capacity -= taken;
	if (taken && f->keep_tail)
		p->tx_pending = true;
	return (int)taken;
}

struct fixture {
	struct config cfg;
	struct loop *loop;
	struct stats stats;
	struct fake_port vm, host;
	struct guard guard;
	struct relay dp;
};

static void fake_init(struct fake_port *f, const char *name)
{
	*f = (struct fake_port){.capacity = 1000};
	/* an eventfd with a count is always readable and writable: the loop always dispatches */
	f->port = (struct frame_port){.name = name, .fd = eventfd(1, EFD_NONBLOCK),
				      .recv = fake_recv, .send = fake_send};
}

/* A UDP frame between the VM and a global address; @tag marks it in the payload. */
static void udp_frame(uint8_t *f, bool from_vm, const uint8_t *src_mac, uint8_t tag)
{
	memset(f, 0, FRAME_LEN);
	memcpy(f, from_vm ? (const uint8_t *)"\x02\x00\x00\x00\x00\x01" : vm_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put_be16(f + 12, ETHERTYPE_IPV4);
	f[14] = 0x45;
	put_be16(f + 16, 20 + 8 + 4);
	f[22] = 64;
	f[23] = IPPROTO_UDP_;
	put_be32(f + 26, from_vm ? vm_ip : 0x08080808);
	put_be32(f + 30, from_vm ? 0x08080808 : vm_ip);
	put_be16(f + 24, test_ip_checksum(f + 14, 20));
	put_be16(f + 34, from_vm ? 40000 : 53);
	put_be16(f + 36, from_vm ? 53 : 40000);
	put_be16(f + 38, 12);
	f[42] = tag;
}

/* @n frames from the host (the bridge's MAC) to the VM, tagged 0..n-1, queued on the host port */
static void script_host_frames(struct fixture *fx, uint8_t n)
{
	for (uint8_t i = 0; i < n; i++)
		udp_frame(fx->host.script[fx->host.scripted++], false,
			  (const uint8_t *)"\x02\x00\x00\x00\x00\x01", i);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	struct inet_addr lease = inet_from_v4(vm_ip);

	test_config(&fx->cfg, vm_mac);
	fx->loop = loop_new();
	fake_init(&fx->vm, "vm");
	fake_init(&fx->host, "host");
	assert_int_equal(guard_init(&fx->guard, &fx->cfg.vm, &fx->cfg.net4, &fx->cfg.net6, &fx->cfg.policy,
				    &fx->stats.names),
			 0);
	assert_int_equal(relay_init(&fx->dp, fx->loop, fx->cfg.vm.mtu, &fx->vm.port,
				    &fx->host.port, &fx->guard, &fx->stats),
			 0);
	guard_set_vm_address(&fx->guard, &lease);
	*state = fx;
	return 0;
}

/* The host side is a userspace stack: its descriptor never says it has frames to hand out. */
static int setup_answering(void **state)
{
	struct fixture *fx;

	setup(state);
	fx = *state;
	relay_fini(&fx->dp);
	close(fx->host.port.fd);
	fx->host.port.fd = eventfd(0, EFD_NONBLOCK); /* writable, never readable */
	fx->host.answers = true;
	assert_int_equal(relay_init(&fx->dp, fx->loop, fx->cfg.vm.mtu, &fx->vm.port,
				    &fx->host.port, &fx->guard, &fx->stats),
			 0);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	relay_fini(&fx->dp);
	guard_fini(&fx->guard);
	close(fx->vm.port.fd);
	close(fx->host.port.fd);
	loop_free(fx->loop);
	free(fx);
	return 0;
}

static void spin(struct fixture *fx, int rounds)
{
	for (int i = 0; i < rounds; i++)
		loop_run_once(fx->loop, 0);
}

static void frames_pass_in_order_both_ways(void **state)
{
	struct fixture *fx = *state;

	for (uint8_t i = 0; i < 5; i++) {
		udp_frame(fx->vm.script[fx->vm.scripted++], true, vm_mac, i);
		udp_frame(fx->host.script[fx->host.scripted++], false,
			  (const uint8_t *)"\x02\x00\x00\x00\x00\x01", (uint8_t)(10 + i));
	}
	spin(fx, 3);
	assert_int_equal(fx->host.received, 5);
	assert_int_equal(fx->vm.received, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(fx->host.got[i][42], i);
		assert_int_equal(fx->vm.got[i][42], 10 + i);
	}
	assert_int_equal(fx->stats.vm_to_host.frames, 5);
	assert_int_equal(fx->stats.vm_to_host.bytes, 5 * FRAME_LEN);
	assert_int_equal(fx->stats.host_to_vm.frames, 5);
}

static void more_than_one_batch(void **state)
{
	struct fixture *fx = *state;

	/* the fake holds MAX_FRAMES; the relay moves RELAY_BATCH per call */
	for (uint8_t i = 0; i < MAX_FRAMES; i++)
		udp_frame(fx->vm.script[fx->vm.scripted++], true, vm_mac, i);
	spin(fx, 4);
	assert_int_equal(fx->host.received, MAX_FRAMES);
	assert_int_equal(fx->host.got[MAX_FRAMES - 1][42], MAX_FRAMES - 1);
}

/* What the host side makes of the VM's frames (rx_pending, no event) reaches the VM at once. */
static void answers_made_by_send_reach_the_vm_on_the_same_turn(void **state)
{
	struct fixture *fx = *state;
	struct inet_addr lease = inet_from_v4(vm_ip);

	guard_set_vm_address(&fx->guard, &lease);
	for (uint8_t i = 0; i < 3; i++)
		udp_frame(fx->vm.script[fx->vm.scripted++], true, vm_mac, i);
	spin(fx, 1);
	assert_int_equal(fx->host.received, 3);
	assert_int_equal(fx->vm.received, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fx->vm.got[i][42], 100 + i);
	assert_false(fx->host.port.rx_pending);
}

static void spoofed_frame_is_dropped_and_the_rest_pass(void **state)
{
	struct fixture *fx = *state;

	udp_frame(fx->vm.script[fx->vm.scripted++], true, vm_mac, 1);
	udp_frame(fx->vm.script[fx->vm.scripted++], true,
		  (const uint8_t *)"\x52\x54\x00\x99\x99\x99", 2);
	udp_frame(fx->vm.script[fx->vm.scripted++], true, vm_mac, 3);
	spin(fx, 2);
	assert_int_equal(fx->host.received, 2);
	assert_int_equal(fx->host.got[0][42], 1);
	assert_int_equal(fx->host.got[1][42], 3);
	assert_int_equal(fx->stats.drops[DROP_SRC_MAC], 1);
}

static void short_write_waits_then_resumes(void **state)
{
	struct fixture *fx = *state;

	fx->host.capacity = 2;
	for (uint8_t i = 0; i < 5; i++)
		udp_frame(fx->vm.script[fx->vm.scripted++], true, vm_mac, i);
	spin(fx, 3);
	assert_int_equal(fx->host.received, 2);
	/* blocked: the VM side is not read meanwhile, nothing is dropped */
	assert_false(fx->dp.vm_events & LOOP_IN);
	assert_true(fx->dp.host_events & LOOP_OUT);
	assert_true(loop_timer_armed(&fx->dp.expiry));
	fx->host.capacity = 100;
	spin(fx, 2);
	assert_int_equal(fx->host.received, 5);
	assert_int_equal(fx->host.got[4][42], 4);
	assert_true(fx->dp.vm_events & LOOP_IN);
	assert_false(loop_timer_armed(&fx->dp.expiry));
	assert_int_equal(fx->stats.drops[DROP_HOST_BUSY], 0);
}

/*
 * A stream port that took the last frame in part keeps its tail: the relay must watch for
 * room and have the port write it, or the VM waits for the rest of a frame until some
 * other frame happens to come its way.
 */
static void port_tail_is_written_when_there_is_room(void **state)
{
	struct fixture *fx = *state;

	fx->vm.keep_tail = true;
	udp_frame(fx->host.script[fx->host.scripted++], false,
		  (const uint8_t *)"\x02\x00\x00\x00\x00\x01", 7);
	spin(fx, 1);
	assert_int_equal(fx->vm.received, 1);
	spin(fx, 2);
	assert_int_equal(fx->vm.tail_writes, 1);
	assert_false(fx->vm.port.tx_pending);
	assert_false(fx->dp.vm_events & LOOP_OUT);
}

static uint32_t watched; /* what the relay last asked of a port with a set of its own */

static void fake_watch(struct frame_port *p, uint32_t events)
{
	(void)p;
	watched = events;
}

static void port_with_its_own_epoll_set_is_told_what_to_watch(void **state)
{
	struct fixture *fx = *state;

	/* like --listen: the port's fd only ever reports LOOP_IN, the port watches the rest */
	fx->vm.port.watch = fake_watch;
	watched = 0;
	fx->vm.capacity = 1;
	script_host_frames(fx, 3);
	spin(fx, 2);
	assert_int_equal(fx->vm.received, 1);
	assert_int_equal(watched, LOOP_IN | LOOP_OUT);
	fx->vm.capacity = 10;
	spin(fx, 1); /* an LOOP_IN from the set is enough to send the rest */
	assert_int_equal(fx->vm.received, 3);
	assert_int_equal(watched, LOOP_IN);
	assert_int_equal(fx->stats.drops[DROP_VM_BUSY], 0);
}

static void blocked_batch_expires_and_is_counted(void **state)
{
	struct fixture *fx = *state;
	struct timespec pause = {.tv_nsec = 120 * 1000 * 1000};

	fx->vm.capacity = 1;
	script_host_frames(fx, 4);
	spin(fx, 2);
	assert_int_equal(fx->vm.received, 1);
	assert_true(loop_timer_armed(&fx->dp.expiry));
	spin(fx, 1);
	assert_int_equal(fx->stats.drops[DROP_VM_BUSY], 0); /* not yet */
	nanosleep(&pause, NULL);
	assert_true(fx->dp.expiry.deadline_ms <= clock_mono_ms());
	spin(fx, 1); /* the loop runs the expired timer */
	assert_int_equal(fx->stats.drops[DROP_VM_BUSY], 3);
	assert_false(loop_timer_armed(&fx->dp.expiry));
	assert_true(fx->dp.host_events & LOOP_IN);
}

static void vm_gone_stops_the_relay(void **state)
{
	struct fixture *fx = *state;

	fx->vm.recv_error = -EPIPE;
	spin(fx, 1);
	assert_true(fx->dp.vm_gone);
	assert_false(fx->dp.failed);
}

static void host_error_is_a_failure(void **state)
{
	struct fixture *fx = *state;

	fx->host.recv_error = -EIO;
	spin(fx, 1);
	assert_true(fx->dp.failed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(frames_pass_in_order_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(more_than_one_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(answers_made_by_send_reach_the_vm_on_the_same_turn,
						setup_answering, teardown),
		cmocka_unit_test_setup_teardown(spoofed_frame_is_dropped_and_the_rest_pass, setup,
						teardown),
		cmocka_unit_test_setup_teardown(short_write_waits_then_resumes, setup, teardown),
		cmocka_unit_test_setup_teardown(port_tail_is_written_when_there_is_room, setup,
						teardown),
		cmocka_unit_test_setup_teardown(port_with_its_own_epoll_set_is_told_what_to_watch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(blocked_batch_expires_and_is_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(vm_gone_stops_the_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(host_error_is_a_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
