/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * WebAssembly SIMD (simd128) twins of the compositor's kernels, for the
 * browser build only (mk/web.mk selects this folder; the native build
 * takes only the files directly in src/composite/ and never sees it).
 *
 * Where it pays: a profile of the wasm module at 720p (node --cpu-prof,
 * the blur effect) had the C box downscale at 13% of the frame, the
 * biggest compositor kernel: clang does not vectorise its k x k sums.
 * The twin sums with pairwise widening adds (k = 4: 16-bit pair sums of 4
 * rows, then 32-bit 4-sums, 8 blocks per 32 bytes; k = 8: 8 rows, then
 * the two halves of each 8-byte block added across lanes, 4 blocks per 32
 * bytes) and rounds as the C twin does; the partial block at the right
 * edge and any blocks after the last whole vector go to the C twin, one
 * block row at a time, as in the AVX2 twin. Integer sums: the same bytes,
 * which tests/web/test_composite_simd128.c checks under node.
 *
 * The upscale's horizontal mix and the light-wrap blend: after the
 * downscale's twin, a profile of the default settings (blur, light wrap
 * 30) had the C upscale rows at 3.7% and the wrap blend at 5.4% of a 720p
 * frame; clang leaves the upscale's per-block weights scalar. The twins
 * pick each output's two neighbours with a byte swizzle of 8 loaded words,
 * as the AVX2 twin does per 128-bit lane (the same tables, the same
 * sixteenths), and blend in 16-bit lanes with the C twin's formulas (all
 * intermediates stay below 65536): the same bytes. The other kernels are
 * the C twins (clang vectorises them for simd128).
 */
#include <string.h>
#include <wasm_simd128.h>

#include "composite/composite_kernels.h"

static void downscale_simd128(const uint8_t *src, int ss, uint8_t *dst, int ds, int w, int h,
                              int k)
{
    const int sw = (w + k - 1) / k, sh = (h + k - 1) / k, nfull = w / k;
    for (int sy = 0; sy < sh; sy++) {
        const uint8_t *rp[8];
        for (int j = 0; j < k; j++)
            rp[j] = src + (size_t)(sy * k + j < h ? sy * k + j : h - 1) * (size_t)ss;
        uint8_t *d = dst + (size_t)sy * (size_t)ds;
        int sx = 0;
        if (k == 8) {
            for (; sx + 4 <= nfull; sx += 4) {
                v128_t a = wasm_i16x8_splat(0), b = a; /* <= 8 * 510 */
                for (int j = 0; j < 8; j++) {
                    a = wasm_i16x8_add(a, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 8 * sx)));
                    b = wasm_i16x8_add(b, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 8 * sx + 16)));
                }
                /* 4-column sums, then each block's two halves */
                const v128_t qa = wasm_u32x4_extadd_pairwise_u16x8(a);
                const v128_t qb = wasm_u32x4_extadd_pairwise_u16x8(b);
                v128_t s = wasm_i32x4_add(wasm_i32x4_shuffle(qa, qb, 0, 2, 4, 6),
                                          wasm_i32x4_shuffle(qa, qb, 1, 3, 5, 7));
                s = wasm_u32x4_shr(wasm_i32x4_add(s, wasm_i32x4_splat(32)), 6);
                const v128_t n16 = wasm_u16x8_narrow_i32x4(s, s);
                wasm_v128_store32_lane(d + sx, wasm_u8x16_narrow_i16x8(n16, n16), 0);
            }
        } else {
            for (; sx + 8 <= nfull; sx += 8) {
                v128_t a = wasm_i16x8_splat(0), b = a; /* <= 4 * 510 */
                for (int j = 0; j < 4; j++) {
                    a = wasm_i16x8_add(a, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 4 * sx)));
                    b = wasm_i16x8_add(b, wasm_u16x8_extadd_pairwise_u8x16(
                                              wasm_v128_load(rp[j] + 4 * sx + 16)));
                }
                v128_t sa = wasm_u32x4_extadd_pairwise_u16x8(a);
                v128_t sb = wasm_u32x4_extadd_pairwise_u16x8(b);
                sa = wasm_u32x4_shr(wasm_i32x4_add(sa, wasm_i32x4_splat(8)), 4);
                sb = wasm_u32x4_shr(wasm_i32x4_add(sb, wasm_i32x4_splat(8)), 4);
                const v128_t n16 = wasm_u16x8_narrow_i32x4(sa, sb);
                wasm_v128_store64_lane(d + sx, wasm_u8x16_narrow_i16x8(n16, n16), 0);
            }
        }
        if (sx < sw) {
            const int rows = h - sy * k < k ? h - sy * k : k;
            bd_box_downscale_c(src + (size_t)(sy * k) * (size_t)ss + (size_t)(sx * k), ss,
                               d + sx, ds, w - sx * k, rows, k);
        }
    }
}

