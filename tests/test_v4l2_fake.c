/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The V4L2 layer (src/common/v4l2_*, src/capture, src/output) against a
 * fake kernel: a struct bd_v4l2_ops whose open/ioctl/mmap/poll/write act
 * like a UVC webcam (vb2 semantics: S_FMT refused while another opener
 * streams, POLLERR + ENODEV after an unplug, REQBUFS/STREAMON/QBUF/DQBUF)
 * and like v4l2loopback 0.12.7 (exclusive_caps: Video Output until a
 * writer STREAMONs, then only Video Capture; only a STREAMON'd writer's
 * close gives Output back; S_FMT keeps the old format while in use).
 *
 * Checked:
 *  - mode choice (exact size first, YUYV/NV12 when they reach the rate,
 *    else MJPEG; nearest size; intervals; stepwise sizes; errors listing
 *    what the camera offers);
 *  - EINTR on every ioctl and poll is retried;
 *  - EBUSY, ENOENT, EACCES, not-a-camera, ENODEV mid-stream, stalls,
 *    corrupt frames, held-frame limits, each with its message;
 *  - the whole capture and loopback life cycles, with a failure injected
 *    at every single call in turn: whatever path is taken, every fd is
 *    closed and every mapping unmapped at the end;
 *  - conversions: YUYV, NV12, MJPEG 4:2:0/4:2:2/4:4:4/grey (made here with
 *    libjpeg) to I420 and ARGB, full->video range, corrupt MJPEG;
 *  - loopback discovery by driver name, busy/stuck/kept-format detection,
 *    the S_FMT -> STREAMON -> write order, restarts.
 * Last line: "N passed, M failed"; exit status 1 when M > 0.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <jpeglib.h>
#include <linux/videodev2.h>

#include "capture/v4l2_capture.h"
#include "common/error.h"
#include "common/v4l2_device.h"
#include "common/v4l2_ops.h"
#include "output/consumers.h"
#include "output/v4l2_loopback.h"

#include "check.h"

static bool has(const char *s, const char *sub)
{
    return s && strstr(s, sub) != NULL;
}

/* ------------------------------------------------------------------------ */
/* The fake kernel                                                           */

#define MAXBUF 32
#define MAXFD 32
#define MAXDEV 8

struct fake_size {
    int w, h;
    int nint;
    struct v4l2_fract iv[8];
};

struct fake_fmt {
    uint32_t fourcc;
    int nsizes;
    struct fake_size sizes[8];
    bool stepwise;     /* sizes[0] = min, sizes[1] = max, step 16x8 */
};

enum fake_kind { CAMERA, LOOPBACK, NOT_V4L2 };

struct fake_dev {
    char path[32];
    enum fake_kind kind;
    char driver[16];
    char card[32];
    const struct fake_fmt *fmts;
    int nfmts;
    int max_buffers;
    /* camera state */
    struct v4l2_pix_format cur;
    struct v4l2_fract tpf;
    int nbuf;
    uint8_t *mem[MAXBUF];
    size_t len[MAXBUF];
    int mapped[MAXBUF];
    bool queued[MAXBUF];
    int fifo[MAXBUF], fifo_n;
    bool streaming;
    int owner_fd;          /* the fd that did REQBUFS (vb2's queue owner) */
    uint32_t seq;
    int frames;
    /* what the camera sends */
    const uint8_t *jpeg;
    size_t jpeg_size;
    /* injections */
    int open_errno;        /* open() fails with it */
    bool busy;             /* another program streams: S_FMT/REQBUFS EBUSY */
    int disconnect_after;  /* frames before an unplug (0 = never) */
    bool disconnected;
    bool stalled;          /* poll() never reports a frame */
    int corrupt_frame;     /* this frame number (1-based) has V4L2_BUF_FLAG_ERROR */
    int skip_seq_at;       /* the driver drops a frame before this one */
    uint32_t sfmt_force;   /* S_FMT answers with this fourcc */
    bool lazy;             /* leaves bytesperline and bytesused 0 (allowed
                              for raw formats: they follow from the size) */
    bool dq_any;           /* DQBUF hands out slots round-robin, queued or
                              not, like v4l2loopback read as a camera */
    /* loopback state (0.12.7) */
    bool exclusive;
    bool ready_for_capture, ready_for_output;
    int writer_fd;
    struct v4l2_pix_format out_fmt;
    bool lb_sfmt_ebusy;    /* newer v4l2loopback: S_FMT EBUSY while fed */
    size_t written, writes, last_write;
    uint8_t last_frame[64 * 48 * 2]; /* the whole frame of the loopback tests */
    int short_write;       /* return fewer bytes on the next write */
    int lb_opens;
    /* v4l2loopback 0.13+: the client-usage event (false: 0.12.x, EINVAL) */
    bool usage_event;
    bool no_streamon;      /* 0.13+: a producer's STREAMON without REQBUFS is
                              EINVAL; its write() claims the device */
    bool subscribed;
    uint32_t ev_queue[8];  /* counts of queued events, oldest first */
    int ev_n;
};

struct fake {
    struct fake_dev dev[MAXDEV];
    int ndev;
    struct { bool used; int dev; } fds[MAXFD];
    int open_fds, maps;
    long calls;            /* fallible calls made so far */
    long fail_at;          /* fail the call with this number (1-based; 0 = never) */
    bool failed_injected;
    int eintr_every;       /* 1: every ioctl/poll/write/open returns EINTR once first */
    bool eintr_pending;
    long eintrs;
    /* a log of ioctl request names, for order checks */
    char log[4096];
    int streamoff, reqbufs0;
};

static struct fake F;

static void fake_reset(void)
{
    for (int i = 0; i < F.ndev; i++)
        for (int b = 0; b < MAXBUF; b++)
            free(F.dev[i].mem[b]);
    memset(&F, 0, sizeof F);
}

static struct fake_dev *fake_add(const char *path, enum fake_kind kind)
{
    struct fake_dev *d = &F.dev[F.ndev++];
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s", path);
    d->kind = kind;
    d->max_buffers = 8;
    d->owner_fd = -1;
    d->writer_fd = -1;
    if (kind == LOOPBACK) {
        strcpy(d->driver, "v4l2 loopback");
        strcpy(d->card, "Dummy video device (0x0000)");
        d->exclusive = true;
        d->ready_for_output = true;
    } else {
        strcpy(d->driver, "uvcvideo");
        strcpy(d->card, "Fake Webcam");
    }
    return d;
}

static struct fake_dev *dev_of(int fd)
{
    int i = fd - 100;
    if (i < 0 || i >= MAXFD || !F.fds[i].used)
        return NULL;
    return &F.dev[F.fds[i].dev];
}

static void logreq(const char *name)
{
    size_t n = strlen(F.log);
    if (n + strlen(name) + 2 < sizeof F.log) {
        strcat(F.log, name);
        strcat(F.log, " ");
    }
}

/* Counts a fallible call; returns true when this one must fail. */
static bool inject(void)
{
    F.calls++;
    if (F.fail_at && F.calls == F.fail_at) {
        F.failed_injected = true;
        return true;
    }
    return false;
}

static bool eintr(void)
{
    if (!F.eintr_every)
        return false;
    F.eintr_pending = !F.eintr_pending;
    if (F.eintr_pending) {
        F.eintrs++;
        return true;
    }
    return false;
}

static int f_open(void *ctx, const char *path, int flags)
{
    (void)ctx;
    (void)flags;
    if (eintr())
        return -EINTR;
    if (inject())
        return -EIO;
    for (int i = 0; i < F.ndev; i++) {
        if (strcmp(F.dev[i].path, path) != 0)
            continue;
        if (F.dev[i].open_errno)
            return -F.dev[i].open_errno;
        for (int k = 0; k < MAXFD; k++) {
            if (!F.fds[k].used) {
                F.fds[k].used = true;
                F.fds[k].dev = i;
                F.open_fds++;
                if (F.dev[i].kind == LOOPBACK)
                    F.dev[i].lb_opens++;
                return 100 + k;
            }
        }
        return -EMFILE;
    }
    return -ENOENT;
}

static void free_bufs(struct fake_dev *d)
{
    for (int b = 0; b < d->nbuf; b++) {
        /* vb2 keeps mapped memory alive until munmap; the fake keeps it
         * until the test resets, so a late munmap is still checked. */
        if (d->mapped[b] == 0) {
            free(d->mem[b]);
            d->mem[b] = NULL;
        }
        d->queued[b] = false;
    }
    d->nbuf = 0;
    d->fifo_n = 0;
    d->streaming = false;
    d->owner_fd = -1;
}

static int f_close(void *ctx, int fd)
{
    (void)ctx;
    struct fake_dev *d = dev_of(fd);
    if (!d)
        return -EBADF;
    if (d->kind == CAMERA && d->owner_fd == fd)
        free_bufs(d); /* vb2_fop_release */
    if (d->kind == LOOPBACK) {
        d->lb_opens--;
        if (d->writer_fd == fd) {
            d->writer_fd = -1;
            d->ready_for_output = true;
        }
        if (d->lb_opens == 0) {
            d->ready_for_capture = false;
            memset(&d->out_fmt, 0, sizeof d->out_fmt);
        }
    }
    F.fds[fd - 100].used = false;
    F.open_fds--;
    return 0;
}

static const struct fake_fmt *find_fmt(const struct fake_dev *d, uint32_t fourcc)
{
    for (int i = 0; i < d->nfmts; i++)
        if (d->fmts[i].fourcc == fourcc)
            return &d->fmts[i];
    return NULL;
}

static size_t frame_bytes(uint32_t fourcc, int w, int h, int *stride)
{
    if (fourcc == V4L2_PIX_FMT_YUYV) {
        *stride = 2 * w;
        return (size_t)w * h * 2;
    }
    if (fourcc == V4L2_PIX_FMT_NV12) {
        *stride = w;
        return (size_t)w * h * 3 / 2;
    }
    *stride = 0;
    return (size_t)w * h * 2; /* MJPEG: the worst case */
}

/* Fills buffer b with frame number n of the camera's format. */
static void fill_frame(struct fake_dev *d, int b, struct v4l2_buffer *vb)
{
    uint8_t *p = d->mem[b];
    int w = (int)d->cur.width, h = (int)d->cur.height;
    if (d->cur.pixelformat == V4L2_PIX_FMT_YUYV) {
        for (int i = 0; i < w * h * 2; i += 4) {
            p[i] = (uint8_t)(60 + d->frames);
            p[i + 1] = 90;
            p[i + 2] = (uint8_t)(60 + d->frames);
            p[i + 3] = 200;
        }
        vb->bytesused = (uint32_t)(w * h * 2);
    } else if (d->cur.pixelformat == V4L2_PIX_FMT_NV12) {
        memset(p, 60 + d->frames, (size_t)w * h);
        for (int i = 0; i < w * h / 2; i += 2) {
            p[w * h + i] = 90;
            p[w * h + i + 1] = 200;
        }
        vb->bytesused = (uint32_t)(w * h * 3 / 2);
    } else {
        size_t n = d->jpeg_size < d->len[b] ? d->jpeg_size : d->len[b];
        if (d->jpeg)
            memcpy(p, d->jpeg, n);
        vb->bytesused = (uint32_t)n;
    }
}

