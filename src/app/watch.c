// SPDX-License-Identifier: MIT
/* watch.c — what the relay saw, handed to the captures (--pcap, --pcap-drops) and the audit */
#include "app/watch.h"

#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void seen(void *ctx, const struct relay_seen *s)
{
	struct watch *w = ctx;
	struct pcap_writer *to = s->action == GUARD_DROP || s->action == GUARD_RESET ? w->drops
										     : w->pcap;

	/*
	 * A segment the name check held or replaced did not go on as it was: what the host
	 * gets is captured as the segments made for it (told as made frames)
	 */
	if (s->action == GUARD_HOLD || s->action == GUARD_EMIT)
		to = NULL;
	if (to)
		pcap_writer_frame(to, s->data, s->len, now_us());
	if (w->audit)
		audit_seen(w->audit, s, w->guard->now_ms);
}

static void answer(void *ctx, const uint8_t *msg, size_t len)
{
	struct watch *w = ctx;

	if (w->audit)
		audit_answer(w->audit, msg, len, w->guard->now_ms);
}

struct relay_observer watch_observer(struct watch *w)
{
	return (struct relay_observer){.seen = seen, .answer = answer, .ctx = w};
}

void watch_kick(struct watch *w)
{
	if (w->pcap)
		pcap_writer_kick(w->pcap);
	if (w->drops)
		pcap_writer_kick(w->drops);
	if (w->audit)
		audit_kick(w->audit);
}

int watch_pcap_start(struct watch *w, const char *path, char *err, size_t err_size)
{
	/* the capture running is closed first: it may be the same file */
	pcap_writer_close(w->pcap);
	w->pcap = pcap_writer_open(path, w->pcap_size, err, err_size);
	return w->pcap ? 0 : -1;
}

bool watch_pcap_stop(struct watch *w)
{
	bool was = w->pcap != NULL;

	pcap_writer_close(w->pcap);
	w->pcap = NULL;
	return was;
}

void watch_close(struct watch *w)
{
	pcap_writer_close(w->pcap);
	pcap_writer_close(w->drops);
	audit_close(w->audit);
	w->pcap = w->drops = NULL;
	w->audit = NULL;
}
