/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * WebAssembly SIMD (simd128) twins of the ref backend's kernels, for the
 * browser build only (mk/web.mk selects this folder; the native build
 * takes only the files directly in src/model/ and never sees it).
 * bd_ref_create picks them once (struct ref_twins) for the baseline
 * variant, the one the WebAssembly build runs; bd_ref_simd(0) keeps the
 * plain C code, which is how test_ref_ops compares them under node.
 *
 * Why: clang vectorises most of the baseline's kernels for simd128 as
 * they are (the GEMM's 4x8 block is XNNPACK's 4x8 "splat" kernel), but
 * not the depthwise row kernel: its 4 pixels x 8 channels of sums came
 * out as 7 vectors, 2 scalars and lane shuffles (depthwise was 12% of a
 * 720p frame in node's profile). Here they are 8 vectors; and the last
 * layer's c4 sums (tconv1_row, 2.4%), which the baseline computes in
 * scalar lanes. Measured (make bench-web-kernels, bench/web.md): a whole
 * model run 1.03x (landscape) and 1.08x (general) faster, close to the
 * noise: V8 handles clang's odd vectors better than the profile's share
 * suggested.
 *
 * The same operations in the same order as the C twin (ref_dw.inc with
 * REF_FMA 0: each product and sum rounded on its own, taps column by
 * column; clamp and hard-swish as the C selects, f32x4.pmax/pmin being
 * exactly those selects), so the same bits.
 */
#include <stddef.h>
#include <wasm_simd128.h>

#include "model/ref_internal.h"

/* v > lo ? v : lo, then v < hi ? v : hi (ref_kernels.inc's clampf) */
static inline v128_t clamp4(v128_t v, v128_t lo, v128_t hi)
{
    return wasm_f32x4_pmin(hi, wasm_f32x4_pmax(lo, v));
}

/* (x * (1/6)) * min(max(x + 3, 0), 6), as hswishf */
static inline v128_t hswish4(v128_t v)
{
    v128_t t = wasm_f32x4_add(v, wasm_f32x4_splat(3.0f));
    t = wasm_f32x4_pmin(wasm_f32x4_splat(6.0f), wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), t));
    return wasm_f32x4_mul(wasm_f32x4_mul(v, wasm_f32x4_splat(1.0f / 6.0f)), t);
}

#define DW_PX 4

/* ref_dw.inc's row kernel with KCB 8 and KPX DW_PX (its contract). */
static void dwr_8(int nky, int nkx, const float *restrict x, size_t rstride, size_t kstride,
                  size_t pstride, const float *restrict w, size_t wrstride, size_t wkstride,
                  const float *restrict bias, float *restrict out, const float *restrict d,
                  size_t ostride, const struct ref_epi *e)
{
    v128_t a0[DW_PX], a1[DW_PX];
    const v128_t b0 = wasm_v128_load(bias), b1 = wasm_v128_load(bias + 4);
    for (int p = 0; p < DW_PX; p++) {
        a0[p] = b0;
        a1[p] = b1;
    }
    for (int kx = 0; kx < nkx; kx++) {
        const float *xc = x + (size_t)kx * kstride;
        const float *wc = w + (size_t)kx * wkstride;
        for (int ky = 0; ky < nky; ky++) {
            const float *xk = xc + (size_t)ky * rstride;
            const float *wk = wc + (size_t)ky * wrstride;
            const v128_t w0 = wasm_v128_load(wk), w1 = wasm_v128_load(wk + 4);
            for (int p = 0; p < DW_PX; p++) {
                const float *xp = xk + (size_t)p * pstride;
                a0[p] = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xp), w0), a0[p]);
                a1[p] = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xp + 4), w1), a1[p]);
            }
        }
    }
    const v128_t lo = wasm_f32x4_splat(e->lo), hi = wasm_f32x4_splat(e->hi);
    for (int p = 0; p < DW_PX; p++) {
        a0[p] = clamp4(a0[p], lo, hi);
        a1[p] = clamp4(a1[p], lo, hi);
        if (e->hswish) {
            a0[p] = hswish4(a0[p]);
            a1[p] = hswish4(a1[p]);
        }
        if (d) {
            const v128_t lo2 = wasm_f32x4_splat(e->lo2), hi2 = wasm_f32x4_splat(e->hi2);
            const float *dp = d + (size_t)p * ostride;
            a0[p] = clamp4(wasm_f32x4_add(a0[p], wasm_v128_load(dp)), lo2, hi2);
            a1[p] = clamp4(wasm_f32x4_add(a1[p], wasm_v128_load(dp + 4)), lo2, hi2);
        }
        float *o = out + (size_t)p * ostride;
        wasm_v128_store(o, a0[p]);
        wasm_v128_store(o + 4, a1[p]);
    }
}

/* c4_px with one tap (REF_FMA 0): column n's 4 partial sums in vector n,
 * then (s0 + s2) + (s1 + s3); the inputs past kc count as 0 * w. */
static void c4_px1(int kc, const float *a, const float *w, const float *bias, float *res)
{
    v128_t acc[4];
    for (int n = 0; n < 4; n++)
        acc[n] = wasm_f32x4_make(bias[n], 0.0f, 0.0f, 0.0f);
    const int kg = kc / 4, rem = kc % 4;
    for (int g = 0; g < kg; g++, w += 16) {
        const v128_t x = wasm_v128_load(a + 4 * g);
        for (int n = 0; n < 4; n++)
            acc[n] = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_v128_load(w + 4 * n)), acc[n]);
    }
    if (rem) {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int j = 0; j < rem; j++)
            t[j] = a[4 * kg + j];
        const v128_t x = wasm_v128_load(t);
        for (int n = 0; n < 4; n++)
            acc[n] = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_v128_load(w + 4 * n)), acc[n]);
    }
    for (int n = 0; n < 4; n++) {
        const v128_t v1 = wasm_f32x4_add(acc[n], wasm_i32x4_shuffle(acc[n], acc[n], 2, 3, 0, 1));
        res[n] = wasm_f32x4_extract_lane(wasm_f32x4_add(v1, wasm_i32x4_shuffle(v1, v1, 1, 0, 3, 2)), 0);
    }
}

const struct ref_twins bd_ref_twins_simd128 = {
    .name = "simd128",
    .dw8_px = DW_PX,
    .dwr_8 = dwr_8,
    .c4_px1 = c4_px1,
};
