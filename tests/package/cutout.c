/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program of a library user, built in the package test's Debian root with
 * `cc cutout.c $(pkg-config --cflags --libs backdrop)` against the installed
 * libbackdrop-dev: the person mask of a photo through the public API alone
 * (bd_model_open, bd_engine_create, bd_segment_image), checked for the
 * person in the middle and background at the corners, and written out as
 * an RGBA cut-out.
 * usage: cutout PHOTO OUT.png   (exit 0: the mask is right)
 */
#include <backdrop.h>
#include <stdio.h>
#include <stdlib.h>

/* The mean of the mask over the w/10 x h/10 box at (x0, y0). */
static double box_mean(const unsigned char *m, int w, int h, int x0, int y0)
{
    int bw = w / 10, bh = h / 10;
    double s = 0;
    for (int y = y0; y < y0 + bh; y++)
        for (int x = x0; x < x0 + bw; x++)
            s += m[(size_t)y * (size_t)w + (size_t)x];
    return s / ((double)bw * bh);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: cutout PHOTO OUT.png\n");
        return 2;
    }
    struct bd_image img;
    struct bd_model *model = NULL;
    struct bd_engine *engine = NULL;
    if (bd_image_load(argv[1], 0, &img) != BD_OK || bd_model_open("general", &model) != BD_OK ||
        bd_engine_create(model, NULL, &engine) != BD_OK) {
        fprintf(stderr, "cutout: %s\n", bd_last_error());
        return 1;
    }
    int w = img.width, h = img.height;
    unsigned char *mask = malloc((size_t)w * (size_t)h);
    unsigned char *rgba = malloc((size_t)w * (size_t)h * 4);
    if (!mask || !rgba)
        return 1;
    struct bd_mask_options mo = {0};
    if (bd_segment_image(engine, img.data, img.stride, w, h, &mo, mask, w) != BD_OK) {
        fprintf(stderr, "cutout: %s\n", bd_last_error());
        return 1;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const unsigned char *p = img.data + (size_t)y * (size_t)img.stride + (size_t)x * 3;
            unsigned char *q = rgba + ((size_t)y * (size_t)w + (size_t)x) * 4;
            q[0] = p[0], q[1] = p[1], q[2] = p[2];
            q[3] = mask[(size_t)y * (size_t)w + (size_t)x];
        }
    if (bd_image_write_png(argv[2], rgba, w * 4, w, h, 4) != BD_OK) {
        fprintf(stderr, "cutout: %s\n", bd_last_error());
        return 1;
    }
    int bw = w / 10, bh = h / 10;
    double centre = box_mean(mask, w, h, (w - bw) / 2, (h - bh) / 2);
    double corner[4] = {box_mean(mask, w, h, 0, 0), box_mean(mask, w, h, w - bw, 0),
                        box_mean(mask, w, h, 0, h - bh), box_mean(mask, w, h, w - bw, h - bh)};
    printf("cutout: backdrop %s, %dx%d, mask mean: centre %.0f, corners %.0f %.0f %.0f %.0f\n",
           bd_version(), w, h, centre, corner[0], corner[1], corner[2], corner[3]);
    int ok = centre > 200;
    for (int i = 0; i < 4; i++)
        ok = ok && corner[i] < 50;
    free(rgba);
    free(mask);
    bd_engine_destroy(engine);
    bd_model_destroy(model);
    bd_image_free(&img);
    return ok ? 0 : 1;
}
