/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pipeline's sources: a V4L2 camera (mmap streaming, converted to I420
 * as soon as it is dequeued so the driver gets its buffer straight back),
 * a file (FFmpeg; a .y4m file of two frames or more through the y4m
 * reader instead) or YUV4MPEG2 on stdin. Each delivers into p->frame.
 */
#include "pipeline/pipeline_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/v4l2_device.h"

#define RECONNECT_EVERY_NS 1000000000LL

static int open_camera(struct bd_pipeline *p, const char *path)
{
    struct bd_source *s = &p->src;
    int r = bd_v4l2_capture_open(path, &s->req, NULL, &s->cap);
    if (r < 0)
        return bd_v4l2_status(r);
    const struct bd_v4l2_format *f = bd_v4l2_capture_format(s->cap);
    s->width = f->width;
    s->height = f->height;
    if (f->interval.num && f->interval.den) {
        s->fps_num = (int)f->interval.den;
        s->fps_den = (int)f->interval.num;
    } else {
        s->fps_num = s->req.fps ? s->req.fps : 30;
        s->fps_den = 1;
    }
    snprintf(s->name, sizeof s->name, "%s", bd_v4l2_capture_path(s->cap));
    return BD_OK;
}

/* The first device that can capture and is not a v4l2loopback device (that
 * would be somebody's virtual camera, possibly our own output). */
static int open_first_camera(struct bd_pipeline *p)
{
    struct bd_v4l2_device_info devs[64];
    int n = 0;
    if (bd_v4l2_list_devices(NULL, NULL, 0, devs, 64, &n) < 0)
        n = 0;
    char tried[1024] = "";
    for (int i = 0; i < n; i++) {
        if (!devs[i].can_capture || devs[i].is_loopback)
            continue;
        if (open_camera(p, devs[i].path) == BD_OK)
            return BD_OK;
        size_t len = strlen(tried);
        snprintf(tried + len, sizeof tried - len, "%s%s", len ? "; " : "", bd_last_error());
    }
    if (tried[0])
        return bd_fail(BD_ERR_IO, "no working camera: %s", tried);
    return bd_fail(BD_ERR_NOT_FOUND,
                   "no camera found (see 'backdrop devices'; --input FILE reads a video instead)");
}

/* A YUV4MPEG2 file with a frame rate and at least two frames: read by our
 * own reader, straight into p->frame (one copy, the kernel's read), where
 * FFmpeg's demuxer allocates a packet per frame (page faults on every
 * frame) and copies it twice more (bench/cpu-defaults.md, fourth pass).
 * Anything else (one frame: a still, which the file source repeats; no
 * rate; a layout the reader does not take) goes to FFmpeg as before.
 * Returns 1 when opened, 0 to use FFmpeg. */
static int open_y4m_file(struct bd_source *s, const char *path)
{
    char head[BD_Y4M_MAX_HEADER];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    struct bd_y4m_reader *r = NULL;
    const ssize_t got = pread(fd, head, sizeof head, 0);
    const char *nl = got > 10 ? memchr(head, '\n', (size_t)got) : NULL;
    if (!nl || memcmp(head, "YUV4MPEG2 ", 10) != 0 || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode) || bd_y4m_reader_open(fd, path, &r) != BD_OK) {
        close(fd);
        return 0;
    }
    const struct bd_y4m_info *yi = bd_y4m_reader_info(r);
    /* after the header, two frames at least ("FRAME\n" and the planes) */
    const uint64_t data = (uint64_t)st.st_size - (uint64_t)(nl + 1 - head);
    if (yi->fps_num <= 0 || yi->fps_den <= 0 || data < 2 * ((uint64_t)yi->frame_bytes + 6)) {
        bd_y4m_reader_close(r);
        close(fd);
        return 0;
    }
    s->y4m = r;
    s->y4m_fd = fd;
    s->y4m_own = 1;
    s->width = yi->width;
    s->height = yi->height;
    s->fps_num = yi->fps_num;
    s->fps_den = yi->fps_den;
    return 1;
}

