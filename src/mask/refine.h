/*
 * Mask refinement internals (src/mask/ and its tests): the kernel table.
 * One table per ISA; every SIMD kernel has a plain C twin giving the same
 * bytes (integer box sums are exact in any order; the per-pixel float
 * formulas are written in the same operation order in both twins, without
 * FMA: -std=c17 keeps GCC from contracting, and the AVX2 functions are not
 * compiled for FMA). tests/test_refine.c compares the twins on random data
 * at odd sizes. bd_refiner_create picks a table once.
 *
 * BACKDROP_MASK_ISA=base forces the C table; =avx2 asks for AVX2 (granted
 * when the CPU has it). Unset: AVX2 when the CPU has it, else C.
 */
#ifndef BD_MASK_REFINE_H
#define BD_MASK_REFINE_H

#include <stddef.h>
#include <stdint.h>

/* Fixed-point scales of the guided filter's coefficients a (mask levels per
 * guide level) and b (mask levels), both clamped to +-BD_GF_CLAMP so that a
 * box sum of (2*64+1)^2 of them fits 31 bits. */
#define BD_GF_A_SCALE 1024.f
#define BD_GF_B_SCALE 16.f
#define BD_GF_CLAMP 65536
#define BD_GF_MAX_RADIUS 64

/* Horizontal geometry of the working → full resolution interpolation at an
 * exact factor k in {1, 2, 4, 8}. Output x (a multiple of 8 plus j, j < 8)
 * reads the padded working row v at base(x) + li[j] and base(x) + ri[j],
 * base(x) = x / k - (k > 1), and mixes them as l + (r - l) * w[j]. v[-1]
 * replicates v[0] and v[ww] (and up to 16 more) replicate v[ww - 1]. */
struct bd_refine_geom {
    int k;
    int32_t li[8], ri[8];
    float w[8];
};

/* One output row of the apply step. The coefficient rows (a[0..nplanes),
 * b, t) are working-resolution rows already mixed vertically, padded as
 * above. y: guide luma row; u, v: chroma rows at half width (colour only).
 * q = a0*Y (+ a1*U + a2*V) + b; c = 255 * smoothstep((q - lo) * inv);
 * out = rint(prev + (c - prev) * t) clamped to 0..255, written to both
 * state and dst (state may be prev). */
struct bd_refine_row {
    const float *a[3], *b, *t;
    /* per grid cell of the mixed row, padded like the rows: 0 when q stays
     * below lo for any guide value (the coverage is 0), 255 when it stays
     * above hi (coverage 255), 1 otherwise. A SIMD kernel may then write
     * the block's value without the arithmetic where prev already holds
     * it: out = prev + (c - prev) t = prev exactly. The C twins ignore it. */
    const uint8_t *cls;
    const uint8_t *y, *u, *v;
    const uint8_t *prev;
    uint8_t *state, *dst;
    int n;
    float lo, inv;
};

struct bd_refine_kernels {
    const char *name; /* "base" or "avx2" */

    /* dst(x, y) = sum over the (2r+1)^2 window of a*b (b NULL: of a), edges
     * replicated. scratch: bd_refine_box_scratch(w) int32s. */
    void (*box_u8)(const uint8_t *a, const uint8_t *b, int stride, int w, int h, int r,
                   int32_t *dst, int dst_stride, int32_t *scratch);
    /* The same window sum of an int32 plane (|values| <= BD_GF_CLAMP). */
    void (*box_i32)(const int32_t *src, int stride, int w, int h, int r, int32_t *dst,
                    int dst_stride, int32_t *scratch);

    /* Guided-filter coefficients from window sums, element-wise over n:
     * luma guide I, mask p (both 0..255), inv_n = 1/(2r+1)^2, eps on the
     * 0..255 scale; A = rint(a * BD_GF_A_SCALE), B = rint(b * BD_GF_B_SCALE),
     * clamped. */
    void (*coef_y)(const int32_t *si, const int32_t *sp, const int32_t *sii,
                   const int32_t *sip, size_t n, float inv_n, float eps, int32_t *a,
                   int32_t *b);
    /* Colour guide: s[0..2] sums of Y, U, V; s[3] of p; s[4..9] of YY, YU,
     * YV, UU, UV, VV; s[10..12] of Yp, Up, Vp. a[0..2] per channel. */
    void (*coef_yuv)(const int32_t *const s[13], size_t n, float inv_n, float eps,
                     int32_t *const a[3], int32_t *b);

