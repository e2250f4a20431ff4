/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The WebAssembly module's C side: a thin client of the library's frame
 * filter (bd_filter, include/backdrop.h), in BD_FILTER_EXACT mode unless
 * bdw_set_live (the pthreads build): every frame gets its own mask, made
 * by the same per-frame step as the camera's (model input, stream policy,
 * zoom pass, refine, composite). What is its own: the browser's RGBA frames of
 * any size (the filter takes even sizes), the results kept for JS to
 * copy, and the stage times for the page.
 *
 * The same file is built natively (tests/web/native_masks.c links it with
 * libbackdrop.a), which is how the wasm masks are compared with native ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "common/error.h"

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define BDW_EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define BDW_EXPORT
#endif

#include "backdrop_web.h"

struct bdw {
    struct bd_settings *settings; /* the options table's defaults, for create */
    struct bd_filter *f;
    int w, h;                     /* the last frame's size */
    uint8_t *rgba, *mask;         /* its results (w x h) */
    uint8_t *yuv;                 /* bdw_process_yuv's output: I420, tight */
};

BDW_EXPORT const char *bdw_last_error(void)
{
    return bd_last_error();
}

BDW_EXPORT void bdw_destroy(struct bdw *b)
{
    if (!b)
        return;
    bd_filter_destroy(b->f);
    bd_settings_destroy(b->settings);
    free(b->rgba);
    free(b->mask);
    free(b->yuv);
    free(b);
}

BDW_EXPORT struct bdw *bdw_create(void)
{
    struct bdw *b = calloc(1, sizeof *b);
    if (!b) {
        bd_fail(BD_ERR_NOMEM, "backdrop: out of memory");
        return NULL;
    }
    struct bd_pipeline_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = bd_settings_create(&b->settings);
    if (rc == BD_OK)
        rc = bd_settings_to_config(b->settings, &cfg);
    if (rc == BD_OK) {
        cfg.width = 640; /* made again for the first frame's size */
        cfg.height = 360;
        cfg.threads = 1;
        rc = bd_filter_create(&cfg, BD_FILTER_EXACT, &b->f);
    }
    if (rc != BD_OK) {
        bdw_destroy(b);
        return NULL;
    }
    return b;
}

BDW_EXPORT int bdw_set(struct bdw *b, const char *name, const char *value)
{
    /* the JS API's name for the library's "background" effect */
    if (strcmp(name, "effect") == 0 && strcmp(value, "image") == 0)
        value = "background";
    int rc = bd_filter_set(b->f, name, value);
    if (rc == BD_ERR_INVALID_ARG && strcmp(name, "effect") == 0 &&
        strcmp(value, "background") == 0)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "effect: 'image' needs a background image first (setBackground)");
    return rc;
}

BDW_EXPORT int bdw_set_live(struct bdw *b, int live)
{
    return bd_filter_set_mode(b->f, live ? BD_FILTER_LIVE : BD_FILTER_EXACT);
}

BDW_EXPORT int bdw_set_background(struct bdw *b, const uint8_t *rgba, int width, int height)
{
    struct bd_image im = {width, height, 4, width * 4, (uint8_t *)rgba};
    return bd_filter_set_background_image(b->f, &im);
}

static int resize(struct bdw *b, int w, int h)
{
    uint8_t *rgba = malloc((size_t)w * h * 4), *mask = malloc((size_t)w * h),
            *yuv = malloc((size_t)w * h + 2 * (size_t)((w + 1) / 2) * ((h + 1) / 2));
    if (!rgba || !mask || !yuv) {
        free(rgba);
        free(mask);
        free(yuv);
        return bd_fail(BD_ERR_NOMEM, "frame: out of memory for %dx%d", w, h);
    }
    free(b->rgba);
    free(b->mask);
    free(b->yuv);
    b->rgba = rgba;
    b->mask = mask;
    b->yuv = yuv;
    b->w = w;
    b->h = h;
    return BD_OK;
}

/* The mask at the frame's size (odd sizes: the last column or row repeats
 * its neighbour's). */
static int copy_mask(struct bdw *b, int width, int height)
{
    const int ew = width & ~1, eh = height & ~1;
    const uint8_t *m;
    int ms, mw, mh;
    int rc = bd_filter_mask(b->f, &m, &ms, &mw, &mh);
    if (rc != BD_OK)
        return rc;
    for (int y = 0; y < height; y++) {
        const uint8_t *s = m + (size_t)(y < eh ? y : eh - 1) * ms;
        memcpy(b->mask + (size_t)y * width, s, (size_t)ew);
        if (ew != width)
            b->mask[(size_t)y * width + ew] = s[ew - 1];
    }
    return BD_OK;
}

