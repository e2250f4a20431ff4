/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The xnnpack backend against the ref backend on small hand-built graphs.
 *
 * Every case builds a struct bd_graph by hand (odd sizes, strides 1 and 2,
 * asymmetric SAME-style padding, dilation, depth multiplier 2, each resize
 * mode, broadcasting, random data), runs it through ref with private
 * buffers and through xnnpack twice: once with private buffers and once
 * with the activations packed into a shared arena by a greedy planner that
 * aliases every pair of tensors whose lifetimes do not overlap (the engine's
 * rule), which is what the fusion-hazard handling in xnnpack.c is for.
 * Outputs must agree within 1e-4 absolute, twice in a row.
 *
 * Last line: "N passed, M failed"; exit status 1 when M > 0.
 */
#include "backdrop.h"
#include "model/backend.h"
#include "model/graph.h"
#include "common/error.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(BD_HAVE_XNNPACK) && defined(__has_include)
#if __has_include(<xnnpack.h>)
#define BD_HAVE_XNNPACK 1
#endif
#endif

#define TOL 1e-4f
#define MAXT 48
#define MAXO 24
#define MAXIN 4

static int passed, failed;

/* ------------------------------------------------------------------------ */
/* Random numbers (xorshift, reproducible)                                   */

static uint32_t rng = 0x12345678u;

static float frand(void) /* [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return (float)(rng >> 8) / 8388608.0f - 1.0f;
}

/* 64-byte aligned with 64 bytes of slack, like the engine's arena. */
static void *buf_alloc(size_t bytes)
{
    size_t n = (bytes + 64 + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memset(p, 0, n);
    return p;
}

/* ------------------------------------------------------------------------ */
/* Graph building                                                            */

struct tg {
    struct bd_graph g;
    struct bd_tensor t[MAXT];
    struct bd_op o[MAXO];
    int in[MAXO][MAXIN];
};

#define DIMS(...) (int[]){__VA_ARGS__}, (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int))

static void tg_init(struct tg *G)
{
    memset(G, 0, sizeof *G);
    G->g.tensors = G->t;
    G->g.ops = G->o;
    G->g.input = -1;
}

static int tensor_new(struct tg *G, const int *dims, int ndim)
{
    int i = G->g.num_tensors++;
    struct bd_tensor *t = &G->t[i];
    t->ndim = ndim;
    t->count = 1;
    for (int d = 0; d < ndim; d++) {
        t->dims[d] = dims[d];
        t->count *= (size_t)dims[d];
    }
    t->dtype = BD_DT_F32;
    t->name = "";
    t->producer = -1;
    t->last_use = -1;
    return i;
}

/* An activation. */
static int act(struct tg *G, const int *dims, int ndim)
{
    return tensor_new(G, dims, ndim);
}

/* A constant of uniform random values in [lo, hi). */
static int cst(struct tg *G, float lo, float hi, const int *dims, int ndim)
{
    int i = tensor_new(G, dims, ndim);
    float *d = buf_alloc(G->t[i].count * sizeof(float));
    for (size_t k = 0; k < G->t[i].count; k++)
        d[k] = lo + (hi - lo) * 0.5f * (frand() + 1.0f);
    G->t[i].data = d;
    return i;
}

/* Conv-style weights scaled by 1/sqrt(fan_in) so outputs stay O(1). */
static int wts(struct tg *G, int fan_in, const int *dims, int ndim)
{
    float s = 1.0f / sqrtf((float)fan_in);
    return cst(G, -s, s, dims, ndim);
}

static struct bd_op *op_new(struct tg *G, enum bd_op_type type, int out,
                            int nin, ...)
{
    int i = G->g.num_ops++;
    struct bd_op *op = &G->o[i];
    va_list ap;
    va_start(ap, nin);
    for (int k = 0; k < nin; k++)
        G->in[i][k] = va_arg(ap, int);
    va_end(ap);
    op->type = type;
    op->num_inputs = nin;
    op->inputs = G->in[i];
    op->output = out;
    op->tflite_name = bd_op_type_name(type);
    return op;
}

static void tg_finish(struct tg *G, int input, int nout, ...)
{
    G->g.input = input;
    va_list ap;
    va_start(ap, nout);
    for (int k = 0; k < nout; k++)
        G->g.outputs[k] = va_arg(ap, int);
    va_end(ap);
    G->g.num_outputs = nout;
    for (int i = 0; i < G->g.num_ops; i++) {
        struct bd_op *op = &G->o[i];
        for (int k = 0; k < op->num_inputs; k++)
            if (op->inputs[k] >= 0 && !G->t[op->inputs[k]].data)
                G->t[op->inputs[k]].last_use = i;
        G->t[op->output].producer = i;
    }
    for (int k = 0; k < nout; k++)
        G->t[G->g.outputs[k]].last_use = INT_MAX;
}

static void tg_free(struct tg *G)
{
    for (int i = 0; i < G->g.num_tensors; i++)
        free(G->t[i].data);
}

/* TFLite SAME padding: output size and (before, after). */
static int same(int in, int k, int s, int d, int *before, int *after)
{
    int eff = (k - 1) * d + 1;
    int out = (in + s - 1) / s;
    int total = (out - 1) * s + eff - in;
    if (total < 0)
        total = 0;
    *before = total / 2;
    *after = total - *before;
    return out;
}

static struct bd_conv_params convp(int kh, int kw, int sh, int sw, int dh,
                                   int dw, int pt, int pb, int pl, int pr,
                                   enum bd_act act_)
{
    struct bd_conv_params c;
    memset(&c, 0, sizeof c);
    c.kernel_h = kh;
    c.kernel_w = kw;
    c.stride_h = sh;
    c.stride_w = sw;
    c.dilation_h = dh;
    c.dilation_w = dw;
    c.pad_top = pt;
    c.pad_bottom = pb;
    c.pad_left = pl;
    c.pad_right = pr;
    c.depth_multiplier = 1;
    c.act = act_;
    return c;
}

/* ------------------------------------------------------------------------ */
/* Running and comparing                                                     */

/* Lifetime of an activation in op indices: [start, end]. */
static void lifetime(const struct tg *G, int t, int *start, int *end)
{
    *start = G->t[t].producer; /* -1 for the input */
    *end = G->t[t].last_use;
    if (*end < *start)
        *end = *start;         /* never read */
}

/* Pointers for every tensor; activations either private or packed into
 * shared slots (first fit over lifetimes, growing slots as needed). */
struct bufs {
    float **p;
    void **slot;
    int nslot;
};

static void bufs_make(const struct tg *G, struct bufs *b, int alias)
{
    int n = G->g.num_tensors;
    b->p = calloc((size_t)n, sizeof *b->p);
    b->slot = calloc((size_t)n, sizeof *b->slot);
    b->nslot = 0;
    int *slot_of = malloc((size_t)n * sizeof *slot_of);
    int *busy = malloc((size_t)n * sizeof *busy);
    size_t *size = calloc((size_t)n, sizeof *size);
    for (int t = 0; t < n; t++) {
        slot_of[t] = -1;
        if (G->t[t].data) {
            b->p[t] = G->t[t].data;
            continue;
        }
        int start, end;
        lifetime(G, t, &start, &end);
        int s = -1;
        if (alias) {
            for (int k = 0; k < b->nslot; k++)
                if (busy[k] < start) {
                    s = k;
                    break;
                }
        }
        if (s < 0) {
            s = b->nslot++;
            size[s] = 0;
        }
        busy[s] = end;
        if (size[s] < G->t[t].count * sizeof(float))
            size[s] = G->t[t].count * sizeof(float);
        slot_of[t] = s;
    }
    for (int k = 0; k < b->nslot; k++)
        b->slot[k] = buf_alloc(size[k]);
    for (int t = 0; t < n; t++)
        if (slot_of[t] >= 0)
            b->p[t] = b->slot[slot_of[t]];
    free(slot_of);
    free(busy);
    free(size);
}

static void bufs_free(struct bufs *b)
{
    for (int k = 0; k < b->nslot; k++)
        free(b->slot[k]);
    free(b->slot);
    free(b->p);
}

static void report(int ok, const char *name, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, detail[0] ? ": " : "",
           detail);
    if (ok)
        passed++;
    else
        failed++;
}

