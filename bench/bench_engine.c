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
 * usage: bench_engine MODEL [ROUNDS]
 * prints: key=value lines, one per measurement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "model/backend.h"

struct bd_xnn *bd_engine_xnn(struct bd_engine *e);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_engine MODEL [ROUNDS]\n");
        return 2;
    }
    const char *name = argv[1];
    int rounds = argc > 2 ? atoi(argv[2]) : 300;
    if (rounds < 10)
        rounds = 10;

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
    struct bd_engine *ex, *er;
    struct bd_engine_options ox = {BD_BACKEND_XNNPACK, 1}, orf = {BD_BACKEND_REF, 1};
    if (bd_model_open(name, &m) != BD_OK || bd_engine_create(m, &ox, &ex) != BD_OK ||
        bd_engine_create(m, &orf, &er) != BD_OK) {
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

    double *tb = malloc((size_t)rounds * sizeof *tb), *tx = malloc((size_t)rounds * sizeof *tx),
           *tr = malloc((size_t)rounds * sizeof *tr);
    if (!tb || !tx || !tr)
        return 1;
    for (int w = 0; w < 10; w++) {
        bd_xnn_run_bare(bare);
        bd_engine_run(ex);
        bd_engine_run(er);
    }
    for (int i = 0; i < rounds; i++) {
        double t0 = now_ms();
        if (fallback == 0)
            bd_xnn_run_bare(bare);
        double t1 = now_ms();
        bd_engine_run(ex);
        double t2 = now_ms();
        bd_engine_run(er);
        double t3 = now_ms();
        tb[i] = t1 - t0;
        tx[i] = t2 - t1;
        tr[i] = t3 - t2;
    }
    printf("model=%s rounds=%d xnn_segments=%d ref_fallback_ops=%d\n", info.name, rounds, segments, fallback);
    if (fallback == 0)
        printf("bare_ms=%.3f\n", median(tb, rounds));
    printf("xnnpack_ms=%.3f\n", median(tx, rounds));
    printf("ref_ms=%.3f\n", median(tr, rounds));
    printf("load_ms=%.3f\n", median(load, 20));
    printf("build_ms=%.3f\n", median(build, 20));
    free(tb);
    free(tx);
    free(tr);
    bd_engine_destroy(ex);
    bd_engine_destroy(er);
    bd_model_destroy(m);
    return 0;
}