static int cam_ioctl(struct fake_dev *d, int fd, unsigned long req, void *arg)
{
    if (d->disconnected && req != VIDIOC_QUERYCAP)
        return -ENODEV;
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "%s", d->driver);
        snprintf((char *)c->card, sizeof c->card, "%s", d->card);
        snprintf((char *)c->bus_info, sizeof c->bus_info, "usb-fake");
        c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || (int)f->index >= d->nfmts)
            return -EINVAL;
        f->pixelformat = d->fmts[f->index].fourcc;
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        const struct fake_fmt *f = find_fmt(d, s->pixel_format);
        if (!f)
            return -EINVAL;
        if (f->stepwise) {
            if (s->index)
                return -EINVAL;
            s->type = V4L2_FRMSIZE_TYPE_STEPWISE;
            s->stepwise.min_width = (uint32_t)f->sizes[0].w;
            s->stepwise.min_height = (uint32_t)f->sizes[0].h;
            s->stepwise.max_width = (uint32_t)f->sizes[1].w;
            s->stepwise.max_height = (uint32_t)f->sizes[1].h;
            s->stepwise.step_width = 16;
            s->stepwise.step_height = 8;
            return 0;
        }
        if ((int)s->index >= f->nsizes)
            return -EINVAL;
        s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        s->discrete.width = (uint32_t)f->sizes[s->index].w;
        s->discrete.height = (uint32_t)f->sizes[s->index].h;
        return 0;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *v = arg;
        const struct fake_fmt *f = find_fmt(d, v->pixel_format);
        if (!f)
            return -EINVAL;
        const struct fake_size *fs = NULL;
        for (int i = 0; i < f->nsizes; i++)
            if (f->sizes[i].w == (int)v->width && f->sizes[i].h == (int)v->height)
                fs = &f->sizes[i];
        if (!fs || (int)v->index >= fs->nint)
            return -EINVAL;
        v->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        v->discrete = fs->iv[v->index];
        return 0;
    }
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return -EINVAL;
        if (d->busy || (d->nbuf > 0 && d->owner_fd != fd) || d->streaming)
            return -EBUSY;
        const struct fake_fmt *ff = find_fmt(d, f->fmt.pix.pixelformat);
        if (!ff)
            ff = &d->fmts[0];
        /* nearest discrete size, as v4l2_find_nearest_size does */
        int bw = ff->sizes[0].w, bh = ff->sizes[0].h;
        long bd = -1;
        for (int i = 0; i < (ff->stepwise ? 0 : ff->nsizes); i++) {
            long dd = labs((long)ff->sizes[i].w - (long)f->fmt.pix.width) +
                      labs((long)ff->sizes[i].h - (long)f->fmt.pix.height);
            if (bd < 0 || dd < bd) {
                bd = dd;
                bw = ff->sizes[i].w;
                bh = ff->sizes[i].h;
            }
        }
        if (ff->stepwise) {
            bw = (int)f->fmt.pix.width;
            bh = (int)f->fmt.pix.height;
        }
        int stride;
        size_t size = frame_bytes(ff->fourcc, bw, bh, &stride);
        memset(&f->fmt.pix, 0, sizeof f->fmt.pix);
        f->fmt.pix.width = (uint32_t)bw;
        f->fmt.pix.height = (uint32_t)bh;
        f->fmt.pix.pixelformat = d->sfmt_force ? d->sfmt_force : ff->fourcc;
        f->fmt.pix.field = V4L2_FIELD_NONE;
        f->fmt.pix.bytesperline = d->lazy ? 0 : (uint32_t)stride;
        f->fmt.pix.sizeimage = (uint32_t)size;
        d->cur = f->fmt.pix;
        return 0;
    }
    case VIDIOC_G_PARM:
    case VIDIOC_S_PARM: {
        struct v4l2_streamparm *p = arg;
        if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
            return -EINVAL;
        if (req == VIDIOC_S_PARM) {
            if (d->busy)
                return -EBUSY;
            d->tpf = p->parm.capture.timeperframe;
        }
        memset(&p->parm, 0, sizeof p->parm);
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe = d->tpf;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || r->memory != V4L2_MEMORY_MMAP)
            return -EINVAL;
        if (d->busy || (d->owner_fd >= 0 && d->owner_fd != fd) || d->streaming)
            return -EBUSY;
        if (r->count == 0) {
            F.reqbufs0++;
            free_bufs(d);
            return 0;
        }
        if (d->nbuf)
            return -EBUSY;
        int n = (int)r->count < d->max_buffers ? (int)r->count : d->max_buffers;
        int stride;
        size_t size = frame_bytes(d->cur.pixelformat, (int)d->cur.width, (int)d->cur.height, &stride);
        for (int b = 0; b < n; b++) {
            free(d->mem[b]);
            d->mem[b] = calloc(1, size);
            d->len[b] = size;
            d->mapped[b] = 0;
            d->queued[b] = false;
        }
        d->nbuf = n;
        d->owner_fd = n ? fd : -1;
        r->count = (uint32_t)n;
        return 0;
    }
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        if ((int)b->index >= d->nbuf)
            return -EINVAL;
        b->length = (uint32_t)d->len[b->index];
        b->m.offset = b->index << 20;
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if ((int)b->index >= d->nbuf || d->queued[b->index] || d->owner_fd != fd)
            return -EINVAL;
        d->queued[b->index] = true;
        d->fifo[d->fifo_n++] = (int)b->index;
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (!d->streaming)
            return -EINVAL;
        int i;
        if (d->dq_any) {
            i = d->frames % d->nbuf;
        } else {
            if (d->fifo_n == 0)
                return -EAGAIN;
            i = d->fifo[0];
            memmove(d->fifo, d->fifo + 1, sizeof d->fifo[0] * (size_t)--d->fifo_n);
        }
        d->queued[i] = false;
        d->frames++;
        memset(b, 0, sizeof *b);
        b->index = (uint32_t)i;
        b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b->memory = V4L2_MEMORY_MMAP;
        if (d->skip_seq_at && d->frames == d->skip_seq_at)
            d->seq++;
        b->sequence = d->seq++;
        b->timestamp.tv_sec = 1000 + d->frames / 30;
        b->timestamp.tv_usec = (d->frames % 30) * 33333;
        b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
        if (d->corrupt_frame == d->frames)
            b->flags |= V4L2_BUF_FLAG_ERROR;
        fill_frame(d, i, b);
        if (d->lazy)
            b->bytesused = 0;
        if (d->disconnect_after && d->frames >= d->disconnect_after)
            d->disconnected = true;
        return 0;
    }
    case VIDIOC_STREAMON:
        if (d->nbuf == 0 || d->owner_fd != fd)
            return -EINVAL;
        d->streaming = true;
        return 0;
    case VIDIOC_STREAMOFF:
        F.streamoff++;
        if (d->owner_fd != fd)
            return -EINVAL;
        d->streaming = false;
        for (int b = 0; b < d->nbuf; b++)
            d->queued[b] = false;
        d->fifo_n = 0;
        return 0;
    default:
        return -ENOTTY;
    }
}

static uint32_t lb_caps(const struct fake_dev *d)
{
    uint32_t c = V4L2_CAP_STREAMING | V4L2_CAP_READWRITE;
    if (!d->exclusive)
        return c | V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_OUTPUT;
    if (d->ready_for_capture)
        c |= V4L2_CAP_VIDEO_CAPTURE;
    if (d->ready_for_output)
        c |= V4L2_CAP_VIDEO_OUTPUT;
    return c;
}

static int lb_ioctl(struct fake_dev *d, int fd, unsigned long req, void *arg)
{
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "%s", d->driver);
        snprintf((char *)c->card, sizeof c->card, "%s", d->card);
        snprintf((char *)c->bus_info, sizeof c->bus_info, "platform:v4l2loopback-000");
        c->device_caps = lb_caps(d);
        c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
        return 0;
    }
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_OUTPUT)
            return -EINVAL;
        if (d->lb_sfmt_ebusy)
            return -EBUSY;
        if (d->ready_for_capture) {
            f->fmt.pix = d->out_fmt; /* 0.12.7: the format is fixed */
            return 0;
        }
        d->out_fmt = f->fmt.pix;
        d->out_fmt.sizeimage = (f->fmt.pix.sizeimage + 4095) & ~4095u; /* PAGE_ALIGN */
        f->fmt.pix = d->out_fmt;
        return 0;
    }
    case VIDIOC_S_PARM:
        return 0;
    case VIDIOC_STREAMON: {
        int *type = arg;
        if (*type != V4L2_BUF_TYPE_VIDEO_OUTPUT)
            return -EINVAL;
        if (d->out_fmt.width == 0 || d->no_streamon)
            return -EINVAL;
        d->writer_fd = fd;
        d->ready_for_output = false;
        d->ready_for_capture = true;
        return 0;
    }
    case VIDIOC_STREAMOFF:
        F.streamoff++;
        return 0;
    case VIDIOC_SUBSCRIBE_EVENT: {
        const struct v4l2_event_subscription *sub = arg;
        if (!d->usage_event || sub->type != BD_V4L2_EVENT_PRI_CLIENT_USAGE)
            return -EINVAL;
        d->subscribed = true;
        return 0;
    }
    case VIDIOC_UNSUBSCRIBE_EVENT:
        d->subscribed = false;
        return 0;
    case VIDIOC_DQEVENT: {
        struct v4l2_event *ev = arg;
        if (!d->subscribed || d->ev_n == 0)
            return -ENOENT;
        memset(ev, 0, sizeof *ev);
        ev->type = BD_V4L2_EVENT_PRI_CLIENT_USAGE;
        memcpy(ev->u.data, &d->ev_queue[0], sizeof d->ev_queue[0]);
        memmove(d->ev_queue, d->ev_queue + 1, sizeof d->ev_queue[0] * (size_t)(d->ev_n - 1));
        d->ev_n--;
        ev->pending = (unsigned)d->ev_n;
        return 0;
    }
    default:
        return -ENOTTY;
    }
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
    (void)ctx;
    if (eintr())
        return -EINTR;
    if (inject())
        return -EIO;
    struct fake_dev *d = dev_of(fd);
    if (!d)
        return -EBADF;
    const char *name = req == VIDIOC_S_FMT ? "S_FMT" : req == VIDIOC_STREAMON ? "STREAMON"
                     : req == VIDIOC_STREAMOFF ? "STREAMOFF" : req == VIDIOC_REQBUFS ? "REQBUFS"
                     : req == VIDIOC_S_PARM ? "S_PARM" : req == VIDIOC_QUERYCAP ? "QUERYCAP" : NULL;
    if (name)
        logreq(name);
    if (d->kind == NOT_V4L2)
        return -ENOTTY;
    return d->kind == CAMERA ? cam_ioctl(d, fd, req, arg) : lb_ioctl(d, fd, req, arg);
}

static int f_mmap(void *ctx, void **addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    (void)ctx;
    if (inject())
        return -ENOMEM;
    struct fake_dev *d = dev_of(fd);
    if (!d || d->kind != CAMERA || !(prot & PROT_READ) || !(flags & MAP_SHARED))
        return -EINVAL;
    int b = (int)(offset >> 20);
    if (b < 0 || b >= d->nbuf || length != d->len[b])
        return -EINVAL;
    d->mapped[b]++;
    F.maps++;
    *addr = d->mem[b];
    return 0;
}

static int f_munmap(void *ctx, void *addr, size_t length)
{
    (void)ctx;
    for (int i = 0; i < F.ndev; i++) {
        struct fake_dev *d = &F.dev[i];
        for (int b = 0; b < MAXBUF; b++) {
            if (d->mem[b] == addr && d->mapped[b] > 0 && d->len[b] == length) {
                d->mapped[b]--;
                F.maps--;
                return 0;
            }
        }
    }
    printf("FAIL: munmap of an unknown mapping %p\n", addr);
    failed++;
    return -EINVAL;
}

static ssize_t f_write(void *ctx, int fd, const void *buf, size_t count)
{
    (void)ctx;
    if (eintr())
        return -EINTR;
    if (inject())
        return -EIO;
    struct fake_dev *d = dev_of(fd);
    if (!d || d->kind != LOOPBACK)
        return -EINVAL;
    logreq("write");
    if (d->no_streamon && d->out_fmt.width) {
        d->writer_fd = fd;
        d->ready_for_output = false;
        d->ready_for_capture = true;
    }
    if (!d->ready_for_capture)
        return -EINVAL; /* the fake insists on S_FMT + STREAMON first */
    if (d->short_write) {
        /* 1: half the frame once; n > 1: nothing, n - 1 times */
        count = d->short_write == 1 ? count / 2 : 0;
        d->short_write = d->short_write > 1 ? d->short_write - 1 : 0;
        if (d->short_write == 1)
            d->short_write = 0;
    }
    d->writes++;
    d->written += count;
    d->last_write = count;
    memcpy(d->last_frame, buf, count < sizeof d->last_frame ? count : sizeof d->last_frame);
    return (ssize_t)count;
}

static int f_poll(void *ctx, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    (void)ctx;
    (void)timeout_ms;
    if (eintr())
        return -EINTR;
    if (inject())
        return -EIO;
    if (n != 1)
        return -EINVAL;
    struct fake_dev *d = dev_of(fds[0].fd);
    if (!d)
        return -EBADF;
    fds[0].revents = 0;
    if (d->kind == LOOPBACK && (fds[0].events & POLLPRI)) {
        fds[0].revents = d->disconnected ? POLLERR : d->subscribed && d->ev_n ? POLLPRI : 0;
        return fds[0].revents ? 1 : 0;
    }
    if (d->disconnected)
        fds[0].revents = POLLERR | POLLHUP;
    else if (!d->streaming || (d->fifo_n == 0 && !d->dq_any))
        fds[0].revents = POLLERR; /* vb2: nothing queued */
    else if (!d->stalled)
        fds[0].revents = POLLIN;
    return fds[0].revents ? 1 : 0;
}

