/*
 * Compositing: chroma mask, per-plane blend, backgrounds (solid colour,
 * fitted image, blurred frame), mirror. See composite.h for the contracts.
 *
 * libyuv does the scaling (I420Scale), filling (I420Rect) and mirroring
 * (I420Mirror); the rest (2x2 mask average with odd edges, the /255 blend,
 * the box blur) libyuv lacks and is written here as plain loops over
 * contiguous rows that GCC vectorises. At the Makefile's -O2, GCC 12 uses
 * the "very cheap" cost model, which refuses loops of unknown trip count,
 * so this file asks for the dynamic model.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include "composite/composite.h"

#include <stdlib.h>
#include <string.h>

#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>

#include "common/error.h"

#define MAX_DIM 16384

/* ------------------------------------------------------------------------ */
/* Plane helpers                                                             */

void bd_mask_to_chroma(const uint8_t *mask, int mask_stride, uint8_t *dst, int dst_stride,
                       int width, int height)
{
    if (!mask || !dst || width < 1 || height < 1)
        return;
    const int half = width / 2, cw = (width + 1) / 2, ch = (height + 1) / 2;
    for (int cy = 0; cy < ch; cy++) {
        const uint8_t *r0 = mask + (size_t)(2 * cy) * (size_t)mask_stride;
        const uint8_t *r1 = 2 * cy + 1 < height ? r0 + mask_stride : r0;
        uint8_t *d = dst + (size_t)cy * (size_t)dst_stride;
        for (int x = 0; x < half; x++) {
            unsigned s = (unsigned)r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1];
            d[x] = (uint8_t)((s + 2u) >> 2);
        }
        if (cw > half) /* odd width: the last column replicated */
            d[half] = (uint8_t)(((unsigned)r0[width - 1] + r1[width - 1] + 1u) >> 1);
    }
}

static void blend_row(const uint8_t *f, const uint8_t *b, const uint8_t *m, uint8_t *d, int n)
{
    for (int x = 0; x < n; x++) {
        uint16_t mm = m[x];
        /* <= 255*255 + 128 = 65153: fits 16 bits; + (t >> 8) <= 65407 too */
        uint16_t t = (uint16_t)(mm * f[x] + (uint16_t)(255u - mm) * b[x] + 128u);
        d[x] = (uint8_t)((uint16_t)(t + (t >> 8)) >> 8);
    }
}

void bd_blend_plane(const uint8_t *fg, int fg_stride, const uint8_t *bg, int bg_stride,
                    const uint8_t *mask, int mask_stride, uint8_t *dst, int dst_stride,
                    int width, int height)
{
    if (!fg || !bg || !mask || !dst || width < 1 || height < 1)
        return;
    for (int y = 0; y < height; y++)
        blend_row(fg + (size_t)y * (size_t)fg_stride, bg + (size_t)y * (size_t)bg_stride,
                  mask + (size_t)y * (size_t)mask_stride, dst + (size_t)y * (size_t)dst_stride,
                  width);
}

void bd_rgb_to_yuv601(uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u, uint8_t *v)
{
    const int R = r, G = g, B = b;
    *y = (uint8_t)((66 * R + 129 * G + 25 * B + 0x1080) >> 8);
    *u = (uint8_t)((112 * B - 74 * G - 38 * R + 0x8000) >> 8);
    *v = (uint8_t)((112 * R - 94 * G - 18 * B + 0x8000) >> 8);
}

