/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine's internal model graph: what the TFLite reader produces and
 * what every backend consumes.
 *
 * Invariants established by the reader (tflite.c) before any backend sees a
 * graph, so kernels may rely on them without checking:
 *  - every tensor index in an op is valid; every non-constant tensor is
 *    float32 with 1..4 dims, all dims >= 1, and element count < 2^31;
 *  - the input and all op outputs together hold at most 2^28 elements
 *    (1 GiB of floats), so no plan of the activations is larger;
 *  - every constant tensor the kernels read is float32 (fp16 constants and
 *    their DEQUANTIZE ops are already folded) except the int32 "shape-like"
 *    operands (sizes, axes, paddings, output shapes), which are decoded into
 *    op params and not read again;
 *  - ops are in execution order, each op's inputs are produced before it;
 *  - each op's output shape was inferred from its inputs and params and
 *    matched the shape declared in the file; 4-D activations are NHWC;
 *  - padding is explicit (SAME is resolved with the extra row/column at the
 *    bottom/right, as TFLite does);
 *  - last_use is exact (-1 for a tensor nothing reads; INT_MAX for the
 *    graph's outputs) and outputs[] is complete, so backends may fuse an
 *    op into its only reader;
 *  - constant data has at least 64 bytes of readable slack after it;
 *  - TRANSPOSE_CONV is never dilated (dilation_h/w are 1);
 *    depth_multiplier >= 1 and equals filter channels / input channels;
 *  - CONCAT inputs all have the output's rank; PAD is always 4-D NHWC
 *    and pad[k] pads dim k.
 */
#ifndef BD_MODEL_GRAPH_H
#define BD_MODEL_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#define BD_MAX_DIMS 4

enum bd_dtype {
    BD_DT_F32 = 0,
    BD_DT_I32 = 1,
    BD_DT_F16 = 2,  /* only before folding */
    BD_DT_OTHER = 3,
};

struct bd_tensor {
    int ndim;
    int dims[BD_MAX_DIMS];   /* row-major, last is fastest (channels) */
    enum bd_dtype dtype;
    size_t count;            /* number of elements */
    /* Constant data (owned by the graph, 64-byte aligned) or NULL for
     * activations. For BD_DT_I32 constants this holds int32_t values. */
    void *data;
    const char *name;        /* owned by the graph, may be "" */
    int producer;            /* op index producing it, -1 for inputs/consts */
    int last_use;            /* last op index reading it; INT_MAX for outputs */
};

enum bd_act {
    BD_ACT_NONE = 0,
    BD_ACT_RELU = 1,        /* [0, inf) */
    BD_ACT_RELU_N1_TO_1 = 2,/* [-1, 1] */
    BD_ACT_RELU6 = 3,       /* [0, 6] */
};

enum bd_op_type {
    BD_OP_CONV2D,
    BD_OP_DWCONV2D,
    BD_OP_TRANSPOSE_CONV,   /* TRANSPOSE_CONV and Convolution2DTransposeBias */
    BD_OP_FULLY_CONNECTED,
    BD_OP_ADD,
    BD_OP_SUB,
    BD_OP_MUL,
    BD_OP_HARD_SWISH,
    BD_OP_RELU,
    BD_OP_RELU6,
    BD_OP_LOGISTIC,
    BD_OP_TANH,
    BD_OP_LEAKY_RELU,
    BD_OP_PRELU,
    BD_OP_AVG_POOL,
    BD_OP_MAX_POOL,
    BD_OP_MEAN,             /* over H and W (axes 1,2) with keep_dims */
    BD_OP_RESIZE_BILINEAR,
    BD_OP_CONCAT,
    BD_OP_SOFTMAX,          /* over the last axis */
    BD_OP_PAD,              /* zero padding of a 4-D NHWC tensor */
    BD_OP_RESHAPE,          /* same element count, data unchanged */
    /* From the TF.js reader (tfjs.c) only: */
    BD_OP_DIV,              /* binary, broadcast like ADD */
    BD_OP_MINIMUM,          /* binary, broadcast like ADD */
    BD_OP_MAXIMUM,          /* binary, broadcast like ADD */
    BD_OP_SLICE,            /* a box of the input: p.slice.begin, out dims */
    BD_OP_MEAN_C,           /* mean over the last axis, kept as size 1 */
    BD_OP_COUNT
};

/*
 * Params. Conv-like ops:
 *  CONV2D:     in[0] input NHWC [1,H,W,Ci], in[1] filter OHWI [Co,KH,KW,Ci],
 *              in[2] bias [Co] or -1.
 *  DWCONV2D:   in[1] filter [1,KH,KW,Ci*mult], in[2] bias or -1.
 *  TRANSPOSE_CONV: in[0] input, in[1] filter OHWI [Co,KH,KW,Ci],
 *              in[2] bias [Co] or -1. Output is
 *              (H-1)*stride + KH - pad_top - pad_bottom (+ adj_h), likewise W.
 *              out[y*s - pad_top + ky] += in[y] * w[ky].
 *  FULLY_CONNECTED: in[0] input (last dim = Ci, or flattened), in[1] weights
 *              [Co, Ci], in[2] bias [Co] or -1; output [rows, Co] shaped as
 *              the file says.
 * Binary ops (ADD, SUB, MUL): in[0], in[1] broadcast numpy-style over up to
 *              4 dims (shapes right-aligned); either may be constant.
 * PRELU:       in[1] alpha, broadcast like a binary op.
 * MEAN:        in[1] axes (already decoded; always H and W of a 4-D input).
 * RESIZE_BILINEAR: in[1] size (decoded into out dims).
 * PAD:         in[1] paddings (decoded into pad[][]).
 * RESHAPE:     in[1] optional shape (decoded; output shape is the file's).
 * SLICE:       out[i..] = in[begin + i..] per dim; input and output have the
 *              same rank, begin[d] + out dims[d] <= in dims[d].
 */
struct bd_conv_params {
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    int pad_top, pad_bottom, pad_left, pad_right;
    int adj_h, adj_w;           /* TRANSPOSE_CONV only: extra output rows/cols */
    int depth_multiplier;       /* DWCONV2D only */
    enum bd_act act;
};

struct bd_pool_params {
    int filter_h, filter_w;
    int stride_h, stride_w;
    int pad_top, pad_bottom, pad_left, pad_right;
    enum bd_act act;            /* AVG_POOL counts only in-bounds taps */
};

struct bd_op {
    enum bd_op_type type;
    int num_inputs;
    int *inputs;                /* tensor indices, owned by the graph; -1 = absent */
    int output;                 /* every supported op has exactly one output */
    const char *tflite_name;    /* e.g. "CONV_2D", for messages */
    union {
        struct bd_conv_params conv;
        struct bd_pool_params pool;
        struct { enum bd_act act; } binary;     /* ADD, SUB, MUL, FC */
        struct { int align_corners, half_pixel_centers; } resize;
        struct { int axis; enum bd_act act; } concat; /* axis >= 0 */
        struct { float beta; } softmax;
        struct { float alpha; } leaky;
        struct { int pad[BD_MAX_DIMS][2]; } pad;   /* before, after per dim */
        struct { int begin[BD_MAX_DIMS]; } slice;
    } p;
};

struct bd_graph {
    int num_tensors;
    struct bd_tensor *tensors;
    int num_ops;
    struct bd_op *ops;
    int input;                  /* the model's image input tensor */
    /* Further inputs the caller fills before each run (the recurrent
     * state of the TF.js reader's graphs; 0 for TFLite models). Each is a
     * float32 activation no op writes; state_outputs[k] is the output of
     * the same shape that the next run's state_inputs[k] takes. */
    int num_state_inputs;
    int state_inputs[4];
    int state_outputs[4];
    int num_outputs;
    int outputs[8];             /* the model's outputs; outputs[0] is decoded */
    size_t weight_bytes;
    /* Single allocation blocks freed by bd_graph_free. */
    void *pool;
};

/* A new empty graph owning a pool (for readers), or NULL. */
struct bd_graph *bd_graph_new(void);
/* Zeroed, 64-byte aligned memory with 64 bytes of slack after size, owned
 * by g and freed by bd_graph_free; NULL when out of memory. */
void *bd_graph_alloc(struct bd_graph *g, size_t size);

/* Frees everything the graph owns (and the graph itself). NULL is a no-op. */
void bd_graph_free(struct bd_graph *g);

/* Element count helpers. */
static inline size_t bd_tensor_bytes(const struct bd_tensor *t)
{
    return t->count * 4u;
}

/* Clamp range of a fused activation. */
void bd_act_range(enum bd_act act, float *lo, float *hi);

/* Names for messages. */
const char *bd_op_type_name(enum bd_op_type type);

/* An IEEE half-precision value (both model readers' float16 weights) as a
 * float: subnormals, infinities and NaNs kept. */
float bd_half_to_float(uint16_t h);

/* Output size and explicit padding of a conv/pool along one axis (both
 * readers): same = TF/TFLite SAME (the odd pixel of padding after), else
 * VALID. Returns 0, or -1 for sizes out of range or a window wider than a
 * VALID input. */
int bd_conv_axis(int in, int k, int stride, int dil, int same, int *out, int *before, int *after);

#endif /* BD_MODEL_GRAPH_H */