/* Runs G through ref and xnnpack; expect_seg / expect_fb < 0 = don't care.
 * in_lo/in_hi: input value range. */
static void run_case_mode(const char *name, struct tg *G, int threads,
                          int alias, int expect_seg, int expect_fb,
                          float in_lo, float in_hi)
{
    char label[160];
    snprintf(label, sizeof label, "%s [%s%s]", name,
             alias ? "aliased arena" : "private buffers",
             threads > 1 ? ", 2 threads" : "");

    struct bufs A, B;
    bufs_make(G, &A, 0);
    bufs_make(G, &B, alias);
    const struct bd_tensor *ti = &G->t[G->g.input];
    float *input = buf_alloc(ti->count * sizeof(float));
    for (size_t k = 0; k < ti->count; k++)
        input[k] = in_lo + (in_hi - in_lo) * 0.5f * (frand() + 1.0f);

    struct bd_ref *ref = NULL;
    struct bd_xnn *x = NULL;
    int rc = bd_ref_create(&G->g, A.p, &ref);
    if (rc != BD_OK) {
        report(0, label, "bd_ref_create: %s (%s)", bd_status_str(rc),
               bd_last_error());
        goto out;
    }
    memcpy(A.p[G->g.input], input, ti->count * sizeof(float));
    rc = bd_ref_run(ref);
    if (rc != BD_OK) {
        report(0, label, "bd_ref_run: %s (%s)", bd_status_str(rc),
               bd_last_error());
        goto out;
    }
    rc = bd_xnn_create(&G->g, B.p, threads, &x);
    if (rc != BD_OK) {
        report(0, label, "bd_xnn_create: %s (%s)", bd_status_str(rc),
               bd_last_error());
        goto out;
    }
    int seg = -1, fb = -1;
    bd_xnn_stats(x, &seg, &fb);
    if ((expect_seg >= 0 && seg != expect_seg) ||
        (expect_fb >= 0 && fb != expect_fb)) {
        report(0, label, "%d segments, %d fallback ops; expected %d, %d", seg,
               fb, expect_seg, expect_fb);
        goto out;
    }
    float maxdiff = 0.0f;
    for (int rep = 0; rep < 2; rep++) {
        /* The input may be overwritten when it shares a slot. */
        memcpy(B.p[G->g.input], input, ti->count * sizeof(float));
        rc = bd_xnn_run(x);
        if (rc != BD_OK) {
            report(0, label, "bd_xnn_run: %s (%s)", bd_status_str(rc),
                   bd_last_error());
            goto out;
        }
        for (int k = 0; k < G->g.num_outputs; k++) {
            int t = G->g.outputs[k];
            const float *ra = A.p[t], *rb = B.p[t];
            for (size_t e = 0; e < G->t[t].count; e++) {
                float d = fabsf(ra[e] - rb[e]);
                if (!(d <= TOL)) {
                    report(0, label,
                           "run %d, output %d, element %zu: ref %.7g, "
                           "xnnpack %.7g",
                           rep + 1, k, e, ra[e], rb[e]);
                    goto out;
                }
                if (d > maxdiff)
                    maxdiff = d;
            }
        }
    }
    report(1, label, "%d segment%s, %d fallback, max |diff| %.2g", seg,
           seg == 1 ? "" : "s", fb, maxdiff);
out:
    bd_xnn_destroy(x);
    bd_ref_destroy(ref);
    free(input);
    bufs_free(&A);
    bufs_free(&B);
}

static void run_case_r(const char *name, struct tg *G, int expect_seg,
                       int expect_fb, float lo, float hi)
{
    run_case_mode(name, G, 1, 0, expect_seg, expect_fb, lo, hi);
    run_case_mode(name, G, 1, 1, expect_seg, expect_fb, lo, hi);
    tg_free(G);
}

