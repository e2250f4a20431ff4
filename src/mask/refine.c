/*
 * Mask refinement: the model's low-resolution person probability → a
 * full-resolution 8-bit mask whose edges follow the frame, stable in time.
 *
 * Per frame (all buffers allocated at create; nothing allocated here):
 *  1. The guide (luma, and chroma when given) is box-downscaled by k to the
 *     working grid (ceil(W/k) x ceil(H/k), libyuv), k in {1,2,4,8} the
 *     largest with the grid at least 3/4 of the model's size. The mask is
 *     bilinearly scaled to the same grid (libyuv), then grown or shrunk
 *     (max/min filter, `grow` rounded to the grid).
 *  2. Fast guided filter (He, Sun, Tang; He and Sun 2015 "fast guided
 *     filter"): window sums of I, p, I*I, I*p (colour: the 13 sums of the
 *     3x3 covariance) are exact int32 box sums (O(1) per pixel in the
 *     radius: running column sums, then a row pass); a = cov(I,p) /
 *     (var(I) + eps) (colour: (Sigma + eps U)^-1 cov), b = mean(p) - a .
 *     mean(I) in float, stored as fixed point so the second box pass (the
 *     mean of a and b over the window, radius + feather) is exact too.
 *     Plain mode (edge_aware = 0): a = 0, b = p.
 *  3. Motion-adaptive temporal weight on the grid: t = 1 where the guide
 *     changed since the previous frame (3x3-dilated |dY| above a few
 *     levels) or the mask jumped by more than BD_JUMP levels, down to
 *     BD_T_MIN where both are still. 1 on the first frame after create or
 *     reset, and always when temporal is off.
 *  4. Apply, per full-resolution row: the coefficient planes are mixed
 *     vertically at grid width, then each pixel mixes them horizontally
 *     (bilinear, exact-k geometry, half-pixel centres), q = a.I + b,
 *     coverage c = 255 smoothstep((q/255 - lo) / (hi - lo)), and out = prev
 *     + (c - prev) t, rounded. The 8-bit state is the previous output:
 *     rounding makes changes smaller than 1/(2t) levels stick (a small
 *     hysteresis that removes the last level of flicker in still areas).
 *
 * The kernels (box sums, coefficients, apply) come in a C version here and
 * an AVX2 twin (refine_avx2.c) with the same bytes, picked once at create.
 * Small grid-resolution helpers (grow, temporal weight, vertical mixes,
 * fixed to float) are plain loops shared by both paths and left to GCC's
 * vectoriser (hence the pragma: GCC 12's -O2 cost model refuses loops of
 * unknown trip count).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include "mask/refine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/scale.h>

#include "backdrop.h"
#include "common/error.h"

#define MAX_DIM 16384
/* Temporal weights (refine.h): still below BD_MOT0 grid luma levels,
 * moving from BD_MOT0 + 1/BD_MOT_SLOPE; mask jumps from BD_JUMP +
 * 1/BD_JUMP_SLOPE pass at once; BD_T_MIN = weight of the new frame when
 * still. Checked by tests/test_refine.c's flicker and lag measurements. */

