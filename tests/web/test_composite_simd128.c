/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The WebAssembly SIMD compositor kernels (src/composite/wasm/) against
 * their plain C twins, under node: the box downscale (k 4 and 8) on random
 * planes of odd and even sizes, rows starting at every offset from 16-byte
 * alignment and padded strides, the bytes past each output row untouched;
 * then whole blurred composites (bd_composite_blur + bd_composite_frame)
 * made with each table from the same random frame and mask, the same bytes.
 * The upscale row, the blend with it and the light-wrap blend on random
 * rows: odd widths, every offset from 16-byte alignment, k 4 and 8, with a
 * background row and without, in place (d = f) and not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "check.h"
#include "common/frame.h"
#include "composite/composite.h"
#include "composite/composite_kernels.h"

static unsigned lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

static int downscale_same(const struct bd_composite_kernels *C,
                          const struct bd_composite_kernels *S, int w, int h, int k, int off,
                          unsigned seed)
{
    const int ss = w + off + (int)(seed % 29), sw = (w + k - 1) / k, sh = (h + k - 1) / k;
    const int ds = sw + 7;
    uint8_t *buf = malloc((size_t)ss * h + 64), *dc = malloc((size_t)ds * sh),
            *dv = malloc((size_t)ds * sh);
    unsigned s = seed;
    for (size_t i = 0; i < (size_t)ss * h + 64; i++)
        buf[i] = (uint8_t)lcg(&s);
    memset(dc, 0xA5, (size_t)ds * sh);
    memset(dv, 0xA5, (size_t)ds * sh);
    C->downscale(buf + off, ss, dc, ds, w, h, k);
    S->downscale(buf + off, ss, dv, ds, w, h, k);
    const int same = memcmp(dc, dv, (size_t)ds * sh) == 0;
    free(buf), free(dc), free(dv);
    return same;
}

/* A blurred composite of a random frame and a blobby random mask with the
 * kernels the environment names (read at create). */
static uint8_t *composite(const char *isa, int w, int h, unsigned seed)
{
    setenv("BACKDROP_COMPOSITE_ISA", isa, 1);
    struct bd_compositor *c = NULL;
    uint8_t *fm = NULL, *om = NULL;
    struct bd_i420 f, o;
    if (bd_compositor_create(w, h, &c) != BD_OK || bd_i420_alloc(w, h, &fm, &f) != BD_OK ||
        bd_i420_alloc(w, h, &om, &o) != BD_OK)
        return NULL;
    unsigned s = seed;
    uint8_t *m = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            f.y[(size_t)y * f.stride_y + x] = (uint8_t)lcg(&s);
            const int dx = x - w / 2, dy = y - h / 2;
            const int in = dx * dx * 4 + dy * dy < w * h / 3;
            m[(size_t)y * w + x] = in ? 255 : (lcg(&s) & 3) == 0 ? (uint8_t)lcg(&s) : 0;
        }
    for (int y = 0; y < (h + 1) / 2; y++)
        for (int x = 0; x < (w + 1) / 2; x++) {
            f.u[(size_t)y * f.stride_u + x] = (uint8_t)lcg(&s);
            f.v[(size_t)y * f.stride_v + x] = (uint8_t)lcg(&s);
        }
    const struct bd_i420_view fv = bd_i420_view_of(&f);
    int r = bd_composite_blur(c, &fv, m, w, 12);
    if (r == BD_OK)
        r = bd_composite_frame(c, &fv, m, w, &o, 0);
    uint8_t *out = r == BD_OK ? malloc((size_t)w * h * 3 / 2 + 2 * (size_t)w) : NULL;
    if (out) {
        size_t n = 0;
        for (int y = 0; y < h; y++, n += (size_t)w)
            memcpy(out + n, o.y + (size_t)y * o.stride_y, (size_t)w);
        for (int y = 0; y < (h + 1) / 2; y++) {
            memcpy(out + n, o.u + (size_t)y * o.stride_u, (size_t)(w + 1) / 2);
            n += (size_t)(w + 1) / 2;
            memcpy(out + n, o.v + (size_t)y * o.stride_v, (size_t)(w + 1) / 2);
            n += (size_t)(w + 1) / 2;
        }
    }
    free(m), free(fm), free(om);
    bd_compositor_destroy(c);
    return out;
}

/* upscale_row_h, blend_up_row and blend_wrap_row of both tables on random
 * rows of n samples at offset off: the same bytes (d and row) */
