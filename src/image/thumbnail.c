/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Thumbnails of backgrounds (bd_image_thumbnail): any file the camera takes
 * as a background (an image or a video, through the file source's FFmpeg
 * decoding) made small as RGB, so a client shows what the camera will show
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

enum bd_status bd_image_thumbnail(const char *path, int max_side, struct bd_image *img)
{
    if (img)
        memset(img, 0, sizeof *img);
    if (!path || !img || max_side < 8 || max_side > 4096)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_image_thumbnail: NULL argument or max_side "
                       "outside 8..4096");
    struct bd_file_source *src = NULL;
    int r = bd_file_source_open(path, NULL, &src);
    if (r != BD_OK)
        return (enum bd_status)r;
    const struct bd_file_source_info *info = bd_file_source_info(src);
    int w = info->width, h = info->height;
    uint8_t *mem = NULL, *small_mem = NULL;
    struct bd_i420 full, small;
    r = bd_i420_alloc(w, h, &mem, &full);
    /* about one second in, or the last frame of a shorter video */
    int skip = info->still ? 0 : info->fps_num / (info->fps_den ? info->fps_den : 1);
    if (skip > 60)
        skip = 60;
    int got = 0;
    for (int i = 0; r == BD_OK && i <= skip; i++) {
        int rr = bd_file_source_read(src, &full, NULL);
        if (rr == BD_FILE_SOURCE_EOF)
            break;
        if (rr != BD_OK)
            r = got ? BD_OK : rr; /* damage after a good frame: keep that one */
        else
            got = 1;
        if (rr != BD_OK)
            break;
    }
    if (r == BD_OK && !got)
        r = bd_fail(BD_ERR_FORMAT, "'%s': no frame could be decoded", path);
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
    if (r == BD_OK)
        r = bd_i420_alloc(tw, th, &small_mem, &small);
    if (r == BD_OK &&
        I420Scale(full.y, full.stride_y, full.u, full.stride_u, full.v, full.stride_v, w, h,
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
    free(mem);
    free(small_mem);
    bd_file_source_close(src);
    if (r != BD_OK)
        bd_image_free(img);
    return (enum bd_status)r;
}