static inline int clampi(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* sum / (2r+1) rounded: (sum * mul + 2^15) >> 16 with mul = round(2^16 / d).
 * For radius <= 64, |mul - 2^16/d| * sum <= 0.5 * 255 * 129 < 2^15, so a
 * constant window gives back exactly its value. */
static inline uint32_t box_mul(int radius)
{
    uint32_t d = 2u * (uint32_t)radius + 1u;
    return (65536u + d / 2u) / d;
}

/* One horizontal pass, src row → dst row (running sum, edges replicated). */
static void box_h(const uint8_t *s, uint8_t *d, int w, int r, uint32_t mul)
{
    uint32_t sum = 0;
    for (int i = -r; i <= r; i++)
        sum += s[clampi(i, 0, w - 1)];
    for (int x = 0; x < w; x++) {
        d[x] = (uint8_t)((sum * mul + 32768u) >> 16);
        sum += s[x + r + 1 < w ? x + r + 1 : w - 1];
        sum -= s[x - r > 0 ? x - r : 0];
    }
}

/* One vertical pass, src plane → dst plane, column sums vectorised over x. */
static void box_v(const uint8_t *s, int ss, uint8_t *d, int ds, int w, int h, int r,
                  uint32_t mul, uint32_t *cs)
{
    memset(cs, 0, (size_t)w * sizeof *cs);
    for (int i = -r; i <= r; i++) {
        const uint8_t *row = s + (size_t)clampi(i, 0, h - 1) * (size_t)ss;
        for (int x = 0; x < w; x++)
            cs[x] += row[x];
    }
    for (int y = 0; y < h; y++) {
        uint8_t *out = d + (size_t)y * (size_t)ds;
        for (int x = 0; x < w; x++)
            out[x] = (uint8_t)((cs[x] * mul + 32768u) >> 16);
        const uint8_t *add = s + (size_t)(y + r + 1 < h ? y + r + 1 : h - 1) * (size_t)ss;
        const uint8_t *sub = s + (size_t)(y - r > 0 ? y - r : 0) * (size_t)ss;
        for (int x = 0; x < w; x++)
            cs[x] = cs[x] + add[x] - sub[x];
    }
}

void bd_box_blur_plane(uint8_t *plane, int stride, int width, int height, int radius,
                       int passes, uint8_t *tmp, int tmp_stride, uint32_t *col_sums)
{
    if (!plane || !tmp || !col_sums || width < 1 || height < 1 || radius <= 0 ||
        radius > BD_BLUR_MAX_RADIUS)
        return;
    const uint32_t mul = box_mul(radius);
    for (int p = 0; p < passes; p++) {
        for (int y = 0; y < height; y++)
            box_h(plane + (size_t)y * (size_t)stride, tmp + (size_t)y * (size_t)tmp_stride,
                  width, radius, mul);
        box_v(tmp, tmp_stride, plane, stride, width, height, radius, mul, col_sums);
    }
}

/* ------------------------------------------------------------------------ */
/* The compositor                                                            */

struct bd_compositor {
    int w, h, cw, ch;
    struct bd_i420 bg;    /* current background, W x H */
    struct bd_i420 out;   /* blend result before mirroring, W x H */
    uint8_t *mask_c;      /* chroma-size mask */
    int mask_c_stride;
    struct bd_i420 small; /* blur: frame at 1/BD_BLUR_DOWNSCALE */
    uint8_t *tmp;         /* blur scratch plane, small Y size */
    int tmp_stride;
    uint32_t *col_sums;   /* blur column sums, small Y width */
    unsigned char *mem;   /* the one allocation behind all of the above */
};

static int align64(int n)
{
    return (n + 63) & ~63;
}

/* Lays out an I420 frame at *off in mem (mem NULL: only counts). */
static void layout_i420(struct bd_i420 *f, int w, int h, unsigned char *mem, size_t *off)
{
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    f->width = w;
    f->height = h;
    f->stride_y = align64(w);
    f->stride_u = f->stride_v = align64(cw);
    f->y = mem ? mem + *off : NULL;
    *off += (size_t)f->stride_y * (size_t)h;
    f->u = mem ? mem + *off : NULL;
    *off += (size_t)f->stride_u * (size_t)ch;
    f->v = mem ? mem + *off : NULL;
    *off += (size_t)f->stride_v * (size_t)ch;
}

static size_t layout(struct bd_compositor *c, unsigned char *mem)
{
    size_t off = 0;
    layout_i420(&c->bg, c->w, c->h, mem, &off);
    layout_i420(&c->out, c->w, c->h, mem, &off);
    c->mask_c_stride = align64(c->cw);
    c->mask_c = mem ? mem + off : NULL;
    off += (size_t)c->mask_c_stride * (size_t)c->ch;
    const int sw = (c->w + BD_BLUR_DOWNSCALE - 1) / BD_BLUR_DOWNSCALE;
    const int sh = (c->h + BD_BLUR_DOWNSCALE - 1) / BD_BLUR_DOWNSCALE;
    layout_i420(&c->small, sw, sh, mem, &off);
    c->tmp_stride = align64(sw);
    c->tmp = mem ? mem + off : NULL;
    off += (size_t)c->tmp_stride * (size_t)sh;
    c->col_sums = mem ? (uint32_t *)(void *)(mem + off) : NULL;
    off += (size_t)align64(sw) * sizeof(uint32_t);
    return off;
}

enum bd_status bd_compositor_create(int width, int height, struct bd_compositor **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: out is NULL");
    *out = NULL;
    if (width < 1 || height < 1 || width > MAX_DIM || height > MAX_DIM)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: frame size %dx%d out of 1..%d",
                       width, height, MAX_DIM);
    struct bd_compositor *c = calloc(1, sizeof *c);
    if (!c)
        return bd_fail(BD_ERR_NOMEM, "compositor: out of memory");
    c->w = width;
    c->h = height;
    c->cw = (width + 1) / 2;
    c->ch = (height + 1) / 2;
    size_t size = layout(c, NULL);
    c->mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (!c->mem) {
        free(c);
        return bd_fail(BD_ERR_NOMEM, "compositor: cannot allocate %zu bytes for %dx%d", size,
                       width, height);
    }
    memset(c->mem, 0, size);
    layout(c, c->mem);
    bd_compositor_set_color(c, 0, 0, 0);
    *out = c;
    return BD_OK;
}

