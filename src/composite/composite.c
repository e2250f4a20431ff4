/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compositing: chroma mask, per-plane blend, backgrounds (solid colour,
 * fitted image, blurred frame), mirror. See composite.h for the contracts.
 *
 * libyuv does the image-background scaling (I420Scale), filling (I420Rect)
 * and mirroring (I420Mirror). The per-frame work (2x2 mask average with odd
 * edges, the /255 blend, the blur's exact-k box downscale, box blur and
 * bilinear upscale fused into the blend) is ours: this file holds the plain
 * C kernels, composite_avx2.c their AVX2 twins, picked once per compositor
 * (composite_kernels.h). The C kernels are plain loops that GCC vectorises
 * where it can; at the Makefile's -O2, GCC 12 uses the "very cheap" cost
 * model, which refuses loops of unknown trip count, so this file asks for
 * the dynamic model.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include "composite/composite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/planar_functions.h>
#include <libyuv/scale.h> /* I420Scale: image backgrounds */

#include "common/error.h"
#include "composite/composite_kernels.h"

#define MAX_DIM 16384

/* ------------------------------------------------------------------------ */
/* Plane helpers                                                             */

void bd_mask_to_chroma(const uint8_t *mask, int mask_stride, uint8_t *dst, int dst_stride,
                       int width, int height)
{
    if (!mask || !dst || width < 1 || height < 1)
        return;
    const int ch = (height + 1) / 2;
    for (int cy = 0; cy < ch; cy++) {
        const uint8_t *r0 = mask + (size_t)(2 * cy) * (size_t)mask_stride;
        const uint8_t *r1 = 2 * cy + 1 < height ? r0 + mask_stride : r0;
        bd_mask_chroma_row_c(r0, r1, dst + (size_t)cy * (size_t)dst_stride, width);
    }
}

void bd_blend_row_c(const uint8_t *f, const uint8_t *b, const uint8_t *m, uint8_t *d, int n)
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
        bd_blend_row_c(fg + (size_t)y * (size_t)fg_stride, bg + (size_t)y * (size_t)bg_stride,
                       mask + (size_t)y * (size_t)mask_stride,
                       dst + (size_t)y * (size_t)dst_stride, width);
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
 * constant window gives back exactly its value. mul <= 21846 and sum <=
 * 129 * 255 both fit 16 bits, which the AVX2 pass relies on. */
uint32_t bd_box_mul(int radius)
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
void bd_box_v_c(const uint8_t *s, int ss, uint8_t *d, int ds, int w, int h, int r,
                uint32_t *cs)
{
    const uint32_t mul = bd_box_mul(r);
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

size_t bd_box_blur_scratch_size(int width, int height)
{
    if (width < 1 || height < 1)
        return 64;
    return 2 * bd_blur_plane_bytes(width, height) +
           (size_t)(width > height ? width : height) * sizeof(uint32_t) + 64;
}

/* The C blur: all vertical passes, then all horizontal ones, ping-ponging
 * between the plane and one scratch plane; 2 x passes is even, so the
 * result ends in the plane. */
void bd_box_blur_c(uint8_t *plane, int stride, int width, int height, int radius, int passes,
                   void *scratch)
{
    uint8_t *tmp = scratch;
    const int ts = (width + 63) & ~63;
    uint32_t *cs = (uint32_t *)(void *)(tmp + 2 * bd_blur_plane_bytes(width, height));
    const uint32_t mul = bd_box_mul(radius);
    uint8_t *cur = plane, *oth = tmp;
    int cs_ = stride, os = ts;
    for (int p = 0; p < 2 * passes; p++) {
        if (p < passes)
            bd_box_v_c(cur, cs_, oth, os, width, height, radius, cs);
        else
            for (int y = 0; y < height; y++)
                box_h(cur + (size_t)y * (size_t)cs_, oth + (size_t)y * (size_t)os, width,
                      radius, mul);
        uint8_t *t = cur;
        cur = oth;
        oth = t;
        int st = cs_;
        cs_ = os;
        os = st;
    }
}

void bd_box_blur_plane(uint8_t *plane, int stride, int width, int height, int radius,
                       int passes, void *scratch)
{
    if (!plane || !scratch || width < 1 || height < 1 || radius <= 0 ||
        radius > BD_BLUR_MAX_RADIUS || passes <= 0)
        return;
    bd_box_blur_c(plane, stride, width, height, radius, passes, scratch);
}

/* k is a constant in each call of this (k = 4, 8), so the block loops
 * unroll and the divisions fold. */
static inline __attribute__((always_inline)) void
downscale_k(const uint8_t *src, int src_stride, uint8_t *dst, int dst_stride, int width,
            int height, const int k)
{
    const int sw = (width + k - 1) / k, sh = (height + k - 1) / k, nfull = width / k;
    for (int sy = 0; sy < sh; sy++) {
        const uint8_t *rp[8];
        for (int j = 0; j < k; j++)
            rp[j] = src + (size_t)clampi(sy * k + j, 0, height - 1) * (size_t)src_stride;
        uint8_t *d = dst + (size_t)sy * (size_t)dst_stride;
        for (int sx = 0; sx < sw; sx++) {
            unsigned sum = 0;
            if (sx < nfull)
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < k; i++)
                        sum += rp[j][sx * k + i];
            else /* the partial block: the last column replicated */
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < k; i++)
                        sum += rp[j][clampi(sx * k + i, 0, width - 1)];
            d[sx] = (uint8_t)((sum + (unsigned)(k * k / 2)) / (unsigned)(k * k));
        }
    }
}

void bd_box_downscale_c(const uint8_t *src, int src_stride, uint8_t *dst, int dst_stride,
                        int width, int height, int k)
{
    if (k == 8)
        downscale_k(src, src_stride, dst, dst_stride, width, height, 8);
    else
        downscale_k(src, src_stride, dst, dst_stride, width, height, 4);
}

void bd_mix_rows_c(const uint8_t *a, const uint8_t *b, int fy, uint16_t *v, int n)
{
    for (int x = 0; x < n; x++)
        v[x] = (uint16_t)(a[x] * (16 - fy) + b[x] * fy);
}

