/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compositing-stage benchmark: what the pipeline calls per frame with the
 * blur effect, bd_composite_blur(mask, strength) then bd_composite_frame
 * (no mirror), at 640x480, 1280x720 and 1920x1080, for each effect mode:
 * "before" (the plain blur without effects: the previous version's
 * compositing, same code path), halo-free, halo-free + light wrap 0.3 (the
 * default), + hologram, and an image background without/with light wrap.
 *
 * usage: bench_composite [ITERS] [STRENGTH]
 *        bench_composite --pictures FRAME MASK BACKGROUND|- OUTDIR [CX CY]
 *        (PNGs of each effect on a real frame; "-" = a synthetic dusk
 *        background; CX CY: centre of the 3x crops, fractions of the frame)
 *
 * Each size runs twice in the same process: with the plain C kernels
 * (BACKDROP_COMPOSITE_ISA=base, read when the compositor is created) and
 * with the kernels dispatched from the CPU flags, interleaved in rounds so
 * that frequency or a busy neighbour affects both alike. Times are thread
 * CPU per frame (as the pipeline's composite_ms), the median of the rounds.
 *
 * The frame is a smooth gradient plus noise (a camera picture's texture
 * matters to nothing here but keeps the data realistic); the mask is a
 * person-like ellipse with a feathered 12-pixel edge (about 35% person,
 * most samples exactly 0 or 255, as the mask upsampler gives), plus one
 * run with a random mask (no uniform runs: the worst case for the blend).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv/convert.h>
#include <libyuv/convert_from.h>
#include <libyuv/scale.h>

#include "backdrop.h"
#include "common/frame.h"
#include "composite/composite.h"

static double thread_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t rng = 12345;
static uint8_t rnd8(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (uint8_t)(rng >> 24);
}

struct plane {
    uint8_t *p;
    int stride;
};

static struct bd_i420 make_frame(int w, int h)
{
    struct bd_i420 f = {0};
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    f.width = w;
    f.height = h;
    f.stride_y = w;
    f.stride_u = f.stride_v = cw;
    f.y = malloc((size_t)w * h);
    f.u = malloc((size_t)cw * ch);
    f.v = malloc((size_t)cw * ch);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            f.y[(size_t)y * w + x] = (uint8_t)(40 + (150 * x / w + 50 * y / h) + (rnd8() & 15));
    for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++) {
            f.u[(size_t)y * cw + x] = (uint8_t)(100 + 60 * x / cw + (rnd8() & 7));
            f.v[(size_t)y * cw + x] = (uint8_t)(150 - 40 * y / ch + (rnd8() & 7));
        }
    return f;
}

static uint8_t *make_mask(int w, int h, int random)
{
    uint8_t *m = malloc((size_t)w * h);
    const double cx = w / 2.0, cy = h * 0.75, rx = w * 0.28, ry = h * 0.7;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (random) {
                m[(size_t)y * w + x] = rnd8();
                continue;
            }
            double dx = (x - cx) / rx, dy = (y - cy) / ry;
            double d = (dx * dx + dy * dy - 1.0) * rx / 2; /* ~ pixels outside */
            double a = 0.5 - d / 12.0;
            m[(size_t)y * w + x] = (uint8_t)(a <= 0 ? 0 : a >= 1 ? 255 : a * 255 + 0.5);
        }
    return m;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- pictures of each effect on a real frame ------------------------------ */

static int load_i420(const char *path, struct bd_i420 *f, uint8_t **mem)
{
    struct bd_image img;
    if (bd_image_load(path, 0, &img) != BD_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, bd_last_error());
        return -1;
    }
    if (bd_i420_alloc(img.width, img.height, mem, f) != 0) {
        bd_image_free(&img);
        return -1;
    }
    RAWToI420(img.data, img.stride, f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v,
              img.width, img.height);
    bd_image_free(&img);
    return 0;
}