int bd_pipeline_source_open(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    const char *in = p->cfg.input;
    s->req.width = p->cfg.width;
    s->req.height = p->cfg.height;
    s->req.fps = p->cfg.fps;
    int r;
    if (!in) {
        s->kind = SRC_V4L2;
        r = open_first_camera(p);
    } else if (strncmp(in, "/dev/", 5) == 0) {
        s->kind = SRC_V4L2;
        r = open_camera(p, in);
    } else if (strcmp(in, "-") == 0) {
        s->kind = SRC_Y4M;
        snprintf(s->name, sizeof s->name, "stdin");
        r = bd_y4m_reader_open(STDIN_FILENO, "stdin", &s->y4m);
        if (r == BD_OK) {
            const struct bd_y4m_info *yi = bd_y4m_reader_info(s->y4m);
            s->width = yi->width;
            s->height = yi->height;
            s->fps_num = yi->fps_num;
            s->fps_den = yi->fps_den;
        }
    } else if (open_y4m_file(s, in)) {
        s->kind = SRC_Y4M;
        snprintf(s->name, sizeof s->name, "%s", in);
        r = BD_OK;
    } else {
        s->kind = SRC_FILE;
        snprintf(s->name, sizeof s->name, "%s", in);
        struct bd_file_source_options fo = {.loop = p->cfg.loop != 0, .threads = 0};
        r = bd_file_source_open(in, &fo, &s->file);
        if (r == BD_OK) {
            const struct bd_file_source_info *fi = bd_file_source_info(s->file);
            s->width = fi->width;
            s->height = fi->height;
            s->fps_num = fi->fps_num;
            s->fps_den = fi->fps_den;
        }
    }
    if (r != BD_OK)
        return r;
    bd_source_set_rate(s);
    if (s->width < 2 || s->height < 2)
        return bd_fail(BD_ERR_UNSUPPORTED, "input '%s': %dx%d is too small", s->name, s->width,
                       s->height);
    if (s->kind == SRC_V4L2) {
        r = bd_v4l2_converter_create(s->width, s->height, &s->cv);
        if (r < 0)
            return bd_fail(BD_ERR_NOMEM, "out of memory for the camera's converter");
    }
    return BD_OK;
}

int bd_pipeline_source_start(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    s->play_start_ns = 0;
    s->last_frame_ns = bd_now_ns();
    if (s->kind != SRC_V4L2 || !s->cap)
        return BD_OK;
    int r = bd_v4l2_capture_start(s->cap);
    if (r < 0)
        return bd_v4l2_status(r);
    s->have_seq = 0;
    return BD_OK;
}

/* After an unplug: try to open the same device again, at the same size.
 * Returns BD_OK once streaming again. */
static int try_reconnect(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    int64_t now = bd_now_ns();
    if (now < s->next_retry_ns)
        return BD_PIPELINE_STALL;
    s->next_retry_ns = now + RECONNECT_EVERY_NS;
    struct bd_v4l2_request req = s->req;
    req.width = s->width;
    req.height = s->height;
    req.exact_size = true;
    struct bd_v4l2_capture *cap = NULL;
    if (bd_v4l2_capture_open(s->name, &req, NULL, &cap) < 0)
        return BD_PIPELINE_STALL;
    const struct bd_v4l2_format *f = bd_v4l2_capture_format(cap);
    if (f->width != s->width || f->height != s->height || bd_v4l2_capture_start(cap) < 0) {
        bd_v4l2_capture_close(cap);
        return BD_PIPELINE_STALL;
    }
    s->cap = cap;
    s->have_seq = 0;
    s->last_frame_ns = bd_now_ns(); /* its first frame gets the usual grace */
    s->stall_ns = 0;
    return BD_OK;
}

static int next_camera(struct bd_pipeline *p, int64_t *capture_ns)
{
    struct bd_source *s = &p->src;
    int64_t wait_ms = s->interval_ns * 3 / 2 / 1000000;
    if (wait_ms < 10)
        wait_ms = 10;
    if (wait_ms > 100)
        wait_ms = 100;
    /* A late frame is waited for 1.5 intervals; once the camera stalls,
     * the repeats keep the camera's own rate: one per interval. */
    int64_t due = s->stall_ns ? s->stall_ns + s->interval_ns
                              : s->last_frame_ns + s->interval_ns * 3 / 2;
    if (!s->cap) {
        if (try_reconnect(p) != BD_OK) {
            if (bd_pipeline_sleep_until(p, bd_now_ns() + s->interval_ns))
                return BD_PIPELINE_EOF;
            return BD_PIPELINE_STALL;
        }
    }
    for (;;) {
        if (atomic_load(&p->requests) & BD_REQUEST_STOP)
            return BD_PIPELINE_EOF;
        int64_t left_ms = (due - bd_now_ns()) / 1000000;
        left_ms = left_ms < 1 ? 1 : left_ms < wait_ms ? left_ms : wait_ms;
        int r = bd_v4l2_capture_dequeue(s->cap, (int)left_ms, &s->held);
        if (r == -ETIMEDOUT) {
            int64_t now = bd_now_ns();
            if (now >= due) {
                s->stall_ns = now;
                return BD_PIPELINE_STALL;
            }
            continue;
        }
        if (r == -ENODEV || r == -EIO) {
            /* Unplugged (or the driver gave up): keep the output alive with
             * the last frame and look for the camera once a second. */
            bd_v4l2_capture_close(s->cap);
            s->cap = NULL;
            s->next_retry_ns = bd_now_ns() + RECONNECT_EVERY_NS;
            return BD_PIPELINE_STALL;
        }
        if (r < 0)
            return bd_v4l2_status(r);
        const struct bd_v4l2_frame *fr = &s->held;
        if (s->have_seq && fr->sequence > s->last_seq + 1) {
            pthread_mutex_lock(&p->stats_lock);
            p->acc.dropped += fr->sequence - s->last_seq - 1;
            pthread_mutex_unlock(&p->stats_lock);
        }
        s->last_seq = fr->sequence;
        s->have_seq = 1;
        int c = -EINVAL;
        if (fr->width == s->width && fr->height == s->height)
            c = bd_v4l2_frame_to_i420(s->cv, fr, p->frame.y, p->frame.stride_y, p->frame.u,
                                      p->frame.stride_u, p->frame.v, p->frame.stride_v);
        bd_v4l2_capture_requeue(s->cap, fr);
        int64_t now = bd_now_ns();
        if (c < 0) {
            /* A corrupt MJPEG frame: skip it, the output keeps the last. */
            pthread_mutex_lock(&p->stats_lock);
            p->acc.dropped++;
            pthread_mutex_unlock(&p->stats_lock);
            continue;
        }
        s->last_frame_ns = now;
        s->stall_ns = 0;
        /* The driver's timestamp is CLOCK_MONOTONIC (uvcvideo, vivid); a
         * driver with another clock gives nonsense, so fall back to now. */
        int64_t ts = fr->timestamp_ns;
        *capture_ns = (ts > 0 && ts <= now && now - ts < 2000000000LL) ? ts : now;
        return BD_OK;
    }
}

