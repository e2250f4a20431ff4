/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `--model rvm` through every client of the library, with the real Robust
 * Video Matting model (make models-rvm) and real pictures:
 *  - the names: the automatic downsample ratio and size, rvm-ratio in the
 *    options table;
 *  - missing files: bd_still, bd_pipeline and bd_filter refuse with one
 *    message that says how to fetch them;
 *  - stills (bd_still: mask, cutout): a real portrait's alpha against its
 *    ground truth, soft at the edge, the model remade for each size;
 *  - files (bd_pipeline): a looped clip starts its recurrent state again at
 *    the loop (the first frame after the loop is byte-identical to the
 *    first frame);
 *  - bd_filter: reset starts the state again; without it, the state
 *    carries over (the same frame gives another mask);
 *  - the fusion against naive code (the weighted mean every value pair);
 *    the automatic backend (ref for RVM at 1 and 2 threads); the status's
 *    mask rate.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backdrop.h"
#include "capture/file_source.h"
#include "capture/y4m_reader.h"
#include "check.h"
#include "common/frame.h"
#include "model/backend.h"

#define VIDEO "../shared/data/video/doctor_26732.mp4"
#define PORTRAIT "../shared/data/portraits-real/image/eg1800_00001.jpg"
#define PORTRAIT_GT "../shared/data/portraits-real/mask/eg1800_00001.png"
#define STILL2 "../shared/data/video/doctor-5871743_640.jpg"

static void test_names(void)
{
    CHECK(bd_model_is_rvm("rvm") && !bd_model_is_rvm("general") && !bd_model_is_rvm(NULL),
          "bd_model_is_rvm");
    /* 0.5 at 720p (bench/rvm-fusion.md: RVM's trimap MAD 74.7 -> 65.9 on
     * the dev composites), 512 / the longer side above 1280x720's pixels
     * (1080x1080 at 0.5 is over the engine's activation cap) */
    float r = bd_rvm_auto_ratio(1280, 720);
    CHECK(r == 0.5f, "auto ratio 1280x720: %g", (double)r);
    r = bd_rvm_auto_ratio(720, 1280);
    CHECK(r == 0.5f, "auto ratio 720x1280: %g", (double)r);
    r = bd_rvm_auto_ratio(1080, 1080);
    CHECK(r > 0.473f && r < 0.475f, "auto ratio 1080x1080: %g", (double)r);
    r = bd_rvm_auto_ratio(1280, 1024);
    CHECK(r > 0.399f && r < 0.401f, "auto ratio 1280x1024: %g", (double)r);
    r = bd_rvm_auto_ratio(480, 640);
    CHECK(r > 0.799f && r < 0.801f, "auto ratio 480x640: %g", (double)r);
    CHECK(bd_rvm_auto_ratio(320, 240) == 1.f, "auto ratio 320x240: %g",
          (double)bd_rvm_auto_ratio(320, 240));
    int w, h;
    bd_rvm_size(1920, 1080, &w, &h);
    CHECK(w == 1280 && h == 720, "size 1920x1080 -> %dx%d", w, h);
    bd_rvm_size(960, 540, &w, &h);
    CHECK(w == 960 && h == 540, "size 960x540 -> %dx%d", w, h);

    struct bd_settings *s = NULL;
    struct bd_pipeline_config c;
    CHECK(bd_settings_create(&s) == BD_OK && bd_settings_set(s, "model", "rvm") == BD_OK &&
              bd_settings_to_config(s, &c) == BD_OK && c.rvm_ratio == 0.f &&
              !strcmp(c.model, "rvm"),
          "rvm-ratio auto: %g", (double)c.rvm_ratio);
    CHECK(bd_settings_set(s, "rvm-ratio", "0.3") == BD_OK && bd_settings_to_config(s, &c) == BD_OK &&
              c.rvm_ratio > 0.299f && c.rvm_ratio < 0.301f && !c.rvm_bare,
          "rvm-ratio 0.3: %g", (double)c.rvm_ratio);
    CHECK(bd_settings_set(s, "rvm-fuse", "off") == BD_OK && bd_settings_to_config(s, &c) == BD_OK &&
              c.rvm_bare == 1,
          "rvm-fuse off: bare %d", c.rvm_bare);
    int bad = 0;
    const char *no[] = {"0", "1.5", "0.01", "x", "0.3x", ""};
    for (int i = 0; i < 6; i++) {
        int e = bd_settings_set(s, "rvm-ratio", no[i]);
        if (e == BD_OK)
            e = bd_settings_to_config(s, &c);
        bad += e == BD_ERR_INVALID_ARG && strstr(bd_last_error(), "rvm-ratio");
    }
    CHECK(bad == 6, "rvm-ratio: %d of 6 bad values refused (%s)", bad, bd_last_error());
    bd_settings_destroy(s);
}