/* ---- bilinear upscale (bd_upscale_row_h_c) and the light-wrap blend ---- */

#define W2(a) (uint8_t)(2 * (a)), (uint8_t)(2 * (a) + 1)
/* 16 outputs from 8 words: k = 8: outputs 0-3 mix words 0,1; 4-11 words
 * 1,2; 12-15 words 2,3 */
static const uint8_t up_l8[32] = {W2(0), W2(0), W2(0), W2(0), W2(1), W2(1), W2(1), W2(1),
                                  W2(1), W2(1), W2(1), W2(1), W2(2), W2(2), W2(2), W2(2)};
static const uint8_t up_r8[32] = {W2(1), W2(1), W2(1), W2(1), W2(2), W2(2), W2(2), W2(2),
                                  W2(2), W2(2), W2(2), W2(2), W2(3), W2(3), W2(3), W2(3)};
static const int16_t up_f8[16] = {9, 11, 13, 15, 1, 3, 5, 7, 9, 11, 13, 15, 1, 3, 5, 7};
/* k = 4: outputs 0-1 mix words 0,1; 2-5 words 1,2; ...; 14-15 words 4,5 */
static const uint8_t up_l4[32] = {W2(0), W2(0), W2(1), W2(1), W2(1), W2(1), W2(2), W2(2),
                                  W2(2), W2(2), W2(3), W2(3), W2(3), W2(3), W2(4), W2(4)};
static const uint8_t up_r4[32] = {W2(1), W2(1), W2(2), W2(2), W2(2), W2(2), W2(3), W2(3),
                                  W2(3), W2(3), W2(4), W2(4), W2(4), W2(4), W2(5), W2(5)};
static const int16_t up_f4[16] = {10, 14, 2, 6, 10, 14, 2, 6, 10, 14, 2, 6, 10, 14, 2, 6};
#undef W2

struct up {
    v128_t sl[2], sr[2], fl[2], fr[2];
    int step; /* words per 16 outputs */
};

static inline struct up up_init(int k)
{
    const uint8_t *l = k == 8 ? up_l8 : up_l4, *r = k == 8 ? up_r8 : up_r4;
    const int16_t *f = k == 8 ? up_f8 : up_f4;
    struct up u;
    for (int h = 0; h < 2; h++) {
        u.sl[h] = wasm_v128_load(l + 16 * h);
        u.sr[h] = wasm_v128_load(r + 16 * h);
        u.fr[h] = wasm_v128_load(f + 8 * h);
        u.fl[h] = wasm_i16x8_sub(wasm_i16x8_splat(16), u.fr[h]);
    }
    u.step = 16 / k;
    return u;
}

/* Outputs x .. x+15 (x a multiple of 16) of the row v (padded as
 * upscale_row_h's contract says): (a (16 - f) + b f + 128) >> 8. */
static inline v128_t up16(const uint16_t *v, int x, const struct up *u)
{
    const v128_t src = wasm_v128_load(v - 1 + (x / 16) * u->step);
    v128_t o[2];
    for (int h = 0; h < 2; h++) {
        const v128_t a = wasm_i8x16_swizzle(src, u->sl[h]), b = wasm_i8x16_swizzle(src, u->sr[h]);
        o[h] = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_add(wasm_i16x8_mul(a, u->fl[h]),
                                                            wasm_i16x8_mul(b, u->fr[h])),
                                             wasm_i16x8_splat(128)),
                              8);
    }
    return wasm_u8x16_narrow_i16x8(o[0], o[1]);
}

static void upscale_row_h_simd128(const uint16_t *v, uint8_t *out, int n, int k)
{
    const struct up u = up_init(k);
    for (int x = 0; x < n; x += 16)
        wasm_v128_store(out + x, up16(v, x, &u));
}

