/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of the compositing stage (src/composite/): the /255 blend against
 * the exact formula (exhaustively, then on random planes at odd sizes and
 * unaligned strides), the 2x2 chroma mask against a naive version, BT.601
 * colour conversion, background fit geometry, the box blur, mirroring, and
 * a whole frame against a naive compositor. Prints the time of a 1280x720
 * blur background + blend (informational, never asserted).
 *
 * Built and run by `make unit` (and under ASan+UBSan by `make asan`).
 * Last line of output: "N passed, M failed"; exit status 1 on failure.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv/convert_from_argb.h>

#include "backdrop.h"
#include "composite/composite.h"
#include "composite/composite_kernels.h"

static int n_pass, n_fail, n_skip; /* skips: only what this machine lacks (AVX2) */

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void check(int ok, const char *fmt, ...)
{
    if (ok) {
        n_pass++;
        return;
    }
    n_fail++;
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static uint8_t *rand_plane(int stride, int h)
{
    uint8_t *p = malloc((size_t)stride * (size_t)h);
    for (size_t i = 0; i < (size_t)stride * (size_t)h; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

static uint8_t exact_blend(int m, int f, int b)
{
    return (uint8_t)((m * f + (255 - m) * b + 127) / 255);
}

/* An owned I420 frame with stride = width + 7 (unaligned). */
struct frame {
    struct bd_i420 f;
    uint8_t *mem;
};

static struct frame frame_new(int w, int h, int fill_random, uint8_t fy, uint8_t fu, uint8_t fv)
{
    struct frame fr;
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    fr.f.width = w;
    fr.f.height = h;
    fr.f.stride_y = w + 7;
    fr.f.stride_u = fr.f.stride_v = cw + 7;
    size_t ny = (size_t)fr.f.stride_y * h, nc = (size_t)fr.f.stride_u * ch;
    fr.mem = malloc(ny + 2 * nc);
    fr.f.y = fr.mem;
    fr.f.u = fr.mem + ny;
    fr.f.v = fr.mem + ny + nc;
    if (fill_random) {
        for (size_t i = 0; i < ny + 2 * nc; i++)
            fr.mem[i] = (uint8_t)rnd();
    } else {
        memset(fr.f.y, fy, ny);
        memset(fr.f.u, fu, nc);
        memset(fr.f.v, fv, nc);
    }
    return fr;
}

/* The compositor without effects (no light wrap, no hologram; halo-free
 * only matters with bd_composite_blur and a mask): the checks against a
 * naive blend need the plain formula, which the default light wrap (0.3)
 * changes at the mask's edge on purpose. */
static void plain_options(struct bd_compositor *comp)
{
    const struct bd_composite_options o = {0, 0.0f, 0};
    bd_compositor_set_options(comp, &o);
}

/* ------------------------------------------------------------------------ */

static void test_blend_exhaustive(void)
{
    /* every (m, fg, bg): a 256x256 plane per mask value */
    uint8_t *fg = malloc(65536), *bg = malloc(65536), *mk = malloc(65536), *d = malloc(65536);
    for (int i = 0; i < 65536; i++) {
        fg[i] = (uint8_t)(i & 255);
        bg[i] = (uint8_t)(i >> 8);
    }
    long bad = 0;
    int max_err = 0;
    for (int m = 0; m < 256; m++) {
        memset(mk, m, 65536);
        bd_blend_plane(fg, 256, bg, 256, mk, 256, d, 256, 256, 256);
        for (int i = 0; i < 65536; i++) {
            int e = abs((int)d[i] - exact_blend(m, fg[i], bg[i]));
            if (e) {
                bad++;
                if (e > max_err)
                    max_err = e;
            }
        }
    }
    check(bad == 0, "blend exhaustive: %ld of 16777216 differ from exact, max error %d", bad,
          max_err);
    printf("blend: exhaustive 256^3 check, %ld mismatches, max error %d\n", bad, max_err);
    free(fg);
    free(bg);
    free(mk);
    free(d);
}

static void test_blend_random(void)
{
    static const int sizes[][2] = {{37, 23}, {1, 1}, {2, 3}, {64, 17}, {127, 5}, {3, 40}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int w = sizes[s][0], h = sizes[s][1];
        const int fs = w + 7, bs = w + 3, ms = w + 5, ds = w + 7;
        uint8_t *fg = rand_plane(fs, h), *bg = rand_plane(bs, h), *mk = rand_plane(ms, h);
        uint8_t *d = malloc((size_t)ds * h);
        memset(d, 0xA5, (size_t)ds * h);
        /* mask extremes too */
        mk[0] = 0;
        if (w * h > 1)
            mk[ms * (h - 1) + w - 1] = 255;
        bd_blend_plane(fg, fs, bg, bs, mk, ms, d, ds, w, h);
        int bad = 0, pad = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++)
                bad += d[y * ds + x] != exact_blend(mk[y * ms + x], fg[y * fs + x],
                                                    bg[y * bs + x]);
            for (int x = w; x < ds; x++)
                pad += d[y * ds + x] != 0xA5;
        }
        check(bad == 0, "blend %dx%d: %d pixels differ from exact", w, h, bad);
        check(pad == 0, "blend %dx%d: %d padding bytes written", w, h, pad);
        /* in place: dst = fg */
        uint8_t *fg2 = malloc((size_t)fs * h);
        memcpy(fg2, fg, (size_t)fs * h);
        bd_blend_plane(fg2, fs, bg, bs, mk, ms, fg2, fs, w, h);
        bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bad += fg2[y * fs + x] != d[y * ds + x];
        check(bad == 0, "blend %dx%d in place: %d pixels differ", w, h, bad);
        free(fg);
        free(fg2);
        free(bg);
        free(mk);
        free(d);
    }
}

static void test_mask_chroma(void)
{
    static const int sizes[][2] = {{37, 23}, {1, 1}, {2, 3}, {3, 1}, {1, 4}, {64, 64}, {5, 7}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int w = sizes[s][0], h = sizes[s][1], cw = (w + 1) / 2, ch = (h + 1) / 2;
        const int ms = w + 7, ds = cw + 7;
        uint8_t *mk = rand_plane(ms, h), *d = malloc((size_t)ds * ch);
        memset(d, 0x5A, (size_t)ds * ch);
        bd_mask_to_chroma(mk, ms, d, ds, w, h);
        int bad = 0, pad = 0;
        for (int cy = 0; cy < ch; cy++) {
            for (int cx = 0; cx < cw; cx++) {
                /* naive: 2x2 block, missing samples replicate the edge */
                int sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int yy = 2 * cy + dy < h ? 2 * cy + dy : h - 1;
                        int xx = 2 * cx + dx < w ? 2 * cx + dx : w - 1;
                        sum += mk[yy * ms + xx];
                    }
                bad += d[cy * ds + cx] != (sum + 2) / 4;
            }
            for (int cx = cw; cx < ds; cx++)
                pad += d[cy * ds + cx] != 0x5A;
        }
        check(bad == 0, "mask to chroma %dx%d: %d samples differ from naive", w, h, bad);
        check(pad == 0, "mask to chroma %dx%d: %d padding bytes written", w, h, pad);
        free(mk);
        free(d);
    }
}

static void test_colors(void)
{
    static const struct {
        const char *name;
        uint8_t r, g, b, y, u, v; /* BT.601 limited range, real-valued, rounded */
    } c[] = {
        {"red", 255, 0, 0, 81, 90, 240},   {"green", 0, 255, 0, 145, 54, 34},
        {"blue", 0, 0, 255, 41, 240, 110}, {"white", 255, 255, 255, 235, 128, 128},
        {"black", 0, 0, 0, 16, 128, 128},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint8_t y, u, v;
        bd_rgb_to_yuv601(c[i].r, c[i].g, c[i].b, &y, &u, &v);
        check(abs(y - c[i].y) <= 1 && abs(u - c[i].u) <= 1 && abs(v - c[i].v) <= 1,
              "%s: got YUV %d,%d,%d, want %d,%d,%d (+-1)", c[i].name, y, u, v, c[i].y, c[i].u,
              c[i].v);
    }
    /* equal to libyuv's ARGBToI420 on a solid 2x2 image, for random colours */
    int bad = 0;
    for (int i = 0; i < 2000; i++) {
        uint8_t r = (uint8_t)rnd(), g = (uint8_t)rnd(), b = (uint8_t)rnd();
        if (i < 8) { /* corners of the cube */
            r = (i & 1) ? 255 : 0;
            g = (i & 2) ? 255 : 0;
            b = (i & 4) ? 255 : 0;
        }
        uint8_t argb[16], yy[4], uu[1], vv[1];
        for (int p = 0; p < 4; p++) {
            argb[4 * p] = b;
            argb[4 * p + 1] = g;
            argb[4 * p + 2] = r;
            argb[4 * p + 3] = 255;
        }
        ARGBToI420(argb, 8, yy, 2, uu, 1, vv, 1, 2, 2);
        uint8_t y, u, v;
        bd_rgb_to_yuv601(r, g, b, &y, &u, &v);
        if (y != yy[0] || u != uu[0] || v != vv[0]) {
            if (bad < 3)
                printf("  rgb %d,%d,%d: ours %d,%d,%d libyuv %d,%d,%d\n", r, g, b, y, u, v,
                       yy[0], uu[0], vv[0]);
            bad++;
        }
    }
    check(bad == 0, "rgb→yuv: %d of 2000 colours differ from libyuv ARGBToI420", bad);

    /* a solid colour background */
    struct bd_compositor *comp;
    check(bd_compositor_create(37, 23, &comp) == BD_OK, "create 37x23");
    bd_compositor_set_color(comp, 0, 255, 0);
    struct bd_i420_view bg = bd_compositor_background(comp);
    int off = 0;
    for (int y = 0; y < 23; y++)
        for (int x = 0; x < 37; x++)
            off += bg.y[y * bg.stride_y + x] != 144 && bg.y[y * bg.stride_y + x] != 145;
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 19; x++)
            off += abs(bg.u[y * bg.stride_u + x] - 54) > 1 || abs(bg.v[y * bg.stride_v + x] - 34) > 1;
    check(off == 0, "solid green background: %d samples off", off);
    bd_compositor_destroy(comp);
}

/* ---- fit modes ---------------------------------------------------------- */

/* A w x h image, left half red, right half blue (w even). */
static struct frame split_image(int w, int h)
{
    struct frame fr = frame_new(w, h, 0, 0, 0, 0);
    uint8_t ry, ru, rv, by, bu, bv;
    bd_rgb_to_yuv601(255, 0, 0, &ry, &ru, &rv);
    bd_rgb_to_yuv601(0, 0, 255, &by, &bu, &bv);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            fr.f.y[y * fr.f.stride_y + x] = x < w / 2 ? ry : by;
    for (int y = 0; y < (h + 1) / 2; y++)
        for (int x = 0; x < (w + 1) / 2; x++) {
            fr.f.u[y * fr.f.stride_u + x] = x < w / 4 ? ru : bu;
            fr.f.v[y * fr.f.stride_v + x] = x < w / 4 ? rv : bv;
        }
    return fr;
}

/* Number of rows of the background (Y) that are entirely black (16). */
static int black_rows_top(const struct bd_i420_view *b)
{
    int n = 0;
    for (int y = 0; y < b->height; y++) {
        for (int x = 0; x < b->width; x++)
            if (b->y[y * b->stride_y + x] != 16)
                return n;
        n++;
    }
    return n;
}

