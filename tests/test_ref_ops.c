/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of the ref backend's kernels: small graphs built by hand, run with
 * bd_ref_run (fused plan) and op by op with bd_ref_run_op, under every
 * kernel variant the CPU supports, and compared with deliberately naive
 * implementations written here straight from each op's definition
 * (double accumulation, no blocking, no packing).
 *
 * Two more checks: the "mirror" cases compare the baseline variant bit for
 * bit with references that add in the order TFLite's WebAssembly build
 * (XNNPACK without FMA) does, which is what the golden test's reference
 * computes (the FMA variants within tolerance); and every kernel variant
 * must give the same bits as the first one run that has the same use of
 * FMA (bd_ref_isa_fma).
 *
 * Build: gcc -std=c17 -O2 -Wall -Wextra -Werror -Iinclude -Isrc \
 *          tests/test_ref_ops.c src/model/ref*.c src/model/graph_util.c \
 *          src/common/error.c -lm -o /tmp/test_ref_ops
 * Last line of output: "N passed, M failed"; exit status 1 on failure.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "backdrop.h"
#include "model/backend.h"
#include "model/graph.h"
#include "model/ref_internal.h"

static int n_pass, n_fail, n_skip;
static const char *cur_isa = "?";

/* ------------------------------------------------------------------------ */
/* Random data                                                               */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static float frand(void) /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static float *rand_buf(size_t n, float scale)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64 + 64);
    for (size_t i = 0; i < n; i++)
        p[i] = frand() * scale;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Graph builder                                                             */

#define MAXT 32
#define MAXO 12

struct gb {
    struct bd_graph g;
    struct bd_tensor t[MAXT];
    struct bd_op ops[MAXO];
    int ins[MAXO][8];
    float *data[MAXT];     /* test-owned data: constants and graph inputs */
    float *mem[MAXT];      /* activation buffers passed to the backend */
    float *alias[MAXT];    /* optional forced pointer for a tensor */
    int clobbers_input;    /* an output shares the input's memory */
};

static void gb_init(struct gb *b)
{
    memset(b, 0, sizeof *b);
    b->g.tensors = b->t;
    b->g.ops = b->ops;
    b->g.input = -1;
}

static size_t dims_count(int ndim, const int *d)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)d[i];
    return n;
}

/* kind: 'c' constant (random), 'i' graph input (random), 'a' activation */
static int gb_tensor(struct gb *b, char kind, int ndim, const int *dims, float scale)
{
    int i = b->g.num_tensors++;
    struct bd_tensor *t = &b->t[i];
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof(int));
    t->dtype = BD_DT_F32;
    t->count = dims_count(ndim, dims);
    t->name = "";
    t->producer = -1;
    t->last_use = -1;
    if (kind == 'c' || kind == 'i') {
        b->data[i] = rand_buf(t->count, scale);
        if (kind == 'c')
            t->data = b->data[i];
        else if (b->g.input < 0)
            b->g.input = i;
    }
    return i;
}

static int T4(struct gb *b, char kind, int n, int h, int w, int c, float scale)
{
    int d[4] = {n, h, w, c};
    return gb_tensor(b, kind, 4, d, scale);
}

static int T1(struct gb *b, char kind, int n, float scale)
{
    int d[1] = {n};
    return gb_tensor(b, kind, 1, d, scale);
}

static struct bd_op *gb_op(struct gb *b, enum bd_op_type type, int out, int nin, ...)
{
    int k = b->g.num_ops++;
    struct bd_op *op = &b->ops[k];
    memset(op, 0, sizeof *op);
    op->type = type;
    op->num_inputs = nin;
    op->inputs = b->ins[k];
    va_list ap;
    va_start(ap, nin);
    for (int i = 0; i < nin; i++)
        op->inputs[i] = va_arg(ap, int);
    va_end(ap);
    op->output = out;
    op->tflite_name = bd_op_type_name(type);
    return op;
}

static void gb_finish(struct gb *b, int output)
{
    b->g.num_outputs = 1;
    b->g.outputs[0] = output;
    for (int k = 0; k < b->g.num_ops; k++) {
        struct bd_op *op = &b->ops[k];
        b->t[op->output].producer = k;
        for (int i = 0; i < op->num_inputs; i++)
            if (op->inputs[i] >= 0 && b->t[op->inputs[i]].last_use < k)
                b->t[op->inputs[i]].last_use = k;
    }
    b->t[output].last_use = INT_MAX;
}

static void gb_free(struct gb *b)
{
    for (int i = 0; i < b->g.num_tensors; i++) {
        free(b->data[i]);
        free(b->mem[i]);
    }
}

/* Allocates activation memory (filled with NaN so that reading anything
 * unwritten shows) and returns the tensor pointer array. */
static float **gb_memory(struct gb *b, float **ptrs)
{
    for (int i = 0; i < b->g.num_tensors; i++) {
        struct bd_tensor *t = &b->t[i];
        if (t->data) {
            ptrs[i] = t->data;
            continue;
        }
        if (!b->mem[i]) {
            size_t bytes = (t->count * sizeof(float) + 63) / 64 * 64 + 64;
            b->mem[i] = aligned_alloc(64, bytes);
        }
        for (size_t k = 0; k < t->count + 16; k++)
            b->mem[i][k] = NAN;
        ptrs[i] = b->mem[i];
    }
    for (int i = 0; i < b->g.num_tensors; i++)
        if (b->alias[i])
            ptrs[i] = b->alias[i];
    for (int i = 0; i < b->g.num_tensors; i++)
        if (!b->t[i].data && b->data[i])
            memcpy(ptrs[i], b->data[i], b->t[i].count * sizeof(float));
    return ptrs;
}

/* ------------------------------------------------------------------------ */
/* Checking                                                                  */

/* Set by the mirror cases: outputs must equal the reference exactly. */
static int exact_mode;

static int compare(const char *name, const float *got, const float *want, size_t n)
{
    if (exact_mode) {
        size_t bad = 0, wi = 0;
        for (size_t i = 0; i < n; i++)
            if (!(got[i] == want[i]) && !(isnan(got[i]) && isnan(want[i])))
                if (bad++ == 0)
                    wi = i;
        if (bad == 0) {
            n_pass++;
            return 1;
        }
        n_fail++;
        printf("FAIL [%s] %s: %zu of %zu elements not bit-exact, first %zu: got %.9g "
               "want %.9g\n",
               cur_isa, name, bad, n, wi, (double)got[wi], (double)want[wi]);
        return 0;
    }
    double worst = 0.0;
    size_t wi = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        double rel = d / (fabs((double)want[i]) > 1.0 ? fabs((double)want[i]) : 1.0);
        if (!(rel <= worst) || isnan(got[i]) != isnan(want[i])) {
            worst = isnan(rel) ? INFINITY : rel;
            wi = i;
            if (isnan(got[i]) != isnan(want[i]))
                worst = INFINITY;
        }
    }
    if (worst <= 1e-5) {
        n_pass++;
        return 1;
    }
    n_fail++;
    printf("FAIL [%s] %s: element %zu got %.9g want %.9g (rel err %.3g)\n", cur_isa,
           name, wi, (double)got[wi], (double)want[wi], worst);
    return 0;
}

/* Outputs of the first kernel variant run of each family (FMA or not,
 * bd_ref_isa_fma), in check_graph call order (every variant runs the same
 * cases with the same random data); the later variants of the family must
 * reproduce them bit for bit: all add in the same order, whatever their
 * blocking. */
#define MAX_SAVED 1024
static float *saved_out[2][MAX_SAVED];
static size_t saved_n[2][MAX_SAVED];
static int n_saved[2], graph_no, first_variant[2] = {1, 1};

static void check_same_bits(const char *name, const float *got, size_t n)
{
    const int k = graph_no++, f = bd_ref_isa_fma(cur_isa);
    if (k >= MAX_SAVED)
        return;
    if (first_variant[f]) {
        saved_out[f][k] = malloc(n * sizeof(float));
        memcpy(saved_out[f][k], got, n * sizeof(float));
        saved_n[f][k] = n;
        n_saved[f] = k + 1;
        return;
    }
    if (k < n_saved[f] && saved_n[f][k] == n &&
        memcmp(saved_out[f][k], got, n * sizeof(float)) == 0) {
        n_pass++;
        return;
    }
    n_fail++;
    printf("FAIL [%s] %s: not the same bits as the first kernel variant\n", cur_isa, name);
}

/* Runs the graph both ways and compares its output with want. */
static void check_graph(const char *name, struct gb *b, const float *want)
{
    float *ptrs[MAXT];
    struct bd_ref *r = NULL;
    const int out = b->g.outputs[0];
    const size_t n = b->t[out].count;
    char nm[160];

    gb_memory(b, ptrs);
    int st = bd_ref_create(&b->g, ptrs, &r);
    if (st) {
        n_fail++;
        printf("FAIL [%s] %s: create: %s: %s\n", cur_isa, name,
               bd_status_str(st), bd_last_error());
        return;
    }
    st = bd_ref_run(r);
    snprintf(nm, sizeof nm, "%s (run)", name);
    if (st) {
        n_fail++;
        printf("FAIL [%s] %s: %s\n", cur_isa, nm, bd_last_error());
    } else {
        compare(nm, ptrs[out], want, n);
        check_same_bits(nm, ptrs[out], n);
    }
    /* again, to catch state carried between runs */
    if (!b->clobbers_input) {
        st = bd_ref_run(r);
        snprintf(nm, sizeof nm, "%s (rerun)", name);
        if (!st)
            compare(nm, ptrs[out], want, n);
    }
    bd_ref_destroy(r);

    /* op by op, without fusion */
    gb_memory(b, ptrs);
    st = bd_ref_create(&b->g, ptrs, &r);
    if (st) {
        n_fail++;
        printf("FAIL [%s] %s: create 2: %s\n", cur_isa, name, bd_last_error());
        return;
    }
    st = 0;
    for (int k = 0; k < b->g.num_ops && !st; k++)
        st = bd_ref_run_op(r, k);
    snprintf(nm, sizeof nm, "%s (run_op)", name);
    if (st) {
        n_fail++;
        printf("FAIL [%s] %s: %s\n", cur_isa, nm, bd_last_error());
    } else {
        compare(nm, ptrs[out], want, n);
    }
    bd_ref_destroy(r);
}

static float act_f(enum bd_act act, double v)
{
    switch (act) {
    case BD_ACT_RELU: return (float)(v < 0 ? 0 : v);
    case BD_ACT_RELU6: return (float)(v < 0 ? 0 : v > 6 ? 6 : v);
    case BD_ACT_RELU_N1_TO_1: return (float)(v < -1 ? -1 : v > 1 ? 1 : v);
    default: return (float)v;
    }
}

static float hswish_f(float x)
{
    float t = x + 3.0f;
    t = t < 0 ? 0 : t > 6 ? 6 : t;
    return x * t / 6.0f;
}

/* ------------------------------------------------------------------------ */
/* Naive references                                                          */

struct convp {
    int kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, adjh, adjw, mult;
    enum bd_act act;
};

static int conv_out(int in, int k, int s, int d, int p0, int p1)
{
    return (in + p0 + p1 - ((k - 1) * d + 1)) / s + 1;
}

static void naive_conv(const float *in, int N, int H, int W, int Ci, const float *f,
                       const float *bias, int Co, const struct convp *p, float *out,
                       int OH, int OW)
{
    for (int n = 0; n < N; n++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int co = 0; co < Co; co++) {
                    double acc = bias ? bias[co] : 0.0;
                    for (int ky = 0; ky < p->kh; ky++)
                        for (int kx = 0; kx < p->kw; kx++) {
                            int iy = oy * p->sh - p->pt + ky * p->dh;
                            int ix = ox * p->sw - p->pl + kx * p->dw;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            for (int ci = 0; ci < Ci; ci++)
                                acc += (double)in[((n * H + iy) * W + ix) * Ci + ci] *
                                       f[((co * p->kh + ky) * p->kw + kx) * Ci + ci];
                        }
                    out[((n * OH + oy) * OW + ox) * Co + co] = act_f(p->act, acc);
                }
}

static void naive_dw(const float *in, int N, int H, int W, int Ci, const float *f,
                     const float *bias, const struct convp *p, float *out, int OH,
                     int OW)
{
    const int C = Ci * p->mult;
    for (int n = 0; n < N; n++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int ic = 0; ic < Ci; ic++)
                    for (int m = 0; m < p->mult; m++) {
                        int c = ic * p->mult + m;
                        double acc = bias ? bias[c] : 0.0;
                        for (int ky = 0; ky < p->kh; ky++)
                            for (int kx = 0; kx < p->kw; kx++) {
                                int iy = oy * p->sh - p->pt + ky * p->dh;
                                int ix = ox * p->sw - p->pl + kx * p->dw;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                    continue;
                                acc += (double)in[((n * H + iy) * W + ix) * Ci + ic] *
                                       f[(ky * p->kw + kx) * C + c];
                            }
                        out[((n * OH + oy) * OW + ox) * C + c] = act_f(p->act, acc);
                    }
}

