/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask refinement internals (src/mask/ and its tests): the kernel table.
 * One table per ISA; every SIMD kernel has a plain C twin giving the same
 * bytes. The box sums are exact integers in any order; the guided-filter
 * coefficients are float formulas written in the same operation order in
 * both twins, without FMA (-std=c17 keeps GCC from contracting, and the
 * AVX2 functions are not compiled for FMA); the per-row steps (vertical
 * mix, apply) are 16-bit fixed point whose C twins spell out the AVX2
 * instructions' arithmetic (rounding multiply-high, saturation), so they
 * agree exactly. tests/test_refine.c compares the twins on random data at
 * odd sizes. bd_refiner_create picks a table once.
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

/*
 * The 16-bit planes of the apply step (grid resolution, then mixed rows):
 *   a  = guide coefficient * 1024 (mask levels per guide level, |a| < 32),
 *   b  = q at guide value 128 for every channel, in 1/4 mask level
 *        (b' = b + 128 (a0 + a1 + a2), so that the products below use the
 *        centred guide and stay in 16 bits),
 *   r  = retention of the previous output, (1 - t) * 32768 (0: the new
 *        frame only).
 * q4 = b + sum_c mulhrs(a_c, (G_c - 128) * 128)  (saturating adds in the
 * order b, Y, U, V), in 1/4 level; mulhrs(x, y) = (x y + 2^14) >> 15, the
 * rounding of _mm256_mulhrs_epi16.
 */
#define BD_Q_SCALE 4 /* q4 units per mask level */

/* Horizontal geometry of the working → full resolution interpolation at an
 * exact factor k in {1, 2, 4, 8}. Output x (a multiple of 8 plus j, j < 8)
 * reads the padded working row v at base(x) + li[j] and base(x) + ri[j],
 * base(x) = x / k - (k > 1), and mixes them as l + mulhrs(r - l, w15[j])
 * (r - l saturated to 16 bits). v[-1] replicates v[0] and v[ww] (and up to
 * 16 more) replicate v[ww - 1]. w: the same weights as floats. */
struct bd_refine_geom {
    int k;
    int32_t li[8], ri[8];
    float w[8];
    int16_t w15[8]; /* w * 32768, exact (multiples of 1/16) */
    /* The same for 16 outputs (two groups of 8, the second 8/k cells on),
     * as the SIMD kernels load them: byte indices of the left and right
     * 16-bit element per output, weights, and 0xFF (0xFFFF) over the cells
     * the 16 outputs read. Set by bd_refine_geom_init. */
    uint8_t sl[32], sr[32], span8[16];
    int16_t w16[16], span16[16];
};

/* One output row of the apply step. The coefficient rows (a[0..nplanes),
 * b, r) are working-resolution rows already mixed vertically, padded as
 * above. y: guide luma row; u, v: chroma rows at half width (colour only).
 * q4 as above; d = clamp(q4 - lo4, 0, r4); s = mulhi_u16(d << sh, ks)
 * (s = d / r4 in Q15, at most 32767); smoothstep in fixed point: s2 = mulhrs(s, s),
 * ss = mulhrs(s2, 24576 - (s >> 1)) (Q13), c7 = 4 ss - (ss >> 6) (the
 * coverage in 1/128 level, 0 .. 32640); with p7 = prev * 128:
 * r = max(r, rstill) where |Y - Yprev| <= ythr (yp given);
 * o7 = |c7 - p7| <= db7 ? p7 : c7 + mulhrs(p7 - c7, r);
 * out = (o7 + 64) >> 7, written to both state and dst (state may be prev).
 */
struct bd_refine_row {
    const int16_t *a[3], *b, *r;
    /* r_const >= 0: every element of r is r_const (the SIMD kernels then
     * skip its interpolation; the C twins read r anyway: same result). */
    int r_const;
    /* per grid cell of the mixed row, padded like the rows: 0 when the
     * coverage rounds to 0 for any guide value, 255 when it rounds to 255,
     * 1 otherwise (refine.c, classify). A SIMD kernel may then write the
     * block's value without the arithmetic where prev already holds it:
     * o7 = c7 + mulhrs(p7 - c7, r) = p7 there. The C twins ignore it. */
    const uint8_t *cls;
    const uint8_t *y, *u, *v;
    const uint8_t *prev;
    uint8_t *state, *dst;
    /* yp: the previous frame's luma row (NULL: none); a pixel whose luma
     * moved by at most ythr keeps at least rstill of prev (r = max(r,
     * rstill)). ys (may be yp, or NULL): where this row's luma is saved. */
    const uint8_t *yp;
    uint8_t *ys;
    int ythr, rstill;
    int n;
    int lo4, r4, sh, ks, db7;
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

