/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of mask refinement (src/mask/refine*.c):
 *  - each AVX2 kernel against its C twin, bit-exact, on random data at odd
 *    sizes (box sums, guided-filter coefficients, the 16-bit planes and
 *    classes, vertical mixes, the apply step for every factor k with and
 *    without deadband, constant retention and per-pixel stillness), and
 *    whole refiners (luma, colour, plain, grow, feather, several frames of
 *    temporal state; saturated and flat masks, where the SIMD apply step
 *    copies blocks) on both tables; the fixed-point coverage against the
 *    float smoothstep (within 1 level);
 *  - real data: every portrait of ../shared/data/portraits-dev, its
 *    ground-truth alpha box-downscaled to 256x256 (a perfect low-res model)
 *    and refined with the image as guide, must be closer to the full-res
 *    alpha than plain bilinear upsampling (MAD over the trimap band, and
 *    the share of band pixels on the right side of 50%);
 *  - temporal: a still scene with noisy masks flickers much less with
 *    temporal smoothing than without; a moving disk's edge is not delayed
 *    by more than one frame's motion;
 *  - invalid arguments, and (outside ASan) no allocation in run.
 * REFINE_SWEEP=1 also prints the parameter sweep behind the defaults.
 *
 * Built and run by `make unit` (and under ASan+UBSan by `make asan`).
 * Last line of output: "N passed, M failed"; exit status 1 on failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/convert.h>
#include <libyuv/scale.h>

#include "backdrop.h"
#include "check.h"
#include "mask/refine.h"

#if defined(__SANITIZE_ADDRESS__)
#define BD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BD_ASAN 1
#endif
#endif

/* ---- allocation counter (not under ASan, whose allocator must stay) ----- */
#ifndef BD_ASAN
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static volatile long n_allocs;
void *malloc(size_t n)
{
    n_allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    n_allocs++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    n_allocs++;
    return __libc_realloc(p, n);
}
void *aligned_alloc(size_t al, size_t n)
{
    n_allocs++;
    return __libc_memalign(al, n);
}
int posix_memalign(void **p, size_t al, size_t n)
{
    n_allocs++;
    *p = __libc_memalign(al, n);
    return *p ? 0 : 12;
}
#endif

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static float frand(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.f;
}

/* Approximately normal, mean 0, deviation 1. */
static float gauss(void)
{
    float s = 0;
    for (int i = 0; i < 4; i++)
        s += frand(-1.f, 1.f);
    return s * 0.8660254f;
}

static uint8_t clamp8(float v)
{
    return v <= 0.f ? 0 : v >= 255.f ? 255 : (uint8_t)lrintf(v);
}

static uint8_t *xmalloc(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        printf("out of memory\n");
        exit(2);
    }
    return p;
}

static uint8_t *rand_u8(size_t n)
{
    uint8_t *p = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

/* ------------------------------------------------------------------------ */
/* Twins                                                                     */

static void test_box_twins(const struct bd_refine_kernels *C, const struct bd_refine_kernels *S)
{
    const int sizes[][2] = {{1, 1}, {7, 3}, {13, 11}, {33, 17}, {61, 45}, {320, 180}};
    const int radii[] = {0, 1, 2, 3, 4, 5, 9, BD_GF_MAX_RADIUS};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int w = sizes[si][0], h = sizes[si][1], st = w + 5;
        uint8_t *a = rand_u8((size_t)st * h), *b = rand_u8((size_t)st * h);
        int32_t *i32 = malloc(sizeof(int32_t) * (size_t)st * h);
        for (size_t i = 0; i < (size_t)st * h; i++)
            i32[i] = (int32_t)(rnd() % (2 * BD_GF_CLAMP + 1)) - BD_GF_CLAMP;
        int32_t *d0 = calloc((size_t)st * h, 4), *d1 = calloc((size_t)st * h, 4);
        int32_t *scr = malloc(sizeof(int32_t) * bd_refine_box_scratch(st));
        for (size_t ri = 0; ri < sizeof radii / sizeof *radii; ri++) {
            int r = radii[ri];
            for (int mode = 0; mode < 3; mode++) {
                memset(d0, 0, (size_t)st * h * 4);
                memset(d1, 0, (size_t)st * h * 4);
                if (mode == 2) {
                    C->box_i32(i32, st, w, h, r, d0, st, scr);
                    S->box_i32(i32, st, w, h, r, d1, st, scr);
                } else {
                    C->box_u8(a, mode ? b : NULL, st, w, h, r, d0, st, scr);
                    S->box_u8(a, mode ? b : NULL, st, w, h, r, d1, st, scr);
                }
                CHECK(memcmp(d0, d1, (size_t)st * h * 4) == 0, "box mode %d %dx%d r %d", mode,
                      w, h, r);
            }
            /* against a naive window sum at a few points */
            C->box_u8(a, b, st, w, h, r, d0, st, scr);
            int bad = 0;
            for (int t = 0; t < 20; t++) {
                int x = (int)(rnd() % (unsigned)w), y = (int)(rnd() % (unsigned)h);
                int64_t s = 0;
                for (int j = -r; j <= r; j++)
                    for (int i = -r; i <= r; i++) {
                        int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
                        int yy = y + j < 0 ? 0 : y + j >= h ? h - 1 : y + j;
                        s += a[yy * st + xx] * b[yy * st + xx];
                    }
                bad += s != d0[y * st + x];
            }
            CHECK(bad == 0, "box naive %dx%d r %d: %d wrong", w, h, r, bad);
        }
        free(a);
        free(b);
        free(i32);
        free(d0);
        free(d1);
        free(scr);
    }
}

static void test_coef_twins(const struct bd_refine_kernels *C, const struct bd_refine_kernels *S)
{
    /* sums of real box filters over random (smoothed) planes */
    const int w = 67, h = 23, st = 72, r = 2;
    const size_t n = (size_t)st * h;
    uint8_t *pl[4];
    for (int i = 0; i < 4; i++) {
        pl[i] = rand_u8(n);
        for (size_t j = 1; j < n; j++) /* some correlation */
            if (rnd() & 1)
                pl[i][j] = pl[i][j - 1];
    }
    for (size_t j = 0; j < n; j++) /* p correlated with Y */
        pl[3][j] = (uint8_t)((pl[0][j] + pl[3][j]) / 2);
    int32_t *s[13], *scr = malloc(sizeof(int32_t) * bd_refine_box_scratch(st));
    for (int i = 0; i < 13; i++)
        s[i] = calloc(n, 4);
    for (int i = 0; i < 4; i++)
        C->box_u8(pl[i], NULL, st, w, h, r, s[i], st, scr);
    int k = 4;
    for (int i = 0; i < 3; i++)
        for (int j = i; j < 3; j++)
            C->box_u8(pl[i], pl[j], st, w, h, r, s[k++], st, scr);
    for (int i = 0; i < 3; i++)
        C->box_u8(pl[i], pl[3], st, w, h, r, s[k++], st, scr);
    const float inv_n = 1.f / 25.f;
    const float epss[] = {0.065f, 6.5f, 65.f, 650.f};
    for (int e = 0; e < 4; e++) {
        for (size_t len = n - 5; len <= n; len += 5) {
            int32_t *a0[3], *a1[3], *b0 = calloc(n, 4), *b1 = calloc(n, 4);
            for (int c = 0; c < 3; c++) {
                a0[c] = calloc(n, 4);
                a1[c] = calloc(n, 4);
            }
            C->coef_y(s[0], s[3], s[4], s[10], len, inv_n, epss[e], a0[0], b0);
            S->coef_y(s[0], s[3], s[4], s[10], len, inv_n, epss[e], a1[0], b1);
            CHECK(!memcmp(a0[0], a1[0], n * 4) && !memcmp(b0, b1, n * 4), "coef_y eps %g n %zu",
                  (double)epss[e], len);
            C->coef_yuv((const int32_t *const *)s, len, inv_n, epss[e], a0, b0);
            S->coef_yuv((const int32_t *const *)s, len, inv_n, epss[e], a1, b1);
            int same = !memcmp(b0, b1, n * 4);
            for (int c = 0; c < 3; c++)
                same &= !memcmp(a0[c], a1[c], n * 4);
            CHECK(same, "coef_yuv eps %g n %zu", (double)epss[e], len);
            for (int c = 0; c < 3; c++) {
                free(a0[c]);
                free(a1[c]);
            }
            free(b0);
            free(b1);
        }
    }
    for (int i = 0; i < 13; i++)
        free(s[i]);
    for (int i = 0; i < 4; i++)
        free(pl[i]);
    free(scr);
}