static const struct bd_v4l2_ops fake_ops = {
    .open = f_open, .close = f_close, .ioctl = f_ioctl, .mmap = f_mmap,
    .munmap = f_munmap, .write = f_write, .poll = f_poll, .ctx = NULL,
};

/* ------------------------------------------------------------------------ */
/* Camera descriptions                                                       */

#define IV(n, d) {(n), (d)}
#define RATES_30 3, {IV(1, 30), IV(1, 15), IV(1, 5)}
#define RATES_10 2, {IV(1, 10), IV(1, 5)}
#define RATES_5 1, {IV(1, 5)}

/* A typical USB 2 webcam: raw only up to 480p30, MJPEG for 720p30 and up. */
static const struct fake_fmt webcam[] = {
    {V4L2_PIX_FMT_YUYV, 3, {{640, 480, RATES_30}, {1280, 720, RATES_10}, {1920, 1080, RATES_5}}, false},
    {V4L2_PIX_FMT_MJPEG, 3, {{640, 480, RATES_30}, {1280, 720, RATES_30}, {1920, 1080, RATES_30}}, false},
};

/* A camera with fast NV12 and MJPEG. */
static const struct fake_fmt nv12cam[] = {
    {V4L2_PIX_FMT_MJPEG, 1, {{1280, 720, RATES_30}}, false},
    {V4L2_PIX_FMT_NV12, 1, {{1280, 720, RATES_30}}, false},
};

/* YUYV and NV12 both reach 30: YUYV is preferred. */
static const struct fake_fmt rawcam[] = {
    {V4L2_PIX_FMT_NV12, 1, {{640, 480, RATES_30}}, false},
    {V4L2_PIX_FMT_YUYV, 1, {{640, 480, RATES_30}}, false},
};

/* Only formats backdrop cannot read. */
static const struct fake_fmt h264cam[] = {
    {V4L2_PIX_FMT_H264, 1, {{1280, 720, RATES_30}}, false},
    {V4L2_PIX_FMT_GREY, 1, {{640, 480, RATES_30}}, false},
};

/* An MJPEG-only camera at 64x48 for the decode tests. */
static const struct fake_fmt mjpegcam[] = {
    {V4L2_PIX_FMT_MJPEG, 1, {{64, 48, RATES_30}}, false},
};

/* Small YUYV camera (fast tests). */
static const struct fake_fmt smallcam[] = {
    {V4L2_PIX_FMT_YUYV, 2, {{64, 48, RATES_30}, {32, 24, RATES_30}}, false},
};

static struct fake_dev *add_camera(const char *path, const struct fake_fmt *fmts, int n)
{
    struct fake_dev *d = fake_add(path, CAMERA);
    d->fmts = fmts;
    d->nfmts = n;
    return d;
}

static void enum_fake(const struct fake_fmt *fmts, int n, struct bd_v4l2_modes *modes)
{
    fake_reset();
    add_camera("/dev/video0", fmts, n);
    int fd = bd_v4l2_open(&fake_ops, "/dev/video0", 0);
    bd_v4l2_enum_modes(&fake_ops, fd, modes);
    bd_v4l2_close(&fake_ops, fd);
}

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */

static void test_helpers(void)
{
    CHECK(bd_v4l2_is_loopback_driver("v4l2 loopback"), "0.12 name");
    CHECK(bd_v4l2_is_loopback_driver("v4l2loopback"), "0.13 name");
    CHECK(bd_v4l2_is_loopback_driver("V4L2 Loopback "), "case and spaces");
    CHECK(!bd_v4l2_is_loopback_driver("v4l2loopbackx"), "longer");
    CHECK(!bd_v4l2_is_loopback_driver("v4l2loop"), "shorter");
    CHECK(!bd_v4l2_is_loopback_driver("vivid"), "vivid");
    CHECK(!bd_v4l2_is_loopback_driver(""), "empty");
    char b[8];
    CHECK(strcmp(bd_v4l2_fourcc_str(V4L2_PIX_FMT_MJPEG, b), "MJPG") == 0, "%s", b);
    CHECK(strcmp(bd_v4l2_fourcc_str(V4L2_PIX_FMT_YUYV | (1u << 31), b), "YUYV-BE") == 0, "%s", b);
    CHECK(bd_v4l2_status(-ENODEV) == BD_ERR_NOT_FOUND, "ENODEV");
    CHECK(bd_v4l2_status(-EBUSY) == BD_ERR_IO, "EBUSY");
    CHECK(bd_v4l2_status(0) == BD_OK, "0");
    char caps[128];
    bd_v4l2_caps_str(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING, caps, sizeof caps);
    CHECK(strcmp(caps, "Video Capture, Streaming") == 0, "%s", caps);
}

static struct bd_v4l2_choice choose(const struct fake_fmt *fmts, int n, int w, int h, int fps,
                                    uint32_t fourcc, bool exact, int *ret)
{
    struct bd_v4l2_modes modes;
    enum_fake(fmts, n, &modes);
    struct bd_v4l2_request req = {.width = w, .height = h, .fps = fps, .fourcc = fourcc, .exact_size = exact};
    struct bd_v4l2_choice c;
    *ret = bd_v4l2_choose_mode(&modes, &req, "/dev/video0", &c);
    return c;
}

static void test_choice(void)
{
    int r;
    struct bd_v4l2_choice c;
    char f[8];

    struct bd_v4l2_modes modes;
    enum_fake(webcam, N(webcam), &modes);
    CHECK(modes.count == 6 && modes.n_offered == 2, "count %d offered %d", modes.count, modes.n_offered);
    CHECK(modes.modes[0].n_intervals == 3 && modes.modes[0].intervals[0].den == 30,
          "intervals fastest first");
    char s[256];
    bd_v4l2_modes_str(&modes, s, sizeof s);
    CHECK(strcmp(s, "YUYV 640x480@30 1280x720@10 1920x1080@5; MJPG 640x480@30 1280x720@30 1920x1080@30") == 0,
          "%s", s);

    c = choose(webcam, N(webcam), 1280, 720, 30, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_MJPEG && c.width == 1280 && c.height == 720 &&
          c.interval.num == 1 && c.interval.den == 30 && c.exact_size && c.reaches_fps,
          "720p30 -> MJPG (got %s %dx%d 1/%u)", bd_v4l2_fourcc_str(c.fourcc, f), c.width, c.height,
          c.interval.den);
    c = choose(webcam, N(webcam), 640, 480, 30, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_YUYV && c.width == 640, "480p30 -> YUYV (got %s)",
          bd_v4l2_fourcc_str(c.fourcc, f));
    c = choose(webcam, N(webcam), 1280, 720, 10, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_YUYV && c.interval.den == 10, "720p10 -> YUYV (got %s 1/%u)",
          bd_v4l2_fourcc_str(c.fourcc, f), c.interval.den);
    c = choose(webcam, N(webcam), 1920, 1080, 60, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_MJPEG && !c.reaches_fps && c.interval.den == 30,
          "1080p60 -> fastest (MJPG 30) (got %s)", bd_v4l2_fourcc_str(c.fourcc, f));
    c = choose(webcam, N(webcam), 1280, 720, 24, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_MJPEG && c.interval.den == 30,
          "24 fps -> slowest interval reaching it, 1/30 (got 1/%u)", c.interval.den);
    c = choose(webcam, N(webcam), 640, 480, 12, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_YUYV && c.interval.den == 15, "12 fps -> 1/15 (got 1/%u)",
          c.interval.den);
    c = choose(webcam, N(webcam), 0, 0, 0, 0, false, &r);
    CHECK(r == 0 && c.width == 1280 && c.height == 720 && c.interval.den == 30, "defaults 720p30");

    /* nearest sizes */
    c = choose(webcam, N(webcam), 800, 600, 30, 0, false, &r);
    CHECK(r == 0 && c.width == 640 && c.height == 480 && !c.exact_size && c.fourcc == V4L2_PIX_FMT_YUYV,
          "800x600 -> 640x480 (got %dx%d)", c.width, c.height);
    c = choose(webcam, N(webcam), 1000, 700, 30, 0, false, &r);
    CHECK(r == 0 && c.width == 1280 && c.height == 720, "1000x700 -> 1280x720 (got %dx%d)", c.width, c.height);
    c = choose(webcam, N(webcam), 960, 600, 30, 0, false, &r);
    CHECK(r == 0 && c.width == 1280, "tie -> larger (got %dx%d)", c.width, c.height);
    c = choose(webcam, N(webcam), 800, 600, 30, 0, true, &r);
    CHECK(r == -ERANGE && has(bd_last_error(), "does not offer 800x600") &&
              has(bd_last_error(), "MJPG 640x480@30 1280x720@30") && has(bd_last_error(), "/dev/video0"),
          "exact size: %d %s", r, bd_last_error());

    /* formats */
    c = choose(nv12cam, N(nv12cam), 1280, 720, 30, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_NV12, "NV12 over MJPG (got %s)", bd_v4l2_fourcc_str(c.fourcc, f));
    c = choose(rawcam, N(rawcam), 640, 480, 30, 0, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_YUYV, "YUYV over NV12 (got %s)", bd_v4l2_fourcc_str(c.fourcc, f));
    c = choose(webcam, N(webcam), 640, 480, 30, V4L2_PIX_FMT_MJPEG, false, &r);
    CHECK(r == 0 && c.fourcc == V4L2_PIX_FMT_MJPEG, "forced MJPG");
    c = choose(webcam, N(webcam), 640, 480, 30, V4L2_PIX_FMT_NV12, false, &r);
    CHECK(r == -ENOENT && has(bd_last_error(), "does not offer NV12") && has(bd_last_error(), "YUYV 640x480"),
          "absent fourcc: %s", bd_last_error());
    c = choose(webcam, N(webcam), 640, 480, 30, V4L2_PIX_FMT_RGB24, false, &r);
    CHECK(r == -EINVAL && has(bd_last_error(), "not supported"), "unsupported fourcc: %s", bd_last_error());
    c = choose(h264cam, N(h264cam), 1280, 720, 30, 0, false, &r);
    CHECK(r == -ENOENT && has(bd_last_error(), "offers only H264 GREY") &&
              has(bd_last_error(), "YUYV, NV12, MJPG"),
          "no readable format: %s", bd_last_error());
    c = choose(webcam, N(webcam), -5, 480, 30, 0, false, &r);
    CHECK(r == -EINVAL, "negative width");

    /* stepwise sizes */
    static const struct fake_fmt stepcam[] = {
        {V4L2_PIX_FMT_YUYV, 2, {{160, 120, 0, {{0, 0}}}, {1920, 1080, 0, {{0, 0}}}}, true},
    };
    c = choose(stepcam, N(stepcam), 1280, 720, 30, 0, false, &r);
    CHECK(r == 0 && c.exact_size && c.width == 1280 && c.interval.den == 30 && c.reaches_fps,
          "stepwise exact, unknown rate reaches (got %dx%d 1/%u)", c.width, c.height, c.interval.den);
    c = choose(stepcam, N(stepcam), 1000, 500, 30, 0, false, &r);
    CHECK(r == 0 && !c.exact_size && c.width == 1008 && c.height == 504, "stepwise snap (got %dx%d)", c.width,
          c.height);
    c = choose(stepcam, N(stepcam), 4000, 50, 30, 0, false, &r);
    CHECK(r == 0 && c.width == 1920 && c.height == 120, "stepwise clamp (got %dx%d)", c.width, c.height);
    fake_reset();
}

/* Opens, starts, takes n frames, closes; returns the first error. */
static int cycle(const char *path, const struct bd_v4l2_request *req, int n)
{
    struct bd_v4l2_capture *cap = NULL;
    int r = bd_v4l2_capture_open(path, req, &fake_ops, &cap);
    if (r < 0)
        return r;
    r = bd_v4l2_capture_start(cap);
    for (int i = 0; r == 0 && i < n; i++) {
        struct bd_v4l2_frame fr;
        r = bd_v4l2_capture_dequeue(cap, 100, &fr);
        if (r == 0)
            r = bd_v4l2_capture_requeue(cap, &fr);
    }
    bd_v4l2_capture_close(cap);
    return r;
}

