/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TFLite reader: flatbuffer → validated struct bd_graph.
 *
 * Field numbers follow tensorflow/lite/schema/schema.fbs. Every value read
 * from the file is checked before it is used as an offset, length, index or
 * shape; every op's output shape is inferred from its inputs and compared
 * with the file's, so kernels never see inconsistent shapes.
 */
#include "tflite.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "flatbuf.h"

/* schema.fbs field ids */
enum { MODEL_OPCODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4 };
enum { OPCODE_DEPRECATED = 0, OPCODE_CUSTOM = 1, OPCODE_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };
enum { OP_OPCODE = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS = 4, OP_CUSTOM = 5 };

/* TensorType */
enum { TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_INT32 = 2 };

/* BuiltinOperator codes used here */
enum {
    OPC_ADD = 0, OPC_AVERAGE_POOL_2D = 1, OPC_CONCATENATION = 2, OPC_CONV_2D = 3,
    OPC_DEPTHWISE_CONV_2D = 4, OPC_DEQUANTIZE = 6, OPC_FULLY_CONNECTED = 9,
    OPC_LOGISTIC = 14, OPC_MAX_POOL_2D = 17, OPC_MUL = 18, OPC_RELU = 19,
    OPC_RELU6 = 21, OPC_RESHAPE = 22, OPC_RESIZE_BILINEAR = 23, OPC_SOFTMAX = 25,
    OPC_TANH = 28, OPC_CUSTOM = 32, OPC_PAD = 34, OPC_MEAN = 40, OPC_SUB = 41,
    OPC_SQUEEZE = 43, OPC_PRELU = 54, OPC_TRANSPOSE_CONV = 67, OPC_EXPAND_DIMS = 70,
    OPC_LEAKY_RELU = 98, OPC_HARD_SWISH = 117,
};

/* Names of the first builtins, for messages about ops we lack. */
static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM",
    "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE",
    "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN",
    "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX",
    "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL",
    "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE",
    "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT", "SHAPE",
    "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",
    "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
    "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG",
    "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH",
};

#define MAX_OP_INPUTS 64
#define MAX_TENSORS 100000
#define MAX_OPS 100000
#define MAX_ELEMENTS (1u << 28)   /* 1 GiB of floats per tensor */
/* All activations together (the input and every op output): a few-KB file
 * can otherwise declare tens of GiB that the engine would allocate and
 * touch. The models we know need at most 60 MB. */
#define MAX_ACTIVATION_ELEMENTS (1u << 28)

/* Everything the graph owns, freed together. */
struct graph_pool {
    void **blocks;
    int num_blocks, cap_blocks;
};

struct loader {
    struct fb_buf b;
    const char *name;
    struct bd_graph *g;
    struct graph_pool *pool;
    /* file tables */
    struct fb_vec opcodes, buffers, tensors, operators;
    int32_t *opcode_builtin;   /* per opcode: builtin code or -1 when corrupt */
    char **opcode_custom;      /* per opcode: custom name or NULL */
    int cur_op;                /* for messages */
};

static void *pool_add(struct graph_pool *p, void *block)
{
    if (!block)
        return NULL;
    if (p->num_blocks == p->cap_blocks) {
        int cap = p->cap_blocks ? p->cap_blocks * 2 : 64;
        void **nb = realloc(p->blocks, (size_t)cap * sizeof *nb);
        if (!nb) {
            free(block);
            return NULL;
        }
        p->blocks = nb;
        p->cap_blocks = cap;
    }
    p->blocks[p->num_blocks++] = block;
    return block;
}

/* 64-byte aligned, zeroed, with at least 64 bytes of slack after size:
 * XNNPACK may read XNN_EXTRA_BYTES past the end of constant operands. */
static void *pool_alloc(struct graph_pool *p, size_t size)
{
    size_t rounded = (size + 64 + 63) & ~(size_t)63;
    void *mem = aligned_alloc(64, rounded ? rounded : 64);
    if (mem)
        memset(mem, 0, rounded ? rounded : 64);
    return pool_add(p, mem);
}

struct bd_graph *bd_graph_new(void)
{
    struct bd_graph *g = calloc(1, sizeof *g);
    struct graph_pool *pool = calloc(1, sizeof *pool);
    if (!g || !pool) {
        free(g);
        free(pool);
        return NULL;
    }
    g->pool = pool;
    return g;
}

void *bd_graph_alloc(struct bd_graph *g, size_t size)
{
    return pool_alloc(g->pool, size);
}

void bd_graph_free(struct bd_graph *g)
{
    if (!g)
        return;
    struct graph_pool *p = g->pool;
    if (p) {
        for (int i = 0; i < p->num_blocks; i++)
            free(p->blocks[i]);
        free(p->blocks);
        free(p);
    }
    free(g);
}

static int corrupt(struct loader *L, const char *what)
{
    return bd_fail(BD_ERR_FORMAT, "model '%s': corrupt TFLite file (%s); re-download or re-export the model",
                   L->name, what);
}

static const char *opcode_name(struct loader *L, int32_t code, const char *custom)
{
    static _Thread_local char buf[96];
    if (code == OPC_CUSTOM && custom) {
        snprintf(buf, sizeof buf, "CUSTOM '%s'", custom);
        return buf;
    }
    (void)L;
    if (code >= 0 && (size_t)code < sizeof builtin_names / sizeof builtin_names[0])
        return builtin_names[code];
    snprintf(buf, sizeof buf, "builtin #%d", (int)code);
    return buf;
}

static int unsupported(struct loader *L, const char *opname, const char *why)
{
    return bd_fail(BD_ERR_UNSUPPORTED,
                   "model '%s': op %s (operator #%d) is not supported: %s; use a float32 model made of supported ops (see 'backdrop models')",
                   L->name, opname, L->cur_op, why);
}

/* ---- tensors ------------------------------------------------------------ */