static int save_png(const char *dir, const char *name, const struct bd_i420 *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t *rgb = malloc((size_t)f->width * 3 * (size_t)f->height);
    I420ToRAW(f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v, rgb, f->width * 3,
              f->width, f->height);
    enum bd_status r = bd_image_write_png(path, rgb, f->width * 3, f->width, f->height, 3);
    free(rgb);
    if (r == BD_OK)
        printf("wrote %s\n", path);
    return r == BD_OK ? 0 : -1;
}

/* A w/4 x h/4 crop at (cx, cy) (fractions of the frame), 3x nearest. */
static int save_crop(const char *dir, const char *name, const struct bd_i420 *f, double cx,
                     double cy)
{
    const int cw = f->width / 4 & ~1, ch = f->height / 4 & ~1, z = 3;
    int x0 = ((int)(cx * f->width) - cw / 2) & ~1, y0 = ((int)(cy * f->height) - ch / 2) & ~1;
    x0 = x0 < 0 ? 0 : x0 + cw > f->width ? (f->width - cw) & ~1 : x0;
    y0 = y0 < 0 ? 0 : y0 + ch > f->height ? (f->height - ch) & ~1 : y0;
    struct bd_i420 big;
    uint8_t *mem;
    if (bd_i420_alloc(cw * z, ch * z, &mem, &big) != 0)
        return -1;
    I420Scale(f->y + (size_t)y0 * f->stride_y + x0, f->stride_y,
              f->u + (size_t)(y0 / 2) * f->stride_u + x0 / 2, f->stride_u,
              f->v + (size_t)(y0 / 2) * f->stride_v + x0 / 2, f->stride_v, cw, ch, big.y,
              big.stride_y, big.u, big.stride_u, big.v, big.stride_v, cw * z, ch * z,
              kFilterNone);
    int r = save_png(dir, name, &big);
    free(mem);
    return r;
}

/* A synthetic background for the image shots: a dusk sky (orange to deep
 * blue) with a few bright lamps, so that light wrap has light to spill. */
static void synthetic_bg(struct bd_i420 *f, uint8_t **mem, int w, int h)
{
    bd_i420_alloc(w, h, mem, f);
    uint8_t *rgb = malloc((size_t)w * 3 * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double t = (double)y / h, r = 255 * (1 - t) + 20 * t, g = 150 * (1 - t) + 40 * t,
                   b = 50 * (1 - t) + 140 * t;
            for (int i = 0; i < 3; i++) {
                double lx = w * (0.2 + 0.3 * i), ly = h * (0.3 + 0.15 * i);
                double d2 = ((x - lx) * (x - lx) + (y - ly) * (y - ly)) / (0.01 * w * w);
                double a = exp(-d2);
                r += a * 255;
                g += a * 240;
                b += a * 200;
            }
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(r > 255 ? 255 : r);
            p[1] = (uint8_t)(g > 255 ? 255 : g);
            p[2] = (uint8_t)(b > 255 ? 255 : b);
        }
    RAWToI420(rgb, w * 3, f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v, w, h);
    free(rgb);
}