static void test_missing(void)
{
    const char *old = getenv("BACKDROP_RVM_DIR");
    char keep[4096] = "";
    if (old)
        snprintf(keep, sizeof keep, "%s", old);
    setenv("BACKDROP_RVM_DIR", "/nonexistent/rvm", 1);
    struct bd_pipeline_config c = {.model = "rvm", .input = VIDEO, .output = "null"};
    struct bd_still *st = NULL;
    int r = bd_still_create(&c, &st);
    CHECK(r == BD_ERR_NOT_FOUND && !st && strstr(bd_last_error(), "/nonexistent/rvm/rvm.json") &&
              strstr(bd_last_error(), "make models-rvm"),
          "still without RVM: %d %s", r, bd_last_error());
    struct bd_pipeline *p = NULL;
    r = bd_pipeline_create(&c, &p);
    CHECK(r == BD_ERR_NOT_FOUND && !p && strstr(bd_last_error(), "make models-rvm"),
          "pipeline without RVM: %d %s", r, bd_last_error());
    /* files before devices: the model's files are checked before the
     * input is opened (a camera's light stays off) */
    c.input = "/nonexistent/in.mp4";
    r = bd_pipeline_create(&c, &p);
    CHECK(r == BD_ERR_NOT_FOUND && !p && strstr(bd_last_error(), "make models-rvm"),
          "pipeline without RVM, bad input: %d %s", r, bd_last_error());
    struct bd_filter *f = NULL;
    r = bd_filter_create(&c, BD_FILTER_EXACT, &f);
    CHECK(r == BD_ERR_NOT_FOUND && !f && strstr(bd_last_error(), "make models-rvm"),
          "filter without RVM: %d %s", r, bd_last_error());
    if (old)
        setenv("BACKDROP_RVM_DIR", keep, 1);
    else
        unsetenv("BACKDROP_RVM_DIR");
}

static void test_still(void)
{
    struct bd_image im = {0}, gt = {0}, im2 = {0};
    if (bd_image_load(PORTRAIT, 0, &im) != BD_OK || bd_image_load(PORTRAIT_GT, 0, &gt) != BD_OK ||
        bd_image_load(STILL2, 0, &im2) != BD_OK) {
        SKIP_PROVIDED("%s: %s", PORTRAIT, bd_last_error());
        return;
    }
    struct bd_pipeline_config c = {.model = "rvm"};
    struct bd_still *s = NULL;
    int r = bd_still_create(&c, &s);
    CHECK(r == BD_OK, "bd_still_create rvm: %s", bd_last_error());
    if (r != BD_OK)
        return;
    uint8_t *m = malloc((size_t)im.width * im.height);
    r = bd_still_mask(s, &im, m, im.width);
    CHECK(r == BD_OK, "bd_still_mask: %s", bd_last_error());
    long inter = 0, uni = 0, soft = 0;
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width; x++) {
            int a = m[(size_t)y * im.width + x] >= 128;
            int b = gt.data[(size_t)y * gt.stride + (size_t)x * gt.channels] >= 128;
            inter += a && b;
            uni += a || b;
            int v = m[(size_t)y * im.width + x];
            soft += v > 16 && v < 240;
        }
    double iou = uni ? (double)inter / uni : 0;
    CHECK(iou > 0.93, "portrait IoU %.3f", iou);
    /* a matte: a soft edge a few pixels wide, not a hard cut */
    CHECK(soft > im.width && soft < (long)im.width * im.height / 10, "soft pixels %ld", soft);
    struct bd_model_info info;
    bd_model_get_info(bd_still_model(s), &info);
    CHECK(info.in_width == im.width && info.in_height == im.height && !strcmp(info.name, "rvm"),
          "made for %dx%d: %s %dx%d", im.width, im.height, info.name, info.in_width,
          info.in_height);
    /* the same image again gives the same alpha (each still stands alone:
     * the state starts from zero) */
    uint8_t *m2 = malloc((size_t)im.width * im.height);
    r = bd_still_mask(s, &im, m2, im.width);
    CHECK(r == BD_OK && !memcmp(m, m2, (size_t)im.width * im.height), "same still, same alpha");
    /* another size: remade */
    uint8_t *m3 = malloc((size_t)im2.width * im2.height);
    r = bd_still_mask(s, &im2, m3, im2.width);
    bd_model_get_info(bd_still_model(s), &info);
    CHECK(r == BD_OK && info.in_width == im2.width && info.in_height == im2.height,
          "second size %dx%d: %d %dx%d", im2.width, im2.height, r, info.in_width, info.in_height);
    /* fused: bd_mask_fuse of the bare alpha and the general model's mask
     * (a still's person part) */
    {
        struct bd_pipeline_config cb = {.model = "rvm", .rvm_bare = 1}, cg = {.model = "general"};
        struct bd_still *sb = NULL, *sg = NULL;
        const size_t n = (size_t)im.width * im.height;
        uint8_t *mb = malloc(n), *mg = malloc(n), *mf = malloc(n);
        void *scr = malloc(bd_mask_fuse_scratch(im.width, im.height));
        struct bd_fuse_options fo;
        bd_fuse_options_default(im.width, im.height, &fo);
        int ok = bd_still_create(&cb, &sb) == BD_OK && bd_still_create(&cg, &sg) == BD_OK &&
                 bd_still_mask(sb, &im, mb, im.width) == BD_OK &&
                 bd_still_mask(sg, &im, mg, im.width) == BD_OK &&
                 bd_mask_fuse(mb, im.width, mg, im.width, im.width, im.height, &fo, scr, mf,
                              im.width) == BD_OK;
        long d = 0, db = 0;
        for (size_t i = 0; ok && i < n; i++) {
            d += mf[i] != m[i];
            db += mb[i] != m[i];
        }
        CHECK(ok && d == 0 && db > 0, "still fused = fuse(bare, default): %ld differ (%ld from bare): %s",
              d, db, bd_last_error());
        bd_still_destroy(sb);
        bd_still_destroy(sg);
        free(mb);
        free(mg);
        free(mf);
        free(scr);
    }
    /* cutout: the alpha channel is the mask */
    uint8_t *rgba = malloc((size_t)im.width * im.height * 4);
    r = bd_still_cutout(s, &im, rgba, im.width * 4);
    long diff = 0;
    for (size_t i = 0; r == BD_OK && i < (size_t)im.width * im.height; i++)
        diff += rgba[4 * i + 3] != m[i];
    CHECK(r == BD_OK && diff == 0, "cutout alpha = mask (%ld differ)", diff);
    free(rgba);
    free(m);
    free(m2);
    free(m3);
    bd_still_destroy(s);
    bd_image_free(&im);
    bd_image_free(&im2);
    bd_image_free(&gt);
}