static void naive_tconv(const float *in, int N, int H, int W, int Ci, const float *f,
                        const float *bias, int Co, const struct convp *p, float *out,
                        int OH, int OW)
{
    double *acc = calloc((size_t)N * OH * OW * Co, sizeof(double));
    for (int n = 0; n < N; n++)
        for (int q = 0; q < OH * OW; q++)
            for (int co = 0; co < Co; co++)
                acc[((size_t)n * OH * OW + q) * Co + co] = bias ? bias[co] : 0.0;
    for (int n = 0; n < N; n++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        int oy = y * p->sh - p->pt + ky;
                        int ox = x * p->sw - p->pl + kx;
                        if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
                            continue;
                        for (int co = 0; co < Co; co++)
                            for (int ci = 0; ci < Ci; ci++)
                                acc[((size_t)(n * OH + oy) * OW + ox) * Co + co] +=
                                    (double)in[((n * H + y) * W + x) * Ci + ci] *
                                    f[((co * p->kh + ky) * p->kw + kx) * Ci + ci];
                    }
    for (size_t i = 0; i < (size_t)N * OH * OW * Co; i++)
        out[i] = act_f(p->act, acc[i]);
    free(acc);
}

/* 4-D index of a broadcast operand */
static size_t bidx(const int *d, const int *o)
{
    size_t off = 0;
    for (int k = 0; k < 4; k++)
        off = off * (size_t)d[k] + (size_t)(d[k] == 1 ? 0 : o[k]);
    return off;
}

static void dims4(int ndim, const int *dims, int *d)
{
    for (int i = 0; i < 4; i++)
        d[i] = i < 4 - ndim ? 1 : dims[i - (4 - ndim)];
}

/* ------------------------------------------------------------------------ */
/* Test cases                                                                */