static int load_tensor(struct loader *L, uint32_t i)
{
    struct bd_tensor *t = &L->g->tensors[i];
    struct fb_table tt;
    char what[64];
    snprintf(what, sizeof what, "tensor %u", i);
    if (fb_vec_table(&L->b, &L->tensors, i, &tt) != 0)
        return corrupt(L, what);

    struct fb_vec shape;
    uint8_t type;
    int32_t bufidx_i;
    if (fb_get_vec(&L->b, &tt, TENSOR_SHAPE, 4, &shape) != 0 ||
        fb_get_u8(&L->b, &tt, TENSOR_TYPE, 0, &type) != 0 ||
        fb_get_i32(&L->b, &tt, TENSOR_BUFFER, 0, &bufidx_i) != 0)
        return corrupt(L, what);

    /* name: optional */
    struct fb_vec namev;
    if (fb_get_vec(&L->b, &tt, TENSOR_NAME, 1, &namev) != 0)
        return corrupt(L, what);
    uint32_t nlen = namev.len > 255 ? 255 : namev.len;
    char *name = pool_alloc(L->pool, nlen + 1);
    if (!name)
        return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
    if (nlen)
        memcpy(name, L->b.p + namev.pos, nlen);
    name[nlen] = '\0';
    t->name = name;

    if (shape.len > BD_MAX_DIMS)
        return bd_fail(BD_ERR_UNSUPPORTED,
                       "model '%s': tensor '%s' has %u dimensions; at most %d are supported",
                       L->name, name, shape.len, BD_MAX_DIMS);
    t->ndim = (int)shape.len;
    uint64_t count = 1;
    for (uint32_t d = 0; d < shape.len; d++) {
        int32_t v = fb_vec_i32(&L->b, &shape, d);
        if (v < 0)
            return corrupt(L, "negative tensor dimension");
        if (v == 0)
            return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': tensor '%s' has a zero or dynamic dimension",
                           L->name, name);
        t->dims[d] = v;
        count *= (uint64_t)v;
        if (count > MAX_ELEMENTS)
            return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': tensor '%s' is too large", L->name, name);
    }
    t->count = (size_t)count;
    switch (type) {
    case TT_FLOAT32: t->dtype = BD_DT_F32; break;
    case TT_FLOAT16: t->dtype = BD_DT_F16; break;
    case TT_INT32: t->dtype = BD_DT_I32; break;
    default: t->dtype = BD_DT_OTHER; break;
    }
    t->producer = -1;
    t->last_use = -1;

    /* constant data */
    if (bufidx_i < 0 || (uint32_t)bufidx_i >= L->buffers.len)
        return corrupt(L, "tensor buffer index out of range");
    if (bufidx_i == 0)
        return 0;
    struct fb_table bt;
    if (fb_vec_table(&L->b, &L->buffers, (uint32_t)bufidx_i, &bt) != 0)
        return corrupt(L, "buffer table");
    struct fb_vec data;
    uint64_t boff, bsize;
    if (fb_get_vec(&L->b, &bt, BUFFER_DATA, 1, &data) != 0 ||
        fb_get_u64(&L->b, &bt, BUFFER_OFFSET, 0, &boff) != 0 ||
        fb_get_u64(&L->b, &bt, BUFFER_SIZE, 0, &bsize) != 0)
        return corrupt(L, "buffer table");
    const uint8_t *src = NULL;
    uint64_t len = 0;
    if (data.len > 0) {
        src = L->b.p + data.pos;
        len = data.len;
    } else if (boff > 1) {
        /* large-model layout: data lives at an absolute file offset */
        if (boff > L->b.n || bsize > L->b.n - boff)
            return corrupt(L, "buffer offset out of range");
        src = L->b.p + boff;
        len = bsize;
    }
    if (!src || len == 0)
        return 0; /* an empty buffer means "not constant" */

    size_t esize = t->dtype == BD_DT_F16 ? 2 : 4;
    if (t->dtype == BD_DT_OTHER)
        return bd_fail(BD_ERR_UNSUPPORTED,
                       "model '%s': constant tensor '%s' has a quantized or non-float type; only float32/float16 models are supported",
                       L->name, name);
    if (len != (uint64_t)t->count * esize)
        return corrupt(L, "constant size does not match its shape");
    if (t->dtype == BD_DT_F16) {
        float *f = pool_alloc(L->pool, t->count * 4);
        if (!f)
            return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
        for (size_t k = 0; k < t->count; k++) {
            uint16_t h;
            memcpy(&h, src + 2 * k, 2);
            f[k] = bd_half_to_float(h);
        }
        t->data = f;
        t->dtype = BD_DT_F32; /* fp16 weights are folded to fp32 at load */
    } else {
        void *copy = pool_alloc(L->pool, (size_t)len);
        if (!copy)
            return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
        memcpy(copy, src, (size_t)len);
        t->data = copy;
    }
    if (t->dtype == BD_DT_F32)
        L->g->weight_bytes += t->count * 4;
    return 0;
}

/* ---- op helpers --------------------------------------------------------- */

struct opctx {
    struct loader *L;
    struct bd_op *op;
    const char *name;      /* TFLite op name */
    struct fb_table opt;   /* builtin options table */
    int has_opt;
    const uint8_t *custom; /* custom options bytes */
    uint32_t custom_len;
};

static struct bd_tensor *T(struct opctx *c, int k)
{
    int idx = c->op->inputs[k];
    return idx < 0 ? NULL : &c->L->g->tensors[idx];
}

static struct bd_tensor *OUT(struct opctx *c)
{
    return &c->L->g->tensors[c->op->output];
}

static int shape_error(struct opctx *c, const char *why)
{
    return bd_fail(BD_ERR_FORMAT, "model '%s': op %s (operator #%d): %s",
                   c->L->name, c->name, c->L->cur_op, why);
}

static int need_inputs(struct opctx *c, int min, int max)
{
    if (c->op->num_inputs < min || c->op->num_inputs > max)
        return shape_error(c, "wrong number of inputs");
    for (int k = 0; k < min; k++)
        if (c->op->inputs[k] < 0)
            return shape_error(c, "a required input is missing");
    return 0;
}

/* A float activation or float constant. */
static int need_float(struct opctx *c, int k)
{
    struct bd_tensor *t = T(c, k);
    if (!t || t->dtype != BD_DT_F32)
        return unsupported(c->L, c->name, "an input is not float32 (quantized or integer models are not supported)");
    return 0;
}

static int need_const(struct opctx *c, int k, enum bd_dtype dt)
{
    struct bd_tensor *t = T(c, k);
    if (!t || !t->data || t->dtype != dt)
        return unsupported(c->L, c->name, dt == BD_DT_I32 ? "a shape operand is not a constant int32 tensor"
                                                          : "weights are not constant float tensors");
    return 0;
}

static int need_nhwc(struct opctx *c, struct bd_tensor *t)
{
    if (t->ndim != 4 || t->dims[0] != 1)
        return unsupported(c->L, c->name, "only 4-D NHWC tensors with batch 1 are supported");
    return 0;
}

