/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The WebAssembly SIMD refine kernels (src/mask/wasm/) against their plain
 * C twins, under node: one refiner per table on the same frames, whole
 * streams (the temporal state, and with it the blocks the SIMD twin writes
 * without arithmetic), luma and colour guides, every working-grid factor
 * k, odd sizes; the masks must be the same bytes. The frames: a person-like
 * ellipse that moves and stands still over a textured background, its
 * low-resolution probability blurred at the edge. Then the apply step
 * alone (the kernel the simd128 table computes 8 pixels a vector) on
 * single rows of random data: every k, odd widths, rows starting off a
 * 16-byte boundary, with and without the still-luma rule, the saved luma
 * (also in place of the previous one), a constant or a mixed retention.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "check.h"
#include "mask/refine.h"

static unsigned lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* frame t: luma, chroma and the low-res probability */
static void frame(int t, int w, int h, int lw, int lh, uint8_t *y, uint8_t *u, uint8_t *v,
                  uint8_t *low, unsigned seed)
{
    /* moving right, still for frames 3..7, then right and back left (an
     * edge that enters background and one that leaves it, both ways) */
    static const int pos[] = {0, 1, 2, 3, 3, 3, 3, 3, 5, 7, 9, 7, 5, 3, 1, -1, -3};
    const float cx = 0.45f + 0.02f * (float)pos[t], cy = 0.55f, rx = 0.22f, ry = 0.4f;
    unsigned s = seed;
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            float dx = ((float)i / (float)w - cx) / rx, dy = ((float)j / (float)h - cy) / ry;
            int in = dx * dx + dy * dy < 1.f;
            y[(size_t)j * w + i] = (uint8_t)(in ? 200 + (lcg(&s) & 15) : 40 + ((i / 7 + j / 5) & 1) * 60 + (lcg(&s) & 7));
        }
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    for (int j = 0; j < ch; j++)
        for (int i = 0; i < cw; i++) {
            float dx = ((float)(2 * i) / (float)w - cx) / rx, dy = ((float)(2 * j) / (float)h - cy) / ry;
            int in = dx * dx + dy * dy < 1.f;
            u[(size_t)j * cw + i] = (uint8_t)(in ? 110 : 140 + (lcg(&s) & 3));
            v[(size_t)j * cw + i] = (uint8_t)(in ? 160 : 120);
        }
    for (int j = 0; j < lh; j++)
        for (int i = 0; i < lw; i++) {
            float dx = ((float)i / (float)lw - cx) / rx, dy = ((float)j / (float)lh - cy) / ry;
            float d = dx * dx + dy * dy, p = d < 0.8f ? 1.f : d > 1.2f ? 0.f : (1.2f - d) / 0.4f;
            low[(size_t)j * lw + i] = (uint8_t)(p * 255.f + 0.5f);
        }
}

static void stream(const struct bd_refine_kernels *C, const struct bd_refine_kernels *S, int w,
                   int h, int lw, int lh, int colour, int temporal)
{
    struct bd_refine_options o;
    bd_refine_options_default(&o);
    o.temporal = temporal;
    struct bd_refiner *rc = NULL, *rs = NULL;
    if (bd_refiner_create(w, h, lw, lh, &o, &rc) != BD_OK ||
        bd_refiner_create(w, h, lw, lh, &o, &rs) != BD_OK) {
        CHECK(0, "refiner %dx%d: %s", w, h, bd_last_error());
        return;
    }
    bd_refiner_set_kernels(rc, C);
    bd_refiner_set_kernels(rs, S);
    int k, rw, fw;
    bd_refiner_geometry(rc, &k, &rw, &fw);
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * ch), *v = malloc((size_t)cw * ch);
    uint8_t *low = malloc((size_t)lw * lh), *mc = malloc((size_t)w * h), *ms = malloc((size_t)w * h);
    int differ = -1, frames = 17;
    for (int t = 0; t < frames && differ < 0; t++) {
        frame(t, w, h, lw, lh, y, u, v, low, 7u + (unsigned)t);
        int e1 = bd_refiner_run(rc, low, lw, y, w, colour ? u : NULL, colour ? v : NULL, cw, mc, w);
        int e2 = bd_refiner_run(rs, low, lw, y, w, colour ? u : NULL, colour ? v : NULL, cw, ms, w);
        if (e1 != BD_OK || e2 != BD_OK || memcmp(mc, ms, (size_t)w * h) != 0)
            differ = t;
    }
    CHECK(differ < 0, "simd128 = C: %dx%d from %dx%d (k %d), %s guide, temporal %s, %d frames%s",
          w, h, lw, lh, k, colour ? "colour" : "luma", temporal ? "on" : "off", frames,
          differ < 0 ? "" : " (differs)");
    free(y), free(u), free(v), free(low), free(mc), free(ms);
    bd_refiner_destroy(rc);
    bd_refiner_destroy(rs);
}