static int rows_same(const struct bd_composite_kernels *C, const struct bd_composite_kernels *S,
                     int n, int off, int k, unsigned *rs)
{
    const int n32 = (n + 31) & ~31, nv = n / 4 + 24;
    uint16_t *vb = malloc(sizeof(uint16_t) * (size_t)nv), *vl = malloc(sizeof(uint16_t) * (size_t)nv);
    for (int i = 0; i < nv; i++) { /* 16 x (an 8-bit value), as mix_rows makes them */
        vb[i] = (uint16_t)(16 * (lcg(rs) & 255));
        vl[i] = (uint16_t)((lcg(rs) & 3) == 0 ? 4080 : 16 * (lcg(rs) & 255));
    }
    uint8_t *in = malloc((size_t)3 * (n + 32)), *out[2], *row[2];
    for (int i = 0; i < 3 * (n + 32); i++)
        in[i] = (uint8_t)lcg(rs);
    uint8_t *f = in + off, *b = f + n + 16, *m = b + n + 16;
    for (int i = 0; i < n; i++) /* mostly background or person, as masks are */
        m[i] = (lcg(rs) & 3) == 0 ? m[i] : (lcg(rs) & 1) ? 255 : 0;
    const int s8 = (int)(lcg(rs) % 257), useb = (int)(lcg(rs) & 1), inplace = (int)(lcg(rs) & 1);
    int same = 1;
    for (int t = 0; t < 2; t++) {
        out[t] = malloc((size_t)n + 32 + off);
        row[t] = malloc(3 * (size_t)n32);
    }
    for (int what = 0; what < 3; what++) {
        for (int t = 0; t < 2; t++) {
            const struct bd_composite_kernels *K = t ? S : C;
            memset(row[t], 0x5A, 3 * (size_t)n32);
            memcpy(out[t] + off, f, (size_t)n);
            uint8_t *d = out[t] + off;
            const uint8_t *src = inplace ? d : f;
            if (what == 0)
                K->upscale_row_h(vb + 1, row[t], n, k);
            else if (what == 1)
                K->blend_up_row(src, vb + 1, k, m, d, n, row[t]);
            else
                K->blend_wrap_row(src, useb ? b : NULL, vb + 1, k, vl + 1, 4, s8, m, d, n, row[t]);
        }
        same &= memcmp(out[0] + off, out[1] + off, (size_t)n) == 0;
        if (what == 0)
            same &= memcmp(row[0], row[1], (size_t)n) == 0;
    }
    for (int t = 0; t < 2; t++)
        free(out[t]), free(row[t]);
    free(vb), free(vl), free(in);
    return same;
}

int main(void)
{
    const struct bd_composite_kernels *C = bd_composite_kernels_for("base");
    const struct bd_composite_kernels *S = bd_composite_kernels_for("simd128");
    CHECK(S && strcmp(S->name, "simd128") == 0, "the simd128 table exists in the wasm build");
    unsetenv("BACKDROP_COMPOSITE_ISA");
    CHECK(bd_composite_kernels_default() == S, "and is the default there");
    if (!S)
        return check_report();
    static const int sizes[][2] = {{1, 1},   {3, 5},    {7, 9},     {31, 17},  {32, 8},
                                   {33, 33}, {63, 12},  {64, 64},   {65, 7},   {97, 41},
                                   {160, 90}, {320, 180}, {333, 211}, {639, 359}, {1280, 720}};
    for (int k = 4; k <= 8; k += 4) {
        int bad = 0, n = 0;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int off = 0; off < 16; off += (sizes[i][0] > 300 ? 5 : 1), n++)
                if (!downscale_same(C, S, sizes[i][0], sizes[i][1], k, off, 11u * (unsigned)n + 3u)) {
                    if (!bad++)
                        fprintf(stderr, "first difference: %dx%d k %d offset %d\n", sizes[i][0],
                                sizes[i][1], k, off);
                }
        CHECK(bad == 0, "downscale k %d: simd128 = C on %d planes (%d differ)", k, n, bad);
    }
    static const int widths[] = {1, 2, 7, 15, 16, 17, 31, 33, 63, 100, 321, 641, 1280};
    unsigned rs = 17;
    for (int k = 4; k <= 8; k += 4) {
        int bad = 0, n = 0;
        for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
            for (int off = 0; off < 16; off++, n++)
                bad += !rows_same(C, S, widths[i], off, k, &rs);
        CHECK(bad == 0, "upscale, blend-up and light-wrap rows k %d: simd128 = C on %d rows (%d differ)",
              k, n, bad);
    }
    static const int csizes[][2] = {{1280, 720}, {642, 362}, {334, 190}, {98, 42}};
    for (size_t i = 0; i < sizeof csizes / sizeof csizes[0]; i++) {
        const int w = csizes[i][0], h = csizes[i][1];
        uint8_t *a = composite("base", w, h, 5u + (unsigned)i), *b = composite("simd128", w, h, 5u + (unsigned)i);
        CHECK(a && b && memcmp(a, b, (size_t)w * h * 3 / 2) == 0,
              "blurred composite %dx%d: simd128 = C%s", w, h, a && b ? "" : " (failed)");
        free(a), free(b);
    }
    unsetenv("BACKDROP_COMPOSITE_ISA");
    return check_report();
}
