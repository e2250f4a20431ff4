/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask-refinement benchmark: bd_refiner_run as the camera would call it
 * per frame (low-res probability 256x144, or 256x256 for 4:3, the frame's
 * luma as guide, or luma + chroma), at 640x480, 1280x720 and 1920x1080,
 * plain bilinear mode too, with the plain C kernels ("base") and the
 * dispatched ones (AVX2), interleaved in rounds so that frequency or a busy
 * neighbour affects both alike. Times are thread CPU per frame, the median
 * of the rounds. A still frame sequence with a moving mask keeps the
 * temporal path realistic (half the grid still, half moving). The masks
 * are flat away from their edge (240 inside, 8 outside), so the SIMD
 * apply step copies most converged blocks (refine_avx2.c, flat_block);
 * the "noisy" rows add model-like noise (+-6 levels, a new draw per frame)
 * to every mask cell, which defeats that shortcut: the worst case.
 *
 * usage: bench_refine [ITERS] [simd|both] [FILTER]   (simd: skip the C path, for
 * profiling; FILTER: only the rows whose "size mode" contains it)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "mask/refine.h"

static double thread_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t rng = 12345;
static uint8_t rnd8(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (uint8_t)(rng >> 24);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define ROUNDS 7

int main(int argc, char **argv)
{
    const int iters = argc > 1 ? atoi(argv[1]) : 50;
    const int first = argc > 2 && strcmp(argv[2], "simd") == 0;
    const char *filter = argc > 3 ? argv[3] : NULL;
    const int sizes[][4] = {{640, 480, 256, 256}, {1280, 720, 256, 144}, {1920, 1080, 256, 144}};
    const char *isas[2] = {"base", "avx2"};
    printf("bench_refine: thread CPU ms per frame, median of %d rounds of %d frames\n", ROUNDS,
           iters);
    printf("%-10s %-17s %10s %10s %8s\n", "size", "mode", "C", "SIMD", "speedup");
    for (int si = 0; si < 3; si++) {
        const int w = sizes[si][0], h = sizes[si][1], lw = sizes[si][2], lh = sizes[si][3];
        const int cw = (w + 1) / 2, ch = (h + 1) / 2;
        uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * ch),
                *v = malloc((size_t)cw * ch), *dst = malloc((size_t)w * h);
        enum { NLOW = 8 };
        uint8_t *low[NLOW];
        for (int f = 0; f < NLOW; f++)
            low[f] = malloc((size_t)lw * lh);
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++)
                y[(size_t)yy * w + xx] =
                    (uint8_t)(40 + (150 * xx / w + 50 * yy / h) + (rnd8() & 15));
        memset(u, 110, (size_t)cw * ch);
        memset(v, 150, (size_t)cw * ch);
        for (int f = 0; f < NLOW; f++) /* 0, 1: flat; 2 .. 7: noisy (shift f & 1) */
            for (int yy = 0; yy < lh; yy++)
                for (int xx = 0; xx < lw; xx++) {
                    int dx = xx - lw / 2 - (f & 1) * 3, dy = yy - lh;
                    int d2 = dx * dx * 4 + dy * dy * 3, R2 = lh * lh * 2;
                    int v = d2 < R2 ? 240 : d2 < R2 + 800 ? 128 : 8;
                    if (f >= 2)
                        v += (int)(rnd8() % 13) - 6;
                    low[f][yy * lw + xx] = (uint8_t)v;
                }
        const struct {
            const char *name;
            int edge, color, noisy;
        } modes[] = {{"guided Y", 1, 0, 0},       {"guided YUV", 1, 1, 0}, {"bilinear", 0, 0, 0},
                     {"guided Y noisy", 1, 0, 1}, {"guided YUV noisy", 1, 1, 1}};
        for (int m = 0; m < 5; m++) {
            char label[64];
            snprintf(label, sizeof label, "%dx%d %s", w, h, modes[m].name);
            if (filter && !strstr(label, filter))
                continue;
            double t[2][ROUNDS] = {{0}};
            struct bd_refiner *r[2];
            struct bd_refine_options o;
            bd_refine_options_default(&o);
            o.edge_aware = modes[m].edge;
            for (int i = 0; i < 2; i++) {
                if (bd_refiner_create(w, h, lw, lh, &o, &r[i]) != BD_OK) {
                    printf("create failed: %s\n", bd_last_error());
                    return 1;
                }
                const struct bd_refine_kernels *k = bd_refine_kernels_for(isas[i]);
                if (!k) {
                    printf("no %s on this CPU\n", isas[i]);
                    return 1;
                }
                bd_refiner_set_kernels(r[i], k);
            }
            for (int round = 0; round < ROUNDS; round++)
                for (int i = first; i < 2; i++) {
                    double t0 = thread_ms();
                    for (int it = 0; it < iters; it++)
                        bd_refiner_run(r[i], low[modes[m].noisy ? 2 + it % 6 : it & 1], lw, y, w, modes[m].color ? u : NULL,
                                       modes[m].color ? v : NULL, cw, dst, w);
                    t[i][round] = (thread_ms() - t0) / iters;
                }
            qsort(t[0], ROUNDS, sizeof(double), cmp);
            qsort(t[1], ROUNDS, sizeof(double), cmp);
            char sz[32];
            snprintf(sz, sizeof sz, "%dx%d", w, h);
            printf("%-10s %-17s %10.3f %10.3f %7.1fx\n", sz, modes[m].name, t[0][ROUNDS / 2],
                   t[1][ROUNDS / 2], t[0][ROUNDS / 2] / t[1][ROUNDS / 2]);
            bd_refiner_destroy(r[0]);
            bd_refiner_destroy(r[1]);
        }
        free(y);
        free(u);
        free(v);
        free(dst);
        for (int f = 0; f < NLOW; f++)
            free(low[f]);
    }
    return 0;
}