static inline int clampi(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static inline int32_t fix_round(float v)
{
    const float c = (float)BD_GF_CLAMP;
    v = v < -c ? -c : v;
    v = v > c ? c : v;
    return (int32_t)lrintf(v);
}

/* ------------------------------------------------------------------------ */
/* C kernels                                                                 */

/* One row of window sums from column sums cs[0..w): pad then run. */
static void hsum_row_c(const int32_t *cs, int w, int r, int32_t *pad, int32_t *out)
{
    for (int x = -r; x < w + r; x++)
        pad[x + r] = cs[clampi(x, 0, w - 1)];
    int32_t s = 0;
    for (int i = 0; i < 2 * r + 1; i++)
        s += pad[i];
    for (int x = 0; x < w; x++) {
        out[x] = s;
        if (x + 1 < w)
            s += pad[x + 2 * r + 1] - pad[x];
    }
}

static inline int32_t val_u8(const uint8_t *a, const uint8_t *b, size_t off)
{
    return b ? (int32_t)a[off] * (int32_t)b[off] : (int32_t)a[off];
}

void bd_refine_box_u8_c(const uint8_t *a, const uint8_t *b, int stride, int w, int h, int r,
                        int32_t *dst, int dst_stride, int32_t *scratch)
{
    int32_t *cs = scratch, *pad = scratch + w;
    for (int x = 0; x < w; x++)
        cs[x] = 0;
    for (int i = -r; i <= r; i++) {
        size_t o = (size_t)clampi(i, 0, h - 1) * (size_t)stride;
        for (int x = 0; x < w; x++)
            cs[x] += val_u8(a, b, o + (size_t)x);
    }
    for (int y = 0; y < h; y++) {
        hsum_row_c(cs, w, r, pad, dst + (size_t)y * (size_t)dst_stride);
        size_t ad = (size_t)clampi(y + r + 1, 0, h - 1) * (size_t)stride;
        size_t sb = (size_t)clampi(y - r, 0, h - 1) * (size_t)stride;
        for (int x = 0; x < w; x++)
            cs[x] += val_u8(a, b, ad + (size_t)x) - val_u8(a, b, sb + (size_t)x);
    }
}

void bd_refine_box_i32_c(const int32_t *src, int stride, int w, int h, int r, int32_t *dst,
                         int dst_stride, int32_t *scratch)
{
    int32_t *cs = scratch, *pad = scratch + w;
    for (int x = 0; x < w; x++)
        cs[x] = 0;
    for (int i = -r; i <= r; i++) {
        const int32_t *row = src + (size_t)clampi(i, 0, h - 1) * (size_t)stride;
        for (int x = 0; x < w; x++)
            cs[x] += row[x];
    }
    for (int y = 0; y < h; y++) {
        hsum_row_c(cs, w, r, pad, dst + (size_t)y * (size_t)dst_stride);
        const int32_t *ad = src + (size_t)clampi(y + r + 1, 0, h - 1) * (size_t)stride;
        const int32_t *sb = src + (size_t)clampi(y - r, 0, h - 1) * (size_t)stride;
        for (int x = 0; x < w; x++)
            cs[x] += ad[x] - sb[x];
    }
}

void bd_refine_coef_y_c(const int32_t *si, const int32_t *sp, const int32_t *sii,
                        const int32_t *sip, size_t n, float inv_n, float eps, int32_t *a,
                        int32_t *b)
{
    for (size_t i = 0; i < n; i++) {
        float mi = (float)si[i] * inv_n;
        float mp = (float)sp[i] * inv_n;
        float var = (float)sii[i] * inv_n - mi * mi;
        float cov = (float)sip[i] * inv_n - mi * mp;
        float av = cov / (var + eps);
        float bv = mp - av * mi;
        a[i] = fix_round(av * BD_GF_A_SCALE);
        b[i] = fix_round(bv * BD_GF_B_SCALE);
    }
}

void bd_refine_coef_yuv_c(const int32_t *const s[13], size_t n, float inv_n, float eps,
                          int32_t *const a[3], int32_t *b)
{
    for (size_t i = 0; i < n; i++) {
        float my = (float)s[0][i] * inv_n, mu = (float)s[1][i] * inv_n;
        float mv = (float)s[2][i] * inv_n, mp = (float)s[3][i] * inv_n;
        float yy = (float)s[4][i] * inv_n - my * my + eps;
        float yu = (float)s[5][i] * inv_n - my * mu;
        float yv = (float)s[6][i] * inv_n - my * mv;
        float uu = (float)s[7][i] * inv_n - mu * mu + eps;
        float uv = (float)s[8][i] * inv_n - mu * mv;
        float vv = (float)s[9][i] * inv_n - mv * mv + eps;
        float cy = (float)s[10][i] * inv_n - my * mp;
        float cu = (float)s[11][i] * inv_n - mu * mp;
        float cv = (float)s[12][i] * inv_n - mv * mp;
        float c00 = uu * vv - uv * uv, c01 = yv * uv - yu * vv, c02 = yu * uv - yv * uu;
        float c11 = yy * vv - yv * yv, c12 = yu * yv - yy * uv, c22 = yy * uu - yu * yu;
        float det = yy * c00 + yu * c01 + yv * c02;
        float id = 1.f / det;
        float ay = (c00 * cy + c01 * cu + c02 * cv) * id;
        float au = (c01 * cy + c11 * cu + c12 * cv) * id;
        float av = (c02 * cy + c12 * cu + c22 * cv) * id;
        float bv = mp - ay * my - au * mu - av * mv;
        a[0][i] = fix_round(ay * BD_GF_A_SCALE);
        a[1][i] = fix_round(au * BD_GF_A_SCALE);
        a[2][i] = fix_round(av * BD_GF_A_SCALE);
        b[i] = fix_round(bv * BD_GF_B_SCALE);
    }
}

void bd_refine_vmix_c(const float *p0, const float *p1, float wy, float *out, int w)
{
    for (int x = 0; x < w; x++)
        out[x] = p0[x] + (p1[x] - p0[x]) * wy;
}

void bd_refine_classify_c(const float *const a[3], const float *b, size_t n, int na, float lo,
                          float hi, uint8_t *cls)
{
    for (size_t i = 0; i < n; i++) {
        float qmax = b[i], qmin = b[i];
        for (int c = 0; c < na; c++) {
            float d = a[c][i] * 255.f;
            qmax += d > 0.f ? d : 0.f;
            qmin += d < 0.f ? d : 0.f;
        }
        cls[i] = qmax < lo ? 0 : qmin > hi ? 255 : 1;
    }
}

void bd_refine_motion_row_c(const uint8_t *const a[3], const uint8_t *const b[3], uint8_t *out,
                            int w)
{
    for (int x = 0; x < w; x++) {
        int m = 0;
        for (int i = 0; i < 3; i++) {
            int d = abs((int)a[i][x] - (int)b[i][x]);
            m = d > m ? d : m;
        }
        out[x] = (uint8_t)m;
    }
}

void bd_refine_tweight_row_c(const uint8_t *m, const uint8_t *p, const uint8_t *pp, float *t,
                             int w)
{
    for (int x = 0; x < w; x++) {
        int mm = m[x - 1] > m[x] ? m[x - 1] : m[x];
        mm = m[x + 1] > mm ? m[x + 1] : mm;
        float tm = ((float)mm - BD_MOT0) * BD_MOT_SLOPE;
        float tj = ((float)abs((int)p[x] - (int)pp[x]) - BD_JUMP) * BD_JUMP_SLOPE;
        float v = tm > tj ? tm : tj;
        v = v < BD_T_MIN ? BD_T_MIN : v;
        t[x] = v > 1.f ? 1.f : v;
    }
}

static inline float hmix(const float *v, int base, const struct bd_refine_geom *g, int j)
{
    float l = v[base + g->li[j]], r = v[base + g->ri[j]];
    return l + (r - l) * g->w[j];
}

static inline uint8_t finish(const struct bd_refine_row *row, float q, float t, int x)
{
    float s = (q - row->lo) * row->inv;
    s = s < 0.f ? 0.f : s;
    s = s > 1.f ? 1.f : s;
    float c = s * s * (3.f - 2.f * s) * 255.f;
    float pv = (float)row->prev[x];
    float o = pv + (c - pv) * t;
    long v = lrintf(o);
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void bd_refine_apply_y_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                         int x0)
{
    for (int x = x0; x < row->n; x++) {
        int j = x & 7, base = (x - j) / g->k - (g->k > 1);
        float a = hmix(row->a[0], base, g, j), b = hmix(row->b, base, g, j);
        float t = hmix(row->t, base, g, j);
        float q = a * (float)row->y[x] + b;
        uint8_t o = finish(row, q, t, x);
        row->state[x] = o;
        row->dst[x] = o;
    }
}

void bd_refine_apply_yuv_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                           int x0)
{
    for (int x = x0; x < row->n; x++) {
        int j = x & 7, base = (x - j) / g->k - (g->k > 1);
        float a0 = hmix(row->a[0], base, g, j), a1 = hmix(row->a[1], base, g, j);
        float a2 = hmix(row->a[2], base, g, j), b = hmix(row->b, base, g, j);
        float t = hmix(row->t, base, g, j);
        float q = a0 * (float)row->y[x] + a1 * (float)row->u[x >> 1] +
                  a2 * (float)row->v[x >> 1] + b;
        uint8_t o = finish(row, q, t, x);
        row->state[x] = o;
        row->dst[x] = o;
    }
}