/* usage: bench_composite --pictures FRAME MASK BACKGROUND|- OUTDIR */
static int pictures(const char *frame_path, const char *mask_path, const char *bg_path,
                    const char *dir, double crop_x, double crop_y)
{
    struct bd_i420 fr, bgimg, out;
    uint8_t *fmem, *bmem, *omem;
    if (load_i420(frame_path, &fr, &fmem))
        return 1;
    if (strcmp(bg_path, "-") == 0)
        synthetic_bg(&bgimg, &bmem, fr.width, fr.height);
    else if (load_i420(bg_path, &bgimg, &bmem))
        return 1;
    struct bd_image mimg;
    if (bd_image_load(mask_path, 0, &mimg) != BD_OK || mimg.width != fr.width ||
        mimg.height != fr.height) {
        fprintf(stderr, "mask %s: not loadable or not %dx%d\n", mask_path, fr.width, fr.height);
        return 1;
    }
    const int w = fr.width, h = fr.height;
    uint8_t *mask = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            mask[(size_t)y * w + x] = mimg.data[(size_t)y * mimg.stride + 3 * x];
    bd_image_free(&mimg);
    bd_i420_alloc(w, h, &omem, &out);
    struct bd_compositor *c;
    if (bd_compositor_create(w, h, &c) != BD_OK)
        return 1;
    const struct bd_i420_view v = bd_i420_view_of(&fr), bv = bd_i420_view_of(&bgimg);
    const struct bd_composite_options off = {0, 0.0f, 0}, halo = {1, 0.0f, 0},
                                      dflt = BD_COMPOSITE_OPTIONS_DEFAULT,
                                      strong = {1, 1.0f, 0}, holo = {1, 0.3f, 1};
    struct {
        const char *name;
        const struct bd_composite_options *o;
        int bg; /* 0 blur, 1 image, 2 colour */
        int show_bg;
    } shots[] = {
        {"composite_blur_bg_plain.png", &off, 0, 1},
        {"composite_blur_bg_halofree.png", &halo, 0, 1},
        {"composite_blur_plain.png", &off, 0, 0},
        {"composite_blur_halofree.png", &halo, 0, 0},
        {"composite_blur_halofree_wrap.png", &dflt, 0, 0},
        {"composite_image_nowrap.png", &off, 1, 0},
        {"composite_image_wrap.png", &dflt, 1, 0},
        {"composite_image_wrap_full.png", &strong, 1, 0},
        {"composite_color_wrap.png", &dflt, 2, 0},
        {"composite_hologram_image.png", &holo, 1, 0},
        {"composite_hologram_color.png", &holo, 2, 0},
        {"composite_hologram_blur.png", &holo, 0, 0},
    };
    for (size_t i = 0; i < sizeof shots / sizeof shots[0]; i++) {
        bd_compositor_set_options(c, shots[i].o);
        if (shots[i].bg == 0)
            bd_composite_blur(c, &v, mask, w, 12);
        else if (shots[i].bg == 1)
            bd_compositor_set_image(c, &bv, BD_FIT_COVER);
        else
            bd_compositor_set_color(c, 0x10, 0x30, 0x70);
        if (shots[i].show_bg) {
            struct bd_i420_view b = bd_compositor_background(c);
            struct bd_i420 bf = {(uint8_t *)b.y, (uint8_t *)b.u, (uint8_t *)b.v, b.stride_y,
                                 b.stride_u, b.stride_v, b.width, b.height};
            save_png(dir, shots[i].name, &bf);
            continue;
        }
        bd_composite_frame(c, &v, mask, w, &out, 0);
        save_png(dir, shots[i].name, &out);
        char crop[256];
        snprintf(crop, sizeof crop, "crop_%s", shots[i].name);
        save_crop(dir, crop, &out, crop_x, crop_y);
    }
    bd_compositor_destroy(c);
    free(mask);
    free(fmem);
    free(bmem);
    free(omem);
    return 0;
}

#define ROUNDS 15

