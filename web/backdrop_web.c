/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The WebAssembly module's C side: one RGBA frame in (the browser's
 * ImageData layout), the composited RGBA frame or the 8-bit mask out,
 * through the library's own engine (ref backend, one thread), refiner and
 * compositor. Settings go through the library's options table, so a bad
 * value gets the same message as on the command line.
 *
 * Interim: this stands in for the frame-in/frame-out library API
 * (struct bd_filter, EXACT mode) being written on the filter-gst branch;
 * once it is merged this file shrinks to a wrapper of it. The model sees
 * the whole frame once (no zoom pass, no mirror average, no inference
 * policy): every frame gets its own mask, as EXACT mode promises.
 *
 * The same file is built natively (tests/web/native_masks.c links it with
 * libbackdrop.a), which is how the wasm masks are compared with native ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from_argb.h>

#include "backdrop.h"
#include "common/error.h"
#include "common/frame.h"
#include "composite/composite.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define BDW_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define BDW_EXPORT
#endif

#include "backdrop_web.h"

enum bdw_effect { BDW_BLUR, BDW_COLOR, BDW_IMAGE, BDW_NONE };

struct bdw {
    struct bd_settings *settings;
    struct bd_pipeline_config cfg;
    enum bdw_effect effect;
    char model_name[64];
    struct bd_model *model;
    struct bd_engine *engine;
    int lw, lh;               /* the model's output size */
    /* per frame size (allocated on a size change) */
    int w, h;
    struct bd_refiner *refiner;
    struct bd_compositor *comp;
    uint8_t *frame_mem, *out_mem, *rgb, *low, *mask, *rgba;
    float *prob;
    struct bd_i420 frame, out;
    int bg_dirty;
    /* the background image as given, I420 at its own size */
    uint8_t *bg_mem;
    struct bd_i420 bg;
    double ms[BDW_STAT_COUNT];
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

BDW_EXPORT const char *bdw_last_error(void)
{
    return bd_last_error();
}

static void free_sized(struct bdw *b)
{
    bd_refiner_destroy(b->refiner);
    bd_compositor_destroy(b->comp);
    free(b->frame_mem);
    free(b->out_mem);
    free(b->rgb);
    free(b->low);
    free(b->mask);
    free(b->rgba);
    b->refiner = NULL;
    b->comp = NULL;
    b->frame_mem = b->out_mem = b->rgb = b->low = b->mask = b->rgba = NULL;
    b->w = b->h = 0;
}

BDW_EXPORT void bdw_destroy(struct bdw *b)
{
    if (!b)
        return;
    free_sized(b);
    free(b->prob);
    free(b->bg_mem);
    bd_engine_destroy(b->engine);
    bd_model_destroy(b->model);
    bd_settings_destroy(b->settings);
    free(b);
}

/* (Re)opens the model when the setting names another one. */
static int open_model(struct bdw *b)
{
    const char *name = b->cfg.model && strcmp(b->cfg.model, "auto") != 0 ? b->cfg.model
                                                                          : "general";
    if (b->engine && strcmp(name, b->model_name) == 0)
        return BD_OK;
    struct bd_model *m = NULL;
    struct bd_engine *e = NULL;
    struct bd_engine_options eo = {BD_BACKEND_REF, 1};
    int rc = bd_model_open(name, &m);
    if (rc == BD_OK)
        rc = bd_engine_create(m, &eo, &e);
    struct bd_model_info info;
    float *prob = NULL;
    if (rc == BD_OK) {
        bd_model_get_info(m, &info);
        prob = malloc(sizeof(float) * (size_t)info.out_width * (size_t)info.out_height);
        if (!prob)
            rc = bd_fail(BD_ERR_NOMEM, "model %s: out of memory", name);
    }
    if (rc != BD_OK) {
        bd_engine_destroy(e);
        bd_model_destroy(m);
        return rc;
    }
    bd_engine_destroy(b->engine);
    bd_model_destroy(b->model);
    free(b->prob);
    b->engine = e;
    b->model = m;
    b->prob = prob;
    b->lw = info.out_width;
    b->lh = info.out_height;
    snprintf(b->model_name, sizeof b->model_name, "%s", name);
    free_sized(b); /* the refiner's low size is the model's */
    return BD_OK;
}

static int apply(struct bdw *b)
{
    struct bd_pipeline_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = bd_settings_to_config(b->settings, &cfg);
    if (rc != BD_OK)
        return rc;
    b->cfg = cfg;
    rc = open_model(b);
    if (rc != BD_OK)
        return rc;
    if (b->comp) {
        struct bd_composite_options co = {!b->cfg.no_halo_free,
                                          b->cfg.light_wrap < 0   ? 0.0f
                                          : b->cfg.light_wrap == 0 ? BD_LIGHT_WRAP_DEFAULT
                                                                   : b->cfg.light_wrap / 100.0f,
                                          b->cfg.hologram};
        rc = bd_compositor_set_options(b->comp, &co);
        if (rc != BD_OK)
            return rc;
        b->bg_dirty = 1;
    }
    return BD_OK;
}

BDW_EXPORT struct bdw *bdw_create(void)
{
    struct bdw *b = calloc(1, sizeof *b);
    if (!b) {
        bd_fail(BD_ERR_NOMEM, "backdrop: out of memory");
        return NULL;
    }
    if (bd_settings_create(&b->settings) != BD_OK || apply(b) != BD_OK) {
        bdw_destroy(b);
        return NULL;
    }
    return b;
}

BDW_EXPORT int bdw_set(struct bdw *b, const char *name, const char *value)
{
    if (strcmp(name, "effect") == 0 && strcmp(value, "image") == 0) {
        if (!b->bg_mem)
            return bd_fail(BD_ERR_INVALID_ARG,
                           "effect: 'image' needs a background image first (setBackground)");
        b->effect = BDW_IMAGE;
        b->bg_dirty = 1;
        return BD_OK;
    }
    /* The old settings stay when the new value is refused. */
    const char *old = bd_settings_get(b->settings, name);
    char keep[256] = "";
    if (old)
        snprintf(keep, sizeof keep, "%s", old);
    int rc = bd_settings_set(b->settings, name, value);
    if (rc == BD_OK)
        rc = apply(b);
    if (rc != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        if (old)
            bd_settings_set(b->settings, name, keep);
        apply(b);
        return bd_fail(rc, "%s", msg);
    }
    if (strcmp(name, "effect") == 0 || strcmp(name, "color") == 0) {
        b->effect = b->cfg.effect == BD_EFFECT_COLOR  ? BDW_COLOR
                    : b->cfg.effect == BD_EFFECT_NONE ? BDW_NONE
                                                      : BDW_BLUR;
        b->bg_dirty = 1;
    }
    return BD_OK;
}

BDW_EXPORT int bdw_set_background(struct bdw *b, const uint8_t *rgba, int width, int height)
{
    if (!rgba || width < 2 || height < 2 || width > 8192 || height > 8192)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "background: %dx%d image; give one from 2x2 to 8192x8192", width,
                       height);
    uint8_t *mem = NULL;
    struct bd_i420 img;
    if (bd_i420_alloc(width, height, &mem, &img) != BD_OK)
        return bd_fail(BD_ERR_NOMEM, "background: out of memory for %dx%d", width, height);
    /* The browser's RGBA bytes are libyuv's "ABGR". */
    ABGRToI420(rgba, width * 4, img.y, img.stride_y, img.u, img.stride_u, img.v, img.stride_v,
               width, height);
    free(b->bg_mem);
    b->bg_mem = mem;
    b->bg = img;
    b->effect = BDW_IMAGE;
    b->bg_dirty = 1;
    return BD_OK;
}

