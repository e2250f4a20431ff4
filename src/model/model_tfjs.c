/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_model_open_tfjs: a TF.js graph model (tfjs.c) as a bd_model. Its own
 * file so that builds without cJSON (the WebAssembly build, mk/web.mk)
 * leave it and the reader out by file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "backdrop.h"
#include "common/error.h"
#include "model/model.h"
#include "model/tfjs.h"

static const char *const person_only[1] = {"person"};

enum bd_status bd_model_open_tfjs(const char *json_path, int width, int height, float ratio,
                                  struct bd_model **out)
{
    if (!out || !json_path)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_model_open_tfjs: NULL argument");
    *out = NULL;
    bd_clear_error();
    struct bd_model *m = calloc(1, sizeof *m);
    if (!m)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    const char *base = strrchr(json_path, '/');
    snprintf(m->name, sizeof m->name, "%s", base ? base + 1 : json_path);
    char *dot = strrchr(m->name, '.');
    if (dot && strcmp(dot, ".json") == 0)
        *dot = '\0';
    struct bd_tfjs_spec spec = {height, width, ratio};
    int r = bd_tfjs_load_file(json_path, &spec, &m->graph);
    if (r != BD_OK) {
        free(m);
        return r;
    }
    const struct bd_tensor *o = &m->graph->tensors[m->graph->outputs[0]];
    if (o->ndim != 4 || o->dims[0] != 1 || o->dims[3] != 1) {
        bd_model_destroy(m);
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': output 'pha' is not a [1,H,W,1] alpha", json_path);
    }
    struct bd_model_desc *D = &m->desc;
    D->name = m->name;
    D->description = m->graph->num_state_inputs ? "TF.js graph model with recurrent state (matting)"
                                                 : "TF.js graph model (matting)";
    D->in_h = height;
    D->in_w = width;
    D->out_h = o->dims[1];
    D->out_w = o->dims[2];
    D->out_c = 1;
    D->kind = BD_OUTPUT_PROBABILITY;
    D->range = BD_RANGE_0_1;
    D->num_classes = 1;
    D->class_names = person_only;
    D->ref_faster = 1;
    D->ref_any_threads = 1;
    *out = m;
    return BD_OK;
}