/* A 4-frame clip of the video (its first frames) as a y4m file. */
static int make_clip(const char *path, int n)
{
    struct bd_pipeline_config c = {.input = VIDEO, .output = path, .effect = BD_EFFECT_NONE,
                                   .max_frames = n, .pace = BD_PACE_OFFLINE};
    struct bd_pipeline *p = NULL;
    if (bd_pipeline_create(&c, &p) != BD_OK)
        return -1;
    int r = bd_pipeline_run(p, NULL, NULL);
    bd_pipeline_destroy(p);
    return r;
}

static int read_frames(const char *path, uint8_t **y, int max, int *w, int *h)
{
    FILE *fp = fopen(path, "rb");
    struct bd_y4m_reader *r = NULL;
    if (!fp || bd_y4m_reader_open(fileno(fp), path, &r) != BD_OK) {
        if (fp)
            fclose(fp);
        return 0;
    }
    *w = bd_y4m_reader_info(r)->width;
    *h = bd_y4m_reader_info(r)->height;
    int n = 0, cw = (*w + 1) / 2, ch = (*h + 1) / 2;
    uint8_t *u = malloc((size_t)cw * ch), *v = malloc((size_t)cw * ch);
    while (n < max) {
        y[n] = malloc((size_t)*w * *h);
        struct bd_i420 d = {y[n], u, v, *w, cw, cw, *w, *h};
        if (bd_y4m_reader_read(r, &d) != BD_OK) {
            free(y[n]);
            break;
        }
        n++;
    }
    free(u);
    free(v);
    bd_y4m_reader_close(r);
    fclose(fp);
    return n;
}

/* the status callbacks' mask rates (bd_pipeline_stats.mask_fps) */
struct rates {
    int calls, with_masks, off;
};

static void on_status(const struct bd_pipeline_stats *s, void *user)
{
    struct rates *r = user;
    r->calls++;
    r->with_masks += s->mask_fps > 0;
    /* offline, every frame gets its own mask: the rates differ by at
     * most the frame or two a tick can fall between */
    r->off += s->out_fps > 0 && fabs(s->mask_fps - s->out_fps) > 1.5 + 0.5 * s->out_fps;
}

