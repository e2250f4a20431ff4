/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The compositor's WebAssembly SIMD twins against their C twins, under
 * node (make bench-web-kernels): each kernel of the simd128 table that is
 * not the C one, on a 1280x720 luma plane and its 640x360 chroma, the two
 * tables interleaved round by round; the median ms per call of each, and
 * the ratio. Then one blurred composite (bd_composite_blur +
 * bd_composite_frame) at 1280x720 with each table.
 * usage: node bench_composite_simd128.js [ROUNDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "common/frame.h"
#include "composite/composite.h"
#include "composite/composite_kernels.h"
#include "bench_time.h"

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 30;
    const struct bd_composite_kernels *t[2] = {bd_composite_kernels_for("base"),
                                               bd_composite_kernels_for("simd128")};
    if (!t[1]) {
        fprintf(stderr, "no simd128 table in this build\n");
        return 1;
    }
    const int w = 1280, h = 720;
    uint8_t *src = malloc((size_t)w * h), *dst = malloc((size_t)w * h);
    for (int i = 0; i < w * h; i++)
        src[i] = (uint8_t)(i * 7 + i / w * 13);
    double *ms[2][2];
    for (int a = 0; a < 2; a++)
        for (int k = 0; k < 2; k++)
            ms[a][k] = malloc(sizeof(double) * (size_t)rounds);
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++)
            for (int a = 0; a < 2; a++) {
                const double t0 = now_ms();
                for (int rep = 0; rep < 10; rep++) {
                    t[a]->downscale(src, w, dst, w, w, h, k ? 8 : 4);
                    t[a]->downscale(src, w, dst, w, w / 2, h / 2, k ? 8 : 4);
                    t[a]->downscale(src, w, dst, w, w / 2, h / 2, k ? 8 : 4);
                }
                ms[a][k][r] = (now_ms() - t0) / 10;
            }
    for (int k = 0; k < 2; k++) {
        const double c = median(ms[0][k], rounds), s = median(ms[1][k], rounds);
        printf("downscale k %d, 1280x720 + 2 x 640x360: C %.3f ms, simd128 %.3f ms, ratio %.2f\n",
               k ? 8 : 4, c, s, s / c);
    }
    /* the whole blurred composite, each table (chosen at create) */
    double *cm[2] = {malloc(sizeof(double) * (size_t)rounds), malloc(sizeof(double) * (size_t)rounds)};
    struct bd_compositor *c[2];
    uint8_t *fm, *om;
    struct bd_i420 f, o;
    bd_i420_alloc(w, h, &fm, &f);
    bd_i420_alloc(w, h, &om, &o);
    memcpy(f.y, src, (size_t)w * h);
    uint8_t *m = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            m[(size_t)y * w + x] = (x - w / 2) * (x - w / 2) * 4 + (y - h / 2) * (y - h / 2) * 9 < w * h ? 255 : 0;
    for (int a = 0; a < 2; a++) {
        setenv("BACKDROP_COMPOSITE_ISA", a ? "simd128" : "base", 1);
        if (bd_compositor_create(w, h, &c[a]) != BD_OK)
            return 1;
    }
    const struct bd_i420_view fv = bd_i420_view_of(&f);
    for (int r = 0; r < rounds; r++)
        for (int a = 0; a < 2; a++) {
            const double t0 = now_ms();
            bd_composite_blur(c[a], &fv, m, w, 12);
            bd_composite_frame(c[a], &fv, m, w, &o, 0);
            cm[a][r] = now_ms() - t0;
        }
    const double cc = median(cm[0], rounds), cs = median(cm[1], rounds);
    printf("blurred composite 1280x720: C %.2f ms, simd128 %.2f ms, ratio %.2f\n", cc, cs, cs / cc);
    return 0;
}
