/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "common/frame.h"

#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "common/error.h"

int bd_i420_alloc(int w, int h, uint8_t **mem, struct bd_i420 *f)
{
    *mem = NULL;
    if (w < 1 || h < 1)
        return bd_fail(BD_ERR_INVALID_ARG, "bad frame size %dx%d", w, h);
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    int sy = (w + 63) & ~63, sc = (cw + 63) & ~63;
    size_t n = (size_t)sy * (size_t)h + 2 * (size_t)sc * (size_t)ch + 64;
    uint8_t *m = aligned_alloc(64, (n + 63) & ~(size_t)63);
    if (!m)
        return bd_fail(BD_ERR_NOMEM, "out of memory for %dx%d frames", w, h);
    memset(m, 0, n);
    *mem = m;
    f->y = m;
    f->u = m + (size_t)sy * (size_t)h;
    f->v = f->u + (size_t)sc * (size_t)ch;
    f->stride_y = sy;
    f->stride_u = f->stride_v = sc;
    f->width = w;
    f->height = h;
    return BD_OK;
}
