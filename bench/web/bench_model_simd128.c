/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The model's and the refiner's WebAssembly SIMD twins against their C
 * twins, under node (make bench-web-kernels): one model run (the built-in
 * models, ref backend, baseline variant) with the simd128 twins
 * (src/model/wasm/) and without (bd_ref_simd(0)); one 1280x720 refiner
 * frame (colour guide, from the landscape model's 256x144) with the
 * simd128 table and with the C one, on a moving picture so that the
 * apply step cannot skip everything. Interleaved run by run; the median ms
 * of each and the ratio.
 * usage: node bench_model_simd128.js [ROUNDS]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "mask/refine.h"
#include "model/ref_internal.h"
#include "bench_time.h"

static void report(const char *what, double *ms[2], int rounds)
{
    const double c = median(ms[0], rounds), s = median(ms[1], rounds);
    printf("%-44s C %8.2f ms  simd128 %8.2f ms  C/simd128 %.2f\n", what, c, s, c / s);
}

static int model(const char *name, int rounds)
{
    struct bd_model *m = NULL;
    struct bd_engine *e[2] = {NULL, NULL};
    const struct bd_engine_options o = {.backend = BD_BACKEND_REF, .threads = 1};
    if (bd_model_open(name, &m) != BD_OK)
        return fprintf(stderr, "model %s: %s\n", name, bd_last_error()), 1;
    for (int s = 0; s < 2; s++) {
        bd_ref_simd(s);
        if (bd_engine_create(m, &o, &e[s]) != BD_OK)
            return fprintf(stderr, "engine: %s\n", bd_last_error()), 1;
    }
    bd_ref_simd(1);
    struct bd_model_info info;
    bd_model_get_info(m, &info);
    const size_t n = (size_t)info.in_width * info.in_height * info.in_channels;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < n; i++)
            bd_engine_input(e[s])[i] = (float)((i * 37) % 255) / 255.f;
    double *ms[2] = {malloc(sizeof(double) * (size_t)rounds), malloc(sizeof(double) * (size_t)rounds)};
    for (int r = -2; r < rounds; r++)
        for (int s = 0; s < 2; s++) {
            const double t = now_ms();
            bd_engine_run(e[s]);
            if (r >= 0)
                ms[s][r] = now_ms() - t;
        }
    char what[96];
    snprintf(what, sizeof what, "model %s %dx%d, one run", name, info.in_width, info.in_height);
    report(what, ms, rounds);
    for (int s = 0; s < 2; s++) {
        free(ms[s]);
        bd_engine_destroy(e[s]);
    }
    bd_model_destroy(m);
    return 0;
}

static int refine(int rounds)
{
    const int w = 1280, h = 720, lw = 256, lh = 144, cw = w / 2, ch = h / 2;
    struct bd_refine_options o;
    bd_refine_options_default(&o);
    struct bd_refiner *r[2] = {NULL, NULL};
    for (int s = 0; s < 2; s++)
        if (bd_refiner_create(w, h, lw, lh, &o, &r[s]) != BD_OK)
            return fprintf(stderr, "refiner: %s\n", bd_last_error()), 1;
    bd_refiner_set_kernels(r[0], bd_refine_kernels_for("base"));
    bd_refiner_set_kernels(r[1], bd_refine_kernels_for("simd128"));
    uint8_t *y = malloc((size_t)w * h), *u = malloc((size_t)cw * ch), *v = malloc((size_t)cw * ch);
    uint8_t *low = malloc((size_t)lw * lh), *mask = malloc((size_t)w * h);
    double *ms[2] = {malloc(sizeof(double) * (size_t)rounds), malloc(sizeof(double) * (size_t)rounds)};
    for (int t = -2; t < rounds; t++) {
        /* an ellipse moving a few pixels a frame over a textured room */
        const float cx = 0.5f + 0.1f * sinf(0.3f * (float)t);
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++) {
                const float dx = ((float)i / w - cx) / 0.2f, dy = ((float)j / h - 0.55f) / 0.4f;
                y[(size_t)j * w + i] = (uint8_t)(dx * dx + dy * dy < 1.f ? 200 + (i & 7) : 60 + ((i / 9 + j / 7) & 1) * 50);
            }
        for (int i = 0; i < cw * ch; i++)
            u[i] = (uint8_t)(128 + (i % 13)), v[i] = (uint8_t)(120 + (i % 7));
        for (int j = 0; j < lh; j++)
            for (int i = 0; i < lw; i++) {
                const float dx = ((float)i / lw - cx) / 0.2f, dy = ((float)j / lh - 0.55f) / 0.4f;
                const float d = dx * dx + dy * dy;
                low[(size_t)j * lw + i] = (uint8_t)(d < 0.8f ? 255 : d > 1.2f ? 0 : (1.2f - d) / 0.4f * 255.f);
            }
        for (int s = 0; s < 2; s++) {
            const double t0 = now_ms();
            bd_refiner_run(r[s], low, lw, y, w, u, v, cw, mask, w);
            if (t >= 0)
                ms[s][t] = now_ms() - t0;
        }
    }
    report("refine 1280x720 from 256x144, colour guide", ms, rounds);
    for (int s = 0; s < 2; s++) {
        free(ms[s]);
        bd_refiner_destroy(r[s]);
    }
    free(y), free(u), free(v), free(low), free(mask);
    return 0;
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 20;
    if (model("landscape", rounds) || model("general", rounds) || refine(rounds))
        return 1;
    return 0;
}