void bd_compositor_destroy(struct bd_compositor *comp)
{
    if (!comp)
        return;
    free(comp->mem);
    free(comp);
}

struct bd_i420_view bd_compositor_background(const struct bd_compositor *comp)
{
    struct bd_i420_view v = {0};
    if (comp) {
        v.y = comp->bg.y;
        v.u = comp->bg.u;
        v.v = comp->bg.v;
        v.stride_y = comp->bg.stride_y;
        v.stride_u = comp->bg.stride_u;
        v.stride_v = comp->bg.stride_v;
        v.width = comp->w;
        v.height = comp->h;
    }
    return v;
}

enum bd_status bd_compositor_set_color(struct bd_compositor *comp, uint8_t r, uint8_t g,
                                       uint8_t b)
{
    if (!comp)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: NULL");
    uint8_t y, u, v;
    bd_rgb_to_yuv601(r, g, b, &y, &u, &v);
    const struct bd_i420 *f = &comp->bg;
    I420Rect(f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v, 0, 0, comp->w, comp->h,
             y, u, v);
    return BD_OK;
}

static int view_ok(const struct bd_i420_view *f)
{
    if (!f || !f->y || !f->u || !f->v || f->width < 1 || f->height < 1 ||
        f->width > MAX_DIM || f->height > MAX_DIM)
        return 0;
    const int cw = (f->width + 1) / 2;
    return f->stride_y >= f->width && f->stride_u >= cw && f->stride_v >= cw;
}

static int frame_ok(const struct bd_i420 *f)
{
    if (!f)
        return 0;
    struct bd_i420_view v = {f->y, f->u, f->v, f->stride_y, f->stride_u, f->stride_v,
                             f->width, f->height};
    return view_ok(&v);
}

/* round(a * b / c) for positive ints, at least 1. */
static int muldiv(int a, int b, int c)
{
    long long q = ((long long)a * b + c / 2) / c;
    return q < 1 ? 1 : (int)q;
}