static void test_conv(const char *name, int N, int H, int W, int Ci, int Co,
                      struct convp p, int with_bias)
{
    struct gb b;
    gb_init(&b);
    const int OH = conv_out(H, p.kh, p.sh, p.dh, p.pt, p.pb);
    const int OW = conv_out(W, p.kw, p.sw, p.dw, p.pl, p.pr);
    int in = T4(&b, 'i', N, H, W, Ci, 1.0f);
    int f = T4(&b, 'c', Co, p.kh, p.kw, Ci, 1.0f);
    int bias = with_bias ? T1(&b, 'c', Co, 1.0f) : -1;
    int out = T4(&b, 'a', N, OH, OW, Co, 0);
    struct bd_op *op = gb_op(&b, BD_OP_CONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.pt,
                                         p.pb, p.pl, p.pr, 0, 0, 1, p.act};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    naive_conv(b.data[in], N, H, W, Ci, b.data[f], with_bias ? b.data[bias] : NULL, Co,
               &p, want, OH, OW);
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_dw(const char *name, int N, int H, int W, int Ci, struct convp p,
                    int with_bias)
{
    struct gb b;
    gb_init(&b);
    const int C = Ci * p.mult;
    const int OH = conv_out(H, p.kh, p.sh, p.dh, p.pt, p.pb);
    const int OW = conv_out(W, p.kw, p.sw, p.dw, p.pl, p.pr);
    int in = T4(&b, 'i', N, H, W, Ci, 1.0f);
    int f = T4(&b, 'c', 1, p.kh, p.kw, C, 1.0f);
    int bias = with_bias ? T1(&b, 'c', C, 1.0f) : -1;
    int out = T4(&b, 'a', N, OH, OW, C, 0);
    struct bd_op *op = gb_op(&b, BD_OP_DWCONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.pt,
                                         p.pb, p.pl, p.pr, 0, 0, p.mult, p.act};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    naive_dw(b.data[in], N, H, W, Ci, b.data[f], with_bias ? b.data[bias] : NULL, &p,
             want, OH, OW);
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_tconv(const char *name, int N, int H, int W, int Ci, int Co,
                       struct convp p, int with_bias)
{
    struct gb b;
    gb_init(&b);
    const int OH = (H - 1) * p.sh + p.kh - p.pt - p.pb + p.adjh;
    const int OW = (W - 1) * p.sw + p.kw - p.pl - p.pr + p.adjw;
    int in = T4(&b, 'i', N, H, W, Ci, 1.0f);
    int f = T4(&b, 'c', Co, p.kh, p.kw, Ci, 1.0f);
    int bias = with_bias ? T1(&b, 'c', Co, 1.0f) : -1;
    int out = T4(&b, 'a', N, OH, OW, Co, 0);
    struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){p.kh, p.kw, p.sh, p.sw, 1, 1, p.pt, p.pb,
                                         p.pl, p.pr, p.adjh, p.adjw, 1, p.act};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    naive_tconv(b.data[in], N, H, W, Ci, b.data[f], with_bias ? b.data[bias] : NULL,
                Co, &p, want, OH, OW);
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_fc(const char *name, int ndim, const int *idims, int Co,
                    enum bd_act act, int with_bias)
{
    struct gb b;
    gb_init(&b);
    const int Ci = idims[ndim - 1];
    int in = gb_tensor(&b, 'i', ndim, idims, 1.0f);
    const int rows = (int)(b.t[in].count / (size_t)Ci);
    int wd[2] = {Co, Ci};
    int w = gb_tensor(&b, 'c', 2, wd, 1.0f);
    int bias = with_bias ? T1(&b, 'c', Co, 1.0f) : -1;
    int od[2] = {rows, Co};
    int out = gb_tensor(&b, 'a', 2, od, 0);
    struct bd_op *op = gb_op(&b, BD_OP_FULLY_CONNECTED, out, 3, in, w, bias);
    op->p.binary.act = act;
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    for (int r = 0; r < rows; r++)
        for (int co = 0; co < Co; co++) {
            double acc = with_bias ? b.data[bias][co] : 0.0;
            for (int ci = 0; ci < Ci; ci++)
                acc += (double)b.data[in][r * Ci + ci] * b.data[w][co * Ci + ci];
            want[r * Co + co] = act_f(act, acc);
        }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static double bin_f(enum bd_op_type t, double a, double b)
{
    switch (t) {
    case BD_OP_ADD: return a + b;
    case BD_OP_SUB: return a - b;
    case BD_OP_MUL: return (double)((float)a * (float)b);
    default: return a >= 0 ? a : a * b;
    }
}

static void test_binary(const char *name, enum bd_op_type type, int na, const int *da,
                        int nb, const int *db, enum bd_act act, int b_const)
{
    struct gb b;
    gb_init(&b);
    int A = gb_tensor(&b, 'i', na, da, 2.0f);
    int B = gb_tensor(&b, b_const ? 'c' : 'i', nb, db, 2.0f);
    int a4[4], b4[4], o4[4];
    dims4(na, da, a4);
    dims4(nb, db, b4);
    for (int k = 0; k < 4; k++)
        o4[k] = a4[k] > b4[k] ? a4[k] : b4[k];
    const int on = na > nb ? na : nb;
    int od[4];
    for (int k = 0; k < on; k++)
        od[k] = o4[4 - on + k];
    int out = gb_tensor(&b, 'a', on, od, 0);
    struct bd_op *op = gb_op(&b, type, out, 2, A, B);
    op->p.binary.act = act;
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    size_t q = 0;
    int o[4];
    for (o[0] = 0; o[0] < o4[0]; o[0]++)
        for (o[1] = 0; o[1] < o4[1]; o[1]++)
            for (o[2] = 0; o[2] < o4[2]; o[2]++)
                for (o[3] = 0; o[3] < o4[3]; o[3]++)
                    want[q++] = act_f(type == BD_OP_PRELU ? BD_ACT_NONE : act,
                                      bin_f(type, b.data[A][bidx(a4, o)],
                                            b.data[B][bidx(b4, o)]));
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_unary(const char *name, enum bd_op_type type, float param)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', 1, 7, 9, 17, 8.0f);
    int out = T4(&b, 'a', 1, 7, 9, 17, 0);
    struct bd_op *op = gb_op(&b, type, out, 1, in);
    op->p.leaky.alpha = param;
    gb_finish(&b, out);
    const size_t n = b.t[out].count;
    float *want = malloc(n * sizeof(float));
    const float *x = b.data[in];
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        switch (type) {
        case BD_OP_RELU: want[i] = (float)(v > 0 ? v : 0); break;
        case BD_OP_RELU6: want[i] = (float)(v < 0 ? 0 : v > 6 ? 6 : v); break;
        case BD_OP_HARD_SWISH: want[i] = (float)(v * fmin(6, fmax(0, v + 3)) / 6); break;
        case BD_OP_LOGISTIC: want[i] = (float)(1.0 / (1.0 + exp(-v))); break;
        case BD_OP_TANH: want[i] = (float)tanh(v); break;
        case BD_OP_LEAKY_RELU: want[i] = (float)(v > 0 ? v : v * param); break;
        default: break;
        }
    }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_pool(const char *name, enum bd_op_type type, int N, int H, int W,
                      int C, int fh, int fw, int sh, int sw, int pt, int pb, int pl,
                      int pr, enum bd_act act)
{
    struct gb b;
    gb_init(&b);
    const int OH = (H + pt + pb - fh) / sh + 1, OW = (W + pl + pr - fw) / sw + 1;
    int in = T4(&b, 'i', N, H, W, C, 2.0f);
    int out = T4(&b, 'a', N, OH, OW, C, 0);
    struct bd_op *op = gb_op(&b, type, out, 1, in);
    op->p.pool = (struct bd_pool_params){fh, fw, sh, sw, pt, pb, pl, pr, act};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    const float *x = b.data[in];
    for (int n = 0; n < N; n++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    double acc = type == BD_OP_MAX_POOL ? -INFINITY : 0.0;
                    int cnt = 0;
                    for (int ky = 0; ky < fh; ky++)
                        for (int kx = 0; kx < fw; kx++) {
                            int iy = oy * sh - pt + ky, ix = ox * sw - pl + kx;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            double v = x[((n * H + iy) * W + ix) * C + c];
                            if (type == BD_OP_MAX_POOL)
                                acc = v > acc ? v : acc;
                            else
                                acc += v;
                            cnt++;
                        }
                    if (type == BD_OP_AVG_POOL)
                        acc /= cnt;
                    want[((n * OH + oy) * OW + ox) * C + c] = act_f(act, acc);
                }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_mean(const char *name, int N, int H, int W, int C)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', N, H, W, C, 2.0f);
    int out = T4(&b, 'a', N, 1, 1, C, 0);
    gb_op(&b, BD_OP_MEAN, out, 1, in);
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            double acc = 0;
            for (int q = 0; q < H * W; q++)
                acc += b.data[in][((size_t)n * H * W + q) * C + c];
            want[n * C + c] = (float)(acc / (H * W));
        }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

/* TFLite's reference ResizeBilinear, transcribed (no clamping of the source
 * coordinate: a negative half-pixel coordinate gives y0 = y1 = 0). */
static void tfl_interp(int v, float scale, int half, int size, float *sv, int *lo, int *hi)
{
    *sv = half ? ((float)v + 0.5f) * scale - 0.5f : (float)v * scale;
    float fl = floorf(*sv);
    *lo = (int)fl > 0 ? (int)fl : 0;
    int c = (int)ceilf(*sv);
    *hi = c < size - 1 ? c : size - 1;
}

static void test_resize(const char *name, int N, int H, int W, int C, int OH, int OW,
                        int ac, int hp)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', N, H, W, C, 2.0f);
    int out = T4(&b, 'a', N, OH, OW, C, 0);
    struct bd_op *op = gb_op(&b, BD_OP_RESIZE_BILINEAR, out, 1, in);
    op->p.resize.align_corners = ac;
    op->p.resize.half_pixel_centers = hp;
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    float hs = (float)H / (float)OH, ws = (float)W / (float)OW;
    if (ac && OH > 1)
        hs = (float)(H - 1) / (float)(OH - 1);
    if (ac && OW > 1)
        ws = (float)(W - 1) / (float)(OW - 1);
    const float *x = b.data[in];
    for (int n = 0; n < N; n++)
        for (int y = 0; y < OH; y++) {
            float iy;
            int y0, y1;
            tfl_interp(y, hs, hp, H, &iy, &y0, &y1);
            for (int xx = 0; xx < OW; xx++) {
                float ix;
                int x0, x1;
                tfl_interp(xx, ws, hp, W, &ix, &x0, &x1);
                for (int c = 0; c < C; c++) {
#define IN(yy, xq) x[(((size_t)n * H + (yy)) * W + (xq)) * C + c]
                    float v = IN(y0, x0) * (1 - (iy - y0)) * (1 - (ix - x0)) +
                              IN(y1, x0) * (iy - y0) * (1 - (ix - x0)) +
                              IN(y0, x1) * (1 - (iy - y0)) * (ix - x0) +
                              IN(y1, x1) * (iy - y0) * (ix - x0);
#undef IN
                    want[(((size_t)n * OH + y) * OW + xx) * C + c] = v;
                }
            }
        }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_concat(const char *name, int ndim, int axis, int nin,
                        const int dims[][4], enum bd_act act)
{
    struct gb b;
    gb_init(&b);
    int ids[4] = {-1, -1, -1, -1};
    int od[4];
    memcpy(od, dims[0], sizeof od);
    od[axis] = 0;
    for (int i = 0; i < nin; i++) {
        ids[i] = gb_tensor(&b, 'i', ndim, dims[i], 2.0f);
        od[axis] += dims[i][axis];
    }
    int out = gb_tensor(&b, 'a', ndim, od, 0);
    struct bd_op *op = gb_op(&b, BD_OP_CONCAT, out, nin, ids[0], ids[1], ids[2], ids[3]);
    op->p.concat.axis = axis;
    op->p.concat.act = act;
    gb_finish(&b, out);
    const size_t n = b.t[out].count;
    float *want = malloc(n * sizeof(float));
    /* element by element: decode output index, find the input */
    for (size_t q = 0; q < n; q++) {
        int o[4] = {0, 0, 0, 0};
        size_t rem = q;
        for (int k = ndim - 1; k >= 0; k--) {
            o[k] = (int)(rem % (size_t)od[k]);
            rem /= (size_t)od[k];
        }
        int i = 0, a = o[axis];
        while (a >= dims[i][axis]) {
            a -= dims[i][axis];
            i++;
        }
        size_t off = 0;
        for (int k = 0; k < ndim; k++)
            off = off * (size_t)dims[i][k] + (size_t)(k == axis ? a : o[k]);
        want[q] = act_f(act, b.data[ids[i]][off]);
    }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

/* Inputs uniform in [-scale, scale). */
static void test_softmax(const char *name, int ndim, const int *dims, float beta, float scale)
{
    struct gb b;
    gb_init(&b);
    int in = gb_tensor(&b, 'i', ndim, dims, scale);
    int out = gb_tensor(&b, 'a', ndim, dims, 0);
    struct bd_op *op = gb_op(&b, BD_OP_SOFTMAX, out, 1, in);
    op->p.softmax.beta = beta;
    gb_finish(&b, out);
    const size_t depth = (size_t)dims[ndim - 1], n = b.t[in].count;
    float *want = malloc(n * sizeof(float));
    for (size_t r = 0; r < n / depth; r++) {
        const float *x = b.data[in] + r * depth;
        double mx = -INFINITY, sum = 0;
        for (size_t c = 0; c < depth; c++)
            mx = x[c] > mx ? x[c] : mx;
        for (size_t c = 0; c < depth; c++)
            sum += exp((x[c] - mx) * beta);
        for (size_t c = 0; c < depth; c++)
            want[r * depth + c] = (float)(exp((x[c] - mx) * beta) / sum);
    }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_pad(const char *name, int N, int H, int W, int C, const int pad[4][2])
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', N, H, W, C, 1.0f);
    int d[4] = {N, H, W, C}, od[4];
    for (int k = 0; k < 4; k++)
        od[k] = d[k] + pad[k][0] + pad[k][1];
    int out = gb_tensor(&b, 'a', 4, od, 0);
    struct bd_op *op = gb_op(&b, BD_OP_PAD, out, 1, in);
    memcpy(op->p.pad.pad, pad, sizeof op->p.pad.pad);
    gb_finish(&b, out);
    float *want = calloc(b.t[out].count, sizeof(float));
    for (int n = 0; n < N; n++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++)
                    want[(((size_t)(n + pad[0][0]) * od[1] + (y + pad[1][0])) * od[2] +
                          (x + pad[2][0])) * od[3] + (c + pad[3][0])] =
                        b.data[in][(((size_t)n * H + y) * W + x) * C + c];
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void test_reshape(void)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', 1, 7, 9, 3, 1.0f);
    int od[2] = {63, 3};
    int out = gb_tensor(&b, 'a', 2, od, 0);
    gb_op(&b, BD_OP_RESHAPE, out, 1, in);
    gb_finish(&b, out);
    check_graph("reshape", &b, b.data[in]);
    gb_free(&b);
}

/* conv -> activation op, exercising epilogue fusion; `keep` makes the conv
 * output a second consumer's input so that it must not be fused; `alias`
 * gives the activation's output the conv input's memory (legal for the
 * engine's planner once the conv is done) so fusion must be refused. */
static void test_fused(const char *name, enum bd_op_type producer, enum bd_op_type act_op,
                       enum bd_act act, int keep, int alias)
{
    struct gb b;
    gb_init(&b);
    const int H = 7, W = 9, Ci = 5, Co = 17;
    struct convp p = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, act};
    /* inputs to +-4: the producers' outputs pass 6 often (a dw 3x3 sum has
     * a standard deviation of 4), so RELU6's upper clamp is exercised */
    int in = T4(&b, 'i', 1, H, W, Ci, 4.0f);
    int mid, f = -1, bias = -1, other = -1;
    const int C = producer == BD_OP_CONV2D ? Co : Ci;
    if (producer == BD_OP_CONV2D) {
        f = T4(&b, 'c', Co, 3, 3, Ci, 1.0f);
        bias = T1(&b, 'c', Co, 1.0f);
        mid = T4(&b, 'a', 1, H, W, Co, 0);
        struct bd_op *op = gb_op(&b, BD_OP_CONV2D, mid, 3, in, f, bias);
        op->p.conv = (struct bd_conv_params){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, act};
    } else if (producer == BD_OP_DWCONV2D) {
        f = T4(&b, 'c', 1, 3, 3, Ci, 1.0f);
        bias = T1(&b, 'c', Ci, 1.0f);
        mid = T4(&b, 'a', 1, H, W, Ci, 0);
        struct bd_op *op = gb_op(&b, BD_OP_DWCONV2D, mid, 3, in, f, bias);
        op->p.conv = (struct bd_conv_params){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, act};
    } else { /* ADD with a broadcast constant */
        other = T4(&b, 'c', 1, 1, 1, Ci, 3.0f);
        mid = T4(&b, 'a', 1, H, W, Ci, 0);
        struct bd_op *op = gb_op(&b, BD_OP_ADD, mid, 2, in, other);
        op->p.binary.act = act;
    }
    int actout = T4(&b, 'a', 1, H, W, C, 0);
    gb_op(&b, act_op, actout, 1, mid);
    int out = actout;
    if (keep) {
        out = T4(&b, 'a', 1, H, W, C, 0);
        gb_op(&b, BD_OP_ADD, out, 2, actout, mid);
    }
    gb_finish(&b, out);

    const size_t n = b.t[actout].count;
    float *m = malloc(n * sizeof(float));
    float *want = malloc(n * sizeof(float));
    if (producer == BD_OP_CONV2D)
        naive_conv(b.data[in], 1, H, W, Ci, b.data[f], b.data[bias], Co, &p, m, H, W);
    else if (producer == BD_OP_DWCONV2D)
        naive_dw(b.data[in], 1, H, W, Ci, b.data[f], b.data[bias], &p, m, H, W);
    else
        for (size_t i = 0; i < n; i++)
            m[i] = act_f(act, (double)b.data[in][i] + b.data[other][i % Ci]);
    size_t above6 = 0;
    for (size_t i = 0; i < n; i++) {
        float v = m[i];
        above6 += v > 6;
        want[i] = act_op == BD_OP_RELU ? (v > 0 ? v : 0)
                  : act_op == BD_OP_RELU6 ? (v < 0 ? 0 : v > 6 ? 6 : v)
                                          : hswish_f(v);
        if (keep)
            want[i] += m[i];
    }
    if (alias) {
        /* actout's memory = in's memory */
        float *ptrs[MAXT];
        gb_memory(&b, ptrs);
        b.alias[actout] = ptrs[in];
        b.clobbers_input = 1;
    }
    if (act_op == BD_OP_RELU6 && above6 == 0) {
        n_fail++;
        printf("FAIL [%s] %s: no value above 6: the clamp is not tested\n", cur_isa, name);
    }
    check_graph(name, &b, want);
    if (alias) {
        /* the fused plan must not have been chosen */
        float *ptrs[MAXT];
        struct bd_ref *r;
        gb_memory(&b, ptrs);
        if (bd_ref_create(&b.g, ptrs, &r) == 0) {
            int fused = r->nsteps < b.g.num_ops;
            bd_ref_destroy(r);
            if (fused) {
                n_fail++;
                printf("FAIL [%s] %s: fused despite aliasing\n", cur_isa, name);
            } else {
                n_pass++;
            }
        }
    } else if (!keep) {
        float *ptrs[MAXT];
        struct bd_ref *r;
        gb_memory(&b, ptrs);
        if (bd_ref_create(&b.g, ptrs, &r) == 0) {
            int fused = r->nsteps < b.g.num_ops;
            bd_ref_destroy(r);
            if (!fused) {
                n_fail++;
                printf("FAIL [%s] %s: not fused\n", cur_isa, name);
            } else {
                n_pass++;
            }
        }
    }
    free(m);
    free(want);
    gb_free(&b);
}

/* Squeeze-and-excitation block like MediaPipe's selfie model:
 * x -> AVG_POOL(global) -> CONV1x1 -> RELU -> CONV1x1 -> LOGISTIC -> MUL(x). */
static void test_se_block(void)
{
    struct gb b;
    gb_init(&b);
    const int H = 9, W = 7, C = 24, R = 8;
    int x = T4(&b, 'i', 1, H, W, C, 2.0f);
    int pooled = T4(&b, 'a', 1, 1, 1, C, 0);
    struct bd_op *op = gb_op(&b, BD_OP_AVG_POOL, pooled, 1, x);
    op->p.pool = (struct bd_pool_params){H, W, 1, 1, 0, 0, 0, 0, BD_ACT_NONE};
    int f1 = T4(&b, 'c', R, 1, 1, C, 1.0f), b1 = T1(&b, 'c', R, 1.0f);
    int h1 = T4(&b, 'a', 1, 1, 1, R, 0);
    op = gb_op(&b, BD_OP_CONV2D, h1, 3, pooled, f1, b1);
    op->p.conv = (struct bd_conv_params){1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, BD_ACT_NONE};
    int h1r = T4(&b, 'a', 1, 1, 1, R, 0);
    gb_op(&b, BD_OP_RELU, h1r, 1, h1);
    int f2 = T4(&b, 'c', C, 1, 1, R, 1.0f), b2 = T1(&b, 'c', C, 1.0f);
    int h2 = T4(&b, 'a', 1, 1, 1, C, 0);
    op = gb_op(&b, BD_OP_CONV2D, h2, 3, h1r, f2, b2);
    op->p.conv = (struct bd_conv_params){1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, BD_ACT_NONE};
    int s = T4(&b, 'a', 1, 1, 1, C, 0);
    gb_op(&b, BD_OP_LOGISTIC, s, 1, h2);
    int out = T4(&b, 'a', 1, H, W, C, 0);
    gb_op(&b, BD_OP_MUL, out, 2, x, s);
    gb_finish(&b, out);

    double pool[64], hh[64], ss[64];
    for (int c = 0; c < C; c++) {
        double a = 0;
        for (int q = 0; q < H * W; q++)
            a += b.data[x][q * C + c];
        pool[c] = a / (H * W);
    }
    for (int r = 0; r < R; r++) {
        double a = b.data[b1][r];
        for (int c = 0; c < C; c++)
            a += pool[c] * b.data[f1][r * C + c];
        hh[r] = a > 0 ? a : 0;
    }
    for (int c = 0; c < C; c++) {
        double a = b.data[b2][c];
        for (int r = 0; r < R; r++)
            a += hh[r] * b.data[f2][c * R + r];
        ss[c] = 1.0 / (1.0 + exp(-a));
    }
    float *want = malloc(b.t[out].count * sizeof(float));
    for (int q = 0; q < H * W; q++)
        for (int c = 0; c < C; c++)
            want[q * C + c] = (float)(b.data[x][q * C + c] * ss[c]);
    check_graph("se block", &b, want);
    free(want);
    gb_free(&b);
}

/* Fusion of op chains into epilogues: the expected output comes from
 * running the same graph op by op (every op is checked against a naive
 * implementation above), and the number of plan steps is checked too. */
static void check_chain(const char *name, struct gb *b, int want_steps)
{
    float *ptrs[MAXT];
    struct bd_ref *r;
    const int out = b->g.outputs[0];
    gb_memory(b, ptrs);
    if (bd_ref_create(&b->g, ptrs, &r) != 0) {
        n_fail++;
        printf("FAIL [%s] %s: create: %s\n", cur_isa, name, bd_last_error());
        return;
    }
    for (int k = 0; k < b->g.num_ops; k++)
        bd_ref_run_op(r, k);
    const size_t n = b->t[out].count;
    float *want = malloc(n * sizeof(float));
    memcpy(want, ptrs[out], n * sizeof(float));
    const int steps = r->nsteps;
    bd_ref_destroy(r);
    if (steps != want_steps) {
        n_fail++;
        printf("FAIL [%s] %s: %d plan steps, want %d\n", cur_isa, name, steps, want_steps);
    } else {
        n_pass++;
    }
    check_graph(name, b, want);
    free(want);
}

static int conv_op(struct gb *b, int in, int H, int W, int Ci, int Co, int k, int s,
                   enum bd_act act)
{
    const int p0 = (k - 1) / 2, p1 = k - 1 - p0;
    const int OH = (H + p0 + p1 - k) / s + 1, OW = (W + p0 + p1 - k) / s + 1;
    int f = T4(b, 'c', Co, k, k, Ci, 1.0f), bias = T1(b, 'c', Co, 1.0f);
    int out = T4(b, 'a', 1, OH, OW, Co, 0);
    struct bd_op *op = gb_op(b, BD_OP_CONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){k, k, s, s, 1, 1, p0, p1, p0, p1, 0, 0, 1, act};
    return out;
}

static int dw_op(struct gb *b, int in, int H, int W, int C, enum bd_act act)
{
    int f = T4(b, 'c', 1, 3, 3, C, 1.0f), bias = T1(b, 'c', C, 1.0f);
    int out = T4(b, 'a', 1, H, W, C, 0);
    struct bd_op *op = gb_op(b, BD_OP_DWCONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, act};
    return out;
}

static int unary_op(struct gb *b, enum bd_op_type type, int in)
{
    const struct bd_tensor *t = &b->t[in];
    int out = gb_tensor(b, 'a', t->ndim, t->dims, 0);
    gb_op(b, type, out, 1, in);
    return out;
}

static int add_op(struct gb *b, int x, int y, enum bd_act act)
{
    const struct bd_tensor *t = &b->t[x];
    int out = gb_tensor(b, 'a', t->ndim, t->dims, 0);
    struct bd_op *op = gb_op(b, BD_OP_ADD, out, 2, x, y);
    op->p.binary.act = act;
    return out;
}

/* A depthwise conv with SAME padding (the extra row and column at the
 * bottom and right, as TFLite resolves it). */
static int dwk_op(struct gb *b, int in, int H, int W, int C, int k, int st, enum bd_act act)
{
    const int OH = (H + st - 1) / st, OW = (W + st - 1) / st;
    const int ph = (OH - 1) * st + k - H > 0 ? (OH - 1) * st + k - H : 0;
    const int pw = (OW - 1) * st + k - W > 0 ? (OW - 1) * st + k - W : 0;
    int f = T4(b, 'c', 1, k, k, C, 1.0f), bias = T1(b, 'c', C, 1.0f);
    int out = T4(b, 'a', 1, OH, OW, C, 0);
    struct bd_op *op = gb_op(b, BD_OP_DWCONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){k, k, st, st, 1, 1, ph / 2, ph - ph / 2, pw / 2,
                                         pw - pw / 2, 0, 0, 1, act};
    return out;
}

/* Depth-first bands (struct ref_band): inverted-residual chains on odd
 * sizes, each run with the default buffer budget, with one output row per
 * band (the expand rows slide through the buffer band by band) and with a
 * few rows per band; the banded plan must give the op-by-op results and
 * take the expected number of steps (1 where a band forms). */
static void test_bands(void)
{
    static const long budgets[3] = {0, 1, 700};
    for (int bi = 0; bi < 3; bi++) {
        bd_ref_band_budget(budgets[bi]);
        char nm[160];
        struct gb b;
        int x, v, m;

        gb_init(&b); /* expand hswish, dw 3x3 s1 relu6, project + residual add */
        x = T4(&b, 'i', 1, 7, 13, 9, 1.0f);
        v = conv_op(&b, x, 7, 13, 9, 22, 1, 1, BD_ACT_NONE);
        v = unary_op(&b, BD_OP_HARD_SWISH, v);
        v = dwk_op(&b, v, 7, 13, 22, 3, 1, BD_ACT_RELU6);
        v = conv_op(&b, v, 7, 13, 22, 9, 1, 1, BD_ACT_NONE);
        v = add_op(&b, v, x, BD_ACT_NONE);
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band expand+dw3x3+project+add, budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* dw 3x3 stride 2 on odd sizes, project without add */
        x = T4(&b, 'i', 1, 9, 11, 16, 1.0f);
        v = conv_op(&b, x, 9, 11, 16, 24, 1, 1, BD_ACT_RELU);
        v = dwk_op(&b, v, 9, 11, 24, 3, 2, BD_ACT_RELU);
        v = conv_op(&b, v, 5, 6, 24, 16, 1, 1, BD_ACT_NONE);
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band expand+dw3x3s2+project, budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* decoder: c = relu(expand), c + relu(dw(c)), no project */
        x = T4(&b, 'i', 1, 8, 15, 16, 1.0f);
        m = conv_op(&b, x, 8, 15, 16, 16, 1, 1, BD_ACT_RELU);
        v = dwk_op(&b, m, 8, 15, 16, 3, 1, BD_ACT_NONE);
        v = unary_op(&b, BD_OP_RELU, v);
        v = add_op(&b, m, v, BD_ACT_NONE);
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band expand+dw3x3+add(expand), budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* dw 5x5 stride 2 hswish, odd channels, then SE-like mean */
        x = T4(&b, 'i', 1, 11, 9, 12, 1.0f);
        v = conv_op(&b, x, 11, 9, 12, 37, 1, 1, BD_ACT_NONE);
        v = unary_op(&b, BD_OP_HARD_SWISH, v);
        v = dwk_op(&b, v, 11, 9, 37, 5, 2, BD_ACT_NONE);
        v = unary_op(&b, BD_OP_HARD_SWISH, v);
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band expand+dw5x5s2 hswish, budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* the selfie decoder: x * se + skip computed in the band */
        {
            int y = T4(&b, 'i', 1, 7, 11, 16, 1.0f), se = T4(&b, 'i', 1, 1, 1, 16, 1.0f);
            x = T4(&b, 'i', 1, 7, 11, 16, 1.0f);
            v = T4(&b, 'a', 1, 7, 11, 16, 0);
            gb_op(&b, BD_OP_MUL, v, 2, x, se);
            v = add_op(&b, v, y, BD_ACT_NONE);
            m = conv_op(&b, v, 7, 11, 16, 16, 1, 1, BD_ACT_RELU);
            v = dwk_op(&b, m, 7, 11, 16, 3, 1, BD_ACT_RELU);
            v = add_op(&b, m, v, BD_ACT_NONE);
        }
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band mul(se)+add(skip)+expand+dw+add, budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* the selfie models' tail: the band feeds the 2x2 tconv + logistic */
        {
            x = T4(&b, 'i', 1, 6, 13, 16, 1.0f);
            m = conv_op(&b, x, 6, 13, 16, 16, 1, 1, BD_ACT_RELU);
            v = dwk_op(&b, m, 6, 13, 16, 3, 1, BD_ACT_RELU);
            v = add_op(&b, m, v, BD_ACT_NONE);
            int f = T4(&b, 'c', 1, 2, 2, 16, 1.0f), bias = T1(&b, 'c', 1, 1.0f);
            int t = T4(&b, 'a', 1, 12, 26, 1, 0);
            struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, t, 3, v, f, bias);
            op->p.conv = (struct bd_conv_params){2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, BD_ACT_NONE};
            v = unary_op(&b, BD_OP_LOGISTIC, t);
        }
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band expand+dw+add+tconv2x2+logistic, budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* a same-shape ADD (relu6) computed in the band, stride 2 */
        {
            int y = T4(&b, 'i', 1, 9, 9, 12, 1.0f);
            x = T4(&b, 'i', 1, 9, 9, 12, 1.0f);
            v = add_op(&b, x, y, BD_ACT_RELU6);
            v = conv_op(&b, v, 9, 9, 12, 20, 1, 1, BD_ACT_NONE);
            v = dwk_op(&b, v, 9, 9, 20, 3, 2, BD_ACT_NONE);
            v = conv_op(&b, v, 5, 5, 20, 12, 1, 1, BD_ACT_NONE);
        }
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "band add(relu6)+expand+dw s2+project, budget %ld", budgets[bi]);
        check_chain(nm, &b, 1);
        gb_free(&b);

        gb_init(&b); /* the expand output read again later: no band */
        x = T4(&b, 'i', 1, 6, 9, 8, 1.0f);
        m = conv_op(&b, x, 6, 9, 8, 16, 1, 1, BD_ACT_RELU);
        v = dwk_op(&b, m, 6, 9, 16, 3, 1, BD_ACT_RELU);
        v = conv_op(&b, v, 6, 9, 16, 16, 1, 1, BD_ACT_NONE);
        v = add_op(&b, v, m, BD_ACT_NONE);
        gb_finish(&b, v);
        snprintf(nm, sizeof nm, "no band: expand output read after the chain, budget %ld",
                 budgets[bi]);
        check_chain(nm, &b, 3);
        gb_free(&b);
    }
    bd_ref_band_budget(0);

    { /* 2x2 stride-2 TRANSPOSE_CONV, Co 2 (two c4 blocks), relu6, then a
       * residual add fused into it, odd width */
        struct gb b;
        gb_init(&b);
        const int H = 4, W = 11, Ci = 7;
        int x = T4(&b, 'i', 1, H, W, Ci, 2.0f);
        int y = T4(&b, 'i', 1, 2 * H, 2 * W, 2, 2.0f);
        int f = T4(&b, 'c', 2, 2, 2, Ci, 1.0f), bias = T1(&b, 'c', 2, 1.0f);
        int t = T4(&b, 'a', 1, 2 * H, 2 * W, 2, 0);
        struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, t, 3, x, f, bias);
        op->p.conv = (struct bd_conv_params){2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, BD_ACT_RELU6};
        int v = add_op(&b, t, y, BD_ACT_NONE);
        gb_finish(&b, v);
        check_chain("chain tconv2x2s2 Co2 relu6+add", &b, 1);
        gb_free(&b);
    }