static void run_case(const char *name, struct tg *G, int expect_seg,
                     int expect_fb)
{
    run_case_r(name, G, expect_seg, expect_fb, -1.0f, 1.0f);
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */

static void t_conv(const char *name, int H, int W, int Ci, int Co, int k,
                   int s, int d, int padding_same, int bias, enum bd_act a)
{
    struct tg G;
    tg_init(&G);
    int pt = 0, pb = 0, pl = 0, pr = 0, oh, ow;
    if (padding_same) {
        oh = same(H, k, s, d, &pt, &pb);
        ow = same(W, k, s, d, &pl, &pr);
    } else {
        oh = (H - (k - 1) * d - 1) / s + 1;
        ow = (W - (k - 1) * d - 1) / s + 1;
    }
    int in = act(&G, DIMS(1, H, W, Ci));
    int w = wts(&G, k * k * Ci, DIMS(Co, k, k, Ci));
    int b = bias ? cst(&G, -0.5f, 0.5f, DIMS(Co)) : -1;
    int out = act(&G, DIMS(1, oh, ow, Co));
    op_new(&G, BD_OP_CONV2D, out, 3, in, w, b)->p.conv =
        convp(k, k, s, s, d, d, pt, pb, pl, pr, a);
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

static void t_dwconv(const char *name, int H, int W, int C, int m, int k,
                     int s, int d, int padding_same, enum bd_act a)
{
    struct tg G;
    tg_init(&G);
    int pt = 0, pb = 0, pl = 0, pr = 0, oh, ow;
    if (padding_same) {
        oh = same(H, k, s, d, &pt, &pb);
        ow = same(W, k, s, d, &pl, &pr);
    } else {
        oh = (H - (k - 1) * d - 1) / s + 1;
        ow = (W - (k - 1) * d - 1) / s + 1;
    }
    int in = act(&G, DIMS(1, H, W, C));
    int w = wts(&G, k * k, DIMS(1, k, k, C * m));
    int b = cst(&G, -0.5f, 0.5f, DIMS(C * m));
    int out = act(&G, DIMS(1, oh, ow, C * m));
    struct bd_op *op = op_new(&G, BD_OP_DWCONV2D, out, 3, in, w, b);
    op->p.conv = convp(k, k, s, s, d, d, pt, pb, pl, pr, a);
    op->p.conv.depth_multiplier = m;
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

/* A kh x kw kernel at strides (sh, sw), SAME padding: height and width
 * differ in every parameter, so none may be passed in the other's place. */
static void t_dwconv_rect(const char *name, int H, int W, int C, int kh, int kw,
                          int sh, int sw, enum bd_act a)
{
    struct tg G;
    tg_init(&G);
    int pt, pb, pl, pr;
    const int oh = same(H, kh, sh, 1, &pt, &pb), ow = same(W, kw, sw, 1, &pl, &pr);
    int in = act(&G, DIMS(1, H, W, C));
    int w = wts(&G, kh * kw, DIMS(1, kh, kw, C));
    int b = cst(&G, -0.5f, 0.5f, DIMS(C));
    int out = act(&G, DIMS(1, oh, ow, C));
    op_new(&G, BD_OP_DWCONV2D, out, 3, in, w, b)->p.conv =
        convp(kh, kw, sh, sw, 1, 1, pt, pb, pl, pr, a);
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

static void t_tconv(const char *name, int H, int W, int Ci, int Co, int k,
                    int s, int pt, int pb, int pl, int pr, int adj,
                    int bias, enum bd_act a)
{
    struct tg G;
    tg_init(&G);
    int oh = (H - 1) * s + k - pt - pb + adj;
    int ow = (W - 1) * s + k - pl - pr + adj;
    int in = act(&G, DIMS(1, H, W, Ci));
    int w = wts(&G, k * k * Ci / (s * s), DIMS(Co, k, k, Ci));
    int b = bias ? cst(&G, -0.5f, 0.5f, DIMS(Co)) : -1;
    int out = act(&G, DIMS(1, oh, ow, Co));
    struct bd_op *op = op_new(&G, BD_OP_TRANSPOSE_CONV, out, 3, in, w, b);
    op->p.conv = convp(k, k, s, s, 1, 1, pt, pb, pl, pr, a);
    op->p.conv.adj_h = adj;
    op->p.conv.adj_w = adj;
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

static void t_fc(void)
{
    {
        struct tg G;
        tg_init(&G);
        int in = act(&G, DIMS(1, 17));
        int w = wts(&G, 17, DIMS(5, 17));
        int b = cst(&G, -0.5f, 0.5f, DIMS(5));
        int out = act(&G, DIMS(1, 5));
        op_new(&G, BD_OP_FULLY_CONNECTED, out, 3, in, w, b)->p.binary.act =
            BD_ACT_RELU;
        tg_finish(&G, in, 1, out);
        run_case("fully_connected 17->5 relu", &G, 1, 0);
    }
    {
        struct tg G;
        tg_init(&G);
        int in = act(&G, DIMS(1, 3, 3, 2));
        int w = wts(&G, 18, DIMS(7, 18));
        int out = act(&G, DIMS(1, 7));
        op_new(&G, BD_OP_FULLY_CONNECTED, out, 3, in, w, -1);
        tg_finish(&G, in, 1, out);
        run_case("fully_connected flattened [1,3,3,2]->7 no bias", &G, 1, 0);
    }
    {
        struct tg G;
        tg_init(&G);
        int in = act(&G, DIMS(2, 3, 5));
        int w = wts(&G, 5, DIMS(9, 5));
        int b = cst(&G, -0.5f, 0.5f, DIMS(9));
        int out = act(&G, DIMS(2, 3, 9));
        op_new(&G, BD_OP_FULLY_CONNECTED, out, 3, in, w, b)->p.binary.act =
            BD_ACT_RELU_N1_TO_1;
        tg_finish(&G, in, 1, out);
        run_case("fully_connected keep_num_dims [2,3,5]->[2,3,9] relu_n1_1",
                 &G, 1, 0);
    }
}

/* Binary op on the input and a constant (either order) or a second
 * activation derived from the input. */
static void t_binary(const char *name, enum bd_op_type type, const int *ad,
                     int an, const int *bd, int bn, const int *od, int on,
                     int b_const, int const_first, enum bd_act a)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, ad, an);
    int other, out = -1;
    if (b_const) {
        other = cst(&G, -1.0f, 1.0f, bd, bn);
        out = act(&G, od, on);
        struct bd_op *op = const_first
                               ? op_new(&G, type, out, 2, other, in)
                               : op_new(&G, type, out, 2, in, other);
        op->p.binary.act = a;
    } else {
        /* The second operand is computed from the input (a graph has one
         * input): MEAN when it is [N,1,1,C], else LOGISTIC of the input. */
        int mid;
        if (bn == 4 && bd[1] == 1 && bd[2] == 1 && an == 4 &&
            bd[3] == ad[3]) {
            mid = act(&G, bd, bn);
            op_new(&G, BD_OP_MEAN, mid, 1, in);
        } else {
            mid = act(&G, ad, an);
            op_new(&G, BD_OP_LOGISTIC, mid, 1, in);
        }
        out = act(&G, od, on);
        op_new(&G, type, out, 2, in, mid)->p.binary.act = a;
    }
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

static void t_unary(const char *name, enum bd_op_type type, float alpha,
                    float lo, float hi)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 5));
    int out = act(&G, DIMS(1, 7, 9, 5));
    op_new(&G, type, out, 1, in)->p.leaky.alpha = alpha;
    tg_finish(&G, in, 1, out);
    run_case_r(name, &G, type == BD_OP_TANH ? 0 : 1,
               type == BD_OP_TANH ? 1 : 0, lo, hi);
}

static void t_prelu(const char *name, const int *adims, int an, int fb)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 5));
    int al = cst(&G, 0.0f, 0.5f, adims, an);
    int out = act(&G, DIMS(1, 7, 9, 5));
    op_new(&G, BD_OP_PRELU, out, 2, in, al);
    tg_finish(&G, in, 1, out);
    run_case(name, &G, fb ? 0 : 1, fb);
}