static int check_out(struct opctx *c, int ndim, const int *dims)
{
    struct bd_tensor *o = OUT(c);
    if (o->ndim != ndim)
        return shape_error(c, "output rank does not match the inferred shape");
    for (int d = 0; d < ndim; d++)
        if (o->dims[d] != dims[d])
            return shape_error(c, "output shape does not match the inferred shape");
    return 0;
}

static int check_same_shape_out(struct opctx *c, struct bd_tensor *in)
{
    return check_out(c, in->ndim, in->dims);
}

static int get_act(struct opctx *c, int field, enum bd_act *act)
{
    uint8_t a = 0;
    if (c->has_opt && fb_get_u8(&c->L->b, &c->opt, field, 0, &a) != 0)
        return corrupt(c->L, "op options");
    switch (a) {
    case 0: *act = BD_ACT_NONE; return 0;
    case 1: *act = BD_ACT_RELU; return 0;
    case 2: *act = BD_ACT_RELU_N1_TO_1; return 0;
    case 3: *act = BD_ACT_RELU6; return 0;
    default: return unsupported(c->L, c->name, "fused activation TANH/SIGN_BIT is not supported");
    }
}

static int opt_i32(struct opctx *c, int field, int32_t def, int32_t *out)
{
    *out = def;
    if (c->has_opt && fb_get_i32(&c->L->b, &c->opt, field, def, out) != 0)
        return corrupt(c->L, "op options");
    return 0;
}

static int opt_u8(struct opctx *c, int field, uint8_t def, uint8_t *out)
{
    *out = def;
    if (c->has_opt && fb_get_u8(&c->L->b, &c->opt, field, def, out) != 0)
        return corrupt(c->L, "op options");
    return 0;
}

static int opt_f32(struct opctx *c, int field, float def, float *out)
{
    *out = def;
    if (c->has_opt && fb_get_f32(&c->L->b, &c->opt, field, def, out) != 0)
        return corrupt(c->L, "op options");
    return 0;
}

static int padding_is_same(struct opctx *c, int field, int *same)
{
    uint8_t p;
    int r = opt_u8(c, field, 0, &p);
    if (r != 0)
        return r;
    if (p > 1)
        return unsupported(c->L, c->name, "unknown padding mode");
    *same = p == 0;
    return 0;
}

/* ---- per-op parsing ----------------------------------------------------- */

static int parse_conv(struct opctx *c, int depthwise)
{
    int r;
    if ((r = need_inputs(c, 2, 3)) || (r = need_float(c, 0)) || (r = need_const(c, 1, BD_DT_F32)))
        return r;
    if (c->op->num_inputs == 3 && c->op->inputs[2] >= 0 && (r = need_const(c, 2, BD_DT_F32)))
        return r;
    struct bd_tensor *in = T(c, 0), *w = T(c, 1), *b = c->op->num_inputs == 3 ? T(c, 2) : NULL;
    if ((r = need_nhwc(c, in)))
        return r;
    if (w->ndim != 4)
        return shape_error(c, "filter must be 4-D");
    struct bd_conv_params *p = &c->op->p.conv;
    int same = 0;
    int32_t sw, sh, dw, dh, mult = 1;
    if ((r = padding_is_same(c, 0, &same)) || opt_i32(c, 1, 1, &sw) || opt_i32(c, 2, 1, &sh))
        return r ? r : BD_ERR_FORMAT;
    if (depthwise) {
        if (opt_i32(c, 3, 1, &mult) || (r = get_act(c, 4, &p->act)) || opt_i32(c, 5, 1, &dw) ||
            opt_i32(c, 6, 1, &dh))
            return r ? r : BD_ERR_FORMAT;
    } else {
        if ((r = get_act(c, 3, &p->act)) || opt_i32(c, 4, 1, &dw) || opt_i32(c, 5, 1, &dh))
            return r ? r : BD_ERR_FORMAT;
    }
    int ci = in->dims[3], co;
    p->kernel_h = w->dims[1];
    p->kernel_w = w->dims[2];
    if (depthwise) {
        if (w->dims[0] != 1)
            return shape_error(c, "depthwise filter must be [1,KH,KW,C]");
        co = w->dims[3];
        if (co % ci != 0)
            return shape_error(c, "depthwise output channels are not a multiple of input channels");
        /* Some converters leave depth_multiplier at 0/1 inconsistently; the
         * filter shape is authoritative, as in TFLite itself. */
        p->depth_multiplier = co / ci;
        (void)mult;
    } else {
        co = w->dims[0];
        if (w->dims[3] != ci)
            return unsupported(c->L, c->name, "grouped convolution (filter channels differ from input channels)");
        p->depth_multiplier = 1;
    }
    if (b && (b->count != (size_t)co))
        return shape_error(c, "bias size does not match output channels");
    p->stride_h = sh;
    p->stride_w = sw;
    p->dilation_h = dh;
    p->dilation_w = dw;
    int oh, ow;
    if (bd_conv_axis(in->dims[1], p->kernel_h, sh, dh, same, &oh, &p->pad_top, &p->pad_bottom) ||
        bd_conv_axis(in->dims[2], p->kernel_w, sw, dw, same, &ow, &p->pad_left, &p->pad_right))
        return shape_error(c, "invalid kernel, stride or dilation");
    int od[4] = {1, oh, ow, co};
    return check_out(c, 4, od);
}