    /* an ADD or MUL of same-shape tensors into a global average pool (or
     * MEAN) that alone reads it: one step, pooled in XNNPACK's 7-pixel
     * groups across chunks, so the same bits as op by op (exactly); pixel
     * counts that are not multiples of 7 or of a chunk, channel counts
     * beside the vector length, a chunk of one group (C 300) */
    {
        static const int shapes[][3] = {{9, 13, 16}, {16, 16, 19}, {5, 7, 300}, {1, 3, 24}};
        exact_mode = 1;
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            const int H = shapes[k][0], W = shapes[k][1], C = shapes[k][2];
            struct gb b;
            gb_init(&b);
            int x = T4(&b, 'i', 1, H, W, C, 2.0f), y = T4(&b, 'i', 1, H, W, C, 2.0f);
            int v = k % 2 ? T4(&b, 'a', 1, H, W, C, 0) : add_op(&b, x, y, BD_ACT_RELU);
            if (k % 2)
                gb_op(&b, BD_OP_MUL, v, 2, x, y);
            int out = T4(&b, 'a', 1, 1, 1, C, 0);
            struct bd_op *op = gb_op(&b, k == 1 ? BD_OP_MEAN : BD_OP_AVG_POOL, out, 1, v);
            if (k != 1)
                op->p.pool = (struct bd_pool_params){H, W, 1, 1, 0, 0, 0, 0, BD_ACT_NONE};
            gb_finish(&b, out);
            char nm[96];
            snprintf(nm, sizeof nm, "chain %s+global pool %dx%dx%d", k % 2 ? "mul" : "add(relu)", H,
                     W, C);
            check_chain(nm, &b, 1);
            gb_free(&b);
        }
        exact_mode = 0;
    }

    /* RESIZE_BILINEAR then a 1x1 conv: the FMA variants run the conv at
     * the small size and resize its output (plan_swaps), in every resize
     * mode and at odd sizes and ratios; the baseline keeps both steps. A
     * conv with a fused activation is not moved. */
    for (int mode = 0; mode < 3; mode++)
        for (int act = 0; act < 2; act++) {
            struct gb b;
            gb_init(&b);
            const int H = 5, W = 7, OH = mode == 2 ? 11 : 10, OW = 13, Ci = 19, Co = 10;
            int x = T4(&b, 'i', 1, H, W, Ci, 1.0f);
            int t = T4(&b, 'a', 1, OH, OW, Ci, 0);
            struct bd_op *op = gb_op(&b, BD_OP_RESIZE_BILINEAR, t, 1, x);
            op->p.resize.align_corners = mode == 1;
            op->p.resize.half_pixel_centers = mode == 2;
            int v = conv_op(&b, t, OH, OW, Ci, Co, 1, 1, act ? BD_ACT_RELU : BD_ACT_NONE);
            gb_finish(&b, v);
            char nm[128];
            snprintf(nm, sizeof nm, "swap resize(mode %d)+conv1x1%s", mode, act ? " relu (kept)" : "");
            check_chain(nm, &b, act || !bd_ref_isa_fma(cur_isa) ? 2 : 1);
            gb_free(&b);
        }

    /* a LOGISTIC after a 2x2 stride-2 TRANSPOSE_CONV with one output
     * channel (the selfie models' last two ops) runs in its kernel; with
     * more outputs per pixel than one c4 block it stays a step of its own */
    for (int co = 1; co <= 3; co += 2) {
        struct gb b;
        gb_init(&b);
        const int H = 5, W = 9, Ci = 13;
        int x = T4(&b, 'i', 1, H, W, Ci, 1.0f);
        int f = T4(&b, 'c', co, 2, 2, Ci, 1.0f), bias = T1(&b, 'c', co, 1.0f);
        int t = T4(&b, 'a', 1, 2 * H, 2 * W, co, 0);
        struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, t, 3, x, f, bias);
        op->p.conv = (struct bd_conv_params){2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, BD_ACT_NONE};
        int v = unary_op(&b, BD_OP_LOGISTIC, t);
        gb_finish(&b, v);
        check_chain(co == 1 ? "chain tconv2x2s2 Co1+logistic" : "no chain: tconv2x2s2 Co3+logistic",
                    &b, co == 1 ? 1 : 2);
        gb_free(&b);
    }
}

/* The intrinsics twins against their plain C code (bd_ref_simd(0)) in
 * the same variant: the same bits, on odd widths (4-pixel blocks and a
 * tail), channel counts that leave pixel rows unaligned and a remainder
 * of 1 to 3 inputs, random data and each epilogue; and the naive kernel
 * within tolerance (check_chain / check_graph). */