BDW_EXPORT int bdw_process(struct bdw *b, const uint8_t *rgba, int width, int height,
                           int mask_only)
{
    (void)mask_only; /* the filter composites anyway; JS copies what it wants */
    if (!rgba || width < 2 || height < 2 || width > 8192 || height > 8192)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "frame: %dx%d is not a size backdrop takes (2x2 to 8192x8192)", width,
                       height);
    if ((width != b->w || height != b->h) && resize(b, width, height) != BD_OK)
        return BD_ERR_NOMEM;
    /* The filter takes even sizes: an odd last column or row is processed
     * with its neighbour's mask, and passed through as it came. */
    const int ew = width & ~1, eh = height & ~1, stride = width * 4;
    if (ew != width || eh != height)
        memcpy(b->rgba, rgba, (size_t)stride * height);
    struct bd_video_frame in = {.format = BD_PIX_RGBA, .width = ew, .height = eh,
                                .data = {(uint8_t *)rgba}, .stride = {stride}};
    struct bd_video_frame out = {.format = BD_PIX_RGBA, .width = ew, .height = eh,
                                 .data = {b->rgba}, .stride = {stride}};
    int rc = bd_filter_process(b->f, &in, &out);
    return rc == BD_OK ? copy_mask(b, width, height) : rc;
}

/* The camera's own frame as VideoFrame.copyTo gives it: no RGBA on either
 * side (the browser's readback and the RGB <-> YUV rows were a third of a
 * 720p frame's time). */
BDW_EXPORT int bdw_process_yuv(struct bdw *b, int format, const uint8_t *data, int width,
                               int height, const int *layout, int matrix, int range,
                               int want_mask)
{
    if (format != BD_PIX_I420 && format != BD_PIX_NV12)
        return bd_fail(BD_ERR_INVALID_ARG, "frame: format %d is not I420 or NV12", format);
    if (!data || !layout || width < 2 || height < 2 || width > 8192 || height > 8192 ||
        (width | height) & 1)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "frame: a %dx%d YUV frame is not a size backdrop takes (even, 2x2 to "
                       "8192x8192)", width, height);
    if ((width != b->w || height != b->h) && resize(b, width, height) != BD_OK)
        return BD_ERR_NOMEM;
    /* layout: offset and stride of each plane (VideoFrame's PlaneLayout) */
    struct bd_video_frame in = {.format = format, .width = width, .height = height,
                                .data = {(uint8_t *)data + layout[0], (uint8_t *)data + layout[2],
                                         format == BD_PIX_I420 ? (uint8_t *)data + layout[4] : NULL},
                                .stride = {layout[1], layout[3], format == BD_PIX_I420 ? layout[5] : 0},
                                .matrix = matrix ? BD_MATRIX_BT709 : BD_MATRIX_BT601,
                                .range = range ? BD_RANGE_FULL : BD_RANGE_LIMITED};
    /* out: the input's format and colour, tight (the filter's contract) */
    const int cw = width / 2;
    uint8_t *y = b->yuv, *u = y + (size_t)width * height, *v = u + (size_t)cw * (height / 2);
    struct bd_video_frame out = in;
    out.data[0] = y;
    out.data[1] = u;
    out.data[2] = format == BD_PIX_I420 ? v : NULL;
    out.stride[0] = width;
    out.stride[1] = format == BD_PIX_I420 ? cw : width;
    out.stride[2] = format == BD_PIX_I420 ? cw : 0;
    int rc = bd_filter_process(b->f, &in, &out);
    if (rc != BD_OK || !want_mask)
        return rc;
    return copy_mask(b, width, height);
}

BDW_EXPORT const uint8_t *bdw_output_yuv(const struct bdw *b)
{
    return b->yuv;
}

BDW_EXPORT const uint8_t *bdw_output(const struct bdw *b)
{
    return b->rgba;
}

BDW_EXPORT const uint8_t *bdw_mask(const struct bdw *b)
{
    return b->mask;
}

/* The filter's means per frame since the frame size was last set (CPU
 * time): inference is the model input's preparation and the model runs,
 * refine the mask, composite the picture. */
BDW_EXPORT double bdw_stat(const struct bdw *b, int which)
{
    struct bd_pipeline_stats s;
    bd_filter_get_stats(b->f, &s);
    const double per = s.frames_out ? (double)s.inferences / (double)s.frames_out : 0;
    switch (which) {
    case BDW_STAT_INFER:
        return s.convert_ms + s.infer_ms * per;
    case BDW_STAT_REFINE:
        return s.mask_ms;
    case BDW_STAT_COMPOSITE:
        return s.composite_ms + s.output_ms;
    case BDW_STAT_FRAMES:
        return (double)s.frames_out;
    case BDW_STAT_INFERENCES:
        return (double)s.inferences;
    case BDW_STAT_LIVE:
        return bd_filter_get_mode(b->f) == BD_FILTER_LIVE;
    }
    return 0;
}