static int black_rows_bottom(const struct bd_i420_view *b)
{
    int n = 0;
    for (int y = b->height - 1; y >= 0; y--) {
        for (int x = 0; x < b->width; x++)
            if (b->y[y * b->stride_y + x] != 16)
                return n;
        n++;
    }
    return n;
}

static int black_cols_left(const struct bd_i420_view *b)
{
    int n = 0;
    for (int x = 0; x < b->width; x++) {
        for (int y = 0; y < b->height; y++)
            if (b->y[y * b->stride_y + x] != 16)
                return n;
        n++;
    }
    return n;
}

/* Whether column x of rows y0..y1-1 is within tol of value. */
static int col_is(const struct bd_i420_view *b, int x, int y0, int y1, int value, int tol)
{
    for (int y = y0; y < y1; y++)
        if (abs(b->y[y * b->stride_y + x] - value) > tol)
            return 0;
    return 1;
}

static void test_fit(void)
{
    uint8_t ry, ru, rv, by, bu, bv;
    bd_rgb_to_yuv601(255, 0, 0, &ry, &ru, &rv);
    bd_rgb_to_yuv601(0, 0, 255, &by, &bu, &bv);
    struct frame img = split_image(100, 50);
    struct bd_i420_view iv = bd_i420_view_of(&img.f);
    struct bd_compositor *comp;
    check(bd_compositor_create(64, 64, &comp) == BD_OK, "create 64x64");
    struct bd_i420_view b = bd_compositor_background(comp);

    /* contain: 100x50 → 64x32 centred: 16 black rows top and bottom */
    check(bd_compositor_set_image(comp, &iv, BD_FIT_CONTAIN) == BD_OK, "contain");
    int top = black_rows_top(&b), bot = black_rows_bottom(&b);
    check(top == 16 && bot == 16, "contain 100x50 in 64x64: bars %d top, %d bottom, want 16",
          top, bot);
    check(col_is(&b, 5, 16, 48, ry, 2) && col_is(&b, 58, 16, 48, by, 2),
          "contain: picture left red, right blue");
    int cbad = 0;
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            int bar = y < 8 || y >= 24;
            int u = b.u[y * b.stride_u + x], v = b.v[y * b.stride_v + x];
            if (bar)
                cbad += u != 128 || v != 128;
            else if (x < 14)
                cbad += abs(u - ru) > 2 || abs(v - rv) > 2;
            else if (x >= 18)
                cbad += abs(u - bu) > 2 || abs(v - bv) > 2;
        }
    check(cbad == 0, "contain: %d chroma samples wrong (bars 8 rows, picture red/blue)", cbad);

    /* contain of a tall image: bars left and right */
    struct frame tall = frame_new(50, 100, 0, 200, 60, 70);
    struct bd_i420_view tv = bd_i420_view_of(&tall.f);
    bd_compositor_set_image(comp, &tv, BD_FIT_CONTAIN);
    int left = black_cols_left(&b);
    check(left == 16 && col_is(&b, 47, 0, 64, 200, 0) && col_is(&b, 48, 0, 64, 16, 0),
          "contain 50x100 in 64x64: %d black columns left, want 16 (and 16 right)", left);

    /* cover: centre 50x50 crop → no bars, left red, right blue */
    check(bd_compositor_set_image(comp, &iv, BD_FIT_COVER) == BD_OK, "cover");
    check(black_rows_top(&b) == 0 && black_rows_bottom(&b) == 0 && black_cols_left(&b) == 0,
          "cover: no bars");
    check(col_is(&b, 2, 0, 64, ry, 2) && col_is(&b, 28, 0, 64, ry, 2) &&
              col_is(&b, 37, 0, 64, by, 2) && col_is(&b, 61, 0, 64, by, 2),
          "cover 100x50 in 64x64: left half red, right half blue");

    /* stretch: whole image → left half red, right half blue */
    check(bd_compositor_set_image(comp, &iv, BD_FIT_STRETCH) == BD_OK, "stretch");
    check(col_is(&b, 0, 0, 64, ry, 2) && col_is(&b, 30, 0, 64, ry, 2) &&
              col_is(&b, 33, 0, 64, by, 2) && col_is(&b, 63, 0, 64, by, 2),
          "stretch 100x50 in 64x64: left half red, right half blue");
    bd_compositor_destroy(comp);

    /* cover into a wide frame crops top and bottom: a 40x40 image, rows
     * 12..27 bright, the rest dark → 80x20 shows a 40x10 centre crop
     * (rows 14..23 at the even offset), all bright */
    struct frame band = frame_new(40, 40, 0, 0, 128, 128);
    for (int y = 0; y < 40; y++)
        memset(band.f.y + y * band.f.stride_y, y >= 12 && y < 28 ? 200 : 20, 40);
    struct bd_i420_view bv2 = bd_i420_view_of(&band.f);
    check(bd_compositor_create(80, 20, &comp) == BD_OK, "create 80x20");
    b = bd_compositor_background(comp);
    bd_compositor_set_image(comp, &bv2, BD_FIT_COVER);
    check(col_is(&b, 0, 0, 20, 200, 1) && col_is(&b, 79, 0, 20, 200, 1),
          "cover 40x40 in 80x20: centre rows only");
    /* contain of the same: 20x20 centred, 30 black columns each side */
    bd_compositor_set_image(comp, &bv2, BD_FIT_CONTAIN);
    check(black_cols_left(&b) == 30 && col_is(&b, 50, 0, 20, 16, 0) && !col_is(&b, 49, 0, 20, 16, 0),
          "contain 40x40 in 80x20: 30 black columns each side");
    bd_compositor_destroy(comp);

    /* tile: a random 3x5 image into 7x11 */
    struct frame t = frame_new(3, 5, 1, 0, 0, 0);
    struct bd_i420_view tv2 = bd_i420_view_of(&t.f);
    check(bd_compositor_create(7, 11, &comp) == BD_OK, "create 7x11");
    b = bd_compositor_background(comp);
    check(bd_compositor_set_image(comp, &tv2, BD_FIT_TILE) == BD_OK, "tile");
    int bad = 0;
    for (int y = 0; y < 11; y++)
        for (int x = 0; x < 7; x++)
            bad += b.y[y * b.stride_y + x] != t.f.y[(y % 5) * t.f.stride_y + x % 3];
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 4; x++) {
            int sy = ((2 * y) % 5) / 2, sx = ((2 * x) % 3) / 2;
            bad += b.u[y * b.stride_u + x] != t.f.u[sy * t.f.stride_u + sx];
            bad += b.v[y * b.stride_v + x] != t.f.v[sy * t.f.stride_v + sx];
        }
    check(bad == 0, "tile 3x5 in 7x11: %d samples wrong", bad);
    bd_compositor_destroy(comp);

    /* same image size: cover/contain/stretch are (near) copies */
    struct frame same = frame_new(16, 8, 1, 0, 0, 0);
    struct bd_i420_view sv = bd_i420_view_of(&same.f);
    check(bd_compositor_create(16, 8, &comp) == BD_OK, "create 16x8");
    b = bd_compositor_background(comp);
    for (int fit = 0; fit < 4; fit++) {
        bd_compositor_set_image(comp, &sv, (enum bd_fit)fit);
        bad = 0;
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 16; x++)
                bad += b.y[y * b.stride_y + x] != same.f.y[y * same.f.stride_y + x];
        check(bad == 0, "fit %d at the same size: %d samples differ", fit, bad);
    }
    check(bd_compositor_set_image(comp, &sv, (enum bd_fit)9) == BD_ERR_INVALID_ARG,
          "unknown fit refused");
    check(bd_compositor_set_image(comp, NULL, BD_FIT_COVER) == BD_ERR_INVALID_ARG,
          "NULL image refused");
    bd_compositor_destroy(comp);

    free(img.mem);
    free(tall.mem);
    free(band.mem);
    free(t.mem);
    free(same.mem);
}

/* ---- blur --------------------------------------------------------------- */

static double variance(const uint8_t *p, int stride, int w, int h)
{
    double s = 0, s2 = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = p[y * stride + x];
            s += v;
            s2 += v * v;
        }
    double n = (double)w * h, m = s / n;
    return s2 / n - m * m;
}

static void test_blur(void)
{
    /* plane level: constant stays exactly constant, any radius and size */
    static const int sizes[][2] = {{1, 1}, {2, 3}, {37, 23}, {80, 45}};
    static const int radii[] = {1, 2, 5, 64};
    for (size_t s = 0; s < 4; s++)
        for (size_t r = 0; r < 4; r++) {
            const int w = sizes[s][0], h = sizes[s][1], st = w + 7;
            uint8_t *p = malloc((size_t)st * h), *tmp = malloc(bd_box_blur_scratch_size(w, h));
            int bad = 0;
            for (int c = 0; c < 256; c += 51) {
                memset(p, c, (size_t)st * h);
                bd_box_blur_plane(p, st, w, h, radii[r], 3, tmp);
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        bad += p[y * st + x] != c;
            }
            check(bad == 0, "box blur %dx%d r=%d: constant plane changed at %d samples", w, h,
                  radii[r], bad);
            free(p);
            free(tmp);
        }

    /* one pass against a naive box mean (edges replicated); two rounded
     * 1-D passes: within 1 */
    {
        const int w = 37, h = 23, st = w + 7, r = 3;
        uint8_t *p = rand_plane(st, h), *orig = malloc((size_t)st * h),
                *tmp = malloc(bd_box_blur_scratch_size(w, h));
        memcpy(orig, p, (size_t)st * h);
        bd_box_blur_plane(p, st, w, h, r, 1, tmp);
        int bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double sum = 0;
                for (int dy = -r; dy <= r; dy++)
                    for (int dx = -r; dx <= r; dx++) {
                        int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                        int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                        sum += orig[yy * st + xx];
                    }
                bad += fabs(p[y * st + x] - sum / 49.0) > 1.0;
            }
        check(bad == 0, "box blur one pass vs naive mean: %d samples off by more than 1", bad);
        free(p);
        free(orig);
        free(tmp);
    }

    /* compositor level: constant frame → constant background (+-1) */
    static const int fsz[][2] = {{1, 1}, {2, 3}, {37, 23}, {160, 90}};
    for (size_t s = 0; s < 4; s++) {
        const int w = fsz[s][0], h = fsz[s][1];
        struct bd_compositor *comp;
        check(bd_compositor_create(w, h, &comp) == BD_OK, "create %dx%d", w, h);
        struct frame fr = frame_new(w, h, 0, 100, 50, 200);
        struct bd_i420_view v = bd_i420_view_of(&fr.f);
        for (int strength = 0; strength <= BD_BLUR_MAX_RADIUS; strength += 16) {
            check(bd_composite_blur(comp, &v, NULL, 0, strength) == BD_OK, "blur %dx%d", w, h);
            struct bd_i420_view b = bd_compositor_background(comp);
            int bad = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    bad += abs(b.y[y * b.stride_y + x] - 100) > 1;
            for (int y = 0; y < (h + 1) / 2; y++)
                for (int x = 0; x < (w + 1) / 2; x++)
                    bad += abs(b.u[y * b.stride_u + x] - 50) > 1 ||
                           abs(b.v[y * b.stride_v + x] - 200) > 1;
            check(bad == 0, "blur background %dx%d strength %d: constant frame changed at %d",
                  w, h, strength, bad);
        }
        check(bd_composite_blur(comp, &v, NULL, 0, BD_BLUR_MAX_RADIUS + 1) ==
                      BD_ERR_INVALID_ARG &&
                  bd_composite_blur(comp, &v, NULL, 0, -1) == BD_ERR_INVALID_ARG,
              "blur strength out of range refused");
        free(fr.mem);
        bd_compositor_destroy(comp);
    }

    /* noise: variance falls, more with more strength */
    {
        const int w = 320, h = 180;
        struct bd_compositor *comp;
        bd_compositor_create(w, h, &comp);
        struct frame fr = frame_new(w, h, 1, 0, 0, 0);
        struct bd_i420_view v = bd_i420_view_of(&fr.f);
        double v0 = variance(fr.f.y, fr.f.stride_y, w, h);
        double vu0 = variance(fr.f.u, fr.f.stride_u, w / 2, h / 2);
        bd_composite_blur(comp, &v, NULL, 0, 2);
        struct bd_i420_view b = bd_compositor_background(comp);
        double v2 = variance(b.y, b.stride_y, w, h);
        bd_composite_blur(comp, &v, NULL, 0, 8);
        b = bd_compositor_background(comp); /* blur mode: materialised per call */
        double v8 = variance(b.y, b.stride_y, w, h);
        double vu8 = variance(b.u, b.stride_u, w / 2, h / 2);
        printf("blur: noise variance Y %.1f → %.2f (strength 2) → %.3f (strength 8); U %.1f → "
               "%.3f\n",
               v0, v2, v8, vu0, vu8);
        check(v2 < v0 / 20 && v8 < v2 && vu8 < vu0 / 20, "blur reduces noise variance");
        /* and at plane level with downscale-free blur */
        const int st = w + 7;
        uint8_t *p = rand_plane(st, h), *tmp = malloc(bd_box_blur_scratch_size(w, h));
        double pv0 = variance(p, st, w, h);
        bd_box_blur_plane(p, st, w, h, 3, 3, tmp);
        double pv1 = variance(p, st, w, h);
        check(pv1 < pv0 / 20, "box blur r=3: variance %.1f → %.2f", pv0, pv1);
        free(p);
        free(tmp);
        free(fr.mem);
        bd_compositor_destroy(comp);
    }
}