static void twin_same(const char *nm, struct gb *b, int v)
{
    float *ptrs[MAXT], *got[2];
    const size_t n = b->t[v].count;
    for (int simd = 0; simd < 2; simd++) {
        struct bd_ref *r = NULL;
        bd_ref_simd(simd);
        gb_memory(b, ptrs);
        got[simd] = malloc(n * sizeof(float));
        if (bd_ref_create(&b->g, ptrs, &r) != 0 || bd_ref_run(r) != 0)
            memset(got[simd], 0xff, n * sizeof(float));
        else
            memcpy(got[simd], ptrs[v], n * sizeof(float));
        bd_ref_destroy(r);
    }
    bd_ref_simd(1);
    if (memcmp(got[0], got[1], n * sizeof(float)) == 0) {
        n_pass++;
    } else {
        n_fail++;
        printf("FAIL [%s] %s: intrinsics and plain C differ\n", cur_isa, nm);
    }
    free(got[0]);
    free(got[1]);
}

static void twin_tconv(int H, int W, int Ci, enum bd_act act, int with_add, int logistic)
{
    struct gb b;
    gb_init(&b);
    int x = T4(&b, 'i', 1, H, W, Ci, 2.0f);
    int f = T4(&b, 'c', 1, 2, 2, Ci, 1.0f), bias = T1(&b, 'c', 1, 1.0f);
    int v = T4(&b, 'a', 1, 2 * H, 2 * W, 1, 0);
    struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, v, 3, x, f, bias);
    op->p.conv = (struct bd_conv_params){2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, act};
    if (with_add)
        v = add_op(&b, v, T4(&b, 'i', 1, 2 * H, 2 * W, 1, 2.0f), BD_ACT_NONE);
    if (logistic)
        v = unary_op(&b, BD_OP_LOGISTIC, v);
    gb_finish(&b, v);
    char nm[128];
    snprintf(nm, sizeof nm, "twin tconv2x2s2 Co1 %dx%d Ci%d act%d%s%s", H, W, Ci, (int)act,
             with_add ? " +add" : "", logistic ? " +logistic" : "");
    twin_same(nm, &b, v);
    check_chain(nm, &b, 1);
    gb_free(&b);
}

/* The depthwise row kernels' twins (the WebAssembly build's simd128
 * twin; elsewhere the plain C in both runs): 3x3 and 5x5, strides 1 and
 * 2, widths that leave 4-pixel blocks a tail and an edge, 8-channel
 * blocks after 16 and 32 ones and a remainder, each epilogue, a residual
 * add. */
static void twin_dw(int H, int W, int C, int k, int s, enum bd_act act, int hswish, int with_add)
{
    struct gb b;
    gb_init(&b);
    const int pad = k / 2, OH = conv_out(H, k, s, 1, pad, pad), OW = conv_out(W, k, s, 1, pad, pad);
    int x = T4(&b, 'i', 1, H, W, C, 2.0f);
    int f = T4(&b, 'c', 1, k, k, C, 1.0f), bias = T1(&b, 'c', C, 1.0f);
    int v = T4(&b, 'a', 1, OH, OW, C, 0);
    struct bd_op *op = gb_op(&b, BD_OP_DWCONV2D, v, 3, x, f, bias);
    op->p.conv = (struct bd_conv_params){k, k, s, s, 1, 1, pad, pad, pad, pad, 0, 0, 1, act};
    if (hswish)
        v = unary_op(&b, BD_OP_HARD_SWISH, v);
    if (with_add)
        v = add_op(&b, v, T4(&b, 'i', 1, OH, OW, C, 2.0f), BD_ACT_NONE);
    gb_finish(&b, v);
    char nm[128];
    snprintf(nm, sizeof nm, "twin dw %dx%d s%d %dx%d C%d act%d%s%s", k, k, s, H, W, C, (int)act,
             hswish ? " +hswish" : "", with_add ? " +add" : "");
    twin_same(nm, &b, v);
    gb_free(&b);
}

static void test_simd_twins(void)
{
    twin_tconv(3, 11, 16, BD_ACT_NONE, 0, 1);
    twin_tconv(2, 9, 13, BD_ACT_RELU6, 0, 0);
    twin_tconv(4, 7, 5, BD_ACT_NONE, 1, 1);
    twin_tconv(1, 4, 3, BD_ACT_RELU, 1, 0);
    twin_tconv(2, 1, 18, BD_ACT_NONE, 0, 1);
    twin_tconv(5, 13, 31, BD_ACT_RELU_N1_TO_1, 1, 1);
    twin_dw(7, 13, 8, 3, 1, BD_ACT_NONE, 0, 0);
    twin_dw(6, 11, 24, 3, 1, BD_ACT_RELU6, 0, 1);
    twin_dw(9, 17, 72, 3, 2, BD_ACT_NONE, 1, 0);
    twin_dw(5, 9, 44, 5, 1, BD_ACT_RELU, 1, 1);
    twin_dw(10, 21, 120, 5, 2, BD_ACT_NONE, 0, 0);
    twin_dw(3, 13, 13, 3, 1, BD_ACT_RELU_N1_TO_1, 0, 1);
}

static void test_chains(void)
{
    struct gb b;
    int x, y, v;

    gb_init(&b); /* conv -> add */
    x = T4(&b, 'i', 1, 6, 37, 8, 1.0f);
    y = T4(&b, 'i', 1, 6, 37, 24, 1.0f);
    v = conv_op(&b, x, 6, 37, 8, 24, 1, 1, BD_ACT_NONE);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain conv1x1+add", &b, 1);
    gb_free(&b);

    gb_init(&b); /* conv3x3 -> hswish -> add(relu6) -> relu */
    x = T4(&b, 'i', 1, 7, 33, 3, 1.0f);
    y = T4(&b, 'i', 1, 7, 33, 17, 4.0f);
    v = conv_op(&b, x, 7, 33, 3, 17, 3, 1, BD_ACT_NONE);
    v = unary_op(&b, BD_OP_HARD_SWISH, v);
    v = add_op(&b, y, v, BD_ACT_RELU6);
    v = unary_op(&b, BD_OP_RELU, v);
    gb_finish(&b, v);
    check_chain("chain conv3x3+hswish+add(relu6)+relu", &b, 1);
    gb_free(&b);

    gb_init(&b); /* dw -> relu -> add, wide (row kernels) and narrow */
    x = T4(&b, 'i', 1, 5, 41, 88, 1.0f);
    y = T4(&b, 'i', 1, 5, 41, 88, 1.0f);
    v = dw_op(&b, x, 5, 41, 88, BD_ACT_NONE);
    v = unary_op(&b, BD_OP_RELU, v);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain dw C88+relu+add", &b, 1);
    gb_free(&b);

    gb_init(&b);
    x = T4(&b, 'i', 1, 4, 5, 13, 1.0f);
    y = T4(&b, 'i', 1, 4, 5, 13, 1.0f);
    v = dw_op(&b, x, 4, 5, 13, BD_ACT_RELU6);
    v = add_op(&b, v, y, BD_ACT_RELU);
    gb_finish(&b, v);
    check_chain("chain dw C13(relu6)+add(relu)", &b, 1);
    gb_free(&b);

    gb_init(&b); /* SE-style: mul(x, s broadcast) -> add(y) */
    x = T4(&b, 'i', 1, 9, 11, 16, 2.0f);
    int se = T4(&b, 'c', 1, 1, 1, 16, 1.0f);
    y = T4(&b, 'i', 1, 9, 11, 16, 2.0f);
    v = T4(&b, 'a', 1, 9, 11, 16, 0);
    gb_op(&b, BD_OP_MUL, v, 2, x, se);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain mul(bcast)+add", &b, 1);
    gb_free(&b);

    gb_init(&b); /* same-shape add -> add: the second is fused into the first */
    x = T4(&b, 'i', 1, 50, 50, 5, 1.0f);
    y = T4(&b, 'i', 1, 50, 50, 5, 1.0f);
    int z = T4(&b, 'i', 1, 50, 50, 5, 1.0f);
    v = add_op(&b, x, y, BD_ACT_RELU);
    v = add_op(&b, v, z, BD_ACT_RELU_N1_TO_1);
    gb_finish(&b, v);
    check_chain("chain add(relu)+add(relu_n1)", &b, 1);
    gb_free(&b);

    gb_init(&b); /* tconv 2x2 s2 -> add */
    x = T4(&b, 'i', 1, 5, 7, 6, 1.0f);
    y = T4(&b, 'i', 1, 10, 14, 3, 1.0f);
    {
        int f = T4(&b, 'c', 3, 2, 2, 6, 1.0f), bias = T1(&b, 'c', 3, 1.0f);
        v = T4(&b, 'a', 1, 10, 14, 3, 0);
        struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, v, 3, x, f, bias);
        op->p.conv = (struct bd_conv_params){2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, BD_ACT_NONE};
    }
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain tconv2x2+add", &b, 1);
    gb_free(&b);

    gb_init(&b); /* tconv 3x3 s2 (general path) -> relu -> add */
    x = T4(&b, 'i', 1, 5, 7, 6, 1.0f);
    y = T4(&b, 'i', 1, 9, 13, 5, 1.0f);
    {
        int f = T4(&b, 'c', 5, 3, 3, 6, 1.0f), bias = T1(&b, 'c', 5, 1.0f);
        v = T4(&b, 'a', 1, 9, 13, 5, 0);
        struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, v, 3, x, f, bias);
        op->p.conv = (struct bd_conv_params){3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, BD_ACT_NONE};
    }
    v = unary_op(&b, BD_OP_RELU, v);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain tconv3x3+relu+add", &b, 1);
    gb_free(&b);

    gb_init(&b); /* avgpool -> add; concat -> relu6 -> add */
    x = T4(&b, 'i', 1, 8, 10, 17, 2.0f);
    y = T4(&b, 'i', 1, 4, 5, 17, 2.0f);
    {
        v = T4(&b, 'a', 1, 4, 5, 17, 0);
        struct bd_op *op = gb_op(&b, BD_OP_AVG_POOL, v, 1, x);
        op->p.pool = (struct bd_pool_params){2, 2, 2, 2, 0, 0, 0, 0, BD_ACT_NONE};
    }
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain avgpool+add", &b, 1);
    gb_free(&b);

    gb_init(&b);
    x = T4(&b, 'i', 1, 3, 4, 5, 4.0f);
    y = T4(&b, 'i', 1, 3, 4, 2, 4.0f);
    z = T4(&b, 'i', 1, 3, 4, 7, 4.0f);
    {
        v = T4(&b, 'a', 1, 3, 4, 7, 0);
        struct bd_op *op = gb_op(&b, BD_OP_CONCAT, v, 2, x, y);
        op->p.concat.axis = 3;
    }
    v = unary_op(&b, BD_OP_RELU6, v);
    v = add_op(&b, z, v, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("chain concat+relu6+add", &b, 1);
    gb_free(&b);

    /* not fused: broadcast addend; add of the value with itself; hswish
     * after an add; relu after hswish */
    gb_init(&b);
    x = T4(&b, 'i', 1, 6, 7, 16, 1.0f);
    y = T4(&b, 'c', 1, 1, 1, 16, 1.0f);
    v = conv_op(&b, x, 6, 7, 16, 16, 1, 1, BD_ACT_NONE);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("no chain: broadcast addend", &b, 2);
    gb_free(&b);

    gb_init(&b);
    x = T4(&b, 'i', 1, 6, 7, 16, 1.0f);
    v = conv_op(&b, x, 6, 7, 16, 16, 1, 1, BD_ACT_NONE);
    v = add_op(&b, v, v, BD_ACT_NONE);
    gb_finish(&b, v);
    check_chain("no chain: x + x", &b, 2);
    gb_free(&b);

    gb_init(&b);
    x = T4(&b, 'i', 1, 6, 7, 16, 1.0f);
    y = T4(&b, 'i', 1, 6, 7, 16, 4.0f);
    v = conv_op(&b, x, 6, 7, 16, 16, 1, 1, BD_ACT_NONE);
    v = add_op(&b, v, y, BD_ACT_NONE);
    v = unary_op(&b, BD_OP_HARD_SWISH, v);
    gb_finish(&b, v);
    check_chain("chain stops: hswish after add", &b, 2);
    gb_free(&b);

    gb_init(&b);
    x = T4(&b, 'i', 1, 6, 7, 16, 1.0f);
    v = conv_op(&b, x, 6, 7, 16, 16, 1, 1, BD_ACT_NONE);
    v = unary_op(&b, BD_OP_HARD_SWISH, v);
    v = unary_op(&b, BD_OP_RELU, v);
    gb_finish(&b, v);
    check_chain("chain stops: relu after hswish", &b, 2);
    gb_free(&b);

    /* the add's output shares the conv input's memory (the engine's planner
     * may do that: the conv input is dead after the conv) */
    gb_init(&b);
    x = T4(&b, 'i', 1, 6, 37, 16, 1.0f);
    y = T4(&b, 'i', 1, 6, 37, 16, 1.0f);
    v = conv_op(&b, x, 6, 37, 16, 16, 1, 1, BD_ACT_NONE);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    {
        float *ptrs[MAXT];
        gb_memory(&b, ptrs);
        b.alias[v] = ptrs[x];
        b.clobbers_input = 1;
    }
    check_chain("no chain: add output aliases conv input", &b, 2);
    gb_free(&b);

    /* ... but an elementwise producer may work in place */
    static const int inner_c[2] = {16, 1};
    for (int q = 0; q < 2; q++) {
        const int C = inner_c[q];
        char nm[96];
        gb_init(&b);
        x = T4(&b, 'i', 1, 9, 11, C, 2.0f);
        int s2 = T4(&b, 'c', 1, 1, 1, C, 1.0f);
        y = T4(&b, 'i', 1, 9, 11, C, 2.0f);
        v = T4(&b, 'a', 1, 9, 11, C, 0);
        gb_op(&b, BD_OP_MUL, v, 2, s2, x);
        v = add_op(&b, v, y, BD_ACT_RELU);
        gb_finish(&b, v);
        {
            float *ptrs[MAXT];
            gb_memory(&b, ptrs);
            b.alias[v] = ptrs[x];
            b.clobbers_input = 1;
        }
        snprintf(nm, sizeof nm, "chain in place: mul(bcast, x)+add, out = x, C%d", C);
        check_chain(nm, &b, 1);
        gb_free(&b);
    }
    gb_init(&b);
    x = T4(&b, 'i', 1, 30, 30, 7, 1.0f);
    y = T4(&b, 'i', 1, 30, 30, 7, 1.0f);
    z = T4(&b, 'i', 1, 30, 30, 7, 1.0f);
    v = T4(&b, 'a', 1, 30, 30, 7, 0);
    gb_op(&b, BD_OP_SUB, v, 2, x, y);
    v = add_op(&b, v, z, BD_ACT_NONE);
    gb_finish(&b, v);
    {
        float *ptrs[MAXT];
        gb_memory(&b, ptrs);
        b.alias[v] = ptrs[y];
        b.clobbers_input = 1;
    }
    check_chain("chain in place: sub(x, y)+add, out = y", &b, 1);
    gb_free(&b);

    gb_init(&b);
    x = T4(&b, 'i', 1, 30, 30, 7, 1.0f);
    y = T4(&b, 'i', 1, 30, 30, 7, 1.0f);
    v = T4(&b, 'a', 1, 30, 30, 7, 0);
    gb_op(&b, BD_OP_MUL, v, 2, x, x);
    v = add_op(&b, v, y, BD_ACT_NONE);
    gb_finish(&b, v);
    {
        float *ptrs[MAXT];
        gb_memory(&b, ptrs);
        b.alias[v] = ptrs[x];
        b.clobbers_input = 1;
    }
    check_chain("no chain: mul(x, x)+add, out = x", &b, 2);
    gb_free(&b);
}

