/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RVM on the engine: ms per bd_engine_run (ref backend, the recurrent state
 * carried) at each WxH:ratio given, interleaved round by round so machine
 * noise hits every size alike. Wall clock and the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID: on the shared 2-core machine the wall medians
 * also measure the other users). The input is a fixed ramp: RVM's cost
 * does not depend on the pixels.
 *
 * usage: bench_rvm RVM.json ROUNDS WxH:RATIO[:THREADS[:BACKEND]]...
 *   RATIO auto: bd_rvm_auto_ratio (512 / the longer side, at least 0.5 up
 *   to 1280x720's pixels, as --model rvm);
 *   THREADS (default 1): the engine's threads (the CPU column is then the
 *   calling thread's only: read the wall column); BACKEND auto (default),
 *   ref or xnnpack
 *   (make bench-rvm: 640x480:0.375 and 1280x720:0.375, 20 rounds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"

static double clock_ms(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s RVM.json ROUNDS WxH:RATIO...\n", argv[0]);
        return 2;
    }
    int rounds = atoi(argv[2]), n = argc - 3;
    if (rounds < 1 || n > 8)
        return 2;
    struct bd_model *m[8] = {0};
    struct bd_engine *e[8] = {0};
    double *wall[8], *cpu[8];
    for (int k = 0; k < n; k++) {
        int w, h, threads = 1;
        float r;
        char rs[16], bs[16] = "auto";
        int got = sscanf(argv[3 + k], "%dx%d:%15[^:]:%d:%15s", &w, &h, rs, &threads, bs);
        const enum bd_backend be = strcmp(bs, "ref") == 0       ? BD_BACKEND_REF
                                   : strcmp(bs, "xnnpack") == 0 ? BD_BACKEND_XNNPACK
                                                                : BD_BACKEND_AUTO;
        if (got < 3 || threads < 1 || threads > 64 || (be == BD_BACKEND_AUTO && strcmp(bs, "auto"))) {
            fprintf(stderr, "bad size '%s'\n", argv[3 + k]);
            return 2;
        }
        /* auto: what bd_model_open_rvm makes for a frame of that size (the
         * model's input scaled down to 1280 on the longer side, then its
         * automatic ratio), so the figure is the product's cost */
        if (strcmp(rs, "auto") == 0) {
            bd_rvm_size(w, h, &w, &h);
            r = bd_rvm_auto_ratio(w, h);
        } else {
            r = strtof(rs, NULL);
        }
        struct bd_engine_options eo = {.backend = be, .threads = threads};
        double t0 = clock_ms(CLOCK_MONOTONIC);
        if (bd_model_open_tfjs(argv[1], w, h, r, &m[k]) != BD_OK ||
            bd_engine_create(m[k], &eo, &e[k]) != BD_OK) {
            fprintf(stderr, "%s: %s\n", argv[3 + k], bd_last_error());
            return 1;
        }
        printf("size=%s model=%dx%d ratio=%.3f open_create_ms=%.1f backend=%s\n", argv[3 + k], w, h,
               (double)r, clock_ms(CLOCK_MONOTONIC) - t0, bd_backend_name(bd_engine_backend(e[k])));
        float *in = bd_engine_input(e[k]);
        for (size_t i = 0; i < (size_t)w * h * 3; i++)
            in[i] = (float)(i % 251) / 251.0f;
        wall[k] = calloc((size_t)rounds, sizeof(double));
        cpu[k] = calloc((size_t)rounds, sizeof(double));
        bd_engine_run(e[k]); /* warm-up */
    }
    for (int i = 0; i < rounds; i++)
        for (int k = 0; k < n; k++) {
            double w0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
            if (bd_engine_run(e[k]) != BD_OK) {
                fprintf(stderr, "run: %s\n", bd_last_error());
                return 1;
            }
            cpu[k][i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            wall[k][i] = clock_ms(CLOCK_MONOTONIC) - w0;
        }
    for (int k = 0; k < n; k++) {
        qsort(wall[k], (size_t)rounds, sizeof(double), cmp_d);
        qsort(cpu[k], (size_t)rounds, sizeof(double), cmp_d);
        printf("size=%s rounds=%d wall_ms_median=%.1f wall_ms_min=%.1f cpu_ms_median=%.1f cpu_ms_min=%.1f\n",
               argv[3 + k], rounds, wall[k][rounds / 2], wall[k][0], cpu[k][rounds / 2], cpu[k][0]);
        bd_engine_destroy(e[k]);
        bd_model_destroy(m[k]);
        free(wall[k]);
        free(cpu[k]);
    }
    return 0;
}
