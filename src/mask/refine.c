/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask refinement: the model's low-resolution person probability → a
 * full-resolution 8-bit mask whose edges follow the frame, stable in time.
 *
 * Per frame (all buffers allocated at create; nothing allocated here):
 *  1. The guide (luma, and chroma when given) is box-downscaled by k to the
 *     working grid (ceil(W/k) x ceil(H/k), libyuv), k in {1,2,4,8} the
 *     largest with two cells in the window's radius and the grid at least
 *     0.4 of the model's size. The mask is
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
 *     levels) or the mask jumped by nearly full range, down to tmin = 1/12
 *     where both are still (temporal_weights). 1 on the first frame after
 *     create or reset, and always when temporal is off. In the apply step
 *     two more rules, per pixel: a pixel whose own luma moved by at most
 *     BD_YTHR since the previous frame keeps at least half of its previous
 *     output (t <= 1/2: model jitter inside a moving person, and the soft
 *     edge of the mask sliding over still background), and a deadband: a
 *     change of the coverage by at most 8 levels leaves the output as it
 *     was. Measured with bench/quality's temporal set (general model,
 *     1280x720, colour guide, defaults): flicker 0.63 (temporal off 1.01;
 *     raw 2.05), edge lag 0. What remains is almost all in moving frames:
 *     the mask's soft edge moving with the person over pixels whose truth
 *     stays put. Smoothing cannot remove that without lag (a monotone
 *     change sums to the same however it is spread); a steeper, better
 *     placed edge does, hence the window of four model cells and the
 *     0.4 .. 0.6 coverage ramp.
 *  4. The coefficient planes go to 16-bit fixed point (refine.h: a * 1024,
 *     b' = q at guide 128 in 1/4 level, retention (1 - t) in Q15) and each
 *     grid cell gets a saturation class (classify). Apply, per
 *     full-resolution row: the planes are mixed vertically at grid width,
 *     then each pixel mixes them horizontally (bilinear, exact-k geometry,
 *     half-pixel centres), q = a.(I - 128) + b', coverage c = 255
 *     smoothstep((q/255 - lo) / (hi - lo)) in fixed point, and out = prev +
 *     (c - prev) t rounded, where |c - prev| beyond a deadband (else out =
 *     prev). The 8-bit state is the previous output: besides the deadband,
 *     rounding makes changes smaller than 1/(2t) levels stick.
 *     16-bit lanes: 16 pixels per AVX2 operation (the float version took
 *     8), and blocks whose cells are all saturated (coverage 0 or 255
 *     for any guide value) and whose previous output already holds that
 *     value are copied without arithmetic.
 *
 * The kernels (box sums, coefficients, vertical mix, apply) come in a C
 * version here and an AVX2 twin (refine_avx2.c) with the same bytes,
 * picked once at create. Small grid-resolution helpers (grow, temporal
 * weight, class, fixed-point conversion) are plain loops shared by both
 * paths and left to GCC's vectoriser (hence the pragma: GCC 12's -O2 cost
 * model refuses loops of unknown trip count).
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
/* Temporal constants (temporal_weights and the apply step), measured with
 * bench/quality's temporal set (flicker, edge lag) and checked by
 * tests/test_refine.c's flicker and lag tests. */
#define BD_MOT0 3        /* grid luma |dY| (3x3 max) up to which a cell is still ... */
#define BD_MOT_SPAN 6    /* ... and from BD_MOT0 + this, moving (t = 1) */
#define BD_JUMP0 200     /* a grid mask jump (levels) from which t rises ... */
#define BD_JUMP_SPAN 56  /* ... to 1 at BD_JUMP0 + this (model jitter stays below) */
#define BD_TMIN15 2731   /* t where still, Q15 (1/12) */
#define BD_DB7 1024      /* deadband: changes up to 8 levels leave the output */
#define BD_YTHR 4        /* a pixel whose own luma moved by at most this ... */
#define BD_RSTILL 16384  /* ... keeps at least this retention (t <= 1/2), Q15 */
#define BD_AUTO_CELLS 6  /* automatic radius, in cells of the model's output */

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

static inline int fix16r(float v)
{
    v = v < -32767.f ? -32767.f : v;
    v = v > 32767.f ? 32767.f : v;
    return (int)lrintf(v);
}