/* ------------------------------------------------------------------------ */

static struct convp CP(int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pb,
                       int pl, int pr, enum bd_act act)
{
    struct convp p = {kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, 0, 0, 1, act};
    return p;
}

/* ------------------------------------------------------------------------ */
/* Mirror cases: TFLite's rounding, bit for bit                              */

/* Float arithmetic in the order XNNPACK's WebAssembly kernels use (these
 * functions are compiled like the rest of this file: ISO C, no FMA
 * contraction). Convolutions start from the bias and add tap by tap (ky,
 * kx), channel by channel; with fewer than 8 output channels (the 4x2c4
 * kernels) each output is 4 partial sums s_j over the channels c with
 * c % 4 == j (s_0 starting at the bias), combined as (s0 + s2) + (s1 + s3).
 * Depthwise convolutions add the taps column by column (kx outer). */
static float mirror_dot(int c4, float bias, int ntaps, const float *const *x,
                        const float *const *w, int n)
{
    if (!c4) {
        float acc = bias;
        for (int t = 0; t < ntaps; t++)
            for (int c = 0; c < n; c++)
                acc += x[t][c] * w[t][c];
        return acc;
    }
    float s[4] = {bias, 0.0f, 0.0f, 0.0f};
    for (int t = 0; t < ntaps; t++)
        for (int c = 0; c < n; c++)
            s[c % 4] += x[t][c] * w[t][c];
    return (s[0] + s[2]) + (s[1] + s[3]);
}

static void mirror_conv(const char *name, int H, int W, int Ci, int Co, struct convp p)
{
    struct gb b;
    gb_init(&b);
    const int OH = conv_out(H, p.kh, p.sh, p.dh, p.pt, p.pb);
    const int OW = conv_out(W, p.kw, p.sw, p.dw, p.pl, p.pr);
    int in = T4(&b, 'i', 1, H, W, Ci, 4.0f);
    int f = T4(&b, 'c', Co, p.kh, p.kw, Ci, 1.0f);
    int bias = T1(&b, 'c', Co, 1.0f);
    int out = T4(&b, 'a', 1, OH, OW, Co, 0);
    struct bd_op *op = gb_op(&b, BD_OP_CONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.pt,
                                         p.pb, p.pl, p.pr, 0, 0, 1, p.act};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    const float *x[64], *wt[64];
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int co = 0; co < Co; co++) {
                int nt = 0;
                for (int ky = 0; ky < p.kh; ky++)
                    for (int kx = 0; kx < p.kw; kx++) {
                        int iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue; /* XNNPACK adds 0 * w there */
                        x[nt] = b.data[in] + ((size_t)iy * W + ix) * Ci;
                        wt[nt++] = b.data[f] + (((size_t)co * p.kh + ky) * p.kw + kx) * Ci;
                    }
                want[((size_t)oy * OW + ox) * Co + co] =
                    act_f(p.act, mirror_dot(Co < 8, b.data[bias][co], nt, x, wt, Ci));
            }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

/* TRANSPOSE_CONV with stride == kernel and no padding (each output is one
 * tap: one dot product over the input channels). */
static void mirror_tconv(const char *name, int H, int W, int Ci, int Co, int kh, int kw)
{
    struct gb b;
    gb_init(&b);
    const int OH = H * kh, OW = W * kw;
    int in = T4(&b, 'i', 1, H, W, Ci, 4.0f);
    int f = T4(&b, 'c', Co, kh, kw, Ci, 1.0f);
    int bias = T1(&b, 'c', Co, 1.0f);
    int out = T4(&b, 'a', 1, OH, OW, Co, 0);
    struct bd_op *op = gb_op(&b, BD_OP_TRANSPOSE_CONV, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){kh, kw, kh, kw, 1, 1, 0, 0, 0, 0, 0, 0, 1,
                                         BD_ACT_NONE};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    for (int y = 0; y < H; y++)
        for (int xx = 0; xx < W; xx++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                    for (int co = 0; co < Co; co++) {
                        const float *x = b.data[in] + ((size_t)y * W + xx) * Ci;
                        const float *wt = b.data[f] + (((size_t)co * kh + ky) * kw + kx) * Ci;
                        want[(((size_t)y * kh + ky) * OW + (size_t)xx * kw + kx) * Co + co] =
                            mirror_dot(Co < 8, b.data[bias][co], 1, &x, &wt, Ci);
                    }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

static void mirror_dw(const char *name, int H, int W, int C, struct convp p)
{
    struct gb b;
    gb_init(&b);
    const int OH = conv_out(H, p.kh, p.sh, p.dh, p.pt, p.pb);
    const int OW = conv_out(W, p.kw, p.sw, p.dw, p.pl, p.pr);
    int in = T4(&b, 'i', 1, H, W, C, 4.0f);
    int f = T4(&b, 'c', 1, p.kh, p.kw, C, 1.0f);
    int bias = T1(&b, 'c', C, 1.0f);
    int out = T4(&b, 'a', 1, OH, OW, C, 0);
    struct bd_op *op = gb_op(&b, BD_OP_DWCONV2D, out, 3, in, f, bias);
    op->p.conv = (struct bd_conv_params){p.kh, p.kw, p.sh, p.sw, p.dh, p.dw, p.pt,
                                         p.pb, p.pl, p.pr, 0, 0, 1, p.act};
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int c = 0; c < C; c++) {
                float acc = b.data[bias][c];
                for (int kx = 0; kx < p.kw; kx++)
                    for (int ky = 0; ky < p.kh; ky++) {
                        int iy = oy * p.sh - p.pt + ky * p.dh, ix = ox * p.sw - p.pl + kx * p.dw;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                            acc += b.data[in][((size_t)iy * W + ix) * C + c] *
                                   b.data[f][((size_t)ky * p.kw + kx) * C + c];
                    }
                want[((size_t)oy * OW + ox) * C + c] = act_f(p.act, acc);
            }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

/* MEAN over H, W and global AVG_POOL: XNNPACK's global average pooling adds
 * the first 7 pixels as ((x0 + x1) + x6) + ((x2 + x3) + (x4 + x5)), every
 * later 7 (missing ones are 0) as ((x0 + x1) + (x2 + x3)) + ((x4 + x5) +
 * (x6 + acc)), and multiplies by 1/n rounded to float. */
static void mirror_mean(const char *name, enum bd_op_type type, int H, int W, int C)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', 1, H, W, C, 4.0f);
    int out = T4(&b, 'a', 1, 1, 1, C, 0);
    struct bd_op *op = gb_op(&b, type, out, 1, in);
    if (type == BD_OP_AVG_POOL)
        op->p.pool = (struct bd_pool_params){H, W, 1, 1, 0, 0, 0, 0, BD_ACT_NONE};
    gb_finish(&b, out);
    float *want = malloc((size_t)C * sizeof(float));
    const size_t n = (size_t)H * W;
    for (int c = 0; c < C; c++) {
        float acc = 0.0f;
        for (size_t q = 0; q < n; q += 7) {
            float v[7];
            for (int k = 0; k < 7; k++)
                v[k] = q + k < n ? b.data[in][(q + k) * C + c] : 0.0f;
            if (q == 0)
                acc = ((v[0] + v[1]) + v[6]) + ((v[2] + v[3]) + (v[4] + v[5]));
            else
                acc = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + acc));
        }
        want[c] = acc * (1.0f / (float)n);
    }
    check_graph(name, &b, want);
    free(want);
    gb_free(&b);
}

/* HARD_SWISH as (x * (1/6)) * relu6(x + 3). */
static void mirror_hswish(void)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', 1, 7, 9, 17, 8.0f);
    int out = T4(&b, 'a', 1, 7, 9, 17, 0);
    gb_op(&b, BD_OP_HARD_SWISH, out, 1, in);
    gb_finish(&b, out);
    const size_t n = b.t[out].count;
    float *want = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        const float x = b.data[in][i];
        float t = x + 3.0f;
        t = t < 0.0f ? 0.0f : t > 6.0f ? 6.0f : t;
        want[i] = (x * (1.0f / 6.0f)) * t;
    }
    check_graph("mirror hard_swish", &b, want);
    free(want);
    gb_free(&b);
}

/* RESIZE_BILINEAR (half-pixel 2x, the selfie/Meet decoders): rows
 * interpolated along x first, t = tl + (tr - tl) * ax, likewise b, then
 * t + (b - t) * ay. */
static void mirror_resize(int H, int W, int C)
{
    struct gb b;
    gb_init(&b);
    const int OH = 2 * H, OW = 2 * W;
    int in = T4(&b, 'i', 1, H, W, C, 4.0f);
    int out = T4(&b, 'a', 1, OH, OW, C, 0);
    struct bd_op *op = gb_op(&b, BD_OP_RESIZE_BILINEAR, out, 1, in);
    op->p.resize.half_pixel_centers = 1;
    gb_finish(&b, out);
    float *want = malloc(b.t[out].count * sizeof(float));
    const float *x = b.data[in];
    for (int oy = 0; oy < OH; oy++) {
        float fy = ((float)oy + 0.5f) * 0.5f - 0.5f;
        fy = fy < 0.0f ? 0.0f : fy;
        const int y0 = (int)fy, y1 = y0 + 1 < H ? y0 + 1 : H - 1;
        const float ay = fy - (float)y0;
        for (int ox = 0; ox < OW; ox++) {
            float fx = ((float)ox + 0.5f) * 0.5f - 0.5f;
            fx = fx < 0.0f ? 0.0f : fx;
            const int x0 = (int)fx, x1 = x0 + 1 < W ? x0 + 1 : W - 1;
            const float ax = fx - (float)x0;
            for (int c = 0; c < C; c++) {
#define IN(yy, xq) x[((size_t)(yy) * W + (xq)) * C + c]
                const float t = IN(y0, x0) + (IN(y0, x1) - IN(y0, x0)) * ax;
                const float bo = IN(y1, x0) + (IN(y1, x1) - IN(y1, x0)) * ax;
#undef IN
                want[((size_t)oy * OW + ox) * C + c] = t + (bo - t) * ay;
            }
        }
    }
    check_graph("mirror resize half_pixel 2x", &b, want);
    free(want);
    gb_free(&b);
}

/* LOGISTIC is XNNPACK's polynomial, not libm: check it against double over
 * the whole useful range, including the cutoffs and signed zeros. */
