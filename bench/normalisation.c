/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Which input range does each model expect? Runs every model on the
 * portraits with [0,1] and with [-1,1] input and scores the person mask
 * against the ground-truth alpha (IoU at 0.5, at the model's output size).
 * The range the descriptor table in src/model/model.c uses must win.
 *
 * usage: normalisation SHARED_DATA_DIR MODEL...
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/scale.h>
#include <libyuv/scale_rgb.h>

#include "backdrop.h"

static const char *const portraits[] = {"p_07141906", "p_09ba26b4", "p_22fc0130",
                                        "p_514ca06a", "p_51c916fc", "p_71bcce3a"};

static float person(const struct bd_model_info *i, const float *x)
{
    switch (i->output_kind) {
    case BD_OUTPUT_PROBABILITY: return x[0];
    case BD_OUTPUT_LOGIT: return 1.f / (1.f + expf(-x[0]));
    default: {
        int best = 0;
        for (int c = 1; c < i->out_channels; c++)
            if (x[c] > x[best])
                best = c;
        return best == i->default_class ? 1.f : 0.f;
    }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: normalisation SHARED_DATA_DIR MODEL...\n");
        return 2;
    }
    printf("%-28s %8s %8s  %s\n", "model", "[0,1]", "[-1,1]", "descriptor");
    for (int a = 2; a < argc; a++) {
        struct bd_model *m;
        struct bd_engine *e;
        if (bd_model_open(argv[a], &m) != BD_OK || bd_engine_create(m, NULL, &e) != BD_OK) {
            fprintf(stderr, "%s\n", bd_last_error());
            return 1;
        }
        struct bd_model_info info;
        bd_model_get_info(m, &info);
        int iw = info.in_width, ih = info.in_height, ow = info.out_width, oh = info.out_height;
        uint8_t *rgb = malloc((size_t)iw * ih * 3), *gt = malloc((size_t)ow * oh);
        double iou[2] = {0, 0};
        int n = 0;
        for (size_t p = 0; p < sizeof portraits / sizeof portraits[0]; p++) {
            char ip[512], ap[512];
            snprintf(ip, sizeof ip, "%s/portraits-dev/image/%s.jpg", argv[1], portraits[p]);
            snprintf(ap, sizeof ap, "%s/portraits-dev/alpha/%s.png", argv[1], portraits[p]);
            struct bd_image img, alpha;
            if (bd_image_load(ip, 0, &img) != BD_OK || bd_image_load(ap, 0, &alpha) != BD_OK) {
                fprintf(stderr, "%s\n", bd_last_error());
                return 1;
            }
            RGBScale(img.data, img.stride, img.width, img.height, rgb, iw * 3, iw, ih, kFilterBox);
            /* the alpha is grey stored as RGB: take one channel, scale it */
            uint8_t *a1 = malloc((size_t)alpha.width * alpha.height);
            for (int i = 0; i < alpha.width * alpha.height; i++)
                a1[i] = alpha.data[3 * i];
            ScalePlane(a1, alpha.width, alpha.width, alpha.height, gt, ow, ow, oh, kFilterBox);
            free(a1);
            for (int r = 0; r < 2; r++) {
                float *x = bd_engine_input(e);
                for (int i = 0; i < iw * ih * 3; i++)
                    x[i] = r == 0 ? rgb[i] / 255.f : rgb[i] / 127.5f - 1.f;
                bd_engine_run(e);
                const float *o = bd_engine_output(e);
                long inter = 0, uni = 0;
                for (int i = 0; i < ow * oh; i++) {
                    int pm = person(&info, o + (size_t)i * info.out_channels) >= 0.5f, gm = gt[i] >= 128;
                    inter += pm && gm;
                    uni += pm || gm;
                }
                iou[r] += uni ? (double)inter / uni : 1;
            }
            n++;
            bd_image_free(&img);
            bd_image_free(&alpha);
        }
        printf("%-28s %8.3f %8.3f  %s\n", info.name, iou[0] / n, iou[1] / n,
               info.input_range == BD_RANGE_0_1 ? "[0,1]" : "[-1,1]");
        free(rgb);
        free(gt);
        bd_engine_destroy(e);
        bd_model_destroy(m);
    }
    return 0;
}
