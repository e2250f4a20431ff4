/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * On demand (issue 15): who streams from the virtual camera, and when the
 * real camera should be opened or closed because of it.
 *
 * Two parts:
 *  - bd_ondemand: the decision, a pure state machine (no I/O, no clock of
 *    its own), so that its grace period and its counting are unit-tested
 *    without a device.
 *  - bd_lb_watch: the count of streaming consumers of a v4l2loopback
 *    device, from the module itself where it can tell (0.13 and later: the
 *    client-usage event) and from /proc where it cannot (0.12.x, Debian
 *    12's); see docs/ARCHITECTURE.md "On demand" for the limits of each.
 *
 * Errors: 0 or -errno. One thread at a time per object.
 */
#ifndef BD_OUTPUT_CONSUMERS_H
#define BD_OUTPUT_CONSUMERS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/v4l2_ops.h"

/* ---- the decision -------------------------------------------------------- */

enum bd_ondemand_action {
    BD_ONDEMAND_NONE = 0,
    BD_ONDEMAND_START = 1, /* a consumer streams: open the camera, infer */
    BD_ONDEMAND_STOP = 2,  /* nobody streamed for the grace period: close it */
};

struct bd_ondemand {
    int64_t grace_ns;      /* how long no consumer must last before STOP */
    int active;            /* the camera is (to be) open */
    int64_t empty_since;   /* when the count last fell to 0 while active; -1: not empty */
};

/* Starts idle (the camera closed) with grace_ns >= 0. */
void bd_ondemand_init(struct bd_ondemand *od, int64_t grace_ns);

/*
 * Feeds the current number of streaming consumers (< 0: unknown, taken as
 * "no change": neither starts nor stops anything) at time now_ns
 * (monotonic). START as soon as one streams while idle; STOP once none has
 * streamed for grace_ns while active (a consumer that comes back within
 * the grace period keeps the camera open: a program that stops and
 * restarts its stream, as browsers do on a resolution change, does not
 * flap the camera).
 */
enum bd_ondemand_action bd_ondemand_update(struct bd_ondemand *od, int consumers, int64_t now_ns);

/* ---- who streams from a v4l2loopback device ------------------------------ */

/* v4l2loopback's private event (0.13+), defined only in its source. */
#define BD_V4L2_EVENT_PRI_CLIENT_USAGE (0x08000000 + 0x08E00000 + 1)

enum bd_lb_watch_mode {
    BD_LB_WATCH_EVENT = 1, /* the module's client-usage event */
    BD_LB_WATCH_PROC = 2,  /* inotify on the node + /proc/PID/maps */
};

struct bd_lb_watch;

/*
 * Starts watching the loopback device that fd (the producer's, opened on
 * path) feeds. Subscribes to the client-usage event through ops; where the
 * module has none (0.12.x answers EINVAL), falls back to PROC: an inotify
 * watch on path for opens and closes, and, while another program has the
 * device open, a scan of /proc/PID/maps (proc_root: NULL = "/proc") for
 * mappings of the device's buffers. Returns 0 or -errno (-ENOMEM, or the
 * inotify or stat error in PROC mode).
 */
int bd_lb_watch_open(const struct bd_v4l2_ops *ops, int fd, const char *path,
                     const char *proc_root, struct bd_lb_watch **out);

enum bd_lb_watch_mode bd_lb_watch_mode(const struct bd_lb_watch *w);

/*
 * The current number of streaming consumers, without blocking: the last
 * event's count (EVENT), or the processes with the device's buffers mapped
 * (PROC: rescanned at most every rescan_ms while other programs have it
 * open, never while nobody has). now_ns: monotonic. Returns >= 0, or
 * -errno when the device went away (-ENODEV).
 */
int bd_lb_watch_count(struct bd_lb_watch *w, int64_t now_ns);

/* The fd to poll() for a change (POLLPRI for EVENT, POLLIN for PROC), so
 * an idle pipeline can sleep until a consumer comes. */
int bd_lb_watch_fd(const struct bd_lb_watch *w, short *events);

void bd_lb_watch_close(struct bd_lb_watch *w);

/*
 * Counts, in the text of one /proc/PID/maps, the lines mapping the file
 * (dev, ino) (dev as st_dev of the node: the "MAJ:MIN" column; ino: the
 * inode column). Pure, for the unit tests and the scan.
 */
int bd_maps_count_mappings(const char *text, size_t len, dev_t dev, ino_t ino);

#endif