static void test_pipeline_loop(void)
{
    char clip[] = "/tmp/bd_rvm_clipXXXXXX", out[64];
    int fd = mkstemp(clip);
    if (fd < 0)
        return;
    close(fd);
    char clip2[80];
    snprintf(clip2, sizeof clip2, "%s.y4m", clip);
    rename(clip, clip2);
    snprintf(out, sizeof out, "%s.out.y4m", clip);
    if (make_clip(clip2, 4) != BD_OK) {
        SKIP_PROVIDED("%s: %s", VIDEO, bd_last_error());
        unlink(clip2);
        return;
    }
    /* bare: the fused mask's person part (the camera's default model)
     * keeps its own temporal state over a loop */
    struct bd_pipeline_config c = {.input = clip2, .output = out, .model = "rvm", .loop = 1,
                                   .rvm_bare = 1, .effect = BD_EFFECT_COLOR, .color = 0x00ff00,
                                   .max_frames = 8, .pace = BD_PACE_OFFLINE};
    struct bd_pipeline *p = NULL;
    int r = bd_pipeline_create(&c, &p);
    CHECK(r == BD_OK, "pipeline rvm: %s", bd_last_error());
    if (r == BD_OK) {
        struct rates rt = {0, 0, 0};
        r = bd_pipeline_run(p, on_status, &rt);
        struct bd_pipeline_stats st;
        bd_pipeline_get_stats(p, &st);
        CHECK(r == BD_OK && st.model_runs >= 4 && !strcmp(st.model_name, "rvm"),
              "run: %d, %llu model runs, model %s", r, (unsigned long long)st.model_runs,
              st.model_name);
        /* the status line's mask rate (issue 18: the camera shows it) */
        CHECK(rt.calls > 0 && rt.with_masks > 0 && rt.off == 0,
              "mask rate: %d status calls, %d with masks, %d off the output rate", rt.calls,
              rt.with_masks, rt.off);
        bd_pipeline_destroy(p);
        uint8_t *y[8];
        int w = 0, h = 0, n = read_frames(out, y, 8, &w, &h);
        CHECK(n == 8, "%d frames out", n);
        if (n == 8) {
            /* zero state at the loop: frame 4 is frame 0 again, byte for
             * byte; frame 3 -> 4 is a cut, which the state would carry */
            long d04 = 0, green = 0;
            for (size_t i = 0; i < (size_t)w * h; i++) {
                d04 += y[0][i] != y[4][i];
                green += y[0][i] == y[0][0];
            }
            CHECK(d04 == 0, "frame 4 (after the loop) differs from frame 0 in %ld pixels", d04);
            CHECK(green > (long)w * h / 10 && green < (long)w * h * 9 / 10,
                  "frame 0 is part background, part person (%ld of %d)", green, w * h);
        }
        for (int i = 0; i < n; i++)
            free(y[i]);
    }
    unlink(clip2);
    unlink(out);
}

/* The model "auto" takes, per job (issue 18: RVM is the default where
 * time matters less, when it is installed) */
static const char *auto_pipeline_model(const char *input, const char *output, char *name,
                                       size_t size)
{
    struct bd_pipeline_config c = {.input = input, .output = output, .max_frames = 1};
    struct bd_pipeline *p = NULL;
    if (bd_pipeline_create(&c, &p) != BD_OK) {
        snprintf(name, size, "(create failed: %s)", bd_last_error());
        return name;
    }
    struct bd_pipeline_stats st;
    bd_pipeline_get_stats(p, &st);
    snprintf(name, size, "%s", st.model_name);
    bd_pipeline_destroy(p);
    return name;
}

static const char *auto_still_model(int raw, char *name, size_t size)
{
    struct bd_pipeline_config c = {.model = "auto", .raw_mask = raw};
    struct bd_still *s = NULL;
    if (bd_still_create(&c, &s) != BD_OK) {
        snprintf(name, size, "(create failed: %s)", bd_last_error());
        return name;
    }
    struct bd_model_info info;
    bd_model_get_info(bd_still_model(s), &info);
    snprintf(name, size, "%s", info.name);
    bd_still_destroy(s);
    return name;
}