static void test_capture_cycle(void)
{
    fake_reset();
    struct fake_dev *d = add_camera("/dev/video0", webcam, N(webcam));
    struct bd_v4l2_request req = {.width = 640, .height = 480, .fps = 30, .buffers = 3};
    struct bd_v4l2_capture *cap = NULL;
    int r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == 0 && cap, "open: %s", bd_last_error());
    if (!cap)
        return;
    const struct bd_v4l2_format *fmt = bd_v4l2_capture_format(cap);
    CHECK(fmt->fourcc == V4L2_PIX_FMT_YUYV && fmt->width == 640 && fmt->height == 480 && fmt->stride == 1280 &&
              fmt->interval.num == 1 && fmt->interval.den == 30,
          "format %dx%d stride %d 1/%u", fmt->width, fmt->height, fmt->stride, fmt->interval.den);
    CHECK(strcmp(bd_v4l2_capture_card(cap), "Fake Webcam") == 0, "card");
    CHECK(d->tpf.denominator == 30, "S_PARM sent 1/30");
    CHECK(bd_v4l2_capture_start(cap) == 0, "start: %s", bd_last_error());
    CHECK(F.maps == 3 && d->nbuf == 3 && d->streaming, "3 buffers mapped and streaming");
    CHECK(bd_v4l2_capture_start(cap) == -EINVAL, "double start refused");
    uint32_t last_seq = 0;
    int64_t last_ts = 0;
    bool ok = true;
    for (int i = 0; i < 10; i++) {
        struct bd_v4l2_frame fr;
        r = bd_v4l2_capture_dequeue(cap, 100, &fr);
        if (r != 0) {
            ok = false;
            printf("dequeue %d: %s\n", i, bd_last_error());
            break;
        }
        /* a view into the mapped buffer, not a copy */
        ok &= fr.data == d->mem[fr.index] && fr.bytesused == 640 * 480 * 2 && fr.stride == 1280 &&
              fr.fourcc == V4L2_PIX_FMT_YUYV && fr.width == 640 && fr.height == 480 &&
              fr.data[0] == (uint8_t)(60 + i + 1);
        ok &= i == 0 || (fr.sequence == last_seq + 1 && fr.timestamp_ns > last_ts);
        last_seq = fr.sequence;
        last_ts = fr.timestamp_ns;
        ok &= bd_v4l2_capture_requeue(cap, &fr) == 0;
        ok &= bd_v4l2_capture_requeue(cap, &fr) == -EINVAL; /* twice */
    }
    CHECK(ok, "10 frames: views, sequence, timestamps, requeue");
    struct bd_v4l2_capture_stats st;
    bd_v4l2_capture_stats(cap, &st);
    CHECK(st.frames == 10 && st.corrupt == 0 && st.dropped == 0, "stats");
    /* stop and start again (e.g. after a format change) */
    bd_v4l2_capture_stop(cap);
    CHECK(F.maps == 0 && d->nbuf == 0 && !d->streaming && F.reqbufs0 == 1, "stop releases buffers");
    CHECK(bd_v4l2_capture_start(cap) == 0 && F.maps == 3, "restart");
    bd_v4l2_capture_close(cap);
    CHECK(F.open_fds == 0 && F.maps == 0 && F.reqbufs0 == 2 && F.streamoff == 2, "close releases all (fds %d maps %d)",
          F.open_fds, F.maps);
    bd_v4l2_capture_close(NULL);
    fake_reset();
}

static void test_eintr(void)
{
    fake_reset();
    struct fake_dev *cam = add_camera("/dev/video0", webcam, N(webcam));
    static const uint8_t soi_eoi[] = {0xff, 0xd8, 0xff, 0xd9}; /* not decoded here */
    cam->jpeg = soi_eoi;
    cam->jpeg_size = sizeof soi_eoi;
    F.eintr_every = 1;
    struct bd_v4l2_request req = {.width = 1280, .height = 720, .fps = 30};
    int r = cycle("/dev/video0", &req, 5);
    CHECK(r == 0, "a full cycle with EINTR before every call: %s", bd_last_error());
    CHECK(F.eintrs > 30, "EINTR was injected %ld times", F.eintrs);
    CHECK(F.open_fds == 0 && F.maps == 0, "released");

    fake_reset();
    add_camera("/dev/video0", smallcam, N(smallcam));
    struct fake_dev *lb = fake_add("/dev/video10", LOOPBACK);
    F.eintr_every = 1;
    struct bd_v4l2_loopback *out = NULL;
    r = bd_v4l2_loopback_open("/dev/video10", 64, 48, BD_LOOPBACK_YUYV, 30, &fake_ops, &out);
    CHECK(r == 0, "loopback open with EINTR: %s", bd_last_error());
    if (out) {
        CHECK(bd_v4l2_loopback_repeat(out) == 0 && lb->writes == 1, "write retried after EINTR");
        bd_v4l2_loopback_close(out);
    }
    CHECK(F.open_fds == 0, "released");

    /* poll's EINTR retry keeps the deadline */
    fake_reset();
    struct fake_dev *d = add_camera("/dev/video0", smallcam, N(smallcam));
    struct bd_v4l2_capture *cap = NULL;
    bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48}, &fake_ops, &cap);
    if (cap && bd_v4l2_capture_start(cap) == 0) {
        d->stalled = true;
        F.eintr_every = 1;
        struct bd_v4l2_frame fr;
        r = bd_v4l2_capture_dequeue(cap, 50, &fr);
        CHECK(r == -ETIMEDOUT && has(bd_last_error(), "sent no frame for 50 ms"), "timeout: %s", bd_last_error());
    } else {
        CHECK(0, "setup: %s", bd_last_error());
    }
    bd_v4l2_capture_close(cap);
    CHECK(F.open_fds == 0 && F.maps == 0, "released");
    fake_reset();
}

static void test_errors(void)
{
    int r;
    struct bd_v4l2_capture *cap = NULL;
    struct bd_v4l2_request req = {.width = 640, .height = 480, .fps = 30};

    fake_reset();
    add_camera("/dev/video0", webcam, N(webcam));
    r = bd_v4l2_capture_open("/dev/video7", &req, &fake_ops, &cap);
    CHECK(r == -ENOENT && !cap && has(bd_last_error(), "'/dev/video7' does not exist") &&
              has(bd_last_error(), "backdrop devices"),
          "missing: %s", bd_last_error());

    F.dev[0].open_errno = EACCES;
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == -EACCES && has(bd_last_error(), "'video' group"), "EACCES: %s", bd_last_error());
    F.dev[0].open_errno = 0;

    F.dev[0].busy = true;
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == -EBUSY && !cap && has(bd_last_error(), "camera '/dev/video0' is in use by another program"),
          "busy: %s", bd_last_error());
    CHECK(F.open_fds == 0, "busy: closed");
    F.dev[0].busy = false;

    /* busy only at REQBUFS: another opener got the queue between our
     * S_FMT and start */
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == 0, "open");
    F.dev[0].busy = true;
    r = bd_v4l2_capture_start(cap);
    CHECK(r == -EBUSY && has(bd_last_error(), "in use by another program"), "busy at start: %s", bd_last_error());
    bd_v4l2_capture_close(cap);
    cap = NULL;
    CHECK(F.open_fds == 0 && F.maps == 0, "released");

    fake_reset();
    add_camera("/dev/video0", h264cam, N(h264cam));
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == -ENOENT && has(bd_last_error(), "H264") && F.open_fds == 0, "h264: %s", bd_last_error());

    fake_reset();
    fake_add("/dev/video10", LOOPBACK);
    fake_add("/dev/null0", NOT_V4L2);
    r = bd_v4l2_capture_open("/dev/video10", &req, &fake_ops, &cap);
    CHECK(r == -ENOTTY && has(bd_last_error(), "v4l2loopback device with no producer"), "loopback: %s",
          bd_last_error());
    r = bd_v4l2_capture_open("/dev/null0", &req, &fake_ops, &cap);
    CHECK(r == -ENOTTY && has(bd_last_error(), "not a V4L2 video device"), "not v4l2: %s", bd_last_error());
    CHECK(F.open_fds == 0, "released");

    fake_reset();
    struct fake_dev *d = add_camera("/dev/video0", webcam, N(webcam));
    d->sfmt_force = V4L2_PIX_FMT_RGB24;
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == -EPROTO && has(bd_last_error(), "answered S_FMT with RGB3"), "S_FMT answer: %s", bd_last_error());
    CHECK(F.open_fds == 0, "released");

    /* S_FMT negotiates: the driver's answer is what is used */
    fake_reset();
    static const struct fake_fmt odd[] = {{V4L2_PIX_FMT_YUYV, 1, {{320, 240, RATES_30}}, false}};
    d = add_camera("/dev/video0", odd, 1);
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == 0 && bd_v4l2_capture_format(cap)->width == 320 && !bd_v4l2_capture_choice(cap)->exact_size,
          "nearest: %s", bd_last_error());
    bd_v4l2_capture_close(cap);
    cap = NULL;

    /* bad requests */
    req.buffers = 1;
    r = bd_v4l2_capture_open("/dev/video0", &req, &fake_ops, &cap);
    CHECK(r == -EINVAL && F.open_fds == 0, "1 buffer refused");
    r = bd_v4l2_capture_open("", NULL, &fake_ops, &cap);
    CHECK(r == -EINVAL, "empty path");

    /* a driver that gives 1 buffer */
    fake_reset();
    d = add_camera("/dev/video0", smallcam, N(smallcam));
    d->max_buffers = 1;
    r = bd_v4l2_capture_open("/dev/video0", NULL, &fake_ops, &cap);
    CHECK(r == 0, "open");
    r = bd_v4l2_capture_start(cap);
    CHECK(r == -ENOMEM && has(bd_last_error(), "gave 1 buffers") && F.reqbufs0 == 1, "1 buffer: %s",
          bd_last_error());
    bd_v4l2_capture_close(cap);
    cap = NULL;
    CHECK(F.open_fds == 0 && F.maps == 0, "released");
    fake_reset();
}

