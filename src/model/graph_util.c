/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small helpers declared in graph.h. */
#include "graph.h"

#include <math.h>
#include <string.h>

void bd_act_range(enum bd_act act, float *lo, float *hi)
{
    switch (act) {
    case BD_ACT_RELU:
        *lo = 0.0f;
        *hi = INFINITY;
        return;
    case BD_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        return;
    case BD_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        return;
    case BD_ACT_NONE:
        break;
    }
    *lo = -INFINITY;
    *hi = INFINITY;
}

const char *bd_op_type_name(enum bd_op_type type)
{
    switch (type) {
    case BD_OP_CONV2D: return "CONV_2D";
    case BD_OP_DWCONV2D: return "DEPTHWISE_CONV_2D";
    case BD_OP_TRANSPOSE_CONV: return "TRANSPOSE_CONV";
    case BD_OP_FULLY_CONNECTED: return "FULLY_CONNECTED";
    case BD_OP_ADD: return "ADD";
    case BD_OP_SUB: return "SUB";
    case BD_OP_MUL: return "MUL";
    case BD_OP_HARD_SWISH: return "HARD_SWISH";
    case BD_OP_RELU: return "RELU";
    case BD_OP_RELU6: return "RELU6";
    case BD_OP_LOGISTIC: return "LOGISTIC";
    case BD_OP_TANH: return "TANH";
    case BD_OP_LEAKY_RELU: return "LEAKY_RELU";
    case BD_OP_PRELU: return "PRELU";
    case BD_OP_AVG_POOL: return "AVERAGE_POOL_2D";
    case BD_OP_MAX_POOL: return "MAX_POOL_2D";
    case BD_OP_MEAN: return "MEAN";
    case BD_OP_RESIZE_BILINEAR: return "RESIZE_BILINEAR";
    case BD_OP_CONCAT: return "CONCATENATION";
    case BD_OP_SOFTMAX: return "SOFTMAX";
    case BD_OP_PAD: return "PAD";
    case BD_OP_RESHAPE: return "RESHAPE";
    case BD_OP_DIV: return "DIV";
    case BD_OP_MINIMUM: return "MINIMUM";
    case BD_OP_MAXIMUM: return "MAXIMUM";
    case BD_OP_SLICE: return "SLICE";
    case BD_OP_MEAN_C: return "MEAN_C";
    case BD_OP_COUNT: break;
    }
    return "UNKNOWN";
}

float bd_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {
            /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            man &= 0x3ff;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int bd_conv_axis(int in, int k, int stride, int dil, int same, int *out, int *before, int *after)
{
    if (k < 1 || stride < 1 || dil < 1 || k > 4096 || stride > 4096 || dil > 4096)
        return -1;
    int64_t eff = (int64_t)(k - 1) * dil + 1;
    int64_t o;
    if (same) {
        o = ((int64_t)in + stride - 1) / stride;
    } else {
        if (eff > in)
            return -1;
        o = ((int64_t)in - eff + stride) / stride;
    }
    int64_t total = (o - 1) * stride + eff - in;
    if (total < 0)
        total = 0;
    *out = (int)o;
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
    return 0;
}
