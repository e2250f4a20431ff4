/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_segment_image(): a still image's mask, with the same refinement the
 * camera uses (the image is its own guide; no temporal smoothing).
 */
#include <stdlib.h>

#include <libyuv/convert.h>

#include "backdrop.h"
#include "common/error.h"
#include "common/frame.h"

enum bd_status bd_segment_image(struct bd_engine *e, const uint8_t *rgb, int rgb_stride, int width,
                                int height, const struct bd_mask_options *o, uint8_t *mask,
                                int mask_stride)
{
    if (!e || !rgb || !mask || width < 1 || height < 1 || rgb_stride < 3 * width ||
        mask_stride < width)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_segment_image: bad arguments");
    struct bd_model_info info;
    bd_model_get_info(bd_engine_model(e), &info);
    const int ow = info.out_width, oh = info.out_height;
    struct bd_segment_options so = {
        .class_index = o && o->use_class ? o->class_index : -1,
        .mirror_average = !(o && (o->raw || o->no_mirror_average)),
        .zoom = !(o && (o->raw || o->no_zoom)),
        .zoom_engine = o ? o->zoom_engine : NULL,
    };
    float *prob = malloc((size_t)ow * (size_t)oh * sizeof *prob);
    uint8_t *low = malloc((size_t)ow * (size_t)oh);
    uint8_t *mem = NULL;
    struct bd_refiner *ref = NULL;
    int r = prob && low ? BD_OK : bd_fail(BD_ERR_NOMEM, "out of memory for the mask");
    if (r == BD_OK)
        r = bd_engine_segment_rgb(e, rgb, rgb_stride, width, height, &so, prob);
    /* A picture smaller than the model's output has nothing to refine. */
    int raw = (o && o->raw) || width < ow || height < oh;
    if (r == BD_OK && raw) {
        bd_mask_upsample_bilinear(prob, ow, oh, mask, mask_stride, width, height);
    } else if (r == BD_OK) {
        for (int i = 0; i < ow * oh; i++) {
            float v = prob[i] < 0.f ? 0.f : prob[i] > 1.f ? 1.f : prob[i];
            low[i] = (uint8_t)(v * 255.f + 0.5f);
        }
        struct bd_refine_options ro;
        if (o && o->refine)
            ro = *o->refine;
        else
            bd_refine_options_default(&ro);
        ro.temporal = 0;
        struct bd_i420 f;
        r = bd_i420_alloc(width, height, &mem, &f);
        if (r == BD_OK)
            r = bd_refiner_create(width, height, ow, oh, &ro, &ref);
        if (r == BD_OK) {
            /* libyuv's "RAW" is R, G, B in memory: our RGB24. */
            RAWToI420(rgb, rgb_stride, f.y, f.stride_y, f.u, f.stride_u, f.v, f.stride_v, width,
                      height);
            r = bd_refiner_run(ref, low, ow, f.y, f.stride_y, f.u, f.v, f.stride_u, mask,
                               mask_stride);
        }
    }
    bd_refiner_destroy(ref);
    free(mem);
    free(low);
    free(prob);
    return r;
}