/* The saturation class of one grid cell (refine.c, classify). */
static inline uint8_t cell_class(int b, const int *a, int na, int thr0, int thr1)
{
    int big = abs(b) > 16383, up = 0, dn = 0;
    for (int c = 0; c < na; c++) {
        big |= abs(a[c]) > 16383;
        up += ((127 * a[c] > -128 * a[c] ? 127 * a[c] : -128 * a[c]) + 255) >> 8;
        dn += ((128 * a[c] > -127 * a[c] ? 128 * a[c] : -127 * a[c]) + 255) >> 8;
    }
    int qmax = b + up + BD_CLS_MARGIN, qmin = b - dn - BD_CLS_MARGIN;
    return big ? 1 : qmax <= thr0 ? 0 : qmin >= thr1 ? 255 : 1;
}

void bd_refine_fix16_c(const int32_t *const S[4], size_t n, int na, float ia, float ib,
                       int thr0, int thr1, int16_t *const q[4], uint8_t *cls)
{
    for (size_t i = 0; i < n; i++) {
        int a[3];
        float sb;
        a[0] = fix16r((float)S[0][i] * ia);
        if (na == 3) {
            a[1] = fix16r((float)S[1][i] * ia);
            a[2] = fix16r((float)S[2][i] * ia);
            sb = (float)S[0][i] + (float)S[1][i];
            sb = sb + (float)S[2][i];
        } else {
            sb = (float)S[0][i];
        }
        int b = fix16r(((float)S[3][i] + sb * 2.f) * ib);
        for (int c = 0; c < na; c++)
            q[c][i] = (int16_t)a[c];
        q[3][i] = (int16_t)b;
        cls[i] = cell_class(b, a, na, thr0, thr1);
    }
}

void bd_refine_vmix_c(const int16_t *p0, const int16_t *p1, int wy15, int16_t *out, int w)
{
    for (int x = 0; x < w; x++)
        out[x] = (int16_t)(p0[x] + bd_mulhrs(bd_sat16(p1[x] - p0[x]), wy15));
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

/* Horizontal mix of a padded 16-bit row (refine.h, bd_refine_geom). */
static inline int hmix(const int16_t *v, int base, const struct bd_refine_geom *g, int j)
{
    int l = v[base + g->li[j]], r = v[base + g->ri[j]];
    return l + bd_mulhrs(bd_sat16(r - l), g->w15[j]);
}

/* Coverage of q4, temporal mix with prev, rounding (refine.h). */
static inline uint8_t finish(const struct bd_refine_row *row, int q4, int rt, int x)
{
    int c7 = bd_refine_c7(row, q4);
    int p7 = (int)row->prev[x] << 7;
    int diff = p7 - c7;
    int o7 = abs(diff) <= row->db7 ? p7 : c7 + bd_mulhrs(diff, rt);
    return (uint8_t)((o7 + 64) >> 7);
}

/* The retention of a pixel whose own luma did not move (refine.h), and the
 * luma saved for the next frame. */
static inline int pixel_still(const struct bd_refine_row *row, int rt, int x)
{
    if (row->yp && abs((int)row->y[x] - (int)row->yp[x]) <= row->ythr && rt < row->rstill)
        rt = row->rstill;
    if (row->ys)
        row->ys[x] = row->y[x];
    return rt;
}

static inline int g16(int v) /* (v - 128) * 128: the centred guide */
{
    return (v << 7) - 16384;
}

static inline int log2k(int k)
{
    return k == 1 ? 0 : k == 2 ? 1 : k == 4 ? 2 : 3;
}

void bd_refine_apply_y_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                         int x0)
{
    const int lk = log2k(g->k);
    for (int x = x0; x < row->n; x++) {
        int j = x & 7, base = ((x - j) >> lk) - (g->k > 1);
        int a = hmix(row->a[0], base, g, j), b = hmix(row->b, base, g, j);
        int rt = row->r_const >= 0 ? row->r_const : hmix(row->r, base, g, j);
        rt = pixel_still(row, rt, x);
        int q = bd_sat16(b + bd_mulhrs(a, g16(row->y[x])));
        uint8_t o = finish(row, q, rt, x);
        row->state[x] = o;
        row->dst[x] = o;
    }
}