void bd_upscale_row_v_with(const struct bd_composite_kernels *kt, const uint8_t *small,
                           int small_stride, int sw, int sh, int k, int y, uint16_t *v)
{
    /* source row position (y + 0.5)/k - 0.5 = t / 2k with t = 2y + 1 - k;
     * t is odd, so the fraction m / 2k is never 0 and 16 m / 2k is whole */
    const int t = 2 * y + 1 - k, i0 = t >= 0 ? t / (2 * k) : -1;
    const int fy = (t - i0 * 2 * k) * 8 / k;
    const uint8_t *a = small + (size_t)clampi(i0, 0, sh - 1) * (size_t)small_stride;
    const uint8_t *b = small + (size_t)clampi(i0 + 1, 0, sh - 1) * (size_t)small_stride;
    kt->mix_rows(a, b, fy, v, sw);
    v[-1] = v[0];
    v[sw] = v[sw - 1];
}

/* Output x sits at source (x + 0.5)/k - 0.5: the k outputs from k*i + k/2
 * on mix v[i] and v[i+1] with weights (2j + 1)/2k, j < k, i.e. (2j + 1) *
 * 8/k sixteenths; i = -1 mixes the edge padding. k is a constant in each
 * call (4, 8), so the j loop unrolls; only the first and last blocks are
 * partial. */
static inline __attribute__((always_inline)) void up_h_k(const uint16_t *v, uint8_t *out,
                                                         int n, const int k)
{
    for (int i = -1, x0 = -k / 2; x0 < n; i++, x0 += k) {
        const int a = v[i], b = v[i + 1];
        if (x0 >= 0 && x0 + k <= n) {
            for (int j = 0; j < k; j++)
                out[x0 + j] = (uint8_t)((a * (16 - (2 * j + 1) * 8 / k) +
                                         b * ((2 * j + 1) * 8 / k) + 128) >> 8);
            continue;
        }
        for (int j = 0; j < k; j++) {
            const int x = x0 + j, fx = (2 * j + 1) * 8 / k;
            if (x >= 0 && x < n)
                out[x] = (uint8_t)((a * (16 - fx) + b * fx + 128) >> 8);
        }
    }
}

void bd_upscale_row_h_c(const uint16_t *v, uint8_t *out, int n, int k)
{
    if (k == 8)
        up_h_k(v, out, n, 8);
    else
        up_h_k(v, out, n, 4);
}

void bd_blend_up_row_c(const uint8_t *f, const uint16_t *v, int k, const uint8_t *m,
                       uint8_t *d, int n, uint8_t *row)
{
    bd_upscale_row_h_c(v, row, n, k);
    bd_blend_row_c(f, row, m, d, n);
}

void bd_mask_chroma_row_c(const uint8_t *r0, const uint8_t *r1, uint8_t *d, int width)
{
    const int half = width / 2;
    for (int x = 0; x < half; x++) {
        unsigned s = (unsigned)r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1];
        d[x] = (uint8_t)((s + 2u) >> 2);
    }
    if (width & 1) /* odd width: the last column replicated */
        d[half] = (uint8_t)(((unsigned)r0[width - 1] + r1[width - 1] + 1u) >> 1);
}

/* ---- halo-free blur: 16-bit box passes, premultiply, ratio ------------- */

/* One vertical 16-bit pass, src plane → dst plane (strides in elements). */
void bd_box_v16_c(const uint16_t *s, int ss, uint16_t *d, int ds, int w, int h, int r,
                  uint32_t *cs)
{
    const uint32_t mul = bd_box_mul16(r);
    memset(cs, 0, (size_t)w * sizeof *cs);
    for (int i = -r; i <= r; i++) {
        const uint16_t *row = s + (size_t)clampi(i, 0, h - 1) * (size_t)ss;
        for (int x = 0; x < w; x++)
            cs[x] += row[x];
    }
    for (int y = 0; y < h; y++) {
        uint16_t *out = d + (size_t)y * (size_t)ds;
        /* cs <= (2r+1) 65535 and mul <= 2^16 / (2r+1): cs * mul + 2^15 < 2^32 */
        for (int x = 0; x < w; x++)
            out[x] = (uint16_t)((cs[x] * mul + 32768u) >> 16);
        const uint16_t *add = s + (size_t)(y + r + 1 < h ? y + r + 1 : h - 1) * (size_t)ss;
        const uint16_t *sub = s + (size_t)(y - r > 0 ? y - r : 0) * (size_t)ss;
        for (int x = 0; x < w; x++)
            cs[x] = cs[x] + add[x] - sub[x];
    }
}

static void box_h16(const uint16_t *s, uint16_t *d, int w, int r, uint32_t mul)
{
    uint32_t sum = 0;
    for (int i = -r; i <= r; i++)
        sum += s[clampi(i, 0, w - 1)];
    for (int x = 0; x < w; x++) {
        d[x] = (uint16_t)((sum * mul + 32768u) >> 16);
        sum += s[x + r + 1 < w ? x + r + 1 : w - 1];
        sum -= s[x - r > 0 ? x - r : 0];
    }
}

size_t bd_box_blur16_scratch_size(int width, int height)
{
    if (width < 1 || height < 1)
        return 64;
    return 2 * bd_blur16_plane_bytes(width, height) +
           (size_t)(width > height ? width : height) * sizeof(uint32_t) + 64;
}

void bd_box_blur16_c(uint16_t *plane, int stride, int width, int height, int radius,
                     int passes, void *scratch)
{
    if (radius <= 0 || passes <= 0)
        return;
    uint16_t *tmp = scratch;
    const int ts = (width + 31) & ~31;
    uint32_t *cs =
        (uint32_t *)(void *)((unsigned char *)scratch + 2 * bd_blur16_plane_bytes(width, height));
    const uint32_t mul = bd_box_mul16(radius);
    uint16_t *cur = plane, *oth = tmp;
    int cst = stride, ost = ts;
    for (int p = 0; p < 2 * passes; p++) {
        if (p < passes)
            bd_box_v16_c(cur, cst, oth, ost, width, height, radius, cs);
        else
            for (int y = 0; y < height; y++)
                box_h16(cur + (size_t)y * (size_t)cst, oth + (size_t)y * (size_t)ost, width,
                        radius, mul);
        uint16_t *t = cur;
        cur = oth;
        oth = t;
        int st = cst;
        cst = ost;
        ost = st;
    }
}

