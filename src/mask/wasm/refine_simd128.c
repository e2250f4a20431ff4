/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * WebAssembly SIMD (simd128) twin of the refiner's apply step, for the
 * browser build only (mk/web.mk selects this folder; the native build
 * takes only the files directly in src/mask/ and never sees it).
 *
 * Where it pays: under wasm the C apply step was a third of a 720p
 * frame's time (perf on the same C natively: bd_refine_apply_yuv_c 32%),
 * and most of a webcam frame is blocks whose output provably stays the
 * previous frame's 0 or 255 (refine.h, bd_refine_row.cls: every cell the
 * block reads is of that class and prev holds that value). This twin
 * tests that with 16-byte vectors, 64 and 16 pixels at a time as the AVX2
 * twin does (its skip64 and skip_block's saturated case), writes those
 * blocks without the arithmetic, and hands every other block to the C
 * twin, pixel by pixel: the same bytes by construction, which
 * tests/web/test_refine_simd128.c checks against the C table under node.
 * The other kernels are the C twins (clang vectorises them for simd128).
 */
#include <string.h>
#include <wasm_simd128.h>

#include "mask/refine.h"

/* prev is p (0 or 255) over 16 pixels at x and every cell they read
 * (cls + base, span) is of class p */
static inline int settled(const struct bd_refine_row *row, const uint8_t *span, int base, int x)
{
    const int p = row->prev[x];
    if (p != 0 && p != 255)
        return 0;
    const v128_t pv = wasm_v128_load(row->prev + x);
    if (!wasm_i8x16_all_true(wasm_i8x16_eq(pv, wasm_i8x16_splat((int8_t)p))))
        return 0;
    const v128_t c = wasm_v128_load(row->cls + base), s = wasm_v128_load(span);
    /* class 0: no bit of c over the span; class 255: every bit */
    return !wasm_v128_any_true(p == 0 ? wasm_v128_and(c, s) : wasm_v128_andnot(s, c));
}

static inline void keep_prev(const struct bd_refine_row *row, int x, int n)
{
    memcpy(row->dst + x, row->prev + x, (size_t)n);
    if (row->state != row->prev)
        memcpy(row->state + x, row->prev + x, (size_t)n);
    if (row->ys)
        memcpy(row->ys + x, row->y + x, (size_t)n);
}

typedef void (*apply_c_fn)(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                           int x0);

static void apply(const struct bd_refine_row *row, const struct bd_refine_geom *g, apply_c_fn c)
{
    if (!row->cls) {
        c(row, g, 0);
        return;
    }
    const int lk = g->k == 1 ? 0 : g->k == 2 ? 1 : g->k == 4 ? 2 : 3, off = g->k > 1;
    /* the 64 outputs at k = 8 read 10 cells from cls + (x >> 3) - 1 */
    static const uint8_t span64[16] = {255, 255, 255, 255, 255, 255, 255, 255, 255, 255};
    struct bd_refine_row part = *row;
    int x = 0, todo = 0; /* [todo, x): blocks for the C twin */
    for (; x + 16 <= row->n; x += 16) {
        if (g->k == 8 && x + 64 <= row->n && settled(row, span64, (x >> 3) - 1, x) &&
            settled(row, span64, (x >> 3) - 1, x + 16) && settled(row, span64, (x >> 3) - 1, x + 32) &&
            settled(row, span64, (x >> 3) - 1, x + 48) && row->prev[x] == row->prev[x + 48]) {
            if (todo < x) {
                part.n = x;
                c(&part, g, todo);
            }
            keep_prev(row, x, 64);
            x += 48;
            todo = x + 16;
            continue;
        }
        if (settled(row, g->span8, (x >> lk) - off, x)) {
            if (todo < x) {
                part.n = x;
                c(&part, g, todo);
            }
            keep_prev(row, x, 16);
            todo = x + 16;
        }
    }
    if (todo < row->n) {
        part.n = row->n;
        c(&part, g, todo);
    }
}

static void apply_y_simd128(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    apply(row, g, bd_refine_apply_y_c);
}

static void apply_yuv_simd128(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    apply(row, g, bd_refine_apply_yuv_c);
}

const struct bd_refine_kernels bd_refine_kernels_simd128 = {
    .name = "simd128",
    .box_u8 = bd_refine_box_u8_c,
    .box_i32 = bd_refine_box_i32_c,
    .coef_y = bd_refine_coef_y_c,
    .coef_yuv = bd_refine_coef_yuv_c,
    .fix16 = bd_refine_fix16_c,
    .vmix = bd_refine_vmix_c,
    .motion_row = bd_refine_motion_row_c,
    .apply_y = apply_y_simd128,
    .apply_yuv = apply_yuv_simd128,
};