/* Live playback of a file or y4m: wait until the frame's time. */
static int pace(struct bd_pipeline *p, int64_t pts_us)
{
    struct bd_source *s = &p->src;
    if (p->pace != BD_PACE_LIVE)
        return 0;
    int64_t now = bd_now_ns();
    if (!s->play_start_ns || pts_us < s->pts_offset_us) {
        s->play_start_ns = now;
        s->pts_offset_us = pts_us;
    }
    int64_t due = s->play_start_ns + (pts_us - s->pts_offset_us) * 1000;
    if (now - due > 1000000000LL) {
        /* more than a second behind (a slow machine): don't try to catch up */
        s->play_start_ns = now;
        s->pts_offset_us = pts_us;
        return 0;
    }
    return bd_pipeline_sleep_until(p, due);
}

int bd_pipeline_source_next(struct bd_pipeline *p, int64_t *capture_ns, int64_t *pts_us)
{
    struct bd_source *s = &p->src;
    int r;
    if (s->kind == SRC_V4L2) {
        r = next_camera(p, capture_ns);
        if (r == BD_OK)
            *pts_us = (*capture_ns - p->start_ns) / 1000;
    } else if (s->kind == SRC_FILE) {
        r = bd_file_source_read(s->file, &p->frame, pts_us);
        if (r == BD_FILE_SOURCE_EOF)
            return BD_PIPELINE_EOF;
        struct bd_file_source_stats fs;
        bd_file_source_stats(s->file, &fs);
        if (fs.loops != p->src_loops) { /* back at the start: a new stream */
            p->src_loops = fs.loops;
            p->state_reset_next = 1;
        }
        if (r == BD_OK && pace(p, *pts_us))
            return BD_PIPELINE_EOF;
        *capture_ns = bd_now_ns();
    } else {
        r = bd_y4m_reader_read(s->y4m, &p->frame);
        if (r == BD_Y4M_EOF && s->y4m_own && p->cfg.loop) {
            /* back at the start: a new stream, as the file source's loop */
            r = bd_y4m_reader_rewind(s->y4m);
            if (r == BD_OK)
                r = bd_y4m_reader_read(s->y4m, &p->frame);
            if (r == BD_Y4M_EOF)
                r = bd_fail(BD_ERR_FORMAT, "input '%s': no frame after rewinding to loop",
                            s->name);
            p->state_reset_next = r == BD_OK;
        }
        if (r == BD_Y4M_EOF)
            return BD_PIPELINE_EOF;
        *pts_us = (int64_t)(bd_y4m_reader_frames(s->y4m) - 1) * (s->interval_ns / 1000);
        if (r == BD_OK && pace(p, *pts_us))
            return BD_PIPELINE_EOF;
        *capture_ns = bd_now_ns();
    }
    if (r == BD_OK) {
        pthread_mutex_lock(&p->stats_lock);
        p->acc.frames_in++;
        pthread_mutex_unlock(&p->stats_lock);
    }
    return r;
}

void bd_pipeline_source_stop(struct bd_pipeline *p)
{
    if (p->src.kind == SRC_V4L2 && p->src.cap)
        bd_v4l2_capture_stop(p->src.cap);
}

void bd_pipeline_source_close(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    bd_v4l2_capture_close(s->cap);
    s->cap = NULL;
    bd_v4l2_converter_destroy(s->cv);
    s->cv = NULL;
    bd_file_source_close(s->file);
    s->file = NULL;
    bd_y4m_reader_close(s->y4m);
    s->y4m = NULL;
    if (s->y4m_own)
        close(s->y4m_fd);
    s->y4m_own = 0;
}