static void test_apply_twins(const struct bd_refine_kernels *C, const struct bd_refine_kernels *S)
{
    const int ks[] = {1, 2, 4, 8};
    const int widths[] = {1, 7, 8, 9, 31, 64, 101, 1283};
    for (int ki = 0; ki < 4; ki++) {
        struct bd_refine_geom g;
        bd_refine_geom_init(&g, ks[ki]);
        for (int wi = 0; wi < 8; wi++) {
            const int n = widths[wi], ww = (n + ks[ki] - 1) / ks[ki];
            int16_t *rows[5];
            for (int i = 0; i < 5; i++) {
                rows[i] = malloc(sizeof(int16_t) * (size_t)(ww + 32));
                int16_t *v = rows[i] + 8;
                for (int x = 0; x < ww; x++) /* a: +-3 levels/level, some extreme; b: -300..500
                                                levels, some saturated; r: 0..1 */
                    v[x] = (int16_t)(i < 3 ? ((rnd() & 15) ? (int)(rnd() % 6145) - 3072
                                                          : (int)(rnd() % 65535) - 32767)
                                     : i == 3 ? ((rnd() & 15) ? (int)(rnd() % 3200) - 1200
                                                              : (int)(rnd() % 65535) - 32767)
                                              : (int)(rnd() % 32768));
                v[-1] = v[0];
                for (int x = ww; x < ww + 16; x++)
                    v[x] = v[ww - 1];
            }
            uint8_t *y = rand_u8((size_t)n + 3), *u = rand_u8((size_t)n / 2 + 4),
                    *v = rand_u8((size_t)n / 2 + 4), *prev0 = rand_u8((size_t)n),
                    *prev1 = xmalloc((size_t)n), *d0 = xmalloc((size_t)n),
                    *d1 = xmalloc((size_t)n);
            /* every other width: prev in runs of 0 and 255 (whole 16-pixel
             * blocks, as in a settled mask), where the SIMD kernels may
             * skip blocks whose coverage stays at prev */
            if (wi & 1)
                for (int x = 0; x < n; x++)
                    prev0[x] = (uint8_t)(((x / 16) * 7 + ki) % 3 ? ((x / 16) & 1) * 255 : prev0[x]);
            memcpy(prev1, prev0, (size_t)n);
            /* the previous luma: y give or take a few levels, some far */
            uint8_t *yp = xmalloc((size_t)n), *ys0 = xmalloc((size_t)n),
                    *ys1 = xmalloc((size_t)n);
            for (int x = 0; x < n; x++)
                yp[x] = (rnd() & 3) ? (uint8_t)(y[3 + x] + (int)(rnd() % 11) - 5) : (uint8_t)rnd();
            /* coverage ranges: the default, a narrow one, a tiny one; deadband
             * off and on; r per pixel and constant */
            const float cov[][2] = {{0.f, 1.f}, {0.15f, 0.6f}, {0.5f, 0.501f}};
            for (int cfg = 0; cfg < 12; cfg++)
                for (int color = 0; color < 2; color++) {
                    struct bd_refine_row row = {
                        .a = {rows[0] + 8, rows[1] + 8, rows[2] + 8},
                        .b = rows[3] + 8, .r = rows[4] + 8,
                        .y = y + 3, .u = u, .v = v, .n = n,
                    };
                    bd_refine_coverage_init(&row, cov[cfg % 3][0], cov[cfg % 3][1]);
                    row.db7 = (cfg / 3) & 1 ? 200 : 0;
                    row.r_const = cfg >= 6 ? (cfg & 1 ? 24576 : 0) : -1;
                    if (cfg & 2) { /* per-pixel stillness against yp */
                        row.yp = yp;
                        row.ythr = 4;
                        row.rstill = 16384;
                    }
                    row.prev = row.state = prev0;
                    row.dst = d0;
                    row.ys = ys0;
                    (color ? C->apply_yuv : C->apply_y)(&row, &g);
                    row.prev = row.state = prev1;
                    row.dst = d1;
                    row.ys = ys1;
                    (color ? S->apply_yuv : S->apply_y)(&row, &g);
                    CHECK(!memcmp(d0, d1, (size_t)n) && !memcmp(prev0, prev1, (size_t)n) &&
                              !memcmp(ys0, ys1, (size_t)n) && !memcmp(ys0, y + 3, (size_t)n),
                          "apply %s k %d n %d cfg %d", color ? "yuv" : "y", ks[ki], n, cfg);
                }
            for (int i = 0; i < 5; i++)
                free(rows[i]);
            free(y);
            free(u);
            free(v);
            free(prev0);
            free(prev1);
            free(d0);
            free(d1);
            free(yp);
            free(ys0);
            free(ys1);
        }
    }
    /* the fixed-point coverage against the float formula: k = 1, a = 0, b
     * sweeping q over -10 .. 265 levels, no temporal retention */
    {
        const float cov[][2] = {{0.f, 1.f}, {0.2f, 0.7f}, {0.5f, 0.52f}};
        const int n = 1104;
        int16_t *bq = calloc((size_t)n + 48, sizeof(int16_t)),
                *za = calloc((size_t)n + 48, sizeof(int16_t));
        uint8_t *yy = rand_u8((size_t)n), *prev = rand_u8((size_t)n), *d = xmalloc((size_t)n);
        struct bd_refine_geom g1;
        bd_refine_geom_init(&g1, 1);
        for (int x = -1; x < n + 16; x++)
            bq[16 + x] = (int16_t)(-40 + (x < 0 ? 0 : x >= n ? n - 1 : x) * 1100 / n);
        for (int c = 0; c < 3; c++) {
            struct bd_refine_row row = {.a = {za + 16, za + 16, za + 16}, .b = bq + 16,
                                        .r_const = 0, .y = yy, .n = n};
            bd_refine_coverage_init(&row, cov[c][0], cov[c][1]);
            row.prev = row.state = prev;
            row.dst = d;
            C->apply_y(&row, &g1);
            int worst = 0;
            for (int x = 0; x < n; x++) {
                /* lo and hi as the refiner rounds them: to 1/4 level */
                float sv = (float)(bq[16 + x] - row.lo4) / (float)row.r4;
                sv = sv < 0.f ? 0.f : sv > 1.f ? 1.f : sv;
                int e = abs((int)lrintf(255.f * sv * sv * (3.f - 2.f * sv)) - (int)d[x]);
                worst = e > worst ? e : worst;
            }
            CHECK(worst <= 1, "fixed-point coverage %.2f..%.2f: off by %d levels",
                  (double)cov[c][0], (double)cov[c][1], worst);
        }
        free(bq);
        free(za);
        free(yy);
        free(prev);
        free(d);
    }
    /* the geometry: k = 4 and 2 give libyuv-style half-pixel centres */
    struct bd_refine_geom g;
    bd_refine_geom_init(&g, 4);
    CHECK(g.li[0] == 0 && g.ri[0] == 1 && fabsf(g.w[0] - 0.625f) < 1e-6f &&
              g.li[3] == 1 && fabsf(g.w[3] - 0.375f) < 1e-6f && g.li[7] == 2,
          "geometry k=4");
}

/* The grid helpers: vertical mix, motion. */
static void test_grid_twins(const struct bd_refine_kernels *C, const struct bd_refine_kernels *S)
{
    const int widths[] = {1, 7, 8, 15, 16, 31, 33, 97, 320};
    for (int wi = 0; wi < 9; wi++) {
        const int w = widths[wi];
        int16_t *p0 = malloc(sizeof(int16_t) * (size_t)(w + 2)),
                *p1 = malloc(sizeof(int16_t) * (size_t)(w + 2));
        int16_t *o0 = malloc(sizeof(int16_t) * (size_t)(w + 2)),
                *o1 = malloc(sizeof(int16_t) * (size_t)(w + 2));
        for (int x = 0; x < w; x++) {
            p0[x] = (int16_t)((int)(rnd() % 65535) - 32767);
            p1[x] = (rnd() & 3) ? (int16_t)((int)(rnd() % 65535) - 32767) : p0[x];
        }
        const int wys[] = {0, 4096, 12288, 20480, 28672, 30720};
        for (int k = 0; k < 6; k++) {
            C->vmix(p0, p1, wys[k], o0, w);
            S->vmix(p0, p1, wys[k], o1, w);
            CHECK(!memcmp(o0, o1, sizeof(int16_t) * (size_t)w), "vmix w %d wy %d", w, wys[k]);
        }
        /* fix16: random window sums (n2 = 9), many small (saturated cells) */
        for (int na = 1; na <= 3; na += 2) {
            int32_t *Sv[4];
            int16_t *q0[4], *q1[4];
            for (int c = 0; c < 4; c++) {
                Sv[c] = malloc(sizeof(int32_t) * (size_t)w);
                q0[c] = calloc((size_t)w, sizeof(int16_t));
                q1[c] = calloc((size_t)w, sizeof(int16_t));
                for (int x = 0; x < w; x++) {
                    int kind = (int)(rnd() % 4);
                    Sv[c][x] = kind == 0 ? 0 : kind == 1 ? (int32_t)(rnd() % 2001) - 1000
                             : kind == 2 ? (c == 3 ? 9 * 16 * 255 : 0)
                                         : (int32_t)(rnd() % (2 * 9 * BD_GF_CLAMP + 1)) - 9 * BD_GF_CLAMP;
                }
            }
            uint8_t *k0 = xmalloc((size_t)w), *k1 = xmalloc((size_t)w);
            const int32_t *const Sc[4] = {Sv[0], Sv[1], Sv[2], Sv[3]};
            C->fix16(Sc, (size_t)w, na, 1.f / 9.f, 0.25f / 9.f, 15, 1005, q0, k0);
            S->fix16(Sc, (size_t)w, na, 1.f / 9.f, 0.25f / 9.f, 15, 1005, q1, k1);
            int same = !memcmp(k0, k1, (size_t)w);
            for (int c = 0; c < 4; c++) {
                if (c == 0 || c == 3 || na == 3)
                    same &= !memcmp(q0[c], q1[c], sizeof(int16_t) * (size_t)w);
                free(Sv[c]);
                free(q0[c]);
                free(q1[c]);
            }
            CHECK(same, "fix16 w %d na %d", w, na);
            free(k0);
            free(k1);
        }
        const uint8_t *ra[3], *rb[3];
        uint8_t *buf = rand_u8((size_t)w * 6);
        for (int i = 0; i < 3; i++) {
            ra[i] = buf + (size_t)i * w;
            rb[i] = buf + (size_t)(3 + i) * w;
        }
        uint8_t *m0 = xmalloc((size_t)w + 2), *m1 = xmalloc((size_t)w + 2);
        C->motion_row(ra, rb, m0 + 1, w);
        S->motion_row(ra, rb, m1 + 1, w);
        CHECK(!memcmp(m0 + 1, m1 + 1, (size_t)w), "motion_row w %d", w);
        free(p0);
        free(p1);
        free(o0);
        free(o1);
        free(buf);
        free(m0);
        free(m1);
    }
}

