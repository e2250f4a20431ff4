/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The PipeWire camera: frames offered as a "Video/Source" node (media.role
 * "Camera") on the user's own PipeWire daemon, which browsers, video-call
 * programs and the camera portal list next to real cameras.
 *
 * How it works
 *  - open connects to the daemon of the calling user (the socket in
 *    $XDG_RUNTIME_DIR, or $PIPEWIRE_REMOTE; no root), creates a pw_stream
 *    and runs it on its own pw_thread_loop. The stream offers one size and
 *    rate, in I420 or YUY2: the consumer picks the format. Buffers are
 *    allocated by PipeWire (memfd, mapped: MAP_BUFFERS), one data block
 *    each, laid out as GStreamer lays out a frame of that format (I420:
 *    Y stride = width rounded up to 4, U/V stride = width/2 rounded up to
 *    4, planes back to back; YUY2: stride = 2 * width), which is what
 *    pipewiresrc and other consumers assume of a single-block buffer.
 *  - The stream is the graph's driver (PW_STREAM_FLAG_DRIVER): each write
 *    queues one buffer and triggers one graph cycle, so consumers run at
 *    the rate the caller writes at. When another node drives the graph
 *    instead, the queued buffer is taken on that driver's next cycle.
 *  - write never waits for a consumer. With no consumer linked, before a
 *    format is negotiated, or when every buffer is still held by the
 *    consumer, the frame is dropped and counted. A consumer that leaves
 *    and another that comes later is the normal life of a camera: frames
 *    are dropped in between, then flow again.
 *  - Buffers carry SPA_META_Header (when the consumer takes metadata, as
 *    pipewiresrc does): pts = CLOCK_MONOTONIC in ns at write (PipeWire's
 *    clock domain), seq = 0, 1, 2... per queued frame.
 *
 * Errors are enum bd_status values with a one-line bd_last_error() naming
 * the node and what to do. Nothing is allocated per frame. The library
 * never exits; PipeWire's own log lines (warnings) go to stderr as
 * PipeWire configures them (PIPEWIRE_DEBUG).
 */
#ifndef BD_OUTPUT_PIPEWIRE_OUT_H
#define BD_OUTPUT_PIPEWIRE_OUT_H

#include <stdint.h>

#include "common/frame.h"

/* Largest width or height accepted by open. */
#define BD_PW_MAX_DIM 8192

/* Seconds open waits for the daemon to create the node. */
#define BD_PW_OPEN_TIMEOUT_S 5

struct bd_pw_output;

/*
 * Connects to the user's PipeWire daemon and creates the camera node.
 *   name         node.name, e.g. "backdrop" (what target-object= and
 *                PIPEWIRE_NODE= match); non-empty, copied.
 *   description  node.description shown by pickers, e.g. "backdrop
 *                virtual camera"; NULL = name; copied.
 *   width, height  the frame size, both even, 2..BD_PW_MAX_DIM.
 *   fps_num/fps_den  the nominal rate advertised (both > 0); the real rate
 *                is the rate of bd_pw_output_write calls.
 * Calls pw_init (reference-counted by PipeWire, balanced by close), starts
 * a pw_thread_loop thread, and returns once the daemon has created the
 * node (its id is known) or after BD_PW_OPEN_TIMEOUT_S.
 * Errors:
 *   BD_ERR_INVALID_ARG  bad name, size or rate;
 *   BD_ERR_IO           the daemon is not reachable ("PipeWire: cannot
 *                       connect to the daemon (is pipewire running for
 *                       this user? XDG_RUNTIME_DIR=...)"), refused the
 *                       node, or did not answer in time;
 *   BD_ERR_NOMEM.
 * On success *out owns the connection and its thread; on failure *out is
 * NULL and nothing is left running. May be called from any thread.
 */
int bd_pw_output_open(const char *name, const char *description, int width, int height,
                      int fps_num, int fps_den, struct bd_pw_output **out);

/*
 * The node's global id in the daemon, e.g. for "PipeWire node 42
 * 'backdrop'"; SPA_ID_INVALID (0xffffffff) when it is not known (it is
 * known once open returned, until the daemon goes away). Any thread.
 */
uint32_t bd_pw_output_node_id(struct bd_pw_output *o);

/*
 * Offers one I420 frame of the open size (strides >= the plane widths).
 * When a consumer is streaming and a buffer is free, the frame is copied
 * into it in the negotiated format (libyuv I420Copy or I420ToYUY2), its
 * chunk (offset 0, size, stride) and header meta are set, it is queued and
 * a graph cycle is triggered; otherwise it is dropped. Never blocks on the
 * consumer (it only takes the thread loop's lock, which PipeWire callbacks
 * hold for microseconds). Called from one thread at a time.
 * Returns BD_OK (queued or dropped: see bd_pw_output_stats),
 * BD_ERR_INVALID_ARG (NULL planes, wrong size, strides too small), or
 * BD_ERR_IO once the stream failed or the daemon went away (the message
 * says which; every later call returns it too: close and open again).
 */
int bd_pw_output_write(struct bd_pw_output *o, const struct bd_i420_view *frame);

/* Frames queued to the consumer and frames dropped so far (either pointer
 * may be NULL). Any thread. */
void bd_pw_output_stats(struct bd_pw_output *o, uint64_t *queued, uint64_t *dropped);

/*
 * On demand: the number of consumers streaming from the node: while the
 * stream runs (state STREAMING: PipeWire moves a driver stream to PAUSED
 * when its last consumer unlinks), the distinct nodes linked to ours, as
 * the daemon's registry lists its links (link.output.node = our node; a
 * consumer with several links counts once), and at least 1 (a registry
 * that hides the consumers' links, as a sandbox's may, says nothing more);
 * 0 otherwise; -1 once the stream failed. The links are followed on the
 * loop thread as the registry announces and removes them; this only reads
 * them (no allocation, no round trip to the daemon). Any thread.
 */
int bd_pw_output_consumers(struct bd_pw_output *o);

/*
 * Stops the thread loop, destroys the stream (consumers see the node go
 * away), disconnects and balances pw_init with pw_deinit. NULL is a
 * no-op. Not concurrently with write on the same object.
 */
void bd_pw_output_close(struct bd_pw_output *o);

#endif