static void t_pool(const char *name, enum bd_op_type type, int H, int W,
                   int C, int f, int s, int padding_same, enum bd_act a,
                   int fb)
{
    struct tg G;
    tg_init(&G);
    int pt = 0, pb = 0, pl = 0, pr = 0, oh, ow;
    if (padding_same) {
        oh = same(H, f, s, 1, &pt, &pb);
        ow = same(W, f, s, 1, &pl, &pr);
    } else {
        oh = (H - f) / s + 1;
        ow = (W - f) / s + 1;
    }
    int in = act(&G, DIMS(1, H, W, C));
    int out = act(&G, DIMS(1, oh, ow, C));
    struct bd_op *op = op_new(&G, type, out, 1, in);
    op->p.pool.filter_h = f;
    op->p.pool.filter_w = f;
    op->p.pool.stride_h = s;
    op->p.pool.stride_w = s;
    op->p.pool.pad_top = pt;
    op->p.pool.pad_bottom = pb;
    op->p.pool.pad_left = pl;
    op->p.pool.pad_right = pr;
    op->p.pool.act = a;
    tg_finish(&G, in, 1, out);
    run_case(name, &G, fb ? 0 : 1, fb);
}

static void t_mean(void)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 17));
    int out = act(&G, DIMS(1, 1, 1, 17));
    op_new(&G, BD_OP_MEAN, out, 1, in);
    tg_finish(&G, in, 1, out);
    run_case("mean over H,W [1,7,9,17]", &G, 1, 0);
}

static void t_resize(const char *name, int H, int W, int C, int OH, int OW,
                     int ac, int hp)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, H, W, C));
    int out = act(&G, DIMS(1, OH, OW, C));
    struct bd_op *op = op_new(&G, BD_OP_RESIZE_BILINEAR, out, 1, in);
    op->p.resize.align_corners = ac;
    op->p.resize.half_pixel_centers = hp;
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

static void t_softmax(const char *name, float beta, int C, int fb)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, C));
    int out = act(&G, DIMS(1, 7, 9, C));
    op_new(&G, BD_OP_SOFTMAX, out, 1, in)->p.softmax.beta = beta;
    tg_finish(&G, in, 1, out);
    run_case_r(name, &G, fb ? 0 : 1, fb, -4.0f, 4.0f);
}

static void t_pad(const char *name, const int pads[4][2])
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 3));
    int out = act(&G, DIMS(1 + pads[0][0] + pads[0][1],
                           7 + pads[1][0] + pads[1][1],
                           9 + pads[2][0] + pads[2][1],
                           3 + pads[3][0] + pads[3][1]));
    struct bd_op *op = op_new(&G, BD_OP_PAD, out, 1, in);
    memcpy(op->p.pad.pad, pads, sizeof op->p.pad.pad);
    tg_finish(&G, in, 1, out);
    run_case(name, &G, 1, 0);
}

static void t_reshape(void)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 4));
    int mid = act(&G, DIMS(1, 63, 4));
    int out = act(&G, DIMS(1, 252));
    op_new(&G, BD_OP_RESHAPE, mid, 1, in);
    op_new(&G, BD_OP_RESHAPE, out, 1, mid);
    tg_finish(&G, in, 2, mid, out);
    run_case("reshape [1,7,9,4]->[1,63,4]->[1,252]", &G, 1, 0);
}

/* conv -> TANH -> conv: two runtimes around one ref op. */
static void t_tanh_sandwich(void)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 3));
    int w1 = wts(&G, 27, DIMS(5, 3, 3, 3));
    int c1 = act(&G, DIMS(1, 7, 9, 5));
    int th = act(&G, DIMS(1, 7, 9, 5));
    int w2 = wts(&G, 45, DIMS(4, 3, 3, 5));
    int b2 = cst(&G, -0.5f, 0.5f, DIMS(4));
    int c2 = act(&G, DIMS(1, 4, 5, 4));
    op_new(&G, BD_OP_CONV2D, c1, 3, in, w1, -1)->p.conv =
        convp(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE);
    op_new(&G, BD_OP_TANH, th, 1, c1);
    op_new(&G, BD_OP_CONV2D, c2, 3, th, w2, b2)->p.conv =
        convp(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, BD_ACT_RELU6);
    tg_finish(&G, in, 1, c2);
    run_case("conv -> TANH (ref) -> conv s2", &G, 2, 1);
}

/* A U-Net-ish graph: skip connections crossing a CONCAT done by ref, a
 * tensor used by two runtimes, a second model output produced mid-way, a
 * RELU whose output is a model output (clamp fusion hazard) and a PAD fed
 * by the model input (pad fusion hazard). */
