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

#include <math.h>
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
    int rate_set;  /* bd_filter_set_rate's whole fps (model_lock), 0 unknown */
    int rate_made; /* the fps p was made with (lock), as rate_of gives it */
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

/* The rate a pipeline is made for: the set one, else the config's, else
 * the external source's 30 (a set rate equal to it remakes nothing). */
static int rate_of(const struct bd_filter *f, int set)
{
    return set > 0 ? set : f->cfg.fps > 0 ? f->cfg.fps : 30;
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
    const int rate = f->rate_set;
    pthread_mutex_unlock(&f->model_lock);
    if (model[0])
        c.model = model;
    if (rate > 0)
        c.fps = rate;
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
    f->rate_made = rate_of(f, rate);
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
    case BD_PIX_UYVY:
    case BD_PIX_RGBA:
    case BD_PIX_BGRX:
        return 1;
    }
    return 0;
}

static int is_rgb(enum bd_pixel_format fmt)
{
    return fmt == BD_PIX_RGBA || fmt == BD_PIX_BGRX;
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
    case BD_PIX_UYVY:
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
    if ((v->matrix != BD_MATRIX_BT601 && v->matrix != BD_MATRIX_BT709) ||
        (v->range != BD_RANGE_LIMITED && v->range != BD_RANGE_FULL))
        return bd_fail(BD_ERR_INVALID_ARG,
                       "bd_filter_process: %s frame: unknown colour matrix %d or range %d",
                       which, (int)v->matrix, (int)v->range);
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

/* ---- colour spaces ------------------------------------------------------ */
/*
 * A YUV frame in another space than the pipeline's (BT.601 limited) is
 * converted YUV to YUV, in place, with no RGB in between: libyuv has the
 * matrix variants only towards RGB (no BT.709 from RGB), and gray stays
 * gray across these spaces, so the map is
 *   Y' = oy + ky Y + ay (U - 128) + by (V - 128)
 *   U' = 128 + uu (U - 128) + uv (V - 128),  V' likewise
 * (chroma never depends on Y): luma takes its chroma site's U and V, the
 * approximation libyuv's own conversions make. Coefficients in 1/65536.
 */
struct space_map {
    int32_t oy, ky, ay, by, uu, uv, vu, vv;
};

/* R'G'B' in 0..1 of Y, U, V (0..255 code values) in a space, and back. */
static void to_rgb(int matrix, int range, const double yuv[3], double rgb[3])
{
    const double kr = matrix == BD_MATRIX_BT709 ? 0.2126 : 0.299;
    const double kb = matrix == BD_MATRIX_BT709 ? 0.0722 : 0.114;
    const double ey = range == BD_RANGE_FULL ? yuv[0] / 255.0 : (yuv[0] - 16) / 219.0;
    const double cs = range == BD_RANGE_FULL ? 255.0 : 224.0;
    const double pb = (yuv[1] - 128) / cs, pr = (yuv[2] - 128) / cs;
    rgb[0] = ey + 2 * (1 - kr) * pr;
    rgb[2] = ey + 2 * (1 - kb) * pb;
    rgb[1] = (ey - kr * rgb[0] - kb * rgb[2]) / (1 - kr - kb);
}

static void from_rgb(int matrix, int range, const double rgb[3], double yuv[3])
{
    const double kr = matrix == BD_MATRIX_BT709 ? 0.2126 : 0.299;
    const double kb = matrix == BD_MATRIX_BT709 ? 0.0722 : 0.114;
    const double ey = kr * rgb[0] + (1 - kr - kb) * rgb[1] + kb * rgb[2];
    const double pb = (rgb[2] - ey) / (2 * (1 - kb)), pr = (rgb[0] - ey) / (2 * (1 - kr));
    const double cs = range == BD_RANGE_FULL ? 255.0 : 224.0;
    yuv[0] = range == BD_RANGE_FULL ? ey * 255.0 : 16 + ey * 219.0;
    yuv[1] = 128 + pb * cs;
    yuv[2] = 128 + pr * cs;
}

/* The map from (m1, r1) to (m2, r2): the affine map's coefficients read
 * off its values at a point and one step along each axis. */
static void space_map_of(int m1, int r1, int m2, int r2, struct space_map *s)
{
    double at[4][3];
    static const double pts[4][3] = {{0, 128, 128}, {1, 128, 128}, {0, 129, 128}, {0, 128, 129}};
    for (int i = 0; i < 4; i++) {
        double rgb[3];
        to_rgb(m1, r1, pts[i], rgb);
        from_rgb(m2, r2, rgb, at[i]);
    }
    const double k = 65536.0;
    s->oy = (int32_t)lround(at[0][0] * k + k / 2); /* + 1/2: rounds below */
    s->ky = (int32_t)lround((at[1][0] - at[0][0]) * k);
    s->ay = (int32_t)lround((at[2][0] - at[0][0]) * k);
    s->by = (int32_t)lround((at[3][0] - at[0][0]) * k);
    s->uu = (int32_t)lround((at[2][1] - at[0][1]) * k);
    s->uv = (int32_t)lround((at[3][1] - at[0][1]) * k);
    s->vu = (int32_t)lround((at[2][2] - at[0][2]) * k);
    s->vv = (int32_t)lround((at[3][2] - at[0][2]) * k);
}

static inline uint8_t clamp8(int32_t v)
{
    v >>= 16;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Where a frame's samples are: luma every ystep bytes; a chroma site per
 * two pixels, every cstep bytes, for vsub rows (2: 4:2:0, 1: 4:2:2). */
struct yuv_layout {
    uint8_t *y, *u, *v;
    int ys, us, vs; /* strides */
    int ystep, cstep, vsub;
};

static struct yuv_layout layout_of(const struct bd_video_frame *f)
{
    uint8_t *const *d = f->data;
    const int *st = f->stride;
    switch (f->format) {
    case BD_PIX_NV12:
        return (struct yuv_layout){d[0], d[1], d[1] + 1, st[0], st[1], st[1], 1, 2, 2};
    case BD_PIX_YUY2:
        return (struct yuv_layout){d[0], d[0] + 1, d[0] + 3, st[0], st[0], st[0], 2, 4, 1};
    case BD_PIX_UYVY:
        return (struct yuv_layout){d[0] + 1, d[0], d[0] + 2, st[0], st[0], st[0], 2, 4, 1};
    default:
        return (struct yuv_layout){d[0], d[1], d[2], st[0], st[1], st[2], 1, 1, 2};
    }
}

static void space_apply(const struct space_map *s, const struct yuv_layout *l, int w, int h)
{
    const int cw = w / 2, chh = h / l->vsub;
    for (int cy = 0; cy < chh; cy++) {
        uint8_t *u = l->u + (size_t)cy * l->us, *v = l->v + (size_t)cy * l->vs;
        for (int cx = 0; cx < cw; cx++) {
            const int32_t cu = u[cx * l->cstep] - 128, cv = v[cx * l->cstep] - 128;
            const int32_t dy = s->oy + s->ay * cu + s->by * cv;
            for (int r = 0; r < l->vsub; r++) {
                uint8_t *y = l->y + (size_t)(cy * l->vsub + r) * l->ys + (size_t)cx * 2 * l->ystep;
                y[0] = clamp8(dy + s->ky * y[0]);
                y[l->ystep] = clamp8(dy + s->ky * y[l->ystep]);
            }
            u[cx * l->cstep] = clamp8((128 << 16) + (1 << 15) + s->uu * cu + s->uv * cv);
            v[cx * l->cstep] = clamp8((128 << 16) + (1 << 15) + s->vu * cu + s->vv * cv);
        }
    }
}

static int own_space(const struct bd_video_frame *v)
{
    return is_rgb(v->format) || (v->matrix == BD_MATRIX_BT601 && v->range == BD_RANGE_LIMITED);
}

/* in → the pipeline's frame view: I420 in the pipeline's space, upright,
 * is looked at where it is; the others are converted into the pipeline's
 * own frame buffer (a negative height: libyuv reads bottom-up). */
static void frame_in(struct bd_pipeline *p, const struct bd_video_frame *in)
{
    const int w = in->width, h = in->height, hh = in->flip ? -h : h;
    struct bd_i420 *d = &p->frame;
    switch (in->format) {
    case BD_PIX_I420:
        if (own_space(in) && !in->flip) {
            p->frame_view = (struct bd_i420_view){in->data[0], in->data[1], in->data[2],
                                                  in->stride[0], in->stride[1], in->stride[2],
                                                  w, h};
            return;
        }
        I420Copy(in->data[0], in->stride[0], in->data[1], in->stride[1], in->data[2],
                 in->stride[2], d->y, d->stride_y, d->u, d->stride_u, d->v, d->stride_v, w, hh);
        break;
    case BD_PIX_NV12:
        NV12ToI420(in->data[0], in->stride[0], in->data[1], in->stride[1], d->y, d->stride_y,
                   d->u, d->stride_u, d->v, d->stride_v, w, hh);
        break;
    case BD_PIX_YUY2:
        YUY2ToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, hh);
        break;
    case BD_PIX_UYVY:
        UYVYToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, hh);
        break;
    case BD_PIX_RGBA: /* libyuv names formats by the 32-bit word: ABGR */
        ABGRToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, hh);
        break;
    case BD_PIX_BGRX:
        ARGBToI420(in->data[0], in->stride[0], d->y, d->stride_y, d->u, d->stride_u, d->v,
                   d->stride_v, w, hh);
        break;
    }
    if (!own_space(in)) {
        struct space_map s;
        space_map_of(in->matrix, in->range, BD_MATRIX_BT601, BD_RANGE_LIMITED, &s);
        const struct yuv_layout l = {d->y, d->u, d->v, d->stride_y, d->stride_u, d->stride_v,
                                     1, 1, 2};
        space_apply(&s, &l, w, h);
    }
    p->frame_view = bd_i420_view_of(d);
    p->frame_view.width = w;
    p->frame_view.height = h;
}

