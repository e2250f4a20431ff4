/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_filter: frames handed in and taken back, for the plugins. It owns a
 * pipeline made with bd_pipeline_create_external (no source, sink "null")
 * and drives its one per-frame step (bd_pipeline_step), so there is no
 * second copy of the model input, mask, refine or composite code; what is
 * its own is the conversion of the client's pixel formats to and from the
 * pipeline's I420, and the remake for a new frame size.
 *
 * Locking: lock (a rwlock) guards which pipeline the filter has. Setters,
 * getters and process hold it shared (bd_pipeline_set is thread-safe by
 * itself); only process, for a remake, and set_mode hold it exclusively,
 * so a set never lands on a pipeline being replaced.
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/convert.h>
#include <libyuv/convert_from.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/planar_functions.h>

#include "common/error.h"

struct bd_filter {
    struct bd_pipeline_config cfg;  /* strings point into the arrays below */
    char background[BD_PATH_MAX], model[BD_PATH_MAX], model_class[64];
    struct bd_refine_options refine;
    enum bd_filter_mode mode;
    pthread_rwlock_t lock;
    struct bd_pipeline *p;
    /* the model a set chose: a remake opens it instead of cfg.model */
    pthread_mutex_t model_lock;
    char model_set[BD_PATH_MAX];
};

static enum bd_pace pace_of(enum bd_filter_mode m)
{
    return m == BD_FILTER_EXACT ? BD_PACE_OFFLINE : BD_PACE_LIVE;
}

static int copy_str(char *dst, size_t size, const char *src, const char **field,
                    const char *what)
{
    if (!src)
        return BD_OK;
    if (strlen(src) >= size)
        return bd_fail(BD_ERR_INVALID_ARG, "%s is too long (%zu bytes)", what, strlen(src));
    memcpy(dst, src, strlen(src) + 1);
    *field = dst;
    return BD_OK;
}

/* A pipeline for w x h frames with the create config, the model a set
 * chose, and (from old, when there is one) every live setting. */
static int make(struct bd_filter *f, int w, int h, struct bd_pipeline *old,
                struct bd_pipeline **out)
{
    struct bd_pipeline_config c = f->cfg;
    pthread_mutex_lock(&f->model_lock);
    char model[BD_PATH_MAX];
    snprintf(model, sizeof model, "%s", f->model_set);
    pthread_mutex_unlock(&f->model_lock);
    if (model[0])
        c.model = model;
    struct bd_pipeline *p = NULL;
    int r = bd_pipeline_create_external(&c, w, h, pace_of(f->mode), &p);
    if (r == BD_OK && old)
        r = bd_pipeline_live_copy(p, old);
    if (r == BD_OK && f->mode == BD_FILTER_LIVE)
        r = bd_pipeline_infer_start(p);
    if (r != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        bd_pipeline_destroy(p);
        return bd_fail(r, "%s", msg);
    }
    *out = p;
    return BD_OK;
}

static void unmake(struct bd_pipeline *p)
{
    if (!p)
        return;
    bd_pipeline_infer_stop(p);
    bd_pipeline_destroy(p);
}

enum bd_status bd_filter_create(const struct bd_pipeline_config *config,
                                enum bd_filter_mode mode, struct bd_filter **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_create: NULL out");
    *out = NULL;
    if (!config)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_create: NULL config");
    if (mode != BD_FILTER_LIVE && mode != BD_FILTER_EXACT)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_create: unknown mode %d", (int)mode);
    struct bd_filter *f = calloc(1, sizeof *f);
    if (!f)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    f->cfg = *config;
    f->mode = mode;
    f->cfg.input = f->cfg.output = f->cfg.pw_name = NULL;
    f->cfg.background = f->cfg.model = f->cfg.model_class = NULL;
    int r = copy_str(f->background, sizeof f->background, config->background, &f->cfg.background,
                     "background");
    if (r == BD_OK)
        r = copy_str(f->model, sizeof f->model, config->model, &f->cfg.model, "model");
    if (r == BD_OK)
        r = copy_str(f->model_class, sizeof f->model_class, config->model_class,
                     &f->cfg.model_class, "class");
    if (config->refine) {
        f->refine = *config->refine;
        f->cfg.refine = &f->refine;
    }
    if (r != BD_OK) {
        free(f);
        return (enum bd_status)r;
    }
    if (pthread_rwlock_init(&f->lock, NULL)) {
        free(f);
        return bd_fail(BD_ERR_NOMEM, "cannot create the filter's lock");
    }
    if (pthread_mutex_init(&f->model_lock, NULL)) {
        pthread_rwlock_destroy(&f->lock);
        free(f);
        return bd_fail(BD_ERR_NOMEM, "cannot create the filter's lock");
    }
    const int w = (config->width > 0 ? config->width : 1280) & ~1;
    const int h = (config->height > 0 ? config->height : 720) & ~1;
    r = make(f, w, h, NULL, &f->p);
    if (r != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        bd_filter_destroy(f);
        return bd_fail(r, "%s", msg);
    }
    *out = f;
    return BD_OK;
}