static void tile(const struct bd_i420_view *s, const struct bd_i420 *d)
{
    const int sw = s->width, sh = s->height;
    for (int y = 0; y < d->height; y++) {
        const uint8_t *src = s->y + (size_t)(y % sh) * (size_t)s->stride_y;
        uint8_t *dst = d->y + (size_t)y * (size_t)d->stride_y;
        for (int x = 0; x < d->width; x += sw)
            memcpy(dst + x, src, (size_t)(d->width - x < sw ? d->width - x : sw));
    }
    /* chroma sample (cx, cy) sits at luma (2cx, 2cy); take the source's
     * chroma sample covering that luma position in its tile */
    const int cw = (d->width + 1) / 2, ch = (d->height + 1) / 2;
    for (int cy = 0; cy < ch; cy++) {
        const int sy = ((2 * cy) % sh) / 2;
        const uint8_t *su = s->u + (size_t)sy * (size_t)s->stride_u;
        const uint8_t *sv = s->v + (size_t)sy * (size_t)s->stride_v;
        uint8_t *du = d->u + (size_t)cy * (size_t)d->stride_u;
        uint8_t *dv = d->v + (size_t)cy * (size_t)d->stride_v;
        for (int cx = 0; cx < cw; cx++) {
            const int sx = ((2 * cx) % sw) / 2;
            du[cx] = su[sx];
            dv[cx] = sv[sx];
        }
    }
}

enum bd_status bd_compositor_set_image(struct bd_compositor *comp,
                                       const struct bd_i420_view *image, enum bd_fit fit)
{
    if (!comp || !view_ok(image))
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: invalid background image");
    const int W = comp->w, H = comp->h, sw = image->width, sh = image->height;
    const struct bd_i420 *d = &comp->bg;
    int rc = 0;
    switch (fit) {
    case BD_FIT_STRETCH:
        rc = I420Scale(image->y, image->stride_y, image->u, image->stride_u, image->v,
                       image->stride_v, sw, sh, d->y, d->stride_y, d->u, d->stride_u, d->v,
                       d->stride_v, W, H, kFilterBox);
        break;
    case BD_FIT_COVER: {
        int cx = 0, cy = 0, cw = sw, ch = sh;
        if ((long long)sw * H > (long long)W * sh) { /* wider: crop the sides */
            cw = muldiv(sh, W, H);
            if (cw > sw)
                cw = sw;
            cx = ((sw - cw) / 2) & ~1;
        } else { /* taller: crop top and bottom */
            ch = muldiv(sw, H, W);
            if (ch > sh)
                ch = sh;
            cy = ((sh - ch) / 2) & ~1;
        }
        rc = I420Scale(image->y + (size_t)cy * (size_t)image->stride_y + cx, image->stride_y,
                       image->u + (size_t)(cy / 2) * (size_t)image->stride_u + cx / 2,
                       image->stride_u,
                       image->v + (size_t)(cy / 2) * (size_t)image->stride_v + cx / 2,
                       image->stride_v, cw, ch, d->y, d->stride_y, d->u, d->stride_u, d->v,
                       d->stride_v, W, H, kFilterBox);
        break;
    }
    case BD_FIT_CONTAIN: {
        int dw = W, dh = H;
        if ((long long)sw * H > (long long)W * sh) { /* wider: bars top and bottom */
            dh = muldiv(sh, W, sw);
            if (dh > H)
                dh = H;
        } else {
            dw = muldiv(sw, H, sh);
            if (dw > W)
                dw = W;
        }
        const int ox = ((W - dw) / 2) & ~1, oy = ((H - dh) / 2) & ~1;
        I420Rect(d->y, d->stride_y, d->u, d->stride_u, d->v, d->stride_v, 0, 0, W, H, 16, 128,
                 128);
        rc = I420Scale(image->y, image->stride_y, image->u, image->stride_u, image->v,
                       image->stride_v, sw, sh, d->y + (size_t)oy * (size_t)d->stride_y + ox,
                       d->stride_y, d->u + (size_t)(oy / 2) * (size_t)d->stride_u + ox / 2,
                       d->stride_u, d->v + (size_t)(oy / 2) * (size_t)d->stride_v + ox / 2,
                       d->stride_v, dw, dh, kFilterBox);
        break;
    }
    case BD_FIT_TILE:
        tile(image, d);
        break;
    default:
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: unknown fit mode %d", (int)fit);
    }
    if (rc != 0)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: libyuv I420Scale failed (%d)", rc);
    return BD_OK;
}