/* TRANSPOSE_CONV (builtin) and Convolution2DTransposeBias (MediaPipe). */
static int parse_tconv(struct opctx *c, int mediapipe)
{
    int r;
    int in_k = mediapipe ? 0 : 2, w_k = mediapipe ? 1 : 1, b_k = mediapipe ? 2 : 3;
    if (mediapipe) {
        if ((r = need_inputs(c, 3, 3)))
            return r;
    } else {
        if ((r = need_inputs(c, 3, 4)) || (r = need_const(c, 0, BD_DT_I32)))
            return r;
    }
    if ((r = need_float(c, in_k)) || (r = need_const(c, w_k, BD_DT_F32)))
        return r;
    struct bd_tensor *b = (c->op->num_inputs > b_k) ? T(c, b_k) : NULL;
    if (b && (r = need_const(c, b_k, BD_DT_F32)))
        return r;
    struct bd_tensor *in = T(c, in_k), *w = T(c, w_k);
    if ((r = need_nhwc(c, in)))
        return r;
    if (w->ndim != 4 || w->dims[3] != in->dims[3])
        return shape_error(c, "filter must be OHWI with I = input channels");
    struct bd_conv_params *p = &c->op->p.conv;
    int same = 0;
    int32_t sw = 1, sh = 1;
    p->act = BD_ACT_NONE;
    if (mediapipe) {
        if (c->custom_len < 12)
            return shape_error(c, "Convolution2DTransposeBias options must be 12 bytes {padding, stride_w, stride_h}");
        int32_t pad;
        memcpy(&pad, c->custom, 4);
        memcpy(&sw, c->custom + 4, 4);
        memcpy(&sh, c->custom + 8, 4);
        if (pad != 1 && pad != 2)
            return unsupported(c->L, c->name, "unknown padding mode");
        same = pad == 1;
    } else {
        if ((r = padding_is_same(c, 0, &same)) || opt_i32(c, 1, 1, &sw) || opt_i32(c, 2, 1, &sh) ||
            (r = get_act(c, 3, &p->act)))
            return r ? r : BD_ERR_FORMAT;
    }
    int co = w->dims[0];
    if (b && b->count != (size_t)co)
        return shape_error(c, "bias size does not match output channels");
    struct bd_tensor *o = OUT(c);
    if (o->ndim != 4 || o->dims[0] != 1 || o->dims[3] != co)
        return shape_error(c, "output must be [1,H,W,filter outputs]");
    if (!mediapipe) {
        struct bd_tensor *os = T(c, 0);
        const int32_t *s = os->data;
        if (os->count != 4 || s[0] != 1 || s[1] != o->dims[1] || s[2] != o->dims[2] || s[3] != co)
            return shape_error(c, "output_shape operand does not match the output tensor");
    }
    p->kernel_h = w->dims[1];
    p->kernel_w = w->dims[2];
    p->stride_h = sh;
    p->stride_w = sw;
    p->dilation_h = p->dilation_w = 1;
    p->depth_multiplier = 1;
    /* Padding as TFLite computes it: as if a forward conv mapped the output
     * back onto the input. Then the natural size (H-1)*s + K is cropped by
     * pad_top, and whatever is left over is bottom crop (or extra rows). */
    int axes_in[2] = {in->dims[1], in->dims[2]}, axes_out[2] = {o->dims[1], o->dims[2]};
    int ks[2] = {p->kernel_h, p->kernel_w}, ss[2] = {sh, sw};
    int before[2], after[2], adj[2];
    for (int a = 0; a < 2; a++) {
        int fwd, pb, pa;
        if (axes_out[a] < 1 || bd_conv_axis(axes_out[a], ks[a], ss[a], 1, same, &fwd, &pb, &pa))
            return shape_error(c, "invalid kernel or stride");
        int64_t natural = (int64_t)(axes_in[a] - 1) * ss[a] + ks[a];
        int64_t rest = natural - pb - axes_out[a];
        before[a] = pb;
        if (natural > INT_MAX)
            return shape_error(c, "output size is inconsistent with input, kernel and stride");
        after[a] = rest > 0 ? (int)rest : 0;
        adj[a] = rest < 0 ? (int)-rest : 0;
        if (adj[a] >= ss[a] || natural - pb < 1)
            return shape_error(c, "output size is inconsistent with input, kernel and stride");
    }
    p->pad_top = before[0];
    p->pad_bottom = after[0];
    p->pad_left = before[1];
    p->pad_right = after[1];
    p->adj_h = adj[0];
    p->adj_w = adj[1];
    /* Normalise operand order to graph.h's: input, filter, bias. */
    if (!mediapipe) {
        int i0 = c->op->inputs[2], i1 = c->op->inputs[1], i2 = c->op->num_inputs > 3 ? c->op->inputs[3] : -1;
        c->op->inputs[0] = i0;
        c->op->inputs[1] = i1;
        c->op->inputs[2] = i2;
        c->op->num_inputs = 3;
    }
    return 0;
}

static int parse_pool(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 1, 1)) || (r = need_float(c, 0)))
        return r;
    struct bd_tensor *in = T(c, 0);
    if ((r = need_nhwc(c, in)))
        return r;
    struct bd_pool_params *p = &c->op->p.pool;
    int same = 0;
    int32_t sw, sh, fw, fh;
    if ((r = padding_is_same(c, 0, &same)) || opt_i32(c, 1, 1, &sw) || opt_i32(c, 2, 1, &sh) ||
        opt_i32(c, 3, 1, &fw) || opt_i32(c, 4, 1, &fh) || (r = get_act(c, 5, &p->act)))
        return r ? r : BD_ERR_FORMAT;
    p->filter_h = fh;
    p->filter_w = fw;
    p->stride_h = sh;
    p->stride_w = sw;
    int oh, ow;
    if (bd_conv_axis(in->dims[1], fh, sh, 1, same, &oh, &p->pad_top, &p->pad_bottom) ||
        bd_conv_axis(in->dims[2], fw, sw, 1, same, &ow, &p->pad_left, &p->pad_right))
        return shape_error(c, "invalid filter or stride");
    int od[4] = {1, oh, ow, in->dims[3]};
    return check_out(c, 4, od);
}

/* numpy broadcast of a and b into out dims (right-aligned). */
static int broadcast_shape(const struct bd_tensor *a, const struct bd_tensor *b, int *nd, int *dims)
{
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < n; i++) {
        int ia = a->ndim - n + i, ib = b->ndim - n + i;
        int da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return -1;
        dims[i] = da > db ? da : db;
    }
    *nd = n;
    return 0;
}

static int parse_binary(struct opctx *c, int has_act)
{
    int r;
    if ((r = need_inputs(c, 2, 2)) || (r = need_float(c, 0)) || (r = need_float(c, 1)))
        return r;
    c->op->p.binary.act = BD_ACT_NONE;
    if (has_act && (r = get_act(c, 0, &c->op->p.binary.act)))
        return r;
    int nd, dims[BD_MAX_DIMS];
    if (broadcast_shape(T(c, 0), T(c, 1), &nd, dims))
        return shape_error(c, "input shapes cannot be broadcast together");
    return check_out(c, nd, dims);
}

static int parse_unary(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 1, 1)) || (r = need_float(c, 0)))
        return r;
    return check_same_shape_out(c, T(c, 0));
}

