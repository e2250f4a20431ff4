/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The virtual camera: frames written to a v4l2loopback device, which
 * browsers and video-call programs then open as a camera.
 *
 * Protocol (what v4l2loopback 0.12.7, Debian 12's, needs; see
 * docs in tests/vm/README.md):
 *   open O_RDWR -> QUERYCAP -> S_FMT on the OUTPUT queue -> S_PARM (the
 *   rate consumers see) -> VIDIOC_STREAMON on the OUTPUT queue -> write()
 *   one whole frame per call -> STREAMOFF -> close.
 * STREAMON is not optional: 0.12.7 only marks an opener as the writer in
 * STREAMON, and only a writer's close() makes the device offer "Video
 * Output" again; a producer that only write()s leaves the device (with
 * exclusive_caps=1) offering neither capture nor output until the module
 * is reloaded.
 *
 * Errors: 0 or -errno, with bd_last_error() naming the device and what to
 * do. One thread at a time per loopback object.
 */
#ifndef BD_OUTPUT_V4L2_LOOPBACK_H
#define BD_OUTPUT_V4L2_LOOPBACK_H

#include <stddef.h>
#include <stdint.h>

#include "common/v4l2_device.h"
#include "common/v4l2_ops.h"

/* Output pixel formats: YUYV (default: Chrome, Firefox and Zoom all accept
 * it) or I420 (V4L2 "YU12"). */
enum bd_loopback_format {
    BD_LOOPBACK_YUYV = 0,
    BD_LOOPBACK_I420 = 1,
};

/* Returns "YUYV" or "I420". */
const char *bd_loopback_format_name(enum bd_loopback_format format);

/*
 * Finds the first v4l2loopback device (by QUERYCAP's driver name, in
 * /dev/videoN order) that no other producer is feeding, and copies its
 * path into path_out (size >= BD_V4L2_PATH_MAX). paths/npaths: the nodes
 * to look at; NULL = every /dev/videoN.
 * Returns 0, or:
 *   -ENOENT  no v4l2loopback device at all; the message includes
 *            BD_V4L2_MODPROBE_LINE
 *   -EBUSY   every loopback device is fed by another producer (named in
 *            the message)
 *   -EIO     the only loopback devices are stuck (see open), with the
 *            reload line
 * "Fed" is read from the caps, which only works with exclusive_caps=1 (the
 * modprobe line's): with exclusive_caps=0, 0.12.7 always shows Video Output
 * and answers a second producer's S_FMT with the running format instead
 * of EBUSY, so nothing tells a fed device from a free one.
 */
int bd_v4l2_loopback_find(const struct bd_v4l2_ops *ops, const char *const *paths, int npaths,
                          char *path_out);

struct bd_v4l2_loopback;

/*
 * Opens the loopback device path (NULL: bd_v4l2_loopback_find()) for
 * frames of width x height (both even, <= 8192) in format at fps (0: 30),
 * and starts it (S_FMT, S_PARM, STREAMON: see the top of this file).
 * Allocates the one frame buffer it will ever need.
 * Errors, each with a message naming the device:
 *   -ENOENT  no such device / no loopback device (with BD_V4L2_MODPROBE_LINE)
 *   -ENOTTY  not a v4l2loopback device (e.g. the path of a real camera)
 *   -EBUSY   "already fed by another producer": QUERYCAP shows only
 *            Video Capture (exclusive_caps=1 and a producer is writing), or
 *            S_FMT/STREAMON answered EBUSY (newer v4l2loopback)
 *   -EIO     the device offers neither capture nor output (left stuck by a
 *            write()-only producer: the message gives the reload line)
 *   -EPROTO  the device kept another size or format (an earlier producer's,
 *            held while a reader still has it open)
 *   -EINVAL  bad size; -ENOMEM; -EACCES
 * On failure nothing stays open and *out is NULL.
 */
int bd_v4l2_loopback_open(const char *path, int width, int height,
                          enum bd_loopback_format format, int fps,
                          const struct bd_v4l2_ops *ops, struct bd_v4l2_loopback **out);

/* The device's path (the one found, when open was given NULL). */
const char *bd_v4l2_loopback_path(const struct bd_v4l2_loopback *lb);

/* The producer's fd (for bd_lb_watch_open: events come on it). */
int bd_v4l2_loopback_fd(const struct bd_v4l2_loopback *lb);

/* Bytes of one frame as written (w*h*2 for YUYV, w*h*3/2 for I420). */
size_t bd_v4l2_loopback_frame_size(const struct bd_v4l2_loopback *lb);

/*
 * Converts an I420 image of the device's size into the output format (in
 * the buffer allocated at open; I420ToYUY2 for YUYV) and writes it as one
 * frame. Keeps it as the last frame for bd_v4l2_loopback_repeat().
 * Returns 0; BD_LOOPBACK_NOT_TAKEN when the device took none of the frame,
 * twice (v4l2loopback 0.15 does so for a moment while a consumer leaves
 * and another arrives: the frame is lost, the stream is not; the caller
 * counts it dropped and goes on); -EIO (a torn frame: some bytes but not
 * all), -ENODEV ("disconnected": the module was removed), other -errno
 * from write(). No allocation.
 */
#define BD_LOOPBACK_NOT_TAKEN 1
int bd_v4l2_loopback_write_i420(struct bd_v4l2_loopback *lb,
                                const uint8_t *y, int stride_y,
                                const uint8_t *u, int stride_u,
                                const uint8_t *v, int stride_v);

/* Writes a frame that is already in the output format and exactly
 * bd_v4l2_loopback_frame_size() bytes (copied as the last frame).
 * Same errors as bd_v4l2_loopback_write_i420(), plus -EINVAL for a wrong
 * size. */
int bd_v4l2_loopback_write_raw(struct bd_v4l2_loopback *lb, const void *data, size_t size);

/* Writes the last frame again (black before the first one), for when the
 * input stalls: consumers time out and show an error when frames stop. */
int bd_v4l2_loopback_repeat(struct bd_v4l2_loopback *lb);

/* STREAMOFF, close, free. NULL is a no-op. Always releases the device:
 * afterwards it offers Video Output again to the next producer. */
void bd_v4l2_loopback_close(struct bd_v4l2_loopback *lb);

#endif
