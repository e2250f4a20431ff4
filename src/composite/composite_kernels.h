/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compositor's inner loops, internal to src/composite/ (and its tests):
 * one table per ISA, each SIMD kernel with a plain C twin that gives the
 * same bytes (tests/test_composite.c compares them on random data at odd
 * sizes and unaligned strides). bd_compositor_create picks a table once.
 *
 * BACKDROP_COMPOSITE_ISA=base forces the C table (like BACKDROP_REF_ISA for
 * the model's kernels); =avx2 asks for AVX2 (granted when the CPU has it).
 * Unset: AVX2 when the CPU has it, simd128 in the WebAssembly build, else
 * C.
 */
#ifndef BD_COMPOSITE_KERNELS_H
#define BD_COMPOSITE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

struct bd_composite_kernels {
    const char *name; /* "base", "avx2" or "simd128" */

    /* d[x] = blend(f[x], b[x], m[x]) for x < n, the formula of
     * bd_blend_plane. d may be f or b (same pointer), no other overlap. */
    void (*blend_row)(const uint8_t *f, const uint8_t *b, const uint8_t *m, uint8_t *d, int n);

    /* One row of bd_mask_to_chroma: luma mask rows r0, r1 (r1 = r0 on an
     * odd last row), `width` luma samples → ceil(width/2) chroma samples. */
    void (*mask_chroma_row)(const uint8_t *r0, const uint8_t *r1, uint8_t *d, int width);

    /* Box downscale by k (4 or 8), see bd_box_downscale. */
    void (*downscale)(const uint8_t *src, int src_stride, uint8_t *dst, int dst_stride,
                      int width, int height, int k);

    /* bd_box_blur_plane with this ISA's kernels. */
    void (*blur)(uint8_t *plane, int stride, int width, int height, int radius, int passes,
                 void *scratch);

    /* The vertical mix of bd_upscale_row_v: v[x] = a[x] (16 - fy) + b[x]
     * fy for x < n (fy 0..16). */
    void (*mix_rows)(const uint8_t *a, const uint8_t *b, int fy, uint16_t *v, int n);

    /* One row of the exact-k bilinear upscale (see bd_upscale_row_v):
     * v = a row of 16 x (source value) vertical mixes with one sample of
     * edge padding on each side (v[-1] = v[0], v[sw] = v[sw-1]), out[x] for
     * x < n. Writes out[] up to n rounded up to 32 (out must have room) and
     * reads v[] up to n/k + 16 (v must have room, initialised). */
    void (*upscale_row_h)(const uint16_t *v, uint8_t *out, int n, int k);

    /* blend_row with b = upscale_row_h(v, k) (n samples), without writing
     * the background row out where SIMD can keep it in registers; row is
     * scratch with room for n rounded up to 32. d may be f. */
    void (*blend_up_row)(const uint8_t *f, const uint16_t *v, int k, const uint8_t *m,
                         uint8_t *d, int n, uint8_t *row);

    /* ---- halo-free blur (16-bit normalised convolution at 1/k) ---- */

    /* bd_box_blur16_c's contract: a 16-bit plane (stride in elements). */
    void (*blur16)(uint16_t *plane, int stride, int width, int height, int radius, int passes,
                   void *scratch);
    /* w = 257 - min(2 m[x], 255); num[x] = a[x] * w, den[x] = 255 * w (both
     * <= 65535). The mask at 1/k is a block mean: doubling it counts a
     * block half covered by the person as person, so the person's share
     * of mixed blocks does not leak into the background. */
    void (*premul_row)(const uint8_t *a, const uint8_t *m, uint16_t *num, uint16_t *den,
                       int n);
    /* d[x] = min(255, (int)((float)(num[x] * 255) / (float)den[x] + 0.5f)),
     * in IEEE float (exact operands, correctly rounded quotient, so SIMD
     * gives the same bytes); den[x] = 0 gives 0. */
    void (*ratio_row)(const uint16_t *num, const uint16_t *den, uint8_t *d, int n);

    /* ---- light wrap ---- */

    /* The blend with light wrap, for x < n:
     *   B  = up(vb, kb)[x]            (the blurred background for the wrap)
     *   bg = b ? b[x] : B             (the background behind the person)
     *   L  = 255 - up(vl, kl)[x]      (vl: the blurred mask, so L is the
     *                                  blurred inverse mask)
     *   ww = (min(2 L, 255) * s8 + 128) >> 8   (s8 = strength in 256ths,
     *                                  0..256; full strength from the edge
     *                                  (L = 128) out)
     *   f' = blend(B, f[x], ww)       (blend = bd_blend_plane's formula)
     *   d[x] = blend(f', bg, m[x])
     * up() is upscale_row_h; vb/vl follow its padding rules. d may be f.
     * row: scratch for 3 rows of n rounded up to 32. */
    void (*blend_wrap_row)(const uint8_t *f, const uint8_t *b, const uint16_t *vb, int kb,
                           const uint16_t *vl, int kl, int s8, const uint8_t *m, uint8_t *d,
                           int n, uint8_t *row);
    /* d[x] = (s[x] * s8 + 128) >> 8, s8 0..256. */
    void (*scale_row)(const uint8_t *s, int s8, uint8_t *d, int n);

    /* ---- hologram ---- */

    /* d[x] = (a * s[x] + b) >> 8 in 16 bits: a, b >= 0, 255 a + b <= 65535. */
    void (*holo_y_row)(const uint8_t *s, uint8_t *d, int n, int a, int b);
    /* t = c0 * s[x] + c1 * yc[x] + bias (|t| < 32768 for all inputs);
     * d[x] = t < 0 ? 0 : min(255, t >> 6). */
    void (*holo_c_row)(const uint8_t *s, const uint8_t *yc, uint8_t *d, int n, int c0, int c1,
                       int bias);
};

/* The table for isa "base" or "avx2"; NULL when this CPU lacks it. */
const struct bd_composite_kernels *bd_composite_kernels_for(const char *isa);
/* The table the environment and CPU choose (see above); never NULL. */
const struct bd_composite_kernels *bd_composite_kernels_default(void);

/*
 * Box downscale by an exact factor k (4 or 8): dst is ceil(width/k) x
 * ceil(height/k), dst(x, y) = the rounded mean of the k x k block at (kx,
 * ky), samples past the right/bottom edge replicating the last column/row
 * (so a partial block is weighted towards its edge, never shifted). Exact
 * blocks keep the small plane on the grid that bd_upscale_row_* inverts,
 * so the upscaled background does not drift at odd sizes.
 */
void bd_box_downscale_c(const uint8_t *src, int src_stride, uint8_t *dst, int dst_stride,
                        int width, int height, int k);

/*
 * Bilinear upscale by an exact factor k (4 or 8), centre-aligned: output
 * sample x sits at source position (x + 0.5)/k - 0.5, clamped at the edges
 * (what libyuv's kFilterBilinear does for these ratios). Weights are
 * sixteenths (k = 8: odd sixteenths; k = 4: 2, 6, 10, 14), so one output
 * is ((16-fy)(16-fx) a + ... + 128) >> 8, exact in 16-bit lanes. Done as a
 * vertical mix into a 16-bit row at the small width (this function, cheap),
 * then a horizontal mix straight into the blend's row (upscale_row_h), so
 * the full-size blurred background is never written to memory.
 *
 * bd_upscale_row_v: v[-1..sw] for output row y of a plane whose source is
 * `small` (sw x sh, stride small_stride). v[-1] must be addressable.
 */
void bd_upscale_row_v(const uint8_t *small, int small_stride, int sw, int sh, int k, int y,
                      uint16_t *v);
/* The same with a kernel table's mix_rows (the compositor's). */
void bd_upscale_row_v_with(const struct bd_composite_kernels *kt, const uint8_t *small,
                           int small_stride, int sw, int sh, int k, int y, uint16_t *v);
void bd_mix_rows_c(const uint8_t *a, const uint8_t *b, int fy, uint16_t *v, int n);
void bd_upscale_row_h_c(const uint16_t *v, uint8_t *out, int n, int k);
void bd_blend_up_row_c(const uint8_t *f, const uint16_t *v, int k, const uint8_t *m,
                       uint8_t *d, int n, uint8_t *row);

/* The scratch bd_box_blur_plane needs for a width x height plane: two
 * planes of bd_blur_plane_bytes (each holds width x height either way
 * round, rows 64-aligned), then column sums for the longer side. */
size_t bd_box_blur_scratch_size(int width, int height);
static inline size_t bd_blur_plane_bytes(int w, int h)
{
    size_t a = (size_t)((w + 63) & ~63) * (size_t)h, b = (size_t)((h + 63) & ~63) * (size_t)w;
    return ((a > b ? a : b) + 63) & ~(size_t)63;
}

/* The 16-bit box blur of the halo-free background: bd_box_blur_plane's
 * passes on uint16 samples (stride in elements), the window sum in 32
 * bits and each output (sum * mul16 + 2^15) >> 16 with mul16 =
 * floor(2^16 / (2r+1)), so it never exceeds 65535 (a constant c comes out
 * as c or a little less; the halo-free ratio divides that factor out).
 * scratch: bd_box_blur16_scratch_size(width, height) bytes. */
size_t bd_box_blur16_scratch_size(int width, int height);
static inline size_t bd_blur16_plane_bytes(int w, int h)
{
    size_t a = (size_t)((w + 31) & ~31) * (size_t)h, b = (size_t)((h + 31) & ~31) * (size_t)w;
    return (2 * (a > b ? a : b) + 63) & ~(size_t)63;
}
void bd_box_blur16_c(uint16_t *plane, int stride, int width, int height, int radius,
                     int passes, void *scratch);
static inline uint32_t bd_box_mul16(int radius)
{
    return 65536u / (2u * (uint32_t)radius + 1u);
}
void bd_box_v16_c(const uint16_t *s, int ss, uint16_t *d, int ds, int w, int h, int r,
                  uint32_t *col_sums);
void bd_premul_row_c(const uint8_t *a, const uint8_t *m, uint16_t *num, uint16_t *den, int n);
void bd_ratio_row_c(const uint16_t *num, const uint16_t *den, uint8_t *d, int n);
void bd_blend_wrap_row_c(const uint8_t *f, const uint8_t *b, const uint16_t *vb, int kb,
                         const uint16_t *vl, int kl, int s8, const uint8_t *m, uint8_t *d,
                         int n, uint8_t *row);
void bd_scale_row_c(const uint8_t *s, int s8, uint8_t *d, int n);
void bd_holo_y_row_c(const uint8_t *s, uint8_t *d, int n, int a, int b);
void bd_holo_c_row_c(const uint8_t *s, const uint8_t *yc, uint8_t *d, int n, int c0, int c1,
                     int bias);

/* Plain C kernels (the twins); the AVX2 ones live in composite_avx2.c. */
void bd_blend_row_c(const uint8_t *f, const uint8_t *b, const uint8_t *m, uint8_t *d, int n);
void bd_mask_chroma_row_c(const uint8_t *r0, const uint8_t *r1, uint8_t *d, int width);
void bd_box_blur_c(uint8_t *plane, int stride, int width, int height, int radius, int passes,
                   void *scratch);

/* Shared by both blurs: one vertical box pass over a plane (src != dst),
 * and the rounding multiplier for a window of 2r+1. */
void bd_box_v_c(const uint8_t *s, int ss, uint8_t *d, int ds, int w, int h, int r,
                uint32_t *col_sums);
uint32_t bd_box_mul(int radius);

extern const struct bd_composite_kernels bd_composite_kernels_avx2;
/* The browser build's (src/composite/wasm/): "simd128", its default. */
extern const struct bd_composite_kernels bd_composite_kernels_simd128;

#endif
