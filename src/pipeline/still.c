/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_still: what cutting people out of photos takes, made once from the
 * settings (the options marked BD_OPTION_STILL) and used for any number
 * of images. It is the still images' pipeline: the model and engines here,
 * the mask from bd_segment_image (src/mask/still.c), the cut-out by
 * libyuv. The command's mask, cutout and bench are thin clients of it, as
 * the GStreamer element, the OBS filter and the wasm module will be for
 * single images.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/convert_argb.h>
#include <libyuv/convert_from_argb.h>
#include <libyuv/planar_functions.h>

#include "backdrop.h"
#include "common/error.h"

struct bd_still {
    struct bd_model *model;
    struct bd_engine *engine;
    struct bd_model *zmodel;    /* the zoom pass's (bd_model_zoom_partner), or NULL */
    struct bd_engine *zengine;
    struct bd_refine_options refine;
    struct bd_mask_options mo;
    /* --model rvm: model/engine are RVM's, made for the last image's size
     * (rw x rh: bd_rvm_size's) and made again for another */
    int rvm;
    int rvm_bare;               /* RVM's alpha as it is, not fused */
    struct bd_model *gmodel;    /* the fusion's person mask: the general */
    struct bd_engine *gengine;  /* model with the still defaults */
    float rvm_ratio;
    int rw, rh;
    struct bd_engine_options eo;
};

/* RVM's stills: three runs on the image with the state fed back, as the
 * issue's reference measurements were taken (a still is a video of one
 * frame; the first run alone starts from zero state and is softer). */
enum { RVM_STILL_RUNS = 3 };

static enum bd_status make_engine(const struct bd_pipeline_config *c, const struct bd_model *m,
                                  struct bd_engine **e)
{
    struct bd_engine_options eo = {.backend = c->backend, .threads = c->threads > 0 ? c->threads : 1};
    return bd_engine_create(m, &eo, e);
}