void bd_premul_row_c(const uint8_t *a, const uint8_t *m, uint16_t *num, uint16_t *den, int n)
{
    for (int x = 0; x < n; x++) {
        const unsigned m2 = 2u * m[x], w = 257u - (m2 > 255u ? 255u : m2);
        num[x] = (uint16_t)(a[x] * w);
        den[x] = (uint16_t)(255u * w);
    }
}

void bd_ratio_row_c(const uint16_t *num, const uint16_t *den, uint8_t *d, int n)
{
    for (int x = 0; x < n; x++) {
        if (den[x] == 0) {
            d[x] = 0;
            continue;
        }
        const float q = (float)(int)(num[x] * 255u) / (float)den[x];
        const int r = (int)(q + 0.5f);
        d[x] = (uint8_t)(r > 255 ? 255 : r);
    }
}

/* ---- light wrap --------------------------------------------------------- */

static inline uint8_t blend1(unsigned m, unsigned f, unsigned b)
{
    uint16_t t = (uint16_t)(m * f + (255u - m) * b + 128u);
    return (uint8_t)((uint16_t)(t + (t >> 8)) >> 8);
}

void bd_blend_wrap_row_c(const uint8_t *f, const uint8_t *b, const uint16_t *vb, int kb,
                         const uint16_t *vl, int kl, int s8, const uint8_t *m, uint8_t *d,
                         int n, uint8_t *row)
{
    const int n32 = (n + 31) & ~31;
    uint8_t *rb = row, *rl = row + n32;
    bd_upscale_row_h_c(vb, rb, n, kb);
    bd_upscale_row_h_c(vl, rl, n, kl);
    const uint8_t *bg = b ? b : rb;
    for (int x = 0; x < n; x++) {
        const unsigned l2 = 2u * (255u - rl[x]);
        const unsigned ww = ((l2 > 255u ? 255u : l2) * (unsigned)s8 + 128u) >> 8;
        const uint8_t fp = blend1(ww, rb[x], f[x]);
        d[x] = blend1(m[x], fp, bg[x]);
    }
}

void bd_scale_row_c(const uint8_t *s, int s8, uint8_t *d, int n)
{
    for (int x = 0; x < n; x++)
        d[x] = (uint8_t)((s[x] * (unsigned)s8 + 128u) >> 8);
}

/* ---- hologram ----------------------------------------------------------- */

void bd_holo_y_row_c(const uint8_t *s, uint8_t *d, int n, int a, int b)
{
    for (int x = 0; x < n; x++)
        d[x] = (uint8_t)(((unsigned)a * s[x] + (unsigned)b) >> 8);
}

void bd_holo_c_row_c(const uint8_t *s, const uint8_t *yc, uint8_t *d, int n, int c0, int c1,
                     int bias)
{
    for (int x = 0; x < n; x++) {
        const int t = c0 * s[x] + c1 * yc[x] + bias;
        d[x] = (uint8_t)(t < 0 ? 0 : t >= 256 * 64 ? 255 : t / 64);
    }
}

static const struct bd_composite_kernels kernels_c = {
    .name = "base",
    .blend_row = bd_blend_row_c,
    .mask_chroma_row = bd_mask_chroma_row_c,
    .downscale = bd_box_downscale_c,
    .blur = bd_box_blur_c,
    .upscale_row_h = bd_upscale_row_h_c,
    .blend_up_row = bd_blend_up_row_c,
    .mix_rows = bd_mix_rows_c,
    .blur16 = bd_box_blur16_c,
    .premul_row = bd_premul_row_c,
    .ratio_row = bd_ratio_row_c,
    .blend_wrap_row = bd_blend_wrap_row_c,
    .scale_row = bd_scale_row_c,
    .holo_y_row = bd_holo_y_row_c,
    .holo_c_row = bd_holo_c_row_c,
};

void bd_upscale_row_v(const uint8_t *small, int small_stride, int sw, int sh, int k, int y,
                      uint16_t *v)
{
    bd_upscale_row_v_with(&kernels_c, small, small_stride, sw, sh, k, y, v);
}

#if defined(__x86_64__) || defined(__i386__)
static int have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

const struct bd_composite_kernels *bd_composite_kernels_for(const char *isa)
{
    if (!isa || strcmp(isa, "base") == 0)
        return &kernels_c;
#if defined(__x86_64__) || defined(__i386__)
    if (strcmp(isa, "avx2") == 0 && have_avx2())
        return &bd_composite_kernels_avx2;
#endif
#if defined(__wasm_simd128__)
    if (strcmp(isa, "simd128") == 0)
        return &bd_composite_kernels_simd128;
#endif
    return NULL;
}

const struct bd_composite_kernels *bd_composite_kernels_default(void)
{
    /* read when a compositor is created, never per frame */
    const char *env = getenv("BACKDROP_COMPOSITE_ISA");
    if (env) {
        const struct bd_composite_kernels *k = bd_composite_kernels_for(env);
        if (k)
            return k;
    }
    const struct bd_composite_kernels *k = bd_composite_kernels_for("avx2");
    if (!k)
        k = bd_composite_kernels_for("simd128");
    return k ? k : &kernels_c;
}

/* ------------------------------------------------------------------------ */
/* The compositor                                                            */