/* A whole refiner on both tables, several frames, every mode. */
static void test_refiner_twins(const struct bd_refine_kernels *S)
{
    struct cfg {
        int w, h, lw, lh, edge, color, grow, feather, temporal, sat;
    } cfgs[] = {
        /* saturated masks (0 and 255) over a guide that stops moving: the
         * SIMD kernels' shortcut for saturated blocks */
        {641, 363, 160, 90, 1, 0, 0, 0, 1, 1}, {1283, 721, 256, 144, 1, 1, 0, 0, 1, 1},
        {333, 251, 256, 144, 1, 1, 0, 0, 1, 1}, {640, 480, 256, 256, 0, 0, 0, 0, 1, 1},
        {320, 180, 160, 90, 1, 0, 0, 0, 1, 1},  {320, 180, 40, 23, 1, 1, 0, 0, 1, 1},
        /* flat masks that do not saturate (240 and 8): the shortcut for flat
         * blocks */
        {641, 363, 160, 90, 1, 0, 0, 0, 1, 2}, {1283, 721, 256, 144, 1, 1, 0, 0, 1, 2},
        {640, 480, 256, 256, 0, 0, 0, 0, 1, 2}, {333, 251, 256, 144, 1, 1, 0, 0, 1, 2},
        {641, 363, 160, 90, 1, 0, 0, 0, 1, 0}, {641, 363, 160, 90, 1, 1, 0, 0, 1, 0},
        {333, 251, 256, 144, 1, 1, 3, -0, 1, 0}, {97, 61, 13, 9, 1, 1, -5, 7, 1, 0},
        {1283, 721, 256, 144, 1, 1, 0, 0, 1, 0}, {640, 480, 256, 256, 0, 0, 2, 3, 1, 0},
        {57, 33, 57, 33, 1, 0, 0, 0, 0, 0},
    };
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        const struct cfg *f = &cfgs[c];
        struct bd_refine_options o;
        bd_refine_options_default(&o);
        o.edge_aware = f->edge;
        o.grow = f->grow;
        o.feather = f->feather;
        o.temporal = f->temporal;
        struct bd_refiner *r0, *r1;
        CHECK(bd_refiner_create(f->w, f->h, f->lw, f->lh, &o, &r0) == BD_OK, "create");
        CHECK(bd_refiner_create(f->w, f->h, f->lw, f->lh, &o, &r1) == BD_OK, "create");
        bd_refiner_set_kernels(r0, bd_refine_kernels_for("base"));
        bd_refiner_set_kernels(r1, S);
        const int sy = f->w + 3, cw = (f->w + 1) / 2, ch = (f->h + 1) / 2, suv = cw + 1;
        const int ls = f->lw + 2, ds = f->w + 5;
        uint8_t *y = rand_u8((size_t)sy * f->h), *u = rand_u8((size_t)suv * ch),
                *v = rand_u8((size_t)suv * ch), *low = rand_u8((size_t)ls * f->lh);
        uint8_t *d0 = xmalloc((size_t)ds * f->h), *d1 = xmalloc((size_t)ds * f->h);
        int same = 1;
        for (int fr = 0; fr < (f->sat ? 7 : 4); fr++) {
            /* smooth-ish content: a gradient plus noise, changing per frame
             * (saturated cases: still from frame 3 on, but for a little
             * noise in frame 5) */
            if (!f->sat || fr < 3 || fr == 5)
                for (int yy = 0; yy < f->h; yy++)
                    for (int xx = 0; xx < f->w; xx++)
                        y[yy * sy + xx] = (uint8_t)(f->sat ? 60 + xx * 100 / f->w + (fr == 5 ? (int)(rnd() % 3) : 0)
                                                           : (xx * 3 + yy + fr * 9 + (int)(rnd() % 24)) & 255);
            for (int yy = 0; yy < f->lh; yy++)
                for (int xx = 0; xx < f->lw; xx++)
                    low[yy * ls + xx] =
                        f->sat ? (uint8_t)((xx - f->lw / 2) * (xx - f->lw / 2) + (yy - f->lh / 2) * (yy - f->lh / 2) <
                                                   f->lh * f->lh / 8 + (fr < 3 ? fr * 9 : 27)
                                               ? (f->sat == 2 ? 240 : 255)
                                               : (f->sat == 2 ? 8 : 0))
                               : (uint8_t)(xx * 2 < f->lw + fr ? 230 - (rnd() % 40) : rnd() % 30);
            const uint8_t *uu = f->color ? u : NULL, *vv = f->color ? v : NULL;
            CHECK(bd_refiner_run(r0, low, ls, y, sy, uu, vv, suv, d0, ds) == BD_OK, "run");
            CHECK(bd_refiner_run(r1, low, ls, y, sy, uu, vv, suv, d1, ds) == BD_OK, "run");
            for (int yy = 0; yy < f->h; yy++)
                same &= !memcmp(d0 + yy * ds, d1 + yy * ds, (size_t)f->w);
        }
        CHECK(same, "refiner twins cfg %zu (%dx%d from %dx%d, edge %d colour %d sat %d)", c, f->w,
              f->h, f->lw, f->lh, f->edge, f->color, f->sat);
        free(y);
        free(u);
        free(v);
        free(low);
        free(d0);
        free(d1);
        bd_refiner_destroy(r0);
        bd_refiner_destroy(r1);
    }
}

/* ------------------------------------------------------------------------ */
/* Against naive code                                                        */

/*
 * The grid helpers (the low-res mask's bilinear taps, grow, the temporal
 * weights and their motion dilation, the grid rounding of grow and
 * feather) are shared by the C and AVX2 tables, so the twins cannot see
 * their bugs. These tests run whole refiners in plain mode (edge_aware 0:
 * the output is the coverage of the mask as the grid carries it) on both
 * tables and compare them with straightforward float code written here.
 */

static const struct bd_refine_kernels *tables[2];
static int n_tables;

/* The AVX2 table on a CPU with AVX2, and nowhere else; the refiner's
 * default follows the CPU unless BACKDROP_MASK_ISA=base. */
static void test_dispatch(void)
{
    int avx2 = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2");
#endif
    const struct bd_refine_kernels *C = bd_refine_kernels_for("base");
    const struct bd_refine_kernels *S = bd_refine_kernels_for("avx2");
    CHECK(C && strcmp(C->name, "base") == 0, "the base table");
    CHECK((S != NULL) == (avx2 != 0) && (!S || strcmp(S->name, "avx2") == 0),
          "AVX2 table %s on a CPU %s AVX2", S ? S->name : "missing", avx2 ? "with" : "without");
    CHECK(bd_refine_kernels_for("neon") == NULL, "an unknown ISA gives no table");
    const char *env = getenv("BACKDROP_MASK_ISA");
    const char *want = (env && strcmp(env, "base") == 0) || !avx2 ? "base" : "avx2";
    struct bd_refiner *r;
    CHECK(bd_refiner_create(64, 48, 16, 12, NULL, &r) == BD_OK, "create");
    CHECK(r && strcmp(bd_refiner_kernels(r)->name, want) == 0, "a new refiner uses %s, want %s",
          r ? bd_refiner_kernels(r)->name : "-", want);
    bd_refiner_destroy(r);
}

/* Resamples s (sw x sh) to dw x dh bilinearly, the source position of
 * output i being (i + 0.5) scale - 0.5 clamped to the samples. */
static double *naive_resample(const double *s, int sw, int sh, int dw, int dh, double scx,
                              double scy)
{
    double *d = malloc(sizeof(double) * (size_t)dw * (size_t)dh);
    for (int y = 0; y < dh; y++) {
        double py = ((double)y + 0.5) * scy - 0.5;
        py = py < 0 ? 0 : py > sh - 1 ? sh - 1 : py;
        const int y0 = (int)py, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        for (int x = 0; x < dw; x++) {
            double px = ((double)x + 0.5) * scx - 0.5;
            px = px < 0 ? 0 : px > sw - 1 ? sw - 1 : px;
            const int x0 = (int)px, x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            const double fx = px - x0, fy = py - y0;
            const double top = s[y0 * sw + x0] * (1 - fx) + s[y0 * sw + x1] * fx;
            const double bot = s[y1 * sw + x0] * (1 - fx) + s[y1 * sw + x1] * fx;
            d[y * dw + x] = top * (1 - fy) + bot * fy;
        }
    }
    return d;
}

/* Max (g > 0) or min (g < 0) over the (2|g| + 1)^2 window, edges clamped,
 * in place. */
static void naive_grow(double *p, int w, int h, int g)
{
    double *o = malloc(sizeof(double) * (size_t)w * (size_t)h);
    const int r = abs(g);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double m = p[y * w + x];
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++) {
                    const int yy = y + dy, xx = x + dx;
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    const double v = p[yy * w + xx];
                    m = g > 0 ? (v > m ? v : m) : (v < m ? v : m);
                }
            o[y * w + x] = m;
        }
    memcpy(p, o, sizeof(double) * (size_t)w * (size_t)h);
    free(o);
}