static void apply_y_base(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    bd_refine_apply_y_c(row, g, 0);
}

static void apply_yuv_base(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    bd_refine_apply_yuv_c(row, g, 0);
}

static const struct bd_refine_kernels kernels_c = {
    .name = "base",
    .box_u8 = bd_refine_box_u8_c,
    .box_i32 = bd_refine_box_i32_c,
    .coef_y = bd_refine_coef_y_c,
    .coef_yuv = bd_refine_coef_yuv_c,
    .vmix = bd_refine_vmix_c,
    .classify = bd_refine_classify_c,
    .motion_row = bd_refine_motion_row_c,
    .tweight_row = bd_refine_tweight_row_c,
    .apply_y = apply_y_base,
    .apply_yuv = apply_yuv_base,
};

void bd_refine_geom_init(struct bd_refine_geom *g, int k)
{
    g->k = k;
    for (int j = 0; j < 8; j++) {
        if (k == 1) {
            g->li[j] = g->ri[j] = j;
            g->w[j] = 0.f;
            continue;
        }
        /* output j of a block starting at x = 0 (mod 8): source position
         * (j + 0.5)/k - 0.5 relative to x/k */
        float pos = ((float)j + 0.5f) / (float)k - 0.5f;
        int fl = (int)floorf(pos);
        g->li[j] = fl + 1;
        g->ri[j] = fl + 2;
        g->w[j] = pos - (float)fl;
    }
}