    /* The apply step's planes from the window sums of the coefficients
     * (refiner.c; S[0..na) of A = a * 1024, S[3] of B = b * 16, n2 cells per
     * window): q[c] = fix(S[c] * ia) (ia = 1/n2), q[3] = fix((S[3] + 2 (S[0]
     * (+ S[1] + S[2]))) * ib) (ib = 1/(4 n2)); fix clamps to +-32767 and
     * rounds to nearest even; float operations in that order. cls: the
     * saturation class (bd_refine_row.cls) against thr0 and thr1. */
    void (*fix16)(const int32_t *const S[4], size_t n, int na, float ia, float ib, int thr0,
                  int thr1, int16_t *const q[4], uint8_t *cls);

    /* Grid helpers. vmix: out[x] = p0[x] + mulhrs(sat(p1[x] - p0[x]), wy15),
     * x < w, wy15 in 0..32767. motion_row: out[x] = max over the 3 row
     * pairs of |a[i][x] - b[i][x]|. */
    void (*vmix)(const int16_t *p0, const int16_t *p1, int wy15, int16_t *out, int w);
    void (*motion_row)(const uint8_t *const a[3], const uint8_t *const b[3], uint8_t *out, int w);

    /* The apply step for one row, luma (1 plane) or colour (3 planes). */
    void (*apply_y)(const struct bd_refine_row *row, const struct bd_refine_geom *g);
    void (*apply_yuv)(const struct bd_refine_row *row, const struct bd_refine_geom *g);
};

/* int32s of scratch the box kernels need for rows of width w and radius
 * up to BD_GF_MAX_RADIUS (column sums in a padded row, then the row's
 * prefix sums). */
static inline size_t bd_refine_box_scratch(int w)
{
    return 3 * (size_t)w + 6 * BD_GF_MAX_RADIUS + 64;
}

void bd_refine_geom_init(struct bd_refine_geom *g, int k);

/* The coverage mapping's constants (bd_refine_row lo4, r4, sh, ks) for
 * smoothstep from lo to hi (0..1): lo4, hi4 = lo, hi in 1/4 mask level
 * (rounded), r4 = hi4 - lo4 (at least 1), (r4 << sh) in 32768..65535,
 * ks = floor(32767 * 65536 / (r4 << sh)). */
void bd_refine_coverage_init(struct bd_refine_row *row, float lo, float hi);

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
void bd_refine_fix16_c(const int32_t *const S[4], size_t n, int na, float ia, float ib,
                       int thr0, int thr1, int16_t *const q[4], uint8_t *cls);
/* Widening of the class bounds for the rounding of the 16-bit mixes and
 * products, in q4 units (refine.c, classify). */
#define BD_CLS_MARGIN 6
void bd_refine_vmix_c(const int16_t *p0, const int16_t *p1, int wy15, int16_t *out, int w);
void bd_refine_motion_row_c(const uint8_t *const a[3], const uint8_t *const b[3], uint8_t *out,
                            int w);
/* Pixels [x0, n) of a row (x0 a multiple of 8). */
void bd_refine_apply_y_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                         int x0);
void bd_refine_apply_yuv_c(const struct bd_refine_row *row, const struct bd_refine_geom *g,
                           int x0);

/* The fixed-point primitives of the C twins (the AVX2 instructions'
 * arithmetic). */
static inline int bd_sat16(int v)
{
    return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}
static inline int bd_mulhrs(int a, int b) /* _mm256_mulhrs_epi16, |a|,|b| < 32768 */
{
    return (a * b + 16384) >> 15;
}

/* The coverage of q4 in 1/128 level (bd_refine_row; both twins). */
static inline int bd_refine_c7(const struct bd_refine_row *row, int q4)
{
    int d = bd_sat16(q4 - row->lo4);
    d = d < 0 ? 0 : d > row->r4 ? row->r4 : d;
    int s = (int)(((uint32_t)d << row->sh) * (uint32_t)row->ks >> 16);
    int s2 = bd_mulhrs(s, s);
    int ss = bd_mulhrs(s2, 24576 - (s >> 1));
    return 4 * ss - (ss >> 6);
}

extern const struct bd_refine_kernels bd_refine_kernels_avx2;
/* The browser build's (src/mask/wasm/, WebAssembly SIMD). */
extern const struct bd_refine_kernels bd_refine_kernels_simd128;

#endif