static void test_auto(void)
{
    char clip[] = "/tmp/bd_rvm_autoXXXXXX", in[64], out[80], name[256];
    int fd = mkstemp(clip);
    if (fd < 0)
        return;
    close(fd);
    unlink(clip);
    snprintf(in, sizeof in, "%s.y4m", clip);
    snprintf(out, sizeof out, "%s.out.y4m", clip);
    if (make_clip(in, 2) != BD_OK) {
        SKIP_PROVIDED("%s: %s", VIDEO, bd_last_error());
        return;
    }
    const char *a = bd_model_auto_offline();
    CHECK(a && !strcmp(a, "rvm"), "auto offline with RVM installed: %s", a ? a : "(none)");
    CHECK(!strcmp(auto_still_model(0, name, sizeof name), "rvm"), "a photo's auto: %s", name);
    CHECK(!strcmp(auto_still_model(1, name, sizeof name), "general"),
          "a raw mask's auto (the tensor tools): %s", name);
    CHECK(!strcmp(auto_pipeline_model(in, out, name, sizeof name), "rvm"),
          "a file-to-file run's auto: %s", name);
    /* watched as it plays: the camera's choice (the clip is 960x540) */
    CHECK(!strcmp(auto_pipeline_model(in, "null", name, sizeof name), "landscape"),
          "file to the null sink: %s", name);
    /* without RVM: MediaPipe */
    const char *keep = getenv("BACKDROP_RVM_DIR");
    char old[4096];
    snprintf(old, sizeof old, "%s", keep ? keep : "");
    setenv("BACKDROP_RVM_DIR", "/nonexistent/rvm", 1);
    CHECK(bd_model_auto_offline() == NULL, "auto offline without RVM: none");
    CHECK(!strcmp(auto_still_model(0, name, sizeof name), "general"), "a photo without RVM: %s",
          name);
    CHECK(!strcmp(auto_pipeline_model(in, out, name, sizeof name), "landscape"),
          "a file-to-file run without RVM: %s", name);
    if (keep)
        setenv("BACKDROP_RVM_DIR", old, 1);
    else
        unsetenv("BACKDROP_RVM_DIR");
    unlink(in);
    unlink(out);
}

static void test_filter_reset(void)
{
    struct bd_file_source *src = NULL;
    struct bd_file_source_options o = {.loop = false, .threads = 1};
    if (bd_file_source_open(VIDEO, &o, &src) != BD_OK) {
        SKIP_PROVIDED("%s: %s", VIDEO, bd_last_error());
        return;
    }
    const int W = bd_file_source_info(src)->width, H = bd_file_source_info(src)->height;
    uint8_t *mem[3];
    struct bd_i420 fr[3];
    for (int i = 0; i < 3; i++) {
        bd_i420_alloc(W, H, &mem[i], &fr[i]);
        bd_file_source_read(src, &fr[i], NULL);
        for (int k = 0; k < 10; k++) /* frames a third of a second apart */
            bd_file_source_read(src, &fr[i], NULL);
    }
    bd_file_source_close(src);
    struct bd_pipeline_config c = {.model = "rvm", .width = W, .height = H,
                                   .effect = BD_EFFECT_COLOR, .color = 0x00ff00};
    struct bd_filter *f = NULL;
    int r = bd_filter_create(&c, BD_FILTER_EXACT, &f);
    CHECK(r == BD_OK, "filter rvm: %s", bd_last_error());
    if (r != BD_OK)
        return;
    size_t n = (size_t)W * H;
    uint8_t *first = malloc(n), *again = malloc(n), *carried = malloc(n);
    uint8_t *outbuf = malloc(n * 3 / 2 + 64);
    struct bd_video_frame out = {BD_PIX_I420, W, H, {outbuf, outbuf + n, outbuf + n + n / 4},
                                 {W, W / 2, W / 2}, 0, BD_MATRIX_BT601, BD_RANGE_LIMITED, 0};
    const uint8_t *mk;
    int ms, mw, mh;
    int ok = 1;
    for (int step = 0; step < 6 && ok; step++) {
        int k = step < 3 ? step : step == 3 ? 0 : step == 4 ? 1 : 0;
        if (step == 3)
            bd_filter_reset(f);
        struct bd_video_frame in = {BD_PIX_I420, W, H, {fr[k].y, fr[k].u, fr[k].v},
                                    {fr[k].stride_y, fr[k].stride_u, fr[k].stride_v}, step,
                                    BD_MATRIX_BT601, BD_RANGE_LIMITED, 0};
        ok = bd_filter_process(f, &in, &out) == BD_OK &&
             bd_filter_mask(f, &mk, &ms, &mw, &mh) == BD_OK;
        uint8_t *dst = step == 0 ? first : step == 3 ? again : step == 5 ? carried : NULL;
        for (int yy = 0; ok && dst && yy < H; yy++)
            memcpy(dst + (size_t)yy * W, mk + (size_t)yy * ms, (size_t)W);
    }
    CHECK(ok, "filter process: %s", bd_last_error());
    long dr = 0, dc = 0;
    for (size_t i = 0; i < n; i++) {
        dr += first[i] != again[i];
        dc += first[i] != carried[i];
    }
    CHECK(dr == 0, "after reset the first frame's mask again (%ld differ)", dr);
    CHECK(dc > 100, "without reset the state carries (%ld differ)", dc);
    bd_filter_destroy(f);
    free(first);
    free(again);
    free(carried);
    free(outbuf);
    for (int i = 0; i < 3; i++)
        free(mem[i]);
}