    /* Grid helpers. vmix: out[x] = p0[x] + (p1[x] - p0[x]) * wy, x < w.
     * classify: the saturation class (bd_refine_row.cls) of n cells from
     * a[0..na) and b: qmax = b + sum max(255 a, 0), qmin likewise with min;
     * 0 if qmax < lo, else 255 if qmin > hi, else 1. motion_row: out[x] =
     * max over the 3 row pairs of |a[i][x] - b[i][x]|. tweight_row: the
     * temporal weight from m (padded: m[-1], m[w] valid) and the mask rows
     * p, pp (refine.c, temporal_weights). */
    void (*vmix)(const float *p0, const float *p1, float wy, float *out, int w);
    void (*classify)(const float *const a[3], const float *b, size_t n, int na, float lo,
                     float hi, uint8_t *cls);
    void (*motion_row)(const uint8_t *const a[3], const uint8_t *const b[3], uint8_t *out, int w);
    void (*tweight_row)(const uint8_t *m, const uint8_t *p, const uint8_t *pp, float *t, int w);

    /* The apply step for one row, luma (1 plane) or colour (3 planes). */
    void (*apply_y)(const struct bd_refine_row *row, const struct bd_refine_geom *g);
    void (*apply_yuv)(const struct bd_refine_row *row, const struct bd_refine_geom *g);
};

/* int32s of scratch the box kernels need for rows of width w and radius
 * up to BD_GF_MAX_RADIUS (column sums, then a padded row). */
static inline size_t bd_refine_box_scratch(int w)
{
    return (size_t)w + (size_t)w + 2 * BD_GF_MAX_RADIUS + 64;
}

void bd_refine_geom_init(struct bd_refine_geom *g, int k);

/* The table for isa "base" or "avx2"; NULL when this CPU lacks it. */
const struct bd_refine_kernels *bd_refine_kernels_for(const char *isa);
/* The table the environment and CPU choose (see above); never NULL. */
const struct bd_refine_kernels *bd_refine_kernels_default(void);
/* The table a refiner uses (tests, benchmarks). */
struct bd_refiner;
const struct bd_refine_kernels *bd_refiner_kernels(const struct bd_refiner *r);
/* Forces a refiner's table (tests and benchmarks compare ISAs on one
 * refiner); NULL keeps it. */
void bd_refiner_set_kernels(struct bd_refiner *r, const struct bd_refine_kernels *k);
/* The working-resolution factor k a refiner chose, and its radii at that
 * resolution (tests, benchmarks, the quality harness). */
void bd_refiner_geometry(const struct bd_refiner *r, int *k, int *radius_w, int *feather_w);

/* C twins (the AVX2 kernels fall back to them for row tails). */
void bd_refine_box_u8_c(const uint8_t *a, const uint8_t *b, int stride, int w, int h, int r,
                        int32_t *dst, int dst_stride, int32_t *scratch);
void bd_refine_box_i32_c(const int32_t *src, int stride, int w, int h, int r, int32_t *dst,
                         int dst_stride, int32_t *scratch);
void bd_refine_coef_y_c(const int32_t *si, const int32_t *sp, const int32_t *sii,
                        const int32_t *sip, size_t n, float inv_n, float eps, int32_t *a,
                        int32_t *b);
void bd_refine_coef_yuv_c(const int32_t *const s[13], size_t n, float inv_n, float eps,
                          int32_t *const a[3], int32_t *b);
void bd_refine_vmix_c(const float *p0, const float *p1, float wy, float *out, int w);
void bd_refine_classify_c(const float *const a[3], const float *b, size_t n, int na, float lo,
                          float hi, uint8_t *cls);
void bd_refine_motion_row_c(const uint8_t *const a[3], const uint8_t *const b[3], uint8_t *out,
                            int w);
void bd_refine_tweight_row_c(const uint8_t *m, const uint8_t *p, const uint8_t *pp, float *t,
                             int w);
/* The temporal constants (grid luma levels, mask levels, weights). */
#define BD_MOT0 2.f
#define BD_MOT_SLOPE (1.f / 4.f)
#define BD_JUMP 64.f
#define BD_JUMP_SLOPE (1.f / 64.f)
#define BD_T_MIN 0.25f
/* Pixels [x0, n) of a row (x0 a multiple of 8). */
void bd_refine_apply_y_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                         int x0);
void bd_refine_apply_yuv_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                           int x0);

extern const struct bd_refine_kernels bd_refine_kernels_avx2;

#endif