/* ---- whole frames and mirroring ---------------------------------------- */

static void test_frame(void)
{
    static const int sizes[][2] = {{37, 23}, {1, 1}, {2, 3}, {64, 48}};
    for (size_t s = 0; s < 4; s++) {
        const int w = sizes[s][0], h = sizes[s][1], cw = (w + 1) / 2, ch = (h + 1) / 2;
        struct bd_compositor *comp;
        check(bd_compositor_create(w, h, &comp) == BD_OK, "create %dx%d", w, h);
        plain_options(comp);
        bd_compositor_set_color(comp, 10, 200, 30);
        uint8_t by, bu, bv;
        bd_rgb_to_yuv601(10, 200, 30, &by, &bu, &bv);
        struct frame fr = frame_new(w, h, 1, 0, 0, 0);
        struct frame out = frame_new(w, h, 1, 0, 0, 0);
        const int ms = w + 7;
        uint8_t *mk = rand_plane(ms, h);
        struct bd_i420_view v = bd_i420_view_of(&fr.f);
        check(bd_composite_frame(comp, &v, mk, ms, &out.f, 0) == BD_OK, "composite %dx%d", w,
              h);
        int bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bad += out.f.y[y * out.f.stride_y + x] !=
                       exact_blend(mk[y * ms + x], fr.f.y[y * fr.f.stride_y + x], by);
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                int sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int yy = 2 * y + dy < h ? 2 * y + dy : h - 1;
                        int xx = 2 * x + dx < w ? 2 * x + dx : w - 1;
                        sum += mk[yy * ms + xx];
                    }
                int m = (sum + 2) / 4;
                bad += out.f.u[y * out.f.stride_u + x] !=
                       exact_blend(m, fr.f.u[y * fr.f.stride_u + x], bu);
                bad += out.f.v[y * out.f.stride_v + x] !=
                       exact_blend(m, fr.f.v[y * fr.f.stride_v + x], bv);
            }
        check(bad == 0, "composite %dx%d vs naive: %d samples differ", w, h, bad);

        /* mirrored output is the unmirrored one flipped */
        struct frame mir = frame_new(w, h, 1, 0, 0, 0);
        bd_composite_frame(comp, &v, mk, ms, &mir.f, 1);
        bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bad += mir.f.y[y * mir.f.stride_y + x] !=
                       out.f.y[y * out.f.stride_y + w - 1 - x];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++)
                bad += mir.f.u[y * mir.f.stride_u + x] !=
                           out.f.u[y * out.f.stride_u + cw - 1 - x] ||
                       mir.f.v[y * mir.f.stride_v + x] != out.f.v[y * out.f.stride_v + cw - 1 - x];
        check(bad == 0, "mirror %dx%d: %d samples not flipped", w, h, bad);

        /* mirror twice (mask all person) = identity */
        memset(mk, 255, (size_t)ms * h);
        struct frame a = frame_new(w, h, 1, 0, 0, 0), b2 = frame_new(w, h, 1, 0, 0, 0);
        bd_composite_frame(comp, &v, mk, ms, &a.f, 1);
        struct bd_i420_view av = bd_i420_view_of(&a.f);
        bd_composite_frame(comp, &av, mk, ms, &b2.f, 1);
        bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bad += b2.f.y[y * b2.f.stride_y + x] != fr.f.y[y * fr.f.stride_y + x];
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++)
                bad += b2.f.u[y * b2.f.stride_u + x] != fr.f.u[y * fr.f.stride_u + x] ||
                       b2.f.v[y * b2.f.stride_v + x] != fr.f.v[y * fr.f.stride_v + x];
        check(bad == 0, "mirror twice %dx%d: %d samples differ from the frame", w, h, bad);

        /* in place (dst = frame), mask all background → background colour */
        memset(mk, 0, (size_t)ms * h);
        check(bd_composite_frame(comp, &v, mk, ms, &fr.f, 0) == BD_OK, "in place");
        bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bad += fr.f.y[y * fr.f.stride_y + x] != by;
        check(bad == 0, "in place, mask 0 → background: %d wrong", bad);

        /* refusals */
        struct frame wrong = frame_new(w + 1, h, 0, 0, 0, 0);
        struct bd_i420_view wv = bd_i420_view_of(&wrong.f);
        check(bd_composite_frame(comp, &wv, mk, ms, &out.f, 0) == BD_ERR_INVALID_ARG &&
                  bd_composite_frame(comp, &v, NULL, ms, &out.f, 0) == BD_ERR_INVALID_ARG &&
                  bd_composite_blur(comp, &wv, NULL, 0, 4) == BD_ERR_INVALID_ARG,
              "wrong sizes / NULL mask refused");
        free(wrong.mem);
        free(a.mem);
        free(b2.mem);
        free(mir.mem);
        free(fr.mem);
        free(out.mem);
        free(mk);
        bd_compositor_destroy(comp);
    }
    struct bd_compositor *c = (struct bd_compositor *)1;
    check(bd_compositor_create(0, 5, &c) == BD_ERR_INVALID_ARG && c == NULL,
          "create 0x5 refused");
    check(bd_compositor_create(16385, 5, &c) == BD_ERR_INVALID_ARG, "create 16385 wide refused");
    bd_compositor_destroy(NULL);
}

/* ---- kernels: C twins vs naive, SIMD vs C -------------------------------- */

/* Naive exact-k box downscale (composite_kernels.h): clamped coordinates. */
static void naive_downscale(const uint8_t *s, int ss, uint8_t *d, int ds, int w, int h, int k)
{
    for (int sy = 0; sy < (h + k - 1) / k; sy++)
        for (int sx = 0; sx < (w + k - 1) / k; sx++) {
            int sum = 0;
            for (int j = 0; j < k; j++)
                for (int i = 0; i < k; i++) {
                    int yy = sy * k + j < h ? sy * k + j : h - 1;
                    int xx = sx * k + i < w ? sx * k + i : w - 1;
                    sum += s[yy * ss + xx];
                }
            d[sy * ds + sx] = (uint8_t)((sum + k * k / 2) / (k * k));
        }
}

/* Naive centre-aligned bilinear upscale by k of one sample, from the real
 * source position; weights are whole sixteenths by construction. */
static int naive_upscale(const uint8_t *s, int ss, int sw, int sh, int k, int x, int y)
{
    double px = (x + 0.5) / k - 0.5, py = (y + 0.5) / k - 0.5;
    int ix = (int)floor(px), iy = (int)floor(py);
    int fx = (int)lround((px - ix) * 16), fy = (int)lround((py - iy) * 16);
    int x0 = ix < 0 ? 0 : ix >= sw ? sw - 1 : ix, x1 = ix + 1 >= sw ? sw - 1 : ix + 1 < 0 ? 0 : ix + 1;
    int y0 = iy < 0 ? 0 : iy >= sh ? sh - 1 : iy, y1 = iy + 1 >= sh ? sh - 1 : iy + 1 < 0 ? 0 : iy + 1;
    int top = (16 - fx) * s[y0 * ss + x0] + fx * s[y0 * ss + x1];
    int bot = (16 - fx) * s[y1 * ss + x0] + fx * s[y1 * ss + x1];
    return ((16 - fy) * top + fy * bot + 128) >> 8;
}

static void test_kernels_c(void)
{
    /* downscale: the C kernel against the naive one */
    static const int ds_sizes[][2] = {{1, 1}, {7, 5}, {8, 8}, {37, 23}, {64, 64}, {131, 77}, {250, 9}};
    int bad = 0;
    for (size_t s = 0; s < sizeof ds_sizes / sizeof ds_sizes[0]; s++)
        for (int k = 4; k <= 8; k += 4) {
            const int w = ds_sizes[s][0], h = ds_sizes[s][1], st = w + 5;
            const int sw = (w + k - 1) / k, sh = (h + k - 1) / k, dst = sw + 3;
            uint8_t *p = rand_plane(st, h), *a = calloc((size_t)dst * sh, 1),
                    *b = calloc((size_t)dst * sh, 1);
            bd_box_downscale_c(p, st, a, dst, w, h, k);
            naive_downscale(p, st, b, dst, w, h, k);
            bad += memcmp(a, b, (size_t)dst * sh) != 0;
            free(p);
            free(a);
            free(b);
        }
    check(bad == 0, "downscale C vs naive: %d cases differ", bad);

    /* upscale rows (v then h) against the naive bilinear sample */
    static const int up_sizes[][2] = {{1, 1}, {2, 3}, {5, 4}, {23, 11}, {41, 9}};
    bad = 0;
    for (size_t s = 0; s < sizeof up_sizes / sizeof up_sizes[0]; s++)
        for (int k = 4; k <= 8; k += 4) {
            const int sw = up_sizes[s][0], sh = up_sizes[s][1], ss = sw + 3;
            const int W = sw * k - (k - 1) / 2, H = sh * k - 1; /* partial last blocks */
            uint8_t *sp = rand_plane(ss, sh), *row = malloc((size_t)W + 64);
            uint16_t *v = calloc((size_t)sw + 64, sizeof *v);
            for (int y = 0; y < H; y++) {
                bd_upscale_row_v(sp, ss, sw, sh, k, y, v + 8);
                bd_upscale_row_h_c(v + 8, row, W, k);
                for (int x = 0; x < W; x++)
                    bad += row[x] != naive_upscale(sp, ss, sw, sh, k, x, y);
            }
            free(sp);
            free(row);
            free(v);
        }
    check(bad == 0, "upscale C vs naive bilinear: %d samples differ", bad);
}