static void test_logistic_range(void)
{
    struct gb b;
    gb_init(&b);
    int in = T4(&b, 'i', 1, 1, 1, 4001, 1.0f);
    int out = T4(&b, 'a', 1, 1, 1, 4001, 0);
    gb_op(&b, BD_OP_LOGISTIC, out, 1, in);
    gb_finish(&b, out);
    float *x = b.data[in];
    for (int i = 0; i < 4001; i++)
        x[i] = (float)(i - 2000) * 0.05f; /* -100 .. 100 */
    x[0] = -0.0f;
    x[1] = 87.33f;
    x[2] = -87.33f;
    x[3] = 1e-8f;
    x[4] = -1e-8f;
    x[5] = 1e30f;
    x[6] = -1e30f;
    float *ptrs[MAXT];
    struct bd_ref *r = NULL;
    gb_memory(&b, ptrs);
    if (bd_ref_create(&b.g, ptrs, &r) != 0 || bd_ref_run(r) != 0) {
        n_fail++;
        printf("FAIL [%s] logistic range: %s\n", cur_isa, bd_last_error());
        bd_ref_destroy(r);
        gb_free(&b);
        return;
    }
    double worst_abs = 0, worst_rel = 0;
    const double tiny = bd_ref_isa_fma(cur_isa) ? 1e-34 : 1e-37;
    for (int i = 0; i < 4001; i++) {
        const double want = 1.0 / (1.0 + exp(-(double)x[i]));
        const double got = ptrs[out][i];
        const double d = fabs(got - want);
        worst_abs = d > worst_abs || isnan(d) ? d : worst_abs;
        if (want > tiny && d / want > worst_rel)
            worst_rel = d / want;
    }
    /* a few float ulps; relative bound for the tiny values of large -x
     * (the FMA variants flush denormal intermediates, see test_denormals:
     * below 1e-34 they are only within 2e-7 absolutely) */
    if (worst_abs <= 2e-7 && worst_rel <= 1e-6 && ptrs[out][0] == 0.5f) {
        n_pass++;
    } else {
        n_fail++;
        printf("FAIL [%s] logistic range: max abs err %.3g, max rel err %.3g, f(-0) %.9g\n",
               cur_isa, worst_abs, worst_rel, (double)ptrs[out][0]);
    }
    bd_ref_destroy(r);
    gb_free(&b);
}

static struct convp CP(int kh, int kw, int sh, int sw, int dh, int dw, int pt, int pb,
                       int pl, int pr, enum bd_act act);

/* The FMA variants run with denormals flushed (ref.c's ref_fpu_enter), the
 * baseline keeps them like TFLite-WASM; either way the caller's MXCSR
 * (flush bits set or not) is what it finds after bd_ref_run and
 * bd_ref_run_op. A MUL of 1e-20 by 3e-20 gives 3e-40, a denormal. */
static void test_denormals(void)
{
#if defined(__x86_64__)
    struct gb b;
    gb_init(&b);
    int x = T4(&b, 'i', 1, 1, 3, 5, 1.0f);
    int y = T4(&b, 'i', 1, 1, 3, 5, 1.0f);
    int out = T4(&b, 'a', 1, 1, 3, 5, 0);
    gb_op(&b, BD_OP_MUL, out, 2, x, y);
    gb_finish(&b, out);
    for (int i = 0; i < 15; i++) {
        b.data[x][i] = 1e-20f;
        b.data[y][i] = i == 7 ? 1.0f : 3e-20f; /* one normal product */
    }
    const int fma = bd_ref_isa_fma(cur_isa);
    for (int caller_ftz = 0; caller_ftz < 2; caller_ftz++) {
        float *ptrs[MAXT];
        struct bd_ref *r = NULL;
        gb_memory(&b, ptrs);
        if (bd_ref_create(&b.g, ptrs, &r) != 0) {
            n_fail++;
            printf("FAIL [%s] denormals: create: %s\n", cur_isa, bd_last_error());
            break;
        }
        const unsigned saved = _mm_getcsr();
        const unsigned mine = caller_ftz ? (saved | 0x8040u) : (saved & ~0x8040u);
        _mm_setcsr(mine);
        const int st = bd_ref_run(r);
        const unsigned after_run = _mm_getcsr();
        _mm_setcsr(mine);
        const int st2 = bd_ref_run_op(r, 0);
        const unsigned after_op = _mm_getcsr();
        _mm_setcsr(saved);
        int ok = st == 0 && st2 == 0 && after_run == mine && after_op == mine;
        /* flushed: exactly 0 in the FMA variants; kept: the denormal in
         * the baseline unless the caller itself flushes */
        const float want = fma || caller_ftz ? 0.0f : 1e-20f * 3e-20f;
        for (int i = 0; i < 15 && ok; i++)
            if (i != 7 && ptrs[out][i] != want)
                ok = 0;
        if (ptrs[out][7] != 1e-20f)
            ok = 0;
        if (ok) {
            n_pass++;
        } else {
            n_fail++;
            printf("FAIL [%s] denormals (caller ftz %d): status %d/%d, MXCSR %#x -> %#x/%#x, "
                   "got %.9g want %.9g\n",
                   cur_isa, caller_ftz, st, st2, mine, after_run, after_op,
                   (double)ptrs[out][0], (double)want);
        }
        bd_ref_destroy(r);
    }
    gb_free(&b);
#endif
}

static void run_mirror(void)
{
    /* the FMA variants skip roundings the mirror makes: they are held to
     * the naive kernels' tolerance instead */
    exact_mode = !bd_ref_isa_fma(cur_isa);
    /* Co >= 8: sequential; Co < 8: c4 (Ci multiple of 4 or not) */
    mirror_conv("mirror conv 3x3 s2 Ci3 Co16", 9, 12, 3, 16,
                CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_NONE));
    mirror_conv("mirror conv 1x1 Ci24 Co40 relu6", 5, 21, 24, 40,
                CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_RELU6));
    mirror_conv("mirror conv 1x1 Ci16 Co1", 5, 7, 16, 1, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE));
    mirror_conv("mirror conv 1x1 Ci18 Co2", 5, 7, 18, 2, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE));
    mirror_conv("mirror conv 3x3 s1 Ci7 Co5 relu", 6, 9, 7, 5,
                CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_RELU));
    mirror_conv("mirror conv 3x3 s2 dil Ci9 Co7", 9, 11, 9, 7,
                CP(3, 3, 2, 2, 2, 1, 2, 1, 1, 2, BD_ACT_NONE));
    mirror_tconv("mirror tconv 2x2 s2 Ci16 Co1", 6, 9, 16, 1, 2, 2);
    mirror_tconv("mirror tconv 2x2 s2 Ci16 Co2", 6, 9, 16, 2, 2, 2);
    mirror_tconv("mirror tconv 2x2 s2 Ci13 Co5", 5, 7, 13, 5, 2, 2);
    mirror_tconv("mirror tconv 3x2 s(3,2) Ci6 Co3", 4, 5, 6, 3, 3, 2);
    mirror_tconv("mirror tconv 2x2 s2 Ci16 Co8", 5, 7, 16, 8, 2, 2);
    mirror_tconv("mirror tconv 2x2 s2 Ci9 Co24", 4, 6, 9, 24, 2, 2);
    mirror_dw("mirror dw 3x3 s1 C16", 6, 37, 16, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE));
    mirror_dw("mirror dw 3x3 s2 C72", 7, 33, 72, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_RELU));
    mirror_dw("mirror dw 5x5 s1 C88", 7, 25, 88, CP(5, 5, 1, 1, 1, 1, 2, 2, 2, 2, BD_ACT_NONE));
    mirror_dw("mirror dw 5x5 s2 C96", 9, 23, 96, CP(5, 5, 2, 2, 1, 1, 1, 2, 1, 2, BD_ACT_NONE));
    mirror_dw("mirror dw 3x3 dil2 C13", 7, 30, 13, CP(3, 3, 1, 1, 2, 2, 2, 2, 2, 2, BD_ACT_NONE));
    static const int npx[][2] = {{1, 1}, {1, 5}, {1, 7}, {2, 4}, {3, 5}, {5, 3}, {9, 16}, {36, 64}};
    for (size_t k = 0; k < sizeof npx / sizeof npx[0]; k++) {
        char nm[96];
        snprintf(nm, sizeof nm, "mirror mean %dx%d C24", npx[k][0], npx[k][1]);
        mirror_mean(nm, BD_OP_MEAN, npx[k][0], npx[k][1], 24);
        snprintf(nm, sizeof nm, "mirror global avgpool %dx%d C19", npx[k][0], npx[k][1]);
        mirror_mean(nm, BD_OP_AVG_POOL, npx[k][0], npx[k][1], 19);
    }
    mirror_hswish();
    mirror_resize(9, 16, 24);
    mirror_resize(5, 7, 3);
    exact_mode = 0;
    test_logistic_range();
}

