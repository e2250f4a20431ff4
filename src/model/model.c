/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_model: a validated graph plus the descriptor that says how to feed it
 * and how to read its output. Built-in models are embedded at build time
 * (embed.S); any other .tflite is read from a path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backdrop.h"
#include "common/error.h"
#include "model/model.h"
#include "model/tflite.h"

/* Symbols from embed.S. */
extern const uint8_t bd_model_general_start[], bd_model_general_end[];
extern const uint8_t bd_model_landscape_start[], bd_model_landscape_end[];

static const char *const pascal_classes[21] = {
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus",
    "car", "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike",
    "person", "pottedplant", "sheep", "sofa", "train", "tv",
};

static const char *const person_bg[2] = {"background", "person"};
static const char *const person_only[1] = {"person"};

/*
 * How to feed and decode each known model. A file matches a descriptor when
 * its input and output shapes match (and, where given, the output tensor's
 * name). Input ranges were checked against ground-truth mattes
 * (bench/normalisation.c, run by `make bench`): the selfie and Meet models take [0,1], DeepLab
 * and BodyPix (MobileNet backbones trained on [-1,1]) take [-1,1].
 */
static const struct bd_model_desc descs[] = {
    {"general", "MediaPipe selfie segmentation, general (256x256), Apache-2.0",
     256, 256, 256, 256, 1, NULL, BD_OUTPUT_PROBABILITY, BD_RANGE_0_1, 0, 1, person_only, 1, 0},
    {"landscape", "MediaPipe selfie segmentation, landscape (144x256), Apache-2.0",
     144, 256, 144, 256, 1, NULL, BD_OUTPUT_PROBABILITY, BD_RANGE_0_1, 0, 1, person_only, 1, 0},
    {"meet-full", "Google Meet segmentation full (144x256), 2-class softmax",
     144, 256, 144, 256, 2, NULL, BD_OUTPUT_SOFTMAX2, BD_RANGE_0_1, 1, 2, person_bg, 1, 0},
    {"meet-lite", "Google Meet segmentation lite (96x160), 2-class softmax",
     96, 160, 96, 160, 2, NULL, BD_OUTPUT_SOFTMAX2, BD_RANGE_0_1, 1, 2, person_bg, 1, 0},
    {"deeplabv3", "DeepLab v3 MobileNetV2 (257x257), 21 PASCAL VOC classes",
     257, 257, 257, 257, 21, NULL, BD_OUTPUT_CLASSES, BD_RANGE_M1_1, 15, 21, pascal_classes, 0, 0},
    {"bodypix", "BodyPix MobileNet 0.50 stride 8 (257x257), person logits",
     257, 257, 33, 33, 1, "float_segments", BD_OUTPUT_LOGIT, BD_RANGE_M1_1, 0, 1, person_only, 0, 0},
};

int bd_builtin_model_count(void)
{
    return 2;
}

const char *bd_builtin_model_name(int index)
{
    return index == 0 ? "general" : index == 1 ? "landscape" : NULL;
}

static const uint8_t *builtin_data(const char *name, size_t *size)
{
    if (strcmp(name, "general") == 0) {
        *size = (size_t)(bd_model_general_end - bd_model_general_start);
        return bd_model_general_start;
    }
    if (strcmp(name, "landscape") == 0) {
        *size = (size_t)(bd_model_landscape_end - bd_model_landscape_start);
        return bd_model_landscape_start;
    }
    return NULL;
}

static int out_dims(const struct bd_tensor *t, int *h, int *w, int *c)
{
    if (t->ndim == 4 && t->dims[0] == 1) {
        *h = t->dims[1];
        *w = t->dims[2];
        *c = t->dims[3];
        return 0;
    }
    if (t->ndim == 3 && t->dims[0] == 1) {
        *h = t->dims[1];
        *w = t->dims[2];
        *c = 1;
        return 0;
    }
    return -1;
}

/* Picks the descriptor (or a generic one) and the output to decode. */
static int describe(struct bd_model *m)
{
    struct bd_graph *g = m->graph;
    const struct bd_tensor *in = &g->tensors[g->input];
    int ih = in->dims[1], iw = in->dims[2];
    for (size_t d = 0; d < sizeof descs / sizeof descs[0]; d++) {
        const struct bd_model_desc *D = &descs[d];
        if (D->in_h != ih || D->in_w != iw)
            continue;
        for (int k = 0; k < g->num_outputs; k++) {
            const struct bd_tensor *o = &g->tensors[g->outputs[k]];
            int oh, ow, oc;
            if (out_dims(o, &oh, &ow, &oc) || oh != D->out_h || ow != D->out_w || oc != D->out_c)
                continue;
            if (D->output_name && strcmp(o->name, D->output_name) != 0)
                continue;
            m->desc = *D;
            return bd_graph_select_output(g, k);
        }
    }
    /* Unknown model: decode output 0 by its channel count. */
    const struct bd_tensor *o = &g->tensors[g->outputs[0]];
    int oh, ow, oc;
    if (out_dims(o, &oh, &ow, &oc))
        return bd_fail(BD_ERR_UNSUPPORTED,
                       "model '%s': output '%s' is not an image-shaped [1,H,W,C] tensor; not a segmentation model",
                       m->name, o->name);
    struct bd_model_desc *D = &m->desc;
    memset(D, 0, sizeof *D);
    D->name = m->name;
    D->description = "segmentation model read from a file";
    D->in_h = ih;
    D->in_w = iw;
    D->out_h = oh;
    D->out_w = ow;
    D->out_c = oc;
    D->range = BD_RANGE_0_1;
    if (oc == 1) {
        int p = o->producer;
        D->kind = p >= 0 && g->ops[p].type == BD_OP_LOGISTIC ? BD_OUTPUT_PROBABILITY : BD_OUTPUT_LOGIT;
        D->num_classes = 1;
        D->class_names = person_only;
    } else if (oc == 2) {
        D->kind = BD_OUTPUT_SOFTMAX2;
        D->default_class = 1;
        D->num_classes = 2;
        D->class_names = person_bg;
    } else {
        D->kind = BD_OUTPUT_CLASSES;
        D->num_classes = oc;
        D->default_class = oc == 21 ? 15 : 1;
        D->class_names = oc == 21 ? pascal_classes : NULL;
    }
    if (oc > BD_MAX_CLASSES)
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': %d output classes; at most %d are supported",
                       m->name, oc, BD_MAX_CLASSES);
    return bd_graph_select_output(g, 0);
}

