/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * V4L2 capture (see v4l2_capture.h): mode enumeration and choice, setup,
 * mmap streaming. The conversions are in v4l2_convert.c.
 */
#include "capture/v4l2_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/videodev2.h>

#include "common/error.h"
#include "common/v4l2_device.h"

#define DEFAULT_WIDTH 1280
#define DEFAULT_HEIGHT 720
#define DEFAULT_FPS 30
#define DEFAULT_BUFFERS 4
#define MAX_BUFFERS 32

bool bd_v4l2_capture_supports(uint32_t fourcc)
{
    return fourcc == BD_V4L2_YUYV || fourcc == BD_V4L2_NV12 || fourcc == BD_V4L2_MJPG ||
           fourcc == BD_V4L2_JPEG;
}

static bool is_raw(uint32_t fourcc)
{
    return fourcc == BD_V4L2_YUYV || fourcc == BD_V4L2_NV12;
}

/* ------------------------------------------------------------------------ */
/* Enumeration                                                               */

static void add_interval(struct bd_v4l2_mode *m, struct bd_v4l2_fract f)
{
    if (f.num == 0 || f.den == 0 || m->n_intervals >= BD_V4L2_MAX_INTERVALS)
        return;
    /* Keep them fastest first (shortest interval: num/den smallest), as the
     * choice walks them in that order; drivers list them in any order. */
    int i = m->n_intervals;
    while (i > 0) {
        const struct bd_v4l2_fract *p = &m->intervals[i - 1];
        if ((uint64_t)p->num * f.den <= (uint64_t)f.num * p->den)
            break;
        m->intervals[i] = *p;
        i--;
    }
    m->intervals[i] = f;
    m->n_intervals++;
}

static void enum_intervals(const struct bd_v4l2_ops *ops, int fd, struct bd_v4l2_mode *m)
{
    for (uint32_t i = 0; i < 64; i++) {
        struct v4l2_frmivalenum iv;
        memset(&iv, 0, sizeof iv);
        iv.index = i;
        iv.pixel_format = m->fourcc;
        iv.width = (uint32_t)m->width;
        iv.height = (uint32_t)m->height;
        if (bd_v4l2_ioctl(ops, fd, VIDIOC_ENUM_FRAMEINTERVALS, &iv) < 0)
            return;
        if (iv.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
            add_interval(m, (struct bd_v4l2_fract){iv.discrete.numerator, iv.discrete.denominator});
        } else {
            /* STEPWISE/CONTINUOUS: one answer, index 0 only. */
            m->n_intervals = 0;
            add_interval(m, (struct bd_v4l2_fract){iv.stepwise.min.numerator, iv.stepwise.min.denominator});
            add_interval(m, (struct bd_v4l2_fract){iv.stepwise.max.numerator, iv.stepwise.max.denominator});
            m->interval_range = m->n_intervals == 2;
            return;
        }
    }
}