/* bd_mask_fuse against naive code: every window scanned pixel by pixel. */
static void test_fuse_naive(void)
{
    enum { W = 53, H = 41 };
    static uint8_t a[W * H], pm[W * H], out[W * H];
    static uint32_t scratch[2 * W * H];
    uint32_t seed = 7;
    for (int i = 0; i < W * H; i++) {
        seed = seed * 1664525u + 1013904223u;
        a[i] = (uint8_t)(seed >> 24);
    }
    /* a blob with a ragged edge, and a lone pixel */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int dx = x - 25, dy = y - 20;
            seed = seed * 1664525u + 1013904223u;
            pm[y * W + x] = dx * dx + dy * dy < 150 + (int)(seed >> 28) * 8 ? 200 : 30;
        }
    pm[3 * W + 50] = 255;
    CHECK(bd_mask_fuse_scratch(W, H) <= sizeof scratch, "scratch size %zu",
          bd_mask_fuse_scratch(W, H));
    int bad = 0;
    for (int mode = BD_FUSE_MEAN; mode <= BD_FUSE_BAND; mode++)
        for (int r = 0; r <= 6; r += 3) {
            struct bd_fuse_options o = {.mode = (enum bd_fuse_mode)mode, .radius = r,
                                        .weight = 128, .edge_weight = 128};
            if (bd_mask_fuse(a, W, pm, W, W, H, &o, scratch, out, W) != BD_OK) {
                bad++;
                continue;
            }
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int any = 0, all = 1;
                    for (int v = y - r; v <= y + r; v++)
                        for (int u = x - r; u <= x + r; u++) {
                            if (u < 0 || v < 0 || u >= W || v >= H)
                                continue;
                            int on = pm[v * W + u] >= 128;
                            any |= on;
                            all &= on;
                        }
                    const int i = y * W + x;
                    int want = mode == BD_FUSE_MEAN   ? (a[i] + pm[i] + 1) / 2
                               : mode == BD_FUSE_GATE ? (any ? a[i] : 0)
                                                      : (any && !all ? a[i] : pm[i]);
                    bad += out[i] != want;
                }
        }
    CHECK(bad == 0, "bd_mask_fuse vs naive: %d pixels differ", bad);
    /* the weighted mean: the alpha's share goes from edge_weight where the
     * person mask is 127/128 to weight where it is 0/255, every pair of
     * values */
    static uint8_t a2[256 * 256], p2[256 * 256], o2[256 * 256];
    for (int i = 0; i < 256 * 256; i++) {
        a2[i] = (uint8_t)(i & 255);
        p2[i] = (uint8_t)(i >> 8);
    }
    const int wts[][2] = {{128, 128}, {102, 192}, {256, 0}, {0, 256}, {154, 77}};
    int wbad = 0, ends = 0;
    for (int k = 0; k < 5; k++) {
        struct bd_fuse_options ow = {.mode = BD_FUSE_MEAN, .weight = wts[k][0],
                                     .edge_weight = wts[k][1]};
        if (bd_mask_fuse(a2, 256, p2, 256, 256, 256, &ow, NULL, o2, 256) != BD_OK) {
            wbad++;
            continue;
        }
        for (int i = 0; i < 256 * 256; i++) {
            const double sure = fabs(2.0 * p2[i] - 255.0); /* 1 .. 255 */
            const double w = floor((wts[k][1] * (255 - sure) + wts[k][0] * (sure - 1)) / 254 + 0.5);
            const int want = (int)floor((a2[i] * w + p2[i] * (256 - w)) / 256 + 0.5);
            wbad += o2[i] != want;
        }
        /* weight 0 / edge 256: the person mask where it is sure, the
         * alpha where it is unsure */
        if (k == 3)
            for (int i = 0; i < 256 * 256; i++)
                ends += (p2[i] == 0 && o2[i] != 0) || (p2[i] == 255 && o2[i] != 255) ||
                        ((p2[i] == 127 || p2[i] == 128) && o2[i] != a2[i]);
    }
    CHECK(wbad == 0 && ends == 0, "weighted mean vs naive: %d values differ, %d at the ends", wbad,
          ends);
    struct bd_fuse_options o = {.mode = BD_FUSE_BAND, .radius = -1};
    CHECK(bd_mask_fuse(a, W, pm, W, W, H, &o, scratch, out, W) == BD_ERR_INVALID_ARG,
          "negative radius refused");
    struct bd_fuse_options d;
    bd_fuse_options_default(1280, 720, &d);
    /* RVM 0.4 where our mask is sure, all of it where unsure: the one
     * fusion that met both still targets (bench/rvm-fusion.md) */
    CHECK(d.mode == BD_FUSE_MEAN && d.weight == 102 && d.edge_weight == 256,
          "default fusion at 720p: mode %d weight %d edge %d", d.mode, d.weight, d.edge_weight);
}