int main(int argc, char **argv)
{
    if ((argc == 6 || argc == 8) && strcmp(argv[1], "--pictures") == 0)
        return pictures(argv[2], argv[3], argv[4], argv[5], argc == 8 ? atof(argv[6]) : 0.75,
                        argc == 8 ? atof(argv[7]) : 0.55);
    const int iters = argc > 1 ? atoi(argv[1]) : 20;
    const int strength = argc > 2 ? atoi(argv[2]) : 12;
    static const int sizes[][2] = {{640, 480}, {1280, 720}, {1920, 1080}};
    printf("bench_composite: blur strength %d, %d frames x %d rounds, thread CPU ms/frame "
           "(median of rounds)\n",
           strength, iters, ROUNDS);
    /* the modes: "before" is the plain blur without effects, exactly the
     * compositing of the previous version; the others add the effects */
    static const struct {
        const char *name;
        struct bd_composite_options o;
        int bg; /* 0 blur (the mask passed for halo-free), 1 image */
    } modes[] = {
        {"blur before (plain)", {0, 0.0f, 0}, 0},
        {"blur halo-free", {1, 0.0f, 0}, 0},
        {"blur halo-free+wrap", {1, 0.3f, 0}, 0},
        {"blur +hologram", {1, 0.3f, 1}, 0},
        {"image plain", {0, 0.0f, 0}, 1},
        {"image +wrap", {1, 0.3f, 0}, 1},
    };
    const int nmodes = (int)(sizeof modes / sizeof modes[0]);
    for (size_t s = 0; s < 3; s++) {
        const int w = sizes[s][0], h = sizes[s][1];
        struct bd_i420 fr = make_frame(w, h), out = make_frame(w, h), img = make_frame(w, h);
        struct bd_i420_view v = bd_i420_view_of(&fr), iv = bd_i420_view_of(&img);
        struct bd_compositor *comp[2];
        setenv("BACKDROP_COMPOSITE_ISA", "base", 1);
        if (bd_compositor_create(w, h, &comp[0]) != BD_OK)
            return 1;
        unsetenv("BACKDROP_COMPOSITE_ISA");
        if (bd_compositor_create(w, h, &comp[1]) != BD_OK)
            return 1;
        for (int mk = 0; mk < 2; mk++) {
            uint8_t *mask = make_mask(w, h, mk);
            for (int md = 0; md < nmodes; md++) {
                if (mk && md != 0 && md != 2)
                    continue; /* random mask: before and the new default only */
                double blur[2][ROUNDS], blend[2][ROUNDS];
                for (int c = 0; c < 2; c++) {
                    bd_compositor_set_options(comp[c], &modes[md].o);
                    if (modes[md].bg == 1)
                        bd_compositor_set_image(comp[c], &iv, BD_FIT_COVER);
                }
                for (int r = 0; r < ROUNDS; r++)
                    for (int c = 0; c < 2; c++) {
                        double tb = 0, tf = 0;
                        for (int i = 0; i < iters; i++) {
                            double t0 = thread_ms();
                            if (modes[md].bg == 0)
                                bd_composite_blur(comp[c], &v, modes[md].o.halo_free ? mask : NULL,
                                                  w, strength);
                            double t1 = thread_ms();
                            bd_composite_frame(comp[c], &v, mask, w, &out, 0);
                            double t2 = thread_ms();
                            tb += t1 - t0;
                            tf += t2 - t1;
                        }
                        blur[c][r] = tb / iters;
                        blend[c][r] = tf / iters;
                    }
                double med[2][3];
                for (int c = 0; c < 2; c++) {
                    double tot[ROUNDS];
                    for (int r = 0; r < ROUNDS; r++)
                        tot[r] = blur[c][r] + blend[c][r];
                    qsort(blur[c], ROUNDS, sizeof(double), cmp_d);
                    qsort(blend[c], ROUNDS, sizeof(double), cmp_d);
                    qsort(tot, ROUNDS, sizeof(double), cmp_d);
                    med[c][0] = blur[c][ROUNDS / 2];
                    med[c][1] = blend[c][ROUNDS / 2];
                    med[c][2] = tot[ROUNDS / 2];
                }
                printf("%4dx%-4d %-6s %-20s C: bg %.3f + frame %.3f = %.3f ms   dispatched: bg "
                       "%.3f + frame %.3f = %.3f ms   (x%.2f)\n",
                       w, h, mk ? "random" : "person", modes[md].name, med[0][0], med[0][1],
                       med[0][2], med[1][0], med[1][1], med[1][2], med[0][2] / med[1][2]);
            }
            free(mask);
        }
        bd_compositor_destroy(comp[0]);
        bd_compositor_destroy(comp[1]);
        struct bd_i420 *fs[3] = {&fr, &out, &img};
        for (int i = 0; i < 3; i++) {
            free(fs[i]->y);
            free(fs[i]->u);
            free(fs[i]->v);
        }
    }
    return 0;
}
