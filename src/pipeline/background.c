/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --background FILE: a still image is fitted once; a video is decoded on
 * the frame thread, looped, and advanced by the output's clock (the wall
 * clock live, the input's timestamps offline), so it plays at its own rate
 * whatever the camera's. A background is prepared (opened, decoded, a still
 * fitted to the frame) into a bundle, on the thread that asks for it
 * (create, bd_pipeline_set), and swapped in by the frame thread.
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static int apply(struct bd_pipeline *p)
{
    /* a still fitted ahead (bd_pipeline_set) is a copy at the frame's size */
    if (p->bg.fit_mem && !p->bg.src) {
        struct bd_i420_view f = bd_i420_view_of(&p->bg.fit);
        return bd_compositor_set_image(p->comp, &f, BD_FIT_STRETCH);
    }
    struct bd_i420_view v = bd_i420_view_of(&p->bg.img);
    return bd_compositor_set_image(p->comp, &v, (enum bd_fit)p->cfg.fit);
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
        if (r == BD_OK && width > 0) {
            /* the frame-sized buffer goes round between the setters and
             * the frame thread instead of being made anew each time */
            if (reuse && reuse->fit_mem && reuse->fit.width == width &&
                reuse->fit.height == height) {
                b->fit_mem = reuse->fit_mem;
                b->fit = reuse->fit;
                reuse->fit_mem = NULL;
            } else {
                r = bd_i420_alloc(width, height, &b->fit_mem, &b->fit);
            }
            if (r == BD_OK) {
                struct bd_i420_view v = bd_i420_view_of(&b->img);
                r = bd_i420_fit(&v, (enum bd_fit)fit, &b->fit);
            }
        }
    }
    b->src = src;
    if (r != BD_OK) {
        bd_background_free(b);
        return r;
    }
    b->valid = 1;
    return BD_OK;
}

void bd_background_free(struct bd_bg_bundle *b)
{
    bd_file_source_close(b->src);
    free(b->mem);
    free(b->fit_mem);
    memset(b, 0, sizeof *b);
}

void bd_pipeline_background_swap(struct bd_pipeline *p, struct bd_bg_bundle *b)
{
    const struct bd_bg_bundle old = p->bg;
    p->bg = *b;
    *b = old;
}

const char *bd_background_reason(const char *msg, const char *path)
{
    static const char *const kinds[] = {"video '", "image '"};
    const size_t n = strlen(path);
    for (size_t i = 0; i < 2; i++)
        if (!strncmp(msg, kinds[i], 7) && !strncmp(msg + 7, path, n) &&
            !strncmp(msg + 7 + n, "': ", 3))
            return msg + 10 + n;
    return msg;
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

int bd_pipeline_background_apply(struct bd_pipeline *p)
{
    return apply(p);
}

int bd_pipeline_background_advance(struct bd_pipeline *p, int64_t pts_us)
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
    return changed ? apply(p) : BD_OK;
}

void bd_pipeline_background_close(struct bd_pipeline *p)
{
    struct bd_bg_bundle none;
    memset(&none, 0, sizeof none);
    bd_pipeline_background_swap(p, &none);
    bd_background_free(&none);
}