static void t_partition(int threads)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 3));
    /* 0: PAD (model input -> padded), 1: conv VALID on it */
    int pd = act(&G, DIMS(1, 9, 11, 3));
    int wa = wts(&G, 27, DIMS(8, 3, 3, 3));
    int ba = cst(&G, -0.5f, 0.5f, DIMS(8));
    int a = act(&G, DIMS(1, 7, 9, 8));
    /* 2: RELU -> model output #2 */
    int ar = act(&G, DIMS(1, 7, 9, 8));
    /* 3: dwconv s2 */
    int wd = wts(&G, 9, DIMS(1, 3, 3, 8));
    int d = act(&G, DIMS(1, 4, 5, 8));
    /* 4: conv 1x1 -> 6 */
    int wb = wts(&G, 8, DIMS(6, 1, 1, 8));
    int bb = act(&G, DIMS(1, 4, 5, 6));
    /* 5: resize back to 7x9 (half pixel) */
    int up = act(&G, DIMS(1, 7, 9, 6));
    /* 6: CONCAT(ar, up) -> 14 channels (ref) */
    int cat = act(&G, DIMS(1, 7, 9, 14));
    /* 7: conv 3x3 -> 4, hswish, 8: ADD with a (1x1 projected) */
    int wc = wts(&G, 126, DIMS(4, 3, 3, 14));
    int c = act(&G, DIMS(1, 7, 9, 4));
    int hs = act(&G, DIMS(1, 7, 9, 4));
    int wp = wts(&G, 8, DIMS(4, 1, 1, 8));
    int pj = act(&G, DIMS(1, 7, 9, 4));
    int sum = act(&G, DIMS(1, 7, 9, 4));
    /* 11: TANH, 12: conv 1x1 -> 1, 13: LOGISTIC */
    int th = act(&G, DIMS(1, 7, 9, 4));
    int wo = wts(&G, 4, DIMS(1, 1, 1, 4));
    int bo = cst(&G, -0.5f, 0.5f, DIMS(1));
    int lo = act(&G, DIMS(1, 7, 9, 1));
    int outp = act(&G, DIMS(1, 7, 9, 1));

    struct bd_op *op = op_new(&G, BD_OP_PAD, pd, 1, in);
    op->p.pad.pad[1][0] = 1;
    op->p.pad.pad[1][1] = 1;
    op->p.pad.pad[2][0] = 1;
    op->p.pad.pad[2][1] = 1;
    op_new(&G, BD_OP_CONV2D, a, 3, pd, wa, ba)->p.conv =
        convp(3, 3, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    op_new(&G, BD_OP_RELU, ar, 1, a);
    op = op_new(&G, BD_OP_DWCONV2D, d, 3, ar, wd, -1);
    op->p.conv = convp(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, BD_ACT_RELU6);
    op_new(&G, BD_OP_CONV2D, bb, 3, d, wb, -1)->p.conv =
        convp(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_RELU);
    op = op_new(&G, BD_OP_RESIZE_BILINEAR, up, 1, bb);
    op->p.resize.half_pixel_centers = 1;
    op = op_new(&G, BD_OP_CONCAT, cat, 2, ar, up);
    op->p.concat.axis = 3;
    op_new(&G, BD_OP_CONV2D, c, 3, cat, wc, -1)->p.conv =
        convp(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE);
    op_new(&G, BD_OP_HARD_SWISH, hs, 1, c);
    op_new(&G, BD_OP_CONV2D, pj, 3, a, wp, -1)->p.conv =
        convp(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    op_new(&G, BD_OP_ADD, sum, 2, hs, pj);
    op_new(&G, BD_OP_TANH, th, 1, sum);
    op_new(&G, BD_OP_CONV2D, lo, 3, th, wo, bo)->p.conv =
        convp(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    op_new(&G, BD_OP_LOGISTIC, outp, 1, lo);
    tg_finish(&G, in, 2, outp, ar);
    /* runtimes: ops 0-5, 7-10, 12-13; ref: 6 (CONCAT), 11 (TANH) */
    run_case_mode("partition: pad/relu hazards, CONCAT + TANH in ref", &G,
                  threads, 0, 3, 2, -1.0f, 1.0f);
    run_case_mode("partition: pad/relu hazards, CONCAT + TANH in ref", &G,
                  threads, 1, 3, 2, -1.0f, 1.0f);
    tg_free(&G);
}

/* conv -> RELU where RELU is the model output and the input may share its
 * memory: XNNPACK would fuse the clamp into the conv and run it in place. */
static void t_clamp_hazard(void)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 5));
    int w = wts(&G, 45, DIMS(5, 3, 3, 5));
    int c = act(&G, DIMS(1, 7, 9, 5));
    int r = act(&G, DIMS(1, 7, 9, 5));
    op_new(&G, BD_OP_CONV2D, c, 3, in, w, -1)->p.conv =
        convp(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE);
    op_new(&G, BD_OP_RELU6, r, 1, c);
    tg_finish(&G, in, 1, r);
    run_case("conv -> RELU6 as model output (clamp fusion hazard)", &G, 1,
             0);
}

/* A tensor that is written but never read (nor a model output). */
static void t_dead_branch(void)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 5));
    int w = wts(&G, 45, DIMS(5, 3, 3, 5));
    int c = act(&G, DIMS(1, 7, 9, 5));
    int dead = act(&G, DIMS(1, 7, 9, 5));
    int r = act(&G, DIMS(1, 7, 9, 5));
    op_new(&G, BD_OP_CONV2D, c, 3, in, w, -1)->p.conv =
        convp(3, 3, 1, 1, 1, 1, 1, 1, 1, 1, BD_ACT_NONE);
    op_new(&G, BD_OP_LOGISTIC, dead, 1, c);
    op_new(&G, BD_OP_RELU, r, 1, c);
    tg_finish(&G, in, 1, r);
    run_case("dead branch (output never read)", &G, 1, 0);
}

/* A MobileNetV3-style block: conv+hswish, dwconv, squeeze-excite
 * (mean, fc, relu, fc, hard-sigmoid as ADD 3 / RELU6 / MUL 1/6, MUL
 * broadcast), projection, residual ADD. */
