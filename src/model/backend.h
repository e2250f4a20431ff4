/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The interface between the engine (engine.c) and its two backends.
 *
 * The engine owns all activation memory: `tensors` is an array of
 * graph->num_tensors pointers, where constants point at the graph's data and
 * activations point into the engine's arena (64-byte aligned, with at least
 * 64 bytes of slack after each, which covers XNN_EXTRA_BYTES). Activations
 * whose lifetimes do not overlap may share memory, so a kernel must not read
 * an input after it started writing its output unless input == output is
 * impossible (the planner never aliases an op's inputs with its output).
 * Pointers are fixed for the engine's lifetime; backends may keep them.
 *
 * Both backends allocate everything in create; run does no allocation.
 */
#ifndef BD_MODEL_BACKEND_H
#define BD_MODEL_BACKEND_H

#include "graph.h"

struct bd_ref;
struct bd_xnn;

/* ref: portable C kernels. threads is ignored (single-threaded). */
/* 1 when ref runs its FMA kernels (AVX2 or AVX-512) on this CPU. */
int bd_ref_fma_kernels(void);
int bd_ref_create(const struct bd_graph *g, float *const *tensors,
                  struct bd_ref **out);
/* Runs every op in order. */
int bd_ref_run(struct bd_ref *r);
/* Runs one op; used by xnnpack for ops XNNPACK lacks. */
int bd_ref_run_op(struct bd_ref *r, int op_index);
void bd_ref_destroy(struct bd_ref *r);

/* xnnpack: returns BD_ERR_BACKEND when libXNNPACK cannot initialise. */
int bd_xnn_create(const struct bd_graph *g, float *const *tensors, int threads,
                  struct bd_xnn **out);
int bd_xnn_run(struct bd_xnn *x);
void bd_xnn_destroy(struct bd_xnn *x);
/* For bench/: number of XNNPACK runtimes and of ops run by ref in between. */
void bd_xnn_stats(const struct bd_xnn *x, int *segments, int *fallback_ops);
/* For bench/: invokes only the XNNPACK runtimes, nothing else (valid when
 * fallback_ops == 0); the "bare XNNPACK graph" the engine is compared to. */
int bd_xnn_run_bare(struct bd_xnn *x);

#endif /* BD_MODEL_BACKEND_H */
