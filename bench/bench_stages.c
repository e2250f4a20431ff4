/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Refinement + compositing on real frames: what the camera pipeline's frame
 * thread does per frame with the default blur effect (bd_refiner_run with
 * the colour guide, then bd_composite_blur and bd_composite_frame with the
 * default options: halo-free, light wrap 0.3, strength 12), against the
 * pass-through (I420Copy of the frame, what the pipeline does with the
 * effect off), interleaved in rounds so that a busy neighbour or the clock
 * affects both alike. The target of issue 4 is refinement + compositing <=
 * 1.5 ms per 1280x720 frame; the ratio to the pass-through is what carries
 * over between machines.
 *
 * The masks are the model's own: every frame of the clip goes through the
 * engine first, untimed, as the camera would run it (the zoom pass, the
 * mirror average on the second look, the general model's second look for
 * a model wider than 4:3), so the refiner sees real motion, real noise and
 * real mask jitter. Two passes per round:
 *  - warm: the frames back to back (what bench_refine and bench_composite
 *    measure on synthetic data);
 *  - cold: 16 MiB of other data written between frames, untimed, as the
 *    inference thread's ~11 ms of work does in the pipeline; the stage then
 *    starts from caches that hold none of its buffers.
 * Times are thread CPU per frame (as bd_pipeline_stats), the median of the
 * rounds.
 *
 * usage: bench_stages FILE.y4m [MODEL] [FRAMES] [ROUNDS]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libyuv/convert_from.h>
#include <libyuv/planar_functions.h>

#include "backdrop.h"
#include "capture/y4m_reader.h"
#include "common/frame.h"
#include "composite/composite.h"

#define BLUR 12            /* the pipeline's default strength */
#define THRASH (16u << 20) /* bytes written between frames in the cold pass */