enum bd_status bd_still_create(const struct bd_pipeline_config *c, struct bd_still **out)
{
    if (!c || !out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_still_create: NULL argument");
    *out = NULL;
    struct bd_still *s = calloc(1, sizeof *s);
    if (!s)
        return bd_fail(BD_ERR_NOMEM, "out of memory for the still segmenter");
    /* "auto": RVM fused with our mask when it is installed
     * (bd_model_auto_offline), else the general model, the better of ours
     * on stills of every shape (bench/quality: IoU 0.957 against
     * landscape's 0.935 at the photos' own aspect). A raw mask (the model
     * alone: also the tensor tools, backdrop bench and mask --tensor-in)
     * stays general: RVM's default is its alpha fused with our mask. */
    const char *name = c->model && strcmp(c->model, "auto") ? c->model
                       : c->raw_mask                        ? NULL
                                                            : bd_model_auto_offline();
    if (!name)
        name = "general";
    s->eo = (struct bd_engine_options){.backend = c->backend,
                                       .threads = c->threads > 0 ? c->threads : 1};
    s->rvm = bd_model_is_rvm(name);
    s->rvm_ratio = c->rvm_ratio;
    s->rvm_bare = c->rvm_bare != 0;
    /* made at 1280x720 for tools that run the engine on their own tensors
     * (backdrop bench, mask --tensor-in); each image makes its own size */
    s->rw = 1280;
    s->rh = 720;
    enum bd_status r = s->rvm ? bd_model_open_rvm(s->rw, s->rh, s->rvm_ratio, &s->model)
                              : bd_model_open(name, &s->model);
    struct bd_model_info info;
    if (r == BD_OK) {
        bd_model_get_info(s->model, &info);
        if (info.in_channels != 3)
            r = bd_fail(BD_ERR_UNSUPPORTED, "model '%s' does not take RGB images", info.name);
    }
    s->mo.class_index = -1;
    if (r == BD_OK && c->model_class) {
        s->mo.class_index = bd_model_find_class(s->model, c->model_class);
        s->mo.use_class = 1;
        if (s->mo.class_index < 0)
            r = BD_ERR_NOT_FOUND; /* bd_last_error() names the class */
    }
    if (r == BD_OK)
        r = make_engine(c, s->model, &s->engine);
    s->mo.raw = c->raw_mask != 0;
    s->mo.no_mirror_average = c->no_mirror_average != 0;
    s->mo.no_zoom = c->no_zoom != 0;
    /* A wide model takes its second look through the general model, as
     * the camera does (bd_model_zoom_partner). */
    const char *partner = r == BD_OK && !s->rvm ? bd_model_zoom_partner(s->model) : NULL;
    if (partner && !s->mo.raw && !s->mo.no_zoom) {
        r = bd_model_open(partner, &s->zmodel);
        if (r == BD_OK)
            r = make_engine(c, s->zmodel, &s->zengine);
        s->mo.zoom_engine = s->zengine;
    }
    if (r == BD_OK && s->rvm && !s->rvm_bare) {
        r = bd_model_open("general", &s->gmodel);
        if (r == BD_OK)
            r = make_engine(c, s->gmodel, &s->gengine);
    }
    if (c->refine)
        s->refine = *c->refine;
    else
        bd_refine_options_default(&s->refine);
    s->mo.refine = &s->refine;
    if (r != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        bd_still_destroy(s);
        return bd_fail(r, "%s", msg);
    }
    *out = s;
    return BD_OK;
}

void bd_still_destroy(struct bd_still *s)
{
    if (!s)
        return;
    bd_engine_destroy(s->gengine);
    bd_model_destroy(s->gmodel);
    bd_engine_destroy(s->zengine);
    bd_model_destroy(s->zmodel);
    bd_engine_destroy(s->engine);
    bd_model_destroy(s->model);
    free(s);
}

const struct bd_model *bd_still_model(const struct bd_still *s)
{
    return s ? s->model : NULL;
}

struct bd_engine *bd_still_engine(struct bd_still *s)
{
    return s ? s->engine : NULL;
}

static int bad_image(const struct bd_image *im)
{
    return !im || !im->data || im->channels != 3 || im->width < 1 || im->height < 1 ||
           im->stride < 3 * im->width;
}

static enum bd_status rvm_mask(struct bd_still *s, const struct bd_image *im, uint8_t *mask,
                               int mask_stride)
{
    int mw, mh;
    bd_rvm_size(im->width, im->height, &mw, &mh);
    enum bd_status r = BD_OK;
    if (mw != s->rw || mh != s->rh) {
        bd_engine_destroy(s->engine);
        bd_model_destroy(s->model);
        s->engine = NULL;
        s->model = NULL;
        r = bd_model_open_rvm(im->width, im->height, s->rvm_ratio, &s->model);
        if (r == BD_OK)
            r = bd_engine_create(s->model, &s->eo, &s->engine);
        if (r != BD_OK) {
            s->rw = s->rh = 0;
            return r;
        }
        s->rw = mw;
        s->rh = mh;
    }
    /* each image stands alone */
    bd_engine_reset_state(s->engine);
    float *prob = malloc((size_t)mw * (size_t)mh * sizeof *prob);
    if (!prob)
        return bd_fail(BD_ERR_NOMEM, "out of memory for RVM's alpha");
    struct bd_segment_options so = {.class_index = -1};
    for (int i = 0; r == BD_OK && i < RVM_STILL_RUNS - 1; i++)
        r = bd_engine_segment_rgb(s->engine, im->data, im->stride, im->width, im->height, &so, prob);
    free(prob);
    struct bd_mask_options mo = {.raw = 1, .no_mirror_average = 1, .no_zoom = 1};
    if (r == BD_OK)
        r = bd_segment_image(s->engine, im->data, im->stride, im->width, im->height, &mo, mask,
                             mask_stride);
    if (r != BD_OK || s->rvm_bare)
        return r;
    /* fused with the general model's mask, made as `backdrop mask` makes it */
    const int w = im->width, h = im->height;
    uint8_t *person = malloc((size_t)w * h);
    void *scratch = malloc(bd_mask_fuse_scratch(w, h));
    if (!person || !scratch)
        r = bd_fail(BD_ERR_NOMEM, "out of memory for the fused mask");
    if (r == BD_OK)
        r = bd_segment_image(s->gengine, im->data, im->stride, w, h, &s->mo, person, w);
    if (r == BD_OK) {
        struct bd_fuse_options fo;
        bd_fuse_options_default(w, h, &fo);
        r = bd_mask_fuse(mask, mask_stride, person, w, w, h, &fo, scratch, mask, mask_stride);
    }
    free(person);
    free(scratch);
    return r;
}

enum bd_status bd_still_mask(struct bd_still *s, const struct bd_image *im, uint8_t *mask,
                             int mask_stride)
{
    if (!s || bad_image(im) || !mask || mask_stride < im->width)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_still_mask: bad arguments (an RGB image is needed)");
    if (s->rvm)
        return rvm_mask(s, im, mask, mask_stride);
    return bd_segment_image(s->engine, im->data, im->stride, im->width, im->height, &s->mo, mask,
                            mask_stride);
}

enum bd_status bd_still_cutout(struct bd_still *s, const struct bd_image *im, uint8_t *rgba,
                               int rgba_stride)
{
    if (!s || bad_image(im) || !rgba || rgba_stride < 4 * im->width)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_still_cutout: bad arguments (an RGB image is needed)");
    const int w = im->width, h = im->height;
    uint8_t *mask = malloc((size_t)w * (size_t)h);
    if (!mask)
        return bd_fail(BD_ERR_NOMEM, "out of memory for the mask of a %dx%d image", w, h);
    enum bd_status r = bd_still_mask(s, im, mask, w);
    if (r == BD_OK) {
        /* libyuv names formats by the word's bytes from the top: its "RAW"
         * is R, G, B in memory, its "ABGR" R, G, B, A; ARGBCopyYToAlpha
         * writes byte 3 of each pixel, which is A in both. */
        RAWToARGB(im->data, im->stride, rgba, rgba_stride, w, h);
        ARGBToABGR(rgba, rgba_stride, rgba, rgba_stride, w, h);
        ARGBCopyYToAlpha(mask, w, rgba, rgba_stride, w, h);
    }
    free(mask);
    return r;
}