static void blend_up_row_simd128(const uint8_t *f, const uint16_t *v, int k, const uint8_t *m,
                                 uint8_t *d, int n, uint8_t *row)
{
    upscale_row_h_simd128(v, row, n, k);
    bd_blend_row_c(f, row, m, d, n);
}

/* blend1 of composite.c on 8 16-bit lanes: t = m f + (255 - m) b + 128,
 * (t + (t >> 8)) >> 8, all below 65536 */
static inline v128_t blend8(v128_t m, v128_t f, v128_t b)
{
    const v128_t t = wasm_i16x8_add(
        wasm_i16x8_add(wasm_i16x8_mul(m, f), wasm_i16x8_mul(wasm_i16x8_sub(wasm_i16x8_splat(255), m), b)),
        wasm_i16x8_splat(128));
    return wasm_u16x8_shr(wasm_i16x8_add(t, wasm_u16x8_shr(t, 8)), 8);
}

/* 16 outputs of bd_blend_wrap_row_c from the upscaled rows rb, rl */
static inline v128_t wrap16(v128_t f, v128_t bg, v128_t rb, v128_t rl, v128_t s8, v128_t m)
{
    const v128_t L = wasm_v128_not(rl);
    const v128_t l2 = wasm_u8x16_add_sat(L, L); /* min(2 (255 - rl), 255) */
    v128_t o[2];
    for (int h = 0; h < 2; h++) {
        const v128_t lo = h ? wasm_u16x8_extend_high_u8x16(l2) : wasm_u16x8_extend_low_u8x16(l2);
        const v128_t ww = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_mul(lo, s8), wasm_i16x8_splat(128)), 8);
#define HALF(v) (h ? wasm_u16x8_extend_high_u8x16(v) : wasm_u16x8_extend_low_u8x16(v))
        const v128_t fp = blend8(ww, HALF(rb), HALF(f));
        o[h] = blend8(HALF(m), fp, HALF(bg));
#undef HALF
    }
    return wasm_u8x16_narrow_i16x8(o[0], o[1]);
}

static void blend_wrap_row_simd128(const uint8_t *f, const uint8_t *b, const uint16_t *vb, int kb,
                                   const uint16_t *vl, int kl, int s8, const uint8_t *m,
                                   uint8_t *d, int n, uint8_t *row)
{
    const int n32 = (n + 31) & ~31;
    uint8_t *rb = row, *rl = row + n32;
    upscale_row_h_simd128(vb, rb, n, kb);
    upscale_row_h_simd128(vl, rl, n, kl);
    const uint8_t *bg = b ? b : rb;
    const v128_t vs8 = wasm_i16x8_splat((int16_t)s8);
    int x = 0;
    for (; x + 16 <= n; x += 16)
        wasm_v128_store(d + x, wrap16(wasm_v128_load(f + x), wasm_v128_load(bg + x),
                                      wasm_v128_load(rb + x), wasm_v128_load(rl + x), vs8,
                                      wasm_v128_load(m + x)));
    if (x < n) { /* the tail through copies (d may be f; rb, rl have room) */
        uint8_t ft[16] = {0}, bt[16] = {0}, mt[16] = {0}, dt[16];
        memcpy(ft, f + x, (size_t)(n - x));
        memcpy(bt, bg + x, (size_t)(n - x));
        memcpy(mt, m + x, (size_t)(n - x));
        wasm_v128_store(dt, wrap16(wasm_v128_load(ft), wasm_v128_load(bt), wasm_v128_load(rb + x),
                                   wasm_v128_load(rl + x), vs8, wasm_v128_load(mt)));
        memcpy(d + x, dt, (size_t)(n - x));
    }
}

const struct bd_composite_kernels bd_composite_kernels_simd128 = {
    .name = "simd128",
    .blend_row = bd_blend_row_c,
    .mask_chroma_row = bd_mask_chroma_row_c,
    .downscale = downscale_simd128,
    .blur = bd_box_blur_c,
    .upscale_row_h = upscale_row_h_simd128,
    .blend_up_row = blend_up_row_simd128,
    .mix_rows = bd_mix_rows_c,
    .blur16 = bd_box_blur16_c,
    .premul_row = bd_premul_row_c,
    .ratio_row = bd_ratio_row_c,
    .blend_wrap_row = blend_wrap_row_simd128,
    .scale_row = bd_scale_row_c,
    .holo_y_row = bd_holo_y_row_c,
    .holo_c_row = bd_holo_c_row_c,
};
