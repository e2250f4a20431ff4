/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --background FILE: a still image is fitted once; a video is decoded on
 * the frame thread, looped, and advanced by the output's clock (the wall
 * clock live, the input's timestamps offline), so it plays at its own rate
 * whatever the camera's. Platform code (FFmpeg, the image reader): the
 * WebAssembly build leaves this file out (none/none.c), and hands
 * backgrounds in as pixels (bd_filter_set_background_image).
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static int advance(struct bd_pipeline *p, int64_t pts_us)
{
    const struct bd_file_source_info *fi = bd_file_source_info(p->bg.src);
    int64_t t = p->pace == BD_PACE_LIVE ? (bd_now_ns() - p->start_ns) / 1000 : pts_us;
    int64_t interval = (int64_t)1000000 * fi->fps_den / (fi->fps_num > 0 ? fi->fps_num : 25);
    int changed = 0;
    /* At most a few frames per output frame: a background that falls behind
     * (a slow machine) skips ahead in time instead of stalling the camera. */
    for (int i = 0; i < 4 && p->bg.pts_us + interval <= t; i++) {
        int64_t pts = 0;
        int r = bd_file_source_read(p->bg.src, &p->bg.img, &pts);
        if (r != BD_OK)
            return r;
        p->bg.pts_us = pts;
        changed = 1;
    }
    if (p->bg.pts_us + interval <= t)
        p->bg.pts_us = t; /* give up catching up */
    return changed ? bd_pipeline_background_apply(p) : BD_OK;
}

int bd_background_prepare(const char *path, int fit, int width, int height,
                          struct bd_bg_bundle *reuse, struct bd_bg_bundle *b)
{
    memset(b, 0, sizeof *b);
    struct bd_file_source_options fo = {.loop = true, .threads = 1};
    struct bd_file_source *src = NULL;
    int r = bd_file_source_open(path, &fo, &src);
    if (r != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        /* FFmpeg refuses a PNG or JPEG of absurd size without saying why
         * ("no frame could be decoded"); the image reader reads the header
         * and can name the size. Only that answer replaces FFmpeg's. */
        if (r == BD_ERR_FORMAT) {
            struct bd_image img;
            const size_t max = (size_t)BD_FILE_SOURCE_MAX_DIM * BD_FILE_SOURCE_MAX_DIM;
            int ir = bd_image_load(path, max, &img);
            if (ir == BD_OK)
                bd_image_free(&img);
            else if (ir == BD_ERR_UNSUPPORTED) {
                snprintf(msg, sizeof msg, "%s", bd_last_error());
                r = ir;
            }
        }
        return bd_fail(r, "%s", msg);
    }
    const struct bd_file_source_info *fi = bd_file_source_info(src);
    r = bd_i420_alloc(fi->width, fi->height, &b->mem, &b->img);
    if (r == BD_OK)
        r = bd_file_source_read(src, &b->img, &b->pts_us);
    const char *codec = fi->codec; /* a static string; fi goes with src */
    if (r == BD_OK && fi->still) {
        bd_file_source_close(src);
        src = NULL;
        /* FFmpeg shows a truncated or damaged JPEG or PNG (grey where the
         * data ends) without a word; the image reader refuses it, which a
         * background shown for hours should be */
        if (!strcmp(codec, "mjpeg") || !strcmp(codec, "png")) {
            struct bd_image img;
            const size_t max = (size_t)BD_FILE_SOURCE_MAX_DIM * BD_FILE_SOURCE_MAX_DIM;
            int ir = bd_image_load(path, max, &img);
            if (ir == BD_OK)
                bd_image_free(&img);
            else if (ir == BD_ERR_FORMAT)
                r = ir;
        }
        /* fitted here, so that the frame thread only copies it */
        if (r == BD_OK && width > 0)
            r = bd_background_fit(b, fit, width, height, reuse);
    }
    b->src = src;
    if (src) {
        b->advance = advance;
        b->close_src = bd_file_source_close;
    }
    if (r != BD_OK) {
        bd_background_free(b);
        return r;
    }
    b->valid = 1;
    return BD_OK;
}

int bd_pipeline_background_load(struct bd_pipeline *p)
{
    struct bd_bg_bundle b;
    int r = bd_background_prepare(p->bg_path, (int)p->cfg.fit, p->width, p->height, NULL, &b);
    if (r != BD_OK) {
        char msg[600]; /* bd_fail formats into the buffer bd_last_error() reads */
        snprintf(msg, sizeof msg, "%s", bd_background_reason(bd_last_error(), p->bg_path));
        return bd_fail(r, "background '%s': %s", p->bg_path, msg);
    }
    /* The new background is good: drop the old one. */
    bd_pipeline_background_swap(p, &b);
    bd_background_free(&b);
    return BD_OK;
}

