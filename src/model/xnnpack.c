/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The xnnpack backend: runs the graph through Debian's libXNNPACK
 * (a Feb 2022 snapshot, subgraph API).
 *
 * The op list is partitioned, in execution order, into maximal runs of ops
 * that XNNPACK supports; each run becomes one xnn_subgraph -> xnn_runtime.
 * Ops XNNPACK lacks (TANH, CONCAT, SOFTMAX with beta != 1, ...) or rejects
 * run in between through the ref backend (bd_ref_run_op).
 *
 * A tensor is an external value of a runtime when it crosses the run's
 * boundary (produced before the run, read after it, a model output, or never
 * read at all); externals are bound once, in create, to the engine's fixed
 * tensor pointers. Everything else lives in XNNPACK's own workspace.
 *
 * Support is decided per op in three stages, each falling back to ref:
 *  1. a static check here (op type, constant weights, shapes we can express,
 *     known semantic differences of this XNNPACK version);
 *  2. a probe: the op is defined alone in a throwaway subgraph, so every
 *     xnn_define_* validation runs without packing any weights;
 *  3. if creating or setting up a run's runtime still fails, each op of that
 *     run is tried in a runtime of its own, the failing ones go to ref, and
 *     the partition is rebuilt.
 *
 * Rewrites: a 1x1/stride-1 pooling is a Clamp node (XNNPACK refuses 1x1
 * pooling), an average pooling whose window is the whole input is a Global
 * Average Pooling node, and a TRANSPOSE_CONV with kernel == stride and no
 * padding is a 1x1 GEMM plus Depth To Space (see define_tconv_shuffle).
 *
 * Fusion hazard. XNNPACK's subgraph optimizer fuses a Clamp node into its
 * producer and a zero Constant Pad node into the Convolution that consumes
 * it. With external values that moves a read or a write to another point in
 * time than the engine's memory planner assumed (which may alias tensors
 * whose lifetimes do not overlap in op order): a fused producer would write
 * the clamp's external output while still reading its own (possibly aliased)
 * inputs, and a fused convolution would read the pad's external input after
 * its planned last use. So the value between such a pair is made external
 * whenever the outer side is external, which disables the fusion there.
 *
 * Everything is allocated in create; run only invokes.
 */
#include "backend.h"
#include "graph.h"
#include "common/error.h"

#if !defined(BD_HAVE_XNNPACK) && defined(__has_include)
#if __has_include(<xnnpack.h>)
#define BD_HAVE_XNNPACK 1
#endif
#endif

#ifndef BD_HAVE_XNNPACK
/* Built without libXNNPACK: the backend exists but is unavailable. */
int bd_xnn_create(const struct bd_graph *g, float *const *tensors, int threads,
                  struct bd_xnn **out)
{
    (void)g;
    (void)tensors;
    (void)threads;
    if (out)
        *out = NULL;
    return bd_fail(BD_ERR_BACKEND,
                   "xnnpack: this build of backdrop has no XNNPACK");
}
int bd_xnn_run(struct bd_xnn *x)
{
    (void)x;
    return BD_ERR_BACKEND;
}
int bd_xnn_run_bare(struct bd_xnn *x)
{
    (void)x;
    return BD_ERR_BACKEND;
}
void bd_xnn_destroy(struct bd_xnn *x) { (void)x; }
void bd_xnn_stats(const struct bd_xnn *x, int *segments, int *fallback_ops)
{
    (void)x;
    if (segments)
        *segments = 0;
    if (fallback_ops)
        *fallback_ops = 0;
}
#else /* BD_HAVE_XNNPACK */

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthreadpool.h>
#include <xnnpack.h>

enum step_kind { STEP_RUNTIME = 0, STEP_REF = 1 };

struct step {
    enum step_kind kind;
    int index;              /* runtime index or op index */
};

struct bd_xnn {
    const struct bd_graph *g;
    float *const *tensors;
    pthreadpool_t pool;
    struct bd_ref *ref;

    int num_runtimes;
    xnn_runtime_t *runtimes;
    int num_steps;
    struct step *steps;
    int num_fallback;

    /* Per op. */
    unsigned char *use_xnn;     /* 1: XNNPACK, 0: ref */
    float **synth;              /* [2 * op + k]: static data we made for
                                 * the op (k = 0, 1), or NULL */
    char **why;                 /* why the op runs in ref (first reason) */

    /* Per tensor. */
    int *prod;                  /* producing op, -1 for inputs/constants */
    int *last_reader;           /* last op reading it, -1 if none */
    unsigned char *is_output;   /* a model output */
    unsigned char *force_ext;   /* external in the run being built */
    uint32_t *ids;              /* value id in the subgraph being built */

    /* Build scratch. */
    struct xnn_external_value *extv;
    char msg[256];              /* reason of the last define/create failure */
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */

static const char *xnn_status_name(enum xnn_status st)
{
    switch (st) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
    }
    return "unknown status";
}

static void set_msg(struct bd_xnn *x, const char *fmt, ...) BD_PRINTF(2, 3);
static void set_msg(struct bd_xnn *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
}

/* Records the first reason an op goes to ref. */
static void mark_ref(struct bd_xnn *x, int op, const char *reason)
{
    x->use_xnn[op] = 0;
    if (!x->why[op]) {
        size_t n = strlen(reason) + 1;
        x->why[op] = malloc(n);
        if (x->why[op])
            memcpy(x->why[op], reason, n);
    }
}

static void *alloc_aligned(size_t bytes)
{
    /* 64-byte aligned with 64 bytes of slack (>= XNN_EXTRA_BYTES). */
    size_t n = (bytes + 64 + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, n);
    if (p)
        memset(p, 0, n);
    return p;
}

static const struct bd_tensor *T(const struct bd_xnn *x, int t)
{
    return &x->g->tensors[t];
}

