/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the TFLite reader (src/model/tflite.c).
 *
 * Feeds the input to bd_tflite_load(). A failure must come with a known
 * negative status and a non-empty bd_last_error(). A success must give a
 * graph meeting every invariant documented in src/model/graph.h; the graph
 * is then reloaded once per output and bd_graph_select_output() is applied,
 * and the pruned graph is checked again.
 *
 * The library never aborts; this harness does, because abort() is how a
 * fuzzer reports "found a bug". Every check prints what was wrong first.
 *
 * Built by `make fuzz-build`; run by scripts/fuzz.sh.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "model/graph.h"
#include "model/tflite.h"

static void broken(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_tflite: invariant broken: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

#define CHECK(cond, ...)                 \
    do {                                 \
        if (!(cond))                     \
            broken(__VA_ARGS__);         \
    } while (0)

static volatile float sink;

/* Touches the first and last element so ASan checks that the constant's
 * allocation really holds count elements. */
static void touch(const struct bd_tensor *t)
{
    if (!t->data || t->count == 0)
        return;
    const unsigned char *p = t->data;
    float a, b;
    memcpy(&a, p, 4);
    memcpy(&b, p + (t->count - 1) * 4, 4);
    sink = a + b;
    CHECK(((uintptr_t)t->data & 63) == 0, "constant '%s' is not 64-byte aligned", t->name);
}

static int is_act(int a)
{
    return a == BD_ACT_NONE || a == BD_ACT_RELU || a == BD_ACT_RELU_N1_TO_1 || a == BD_ACT_RELU6;
}

static const struct bd_tensor *tin(const struct bd_graph *g, const struct bd_op *op, int k)
{
    if (k >= op->num_inputs || op->inputs[k] < 0)
        return NULL;
    return &g->tensors[op->inputs[k]];
}

/* Is in[k] of this op an int32 "shape-like" operand (decoded, not read)? */
static int shape_like(const struct bd_op *op, int k)
{
    return k == 1 && (op->type == BD_OP_MEAN || op->type == BD_OP_RESIZE_BILINEAR || op->type == BD_OP_PAD);
}

static void need_nhwc(const struct bd_tensor *t, int i, const char *what)
{
    CHECK(t && t->ndim == 4 && t->dims[0] == 1, "op #%d: %s is not [1,H,W,C]", i, what);
}

/* Output length of a windowed op along one axis with explicit padding. */
static void check_window(int i, int in, int out, int k, int stride, int dil, int before, int after)
{
    CHECK(k >= 1 && stride >= 1 && dil >= 1, "op #%d: kernel/stride/dilation < 1", i);
    CHECK(before >= 0 && after >= 0, "op #%d: negative padding", i);
    int64_t eff = (int64_t)(k - 1) * dil + 1;
    int64_t span = (int64_t)in + before + after;
    CHECK(span >= eff, "op #%d: window larger than the padded input", i);
    CHECK((int64_t)out == (span - eff) / stride + 1,
          "op #%d: output size %d != (in %d + pad %d+%d - %lld) / %d + 1", i, out, in, before, after,
          (long long)eff, stride);
}

static void check_op_shapes(const struct bd_graph *g, int i)
{
    const struct bd_op *op = &g->ops[i];
    const struct bd_tensor *o = &g->tensors[op->output];
    const struct bd_tensor *a = tin(g, op, 0), *w = tin(g, op, 1), *b = tin(g, op, 2);
    switch (op->type) {
    case BD_OP_CONV2D:
    case BD_OP_DWCONV2D: {
        const struct bd_conv_params *p = &op->p.conv;
        CHECK(op->num_inputs >= 2 && op->num_inputs <= 3, "op #%d: conv has %d inputs", i, op->num_inputs);
        need_nhwc(a, i, "conv input");
        need_nhwc(o, i, "conv output");
        CHECK(w && w->data && w->ndim == 4, "op #%d: conv filter not a 4-D constant", i);
        CHECK(is_act((int)p->act), "op #%d: bad activation", i);
        int co = o->dims[3], ci = a->dims[3];
        CHECK(p->kernel_h == w->dims[1] && p->kernel_w == w->dims[2], "op #%d: kernel != filter dims", i);
        if (op->type == BD_OP_CONV2D) {
            CHECK(w->dims[0] == co && w->dims[3] == ci, "op #%d: filter is not [Co,KH,KW,Ci]", i);
        } else {
            CHECK(w->dims[0] == 1 && w->dims[3] == co, "op #%d: dw filter is not [1,KH,KW,Co]", i);
            CHECK(p->depth_multiplier >= 1 && (int64_t)ci * p->depth_multiplier == co,
                  "op #%d: Ci %d * multiplier %d != Co %d", i, ci, p->depth_multiplier, co);
        }
        if (b)
            CHECK(b->data && b->count == (size_t)co, "op #%d: bias is not a [Co] constant", i);
        check_window(i, a->dims[1], o->dims[1], p->kernel_h, p->stride_h, p->dilation_h, p->pad_top,
                     p->pad_bottom);
        check_window(i, a->dims[2], o->dims[2], p->kernel_w, p->stride_w, p->dilation_w, p->pad_left,
                     p->pad_right);
        break;
    }
    case BD_OP_TRANSPOSE_CONV: {
        const struct bd_conv_params *p = &op->p.conv;
        CHECK(op->num_inputs == 3, "op #%d: transpose conv has %d inputs (want 3)", i, op->num_inputs);
        need_nhwc(a, i, "tconv input");
        need_nhwc(o, i, "tconv output");
        CHECK(w && w->data && w->ndim == 4, "op #%d: tconv filter not a 4-D constant", i);
        CHECK(w->dims[0] == o->dims[3] && w->dims[3] == a->dims[3], "op #%d: tconv filter not [Co,KH,KW,Ci]", i);
        CHECK(p->kernel_h == w->dims[1] && p->kernel_w == w->dims[2], "op #%d: kernel != filter dims", i);
        CHECK(p->stride_h >= 1 && p->stride_w >= 1, "op #%d: stride < 1", i);
        CHECK(p->pad_top >= 0 && p->pad_bottom >= 0 && p->pad_left >= 0 && p->pad_right >= 0,
              "op #%d: negative padding", i);
        CHECK(p->adj_h >= 0 && p->adj_w >= 0 && p->adj_h < p->stride_h && p->adj_w < p->stride_w,
              "op #%d: adj out of range", i);
        if (b)
            CHECK(b->data && b->count == (size_t)o->dims[3], "op #%d: bias is not a [Co] constant", i);
        int64_t oh = (int64_t)(a->dims[1] - 1) * p->stride_h + p->kernel_h - p->pad_top - p->pad_bottom + p->adj_h;
        int64_t ow = (int64_t)(a->dims[2] - 1) * p->stride_w + p->kernel_w - p->pad_left - p->pad_right + p->adj_w;
        CHECK(oh == o->dims[1] && ow == o->dims[2], "op #%d: tconv output %dx%d != formula %lldx%lld", i,
              o->dims[1], o->dims[2], (long long)oh, (long long)ow);
        break;
    }
    case BD_OP_FULLY_CONNECTED: {
        CHECK(op->num_inputs >= 2 && op->num_inputs <= 3, "op #%d: FC has %d inputs", i, op->num_inputs);
        CHECK(a && w && w->data && w->ndim == 2, "op #%d: FC weights not a 2-D constant", i);
        CHECK(is_act((int)op->p.binary.act), "op #%d: bad activation", i);
        size_t co = (size_t)w->dims[0], ci = (size_t)w->dims[1];
        CHECK(a->count % ci == 0, "op #%d: FC input not a multiple of Ci", i);
        CHECK(o->count == a->count / ci * co && (size_t)o->dims[o->ndim - 1] == co, "op #%d: FC output shape", i);
        if (b)
            CHECK(b->data && b->count == co, "op #%d: FC bias", i);
        break;
    }
    case BD_OP_ADD:
    case BD_OP_SUB:
    case BD_OP_MUL:
    case BD_OP_PRELU: {
        CHECK(op->num_inputs == 2 && a && w, "op #%d: binary op needs 2 inputs", i);
        if (op->type != BD_OP_PRELU)
            CHECK(is_act((int)op->p.binary.act), "op #%d: bad activation", i);
        int n = a->ndim > w->ndim ? a->ndim : w->ndim;
        CHECK(o->ndim == n, "op #%d: broadcast rank", i);
        for (int d = 0; d < n; d++) {
            int ia = a->ndim - n + d, ib = w->ndim - n + d;
            int da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? w->dims[ib] : 1;
            CHECK(da == db || da == 1 || db == 1, "op #%d: shapes cannot broadcast", i);
            CHECK(o->dims[d] == (da > db ? da : db), "op #%d: broadcast output shape", i);
        }
        if (op->type == BD_OP_PRELU) {
            CHECK(o->ndim == a->ndim, "op #%d: PRELU output rank", i);
            for (int d = 0; d < a->ndim; d++)
                CHECK(o->dims[d] == a->dims[d], "op #%d: PRELU changes the shape", i);
        }
        break;
    }
    case BD_OP_HARD_SWISH:
    case BD_OP_RELU:
    case BD_OP_RELU6:
    case BD_OP_LOGISTIC:
    case BD_OP_TANH:
    case BD_OP_LEAKY_RELU:
    case BD_OP_SOFTMAX:
        CHECK(op->num_inputs == 1 && a, "op #%d: unary op needs 1 input", i);
        CHECK(o->ndim == a->ndim, "op #%d: unary op changes rank", i);
        for (int d = 0; d < a->ndim; d++)
            CHECK(o->dims[d] == a->dims[d], "op #%d: unary op changes the shape", i);
        if (op->type == BD_OP_SOFTMAX)
            CHECK(isfinite(op->p.softmax.beta), "op #%d: softmax beta not finite", i);
        if (op->type == BD_OP_LEAKY_RELU)
            CHECK(isfinite(op->p.leaky.alpha), "op #%d: leaky alpha not finite", i);
        break;
    case BD_OP_AVG_POOL:
    case BD_OP_MAX_POOL: {
        const struct bd_pool_params *p = &op->p.pool;
        CHECK(op->num_inputs == 1, "op #%d: pool has %d inputs", i, op->num_inputs);
        need_nhwc(a, i, "pool input");
        need_nhwc(o, i, "pool output");
        CHECK(is_act((int)p->act), "op #%d: bad activation", i);
        CHECK(o->dims[3] == a->dims[3], "op #%d: pool changes channels", i);
        check_window(i, a->dims[1], o->dims[1], p->filter_h, p->stride_h, 1, p->pad_top, p->pad_bottom);
        check_window(i, a->dims[2], o->dims[2], p->filter_w, p->stride_w, 1, p->pad_left, p->pad_right);
        break;
    }
    case BD_OP_MEAN:
        CHECK(op->num_inputs == 2, "op #%d: MEAN has %d inputs", i, op->num_inputs);
        need_nhwc(a, i, "MEAN input");
        CHECK(o->count == (size_t)a->dims[3], "op #%d: MEAN output is not C values", i);
        break;
    case BD_OP_RESIZE_BILINEAR:
        CHECK(op->num_inputs == 2, "op #%d: RESIZE has %d inputs", i, op->num_inputs);
        need_nhwc(a, i, "RESIZE input");
        need_nhwc(o, i, "RESIZE output");
        CHECK(o->dims[3] == a->dims[3], "op #%d: RESIZE changes channels", i);
        CHECK(!(op->p.resize.align_corners && op->p.resize.half_pixel_centers),
              "op #%d: align_corners and half_pixel_centers", i);
        break;
    case BD_OP_CONCAT: {
        CHECK(op->num_inputs >= 1 && a, "op #%d: CONCAT without inputs", i);
        int ax = op->p.concat.axis;
        CHECK(ax >= 0 && ax < a->ndim, "op #%d: CONCAT axis %d out of range", i, ax);
        CHECK(is_act((int)op->p.concat.act), "op #%d: bad activation", i);
        CHECK(o->ndim == a->ndim, "op #%d: CONCAT output rank", i);
        int64_t sum = 0;
        for (int k = 0; k < op->num_inputs; k++) {
            const struct bd_tensor *t = tin(g, op, k);
            CHECK(t && t->ndim == a->ndim, "op #%d: CONCAT input %d rank", i, k);
            for (int d = 0; d < a->ndim; d++)
                if (d != ax)
                    CHECK(t->dims[d] == o->dims[d], "op #%d: CONCAT input %d dim %d", i, k, d);
            sum += t->dims[ax];
        }
        CHECK(sum == o->dims[ax], "op #%d: CONCAT axis sum", i);
        break;
    }
    case BD_OP_PAD:
        CHECK(op->num_inputs == 2 && a, "op #%d: PAD has %d inputs", i, op->num_inputs);
        need_nhwc(a, i, "PAD input"); /* graph.h: "zero padding of a 4-D NHWC tensor" */
        CHECK(o->ndim == a->ndim, "op #%d: PAD changes rank", i);
        for (int d = 0; d < a->ndim; d++) {
            CHECK(op->p.pad.pad[d][0] >= 0 && op->p.pad.pad[d][1] >= 0, "op #%d: negative PAD", i);
            CHECK((int64_t)a->dims[d] + op->p.pad.pad[d][0] + op->p.pad.pad[d][1] == o->dims[d],
                  "op #%d: PAD output dim %d", i, d);
        }
        for (int d = a->ndim; d < BD_MAX_DIMS; d++)
            CHECK(op->p.pad.pad[d][0] == 0 && op->p.pad.pad[d][1] == 0, "op #%d: PAD beyond rank", i);
        break;
    case BD_OP_RESHAPE:
        CHECK(op->num_inputs == 1 && a, "op #%d: RESHAPE has %d inputs", i, op->num_inputs);
        CHECK(o->count == a->count, "op #%d: RESHAPE changes the element count", i);
        break;
    case BD_OP_DIV:
    case BD_OP_MINIMUM:
    case BD_OP_MAXIMUM:
    case BD_OP_SLICE:
    case BD_OP_MEAN_C:
        /* the TF.js reader's ops: no TFLite operator maps to them */
        CHECK(0, "op #%d: %s from a TFLite file", i, bd_op_type_name(op->type));
        break;
    case BD_OP_COUNT:
        break;
    }
}

static void check_graph(const struct bd_graph *g)
{
    CHECK(g->num_tensors >= 1 && g->tensors, "no tensors");
    CHECK(g->num_ops >= 0 && (g->num_ops == 0 || g->ops), "bad op count");
    CHECK(g->num_outputs >= 1 && g->num_outputs <= 4, "num_outputs %d", g->num_outputs);
    CHECK(g->input >= 0 && g->input < g->num_tensors, "input index %d", g->input);

    /* Every tensor: dims and count agree. */
    size_t weights = 0;
    for (int t = 0; t < g->num_tensors; t++) {
        const struct bd_tensor *T = &g->tensors[t];
        CHECK(T->name, "tensor %d has a NULL name", t);
        CHECK(T->ndim >= 0 && T->ndim <= BD_MAX_DIMS, "tensor %d ndim %d", t, T->ndim);
        uint64_t c = 1;
        for (int d = 0; d < T->ndim; d++) {
            CHECK(T->dims[d] >= 1, "tensor %d dim %d = %d", t, d, T->dims[d]);
            c *= (uint64_t)T->dims[d];
            CHECK(c < (1ull << 31), "tensor %d has 2^31 or more elements", t);
        }
        CHECK(T->count == c, "tensor %d count %zu != product of dims %llu", t, T->count, (unsigned long long)c);
        touch(T);
        if (T->data && T->dtype == BD_DT_F32)
            weights += T->count * 4;
        /* Constants are float32 (fp16 ones are folded) or int32. Tensors no
         * op touches may keep any type; the ops' operands are checked below. */
        if (T->data)
            CHECK(T->dtype == BD_DT_F32 || T->dtype == BD_DT_I32, "constant tensor %d has dtype %d", t,
                  (int)T->dtype);
        CHECK(T->producer >= -1 && T->producer < g->num_ops, "tensor %d producer %d", t, T->producer);
        CHECK(T->last_use == INT_MAX || (T->last_use >= -1 && T->last_use < g->num_ops),
              "tensor %d last_use %d", t, T->last_use);
    }
    /* DEQUANTIZE folding shares data between two tensors, so weight_bytes
     * (which counts each file constant once) may be smaller. */
    CHECK(g->weight_bytes <= weights, "weight_bytes %zu > constants %zu", g->weight_bytes, weights);

    /* graph.h: the input and all op outputs hold at most 2^28 elements. */
    uint64_t act = g->tensors[g->input].count;
    for (int i = 0; i < g->num_ops; i++)
        if (g->ops[i].output >= 0 && g->ops[i].output < g->num_tensors)
            act += g->tensors[g->ops[i].output].count;
    CHECK(act <= (1u << 28), "activations total %llu elements (> 2^28)", (unsigned long long)act);

    const struct bd_tensor *in = &g->tensors[g->input];
    CHECK(!in->data && in->dtype == BD_DT_F32 && in->ndim == 4 && in->dims[0] == 1,
          "input is not a float32 [1,H,W,C] activation");
    CHECK(in->producer == -1, "the input is written by op #%d", in->producer);

    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        CHECK((int)op->type >= 0 && op->type < BD_OP_COUNT, "op #%d type %d", i, (int)op->type);
        CHECK(op->tflite_name && op->tflite_name[0], "op #%d has no tflite_name", i);
        const char *tn = bd_op_type_name(op->type);
        CHECK(tn && strcmp(tn, "UNKNOWN") != 0, "op #%d: bd_op_type_name", i);
        CHECK(op->num_inputs >= 1 && op->num_inputs <= 64 && op->inputs, "op #%d num_inputs %d", i, op->num_inputs);
        CHECK(op->output >= 0 && op->output < g->num_tensors, "op #%d output index %d", i, op->output);
        const struct bd_tensor *o = &g->tensors[op->output];
        CHECK(!o->data, "op #%d writes a constant", i);
        CHECK(o->producer == i, "op #%d: its output's producer is %d", i, o->producer);
        CHECK(o->dtype == BD_DT_F32 && o->ndim >= 1, "op #%d output not float32 1..4-D", i);
        for (int k = 0; k < op->num_inputs; k++) {
            int idx = op->inputs[k];
            CHECK(idx >= -1 && idx < g->num_tensors, "op #%d input %d index %d", i, k, idx);
            if (idx < 0)
                continue;
            CHECK(idx != op->output, "op #%d reads its own output", i);
            const struct bd_tensor *t = &g->tensors[idx];
            if (shape_like(op, k)) {
                CHECK(t->data && t->dtype == BD_DT_I32, "op #%d shape operand %d not a constant int32", i, k);
                continue;
            }
            CHECK(t->dtype == BD_DT_F32, "op #%d input %d is not float32", i, k);
            if (!t->data) {
                CHECK(t->ndim >= 1, "op #%d input %d activation has rank 0", i, k);
                CHECK(idx == g->input || (t->producer >= 0 && t->producer < i),
                      "op #%d reads tensor %d before it is produced (producer %d)", i, idx, t->producer);
            }
            CHECK(t->last_use >= i, "op #%d reads tensor %d after its last_use %d", i, idx, t->last_use);
        }
        check_op_shapes(g, i);
    }

    for (int k = 0; k < g->num_outputs; k++) {
        int idx = g->outputs[k];
        CHECK(idx >= 0 && idx < g->num_tensors, "output %d index %d", k, idx);
        const struct bd_tensor *t = &g->tensors[idx];
        CHECK(t->dtype == BD_DT_F32, "output %d not float32", k);
        CHECK(t->last_use == INT_MAX, "output %d last_use %d", k, t->last_use);
        CHECK(t->producer >= 0 || idx == g->input, "output %d never computed", k);
    }

    float lo, hi;
    bd_act_range(BD_ACT_RELU6, &lo, &hi);
    CHECK(lo == 0.0f && hi == 6.0f, "bd_act_range");
}