static void test_kernels_simd(void)
{
    const struct bd_composite_kernels *c = bd_composite_kernels_for("base");
    const struct bd_composite_kernels *s = bd_composite_kernels_for("avx2");
    const char *env = getenv("BACKDROP_COMPOSITE_ISA");
    const char *want = (env && strcmp(env, "base") == 0) || !s ? "base" : "avx2";
    check(c != NULL && strcmp(bd_composite_kernels_default()->name, want) == 0,
          "default kernels: %s, want %s (SIMD unless BACKDROP_COMPOSITE_ISA=base)",
          bd_composite_kernels_default()->name, want);
    int avx2 = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2");
#endif
    check((s != NULL) == (avx2 != 0) && (!s || strcmp(s->name, "avx2") == 0),
          "AVX2 kernels %s on a CPU %s AVX2", s ? s->name : "missing", avx2 ? "with" : "without");
    check(bd_composite_kernels_for("neon") == NULL, "an unknown ISA gives no kernels");
    if (!s) {
        n_skip++;
        printf("SKIP: kernels: this CPU has no AVX2, SIMD twins not tested\n");
        return;
    }
    /* blend: every (m, fg, bg), then odd lengths at odd offsets, in place,
     * and rows of uniform 0/255 mask (the copy shortcut) with soft spots */
    uint8_t *fg = malloc(65536 + 64), *bg = malloc(65536 + 64), *mk = malloc(65536 + 64);
    uint8_t *d1 = malloc(65536 + 64), *d2 = malloc(65536 + 64);
    for (int i = 0; i < 65536; i++) {
        fg[i] = (uint8_t)(i & 255);
        bg[i] = (uint8_t)(i >> 8);
    }
    long bad = 0;
    for (int m = 0; m < 256; m++) {
        memset(mk, m, 65536);
        s->blend_row(fg, bg, mk, d1, 65536);
        for (int i = 0; i < 65536; i++)
            bad += d1[i] != exact_blend(m, fg[i], bg[i]);
    }
    check(bad == 0, "blend avx2 exhaustive: %ld of 16777216 differ from exact", bad);
    bad = 0;
    for (int t = 0; t < 400; t++) {
        const int n = 1 + (int)(rnd() % 300), o1 = rnd() % 31, o2 = rnd() % 31, o3 = rnd() % 31;
        for (int i = 0; i < n + 32; i++) {
            fg[i] = (uint8_t)rnd();
            bg[i] = (uint8_t)rnd();
            /* runs of 0 / 255 with a few soft samples */
            int r = (int)(rnd() % 8);
            mk[i] = t % 3 == 0 ? (uint8_t)rnd() : r == 0 ? (uint8_t)rnd() : (t & 1) ? 255 : 0;
        }
        if (t % 3 == 1)
            memset(mk + o3, (t & 2) ? 255 : 0, (size_t)n); /* whole row uniform */
        c->blend_row(fg + o1, bg + o2, mk + o3, d1 + 1, n);
        s->blend_row(fg + o1, bg + o2, mk + o3, d2 + 1, n);
        bad += memcmp(d1 + 1, d2 + 1, (size_t)n) != 0;
        memcpy(d2, fg, (size_t)n + 32); /* in place: dst = fg */
        s->blend_row(d2 + o1, bg + o2, mk + o3, d2 + o1, n);
        bad += memcmp(d1 + 1, d2 + o1, (size_t)n) != 0;
    }
    check(bad == 0, "blend avx2 vs C: %ld of 800 rows differ", bad);

    /* mask to chroma rows */
    bad = 0;
    for (int t = 0; t < 300; t++) {
        const int w = 1 + (int)(rnd() % 260), o = rnd() % 17;
        for (int i = 0; i < 2 * 300; i++)
            fg[i] = (uint8_t)rnd();
        memset(d1, 0x5A, 300);
        memset(d2, 0x5A, 300);
        const uint8_t *r1 = (t & 1) ? fg + o : fg + 300 + o; /* r1 = r0 on odd last rows */
        c->mask_chroma_row(fg + o, r1, d1, w);
        s->mask_chroma_row(fg + o, r1, d2, w);
        bad += memcmp(d1, d2, 300) != 0;
    }
    check(bad == 0, "mask to chroma avx2 vs C: %ld of 300 rows differ (or wrote past)", bad);
    free(fg);
    free(bg);
    free(mk);
    free(d1);
    free(d2);

    /* downscale, odd sizes and strides */
    static const int ds_sizes[][2] = {{1, 1}, {7, 5}, {31, 9}, {32, 8}, {64, 64}, {131, 77},
                                      {250, 9}, {641, 37}};
    bad = 0;
    for (size_t i = 0; i < sizeof ds_sizes / sizeof ds_sizes[0]; i++)
        for (int k = 4; k <= 8; k += 4) {
            const int w = ds_sizes[i][0], h = ds_sizes[i][1], st = w + 5;
            const int sw = (w + k - 1) / k, sh = (h + k - 1) / k, dst = sw + 3;
            uint8_t *p = rand_plane(st, h), *a = calloc((size_t)dst * sh, 1),
                    *b = calloc((size_t)dst * sh, 1);
            c->downscale(p, st, a, dst, w, h, k);
            s->downscale(p, st, b, dst, w, h, k);
            bad += memcmp(a, b, (size_t)dst * sh) != 0;
            free(p);
            free(a);
            free(b);
        }
    check(bad == 0, "downscale avx2 vs C: %ld cases differ", bad);

    /* blur, odd sizes, radii past the plane size, 1 and 3 passes */
    static const int bl_sizes[][2] = {{1, 1}, {5, 3}, {15, 17}, {16, 16}, {37, 23}, {160, 90},
                                      {333, 17}, {17, 200}};
    static const int radii[] = {1, 3, 6, 12, 64};
    bad = 0;
    for (size_t i = 0; i < sizeof bl_sizes / sizeof bl_sizes[0]; i++)
        for (size_t r = 0; r < sizeof radii / sizeof radii[0]; r++)
            for (int passes = 1; passes <= 3; passes += 2) {
                const int w = bl_sizes[i][0], h = bl_sizes[i][1], st = w + 7;
                uint8_t *a = rand_plane(st, h), *b = malloc((size_t)st * h);
                void *scr = malloc(bd_box_blur_scratch_size(w, h));
                memcpy(b, a, (size_t)st * h);
                c->blur(a, st, w, h, radii[r], passes, scr);
                s->blur(b, st, w, h, radii[r], passes, scr);
                int diff = 0;
                for (int y = 0; y < h; y++)
                    diff += memcmp(a + y * st, b + y * st, (size_t)w) != 0;
                if (diff && bad < 3)
                    printf("  blur %dx%d r=%d passes %d: %d rows differ\n", w, h, radii[r],
                           passes, diff);
                bad += diff != 0;
                free(a);
                free(b);
                free(scr);
            }
    check(bad == 0, "blur avx2 vs C: %ld cases differ", bad);

    /* upscale rows: random 16-bit mixes (<= 16 * 255) */
    bad = 0;
    for (int t = 0; t < 200; t++) {
        const int k = (t & 1) ? 8 : 4, sw = 1 + (int)(rnd() % 90);
        const int n = sw * k - (int)(rnd() % k);
        uint16_t *v = calloc((size_t)sw + 64, sizeof *v);
        uint8_t *a = malloc((size_t)n + 64), *b = malloc((size_t)n + 64);
        for (int i = 0; i < sw; i++)
            v[8 + i] = (uint16_t)(rnd() % 4081);
        v[7] = v[8];
        v[8 + sw] = v[8 + sw - 1];
        c->upscale_row_h(v + 8, a, n, k);
        s->upscale_row_h(v + 8, b, n, k);
        bad += memcmp(a, b, (size_t)n) != 0;
        free(v);
        free(a);
        free(b);
    }
    check(bad == 0, "upscale row avx2 vs C: %ld of 200 rows differ", bad);

    /* the vertical mix of two small rows, odd lengths, unaligned rows,
     * every weight; the SIMD kernel writes nothing past n */
    bad = 0;
    for (int t = 0; t < 200; t++) {
        const int n = 1 + (int)(rnd() % 203), oa = (int)(rnd() % 7), ob = (int)(rnd() % 5);
        const int fy = (int)(rnd() % 17);
        uint8_t *a = rand_plane(n + 8, 1), *b = rand_plane(n + 8, 1);
        uint16_t *v1 = malloc(sizeof *v1 * (size_t)(n + 24)),
                 *v2 = malloc(sizeof *v2 * (size_t)(n + 24));
        for (int i = 0; i < n + 24; i++)
            v1[i] = v2[i] = 0xBEEF;
        c->mix_rows(a + oa, b + ob, fy, v1 + 1, n);
        s->mix_rows(a + oa, b + ob, fy, v2 + 1, n);
        bad += memcmp(v1, v2, sizeof *v1 * (size_t)(n + 24)) != 0 ||
               v1[1] != (uint16_t)(a[oa] * (16 - fy) + b[ob] * fy) || v2[n + 1] != 0xBEEF;
        free(a);
        free(b);
        free(v1);
        free(v2);
    }
    check(bad == 0, "row vertical mix avx2 vs C: %ld of 200 rows differ", bad);
}

/* The whole blurred composite: the C and SIMD compositors give the same
 * frame (BACKDROP_COMPOSITE_ISA at create), and the Y plane equals a naive
 * downscale → C blur → bilinear upscale → exact blend. */