static double thread_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_stages: %s: %s\n", what, bd_last_error());
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.y4m [MODEL] [FRAMES] [ROUNDS]\n", argv[0]);
        return 2;
    }
    const char *model_name = argc > 2 ? argv[2] : "landscape";
    const int max_frames = argc > 3 ? atoi(argv[3]) : 90;
    const int rounds = argc > 4 ? atoi(argv[4]) : 7;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "bench_stages: cannot open '%s'\n", argv[1]);
        return 1;
    }
    struct bd_y4m_reader *rd;
    if (bd_y4m_reader_open(fd, argv[1], &rd) != 0)
        die("y4m");
    const int w = bd_y4m_reader_info(rd)->width, h = bd_y4m_reader_info(rd)->height;

    struct bd_model *model, *zmodel = NULL;
    struct bd_engine *eng, *zeng = NULL;
    if (bd_model_open(model_name, &model) != BD_OK || bd_engine_create(model, NULL, &eng) != BD_OK)
        die(model_name);
    struct bd_model_info mi;
    bd_model_get_info(model, &mi);
    const char *partner = bd_model_zoom_partner(model); /* as the pipeline */
    if (partner && (bd_model_open(partner, &zmodel) != BD_OK ||
                    bd_engine_create(zmodel, NULL, &zeng) != BD_OK))
        die(partner);
    struct bd_segment_options so = {.class_index = -1, .mirror_average = 1, .zoom = 1,
                                    .zoom_engine = zeng};

    /* the clip and its masks, made before any timing */
    uint8_t **mem = calloc((size_t)max_frames, sizeof *mem), **low = calloc((size_t)max_frames, sizeof *low);
    struct bd_i420 *fr = calloc((size_t)max_frames, sizeof *fr);
    uint8_t *rgb = malloc((size_t)w * h * 3);
    float *prob = malloc(sizeof(float) * (size_t)mi.out_width * mi.out_height);
    if (!mem || !low || !fr || !rgb || !prob)
        die("out of memory");
    int n = 0;
    for (; n < max_frames; n++) {
        if (bd_i420_alloc(w, h, &mem[n], &fr[n]) != 0)
            die("out of memory");
        int r = bd_y4m_reader_read(rd, &fr[n]);
        if (r == BD_Y4M_EOF)
            break;
        if (r != 0)
            die("y4m frame");
        I420ToRAW(fr[n].y, fr[n].stride_y, fr[n].u, fr[n].stride_u, fr[n].v, fr[n].stride_v, rgb,
                  w * 3, w, h);
        if (bd_engine_segment_rgb(eng, rgb, w * 3, w, h, &so, prob) != BD_OK)
            die("inference");
        low[n] = malloc((size_t)mi.out_width * mi.out_height);
        if (!low[n])
            die("out of memory");
        for (int i = 0; i < mi.out_width * mi.out_height; i++) {
            float v = prob[i] < 0.f ? 0.f : prob[i] > 1.f ? 1.f : prob[i];
            low[n][i] = (uint8_t)(v * 255.f + 0.5f);
        }
    }
    if (n < 2) {
        fprintf(stderr, "bench_stages: '%s' has fewer than 2 frames\n", argv[1]);
        return 1;
    }

    struct bd_refiner *ref;
    struct bd_compositor *comp;
    struct bd_i420 out;
    uint8_t *out_mem, *mask = malloc((size_t)w * h), *junk = malloc(THRASH);
    if (!mask || !junk || bd_i420_alloc(w, h, &out_mem, &out) != 0)
        die("out of memory");
    if (bd_refiner_create(w, h, mi.out_width, mi.out_height, NULL, &ref) != BD_OK ||
        bd_compositor_create(w, h, &comp) != BD_OK)
        die("create");
    struct bd_composite_options co = BD_COMPOSITE_OPTIONS_DEFAULT;
    if (bd_compositor_set_options(comp, &co) != BD_OK)
        die("options");

    enum { PASS, WARM, COLD, NT };
    double *t[NT], *tr[NT];
    for (int k = 0; k < NT; k++) {
        t[k] = calloc((size_t)rounds, sizeof(double));
        tr[k] = calloc((size_t)rounds, sizeof(double));
    }
    for (int round = 0; round < rounds; round++)
        for (int k = 0; k < NT; k++) {
            bd_refiner_reset(ref);
            double sum = 0, sum_ref = 0;
            for (int i = 0; i < n; i++) {
                const struct bd_i420_view f = bd_i420_view_of(&fr[i]);
                if (k == COLD)
                    memset(junk, i + round, THRASH);
                double t0 = thread_ms();
                if (k == PASS) {
                    I420Copy(f.y, f.stride_y, f.u, f.stride_u, f.v, f.stride_v, out.y,
                             out.stride_y, out.u, out.stride_u, out.v, out.stride_v, w, h);
                    sum += thread_ms() - t0;
                    continue;
                }
                if (bd_refiner_run(ref, low[i], mi.out_width, f.y, f.stride_y, f.u, f.v,
                                   f.stride_u, mask, w) != BD_OK)
                    die("refine");
                double t1 = thread_ms();
                if (bd_composite_blur(comp, &f, mask, w, BLUR) != BD_OK ||
                    bd_composite_frame(comp, &f, mask, w, &out, 0) != BD_OK)
                    die("composite");
                sum += thread_ms() - t0;
                sum_ref += t1 - t0;
            }
            t[k][round] = sum / n;
            tr[k][round] = sum_ref / n;
        }
    for (int k = 0; k < NT; k++) {
        qsort(t[k], (size_t)rounds, sizeof(double), cmp);
        qsort(tr[k], (size_t)rounds, sizeof(double), cmp);
    }
    const double pass = t[PASS][rounds / 2];
    printf("bench_stages: %s, %dx%d, model %s%s, %d frames, median of %d rounds (thread CPU ms per frame)\n",
           argv[1], w, h, model_name, zeng ? " + general's second look" : "", n, rounds);
    printf("pass-through (I420Copy)        %.3f ms\n", pass);
    const char *names[NT] = {"", "warm", "cold"};
    for (int k = WARM; k < NT; k++) {
        const double all = t[k][rounds / 2], rf = tr[k][rounds / 2];
        printf("refine + composite, %-5s      %.3f ms (refine %.3f, composite %.3f)  = %.1f x pass-through\n",
               names[k], all, rf, all - rf, all / pass);
    }
    printf("target: refinement + compositing <= 1.5 ms per 1280x720 frame\n");

    for (int i = 0; i < n; i++) {
        free(mem[i]);
        free(low[i]);
    }
    for (int k = 0; k < NT; k++) {
        free(t[k]);
        free(tr[k]);
    }
    free(mem);
    free(low);
    free(fr);
    free(rgb);
    free(prob);
    free(mask);
    free(junk);
    free(out_mem);
    bd_refiner_destroy(ref);
    bd_compositor_destroy(comp);
    bd_engine_destroy(eng);
    bd_engine_destroy(zeng);
    bd_model_destroy(model);
    bd_model_destroy(zmodel);
    bd_y4m_reader_close(rd);
    close(fd);
    return 0;
}
