/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * V4L2 devices by what they say they are (VIDIOC_QUERYCAP), for finding the
 * v4l2loopback device by its driver name rather than by guessing numbers,
 * and for `backdrop devices`.
 */
#ifndef BD_COMMON_V4L2_DEVICE_H
#define BD_COMMON_V4L2_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/v4l2_ops.h"

#define BD_V4L2_PATH_MAX 64
#define BD_V4L2_MAX_DEVICES 64

/* The line that creates a loopback device; every "no loopback device"
 * message includes it. */
#define BD_V4L2_MODPROBE_LINE \
    "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label=backdrop"

/* What VIDIOC_QUERYCAP says about one device node. */
struct bd_v4l2_device_info {
    char path[BD_V4L2_PATH_MAX];
    char driver[17];   /* "uvcvideo", "vivid", "v4l2 loopback" (0.12) / "v4l2loopback" */
    char card[33];     /* the product name, or v4l2loopback's card_label */
    char bus_info[33];
    uint32_t caps;     /* this node's capabilities: device_caps when the driver
                          sets V4L2_CAP_DEVICE_CAPS, else capabilities */
    bool is_loopback;  /* driver is v4l2loopback (bd_v4l2_is_loopback_driver) */
    bool can_capture;  /* single-planar VIDEO_CAPTURE + STREAMING in caps */
    bool can_output;   /* VIDEO_OUTPUT in caps */
};

/* True when a QUERYCAP driver name is v4l2loopback's: "v4l2 loopback" in
 * 0.12.x, "v4l2loopback" later; compared ignoring spaces and case. */
bool bd_v4l2_is_loopback_driver(const char *driver);

/*
 * Opens path (O_RDWR | O_NONBLOCK), runs VIDIOC_QUERYCAP, closes it and
 * fills *info. Opening does not disturb a device in use: V4L2 allows any
 * number of opens, and QUERYCAP changes nothing.
 * Returns 0, or -errno with bd_fail() naming the device: -ENOENT (no such
 * file), -EACCES (permission: the message says to join the "video" group),
 * -ENOTTY (not a V4L2 device), others as they come.
 */
int bd_v4l2_query_device(const struct bd_v4l2_ops *ops, const char *path,
                         struct bd_v4l2_device_info *info);

/*
 * Fills paths with the /dev/videoN nodes that exist, sorted by N, and
 * returns how many (at most max), or -errno if /dev cannot be read.
 * This is the only function of the layer that does not go through ops: it
 * reads the directory, which a fake cannot replace; tests pass their own
 * path lists to the functions below instead.
 */
int bd_v4l2_scan_dev(char (*paths)[BD_V4L2_PATH_MAX], int max);

/*
 * Queries each of paths (NULL: bd_v4l2_scan_dev()'s list) and stores the
 * devices that answer QUERYCAP in out[0..*count). Nodes that vanish, deny
 * access or are not V4L2 are skipped, not errors: listing must work with a
 * half-plugged camera. Returns 0 or -errno (only when /dev cannot be read).
 */
int bd_v4l2_list_devices(const struct bd_v4l2_ops *ops, const char *const *paths, int npaths,
                         struct bd_v4l2_device_info *out, int max, int *count);

/* Writes "Video Capture, Streaming, ..." for caps into buf; returns buf. */
char *bd_v4l2_caps_str(uint32_t caps, char *buf, size_t size);

#endif