#if defined(__x86_64__) || defined(__i386__)
static int have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

const struct bd_refine_kernels *bd_refine_kernels_for(const char *isa)
{
    if (!isa || strcmp(isa, "base") == 0)
        return &kernels_c;
#if defined(__x86_64__) || defined(__i386__)
    if (strcmp(isa, "avx2") == 0 && have_avx2())
        return &bd_refine_kernels_avx2;
#endif
    return NULL;
}

const struct bd_refine_kernels *bd_refine_kernels_default(void)
{
    const char *env = getenv("BACKDROP_MASK_ISA"); /* read at create, never per frame */
    if (env) {
        const struct bd_refine_kernels *k = bd_refine_kernels_for(env);
        if (k)
            return k;
    }
    const struct bd_refine_kernels *k = bd_refine_kernels_for("avx2");
    return k ? k : &kernels_c;
}

/* ------------------------------------------------------------------------ */
/* The refiner                                                               */

enum { NSUM = 13, NCOEF = 4 /* a0, a1, a2, b */, NROW = 5 /* + t */ };

struct bd_refiner {
    struct bd_refine_options o;
    const struct bd_refine_kernels *k;
    struct bd_refine_geom g;
    int w, h, lw, lh;
    int kf, ww, wh, ws;  /* factor, grid size, grid stride (elements) */
    int rw, fw, gw;      /* radius, feather, grow on the grid */
    float lo255, inv;    /* coverage mapping on 0..255 */
    float eps255;
    int have_state;
    /* grid planes */
    uint8_t *gy, *gu, *gv, *gy_prev, *p, *p_prev, *tmp8;
    int32_t *sum[NSUM], *coef[NCOEF], *scratch;
    float *cf[NCOEF], *tw;
    uint8_t *cls, *crow; /* saturation class per cell, and per mixed row */
    float *row[NROW];    /* vertical mixes, row[i][-1 .. ww + 16] */
    int32_t *bx0, *bx1, *bfx, *by0, *by1, *bfy; /* low → grid bilinear taps */
    uint32_t *brow;      /* one vertically mixed low row */
    uint8_t *state;      /* full-res previous output */
    void *mem;
};

void bd_refine_options_default(struct bd_refine_options *o)
{
    if (!o)
        return;
    o->edge_aware = 1;
    o->radius = 0;
    o->eps = 1e-4f;
    o->lo = 0.f;
    o->hi = 1.f;
    o->feather = 0;
    o->grow = 0;
    o->temporal = 1;
}

const struct bd_refine_kernels *bd_refiner_kernels(const struct bd_refiner *r)
{
    return r ? r->k : NULL;
}

void bd_refiner_set_kernels(struct bd_refiner *r, const struct bd_refine_kernels *k)
{
    if (r && k)
        r->k = k;
}

void bd_refiner_geometry(const struct bd_refiner *r, int *k, int *radius_w, int *feather_w)
{
    if (!r)
        return;
    if (k)
        *k = r->kf;
    if (radius_w)
        *radius_w = r->rw;
    if (feather_w)
        *feather_w = r->fw;
}