/* Mean over the (2r + 1)^2 window, edges replicated, in place. */
static void naive_box(double *p, int w, int h, int r)
{
    double *o = malloc(sizeof(double) * (size_t)w * (size_t)h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++) {
                    const int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                    const int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                    s += p[yy * w + xx];
                }
            o[y * w + x] = s / ((2 * r + 1) * (2 * r + 1));
        }
    memcpy(p, o, sizeof(double) * (size_t)w * (size_t)h);
    free(o);
}

static double naive_coverage(double q, double lo, double hi)
{
    double s = (q / 255.0 - lo) / (hi - lo);
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    return 255.0 * s * s * (3 - 2 * s);
}

/* A pixel count in grid cells of k, as the refiner rounds grow and feather
 * (to nearest, at least one cell when asked for any). */
static int grid_cells(int px, int k)
{
    int c = (int)lrint((double)abs(px) / k);
    c = px != 0 && c == 0 ? 1 : c;
    return px < 0 ? -c : c;
}

/*
 * Plain mode against naive code at every grid factor k: the low mask
 * resampled to the grid (ceil(W/k) x ceil(H/k)) and rounded to bytes,
 * grown or shrunk there by grow/k cells, averaged over feather/k cells,
 * resampled to full size with output x at grid position (x + 0.5)/k - 0.5,
 * and mapped through the lo .. hi smoothstep. Binary masks at k = 1 with a
 * narrow ramp: exactly the max/min filter of the mask.
 */
static void test_plain_naive(void)
{
    struct cfg {
        int w, h, lw, lh, k, grow, feather, binary;
        float lo, hi;
    } cfgs[] = {
        {61, 37, 61, 37, 1, 1, 0, 1, 0.49f, 0.51f},   {61, 37, 61, 37, 1, 3, 0, 1, 0.49f, 0.51f},
        {61, 37, 61, 37, 1, -1, 0, 1, 0.49f, 0.51f},  {61, 37, 61, 37, 1, -2, 0, 1, 0.49f, 0.51f},
        {33, 70, 33, 70, 1, 2, 0, 1, 0.49f, 0.51f},   {97, 61, 40, 23, 1, 0, 0, 0, 0.f, 1.f},
        {97, 61, 40, 23, 1, 0, 3, 0, 0.f, 1.f},       {97, 61, 40, 23, 1, -2, 2, 0, 0.f, 1.f},
        {333, 251, 41, 31, 8, 0, 0, 0, 0.f, 1.f},     {333, 251, 41, 31, 8, 3, 0, 0, 0.f, 1.f},
        {333, 251, 80, 60, 8, -10, 0, 0, 0.f, 1.f},   {333, 251, 80, 60, 8, 0, 5, 0, 0.f, 1.f},
        {333, 251, 100, 70, 4, 1, 5, 0, 0.f, 1.f},    {333, 251, 100, 70, 4, 0, 0, 0, 0.f, 1.f},
        {321, 179, 64, 36, 2, -6, 0, 0, 0.f, 1.f},    {321, 179, 64, 36, 2, 0, 0, 0, 0.4f, 0.6f},
        {321, 179, 160, 90, 2, 2, 0, 0, 0.f, 1.f},
    };
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        const struct cfg *f = &cfgs[c];
        const int w = f->w, h = f->h, lw = f->lw, lh = f->lh, k = f->k;
        const int ls = lw + 3, ds = w + 5;
        uint8_t *low = xmalloc((size_t)ls * lh), *y = rand_u8((size_t)w * h);
        uint8_t *d = xmalloc((size_t)ds * h);
        double *lowd = malloc(sizeof(double) * (size_t)lw * lh);
        for (int yy = 0; yy < lh; yy++)
            for (int xx = 0; xx < lw; xx++) {
                /* binary: blobs of a few pixels; else any value */
                uint8_t v = f->binary ? (uint8_t)(((xx / 3 + yy / 2) * 7 + (int)(rnd() % 5)) % 5 < 2 ? 255 : 0)
                                      : (uint8_t)rnd();
                low[yy * ls + xx] = v;
                lowd[yy * lw + xx] = v;
            }
        /* the naive refiner */
        const int ww = (w + k - 1) / k, wh = (h + k - 1) / k;
        double *grid = naive_resample(lowd, lw, lh, ww, wh, (double)lw / ww, (double)lh / wh);
        for (int i = 0; i < ww * wh; i++)
            grid[i] = floor(grid[i] + 0.5);
        if (f->grow)
            naive_grow(grid, ww, wh, grid_cells(f->grow, k));
        if (f->feather)
            naive_box(grid, ww, wh, grid_cells(f->feather, k));
        double *full = naive_resample(grid, ww, wh, w, h, 1.0 / k, 1.0 / k);
        for (int t = 0; t < n_tables; t++) {
            struct bd_refine_options o;
            bd_refine_options_default(&o);
            o.edge_aware = 0;
            o.temporal = 0;
            o.radius = 2 * k > 1 ? 2 * k : 1; /* picks the grid factor k */
            o.grow = f->grow;
            o.feather = f->feather;
            o.lo = f->lo;
            o.hi = f->hi;
            struct bd_refiner *r;
            if (bd_refiner_create(w, h, lw, lh, &o, &r) != BD_OK) {
                CHECK(0, "plain cfg %zu: create: %s", c, bd_last_error());
                continue;
            }
            bd_refiner_set_kernels(r, tables[t]);
            int kf = 0;
            bd_refiner_geometry(r, &kf, NULL, NULL);
            CHECK(kf == k, "plain cfg %zu: grid factor %d, want %d", c, kf, k);
            CHECK(bd_refiner_run(r, low, ls, y, w, NULL, NULL, 0, d, ds) == BD_OK, "run");
            int bad = 0, worst = 0, wx = 0, wy = 0;
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++) {
                    /* q within 1.25 levels (the grid's bytes, the 16-bit
                     * mixes), then the coverage within 1 */
                    const double q = full[yy * w + xx], tol = f->binary ? 0 : 1.25;
                    const double lo = naive_coverage(q - tol, f->lo, f->hi) - (f->binary ? 0 : 1);
                    const double hi = naive_coverage(q + tol, f->lo, f->hi) + (f->binary ? 0 : 1);
                    const double v = d[yy * ds + xx];
                    const int e = (int)ceil(v < lo ? lo - v : v > hi ? v - hi : 0);
                    if (e > 0)
                        bad++;
                    if (e > worst) {
                        worst = e;
                        wx = xx;
                        wy = yy;
                    }
                }
            CHECK(bad == 0, "plain %s cfg %zu (%dx%d from %dx%d, k %d, grow %d, feather %d): %d "
                  "pixels off the naive refiner, worst %d levels beyond at (%d, %d)",
                  tables[t]->name, c, w, h, lw, lh, k, f->grow, f->feather, bad, worst, wx, wy);
            bd_refiner_destroy(r);
        }
        free(grid);
        free(full);
        free(lowd);
        free(low);
        free(y);
        free(d);
    }
}

/*
 * The temporal weights against naive code, on the full-resolution grid
 * (k = 1, plain mode, a narrow ramp so the coverage c is 0 or 255). Per
 * pixel, from the second frame on: t = max((m - 3)/6, (j - 200)/56)
 * clamped to [1/12, 1], where m is the largest |luma change| over the 3x3
 * neighbourhood and j the mask's change there; a pixel whose own luma
 * moved by at most 4 keeps at least half its previous output; a change of
 * at most 8 levels leaves the output; else out = c + (prev - c)(1 - t).
 * Sparse luma changes of 0..12 levels (single pixels, so the dilation
 * matters) and mask changes of every size, over several frames.
 */