static int resize(struct bdw *b, int w, int h)
{
    free_sized(b);
    /* The refiner takes no frame smaller than the model's output: such a
     * frame gets the plain bilinear mask. */
    int rc = w >= b->lw && h >= b->lh
                 ? bd_refiner_create(w, h, b->lw, b->lh, b->cfg.refine, &b->refiner)
                 : BD_OK;
    if (rc == BD_OK)
        rc = bd_compositor_create(w, h, &b->comp);
    if (rc == BD_OK && (bd_i420_alloc(w, h, &b->frame_mem, &b->frame) != BD_OK ||
                        bd_i420_alloc(w, h, &b->out_mem, &b->out) != BD_OK))
        rc = bd_fail(BD_ERR_NOMEM, "frame: out of memory for %dx%d", w, h);
    if (rc == BD_OK) {
        b->rgb = malloc((size_t)w * h * 3);
        b->mask = malloc((size_t)w * h);
        b->rgba = malloc((size_t)w * h * 4);
        b->low = malloc((size_t)b->lw * b->lh);
        if (!b->rgb || !b->mask || !b->rgba || !b->low)
            rc = bd_fail(BD_ERR_NOMEM, "frame: out of memory for %dx%d", w, h);
    }
    if (rc != BD_OK) {
        free_sized(b);
        return rc;
    }
    b->w = w;
    b->h = h;
    b->bg_dirty = 1;
    return apply(b);
}