void bd_refine_apply_yuv_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                           int x0)
{
    const int lk = log2k(g->k);
    for (int x = x0; x < row->n; x++) {
        int j = x & 7, base = ((x - j) >> lk) - (g->k > 1);
        int a0 = hmix(row->a[0], base, g, j), a1 = hmix(row->a[1], base, g, j);
        int a2 = hmix(row->a[2], base, g, j), b = hmix(row->b, base, g, j);
        int rt = row->r_const >= 0 ? row->r_const : hmix(row->r, base, g, j);
        rt = pixel_still(row, rt, x);
        int q = bd_sat16(b + bd_mulhrs(a0, g16(row->y[x])));
        q = bd_sat16(q + bd_mulhrs(a1, g16(row->u[x >> 1])));
        q = bd_sat16(q + bd_mulhrs(a2, g16(row->v[x >> 1])));
        uint8_t o = finish(row, q, rt, x);
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
    .fix16 = bd_refine_fix16_c,
    .vmix = bd_refine_vmix_c,
    .motion_row = bd_refine_motion_row_c,
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
            g->w15[j] = 0;
            continue;
        }
        /* output j of a block starting at x = 0 (mod 8): source position
         * (j + 0.5)/k - 0.5 relative to x/k */
        float pos = ((float)j + 0.5f) / (float)k - 0.5f;
        int fl = (int)floorf(pos);
        g->li[j] = fl + 1;
        g->ri[j] = fl + 2;
        g->w[j] = pos - (float)fl;
        g->w15[j] = (int16_t)lrintf(g->w[j] * 32768.f);
    }
    const int ncell = 8 / k + g->ri[7] + 1;
    for (int i = 0; i < 16; i++) {
        const int j = i & 7;
        g->sl[2 * i] = (uint8_t)(2 * g->li[j]);
        g->sl[2 * i + 1] = (uint8_t)(2 * g->li[j] + 1);
        g->sr[2 * i] = (uint8_t)(2 * g->ri[j]);
        g->sr[2 * i + 1] = (uint8_t)(2 * g->ri[j] + 1);
        g->w16[i] = g->w15[j];
        g->span8[i] = i < ncell ? 0xFF : 0;
        g->span16[i] = (int16_t)(i < ncell ? -1 : 0);
    }
}

void bd_refine_coverage_init(struct bd_refine_row *row, float lo, float hi)
{
    const float sc = 255.f * (float)BD_Q_SCALE;
    int lo4 = (int)lrintf(lo * sc), hi4 = (int)lrintf(hi * sc);
    int r4 = hi4 - lo4 < 1 ? 1 : hi4 - lo4;
    int sh = 0;
    while ((r4 << (sh + 1)) <= 65535)
        sh++;
    /* s = d / r4 in Q15: (d << sh) * ks >> 16, ks rounded down so that s
     * stays below 32768 (d = r4 gives 32766 or 32767: coverage 255 either
     * way) */
    row->lo4 = lo4;
    row->r4 = r4;
    row->sh = sh;
    row->ks = (int)floor(32767.0 * 65536.0 / (double)(r4 << sh));
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
#if defined(__wasm_simd128__)
    if (strcmp(isa, "simd128") == 0)
        return &bd_refine_kernels_simd128;
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
    if (!k)
        k = bd_refine_kernels_for("simd128");
    return k ? k : &kernels_c;
}

/* ------------------------------------------------------------------------ */
/* The refiner                                                               */

enum { NSUM = 13, NCOEF = 4 /* a0, a1, a2, b */, NROW = 5 /* + r */ };

/* The temporal constants (see temporal_weights): grid luma levels, mask
 * levels, Q15 weights, 1/128 mask levels. */
struct tparams {
    int mot0, mot_span;   /* |dY| (3x3 max) ramp: still up to mot0, moving from mot0 + span */
    int jump0, jump_span; /* mask jump ramp on the grid */
    int tmin15;           /* weight of the new frame where still, Q15 */
    int db7;              /* deadband: |c - prev| <= db7/128 levels keeps prev */
    int ythr, rstill;     /* pixel luma still up to ythr: retention at least rstill */
};