static void test_blur_composite(void)
{
    static const int sizes[][2] = {{1, 1}, {2, 3}, {37, 23}, {64, 48}, {201, 113}, {640, 360}};
    static const int strengths[] = {0, 3, 7, 8, 12, 64};
    const int have_simd = bd_composite_kernels_for("avx2") != NULL;
    int bad_twin = 0, bad_naive = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const int w = sizes[s][0], h = sizes[s][1], ms = w + 3;
        struct bd_compositor *cc, *cs;
        setenv("BACKDROP_COMPOSITE_ISA", "base", 1);
        bd_compositor_create(w, h, &cc);
        unsetenv("BACKDROP_COMPOSITE_ISA");
        bd_compositor_create(w, h, &cs);
        plain_options(cc);
        plain_options(cs);
        struct frame fr = frame_new(w, h, 1, 0, 0, 0);
        struct frame o1 = frame_new(w, h, 0, 0, 0, 0), o2 = frame_new(w, h, 0, 0, 0, 0);
        struct bd_i420_view v = bd_i420_view_of(&fr.f);
        uint8_t *mk = rand_plane(ms, h);
        for (int i = 0; i < ms * h; i++) /* mostly 0 / 255, some soft */
            mk[i] = mk[i] < 100 ? 0 : mk[i] > 160 ? 255 : mk[i];
        for (size_t t = 0; t < sizeof strengths / sizeof strengths[0]; t++) {
            const int st = strengths[t];
            bd_composite_blur(cc, &v, NULL, 0, st);
            bd_composite_frame(cc, &v, mk, ms, &o1.f, 0);
            bd_composite_blur(cs, &v, NULL, 0, st);
            bd_composite_frame(cs, &v, mk, ms, &o2.f, 0);
            const int cw = (w + 1) / 2, ch = (h + 1) / 2;
            int diff = 0;
            for (int y = 0; y < h; y++)
                diff += memcmp(o1.f.y + y * o1.f.stride_y, o2.f.y + y * o2.f.stride_y, (size_t)w);
            for (int y = 0; y < ch; y++)
                diff += memcmp(o1.f.u + y * o1.f.stride_u, o2.f.u + y * o2.f.stride_u,
                               (size_t)cw) != 0 ||
                        memcmp(o1.f.v + y * o1.f.stride_v, o2.f.v + y * o2.f.stride_v,
                               (size_t)cw) != 0;
            bad_twin += diff != 0;

            /* naive Y */
            const int k = bd_blur_downscale(st), r = bd_blur_radius(st);
            const int sw = (w + k - 1) / k, sh = (h + k - 1) / k;
            uint8_t *sp = malloc((size_t)sw * sh);
            void *scr = malloc(bd_box_blur_scratch_size(sw, sh));
            naive_downscale(fr.f.y, fr.f.stride_y, sp, sw, w, h, k);
            bd_box_blur_plane(sp, sw, sw, sh, r, 3, scr);
            int nb = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int bgv = naive_upscale(sp, sw, sw, sh, k, x, y);
                    nb += o1.f.y[y * o1.f.stride_y + x] !=
                          exact_blend(mk[y * ms + x], fr.f.y[y * fr.f.stride_y + x], bgv);
                }
            if (nb && bad_naive < 3)
                printf("  blur composite %dx%d strength %d: %d Y samples differ from naive\n",
                       w, h, st, nb);
            bad_naive += nb != 0;
            free(sp);
            free(scr);
        }
        free(fr.mem);
        free(o1.mem);
        free(o2.mem);
        free(mk);
        bd_compositor_destroy(cc);
        bd_compositor_destroy(cs);
    }
    check(bad_naive == 0, "blurred composite Y vs naive pipeline: %d cases differ", bad_naive);
    if (have_simd)
        check(bad_twin == 0, "blurred composite C vs SIMD compositor: %d cases differ", bad_twin);

    /* geometry: a vertical edge at an odd width stays where it was (the
     * exact-k down/up mapping is centre-aligned, even with partial blocks):
     * the blurred row crosses the midpoint within 1 pixel of the edge */
    static const int gw[] = {203, 640, 1283};
    for (size_t i = 0; i < 3; i++) {
        const int w = gw[i], h = 61, edge = w / 2;
        struct bd_compositor *comp;
        bd_compositor_create(w, h, &comp);
        struct frame fr = frame_new(w, h, 0, 0, 128, 128);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                fr.f.y[y * fr.f.stride_y + x] = x < edge ? 50 : 200;
        struct bd_i420_view v = bd_i420_view_of(&fr.f);
        for (int st = 4; st <= 12; st += 8) {
            bd_composite_blur(comp, &v, NULL, 0, st);
            struct bd_i420_view b = bd_compositor_background(comp);
            const uint8_t *row = b.y + (h / 2) * b.stride_y;
            double cross = -1;
            for (int x = 1; x < w; x++)
                if (row[x - 1] < 125 && row[x] >= 125) {
                    cross = x - 1 + (125.0 - row[x - 1]) / (row[x] - row[x - 1]);
                    break;
                }
            /* the true edge is between samples edge-1 and edge */
            check(fabs(cross - (edge - 0.5)) <= 1.0,
                  "blur %d wide, strength %d: edge midpoint at %.2f, want %.1f +- 1", w, st,
                  cross, edge - 0.5);
        }
        free(fr.mem);
        bd_compositor_destroy(comp);
    }
}

/* ---- halo-free blur, light wrap, hologram ------------------------------- */

/* The new kernels: C twin against a naive formula where there is one,
 * AVX2 against C on random data, odd lengths, unaligned pointers. */
static void test_new_kernels(void)
{
    const struct bd_composite_kernels *c = bd_composite_kernels_for("base");
    const struct bd_composite_kernels *s = bd_composite_kernels_for("avx2");

    /* blur16 C: a constant plane comes back as c or a little less (the
     * floor multiplier), one pass is the box mean within 1 */
    {
        static const int sz[][2] = {{1, 1}, {3, 2}, {37, 23}, {80, 45}};
        static const int radii[] = {1, 3, 12, 64};
        int bad = 0;
        for (size_t i = 0; i < 4; i++)
            for (size_t r = 0; r < 4; r++) {
                const int w = sz[i][0], h = sz[i][1], st = w + 5;
                uint16_t *p = malloc((size_t)st * h * 2);
                void *scr = malloc(bd_box_blur16_scratch_size(w, h));
                for (int cv = 0; cv <= 65535; cv += 13107) {
                    for (int j = 0; j < st * h; j++)
                        p[j] = (uint16_t)cv;
                    bd_box_blur16_c(p, st, w, h, radii[r], 3, scr);
                    /* each pass scales by d mul / 2^16 <= 1 (within 1
                     * rounding), d = 2r+1 */
                    const double d = 2.0 * radii[r] + 1, f = d * bd_box_mul16(radii[r]) / 65536.0;
                    const double lo = cv * pow(f, 6) - 6;
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++)
                            bad += p[y * st + x] > cv || p[y * st + x] < lo;
                }
                free(p);
                free(scr);
            }
        check(bad == 0, "blur16 C: constant planes off at %d samples", bad);
        const int w = 37, h = 23, st = w + 3, r = 3;
        uint16_t *p = malloc((size_t)st * h * 2), *o = malloc((size_t)st * h * 2);
        void *scr = malloc(bd_box_blur16_scratch_size(w, h));
        for (int j = 0; j < st * h; j++)
            o[j] = p[j] = (uint16_t)rnd();
        bd_box_blur16_c(p, st, w, h, r, 1, scr);
        bad = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double sum = 0;
                for (int dy = -r; dy <= r; dy++)
                    for (int dx = -r; dx <= r; dx++) {
                        int yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                        int xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                        sum += o[yy * st + xx];
                    }
                /* one rounded 1-D pass each way, on values scaled by f */
                const double f = 7.0 * bd_box_mul16(r) / 65536.0;
                bad += fabs(p[y * st + x] - sum / 49.0 * f * f) > 1.0;
            }
        check(bad == 0, "blur16 C one pass vs naive mean: %d samples off by more than 1", bad);
        free(p);
        free(o);
        free(scr);
    }
    if (!s) {
        n_skip++;
        printf("SKIP: kernels: no AVX2, new SIMD twins not tested\n");
        return;
    }

    /* blur16 AVX2 vs C */
    {
        static const int sz[][2] = {{1, 1}, {5, 3}, {7, 9}, {8, 8}, {15, 17}, {37, 23},
                                    {160, 90}, {333, 17}, {17, 200}, {81, 46}};
        static const int radii[] = {1, 2, 6, 13, 64};
        long bad = 0;
        for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
            for (size_t r = 0; r < 5; r++)
                for (int passes = 1; passes <= 3; passes += 2) {
                    const int w = sz[i][0], h = sz[i][1], st = w + 3;
                    uint16_t *a = malloc((size_t)st * h * 2), *b = malloc((size_t)st * h * 2);
                    void *scr = malloc(bd_box_blur16_scratch_size(w, h));
                    for (int j = 0; j < st * h; j++)
                        a[j] = b[j] = (uint16_t)rnd();
                    c->blur16(a, st, w, h, radii[r], passes, scr);
                    s->blur16(b, st, w, h, radii[r], passes, scr);
                    for (int y = 0; y < h; y++)
                        bad += memcmp(a + y * st, b + y * st, (size_t)w * 2) != 0;
                    free(a);
                    free(b);
                    free(scr);
                }
        check(bad == 0, "blur16 avx2 vs C: %ld rows differ", bad);
    }

    /* row kernels at odd lengths and offsets */
    uint8_t *a8 = malloc(1024), *b8 = malloc(1024), *m8 = malloc(1024), *d1 = malloc(1024),
            *d2 = malloc(1024), *row = malloc(4096);
    uint16_t *n1 = malloc(2048), *n2 = malloc(2048), *e1 = malloc(2048), *e2 = malloc(2048);
    uint16_t *vb = calloc(512, 2), *vl = calloc(512, 2);
    long bad_pm = 0, bad_rt = 0, bad_wr = 0, bad_sc = 0, bad_hy = 0, bad_hc = 0, bad_naive = 0;
    for (int t = 0; t < 600; t++) {
        const int n = 1 + (int)(rnd() % 400), o1 = rnd() % 31, o2 = rnd() % 31, o3 = rnd() % 31;
        for (int i = 0; i < 1024; i++) {
            a8[i] = (uint8_t)rnd();
            b8[i] = (uint8_t)rnd();
            const int r = (int)(rnd() % 8);
            m8[i] = t % 3 == 0 ? (uint8_t)rnd() : r == 0 ? (uint8_t)rnd() : (t & 1) ? 255 : 0;
        }
        /* premul */
        c->premul_row(a8 + o1, m8 + o2, n1 + 1, e1 + 1, n);
        s->premul_row(a8 + o1, m8 + o2, n2 + o3, e2 + o3, n);
        bad_pm += memcmp(n1 + 1, n2 + o3, (size_t)n * 2) || memcmp(e1 + 1, e2 + o3, (size_t)n * 2);
        for (int i = 0; i < n && t < 50; i++)
            bad_naive += n1[1 + i] != a8[o1 + i] * (257 - (m8[o2 + i] > 127 ? 255 : 2 * m8[o2 + i]));
        /* ratio: random num/den, some den 0, some quotients over 255 */
        for (int i = 0; i < n + 1; i++) {
            n1[i] = (uint16_t)rnd();
            e1[i] = (uint16_t)(t % 4 == 0 ? rnd() % 4 : rnd());
        }
        c->ratio_row(n1 + 1, e1 + 1, d1, n);
        s->ratio_row(n1 + 1, e1 + 1, d2 + o1, n);
        bad_rt += memcmp(d1, d2 + o1, (size_t)n) != 0;
        for (int i = 0; i < n && t < 50; i++) {
            const int den = e1[1 + i];
            const int want = den ? (int)fmin(255, floor(n1[1 + i] * 255.0 / den + 0.5)) : 0;
            bad_naive += abs(d1[i] - want) > 1; /* float vs exact: at most the tie */
        }
        /* light wrap blend: b NULL or a row, k 4/8, random mixes */
        const int kb = (t & 1) ? 8 : 4, kl = (t & 2) ? 8 : 4, s8 = (int)(rnd() % 257);
        for (int i = 0; i < 512; i++) {
            vb[i] = (uint16_t)(rnd() % 4081);
            vl[i] = (uint16_t)((t % 5 == 0 ? 4080 : rnd() % 4081)); /* all-person rows too */
        }
        const uint8_t *brow = (t % 3 == 1) ? NULL : b8 + o2;
        c->blend_wrap_row(a8 + o1, brow, vb + 8, kb, vl + 8, kl, s8, m8 + o3, d1 + 1, n, row);
        s->blend_wrap_row(a8 + o1, brow, vb + 8, kb, vl + 8, kl, s8, m8 + o3, d2 + 1, n, row);
        bad_wr += memcmp(d1 + 1, d2 + 1, (size_t)n) != 0;
        memcpy(d2, a8, 1024); /* in place: d = f */
        s->blend_wrap_row(d2 + o1, brow, vb + 8, kb, vl + 8, kl, s8, m8 + o3, d2 + o1, n, row);
        bad_wr += memcmp(d1 + 1, d2 + o1, (size_t)n) != 0;
        /* naive light wrap from the formula (C twin) */
        if (t < 60) {
            uint8_t *ub = row + 2048, *ul = row + 3072;
            bd_upscale_row_h_c(vb + 8, ub, n, kb);
            bd_upscale_row_h_c(vl + 8, ul, n, kl);
            for (int i = 0; i < n; i++) {
                int L = 255 - ul[i], l2 = 2 * L > 255 ? 255 : 2 * L;
                int ww = (l2 * s8 + 128) >> 8;
                int fp = exact_blend(ww, ub[i], a8[o1 + i]);
                int want = exact_blend(m8[o3 + i], fp, brow ? brow[i] : ub[i]);
                bad_naive += d1[1 + i] != want;
            }
        }
        /* scale */
        c->scale_row(a8 + o1, s8, d1, n);
        s->scale_row(a8 + o1, s8, d2 + o2, n);
        bad_sc += memcmp(d1, d2 + o2, (size_t)n) != 0;
        /* hologram rows with in-range coefficients */
        const int ha = (int)(rnd() % 220), hb = (int)(rnd() % (65536 - 255 * ha));
        c->holo_y_row(a8 + o1, d1, n, ha, hb);
        s->holo_y_row(a8 + o1, d2 + o3, n, ha, hb);
        bad_hy += memcmp(d1, d2 + o3, (size_t)n) != 0;
        const int c0 = (int)(rnd() % 64), c1 = (int)(rnd() % 64) - 32,
                  bias = (int)(rnd() % 16384) - 8192;
        c->holo_c_row(a8 + o1, b8 + o2, d1, n, c0, c1, bias);
        s->holo_c_row(a8 + o1, b8 + o2, d2 + o3, n, c0, c1, bias);
        bad_hc += memcmp(d1, d2 + o3, (size_t)n) != 0;
    }
    check(bad_naive == 0, "premul/ratio/light wrap C vs naive formulas: %ld samples differ",
          bad_naive);
    check(bad_pm == 0, "premul avx2 vs C: %ld of 600 rows differ", bad_pm);
    check(bad_rt == 0, "ratio avx2 vs C: %ld of 600 rows differ", bad_rt);
    check(bad_wr == 0, "light wrap blend avx2 vs C: %ld of 1200 rows differ", bad_wr);
    check(bad_sc == 0, "scale avx2 vs C: %ld of 600 rows differ", bad_sc);
    check(bad_hy == 0 && bad_hc == 0, "hologram rows avx2 vs C: %ld Y, %ld C of 600 differ",
          bad_hy, bad_hc);
    free(a8);
    free(b8);
    free(m8);
    free(d1);
    free(d2);
    free(row);
    free(n1);
    free(n2);
    free(e1);
    free(e2);
    free(vb);
    free(vl);
}

