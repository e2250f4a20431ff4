/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The v4l2loopback producer (see v4l2_loopback.h). */
#include "output/v4l2_loopback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/videodev2.h>
#include <libyuv/convert.h>
#include <libyuv/convert_from.h>

#include "common/error.h"

#define MAX_SIDE 8192 /* v4l2loopback's default max_width/max_height */

struct bd_v4l2_loopback {
    const struct bd_v4l2_ops *ops;
    int fd;
    char path[BD_V4L2_PATH_MAX];
    int width, height;
    enum bd_loopback_format format;
    bool streaming;
    uint8_t *frame;        /* the frame as written; also the last frame */
    size_t frame_size;
};

const char *bd_loopback_format_name(enum bd_loopback_format format)
{
    return format == BD_LOOPBACK_I420 ? "I420" : "YUYV";
}

static uint32_t v4l2_fourcc_of(enum bd_loopback_format f)
{
    return f == BD_LOOPBACK_I420 ? V4L2_PIX_FMT_YUV420 : V4L2_PIX_FMT_YUYV;
}

static int no_loopback(void)
{
    return bd_fail(-ENOENT, "no v4l2loopback device found; create one with: " BD_V4L2_MODPROBE_LINE);
}

int bd_v4l2_loopback_find(const struct bd_v4l2_ops *ops, const char *const *paths, int npaths,
                          char *path_out)
{
    struct bd_v4l2_device_info devs[BD_V4L2_MAX_DEVICES];
    int n = 0;
    path_out[0] = '\0';
    int r = bd_v4l2_list_devices(ops, paths, npaths, devs, BD_V4L2_MAX_DEVICES, &n);
    if (r < 0)
        return r;
    const char *busy = NULL, *stuck = NULL;
    for (int i = 0; i < n; i++) {
        if (!devs[i].is_loopback)
            continue;
        if (devs[i].can_output) {
            snprintf(path_out, BD_V4L2_PATH_MAX, "%s", devs[i].path);
            return 0;
        }
        /* exclusive_caps=1: capture only = fed; neither = stuck */
        if (devs[i].caps & V4L2_CAP_VIDEO_CAPTURE) {
            if (!busy)
                busy = devs[i].path;
        } else if (!stuck) {
            stuck = devs[i].path;
        }
    }
    if (busy)
        return bd_fail(-EBUSY, "every v4l2loopback device is already fed by another producer (e.g. %s); "
                       "stop it, or add a device: sudo modprobe -r v4l2loopback && "
                       "sudo modprobe v4l2loopback devices=2 exclusive_caps=1 card_label=backdrop", busy);
    if (stuck)
        return bd_fail(-EIO, "v4l2loopback device %s offers neither output nor capture: a producer that "
                       "never called STREAMON left it stuck; reload the module: sudo modprobe -r "
                       "v4l2loopback && " BD_V4L2_MODPROBE_LINE, stuck);
    return no_loopback();
}

static int lb_error(const char *path, int err, const char *what)
{
    switch (-err) {
    case ENOENT:
        return bd_fail(err, "loopback device '%s' does not exist; create one with: " BD_V4L2_MODPROBE_LINE,
                       path);
    case ENODEV:
    case ENXIO:
        return bd_fail(-ENODEV, "loopback device '%s' was disconnected (v4l2loopback unloaded?)", path);
    case EBUSY:
        return bd_fail(err, "loopback device '%s' is already fed by another producer; stop it or "
                       "use another device", path);
    case EACCES:
    case EPERM:
        return bd_fail(err, "loopback device '%s': permission denied; add yourself to the 'video' "
                       "group (sudo usermod -aG video $USER) and log in again", path);
    default:
        return bd_fail(err, "loopback device '%s': %s failed: %s", path, what, strerror(-err));
    }
}

/* Fills lb->frame with black in the output format. */
static void fill_black(struct bd_v4l2_loopback *lb)
{
    size_t pixels = (size_t)lb->width * (size_t)lb->height;
    if (lb->format == BD_LOOPBACK_YUYV) {
        for (size_t i = 0; i < pixels * 2; i += 2) {
            lb->frame[i] = 16;
            lb->frame[i + 1] = 128;
        }
    } else {
        memset(lb->frame, 16, pixels);
        memset(lb->frame + pixels, 128, lb->frame_size - pixels);
    }
}

/* S_FMT, then check that the device took it: 0.12.7 silently keeps an
 * earlier producer's format while a reader still has the device open. */