enum bd_status bd_composite_blur_background(struct bd_compositor *comp,
                                            const struct bd_i420_view *frame, int strength)
{
    if (!comp || !view_ok(frame) || frame->width != comp->w || frame->height != comp->h)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: frame is not a valid %dx%d I420 frame",
                       comp ? comp->w : 0, comp ? comp->h : 0);
    if (strength < 0 || strength > BD_BLUR_MAX_RADIUS)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: blur strength %d out of 0..%d",
                       strength, BD_BLUR_MAX_RADIUS);
    struct bd_i420 *s = &comp->small;
    const struct bd_i420 *d = &comp->bg;
    int rc = I420Scale(frame->y, frame->stride_y, frame->u, frame->stride_u, frame->v,
                       frame->stride_v, comp->w, comp->h, s->y, s->stride_y, s->u, s->stride_u,
                       s->v, s->stride_v, s->width, s->height, kFilterBox);
    if (rc != 0)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: libyuv I420Scale failed (%d)", rc);
    const int scw = (s->width + 1) / 2, sch = (s->height + 1) / 2;
    bd_box_blur_plane(s->y, s->stride_y, s->width, s->height, strength, 3, comp->tmp,
                      comp->tmp_stride, comp->col_sums);
    bd_box_blur_plane(s->u, s->stride_u, scw, sch, (strength + 1) / 2, 3, comp->tmp,
                      comp->tmp_stride, comp->col_sums);
    bd_box_blur_plane(s->v, s->stride_v, scw, sch, (strength + 1) / 2, 3, comp->tmp,
                      comp->tmp_stride, comp->col_sums);
    rc = I420Scale(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, s->width,
                   s->height, d->y, d->stride_y, d->u, d->stride_u, d->v, d->stride_v, comp->w,
                   comp->h, kFilterBilinear);
    if (rc != 0)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: libyuv I420Scale failed (%d)", rc);
    return BD_OK;
}

enum bd_status bd_composite_frame(struct bd_compositor *comp, const struct bd_i420_view *frame,
                                  const uint8_t *mask, int mask_stride,
                                  const struct bd_i420 *dst, int mirror)
{
    if (!comp || !view_ok(frame) || frame->width != comp->w || frame->height != comp->h ||
        !frame_ok(dst) || dst->width != comp->w || dst->height != comp->h || !mask ||
        mask_stride < comp->w)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "compositor: frame, mask and output must be valid %dx%d planes",
                       comp ? comp->w : 0, comp ? comp->h : 0);
    const struct bd_i420 *t = mirror ? &comp->out : dst;
    const struct bd_i420 *b = &comp->bg;
    bd_mask_to_chroma(mask, mask_stride, comp->mask_c, comp->mask_c_stride, comp->w, comp->h);
    bd_blend_plane(frame->y, frame->stride_y, b->y, b->stride_y, mask, mask_stride, t->y,
                   t->stride_y, comp->w, comp->h);
    bd_blend_plane(frame->u, frame->stride_u, b->u, b->stride_u, comp->mask_c,
                   comp->mask_c_stride, t->u, t->stride_u, comp->cw, comp->ch);
    bd_blend_plane(frame->v, frame->stride_v, b->v, b->stride_v, comp->mask_c,
                   comp->mask_c_stride, t->v, t->stride_v, comp->cw, comp->ch);
    if (mirror) {
        int rc = I420Mirror(t->y, t->stride_y, t->u, t->stride_u, t->v, t->stride_v, dst->y,
                            dst->stride_y, dst->u, dst->stride_u, dst->v, dst->stride_v,
                            comp->w, comp->h);
        if (rc != 0)
            return bd_fail(BD_ERR_INVALID_ARG, "compositor: libyuv I420Mirror failed (%d)", rc);
    }
    return BD_OK;
}