static void test_temporal_naive(void)
{
    const int sizes[][2] = {{67, 45}, {35, 9}};
    static const uint8_t pal[] = {0, 40, 100, 140, 200, 255}; /* c: 0 0 0 255 255 255 */
    for (int si = 0; si < 2; si++)
        for (int t = 0; t < n_tables; t++) {
            const int w = sizes[si][0], h = sizes[si][1], n = w * h;
            struct bd_refine_options o;
            bd_refine_options_default(&o);
            o.edge_aware = 0;
            o.radius = 1;
            o.lo = 0.49f;
            o.hi = 0.51f;
            struct bd_refiner *r;
            if (bd_refiner_create(w, h, w, h, &o, &r) != BD_OK) {
                CHECK(0, "temporal: create: %s", bd_last_error());
                continue;
            }
            bd_refiner_set_kernels(r, tables[t]);
            uint8_t *y0 = xmalloc((size_t)n), *y1 = xmalloc((size_t)n), *m0 = xmalloc((size_t)n),
                    *m1 = xmalloc((size_t)n), *prev = xmalloc((size_t)n), *d = xmalloc((size_t)n);
            for (int i = 0; i < n; i++) {
                y0[i] = (uint8_t)(60 + rnd() % 130);
                m0[i] = pal[rnd() % 6];
            }
            CHECK(bd_refiner_run(r, m0, w, y0, w, NULL, NULL, 0, d, w) == BD_OK, "run");
            int bad = 0, worst = 0;
            for (int i = 0; i < n; i++)
                bad += d[i] != (m0[i] >= 130 ? 255 : 0);
            CHECK(bad == 0, "temporal %s %dx%d: the first frame is not the coverage (%d pixels)",
                  tables[t]->name, w, h, bad);
            bad = 0;
            for (int fr = 1; fr < 8; fr++) {
                memcpy(prev, d, (size_t)n);
                for (int i = 0; i < n; i++) {
                    y1[i] = y0[i];
                    if (rnd() % 16 == 0) /* one pixel in 16 moves by up to 12 levels */
                        y1[i] = (uint8_t)(y0[i] + (int)(rnd() % 25) - 12);
                    m1[i] = rnd() % 5 == 0 ? pal[rnd() % 6] : m0[i];
                }
                /* and a whole row still but for one pixel, one row all still */
                for (int x = 0; x < w; x++) {
                    y1[(h / 2) * w + x] = y0[(h / 2) * w + x];
                    if (h > 4)
                        y1[4 * w + x] = y0[4 * w + x];
                }
                y1[(h / 2) * w + w / 3] = (uint8_t)(y0[(h / 2) * w + w / 3] + 12);
                CHECK(bd_refiner_run(r, m1, w, y1, w, NULL, NULL, 0, d, w) == BD_OK, "run");
                for (int yy = 0; yy < h; yy++)
                    for (int xx = 0; xx < w; xx++) {
                        const int i = yy * w + xx;
                        int m = 0;
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++) {
                                const int a = yy + dy < 0 ? 0 : yy + dy >= h ? h - 1 : yy + dy;
                                const int b = xx + dx < 0 ? 0 : xx + dx >= w ? w - 1 : xx + dx;
                                const int v = abs(y1[a * w + b] - y0[a * w + b]);
                                m = v > m ? v : m;
                            }
                        const int j = abs(m1[i] - m0[i]);
                        double tw = fmax((m - 3) / 6.0, (j - 200) / 56.0);
                        tw = tw < 1 / 12.0 ? 1 / 12.0 : tw > 1 ? 1 : tw;
                        double keep = 1 - tw;
                        if (abs(y1[i] - y0[i]) <= 4 && keep < 0.5)
                            keep = 0.5;
                        const double c = m1[i] >= 130 ? 255 : 0;
                        const double want =
                            fabs(c - prev[i]) <= 8 ? prev[i] : c + (prev[i] - c) * keep;
                        const int e = (int)ceil(fabs(d[i] - want) - 0.5);
                        bad += e > 1;
                        worst = e > worst ? e : worst;
                    }
                uint8_t *s = y0;
                y0 = y1;
                y1 = s;
                s = m0;
                m0 = m1;
                m1 = s;
            }
            CHECK(bad == 0, "temporal %s %dx%d: %d pixels off the naive weights, worst %d levels",
                  tables[t]->name, w, h, bad, worst);
            free(y0);
            free(y1);
            free(m0);
            free(m1);
            free(prev);
            free(d);
            bd_refiner_destroy(r);
        }
}

/* ------------------------------------------------------------------------ */
/* Real data                                                                 */

struct portrait {
    int w, h;
    uint8_t *y, *u, *v; /* I420, tight strides */
    uint8_t *rgb;       /* the photo, RGB24, stride 3 w */
    uint8_t *alpha;     /* w x h */
    uint8_t *band;      /* 1 where the trimap's unknown band (dilated 5) is */
    long band_n;
};

static int load_portrait(const char *img_path, const char *alpha_path, struct portrait *p)
{
    struct bd_image im, al;
    if (bd_image_load(img_path, 0, &im) != BD_OK)
        return -1;
    if (bd_image_load(alpha_path, 0, &al) != BD_OK || al.width != im.width ||
        al.height != im.height) {
        bd_image_free(&im);
        return -1;
    }
    const int w = im.width, h = im.height, cw = (w + 1) / 2, ch = (h + 1) / 2;
    p->w = w;
    p->h = h;
    p->y = xmalloc((size_t)w * h);
    p->u = xmalloc((size_t)cw * ch);
    p->v = xmalloc((size_t)cw * ch);
    RAWToI420(im.data, im.stride, p->y, w, p->u, cw, p->v, cw, w, h);
    p->rgb = xmalloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        memcpy(p->rgb + (size_t)y * w * 3, im.data + (size_t)y * im.stride, (size_t)w * 3);
    p->alpha = xmalloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            p->alpha[y * w + x] = al.data[(size_t)y * al.stride + (size_t)x * al.channels];
    /* band: 0 < alpha < 255, dilated by 5 (square) */
    uint8_t *t = xmalloc((size_t)w * h);
    p->band = xmalloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int m = 0;
            for (int i = -5; i <= 5 && !m; i++) {
                int xx = x + i;
                if (xx >= 0 && xx < w) {
                    uint8_t a = p->alpha[y * w + xx];
                    m = a > 0 && a < 255;
                }
            }
            t[y * w + x] = (uint8_t)m;
        }
    p->band_n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int m = 0;
            for (int j = -5; j <= 5 && !m; j++)
                if (y + j >= 0 && y + j < h)
                    m = t[(y + j) * w + x];
            p->band[y * w + x] = (uint8_t)m;
            p->band_n += m;
        }
    free(t);
    bd_image_free(&im);
    bd_image_free(&al);
    return 0;
}

static void free_portrait(struct portrait *p)
{
    free(p->y);
    free(p->rgb);
    free(p->u);
    free(p->v);
    free(p->alpha);
    free(p->band);
}

/* MAD over the band, and the share of band pixels on the wrong side of 50%. */
static void score(const struct portrait *p, const uint8_t *m, double *mad, double *wrong)
{
    double s = 0;
    long bad = 0;
    for (long i = 0; i < (long)p->w * p->h; i++)
        if (p->band[i]) {
            s += abs((int)m[i] - (int)p->alpha[i]);
            bad += (m[i] >= 128) != (p->alpha[i] >= 128);
        }
    *mad = p->band_n ? s / (double)p->band_n : 0;
    *wrong = p->band_n ? (double)bad / (double)p->band_n : 0;
}

static void refine_portrait(const struct portrait *p, const uint8_t *low, int lw, int lh,
                            const struct bd_refine_options *o, int color, uint8_t *out)
{
    struct bd_refiner *r;
    if (bd_refiner_create(p->w, p->h, lw, lh, o, &r) != BD_OK) {
        memset(out, 0, (size_t)p->w * p->h);
        return;
    }
    const int cw = (p->w + 1) / 2;
    bd_refiner_run(r, low, lw, p->y, p->w, color ? p->u : NULL, color ? p->v : NULL, cw, out,
                   p->w);
    bd_refiner_destroy(r);
}

#define MAX_PORTRAITS 16
static struct portrait portraits[MAX_PORTRAITS];
static int n_portraits;
static const char *portrait_names[MAX_PORTRAITS];

static void load_portraits(void)
{
    static const char *names[] = {"p_07141906", "p_09ba26b4", "p_22fc0130",
                                  "p_514ca06a", "p_51c916fc", "p_71bcce3a"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char a[256], b[256];
        snprintf(a, sizeof a, "../shared/data/portraits-dev/image/%s.jpg", names[i]);
        snprintf(b, sizeof b, "../shared/data/portraits-dev/alpha/%s.png", names[i]);
        if (load_portrait(a, b, &portraits[n_portraits]) == 0)
            portrait_names[n_portraits++] = names[i];
        else
            SKIP_PROVIDED("portrait %s: %s or %s is missing or unreadable", names[i], a, b);
    }
}

static void test_portraits(void)
{
    if (!n_portraits) {
        SKIP_PROVIDED("portraits: ../shared/data/portraits-dev not found");
        return;
    }
    const int lw = 256, lh = 256;
    uint8_t *low = xmalloc((size_t)lw * lh);
    for (int i = 0; i < n_portraits; i++) {
        const struct portrait *p = &portraits[i];
        uint8_t *bil = xmalloc((size_t)p->w * p->h), *ref = xmalloc((size_t)p->w * p->h);
        ScalePlane(p->alpha, p->w, p->w, p->h, low, lw, lw, lh, kFilterBox);
        ScalePlane(low, lw, lw, lh, bil, p->w, p->w, p->h, kFilterBilinear);
        double mb, wb, my, wy, mc, wc;
        score(p, bil, &mb, &wb);
        /* The edge-aware upsampler alone, in the regime where a perfect
         * low-resolution mask is best served: a window of one model cell
         * and no coverage ramp (the soft truth keeps its soft values). The
         * defaults are tuned for a model's blurred, misplaced edges:
         * test_model_portraits checks those. */
        struct bd_refine_options o;
        bd_refine_options_default(&o);
        o.radius = (p->w > p->h ? p->w : p->h) / lw;
        o.lo = 0.f;
        o.hi = 1.f;
        refine_portrait(p, low, lw, lh, &o, 0, ref);
        score(p, ref, &my, &wy);
        refine_portrait(p, low, lw, lh, &o, 1, ref);
        score(p, ref, &mc, &wc);
        printf("portrait %s %dx%d: band MAD bilinear %.2f, refined Y %.2f, YUV %.2f; "
               "wrong side bilinear %.2f%%, Y %.2f%%, YUV %.2f%%\n",
               portrait_names[i], p->w, p->h, mb, my, mc, 100 * wb, 100 * wy, 100 * wc);
        CHECK(my < mb, "%s: luma-guided MAD %.2f not below bilinear %.2f", portrait_names[i], my,
              mb);
        CHECK(mc < mb, "%s: colour-guided MAD %.2f not below bilinear %.2f", portrait_names[i],
              mc, mb);
        CHECK(wy < wb && wc < wb, "%s: boundary: wrong side %.4f/%.4f vs bilinear %.4f",
              portrait_names[i], wy, wc, wb);
        free(bil);
        free(ref);
    }
    free(low);
}