static int set_background(struct bdw *b)
{
    b->bg_dirty = 0;
    if (b->effect == BDW_IMAGE && b->bg_mem)
        return bd_compositor_set_image(b->comp, &(struct bd_i420_view){b->bg.y, b->bg.u, b->bg.v,
                                                  b->bg.stride_y, b->bg.stride_u,
                                                  b->bg.stride_v, b->bg.width, b->bg.height},
                                       (enum bd_fit)b->cfg.fit);
    uint32_t c = b->cfg.color;
    return bd_compositor_set_color(b->comp, c >> 16 & 255, c >> 8 & 255, c & 255);
}

BDW_EXPORT int bdw_process(struct bdw *b, const uint8_t *rgba, int width, int height,
                           int mask_only)
{
    if (!rgba || width < 2 || height < 2 || width > 8192 || height > 8192)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "frame: %dx%d is not a size backdrop takes (2x2 to 8192x8192)", width,
                       height);
    int rc = BD_OK;
    if (width != b->w || height != b->h)
        rc = resize(b, width, height);
    if (rc == BD_OK && b->bg_dirty)
        rc = set_background(b);
    if (rc != BD_OK)
        return rc;
    double t0 = now_ms();
    ABGRToI420(rgba, width * 4, b->frame.y, b->frame.stride_y, b->frame.u, b->frame.stride_u,
               b->frame.v, b->frame.stride_v, width, height);
    struct bd_i420_view fv = bd_i420_view_of(&b->frame);
    if (b->effect == BDW_NONE && !mask_only) {
        memcpy(b->rgba, rgba, (size_t)width * height * 4);
        b->ms[BDW_STAT_INFER] = b->ms[BDW_STAT_REFINE] = 0;
        b->ms[BDW_STAT_COMPOSITE] = now_ms() - t0;
        return BD_OK;
    }
    ABGRToRAW(rgba, width * 4, b->rgb, width * 3, width, height);
    struct bd_segment_options so = {-1, 0, NULL, NULL, 0, NULL, 0};
    rc = bd_engine_segment_rgb(b->engine, b->rgb, width * 3, width, height, &so, b->prob);
    if (rc != BD_OK)
        return rc;
    for (int i = 0; i < b->lw * b->lh; i++)
        b->low[i] = (uint8_t)(b->prob[i] * 255.0f + 0.5f);
    double t1 = now_ms();
    if (b->cfg.raw_mask || !b->refiner)
        bd_mask_upsample_bilinear(b->prob, b->lw, b->lh, b->mask, width, width, height);
    else
        rc = bd_refiner_run(b->refiner, b->low, b->lw, fv.y, fv.stride_y,
                            b->cfg.guide_luma ? NULL : fv.u, b->cfg.guide_luma ? NULL : fv.v,
                            fv.stride_u, b->mask, width);
    double t2 = now_ms();
    if (rc == BD_OK && !mask_only) {
        if (b->effect == BDW_BLUR)
            rc = bd_composite_blur(b->comp, &fv, b->mask, width, b->cfg.blur);
        if (rc == BD_OK)
            rc = bd_composite_frame(b->comp, &fv, b->mask, width, &b->out, b->cfg.mirror);
        if (rc == BD_OK)
            I420ToABGR(b->out.y, b->out.stride_y, b->out.u, b->out.stride_u, b->out.v,
                       b->out.stride_v, b->rgba, width * 4, width, height);
    }
    double t3 = now_ms();
    b->ms[BDW_STAT_INFER] = t1 - t0;
    b->ms[BDW_STAT_REFINE] = t2 - t1;
    b->ms[BDW_STAT_COMPOSITE] = t3 - t2;
    return rc;
}

BDW_EXPORT const uint8_t *bdw_output(const struct bdw *b)
{
    return b->rgba;
}

BDW_EXPORT const uint8_t *bdw_mask(const struct bdw *b)
{
    return b->mask;
}

BDW_EXPORT double bdw_stat(const struct bdw *b, int which)
{
    return which >= 0 && which < BDW_STAT_COUNT ? b->ms[which] : 0;
}
