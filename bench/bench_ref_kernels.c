/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-op profile of the ref backend on a real model: opens the model, gives
 * every activation its own buffer, builds the ref backend, and times each
 * step of its (fused) plan over many runs (thread CPU time, so that other
 * processes on the machine disturb it less); prints the steps sorted by time
 * and the totals by op type.
 *
 * usage: bench_ref_kernels [MODEL] [RUNS] [ISA]
 *   MODEL  built-in name or .tflite path (default: general)
 *   RUNS   timed runs (default: 200)
 *   ISA    avx512 | avx2 | base | auto (default: auto)
 * Build (from the repository root, after `make`):
 *   cc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_ref_kernels.c \
 *      build/libbackdrop.a -lyuv -ljpeg -lpng -lm -lpthread \
 *      [-lXNNPACK -lpthreadpool] -o build/bench_ref_kernels
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "backdrop.h"
#include "model/backend.h"
#include "model/model.h"
#include "model/ref_internal.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct row {
    int step;
    double us;
};

static int cmp_row(const void *a, const void *b)
{
    double x = ((const struct row *)a)->us, y = ((const struct row *)b)->us;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void shape(const struct bd_tensor *t, char *buf, size_t n)
{
    size_t o = 0;
    for (int d = 0; d < t->ndim && o + 12 < n; d++)
        o += (size_t)snprintf(buf + o, n - o, d ? "x%d" : "%d", t->dims[d]);
}

/* Shares memory between tensors whose lifetimes do not overlap, like the
 * engine's arena (largest first, first fit; live from 8 ops before the
 * producer, engine.c's FUSE_REACH, so that the plan fuses as it does in
 * the engine). */
static void plan_memory(const struct bd_graph *g, float **t)
{
    int n = g->num_tensors;
    int *order = calloc((size_t)n, sizeof *order);
    size_t *off = calloc((size_t)n, sizeof *off), *size = calloc((size_t)n, sizeof *size);
    int *first = calloc((size_t)n, sizeof *first), *last = calloc((size_t)n, sizeof *last);
    int m = 0;
    for (int i = 0; i < n; i++) {
        const struct bd_tensor *T = &g->tensors[i];
        if (T->data || (i != g->input && T->producer < 0))
            continue;
        size[i] = (T->count * 4 + 64 + 63) / 64 * 64;
        first[i] = i == g->input ? -1 : T->producer - 8;
        last[i] = T->last_use < 0 ? first[i] : T->last_use;
        int k = m++;
        while (k > 0 && size[order[k - 1]] < size[i]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    size_t total = 0;
    for (int a = 0; a < m; a++) {
        int i = order[a];
        size_t o = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (int b = 0; b < a; b++) {
                int j = order[b];
                if (first[j] > last[i] || first[i] > last[j])
                    continue;
                if (o < off[j] + size[j] && off[j] < o + size[i]) {
                    o = off[j] + size[j];
                    moved = 1;
                }
            }
        }
        off[i] = o;
        if (o + size[i] > total)
            total = o + size[i];
    }
    char *arena = aligned_alloc(64, total ? total : 64);
    memset(arena, 0, total ? total : 64);
    for (int a = 0; a < m; a++)
        t[order[a]] = (float *)(arena + off[order[a]]);
    printf("arena %zu KiB for %d tensors\n", total / 1024, m);
    free(order);
    free(off);
    free(size);
    free(first);
    free(last);
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "general";
    int runs = argc > 2 ? atoi(argv[2]) : 200;
    const char *isa = argc > 3 ? argv[3] : "auto";
    if (runs < 1)
        runs = 1;
    if (bd_ref_force_isa(isa) != 0) {
        fprintf(stderr, "ISA %s not available\n", isa);
        return 2;
    }
    struct bd_model *m;
    if (bd_model_open(name, &m) != BD_OK) {
        fprintf(stderr, "%s\n", bd_last_error());
        return 1;
    }
    const struct bd_graph *g = m->graph;
    float **t = calloc((size_t)g->num_tensors, sizeof *t);
    plan_memory(g, t);
    if (getenv("BENCH_TENSORS")) {
        char *e = getenv("BENCH_TENSORS");
        while (*e) {
            int k = (int)strtol(e, &e, 10);
            if (k >= 0 && k < g->num_tensors)
                printf("tensor %d at %p, %zu bytes\n", k, (void *)t[k], g->tensors[k].count * 4);
            while (*e == ',')
                e++;
        }
    }
    for (int i = 0; i < g->num_tensors; i++) {
        const struct bd_tensor *T = &g->tensors[i];
        if (T->data)
            t[i] = T->data;
        else if (t[i] && (i == g->input || T->producer < 0))
            for (size_t k = 0; k < T->count; k++)
                t[i][k] = (float)((k * 2654435761u) % 1000) / 500.0f - 1.0f;
    }
    struct bd_ref *r;
    if (bd_ref_create(g, t, &r) != BD_OK) {
        fprintf(stderr, "%s\n", bd_last_error());
        return 1;
    }
    printf("model=%s isa=%s ops=%d steps=%d\n", name, bd_ref_isa(), g->num_ops, r->nsteps);

    double *tot = calloc((size_t)r->nsteps, sizeof *tot);
    /* BENCH_MIN=1: each step's minimum instead of its mean (steadier on a
     * loaded machine) */
    const int use_min = getenv("BENCH_MIN") != NULL;
    for (int s = 0; s < r->nsteps && use_min; s++)
        tot[s] = 1e30;
    double *whole = calloc((size_t)runs, sizeof *whole);
    for (int w = 0; w < 5; w++)
        bd_ref_run(r);
    for (int k = 0; k < runs; k++) {
        double t0 = now_us();
        bd_ref_run(r);
        whole[k] = now_us() - t0;
    }
    /* steps run on their own, outside bd_ref_run: with its FPU mode */
#if defined(__x86_64__)
    const unsigned csr = _mm_getcsr();
    if (r->ftz)
        _mm_setcsr(csr | 0x8040u);
#endif
    for (int k = 0; k < runs; k++)
        for (int s = 0; s < r->nsteps; s++) {
            double t0 = now_us();
            r->exec(r, &r->steps[s]);
            const double dt = now_us() - t0;
            if (use_min)
                tot[s] = dt < tot[s] ? dt : tot[s];
            else
                tot[s] += dt;
        }
#if defined(__x86_64__)
    _mm_setcsr(csr);
#endif
    qsort(whole, (size_t)runs, sizeof *whole, cmp_d);
    printf("bd_ref_run median %.3f ms  p10 %.3f ms\n", whole[runs / 2] / 1e3,
           whole[runs / 10] / 1e3);

    struct row *rows = calloc((size_t)r->nsteps, sizeof *rows);
    double by_type[BD_OP_COUNT] = {0}, sum = 0;
    for (int s = 0; s < r->nsteps; s++) {
        rows[s].step = s;
        rows[s].us = use_min ? tot[s] : tot[s] / runs;
        by_type[g->ops[r->steps[s].op].type] += rows[s].us;
        sum += rows[s].us;
    }
    /* BENCH_ORDER=1: steps in plan order (no sorting, all of them) */
    const int in_order = getenv("BENCH_ORDER") != NULL;
    if (!in_order)
        qsort(rows, (size_t)r->nsteps, sizeof *rows, cmp_row);
    printf("\nsum of steps %.1f us; top steps:\n", sum);
    for (int s = 0; s < r->nsteps && (in_order || s < 30); s++) {
        const struct ref_step *st = &r->steps[rows[s].step];
        const struct bd_op *op = &g->ops[st->op];
        char in[48], out[48];
        shape(&g->tensors[op->inputs[0]], in, sizeof in);
        shape(&g->tensors[st->out], out, sizeof out);
        char extra[48] = "";
        if (op->type == BD_OP_CONV2D || op->type == BD_OP_DWCONV2D ||
            op->type == BD_OP_TRANSPOSE_CONV)
            snprintf(extra, sizeof extra, "k%dx%d s%d", op->p.conv.kernel_h,
                     op->p.conv.kernel_w, op->p.conv.stride_h);
        printf("%8.1f us  #%-3d %-18s %-10s %14s -> %-14s%s%s%s\n", rows[s].us, st->op,
               bd_op_type_name(op->type), extra, in, out,
               st->out != op->output ? " +fused" : "", st->epi.hswish ? " hswish" : "",
               r->prep[st->op].c4 ? " c4" : "");
        if (st->band)
            printf("%30s band: pre #%d dw #%d pw #%d post #%d, %d rows\n", "", st->band->pre_op,
                   st->band->dw_op, st->band->pw_op, st->band->post_op, st->band->rows);
        if (st->swap)
            printf("%30s swap: resize #%d first\n", "", st->swap->resize_op);
        if (st->pool)
            printf("%30s pool: #%d\n", "", st->pool->pool_op);
    }
    printf("\nby type:\n");
    for (int k = 0; k < BD_OP_COUNT; k++)
        if (by_type[k] > 0)
            printf("%8.1f us  %s\n", by_type[k], bd_op_type_name((enum bd_op_type)k));
    bd_ref_destroy(r);
    bd_model_destroy(m);
    return 0;
}