/* The fused mask of a filter is bd_mask_fuse of the bare alpha and the
 * camera's default mask, byte for byte, frame after frame. */
static void test_fused(void)
{
    struct bd_file_source *src = NULL;
    struct bd_file_source_options o = {.loop = false, .threads = 1};
    if (bd_file_source_open(VIDEO, &o, &src) != BD_OK) {
        SKIP_PROVIDED("%s: %s", VIDEO, bd_last_error());
        return;
    }
    const int W = bd_file_source_info(src)->width, H = bd_file_source_info(src)->height;
    uint8_t *mem;
    struct bd_i420 fr;
    bd_i420_alloc(W, H, &mem, &fr);
    struct bd_pipeline_config c = {.model = "rvm", .width = W, .height = H,
                                   .effect = BD_EFFECT_COLOR, .color = 0x00ff00};
    struct bd_filter *fl[3] = {NULL, NULL, NULL};
    int ok = bd_filter_create(&c, BD_FILTER_EXACT, &fl[0]) == BD_OK;
    c.rvm_bare = 1;
    ok = ok && bd_filter_create(&c, BD_FILTER_EXACT, &fl[1]) == BD_OK;
    c.rvm_bare = 0;
    c.model = "auto";
    ok = ok && bd_filter_create(&c, BD_FILTER_EXACT, &fl[2]) == BD_OK;
    CHECK(ok, "filters: %s", bd_last_error());
    const size_t n = (size_t)W * H;
    uint8_t *mk[3], *fused = malloc(n), *outbuf = malloc(n * 3 / 2 + 64);
    void *scratch = malloc(bd_mask_fuse_scratch(W, H));
    for (int i = 0; i < 3; i++)
        mk[i] = malloc(n);
    long diff = 0, dbare = 0, dsmooth = 0;
    /* the fused mask is smoothed in time (bd_fuse_smooth_options) */
    uint8_t *raw_fused = malloc(n);
    struct bd_refine_options so;
    bd_fuse_smooth_options(&so);
    struct bd_refiner *sm = NULL, *flat = NULL;
    ok = ok && bd_refiner_create(W, H, W, H, &so, &sm) == BD_OK;
    /* the same without its temporal state: what the smoothing in time adds */
    so.temporal = 0;
    ok = ok && bd_refiner_create(W, H, W, H, &so, &flat) == BD_OK;
    uint8_t *flat_out = malloc(n);
    for (int k = 0; ok && k < 3; k++) {
        for (int s = 0; s < 5; s++)
            bd_file_source_read(src, &fr, NULL);
        for (int i = 0; ok && i < 3; i++) {
            struct bd_video_frame in = {BD_PIX_I420, W, H, {fr.y, fr.u, fr.v},
                                        {fr.stride_y, fr.stride_u, fr.stride_v}, k,
                                        BD_MATRIX_BT601, BD_RANGE_LIMITED, 0};
            struct bd_video_frame out = {BD_PIX_I420, W, H,
                                         {outbuf, outbuf + n, outbuf + n + n / 4},
                                         {W, W / 2, W / 2}, 0, BD_MATRIX_BT601, BD_RANGE_LIMITED, 0};
            const uint8_t *m;
            int ms, mw, mh;
            ok = bd_filter_process(fl[i], &in, &out) == BD_OK &&
                 bd_filter_mask(fl[i], &m, &ms, &mw, &mh) == BD_OK;
            for (int y = 0; ok && y < H; y++)
                memcpy(mk[i] + (size_t)y * W, m + (size_t)y * ms, (size_t)W);
        }
        struct bd_fuse_options fo;
        bd_fuse_options_default(W, H, &fo);
        ok = ok && bd_mask_fuse(mk[1], W, mk[2], W, W, H, &fo, scratch, raw_fused, W) == BD_OK &&
             bd_refiner_run(sm, raw_fused, W, fr.y, fr.stride_y, NULL, NULL, 0, fused, W) == BD_OK &&
             bd_refiner_run(flat, raw_fused, W, fr.y, fr.stride_y, NULL, NULL, 0, flat_out, W) == BD_OK;
        for (size_t i = 0; ok && i < n; i++) {
            diff += fused[i] != mk[0][i];
            dbare += mk[1][i] != mk[0][i];
            dsmooth += k > 0 && flat_out[i] != fused[i];
        }
    }
    CHECK(ok, "filter runs: %s", bd_last_error());
    CHECK(diff == 0, "fused = smoothed bd_mask_fuse(bare alpha, default mask): %ld differ", diff);
    CHECK(dbare > 100, "fused differs from the bare alpha (%ld pixels)", dbare);
    CHECK(dsmooth > 100, "the smoothing in time changes the fused mask (%ld pixels of frames 2-3)",
          dsmooth);
    bd_refiner_destroy(sm);
    bd_refiner_destroy(flat);
    free(flat_out);
    free(raw_fused);
    for (int i = 0; i < 3; i++) {
        bd_filter_destroy(fl[i]);
        free(mk[i]);
    }
    free(fused);
    free(outbuf);
    free(scratch);
    free(mem);
    bd_file_source_close(src);
}