static int parse_prelu(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 2, 2)) || (r = need_float(c, 0)) || (r = need_float(c, 1)))
        return r;
    int nd, dims[BD_MAX_DIMS];
    if (broadcast_shape(T(c, 0), T(c, 1), &nd, dims) || nd != T(c, 0)->ndim)
        return shape_error(c, "alpha cannot be broadcast to the input");
    for (int d = 0; d < nd; d++)
        if (dims[d] != T(c, 0)->dims[d])
            return shape_error(c, "alpha cannot be broadcast to the input");
    return check_same_shape_out(c, T(c, 0));
}

static int parse_mean(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 2, 2)) || (r = need_float(c, 0)) || (r = need_const(c, 1, BD_DT_I32)))
        return r;
    struct bd_tensor *in = T(c, 0), *ax = T(c, 1);
    if ((r = need_nhwc(c, in)))
        return r;
    const int32_t *a = ax->data;
    int mask = 0;
    for (size_t i = 0; i < ax->count; i++) {
        int v = a[i] < 0 ? a[i] + 4 : a[i];
        if (v < 0 || v > 3)
            return shape_error(c, "axis out of range");
        mask |= 1 << v;
    }
    if (mask != 6)
        return unsupported(c->L, c->name, "only the mean over axes 1 and 2 (H and W) is supported");
    uint8_t keep;
    if (opt_u8(c, 0, 0, &keep))
        return BD_ERR_FORMAT;
    struct bd_tensor *o = OUT(c);
    if (o->count != (size_t)in->dims[3])
        return shape_error(c, "output size must be the channel count");
    if (keep) {
        int od[4] = {1, 1, 1, in->dims[3]};
        return check_out(c, 4, od);
    }
    return 0;
}

static int parse_resize(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 2, 2)) || (r = need_float(c, 0)) || (r = need_const(c, 1, BD_DT_I32)))
        return r;
    struct bd_tensor *in = T(c, 0), *sz = T(c, 1);
    if ((r = need_nhwc(c, in)))
        return r;
    if (sz->count != 2)
        return shape_error(c, "size must have 2 values");
    const int32_t *s = sz->data;
    uint8_t ac, hp;
    if (opt_u8(c, 2, 0, &ac) || opt_u8(c, 3, 0, &hp))
        return BD_ERR_FORMAT;
    if (ac && hp)
        return shape_error(c, "align_corners and half_pixel_centers cannot both be set");
    c->op->p.resize.align_corners = ac != 0;
    c->op->p.resize.half_pixel_centers = hp != 0;
    if (s[0] < 1 || s[1] < 1 || s[0] > 16384 || s[1] > 16384)
        return shape_error(c, "invalid output size");
    int od[4] = {1, s[0], s[1], in->dims[3]};
    return check_out(c, 4, od);
}

static int parse_concat(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 1, MAX_OP_INPUTS)))
        return r;
    for (int k = 0; k < c->op->num_inputs; k++) {
        if (c->op->inputs[k] < 0)
            return shape_error(c, "missing input");
        if ((r = need_float(c, k)))
            return r;
    }
    int32_t axis;
    if (opt_i32(c, 0, 0, &axis) || (r = get_act(c, 1, &c->op->p.concat.act)))
        return r ? r : BD_ERR_FORMAT;
    struct bd_tensor *t0 = T(c, 0);
    if (axis < 0)
        axis += t0->ndim;
    if (axis < 0 || axis >= t0->ndim)
        return shape_error(c, "axis out of range");
    int dims[BD_MAX_DIMS];
    memcpy(dims, t0->dims, sizeof dims);
    for (int k = 1; k < c->op->num_inputs; k++) {
        struct bd_tensor *t = T(c, k);
        if (t->ndim != t0->ndim)
            return shape_error(c, "inputs differ in rank");
        for (int d = 0; d < t0->ndim; d++) {
            if (d == axis) {
                if (dims[d] > INT_MAX - t->dims[d])
                    return shape_error(c, "concatenated size is too large");
                dims[d] += t->dims[d];
            } else if (t->dims[d] != t0->dims[d])
                return shape_error(c, "inputs differ outside the concatenation axis");
        }
    }
    c->op->p.concat.axis = axis;
    return check_out(c, t0->ndim, dims);
}

static int parse_softmax(struct opctx *c)
{
    int r;
    if ((r = parse_unary(c)))
        return r;
    float beta;
    if (opt_f32(c, 0, 1.0f, &beta))
        return BD_ERR_FORMAT;
    if (!isfinite(beta))
        return shape_error(c, "invalid beta");
    c->op->p.softmax.beta = beta;
    return 0;
}

static int parse_leaky(struct opctx *c)
{
    int r;
    if ((r = parse_unary(c)))
        return r;
    float alpha;
    if (opt_f32(c, 0, 0.2f, &alpha))
        return BD_ERR_FORMAT;
    if (!isfinite(alpha))
        return shape_error(c, "invalid alpha");
    c->op->p.leaky.alpha = alpha;
    return 0;
}

static int parse_pad(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 2, 2)) || (r = need_float(c, 0)) || (r = need_const(c, 1, BD_DT_I32)))
        return r;
    struct bd_tensor *in = T(c, 0), *pt = T(c, 1);
    if ((r = need_nhwc(c, in))) /* graph.h: PAD pads a 4-D NHWC tensor */
        return r;
    if (pt->count != (size_t)in->ndim * 2)
        return shape_error(c, "paddings must be [rank, 2]");
    const int32_t *pp = pt->data;
    int dims[BD_MAX_DIMS];
    memset(c->op->p.pad.pad, 0, sizeof c->op->p.pad.pad);
    for (int d = 0; d < in->ndim; d++) {
        if (pp[2 * d] < 0 || pp[2 * d + 1] < 0 || pp[2 * d] > 65536 || pp[2 * d + 1] > 65536)
            return shape_error(c, "invalid padding");
        c->op->p.pad.pad[d][0] = pp[2 * d];
        c->op->p.pad.pad[d][1] = pp[2 * d + 1];
        dims[d] = in->dims[d] + pp[2 * d] + pp[2 * d + 1];
    }
    return check_out(c, in->ndim, dims);
}

static int parse_reshape(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 1, 2)) || (r = need_float(c, 0)))
        return r;
    if (OUT(c)->count != T(c, 0)->count)
        return shape_error(c, "reshape changes the element count");
    c->op->num_inputs = 1;
    return 0;
}