static void test_streaming_faults(void)
{
    struct bd_v4l2_capture *cap = NULL;
    struct bd_v4l2_frame fr;
    int r;

    /* ENODEV mid-stream */
    fake_reset();
    struct fake_dev *d = add_camera("/dev/video0", smallcam, N(smallcam));
    d->disconnect_after = 3;
    bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48}, &fake_ops, &cap);
    CHECK(cap && bd_v4l2_capture_start(cap) == 0, "start");
    int got = 0;
    for (int i = 0; i < 10; i++) {
        r = bd_v4l2_capture_dequeue(cap, 100, &fr);
        if (r < 0)
            break;
        got++;
        r = bd_v4l2_capture_requeue(cap, &fr);
        if (r < 0)
            break;
    }
    CHECK(got == 3 && r == -ENODEV && has(bd_last_error(), "camera '/dev/video0' was disconnected"),
          "ENODEV after %d frames: %d %s", got, r, bd_last_error());
    r = bd_v4l2_capture_dequeue(cap, 100, &fr);
    CHECK(r == -ENODEV, "still ENODEV");
    bd_v4l2_capture_close(cap);
    cap = NULL;
    CHECK(F.open_fds == 0 && F.maps == 0, "released after a disconnect (fds %d maps %d)", F.open_fds, F.maps);

    /* corrupt frame skipped, drops counted */
    fake_reset();
    d = add_camera("/dev/video0", smallcam, N(smallcam));
    d->corrupt_frame = 2;
    d->skip_seq_at = 4;
    bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48}, &fake_ops, &cap);
    bd_v4l2_capture_start(cap);
    uint32_t seqs[4] = {0};
    for (int i = 0; i < 4; i++) {
        r = bd_v4l2_capture_dequeue(cap, 100, &fr);
        seqs[i] = fr.sequence;
        bd_v4l2_capture_requeue(cap, &fr);
    }
    struct bd_v4l2_capture_stats st;
    bd_v4l2_capture_stats(cap, &st);
    CHECK(seqs[0] == 0 && seqs[1] == 2 && seqs[2] == 4 && st.corrupt == 1 && st.frames == 4 && st.dropped == 1,
          "seqs %u %u %u %u corrupt %llu dropped %llu", seqs[0], seqs[1], seqs[2], seqs[3],
          (unsigned long long)st.corrupt, (unsigned long long)st.dropped);
    bd_v4l2_capture_close(cap);
    cap = NULL;

    /* nothing but corrupt frames (an MJPEG camera sending empty frames)
     * still times out */
    fake_reset();
    d = add_camera("/dev/video0", mjpegcam, N(mjpegcam));
    bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48}, &fake_ops, &cap);
    bd_v4l2_capture_start(cap);
    r = bd_v4l2_capture_dequeue(cap, 20, &fr);
    CHECK(r == -ETIMEDOUT && has(bd_last_error(), "only corrupt frames") && d->frames > 3,
          "only corrupt: %d %s", r, bd_last_error());
    bd_v4l2_capture_close(cap);
    cap = NULL;

    /* held frames */
    fake_reset();
    add_camera("/dev/video0", smallcam, N(smallcam));
    bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48, .buffers = 3},
                         &fake_ops, &cap);
    bd_v4l2_capture_start(cap);
    struct bd_v4l2_frame a, b, c;
    CHECK(bd_v4l2_capture_dequeue(cap, 100, &a) == 0 && bd_v4l2_capture_dequeue(cap, 100, &b) == 0,
          "two held");
    r = bd_v4l2_capture_dequeue(cap, 100, &c);
    CHECK(r == -ENOBUFS && has(bd_last_error(), "2 of 3 frames are still held"), "third: %s", bd_last_error());
    CHECK(a.data != b.data, "distinct buffers");
    bd_v4l2_capture_requeue(cap, &a);
    CHECK(bd_v4l2_capture_dequeue(cap, 100, &c) == 0, "after a requeue");
    bd_v4l2_capture_close(cap); /* with frames still held */
    cap = NULL;
    CHECK(F.open_fds == 0 && F.maps == 0, "released with held frames");

    /* a driver that hands out a buffer the caller holds (v4l2loopback) */
    fake_reset();
    d = add_camera("/dev/video0", smallcam, N(smallcam));
    d->dq_any = true;
    bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48, .buffers = 3},
                         &fake_ops, &cap);
    bd_v4l2_capture_start(cap);
    bool ok = bd_v4l2_capture_dequeue(cap, 100, &a) == 0 && a.index == 0; /* held */
    for (int i = 0; ok && i < 2; i++) {
        ok &= bd_v4l2_capture_dequeue(cap, 100, &b) == 0 && b.index == i + 1;
        ok &= bd_v4l2_capture_requeue(cap, &b) == 0;
    }
    /* slot 0 comes round again while held: skipped, slot 1 given */
    ok &= bd_v4l2_capture_dequeue(cap, 100, &c) == 0 && c.index == 1 && c.data != a.data;
    bd_v4l2_capture_stats(cap, &st);
    CHECK(ok && st.corrupt == 1, "held buffer handed out again is skipped (corrupt %llu)",
          (unsigned long long)st.corrupt);
    bd_v4l2_capture_close(cap);
    cap = NULL;
    CHECK(F.open_fds == 0 && F.maps == 0, "released");

    /* not started */
    fake_reset();
    add_camera("/dev/video0", smallcam, N(smallcam));
    bd_v4l2_capture_open("/dev/video0", NULL, &fake_ops, &cap);
    CHECK(bd_v4l2_capture_dequeue(cap, 0, &fr) == -EINVAL, "dequeue before start");
    bd_v4l2_capture_stop(cap); /* no-op */
    bd_v4l2_capture_close(cap);
    cap = NULL;
    CHECK(F.open_fds == 0, "released");
    fake_reset();
}

/* A failure at every fallible call of a whole capture life cycle. */
static void test_fault_sweep_capture(void)
{
    struct bd_v4l2_request req = {.width = 64, .height = 48, .fps = 30, .buffers = 3};
    fake_reset();
    add_camera("/dev/video0", smallcam, N(smallcam));
    CHECK(cycle("/dev/video0", &req, 3) == 0, "clean cycle");
    long total = F.calls;
    int leaks = 0, silent = 0;
    for (long k = 1; k <= total; k++) {
        fake_reset();
        add_camera("/dev/video0", smallcam, N(smallcam));
        F.fail_at = k;
        bd_clear_error();
        int r = cycle("/dev/video0", &req, 3);
        if (F.open_fds != 0 || F.maps != 0) {
            leaks++;
            printf("  fault at call %ld: %d fds, %d maps left\n", k, F.open_fds, F.maps);
        }
        /* Every failure that reaches the caller has a message. Failures in
         * the enumeration only shorten the list, those in release are
         * ignored on purpose. */
        if (r < 0 && bd_last_error()[0] == '\0')
            silent++;
    }
    printf("capture life cycle: a failure injected at each of %ld calls, %d leaked\n", total, leaks);
    CHECK(total > 20 && leaks == 0, "%ld fault points, %d leaked", total, leaks);
    CHECK(silent == 0, "%d failures without a message", silent);
    fake_reset();
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                               */

/* JPEG of w x h in YCbCr with luma sampling (hs, vs) (0,0 = grey), from a
 * full-range colour per pixel given by fn. Returns malloc'd bytes. */
static int chroma_vs = 1; /* chroma v sampling factor for make_jpeg */

static uint8_t *make_jpeg(int w, int h, int hs, int vs, void (*fn)(int x, int y, uint8_t ycc[3]), size_t *size)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long outsize = 0;
    jpeg_mem_dest(&c, &out, &outsize);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = hs ? 3 : 1;
    c.in_color_space = hs ? JCS_YCbCr : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, hs ? JCS_YCbCr : JCS_GRAYSCALE);
    jpeg_set_quality(&c, 100, TRUE);
    if (hs) {
        c.comp_info[0].h_samp_factor = hs;
        c.comp_info[0].v_samp_factor = vs;
        c.comp_info[1].h_samp_factor = c.comp_info[2].h_samp_factor = 1;
        c.comp_info[1].v_samp_factor = c.comp_info[2].v_samp_factor = chroma_vs;
    }
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 3);
    while (c.next_scanline < c.image_height) {
        for (int x = 0; x < w; x++) {
            uint8_t ycc[3];
            fn(x, (int)c.next_scanline, ycc);
            if (hs)
                memcpy(row + 3 * x, ycc, 3);
            else
                row[x] = ycc[0];
        }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *size = outsize;
    return out;
}

/* Left half one colour, right half another (full range YCbCr). */
static void split_colour(int x, int y, uint8_t ycc[3])
{
    (void)y;
    if (x < 32) {
        ycc[0] = 200; ycc[1] = 100; ycc[2] = 150;
    } else {
        ycc[0] = 40; ycc[1] = 180; ycc[2] = 60;
    }
}

static int vr_y(int v) { return 16 + (v * 219 + 127) / 255; }
static int vr_c(int v) { int c = (v - 128) * 224; return 128 + (c >= 0 ? (c + 127) / 255 : -((-c + 127) / 255)); }

static bool near(int a, int b, int tol) { return abs(a - b) <= tol; }

static void test_convert_raw(void)
{
    enum { W = 64, H = 48 };
    static uint8_t yuyv[W * H * 2], nv12[W * H * 3 / 2];
    static uint8_t y[W * H], u[W * H / 4], v[W * H / 4], argb[W * H * 4];
    for (int i = 0; i < W * H * 2; i += 4) {
        yuyv[i] = 100; yuyv[i + 1] = 90; yuyv[i + 2] = 100; yuyv[i + 3] = 200;
    }
    struct bd_v4l2_frame f = {.data = yuyv, .bytesused = sizeof yuyv, .fourcc = V4L2_PIX_FMT_YUYV,
                              .width = W, .height = H, .stride = 2 * W};
    int r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == 0 && y[0] == 100 && y[W * H - 1] == 100 && u[0] == 90 && v[W * H / 4 - 1] == 200, "YUYV -> I420");
    r = bd_v4l2_frame_to_argb(NULL, &f, argb, W * 4);
    /* BT.601 video range: Y 100, U 90, V 200 is a red-orange */
    CHECK(r == 0 && argb[3] == 255 && argb[2] > 180 && argb[1] < 120 && argb[0] < 60, "YUYV -> ARGB %d %d %d",
          argb[2], argb[1], argb[0]);
    f.bytesused = sizeof yuyv - 1;
    r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == -EINVAL && has(bd_last_error(), "too short"), "short YUYV: %s", bd_last_error());

    memset(nv12, 70, W * H);
    for (int i = W * H; i < W * H * 3 / 2; i += 2) {
        nv12[i] = 110; nv12[i + 1] = 140;
    }
    f = (struct bd_v4l2_frame){.data = nv12, .bytesused = sizeof nv12, .fourcc = V4L2_PIX_FMT_NV12,
                               .width = W, .height = H, .stride = W};
    r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == 0 && y[5] == 70 && u[3] == 110 && v[3] == 140, "NV12 -> I420");
    r = bd_v4l2_frame_to_argb(NULL, &f, argb, W * 4);
    CHECK(r == 0 && argb[3] == 255, "NV12 -> ARGB");
    f.fourcc = V4L2_PIX_FMT_RGB24;
    r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == -EOPNOTSUPP, "RGB24 refused");
    f.fourcc = V4L2_PIX_FMT_MJPEG;
    r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == -EINVAL && has(bd_last_error(), "no converter"), "MJPEG needs a converter");
}

/* Rows padded past the picture (bytesperline > the row's bytes, as ISPs
 * that align rows to 32 or 64 bytes give): the padding is never read as
 * picture and NV12's chroma plane starts stride x height bytes in. Odd
 * sizes throughout. Strides below a row and frames short of their last
 * chroma row (odd height) are refused, not read past their end. */
static void test_convert_strides(void)
{
    /* YUYV has an even width (its pixels come in pairs); NV12 need not */
    enum { W = 21, H = 9, CW = (W + 1) / 2, CH = (H + 1) / 2, S = 32, WY = 22, SY = 2 * WY + 10 };
    static uint8_t nv12[S * H + S * CH], yuyv[SY * H];
    static uint8_t y[WY * H], u[WY * CH], v[WY * CH];
    memset(nv12, 255, sizeof nv12); /* the padding: never picture */
    for (int r = 0; r < H; r++)
        for (int x = 0; x < W; x++)
            nv12[r * S + x] = (uint8_t)(16 + r * 20 + x);
    for (int r = 0; r < CH; r++)
        for (int x = 0; x < CW; x++) {
            nv12[S * H + r * S + 2 * x] = (uint8_t)(40 + r * 12 + x);
            nv12[S * H + r * S + 2 * x + 1] = (uint8_t)(130 + r * 12 + x);
        }
    struct bd_v4l2_frame f = {.data = nv12, .bytesused = sizeof nv12, .fourcc = V4L2_PIX_FMT_NV12,
                              .width = W, .height = H, .stride = S};
    memset(y, 0, sizeof y);
    int r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, CW, v, CW);
    int bad = 0;
    for (int i = 0; i < H; i++)
        for (int x = 0; x < W; x++)
            bad += y[i * W + x] != 16 + i * 20 + x;
    for (int i = 0; i < CH; i++)
        for (int x = 0; x < CW; x++)
            bad += u[i * CW + x] != 40 + i * 12 + x || v[i * CW + x] != 130 + i * 12 + x;
    CHECK(r == 0 && bad == 0, "NV12 %dx%d with stride %d: %d, %d samples wrong", W, H, S, r, bad);
    /* one byte short of the last chroma row (height 9 has 5 of them) */
    f.bytesused = sizeof nv12 - 1;
    r = bd_v4l2_frame_to_i420(NULL, &f, y, W, u, CW, v, CW);
    CHECK(r == -EINVAL && has(bd_last_error(), "too short"), "NV12 odd height, last chroma row cut: %d %s", r,
          bd_last_error());
    f.bytesused = sizeof nv12;
    f.stride = W - 1;
    CHECK(bd_v4l2_frame_to_i420(NULL, &f, y, W, u, CW, v, CW) == -EINVAL, "NV12 stride below the width");

    memset(yuyv, 255, sizeof yuyv);
    for (int i = 0; i < H; i++)
        for (int x = 0; x < WY; x++) {
            yuyv[i * SY + 2 * x] = (uint8_t)(16 + i * 20 + x);
            yuyv[i * SY + 2 * x + 1] = (uint8_t)(x % 2 ? 150 + i : 60 + i); /* U on even, V on odd */
        }
    f = (struct bd_v4l2_frame){.data = yuyv, .bytesused = sizeof yuyv, .fourcc = V4L2_PIX_FMT_YUYV,
                               .width = WY, .height = H, .stride = SY};
    r = bd_v4l2_frame_to_i420(NULL, &f, y, WY, u, WY / 2, v, WY / 2);
    bad = 0;
    for (int i = 0; i < H; i++)
        for (int x = 0; x < WY; x++)
            bad += y[i * WY + x] != 16 + i * 20 + x;
    /* 4:2:2 to 4:2:0: rows 2i and 2i + 1 averaged (the odd last row alone) */
    for (int i = 0; i < CH; i++)
        for (int x = 0; x < WY / 2; x++) {
            const int r0 = 2 * i, r1 = 2 * i + 1 < H ? 2 * i + 1 : 2 * i;
            bad += !near(u[i * (WY / 2) + x], (60 + r0 + 60 + r1 + 1) / 2, 1) ||
                   !near(v[i * (WY / 2) + x], (150 + r0 + 150 + r1 + 1) / 2, 1);
        }
    CHECK(r == 0 && bad == 0, "YUYV %dx%d with stride %d: %d, %d samples wrong", WY, H, SY, r, bad);
    /* a stride of less than 2 x width bytes: rows would overlap and the
     * last one run past the buffer */
    f.stride = 2 * WY - 2;
    f.bytesused = (size_t)f.stride * H;
    r = bd_v4l2_frame_to_i420(NULL, &f, y, WY, u, WY / 2, v, WY / 2);
    CHECK(r == -EINVAL && has(bd_last_error(), "stride"), "YUYV stride %d for width %d: %d %s", f.stride, WY, r,
          bd_last_error());
}