static int set_format(struct bd_v4l2_loopback *lb)
{
    struct v4l2_format f;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    f.fmt.pix.width = (uint32_t)lb->width;
    f.fmt.pix.height = (uint32_t)lb->height;
    f.fmt.pix.pixelformat = v4l2_fourcc_of(lb->format);
    f.fmt.pix.field = V4L2_FIELD_NONE;
    f.fmt.pix.bytesperline = (uint32_t)(lb->format == BD_LOOPBACK_YUYV ? lb->width * 2 : lb->width);
    f.fmt.pix.sizeimage = (uint32_t)lb->frame_size;
    /* The colour space consumers are told; BT.601 video range is what the
     * I420/YUYV we write is. */
    f.fmt.pix.colorspace = V4L2_COLORSPACE_SMPTE170M;
    int r = bd_v4l2_ioctl(lb->ops, lb->fd, VIDIOC_S_FMT, &f);
    if (r < 0)
        return lb_error(lb->path, r, "VIDIOC_S_FMT");
    if ((int)f.fmt.pix.width != lb->width || (int)f.fmt.pix.height != lb->height ||
        f.fmt.pix.pixelformat != v4l2_fourcc_of(lb->format)) {
        char fcc[8];
        return bd_fail(-EPROTO, "loopback device '%s' keeps %ux%u %s from an earlier producer while "
                       "a program still reads it; close that program, or use %ux%u",
                       lb->path, f.fmt.pix.width, f.fmt.pix.height,
                       bd_v4l2_fourcc_str(f.fmt.pix.pixelformat, fcc), f.fmt.pix.width,
                       f.fmt.pix.height);
    }
    return 0;
}

int bd_v4l2_loopback_open(const char *path, int width, int height, enum bd_loopback_format format,
                          int fps, const struct bd_v4l2_ops *ops, struct bd_v4l2_loopback **out)
{
    *out = NULL;
    ops = bd_v4l2_ops_or_sys(ops);
    char found[BD_V4L2_PATH_MAX];
    if (!path) {
        int r = bd_v4l2_loopback_find(ops, NULL, 0, found);
        if (r < 0)
            return r;
        path = found;
    }
    if (width <= 0 || height <= 0 || (width & 1) || (height & 1) || width > MAX_SIDE || height > MAX_SIDE)
        return bd_fail(-EINVAL, "loopback device '%s': bad size %dx%d (even, up to %d)", path, width,
                       height, MAX_SIDE);
    if (format != BD_LOOPBACK_YUYV && format != BD_LOOPBACK_I420)
        return bd_fail(-EINVAL, "loopback device '%s': bad output format", path);
    if (fps <= 0)
        fps = 30;

    struct bd_v4l2_loopback *lb = calloc(1, sizeof *lb);
    if (!lb)
        return bd_fail(-ENOMEM, "loopback device '%s': out of memory", path);
    lb->ops = ops;
    lb->fd = -1;
    snprintf(lb->path, sizeof lb->path, "%s", path);
    lb->width = width;
    lb->height = height;
    lb->format = format;
    size_t pixels = (size_t)width * (size_t)height;
    lb->frame_size = format == BD_LOOPBACK_YUYV ? pixels * 2 : pixels + pixels / 2;
    int r;
    lb->frame = malloc(lb->frame_size);
    if (!lb->frame) {
        r = bd_fail(-ENOMEM, "loopback device '%s': out of memory for a %dx%d frame", path, width, height);
        goto fail;
    }
    fill_black(lb);

    lb->fd = bd_v4l2_open(ops, path, O_RDWR);
    if (lb->fd < 0) {
        r = lb_error(path, lb->fd, "open");
        lb->fd = -1;
        goto fail;
    }
    struct v4l2_capability vc;
    memset(&vc, 0, sizeof vc);
    r = bd_v4l2_ioctl(ops, lb->fd, VIDIOC_QUERYCAP, &vc);
    if (r < 0) {
        if (r == -ENOTTY || r == -EINVAL)
            r = bd_fail(-ENOTTY, "'%s' is not a V4L2 device; the virtual camera needs a v4l2loopback "
                        "device (" BD_V4L2_MODPROBE_LINE ")", path);
        else
            r = lb_error(path, r, "VIDIOC_QUERYCAP");
        goto fail;
    }
    char driver[17];
    bd_v4l2_copy_name(driver, sizeof driver, vc.driver, sizeof vc.driver);
    uint32_t caps = (vc.capabilities & V4L2_CAP_DEVICE_CAPS) ? vc.device_caps : vc.capabilities;
    if (!bd_v4l2_is_loopback_driver(driver)) {
        r = bd_fail(-ENOTTY, "'%s' is a %s device, not v4l2loopback; the virtual camera needs a "
                    "loopback device (" BD_V4L2_MODPROBE_LINE ")", path, driver);
        goto fail;
    }
    if (!(caps & V4L2_CAP_VIDEO_OUTPUT)) {
        if (caps & V4L2_CAP_VIDEO_CAPTURE)
            r = bd_fail(-EBUSY, "loopback device '%s' is already fed by another producer; stop it or "
                        "use another device", path);
        else
            r = bd_fail(-EIO, "loopback device '%s' offers neither output nor capture: a producer that "
                        "never called STREAMON left it stuck; reload the module: sudo modprobe -r "
                        "v4l2loopback && " BD_V4L2_MODPROBE_LINE, path);
        goto fail;
    }
    r = set_format(lb);
    if (r < 0)
        goto fail;
    /* The rate consumers see in G_PARM; a loopback that refuses it still
     * works, so errors other than a vanished device are ignored. */
    struct v4l2_streamparm p;
    memset(&p, 0, sizeof p);
    p.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    p.parm.output.timeperframe.numerator = 1;
    p.parm.output.timeperframe.denominator = (uint32_t)fps;
    r = bd_v4l2_ioctl(ops, lb->fd, VIDIOC_S_PARM, &p);
    if (r == -ENODEV) {
        r = lb_error(path, r, "VIDIOC_S_PARM");
        goto fail;
    }
    int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
    r = bd_v4l2_ioctl(ops, lb->fd, VIDIOC_STREAMON, &type);
    /* 0.13 and later refuse a STREAMON without REQBUFS (EINVAL) and need
     * none for write(), which claims the device by itself */
    if (r == -EINVAL)
        r = 0;
    else if (r == 0)
        lb->streaming = true;
    if (r < 0) {
        r = lb_error(path, r, "VIDIOC_STREAMON");
        goto fail;
    }
    *out = lb;
    return 0;
fail:
    bd_v4l2_close(ops, lb->fd);
    free(lb->frame);
    free(lb);
    return r;
}