static int is_const(const struct bd_xnn *x, int t)
{
    return t >= 0 && x->g->tensors[t].data != NULL;
}

static int op_input(const struct bd_op *op, int k)
{
    return k < op->num_inputs ? op->inputs[k] : -1;
}

static int maxi(int a, int b) { return a > b ? a : b; }
static int nz(int v) { return v > 0 ? v : 1; }

/* ------------------------------------------------------------------------ */
/* Stage 1: static support check                                             */

static int act_ok(enum bd_act act)
{
    return act == BD_ACT_NONE || act == BD_ACT_RELU ||
           act == BD_ACT_RELU_N1_TO_1 || act == BD_ACT_RELU6;
}

static int is_f32_const(const struct bd_xnn *x, int t)
{
    return is_const(x, t) && T(x, t)->dtype == BD_DT_F32;
}

/* A 1x1 pooling window with stride 1 and no padding is a plain clamp
 * (XNNPACK refuses 1x1 pooling as "meaningless"). */
static int pool_is_identity(const struct bd_pool_params *p)
{
    return p->filter_h == 1 && p->filter_w == 1 && p->stride_h == 1 &&
           p->stride_w == 1 && p->pad_top == 0 && p->pad_bottom == 0 &&
           p->pad_left == 0 && p->pad_right == 0;
}

/* A window covering the whole unpadded input (one output pixel): the
 * squeeze-excite pooling of the selfie models. XNNPACK's global average
 * pooling is cheaper than a 64x64-tap average pooling. */
static int pool_is_global(const struct bd_pool_params *p,
                          const struct bd_tensor *in)
{
    return in->ndim == 4 && p->filter_h == in->dims[1] &&
           p->filter_w == in->dims[2] &&
           (p->pad_top | p->pad_bottom | p->pad_left | p->pad_right) == 0;
}

