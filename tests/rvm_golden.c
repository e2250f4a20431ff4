/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RVM golden test: backdrop's TF.js reader + engine (ref backend, the
 * state carried by bd_engine_run) against real
 * TensorFlow.js (tools/rvmref/run.js, the WebAssembly backend) on
 * consecutive real video frames, the recurrent state fed back on both
 * sides, at two input sizes. Compares pha and r1o..r4o on every frame.
 *
 * usage: rvm_golden RVMDIR TFJSDIR RUNJS VIDEO TMPDIR
 * (make rvm-golden fetches RVMDIR and TFJSDIR; a missing one is a
 * SKIP_PROVIDED, a failure under CI=true.)
 * Last line: "N passed, M failed, K skipped".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "backdrop.h"
#include "check.h"
#include "common/error.h"
#include "model/graph.h"
#include "model/model.h"

const float *bd_engine_output_k(const struct bd_engine *e, int k);

#define FRAMES 5

/* Bounds measured on these frames (see the printed figures): the two
 * engines differ in float summation order and in TF.js's wasm kernels
 * (XNNPACK), and the recurrence carries differences to later frames. */
#define PHA_MAX_ABS 0.005  /* 1.3/255; measured up to 1.5e-3 */
#define PHA_MEAN_ABS 1e-5  /* measured up to 7e-7 */
#define STATE_MAX_ABS 1e-3 /* states are in [-1, 1] (GRU); measured up to 1.3e-4 */

static const char *const names[5] = {"pha", "r1o", "r2o", "r3o", "r4o"};

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *read_f32(const char *path, size_t count)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    float *buf = malloc(count * 4 + 4);
    size_t got = fread(buf, 4, count + 1, f);
    fclose(f);
    if (got != count) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void run_size(const char *rvmdir, const char *tfjsdir, const char *runjs, const char *video, const char *tmp,
                     int H, int W, float ratio)
{
    char cmd[4096], in[1024], prefix[1024], json[1024];
    snprintf(in, sizeof in, "%s/frames-%dx%d.f32", tmp, W, H);
    snprintf(prefix, sizeof prefix, "%s/ref-%dx%d", tmp, W, H);
    snprintf(json, sizeof json, "%s/rvm.json", rvmdir);
    /* FRAMES consecutive frames from 4 s in (the person moves), RGB in [0,1]
     * (RVM's input range); both engines read the same floats. */
    char raw[1024];
    snprintf(raw, sizeof raw, "%s/frames-%dx%d.rgb", tmp, W, H);
    snprintf(cmd, sizeof cmd,
             "ffmpeg -v error -y -ss 4 -i '%s' -frames:v %d -vf scale=%d:%d:flags=area -f rawvideo -pix_fmt rgb24 '%s'",
             video, FRAMES, W, H, raw);
    if (system(cmd) != 0) {
        CHECK(0, "ffmpeg failed: %s", cmd);
        return;
    }
    size_t per = (size_t)H * W * 3;
    FILE *f = fopen(raw, "rb");
    uint8_t *rgb = malloc(per * FRAMES);
    size_t got = f ? fread(rgb, 1, per * FRAMES, f) : 0;
    if (f)
        fclose(f);
    CHECK(got == per * FRAMES, "%d frames decoded (%zu bytes)", FRAMES, got);
    if (got != per * FRAMES) {
        free(rgb);
        return;
    }
    float *src = malloc(per * FRAMES * 4);
    for (size_t i = 0; i < per * FRAMES; i++)
        src[i] = (float)rgb[i] / 255.0f;
    free(rgb);
    f = fopen(in, "wb");
    fwrite(src, 4, per * FRAMES, f);
    fclose(f);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(cmd, sizeof cmd, "node '%s' '%s' '%s' wasm %g %d %d %d '%s' '%s'", runjs, tfjsdir, json,
             (double)ratio, H, W, FRAMES, in, prefix);
    /* run.js prints each frame's time ("... N ms (wasm, ..."): kept for the
     * per-frame ratio to ours on the same frames, in the same run */
    double ref_ms[FRAMES];
    int nref = 0;
    FILE *pp = popen(cmd, "r");
    char line[1024];
    while (pp && fgets(line, sizeof line, pp)) {
        fputs(line, stdout);
        const char *q = strstr(line, " ms (");
        if (q && nref < FRAMES) {
            while (q > line && q[-1] >= '0' && q[-1] <= '9')
                q--;
            ref_ms[nref++] = atof(q);
        }
    }
    int rc = pp ? pclose(pp) : -1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(rc == 0, "TF.js reference ran: %s", cmd);
    if (rc != 0) {
        free(src);
        return;
    }
    double ref_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    /* Through the public path: the model opened for this size, an engine
     * (its arena aliases tensors), the state carried by the engine. */
    struct bd_model *m = NULL;
    rc = bd_model_open_tfjs(json, W, H, ratio, &m);
    CHECK(rc == BD_OK, "open: %s", bd_last_error());
    if (rc) {
        free(src);
        return;
    }
    struct bd_engine *e = NULL;
    rc = bd_engine_create(m, NULL, &e);
    CHECK(rc == BD_OK, "engine: %s", bd_last_error());
    if (rc) {
        bd_model_destroy(m);
        free(src);
        return;
    }
    double ours_s = 0, ours_ms[FRAMES];
    for (int fr = 0; rc == BD_OK && fr < FRAMES; fr++) {
        memcpy(bd_engine_input(e), src + per * fr, per * 4);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = bd_engine_run(e);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ours_ms[fr] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        ours_s += ours_ms[fr] / 1e3;
        CHECK(rc == BD_OK, "run: %s", bd_last_error());
        for (int k = 0; k < 5; k++) {
            const struct bd_graph *g = m->graph;
            const struct bd_tensor *o = &g->tensors[g->outputs[k]];
            const float *ours = bd_engine_output_k(e, k);
            char p[1200];
            snprintf(p, sizeof p, "%s.%d.%s.f32", prefix, fr, names[k]);
            float *want = read_f32(p, o->count);
            CHECK(want != NULL, "%s has %zu floats", p, o->count);
            if (!want)
                continue;
            double maxd = 0, sum = 0;
            for (size_t i = 0; i < o->count; i++) {
                double d = fabs((double)ours[i] - want[i]);
                if (!(d <= maxd))
                    maxd = isnan(d) ? INFINITY : d;
                sum += d;
            }
            double mean = sum / (double)o->count;
            printf("%dx%d ratio %.3f frame %d %s [%d,%d,%d,%d]: max |diff| %.2e, mean %.2e\n", W, H,
                   (double)ratio, fr, names[k], o->dims[0], o->dims[1], o->dims[2], o->dims[3], maxd, mean);
            if (k == 0) {
                /* a person is in the frame: the comparison is not of two blanks */
                double m = 0;
                for (size_t i = 0; i < o->count; i++)
                    m += want[i];
                m /= (double)o->count;
                CHECK(m > 0.1 && m < 0.9, "frame %d: TF.js's mean alpha %.3f shows a person", fr, m);
            }
            if (k == 0)
                CHECK(maxd <= PHA_MAX_ABS && mean <= PHA_MEAN_ABS, "%dx%d frame %d pha: max %.2e mean %.2e", W,
                      H, fr, maxd, mean);
            else
                CHECK(maxd <= STATE_MAX_ABS, "%dx%d frame %d %s: max %.2e", W, H, fr, names[k], maxd);
            free(want);
        }
    }
    printf("%dx%d ratio %.3f: TF.js wasm process %.2f s for %d frames (load included); ours (%s) %.1f ms/frame\n",
           W, H, (double)ratio, ref_s, FRAMES, bd_backend_name(bd_engine_backend(e)), ours_s * 1000 / FRAMES);
    if (nref == FRAMES) {
        /* medians of frames 1.. (frame 0 warms both up) */
        qsort(ref_ms + 1, FRAMES - 1, sizeof(double), cmp_d);
        qsort(ours_ms + 1, FRAMES - 1, sizeof(double), cmp_d);
        const double r = ref_ms[1 + (FRAMES - 1) / 2], o = ours_ms[1 + (FRAMES - 1) / 2];
        printf("%dx%d ratio %.3f: per frame (median of frames 1-%d) TF.js wasm %.0f ms, ours (%s) %.1f ms: "
               "TF.js / ours = %.2f\n",
               W, H, (double)ratio, FRAMES - 1, r, bd_backend_name(bd_engine_backend(e)), o, r / o);
    }
    bd_engine_destroy(e);
    bd_model_destroy(m);
    free(src);
}