/* engine.c's auto_backend keeps RVM on ref with 2 threads too (XNNPACK,
 * which takes only part of its graph, ran it 4 to 5 times slower:
 * bench/rvm-fusion.md); BACKDROP_BACKEND=xnnpack still forces XNNPACK. */
static void test_backend(void)
{
    const enum bd_backend fast = bd_ref_fma_kernels() ? BD_BACKEND_REF : BD_BACKEND_XNNPACK;
    const struct {
        int threads;
        const char *env;
        enum bd_backend want;
    } cs[] = {{1, NULL, fast}, {2, NULL, fast}, {2, "xnnpack", BD_BACKEND_XNNPACK},
              {1, "xnnpack", BD_BACKEND_XNNPACK}, {2, "ref", BD_BACKEND_REF}};
    struct bd_model *m = NULL;
    if (bd_model_open_rvm(640, 480, 0.f, &m) != BD_OK) {
        CHECK(0, "bd_model_open_rvm 640x480: %s", bd_last_error());
        return;
    }
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        if (cs[i].env)
            setenv("BACKDROP_BACKEND", cs[i].env, 1);
        else
            unsetenv("BACKDROP_BACKEND");
        struct bd_engine_options o = {BD_BACKEND_AUTO, cs[i].threads};
        struct bd_engine *e = NULL;
        const enum bd_status r = bd_engine_create(m, &o, &e);
#ifndef BD_HAVE_XNNPACK
        if (cs[i].want == BD_BACKEND_XNNPACK) {
            bd_engine_destroy(e);
            continue; /* test_xnn_vs_ref fails a CI build without XNNPACK */
        }
#endif
        CHECK(r == BD_OK && bd_engine_backend(e) == cs[i].want,
              "rvm, %d threads, BACKDROP_BACKEND=%s: %s (want %s)", cs[i].threads,
              cs[i].env ? cs[i].env : "(unset)", r == BD_OK ? bd_backend_name(bd_engine_backend(e)) : bd_last_error(),
              bd_backend_name(cs[i].want));
        bd_engine_destroy(e);
    }
    unsetenv("BACKDROP_BACKEND");
    bd_model_destroy(m);
}

int main(void)
{
    check_use_rvm();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    test_names();
    test_fuse_naive();
    char path[4096];
    if (bd_rvm_path(path, sizeof path) != BD_OK) {
        SKIP_PROVIDED("%s", bd_last_error());
        return check_report();
    }
    /* each part's time: RVM is 20 to 70 times the selfie model's cost,
     * and 50 times slower again under ASan+UBSan, so CI's budget is
     * spent here first */
    const struct {
        const char *name;
        void (*fn)(void);
    } parts[] = {{"backend", test_backend},       {"missing", test_missing},
                 {"still", test_still},           {"pipeline_loop", test_pipeline_loop},
                 {"auto", test_auto},
                 {"filter_reset", test_filter_reset}, {"fused", test_fused}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
#if defined(__SANITIZE_ADDRESS__) && defined(BD_HAVE_XNNPACK)
        /* Under ASan+UBSan our instrumented conv kernels run RVM about 50
         * times slower (a 600x800 still: 133 s against 4.7 s with
         * XNNPACK, which Debian builds uninstrumented), and this test took
         * 596 s of CI's asan suite. After the backend part, the rest takes
         * XNNPACK for the convolutions it accepts: what is RVM's own (the
         * TF.js reader, its other ops on ref, the recurrent state, the
         * fusion, the filter and pipeline) stays instrumented, and the conv
         * kernels are instrumented in test_ref_kernels and the selfie
         * models' ref runs. */
        if (i == 1) {
            setenv("BACKDROP_BACKEND", "xnnpack", 1);
            printf("test_rvm: under ASan, XNNPACK takes RVM's convolutions from here\n");
        }
#endif
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        parts[i].fn();
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("test_rvm: %s %.1f s\n", parts[i].name,
               (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("test_rvm: %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return check_report();
}
