/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Thumbnails of backgrounds (bd_image_thumbnail): any file the camera takes
 * as a background, read exactly as the camera reads it
 * (bd_background_prepare), made small as RGB, so a client shows what the camera will show
 * without decoding pictures itself. A video gives a frame about a second
 * in: many open on black.
 */
#include <stdlib.h>
#include <string.h>

#include <libyuv/convert_argb.h>
#include <libyuv/scale.h>

#include "backdrop.h"
#include "capture/file_source.h"
#include "common/error.h"
#include "common/frame.h"
#include "pipeline/pipeline_internal.h" /* bd_background_prepare: the camera's reading */

enum bd_status bd_image_thumbnail(const char *path, int max_side, struct bd_image *img)
{
    if (img)
        memset(img, 0, sizeof *img);
    if (!path || !img || max_side < 8 || max_side > 4096)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_image_thumbnail: NULL argument or max_side "
                       "outside 8..4096");
    /* the camera's own reading of a background: what it refuses (a JPEG
     * cut short that FFmpeg would show half grey) gets no thumbnail */
    struct bd_bg_bundle b;
    int r = bd_background_prepare(path, 0, 0, 0, NULL, &b);
    if (r != BD_OK)
        return (enum bd_status)r;
    if (b.src) {
        /* about one second in, or the last frame of a shorter video */
        const struct bd_file_source_info *info = bd_file_source_info(b.src);
        int skip = info->fps_num / (info->fps_den ? info->fps_den : 1);
        if (skip > 60)
            skip = 60;
        for (int i = 0; i < skip && bd_file_source_read(b.src, &b.img, NULL) == BD_OK; i++)
            ;
    }
    int w = b.img.width, h = b.img.height;
    uint8_t *small_mem = NULL;
    struct bd_i420 small;
    /* fit in max_side x max_side, aspect kept; never upscaled */
    int tw = w, th = h;
    if (w >= h && w > max_side) {
        tw = max_side;
        th = (int)((long)h * max_side / w);
    } else if (h > w && h > max_side) {
        th = max_side;
        tw = (int)((long)w * max_side / h);
    }
    tw = tw < 2 ? 2 : tw & ~1;
    th = th < 2 ? 2 : th & ~1;
    r = bd_i420_alloc(tw, th, &small_mem, &small);
    if (r == BD_OK &&
        I420Scale(b.img.y, b.img.stride_y, b.img.u, b.img.stride_u, b.img.v, b.img.stride_v, w, h,
                  small.y, small.stride_y, small.u, small.stride_u, small.v, small.stride_v, tw,
                  th, kFilterBox) != 0)
        r = bd_fail(BD_ERR_INVALID_ARG, "'%s': cannot scale %dx%d to %dx%d", path, w, h, tw, th);
    if (r == BD_OK) {
        img->data = malloc((size_t)tw * th * 3);
        if (!img->data)
            r = bd_fail(BD_ERR_NOMEM, "out of memory");
    }
    if (r == BD_OK) {
        /* libyuv's RAW is R, G, B in memory */
        I420ToRAW(small.y, small.stride_y, small.u, small.stride_u, small.v, small.stride_v,
                  img->data, tw * 3, tw, th);
        img->width = tw;
        img->height = th;
        img->channels = 3;
        img->stride = tw * 3;
    }
    free(small_mem);
    bd_background_free(&b);
    if (r != BD_OK)
        bd_image_free(img);
    return (enum bd_status)r;
}
