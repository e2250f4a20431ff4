/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * V4L2 capture: a webcam (or vivid) in YUYV, NV12 or MJPEG, streamed
 * through mmap buffers, frames handed out without copying, converted to
 * I420 or ARGB with libyuv / libjpeg-turbo.
 *
 * Life cycle (v4l-utils' order):
 *   bd_v4l2_capture_open()      open, QUERYCAP, enumerate modes, choose one,
 *                               S_FMT, S_PARM
 *   bd_v4l2_capture_start()     REQBUFS, QUERYBUF + mmap, QBUF, STREAMON
 *   bd_v4l2_capture_dequeue()   poll + DQBUF: a view into a driver buffer
 *   bd_v4l2_capture_requeue()   QBUF: gives the buffer back
 *   bd_v4l2_capture_stop()      STREAMOFF, munmap, REQBUFS 0 (start again ok)
 *   bd_v4l2_capture_close()     stop + close + free; always releases all
 *
 * Errors: functions return 0 or -errno and set bd_last_error() to one
 * line that names the device and says what to do (bd_v4l2_status() maps
 * the -errno to an enum bd_status). A capture is used by one thread at a
 * time. Nothing here allocates after start: dequeue/requeue and the
 * conversions only touch memory set up before.
 */
#ifndef BD_CAPTURE_V4L2_CAPTURE_H
#define BD_CAPTURE_V4L2_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/v4l2_ops.h"

/* The pixel formats the capture layer decodes (V4L2 fourccs). */
#define BD_FOURCC(a, b, c, d) \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define BD_V4L2_YUYV BD_FOURCC('Y', 'U', 'Y', 'V')
#define BD_V4L2_NV12 BD_FOURCC('N', 'V', '1', '2')
#define BD_V4L2_MJPG BD_FOURCC('M', 'J', 'P', 'G')
#define BD_V4L2_JPEG BD_FOURCC('J', 'P', 'E', 'G') /* old uvc/gspca name for MJPEG */
#define BD_V4L2_YU12 BD_FOURCC('Y', 'U', '1', '2') /* I420 */

/* True for the fourccs above that capture accepts (YUYV, NV12, MJPG, JPEG). */
bool bd_v4l2_capture_supports(uint32_t fourcc);

/* A frame interval in seconds: num/den (V4L2's timeperframe; 1/30 = 30 fps). */
struct bd_v4l2_fract {
    uint32_t num, den;
};

#define BD_V4L2_MAX_INTERVALS 16
#define BD_V4L2_MAX_MODES 128
#define BD_V4L2_MAX_OFFERED 32

/*
 * One pixel format at one frame size, with the frame intervals offered
 * there. Sizes given as a range (STEPWISE/CONTINUOUS) are one mode with
 * stepwise set and width/height = the largest size; their intervals are
 * those at the largest size (the slowest, so a rate check is
 * conservative).
 */
struct bd_v4l2_mode {
    uint32_t fourcc;
    int width, height;
    bool stepwise;
    int min_width, min_height, step_width, step_height; /* when stepwise */
    /* Discrete intervals, shortest (fastest) first; or, when
     * interval_range, intervals[0] = min and intervals[1] = max and any
     * interval between is accepted. n_intervals 0: the driver does not
     * enumerate intervals (the rate is then unknown). */
    struct bd_v4l2_fract intervals[BD_V4L2_MAX_INTERVALS];
    int n_intervals;
    bool interval_range;
};

/* Everything a device offers. */
struct bd_v4l2_modes {
    struct bd_v4l2_mode modes[BD_V4L2_MAX_MODES]; /* supported fourccs only */
    int count;
    uint32_t offered[BD_V4L2_MAX_OFFERED];       /* every fourcc ENUM_FMT gave */
    int n_offered;
};

/*
 * Enumerates an open capture device: ENUM_FMT, ENUM_FRAMESIZES,
 * ENUM_FRAMEINTERVALS on the single-planar capture queue. Formats the
 * layer cannot decode are only listed in offered. Truncates silently at
 * the array sizes. Returns 0 or -errno (only when ENUM_FMT itself fails).
 * Does not call bd_fail().
 */
int bd_v4l2_enum_modes(const struct bd_v4l2_ops *ops, int fd, struct bd_v4l2_modes *modes);

/*
 * Writes a one-line summary such as
 * "YUYV 640x480@25 1280x720@12.5; MJPG 1280x720@30; also offers H264"
 * (each size with its highest rate) into buf, truncated to size; returns buf.
 */
char *bd_v4l2_modes_str(const struct bd_v4l2_modes *modes, char *buf, size_t size);

/* The highest rate of a mode in frames per second (0 when unknown). */
double bd_v4l2_mode_max_fps(const struct bd_v4l2_mode *mode);

/* What the caller asks for. Zeroed fields mean the defaults. */
struct bd_v4l2_request {
    int width, height;   /* 0: 1280x720 */
    int fps;             /* 0: 30 */
    uint32_t fourcc;     /* 0: choose (see bd_v4l2_choose_mode); else only
                            this format, which must be supported and offered */
    bool exact_size;     /* fail with the list of sizes instead of
                            negotiating the nearest one */
    int buffers;         /* mmap buffers for start(); 0: 4; 2..32 */
};

/* The mode chosen for a request. */
struct bd_v4l2_choice {
    uint32_t fourcc;
    int width, height;
    struct bd_v4l2_fract interval; /* the interval to ask for with S_PARM;
                                      {0,0} when the device lists none */
    bool exact_size;               /* width x height is what was asked for */
    bool reaches_fps;              /* the mode offers the requested rate */
};

/*
 * Chooses the best mode for req among modes (pure: no device access):
 *  1. the size: the requested one if any supported format offers it
 *     (stepwise ranges count when the size fits their steps); otherwise,
 *     unless req->exact_size, the nearest offered size: smallest
 *     |w - W| + |h - H|, ties to the larger area (scaling down is better
 *     than up);
 *  2. the format, at that size: YUYV, then NV12, if it reaches the rate
 *     (no decoding: cheapest on the CPU); else MJPEG if it reaches it
 *     (webcams give 720p30 and above mostly as MJPEG: USB 2 has no
 *     bandwidth for raw 720p30); else whichever format is fastest there
 *     (raw first on ties);
 *  3. the interval: the slowest offered one that still reaches the rate,
 *     else the fastest (with a range: 1/fps clamped into it).
 * A mode whose driver lists no intervals counts as reaching any rate
 * (nothing to compare; S_PARM then asks for 1/fps).
 * Returns 0, or fails (bd_fail naming dev and listing what it offers) with
 * -ENOENT when no supported format is offered or the requested fourcc is
 * absent, -ERANGE when req->exact_size and the size is not offered,
 * -EINVAL for a bad request.
 */
int bd_v4l2_choose_mode(const struct bd_v4l2_modes *modes, const struct bd_v4l2_request *req,
                        const char *dev, struct bd_v4l2_choice *out);

/* The format actually in force after S_FMT / S_PARM. */
struct bd_v4l2_format {
    uint32_t fourcc;
    int width, height;
    int stride;                    /* bytesperline (of the Y plane for NV12) */
    size_t sizeimage;              /* the driver's buffer size for a frame */
    struct bd_v4l2_fract interval; /* {0,0} when the driver has no S_PARM */
};

/*
 * A dequeued frame: a view into a driver buffer, valid until it is given
 * back with bd_v4l2_capture_requeue() (or the capture stops).
 */
struct bd_v4l2_frame {
    const uint8_t *data;
    size_t bytesused;      /* bytes of data (an MJPEG frame's length) */
    uint32_t fourcc;
    int width, height;
    int stride;            /* bytes per row; 0 for MJPEG */
    int64_t timestamp_ns;  /* the driver's capture time, CLOCK_MONOTONIC for
                              uvcvideo and vivid (V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) */
    uint32_t sequence;     /* the driver's frame counter; gaps are drops */
    int index;             /* the buffer; for requeue */
};

struct bd_v4l2_capture;

/*
 * Opens path and sets it up for req (NULL: all defaults): O_RDWR |
 * O_NONBLOCK, QUERYCAP (must be single-planar video capture with
 * streaming), bd_v4l2_enum_modes, bd_v4l2_choose_mode, S_FMT, and S_PARM
 * when the device supports it. ops NULL = the real system calls.
 * The format the driver returns is the one used (get it with
 * bd_v4l2_capture_format); a driver that answers with a format the layer
 * cannot decode fails with -EPROTO.
 * Errors (each with a message naming path):
 *   -ENOENT  no such device (hint: `backdrop devices`), or no supported
 *            format (lists what it offers)
 *   -EACCES  permission (hint: the video group)
 *   -ENOTTY  not a V4L2 device, or not a capture device
 *   -EBUSY   "in use by another program" (S_FMT on a streaming device)
 *   -ERANGE  req->exact_size and the size is not offered (lists sizes)
 *   -ENODEV  the device vanished while being set up ("disconnected")
 *   -ENOMEM
 * On failure nothing stays open and *out is NULL.
 */
int bd_v4l2_capture_open(const char *path, const struct bd_v4l2_request *req,
                         const struct bd_v4l2_ops *ops, struct bd_v4l2_capture **out);

/* The negotiated format, the choice that led to it, and the device's modes.
 * Valid until close. */
const struct bd_v4l2_format *bd_v4l2_capture_format(const struct bd_v4l2_capture *cap);
const struct bd_v4l2_choice *bd_v4l2_capture_choice(const struct bd_v4l2_capture *cap);
const struct bd_v4l2_modes *bd_v4l2_capture_modes(const struct bd_v4l2_capture *cap);
const char *bd_v4l2_capture_path(const struct bd_v4l2_capture *cap);
/* The card name from QUERYCAP ("HD Pro Webcam C920"). */
const char *bd_v4l2_capture_card(const struct bd_v4l2_capture *cap);

/*
 * Starts streaming: REQBUFS(req->buffers, MMAP), QUERYBUF + mmap of each,
 * QBUF of all, STREAMON. The driver may give more buffers than asked (all
 * are used) but fewer than 2 is an error.
 * Errors: -EBUSY (in use by another program), -ENODEV (disconnected),
 * -ENOMEM, -EINVAL (already started). On failure everything start did is
 * undone (the device stays open, as after open).
 */
int bd_v4l2_capture_start(struct bd_v4l2_capture *cap);

/*
 * Waits up to timeout_ms (< 0: forever) for a frame and dequeues it into
 * *frame (a view; no copy). Frames the driver marks as corrupt
 * (V4L2_BUF_FLAG_ERROR) or too short for their format are requeued and
 * skipped, within the same timeout; a camera that sends only those still
 * times out.
 * v4l2loopback read as a camera (another program's virtual camera) works,
 * with two quirks of 0.12.7 handled here: it may hand out a buffer the
 * caller still holds (skipped), and a new reader's first frame is the
 * last one written before it started, with sequence 0.
 * The caller must requeue every frame; at most (buffers - 1) may be held
 * at once, so the driver always has one to fill.
 * Returns 0, or:
 *   -ETIMEDOUT  no frame within timeout_ms (the camera stalled; not fatal)
 *   -ENODEV     "disconnected" (unplugged): only close() is useful now
 *   -ENOBUFS    the caller holds too many frames
 *   -EINVAL     not started
 *   -EIO        the driver reported an error
 */
int bd_v4l2_capture_dequeue(struct bd_v4l2_capture *cap, int timeout_ms,
                            struct bd_v4l2_frame *frame);

/*
 * Gives a dequeued frame's buffer back to the driver (QBUF). frame->data
 * must not be used afterwards. Returns 0, -EINVAL (not a held frame), or
 * -ENODEV ("disconnected").
 */
int bd_v4l2_capture_requeue(struct bd_v4l2_capture *cap, const struct bd_v4l2_frame *frame);

/* The fd, for a caller that polls several things at once (POLLIN = a frame
 * is ready). Owned by the capture. */
int bd_v4l2_capture_fd(const struct bd_v4l2_capture *cap);

/* Counters since start: frames dequeued; frames skipped (flagged corrupt,
 * too short, or a buffer the driver handed out while we held it, which
 * v4l2loopback does); frames the driver dropped (sequence gaps, not
 * counted between the first and second frame: see dequeue). */
struct bd_v4l2_capture_stats {
    uint64_t frames, corrupt, dropped;
};
void bd_v4l2_capture_stats(const struct bd_v4l2_capture *cap, struct bd_v4l2_capture_stats *st);

/* Stops streaming: STREAMOFF, munmap of every buffer, REQBUFS 0. Frames
 * still held become invalid. Never fails (errors, e.g. after a disconnect,
 * are ignored: the point is to release); a no-op when not started. */
void bd_v4l2_capture_stop(struct bd_v4l2_capture *cap);

/* Stops, closes the device and frees cap. NULL is a no-op. Always releases
 * the device, also after errors and disconnects. */
void bd_v4l2_capture_close(struct bd_v4l2_capture *cap);

/* ------------------------------------------------------------------------ */
/* Conversion of captured frames                                            */

/*
 * State for converting frames of up to max_width x max_height: libjpeg's
 * decompressor (created once, reused for every MJPEG frame) and its
 * planes. YUYV and NV12 frames need none of it.
 * Why not libyuv's MJPGToI420 (Debian's libyuv is built with HAVE_JPEG and
 * has it): it builds a new decoder and allocates per frame, lets libjpeg
 * print "Corrupt JPEG data" warnings to stderr, and keeps JPEG's full-range
 * YUV as if it were video range.
 */
struct bd_v4l2_converter;

/* Returns 0 or -ENOMEM / -EINVAL; *out is NULL on failure. */
int bd_v4l2_converter_create(int max_width, int max_height, struct bd_v4l2_converter **out);
void bd_v4l2_converter_destroy(struct bd_v4l2_converter *cv);

/*
 * Converts frame to I420 (BT.601, video range 16-235, like YUYV cameras and
 * what v4l2loopback consumers expect) of frame->width x frame->height:
 * YUYV via libyuv YUY2ToI420, NV12 via NV12ToI420, MJPEG via libjpeg-turbo
 * raw (planar) decoding, full range mapped to video range, 4:2:2 / 4:2:0 /
 * 4:4:4 / grey JPEGs. cv may be NULL for YUYV and NV12.
 * Returns 0, or -EINVAL (bad arguments, frame larger than cv's maximum,
 * or too short for its format), -EBADMSG (corrupt or truncated MJPEG
 * frame, or its size differs from the stream's: skip it and keep showing
 * the last good frame), -EOPNOTSUPP (an unsupported fourcc or JPEG
 * subsampling). Sets bd_fail() on errors. Allocates nothing for YUYV/NV12;
 * for MJPEG, libjpeg allocates and frees its per-image working memory
 * inside every decode (its memory manager cannot be given a buffer).
 */
int bd_v4l2_frame_to_i420(struct bd_v4l2_converter *cv, const struct bd_v4l2_frame *frame,
                          uint8_t *dst_y, int dst_stride_y, uint8_t *dst_u, int dst_stride_u,
                          uint8_t *dst_v, int dst_stride_v);

/*
 * Converts frame to libyuv ARGB (bytes B, G, R, A in memory; A = 255):
 * YUYV via YUY2ToARGB, NV12 via NV12ToARGB (BT.601 video range), MJPEG
 * via J42xToARGB (JPEG's full-range matrix). Same errors as
 * bd_v4l2_frame_to_i420().
 */
int bd_v4l2_frame_to_argb(struct bd_v4l2_converter *cv, const struct bd_v4l2_frame *frame,
                          uint8_t *dst_argb, int dst_stride_argb);

#endif
