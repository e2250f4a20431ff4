/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Engine benchmark: for each model, in one process and interleaved round by
 * round so machine noise hits every contender alike:
 *   bare  - the XNNPACK runtimes alone (xnn_invoke_runtime, nothing else)
 *   xnn   - bd_engine_run on the xnnpack backend
 *   ref   - bd_engine_run on the ref backend
 * plus the cost of bd_model_open + bd_engine_create. The WASM TFLite
 * reference is timed by bench/run.sh right after, in the same run.
 *
 * Every run is timed twice: wall clock, and the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), which leaves out the time the thread was
 * descheduled: on the shared 2-core machine, with the load above 2, wall
 * medians mostly measure the other users. The rounds come in REPEATS
 * blocks; the ratios printed are the medians over the blocks of each
 * block's ratio of medians.
 *
 * usage: bench_engine MODEL [ROUNDS [REPEATS]]    (defaults 300, 1)
 * prints: key=value lines, one per measurement.
 *
 * Build and run (bench/run.sh does the same for `make bench`):
 *   cc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_engine.c \
 *      build/libbackdrop.a -lavformat -lavcodec -lavutil -lswscale -lyuv \
 *      -ljpeg -lpng -lm -lpthread -lXNNPACK -lpthreadpool -o build/bench/bench_engine
 *   build/bench/bench_engine general 200 5
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "model/backend.h"

struct bd_xnn *bd_engine_xnn(struct bd_engine *e);

static double clock_ms(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

enum { BARE, XNN, REF, NCONT };
static const char *const cont_key[NCONT] = {"bare", "xnnpack", "ref"};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_engine MODEL [ROUNDS [REPEATS]]\n");
        return 2;
    }
    const char *name = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 300;
    int repeats = argc > 3 ? atoi(argv[3]) : 1;
    if (rounds < 10)
        rounds = 10;
    if (repeats < 1)
        repeats = 1;

    /* Load + build, repeated: the median of 20 cold opens. */
    double load[20], build[20];
    for (int i = 0; i < 20; i++) {
        struct bd_model *m;
        struct bd_engine *e;
        struct bd_engine_options o = {BD_BACKEND_XNNPACK, 1};
        double t0 = now_ms();
        if (bd_model_open(name, &m) != BD_OK) {
            fprintf(stderr, "bench: %s\n", bd_last_error());
            return 1;
        }
        double t1 = now_ms();
        if (bd_engine_create(m, &o, &e) != BD_OK) {
            fprintf(stderr, "bench: %s\n", bd_last_error());
            return 1;
        }
        double t2 = now_ms();
        load[i] = t1 - t0;
        build[i] = t2 - t1;
        bd_engine_destroy(e);
        bd_model_destroy(m);
    }

    struct bd_model *m;
    struct bd_engine *ex, *er, *ea;
    struct bd_engine_options ox = {BD_BACKEND_XNNPACK, 1}, orf = {BD_BACKEND_REF, 1},
                             oa = {BD_BACKEND_AUTO, 1};
    if (bd_model_open(name, &m) != BD_OK || bd_engine_create(m, &ox, &ex) != BD_OK ||
        bd_engine_create(m, &orf, &er) != BD_OK || bd_engine_create(m, &oa, &ea) != BD_OK) {
        fprintf(stderr, "bench: %s\n", bd_last_error());
        return 1;
    }
    struct bd_model_info info;
    bd_model_get_info(m, &info);
    size_t n = (size_t)info.in_width * info.in_height * info.in_channels;
    uint32_t seed = 1;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        bd_engine_input(ex)[i] = bd_engine_input(er)[i] = (float)(seed >> 8) / 16777216.f;
    }
    struct bd_xnn *bare = bd_engine_xnn(ex);
    int segments = 0, fallback = 0;
    bd_xnn_stats(bare, &segments, &fallback);

    /* t[clock][contender][round] of the current block; per-block medians */
    double *t[2][NCONT], *blk[2][NCONT], *ratio[2][2];
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < NCONT; k++) {
            t[c][k] = malloc((size_t)rounds * sizeof(double));
            blk[c][k] = malloc((size_t)repeats * sizeof(double));
            if (!t[c][k] || !blk[c][k])
                return 1;
        }
        for (int k = 0; k < 2; k++)
            if (!(ratio[c][k] = malloc((size_t)repeats * sizeof(double))))
                return 1;
    }
    for (int w = 0; w < 10; w++) {
        bd_xnn_run_bare(bare);
        bd_engine_run(ex);
        bd_engine_run(er);
    }
    for (int r = 0; r < repeats; r++) {
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < NCONT; k++) {
                if (k == BARE && fallback != 0)
                    continue;
                const double w0 = now_ms(), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
                if (k == BARE)
                    bd_xnn_run_bare(bare);
                else
                    bd_engine_run(k == XNN ? ex : er);
                t[1][k][i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
                t[0][k][i] = now_ms() - w0;
            }
        }
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < NCONT; k++)
                blk[c][k][r] = k == BARE && fallback ? 0 : median(t[c][k], rounds);
            /* bare (or xnnpack when XNNPACK needs ref ops) over ref, and
             * xnnpack over ref */
            ratio[c][0][r] = blk[c][fallback ? XNN : BARE][r] / blk[c][REF][r];
            ratio[c][1][r] = blk[c][XNN][r] / blk[c][REF][r];
        }
    }
    printf("model=%s rounds=%d repeats=%d xnn_segments=%d ref_fallback_ops=%d\n", info.name,
           rounds, repeats, segments, fallback);
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < NCONT; k++) {
            if (k == BARE && fallback)
                continue;
            printf("%s%s_ms=%.3f\n", cont_key[k], c ? "_cpu" : "", median(blk[c][k], repeats));
        }
    for (int c = 0; c < 2; c++) {
        printf("%s_over_ref%s=%.3f\n", fallback ? "xnnpack" : "bare", c ? "_cpu" : "",
               median(ratio[c][0], repeats));
        if (!fallback)
            printf("xnnpack_over_ref%s=%.3f\n", c ? "_cpu" : "", median(ratio[c][1], repeats));
    }
    printf("load_ms=%.3f\n", median(load, 20));
    printf("build_ms=%.3f\n", median(build, 20));
    printf("auto_backend=%s\n", bd_backend_name(bd_engine_backend(ea)));
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k < NCONT; k++) {
            free(t[c][k]);
            free(blk[c][k]);
        }
        free(ratio[c][0]);
        free(ratio[c][1]);
    }
    bd_engine_destroy(ex);
    bd_engine_destroy(er);
    bd_engine_destroy(ea);
    bd_model_destroy(m);
    return 0;
}