int bd_v4l2_enum_modes(const struct bd_v4l2_ops *ops, int fd, struct bd_v4l2_modes *modes)
{
    memset(modes, 0, sizeof *modes);
    for (uint32_t f = 0; f < 256; f++) {
        struct v4l2_fmtdesc d;
        memset(&d, 0, sizeof d);
        d.index = f;
        d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        int r = bd_v4l2_ioctl(ops, fd, VIDIOC_ENUM_FMT, &d);
        if (r == -EINVAL)
            break; /* the end of the list */
        if (r < 0)
            return f == 0 ? r : 0;
        if (modes->n_offered < BD_V4L2_MAX_OFFERED)
            modes->offered[modes->n_offered++] = d.pixelformat;
        if (!bd_v4l2_capture_supports(d.pixelformat))
            continue;
        for (uint32_t s = 0; s < 256 && modes->count < BD_V4L2_MAX_MODES; s++) {
            struct v4l2_frmsizeenum fs;
            memset(&fs, 0, sizeof fs);
            fs.index = s;
            fs.pixel_format = d.pixelformat;
            if (bd_v4l2_ioctl(ops, fd, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
                break;
            struct bd_v4l2_mode *m = &modes->modes[modes->count];
            memset(m, 0, sizeof *m);
            m->fourcc = d.pixelformat;
            if (fs.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                m->width = (int)fs.discrete.width;
                m->height = (int)fs.discrete.height;
            } else {
                m->stepwise = true;
                m->width = (int)fs.stepwise.max_width;
                m->height = (int)fs.stepwise.max_height;
                m->min_width = (int)fs.stepwise.min_width;
                m->min_height = (int)fs.stepwise.min_height;
                m->step_width = fs.type == V4L2_FRMSIZE_TYPE_CONTINUOUS ? 1 : (int)fs.stepwise.step_width;
                m->step_height = fs.type == V4L2_FRMSIZE_TYPE_CONTINUOUS ? 1 : (int)fs.stepwise.step_height;
                if (m->step_width <= 0)
                    m->step_width = 1;
                if (m->step_height <= 0)
                    m->step_height = 1;
            }
            if (m->width <= 0 || m->height <= 0)
                continue;
            enum_intervals(ops, fd, m);
            modes->count++;
            if (m->stepwise)
                break; /* a range is the whole answer */
        }
    }
    return 0;
}

double bd_v4l2_mode_max_fps(const struct bd_v4l2_mode *m)
{
    if (m->n_intervals == 0 || m->intervals[0].num == 0)
        return 0;
    return (double)m->intervals[0].den / m->intervals[0].num;
}

static int fps_str(char *buf, size_t size, double fps)
{
    if (fps <= 0)
        return snprintf(buf, size, "?");
    if (fps == (double)(long)fps)
        return snprintf(buf, size, "%ld", (long)fps);
    return snprintf(buf, size, "%.3g", fps);
}

char *bd_v4l2_modes_str(const struct bd_v4l2_modes *modes, char *buf, size_t size)
{
    size_t len = 0;
#define APPEND(...)                                                          \
    do {                                                                     \
        if (len < size) {                                                    \
            int w_ = snprintf(buf + len, size - len, __VA_ARGS__);           \
            len = w_ < 0 ? size : len + (size_t)w_;                          \
        }                                                                    \
    } while (0)
    if (size == 0)
        return buf;
    buf[0] = '\0';
    uint32_t prev = 0;
    for (int i = 0; i < modes->count; i++) {
        const struct bd_v4l2_mode *m = &modes->modes[i];
        char fcc[8], fps[24];
        fps_str(fps, sizeof fps, bd_v4l2_mode_max_fps(m));
        if (m->fourcc != prev)
            APPEND("%s%s", i ? "; " : "", bd_v4l2_fourcc_str(m->fourcc, fcc));
        prev = m->fourcc;
        if (m->stepwise)
            APPEND(" %dx%d-%dx%d@%s", m->min_width, m->min_height, m->width, m->height, fps);
        else
            APPEND(" %dx%d@%s", m->width, m->height, fps);
    }
    bool first = true;
    for (int i = 0; i < modes->n_offered; i++) {
        if (bd_v4l2_capture_supports(modes->offered[i]))
            continue;
        char fcc[8];
        APPEND("%s%s", first ? (modes->count ? "; also offers " : "offers only ") : " ",
               bd_v4l2_fourcc_str(modes->offered[i], fcc));
        first = false;
    }
    if (len == 0)
        APPEND("no formats");
#undef APPEND
    if (len >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Choice                                                                    */

/* Does interval f reach fps frames per second (f <= 1/fps)? */
static bool interval_reaches(struct bd_v4l2_fract f, int fps)
{
    return f.num != 0 && (uint64_t)f.num * (uint64_t)fps <= f.den;
}

/* A mode whose rates are unknown counts as reaching any rate: there is
 * nothing to compare, and S_PARM will tell. */
static bool mode_reaches(const struct bd_v4l2_mode *m, int fps)
{
    return m->n_intervals == 0 || interval_reaches(m->intervals[0], fps);
}

static int snap(int v, int lo, int hi, int step)
{
    if (v < lo)
        return lo;
    if (v > hi)
        v = hi;
    int k = (v - lo + step / 2) / step;
    int r = lo + k * step;
    return r > hi ? r - step : r;
}

/* The size mode m offers closest to w x h: itself when discrete. */
static void mode_size_for(const struct bd_v4l2_mode *m, int w, int h, int *ow, int *oh)
{
    if (!m->stepwise) {
        *ow = m->width;
        *oh = m->height;
        return;
    }
    *ow = snap(w, m->min_width, m->width, m->step_width);
    *oh = snap(h, m->min_height, m->height, m->step_height);
}

static bool mode_has_size(const struct bd_v4l2_mode *m, int w, int h)
{
    int mw, mh;
    mode_size_for(m, w, h, &mw, &mh);
    return mw == w && mh == h;
}

static int format_rank(uint32_t fourcc)
{
    switch (fourcc) {
    case BD_V4L2_YUYV: return 0;
    case BD_V4L2_NV12: return 1;
    case BD_V4L2_MJPG: return 2;
    default: return 3;
    }
}

/* Is candidate a better mode than best for fps? */
static bool better_format(const struct bd_v4l2_mode *a, const struct bd_v4l2_mode *b, int fps)
{
    bool ra = mode_reaches(a, fps), rb = mode_reaches(b, fps);
    if (ra != rb)
        return ra;
    if (ra)
        return format_rank(a->fourcc) < format_rank(b->fourcc);
    /* Neither reaches the rate: the faster one, raw on ties. */
    double fa = bd_v4l2_mode_max_fps(a), fb = bd_v4l2_mode_max_fps(b);
    if (fa != fb)
        return fa > fb;
    return format_rank(a->fourcc) < format_rank(b->fourcc);
}

static struct bd_v4l2_fract choose_interval(const struct bd_v4l2_mode *m, int fps)
{
    struct bd_v4l2_fract want = {1, (uint32_t)fps};
    if (m->n_intervals == 0)
        return want; /* ask; the driver rounds */
    if (m->interval_range) {
        /* clamp 1/fps into [min, max] */
        if (!interval_reaches(m->intervals[0], fps))
            return m->intervals[0];
        const struct bd_v4l2_fract *hi = &m->intervals[1];
        if ((uint64_t)hi->num * fps < hi->den)
            return *hi;
        return want;
    }
    /* Slowest interval that still reaches fps: asking for 60 fps when 30
     * was wanted costs exposure time (darker image) and CPU. */
    struct bd_v4l2_fract best = m->intervals[0];
    for (int i = 0; i < m->n_intervals; i++)
        if (interval_reaches(m->intervals[i], fps))
            best = m->intervals[i];
    return best;
}

int bd_v4l2_choose_mode(const struct bd_v4l2_modes *modes, const struct bd_v4l2_request *req,
                        const char *dev, struct bd_v4l2_choice *out)
{
    static const struct bd_v4l2_request defaults = {0};
    if (!req)
        req = &defaults;
    memset(out, 0, sizeof *out);
    int W = req->width ? req->width : DEFAULT_WIDTH;
    int H = req->height ? req->height : DEFAULT_HEIGHT;
    int fps = req->fps ? req->fps : DEFAULT_FPS;
    if (W < 0 || H < 0 || fps < 0 || fps > 1000 || W > 16384 || H > 16384)
        return bd_fail(-EINVAL, "camera '%s': bad request %dx%d@%d", dev, W, H, fps);
    char offers[512], fcc[8];
    if (req->fourcc && !bd_v4l2_capture_supports(req->fourcc))
        return bd_fail(-EINVAL, "camera '%s': format %s is not supported; use YUYV, NV12 or MJPG",
                       dev, bd_v4l2_fourcc_str(req->fourcc, fcc));

    /* 1. the size */
    const struct bd_v4l2_mode *nearest = NULL;
    int nw = 0, nh = 0;
    long nd = 0;
    bool exact = false;
    for (int i = 0; i < modes->count; i++) {
        const struct bd_v4l2_mode *m = &modes->modes[i];
        if (req->fourcc && m->fourcc != req->fourcc &&
            !(req->fourcc == BD_V4L2_MJPG && m->fourcc == BD_V4L2_JPEG))
            continue;
        int mw, mh;
        mode_size_for(m, W, H, &mw, &mh);
        long d = labs((long)mw - W) + labs((long)mh - H);
        if (!nearest || d < nd || (d == nd && (long)mw * mh > (long)nw * nh)) {
            nearest = m;
            nw = mw;
            nh = mh;
            nd = d;
        }
        if (d == 0)
            exact = true;
    }
    if (!nearest) {
        bd_v4l2_modes_str(modes, offers, sizeof offers);
        if (req->fourcc)
            return bd_fail(-ENOENT, "camera '%s' does not offer %s; it offers: %s", dev,
                           bd_v4l2_fourcc_str(req->fourcc, fcc), offers);
        return bd_fail(-ENOENT, "camera '%s' offers no format backdrop can read (YUYV, NV12, MJPG); "
                       "it offers: %s", dev, offers);
    }
    if (!exact && req->exact_size) {
        bd_v4l2_modes_str(modes, offers, sizeof offers);
        return bd_fail(-ERANGE, "camera '%s' does not offer %dx%d; it offers: %s", dev, W, H, offers);
    }

    /* 2. the format at that size */
    const struct bd_v4l2_mode *best = NULL;
    for (int i = 0; i < modes->count; i++) {
        const struct bd_v4l2_mode *m = &modes->modes[i];
        if (req->fourcc && m->fourcc != req->fourcc &&
            !(req->fourcc == BD_V4L2_MJPG && m->fourcc == BD_V4L2_JPEG))
            continue;
        if (!mode_has_size(m, nw, nh))
            continue;
        if (!best || better_format(m, best, fps))
            best = m;
    }
    /* nearest itself has that size, so best is set */
    out->fourcc = best->fourcc;
    out->width = nw;
    out->height = nh;
    out->exact_size = exact;
    out->reaches_fps = mode_reaches(best, fps);
    /* 3. the interval */
    out->interval = choose_interval(best, fps);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The device                                                                */

struct buffer {
    void *start;
    size_t length;
    bool held;     /* dequeued, not yet requeued */
};

struct bd_v4l2_capture {
    const struct bd_v4l2_ops *ops;
    int fd;
    char path[BD_V4L2_PATH_MAX];
    char card[33];
    int nbuf_wanted;
    struct bd_v4l2_modes modes;
    struct bd_v4l2_choice choice;
    struct bd_v4l2_format fmt;
    struct buffer bufs[MAX_BUFFERS];
    int nbuf;          /* buffers the driver gave (REQBUFS done when > 0) */
    int held;
    bool streaming;
    bool have_seq;
    uint32_t last_seq;
    struct bd_v4l2_capture_stats stats;
};

/* One message per errno, saying what to do; `what` is the step. */
static int dev_error(const char *path, int err, const char *what)
{
    switch (-err) {
    case EBUSY:
        return bd_fail(err, "camera '%s' is in use by another program (a video call, a browser tab, "
                       "another backdrop?); close it and try again", path);
    case ENODEV:
    case ENXIO:
        return bd_fail(-ENODEV, "camera '%s' was disconnected; plug it back in and start again", path);
    case ENOENT:
        return bd_fail(err, "camera '%s' does not exist; `backdrop devices` lists the cameras", path);
    case EACCES:
    case EPERM:
        return bd_fail(err, "camera '%s': permission denied; add yourself to the 'video' group "
                       "(sudo usermod -aG video $USER) and log in again", path);
    case ENOMEM:
        return bd_fail(err, "camera '%s': out of memory during %s", path, what);
    default:
        return bd_fail(err, "camera '%s': %s failed: %s", path, what, strerror(-err));
    }
}

static int set_format(struct bd_v4l2_capture *cap)
{
    struct v4l2_format f;
    memset(&f, 0, sizeof f);
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.width = (uint32_t)cap->choice.width;
    f.fmt.pix.height = (uint32_t)cap->choice.height;
    f.fmt.pix.pixelformat = cap->choice.fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    int r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_S_FMT, &f);
    if (r < 0)
        return dev_error(cap->path, r, "VIDIOC_S_FMT");
    /* S_FMT is a negotiation: what the driver answers is what it delivers. */
    char fcc[8];
    uint32_t pf = f.fmt.pix.pixelformat;
    int w = (int)f.fmt.pix.width, h = (int)f.fmt.pix.height;
    if (!bd_v4l2_capture_supports(pf) || w <= 0 || h <= 0 || w > 16384 || h > 16384)
        return bd_fail(-EPROTO, "camera '%s' answered S_FMT with %s %dx%d, which backdrop cannot read",
                       cap->path, bd_v4l2_fourcc_str(pf, fcc), w, h);
    int min_stride = pf == BD_V4L2_YUYV ? 2 * w : pf == BD_V4L2_NV12 ? w : 0;
    int stride = (int)f.fmt.pix.bytesperline;
    if (stride < min_stride)
        stride = min_stride; /* 0 from drivers that leave it to us */
    if (!is_raw(pf))
        stride = 0;
    cap->fmt.fourcc = pf;
    cap->fmt.width = w;
    cap->fmt.height = h;
    cap->fmt.stride = stride;
    cap->fmt.sizeimage = f.fmt.pix.sizeimage;
    return 0;
}

static int set_rate(struct bd_v4l2_capture *cap)
{
    struct v4l2_streamparm p;
    memset(&p, 0, sizeof p);
    p.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    int r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_G_PARM, &p);
    if (r == -ENODEV || r == -EBUSY)
        return dev_error(cap->path, r, "VIDIOC_G_PARM");
    /* Cameras without a settable rate (no TIMEPERFRAME capability, or no
     * G_PARM at all) run at their own pace; that is not an error. */
    if (r < 0 || !(p.parm.capture.capability & V4L2_CAP_TIMEPERFRAME))
        return 0;
    if (cap->choice.interval.den != 0) {
        p.parm.capture.timeperframe.numerator = cap->choice.interval.num;
        p.parm.capture.timeperframe.denominator = cap->choice.interval.den;
        r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_S_PARM, &p);
        if (r == -ENODEV || r == -EBUSY)
            return dev_error(cap->path, r, "VIDIOC_S_PARM");
        if (r < 0)
            return 0;
    }
    cap->fmt.interval.num = p.parm.capture.timeperframe.numerator;
    cap->fmt.interval.den = p.parm.capture.timeperframe.denominator;
    return 0;
}

int bd_v4l2_capture_open(const char *path, const struct bd_v4l2_request *req,
                         const struct bd_v4l2_ops *ops, struct bd_v4l2_capture **out)
{
    *out = NULL;
    static const struct bd_v4l2_request defaults = {0};
    if (!req)
        req = &defaults;
    if (!path || !*path)
        return bd_fail(-EINVAL, "no camera given; `backdrop devices` lists them");
    int nbuf = req->buffers ? req->buffers : DEFAULT_BUFFERS;
    if (nbuf < 2 || nbuf > MAX_BUFFERS)
        return bd_fail(-EINVAL, "camera '%s': %d buffers asked for; use 2 to %d", path, nbuf, MAX_BUFFERS);

    struct bd_v4l2_capture *cap = calloc(1, sizeof *cap);
    if (!cap)
        return bd_fail(-ENOMEM, "camera '%s': out of memory", path);
    cap->ops = bd_v4l2_ops_or_sys(ops);
    cap->nbuf_wanted = nbuf;
    snprintf(cap->path, sizeof cap->path, "%s", path);

    /* O_NONBLOCK: DQBUF must never sleep past the timeout poll() gives it. */
    cap->fd = bd_v4l2_open(cap->ops, path, O_RDWR | O_NONBLOCK);
    if (cap->fd < 0) {
        int r = dev_error(path, cap->fd, "open");
        free(cap);
        return r;
    }
    int r;
    struct v4l2_capability vc;
    memset(&vc, 0, sizeof vc);
    r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_QUERYCAP, &vc);
    if (r < 0) {
        if (r == -ENOTTY || r == -EINVAL)
            r = bd_fail(-ENOTTY, "'%s' is not a V4L2 video device; `backdrop devices` lists the cameras", path);
        else
            r = dev_error(path, r, "VIDIOC_QUERYCAP");
        goto fail;
    }
    char driver[17];
    bd_v4l2_copy_name(driver, sizeof driver, vc.driver, sizeof vc.driver);
    bd_v4l2_copy_name(cap->card, sizeof cap->card, vc.card, sizeof vc.card);
    uint32_t caps = (vc.capabilities & V4L2_CAP_DEVICE_CAPS) ? vc.device_caps : vc.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
        if (bd_v4l2_is_loopback_driver(driver))
            r = bd_fail(-ENOTTY, "'%s' is a v4l2loopback device with no producer, not a camera; "
                        "`backdrop devices` lists the cameras", path);
        else if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE)
            r = bd_fail(-ENOTTY, "camera '%s' (%s) uses the multi-planar API, which backdrop does not "
                        "support yet", path, driver);
        else
            r = bd_fail(-ENOTTY, "'%s' (%s) is not a video capture device; `backdrop devices` lists "
                        "the cameras", path, driver);
        goto fail;
    }
    if (!(caps & V4L2_CAP_STREAMING)) {
        r = bd_fail(-ENOTTY, "camera '%s' (%s) does not support streaming I/O", path, driver);
        goto fail;
    }
    r = bd_v4l2_enum_modes(cap->ops, cap->fd, &cap->modes);
    if (r < 0) {
        r = dev_error(path, r, "VIDIOC_ENUM_FMT");
        goto fail;
    }
    r = bd_v4l2_choose_mode(&cap->modes, req, path, &cap->choice);
    if (r < 0)
        goto fail;
    r = set_format(cap);
    if (r < 0)
        goto fail;
    r = set_rate(cap);
    if (r < 0)
        goto fail;
    *out = cap;
    return 0;