static int parse_fc(struct opctx *c)
{
    int r;
    if ((r = need_inputs(c, 2, 3)) || (r = need_float(c, 0)) || (r = need_const(c, 1, BD_DT_F32)))
        return r;
    struct bd_tensor *b = c->op->num_inputs == 3 ? T(c, 2) : NULL;
    if (b && (r = need_const(c, 2, BD_DT_F32)))
        return r;
    if ((r = get_act(c, 0, &c->op->p.binary.act)))
        return r;
    uint8_t wf;
    if (opt_u8(c, 1, 0, &wf))
        return BD_ERR_FORMAT;
    if (wf != 0)
        return unsupported(c->L, c->name, "shuffled weights format");
    struct bd_tensor *in = T(c, 0), *w = T(c, 1);
    if (w->ndim != 2)
        return shape_error(c, "weights must be 2-D");
    int co = w->dims[0], ci = w->dims[1];
    if (in->count % (size_t)ci != 0)
        return shape_error(c, "input size is not a multiple of the weights' input size");
    if (b && b->count != (size_t)co)
        return shape_error(c, "bias size does not match output size");
    if (OUT(c)->count != in->count / (size_t)ci * (size_t)co || OUT(c)->dims[OUT(c)->ndim - 1] != co)
        return shape_error(c, "output shape does not match");
    return 0;
}

/* ---- operators ---------------------------------------------------------- */

static int load_op(struct loader *L, uint32_t i, struct bd_op *op, int *folded)
{
    struct bd_graph *g = L->g;
    struct fb_table ot;
    *folded = 0;
    if (fb_vec_table(&L->b, &L->operators, i, &ot) != 0)
        return corrupt(L, "operator table");
    int32_t opcode_index;
    struct fb_vec ins, outs, custom;
    if (fb_get_i32(&L->b, &ot, OP_OPCODE, 0, &opcode_index) != 0 ||
        fb_get_vec(&L->b, &ot, OP_INPUTS, 4, &ins) != 0 ||
        fb_get_vec(&L->b, &ot, OP_OUTPUTS, 4, &outs) != 0 ||
        fb_get_vec(&L->b, &ot, OP_CUSTOM, 1, &custom) != 0)
        return corrupt(L, "operator fields");
    if (opcode_index < 0 || (uint32_t)opcode_index >= L->opcodes.len)
        return corrupt(L, "opcode index out of range");
    int32_t code = L->opcode_builtin[opcode_index];
    const char *custom_name = L->opcode_custom[opcode_index];

    struct opctx c = {.L = L, .op = op, .custom = L->b.p + custom.pos, .custom_len = custom.len};
    c.name = opcode_name(L, code, custom_name);
    if (fb_get_table(&L->b, &ot, OP_OPTIONS, &c.opt, &c.has_opt) != 0)
        return corrupt(L, "operator options");

    if (ins.len > MAX_OP_INPUTS)
        return unsupported(L, c.name, "too many inputs");
    if (outs.len != 1)
        return unsupported(L, c.name, "only single-output ops are supported");
    op->num_inputs = (int)ins.len;
    op->inputs = pool_alloc(L->pool, (ins.len ? ins.len : 1) * sizeof(int));
    if (!op->inputs)
        return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
    for (uint32_t k = 0; k < ins.len; k++) {
        int32_t idx = fb_vec_i32(&L->b, &ins, k);
        if (idx < -1 || idx >= g->num_tensors)
            return corrupt(L, "operator input index out of range");
        op->inputs[k] = idx;
    }
    int32_t oidx = fb_vec_i32(&L->b, &outs, 0);
    if (oidx < 0 || oidx >= g->num_tensors)
        return corrupt(L, "operator output index out of range");
    op->output = oidx;
    struct bd_tensor *out = &g->tensors[oidx];
    if (out->data)
        return corrupt(L, "operator writes a constant tensor");

    if (code == OPC_DEQUANTIZE) {
        /* fp16 weights were converted to fp32 at load; DEQUANTIZE of a
         * constant becomes that constant. */
        if (ins.len != 1 || op->inputs[0] < 0)
            return corrupt(L, "DEQUANTIZE inputs");
        struct bd_tensor *src = &g->tensors[op->inputs[0]];
        if (!src->data || src->dtype != BD_DT_F32)
            return unsupported(L, c.name, "DEQUANTIZE of a non-constant or integer tensor (quantized models are not supported)");
        if (out->count != src->count || out->dtype != BD_DT_F32)
            return corrupt(L, "DEQUANTIZE shape or type");
        out->data = src->data;
        *folded = 1;
        return 0;
    }

    if (out->dtype != BD_DT_F32)
        return unsupported(L, c.name, "output is not float32 (quantized or integer models are not supported)");
    if (out->ndim < 1) /* graph.h: activations have 1..4 dims (FC reads dims[ndim - 1]) */
        return unsupported(L, c.name, "output is a 0-D scalar");

    int r;
    switch (code) {
    case OPC_CONV_2D: op->type = BD_OP_CONV2D; op->tflite_name = "CONV_2D"; r = parse_conv(&c, 0); break;
    case OPC_DEPTHWISE_CONV_2D: op->type = BD_OP_DWCONV2D; op->tflite_name = "DEPTHWISE_CONV_2D"; r = parse_conv(&c, 1); break;
    case OPC_TRANSPOSE_CONV: op->type = BD_OP_TRANSPOSE_CONV; op->tflite_name = "TRANSPOSE_CONV"; r = parse_tconv(&c, 0); break;
    case OPC_FULLY_CONNECTED: op->type = BD_OP_FULLY_CONNECTED; op->tflite_name = "FULLY_CONNECTED"; r = parse_fc(&c); break;
    case OPC_ADD: op->type = BD_OP_ADD; op->tflite_name = "ADD"; r = parse_binary(&c, 1); break;
    case OPC_SUB: op->type = BD_OP_SUB; op->tflite_name = "SUB"; r = parse_binary(&c, 1); break;
    case OPC_MUL: op->type = BD_OP_MUL; op->tflite_name = "MUL"; r = parse_binary(&c, 1); break;
    case OPC_HARD_SWISH: op->type = BD_OP_HARD_SWISH; op->tflite_name = "HARD_SWISH"; r = parse_unary(&c); break;
    case OPC_RELU: op->type = BD_OP_RELU; op->tflite_name = "RELU"; r = parse_unary(&c); break;
    case OPC_RELU6: op->type = BD_OP_RELU6; op->tflite_name = "RELU6"; r = parse_unary(&c); break;
    case OPC_LOGISTIC: op->type = BD_OP_LOGISTIC; op->tflite_name = "LOGISTIC"; r = parse_unary(&c); break;
    case OPC_TANH: op->type = BD_OP_TANH; op->tflite_name = "TANH"; r = parse_unary(&c); break;
    case OPC_LEAKY_RELU: op->type = BD_OP_LEAKY_RELU; op->tflite_name = "LEAKY_RELU"; r = parse_leaky(&c); break;
    case OPC_PRELU: op->type = BD_OP_PRELU; op->tflite_name = "PRELU"; r = parse_prelu(&c); break;
    case OPC_AVERAGE_POOL_2D: op->type = BD_OP_AVG_POOL; op->tflite_name = "AVERAGE_POOL_2D"; r = parse_pool(&c); break;
    case OPC_MAX_POOL_2D: op->type = BD_OP_MAX_POOL; op->tflite_name = "MAX_POOL_2D"; r = parse_pool(&c); break;
    case OPC_MEAN: op->type = BD_OP_MEAN; op->tflite_name = "MEAN"; r = parse_mean(&c); break;
    case OPC_RESIZE_BILINEAR: op->type = BD_OP_RESIZE_BILINEAR; op->tflite_name = "RESIZE_BILINEAR"; r = parse_resize(&c); break;
    case OPC_CONCATENATION: op->type = BD_OP_CONCAT; op->tflite_name = "CONCATENATION"; r = parse_concat(&c); break;
    case OPC_SOFTMAX: op->type = BD_OP_SOFTMAX; op->tflite_name = "SOFTMAX"; r = parse_softmax(&c); break;
    case OPC_PAD: op->type = BD_OP_PAD; op->tflite_name = "PAD"; r = parse_pad(&c); break;
    case OPC_RESHAPE: op->type = BD_OP_RESHAPE; op->tflite_name = "RESHAPE"; r = parse_reshape(&c); break;
    case OPC_SQUEEZE: op->type = BD_OP_RESHAPE; op->tflite_name = "SQUEEZE"; r = parse_reshape(&c); break;
    case OPC_EXPAND_DIMS: op->type = BD_OP_RESHAPE; op->tflite_name = "EXPAND_DIMS"; r = parse_reshape(&c); break;
    case OPC_CUSTOM:
        if (custom_name && strcmp(custom_name, "Convolution2DTransposeBias") == 0) {
            op->type = BD_OP_TRANSPOSE_CONV;
            op->tflite_name = "Convolution2DTransposeBias";
            r = parse_tconv(&c, 1);
        } else {
            r = unsupported(L, c.name, "this custom op is not implemented");
        }
        break;
    default:
        r = unsupported(L, c.name, "this op is not implemented");
        break;
    }
    return r;
}

