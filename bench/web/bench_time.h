/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The clock and the median the wasm kernel benches share (node has no
 * CPU-time clock for wasm: the monotonic one, interleaved runs).
 */
#ifndef BD_BENCH_WEB_TIME_H
#define BD_BENCH_WEB_TIME_H

#include <stdlib.h>
#include <time.h>

static inline double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static inline int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v. */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

#endif