fail:
    bd_v4l2_close(cap->ops, cap->fd);
    free(cap);
    return r;
}

const struct bd_v4l2_format *bd_v4l2_capture_format(const struct bd_v4l2_capture *cap)
{
    return &cap->fmt;
}

const struct bd_v4l2_choice *bd_v4l2_capture_choice(const struct bd_v4l2_capture *cap)
{
    return &cap->choice;
}

const struct bd_v4l2_modes *bd_v4l2_capture_modes(const struct bd_v4l2_capture *cap)
{
    return &cap->modes;
}

const char *bd_v4l2_capture_path(const struct bd_v4l2_capture *cap)
{
    return cap->path;
}

const char *bd_v4l2_capture_card(const struct bd_v4l2_capture *cap)
{
    return cap->card;
}


/* Buffer i of the capture queue, as QUERYBUF and QBUF want it. */
static struct v4l2_buffer mmap_buffer(int i)
{
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.index = (uint32_t)i;
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    return b;
}

int bd_v4l2_capture_fd(const struct bd_v4l2_capture *cap)
{
    return cap->fd;
}

void bd_v4l2_capture_stats(const struct bd_v4l2_capture *cap, struct bd_v4l2_capture_stats *st)
{
    *st = cap->stats;
}

/* Undoes whatever part of start happened; every step tolerates a dead
 * device, because releasing must work after a disconnect too. */
