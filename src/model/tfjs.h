/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TF.js graph model (model.json + weight shards) → struct bd_graph. */
#ifndef BD_MODEL_TFJS_H
#define BD_MODEL_TFJS_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

/* One weight file, as model.json's weightsManifest names it. */
struct bd_tfjs_shard {
    const char *path;
    const uint8_t *data;
    size_t size;
};

/*
 * What the graph is specialised for: the image input's height and width
 * (its placeholder is "src", [1,H,W,3]) and the value of the scalar
 * placeholder "downsample_ratio" (0 < ratio <= 1). The recurrent inputs
 * r1i..r4i become state inputs of the shapes their BroadcastTo asks for;
 * the caller feeds zeros on the first frame (what a scalar 0 broadcasts to).
 */
struct bd_tfjs_spec {
    int height, width;
    float ratio;
};

/*
 * Parses model.json (json[0..json_len), not NUL-terminated) and the shards
 * it names into a graph meeting graph.h's invariants, plus: outputs are, in
 * order, pha, r1o, r2o, r3o, r4o, fgr (those the signature has);
 * state_inputs are r1i..r4i (those the graph reads). Shape arithmetic,
 * casts and the Switch/Merge conditionals are evaluated here;
 * SpaceToBatchND → DepthwiseConv2dNative → BatchToSpaceND becomes one dilated
 * DWCONV2D; uint8- and float16-quantised weights are dequantised to fp32.
 * Anything else fails with one error naming the node and its op.
 * Nothing is kept pointing into json or the shards.
 * Returns BD_OK or a negative enum bd_status with bd_last_error() set.
 */
int bd_tfjs_load(const char *json, size_t json_len, const struct bd_tfjs_shard *shards,
                 int num_shards, const struct bd_tfjs_spec *spec, const char *name,
                 struct bd_graph **out);

/*
 * Reads the model.json at path and its shards (paths relative to its
 * folder; no "..", no absolute paths) and calls bd_tfjs_load.
 */
int bd_tfjs_load_file(const char *path, const struct bd_tfjs_spec *spec,
                      struct bd_graph **out);

#endif
