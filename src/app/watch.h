/* SPDX-License-Identifier: MIT */
/* watch.h — what the relay saw, handed to the captures (--pcap, --pcap-drops) and the audit */
#ifndef SVM_APP_WATCH_H
#define SVM_APP_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/audit.h"
#include "app/pcap_writer.h"
#include "datapath/relay.h"

/**
 * struct watch - the relay's observer (relay_observer): captures and the audit
 * @guard: the guard (its clock: the time of the batch being relayed)
 * @pcap: the capture of the frames that passed and that sock-vmnet made (--pcap, or
 *        `ctl pcap start`), or NULL
 * @drops: the capture of the frames dropped (--pcap-drops), or NULL
 * @pcap_size: --pcap-size, for both
 * @audit: the flows and --audit's file, or NULL
 */
struct watch {
	const struct guard *guard;
	struct pcap_writer *pcap, *drops;
	uint64_t pcap_size;
	struct audit *audit;
};

/** watch_observer() - the relay's observer for @w */
struct relay_observer watch_observer(struct watch *w);

/** watch_kick() - wake the writer threads that have records waiting (once a loop turn) */
void watch_kick(struct watch *w);

/**
 * watch_pcap_start() - capture into @path from now on (a capture running is closed first,
 *                      so after an error none runs)
 * Return: 0, or -1 with @err (one line, without an option's name).
 */
int watch_pcap_start(struct watch *w, const char *path, char *err, size_t err_size);

/** watch_pcap_stop() - close the capture of the frames that passed. Return: false: none ran */
bool watch_pcap_stop(struct watch *w);

/** watch_close() - close the captures and the audit, every record written first */
void watch_close(struct watch *w);

#endif