const char *bd_v4l2_loopback_path(const struct bd_v4l2_loopback *lb)
{
    return lb->path;
}

int bd_v4l2_loopback_fd(const struct bd_v4l2_loopback *lb)
{
    return lb->fd;
}

size_t bd_v4l2_loopback_frame_size(const struct bd_v4l2_loopback *lb)
{
    return lb->frame_size;
}

static int write_frame(struct bd_v4l2_loopback *lb)
{
    /* One write() is one frame to v4l2loopback; a short write would be a
     * torn frame, and is reported, not continued. */
    ssize_t n = bd_v4l2_write(lb->ops, lb->fd, lb->frame, lb->frame_size);
    /* Nothing taken is not a torn frame: v4l2loopback 0.15 returns 0 while
     * its buffers are freed and made again between one consumer's close
     * and the next one's open (seen in tests/vm/ondemand.sh); once more,
     * then the frame is given up, not the stream. */
    if (n == 0)
        n = bd_v4l2_write(lb->ops, lb->fd, lb->frame, lb->frame_size);
    if (n == 0)
        return BD_LOOPBACK_NOT_TAKEN;
    if (n < 0)
        return lb_error(lb->path, (int)n, "write");
    if ((size_t)n != lb->frame_size)
        return bd_fail(-EIO, "loopback device '%s' took %zd of %zu bytes of a frame", lb->path, n,
                       lb->frame_size);
    return 0;
}

int bd_v4l2_loopback_write_i420(struct bd_v4l2_loopback *lb, const uint8_t *y, int stride_y,
                                const uint8_t *u, int stride_u, const uint8_t *v, int stride_v)
{
    int w = lb->width, h = lb->height;
    if (!y || !u || !v || stride_y < w || stride_u < w / 2 || stride_v < w / 2)
        return bd_fail(-EINVAL, "loopback device '%s': bad I420 frame", lb->path);
    if (lb->format == BD_LOOPBACK_YUYV) {
        I420ToYUY2(y, stride_y, u, stride_u, v, stride_v, lb->frame, w * 2, w, h);
    } else {
        size_t pixels = (size_t)w * (size_t)h;
        I420Copy(y, stride_y, u, stride_u, v, stride_v, lb->frame, w, lb->frame + pixels, w / 2,
                 lb->frame + pixels + pixels / 4, w / 2, w, h);
    }
    return write_frame(lb);
}

int bd_v4l2_loopback_write_raw(struct bd_v4l2_loopback *lb, const void *data, size_t size)
{
    if (!data || size != lb->frame_size)
        return bd_fail(-EINVAL, "loopback device '%s': frame of %zu bytes, expected %zu", lb->path, size,
                       lb->frame_size);
    memcpy(lb->frame, data, size);
    return write_frame(lb);
}

int bd_v4l2_loopback_repeat(struct bd_v4l2_loopback *lb)
{
    return write_frame(lb);
}

void bd_v4l2_loopback_close(struct bd_v4l2_loopback *lb)
{
    if (!lb)
        return;
    if (lb->streaming) {
        /* A no-op in 0.12.7 (close is what frees the writer slot), but
         * later versions and other output drivers want it. */
        int type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
        (void)bd_v4l2_ioctl(lb->ops, lb->fd, VIDIOC_STREAMOFF, &type);
    }
    bd_v4l2_close(lb->ops, lb->fd);
    free(lb->frame);
    free(lb);
}