struct bd_refiner {
    struct bd_refine_options o;
    const struct bd_refine_kernels *k;
    struct bd_refine_geom g;
    int w, h, lw, lh;
    int kf, ww, wh, ws;  /* factor, grid size, grid stride (elements) */
    int rw, fw, gw;      /* radius, feather, grow on the grid */
    struct bd_refine_row cov; /* coverage mapping: lo4, r4, sh, ks */
    struct tparams tp;
    float eps255;
    int have_state;
    /* grid planes */
    uint8_t *gy, *gu, *gv, *gy_prev, *p, *p_prev, *tmp8;
    uint8_t *half;     /* the luma at 1/4 on the way to 1/8 (kf = 8) */
    int half_w, half_h;
    int32_t *sum[NSUM], *coef[NCOEF], *scratch;
    int16_t *q16[NCOEF], *rt; /* the apply step's planes (refine.h), retention */
    int *rconst;         /* per grid row: its retention when constant, else -1 */
    uint8_t *cls, *crow; /* saturation class per cell, and per mixed row */
    int16_t *row[NROW];  /* vertical mixes, row[i][-1 .. ww + 16] */
    int32_t *bx0, *bx1, *bfx, *by0, *by1, *bfy; /* low → grid bilinear taps */
    uint16_t *hlow;      /* the low rows mixed horizontally to grid width */
    uint8_t *state;      /* full-res previous output */
    uint8_t *yprev;      /* full-res previous luma */
    void *mem;
};

void bd_refine_options_default(struct bd_refine_options *o)
{
    if (!o)
        return;
    o->edge_aware = 1;
    o->radius = 0;
    o->eps = 3e-5f; /* with the wider window: sweep 1e-5 (noisy) .. 1e-2 (soft) */
    o->lo = 0.4f; /* a steep ramp: the model's edge is blurred; the guided */
    o->hi = 0.6f; /* filter, not the ramp, makes the soft part */
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
    TAKE(r->half, uint8_t, (size_t)r->half_w * (size_t)r->half_h);
    for (int i = 0; i < NSUM; i++)
        TAKE(r->sum[i], int32_t, plane);
    for (int i = 0; i < NCOEF; i++)
        TAKE(r->coef[i], int32_t, plane);
    TAKE(r->scratch, int32_t, bd_refine_box_scratch(r->ws));
    for (int i = 0; i < NCOEF; i++)
        TAKE(r->q16[i], int16_t, plane);
    TAKE(r->rt, int16_t, plane);
    TAKE(r->rconst, int, r->wh);
    TAKE(r->cls, uint8_t, plane);
    TAKE(r->crow, uint8_t, (size_t)r->ws + 64);
    if (mem)
        r->crow += 32;
    for (int i = 0; i < NROW; i++) {
        TAKE(r->row[i], int16_t, (size_t)r->ws + 64);
        if (mem)
            r->row[i] += 16; /* room for [-1] with the row 32-byte aligned */
    }
    TAKE(r->bx0, int32_t, r->ww);
    TAKE(r->bx1, int32_t, r->ww);
    TAKE(r->bfx, int32_t, r->ww);
    TAKE(r->by0, int32_t, r->wh);
    TAKE(r->by1, int32_t, r->wh);
    TAKE(r->bfy, int32_t, r->wh);
    /* low_to_grid's intermediate rows: lh rows of the grid's width, or wh
     * rows of the low width, whichever order it takes */
    TAKE(r->hlow, uint16_t,
         (size_t)r->ws * (size_t)r->lh > (size_t)r->lw * (size_t)r->wh
             ? (size_t)r->ws * (size_t)r->lh
             : (size_t)r->lw * (size_t)r->wh);
    TAKE(r->state, uint8_t, (size_t)r->w * (size_t)r->h);
    TAKE(r->yprev, uint8_t, (size_t)r->w * (size_t)r->h);
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
 * allocates a row per call; this does not). Exact integers: each low row
 * mixed horizontally (a gather), then the grid rows as vertical mixes of
 * two of those (vectorised); or, when the grid has fewer rows than the
 * mask (a downscale, as at 720p), the vertical mixes first, so that fewer
 * rows take the gather. Both orders sum the same four exact products
 * before the one rounding, so they give the same bytes. */