int main(int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf(stderr, "usage: %s RVMDIR TFJSDIR RUNJS VIDEO TMPDIR [WxH:RATIO,...]\n", argv[0]);
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct stat st;
    char p[1024];
    snprintf(p, sizeof p, "%s/rvm.json", argv[1]);
    int have_model = stat(p, &st) == 0;
    snprintf(p, sizeof p, "%s/tfjs/package/dist/tf.js", argv[2]);
    int have_tfjs = stat(p, &st) == 0;
    int have_video = stat(argv[4], &st) == 0;
    if (!have_model || !have_tfjs || !have_video) {
        SKIP_PROVIDED("missing %s%s%s; run 'make models-rvm' and 'scripts/fetch-models.sh x rvm-ref'",
                      have_model ? "" : "the RVM model ", have_tfjs ? "" : "TF.js ", have_video ? "" : argv[4]);
        return check_report();
    }
    mkdir(argv[5], 0755);
    if (argc == 7) { /* the sizes given (make rvm-golden RVM_GOLDEN_SIZES=1280x720:0.4) */
        char list[512];
        snprintf(list, sizeof list, "%s", argv[6]);
        for (char *sv = NULL, *t = strtok_r(list, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
            int w, h;
            float r;
            if (sscanf(t, "%dx%d:%f", &w, &h, &r) != 3 || w < 16 || h < 16 || w > 4096 || h > 4096 ||
                !(r > 0 && r <= 1)) {
                fprintf(stderr, "rvm_golden: size '%s': give WxH:RATIO\n", t);
                return 2;
            }
            run_size(argv[1], argv[2], argv[3], argv[4], argv[5], h, w, r);
        }
    } else {
        /* Small sizes keep it quick; two aspect ratios and two ratios. */
        run_size(argv[1], argv[2], argv[3], argv[4], argv[5], 144, 256, 0.5f);
        run_size(argv[1], argv[2], argv[3], argv[4], argv[5], 240, 320, 0.375f);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("rvm-golden: %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return check_report();
}
