/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one frame type every stage passes around: I420 (Y at width x height,
 * U and V at ceil(width/2) x ceil(height/2)), strides in bytes and at least
 * the plane widths. Memory is always owned by whoever created the frame;
 * these structs only point at it.
 */
#ifndef BD_COMMON_FRAME_H
#define BD_COMMON_FRAME_H

#include <stdint.h>

/* A rectangle of a frame, in pixels. */
struct bd_rect {
    int x, y, w, h;
};

/* A writable I420 frame. Some readers/writers (y4m, file source) take the
 * size from their stream instead and ignore width/height. */
struct bd_i420 {
    uint8_t *y, *u, *v;
    int stride_y, stride_u, stride_v;
    int width, height;
};

/* A read-only I420 frame. */
struct bd_i420_view {
    const uint8_t *y, *u, *v;
    int stride_y, stride_u, stride_v;
    int width, height;
};

/* The read-only view of a writable frame. */
static inline struct bd_i420_view bd_i420_view_of(const struct bd_i420 *f)
{
    struct bd_i420_view v = {f->y, f->u, f->v, f->stride_y, f->stride_u, f->stride_v,
                             f->width, f->height};
    return v;
}

/*
 * Allocates one zeroed block for a w x h I420 frame (rows padded to 64
 * bytes and 64-byte aligned, for SIMD loads) and points *f into it. *mem
 * receives the block, to free() later. Returns BD_OK or BD_ERR_NOMEM (with
 * a message); on failure *mem is NULL.
 */
int bd_i420_alloc(int w, int h, uint8_t **mem, struct bd_i420 *f);

#endif