/* Lays the buffers out in mem (NULL: only measures). */
static size_t layout(struct bd_refiner *r, uint8_t *mem)
{
    size_t off = 0;
#define TAKE(ptr, type, count)                                                 \
    do {                                                                       \
        if (mem)                                                               \
            (ptr) = (type *)(void *)(mem + off);                               \
        off += ((size_t)(count) * sizeof(type) + 63) & ~(size_t)63;            \
    } while (0)
    const size_t plane = (size_t)r->ws * (size_t)r->wh;
    TAKE(r->gy, uint8_t, plane);
    TAKE(r->gu, uint8_t, plane);
    TAKE(r->gv, uint8_t, plane);
    TAKE(r->gy_prev, uint8_t, plane);
    TAKE(r->p, uint8_t, plane);
    TAKE(r->p_prev, uint8_t, plane);
    TAKE(r->tmp8, uint8_t, plane);
    for (int i = 0; i < NSUM; i++)
        TAKE(r->sum[i], int32_t, plane);
    for (int i = 0; i < NCOEF; i++)
        TAKE(r->coef[i], int32_t, plane);
    TAKE(r->scratch, int32_t, bd_refine_box_scratch(r->ws));
    for (int i = 0; i < NCOEF; i++)
        TAKE(r->cf[i], float, plane);
    TAKE(r->tw, float, plane);
    TAKE(r->cls, uint8_t, plane);
    TAKE(r->crow, uint8_t, (size_t)r->ws + 32);
    if (mem)
        r->crow += 8;
    for (int i = 0; i < NROW; i++) {
        TAKE(r->row[i], float, (size_t)r->ws + 32);
        if (mem)
            r->row[i] += 8; /* room for [-1] with the row 32-byte aligned */
    }
    TAKE(r->bx0, int32_t, r->ww);
    TAKE(r->bx1, int32_t, r->ww);
    TAKE(r->bfx, int32_t, r->ww);
    TAKE(r->by0, int32_t, r->wh);
    TAKE(r->by1, int32_t, r->wh);
    TAKE(r->bfy, int32_t, r->wh);
    TAKE(r->brow, uint32_t, r->lw);
    TAKE(r->state, uint8_t, (size_t)r->w * (size_t)r->h);
#undef TAKE
    return off;
}

/* Taps of a bilinear resize from n to m samples, half-pixel centres (as
 * libyuv and TFLite): source position (i + 0.5) n/m - 0.5 clamped to
 * [0, n-1], weight of the second tap in 1/256. */
static void bilinear_taps(int n, int m, int32_t *i0, int32_t *i1, int32_t *f)
{
    for (int i = 0; i < m; i++) {
        double pos = ((double)i + 0.5) * (double)n / (double)m - 0.5;
        pos = pos < 0 ? 0 : pos > n - 1 ? n - 1 : pos;
        int a = (int)pos;
        i0[i] = a;
        i1[i] = a + 1 < n ? a + 1 : n - 1;
        f[i] = (int32_t)lrint((pos - a) * 256.0);
        if (f[i] == 256) { /* rounding reached the next sample */
            i0[i] = i1[i];
            f[i] = 0;
        }
    }
}

/* The low-res mask bilinearly onto the grid (libyuv's bilinear scaler
 * allocates a row per call; this does not). Exact integers. */
static void low_to_grid(struct bd_refiner *r, const uint8_t *low, int ls)
{
    for (int y = 0; y < r->wh; y++) {
        const uint8_t *a = low + (size_t)r->by0[y] * (size_t)ls;
        const uint8_t *b = low + (size_t)r->by1[y] * (size_t)ls;
        const uint32_t fy = (uint32_t)r->bfy[y], gy = 256u - fy;
        for (int x = 0; x < r->lw; x++)
            r->brow[x] = a[x] * gy + b[x] * fy;
        uint8_t *o = r->p + (size_t)y * (size_t)r->ws;
        for (int x = 0; x < r->ww; x++) {
            const uint32_t fx = (uint32_t)r->bfx[x];
            o[x] = (uint8_t)((r->brow[r->bx0[x]] * (256u - fx) + r->brow[r->bx1[x]] * fx +
                              32768u) >> 16);
        }
    }
}

static int valid_options(const struct bd_refine_options *o)
{
    return o->radius >= 0 && o->radius <= 512 && isfinite(o->eps) && o->eps >= 1e-6f &&
           o->eps <= 100.f && isfinite(o->lo) && isfinite(o->hi) && o->lo >= 0.f &&
           o->hi <= 1.f && o->lo < o->hi && o->feather >= 0 && o->feather <= 256 &&
           o->grow >= -256 && o->grow <= 256;
}

