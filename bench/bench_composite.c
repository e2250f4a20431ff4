/*
 * Compositing-stage benchmark: what the pipeline calls per frame with the
 * blur effect, bd_composite_blur_background(strength) then
 * bd_composite_frame (no mirror), at 640x480, 1280x720 and 1920x1080.
 *
 * usage: bench_composite [ITERS] [STRENGTH]
 *
 * Each size runs twice in the same process: with the plain C kernels
 * (BACKDROP_COMPOSITE_ISA=base, read when the compositor is created) and
 * with the kernels dispatched from the CPU flags, interleaved in rounds so
 * that frequency or a busy neighbour affects both alike. Times are thread
 * CPU per frame (as the pipeline's composite_ms), the median of the rounds.
 *
 * The frame is a smooth gradient plus noise (a camera picture's texture
 * matters to nothing here but keeps the data realistic); the mask is a
 * person-like ellipse with a feathered 12-pixel edge (about 35% person,
 * most samples exactly 0 or 255, as the mask upsampler gives), plus one
 * run with a random mask (no uniform runs: the worst case for the blend).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "composite/composite.h"

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

struct plane {
    uint8_t *p;
    int stride;
};

static struct bd_i420 make_frame(int w, int h)
{
    struct bd_i420 f = {0};
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    f.width = w;
    f.height = h;
    f.stride_y = w;
    f.stride_u = f.stride_v = cw;
    f.y = malloc((size_t)w * h);
    f.u = malloc((size_t)cw * ch);
    f.v = malloc((size_t)cw * ch);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            f.y[(size_t)y * w + x] = (uint8_t)(40 + (150 * x / w + 50 * y / h) + (rnd8() & 15));
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            f.u[(size_t)y * cw + x] = (uint8_t)(100 + 60 * x / cw + (rnd8() & 7));
            f.v[(size_t)y * cw + x] = (uint8_t)(150 - 40 * y / ch + (rnd8() & 7));
        }
    return f;
}

static uint8_t *make_mask(int w, int h, int random)
{
    uint8_t *m = malloc((size_t)w * h);
    const double cx = w / 2.0, cy = h * 0.75, rx = w * 0.28, ry = h * 0.7;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (random) {
                m[(size_t)y * w + x] = rnd8();
                continue;
            }
            double dx = (x - cx) / rx, dy = (y - cy) / ry;
            double d = (dx * dx + dy * dy - 1.0) * rx / 2; /* ~ pixels outside */
            double a = 0.5 - d / 12.0;
            m[(size_t)y * w + x] = (uint8_t)(a <= 0 ? 0 : a >= 1 ? 255 : a * 255 + 0.5);
        }
    return m;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define ROUNDS 15

int main(int argc, char **argv)
{
    const int iters = argc > 1 ? atoi(argv[1]) : 20;
    const int strength = argc > 2 ? atoi(argv[2]) : 12;
    static const int sizes[][2] = {{640, 480}, {1280, 720}, {1920, 1080}};
    printf("bench_composite: blur strength %d, %d frames x %d rounds, thread CPU ms/frame "
           "(median of rounds)\n",
           strength, iters, ROUNDS);
    for (size_t s = 0; s < 3; s++) {
        const int w = sizes[s][0], h = sizes[s][1];
        struct bd_i420 fr = make_frame(w, h), out = make_frame(w, h);
        struct bd_i420_view v = bd_i420_view_of(&fr);
        struct bd_compositor *comp[2];
        setenv("BACKDROP_COMPOSITE_ISA", "base", 1);
        if (bd_compositor_create(w, h, &comp[0]) != BD_OK)
            return 1;
        unsetenv("BACKDROP_COMPOSITE_ISA");
        if (bd_compositor_create(w, h, &comp[1]) != BD_OK)
            return 1;
        for (int mk = 0; mk < 2; mk++) {
            uint8_t *mask = make_mask(w, h, mk);
            double blur[2][ROUNDS], blend[2][ROUNDS];
            for (int r = 0; r < ROUNDS; r++)
                for (int c = 0; c < 2; c++) {
                    double tb = 0, tf = 0;
                    for (int i = 0; i < iters; i++) {
                        double t0 = thread_ms();
                        bd_composite_blur_background(comp[c], &v, strength);
                        double t1 = thread_ms();
                        bd_composite_frame(comp[c], &v, mask, w, &out, 0);
                        double t2 = thread_ms();
                        tb += t1 - t0;
                        tf += t2 - t1;
                    }
                    blur[c][r] = tb / iters;
                    blend[c][r] = tf / iters;
                }
            double med[2][3];
            for (int c = 0; c < 2; c++) {
                double tot[ROUNDS];
                for (int r = 0; r < ROUNDS; r++)
                    tot[r] = blur[c][r] + blend[c][r];
                qsort(blur[c], ROUNDS, sizeof(double), cmp_d);
                qsort(blend[c], ROUNDS, sizeof(double), cmp_d);
                qsort(tot, ROUNDS, sizeof(double), cmp_d);
                med[c][0] = blur[c][ROUNDS / 2];
                med[c][1] = blend[c][ROUNDS / 2];
                med[c][2] = tot[ROUNDS / 2];
            }
            printf("%4dx%-4d %-6s  C: blur %.3f + frame %.3f = %.3f ms   dispatched: blur %.3f "
                   "+ frame %.3f = %.3f ms   (x%.2f)\n",
                   w, h, mk ? "random" : "person", med[0][0], med[0][1], med[0][2], med[1][0],
                   med[1][1], med[1][2], med[0][2] / med[1][2]);
            free(mask);
        }
        bd_compositor_destroy(comp[0]);
        bd_compositor_destroy(comp[1]);
        free(fr.y);
        free(fr.u);
        free(fr.v);
        free(out.y);
        free(out.u);
        free(out.v);
    }
    return 0;
}