/* Returns NULL when the op may go to XNNPACK, else why not. */
static const char *static_check(struct bd_xnn *x, int i)
{
    const struct bd_op *op = &x->g->ops[i];
    const int in = op_input(op, 0);
    const struct bd_tensor *ti = in >= 0 ? T(x, in) : NULL;
    const struct bd_tensor *to = T(x, op->output);

    if (in < 0)
        return "no input";
    if (is_const(x, op->output))
        return "constant output";
    /* Activations are f32 by the graph invariants; constants we pass as
     * static values must be f32 too (checked where used). */

    switch (op->type) {
    case BD_OP_CONV2D:
    case BD_OP_DWCONV2D:
    case BD_OP_TRANSPOSE_CONV: {
        const struct bd_conv_params *c = &op->p.conv;
        const int w = op_input(op, 1), b = op_input(op, 2);
        if (w < 0 || !is_f32_const(x, w))
            return "filter is not a float32 constant";
        if (b >= 0 && !is_f32_const(x, b))
            return "bias is not a float32 constant";
        if (ti->ndim != 4 || to->ndim != 4 || T(x, w)->ndim != 4)
            return "not 4-D";
        if (!act_ok(c->act))
            return "unknown fused activation";
        const int *fd = T(x, w)->dims;
        if (fd[1] != c->kernel_h || fd[2] != c->kernel_w)
            return "kernel size differs from the filter shape";
        if (c->pad_top < 0 || c->pad_bottom < 0 || c->pad_left < 0 ||
            c->pad_right < 0 || c->stride_h < 1 || c->stride_w < 1)
            return "negative padding or zero stride";
        const int H = ti->dims[1], W = ti->dims[2], C = ti->dims[3];
        int co, oh, ow;
        if (op->type == BD_OP_TRANSPOSE_CONV) {
            if (fd[3] != C)
                return "filter input channels differ from the input";
            co = fd[0];
            if (c->adj_h < 0 || c->adj_w < 0 ||
                c->adj_h >= c->stride_h || c->adj_w >= c->stride_w)
                return "output adjustment not below the stride";
            if (nz(c->dilation_h) != 1 || nz(c->dilation_w) != 1)
                return "dilated transpose convolution";
            oh = (H - 1) * c->stride_h + c->kernel_h - c->pad_top -
                 c->pad_bottom + c->adj_h;
            ow = (W - 1) * c->stride_w + c->kernel_w - c->pad_left -
                 c->pad_right + c->adj_w;
        } else {
            const int eh = (c->kernel_h - 1) * nz(c->dilation_h) + 1;
            const int ew = (c->kernel_w - 1) * nz(c->dilation_w) + 1;
            const int ph = H + c->pad_top + c->pad_bottom;
            const int pw = W + c->pad_left + c->pad_right;
            if (ph < eh || pw < ew)
                return "kernel larger than the padded input";
            oh = (ph - eh) / c->stride_h + 1;
            ow = (pw - ew) / c->stride_w + 1;
            if (op->type == BD_OP_CONV2D) {
                if (fd[3] != C)
                    return "grouped convolution (filter channels differ "
                           "from the input)";
                co = fd[0];
            } else {
                const int m = c->depth_multiplier > 0
                                  ? c->depth_multiplier
                                  : (C > 0 ? fd[3] / C : 0);
                if (fd[0] != 1 || m < 1 || fd[3] != C * m)
                    return "depthwise filter shape differs from C * "
                           "depth_multiplier";
                co = C * m;
            }
        }
        if (b >= 0 && T(x, b)->count != (size_t)co)
            return "bias length differs from the output channels";
        if (to->dims[0] != ti->dims[0] || to->dims[1] != oh ||
            to->dims[2] != ow || to->dims[3] != co)
            return "output shape differs from XNNPACK's formula";
        return NULL;
    }
    case BD_OP_FULLY_CONNECTED: {
        const int w = op_input(op, 1), b = op_input(op, 2);
        if (w < 0 || !is_f32_const(x, w) || T(x, w)->ndim != 2)
            return "weights are not a 2-D float32 constant";
        if (b >= 0 && !is_f32_const(x, b))
            return "bias is not a float32 constant";
        if (!act_ok(op->p.binary.act))
            return "unknown fused activation";
        const size_t co = (size_t)T(x, w)->dims[0];
        const size_t ci = (size_t)T(x, w)->dims[1];
        if (ci == 0 || ti->count % ci != 0)
            return "input size is not a multiple of the weights' width";
        if (to->count != ti->count / ci * co)
            return "output size differs from rows * output channels";
        if (b >= 0 && T(x, b)->count != co)
            return "bias length differs from the output channels";
        return NULL;
    }
    case BD_OP_ADD:
    case BD_OP_SUB:
    case BD_OP_MUL: {
        const int b = op_input(op, 1);
        if (b < 0)
            return "missing second operand";
        if (is_const(x, in) && T(x, in)->dtype != BD_DT_F32)
            return "first operand is not float32";
        if (is_const(x, b) && T(x, b)->dtype != BD_DT_F32)
            return "second operand is not float32";
        if (is_const(x, in) && is_const(x, b))
            return "both operands constant";
        if (!act_ok(op->p.binary.act))
            return "unknown fused activation";
        return NULL;
    }
    case BD_OP_HARD_SWISH:
    case BD_OP_RELU:
    case BD_OP_RELU6:
    case BD_OP_LOGISTIC:
    case BD_OP_LEAKY_RELU:
    case BD_OP_RESHAPE:
        if (is_const(x, in))
            return "constant input";
        if (to->count != ti->count)
            return "element count changes";
        return NULL;
    case BD_OP_PRELU: {
        const int a = op_input(op, 1);
        if (a < 0 || !is_f32_const(x, a))
            return "alpha is not a float32 constant";
        const int C = ti->dims[ti->ndim - 1];
        const struct bd_tensor *ta = T(x, a);
        if (ta->count == 1)
            return NULL;        /* expanded to [C] */
        if (ta->count != (size_t)C || ta->ndim < 1 ||
            ta->dims[ta->ndim - 1] != C)
            return "alpha varies along more than the channel axis";
        return NULL;
    }
    case BD_OP_AVG_POOL:
    case BD_OP_MAX_POOL: {
        const struct bd_pool_params *p = &op->p.pool;
        if (ti->ndim != 4 || to->ndim != 4)
            return "not 4-D";
        if (!act_ok(p->act))
            return "unknown fused activation";
        if (pool_is_identity(p))
            return NULL;        /* a clamp */
        if (op->type == BD_OP_AVG_POOL && pool_is_global(p, ti) &&
            to->dims[0] == ti->dims[0] && to->dims[1] == 1 &&
            to->dims[2] == 1 && to->dims[3] == ti->dims[3])
            return NULL;        /* a global average pooling */
        if (p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1 ||
            p->stride_w < 1 || p->pad_top < 0 || p->pad_bottom < 0 ||
            p->pad_left < 0 || p->pad_right < 0)
            return "invalid pooling parameters";
        if (p->filter_h * p->filter_w == 1)
            return "1x1 pooling with stride or padding";
        if (p->stride_h > p->filter_h || p->stride_w > p->filter_w)
            return "pooling stride larger than the window";
        if (p->pad_top >= p->filter_h || p->pad_bottom >= p->filter_h ||
            p->pad_left >= p->filter_w || p->pad_right >= p->filter_w)
            return "padding as large as the pooling window";
        const int ph = ti->dims[1] + p->pad_top + p->pad_bottom;
        const int pw = ti->dims[2] + p->pad_left + p->pad_right;
        if (ph < p->filter_h || pw < p->filter_w)
            return "window larger than the padded input";
        if (to->dims[0] != ti->dims[0] ||
            to->dims[1] != (ph - p->filter_h) / p->stride_h + 1 ||
            to->dims[2] != (pw - p->filter_w) / p->stride_w + 1 ||
            to->dims[3] != ti->dims[3])
            return "output shape differs from XNNPACK's formula";
        /* Padded average pooling: XNNPACK switches to its "pixelwise"
         * kernels, which divide by the number of in-bounds taps, like
         * TFLite (checked by tests/test_xnn_vs_ref.c). */
        return NULL;
    }
    case BD_OP_MEAN:
        if (ti->ndim != 4 || to->ndim != 4 || to->dims[0] != ti->dims[0] ||
            to->dims[1] != 1 || to->dims[2] != 1 || to->dims[3] != ti->dims[3])
            return "not a 4-D mean over H and W with keep_dims";
        return NULL;
    case BD_OP_RESIZE_BILINEAR:
        if (ti->ndim != 4 || to->ndim != 4 || to->dims[0] != ti->dims[0] ||
            to->dims[3] != ti->dims[3])
            return "not a 4-D NHWC resize";
        if (op->p.resize.align_corners && op->p.resize.half_pixel_centers)
            return "align_corners together with half_pixel_centers";
        return NULL;
    case BD_OP_SOFTMAX:
        if (op->p.softmax.beta != 1.0f)
            return "SOFTMAX with beta != 1";
        if (to->count != ti->count)
            return "element count changes";
        return NULL;
    case BD_OP_PAD:
        if (to->ndim != ti->ndim)
            return "rank changes";
        for (int d = 0; d < ti->ndim; d++) {
            const int *pd = op->p.pad.pad[d];
            if (pd[0] < 0 || pd[1] < 0)
                return "negative padding";
            if (to->dims[d] != ti->dims[d] + pd[0] + pd[1])
                return "output shape differs from input + padding";
        }
        return NULL;
    case BD_OP_TANH:
        return "TANH has no XNNPACK subgraph node in this version";
    case BD_OP_CONCAT:
        return "CONCATENATION has no XNNPACK subgraph node in this version";
    default:
        return "no XNNPACK mapping";
    }
}

/* ------------------------------------------------------------------------ */
/* Defining ops                                                              */