enum bd_status bd_refiner_create(int width, int height, int low_width, int low_height,
                                 const struct bd_refine_options *opt, struct bd_refiner **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "refiner: out is NULL");
    *out = NULL;
    struct bd_refine_options o;
    bd_refine_options_default(&o);
    if (opt)
        o = *opt;
    if (width < 1 || height < 1 || width > MAX_DIM || height > MAX_DIM || low_width < 1 ||
        low_height < 1 || low_width > width || low_height > height)
        return bd_fail(BD_ERR_INVALID_ARG, "refiner: bad sizes %dx%d from %dx%d", width, height,
                       low_width, low_height);
    if (!valid_options(&o))
        return bd_fail(BD_ERR_INVALID_ARG, "refiner: option out of range (radius 0..512, eps "
                                           "1e-6..100, 0 <= lo < hi <= 1, feather 0..256, "
                                           "grow -256..256)");
    struct bd_refiner *r = calloc(1, sizeof *r);
    if (!r)
        return bd_fail(BD_ERR_NOMEM, "refiner: out of memory");
    r->o = o;
    r->w = width;
    r->h = height;
    r->lw = low_width;
    r->lh = low_height;
    r->kf = 1;
    for (int k = 8; k > 1; k /= 2)
        if (4 * width >= 3 * k * low_width && 4 * height >= 3 * k * low_height) {
            r->kf = k;
            break;
        }
    r->ww = (width + r->kf - 1) / r->kf;
    r->wh = (height + r->kf - 1) / r->kf;
    r->ws = (r->ww + 15) & ~15;
    bd_refine_geom_init(&r->g, r->kf);
    /* automatic radius: one cell of the model's output, in full-res px
     * (the sweep in tests/test_refine.c: smaller radii follow the frame's
     * edges more closely; a radius of one grid cell is the smallest) */
    float ratio = fmaxf((float)width / (float)low_width, (float)height / (float)low_height);
    int radius = o.radius ? o.radius : (int)lrintf(ratio);
    r->rw = clampi((int)lrintf((float)radius / (float)r->kf), 1, BD_GF_MAX_RADIUS / 2);
    r->fw = clampi((int)lrintf((float)o.feather / (float)r->kf), 0, BD_GF_MAX_RADIUS / 2);
    if (o.feather > 0 && r->fw == 0)
        r->fw = 1;
    r->gw = clampi((int)lrintf((float)abs(o.grow) / (float)r->kf), 0, 64);
    if (o.grow != 0 && r->gw == 0)
        r->gw = 1;
    if (o.grow < 0)
        r->gw = -r->gw;
    r->lo255 = o.lo * 255.f;
    r->inv = 1.f / ((o.hi - o.lo) * 255.f);
    r->eps255 = o.eps * 65025.f;
    r->k = bd_refine_kernels_default();
    size_t size = layout(r, NULL);
    r->mem = aligned_alloc(64, size);
    if (!r->mem) {
        free(r);
        return bd_fail(BD_ERR_NOMEM, "refiner: cannot allocate %zu bytes for %dx%d", size,
                       width, height);
    }
    memset(r->mem, 0, size); /* padding columns are read (and ignored) */
    layout(r, r->mem);
    bilinear_taps(r->lw, r->ww, r->bx0, r->bx1, r->bfx);
    bilinear_taps(r->lh, r->wh, r->by0, r->by1, r->bfy);
    *out = r;
    return BD_OK;
}

void bd_refiner_destroy(struct bd_refiner *r)
{
    if (!r)
        return;
    free(r->mem);
    free(r);
}

void bd_refiner_reset(struct bd_refiner *r)
{
    if (r)
        r->have_state = 0;
}

/* Separable max (grow > 0) or min filter of radius |g| on the grid, p in
 * place via tmp. */
static void grow_plane(uint8_t *p, uint8_t *tmp, int w, int h, int s, int g)
{
    const int rad = abs(g), mx = g > 0;
    for (int y = 0; y < h; y++) {
        const uint8_t *src = p + (size_t)y * (size_t)s;
        uint8_t *d = tmp + (size_t)y * (size_t)s;
        for (int x = 0; x < w; x++) {
            int lo = x - rad < 0 ? 0 : x - rad, hi = x + rad >= w ? w - 1 : x + rad;
            uint8_t m = src[lo];
            for (int i = lo + 1; i <= hi; i++)
                m = mx ? (src[i] > m ? src[i] : m) : (src[i] < m ? src[i] : m);
            d[x] = m;
        }
    }
    for (int y = 0; y < h; y++) {
        int lo = y - rad < 0 ? 0 : y - rad, hi = y + rad >= h ? h - 1 : y + rad;
        uint8_t *d = p + (size_t)y * (size_t)s;
        memcpy(d, tmp + (size_t)lo * (size_t)s, (size_t)w);
        for (int i = lo + 1; i <= hi; i++) {
            const uint8_t *src = tmp + (size_t)i * (size_t)s;
            for (int x = 0; x < w; x++)
                d[x] = mx ? (src[x] > d[x] ? src[x] : d[x]) : (src[x] < d[x] ? src[x] : d[x]);
        }
    }
}

/* The temporal weight plane on the grid (see the top of the file): the
 * 3x3 maximum of |dY| against the previous grid luma, and the mask's jump. */
