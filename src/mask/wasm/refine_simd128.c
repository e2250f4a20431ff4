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
 * twin does (its skip64 and skip_block's saturated case), and writes those
 * blocks without the arithmetic. Every other block goes through apply8,
 * 8 pixels a vector: the C twin's 16-bit fixed point instruction for
 * instruction (i16x8.q15mulr_sat is bd_mulhrs wherever the C twin's
 * operands stay above -32768, as they do: refine.h), with the C twin for
 * a row's last n % 8 pixels. tests/web/test_refine_simd128.c checks the
 * bytes against the C table under node, whole streams and single rows of
 * random data. The other kernels are the C twins (clang vectorises them
 * for simd128).
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

/* The C twin's hmix for 8 outputs: the 8 cells at v + base, the left and
 * right cell of each output picked by byte index (geom sl, sr). */
static inline v128_t hmix8(const int16_t *v, int base, v128_t sl, v128_t sr, v128_t w)
{
    const v128_t p = wasm_v128_load(v + base);
    const v128_t l = wasm_i8x16_swizzle(p, sl), r = wasm_i8x16_swizzle(p, sr);
    return wasm_i16x8_add(l, wasm_i16x8_q15mulr_sat(wasm_i16x8_sub_sat(r, l), w));
}

/* (G - 128) * 128 */
static inline v128_t g16(v128_t g)
{
    return wasm_i16x8_sub(wasm_i16x8_shl(g, 7), wasm_i16x8_splat(16384));
}

/* chroma for 8 outputs: 4 bytes at c, each twice */
static inline v128_t chroma8(const uint8_t *c)
{
    const v128_t v = wasm_v128_load32_zero(c);
    return g16(wasm_u16x8_extend_low_u8x16(
        wasm_i8x16_shuffle(v, v, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4)));
}

/* The C twin's pixel_still and finish for the 8 pixels at x, q the q4. */
static inline void finish8(const struct bd_refine_row *row, v128_t q, v128_t rt, v128_t y, int x)
{
    if (row->yp) {
        const v128_t d = wasm_i16x8_abs(wasm_i16x8_sub(y, wasm_u16x8_load8x8(row->yp + x)));
        const int thr = row->ythr < -1 ? -1 : row->ythr > 32767 ? 32767 : row->ythr;
        const v128_t still = wasm_i16x8_le(d, wasm_i16x8_splat((int16_t)thr));
        rt = wasm_v128_bitselect(wasm_i16x8_max(rt, wasm_i16x8_splat((int16_t)row->rstill)), rt,
                                 still);
    }
    if (row->ys) /* after the load of yp: ys may be yp */
        wasm_v128_store64_lane(row->ys + x, wasm_u8x16_narrow_i16x8(y, y), 0);
    v128_t d = wasm_i16x8_sub_sat(q, wasm_i16x8_splat((int16_t)row->lo4));
    d = wasm_i16x8_min(wasm_i16x8_max(d, wasm_i16x8_splat(0)), wasm_i16x8_splat((int16_t)row->r4));
    /* s = (d << sh) * ks >> 16, unsigned 16 x 16 bits */
    const v128_t ds = wasm_i16x8_shl(d, (uint32_t)row->sh), ks = wasm_i16x8_splat((int16_t)row->ks);
    const v128_t s = wasm_u16x8_narrow_i32x4(
        wasm_u32x4_shr(wasm_u32x4_extmul_low_u16x8(ds, ks), 16),
        wasm_u32x4_shr(wasm_u32x4_extmul_high_u16x8(ds, ks), 16));
    const v128_t s2 = wasm_i16x8_q15mulr_sat(s, s);
    const v128_t ss =
        wasm_i16x8_q15mulr_sat(s2, wasm_i16x8_sub(wasm_i16x8_splat(24576), wasm_u16x8_shr(s, 1)));
    const v128_t c7 = wasm_i16x8_sub(wasm_i16x8_shl(ss, 2), wasm_i16x8_shr(ss, 6));
    const v128_t p7 = wasm_i16x8_shl(wasm_u16x8_load8x8(row->prev + x), 7);
    const v128_t diff = wasm_i16x8_sub(p7, c7);
    v128_t o = wasm_i16x8_add(c7, wasm_i16x8_q15mulr_sat(diff, rt));
    o = wasm_v128_bitselect(p7, o, wasm_i16x8_le(wasm_i16x8_abs(diff), wasm_i16x8_splat((int16_t)row->db7)));
    o = wasm_u16x8_shr(wasm_i16x8_add(o, wasm_i16x8_splat(64)), 7);
    const v128_t b8 = wasm_u8x16_narrow_i16x8(o, o);
    wasm_v128_store64_lane(row->state + x, b8, 0);
    wasm_v128_store64_lane(row->dst + x, b8, 0);
}

/* The C twins' apply for pixels [x0, n) (x0 a multiple of 8), 8 at a time;
 * colour: three guide planes, else luma alone. */
static inline void apply8(const struct bd_refine_row *row, const struct bd_refine_geom *g, int x0,
                          int colour)
{
    const int lk = g->k == 1 ? 0 : g->k == 2 ? 1 : g->k == 4 ? 2 : 3, off = g->k > 1;
    const v128_t sl = wasm_v128_load(g->sl), sr = wasm_v128_load(g->sr);
    const v128_t w = wasm_v128_load(g->w16);
    const v128_t rc = wasm_i16x8_splat((int16_t)row->r_const);
    int x = x0;
    for (; x + 8 <= row->n; x += 8) {
        const int base = (x >> lk) - off;
        const v128_t y = wasm_u16x8_load8x8(row->y + x);
        v128_t q = wasm_i16x8_add_sat(hmix8(row->b, base, sl, sr, w),
                                      wasm_i16x8_q15mulr_sat(hmix8(row->a[0], base, sl, sr, w), g16(y)));
        if (colour) {
            q = wasm_i16x8_add_sat(q, wasm_i16x8_q15mulr_sat(hmix8(row->a[1], base, sl, sr, w),
                                                             chroma8(row->u + (x >> 1))));
            q = wasm_i16x8_add_sat(q, wasm_i16x8_q15mulr_sat(hmix8(row->a[2], base, sl, sr, w),
                                                             chroma8(row->v + (x >> 1))));
        }
        const v128_t rt = row->r_const >= 0 ? rc : hmix8(row->r, base, sl, sr, w);
        finish8(row, q, rt, y, x);
    }
    if (x < row->n) {
        if (colour)
            bd_refine_apply_yuv_c(row, g, x);
        else
            bd_refine_apply_y_c(row, g, x);
    }
}

static void apply_y8(const struct bd_refine_row *row, const struct bd_refine_geom *g, int x0)
{
    apply8(row, g, x0, 0);
}

static void apply_yuv8(const struct bd_refine_row *row, const struct bd_refine_geom *g, int x0)
{
    apply8(row, g, x0, 1);
}

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
    apply(row, g, apply_y8);
}

static void apply_yuv_simd128(const struct bd_refine_row *row, const struct bd_refine_geom *g)
{
    apply(row, g, apply_yuv8);
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