static void frame_out(const struct bd_i420 *s, struct bd_video_frame *out)
{
    const int w = out->width, h = out->flip ? -out->height : out->height;
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
    case BD_PIX_UYVY:
        I420ToUYVY(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, out->data[0],
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
    if (!own_space(out)) {
        struct space_map m;
        space_map_of(BD_MATRIX_BT601, BD_RANGE_LIMITED, out->matrix, out->range, &m);
        const struct yuv_layout l = layout_of(out);
        space_apply(&m, &l, out->width, out->height);
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
    pthread_mutex_lock(&f->model_lock);
    const int rate = f->rate_set;
    pthread_mutex_unlock(&f->model_lock);
    if (f->p->width != w || f->p->height != h || f->rate_made != rate_of(f, rate)) {
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
    if (in->format != out->format || in->width != out->width || in->height != out->height ||
        (!is_rgb(in->format) && (in->matrix != out->matrix || in->range != out->range)) ||
        !in->flip != !out->flip)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "bd_filter_process: the output frame (format %d, %dx%d, colour %d/%d, "
                       "flip %d) must be the input's (format %d, %dx%d, colour %d/%d, flip %d)",
                       (int)out->format, out->width, out->height, (int)out->matrix,
                       (int)out->range, !!out->flip, (int)in->format, in->width, in->height,
                       (int)in->matrix, (int)in->range, !!in->flip);
    const int64_t t0 = bd_now_ns();
    pthread_rwlock_rdlock(&f->lock);
    pthread_mutex_lock(&f->model_lock);
    const int rate = f->rate_set;
    pthread_mutex_unlock(&f->model_lock);
    if (f->p->width != in->width || f->p->height != in->height ||
        f->rate_made != rate_of(f, rate))
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

enum bd_status bd_filter_set_rate(struct bd_filter *f, double fps)
{
    if (!f || !(fps >= 0 && fps <= 240.5))
        return bd_fail(BD_ERR_INVALID_ARG, "bd_filter_set_rate: NULL filter or a rate of %g "
                       "fps outside 0..240", fps);
    long r = lround(fps);
    pthread_mutex_lock(&f->model_lock);
    f->rate_set = fps > 0 && r < 1 ? 1 : (int)r;
    pthread_mutex_unlock(&f->model_lock);
    return BD_OK;
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