static void temporal_weights(struct bd_refiner *r)
{
    const int w = r->ww, h = r->wh, s = r->ws;
    uint8_t *m = r->crow; /* scratch row, padded */
    for (int y = 0; y < h; y++) {
        const uint8_t *a[3], *b[3];
        for (int i = 0; i < 3; i++) {
            size_t o = (size_t)clampi(y - 1 + i, 0, h - 1) * (size_t)s;
            a[i] = r->gy + o;
            b[i] = r->gy_prev + o;
        }
        r->k->motion_row(a, b, m, w);
        m[-1] = m[0];
        m[w] = m[w - 1];
        const size_t o = (size_t)y * (size_t)s;
        r->k->tweight_row(m, r->p + o, r->p_prev + o, r->tw + o, w);
    }
}

/* The saturation class of each grid cell (refine.h, bd_refine_row.cls):
 * the range of q = a.I + b over every guide value, with a margin of one
 * level for the float rounding of the mixes. A bilinear mix of cells of
 * one class stays in it (q is linear in a and b, the weights convex). */
static void classify(struct bd_refiner *r, int na)
{
    const float *const a[3] = {r->cf[0], r->cf[1], r->cf[2]};
    r->k->classify(a, r->cf[3], (size_t)r->ws * (size_t)r->wh, na, r->lo255 - 1.f,
                   r->lo255 + 1.f / r->inv + 1.f, r->cls);
}

/* The class row for a vertical mix of grid rows c0, c1, padded. */
static void cmix(const uint8_t *c0, const uint8_t *c1, uint8_t *out, int w)
{
    for (int x = 0; x < w; x++)
        out[x] = c0[x] == c1[x] ? c0[x] : 1;
    out[-1] = out[0];
    for (int x = w; x < w + 16; x++)
        out[x] = out[w - 1];
}

/* Vertical mix of plane rows y0, y1 into the padded row out. */
static void vmix(const struct bd_refine_kernels *K, const float *p0, const float *p1, float wy,
                 float *out, int w)
{
    K->vmix(p0, p1, wy, out, w);
    out[-1] = out[0];
    for (int x = w; x < w + 16; x++)
        out[x] = out[w - 1];
}