struct bd_compositor {
    int w, h, cw, ch;
    const struct bd_composite_kernels *k; /* chosen once at create */
    struct bd_composite_options opt;
    int wrap_s8;          /* light_wrap in 256ths */
    struct bd_i420 bg;    /* current background, W x H (not kept up to date in blur mode) */
    struct bd_i420 out;   /* blend result before mirroring, W x H */
    uint8_t *mask_c;      /* chroma-size mask */
    int mask_c_stride;
    /* blur mode: the frame at 1/blur_k per plane (Y: ceil(W/k) x ceil(H/k),
     * U/V: ceil(cw/k) x ceil(ch/k)), laid out for the larger k = 4 */
    int blur_mode, blur_k;
    struct bd_i420 small;
    int small_cw, small_ch;
    void *blur_scratch;   /* bd_box_blur_scratch_size at the small Y size */
    /* the mask at 1/4, 1/8, 1/16 (each a 2x2 mean of the one before) */
    uint8_t *m4, *m8, *m16;
    int m4_stride, m8_stride, m16_stride;
    /* m4 and m8 are of this mask (set by the halo-free blur, for the
     * frame's light wrap to reuse; cleared once used) */
    const uint8_t *pyr_mask;
    int pyr_stride;
    /* halo-free blur: numerators Y, U, V and denominators Y, U/V (1/4 sizes) */
    uint16_t *num_y, *num_u, *num_v, *den_y, *den_c;
    int n16_stride_y, n16_stride_c;
    void *blur16_scratch; /* bd_box_blur16_scratch_size at the small Y size */
    /* light wrap: the blurred image/colour background at 1/4 */
    struct bd_i420 wrap_bg;
    /* hologram: the person layer of this frame, W x H */
    struct bd_i420 holo;
    int holo_frame;       /* frame counter: the scan lines move and flicker */
    double holo_ya[4];    /* Y' = a Y + b: a = [0] + [1] f, b = [2] + [3] f (scan factor f) */
    int holo_cu[3], holo_cv[3]; /* U', V': c0, c1, bias (see holo_c_row) */
    int holo_period, holo_band, holo_gx, holo_gy, holo_g8;
    uint16_t *vrow;       /* upscale: one vertical mix row, small Y width + padding */
    uint16_t *vrow_b;     /* light wrap: the wrap background's vertical mix */
    uint16_t *vrow_l;     /* light wrap: the blurred mask's vertical mix */
    uint8_t *bgrow;       /* 4 rows of W rounded up to 32 (+32) */
    int row_bytes;
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

static uint8_t *take8(unsigned char *mem, size_t *off, int w, int h, int *stride)
{
    *stride = align64(w);
    uint8_t *p = mem ? mem + *off : NULL;
    *off += (size_t)*stride * (size_t)h;
    return p;
}

static uint16_t *take16(unsigned char *mem, size_t *off, int stride, int h)
{
    uint16_t *p = mem ? (uint16_t *)(void *)(mem + *off) : NULL;
    *off += ((size_t)stride * (size_t)h * 2 + 63) & ~(size_t)63;
    return p;
}

static size_t layout(struct bd_compositor *c, unsigned char *mem)
{
    size_t off = 0;
    layout_i420(&c->bg, c->w, c->h, mem, &off);
    layout_i420(&c->out, c->w, c->h, mem, &off);
    layout_i420(&c->holo, c->w, c->h, mem, &off);
    c->mask_c_stride = align64(c->cw);
    c->mask_c = mem ? mem + off : NULL;
    off += (size_t)c->mask_c_stride * (size_t)c->ch;
    /* small planes for k = 4 (k = 8 fits in them); the chroma planes are
     * ceil(cw/4) x ceil(ch/4), which layout_i420's ceil(sw/2) x ceil(sh/2)
     * always covers */
    const int sw = (c->w + 3) / 4, sh = (c->h + 3) / 4;
    const int scw = (c->cw + 3) / 4, sch = (c->ch + 3) / 4;
    layout_i420(&c->small, sw, sh, mem, &off);
    layout_i420(&c->wrap_bg, sw, sh, mem, &off);
    const size_t scratch = bd_box_blur_scratch_size(sw, sh);
    c->blur_scratch = mem ? mem + off : NULL;
    off += (scratch + 63) & ~(size_t)63;
    c->m4 = take8(mem, &off, sw, sh, &c->m4_stride);
    c->m8 = take8(mem, &off, (c->w + 7) / 8, (c->h + 7) / 8, &c->m8_stride);
    c->m16 = take8(mem, &off, (c->w + 15) / 16, (c->h + 15) / 16, &c->m16_stride);
    c->n16_stride_y = (sw + 31) & ~31;
    c->n16_stride_c = (scw + 31) & ~31;
    c->num_y = take16(mem, &off, c->n16_stride_y, sh);
    c->den_y = take16(mem, &off, c->n16_stride_y, sh);
    c->num_u = take16(mem, &off, c->n16_stride_c, sch);
    c->num_v = take16(mem, &off, c->n16_stride_c, sch);
    c->den_c = take16(mem, &off, c->n16_stride_c, sch);
    const size_t scratch16 = bd_box_blur16_scratch_size(sw, sh);
    c->blur16_scratch = mem ? mem + off : NULL;
    off += (scratch16 + 63) & ~(size_t)63;
    /* v[-1] .. v[sw], and the AVX2 row kernel reads up to 16 past n/k */
    uint16_t **vr[3] = {&c->vrow, &c->vrow_b, &c->vrow_l};
    for (int i = 0; i < 3; i++) {
        *vr[i] = mem ? (uint16_t *)(void *)(mem + off) + 8 : NULL;
        off += (size_t)align64((sw + 48) * 2);
    }
    c->row_bytes = align64(c->w + 32);
    c->bgrow = mem ? mem + off : NULL;
    off += 4 * (size_t)c->row_bytes;
    return off;
}

/* Hologram constants for this frame size (see set_holo_coeffs). */
static void holo_setup(struct bd_compositor *c);

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
    c->k = bd_composite_kernels_default();
    size_t size = layout(c, NULL);
    c->mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
    if (!c->mem) {
        free(c);
        return bd_fail(BD_ERR_NOMEM, "compositor: cannot allocate %zu bytes for %dx%d", size,
                       width, height);
    }
    /* zeroed: the AVX2 upscale reads (and discards) a few samples past the
     * row it mixes; they must be initialised */
    memset(c->mem, 0, size);
    layout(c, c->mem);
    const struct bd_composite_options def = BD_COMPOSITE_OPTIONS_DEFAULT;
    bd_compositor_set_options(c, &def);
    holo_setup(c);
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

/* Small (blurred) plane p (0 Y, 1 U, 2 V) and its size. */
static const uint8_t *small_plane(const struct bd_compositor *c, int p, int *sw, int *sh,
                                  int *stride)
{
    const struct bd_i420 *s = &c->small;
    if (p == 0) {
        *sw = (c->w + c->blur_k - 1) / c->blur_k;
        *sh = (c->h + c->blur_k - 1) / c->blur_k;
        *stride = s->stride_y;
        return s->y;
    }
    *sw = c->small_cw;
    *sh = c->small_ch;
    *stride = p == 1 ? s->stride_u : s->stride_v;
    return p == 1 ? s->u : s->v;
}

/* Row y of the upscaled blurred plane p into comp->bgrow (n samples). */
static const uint8_t *blur_row(struct bd_compositor *c, int p, int y, int n)
{
    int sw, sh, ss;
    const uint8_t *sp = small_plane(c, p, &sw, &sh, &ss);
    bd_upscale_row_v_with(c->k, sp, ss, sw, sh, c->blur_k, y, c->vrow);
    c->k->upscale_row_h(c->vrow, c->bgrow, n, c->blur_k);
    return c->bgrow;
}

struct bd_i420_view bd_compositor_background(struct bd_compositor *comp)
{
    struct bd_i420_view v = {0};
    if (comp) {
        if (comp->blur_mode) {
            /* frames interpolate the blurred background on the fly; it is
             * only materialised for this caller */
            const struct bd_i420 *b = &comp->bg;
            for (int p = 0; p < 3; p++) {
                const int pw = p ? comp->cw : comp->w, ph = p ? comp->ch : comp->h;
                uint8_t *d = p == 0 ? b->y : p == 1 ? b->u : b->v;
                const int ds = p == 0 ? b->stride_y : p == 1 ? b->stride_u : b->stride_v;
                for (int y = 0; y < ph; y++)
                    memcpy(d + (size_t)y * (size_t)ds, blur_row(comp, p, y, pw), (size_t)pw);
            }
        }
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
    /* the light wrap's blurred background: the same colour */
    const struct bd_i420 *wb = &comp->wrap_bg;
    I420Rect(wb->y, wb->stride_y, wb->u, wb->stride_u, wb->v, wb->stride_v, 0, 0, wb->width,
             wb->height, y, u, v);
    comp->blur_mode = 0;
    comp->pyr_mask = NULL;
    return BD_OK;
}

/* ---- options -------------------------------------------------------------- */

enum bd_status bd_compositor_set_options(struct bd_compositor *comp,
                                         const struct bd_composite_options *o)
{
    if (!comp || !o)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: NULL options");
    if (!(o->light_wrap >= 0.0f && o->light_wrap <= 1.0f)) /* NaN too */
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: light wrap %g out of 0..1",
                       (double)o->light_wrap);
    comp->opt = *o;
    comp->opt.halo_free = o->halo_free != 0;
    comp->opt.hologram = o->hologram != 0;
    comp->wrap_s8 = (int)(o->light_wrap * 256.0f + 0.5f);
    return BD_OK;
}

struct bd_composite_options bd_compositor_options(const struct bd_compositor *comp)
{
    struct bd_composite_options o = BD_COMPOSITE_OPTIONS_DEFAULT;
    return comp ? comp->opt : o;
}

/* The light wrap's blurred background for an image: the fitted image at
 * 1/4, blurred (3 passes, radius 3 on Y and 2 on U/V at 1/4: about 14
 * frame pixels of standard deviation). Once per set_image. */
#define WRAP_BG_RADIUS 3
static void wrap_bg_from_image(struct bd_compositor *c)
{
    const struct bd_i420 *b = &c->bg, *s = &c->wrap_bg;
    const int sw = (c->w + 3) / 4, sh = (c->h + 3) / 4;
    const int scw = (c->cw + 3) / 4, sch = (c->ch + 3) / 4;
    c->k->downscale(b->y, b->stride_y, s->y, s->stride_y, c->w, c->h, 4);
    c->k->downscale(b->u, b->stride_u, s->u, s->stride_u, c->cw, c->ch, 4);
    c->k->downscale(b->v, b->stride_v, s->v, s->stride_v, c->cw, c->ch, 4);
    c->k->blur(s->y, s->stride_y, sw, sh, WRAP_BG_RADIUS, 3, c->blur_scratch);
    c->k->blur(s->u, s->stride_u, scw, sch, (WRAP_BG_RADIUS + 1) / 2, 3, c->blur_scratch);
    c->k->blur(s->v, s->stride_v, scw, sch, (WRAP_BG_RADIUS + 1) / 2, 3, c->blur_scratch);
}

/* ---- hologram constants ------------------------------------------------- */

/* The seed's hologram, in I420: holo = winter colour map of the luma
 * (RGB (0, t, 1 - t/2), t = (Y-16)/219: dark → blue, bright → green),
 * scan-line rows darkened to 10-30% (random per row and frame), out =
 * 0.5 x original + 0.6 x holo. The colour map is affine in t, hence in Y,
 * and BT.601 is linear, so each plane is an affine map: Y' from Y (with
 * the row's scan factor f), U'/V' from U/V and the 2x2 mean luma. */
#define HOLO_ORIG 0.5
#define HOLO_MAP 0.6
#define HOLO_GHOST 0.25

static void holo_setup(struct bd_compositor *c)
{
    uint8_t y0, u0, v0, y1, u1, v1;
    bd_rgb_to_yuv601(0, 0, 255, &y0, &u0, &v0);   /* winter, t = 0 */
    bd_rgb_to_yuv601(0, 255, 127, &y1, &u1, &v1); /* winter, t = 1 */
    /* Y' = 16 + O (Y - 16) + M f (y0 - 16 + (y1 - y0) (Y - 16) / 219) */
    const double gy = (y1 - y0) / 219.0;
    c->holo_ya[0] = HOLO_ORIG;
    c->holo_ya[1] = HOLO_MAP * gy;
    c->holo_ya[2] = 16.0 - 16.0 * HOLO_ORIG;
    c->holo_ya[3] = HOLO_MAP * (y0 - 16.0 - 16.0 * gy);
    /* X' = 128 + O (X - 128) + M (x0 - 128 + (x1 - x0) (Yc - 16) / 219), in 64ths */
    const int xs0[2] = {u0, v0}, xs1[2] = {u1, v1};
    int *dst[2] = {c->holo_cu, c->holo_cv};
    for (int i = 0; i < 2; i++) {
        const double g = HOLO_MAP * (xs1[i] - xs0[i]) / 219.0;
        dst[i][0] = (int)(64 * HOLO_ORIG + 0.5);
        dst[i][1] = (int)lround(64 * g);
        dst[i][2] = (int)lround(64 * (128.0 - 128.0 * HOLO_ORIG +
                                      HOLO_MAP * (xs0[i] - 128.0) - 16.0 * g)) + 32;
    }
    /* scan lines: 2 rows of 5 at 720p, scaled with the height */
    c->holo_period = (c->h + 72) / 144 < 3 ? 3 : (c->h + 72) / 144;
    c->holo_band = 2 * c->holo_period / 5 < 1 ? 1 : 2 * c->holo_period / 5;
    /* the ghost: offset right and up, even so chroma stays aligned */
    c->holo_gx = 2 * ((c->w + 128) / 256 < 1 ? 1 : (c->w + 128) / 256);
    c->holo_gy = -2 * ((c->h + 144) / 288 < 1 ? 1 : (c->h + 144) / 288);
    c->holo_g8 = (int)(HOLO_GHOST * 256 + 0.5);
}

static uint32_t hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* Y' = (a Y + b) >> 8 for row y of this frame. */
static void holo_row_coeffs(const struct bd_compositor *c, int y, int *a, int *b)
{
    double f = 1.0;
    const int phase = c->holo_frame / 2;
    if ((y + phase) % c->holo_period < c->holo_band)
        f = 0.1 + 0.2 * (hash32((uint32_t)y * 2654435761u ^ (uint32_t)c->holo_frame) >> 8) /
                      16777216.0;
    *a = (int)lround(256 * (c->holo_ya[0] + c->holo_ya[1] * f));
    *b = (int)lround(256 * (c->holo_ya[2] + c->holo_ya[3] * f)) + 128;
    if (*b < 0)
        *b = 0;
}

/* The hologram of frame into comp->holo (all planes). */
static void make_holo(struct bd_compositor *c, const struct bd_i420_view *f)
{
    const struct bd_composite_kernels *k = c->k;
    const struct bd_i420 *H = &c->holo;
    for (int y = 0; y < c->h; y++) {
        int a, b;
        holo_row_coeffs(c, y, &a, &b);
        k->holo_y_row(f->y + (size_t)y * (size_t)f->stride_y, H->y + (size_t)y * (size_t)H->stride_y,
                      c->w, a, b);
    }
    uint8_t *yc = c->bgrow + 3 * (size_t)c->row_bytes;
    for (int cy = 0; cy < c->ch; cy++) {
        const uint8_t *r0 = f->y + (size_t)(2 * cy) * (size_t)f->stride_y;
        const uint8_t *r1 = 2 * cy + 1 < c->h ? r0 + f->stride_y : r0;
        k->mask_chroma_row(r0, r1, yc, c->w); /* the 2x2 mean luma */
        k->holo_c_row(f->u + (size_t)cy * (size_t)f->stride_u, yc,
                      H->u + (size_t)cy * (size_t)H->stride_u, c->cw, c->holo_cu[0],
                      c->holo_cu[1], c->holo_cu[2]);
        k->holo_c_row(f->v + (size_t)cy * (size_t)f->stride_v, yc,
                      H->v + (size_t)cy * (size_t)H->stride_v, c->cw, c->holo_cv[0],
                      c->holo_cv[1], c->holo_cv[2]);
    }
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

enum bd_status bd_i420_fit(const struct bd_i420_view *image, enum bd_fit fit,
                           const struct bd_i420 *d)
{
    if (!view_ok(image) || !d || d->width < 1 || d->height < 1)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: invalid background image");
    const int W = d->width, H = d->height, sw = image->width, sh = image->height;
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

enum bd_status bd_compositor_set_image(struct bd_compositor *comp,
                                       const struct bd_i420_view *image, enum bd_fit fit)
{
    if (!comp)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: invalid background image");
    int r = bd_i420_fit(image, fit, &comp->bg);
    if (r != BD_OK)
        return r;
    comp->blur_mode = 0;
    wrap_bg_from_image(comp);
    return BD_OK;
}

/* The mask at 1/4 (m4), 1/8 (m8) and, with levels 3, 1/16 (m16). */
static void mask_pyramid(struct bd_compositor *c, const uint8_t *mask, int ms, int levels)
{
    const struct bd_composite_kernels *k = c->k;
    int w = (c->w + 3) / 4, h = (c->h + 3) / 4;
    k->downscale(mask, ms, c->m4, c->m4_stride, c->w, c->h, 4);
    uint8_t *src = c->m4, *dst = c->m8;
    int ss = c->m4_stride, ds = c->m8_stride;
    for (int l = 1; l < levels; l++) {
        for (int y = 0; y < (h + 1) / 2; y++) {
            const uint8_t *r0 = src + (size_t)(2 * y) * (size_t)ss;
            k->mask_chroma_row(r0, 2 * y + 1 < h ? r0 + ss : r0, dst + (size_t)y * (size_t)ds,
                               w);
        }
        w = (w + 1) / 2;
        h = (h + 1) / 2;
        src = dst;
        ss = ds;
        dst = c->m16;
        ds = c->m16_stride;
    }
}

/* Halo-free: the small planes (the frame at 1/k) become blur(a w) /
 * blur(w) with w = 257 - mask at 1/k (composite.h). */
static void halo_free_blur(struct bd_compositor *c, const uint8_t *mask, int ms, int k,
                           int ry, int rc)
{
    const struct bd_composite_kernels *kk = c->k;
    mask_pyramid(c, mask, ms, k == 8 ? 3 : 2);
    const uint8_t *my = k == 4 ? c->m4 : c->m8, *mc = k == 4 ? c->m8 : c->m16;
    const int mys = k == 4 ? c->m4_stride : c->m8_stride;
    const int mcs = k == 4 ? c->m8_stride : c->m16_stride;
    struct bd_i420 *s = &c->small;
    const int sw = (c->w + k - 1) / k, sh = (c->h + k - 1) / k;
    const int scw = c->small_cw, sch = c->small_ch, ny = c->n16_stride_y, nc = c->n16_stride_c;
    for (int y = 0; y < sh; y++)
        kk->premul_row(s->y + (size_t)y * (size_t)s->stride_y, my + (size_t)y * (size_t)mys,
                       c->num_y + (size_t)y * (size_t)ny, c->den_y + (size_t)y * (size_t)ny, sw);
    for (int y = 0; y < sch; y++) {
        const uint8_t *m = mc + (size_t)y * (size_t)mcs;
        uint16_t *den = c->den_c + (size_t)y * (size_t)nc;
        kk->premul_row(s->u + (size_t)y * (size_t)s->stride_u, m,
                       c->num_u + (size_t)y * (size_t)nc, den, scw);
        kk->premul_row(s->v + (size_t)y * (size_t)s->stride_v, m,
                       c->num_v + (size_t)y * (size_t)nc, den, scw);
    }
    if (ry > 0) {
        kk->blur16(c->num_y, ny, sw, sh, ry, 3, c->blur16_scratch);
        kk->blur16(c->den_y, ny, sw, sh, ry, 3, c->blur16_scratch);
        kk->blur16(c->num_u, nc, scw, sch, rc, 3, c->blur16_scratch);
        kk->blur16(c->num_v, nc, scw, sch, rc, 3, c->blur16_scratch);
        kk->blur16(c->den_c, nc, scw, sch, rc, 3, c->blur16_scratch);
    }
    for (int y = 0; y < sh; y++)
        kk->ratio_row(c->num_y + (size_t)y * (size_t)ny, c->den_y + (size_t)y * (size_t)ny,
                      s->y + (size_t)y * (size_t)s->stride_y, sw);
    for (int y = 0; y < sch; y++) {
        const uint16_t *den = c->den_c + (size_t)y * (size_t)nc;
        kk->ratio_row(c->num_u + (size_t)y * (size_t)nc, den,
                      s->u + (size_t)y * (size_t)s->stride_u, scw);
        kk->ratio_row(c->num_v + (size_t)y * (size_t)nc, den,
                      s->v + (size_t)y * (size_t)s->stride_v, scw);
    }
}

/*
 * The blurred background is only computed at 1/k: downscale, blur, and the
 * frame's blend interpolates it back up row by row (blur_row), so the full-
 * size blurred planes are never written or read. k = 8 from strength
 * BD_BLUR_K8_FROM on, at half the radius: the same blur in full-size
 * pixels (a box of 2r+1 at 1/4 spans what one of r+1 does at 1/8) on a
 * quarter of the samples, and a blur that wide has nothing left at the
 * 1/8 grid's frequencies for bilinear interpolation to alias.
 */
enum bd_status bd_composite_blur(struct bd_compositor *comp, const struct bd_i420_view *frame,
                                 const uint8_t *mask, int mask_stride, int strength)
{
    if (!comp || !view_ok(frame) || frame->width != comp->w || frame->height != comp->h ||
        (mask && mask_stride < comp->w))
        return bd_fail(BD_ERR_INVALID_ARG,
                       "compositor: frame (and mask) must be valid %dx%d planes",
                       comp ? comp->w : 0, comp ? comp->h : 0);
    if (strength < 0 || strength > BD_BLUR_MAX_RADIUS)
        return bd_fail(BD_ERR_INVALID_ARG, "compositor: blur strength %d out of 0..%d",
                       strength, BD_BLUR_MAX_RADIUS);
    const int k = bd_blur_downscale(strength), ry = bd_blur_radius(strength);
    const int rc = (ry + 1) / 2; /* chroma is at half resolution */
    struct bd_i420 *s = &comp->small;
    comp->blur_k = k;
    comp->small_cw = (comp->cw + k - 1) / k;
    comp->small_ch = (comp->ch + k - 1) / k;
    const int sw = (comp->w + k - 1) / k, sh = (comp->h + k - 1) / k;
    comp->k->downscale(frame->y, frame->stride_y, s->y, s->stride_y, comp->w, comp->h, k);
    comp->k->downscale(frame->u, frame->stride_u, s->u, s->stride_u, comp->cw, comp->ch, k);
    comp->k->downscale(frame->v, frame->stride_v, s->v, s->stride_v, comp->cw, comp->ch, k);
    comp->pyr_mask = NULL;
    if (mask && comp->opt.halo_free) {
        halo_free_blur(comp, mask, mask_stride, k, ry, rc);
        comp->pyr_mask = mask;
        comp->pyr_stride = mask_stride;
    } else if (ry > 0) {
        comp->k->blur(s->y, s->stride_y, sw, sh, ry, 3, comp->blur_scratch);
        comp->k->blur(s->u, s->stride_u, comp->small_cw, comp->small_ch, rc, 3,
                      comp->blur_scratch);
        comp->k->blur(s->v, s->stride_v, comp->small_cw, comp->small_ch, rc, 3,
                      comp->blur_scratch);
    }
    comp->blur_mode = 1;
    return BD_OK;
}

/* The light wrap's mask: the mask at 1/4 (for Y) and 1/8 (for U/V, i.e.
 * 1/4 of chroma), blurred in place: 3 passes at radius rw = round(H/240)
 * (1..8) on Y and (rw+1)/2 on U/V, about 14 frame pixels of standard
 * deviation at 720p. */
static void wrap_mask(struct bd_compositor *c, const uint8_t *mask, int ms)
{
    if (mask != c->pyr_mask || ms != c->pyr_stride)
        mask_pyramid(c, mask, ms, 2);
    c->pyr_mask = NULL; /* blurred in place below */
    int rw = (c->h + 120) / 240;
    rw = rw < 1 ? 1 : rw > 8 ? 8 : rw;
    c->k->blur(c->m4, c->m4_stride, (c->w + 3) / 4, (c->h + 3) / 4, rw, 3, c->blur_scratch);
    c->k->blur(c->m8, c->m8_stride, (c->w + 7) / 8, (c->h + 7) / 8, (rw + 1) / 2, 3,
               c->blur_scratch);
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
    const struct bd_composite_kernels *k = comp->k;
    const int wrap = comp->wrap_s8 > 0, holo = comp->opt.hologram;
    for (int cy = 0; cy < comp->ch; cy++) {
        const uint8_t *r0 = mask + (size_t)(2 * cy) * (size_t)mask_stride;
        const uint8_t *r1 = 2 * cy + 1 < comp->h ? r0 + mask_stride : r0;
        k->mask_chroma_row(r0, r1, comp->mask_c + (size_t)cy * (size_t)comp->mask_c_stride,
                           comp->w);
    }
    if (wrap)
        wrap_mask(comp, mask, mask_stride);
    comp->pyr_mask = NULL;
    if (holo) {
        comp->holo_frame++;
        make_holo(comp, frame);
    }
    /* the person layer: the frame or its hologram */
    const struct bd_i420 *H = &comp->holo;
    uint8_t *row0 = comp->bgrow, *ghost_bg = comp->bgrow + 3 * (size_t)comp->row_bytes;
    for (int p = 0; p < 3; p++) {
        const int pw = p ? comp->cw : comp->w, ph = p ? comp->ch : comp->h;
        const uint8_t *f = holo ? (p == 0 ? H->y : p == 1 ? H->u : H->v)
                                : (p == 0 ? frame->y : p == 1 ? frame->u : frame->v);
        const int fs = holo ? (p == 0 ? H->stride_y : p == 1 ? H->stride_u : H->stride_v)
                            : (p == 0 ? frame->stride_y : p == 1 ? frame->stride_u
                                                                 : frame->stride_v);
        const uint8_t *bp = p == 0 ? b->y : p == 1 ? b->u : b->v;
        const int bs = p == 0 ? b->stride_y : p == 1 ? b->stride_u : b->stride_v;
        uint8_t *d = p == 0 ? t->y : p == 1 ? t->u : t->v;
        const int ds = p == 0 ? t->stride_y : p == 1 ? t->stride_u : t->stride_v;
        const uint8_t *m = p ? comp->mask_c : mask;
        const int ms = p ? comp->mask_c_stride : mask_stride;
        /* light wrap planes at 1/4 of this plane */
        const struct bd_i420 *wb = &comp->wrap_bg;
        const uint8_t *wbp = p == 0 ? wb->y : p == 1 ? wb->u : wb->v;
        const int wbs = p == 0 ? wb->stride_y : p == 1 ? wb->stride_u : wb->stride_v;
        const int wsw = (pw + 3) / 4, wsh = (ph + 3) / 4;
        const uint8_t *lp = p ? comp->m8 : comp->m4;
        const int ls = p ? comp->m8_stride : comp->m4_stride;
        /* the ghost's offset in this plane */
        const int gx = p ? comp->holo_gx / 2 : comp->holo_gx;
        const int gy = p ? comp->holo_gy / 2 : comp->holo_gy;
        int sw = 0, sh = 0, ss = 0;
        const uint8_t *sp = comp->blur_mode ? small_plane(comp, p, &sw, &sh, &ss) : NULL;
        for (int y = 0; y < ph; y++) {
            const uint8_t *fr = f + (size_t)y * (size_t)fs, *mr = m + (size_t)y * (size_t)ms;
            uint8_t *dr = d + (size_t)y * (size_t)ds;
            const uint8_t *brow = comp->blur_mode ? NULL : bp + (size_t)y * (size_t)bs;
            if (comp->blur_mode)
                bd_upscale_row_v_with(k, sp, ss, sw, sh, comp->blur_k, y, comp->vrow);
            const int ys = y - gy;
            if (holo && ys >= 0 && ys < ph && gx < pw) {
                /* the ghost: the hologram of (x - gx, y - gy), at
                 * HOLO_GHOST x its mask, over the background row */
                if (comp->blur_mode)
                    k->upscale_row_h(comp->vrow, ghost_bg, pw, comp->blur_k);
                else
                    memcpy(ghost_bg, brow, (size_t)pw);
                k->scale_row(m + (size_t)ys * (size_t)ms, comp->holo_g8, row0, pw - gx);
                k->blend_row(f + (size_t)ys * (size_t)fs, ghost_bg + gx, row0, ghost_bg + gx,
                             pw - gx);
                brow = ghost_bg;
            }
            if (wrap) {
                const uint16_t *vb = comp->vrow;
                int kb = comp->blur_k;
                if (!comp->blur_mode) {
                    bd_upscale_row_v_with(k, wbp, wbs, wsw, wsh, 4, y, comp->vrow_b);
                    vb = comp->vrow_b;
                    kb = 4;
                }
                bd_upscale_row_v_with(k, lp, ls, wsw, wsh, 4, y, comp->vrow_l);
                k->blend_wrap_row(fr, brow, vb, kb, comp->vrow_l, 4, comp->wrap_s8, mr, dr, pw,
                                  row0);
            } else if (brow) {
                k->blend_row(fr, brow, mr, dr, pw);
            } else {
                k->blend_up_row(fr, comp->vrow, comp->blur_k, mr, dr, pw, row0);
            }
        }
    }
    if (mirror) {
        int rc = I420Mirror(t->y, t->stride_y, t->u, t->stride_u, t->v, t->stride_v, dst->y,
                            dst->stride_y, dst->u, dst->stride_u, dst->v, dst->stride_v,
                            comp->w, comp->h);
        if (rc != 0)
            return bd_fail(BD_ERR_INVALID_ARG, "compositor: libyuv I420Mirror failed (%d)", rc);
    }
    return BD_OK;
}