static void test_convert_mjpeg(void)
{
    enum { W = 64, H = 48 };
    static uint8_t y[W * H], u[W * H / 4], v[W * H / 4], argb[W * H * 4];
    struct bd_v4l2_converter *cv = NULL;
    CHECK(bd_v4l2_converter_create(W, H, &cv) == 0, "converter");
    static const struct { int hs, vs, cvs; const char *name; } kinds[] = {
        {2, 1, 1, "4:2:2"}, {2, 2, 1, "4:2:0"}, {1, 1, 1, "4:4:4"}, {0, 0, 1, "grey"},
        {2, 2, 2, "4:2:2 as ffmpeg codes it (Y 2x2, C 1x2)"}};
    for (int k = 0; k < N(kinds); k++) {
        size_t n;
        chroma_vs = kinds[k].cvs;
        uint8_t *jpg = make_jpeg(W, H, kinds[k].hs, kinds[k].vs, split_colour, &n);
        chroma_vs = 1;
        struct bd_v4l2_frame f = {.data = jpg, .bytesused = n, .fourcc = V4L2_PIX_FMT_MJPEG, .width = W, .height = H};
        memset(y, 0, sizeof y);
        int r = bd_v4l2_frame_to_i420(cv, &f, y, W, u, W / 2, v, W / 2);
        bool grey = kinds[k].hs == 0;
        /* away from the edge between the halves (JPEG rings a little) */
        bool ok = r == 0 && near(y[5 * W + 4], vr_y(200), 2) && near(y[40 * W + 60], vr_y(40), 2) &&
                  near(u[10 * (W / 2) + 2], grey ? 128 : vr_c(100), 2) &&
                  near(v[10 * (W / 2) + 2], grey ? 128 : vr_c(150), 2) &&
                  near(u[20 * (W / 2) + 29], grey ? 128 : vr_c(180), 2) &&
                  near(v[20 * (W / 2) + 29], grey ? 128 : vr_c(60), 2);
        CHECK(ok, "MJPEG %s -> I420 (video range): r %d y %d/%d u %d/%d v %d/%d", kinds[k].name, r, y[5 * W + 4],
              y[40 * W + 60], u[10 * (W / 2) + 2], u[20 * (W / 2) + 29], v[10 * (W / 2) + 2], v[20 * (W / 2) + 29]);
        r = bd_v4l2_frame_to_argb(cv, &f, argb, W * 4);
        /* full-range Y 200 Cb 100 Cr 150: R = 200 + 1.402*22 = 231,
         * G = 200 - 0.344*-28 - 0.714*22 = 194, B = 200 + 1.772*-28 = 150 */
        const uint8_t *p = argb + (5 * W + 4) * 4;
        ok = r == 0 && p[3] == 255 &&
             (grey ? near(p[2], 200, 3) && near(p[1], 200, 3) && near(p[0], 200, 3)
                   : near(p[2], 231, 4) && near(p[1], 194, 4) && near(p[0], 150, 4));
        CHECK(ok, "MJPEG %s -> ARGB (full-range matrix): r %d RGB %d %d %d", kinds[k].name, r, p[2], p[1], p[0]);
        free(jpg);
    }
    /* 4:4:0 (Y 1x2) is not handled: a clear error, no crash */
    {
        size_t n;
        uint8_t *jpg = make_jpeg(W, H, 1, 2, split_colour, &n);
        struct bd_v4l2_frame f = {.data = jpg, .bytesused = n, .fourcc = V4L2_PIX_FMT_MJPEG, .width = W, .height = H};
        int r = bd_v4l2_frame_to_i420(cv, &f, y, W, u, W / 2, v, W / 2);
        CHECK(r == -EOPNOTSUPP && has(bd_last_error(), "sampled 1x2,1x1,1x1"), "4:4:0: %s", bd_last_error());
        free(jpg);
    }
    /* corrupt and truncated frames fail cleanly, and the next frame works */
    size_t n;
    uint8_t *jpg = make_jpeg(W, H, 2, 1, split_colour, &n);
    struct bd_v4l2_frame f = {.data = jpg, .bytesused = n / 2, .fourcc = V4L2_PIX_FMT_MJPEG, .width = W, .height = H};
    int r = bd_v4l2_frame_to_i420(cv, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == -EBADMSG && has(bd_last_error(), "corrupt MJPEG frame"), "truncated: %d %s", r, bd_last_error());
    static const uint8_t junk[64] = {1, 2, 3};
    f.data = junk;
    f.bytesused = sizeof junk;
    r = bd_v4l2_frame_to_argb(cv, &f, argb, W * 4);
    CHECK(r == -EBADMSG, "junk: %s", bd_last_error());
    f.data = jpg;
    f.bytesused = n;
    f.width = 32;
    f.height = 24;
    r = bd_v4l2_frame_to_i420(cv, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == -EBADMSG && has(bd_last_error(), "64x48 in a 32x24 stream"), "size mismatch: %s", bd_last_error());
    f.width = W;
    f.height = H;
    r = bd_v4l2_frame_to_i420(cv, &f, y, W, u, W / 2, v, W / 2);
    CHECK(r == 0 && near(y[5 * W + 4], vr_y(200), 2), "decoder reusable after errors");
    free(jpg);
    /* larger than the converter */
    jpg = make_jpeg(80, 48, 2, 1, split_colour, &n);
    f = (struct bd_v4l2_frame){.data = jpg, .bytesused = n, .fourcc = V4L2_PIX_FMT_MJPEG, .width = 80, .height = 48};
    static uint8_t big[80 * 48 * 4];
    r = bd_v4l2_frame_to_argb(cv, &f, big, 80 * 4);
    CHECK(r == -EINVAL && has(bd_last_error(), "larger than"), "too large: %s", bd_last_error());
    free(jpg);
    /* odd sizes */
    bd_v4l2_converter_destroy(cv);
    CHECK(bd_v4l2_converter_create(101, 75, &cv) == 0, "odd converter");
    jpg = make_jpeg(101, 75, 2, 2, split_colour, &n);
    static uint8_t oy[101 * 75], ou[51 * 38], ov[51 * 38];
    f = (struct bd_v4l2_frame){.data = jpg, .bytesused = n, .fourcc = V4L2_PIX_FMT_MJPEG, .width = 101, .height = 75};
    r = bd_v4l2_frame_to_i420(cv, &f, oy, 101, ou, 51, ov, 51);
    CHECK(r == 0 && near(oy[74 * 101 + 100], vr_y(40), 2) && near(ou[37 * 51 + 50], vr_c(180), 3),
          "odd 101x75 4:2:0: %d %d %d", r, oy[74 * 101 + 100], ou[37 * 51 + 50]);
    free(jpg);
    jpg = make_jpeg(101, 75, 2, 1, split_colour, &n);
    f.data = jpg;
    f.bytesused = n;
    r = bd_v4l2_frame_to_i420(cv, &f, oy, 101, ou, 51, ov, 51);
    CHECK(r == 0 && near(ou[37 * 51 + 50], vr_c(180), 3), "odd 101x75 4:2:2");
    free(jpg);
    bd_v4l2_converter_destroy(cv);
    bd_v4l2_converter_destroy(NULL);
    CHECK(bd_v4l2_converter_create(0, 10, &cv) == -EINVAL && cv == NULL, "bad converter size");
}

/* A driver that fills neither bytesperline nor bytesused: the stride is
 * YUYV's own 2 x width, the frames are whole, and they convert. */
static void test_capture_lazy_driver(void)
{
    fake_reset();
    struct fake_dev *d = add_camera("/dev/video0", smallcam, N(smallcam));
    d->lazy = true;
    struct bd_v4l2_capture *cap = NULL;
    int r = bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48}, &fake_ops,
                                 &cap);
    CHECK(r == 0 && bd_v4l2_capture_format(cap)->stride == 128, "bytesperline 0: stride %d (%s)",
          cap ? bd_v4l2_capture_format(cap)->stride : -1, bd_last_error());
    static uint8_t y[64 * 48], u[32 * 24], v[32 * 24];
    if (cap && bd_v4l2_capture_start(cap) == 0) {
        struct bd_v4l2_frame fr;
        r = bd_v4l2_capture_dequeue(cap, 100, &fr);
        CHECK(r == 0 && fr.stride == 128 && fr.bytesused == 64 * 48 * 2, "frame: %d stride %d, %zu bytes (%s)", r,
              fr.stride, fr.bytesused, bd_last_error());
        if (r == 0) {
            r = bd_v4l2_frame_to_i420(NULL, &fr, y, 64, u, 32, v, 32);
            CHECK(r == 0 && y[0] == 61 && y[64 * 48 - 1] == 61 && u[0] == 90 && v[32 * 24 - 1] == 200,
                  "converted: %d %s", r, bd_last_error());
            bd_v4l2_capture_requeue(cap, &fr);
        }
    }
    bd_v4l2_capture_close(cap);
    CHECK(F.open_fds == 0 && F.maps == 0, "released");
    fake_reset();
}

/* MJPEG through the fake camera, decoded from the mapped buffer. */
static void test_capture_mjpeg(void)
{
    fake_reset();
    struct fake_dev *d = add_camera("/dev/video0", mjpegcam, N(mjpegcam));
    size_t n;
    uint8_t *jpg = make_jpeg(64, 48, 2, 1, split_colour, &n);
    d->jpeg = jpg;
    d->jpeg_size = n;
    struct bd_v4l2_capture *cap = NULL;
    struct bd_v4l2_converter *cv = NULL;
    int r = bd_v4l2_capture_open("/dev/video0", &(struct bd_v4l2_request){.width = 64, .height = 48}, &fake_ops,
                                 &cap);
    CHECK(r == 0 && bd_v4l2_capture_format(cap)->fourcc == V4L2_PIX_FMT_MJPEG &&
              bd_v4l2_capture_format(cap)->stride == 0, "MJPEG camera: %s", bd_last_error());
    bd_v4l2_converter_create(64, 48, &cv);
    static uint8_t y[64 * 48], u[32 * 24], v[32 * 24];
    if (cap && bd_v4l2_capture_start(cap) == 0) {
        struct bd_v4l2_frame fr;
        r = bd_v4l2_capture_dequeue(cap, 100, &fr);
        CHECK(r == 0 && fr.bytesused == n, "frame of %zu bytes", fr.bytesused);
        if (r == 0) {
            r = bd_v4l2_frame_to_i420(cv, &fr, y, 64, u, 32, v, 32);
            CHECK(r == 0 && near(y[0], vr_y(200), 2), "decoded from the buffer: %s", bd_last_error());
            bd_v4l2_capture_requeue(cap, &fr);
        }
    }
    bd_v4l2_converter_destroy(cv);
    bd_v4l2_capture_close(cap);
    free(jpg);
    CHECK(F.open_fds == 0 && F.maps == 0, "released");
    fake_reset();
}

/* ------------------------------------------------------------------------ */
/* Loopback                                                                  */

