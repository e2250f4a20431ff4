/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TFLite flatbuffer → struct bd_graph. */
#ifndef BD_MODEL_TFLITE_H
#define BD_MODEL_TFLITE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

/*
 * Parses and validates a TFLite model held in data[0..size). name is used in
 * error messages. Only data is read; nothing is kept pointing into it.
 * On success *out is a graph meeting every invariant of graph.h, with fp16
 * constants and DEQUANTIZE folded. All model outputs are kept.
 * Returns BD_OK or a negative enum bd_status with bd_last_error() set.
 */
int bd_tflite_load(const uint8_t *data, size_t size, const char *name,
                   struct bd_graph **out);

/*
 * Makes model output k the graph's outputs[0] and the only output, drops ops
 * it does not depend on, and recomputes producer/last_use. Returns BD_OK or
 * BD_ERR_INVALID_ARG.
 */
int bd_graph_select_output(struct bd_graph *g, int k);

#endif