struct build {
    struct bd_xnn *x;
    xnn_subgraph_t sg;
    int first, end;             /* op range [first, end) */
};

/* Would tensor t be external to run [first, end) by the base rule? */
static int base_external(const struct build *b, int t)
{
    const struct bd_xnn *x = b->x;
    if (x->prod[t] < b->first)
        return 1;               /* produced before the run, or model input */
    return x->is_output[t] || x->last_reader[t] >= b->end ||
           x->last_reader[t] < 0;
}

static uint32_t ext_flags(const struct build *b, int t)
{
    const struct bd_xnn *x = b->x;
    if (x->prod[t] < b->first)
        return XNN_VALUE_FLAG_EXTERNAL_INPUT;
    if (base_external(b, t) || x->force_ext[t])
        return XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
    return 0;
}

static int fail_st(struct bd_xnn *x, const char *call, enum xnn_status st)
{
    set_msg(x, "%s failed: %s", call, xnn_status_name(st));
    return -1;
}

/* Defines graph tensor t (once per subgraph); static when constant. */
static int def_tensor(struct build *b, int t, uint32_t *id)
{
    struct bd_xnn *x = b->x;
    if (x->ids[t] != XNN_INVALID_VALUE_ID) {
        *id = x->ids[t];
        return 0;
    }
    const struct bd_tensor *tt = T(x, t);
    size_t dims[BD_MAX_DIMS];
    for (int d = 0; d < tt->ndim; d++)
        dims[d] = (size_t)tt->dims[d];
    uint32_t flags = 0;
    if (tt->data) {
        if (tt->dtype != BD_DT_F32) {
            set_msg(x, "tensor %d is a non-float constant", t);
            return -1;
        }
    } else {
        flags = ext_flags(b, t);
        if (flags && !x->tensors[t]) {
            set_msg(x, "tensor %d has no memory", t);
            return -1;
        }
    }
    enum xnn_status st = xnn_define_tensor_value(
        b->sg, xnn_datatype_fp32, (size_t)tt->ndim, dims, tt->data,
        (uint32_t)t, flags, id);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_define_tensor_value", st);
    x->ids[t] = *id;
    return 0;
}

/* Defines a static value we synthesised (not a graph tensor). */
static int def_static(struct build *b, size_t ndim, const size_t *dims,
                      const void *data, uint32_t *id)
{
    enum xnn_status st = xnn_define_tensor_value(
        b->sg, xnn_datatype_fp32, ndim, dims, data, XNN_INVALID_VALUE_ID, 0,
        id);
    return st == xnn_status_success
               ? 0
               : fail_st(b->x, "xnn_define_tensor_value", st);
}

static int def_io(struct build *b, const struct bd_op *op, uint32_t *in_id,
                  uint32_t *out_id)
{
    if (def_tensor(b, op->inputs[0], in_id) != 0)
        return -1;
    return def_tensor(b, op->output, out_id);
}

static int def_opt(struct build *b, int t, uint32_t *id)
{
    if (t < 0) {
        *id = XNN_INVALID_VALUE_ID;
        return 0;
    }
    return def_tensor(b, t, id);
}

#define CHECK_DEF(call, name)                                                 \
    do {                                                                      \
        enum xnn_status st_ = (call);                                         \
        if (st_ != xnn_status_success)                                        \
            return fail_st(x, name, st_);                                     \
    } while (0)

/*
 * TRANSPOSE_CONV with kernel == stride and no padding or adjustment (the
 * 2x2/s2 upsampler that ends the selfie models): every input pixel writes
 * its own s x s output block, so the op is a 1x1 GEMM to KH*KW*Co channels
 * followed by a depth-to-space of block s (channel (ky*s + kx)*Co + co goes
 * to output pixel (y*s + ky, x*s + kx), channel co). XNNPACK's
 * deconvolution is several times slower on it when Co is small (one output
 * channel: a 16-wide GEMM tile computes 1 useful column).
 */
static int tconv_is_shuffle(const struct bd_conv_params *c)
{
    return c->kernel_h == c->stride_h && c->kernel_w == c->stride_w &&
           c->kernel_h == c->kernel_w && c->stride_h > 1 &&
           (c->pad_top | c->pad_bottom | c->pad_left | c->pad_right |
            c->adj_h | c->adj_w) == 0;
}

static int define_tconv_shuffle(struct build *b, int i, float lo, float hi,
                                uint32_t in_id, uint32_t out_id)
{
    struct bd_xnn *x = b->x;
    const struct bd_op *op = &x->g->ops[i];
    const struct bd_tensor *ti = T(x, op->inputs[0]);
    const struct bd_tensor *tw = T(x, op->inputs[1]);
    const int bias = op_input(op, 2);
    const size_t co = (size_t)tw->dims[0], ci = (size_t)tw->dims[3];
    const size_t s = (size_t)tw->dims[1];
    const size_t n = s * s * co;            /* GEMM output channels */
    if (!x->synth[2 * i]) {
        float *w = alloc_aligned(n * ci * sizeof(float));
        float *bb = alloc_aligned(n * sizeof(float));
        if (!w || !bb) {
            free(w);
            free(bb);
            set_msg(x, "out of memory");
            return -1;
        }
        const float *src = tw->data;
        const float *sb = bias >= 0 ? T(x, bias)->data : NULL;
        for (size_t o = 0; o < co; o++)
            for (size_t k = 0; k < s * s; k++) {
                memcpy(w + (k * co + o) * ci, src + (o * s * s + k) * ci,
                       ci * sizeof(float));
                bb[k * co + o] = sb ? sb[o] : 0.0f;
            }
        x->synth[2 * i] = w;
        x->synth[2 * i + 1] = bb;
    }
    const size_t wdims[2] = {n, ci};
    const size_t mdims[4] = {(size_t)ti->dims[0], (size_t)ti->dims[1],
                             (size_t)ti->dims[2], n};
    uint32_t w_id, b_id, mid_id;
    if (def_static(b, 2, wdims, x->synth[2 * i], &w_id) != 0 ||
        def_static(b, 1, &n, x->synth[2 * i + 1], &b_id) != 0)
        return -1;
    enum xnn_status st = xnn_define_tensor_value(
        b->sg, xnn_datatype_fp32, 4, mdims, NULL, XNN_INVALID_VALUE_ID, 0,
        &mid_id);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_define_tensor_value", st);
    st = xnn_define_fully_connected(b->sg, lo, hi, in_id, w_id, b_id, mid_id,
                                    0);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_define_fully_connected", st);
    st = xnn_define_depth_to_space(b->sg, mid_id, out_id, (uint32_t)s, 0);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_define_depth_to_space", st);
    return 0;
}