static void release_buffers(struct bd_v4l2_capture *cap)
{
    if (cap->streaming) {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        (void)bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_STREAMOFF, &type);
        cap->streaming = false;
    }
    for (int i = 0; i < cap->nbuf; i++) {
        bd_v4l2_munmap(cap->ops, cap->bufs[i].start, cap->bufs[i].length);
        cap->bufs[i].start = NULL;
        cap->bufs[i].held = false;
    }
    if (cap->nbuf > 0) {
        /* Frees the driver's buffers now rather than at close: a camera
         * stopped to be restarted at another size needs them gone. */
        struct v4l2_requestbuffers rb;
        memset(&rb, 0, sizeof rb);
        rb.count = 0;
        rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        rb.memory = V4L2_MEMORY_MMAP;
        (void)bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_REQBUFS, &rb);
    }
    cap->nbuf = 0;
    cap->held = 0;
}

int bd_v4l2_capture_start(struct bd_v4l2_capture *cap)
{
    if (cap->nbuf > 0 || cap->streaming)
        return bd_fail(-EINVAL, "camera '%s': already started", cap->path);
    struct v4l2_requestbuffers rb;
    memset(&rb, 0, sizeof rb);
    rb.count = (uint32_t)cap->nbuf_wanted;
    rb.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    rb.memory = V4L2_MEMORY_MMAP;
    int r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_REQBUFS, &rb);
    if (r < 0) {
        if (r == -EINVAL)
            return bd_fail(-ENOTTY, "camera '%s' does not support mmap streaming", cap->path);
        return dev_error(cap->path, r, "VIDIOC_REQBUFS");
    }
    /* From here on, release_buffers() undoes REQBUFS (nbuf > 0). */
    cap->nbuf = rb.count > MAX_BUFFERS ? MAX_BUFFERS : (int)rb.count;
    if (rb.count < 2) {
        unsigned got = rb.count;
        if (cap->nbuf == 0)
            cap->nbuf = 1; /* so that REQBUFS 0 runs */
        release_buffers(cap);
        return bd_fail(-ENOMEM, "camera '%s' gave %u buffers; at least 2 are needed", cap->path, got);
    }
    for (int i = 0; i < cap->nbuf; i++) {
        struct v4l2_buffer b = mmap_buffer(i);
        r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_QUERYBUF, &b);
        if (r < 0) {
            r = dev_error(cap->path, r, "VIDIOC_QUERYBUF");
            goto fail;
        }
        /* Read-only: we never write into a capture buffer, and vb2 only
         * requires PROT_READ for capture queues. */
        void *p = NULL;
        r = bd_v4l2_mmap(cap->ops, &p, b.length, PROT_READ, MAP_SHARED, cap->fd, (off_t)b.m.offset);
        if (r < 0) {
            r = dev_error(cap->path, r, "mmap");
            goto fail;
        }
        cap->bufs[i].start = p;
        cap->bufs[i].length = b.length;
    }
    for (int i = 0; i < cap->nbuf; i++) {
        struct v4l2_buffer b = mmap_buffer(i);
        r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_QBUF, &b);
        if (r < 0) {
            r = dev_error(cap->path, r, "VIDIOC_QBUF");
            goto fail;
        }
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_STREAMON, &type);
    if (r < 0) {
        r = dev_error(cap->path, r, "VIDIOC_STREAMON");
        goto fail;
    }
    cap->streaming = true;
    cap->have_seq = false;
    memset(&cap->stats, 0, sizeof cap->stats);
    return 0;
