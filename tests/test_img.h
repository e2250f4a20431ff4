/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An I420 test image with padded, odd strides (so code that ignores a
 * stride, or assumes alignment, shows up), zero-filled. Shared by the
 * file-I/O and output tests. Exits on out-of-memory: tests only.
 */
#ifndef BD_TESTS_TEST_IMG_H
#define BD_TESTS_TEST_IMG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/frame.h"

struct img {
    uint8_t *mem;
    struct bd_i420 p; /* p.width x p.height */
};

static inline void img_alloc(struct img *im, int w, int h)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    im->p.width = w;
    im->p.height = h;
    im->p.stride_y = w + 7;
    im->p.stride_u = cw + 5;
    im->p.stride_v = cw + 3;
    size_t ys = (size_t)im->p.stride_y * h, us = (size_t)im->p.stride_u * ch,
           vs = (size_t)im->p.stride_v * ch;
    im->mem = calloc(1, ys + us + vs);
    if (!im->mem) {
        printf("out of memory\n");
        exit(2);
    }
    im->p.y = im->mem;
    im->p.u = im->mem + ys;
    im->p.v = im->mem + ys + us;
}

static inline void img_free(struct img *im)
{
    free(im->mem);
    im->mem = NULL;
}

#endif