static int known_status(int r)
{
    return r == BD_ERR_INVALID_ARG || r == BD_ERR_NOMEM || r == BD_ERR_FORMAT || r == BD_ERR_UNSUPPORTED;
}

/* FUZZ_TFLITE_VERBOSE=1 prints each input's load status (to check seeds). */
static int verbose;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *v = getenv("FUZZ_TFLITE_VERBOSE");
    verbose = v && *v && strcmp(v, "0") != 0;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bd_graph *g = NULL;
    int r = bd_tflite_load(data, size, "fuzz", &g);
    if (verbose)
        fprintf(stderr, "fuzz_tflite: %zu bytes: status %d%s%s\n", size, r, r ? ": " : "", r ? bd_last_error() : "");
    if (r != BD_OK) {
        CHECK(g == NULL, "failed load left *out set");
        CHECK(known_status(r), "unexpected status %d", r);
        CHECK(bd_last_error()[0] != '\0', "status %d without a message", r);
        return 0;
    }
    CHECK(g != NULL, "BD_OK without a graph");
    check_graph(g);
    int n = g->num_outputs;
    CHECK(bd_graph_select_output(g, n) == BD_ERR_INVALID_ARG, "select_output accepted k = num_outputs");
    CHECK(bd_graph_select_output(g, -1) == BD_ERR_INVALID_ARG, "select_output accepted k = -1");
    bd_graph_free(g);

    for (int k = 0; k < n; k++) {
        g = NULL;
        r = bd_tflite_load(data, size, "fuzz", &g);
        if (r == BD_ERR_NOMEM)
            return 0;
        CHECK(r == BD_OK && g, "second load of the same bytes failed: %s", bd_last_error());
        int want = g->outputs[k];
        r = bd_graph_select_output(g, k);
        if (r == BD_ERR_NOMEM) {
            bd_graph_free(g);
            return 0;
        }
        CHECK(r == BD_OK, "select_output(%d) failed on a valid graph: %s", k, bd_last_error());
        CHECK(g->num_outputs == 1 && g->outputs[0] == want, "select_output(%d) picked the wrong output", k);
        check_graph(g);
        /* Every kept op is needed, so the last one produces the output
         * (or there are no ops when the output is the input). */
        if (g->num_ops > 0)
            CHECK(g->ops[g->num_ops - 1].output == want, "select_output(%d) kept ops after the output", k);
        bd_graph_free(g);
    }
    return 0;
}