static void low_to_grid(struct bd_refiner *r, const uint8_t *low, int ls)
{
    /* locals: the byte stores could alias the refiner's fields */
    const size_t hs = (size_t)r->ws;
    const int ww = r->ww, wh = r->wh, lh = r->lh, lw = r->lw;
    const int32_t *bx0 = r->bx0, *bx1 = r->bx1, *bfx = r->bfx;
    uint16_t *hlow = r->hlow;
    uint8_t *p = r->p;
    if (wh < lh) {
        for (int y = 0; y < wh; y++) {
            const uint8_t *a0 = low + (size_t)r->by0[y] * (size_t)ls;
            const uint8_t *a1 = low + (size_t)r->by1[y] * (size_t)ls;
            const uint32_t fy = (uint32_t)r->bfy[y], gy = 256u - fy;
            uint16_t *v = hlow + (size_t)y * (size_t)lw;
            for (int x = 0; x < lw; x++)
                v[x] = (uint16_t)(a0[x] * gy + a1[x] * fy);
            uint8_t *o = p + (size_t)y * hs;
            for (int x = 0; x < ww; x++) {
                const uint32_t fx = (uint32_t)bfx[x];
                o[x] = (uint8_t)((v[bx0[x]] * (256u - fx) + v[bx1[x]] * fx + 32768u) >> 16);
            }
        }
        return;
    }
    for (int y = 0; y < lh; y++) {
        const uint8_t *a = low + (size_t)y * (size_t)ls;
        uint16_t *h = hlow + (size_t)y * hs;
        for (int x = 0; x < ww; x++) {
            const uint32_t fx = (uint32_t)bfx[x];
            h[x] = (uint16_t)(a[bx0[x]] * (256u - fx) + a[bx1[x]] * fx);
        }
    }
    for (int y = 0; y < wh; y++) {
        const uint16_t *h0 = hlow + (size_t)r->by0[y] * hs;
        const uint16_t *h1 = hlow + (size_t)r->by1[y] * hs;
        const uint32_t fy = (uint32_t)r->bfy[y], gy = 256u - fy;
        uint8_t *o = p + (size_t)y * hs;
        for (int x = 0; x < ww; x++)
            o[x] = (uint8_t)((h0[x] * gy + h1[x] * fy + 32768u) >> 16);
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
    /* automatic radius: BD_AUTO_CELLS cells of the model's output, in
     * full-res px. A window must reach past the model's blurred edge (a
     * cell or two each side) to pixels it is sure of before the frame's
     * own edge can decide. bench/quality's sweep (general model, 1280x720
     * still set, one cell = 5 px; boundary F at radius 5, 8, 12, 16, 24,
     * 32 px): 0.50, 0.54, 0.56, 0.58, 0.60, 0.61 before the zoom pass.
     * With the zoom pass (refined, defaults; IoU / boundary F at radius 8,
     * 12, 16, 24, 32, 40, 48, 64): 0.942 / 0.700, 0.943 / 0.719, 0.943 /
     * 0.732, 0.944 / 0.749, 0.944 / 0.757, 0.944 / 0.758, 0.944 / 0.755,
     * 0.943 / 0.746; at the original aspect the peak is also near six
     * cells (0.952 / 0.761). */
    float ratio = fmaxf((float)width / (float)low_width, (float)height / (float)low_height);
    int radius = o.radius ? o.radius : (int)lrintf(BD_AUTO_CELLS * ratio);
    /* The grid: the largest k in {8, 4, 2} whose cells fit twice in the
     * radius, with the grid at least 0.4 of the model's size (a cell at
     * most 2.5 map cells). The coefficients vary smoothly (they are window
     * means), so a coarse grid loses little: at 1280x720, k = 8 instead of
     * 4 moved bench/quality's boundary F from 0.586 to 0.578 and cut the
     * refiner's time 2.4x. With half, 640x480 (its 480x480 crop under the
     * general model's 256x256 map) got k = 2, a grid of 240x240, four
     * times 720p's 160x90, and the refiner cost more there than at 720p;
     * 0.4 gives it k = 4 (bench/cpu-defaults.md). */
    r->kf = 1;
    for (int k = 8; k > 1; k /= 2)
        if (2 * k <= radius && 5 * width >= 2 * k * low_width &&
            5 * height >= 2 * k * low_height) {
            r->kf = k;
            break;
        }
    r->ww = (width + r->kf - 1) / r->kf;
    r->wh = (height + r->kf - 1) / r->kf;
    if (r->kf == 8) {
        r->half_w = (width + 3) / 4;
        r->half_h = (height + 3) / 4;
    }
    r->ws = (r->ww + 15) & ~15;
    bd_refine_geom_init(&r->g, r->kf);
    r->rw = clampi((int)lrintf((float)radius / (float)r->kf), 1, BD_GF_MAX_RADIUS / 2);
    r->fw = clampi((int)lrintf((float)o.feather / (float)r->kf), 0, BD_GF_MAX_RADIUS / 2);
    if (o.feather > 0 && r->fw == 0)
        r->fw = 1;
    r->gw = clampi((int)lrintf((float)abs(o.grow) / (float)r->kf), 0, 64);
    if (o.grow != 0 && r->gw == 0)
        r->gw = 1;
    if (o.grow < 0)
        r->gw = -r->gw;
    bd_refine_coverage_init(&r->cov, o.lo, o.hi);
    r->tp = (struct tparams){.mot0 = BD_MOT0, .mot_span = BD_MOT_SPAN, .jump0 = BD_JUMP0,
                             .jump_span = BD_JUMP_SPAN, .tmin15 = BD_TMIN15, .db7 = BD_DB7,
                             .ythr = BD_YTHR, .rstill = BD_RSTILL};
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

/* The temporal weight on the grid (see the top of the file), stored as the
 * retention rt = 32768 - t (clamped to 32767): t = 1 where the guide moved
 * (the 3x3 maximum of |dY| against the previous grid luma) or the mask
 * jumped, down to tmin where both are still. rconst[y]: the row's value
 * when the row is constant, else -1. */
static void temporal_weights(struct bd_refiner *r)
{
    const int w = r->ww, h = r->wh, s = r->ws;
    const struct tparams *tp = &r->tp;
    const int ms = 32768 / (tp->mot_span > 0 ? tp->mot_span : 1);
    const int js = 32768 / (tp->jump_span > 0 ? tp->jump_span : 1);
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
        const uint8_t *p = r->p + o, *pp = r->p_prev + o;
        int16_t *rt = r->rt + o;
        int lo = 32767, hi = 0;
        for (int x = 0; x < w; x++) {
            int mm = m[x - 1] > m[x] ? m[x - 1] : m[x];
            mm = m[x + 1] > mm ? m[x + 1] : mm;
            int tm = (mm - tp->mot0) * ms;
            int tj = (abs((int)p[x] - (int)pp[x]) - tp->jump0) * js;
            int t = tm > tj ? tm : tj;
            t = t < tp->tmin15 ? tp->tmin15 : t > 32768 ? 32768 : t;
            int v = 32768 - t > 32767 ? 32767 : 32768 - t;
            rt[x] = (int16_t)v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        r->rconst[y] = lo == hi ? lo : -1;
    }
}

/* The saturation class of each grid cell (refine.h, bd_refine_row.cls;
 * computed by the fix16 kernels, cell_class): the range of q4 over every
 * guide value, widened by the rounding of the 16-bit mixes and products
 * (BD_CLS_MARGIN q4 units), against the ranges of q4 whose coverage rounds
 * to 0 (d <= r4/64: c below a quarter level) or to 255. A mix of cells of
 * one class stays in it: the mixes of a and b use the same weights, so q is
 * a convex combination of the cells' q up to that rounding; cells with |a|
 * or |b| above 16383 are never saturated, so the differences in the mixes
 * do not saturate. */

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
static void vmix(const struct bd_refine_kernels *K, const int16_t *p0, const int16_t *p1,
                 int wy15, int16_t *out, int w)
{
    if (p0 == p1 || wy15 == 0)
        memcpy(out, p0, sizeof *out * (size_t)w); /* mulhrs(x, 0) = 0: the same */
    else
        K->vmix(p0, p1, wy15, out, w);
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
    if (r->kf == 8) {
        /* libyuv's box filter allocates a row per call for 1/8 but not for
         * its exact 1/4 and 1/2 paths: two steps, same box up to rounding */
        ScalePlane(guide_y, guide_stride_y, r->w, r->h, r->half, r->half_w, r->half_w,
                   r->half_h, kFilterBox);
        ScalePlane(r->half, r->half_w, r->half_w, r->half_h, r->gy, ws, ww, wh, kFilterBox);
    } else {
        ScalePlane(guide_y, guide_stride_y, r->w, r->h, r->gy, ws, ww, wh, kFilterBox);
    }
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
        /* the means of A (= a * 1024) and B over the window, and b' = b +
         * 128 sum a in 1/4 level (refine.h): (SB + 2 sum SA) / (4 n2) */
        const float n2 = (float)((2 * r2 + 1) * (2 * r2 + 1));
        const float ia = 1.f / n2, ib = 0.25f / n2;
        for (int c = 0; c < NCOEF; c++)
            if (!(c > 0 && c < 3 && na == 1))
                K->box_i32(r->coef[c], ws, ww, wh, r2, r->sum[c], ws, r->scratch);
        const int32_t *const S[4] = {r->sum[0], r->sum[1], r->sum[2], r->sum[3]};
        const int thr0 = r->cov.lo4 + r->cov.r4 / 64;
        const int thr1 = r->cov.lo4 + r->cov.r4 - r->cov.r4 / 64;
        K->fix16(S, plane, na, ia, ib, thr0, thr1, r->q16, r->cls);
    }

    /* 3. temporal weights */
    if (r->o.temporal && r->have_state) {
        temporal_weights(r);
    } else {
        for (int y = 0; y < wh; y++)
            r->rconst[y] = 0; /* the new frame only */
    }
    uint8_t *t8 = r->gy_prev;
    r->gy_prev = r->gy;
    r->gy = t8;
    t8 = r->p_prev;
    r->p_prev = r->p;
    r->p = t8;

    /* 4. apply per full-res row */
    const int16_t *planes[NROW] = {r->q16[0], r->q16[1], r->q16[2], r->q16[3], r->rt};
    struct bd_refine_row row = r->cov;
    row.a[0] = r->row[0];
    row.a[1] = r->row[1];
    row.a[2] = r->row[2];
    row.b = r->row[3];
    row.r = r->row[4];
    row.cls = r->crow;
    row.n = r->w;
    row.db7 = r->o.temporal && r->have_state ? r->tp.db7 : 0;
    row.ythr = r->tp.ythr;
    row.rstill = r->tp.rstill;
    row.yp = NULL;
    row.ys = NULL;
    const float kf = (float)r->kf;
    const int use_color = color && na == 3;
    int cls_y0 = -1; /* the grid row crow was mixed from (y1 follows from y0) */
    for (int y = 0; y < r->h; y++) {
        float fy = ((float)y + 0.5f) / kf - 0.5f;
        if (fy < 0.f)
            fy = 0.f;
        int y0 = (int)fy;
        if (y0 > wh - 1)
            y0 = wh - 1;
        int y1 = y0 + 1 < wh ? y0 + 1 : wh - 1;
        const int wy15 = (int)lrintf((fy - (float)y0) * 32768.f);
        row.r_const = r->rconst[y0] >= 0 && r->rconst[y0] == r->rconst[y1] ? r->rconst[y0] : -1;
        for (int i = 0; i < NROW; i++) {
            if ((i > 0 && i < 3 && !use_color) || (i == 4 && row.r_const >= 0))
                continue;
            vmix(K, planes[i] + (size_t)y0 * (size_t)ws, planes[i] + (size_t)y1 * (size_t)ws,
                 wy15, r->row[i], ww);
        }
        if (y0 != cls_y0) { /* rows come in runs of k with one (y0, y1) */
            cmix(r->cls + (size_t)y0 * (size_t)ws, r->cls + (size_t)y1 * (size_t)ws, r->crow, ww);
            cls_y0 = y0;
        }
        row.y = guide_y + (size_t)y * (size_t)guide_stride_y;
        if (use_color) {
            row.u = guide_u + (size_t)(y / 2) * (size_t)guide_stride_uv;
            row.v = guide_v + (size_t)(y / 2) * (size_t)guide_stride_uv;
        }
        row.prev = row.state = r->state + (size_t)y * (size_t)r->w;
        if (r->o.temporal) {
            row.ys = r->yprev + (size_t)y * (size_t)r->w;
            row.yp = r->have_state ? row.ys : NULL;
        }
        row.dst = dst + (size_t)y * (size_t)dst_stride;
        if (use_color)
            K->apply_yuv(&row, &r->g);
        else
            K->apply_y(&row, &r->g);
    }
    r->have_state = 1;
    return BD_OK;
}
