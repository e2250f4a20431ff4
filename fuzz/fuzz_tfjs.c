/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the TF.js graph-model reader (src/model/tfjs.c).
 *
 * Input layout: 4 bytes little-endian N, then N bytes of model.json, then
 * the rest as the one weight file "w.bin" (a model naming other files gets
 * "missing"). N's top bit picks the size: 64x48 ratio 0.5, or 31x17 ratio
 * 0.25 (odd sizes reach the rounding in the shape arithmetic).
 * A failure must come with a known negative status and a message; a
 * success must meet graph.h's invariants (indices, ranks, dims, execution
 * order, last_use, state inputs written by nobody) and then run under the
 * ref backend when its activations are small.
 *
 * Built by `make fuzz-build`; run by scripts/fuzz.sh (target tfjs).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz_tfjs"
#include "backdrop.h"
#include "common/error.h"
#include "fuzz_common.h"
#include "model/backend.h"
#include "model/graph.h"
#include "model/tfjs.h"

static void check_graph(const struct bd_graph *g)
{
    CHECK(g->num_tensors > 0 && g->num_ops > 0, "empty graph");
    CHECK(g->input >= 0 && g->input < g->num_tensors, "input index %d", g->input);
    CHECK(g->num_outputs >= 1 && g->num_outputs <= 8, "outputs %d", g->num_outputs);
    CHECK(g->num_state_inputs >= 0 && g->num_state_inputs <= 4, "state inputs %d", g->num_state_inputs);
    for (int t = 0; t < g->num_tensors; t++) {
        const struct bd_tensor *T = &g->tensors[t];
        CHECK(T->ndim >= 1 && T->ndim <= BD_MAX_DIMS, "tensor %d rank %d", t, T->ndim);
        size_t c = 1;
        for (int d = 0; d < T->ndim; d++) {
            CHECK(T->dims[d] >= 1, "tensor %d dim %d is %d", t, d, T->dims[d]);
            c *= (size_t)T->dims[d];
        }
        CHECK(c == T->count, "tensor %d count", t);
        CHECK(T->dtype == BD_DT_F32, "tensor %d not float", t);
        if (T->data) {
            volatile float s = ((const float *)T->data)[0] + ((const float *)T->data)[T->count - 1];
            (void)s;
            CHECK(((uintptr_t)T->data & 63) == 0, "constant %d not aligned", t);
        }
    }
    for (int s = 0; s < g->num_state_inputs; s++) {
        int t = g->state_inputs[s];
        CHECK(t >= 0 && t < g->num_tensors && !g->tensors[t].data && g->tensors[t].producer < 0,
              "state input %d", s);
    }
    for (int i = 0; i < g->num_ops; i++) {
        const struct bd_op *op = &g->ops[i];
        CHECK(op->type >= 0 && op->type < BD_OP_COUNT, "op %d type", i);
        CHECK(op->output >= 0 && op->output < g->num_tensors, "op %d output", i);
        CHECK(g->tensors[op->output].producer == i && !g->tensors[op->output].data, "op %d output producer", i);
        for (int k = 0; k < op->num_inputs; k++) {
            int t = op->inputs[k];
            if (t < 0)
                continue;
            CHECK(t < g->num_tensors, "op %d input %d index", i, k);
            const struct bd_tensor *T = &g->tensors[t];
            int ok = T->data || t == g->input || (T->producer >= 0 && T->producer < i);
            for (int s = 0; s < g->num_state_inputs; s++)
                ok |= t == g->state_inputs[s];
            CHECK(ok, "op %d reads tensor %d before it is written", i, t);
            CHECK(T->last_use >= i, "op %d input %d last_use %d", i, k, T->last_use);
        }
        if (op->type == BD_OP_CONV2D || op->type == BD_OP_DWCONV2D) {
            const struct bd_conv_params *p = &op->p.conv;
            CHECK(p->pad_top >= 0 && p->pad_bottom >= 0 && p->pad_left >= 0 && p->pad_right >= 0, "op %d pads", i);
            CHECK(p->dilation_h >= 1 && p->stride_h >= 1, "op %d stride/dilation", i);
        }
        if (op->type == BD_OP_SLICE) {
            const struct bd_tensor *ti = &g->tensors[op->inputs[0]], *to = &g->tensors[op->output];
            CHECK(ti->ndim == to->ndim, "slice %d rank", i);
            for (int d = 0; d < to->ndim; d++)
                CHECK(op->p.slice.begin[d] >= 0 && op->p.slice.begin[d] + to->dims[d] <= ti->dims[d],
                      "slice %d box", i);
        }
    }
    for (int k = 0; k < g->num_outputs; k++)
        CHECK(g->tensors[g->outputs[k]].last_use == INT_MAX, "output %d last_use", k);
}

static void try_run(const struct bd_graph *g)
{
    size_t act = 0;
    for (int t = 0; t < g->num_tensors; t++)
        if (!g->tensors[t].data)
            act += g->tensors[t].count;
    if (act > (1u << 22))
        return;
    float **t = calloc((size_t)g->num_tensors, sizeof *t);
    CHECK(t != NULL, "oom");
    for (int i = 0; i < g->num_tensors; i++) {
        const struct bd_tensor *T = &g->tensors[i];
        if (T->data) {
            t[i] = T->data;
        } else {
            size_t n = (T->count * 4 + 127) / 64 * 64;
            t[i] = aligned_alloc(64, n);
            CHECK(t[i] != NULL, "oom");
            memset(t[i], 0, n);
        }
    }
    struct bd_ref *ref = NULL;
    int r = bd_ref_create(g, t, &ref);
    if (r == BD_OK) {
        r = bd_ref_run(ref);
        CHECK(r == BD_OK, "ref run failed after create: %s", bd_last_error());
        bd_ref_destroy(ref);
    } else {
        CHECK(bd_last_error()[0], "ref create failed without a message");
    }
    for (int i = 0; i < g->num_tensors; i++)
        if (!g->tensors[i].data)
            free(t[i]);
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t n = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    const int alt = (int)(n >> 31);
    n &= 0x7fffffffu;
    if (n > size - 4)
        n = (uint32_t)(size - 4);
    struct bd_tfjs_shard sh = {"w.bin", data + 4 + n, size - 4 - n};
    struct bd_tfjs_spec spec = alt ? (struct bd_tfjs_spec){17, 31, 0.25f} : (struct bd_tfjs_spec){48, 64, 0.5f};
    struct bd_graph *g = NULL;
    int r = bd_tfjs_load((const char *)data + 4, n, &sh, 1, &spec, "fuzz", &g);
    if (getenv("FUZZ_TFJS_VERBOSE"))
        fprintf(stderr, "fuzz_tfjs: status %d%s%s\n", r, r ? ": " : "", r ? bd_last_error() : "");
    if (r != BD_OK) {
        CHECK(g == NULL, "graph returned with an error");
        CHECK(r == BD_ERR_FORMAT || r == BD_ERR_UNSUPPORTED || r == BD_ERR_NOMEM || r == BD_ERR_INVALID_ARG,
              "unexpected status %d", r);
        CHECK(bd_last_error()[0], "error without a message");
        return 0;
    }
    check_graph(g);
    try_run(g);
    bd_graph_free(g);
    return 0;
}