/* One row of the apply step, random data, both tables: the same bytes in
 * state, dst and the saved luma. */
static int apply_row(const struct bd_refine_kernels *C, const struct bd_refine_kernels *S, int k,
                     int n, int colour, int shift, unsigned *rs)
{
    struct bd_refine_geom g;
    bd_refine_geom_init(&g, k);
    const int cells = n / k + 2 + 40;
    int16_t *planes[5];
    for (int i = 0; i < 5; i++) {
        planes[i] = malloc(sizeof(int16_t) * (size_t)(cells + 16));
        for (int j = 0; j < cells + 16; j++) /* a, b: full 16-bit range but -32768; r: 0..32767 */
            planes[i][j] = (int16_t)(i == 4 ? (int)(lcg(rs) & 32767) : (int)(lcg(rs) % 65535) - 32767);
    }
    uint8_t *bytes = malloc((size_t)9 * (n + 64));
    for (int i = 0; i < 9 * (n + 64); i++)
        bytes[i] = (uint8_t)lcg(rs);
    uint8_t *y = bytes + shift, *u = y + n + 64, *v = u + n + 64, *prev = v + n + 64;
    uint8_t *yp = prev + n + 64;
    for (int x = 0; x < n; x++) /* many pixels within ythr of the previous luma */
        if (lcg(rs) & 1)
            yp[x] = (uint8_t)(y[x] + (int)(lcg(rs) % 9) - 4);
    uint8_t *out[2][3];
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 3; i++)
            out[t][i] = calloc((size_t)n + 64, 1);
    struct bd_refine_row row = {0};
    bd_refine_coverage_init(&row, (float)(lcg(rs) % 50) / 100.f, 0.5f + (float)(lcg(rs) % 50) / 100.f);
    for (int i = 0; i < 3; i++)
        row.a[i] = planes[i] + 1 + shift;
    row.b = planes[3] + 1 + shift;
    row.r = planes[4] + 1 + shift;
    const int mode = (int)(lcg(rs) % 4);
    row.r_const = mode == 0 ? (int)(lcg(rs) & 32767) : -1;
    row.y = y, row.u = colour ? u : NULL, row.v = colour ? v : NULL, row.prev = prev;
    row.yp = mode == 1 ? NULL : yp;
    row.ythr = (int)(lcg(rs) % 12) - 1;
    row.rstill = (int)(lcg(rs) & 32767);
    row.db7 = (int)(lcg(rs) % 300);
    row.n = n;
    int same = 1;
    for (int t = 0; t < 2; t++) {
        uint8_t *ysave = mode == 3 ? NULL : out[t][2];
        if (mode == 2) { /* the luma saved over the previous one, as bd_refiner_run does */
            memcpy(ysave, yp, (size_t)n);
            row.yp = ysave;
        }
        row.ys = ysave, row.state = out[t][0], row.dst = out[t][1];
        (colour ? (t ? S : C)->apply_yuv : (t ? S : C)->apply_y)(&row, &g);
    }
    for (int i = 0; i < 3; i++)
        same &= memcmp(out[0][i], out[1][i], (size_t)n + 64) == 0;
    for (int i = 0; i < 5; i++)
        free(planes[i]);
    free(bytes);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < 3; i++)
            free(out[t][i]);
    return same;
}

int main(void)
{
    const struct bd_refine_kernels *C = bd_refine_kernels_for("base");
    const struct bd_refine_kernels *S = bd_refine_kernels_for("simd128");
    CHECK(S && strcmp(S->name, "simd128") == 0, "the simd128 table exists in the wasm build");
    CHECK(bd_refine_kernels_default() == S, "and is the default there");
    if (!S)
        return check_report();
    static const int sizes[][4] = {
        {1280, 720, 256, 144}, {1280, 720, 256, 256}, {640, 360, 256, 144},
        {333, 257, 256, 144}, {1919, 1081, 256, 256}, {260, 150, 256, 144},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (int colour = 0; colour < 2; colour++)
            stream(C, S, sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3], colour, 1);
    stream(C, S, 1280, 720, 256, 144, 1, 0);
    static const int widths[] = {1, 7, 8, 15, 17, 63, 127, 333, 1281};
    unsigned rs = 99;
    for (int k = 1; k <= 8; k *= 2)
        for (int colour = 0; colour < 2; colour++) {
            int bad = -1;
            for (int i = 0; i < 9 && bad < 0; i++)
                for (int rep = 0; rep < 8 && bad < 0; rep++)
                    if (!apply_row(C, S, k, widths[i], colour, rep, &rs))
                        bad = widths[i];
            CHECK(bad < 0, "simd128 apply = C apply: k %d, %s guide, random rows of 1..1281 pixels "
                  "at 8 offsets%s", k, colour ? "colour" : "luma", bad < 0 ? "" : " (differs)");
        }
    return check_report();
}