enum bd_status bd_model_open_memory(const void *data, size_t size, const char *name,
                                    struct bd_model **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_model_open_memory: out is NULL");
    *out = NULL;
    bd_clear_error();
    struct bd_model *m = calloc(1, sizeof *m);
    if (!m)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    snprintf(m->name, sizeof m->name, "%s", name ? name : "model");
    int r = bd_tflite_load(data, size, m->name, &m->graph);
    if (r == BD_OK)
        r = describe(m);
    if (r == BD_OK) {
        /* Graph outputs a decoder can read: the chosen output's shape. */
        const struct bd_tensor *o = &m->graph->tensors[m->graph->outputs[0]];
        if (o->producer < 0)
            r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s': output is not computed by any op", m->name);
    }
    if (r != BD_OK) {
        bd_model_destroy(m);
        return r;
    }
    *out = m;
    return BD_OK;
}

enum bd_status bd_model_open(const char *name_or_path, struct bd_model **out)
{
    if (!out || !name_or_path)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_model_open: NULL argument");
    *out = NULL;
    size_t size;
    const uint8_t *builtin = builtin_data(name_or_path, &size);
    if (builtin)
        return bd_model_open_memory(builtin, size, name_or_path, out);

    FILE *f = fopen(name_or_path, "rb");
    if (!f) {
        int e = errno;
        if (e == ENOENT && !strchr(name_or_path, '/') && !strstr(name_or_path, ".tflite"))
            return bd_fail(BD_ERR_NOT_FOUND,
                           "model '%s': no such built-in model or file; built-in models are 'general' and 'landscape'",
                           name_or_path);
        return bd_fail(e == ENOENT ? BD_ERR_NOT_FOUND : BD_ERR_IO, "model '%s': cannot open: %s",
                       name_or_path, strerror(e));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return bd_fail(BD_ERR_IO, "model '%s': not a regular file", name_or_path);
    }
    if (st.st_size > (off_t)512 * 1024 * 1024) {
        fclose(f);
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s': file is larger than 512 MiB", name_or_path);
    }
    size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return bd_fail(BD_ERR_NOMEM, "model '%s': out of memory", name_or_path);
    }
    size_t got = fread(buf, 1, size, f);
    int rerr = ferror(f);
    fclose(f);
    if (got != size || rerr) {
        free(buf);
        return bd_fail(BD_ERR_IO, "model '%s': read error", name_or_path);
    }
    /* errors name the file as given (the user must find it); the model's
     * display name is its file name */
    enum bd_status r = bd_model_open_memory(buf, size, name_or_path, out);
    free(buf);
    if (r == BD_OK) {
        const char *base = strrchr(name_or_path, '/');
        snprintf((*out)->name, sizeof (*out)->name, "%s", base ? base + 1 : name_or_path);
    }
    return r;
}

void bd_model_destroy(struct bd_model *model)
{
    if (!model)
        return;
    bd_graph_free(model->graph);
    free(model);
}

void bd_model_get_info(const struct bd_model *m, struct bd_model_info *info)
{
    memset(info, 0, sizeof *info);
    const struct bd_graph *g = m->graph;
    const struct bd_tensor *in = &g->tensors[g->input];
    info->name = m->name;
    info->description = m->desc.description;
    info->in_height = in->dims[1];
    info->in_width = in->dims[2];
    info->in_channels = in->dims[3];
    info->out_height = m->desc.out_h;
    info->out_width = m->desc.out_w;
    info->out_channels = m->desc.out_c;
    info->output_kind = m->desc.kind;
    info->input_range = m->desc.range;
    info->default_class = m->desc.default_class;
    info->num_classes = m->desc.num_classes;
    for (int i = 0; i < m->desc.num_classes && i < BD_MAX_CLASSES; i++)
        info->class_names[i] = m->desc.class_names ? m->desc.class_names[i] : NULL;
    info->num_ops = g->num_ops;
    info->num_tensors = g->num_tensors;
    info->weight_bytes = g->weight_bytes;
}

int bd_model_find_class(const struct bd_model *m, const char *s)
{
    if (!m || !s || !*s) {
        bd_fail(BD_ERR_INVALID_ARG, "empty class name");
        return -1;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*end == '\0') {
        if (v < 0 || v >= m->desc.num_classes) {
            bd_fail(BD_ERR_NOT_FOUND, "class '%s': model '%s' has classes 0..%d (see 'backdrop models')",
                    s, m->name, m->desc.num_classes - 1);
            return -1;
        }
        return (int)v;
    }
    for (int i = 0; i < m->desc.num_classes; i++)
        if (m->desc.class_names && m->desc.class_names[i] && strcmp(m->desc.class_names[i], s) == 0)
            return i;
    bd_fail(BD_ERR_NOT_FOUND, "class '%s': model '%s' has no class of that name (see 'backdrop models')",
            s, m->name);
    return -1;
}