/* A disc "person" (feathered 3 px edge) at the frame centre, radius rad. */
static uint8_t *disc_mask(int w, int h, double rad)
{
    uint8_t *m = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double d = hypot(x - w / 2.0, y - h / 2.0) - rad;
            double a = 0.5 - d / 3.0;
            m[y * w + x] = (uint8_t)(a <= 0 ? 0 : a >= 1 ? 255 : a * 255 + 0.5);
        }
    return m;
}

/* Mean Y of the background in the band d0..d1 pixels outside the disc. */
static double band_mean(const struct bd_i420_view *b, int w, int h, double rad, double d0,
                        double d1)
{
    double sum = 0;
    int n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double d = hypot(x - w / 2.0, y - h / 2.0) - rad;
            if (d >= d0 && d < d1) {
                sum += b->y[y * b->stride_y + x];
                n++;
            }
        }
    return n ? sum / n : 0;
}

/* The halo: a bright person (Y 235) on a dark background (Y 30). The
 * plain blur raises the background's brightness around the person; the
 * halo-free one must keep it near 30. */
static void test_halo(void)
{
    const int w = 1280, h = 720;
    const double rad = 200;
    struct bd_compositor *comp;
    bd_compositor_create(w, h, &comp);
    struct frame fr = frame_new(w, h, 0, 30, 128, 128);
    uint8_t *mk = disc_mask(w, h, rad);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (mk[y * w + x] > 127)
                fr.f.y[y * fr.f.stride_y + x] = 235;
    struct bd_i420_view v = bd_i420_view_of(&fr.f);
    for (int st = 4; st <= 12; st += 8) {
        bd_composite_blur(comp, &v, NULL, 0, st); /* plain */
        struct bd_i420_view b = bd_compositor_background(comp);
        const double p1 = band_mean(&b, w, h, rad, 4, 20), p2 = band_mean(&b, w, h, rad, 20, 60);
        check(bd_composite_blur(comp, &v, mk, w, st) == BD_OK, "halo-free blur");
        b = bd_compositor_background(comp);
        const double h1 = band_mean(&b, w, h, rad, 4, 20), h2 = band_mean(&b, w, h, rad, 20, 60);
        printf("halo (strength %d): background Y just outside a Y-235 person on Y 30, band "
               "4-20 px / 20-60 px: plain blur %.1f / %.1f, halo-free %.1f / %.1f\n",
               st, p1, p2, h1, h2);
        /* within 10% of the plain blur's excess over the dark background */
        check(p1 > 80 && h1 - 30 < 0.1 * (p1 - 30) && h2 - 30 < 0.1 * (p2 - 30) + 1,
              "halo-free keeps the band dark (%.1f, %.1f; plain %.1f, %.1f)", h1, h2, p1, p2);
    }
    /* all person: the fall-back is the plain blur (within 2) */
    memset(mk, 255, (size_t)w * h);
    bd_composite_blur(comp, &v, NULL, 0, 12);
    struct bd_i420_view b = bd_compositor_background(comp);
    uint8_t *plain = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        memcpy(plain + y * w, b.y + y * b.stride_y, (size_t)w);
    bd_composite_blur(comp, &v, mk, w, 12);
    b = bd_compositor_background(comp);
    int bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            bad += abs(b.y[y * b.stride_y + x] - plain[y * w + x]) > 1;
    check(bad == 0, "halo-free, all person: plain blur within 1 (%d off)", bad);
    /* no person: the plain blur (within 1) */
    memset(mk, 0, (size_t)w * h);
    bd_composite_blur(comp, &v, mk, w, 12);
    b = bd_compositor_background(comp);
    bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            bad += abs(b.y[y * b.stride_y + x] - plain[y * w + x]) > 1;
    check(bad == 0, "halo-free, no person: plain blur within 1 (%d off)", bad);
    /* halo_free off: the mask is ignored, exactly the plain blur */
    const struct bd_composite_options off = {0, 0.3f, 0};
    bd_compositor_set_options(comp, &off);
    memset(mk, 255, (size_t)w * h / 2);
    bd_composite_blur(comp, &v, mk, w, 12);
    b = bd_compositor_background(comp);
    bad = 0;
    for (int y = 0; y < h; y++)
        bad += memcmp(b.y + y * b.stride_y, plain + y * w, (size_t)w) != 0;
    check(bad == 0, "halo_free 0: the plain blur exactly (%d rows differ)", bad);
    free(plain);
    free(mk);
    free(fr.mem);
    bd_compositor_destroy(comp);

    /* constant frame, random mask: constant background at odd sizes */
    static const int sz[][2] = {{1, 1}, {3, 5}, {37, 23}, {161, 91}};
    bad = 0;
    for (size_t i = 0; i < 4; i++)
        for (int st = 0; st <= 64; st += 8) {
            const int W = sz[i][0], H = sz[i][1];
            struct bd_compositor *cc;
            bd_compositor_create(W, H, &cc);
            struct frame f2 = frame_new(W, H, 0, 100, 50, 200);
            uint8_t *m2 = rand_plane(W + 3, H);
            struct bd_i420_view v2 = bd_i420_view_of(&f2.f);
            bd_composite_blur(cc, &v2, m2, W + 3, st);
            struct bd_i420_view b2 = bd_compositor_background(cc);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    bad += abs(b2.y[y * b2.stride_y + x] - 100) > 1;
            for (int y = 0; y < (H + 1) / 2; y++)
                for (int x = 0; x < (W + 1) / 2; x++)
                    bad += abs(b2.u[y * b2.stride_u + x] - 50) > 1 ||
                           abs(b2.v[y * b2.stride_v + x] - 200) > 1;
            free(m2);
            free(f2.mem);
            bd_compositor_destroy(cc);
        }
    check(bad == 0, "halo-free, constant frame and random mask: background off at %d", bad);
}

/* Light wrap on a colour background: a Y-200 disc person on a Y-40
 * background. Off: exactly the plain blend. On: only person-side samples
 * near the edge change, towards the background, more with more strength. */