static int load_opcodes(struct loader *L)
{
    uint32_t n = L->opcodes.len;
    L->opcode_builtin = pool_alloc(L->pool, (n ? n : 1) * sizeof(int32_t));
    L->opcode_custom = pool_alloc(L->pool, (n ? n : 1) * sizeof(char *));
    if (!L->opcode_builtin || !L->opcode_custom)
        return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
    for (uint32_t i = 0; i < n; i++) {
        struct fb_table t;
        uint8_t dep;
        int32_t code;
        struct fb_vec cust;
        if (fb_vec_table(&L->b, &L->opcodes, i, &t) != 0 ||
            fb_get_u8(&L->b, &t, OPCODE_DEPRECATED, 0, &dep) != 0 ||
            fb_get_i32(&L->b, &t, OPCODE_BUILTIN, 0, &code) != 0 ||
            fb_get_vec(&L->b, &t, OPCODE_CUSTOM, 1, &cust) != 0)
            return corrupt(L, "operator code table");
        /* Files from newer converters put codes > 127 in builtin_code and
         * 127 in the deprecated byte; older ones only fill the byte. */
        L->opcode_builtin[i] = code > (int32_t)dep ? code : (int32_t)dep;
        L->opcode_custom[i] = NULL;
        if (cust.len) {
            uint32_t len = cust.len > 63 ? 63 : cust.len;
            char *s = pool_alloc(L->pool, len + 1);
            if (!s)
                return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L->name);
            memcpy(s, L->b.p + cust.pos, len);
            s[len] = '\0';
            for (uint32_t k = 0; k < len; k++)
                if (s[k] < 32 || s[k] > 126)
                    s[k] = '?';
            L->opcode_custom[i] = s;
        }
    }
    return 0;
}

/* Recomputes producer and last_use; checks that ops are in dependency
 * order and that nothing reads an undefined tensor. */
static int link_graph(struct bd_graph *g, const char *name)
{
    if (g->tensors[g->input].data) /* a DEQUANTIZE wrote the input */
        return bd_fail(BD_ERR_FORMAT, "model '%s': the input tensor is written by an operator", name);
    for (int t = 0; t < g->num_tensors; t++) {
        g->tensors[t].producer = -1;
        g->tensors[t].last_use = -1;
    }
    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        for (int k = 0; k < op->num_inputs; k++) {
            int idx = op->inputs[k];
            if (idx < 0)
                continue;
            struct bd_tensor *t = &g->tensors[idx];
            if (!t->data && idx != g->input && t->producer < 0)
                return bd_fail(BD_ERR_FORMAT, "model '%s': operator #%d reads tensor '%s' before anything writes it",
                               name, i, t->name);
            t->last_use = i;
        }
        struct bd_tensor *o = &g->tensors[op->output];
        if (o->producer >= 0 || op->output == g->input || o->data) /* data: a later DEQUANTIZE wrote it */
            return bd_fail(BD_ERR_FORMAT, "model '%s': tensor '%s' is written twice", name, o->name);
        o->producer = i;
    }
    for (int k = 0; k < g->num_outputs; k++) {
        struct bd_tensor *t = &g->tensors[g->outputs[k]];
        if (t->producer < 0 && g->outputs[k] != g->input)
            return bd_fail(BD_ERR_FORMAT, "model '%s': output '%s' is never computed", name, t->name);
        t->last_use = INT_MAX;
    }
    return 0;
}