static void test_loopback_find(void)
{
    char path[BD_V4L2_PATH_MAX];
    const char *paths[] = {"/dev/video0", "/dev/video1", "/dev/video2", "/dev/video3", "/dev/video4"};
    fake_reset();
    add_camera("/dev/video0", webcam, N(webcam));
    fake_add("/dev/video1", NOT_V4L2);
    struct fake_dev *l2 = fake_add("/dev/video2", LOOPBACK);
    struct fake_dev *l3 = fake_add("/dev/video3", LOOPBACK);
    strcpy(l3->driver, "v4l2loopback"); /* 0.13's name */
    strcpy(l3->card, "backdrop");
    int r = bd_v4l2_loopback_find(&fake_ops, paths, 5, path);
    CHECK(r == 0 && strcmp(path, "/dev/video2") == 0, "first loopback: %d %s", r, path);

    struct bd_v4l2_device_info info[8];
    int n = 0;
    r = bd_v4l2_list_devices(&fake_ops, paths, 5, info, 8, &n);
    CHECK(r == 0 && n == 3 && !info[0].is_loopback && info[0].can_capture && info[1].is_loopback &&
              info[1].can_output && !info[1].can_capture && strcmp(info[2].card, "backdrop") == 0 &&
              strcmp(info[0].card, "Fake Webcam") == 0 && strcmp(info[1].driver, "v4l2 loopback") == 0,
          "list: %d devices", n);
    CHECK(F.open_fds == 0, "list closes");

    /* fed = a producer holds it open after STREAMON */
    struct bd_v4l2_loopback *pa = NULL, *pb = NULL;
    r = bd_v4l2_loopback_open("/dev/video2", 32, 24, BD_LOOPBACK_YUYV, 30, &fake_ops, &pa);
    CHECK(r == 0 && !l2->ready_for_output, "producer on video2: %s", bd_last_error());
    r = bd_v4l2_loopback_find(&fake_ops, paths, 5, path);
    CHECK(r == 0 && strcmp(path, "/dev/video3") == 0, "skips the fed one: %s", path);
    bd_v4l2_loopback_open("/dev/video3", 32, 24, BD_LOOPBACK_YUYV, 30, &fake_ops, &pb);
    r = bd_v4l2_loopback_find(&fake_ops, paths, 5, path);
    CHECK(r == -EBUSY && has(bd_last_error(), "already fed by another producer (e.g. /dev/video2)"), "all fed: %s",
          bd_last_error());
    bd_v4l2_loopback_close(pa);
    l2->ready_for_output = false; /* as a write()-only producer leaves it */
    r = bd_v4l2_loopback_find(&fake_ops, paths, 5, path);
    CHECK(r == -EBUSY && has(bd_last_error(), "(e.g. /dev/video3)"), "stuck + fed: %s", bd_last_error());
    bd_v4l2_loopback_close(pb);
    l3->ready_for_output = false;
    r = bd_v4l2_loopback_find(&fake_ops, paths, 5, path);
    CHECK(r == -EIO && has(bd_last_error(), "/dev/video2 offers neither output nor capture") &&
              has(bd_last_error(), "modprobe -r v4l2loopback"),
          "stuck: %s", bd_last_error());
    r = bd_v4l2_loopback_find(&fake_ops, paths, 2, path);
    CHECK(r == -ENOENT && has(bd_last_error(), "sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
                                              "card_label=backdrop"),
          "none: %s", bd_last_error());
    struct bd_v4l2_device_info one;
    r = bd_v4l2_query_device(&fake_ops, "/dev/video1", &one);
    CHECK(r == -ENOTTY && has(bd_last_error(), "'/dev/video1' is not a V4L2 video device"), "not v4l2: %s",
          bd_last_error());
    CHECK(F.open_fds == 0, "released");
    fake_reset();
}