static int define_op(struct build *b, int i)
{
    struct bd_xnn *x = b->x;
    const struct bd_op *op = &x->g->ops[i];
    uint32_t in_id, out_id, w_id, b_id;
    float lo = -INFINITY, hi = INFINITY;

    switch (op->type) {
    case BD_OP_CONV2D:
    case BD_OP_DWCONV2D:
    case BD_OP_TRANSPOSE_CONV: {
        const struct bd_conv_params *c = &op->p.conv;
        bd_act_range(c->act, &lo, &hi);
        if (def_io(b, op, &in_id, &out_id) != 0 ||
            def_tensor(b, op->inputs[1], &w_id) != 0 ||
            def_opt(b, op_input(op, 2), &b_id) != 0)
            return -1;
        const int *fd = T(x, op->inputs[1])->dims;
        const size_t C = (size_t)T(x, op->inputs[0])->dims[3];
        if (op->type == BD_OP_CONV2D) {
            CHECK_DEF(xnn_define_convolution_2d(
                          b->sg, (uint32_t)c->pad_top, (uint32_t)c->pad_right,
                          (uint32_t)c->pad_bottom, (uint32_t)c->pad_left,
                          (uint32_t)c->kernel_h, (uint32_t)c->kernel_w,
                          (uint32_t)c->stride_h, (uint32_t)c->stride_w,
                          (uint32_t)nz(c->dilation_h),
                          (uint32_t)nz(c->dilation_w), 1, C, (size_t)fd[0],
                          lo, hi, in_id, w_id, b_id, out_id, 0),
                      "xnn_define_convolution_2d");
        } else if (op->type == BD_OP_DWCONV2D) {
            const int m = c->depth_multiplier > 0 ? c->depth_multiplier
                                                  : fd[3] / (int)C;
            CHECK_DEF(xnn_define_depthwise_convolution_2d(
                          b->sg, (uint32_t)c->pad_top, (uint32_t)c->pad_right,
                          (uint32_t)c->pad_bottom, (uint32_t)c->pad_left,
                          (uint32_t)c->kernel_h, (uint32_t)c->kernel_w,
                          (uint32_t)c->stride_h, (uint32_t)c->stride_w,
                          (uint32_t)nz(c->dilation_h),
                          (uint32_t)nz(c->dilation_w), (uint32_t)m, C, lo, hi,
                          in_id, w_id, b_id, out_id, 0),
                      "xnn_define_depthwise_convolution_2d");
        } else if (tconv_is_shuffle(c)) {
            return define_tconv_shuffle(b, i, lo, hi, in_id, out_id);
        } else {
            CHECK_DEF(xnn_define_deconvolution_2d(
                          b->sg, (uint32_t)c->pad_top, (uint32_t)c->pad_right,
                          (uint32_t)c->pad_bottom, (uint32_t)c->pad_left,
                          (uint32_t)c->adj_h, (uint32_t)c->adj_w,
                          (uint32_t)c->kernel_h, (uint32_t)c->kernel_w,
                          (uint32_t)c->stride_h, (uint32_t)c->stride_w, 1, 1,
                          1, C, (size_t)fd[0], lo, hi, in_id, w_id, b_id,
                          out_id, 0),
                      "xnn_define_deconvolution_2d");
        }
        return 0;
    }
    case BD_OP_FULLY_CONNECTED:
        /* This XNNPACK flattens the input to [count / Ci, Ci] and writes
         * [rows, Co] contiguously whatever the values' shapes say, which is
         * exactly TFLite's FULLY_CONNECTED (keep_num_dims or not). */
        bd_act_range(op->p.binary.act, &lo, &hi);
        if (def_io(b, op, &in_id, &out_id) != 0 ||
            def_tensor(b, op->inputs[1], &w_id) != 0 ||
            def_opt(b, op_input(op, 2), &b_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_fully_connected(b->sg, lo, hi, in_id, w_id, b_id,
                                             out_id, 0),
                  "xnn_define_fully_connected");
        return 0;
    case BD_OP_ADD:
    case BD_OP_SUB:
    case BD_OP_MUL:
        bd_act_range(op->p.binary.act, &lo, &hi);
        if (def_io(b, op, &in_id, &out_id) != 0 ||
            def_tensor(b, op->inputs[1], &w_id) != 0)
            return -1;
        if (op->type == BD_OP_ADD)
            CHECK_DEF(xnn_define_add2(b->sg, lo, hi, in_id, w_id, out_id, 0),
                      "xnn_define_add2");
        else if (op->type == BD_OP_SUB)
            CHECK_DEF(xnn_define_subtract(b->sg, lo, hi, in_id, w_id, out_id,
                                          0),
                      "xnn_define_subtract");
        else
            CHECK_DEF(xnn_define_multiply2(b->sg, lo, hi, in_id, w_id, out_id,
                                           0),
                      "xnn_define_multiply2");
        return 0;
    case BD_OP_HARD_SWISH:
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_hardswish(b->sg, in_id, out_id, 0),
                  "xnn_define_hardswish");
        return 0;
    case BD_OP_RELU:
    case BD_OP_RELU6:
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_clamp(b->sg, 0.0f,
                                   op->type == BD_OP_RELU ? INFINITY : 6.0f,
                                   in_id, out_id, 0),
                  "xnn_define_clamp");
        return 0;
    case BD_OP_LOGISTIC:
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_sigmoid(b->sg, in_id, out_id, 0),
                  "xnn_define_sigmoid");
        return 0;
    case BD_OP_LEAKY_RELU:
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_leaky_relu(b->sg, op->p.leaky.alpha, in_id,
                                        out_id, 0),
                  "xnn_define_leaky_relu");
        return 0;
    case BD_OP_PRELU: {
        const struct bd_tensor *ti = T(x, op->inputs[0]);
        const struct bd_tensor *ta = T(x, op->inputs[1]);
        const size_t C = (size_t)ti->dims[ti->ndim - 1];
        const float *slope = ta->data;
        if (ta->count == 1) {
            if (!x->synth[2 * i]) {
                x->synth[2 * i] = alloc_aligned(C * sizeof(float));
                if (!x->synth[2 * i]) {
                    set_msg(x, "out of memory");
                    return -1;
                }
                for (size_t k = 0; k < C; k++)
                    x->synth[2 * i][k] = slope[0];
            }
            slope = x->synth[2 * i];
        }
        if (def_io(b, op, &in_id, &out_id) != 0 ||
            def_static(b, 1, &C, slope, &w_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_prelu(b->sg, in_id, w_id, out_id, 0),
                  "xnn_define_prelu");
        return 0;
    }
    case BD_OP_AVG_POOL:
    case BD_OP_MAX_POOL: {
        const struct bd_pool_params *p = &op->p.pool;
        bd_act_range(p->act, &lo, &hi);
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        if (pool_is_identity(p)) {
            CHECK_DEF(xnn_define_clamp(b->sg, lo, hi, in_id, out_id, 0),
                      "xnn_define_clamp");
        } else if (op->type == BD_OP_AVG_POOL &&
                   pool_is_global(p, T(x, op->inputs[0]))) {
            CHECK_DEF(xnn_define_global_average_pooling_2d(b->sg, lo, hi, in_id,
                                                           out_id, 0),
                      "xnn_define_global_average_pooling_2d");
        } else if (op->type == BD_OP_AVG_POOL) {
            CHECK_DEF(xnn_define_average_pooling_2d(
                          b->sg, (uint32_t)p->pad_top, (uint32_t)p->pad_right,
                          (uint32_t)p->pad_bottom, (uint32_t)p->pad_left,
                          (uint32_t)p->filter_h, (uint32_t)p->filter_w,
                          (uint32_t)p->stride_h, (uint32_t)p->stride_w, lo, hi,
                          in_id, out_id, 0),
                      "xnn_define_average_pooling_2d");
        } else {
            CHECK_DEF(xnn_define_max_pooling_2d(
                          b->sg, (uint32_t)p->pad_top, (uint32_t)p->pad_right,
                          (uint32_t)p->pad_bottom, (uint32_t)p->pad_left,
                          (uint32_t)p->filter_h, (uint32_t)p->filter_w,
                          (uint32_t)p->stride_h, (uint32_t)p->stride_w, 1, 1,
                          lo, hi, in_id, out_id, 0),
                      "xnn_define_max_pooling_2d");
        }
        return 0;
    }
    case BD_OP_MEAN:
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_global_average_pooling_2d(b->sg, -INFINITY,
                                                       INFINITY, in_id, out_id,
                                                       0),
                  "xnn_define_global_average_pooling_2d");
        return 0;
    case BD_OP_RESIZE_BILINEAR: {
        uint32_t flags = 0;
        if (op->p.resize.align_corners)
            flags = XNN_FLAG_ALIGN_CORNERS;
        else if (!op->p.resize.half_pixel_centers)
            flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        const struct bd_tensor *to = T(x, op->output);
        CHECK_DEF(xnn_define_static_resize_bilinear_2d(
                      b->sg, (size_t)to->dims[1], (size_t)to->dims[2], in_id,
                      out_id, flags),
                  "xnn_define_static_resize_bilinear_2d");
        return 0;
    }
    case BD_OP_SOFTMAX:
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_softmax(b->sg, in_id, out_id, 0),
                  "xnn_define_softmax");
        return 0;
    case BD_OP_PAD: {
        const struct bd_tensor *ti = T(x, op->inputs[0]);
        size_t pre[BD_MAX_DIMS], post[BD_MAX_DIMS];
        for (int d = 0; d < ti->ndim; d++) {
            pre[d] = (size_t)op->p.pad.pad[d][0];
            post[d] = (size_t)op->p.pad.pad[d][1];
        }
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_static_constant_pad(b->sg, pre, post, 0.0f, in_id,
                                                 out_id, 0),
                  "xnn_define_static_constant_pad");
        return 0;
    }
    case BD_OP_RESHAPE: {
        const struct bd_tensor *to = T(x, op->output);
        size_t dims[BD_MAX_DIMS];
        for (int d = 0; d < to->ndim; d++)
            dims[d] = (size_t)to->dims[d];
        if (def_io(b, op, &in_id, &out_id) != 0)
            return -1;
        CHECK_DEF(xnn_define_static_reshape(b->sg, (size_t)to->ndim, dims,
                                            in_id, out_id, 0),
                  "xnn_define_static_reshape");
        return 0;
    }
    default:
        set_msg(x, "no XNNPACK mapping");
        return -1;
    }
}