/* The general model and an engine for it, or a failed check and -1. */
static int open_general(struct bd_model **model, struct bd_engine **eng)
{
    *model = NULL;
    *eng = NULL;
    if (bd_model_open("general", model) != BD_OK || bd_engine_create(*model, NULL, eng) != BD_OK) {
        CHECK(0, "general model: %s", bd_last_error());
        bd_model_destroy(*model);
        return -1;
    }
    return 0;
}

/* bd_mask_upsample_bilinear (the --raw mask) against naive code: half-pixel
 * centres, clamped, rounded, at shapes whose aspect differs from the
 * source's. */
static void test_upsample_naive(void)
{
    const int sizes[][4] = {{7, 5, 33, 21}, {16, 9, 31, 70}, {64, 64, 321, 179}, {3, 4, 3, 4}};
    for (int si = 0; si < 4; si++) {
        const int sw = sizes[si][0], sh = sizes[si][1], dw = sizes[si][2], dh = sizes[si][3];
        const int ds = dw + 3;
        float *src = malloc(sizeof(float) * (size_t)sw * sh);
        double *srcd = malloc(sizeof(double) * (size_t)sw * sh);
        for (int i = 0; i < sw * sh; i++) {
            src[i] = frand(-0.1f, 1.1f); /* clamped at 0 and 1 */
            srcd[i] = src[i];
        }
        uint8_t *d = xmalloc((size_t)ds * dh);
        bd_mask_upsample_bilinear(src, sw, sh, d, ds, dw, dh);
        double *want = naive_resample(srcd, sw, sh, dw, dh, (double)sw / dw, (double)sh / dh);
        int bad = 0;
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++) {
                double v = want[y * dw + x] * 255.0;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
                bad += fabs(d[y * ds + x] - v) > 0.51;
            }
        CHECK(bad == 0, "upsample %dx%d to %dx%d: %d samples off the naive bilinear", sw, sh, dw,
              dh, bad);
        free(src);
        free(srcd);
        free(d);
        free(want);
    }
}

/* bd_segment_image's two shortcuts, exactly: --raw is the model's one run
 * (no mirror average, no zoom) upsampled bilinearly; a picture smaller
 * than the model's output (here a banner, wide but short) has nothing to
 * refine and gets the default run upsampled, not an error. A synthetic
 * picture: a bright figure on a dark gradient. */
static void test_segment_shortcuts(void)
{
    struct bd_model *model = NULL;
    struct bd_engine *eng = NULL;
    if (open_general(&model, &eng) != 0)
        return;
    struct bd_model_info info;
    bd_model_get_info(model, &info);
    const int ow = info.out_width, oh = info.out_height;
    const int sizes[][2] = {{ow + 57, oh + 31}, {ow + 44, oh / 2}};
    for (int si = 0; si < 2; si++) {
        const int w = sizes[si][0], h = sizes[si][1], st = 3 * w + 5;
        uint8_t *rgb = xmalloc((size_t)st * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const double dx = (x - w / 2.0) / (w / 5.0), dy = (y - h * 0.6) / (h / 2.5);
                const int in = dx * dx + dy * dy < 1;
                uint8_t *p = rgb + (size_t)y * st + 3 * x;
                p[0] = (uint8_t)(in ? 220 : 20 + x * 60 / w);
                p[1] = (uint8_t)(in ? 180 : 30 + y * 40 / h);
                p[2] = (uint8_t)(in ? 150 : 60);
            }
        float *prob = malloc(sizeof(float) * (size_t)ow * oh);
        uint8_t *m = xmalloc((size_t)w * h), *want = xmalloc((size_t)w * h);
        const int small = si == 1;
        struct bd_mask_options mo = {0};
        mo.raw = !small;
        struct bd_segment_options so = {.class_index = -1, .mirror_average = small, .zoom = small};
        enum bd_status s1 = bd_segment_image(eng, rgb, st, w, h, &mo, m, w);
        enum bd_status s2 = bd_engine_segment_rgb(eng, rgb, st, w, h, &so, prob);
        CHECK(s1 == BD_OK && s2 == BD_OK, "%s %dx%d: %s", small ? "small" : "raw", w, h,
              bd_last_error());
        if (s1 == BD_OK && s2 == BD_OK) {
            bd_mask_upsample_bilinear(prob, ow, oh, want, w, w, h);
            CHECK(!memcmp(m, want, (size_t)w * h),
                  "%s %dx%d: not the model's %s upsampled bilinearly",
                  small ? "a picture smaller than the model's output" : "raw", w, h,
                  small ? "default run" : "one run");
        }
        free(rgb);
        free(prob);
        free(m);
        free(want);
    }
    bd_engine_destroy(eng);
    bd_model_destroy(model);
}

/*
 * The defaults on what the camera gets: the general model's output for
 * each portrait photo (bd_segment_image), refined vs `--raw` (bilinear),
 * scored against the matte over its unknown band. The refined mask must
 * be closer (band MAD) and put fewer band pixels on the wrong side of
 * 50%, in the mean over the portraits and for most of them.
 */
static void test_model_portraits(void)
{
    if (!n_portraits) {
        SKIP_PROVIDED("model on the portraits: ../shared/data/portraits-dev not found");
        return;
    }
    struct bd_model *model = NULL;
    struct bd_engine *eng = NULL;
    if (open_general(&model, &eng) != 0)
        return;
    double sm_raw = 0, sm_ref = 0, sw_raw = 0, sw_ref = 0;
    int better = 0;
    for (int i = 0; i < n_portraits; i++) {
        const struct portrait *p = &portraits[i];
        uint8_t *raw = xmalloc((size_t)p->w * p->h), *ref = xmalloc((size_t)p->w * p->h);
        struct bd_mask_options mo = {0};
        mo.raw = 1;
        enum bd_status s1 = bd_segment_image(eng, p->rgb, 3 * p->w, p->w, p->h, &mo, raw, p->w);
        mo.raw = 0;
        enum bd_status s2 = bd_segment_image(eng, p->rgb, 3 * p->w, p->w, p->h, &mo, ref, p->w);
        CHECK(s1 == BD_OK && s2 == BD_OK, "%s: bd_segment_image: %s", portrait_names[i],
              bd_last_error());
        double mr, wr, mf, wf;
        score(p, raw, &mr, &wr);
        score(p, ref, &mf, &wf);
        printf("model portrait %s: band MAD raw %.2f refined %.2f; wrong side raw %.2f%% "
               "refined %.2f%%\n",
               portrait_names[i], mr, mf, 100 * wr, 100 * wf);
        sm_raw += mr;
        sm_ref += mf;
        sw_raw += wr;
        sw_ref += wf;
        better += mf < mr && wf < wr;
        free(raw);
        free(ref);
    }
    CHECK(sm_ref < 0.95 * sm_raw, "model: mean band MAD refined %.2f not 5%% below raw %.2f",
          sm_ref / n_portraits, sm_raw / n_portraits);
    CHECK(sw_ref < 0.95 * sw_raw, "model: mean wrong-side share refined %.4f not 5%% below raw %.4f",
          sw_ref / n_portraits, sw_raw / n_portraits);
    CHECK(2 * better > n_portraits, "model: refined better than raw on only %d of %d portraits",
          better, n_portraits);
    bd_engine_destroy(eng);
    bd_model_destroy(model);
}

/* The sweep behind the defaults (REFINE_SWEEP=1): mean over the portraits. */
static void sweep(void)
{
    if (!n_portraits)
        return;
    const int lw = 256, lh = 256;
    uint8_t *low = xmalloc((size_t)lw * lh);
    const int radii[] = {4, 8, 12, 16, 24};
    const float epss[] = {1e-4f, 1e-3f, 4e-3f, 1e-2f};
    const float los[][2] = {{0.f, 1.f}, {0.1f, 0.9f}, {0.2f, 0.8f}, {0.3f, 0.7f}};
    for (int color = 0; color < 2; color++)
        for (int ri = 0; ri < 5; ri++)
            for (int ei = 0; ei < 4; ei++)
                for (int li = 0; li < 4; li++) {
                    double sm = 0, sw = 0;
                    for (int i = 0; i < n_portraits; i++) {
                        const struct portrait *p = &portraits[i];
                        uint8_t *ref = xmalloc((size_t)p->w * p->h);
                        ScalePlane(p->alpha, p->w, p->w, p->h, low, lw, lw, lh, kFilterBox);
                        struct bd_refine_options o;
                        bd_refine_options_default(&o);
                        o.radius = radii[ri];
                        o.eps = epss[ei];
                        o.lo = los[li][0];
                        o.hi = los[li][1];
                        refine_portrait(p, low, lw, lh, &o, color, ref);
                        double m, w;
                        score(p, ref, &m, &w);
                        sm += m;
                        sw += w;
                        free(ref);
                    }
                    printf("sweep %s r %2d eps %.0e lo %.1f hi %.1f: MAD %.2f wrong %.2f%%\n",
                           color ? "YUV" : "Y  ", radii[ri], (double)epss[ei],
                           (double)los[li][0], (double)los[li][1], sm / n_portraits,
                           100 * sw / n_portraits);
                }
    free(low);
}

/* ------------------------------------------------------------------------ */
/* Temporal                                                                  */

/* skip_mirror that counts its calls and always skips */
static int skip_always(void *opaque)
{
    ++*(int *)opaque;
    return 1;
}

/*
 * mirror_average (the camera's and bd_segment_image's default): exactly the
 * mean of the model on the image and, mirrored back, on its mirror image;
 * and on the portraits, the refined mask from it is closer to the matte
 * than the refined mask from one run (band MAD, mean over the portraits).
 */
