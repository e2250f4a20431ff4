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
    *out = m;
    return BD_OK;
}


/* ---- Robust Video Matting by name (--model rvm) ------------------------- */

int bd_model_is_rvm(const char *name)
{
    return name && strcmp(name, "rvm") == 0;
}

/* The reference runs used 512 / the longer side: RVM's backbone
 * then sees about 512 pixels whatever the frame, which keeps its cost
 * near-constant (1280x720 at 0.4: 8 GFLOP; 0.25 was clearly worse). */
float bd_rvm_auto_ratio(int width, int height)
{
    int l = width > height ? width : height;
    if (l <= 512)
        return 1.f;
    return 512.f / (float)l;
}

/* Frames above 1280 pixels on the longer side are matted at a scaled-down
 * size and the alpha upsampled (refiner): RVM's full-resolution stage costs
 * memory and time in proportion to the pixels (1080p: twice 720p's). */
void bd_rvm_size(int width, int height, int *mw, int *mh)
{
    int l = width > height ? width : height;
    if (l <= 1280) {
        *mw = width;
        *mh = height;
        return;
    }
    *mw = (int)((int64_t)width * 1280 / l) & ~1;
    *mh = (int)((int64_t)height * 1280 / l) & ~1;
    if (*mw < 16)
        *mw = 16;
    if (*mh < 16)
        *mh = 16;
}

enum bd_status bd_rvm_path(char *path, size_t size)
{
    const char *dir = getenv("BACKDROP_RVM_DIR");
    char buf[4096];
    if (!dir || !*dir) {
        const char *cache = getenv("BACKDROP_MODEL_CACHE");
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (cache && *cache)
            snprintf(buf, sizeof buf, "%s/rvm-3.0.4", cache);
        else if (xdg && *xdg)
            snprintf(buf, sizeof buf, "%s/backdrop/rvm-3.0.4", xdg);
        else
            snprintf(buf, sizeof buf, "%s/.cache/backdrop/rvm-3.0.4", home ? home : "");
        dir = buf;
    }
    int n = snprintf(path, size, "%s/rvm.json", dir);
    if (n < 0 || (size_t)n >= size)
        return bd_fail(BD_ERR_INVALID_ARG, "the RVM folder's path '%s' is too long", dir);
    char bin[4200];
    snprintf(bin, sizeof bin, "%s/rvm.bin", dir);
    if (access(path, R_OK) != 0 || access(bin, R_OK) != 0)
        return bd_fail(BD_ERR_NOT_FOUND,
                       "model 'rvm': %s or rvm.bin is missing; fetch Robust Video Matting with "
                       "'make models-rvm' (or scripts/fetch-models.sh DIR rvm), or point "
                       "BACKDROP_RVM_DIR at a folder holding rvm.json and rvm.bin",
                       path);
    return BD_OK;
}

enum bd_status bd_model_open_rvm(int width, int height, float ratio, struct bd_model **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_model_open_rvm: NULL argument");
    *out = NULL;
    if (width < 16 || height < 16 || width > 8192 || height > 8192)
        return bd_fail(BD_ERR_INVALID_ARG, "model 'rvm': a %dx%d frame is out of range", width,
                       height);
    if (!(ratio >= 0.f && ratio <= 1.f))
        return bd_fail(BD_ERR_INVALID_ARG, "model 'rvm': downsample ratio %g is not in (0, 1]",
                       (double)ratio);
    char path[4096];
    enum bd_status r = bd_rvm_path(path, sizeof path);
    if (r != BD_OK)
        return r;
    int mw, mh;
    bd_rvm_size(width, height, &mw, &mh);
    if (ratio <= 0.f)
        ratio = bd_rvm_auto_ratio(mw, mh);
    r = bd_model_open_tfjs(path, mw, mh, ratio, out);
    if (r == BD_OK)
        snprintf((*out)->name, sizeof (*out)->name, "rvm");
    return r;
}