static void test_light_wrap(void)
{
    const int w = 321, h = 241;
    const double rad = 80;
    struct bd_compositor *comp;
    bd_compositor_create(w, h, &comp);
    bd_compositor_set_color(comp, 0, 0, 80); /* dark blue */
    uint8_t by, bu, bv;
    bd_rgb_to_yuv601(0, 0, 80, &by, &bu, &bv);
    struct frame fr = frame_new(w, h, 0, 200, 128, 128);
    struct frame o0 = frame_new(w, h, 0, 0, 0, 0), o1 = frame_new(w, h, 0, 0, 0, 0),
                 o2 = frame_new(w, h, 0, 0, 0, 0);
    uint8_t *mk = disc_mask(w, h, rad);
    struct bd_i420_view v = bd_i420_view_of(&fr.f);
    const struct bd_composite_options off = {1, 0.0f, 0}, on = {1, 0.3f, 0}, full = {1, 1.0f, 0};
    bd_compositor_set_options(comp, &off);
    bd_composite_frame(comp, &v, mk, w, &o0.f, 0);
    bd_compositor_set_options(comp, &on);
    bd_composite_frame(comp, &v, mk, w, &o1.f, 0);
    bd_compositor_set_options(comp, &full);
    bd_composite_frame(comp, &v, mk, w, &o2.f, 0);
    int bad_off = 0, bad_bg = 0, bad_far = 0, bad_dir = 0;
    double edge0 = 0, edge1 = 0, edge2 = 0;
    int ne = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const int m = mk[y * w + x], i = y * o0.f.stride_y + x;
            bad_off += o0.f.y[i] != exact_blend(m, 200, by);
            const double d = hypot(x - w / 2.0, y - h / 2.0) - rad;
            if (m == 0)
                bad_bg += o1.f.y[i] != by || o2.f.y[i] != by;
            if (d < -40)
                bad_far += o1.f.y[i] != 200 || o2.f.y[i] != 200;
            bad_dir += o1.f.y[i] > o0.f.y[i] || o2.f.y[i] > o1.f.y[i];
            if (d > -6 && d < -2) {
                edge0 += o0.f.y[i];
                edge1 += o1.f.y[i];
                edge2 += o2.f.y[i];
                ne++;
            }
        }
    edge0 /= ne;
    edge1 /= ne;
    edge2 /= ne;
    printf("light wrap: person Y 200 on background Y %d, 2-6 px inside the edge: off %.1f, "
           "0.3 %.1f, 1.0 %.1f\n", by, edge0, edge1, edge2);
    check(bad_off == 0, "light wrap 0: exactly the plain blend (%d differ)", bad_off);
    check(bad_bg == 0 && bad_far == 0, "light wrap leaves the background (%d) and the person's "
          "inside (%d) alone", bad_bg, bad_far);
    check(bad_dir == 0 && edge1 < edge0 - 10 && edge2 < edge1 - 20,
          "light wrap pulls the edge towards the background, more when stronger (%d wrong way)",
          bad_dir);
    /* refusals */
    const struct bd_composite_options neg = {1, -0.1f, 0}, big = {1, 1.5f, 0},
                                      nan_ = {1, NAN, 0};
    check(bd_compositor_set_options(comp, &neg) == BD_ERR_INVALID_ARG &&
              bd_compositor_set_options(comp, &big) == BD_ERR_INVALID_ARG &&
              bd_compositor_set_options(comp, &nan_) == BD_ERR_INVALID_ARG &&
              bd_compositor_set_options(comp, NULL) == BD_ERR_INVALID_ARG &&
              bd_compositor_set_options(NULL, &on) == BD_ERR_INVALID_ARG,
          "light wrap out of 0..1 (and NULL) refused");
    check(bd_compositor_options(comp).light_wrap == 1.0f, "refused options leave the old ones");
    struct bd_compositor *fresh;
    bd_compositor_create(8, 8, &fresh);
    const struct bd_composite_options dflt = BD_COMPOSITE_OPTIONS_DEFAULT;
    struct bd_composite_options got = bd_compositor_options(fresh);
    check(got.halo_free == dflt.halo_free && got.light_wrap == dflt.light_wrap &&
              got.hologram == dflt.hologram && got.light_wrap == BD_LIGHT_WRAP_DEFAULT,
          "a new compositor has the default options");
    bd_compositor_destroy(fresh);
    free(mk);
    free(fr.mem);
    free(o0.mem);
    free(o1.mem);
    free(o2.mem);
    bd_compositor_destroy(comp);
}

/* ---- light wrap against naive code ------------------------------------- */

/* The mean of each k x k block (partial blocks at the right and bottom
 * replicate the last column and row). */
static double *naive_down(const double *s, int w, int h, int k, int *ow, int *oh)
{
    const int sw = (w + k - 1) / k, sh = (h + k - 1) / k;
    double *d = malloc(sizeof(double) * (size_t)sw * sh);
    for (int y = 0; y < sh; y++)
        for (int x = 0; x < sw; x++) {
            double sum = 0;
            for (int j = 0; j < k; j++)
                for (int i = 0; i < k; i++) {
                    const int yy = y * k + j < h ? y * k + j : h - 1;
                    const int xx = x * k + i < w ? x * k + i : w - 1;
                    sum += s[yy * w + xx];
                }
            d[y * sw + x] = sum / (k * k);
        }
    *ow = sw;
    *oh = sh;
    return d;
}

/* passes x a (2r + 1)^2 box mean, edges replicated, in place. */
static void naive_box_passes(double *p, int w, int h, int r, int passes)
{
    double *t = malloc(sizeof(double) * (size_t)w * h);
    for (int n = 0; n < passes; n++) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -r; i <= r; i++)
                    s += p[y * w + (x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i)];
                t[y * w + x] = s / (2 * r + 1);
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -r; i <= r; i++)
                    s += t[(y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i) * w + x];
                p[y * w + x] = s / (2 * r + 1);
            }
    }
    free(t);
}

/* Bilinear sample of s (sw x sh) for output (x, y) upscaled by k: source
 * (x + 0.5)/k - 0.5, clamped. */
static double naive_up(const double *s, int sw, int sh, int k, int x, int y)
{
    double px = (x + 0.5) / k - 0.5, py = (y + 0.5) / k - 0.5;
    px = px < 0 ? 0 : px > sw - 1 ? sw - 1 : px;
    py = py < 0 ? 0 : py > sh - 1 ? sh - 1 : py;
    const int x0 = (int)px, y0 = (int)py;
    const int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
    const double fx = px - x0, fy = py - y0;
    return (s[y0 * sw + x0] * (1 - fx) + s[y0 * sw + x1] * fx) * (1 - fy) +
           (s[y1 * sw + x0] * (1 - fx) + s[y1 * sw + x1] * fx) * fy;
}

/*
 * The light wrap over a colour background against the formula of
 * composite.h, computed in floats: the mask at 1/4 (Y) and at 1/8 (U/V: a
 * quarter of chroma), blurred by 3 box passes of radius rw = round(H/240)
 * clamped to 1..8 (and (rw + 1)/2 for U/V), upscaled back by 4 (bilinear,
 * centre-aligned): l; the wrap weight w = min(1, 2 (1 - l)) x light_wrap;
 * the person's pixels pulled towards the background, f' = f + (bg - f) w,
 * then blended by the mask: out = m f' + (1 - m) bg. Within 3 levels (the
 * library rounds to bytes after each step). Sizes whose rw differ.
 */
static void test_light_wrap_naive(void)
{
    const int sizes[][2] = {{161, 721}, {321, 241}, {97, 483}};
    const float amounts[] = {0.3f, 1.0f};
    for (int si = 0; si < 3; si++)
        for (int ai = 0; ai < 2; ai++) {
            const int w = sizes[si][0], h = sizes[si][1], cw = (w + 1) / 2, ch = (h + 1) / 2;
            struct bd_compositor *comp;
            check(bd_compositor_create(w, h, &comp) == BD_OK, "create %dx%d", w, h);
            const struct bd_composite_options o = {1, amounts[ai], 0};
            bd_compositor_set_options(comp, &o);
            bd_compositor_set_color(comp, 0, 0, 80);
            uint8_t by, bu, bv;
            bd_rgb_to_yuv601(0, 0, 80, &by, &bu, &bv);
            struct frame fr = frame_new(w, h, 0, 200, 90, 150), out = frame_new(w, h, 0, 0, 0, 0);
            uint8_t *mk = disc_mask(w, h, (w < h ? w : h) * 0.35);
            struct bd_i420_view v = bd_i420_view_of(&fr.f);
            check(bd_composite_frame(comp, &v, mk, w, &out.f, 0) == BD_OK, "frame");
            int rw = (h + 120) / 240;
            rw = rw < 1 ? 1 : rw > 8 ? 8 : rw;
            /* the mask, its chroma (2x2 means), and both blurred */
            double *md = malloc(sizeof(double) * (size_t)w * h);
            for (int i = 0; i < w * h; i++)
                md[i] = mk[i];
            int w4, h4, w8, h8;
            double *m4 = naive_down(md, w, h, 4, &w4, &h4);
            double *m8 = naive_down(m4, w4, h4, 2, &w8, &h8);
            naive_box_passes(m4, w4, h4, rw, 3);
            naive_box_passes(m8, w8, h8, (rw + 1) / 2, 3);
            const double s = (int)(amounts[ai] * 256.0f + 0.5f) / 256.0;
            int bad = 0, worst = 0;
            for (int p = 0; p < 2; p++) {
                const int pw = p ? cw : w, ph = p ? ch : h;
                const double f = p ? 90 : 200, bg = p ? bu : by;
                for (int y = 0; y < ph; y++)
                    for (int x = 0; x < pw; x++) {
                        const double l = p ? naive_up(m8, w8, h8, 4, x, y) : naive_up(m4, w4, h4, 4, x, y);
                        double m;
                        if (p) {
                            const int x1 = 2 * x + 1 < w ? 2 * x + 1 : w - 1;
                            const int y1 = 2 * y + 1 < h ? 2 * y + 1 : h - 1;
                            m = (mk[2 * y * w + 2 * x] + mk[2 * y * w + x1] + mk[y1 * w + 2 * x] +
                                 mk[y1 * w + x1]) / 4.0;
                        } else {
                            m = mk[y * w + x];
                        }
                        const double ww = fmin(1.0, 2.0 * (1.0 - l / 255.0)) * s;
                        const double fp = f + (bg - f) * ww;
                        const double want = (m * fp + (255 - m) * bg) / 255.0;
                        const int got = p ? out.f.u[y * out.f.stride_u + x] : out.f.y[y * out.f.stride_y + x];
                        const int e = (int)ceil(fabs(got - want) - 0.5);
                        bad += e > 3;
                        worst = e > worst ? e : worst;
                    }
            }
            check(bad == 0, "light wrap %.1f at %dx%d (radius %d) vs naive: %d samples off by "
                  "more than 3, worst %d", (double)amounts[ai], w, h, rw, bad, worst);
            free(md);
            free(m4);
            free(m8);
            free(mk);
            free(fr.mem);
            free(out.mem);
            bd_compositor_destroy(comp);
        }
}

/* The hologram: a grey person (Y 160) on a grey background. */
static void test_hologram(void)
{
    const int w = 320, h = 240;
    const double rad = 60;
    struct bd_compositor *comp;
    bd_compositor_create(w, h, &comp);
    bd_compositor_set_color(comp, 60, 60, 60);
    uint8_t by, bu, bv;
    bd_rgb_to_yuv601(60, 60, 60, &by, &bu, &bv);
    struct frame fr = frame_new(w, h, 0, 160, 128, 128), out = frame_new(w, h, 0, 0, 0, 0);
    uint8_t *mk = disc_mask(w, h, rad);
    struct bd_i420_view v = bd_i420_view_of(&fr.f);
    const struct bd_composite_options holo = {1, 0.0f, 1};
    bd_compositor_set_options(comp, &holo);
    bd_composite_frame(comp, &v, mk, w, &out.f, 0);
    /* tint: the person's chroma moves to blue-green: U up (blue), V down
     * (less red) */
    const int cx = w / 4, cy = h / 4;
    const int u = out.f.u[cy * out.f.stride_u + cx], vv = out.f.v[cy * out.f.stride_v + cx];
    check(u > 140 && vv < 110, "hologram tint: U %d V %d at the person's centre", u, vv);
    /* scan lines: along the person's centre column, some rows much darker */
    int dark = 0, bright = 0;
    for (int y = h / 2 - 20; y < h / 2 + 20; y++) {
        int Y = out.f.y[y * out.f.stride_y + w / 2];
        dark += Y < 110;
        bright += Y > 140;
    }
    check(dark >= 10 && bright >= 18, "hologram scan lines: %d dark and %d bright rows of 40",
          dark, bright);
    /* ghost: outside the person, up and to the right, the background
     * changes; on the far side it does not */
    int ghost = 0, clean = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const double d = hypot(x - w / 2.0, y - h / 2.0) - rad;
            if (d < 2 || d > 4)
                continue;
            const int Y = out.f.y[y * out.f.stride_y + x];
            if (x > w / 2 + 10 && y < h / 2 - 10)
                ghost += Y != by;
            if (x < w / 2 - 10 && y > h / 2 + 10)
                clean += Y != by;
        }
    check(ghost > 20 && clean == 0, "hologram ghost up-right (%d samples) and not down-left (%d)",
          ghost, clean);
    /* no person, no hologram: the background exactly */
    memset(mk, 0, (size_t)w * h);
    bd_composite_frame(comp, &v, mk, w, &out.f, 0);
    int bad = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            bad += out.f.y[y * out.f.stride_y + x] != by;
    check(bad == 0, "hologram with an empty mask: the background (%d differ)", bad);
    free(mk);
    free(fr.mem);
    free(out.mem);
    bd_compositor_destroy(comp);
}