static void run_all(void)
{
    run_mirror();

    /* CONV2D */
    test_conv("conv 1x1 gemm Ci5 Co17", 1, 7, 9, 5, 17, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 1);
    test_conv("conv 1x1 gemm Ci16 Co3 relu6", 1, 7, 9, 16, 3, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_RELU6), 1);
    test_conv("conv 1x1 gemm Ci17 Co88", 1, 7, 9, 17, 88, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_RELU), 1);
    test_conv("conv 1x1 gemm Ci24 Co30 nobias", 1, 5, 5, 24, 30, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 0);
    test_conv("conv 1x1 gemm Co1", 1, 7, 9, 16, 1, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 1);
    test_conv("conv 1x1 on 1x1 (SE fc)", 1, 1, 1, 96, 24, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_RELU), 1);
    test_conv("conv 1x1 s2", 1, 7, 9, 5, 16, CP(1, 1, 2, 2, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 1);
    test_conv("conv 3x3 s1 same Ci3 Co16", 1, 7, 9, 3, 16, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);
    test_conv("conv 3x3 s2 same-asym Ci3 Co16", 1, 8, 10, 3, 16, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_NONE), 1);
    test_conv("conv 3x3 s2 same odd Ci5 Co17", 1, 7, 9, 5, 17, CP(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, BD_ACT_RELU), 1);
    test_conv("conv 3x3 dil2 Co40", 1, 7, 9, 3, 40, CP(3, 3, 1, 1, 2, 2, 2, 2, 2, 2, BD_ACT_RELU), 1);
    test_conv("conv 5x5 s2 Co72 nobias", 1, 9, 7, 5, 72, CP(5, 5, 2, 2, 1, 1, 1, 2, 1, 2, BD_ACT_NONE), 0);
    test_conv("conv 2x3 s(2,1) valid Co8", 1, 7, 9, 4, 8, CP(2, 3, 2, 1, 1, 1, 0, 0, 0, 0, BD_ACT_RELU_N1_TO_1), 1);
    test_conv("conv 3x3 batch2 Co24", 2, 7, 9, 5, 24, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);
    test_conv("conv 1x1 batch2 gemm", 2, 3, 5, 7, 33, CP(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 1);
    test_conv("conv 3x3 big pads", 1, 4, 5, 3, 9, CP(3, 3, 1, 1, 1, 1, 3, 2, 2, 3, BD_ACT_NONE), 1);
    test_conv("conv wide 3x3 s1 Ci3 Co16", 1, 5, 37, 3, 16, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);
    test_conv("conv wide 3x3 s2 Ci3 Co16", 1, 6, 70, 3, 16, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_RELU6), 1);
    test_conv("conv wide 3x3 dil2 Ci5 Co24", 1, 7, 41, 5, 24, CP(3, 3, 1, 1, 2, 2, 2, 2, 2, 2, BD_ACT_NONE), 1);
    test_conv("conv wide 1x1 s2 Ci8 Co8", 1, 6, 50, 8, 8, CP(1, 1, 2, 2, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 1);
    test_conv("conv 3x3 s2 Ci32 Co64 (gemm-heavy)", 1, 16, 16, 32, 64, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_RELU6), 1);

    /* DWCONV2D */
    struct convp p;
    test_dw("dw 3x3 s1 same C17", 1, 7, 9, 17, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);
    test_dw("dw 3x3 s1 same C72 relu", 1, 7, 9, 72, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_RELU), 1);
    test_dw("dw 3x3 s2 asym C16", 1, 8, 10, 16, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_NONE), 1);
    test_dw("dw 3x3 s2 odd C5 nobias", 1, 7, 9, 5, CP(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, BD_ACT_RELU6), 0);
    test_dw("dw 5x5 s2 C96", 1, 9, 7, 96, CP(5, 5, 2, 2, 1, 1, 1, 2, 1, 2, BD_ACT_NONE), 1);
    test_dw("dw 5x5 s1 C88", 1, 7, 9, 88, CP(5, 5, 1, 1, 1, 1, 2, 2, 2, 2, BD_ACT_NONE), 1);
    test_dw("dw 3x3 dil2 C24", 1, 7, 9, 24, CP(3, 3, 1, 1, 2, 2, 2, 2, 2, 2, BD_ACT_NONE), 1);
    p = CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE);
    p.mult = 2;
    test_dw("dw mult2 C3", 1, 7, 9, 3, p, 1);
    p = CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_RELU);
    p.mult = 4;
    test_dw("dw mult4 s2 C5", 1, 8, 10, 5, p, 1);
    test_dw("dw 3x3 batch2 C40", 2, 5, 6, 40, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);
    test_dw("dw 1x3 H1", 1, 1, 9, 16, CP(1, 3, 1, 1, 1, 1, 0, 0, 1, 1, BD_ACT_NONE), 1);
    /* wide rows: exercise the interior row kernels (blocks of pixels) */
    test_dw("dw wide 3x3 s1 C16", 1, 5, 37, 16, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_RELU), 1);
    test_dw("dw wide 3x3 s2 C16", 1, 6, 41, 16, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_NONE), 1);
    test_dw("dw wide 3x3 s1 C88", 1, 4, 29, 88, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_RELU6), 1);
    test_dw("dw wide 3x3 s2 C72", 1, 5, 33, 72, CP(3, 3, 2, 2, 1, 1, 0, 1, 0, 1, BD_ACT_NONE), 1);
    test_dw("dw wide 5x5 s1 C128", 1, 5, 21, 128, CP(5, 5, 1, 1, 1, 1, 2, 2, 2, 2, BD_ACT_NONE), 1);
    test_dw("dw wide 5x5 s2 C96", 1, 7, 35, 96, CP(5, 5, 2, 2, 1, 1, 1, 2, 1, 2, BD_ACT_NONE), 1);
    test_dw("dw wide 3x3 dil3 C24", 1, 9, 40, 24, CP(3, 3, 1, 1, 3, 3, 3, 3, 3, 3, BD_ACT_NONE), 1);
    test_dw("dw wide 3x3 s1 C8 valid", 1, 5, 30, 8, CP(3, 3, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE), 1);
    test_dw("dw wide 3x3 s1 C13", 1, 3, 30, 13, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);
    test_dw("dw wide 3x1 s(1,3) C40", 1, 6, 50, 40, CP(3, 1, 1, 3, 1, 1, 1, 1, 0, 0, BD_ACT_NONE), 1);
    test_dw("dw wide batch2 C16", 2, 4, 25, 16, CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE), 1);

    /* TRANSPOSE_CONV */
    p = CP(2, 2, 2, 2, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    test_tconv("tconv 2x2 s2 Ci16 Co1", 1, 7, 9, 16, 1, p, 1);
    p = CP(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, BD_ACT_RELU);
    p.adjh = p.adjw = 1;
    test_tconv("tconv 3x3 s2 pad1 adj1 Ci3 Co5", 1, 7, 9, 3, 5, p, 1);
    p = CP(4, 4, 2, 2, 1, 1, 1, 2, 1, 2, BD_ACT_NONE);
    test_tconv("tconv 4x4 s2 pad(1,2) Co17 nobias", 1, 5, 6, 8, 17, p, 0);
    p = CP(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_RELU6);
    test_tconv("tconv 3x3 s1 same Co33", 1, 5, 7, 6, 33, p, 1);
    p = CP(2, 2, 2, 2, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    test_tconv("tconv 2x2 s2 batch2 Co16", 2, 4, 3, 5, 16, p, 1);
    p = CP(3, 2, 3, 2, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    test_tconv("tconv 3x2 s(3,2) Co3", 1, 4, 5, 7, 3, p, 1);

    /* FULLY_CONNECTED */
    int d2[2] = {3, 20}, d3[3] = {2, 3, 10}, d4[4] = {1, 1, 1, 96};
    test_fc("fc [3,20] Co17", 2, d2, 17, BD_ACT_NONE, 1);
    test_fc("fc [2,3,10] Co33 relu", 3, d3, 33, BD_ACT_RELU, 1);
    test_fc("fc [1,1,1,96] Co24 nobias", 4, d4, 24, BD_ACT_RELU6, 0);

    /* ADD / SUB / MUL / PRELU */
    static const enum bd_op_type bins[3] = {BD_OP_ADD, BD_OP_SUB, BD_OP_MUL};
    static const char *const bnames[3] = {"add", "sub", "mul"};
    for (int k = 0; k < 3; k++) {
        char nm[96];
        int full[4] = {1, 7, 9, 17}, vec[4] = {1, 1, 1, 17}, col[4] = {1, 7, 9, 1};
        int c5[4] = {1, 1, 1, 5}, one[1] = {1}, c17[1] = {17};
        int a3[3] = {7, 1, 5}, b3[3] = {1, 9, 1}, h1[4] = {1, 7, 1, 17};
        snprintf(nm, sizeof nm, "%s same shape", bnames[k]);
        test_binary(nm, bins[k], 4, full, 4, full, BD_ACT_NONE, 0);
        snprintf(nm, sizeof nm, "%s [1,H,W,C] x [1,1,1,C] relu6", bnames[k]);
        test_binary(nm, bins[k], 4, full, 4, vec, BD_ACT_RELU6, 1);
        snprintf(nm, sizeof nm, "%s [1,1,1,C] x [1,H,W,C]", bnames[k]);
        test_binary(nm, bins[k], 4, vec, 4, full, BD_ACT_NONE, 0);
        snprintf(nm, sizeof nm, "%s [1,H,W,1] x [1,1,1,5]", bnames[k]);
        test_binary(nm, bins[k], 4, col, 4, c5, BD_ACT_RELU, 0);
        snprintf(nm, sizeof nm, "%s [7,1,5] x [1,9,1]", bnames[k]);
        test_binary(nm, bins[k], 3, a3, 3, b3, BD_ACT_NONE, 0);
        snprintf(nm, sizeof nm, "%s [1,H,W,C] x scalar", bnames[k]);
        test_binary(nm, bins[k], 4, full, 1, one, BD_ACT_NONE, 1);
        snprintf(nm, sizeof nm, "%s [1,H,W,C] x [C] (1-D)", bnames[k]);
        test_binary(nm, bins[k], 4, full, 1, c17, BD_ACT_RELU_N1_TO_1, 1);
        snprintf(nm, sizeof nm, "%s [1,H,W,C] x [1,H,1,C]", bnames[k]);
        test_binary(nm, bins[k], 4, full, 4, h1, BD_ACT_NONE, 0);
    }
    {
        int full[4] = {1, 7, 9, 17}, c17[1] = {17}, vec3[3] = {1, 1, 17};
        test_binary("prelu alpha [C]", BD_OP_PRELU, 4, full, 1, c17, BD_ACT_NONE, 1);
        test_binary("prelu alpha [1,1,C]", BD_OP_PRELU, 4, full, 3, vec3, BD_ACT_NONE, 1);
        test_binary("prelu alpha full", BD_OP_PRELU, 4, full, 4, full, BD_ACT_NONE, 1);
    }

    /* unary */
    test_unary("relu", BD_OP_RELU, 0);
    test_unary("relu6", BD_OP_RELU6, 0);
    test_unary("hard_swish", BD_OP_HARD_SWISH, 0);
    test_unary("logistic", BD_OP_LOGISTIC, 0);
    test_unary("tanh", BD_OP_TANH, 0);
    test_unary("leaky_relu 0.2", BD_OP_LEAKY_RELU, 0.2f);

    /* pooling */
    test_pool("avgpool 3x3 s2 asym C17", BD_OP_AVG_POOL, 1, 8, 10, 17, 3, 3, 2, 2, 0, 1, 0, 1, BD_ACT_NONE);
    test_pool("avgpool 3x3 s1 same C5 relu", BD_OP_AVG_POOL, 1, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, BD_ACT_RELU);
    test_pool("avgpool 2x2 s2 valid C16", BD_OP_AVG_POOL, 1, 7, 9, 16, 2, 2, 2, 2, 0, 0, 0, 0, BD_ACT_NONE);
    test_pool("avgpool global C24", BD_OP_AVG_POOL, 1, 7, 9, 24, 7, 9, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    test_pool("avgpool global C17 batch2", BD_OP_AVG_POOL, 2, 7, 9, 17, 7, 9, 1, 1, 0, 0, 0, 0, BD_ACT_RELU6);
    test_pool("maxpool 3x3 s2 pad1 C17", BD_OP_MAX_POOL, 1, 7, 9, 17, 3, 3, 2, 2, 1, 1, 1, 1, BD_ACT_NONE);
    test_pool("maxpool 2x2 s2 C3", BD_OP_MAX_POOL, 1, 8, 10, 3, 2, 2, 2, 2, 0, 0, 0, 0, BD_ACT_RELU);
    test_pool("maxpool global C16", BD_OP_MAX_POOL, 1, 5, 6, 16, 5, 6, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    test_mean("mean C17", 1, 7, 9, 17);
    test_mean("mean C3 batch2", 2, 7, 9, 3);
    test_mean("mean 128 px C16", 1, 16, 8, 16);

    /* RESIZE_BILINEAR, every mode */
    static const int modes[3][2] = {{0, 0}, {1, 0}, {0, 1}};
    static const char *const mnames[3] = {"legacy", "align_corners", "half_pixel"};
    static const int sizes[][4] = {{7, 9, 14, 18}, {7, 9, 16, 11}, {7, 9, 4, 5},
                                   {1, 1, 3, 3},   {5, 4, 5, 4},   {2, 3, 1, 1}};
    for (int m = 0; m < 3; m++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            char nm[96];
            snprintf(nm, sizeof nm, "resize %s %dx%d->%dx%d C17", mnames[m], sizes[s][0],
                     sizes[s][1], sizes[s][2], sizes[s][3]);
            test_resize(nm, 1, sizes[s][0], sizes[s][1], 17, sizes[s][2], sizes[s][3],
                        modes[m][0], modes[m][1]);
        }
    test_resize("resize half_pixel batch2 C3", 2, 4, 5, 3, 8, 10, 0, 1);

    /* CONCAT */
    {
        const int d[3][4] = {{1, 7, 9, 5}, {1, 7, 9, 3}, {1, 7, 9, 17}};
        test_concat("concat axis 3", 4, 3, 3, d, BD_ACT_NONE);
        const int e[2][4] = {{1, 3, 9, 5}, {1, 4, 9, 5}};
        test_concat("concat axis 1 relu", 4, 1, 2, e, BD_ACT_RELU);
        const int f[2][4] = {{2, 3, 4, 5}, {1, 3, 4, 5}};
        test_concat("concat axis 0", 4, 0, 2, f, BD_ACT_NONE);
        const int h[3][4] = {{3, 4}, {3, 1}, {3, 7}};
        test_concat("concat 2-D axis 1", 2, 1, 3, h, BD_ACT_RELU6);
        const int q[2][4] = {{1, 7, 2, 5}, {1, 7, 3, 5}};
        test_concat("concat axis 2", 4, 2, 2, q, BD_ACT_NONE);
    }

    /* SOFTMAX */
    {
        int a[2] = {3, 17}, b4[4] = {1, 7, 9, 5}, c[1] = {2}, seg[4] = {1, 6, 5, 2};
        test_softmax("softmax [3,17]", 2, a, 1.0f, 4.0f);
        test_softmax("softmax [1,7,9,5] beta .5", 4, b4, 0.5f, 4.0f);
        test_softmax("softmax [2]", 1, c, 2.0f, 4.0f);
        /* confident logits, as a two-class segmentation head gives: exp()
         * of them overflows a float (above ~88) unless the row's maximum
         * is subtracted first */
        test_softmax("softmax [1,6,5,2] logits to +-400", 4, seg, 1.0f, 400.0f);
    }

    /* PAD */
    {
        const int p1[4][2] = {{0, 0}, {1, 2}, {2, 1}, {0, 0}};
        test_pad("pad H,W", 1, 7, 9, 3, p1);
        const int p2[4][2] = {{0, 0}, {0, 0}, {0, 0}, {2, 3}};
        test_pad("pad C", 1, 7, 9, 5, p2);
        const int p3[4][2] = {{1, 0}, {0, 1}, {1, 0}, {1, 1}};
        test_pad("pad all dims", 1, 3, 4, 5, p3);
    }

    test_reshape();

    /* fusion */
    test_fused("fuse conv+relu", BD_OP_CONV2D, BD_OP_RELU, BD_ACT_NONE, 0, 0);
    test_fused("fuse conv(relu6)+hswish", BD_OP_CONV2D, BD_OP_HARD_SWISH, BD_ACT_RELU6, 0, 0);
    test_fused("fuse conv+hswish", BD_OP_CONV2D, BD_OP_HARD_SWISH, BD_ACT_NONE, 0, 0);
    test_fused("fuse dw+relu6", BD_OP_DWCONV2D, BD_OP_RELU6, BD_ACT_NONE, 0, 0);
    test_fused("fuse dw(relu_n1)+relu", BD_OP_DWCONV2D, BD_OP_RELU, BD_ACT_RELU_N1_TO_1, 0, 0);
    test_fused("fuse add+hswish", BD_OP_ADD, BD_OP_HARD_SWISH, BD_ACT_NONE, 0, 0);
    test_fused("no fuse: mid reused", BD_OP_CONV2D, BD_OP_RELU, BD_ACT_NONE, 1, 0);
    test_fused("no fuse: output aliases input", BD_OP_DWCONV2D, BD_OP_HARD_SWISH, BD_ACT_NONE, 0, 1);
    test_se_block();
    test_chains();
    test_bands();
    test_simd_twins();
    test_denormals();
}

int main(void)
{
    static const char *const isas[3] = {"avx512", "avx2", "base"};
    for (int i = 0; i < 3; i++) {
        if (bd_ref_force_isa(isas[i]) != 0) {
            printf("SKIP: %s kernels: this CPU lacks them\n", isas[i]);
            n_skip++;
            continue;
        }
        cur_isa = isas[i];
        int f0 = n_fail, p0 = n_pass;
        rng_state = 0x9E3779B97F4A7C15ull;
        graph_no = 0;
        run_all();
        first_variant[bd_ref_isa_fma(cur_isa)] = 0;
        printf("%s: %d passed, %d failed\n", isas[i], n_pass - p0, n_fail - f0);
    }
    bd_ref_force_isa(NULL);
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < n_saved[f]; k++)
            free(saved_out[f][k]);
    printf("%d passed, %d failed, %d skipped\n", n_pass, n_fail, n_skip);
    return n_fail ? 1 : 0;
}