fail:
    release_buffers(cap);
    return r;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes a raw frame must have; 0 for MJPEG (any non-empty length). */
static size_t min_frame_bytes(const struct bd_v4l2_format *f)
{
    size_t s = (size_t)f->stride, h = (size_t)f->height;
    if (f->fourcc == BD_V4L2_YUYV)
        return s * h;
    if (f->fourcc == BD_V4L2_NV12)
        return s * h + s * ((h + 1) / 2);
    return 0;
}

static int qbuf(struct bd_v4l2_capture *cap, int index)
{
    struct v4l2_buffer b;
    memset(&b, 0, sizeof b);
    b.index = (uint32_t)index;
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    int r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_QBUF, &b);
    return r < 0 ? dev_error(cap->path, r, "VIDIOC_QBUF") : 0;
}

int bd_v4l2_capture_dequeue(struct bd_v4l2_capture *cap, int timeout_ms, struct bd_v4l2_frame *frame)
{
    memset(frame, 0, sizeof *frame);
    frame->index = -1;
    if (!cap->streaming)
        return bd_fail(-EINVAL, "camera '%s': not started", cap->path);
    /* With every buffer in the caller's hands the driver has nowhere to
     * write, and vb2's poll() answers POLLERR at once: say why instead. */
    if (cap->held >= cap->nbuf - 1)
        return bd_fail(-ENOBUFS, "camera '%s': %d of %d frames are still held; requeue them first",
                       cap->path, cap->held, cap->nbuf);
    int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
    for (;;) {
        int left = -1;
        if (timeout_ms >= 0) {
            int64_t rest = deadline - now_ms();
            left = rest > 0 ? (int)rest : 0;
        }
        short rev = 0;
        int r = bd_v4l2_poll1(cap->ops, cap->fd, POLLIN, left, &rev);
        if (r < 0)
            return dev_error(cap->path, r, "poll");
        if (r == 0)
            return bd_fail(-ETIMEDOUT, "camera '%s' sent no frame for %d ms (covered, stalled or "
                           "too dark for its frame rate?)", cap->path, timeout_ms);
        /* Even on POLLERR, DQBUF gives the precise reason (ENODEV after an
         * unplug, EIO after a USB error). */
        struct v4l2_buffer b;
        memset(&b, 0, sizeof b);
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = V4L2_MEMORY_MMAP;
        r = bd_v4l2_ioctl(cap->ops, cap->fd, VIDIOC_DQBUF, &b);
        if (r == -EAGAIN) {
            if (rev & (POLLERR | POLLHUP))
                return bd_fail(-EIO, "camera '%s' stopped delivering frames (poll reports an error)",
                               cap->path);
            continue; /* woken, but another reader took it: wait again */
        }
        if (r == -EIO)
            return bd_fail(-EIO, "camera '%s' reported an I/O error; unplug it and plug it back in",
                           cap->path);
        if (r < 0)
            return dev_error(cap->path, r, "VIDIOC_DQBUF");
        int i = (int)b.index;
        if (i < 0 || i >= cap->nbuf)
            return bd_fail(-EIO, "camera '%s': the driver returned buffer %u of %d", cap->path, b.index,
                           cap->nbuf);
        if (cap->bufs[i].held) {
            /* vb2 drivers never do this, but v4l2loopback (read as a
             * camera) hands out its write slots without tracking what the
             * reader holds; giving out the same buffer twice would break
             * the held frame. Skip it: its successor comes next. */
            cap->stats.corrupt++;
            continue;
        }
        size_t used = b.bytesused;
        size_t need = min_frame_bytes(&cap->fmt);
        if (used == 0 && need > 0)
            used = need; /* drivers that do not fill bytesused for raw frames */
        if (used > cap->bufs[i].length)
            used = cap->bufs[i].length;
        if ((b.flags & V4L2_BUF_FLAG_ERROR) || used < need || used == 0) {
            /* A frame torn by a USB hiccup: skip it, within the timeout. */
            cap->stats.corrupt++;
            cap->have_seq = true; /* a skipped frame is not a drop */
            cap->last_seq = b.sequence;
            r = qbuf(cap, i);
            if (r < 0)
                return r;
            /* A camera that sends only broken frames must still time out. */
            if (timeout_ms >= 0 && now_ms() >= deadline)
                return bd_fail(-ETIMEDOUT, "camera '%s' sent only corrupt frames for %d ms", cap->path,
                               timeout_ms);
            continue;
        }
        /* Gaps after the first frame only: v4l2loopback 0.12.7 resets its
         * buffers' metadata in a reader's REQBUFS, so a new reader's first
         * frame says sequence 0 (and bytesused = the whole buffer). */
        if (cap->have_seq && cap->stats.frames + cap->stats.corrupt >= 2 && b.sequence > cap->last_seq + 1)
            cap->stats.dropped += b.sequence - cap->last_seq - 1;
        cap->have_seq = true;
        cap->last_seq = b.sequence;
        cap->stats.frames++;
        cap->bufs[i].held = true;
        cap->held++;
        frame->data = cap->bufs[i].start;
        frame->bytesused = used;
        frame->fourcc = cap->fmt.fourcc;
        frame->width = cap->fmt.width;
        frame->height = cap->fmt.height;
        frame->stride = cap->fmt.stride;
        frame->timestamp_ns = (int64_t)b.timestamp.tv_sec * 1000000000 + (int64_t)b.timestamp.tv_usec * 1000;
        frame->sequence = b.sequence;
        frame->index = i;
        return 0;
    }
}

int bd_v4l2_capture_requeue(struct bd_v4l2_capture *cap, const struct bd_v4l2_frame *frame)
{
    int i = frame->index;
    if (!cap->streaming || i < 0 || i >= cap->nbuf || !cap->bufs[i].held ||
        frame->data != cap->bufs[i].start)
        return bd_fail(-EINVAL, "camera '%s': requeue of a frame that is not held", cap->path);
    cap->bufs[i].held = false;
    cap->held--;
    return qbuf(cap, i);
}

void bd_v4l2_capture_stop(struct bd_v4l2_capture *cap)
{
    if (cap)
        release_buffers(cap);
}

void bd_v4l2_capture_close(struct bd_v4l2_capture *cap)
{
    if (!cap)
        return;
    release_buffers(cap);
    bd_v4l2_close(cap->ops, cap->fd);
    free(cap);
}
