/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The "camera lost" picture: what the virtual camera shows while its input
 * is gone (unplugged, or no frame for a second): the last frame, blurred
 * and darkened, with a crossed-out camera in the middle, so that a call
 * sees a paused camera rather than a frozen face. Made once per loss, so
 * plain C; libyuv does the blur (a box scale down to 1/16 and bilinear
 * back up).
 */
#include "composite/composite.h"

#include <stdlib.h>
#include <string.h>

#include <libyuv/scale.h>

#include "common/error.h"

static void blur_plane(uint8_t *p, int stride, int w, int h, uint8_t *small, int sw, int sh)
{
    ScalePlane(p, stride, w, h, small, sw, sw, sh, kFilterBox);
    ScalePlane(small, sw, sw, sh, p, stride, w, h, kFilterBilinear);
}

/* Luma of the pictogram at (x, y) relative to its centre, in units of the
 * icon's height s: 1 on a stroke, 0 elsewhere. A camera body (a rounded
 * rectangle outline), its lens (a triangle outline on the right) and a
 * slash from top left to bottom right. */
static int on_icon(float x, float y)
{
    const float t = 0.07f; /* stroke width */
    /* body: x in [-0.75, 0.25], y in [-0.35, 0.35] */
    int in_body = x >= -0.75f && x <= 0.25f && y >= -0.35f && y <= 0.35f;
    int in_hole = x >= -0.75f + t && x <= 0.25f - t && y >= -0.35f + t && y <= 0.35f - t;
    if (in_body && !in_hole)
        return 1;
    /* lens: the triangle (0.3, 0) .. (0.75, +-0.3), its outline */
    if (x >= 0.3f && x <= 0.75f) {
        float half = 0.3f * (x - 0.3f) / 0.45f;
        float d = half - (y < 0 ? -y : y);
        if ((d >= 0.f && d <= t) || (x >= 0.75f - t && (y < 0 ? -y : y) <= 0.3f))
            return 1;
    }
    /* slash: |x - y| small within the square [-0.8, 0.8] */
    float dxy = x - y;
    if (x >= -0.8f && x <= 0.8f && y >= -0.8f && y <= 0.8f && dxy >= -1.6f * t && dxy <= 1.6f * t)
        return 1;
    return 0;
}

enum bd_status bd_draw_camera_lost(uint8_t *y, int stride_y, uint8_t *u, int stride_u, uint8_t *v,
                                   int stride_v, int width, int height, uint8_t *scratch,
                                   size_t scratch_size)
{
    if (!y || !u || !v || width < 2 || height < 2 || !scratch)
        return bd_fail(BD_ERR_INVALID_ARG, "camera-lost picture: bad frame");
    const int cw = (width + 1) / 2, ch = (height + 1) / 2;
    const int sw = (width + 15) / 16, sh = (height + 15) / 16;
    if (scratch_size < bd_camera_lost_scratch(width, height))
        return bd_fail(BD_ERR_INVALID_ARG, "camera-lost picture: scratch too small");
    blur_plane(y, stride_y, width, height, scratch, sw, sh);
    blur_plane(u, stride_u, cw, ch, scratch, (cw + 15) / 16, (ch + 15) / 16);
    blur_plane(v, stride_v, cw, ch, scratch, (cw + 15) / 16, (ch + 15) / 16);
    /* darken to 60% (limited range) so the white mark reads on any frame */
    for (int j = 0; j < height; j++) {
        uint8_t *r = y + (size_t)j * stride_y;
        for (int i = 0; i < width; i++)
            r[i] = (uint8_t)(16 + (r[i] > 16 ? (r[i] - 16) * 3 / 5 : 0));
    }
    /* the pictogram, a sixth of the height tall, white on neutral chroma */
    const float s = (float)height / 6.f;
    const int x0 = width / 2 - (int)s, x1 = width / 2 + (int)s;
    const int y0 = height / 2 - (int)s, y1 = height / 2 + (int)s;
    for (int j = y0 < 0 ? 0 : y0; j < (y1 > height ? height : y1); j++)
        for (int i = x0 < 0 ? 0 : x0; i < (x1 > width ? width : x1); i++) {
            float fx = ((float)i + 0.5f - (float)width / 2) / s;
            float fy = ((float)j + 0.5f - (float)height / 2) / s;
            if (!on_icon(fx, fy))
                continue;
            y[(size_t)j * stride_y + i] = 235;
            u[(size_t)(j / 2) * stride_u + i / 2] = 128;
            v[(size_t)(j / 2) * stride_v + i / 2] = 128;
        }
    return BD_OK;
}

size_t bd_camera_lost_scratch(int width, int height)
{
    return (size_t)((width + 15) / 16) * (size_t)((height + 15) / 16);
}