/* An op XNNPACK defines as a Clamp node (fusable into its producer). */
static int is_clamp_op(const struct bd_op *op)
{
    return op->type == BD_OP_RELU || op->type == BD_OP_RELU6 ||
           ((op->type == BD_OP_AVG_POOL || op->type == BD_OP_MAX_POOL) &&
            pool_is_identity(&op->p.pool));
}

/* Sets force_ext for run [first, end); see "Fusion hazard" above. */
static void plan_externals(struct build *b)
{
    struct bd_xnn *x = b->x;
    int changed = 1;
    for (int i = b->first; i < b->end; i++) {
        const struct bd_op *op = &x->g->ops[i];
        for (int k = 0; k < op->num_inputs; k++)
            if (op->inputs[k] >= 0)
                x->force_ext[op->inputs[k]] = 0;
        x->force_ext[op->output] = 0;
    }
    while (changed) {
        changed = 0;
        for (int i = b->end - 1; i >= b->first; i--) {
            const struct bd_op *op = &x->g->ops[i];
            const int v = op->inputs[0];
            if (is_clamp_op(op)) {
                /* Clamp: a fused producer would write the clamp's output. */
                if (v < 0 || is_const(x, v) || x->prod[v] < b->first ||
                    x->force_ext[v])
                    continue;
                if (base_external(b, op->output) || x->force_ext[op->output]) {
                    x->force_ext[v] = 1;
                    changed = 1;
                }
            } else if (op->type == BD_OP_PAD) {
                /* Pad: a fused convolution would read the pad's input. */
                const int p = op->output;
                if (v < 0 || is_const(x, v) || x->force_ext[p] ||
                    base_external(b, p))
                    continue;
                if (base_external(b, v) || x->force_ext[v]) {
                    x->force_ext[p] = 1;
                    changed = 1;
                }
            }
        }
    }
}