static void t_mbv3_block(void)
{
    struct tg G;
    tg_init(&G);
    int in = act(&G, DIMS(1, 7, 9, 16));
    int we = wts(&G, 16, DIMS(24, 1, 1, 16));
    int e = act(&G, DIMS(1, 7, 9, 24));
    int eh = act(&G, DIMS(1, 7, 9, 24));
    int wd = wts(&G, 25, DIMS(1, 5, 5, 24));
    int bd = cst(&G, -0.2f, 0.2f, DIMS(24));
    int dw = act(&G, DIMS(1, 7, 9, 24));
    int m = act(&G, DIMS(1, 1, 1, 24));
    int w1 = wts(&G, 24, DIMS(8, 24));
    int b1 = cst(&G, -0.2f, 0.2f, DIMS(8));
    int f1 = act(&G, DIMS(1, 8));
    int w2 = wts(&G, 8, DIMS(24, 8));
    int b2 = cst(&G, -0.2f, 0.2f, DIMS(24));
    int f2 = act(&G, DIMS(1, 24));
    int r4 = act(&G, DIMS(1, 1, 1, 24));
    int three = cst(&G, 3.0f, 3.0f, DIMS(1));
    int a3 = act(&G, DIMS(1, 1, 1, 24));
    int r6 = act(&G, DIMS(1, 1, 1, 24));
    int sixth = cst(&G, 1.0f / 6.0f, 1.0f / 6.0f, NULL, 0);
    int hsg = act(&G, DIMS(1, 1, 1, 24));
    int se = act(&G, DIMS(1, 7, 9, 24));
    int wp = wts(&G, 24, DIMS(16, 1, 1, 24));
    int p = act(&G, DIMS(1, 7, 9, 16));
    int out = act(&G, DIMS(1, 7, 9, 16));

    op_new(&G, BD_OP_CONV2D, e, 3, in, we, -1)->p.conv =
        convp(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    op_new(&G, BD_OP_HARD_SWISH, eh, 1, e);
    op_new(&G, BD_OP_DWCONV2D, dw, 3, eh, wd, bd)->p.conv =
        convp(5, 5, 1, 1, 1, 1, 2, 2, 2, 2, BD_ACT_RELU);
    op_new(&G, BD_OP_MEAN, m, 1, dw);
    op_new(&G, BD_OP_FULLY_CONNECTED, f1, 3, m, w1, b1)->p.binary.act =
        BD_ACT_RELU;
    op_new(&G, BD_OP_FULLY_CONNECTED, f2, 3, f1, w2, b2);
    op_new(&G, BD_OP_RESHAPE, r4, 1, f2);
    op_new(&G, BD_OP_ADD, a3, 2, r4, three);
    op_new(&G, BD_OP_RELU6, r6, 1, a3);
    op_new(&G, BD_OP_MUL, hsg, 2, r6, sixth);
    op_new(&G, BD_OP_MUL, se, 2, dw, hsg);
    op_new(&G, BD_OP_CONV2D, p, 3, se, wp, -1)->p.conv =
        convp(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, BD_ACT_NONE);
    op_new(&G, BD_OP_ADD, out, 2, p, in);
    tg_finish(&G, in, 1, out);
    run_case("MobileNetV3 block with squeeze-excite", &G, 1, 0);
}

static void expect_backend(const char *what, const char *model, int threads, const char *env,
                           enum bd_backend want)
{
    struct bd_model *m = NULL;
    struct bd_engine *e = NULL;
    struct bd_engine_options o = {BD_BACKEND_AUTO, threads};
    if (env)
        setenv("BACKDROP_BACKEND", env, 1);
    else
        unsetenv("BACKDROP_BACKEND");
    int ok = bd_model_open(model, &m) == BD_OK && bd_engine_create(m, &o, &e) == BD_OK;
    const enum bd_backend got = ok ? bd_engine_backend(e) : BD_BACKEND_AUTO;
    if (ok && got == want) {
        passed++;
        printf("ok   auto backend, %s: %s\n", what, bd_backend_name(got));
    } else {
        failed++;
        printf("FAIL auto backend, %s: got %s, want %s%s%s\n", what,
               ok ? bd_backend_name(got) : "an error", bd_backend_name(want), ok ? "" : ": ",
               ok ? "" : bd_last_error());
    }
    bd_engine_destroy(e);
    bd_model_destroy(m);
    unsetenv("BACKDROP_BACKEND");
}

/* engine.c's auto_backend: ref for the selfie models at one thread where
 * ref runs its FMA kernels, XNNPACK with more threads; BACKDROP_BACKEND
 * overrides either way. */
static void t_auto_backend(void)
{
    const enum bd_backend fast = bd_ref_fma_kernels() ? BD_BACKEND_REF : BD_BACKEND_XNNPACK;
    expect_backend("general, 1 thread", "general", 1, NULL, fast);
    expect_backend("landscape, default threads", "landscape", 0, NULL, fast);
    expect_backend("general, 2 threads", "general", 2, NULL, BD_BACKEND_XNNPACK);
    expect_backend("general, BACKDROP_BACKEND=xnnpack", "general", 1, "xnnpack",
                   BD_BACKEND_XNNPACK);
    expect_backend("general, 2 threads, BACKDROP_BACKEND=ref", "general", 2, "ref",
                   BD_BACKEND_REF);
}

int main(void)
{
#ifndef BD_HAVE_XNNPACK
    /* scripts/install-deps.sh installs libxnnpack-dev: under CI its absence
     * is a failure, elsewhere one skip */
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0) {
        printf("FAIL: XNNPACK is not built in under CI (libxnnpack-dev is missing)\n0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    printf("SKIP: XNNPACK is not built in (apt-get install libxnnpack-dev)\n0 passed, 0 failed, 1 skipped\n");
    return 0;
#endif
    /* CONV2D */
    t_conv("conv 3x3 s1 same 3->5 relu6", 7, 9, 3, 5, 3, 1, 1, 1, 1,
           BD_ACT_RELU6);
    t_conv("conv 3x3 s2 same 17->5 (pads 1/1)", 7, 9, 17, 5, 3, 2, 1, 1, 1,
           BD_ACT_NONE);
    t_conv("conv 3x3 s2 same 3->5 asymmetric (0/1) 8x10", 8, 10, 3, 5, 3, 2,
           1, 1, 1, BD_ACT_RELU);
    t_conv("conv 2x2 s2 same 5->3 asymmetric 7x9", 7, 9, 5, 3, 2, 2, 1, 1, 0,
           BD_ACT_NONE);
    t_conv("conv 3x3 dilation 2 same 5->17", 7, 9, 5, 17, 3, 1, 2, 1, 1,
           BD_ACT_RELU_N1_TO_1);
    t_conv("conv 5x5 valid 3->5", 7, 9, 3, 5, 5, 1, 1, 0, 1, BD_ACT_NONE);
    t_conv("conv 1x1 17->5 no bias", 7, 9, 17, 5, 1, 1, 1, 0, 0,
           BD_ACT_NONE);
    /* DWCONV2D */
    t_dwconv("dwconv 3x3 s1 same C=17", 7, 9, 17, 1, 3, 1, 1, 1,
             BD_ACT_NONE);
    t_dwconv("dwconv 3x3 s2 same asymmetric C=5 8x10", 8, 10, 5, 1, 3, 2, 1,
             1, BD_ACT_RELU6);
    t_dwconv("dwconv 3x3 depth_multiplier 2 C=3", 7, 9, 3, 2, 3, 1, 1, 1,
             BD_ACT_NONE);
    t_dwconv("dwconv 3x3 s2 depth_multiplier 2 C=5", 7, 9, 5, 2, 3, 2, 1, 1,
             BD_ACT_RELU);
    t_dwconv("dwconv 3x3 dilation 2 C=17", 7, 9, 17, 1, 3, 1, 2, 1,
             BD_ACT_NONE);
    t_dwconv("dwconv 5x5 s2 same C=17", 7, 9, 17, 1, 5, 2, 1, 1,
             BD_ACT_RELU);
    t_dwconv("dwconv 7x7 valid C=3", 7, 9, 3, 1, 7, 1, 1, 0, BD_ACT_NONE);
    t_dwconv_rect("dwconv 1x5 s(1,2) same C=8 7x11", 7, 11, 8, 1, 5, 1, 2,
                  BD_ACT_NONE);
    t_dwconv_rect("dwconv 5x3 s(2,1) same C=5 9x8", 9, 8, 5, 5, 3, 2, 1,
                  BD_ACT_RELU);
    /* TRANSPOSE_CONV */
    t_tconv("transpose_conv 2x2 s2 5->3", 7, 9, 5, 3, 2, 2, 0, 0, 0, 0, 0, 1,
            BD_ACT_NONE);
    t_tconv("transpose_conv 2x2 s2 16->1 (as GEMM + depth_to_space)", 7, 9,
            16, 1, 2, 2, 0, 0, 0, 0, 0, 1, BD_ACT_NONE);
    t_tconv("transpose_conv 3x3 s3 17->5 relu (as GEMM + depth_to_space)", 7,
            9, 17, 5, 3, 3, 0, 0, 0, 0, 0, 0, BD_ACT_RELU);
    t_tconv("transpose_conv 3x3 s2 same (0/1) 3->5", 7, 9, 3, 5, 3, 2, 0, 1,
            0, 1, 0, 1, BD_ACT_RELU);
    t_tconv("transpose_conv 4x4 s2 same (1/1) 17->3", 7, 9, 17, 3, 4, 2, 1, 1,
            1, 1, 0, 0, BD_ACT_NONE);
    t_tconv("transpose_conv 3x3 s2 pads 1/1 adj 1 5->5", 7, 9, 5, 5, 3, 2, 1,
            1, 1, 1, 1, 1, BD_ACT_NONE);
    t_tconv("transpose_conv 3x3 s1 pads 1/1 3->17", 7, 9, 3, 17, 3, 1, 1, 1, 1,
            1, 0, 1, BD_ACT_RELU6);
    /* FULLY_CONNECTED */
    t_fc();
    /* ADD / SUB / MUL */
    t_binary("add same shape [1,7,9,17] (logistic operand)", BD_OP_ADD,
             DIMS(1, 7, 9, 17), DIMS(1, 7, 9, 17), DIMS(1, 7, 9, 17), 0, 0,
             BD_ACT_NONE);
    t_binary("add const [17] broadcast, relu", BD_OP_ADD, DIMS(1, 7, 9, 17),
             DIMS(17), DIMS(1, 7, 9, 17), 1, 0, BD_ACT_RELU);
    t_binary("mul [1,7,9,5] * [1,1,1,5] (squeeze-excite)", BD_OP_MUL,
             DIMS(1, 7, 9, 5), DIMS(1, 1, 1, 5), DIMS(1, 7, 9, 5), 0, 0,
             BD_ACT_NONE);
    t_binary("mul const scalar (0-d)", BD_OP_MUL, DIMS(1, 7, 9, 3), NULL, 0,
             DIMS(1, 7, 9, 3), 1, 0, BD_ACT_RELU6);
    t_binary("sub const [1] - act (constant first)", BD_OP_SUB,
             DIMS(1, 7, 9, 3), DIMS(1), DIMS(1, 7, 9, 3), 1, 1, BD_ACT_NONE);
    t_binary("sub act - const [1,7,1,3] broadcast over W", BD_OP_SUB,
             DIMS(1, 7, 9, 3), DIMS(1, 7, 1, 3), DIMS(1, 7, 9, 3), 1, 0,
             BD_ACT_RELU_N1_TO_1);
    t_binary("add const [1,1,9,1] broadcast over H and C", BD_OP_ADD,
             DIMS(1, 7, 9, 5), DIMS(1, 1, 9, 1), DIMS(1, 7, 9, 5), 1, 1,
             BD_ACT_NONE);
    t_binary("mul [7,9,5] * const [1,9,5] (rank 3)", BD_OP_MUL, DIMS(7, 9, 5),
             DIMS(1, 9, 5), DIMS(7, 9, 5), 1, 0, BD_ACT_NONE);
    /* Unary */
    t_unary("hard_swish", BD_OP_HARD_SWISH, 0, -5.0f, 5.0f);
    t_unary("relu", BD_OP_RELU, 0, -2.0f, 2.0f);
    t_unary("relu6", BD_OP_RELU6, 0, -8.0f, 8.0f);
    t_unary("logistic", BD_OP_LOGISTIC, 0, -8.0f, 8.0f);
    t_unary("leaky_relu 0.2", BD_OP_LEAKY_RELU, 0.2f, -2.0f, 2.0f);
    t_unary("tanh (ref fallback)", BD_OP_TANH, 0, -3.0f, 3.0f);
    {
        /* XNNPACK's define rejects a non-finite slope: the probe sends the
         * op to ref instead of failing the model. */
        struct tg G;
        tg_init(&G);
        int in = act(&G, DIMS(1, 7, 9, 5));
        int out = act(&G, DIMS(1, 7, 9, 5));
        op_new(&G, BD_OP_LEAKY_RELU, out, 1, in)->p.leaky.alpha = INFINITY;
        tg_finish(&G, in, 1, out);
        run_case_r("leaky_relu alpha inf (define fails: ref fallback)", &G, 0,
                   1, 0.01f, 1.0f);
    }
    {
        struct tg G;
        tg_init(&G);
        int in = act(&G, DIMS(1, 7, 9, 3));
        int out = act(&G, DIMS(1, 7, 9, 3));
        op_new(&G, BD_OP_ADD, out, 2, in, in)->p.binary.act = BD_ACT_NONE;
        tg_finish(&G, in, 1, out);
        run_case("add x + x (same tensor twice)", &G, 1, 0);
    }
    /* PRELU */
    t_prelu("prelu alpha [1,1,5]", DIMS(1, 1, 5), 0);
    t_prelu("prelu alpha [5]", DIMS(5), 0);
    t_prelu("prelu alpha [1] (expanded)", DIMS(1), 0);
    t_prelu("prelu alpha [7,9,5] (ref fallback)", DIMS(7, 9, 5), 1);
    /* Pooling */
    t_pool("avg_pool 3x3 s2 valid C=17", BD_OP_AVG_POOL, 7, 9, 17, 3, 2, 0,
           BD_ACT_NONE, 0);
    t_pool("avg_pool 2x2 s2 valid C=5 relu6", BD_OP_AVG_POOL, 8, 10, 5, 2, 2,
           0, BD_ACT_RELU6, 0);
    t_pool("avg_pool 3x3 s1 same (padded: in-bounds taps only)",
           BD_OP_AVG_POOL, 7, 9, 5, 3, 1, 1, BD_ACT_NONE, 0);
    t_pool("avg_pool 2x2 s2 same asymmetric (padded)", BD_OP_AVG_POOL, 7, 9,
           3, 2, 2, 1, BD_ACT_RELU_N1_TO_1, 0);
    t_pool("avg_pool 5x5 s1 same C=17 (padded, multipass)", BD_OP_AVG_POOL, 7,
           9, 17, 5, 1, 1, BD_ACT_NONE, 0);
    t_pool("avg_pool 1x1 s1 (as clamp) relu", BD_OP_AVG_POOL, 7, 9, 3, 1, 1,
           0, BD_ACT_RELU, 0);
    {
        /* Window = whole input: defined as a global average pooling. */
        struct tg G;
        tg_init(&G);
        int in = act(&G, DIMS(1, 7, 9, 17));
        int out = act(&G, DIMS(1, 1, 1, 17));
        struct bd_op *op = op_new(&G, BD_OP_AVG_POOL, out, 1, in);
        op->p.pool.filter_h = 7;
        op->p.pool.filter_w = 9;
        op->p.pool.stride_h = 7;
        op->p.pool.stride_w = 9;
        op->p.pool.act = BD_ACT_RELU;
        tg_finish(&G, in, 1, out);
        run_case("avg_pool 7x9 window (global) relu", &G, 1, 0);
    }
    t_pool("avg_pool 1x1 s2 (ref fallback)", BD_OP_AVG_POOL, 7, 9, 3, 1, 2, 0,
           BD_ACT_NONE, 1);
    t_pool("max_pool 5x5 s1 same C=17 (multipass)", BD_OP_MAX_POOL, 7, 9, 17,
           5, 1, 1, BD_ACT_NONE, 0);
    t_pool("max_pool 3x3 s2 same C=17", BD_OP_MAX_POOL, 7, 9, 17, 3, 2, 1,
           BD_ACT_NONE, 0);
    t_pool("max_pool 2x2 s2 same asymmetric C=5", BD_OP_MAX_POOL, 7, 9, 5, 2,
           2, 1, BD_ACT_NONE, 0);
    t_pool("max_pool 3x3 s1 same C=3 relu", BD_OP_MAX_POOL, 7, 9, 3, 3, 1, 1,
           BD_ACT_RELU, 0);
    t_pool("max_pool 2x2 s2 valid C=3", BD_OP_MAX_POOL, 8, 10, 3, 2, 2, 0,
           BD_ACT_NONE, 0);
    /* MEAN */
    t_mean();
    /* RESIZE_BILINEAR */
    t_resize("resize 7x9->14x18 half_pixel", 7, 9, 3, 14, 18, 0, 1);
    t_resize("resize 7x9->14x18 align_corners", 7, 9, 3, 14, 18, 1, 0);
    t_resize("resize 7x9->14x18 legacy", 7, 9, 3, 14, 18, 0, 0);
    t_resize("resize 5x3->13x17 C=5 half_pixel", 5, 3, 5, 13, 17, 0, 1);
    t_resize("resize 5x3->13x17 C=5 align_corners", 5, 3, 5, 13, 17, 1, 0);
    t_resize("resize 5x3->13x17 C=5 legacy", 5, 3, 5, 13, 17, 0, 0);
    t_resize("resize 7x9->4x5 C=17 half_pixel (down)", 7, 9, 17, 4, 5, 0, 1);
    t_resize("resize 7x9->4x5 C=17 align_corners (down)", 7, 9, 17, 4, 5, 1,
             0);
    t_resize("resize 7x9->4x5 C=17 legacy (down)", 7, 9, 17, 4, 5, 0, 0);
    /* SOFTMAX */
    t_softmax("softmax beta 1 C=5", 1.0f, 5, 0);
    t_softmax("softmax beta 1 C=2", 1.0f, 2, 0);
    t_softmax("softmax beta 0.5 (ref fallback)", 0.5f, 5, 1);
    /* PAD */
    {
        const int p1[4][2] = {{0, 0}, {1, 2}, {2, 1}, {0, 0}};
        const int p2[4][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 3}};
        t_pad("pad H 1/2, W 2/1", p1);
        t_pad("pad C 0/3", p2);
    }
    /* RESHAPE */
    t_reshape();
    /* Partitioning and fusion hazards */
    t_tanh_sandwich();
    t_clamp_hazard();
    t_dead_branch();
    t_partition(1);
    t_partition(2);
    t_mbv3_block();
    t_auto_backend();

    printf("%d passed, %d failed, 0 skipped\n", passed, failed);
    return failed ? 1 : 0;
}