enum bd_status bd_refiner_run(struct bd_refiner *r, const uint8_t *low, int low_stride,
                              const uint8_t *guide_y, int guide_stride_y,
                              const uint8_t *guide_u, const uint8_t *guide_v,
                              int guide_stride_uv, uint8_t *dst, int dst_stride)
{
    if (!r || !low || !guide_y || !dst)
        return bd_fail(BD_ERR_INVALID_ARG, "refiner: NULL buffer");
    const int color = guide_u != NULL;
    if ((guide_u == NULL) != (guide_v == NULL))
        return bd_fail(BD_ERR_INVALID_ARG, "refiner: give both chroma planes or neither");
    const int cw = (r->w + 1) / 2, ch = (r->h + 1) / 2;
    if (low_stride < r->lw || guide_stride_y < r->w || dst_stride < r->w ||
        (color && guide_stride_uv < cw))
        return bd_fail(BD_ERR_INVALID_ARG, "refiner: stride smaller than the row");
    const int ww = r->ww, wh = r->wh, ws = r->ws;
    const size_t plane = (size_t)ws * (size_t)wh;
    const struct bd_refine_kernels *K = r->k;

    /* 1. guide and mask on the grid */
    ScalePlane(guide_y, guide_stride_y, r->w, r->h, r->gy, ws, ww, wh, kFilterBox);
    if (color) {
        ScalePlane(guide_u, guide_stride_uv, cw, ch, r->gu, ws, ww, wh, kFilterBox);
        ScalePlane(guide_v, guide_stride_uv, cw, ch, r->gv, ws, ww, wh, kFilterBox);
    }
    low_to_grid(r, low, low_stride);
    if (r->gw)
        grow_plane(r->p, r->tmp8, ww, wh, ws, r->gw);

    /* 2. coefficients */
    int r2 = r->fw;
    if (r->o.edge_aware) {
        const int rw = r->rw;
        const float inv_n = 1.f / (float)((2 * rw + 1) * (2 * rw + 1));
        int32_t *const *S = r->sum;
        if (color) {
            const uint8_t *ch3[3] = {r->gy, r->gu, r->gv};
            for (int i = 0; i < 3; i++)
                K->box_u8(ch3[i], NULL, ws, ww, wh, rw, S[i], ws, r->scratch);
            K->box_u8(r->p, NULL, ws, ww, wh, rw, S[3], ws, r->scratch);
            int n = 4;
            for (int i = 0; i < 3; i++)
                for (int j = i; j < 3; j++)
                    K->box_u8(ch3[i], ch3[j], ws, ww, wh, rw, S[n++], ws, r->scratch);
            for (int i = 0; i < 3; i++)
                K->box_u8(ch3[i], r->p, ws, ww, wh, rw, S[n++], ws, r->scratch);
            K->coef_yuv((const int32_t *const *)S, plane, inv_n, r->eps255, r->coef, r->coef[3]);
        } else {
            K->box_u8(r->gy, NULL, ws, ww, wh, rw, S[0], ws, r->scratch);
            K->box_u8(r->p, NULL, ws, ww, wh, rw, S[1], ws, r->scratch);
            K->box_u8(r->gy, r->gy, ws, ww, wh, rw, S[2], ws, r->scratch);
            K->box_u8(r->gy, r->p, ws, ww, wh, rw, S[3], ws, r->scratch);
            K->coef_y(S[0], S[1], S[2], S[3], plane, inv_n, r->eps255, r->coef[0], r->coef[3]);
        }
        r2 += rw;
    } else {
        for (size_t i = 0; i < plane; i++) {
            r->coef[0][i] = 0;
            r->coef[3][i] = (int32_t)r->p[i] * (int32_t)BD_GF_B_SCALE;
        }
    }
    const int na = r->o.edge_aware && color ? 3 : 1;
    {
        const float n2 = (float)((2 * r2 + 1) * (2 * r2 + 1));
        for (int c = 0; c < NCOEF; c++) {
            if (c > 0 && c < 3 && na == 1)
                continue;
            const float sc = 1.f / (n2 * (c == 3 ? BD_GF_B_SCALE : BD_GF_A_SCALE));
            int32_t *S = r->sum[0];
            K->box_i32(r->coef[c], ws, ww, wh, r2, S, ws, r->scratch);
            float *cf = r->cf[c];
            for (size_t i = 0; i < plane; i++)
                cf[i] = (float)S[i] * sc;
        }
    }

    classify(r, na);

    /* 3. temporal weights */
    if (r->o.temporal && r->have_state) {
        temporal_weights(r);
    } else {
        for (size_t i = 0; i < plane; i++)
            r->tw[i] = 1.f;
    }
    uint8_t *t8 = r->gy_prev;
    r->gy_prev = r->gy;
    r->gy = t8;
    t8 = r->p_prev;
    r->p_prev = r->p;
    r->p = t8;

    /* 4. apply per full-res row */
    const float *planes[NROW] = {r->cf[0], r->cf[1], r->cf[2], r->cf[3], r->tw};
    struct bd_refine_row row = {
        .a = {r->row[0], r->row[1], r->row[2]},
        .b = r->row[3],
        .t = r->row[4],
        .cls = r->crow,
        .n = r->w,
        .lo = r->lo255,
        .inv = r->inv,
    };
    const float kf = (float)r->kf;
    const int use_color = color && na == 3;
    for (int y = 0; y < r->h; y++) {
        float fy = ((float)y + 0.5f) / kf - 0.5f;
        if (fy < 0.f)
            fy = 0.f;
        int y0 = (int)fy;
        if (y0 > wh - 1)
            y0 = wh - 1;
        int y1 = y0 + 1 < wh ? y0 + 1 : wh - 1;
        float wy = fy - (float)y0;
        for (int i = 0; i < NROW; i++) {
            if (i > 0 && i < 3 && !use_color)
                continue;
            vmix(K, planes[i] + (size_t)y0 * (size_t)ws, planes[i] + (size_t)y1 * (size_t)ws, wy,
                 r->row[i], ww);
        }
        cmix(r->cls + (size_t)y0 * (size_t)ws, r->cls + (size_t)y1 * (size_t)ws, r->crow, ww);
        row.y = guide_y + (size_t)y * (size_t)guide_stride_y;
        if (use_color) {
            row.u = guide_u + (size_t)(y / 2) * (size_t)guide_stride_uv;
            row.v = guide_v + (size_t)(y / 2) * (size_t)guide_stride_uv;
        }
        row.prev = row.state = r->state + (size_t)y * (size_t)r->w;
        row.dst = dst + (size_t)y * (size_t)dst_stride;
        if (use_color)
            K->apply_yuv(&row, &r->g);
        else
            K->apply_y(&row, &r->g);
    }
    r->have_state = 1;
    return BD_OK;
}