static void reset_ids(struct bd_xnn *x)
{
    for (int t = 0; t < x->g->num_tensors; t++)
        x->ids[t] = XNN_INVALID_VALUE_ID;
}

/* Stage 2: defines op i alone; 0 when every XNNPACK validation passed. */
static int probe_op(struct bd_xnn *x, int i)
{
    struct build b = {x, NULL, i, i + 1};
    enum xnn_status st =
        xnn_create_subgraph((uint32_t)x->g->num_tensors, 0, &b.sg);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_create_subgraph", st);
    reset_ids(x);
    plan_externals(&b);
    int r = define_op(&b, i);
    xnn_delete_subgraph(b.sg);
    return r;
}

/* Builds run [first, end) into a runtime bound to the engine's tensors. */
static int build_runtime(struct bd_xnn *x, int first, int end,
                         xnn_runtime_t *out)
{
    struct build b = {x, NULL, first, end};
    xnn_runtime_t rt = NULL;
    *out = NULL;
    enum xnn_status st =
        xnn_create_subgraph((uint32_t)x->g->num_tensors, 0, &b.sg);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_create_subgraph", st);
    reset_ids(x);
    plan_externals(&b);
    for (int i = first; i < end; i++) {
        if (define_op(&b, i) != 0) {
            xnn_delete_subgraph(b.sg);
            return -1;
        }
    }
    st = xnn_create_runtime_v2(b.sg, x->pool, 0, &rt);
    xnn_delete_subgraph(b.sg);
    if (st != xnn_status_success)
        return fail_st(x, "xnn_create_runtime_v2", st);

    size_t n = 0;
    for (int t = 0; t < x->g->num_tensors; t++) {
        if (x->ids[t] == XNN_INVALID_VALUE_ID || is_const(x, t) ||
            !ext_flags(&b, t))
            continue;
        x->extv[n].id = x->ids[t];
        x->extv[n].data = x->tensors[t];
        n++;
    }
    st = xnn_setup_runtime(rt, n, x->extv);
    if (st != xnn_status_success) {
        xnn_delete_runtime(rt);
        return fail_st(x, "xnn_setup_runtime", st);
    }
    *out = rt;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Public interface                                                          */

static void free_runtimes(struct bd_xnn *x)
{
    for (int r = 0; r < x->num_runtimes; r++)
        xnn_delete_runtime(x->runtimes[r]);
    x->num_runtimes = 0;
    x->num_steps = 0;
}

void bd_xnn_destroy(struct bd_xnn *x)
{
    if (!x)
        return;
    if (x->runtimes)
        free_runtimes(x);
    if (x->pool)
        pthreadpool_destroy(x->pool);
    bd_ref_destroy(x->ref);
    if (x->g) {
        for (int i = 0; i < x->g->num_ops; i++) {
            if (x->synth) {
                free(x->synth[2 * i]);
                free(x->synth[2 * i + 1]);
            }
            if (x->why)
                free(x->why[i]);
        }
    }
    free(x->runtimes);
    free(x->steps);
    free(x->use_xnn);
    free(x->synth);
    free(x->why);
    free(x->prod);
    free(x->last_reader);
    free(x->is_output);
    free(x->force_ext);
    free(x->ids);
    free(x->extv);
    free(x);
}

/* Partitions and builds every runtime; 1 when some op was moved to ref and
 * the caller must start again, 0 when done, <0 on a hard failure. */
static int build_all(struct bd_xnn *x)
{
    const struct bd_graph *g = x->g;
    int i = 0;
    while (i < g->num_ops) {
        if (!x->use_xnn[i]) {
            x->steps[x->num_steps++] = (struct step){STEP_REF, i};
            i++;
            continue;
        }
        int end = i;
        while (end < g->num_ops && x->use_xnn[end])
            end++;
        xnn_runtime_t rt;
        if (build_runtime(x, i, end, &rt) != 0) {
            /* Stage 3: find the ops XNNPACK rejects in a runtime. */
            char first_msg[sizeof x->msg];
            memcpy(first_msg, x->msg, sizeof first_msg);
            int culprits = 0;
            for (int k = i; k < end; k++) {
                xnn_runtime_t one;
                if (build_runtime(x, k, k + 1, &one) != 0) {
                    mark_ref(x, k, x->msg);
                    culprits++;
                } else {
                    xnn_delete_runtime(one);
                }
            }
            if (!culprits) {
                /* Each op works alone but not together: give up on the
                 * run rather than on the model. */
                for (int k = i; k < end; k++)
                    mark_ref(x, k, first_msg);
            }
            return 1;
        }
        x->runtimes[x->num_runtimes] = rt;
        x->steps[x->num_steps++] =
            (struct step){STEP_RUNTIME, x->num_runtimes};
        x->num_runtimes++;
        i = end;
    }
    return 0;
}

int bd_xnn_create(const struct bd_graph *g, float *const *tensors, int threads,
                  struct bd_xnn **out)
{
    if (!g || !tensors || !out)
        return bd_fail(BD_ERR_INVALID_ARG, "xnnpack: NULL argument");
    *out = NULL;

    enum xnn_status st = xnn_initialize(NULL);
    if (st != xnn_status_success)
        return bd_fail(BD_ERR_BACKEND, "xnnpack: xnn_initialize failed: %s",
                       xnn_status_name(st));

    struct bd_xnn *x = calloc(1, sizeof *x);
    if (!x)
        return bd_fail(BD_ERR_NOMEM, "xnnpack: out of memory");
    x->g = g;
    x->tensors = tensors;
    const size_t nop = (size_t)maxi(g->num_ops, 1);
    const size_t nt = (size_t)maxi(g->num_tensors, 1);
    x->runtimes = calloc(nop, sizeof *x->runtimes);
    x->steps = calloc(nop, sizeof *x->steps);
    x->use_xnn = calloc(nop, 1);
    x->synth = calloc(2 * nop, sizeof *x->synth);
    x->why = calloc(nop, sizeof *x->why);
    x->prod = malloc(nt * sizeof *x->prod);
    x->last_reader = malloc(nt * sizeof *x->last_reader);
    x->is_output = calloc(nt, 1);
    x->force_ext = calloc(nt, 1);
    x->ids = malloc(nt * sizeof *x->ids);
    x->extv = calloc(nt, sizeof *x->extv);
    if (!x->runtimes || !x->steps || !x->use_xnn || !x->synth || !x->why ||
        !x->prod || !x->last_reader || !x->is_output || !x->force_ext ||
        !x->ids || !x->extv) {
        bd_xnn_destroy(x);
        return bd_fail(BD_ERR_NOMEM, "xnnpack: out of memory");
    }

    if (threads > 1) {
        x->pool = pthreadpool_create((size_t)threads);
        if (!x->pool) {
            bd_xnn_destroy(x);
            return bd_fail(BD_ERR_BACKEND,
                           "xnnpack: cannot create a pool of %d threads",
                           threads);
        }
    }

    /* Producers and readers, recomputed from the op list itself. */
    for (int t = 0; t < g->num_tensors; t++) {
        x->prod[t] = -1;
        x->last_reader[t] = -1;
    }
    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        for (int k = 0; k < op->num_inputs; k++)
            if (op->inputs[k] >= 0)
                x->last_reader[op->inputs[k]] = i;
        x->prod[op->output] = i;
    }
    for (int k = 0; k < g->num_outputs; k++)
        x->is_output[g->outputs[k]] = 1;

    /* Stages 1 and 2. */
    for (int i = 0; i < g->num_ops; i++) {
        const char *why = static_check(x, i);
        if (why) {
            mark_ref(x, i, why);
            continue;
        }
        if (probe_op(x, i) != 0) {
            mark_ref(x, i, x->msg);
            continue;
        }
        x->use_xnn[i] = 1;
    }

    /* Stage 3: build; each failed round moves at least one op to ref. */
    for (;;) {
        int r = build_all(x);
        if (r == 0)
            break;
        free_runtimes(x);
    }

    x->num_fallback = 0;
    for (int i = 0; i < g->num_ops; i++)
        x->num_fallback += !x->use_xnn[i];
    if (x->num_fallback) {
        int rs = bd_ref_create(g, tensors, &x->ref);
        if (rs != BD_OK) {
            char detail[256];
            snprintf(detail, sizeof detail, "%s", bd_last_error());
            int first = 0;
            while (x->use_xnn[first])
                first++;
            const struct bd_op *op = &g->ops[first];
            bd_fail(rs,
                    "xnnpack: op %s (#%d) needs the ref fallback (%s), but "
                    "ref failed: %s",
                    op->tflite_name ? op->tflite_name
                                    : bd_op_type_name(op->type),
                    first, x->why[first] ? x->why[first] : "?", detail);
            x->ref = NULL;
            bd_xnn_destroy(x);
            return rs;
        }
    }
    *out = x;
    return BD_OK;
}