static void test_mirror_average(void)
{
    if (!n_portraits) {
        SKIP_PROVIDED("mirror average on the portraits: ../shared/data/portraits-dev not found");
        return;
    }
    struct bd_model *model = NULL;
    struct bd_engine *eng = NULL;
    if (open_general(&model, &eng) != 0)
        return;
    struct bd_model_info info;
    bd_model_get_info(model, &info);
    const int ow = info.out_width, oh = info.out_height;
    float *a = malloc(sizeof(float) * (size_t)ow * oh), *b = malloc(sizeof(float) * (size_t)ow * oh);
    float *avg = malloc(sizeof(float) * (size_t)ow * oh);
    double s_one = 0, s_avg = 0, max_err = 0, max_diff = 0;
    for (int i = 0; i < n_portraits; i++) {
        const struct portrait *p = &portraits[i];
        /* At the model's input size (read in place, no scaling, which need
         * not commute with mirroring): the portrait sampled down, in rows
         * with an odd, unaligned stride; and its mirror image. */
        const int w = info.in_width, h = info.in_height, st = 3 * w + 7;
        uint8_t *mem = xmalloc(2 * ((size_t)st * h + 1)), *img = mem + 1, *mir = img + (size_t)st * h + 1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const uint8_t *px = p->rgb + ((size_t)(y * p->h / h) * p->w + (size_t)(x * p->w / w)) * 3;
                memcpy(img + (size_t)y * st + 3 * x, px, 3);
                memcpy(mir + (size_t)y * st + 3 * (w - 1 - x), px, 3);
            }
        struct bd_segment_options one = {.class_index = -1}, two = {.class_index = -1, .mirror_average = 1};
        enum bd_status r1 = bd_engine_segment_rgb(eng, img, st, w, h, &one, a);
        enum bd_status r2 = bd_engine_segment_rgb(eng, mir, st, w, h, &one, b);
        enum bd_status r3 = bd_engine_segment_rgb(eng, img, st, w, h, &two, avg);
        CHECK(r1 == BD_OK && r2 == BD_OK && r3 == BD_OK, "%s: segment: %s", portrait_names[i],
              bd_last_error());
        /* skip_mirror (a stopping pipeline): asked once, and then the one
         * run's map exactly */
        int asked = 0;
        struct bd_segment_options skip = {.class_index = -1, .mirror_average = 1,
                                          .skip_mirror = skip_always, .opaque = &asked};
        float *one_run = malloc(sizeof(float) * (size_t)ow * oh);
        CHECK(bd_engine_segment_rgb(eng, img, st, w, h, &skip, one_run) == BD_OK && asked == 1 &&
                  memcmp(one_run, a, sizeof(float) * (size_t)ow * oh) == 0,
              "%s: skip_mirror asked %d times, or the map is not the one run's", portrait_names[i],
              asked);
        free(one_run);
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double want = 0.5 * (a[y * ow + x] + b[y * ow + (ow - 1 - x)]);
                double e = fabs(avg[y * ow + x] - want);
                max_err = e > max_err ? e : max_err;
                double d = fabs(avg[y * ow + x] - a[y * ow + x]);
                max_diff = d > max_diff ? d : max_diff;
            }
        free(mem);
        uint8_t *m1 = xmalloc((size_t)p->w * p->h), *m2 = xmalloc((size_t)p->w * p->h);
        struct bd_mask_options mo = {0};
        mo.no_zoom = 1; /* the mirror average alone (test_zoom has the zoom) */
        mo.no_mirror_average = 1;
        enum bd_status s1 = bd_segment_image(eng, p->rgb, 3 * p->w, p->w, p->h, &mo, m1, p->w);
        mo.no_mirror_average = 0;
        enum bd_status s2 = bd_segment_image(eng, p->rgb, 3 * p->w, p->w, p->h, &mo, m2, p->w);
        CHECK(s1 == BD_OK && s2 == BD_OK, "%s: bd_segment_image: %s", portrait_names[i],
              bd_last_error());
        double m_one, m_avg, w_one, w_avg;
        score(p, m1, &m_one, &w_one);
        score(p, m2, &m_avg, &w_avg);
        printf("mirror average %s: band MAD one run %.2f, averaged %.2f\n", portrait_names[i],
               m_one, m_avg);
        s_one += m_one;
        s_avg += m_avg;
        free(m1);
        free(m2);
    }
    CHECK(max_err < 1e-6, "mirror average differs from the mean of the two runs by %g", max_err);
    CHECK(max_diff > 0.01, "mirror average equals one run (max difference %g)", max_diff);
    CHECK(s_avg < s_one, "mirror average: mean band MAD %.2f not below one run's %.2f",
          s_avg / n_portraits, s_one / n_portraits);
    free(a);
    free(b);
    free(avg);
    bd_engine_destroy(eng);
    bd_model_destroy(model);
}

/* A still portrait (its own luma noise per frame) and noisy low-res masks:
 * mean |out_t - out_t-1| with temporal smoothing vs without. */
static void test_flicker(void)
{
    if (!n_portraits) {
        SKIP_PROVIDED("flicker on a portrait: ../shared/data/portraits-dev not found");
        return;
    }
    const struct portrait *p = &portraits[0];
    const int lw = 256, lh = 144, n = p->w * p->h;
    uint8_t *low0 = xmalloc((size_t)lw * lh), *low = xmalloc((size_t)lw * lh);
    uint8_t *y = xmalloc((size_t)n), *out = xmalloc((size_t)n), *prev = xmalloc((size_t)n);
    ScalePlane(p->alpha, p->w, p->w, p->h, low0, lw, lw, lh, kFilterBox);
    double flick[2], err[2];
    for (int temporal = 0; temporal < 2; temporal++) {
        struct bd_refine_options o;
        bd_refine_options_default(&o);
        o.temporal = temporal;
        struct bd_refiner *r;
        CHECK(bd_refiner_create(p->w, p->h, lw, lh, &o, &r) == BD_OK, "create");
        uint64_t seed = rng;
        rng = 12345;
        double f = 0, e = 0;
        int nf = 0;
        for (int fr = 0; fr < 30; fr++) {
            for (int i = 0; i < lw * lh; i++)
                low[i] = clamp8((float)low0[i] + 12.f * gauss());
            for (int i = 0; i < n; i++)
                y[i] = clamp8((float)p->y[i] + 2.f * gauss());
            bd_refiner_run(r, low, lw, y, p->w, NULL, NULL, 0, out, p->w);
            if (fr >= 10) {
                long s = 0, se = 0;
                for (int i = 0; i < n; i++) {
                    s += abs((int)out[i] - (int)prev[i]);
                    se += p->band[i] ? abs((int)out[i] - (int)p->alpha[i]) : 0;
                }
                f += (double)s / n;
                e += (double)se / (double)p->band_n;
                nf++;
            }
            memcpy(prev, out, (size_t)n);
        }
        rng = seed;
        flick[temporal] = f / nf;
        err[temporal] = e / nf;
        bd_refiner_destroy(r);
    }
    printf("flicker (mean |frame difference|, still scene, noisy masks): %.3f without, %.3f "
           "with temporal smoothing; band MAD %.2f / %.2f\n",
           flick[0], flick[1], err[0], err[1]);
    CHECK(flick[1] < 0.35 * flick[0], "temporal flicker %.3f not well below %.3f", flick[1],
          flick[0]);
    CHECK(err[1] <= err[0] + 0.5, "temporal smoothing costs accuracy: %.2f vs %.2f", err[1],
          err[0]);
    free(low0);
    free(low);
    free(y);
    free(out);
    free(prev);
}

/* A bright disk moving right over a textured dark background at 6 px per
 * frame, camera noise, perfect low-res masks: the leading edge of the
 * output (50% crossing on the centre row) must trail the truth by no more
 * than one frame's motion, and be within 2 px of the output without
 * temporal smoothing. */
static void test_moving_edge(void)
{
    const int w = 640, h = 360, lw = 160, lh = 90, speed = 6, R = 60, cy = 180;
    uint8_t *y = xmalloc((size_t)w * h), *alpha = xmalloc((size_t)w * h);
    uint8_t *low = xmalloc((size_t)lw * lh), *o0 = xmalloc((size_t)w * h),
            *o1 = xmalloc((size_t)w * h);
    struct bd_refiner *r0, *r1;
    struct bd_refine_options o;
    bd_refine_options_default(&o);
    o.temporal = 0;
    CHECK(bd_refiner_create(w, h, lw, lh, &o, &r0) == BD_OK, "create");
    o.temporal = 1;
    CHECK(bd_refiner_create(w, h, lw, lh, &o, &r1) == BD_OK, "create");
    int worst_lag = 0, worst_diff = 0, worst_trail = 0;
    for (int fr = 0; fr < 40; fr++) {
        const int cx = 120 + fr * speed;
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++) {
                float d = sqrtf((float)((xx - cx) * (xx - cx) + (yy - cy) * (yy - cy)));
                float a = (float)R + 0.5f - d; /* 1-px anti-aliased edge */
                a = a < 0.f ? 0.f : a > 1.f ? 1.f : a;
                float bg = 50.f + 20.f * (float)(((xx / 16) + (yy / 16)) & 1);
                y[yy * w + xx] = clamp8(bg + a * (200.f - bg) + 2.f * gauss());
                alpha[yy * w + xx] = (uint8_t)lrintf(a * 255.f);
            }
        ScalePlane(alpha, w, w, h, low, lw, lw, lh, kFilterBox);
        bd_refiner_run(r0, low, lw, y, w, NULL, NULL, 0, o0, w);
        bd_refiner_run(r1, low, lw, y, w, NULL, NULL, 0, o1, w);
        if (fr < 5)
            continue;
        /* leading edge: last x on the centre row with mask >= 128 */
        int e0 = 0, e1 = 0, t0 = w, t1 = w;
        for (int xx = 0; xx < w; xx++) {
            if (o0[cy * w + xx] >= 128)
                e0 = xx;
            if (o1[cy * w + xx] >= 128)
                e1 = xx;
        }
        for (int xx = w - 1; xx >= 0; xx--) { /* trailing edge: first x >= 128 */
            if (o0[cy * w + xx] >= 128)
                t0 = xx;
            if (o1[cy * w + xx] >= 128)
                t1 = xx;
        }
        const int truth = cx + R;
        if (truth - e1 > worst_lag)
            worst_lag = truth - e1;
        if (abs(e1 - e0) > worst_diff)
            worst_diff = abs(e1 - e0);
        if (abs(t1 - t0) > worst_trail)
            worst_trail = abs(t1 - t0);
    }
    printf("moving edge (%d px/frame): worst lag behind truth %d px, worst difference from "
           "no smoothing %d px (leading), %d px (trailing)\n",
           speed, worst_lag, worst_diff, worst_trail);
    CHECK(worst_lag <= speed, "edge lags %d px > one frame (%d px)", worst_lag, speed);
    CHECK(worst_diff <= 2 && worst_trail <= 2, "temporal smoothing moves the edge: %d/%d px",
          worst_diff, worst_trail);
    bd_refiner_destroy(r0);
    bd_refiner_destroy(r1);
    free(y);
    free(alpha);
    free(low);
    free(o0);
    free(o1);
}

