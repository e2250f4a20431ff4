/*
 * --background FILE: a still image is fitted once; a video is decoded on
 * the frame thread, looped, and advanced by the output's clock (the wall
 * clock live, the input's timestamps offline), so it plays at its own rate
 * whatever the camera's.
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static int apply(struct bd_pipeline *p)
{
    struct bd_i420_view v = bd_i420_view_of(&p->bg);
    return bd_compositor_set_image(p->comp, &v, (enum bd_fit)p->cfg.fit);
}

int bd_pipeline_background_load(struct bd_pipeline *p)
{
    struct bd_file_source_options fo = {.loop = true, .threads = 1};
    struct bd_file_source *src = NULL;
    int r = bd_file_source_open(p->bg_path, &fo, &src);
    if (r != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        /* FFmpeg refuses a PNG or JPEG of absurd size without saying why
         * ("no frame could be decoded"); the image reader reads the header
         * and can name the size. Only that answer replaces FFmpeg's. */
        if (r == BD_ERR_FORMAT) {
            struct bd_image img;
            const size_t max = (size_t)BD_FILE_SOURCE_MAX_DIM * BD_FILE_SOURCE_MAX_DIM;
            int ir = bd_image_load(p->bg_path, max, &img);
            if (ir == BD_OK)
                bd_image_free(&img);
            else if (ir == BD_ERR_UNSUPPORTED) {
                snprintf(msg, sizeof msg, "%s", bd_last_error());
                r = ir;
            }
        }
        return bd_fail(r, "--background: %s", msg);
    }
    const struct bd_file_source_info *fi = bd_file_source_info(src);
    uint8_t *mem = NULL;
    struct bd_i420 f;
    r = bd_i420_alloc(fi->width, fi->height, &mem, &f);
    int64_t pts = 0;
    if (r == BD_OK)
        r = bd_file_source_read(src, &f, &pts);
    if (r != BD_OK) {
        free(mem);
        bd_file_source_close(src);
        return r;
    }
    /* The new background is good: drop the old one. */
    bd_file_source_close(p->bg_src);
    free(p->bg_mem);
    p->bg_mem = mem;
    p->bg = f;
    p->bg_next_pts_us = pts;
    if (fi->still) {
        bd_file_source_close(src);
        p->bg_src = NULL;
    } else {
        p->bg_src = src;
    }
    return BD_OK;
}

int bd_pipeline_background_apply(struct bd_pipeline *p)
{
    return apply(p);
}

int bd_pipeline_background_open(struct bd_pipeline *p)
{
    int r = bd_pipeline_background_load(p);
    return r == BD_OK ? apply(p) : r;
}

int bd_pipeline_background_advance(struct bd_pipeline *p, int64_t pts_us)
{
    const struct bd_file_source_info *fi = bd_file_source_info(p->bg_src);
    int64_t t = p->pace == BD_PACE_LIVE ? (bd_now_ns() - p->start_ns) / 1000 : pts_us;
    int64_t interval = (int64_t)1000000 * fi->fps_den / (fi->fps_num > 0 ? fi->fps_num : 25);
    int changed = 0;
    /* At most a few frames per output frame: a background that falls behind
     * (a slow machine) skips ahead in time instead of stalling the camera. */
    for (int i = 0; i < 4 && p->bg_next_pts_us + interval <= t; i++) {
        int64_t pts = 0;
        int r = bd_file_source_read(p->bg_src, &p->bg, &pts);
        if (r != BD_OK)
            return r;
        p->bg_next_pts_us = pts;
        changed = 1;
    }
    if (p->bg_next_pts_us + interval <= t)
        p->bg_next_pts_us = t; /* give up catching up */
    return changed ? apply(p) : BD_OK;
}

void bd_pipeline_background_close(struct bd_pipeline *p)
{
    bd_file_source_close(p->bg_src);
    p->bg_src = NULL;
    free(p->bg_mem);
    p->bg_mem = NULL;
}