int bd_graph_select_output(struct bd_graph *g, int k)
{
    if (!g || k < 0 || k >= g->num_outputs)
        return bd_fail(BD_ERR_INVALID_ARG, "output index %d out of range", k);
    g->outputs[0] = g->outputs[k];
    g->num_outputs = 1;
    /* Mark what the output needs, walking backwards. */
    unsigned char *need = calloc((size_t)g->num_tensors, 1);
    if (!need)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    need[g->outputs[0]] = 1;
    int kept = 0;
    for (int i = g->num_ops - 1; i >= 0; i--) {
        struct bd_op *op = &g->ops[i];
        if (!need[op->output])
            continue;
        for (int j = 0; j < op->num_inputs; j++)
            if (op->inputs[j] >= 0)
                need[op->inputs[j]] = 1;
    }
    for (int i = 0; i < g->num_ops; i++)
        if (need[g->ops[i].output])
            g->ops[kept++] = g->ops[i];
    g->num_ops = kept;
    free(need);
    return link_graph(g, "model");
}

int bd_tflite_load(const uint8_t *data, size_t size, const char *name, struct bd_graph **out)
{
    *out = NULL;
    struct loader L = {.b = {data, size}, .name = name ? name : "model"};
    if (!data || size < 8)
        return bd_fail(BD_ERR_FORMAT, "model '%s': file is empty or truncated (%zu bytes); re-download the model", L.name, size);
    if (memcmp(data + 4, "TFL3", 4) != 0)
        return bd_fail(BD_ERR_FORMAT, "model '%s': not a TFLite model (no TFL3 identifier); give a .tflite file", L.name);
    if (size > (size_t)INT32_MAX)
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': files over 2 GiB are not supported", L.name);

    struct fb_table model;
    size_t root = fb_deref(&L.b, 0);
    if (root == (size_t)-1 || fb_table_at(&L.b, root, &model) != 0)
        return corrupt(&L, "root table");
    struct fb_vec subgraphs;
    if (fb_get_vec(&L.b, &model, MODEL_OPCODES, 4, &L.opcodes) != 0 ||
        fb_get_vec(&L.b, &model, MODEL_SUBGRAPHS, 4, &subgraphs) != 0 ||
        fb_get_vec(&L.b, &model, MODEL_BUFFERS, 4, &L.buffers) != 0)
        return corrupt(&L, "model table");
    if (subgraphs.len < 1)
        return corrupt(&L, "no subgraph");
    struct fb_table sg;
    struct fb_vec sg_in, sg_out;
    if (fb_vec_table(&L.b, &subgraphs, 0, &sg) != 0 ||
        fb_get_vec(&L.b, &sg, SG_TENSORS, 4, &L.tensors) != 0 ||
        fb_get_vec(&L.b, &sg, SG_INPUTS, 4, &sg_in) != 0 ||
        fb_get_vec(&L.b, &sg, SG_OUTPUTS, 4, &sg_out) != 0 ||
        fb_get_vec(&L.b, &sg, SG_OPERATORS, 4, &L.operators) != 0)
        return corrupt(&L, "subgraph table");
    if (L.tensors.len == 0 || L.tensors.len > MAX_TENSORS || L.operators.len > MAX_OPS)
        return corrupt(&L, "tensor or operator count");

    struct bd_graph *g = calloc(1, sizeof *g);
    struct graph_pool *pool = calloc(1, sizeof *pool);
    if (!g || !pool) {
        free(g);
        free(pool);
        return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L.name);
    }
    g->pool = pool;
    L.g = g;
    L.pool = pool;
    int r;
    g->num_tensors = (int)L.tensors.len;
    g->tensors = pool_alloc(pool, L.tensors.len * sizeof *g->tensors);
    g->ops = pool_alloc(pool, (L.operators.len ? L.operators.len : 1) * sizeof *g->ops);
    if (!g->tensors || !g->ops) {
        r = bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", L.name);
        goto fail;
    }
    if ((r = load_opcodes(&L)) != 0)
        goto fail;
    for (uint32_t i = 0; i < L.tensors.len; i++)
        if ((r = load_tensor(&L, i)) != 0)
            goto fail;

    if (sg_in.len != 1) {
        r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': has %u inputs; only single-input models are supported",
                    L.name, sg_in.len);
        goto fail;
    }
    g->input = fb_vec_i32(&L.b, &sg_in, 0);
    if (g->input < 0 || g->input >= g->num_tensors) {
        r = corrupt(&L, "input index");
        goto fail;
    }
    struct bd_tensor *in = &g->tensors[g->input];
    if (in->data || in->dtype != BD_DT_F32 || in->ndim != 4 || in->dims[0] != 1) {
        r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': input must be a float32 [1,H,W,C] tensor", L.name);
        goto fail;
    }
    if (sg_out.len < 1 || sg_out.len > 4) {
        r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': has %u outputs; 1 to 4 are supported", L.name, sg_out.len);
        goto fail;
    }
    g->num_outputs = (int)sg_out.len;
    for (uint32_t k = 0; k < sg_out.len; k++) {
        int32_t o = fb_vec_i32(&L.b, &sg_out, k);
        if (o < 0 || o >= g->num_tensors) {
            r = corrupt(&L, "output index");
            goto fail;
        }
        if (g->tensors[o].dtype != BD_DT_F32) {
            r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': output '%s' is not float32", L.name, g->tensors[o].name);
            goto fail;
        }
        g->outputs[k] = o;
    }

    int nops = 0;
    for (uint32_t i = 0; i < L.operators.len; i++) {
        int folded;
        L.cur_op = (int)i;
        memset(&g->ops[nops], 0, sizeof g->ops[nops]);
        if ((r = load_op(&L, i, &g->ops[nops], &folded)) != 0)
            goto fail;
        if (!folded)
            nops++;
    }
    g->num_ops = nops;
    /* Activations must be float (their producers were checked); anything
     * else not constant and not the input is never written. */
    if ((r = link_graph(g, L.name)) != 0)
        goto fail;
    uint64_t act = g->tensors[g->input].count;
    for (int i = 0; i < g->num_ops; i++)
        act += g->tensors[g->ops[i].output].count;
    if (act > MAX_ACTIVATION_ELEMENTS) {
        r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': its activations need %llu MiB; at most %u MiB are supported",
                    L.name, (unsigned long long)(act * 4 >> 20), MAX_ACTIVATION_ELEMENTS * 4u >> 20);
        goto fail;
    }
    *out = g;
    return BD_OK;
fail:
    bd_graph_free(g);
    return r;
}