/* Whole compositor, every option combination and background kind: the
 * C and AVX2 compositors give the same frames (odd sizes, unaligned
 * strides, mirror, in place). */
static void test_effects_twin(void)
{
    if (!bd_composite_kernels_for("avx2")) {
        n_skip++;
        printf("SKIP: effects twins: this CPU has no AVX2\n");
        return;
    }
    static const int sizes[][2] = {{1, 1}, {2, 3}, {37, 23}, {65, 49}, {203, 115}, {640, 361}};
    int bad = 0, cases = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int w = sizes[si][0], h = sizes[si][1], ms = w + 5;
        struct bd_compositor *cc, *cs;
        setenv("BACKDROP_COMPOSITE_ISA", "base", 1);
        bd_compositor_create(w, h, &cc);
        unsetenv("BACKDROP_COMPOSITE_ISA");
        bd_compositor_create(w, h, &cs);
        struct frame fr = frame_new(w, h, 1, 0, 0, 0), img = frame_new(w + 9, h + 4, 1, 0, 0, 0);
        struct frame o1 = frame_new(w, h, 0, 0, 0, 0), o2 = frame_new(w, h, 0, 0, 0, 0);
        struct bd_i420_view v = bd_i420_view_of(&fr.f), iv = bd_i420_view_of(&img.f);
        uint8_t *mk = disc_mask(w, h, w / 3.0);
        uint8_t *m2 = malloc((size_t)ms * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) { /* the disc plus noise at its edge */
                int m = mk[y * w + x];
                m2[y * ms + x] = (uint8_t)(m > 0 && m < 255 ? (int)(rnd() & 255) : m);
            }
        for (int combo = 0; combo < 8; combo++)
            for (int bgk = 0; bgk < 3; bgk++) {
                const struct bd_composite_options o = {combo & 1, (combo & 2) ? 0.7f : 0.0f,
                                                       (combo & 4) != 0};
                bd_compositor_set_options(cc, &o);
                bd_compositor_set_options(cs, &o);
                const int mirror = (combo + bgk) & 1, st = bgk == 0 ? (combo & 1 ? 12 : 5) : 0;
                for (int t = 0; t < 2; t++) {
                    struct bd_compositor *c = t ? cs : cc;
                    if (bgk == 0)
                        bd_composite_blur(c, &v, m2, ms, st);
                    else if (bgk == 1)
                        bd_compositor_set_image(c, &iv, BD_FIT_COVER);
                    else
                        bd_compositor_set_color(c, 200, 30, 90);
                    bd_composite_frame(c, &v, m2, ms, t ? &o2.f : &o1.f, mirror);
                }
                int diff = 0;
                for (int y = 0; y < h; y++)
                    diff += memcmp(o1.f.y + y * o1.f.stride_y, o2.f.y + y * o2.f.stride_y,
                                   (size_t)w) != 0;
                for (int y = 0; y < (h + 1) / 2; y++)
                    diff += memcmp(o1.f.u + y * o1.f.stride_u, o2.f.u + y * o2.f.stride_u,
                                   (size_t)(w + 1) / 2) != 0 ||
                            memcmp(o1.f.v + y * o1.f.stride_v, o2.f.v + y * o2.f.stride_v,
                                   (size_t)(w + 1) / 2) != 0;
                if (diff && bad < 3)
                    printf("  effects %dx%d options %d background %d: %d rows differ\n", w, h,
                           combo, bgk, diff);
                bad += diff != 0;
                cases++;
            }
        /* in place (dst = frame) with every effect on */
        const struct bd_composite_options all = {1, 0.5f, 1};
        bd_compositor_set_options(cc, &all);
        bd_compositor_set_options(cs, &all);
        struct frame f1 = frame_new(w, h, 0, 0, 0, 0), f2 = frame_new(w, h, 0, 0, 0, 0);
        memcpy(f1.mem, fr.mem, (size_t)(fr.f.stride_y * h + 2 * fr.f.stride_u * ((h + 1) / 2)));
        memcpy(f2.mem, fr.mem, (size_t)(fr.f.stride_y * h + 2 * fr.f.stride_u * ((h + 1) / 2)));
        struct bd_i420_view v1 = bd_i420_view_of(&f1.f), v2 = bd_i420_view_of(&f2.f);
        bd_composite_blur(cc, &v1, m2, ms, 9);
        bd_composite_frame(cc, &v1, m2, ms, &f1.f, 0);
        bd_composite_blur(cs, &v2, m2, ms, 9);
        bd_composite_frame(cs, &v2, m2, ms, &f2.f, 0);
        bd_composite_frame(cc, &v, m2, ms, &o1.f, 0); /* not in place, same frame count */
        bad += memcmp(f1.mem, f2.mem, (size_t)(fr.f.stride_y * h)) != 0;
        cases++;
        free(f1.mem);
        free(f2.mem);
        free(fr.mem);
        free(img.mem);
        free(o1.mem);
        free(o2.mem);
        free(mk);
        free(m2);
        bd_compositor_destroy(cc);
        bd_compositor_destroy(cs);
    }
    check(bad == 0, "effects, C vs AVX2 compositor: %d of %d cases differ", bad, cases);
}

/* ---- timing (informational) -------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void bench(void)
{
    const int w = 1280, h = 720, strength = 8, iters = 50;
    struct bd_compositor *comp;
    if (bd_compositor_create(w, h, &comp) != BD_OK)
        return;
    struct frame fr = frame_new(w, h, 1, 0, 0, 0), out = frame_new(w, h, 0, 0, 0, 0);
    uint8_t *mk = rand_plane(w, h);
    struct bd_i420_view v = bd_i420_view_of(&fr.f);
    bd_composite_blur(comp, &v, NULL, 0, strength); /* warm up */
    bd_composite_frame(comp, &v, mk, w, &out.f, 0);
    double t_blur = 0, t_blend = 0, t_mirror = 0;
    for (int i = 0; i < iters; i++) {
        double t0 = now_ms();
        bd_composite_blur(comp, &v, NULL, 0, strength);
        double t1 = now_ms();
        bd_composite_frame(comp, &v, mk, w, &out.f, 0);
        double t2 = now_ms();
        bd_composite_frame(comp, &v, mk, w, &out.f, 1);
        double t3 = now_ms();
        t_blur += t1 - t0;
        t_blend += t2 - t1;
        t_mirror += t3 - t2;
    }
    printf("timing 1280x720 (mean of %d, informational): blur background (strength %d) %.3f ms"
           " + blend %.3f ms = %.3f ms; blend+mirror %.3f ms\n",
           iters, strength, t_blur / iters, t_blend / iters, (t_blur + t_blend) / iters,
           t_mirror / iters);
    free(fr.mem);
    free(out.mem);
    free(mk);
    bd_compositor_destroy(comp);
}

/* The camera-lost picture (bd_draw_camera_lost): at odd sizes and padded
 * strides, the frame is blurred and darkened, the crossed-out camera is
 * white on neutral chroma, nothing outside the planes is touched (guard
 * bytes), and bad arguments are refused. */
static void test_camera_lost(void)
{
    const int sizes[][3] = {{640, 360, 640}, {33, 21, 40}, {2, 2, 3}, {1281, 719, 1301}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        const int w = sizes[k][0], h = sizes[k][1], sy = sizes[k][2];
        const int cw = (w + 1) / 2, ch = (h + 1) / 2, sc = cw + 5;
        const size_t ny = (size_t)sy * h, nc = (size_t)sc * ch;
        uint8_t *mem = malloc(ny + 2 * nc + 64);
        uint8_t *y = mem, *u = mem + ny, *v = u + nc, *guard = v + nc;
        /* a bright noisy picture: after the mark, the frame is dark */
        uint32_t seed = 7;
        for (size_t i = 0; i < ny + 2 * nc; i++) {
            seed = seed * 1103515245u + 12345u;
            mem[i] = (uint8_t)(180 + (seed >> 24) % 60);
        }
        memset(guard, 0x5a, 64);
        size_t need = bd_camera_lost_scratch(w, h);
        uint8_t *scratch = malloc(need);
        enum bd_status st = bd_draw_camera_lost(y, sy, u, sc, v, sc, w, h, scratch, need);
        check(st == BD_OK, "camera-lost %dx%d: %s", w, h, bd_last_error());
        int guard_ok = 1;
        for (int i = 0; i < 64; i++)
            guard_ok &= guard[i] == 0x5a;
        check(guard_ok, "camera-lost %dx%d wrote past the planes", w, h);
        if (w >= 64) {
            const float s = (float)h / 6.f;
            /* on the slash: icon (0.5, 0.5); in the camera body: (-0.4, 0.15) */
            int xs = (int)((float)w / 2 + 0.5f * s), ys = (int)((float)h / 2 + 0.5f * s);
            int xh = (int)((float)w / 2 - 0.4f * s), yh = (int)((float)h / 2 + 0.15f * s);
            check(y[(size_t)ys * sy + xs] == 235 && u[(size_t)(ys / 2) * sc + xs / 2] == 128,
                  "camera-lost %dx%d: slash pixel Y %d U %d", w, h, y[(size_t)ys * sy + xs],
                  u[(size_t)(ys / 2) * sc + xs / 2]);
            check(y[(size_t)yh * sy + xh] <= 16 + (240 - 16) * 3 / 5,
                  "camera-lost %dx%d: body pixel Y %d not darkened", w, h,
                  y[(size_t)yh * sy + xh]);
            /* blurred: neighbouring corner pixels differ little (the input
             * was noise of +-30) */
            int d = abs((int)y[0] - (int)y[1]) + abs((int)y[0] - (int)y[sy]);
            check(d <= 6, "camera-lost %dx%d: corner not blurred (|d| %d)", w, h, d);
        }
        check(bd_draw_camera_lost(y, sy, u, sc, v, sc, w, h, scratch, need - 1) ==
                  BD_ERR_INVALID_ARG,
              "camera-lost %dx%d: a short scratch is refused", w, h);
        free(scratch);
        free(mem);
    }
    check(bd_draw_camera_lost(NULL, 4, NULL, 2, NULL, 2, 4, 4, NULL, 0) == BD_ERR_INVALID_ARG,
          "camera-lost: NULL planes refused");
}

int main(void)
{
    test_camera_lost();
    test_blend_exhaustive();
    test_blend_random();
    test_mask_chroma();
    test_colors();
    test_fit();
    test_blur();
    test_frame();
    test_kernels_c();
    test_kernels_simd();
    test_blur_composite();
    test_new_kernels();
    test_halo();
    test_light_wrap();
    test_light_wrap_naive();
    test_hologram();
    test_effects_twin();
    bench();
    printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
    return n_fail ? 1 : 0;
}
