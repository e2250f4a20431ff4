/* SPDX-License-Identifier: GPL-3.0-or-later */
/* struct bd_model internals, shared by model.c and engine.c. */
#ifndef BD_MODEL_MODEL_H
#define BD_MODEL_MODEL_H

#include "backdrop.h"
#include "model/graph.h"

/* How to feed and decode one known model (see the table in model.c). */
struct bd_model_desc {
    const char *name;
    const char *description;
    int in_h, in_w;                 /* match keys */
    int out_h, out_w, out_c;
    const char *output_name;        /* match key when non-NULL */
    enum bd_output_kind kind;
    enum bd_input_range range;
    int default_class;
    int num_classes;
    const char *const *class_names; /* num_classes entries, or NULL */
    /* 1 where the ref backend measured faster than XNNPACK at 1 thread on
     * CPUs where it runs its FMA kernels (bench/bench_engine.c): what
     * BD_BACKEND_AUTO picks (engine.c's auto_backend) */
    int ref_faster;
    /* 1 where ref measured faster than XNNPACK with 2 threads too (RVM:
     * XNNPACK takes only part of its graph, 29 runtimes with 54 ops on ref
     * between them; bench/rvm-fusion.md): auto keeps ref at any count */
    int ref_any_threads;
};

struct bd_model {
    char name[128];
    struct bd_graph *graph;         /* outputs[0] is the decoded output */
    struct bd_model_desc desc;
};

#endif