/* ------------------------------------------------------------------------ */
/* API                                                                       */

static void test_invalid(void)
{
    struct bd_refiner *r = (struct bd_refiner *)(uintptr_t)1;
    struct bd_refine_options o;
    bd_refine_options_default(&o);
    CHECK(bd_refiner_create(0, 10, 1, 1, &o, &r) == BD_ERR_INVALID_ARG && r == NULL, "w 0");
    CHECK(bd_refiner_create(10, 10, 11, 1, &o, &r) == BD_ERR_INVALID_ARG, "low > full");
    CHECK(bd_refiner_create(10, 10, 1, 1, &o, NULL) == BD_ERR_INVALID_ARG, "out NULL");
    CHECK(bd_refiner_create(20000, 10, 1, 1, &o, &r) == BD_ERR_INVALID_ARG, "too wide");
    o.lo = 0.8f;
    o.hi = 0.2f;
    CHECK(bd_refiner_create(10, 10, 1, 1, &o, &r) == BD_ERR_INVALID_ARG, "lo > hi");
    bd_refine_options_default(&o);
    o.eps = NAN;
    CHECK(bd_refiner_create(10, 10, 1, 1, &o, &r) == BD_ERR_INVALID_ARG, "eps NaN");
    bd_refine_options_default(&o);
    o.radius = -1;
    CHECK(bd_refiner_create(10, 10, 1, 1, &o, &r) == BD_ERR_INVALID_ARG, "radius < 0");
    bd_refine_options_default(&o);
    o.feather = -2;
    CHECK(bd_refiner_create(10, 10, 1, 1, &o, &r) == BD_ERR_INVALID_ARG, "feather < 0");
    CHECK(bd_refiner_create(64, 48, 16, 12, NULL, &r) == BD_OK, "create defaults");
    uint8_t low[16 * 12] = {0}, y[64 * 48] = {0}, u[32 * 24] = {0}, d[64 * 48];
    memset(d, 7, sizeof d);
    CHECK(bd_refiner_run(NULL, low, 16, y, 64, NULL, NULL, 0, d, 64) == BD_ERR_INVALID_ARG,
          "r NULL");
    CHECK(bd_refiner_run(r, NULL, 16, y, 64, NULL, NULL, 0, d, 64) == BD_ERR_INVALID_ARG,
          "low NULL");
    CHECK(bd_refiner_run(r, low, 16, NULL, 64, NULL, NULL, 0, d, 64) == BD_ERR_INVALID_ARG,
          "y NULL");
    CHECK(bd_refiner_run(r, low, 16, y, 64, NULL, NULL, 0, NULL, 64) == BD_ERR_INVALID_ARG,
          "dst NULL");
    CHECK(bd_refiner_run(r, low, 15, y, 64, NULL, NULL, 0, d, 64) == BD_ERR_INVALID_ARG,
          "low stride");
    CHECK(bd_refiner_run(r, low, 16, y, 63, NULL, NULL, 0, d, 64) == BD_ERR_INVALID_ARG,
          "y stride");
    CHECK(bd_refiner_run(r, low, 16, y, 64, NULL, NULL, 0, d, 60) == BD_ERR_INVALID_ARG,
          "dst stride");
    CHECK(bd_refiner_run(r, low, 16, y, 64, u, NULL, 32, d, 64) == BD_ERR_INVALID_ARG,
          "u without v");
    CHECK(bd_refiner_run(r, low, 16, y, 64, u, u, 31, d, 64) == BD_ERR_INVALID_ARG,
          "uv stride");
    int untouched = 1;
    for (size_t i = 0; i < sizeof d; i++)
        untouched &= d[i] == 7;
    CHECK(untouched, "dst written on error");
    CHECK(bd_refiner_run(r, low, 16, y, 64, u, u, 32, d, 64) == BD_OK, "run ok");
    int zero = 1;
    for (size_t i = 0; i < sizeof d; i++)
        zero &= d[i] == 0;
    CHECK(zero, "all-background mask stays 0");
    memset(low, 255, sizeof low);
    bd_refiner_reset(r);
    CHECK(bd_refiner_run(r, low, 16, y, 64, NULL, NULL, 0, d, 64) == BD_OK, "run ok");
    int full = 1;
    for (size_t i = 0; i < sizeof d; i++)
        full &= d[i] == 255;
    CHECK(full, "all-person mask after reset is 255");
    bd_refiner_destroy(r);
    bd_refiner_destroy(NULL);
    bd_refiner_reset(NULL);
    bd_refine_options_default(NULL);
}

static void test_no_alloc(void)
{
#ifdef BD_ASAN
    SKIP_MACHINE("allocation count: ASan's allocator is not interposable (the plain build counts)");
#else
    const int w = 1280, h = 720, lw = 256, lh = 144;
    struct bd_refiner *r;
    CHECK(bd_refiner_create(w, h, lw, lh, NULL, &r) == BD_OK, "create");
    uint8_t *y = rand_u8((size_t)w * h), *u = rand_u8((size_t)w * h / 4),
            *v = rand_u8((size_t)w * h / 4), *low = rand_u8((size_t)lw * lh),
            *d = xmalloc((size_t)w * h);
    long before = n_allocs;
    for (int i = 0; i < 3; i++) {
        bd_refiner_run(r, low, lw, y, w, NULL, NULL, 0, d, w);
        bd_refiner_run(r, low, lw, y, w, u, v, w / 2, d, w);
    }
    CHECK(n_allocs == before, "run allocated %ld times", n_allocs - before);
    bd_refiner_destroy(r);
    free(y);
    free(u);
    free(v);
    free(low);
    free(d);
#endif
}

/*
 * The grid the camera's refiner gets with the default options at the
 * sizes people use (the crop with the model's aspect, the model's map):
 * 640x480 (its 480x480 crop, general's 256x256) on the 4-pixel grid, not
 * the 2-pixel one it had (a grid of 240x240, four times 720p's, which made
 * 640x480 cost more than 720p); 720p and 1080p (landscape's 256x144) on
 * the 8-pixel grid.
 */
static void test_camera_grids(void)
{
    const struct {
        int w, h, lw, lh, k;
    } c[] = {{480, 480, 256, 256, 4}, {1280, 720, 256, 144, 8}, {1920, 1080, 256, 144, 8},
             {720, 720, 256, 256, 4}, {1080, 1080, 256, 256, 8}};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        struct bd_refiner *r = NULL;
        int k = 0;
        CHECK(bd_refiner_create(c[i].w, c[i].h, c[i].lw, c[i].lh, NULL, &r) == BD_OK,
              "create %dx%d: %s", c[i].w, c[i].h, bd_last_error());
        bd_refiner_geometry(r, &k, NULL, NULL);
        CHECK(k == c[i].k, "%dx%d over a %dx%d map: grid factor %d, want %d", c[i].w, c[i].h,
              c[i].lw, c[i].lh, k, c[i].k);
        bd_refiner_destroy(r);
    }
}

int main(void)
{
    const struct bd_refine_kernels *C = bd_refine_kernels_for("base");
    const struct bd_refine_kernels *S = bd_refine_kernels_for("avx2");
    test_dispatch();
    test_camera_grids();
    tables[n_tables++] = C;
    if (S)
        tables[n_tables++] = S;
    test_plain_naive();
    test_temporal_naive();
    test_upsample_naive();
    test_segment_shortcuts();
    if (S) {
        test_box_twins(C, S);
        test_coef_twins(C, S);
        test_apply_twins(C, S);
        test_grid_twins(C, S);
        test_refiner_twins(S);
    } else {
        SKIP_MACHINE("twins: no AVX2 on this CPU");
    }
    test_invalid();
    test_no_alloc();
    load_portraits();
    test_portraits();
    test_model_portraits();
    test_mirror_average();
    test_flicker();
    test_moving_edge();
    const char *sw = getenv("REFINE_SWEEP");
    if (sw && *sw == '1')
        sweep();
    for (int i = 0; i < n_portraits; i++)
        free_portrait(&portraits[i]);
    return check_report();
}