void bd_filter_destroy(struct bd_filter *f)
{
    if (!f)
        return;
    unmake(f->p);
    pthread_mutex_destroy(&f->model_lock);
    pthread_rwlock_destroy(&f->lock);
    free(f);
}

/* ---- formats ----------------------------------------------------------- */

static int planes_of(enum bd_pixel_format fmt)
{
    switch (fmt) {
    case BD_PIX_I420:
        return 3;
    case BD_PIX_NV12:
        return 2;
    case BD_PIX_YUY2:
    case BD_PIX_RGBA:
    case BD_PIX_BGRX:
        return 1;
    }
    return 0;
}

/* The narrowest stride each plane may have. */
static int min_stride(enum bd_pixel_format fmt, int plane, int w)
{
    switch (fmt) {
    case BD_PIX_I420:
        return plane ? (w + 1) / 2 : w;
    case BD_PIX_NV12:
        return plane ? (w + 1) / 2 * 2 : w;
    case BD_PIX_YUY2:
        return (w + 1) / 2 * 4;
    case BD_PIX_RGBA:
    case BD_PIX_BGRX:
        return w * 4;
    }
    return 0;
}

static int check_frame(const struct bd_video_frame *v, const char *which)
{
    const int n = planes_of(v->format);
    if (!n)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_process: %s frame: unknown format %d",
                       which, (int)v->format);
    if (v->width < 2 || v->height < 2 || v->width > 8192 || v->height > 8192 ||
        (v->width | v->height) & 1)
        return bd_fail(BD_ERR_UNSUPPORTED,
                       "bd_filter_process: %s frame %dx%d: give even sizes from 2x2 to "
                       "8192x8192",
                       which, v->width, v->height);
    for (int i = 0; i < n; i++)
        if (!v->data[i] || v->stride[i] < min_stride(v->format, i, v->width))
            return bd_fail(BD_ERR_INVALID_ARG,
                           "bd_filter_process: %s frame: plane %d is NULL or its stride %d is "
                           "below %d",
                           which, i, v->stride[i], min_stride(v->format, i, v->width));
    return BD_OK;
}

/* in → the pipeline's frame view: I420 is looked at where it is, the
 * others are converted into the pipeline's own frame buffer. */
static void frame_in(struct bd_pipeline *p, const struct bd_video_frame *in)
{
    const int w = in->width, h = in->height;
    struct bd_i420 *d = &p->frame;
    switch (in->format) {
    case BD_PIX_I420:
        p->frame_view = (struct bd_i420_view){in->data[0], in->data[1], in->data[2],
                                              in->stride[0], in->stride[1], in->stride[2],
                                              w, h};
        return;
    case BD_PIX_NV12:
        NV12ToI420(in->data[0], in->stride[0], in->data[1], in->stride[1], d->y, d->stride_y,
                   d->u, d->stride_u, d->v, d->stride_v, w, h);
        break;
    case BD_PIX_YUY2:
        YUY2ToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, h);
        break;
    case BD_PIX_RGBA: /* libyuv names formats by the 32-bit word: ABGR */
        ABGRToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, h);
        break;
    case BD_PIX_BGRX:
        ARGBToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, h);
        break;
    }
    p->frame_view = bd_i420_view_of(d);
    p->frame_view.width = w;
    p->frame_view.height = h;
}

static void frame_out(const struct bd_i420 *s, struct bd_video_frame *out)
{
    const int w = out->width, h = out->height;
    switch (out->format) {
    case BD_PIX_I420:
        I420Copy(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, out->data[0],
                 out->stride[0], out->data[1], out->stride[1], out->data[2], out->stride[2], w, h);
        break;
    case BD_PIX_NV12:
        I420ToNV12(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, out->data[0],
                   out->stride[0], out->data[1], out->stride[1], w, h);
        break;
    case BD_PIX_YUY2:
        I420ToYUY2(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, out->data[0],
                   out->stride[0], w, h);
        break;
    case BD_PIX_RGBA:
        I420ToABGR(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, out->data[0],
                   out->stride[0], w, h);
        break;
    case BD_PIX_BGRX:
        I420ToARGB(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, out->data[0],
                   out->stride[0], w, h);
        break;
    }
}

/* ---- frames ------------------------------------------------------------ */

/* A frame of another size: the pipeline made again for it, exclusively
 * (no set lands on the old one meanwhile). Returns with the lock held
 * shared, as on entry. */
static int remake(struct bd_filter *f, int w, int h)
{
    pthread_rwlock_unlock(&f->lock);
    pthread_rwlock_wrlock(&f->lock);
    int r = BD_OK;
    if (f->p->width != w || f->p->height != h) {
        struct bd_pipeline *p = NULL;
        r = make(f, w, h, f->p, &p);
        if (r == BD_OK) {
            unmake(f->p);
            f->p = p;
        }
    }
    pthread_rwlock_unlock(&f->lock);
    pthread_rwlock_rdlock(&f->lock);
    return r;
}