static void test_loopback_io(void)
{
    enum { W = 64, H = 48 };
    static uint8_t y[W * H], u[W * H / 4], v[W * H / 4];
    memset(y, 81, sizeof y);
    memset(u, 90, sizeof u);
    memset(v, 240, sizeof v);
    fake_reset();
    struct fake_dev *l = fake_add("/dev/video10", LOOPBACK);
    struct bd_v4l2_loopback *lb = NULL;
    int r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    CHECK(r == 0 && lb, "open: %s", bd_last_error());
    if (!lb)
        return;
    CHECK(strncmp(F.log, "QUERYCAP S_FMT S_PARM STREAMON", 30) == 0, "order: %s", F.log);
    CHECK(l->out_fmt.pixelformat == V4L2_PIX_FMT_YUYV && l->out_fmt.width == W && l->out_fmt.bytesperline == 2 * W,
          "S_FMT YUYV");
    CHECK(bd_v4l2_loopback_frame_size(lb) == W * H * 2, "frame size");
    CHECK(bd_v4l2_loopback_repeat(lb) == 0 && l->last_write == W * H * 2 && l->last_frame[0] == 16 &&
              l->last_frame[1] == 128,
          "black before the first frame");
    r = bd_v4l2_loopback_write_i420(lb, y, W, u, W / 2, v, W / 2);
    CHECK(r == 0 && l->writes == 2 && l->last_frame[0] == 81 && l->last_frame[1] == 90 && l->last_frame[3] == 240,
          "I420 -> YUYV written");
    CHECK(bd_v4l2_loopback_repeat(lb) == 0 && l->writes == 3 && l->last_frame[0] == 81, "repeat the last");
    l->short_write = 1;
    r = bd_v4l2_loopback_repeat(lb);
    CHECK(r == -EIO && has(bd_last_error(), "took 3072 of 6144 bytes"), "short write: %s", bd_last_error());
    /* v4l2loopback 0.15 between consumers: a write that takes nothing is
     * tried again; twice nothing is one lost frame, not an error */
    size_t w0 = l->writes;
    l->short_write = 2; /* nothing once */
    r = bd_v4l2_loopback_repeat(lb);
    CHECK(r == 0 && l->writes == w0 + 2 && l->last_write == W * H * 2,
          "a write that took nothing is tried again (r %d, %zu writes, %zu bytes)", r, l->writes - w0,
          l->last_write);
    l->short_write = 3; /* nothing twice */
    r = bd_v4l2_loopback_repeat(lb);
    CHECK(r == BD_LOOPBACK_NOT_TAKEN, "nothing taken twice: the frame is given up (r %d)", r);
    CHECK(bd_v4l2_loopback_repeat(lb) == 0 && l->last_write == W * H * 2, "and the next frame goes");
    CHECK(bd_v4l2_loopback_write_raw(lb, y, 10) == -EINVAL, "raw of the wrong size");
    CHECK(bd_v4l2_loopback_write_i420(lb, y, W - 1, u, W / 2, v, W / 2) == -EINVAL, "bad stride");
    /* another producer now: refused, as already fed */
    struct bd_v4l2_loopback *lb2 = NULL;
    r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb2);
    CHECK(r == -EBUSY && !lb2 && has(bd_last_error(), "'/dev/video10' is already fed by another producer"),
          "second producer: %s", bd_last_error());
    bd_v4l2_loopback_close(lb);
    CHECK(F.open_fds == 0 && l->ready_for_output && F.streamoff == 1, "close gives Output back");

    /* restart three times, as the VM test does */
    bool ok = true;
    for (int i = 0; i < 3; i++) {
        lb = NULL;
        ok &= bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb) == 0;
        ok &= lb && bd_v4l2_loopback_write_i420(lb, y, W, u, W / 2, v, W / 2) == 0;
        bd_v4l2_loopback_close(lb);
    }
    CHECK(ok && F.open_fds == 0, "three restarts");

    /* I420 output */
    lb = NULL;
    r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_I420, 15, &fake_ops, &lb);
    CHECK(r == 0 && l->out_fmt.pixelformat == V4L2_PIX_FMT_YUV420 && bd_v4l2_loopback_frame_size(lb) == W * H * 3 / 2,
          "I420: %s", bd_last_error());
    if (lb) {
        /* before the first frame: black, in I420 (Y 16, U = V = 128) */
        const size_t px = (size_t)W * H;
        r = bd_v4l2_loopback_repeat(lb);
        int bad = 0;
        for (size_t i = 0; i < px * 3 / 2; i++)
            bad += l->last_frame[i] != (i < px ? 16 : 128);
        CHECK(r == 0 && l->last_write == px * 3 / 2 && bad == 0, "I420 black before the first frame: %d bytes off",
              bad);
        /* the planes in YU12 order, Y then U then V, each tightly packed,
         * from sources with padded rows */
        enum { SY = W + 8, SC = W / 2 + 4 };
        static uint8_t py[SY * H], pu[SC * H / 2], pv[SC * H / 2];
        memset(py, 255, sizeof py);
        memset(pu, 255, sizeof pu);
        memset(pv, 255, sizeof pv);
        for (int j = 0; j < H; j++)
            for (int i = 0; i < W; i++)
                py[j * SY + i] = (uint8_t)(16 + (i + j) % 200);
        for (int j = 0; j < H / 2; j++)
            for (int i = 0; i < W / 2; i++) {
                pu[j * SC + i] = (uint8_t)(20 + i + j);
                pv[j * SC + i] = (uint8_t)(140 + i + j);
            }
        r = bd_v4l2_loopback_write_i420(lb, py, SY, pu, SC, pv, SC);
        const uint8_t *fy = l->last_frame, *fu = fy + px, *fv = fu + px / 4;
        bad = 0;
        for (int j = 0; j < H; j++)
            for (int i = 0; i < W; i++)
                bad += fy[j * W + i] != 16 + (i + j) % 200;
        for (int j = 0; j < H / 2; j++)
            for (int i = 0; i < W / 2; i++)
                bad += fu[j * (W / 2) + i] != 20 + i + j || fv[j * (W / 2) + i] != 140 + i + j;
        CHECK(r == 0 && l->last_write == px * 3 / 2 && bad == 0, "I420 written as Y, U, V: %d samples off", bad);
    }
    /* a reader keeps the device (and its format) while we restart at
     * another size: 0.12.7 silently keeps the old format */
    int reader = bd_v4l2_open(&fake_ops, "/dev/video10", 0);
    bd_v4l2_loopback_close(lb);
    lb = NULL;
    r = bd_v4l2_loopback_open("/dev/video10", 32, 24, BD_LOOPBACK_I420, 15, &fake_ops, &lb);
    CHECK(r == -EPROTO && has(bd_last_error(), "keeps 64x48 YU12") && has(bd_last_error(), "use 64x48"),
          "kept format: %s", bd_last_error());
    r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_I420, 15, &fake_ops, &lb);
    CHECK(r == 0, "same format while a reader holds it: %s", bd_last_error());
    bd_v4l2_loopback_close(lb);
    bd_v4l2_close(&fake_ops, reader);
    CHECK(F.open_fds == 0, "released");

    /* stuck device: neither output nor capture */
    l->ready_for_output = false;
    l->ready_for_capture = false;
    r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    CHECK(r == -EIO && has(bd_last_error(), "offers neither output nor capture") &&
              has(bd_last_error(), "modprobe -r v4l2loopback"),
          "stuck: %s", bd_last_error());
    l->ready_for_output = true;
    /* newer v4l2loopback: EBUSY on S_FMT */
    l->lb_sfmt_ebusy = true;
    r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    CHECK(r == -EBUSY && has(bd_last_error(), "already fed by another producer"), "EBUSY S_FMT: %s", bd_last_error());
    l->lb_sfmt_ebusy = false;
    CHECK(F.open_fds == 0, "released");

    /* wrong devices and sizes */
    add_camera("/dev/video0", webcam, N(webcam));
    r = bd_v4l2_loopback_open("/dev/video0", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    CHECK(r == -ENOTTY && has(bd_last_error(), "is a uvcvideo device, not v4l2loopback") &&
              has(bd_last_error(), "modprobe"),
          "camera as output: %s", bd_last_error());
    r = bd_v4l2_loopback_open("/dev/video9", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    CHECK(r == -ENOENT && has(bd_last_error(), "card_label=backdrop"), "missing: %s", bd_last_error());
    r = bd_v4l2_loopback_open("/dev/video10", 63, 48, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    CHECK(r == -EINVAL && has(bd_last_error(), "bad size 63x48"), "odd width: %s", bd_last_error());
    CHECK(F.open_fds == 0 && lb == NULL, "released");
    bd_v4l2_loopback_close(NULL);
    fake_reset();
}

static int lb_cycle(void)
{
    enum { W = 32, H = 24 };
    static uint8_t y[W * H], u[W * H / 4], v[W * H / 4];
    struct bd_v4l2_loopback *lb = NULL;
    int r = bd_v4l2_loopback_open("/dev/video10", W, H, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    for (int i = 0; r == 0 && i < 3; i++)
        r = bd_v4l2_loopback_write_i420(lb, y, W, u, W / 2, v, W / 2);
    bd_v4l2_loopback_close(lb);
    return r;
}

static void test_fault_sweep_loopback(void)
{
    fake_reset();
    fake_add("/dev/video10", LOOPBACK);
    CHECK(lb_cycle() == 0, "clean loopback cycle");
    long total = F.calls;
    int leaks = 0, silent = 0, stuck = 0;
    for (long k = 1; k <= total; k++) {
        fake_reset();
        struct fake_dev *l = fake_add("/dev/video10", LOOPBACK);
        F.fail_at = k;
        bd_clear_error();
        int r = lb_cycle();
        leaks += F.open_fds != 0;
        silent += r < 0 && bd_last_error()[0] == '\0';
        /* whatever failed, the device is usable by the next producer */
        stuck += !l->ready_for_output;
    }
    printf("loopback life cycle: a failure injected at each of %ld calls, %d leaked\n", total, leaks);
    CHECK(total >= 6 && leaks == 0 && silent == 0 && stuck == 0, "%ld fault points: %d leaked, %d silent, %d stuck",
          total, leaks, silent, stuck);
    fake_reset();
}


/* ------------------------------------------------------------------------ */
/* On demand: the decision and the consumer count                          */

#define SEC 1000000000LL

static void test_ondemand_machine(void)
{
    struct bd_ondemand od;
    bd_ondemand_init(&od, 5 * SEC);
    CHECK(!od.active, "starts idle");
    CHECK(bd_ondemand_update(&od, 0, 0) == BD_ONDEMAND_NONE && !od.active, "nobody: stays idle");
    CHECK(bd_ondemand_update(&od, -1, SEC) == BD_ONDEMAND_NONE && !od.active,
          "unknown count: stays idle");
    /* probes never show as streaming consumers: 20 cycles of 0 start nothing */
    int starts = 0;
    for (int i = 0; i < 20; i++)
        starts += bd_ondemand_update(&od, 0, 2 * SEC + i * 150000000LL) == BD_ONDEMAND_START;
    CHECK(starts == 0, "20 probe cycles: %d starts", starts);
    CHECK(bd_ondemand_update(&od, 1, 10 * SEC) == BD_ONDEMAND_START && od.active,
          "a consumer streams: START");
    CHECK(bd_ondemand_update(&od, 2, 11 * SEC) == BD_ONDEMAND_NONE, "a second one: no new START");
    CHECK(bd_ondemand_update(&od, 0, 20 * SEC) == BD_ONDEMAND_NONE && od.active,
          "the last stops: the grace period begins");
    CHECK(bd_ondemand_update(&od, 0, 25 * SEC - 1) == BD_ONDEMAND_NONE && od.active,
          "still open 1 ns before the grace period ends");
    CHECK(bd_ondemand_update(&od, -1, 25 * SEC + 1) == BD_ONDEMAND_NONE && od.active,
          "an unknown count stops nothing");
    CHECK(bd_ondemand_update(&od, 1, 25 * SEC + 2) == BD_ONDEMAND_NONE && od.active,
          "back within the grace period: no flap");
    CHECK(bd_ondemand_update(&od, 0, 30 * SEC) == BD_ONDEMAND_NONE, "stops again");
    CHECK(bd_ondemand_update(&od, 0, 34 * SEC) == BD_ONDEMAND_NONE && od.active,
          "the grace period starts over from the last stop");
    CHECK(bd_ondemand_update(&od, 0, 35 * SEC) == BD_ONDEMAND_STOP && !od.active,
          "STOP exactly when the grace period is over");
    CHECK(bd_ondemand_update(&od, 0, 60 * SEC) == BD_ONDEMAND_NONE && !od.active,
          "idle stays idle");
    CHECK(bd_ondemand_update(&od, 1, 61 * SEC) == BD_ONDEMAND_START, "and starts again");
    bd_ondemand_init(&od, 0);
    CHECK(bd_ondemand_update(&od, 3, 0) == BD_ONDEMAND_START &&
              bd_ondemand_update(&od, 0, SEC) == BD_ONDEMAND_NONE &&
              bd_ondemand_update(&od, 0, SEC) == BD_ONDEMAND_STOP,
          "grace 0: STOP on the next look");
}

static void test_ondemand_events(void)
{
    fake_reset();
    struct fake_dev *l = fake_add("/dev/video10", LOOPBACK);
    l->usage_event = true;
    struct bd_v4l2_loopback *lb = NULL;
    CHECK(bd_v4l2_loopback_open("/dev/video10", 32, 24, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb) == 0,
          "open");
    if (!lb)
        return;
    struct bd_lb_watch *w = NULL;
    CHECK(bd_lb_watch_open(&fake_ops, bd_v4l2_loopback_fd(lb), "/dev/video10", NULL, &w) == 0 && w,
          "watch");
    if (!w)
        return;
    CHECK(bd_lb_watch_mode(w) == BD_LB_WATCH_EVENT && l->subscribed, "0.13+: the event is used");
    short ev = 0;
    CHECK(bd_lb_watch_fd(w, &ev) == bd_v4l2_loopback_fd(lb) && ev == POLLPRI, "poll POLLPRI on the fd");
    CHECK(bd_lb_watch_count(w, 0) == 0, "no event yet: 0");
    l->ev_queue[l->ev_n++] = 1;
    CHECK(bd_lb_watch_count(w, 0) == 1, "STREAMON: 1");
    CHECK(bd_lb_watch_count(w, 0) == 1, "no new event: still 1");
    l->ev_queue[l->ev_n++] = 2;
    l->ev_queue[l->ev_n++] = 0;
    CHECK(bd_lb_watch_count(w, 0) == 0 && l->ev_n == 0, "two events queued: the newest counts");
    /* the module's count as it is (0.13's active_readers; 0.14+ say 0 or 1) */
    l->ev_queue[l->ev_n++] = 2;
    CHECK(bd_lb_watch_count(w, 0) == 2, "the event's count as given: 2");
    l->ev_queue[l->ev_n++] = 0;
    CHECK(bd_lb_watch_count(w, 0) == 0, "and back to 0");
    l->ev_queue[l->ev_n++] = 1;
    l->disconnected = true;
    CHECK(bd_lb_watch_count(w, 0) == -ENODEV, "the module removed: -ENODEV");
    l->disconnected = false;
    bd_lb_watch_close(w);
    CHECK(!l->subscribed, "close unsubscribes");
    bd_v4l2_loopback_close(lb);

    /* 0.13+ refuse a producer's STREAMON without REQBUFS: write() is enough */
    fake_reset();
    l = fake_add("/dev/video10", LOOPBACK);
    l->no_streamon = true;
    lb = NULL;
    CHECK(bd_v4l2_loopback_open("/dev/video10", 32, 24, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb) == 0,
          "0.13+: open without STREAMON");
    static uint8_t y[32 * 24], u[16 * 12], v[16 * 12];
    CHECK(lb && bd_v4l2_loopback_write_i420(lb, y, 32, u, 16, v, 16) == 0 && l->writes == 1 &&
              l->ready_for_capture,
          "0.13+: write() feeds the device");
    bd_v4l2_loopback_close(lb);
    fake_reset();
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_ondemand_proc(void)
{
    char root[] = "/tmp/bd-odproc-XXXXXX";
    if (!mkdtemp(root)) {
        SKIP_MACHINE("no /tmp for a fake /proc");
        return;
    }
    char node[256], proc[256], path[512], line[512];
    snprintf(node, sizeof node, "%s/video10", root);
    snprintf(proc, sizeof proc, "%s/proc", root);
    put_file(node, "");
    mkdir(proc, 0700);
    struct stat st;
    stat(node, &st);
    const unsigned maj = major(st.st_dev), min = minor(st.st_dev);

    /* the parser: the device's (dev, ino) only, in any line length */
    char maps[2048];
    snprintf(maps, sizeof maps,
             "7f00-7f10 r--s 00000000 %02x:%02x %llu %s\n"
             "7f10-7f20 r--s 00001000 %02x:%02x %llu %s\n"
             "7f20-7f30 r--p 00000000 %02x:%02x %llu /usr/lib/libc.so.6\n"
             "7f30-7f40 r--s 00000000 %02x:%02x %llu /dev/video10\n"
             "7f40-7f50 rw-p 00000000 00:00 0\n",
             maj, min, (unsigned long long)st.st_ino, node, maj, min,
             (unsigned long long)st.st_ino, node, maj, min, (unsigned long long)st.st_ino + 1,
             maj + 1, min, (unsigned long long)st.st_ino);
    CHECK(bd_maps_count_mappings(maps, strlen(maps), st.st_dev, st.st_ino) == 2,
          "maps: two mappings of the device (another inode, another device not)");

    /* PROC mode: the fake module has no event (0.12.x) */
    fake_reset();
    fake_add("/dev/video10", LOOPBACK);
    struct bd_v4l2_loopback *lb = NULL;
    bd_v4l2_loopback_open("/dev/video10", 32, 24, BD_LOOPBACK_YUYV, 30, &fake_ops, &lb);
    struct bd_lb_watch *w = NULL;
    CHECK(lb && bd_lb_watch_open(&fake_ops, bd_v4l2_loopback_fd(lb), node, proc, &w) == 0 && w,
          "watch");
    if (!w) {
        bd_v4l2_loopback_close(lb);
        return;
    }
    CHECK(bd_lb_watch_mode(w) == BD_LB_WATCH_PROC, "0.12.x: /proc");
    /* another program's maps without the device, and one of our own pid
     * with it (the producer is never its own consumer) */
    snprintf(path, sizeof path, "%s/100", proc);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/100/maps", proc);
    put_file(path, "7f20-7f30 r--p 00000000 08:01 1234 /usr/lib/libc.so.6\n");
    snprintf(path, sizeof path, "%s/%d", proc, (int)getpid());
    mkdir(path, 0700);
    snprintf(line, sizeof line, "7f00-7f10 r--s 00000000 %02x:%02x %llu %s\n", maj, min,
             (unsigned long long)st.st_ino, node);
    snprintf(path, sizeof path, "%s/%d/maps", proc, (int)getpid());
    put_file(path, line);
    int64_t t = SEC;
    CHECK(bd_lb_watch_count(w, t) == 0, "nobody maps it: 0");
    /* 20 probes: open and close, no mapping */
    int seen = 0;
    for (int i = 0; i < 20; i++) {
        int fd = open(node, O_RDONLY);
        close(fd);
        seen += bd_lb_watch_count(w, t += 100000000) != 0;
    }
    CHECK(seen == 0, "20 probe cycles: counted %d times", seen);
    /* a consumer opens, then maps the buffers (STREAMON) a moment later */
    int cfd = open(node, O_RDONLY);
    CHECK(bd_lb_watch_count(w, t += 1000) == 0, "opened, not yet streaming: 0");
    snprintf(path, sizeof path, "%s/101", proc);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/101/maps", proc);
    put_file(path, line);
    CHECK(bd_lb_watch_count(w, t += 1000) == 0, "rescans wait 250 ms");
    CHECK(bd_lb_watch_count(w, t += 250000000) == 1, "mapped: 1 consumer");
    /* a second consumer joins while the first streams (0.12.x lets both
     * stream): counted, and as soon as the first was */
    int cfd2 = open(node, O_RDONLY);
    CHECK(bd_lb_watch_count(w, t += 1000) == 1, "a second opens, not yet streaming: 1");
    snprintf(path, sizeof path, "%s/102", proc);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/102/maps", proc);
    put_file(path, line);
    CHECK(bd_lb_watch_count(w, t += 250000000) == 2, "the second maps too: 2 within 250 ms");
    /* the first stops (STREAMOFF, munmap, close) */
    snprintf(path, sizeof path, "%s/101/maps", proc);
    unlink(path);
    snprintf(path, sizeof path, "%s/101", proc);
    rmdir(path);
    close(cfd);
    CHECK(bd_lb_watch_count(w, t += 1000) == 1, "the first stopped: 1 at its close");
    /* the second killed: its maps go, then its fd is closed by the kernel */
    snprintf(path, sizeof path, "%s/102/maps", proc);
    unlink(path);
    snprintf(path, sizeof path, "%s/102", proc);
    rmdir(path);
    close(cfd2);
    CHECK(bd_lb_watch_count(w, t += 1000) == 0, "killed: 0 at the close");
    bd_lb_watch_close(w);
    bd_v4l2_loopback_close(lb);
    fake_reset();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "clean up %s", root);
}

int main(void)
{
    test_helpers();
    test_choice();
    test_capture_cycle();
    test_eintr();
    test_errors();
    test_streaming_faults();
    test_fault_sweep_capture();
    test_convert_raw();
    test_convert_strides();
    test_capture_lazy_driver();
    test_convert_mjpeg();
    test_capture_mjpeg();
    test_loopback_find();
    test_loopback_io();
    test_fault_sweep_loopback();
    test_ondemand_machine();
    test_ondemand_events();
    test_ondemand_proc();
    fake_reset();
    return check_report();
}