int bd_xnn_run(struct bd_xnn *x)
{
    for (int s = 0; s < x->num_steps; s++) {
        const struct step *sp = &x->steps[s];
        if (sp->kind == STEP_RUNTIME) {
            enum xnn_status st = xnn_invoke_runtime(x->runtimes[sp->index]);
            if (st != xnn_status_success)
                return bd_fail(BD_ERR_BACKEND,
                               "xnnpack: runtime %d failed: %s", sp->index,
                               xnn_status_name(st));
        } else {
            int r = bd_ref_run_op(x->ref, sp->index);
            if (r != BD_OK)
                return r;
        }
    }
    return BD_OK;
}

int bd_xnn_run_bare(struct bd_xnn *x)
{
    for (int r = 0; r < x->num_runtimes; r++) {
        enum xnn_status st = xnn_invoke_runtime(x->runtimes[r]);
        if (st != xnn_status_success)
            return bd_fail(BD_ERR_BACKEND, "xnnpack: runtime %d failed: %s", r,
                           xnn_status_name(st));
    }
    return BD_OK;
}

void bd_xnn_stats(const struct bd_xnn *x, int *segments, int *fallback_ops)
{
    if (segments)
        *segments = x ? x->num_runtimes : 0;
    if (fallback_ops)
        *fallback_ops = x ? x->num_fallback : 0;
}

#endif /* BD_HAVE_XNNPACK */