enum bd_status bd_filter_process(struct bd_filter *f, const struct bd_video_frame *in,
                                 struct bd_video_frame *out)
{
    if (!f || !in || !out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_process: NULL argument");
    int r = check_frame(in, "input");
    if (r == BD_OK)
        r = check_frame(out, "output");
    if (r != BD_OK)
        return (enum bd_status)r;
    if (in->format != out->format || in->width != out->width || in->height != out->height)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "bd_filter_process: the output frame (format %d, %dx%d) must be the "
                       "input's (format %d, %dx%d)",
                       (int)out->format, out->width, out->height, (int)in->format, in->width,
                       in->height);
    const int64_t t0 = bd_now_ns();
    pthread_rwlock_rdlock(&f->lock);
    if (f->p->width != in->width || f->p->height != in->height)
        r = remake(f, in->width, in->height);
    struct bd_pipeline *p = f->p;
    if (r == BD_OK)
        r = bd_pipeline_live_take(p);
    if (r == BD_OK) {
        frame_in(p, in);
        pthread_mutex_lock(&p->stats_lock);
        p->acc.frames_in++;
        pthread_mutex_unlock(&p->stats_lock);
        r = bd_pipeline_step(p, t0, in->pts_ns / 1000);
        if (r == BD_OK)
            frame_out(&p->out, out);
        bd_pipeline_tick(p);
    }
    pthread_rwlock_unlock(&f->lock);
    return r < 0 ? (enum bd_status)r : BD_OK;
}

void bd_filter_reset(struct bd_filter *f)
{
    if (!f)
        return;
    pthread_rwlock_rdlock(&f->lock);
    bd_pipeline_forget(f->p);
    pthread_rwlock_unlock(&f->lock);
}

enum bd_status bd_filter_mask(struct bd_filter *f, const uint8_t **mask, int *stride, int *width,
                              int *height)
{
    if (!f || !mask || !stride || !width || !height)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_mask: NULL argument");
    pthread_rwlock_rdlock(&f->lock);
    *mask = f->p->mask;
    *stride = f->p->mask_stride;
    *width = f->p->width;
    *height = f->p->height;
    pthread_rwlock_unlock(&f->lock);
    return BD_OK;
}

enum bd_status bd_filter_set_mode(struct bd_filter *f, enum bd_filter_mode mode)
{
    if (!f || (mode != BD_FILTER_LIVE && mode != BD_FILTER_EXACT))
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_set_mode: NULL filter or unknown mode");
    int r = BD_OK;
    pthread_rwlock_wrlock(&f->lock);
    if (mode != f->mode) {
        struct bd_pipeline *p = f->p;
        bd_pipeline_infer_stop(p);
        p->pace = pace_of(mode);
        p->inline_infer = mode == BD_FILTER_EXACT;
        if (mode == BD_FILTER_LIVE)
            r = bd_pipeline_infer_start(p);
        if (r == BD_OK) {
            f->mode = mode;
        } else { /* no thread: stays exact */
            p->pace = BD_PACE_OFFLINE;
            p->inline_infer = 1;
        }
    }
    pthread_rwlock_unlock(&f->lock);
    return (enum bd_status)r;
}

enum bd_filter_mode bd_filter_get_mode(const struct bd_filter *f)
{
    return f ? f->mode : BD_FILTER_LIVE;
}

/* ---- settings and stats ------------------------------------------------ */

enum bd_status bd_filter_set(struct bd_filter *f, const char *name, const char *value)
{
    if (!f)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_set: NULL filter");
    pthread_rwlock_rdlock(&f->lock);
    enum bd_status r = bd_pipeline_set(f->p, name, value);
    if (r == BD_OK && !strcmp(name, "model")) {
        pthread_mutex_lock(&f->model_lock);
        snprintf(f->model_set, sizeof f->model_set, "%s", value);
        pthread_mutex_unlock(&f->model_lock);
    }
    pthread_rwlock_unlock(&f->lock);
    return r;
}

enum bd_status bd_filter_set_background_image(struct bd_filter *f, const struct bd_image *image)
{
    if (!f)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_set_background_image: NULL filter");
    pthread_rwlock_rdlock(&f->lock);
    enum bd_status r = (enum bd_status)bd_pipeline_set_background_image(f->p, image);
    pthread_rwlock_unlock(&f->lock);
    return r;
}

enum bd_status bd_filter_get(struct bd_filter *f, const char *name, char *buf, size_t size)
{
    if (!f)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_get: NULL filter");
    pthread_rwlock_rdlock(&f->lock);
    enum bd_status r = bd_pipeline_get(f->p, name, buf, size);
    pthread_rwlock_unlock(&f->lock);
    return r;
}

void bd_filter_get_stats(struct bd_filter *f, struct bd_pipeline_stats *stats)
{
    if (!f || !stats)
        return;
    pthread_rwlock_rdlock(&f->lock);
    bd_pipeline_get_stats(f->p, stats);
    pthread_rwlock_unlock(&f->lock);
}
