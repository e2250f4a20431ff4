/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The background the pipeline holds: a bundle prepared on the thread that
 * asks for it (create, bd_pipeline_set, bd_filter_set_background_image),
 * a still fitted to the frame there, and swapped in by the frame thread.
 * Reading files (a still, or a video decoded on the frame thread) is
 * background_file.c's: this file has no platform dependency.
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/convert.h>
#include <libyuv/planar_functions.h>

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

void bd_background_free(struct bd_bg_bundle *b)
{
    if (b->src)
        b->close_src(b->src);
    free(b->mem);
    free(b->fit_mem);
    memset(b, 0, sizeof *b);
}

/* The fitted copy: into reuse's buffer when it has one of that size (the
 * frame-sized buffers go round between setters and the frame thread
 * instead of being made anew each time). */
int bd_background_fit(struct bd_bg_bundle *b, int fit, int width, int height,
                      struct bd_bg_bundle *reuse)
{
    int r = BD_OK;
    if (reuse && reuse->fit_mem && reuse->fit.width == width && reuse->fit.height == height) {
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
    return r;
}

int bd_background_image_to_i420(const struct bd_image *im, uint8_t **mem, struct bd_i420 *img)
{
    *mem = NULL;
    if (!im || !im->data || (im->channels != 3 && im->channels != 4))
        return bd_fail(BD_ERR_INVALID_ARG,
                       "background image: give decoded RGB or RGBA pixels (channels 3 or 4)");
    if (im->width < 2 || im->height < 2 || im->width > 8192 || im->height > 8192 ||
        im->stride < im->width * im->channels)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "background image: %dx%d with stride %d; give 2x2 to 8192x8192 with a "
                       "stride of at least width x channels",
                       im->width, im->height, im->stride);
    int r = bd_i420_alloc(im->width, im->height, mem, img);
    if (r != BD_OK)
        return r;
    /* libyuv names formats by the 32-bit word: RGBA bytes are "ABGR",
     * RGB bytes "RAW" */
    if (im->channels == 4)
        ABGRToI420(im->data, im->stride, img->y, img->stride_y, img->u, img->stride_u, img->v,
                   img->stride_v, im->width, im->height);
    else
        RAWToI420(im->data, im->stride, img->y, img->stride_y, img->u, img->stride_u, img->v,
                  img->stride_v, im->width, im->height);
    return BD_OK;
}

int bd_background_from_i420(const struct bd_i420 *src, int fit, int width, int height,
                            struct bd_bg_bundle *reuse, struct bd_bg_bundle *b)
{
    memset(b, 0, sizeof *b);
    int r = bd_i420_alloc(src->width, src->height, &b->mem, &b->img);
    if (r != BD_OK)
        return r;
    I420Copy(src->y, src->stride_y, src->u, src->stride_u, src->v, src->stride_v, b->img.y,
             b->img.stride_y, b->img.u, b->img.stride_u, b->img.v, b->img.stride_v, src->width,
             src->height);
    if (width > 0)
        r = bd_background_fit(b, fit, width, height, reuse);
    if (r != BD_OK) {
        bd_background_free(b);
        return r;
    }
    b->valid = 1;
    return BD_OK;
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

int bd_pipeline_background_apply(struct bd_pipeline *p)
{
    return apply(p);
}

void bd_pipeline_background_close(struct bd_pipeline *p)
{
    struct bd_bg_bundle none;
    memset(&none, 0, sizeof none);
    bd_pipeline_background_swap(p, &none);
    bd_background_free(&none);
}
