/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Golden test: backdrop's engine against real TensorFlow Lite, end to end.
 *
 * For every model and every real photo, two comparisons with TFLite compiled
 * to WebAssembly (tools/tfliteref, from npm's @100mslive/hms-virtual-
 * background; tools/tfjsref, npm's tfjs-tflite, for the models too large
 * for the first):
 *  - kernels: the input tensor the engine prepared goes through both
 *    backends and through TFLite; outputs must agree within 1e-4 and no
 *    pixel's person probability may cross 0.5 between them;
 *  - end to end: TFLite runs on an input built here, independently of the
 *    engine, from the decoded photo (a plain centred bilinear written
 *    below, then the model's documented range), against the probability map
 *    bd_engine_segment_rgb makes from the same photo with its own scaling
 *    and normalisation. The bounds (see E2E_*) come from measurements.
 * DeepLab and BodyPix are also checked ref-vs-xnnpack, and DeepLab's person
 * class against the selfie model.
 *
 * Everything here comes with the project's set-up (the photos and models in
 * ../shared/data, the npm packages): a missing one is a skip, and a failure
 * under CI=true (tests/check.h).
 *
 * usage: golden HMS_PACKAGE_DIR SHARED_DATA_DIR SHARED_MODELS_DIR TFJSREF_DIR
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backdrop.h"
#include "check.h"

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok)
        passed++;
    else
        failed++;
}

static const char *tmpdir;

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static int read_file(const char *path, void *p, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t r = fread(p, 1, n, f);
    int extra = fgetc(f) != EOF;
    fclose(f);
    return r == n && !extra ? 0 : -1;
}

/* Person probability of one output element, as the engine decodes it. */
static float person(const struct bd_model_info *i, const float *o, size_t px)
{
    const float *x = o + px * (size_t)i->out_channels;
    switch (i->output_kind) {
    case BD_OUTPUT_PROBABILITY: return x[0];
    case BD_OUTPUT_LOGIT: return 1.f / (1.f + expf(-x[0]));
    default: {
        /* as the engine decodes: the class against the best other class */
        float other = -INFINITY;
        for (int c = 0; c < i->out_channels; c++)
            if (c != i->default_class && x[c] > other)
                other = x[c];
        return 1.f / (1.f + expf(other - x[i->default_class]));
    }
    }
}

/* max_diff is over the person probability the engine decodes (for the
 * selfie models that is the raw output; for logit models it is after the
 * softmax/sigmoid); raw_diff is over the raw output tensor, for reference:
 * Meet's and DeepLab's logits reach |30|, where one float32 ulp is 2e-6. */
struct cmp {
    double max_diff, raw_diff;
    long crossings;
};

static struct cmp compare(const struct bd_model_info *i, const float *a, const float *b)
{
    struct cmp c = {0, 0, 0};
    size_t px = (size_t)i->out_width * i->out_height;
    size_t n = px * (size_t)i->out_channels;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - (double)b[k]);
        if (d > c.raw_diff || isnan(d))
            c.raw_diff = isnan(d) ? INFINITY : d;
    }
    for (size_t p = 0; p < px; p++) {
        float pa = person(i, a, p), pb = person(i, b, p);
        double d = fabs((double)pa - (double)pb);
        if (d > c.max_diff || isnan(d))
            c.max_diff = isnan(d) ? INFINITY : d;
        if ((pa >= 0.5f) != (pb >= 0.5f))
            c.crossings++;
    }
    return c;
}

/* End to end, the two inputs differ by the scalers' rounding and sampling
 * (libyuv's fixed-point bilinear against the doubles below), so single
 * pixels near the person's edge can move far; what must hold is the map as
 * a whole: mean |diff| of the person probability, and the share of pixels
 * on different sides of 0.5 (of the pixels either map calls person, so a
 * small person is not diluted by a large background). */
struct e2e {
    double mean_diff, max_diff, disagree;
};

static struct e2e compare_e2e(const struct bd_model_info *i, const float *a, const float *b)
{
    size_t px = (size_t)i->out_width * i->out_height;
    double sum = 0, mx = 0;
    size_t either = 0, differ = 0;
    for (size_t p = 0; p < px; p++) {
        float pa = person(i, a, p), pb = person(i, b, p);
        double d = fabs((double)pa - (double)pb);
        if (isnan(d))
            d = INFINITY;
        sum += d;
        mx = fmax(mx, d);
        either += pa >= 0.5f || pb >= 0.5f;
        differ += (pa >= 0.5f) != (pb >= 0.5f);
    }
    struct e2e e = {sum / (double)px, mx, either ? (double)differ / (double)either : 0};
    return e;
}

/* The model's input range, as its own documentation gives it (model cards,
 * tools/tfjsref/README.md), not as the engine's tables say. */
enum range { RANGE_0_1, RANGE_M1_1 };

/* The reference input: the photo stretched to w x h (the whole image, no
 * crop, as bd_engine_segment_rgb documents), each model pixel the bilinear
 * interpolation of the photo at that pixel's centre ((x + 0.5) * W / w - 0.5,
 * clamped to the photo), as the camera's scaler and the models' own
 * bilinear resizes sample; R, G, B in order, then scaled to the model's
 * range. In doubles, slow and plain on purpose. */
static double tap(double pos, int n, int *i0, int *i1)
{
    if (pos < 0)
        pos = 0;
    if (pos > n - 1)
        pos = n - 1;
    *i0 = (int)floor(pos);
    *i1 = *i0 + 1 < n ? *i0 + 1 : *i0;
    return pos - *i0;
}

static void reference_input(const struct bd_image *img, int w, int h, enum range r, float *x)
{
    const double fx = (double)img->width / w, fy = (double)img->height / h;
    for (int yy = 0; yy < h; yy++) {
        int y0, y1;
        const double wy = tap((yy + 0.5) * fy - 0.5, img->height, &y0, &y1);
        const uint8_t *r0 = img->data + (size_t)y0 * (size_t)img->stride;
        const uint8_t *r1 = img->data + (size_t)y1 * (size_t)img->stride;
        for (int xx = 0; xx < w; xx++) {
            int x0, x1;
            const double wx = tap((xx + 0.5) * fx - 0.5, img->width, &x0, &x1);
            for (int c = 0; c < 3; c++) {
                const double top = (1 - wx) * r0[x0 * 3 + c] + wx * r0[x1 * 3 + c];
                const double bot = (1 - wx) * r1[x0 * 3 + c] + wx * r1[x1 * 3 + c];
                const double v = (1 - wy) * top + wy * bot;
                x[((size_t)yy * (size_t)w + (size_t)xx) * 3 + (size_t)c] =
                    (float)(r == RANGE_M1_1 ? v / 127.5 - 1.0 : v / 255.0);
            }
        }
    }
}

struct engines {
    struct bd_model *m;
    struct bd_engine *x, *r;
    struct bd_model_info info;
    size_t n_in, n_out;
};

static int open_engines(const char *model, struct engines *e)
{
    memset(e, 0, sizeof *e);
    if (bd_model_open(model, &e->m) != BD_OK) {
        check(0, "open %s: %s", model, bd_last_error());
        return -1;
    }
    bd_model_get_info(e->m, &e->info);
    struct bd_engine_options ox = {BD_BACKEND_XNNPACK, 1}, orf = {BD_BACKEND_REF, 1};
    if (bd_engine_create(e->m, &ox, &e->x) != BD_OK || bd_engine_create(e->m, &orf, &e->r) != BD_OK) {
        check(0, "engines for %s: %s", model, bd_last_error());
        return -1;
    }
    e->n_in = (size_t)e->info.in_width * e->info.in_height * e->info.in_channels;
    e->n_out = (size_t)e->info.out_width * e->info.out_height * e->info.out_channels;
    return 0;
}

static void close_engines(struct engines *e)
{
    bd_engine_destroy(e->x);
    bd_engine_destroy(e->r);
    bd_model_destroy(e->m);
}

/* Runs img through both backends; returns the person probabilities of the
 * xnnpack run in prob (out size) and leaves the input tensor in x. */
static int run_both(struct engines *e, const struct bd_image *img, float *prob, struct cmp *c)
{
    if (bd_engine_segment_rgb(e->x, img->data, img->stride, img->width, img->height, NULL, prob) != BD_OK)
        return -1;
    memcpy(bd_engine_input(e->r), bd_engine_input(e->x), e->n_in * 4);
    if (bd_engine_run(e->r) != BD_OK)
        return -1;
    *c = compare(&e->info, bd_engine_output(e->x), bd_engine_output(e->r));
    return 0;
}

static const char *images[16];
static int num_images;

/* A photo, decoded by the library (bd_image_load: libjpeg, shared with the
 * engine's callers; decoding is not what this test is about). */
static int load_photo(int k, struct bd_image *img)
{
    if (bd_image_load(images[k], 0, img) != BD_OK) {
        check(0, "load %s: %s", images[k], bd_last_error());
        return -1;
    }
    if (img->channels != 3) {
        check(0, "load %s: %d channels, RGB24 expected", images[k], img->channels);
        bd_image_free(img);
        return -1;
    }
    return 0;
}

/* Bounds, from measurements on the 9 photos, with the engine scaling as
 * the camera does (libyuv's ScalePlane, centred bilinear, per channel):
 *  - input, worst photo's mean |diff| in 8-bit steps: at most 0.31 (libyuv's
 *    fixed-point taps against doubles; max 2.4); a bug is far off: a shift
 *    by one model pixel some 14 steps, BGR 29, a crop to the model's aspect
 *    47, a mirror image 72, a box filter instead of bilinear 15, a wrong
 *    range 127 or more;
 *  - end to end, worst mean |diff| of the person probability: at most
 *    0.0050 (DeepLab, BodyPix), 0.0021 for the rest; with a bug from 0.033;
 *  - end to end, worst share of person pixels across 0.5: at most 0.034
 *    (DeepLab), 0.020 (BodyPix, whose 33x33 map has some 100 person pixels
 *    on a far-off figure), 0.015 for the rest.
 * The engine once scaled stills with libyuv's RGBScale and kFilterBox,
 * which samples at each cell's corner: 15 to 23 steps off, and up to 41%
 * of person pixels across 0.5 (Meet lite); this test found it. */
#define IN_MEAN 1.0
#define E2E_MEAN 0.01
#define E2E_DISAGREE 0.05
#define E2E_DISAGREE_33 0.05

static const char *hms_dir;

/* runner: a shell command prefix taking --model M and --in IN --out OUT
 * pairs (one process, one loaded model, every photo). */

static void golden_model(const char *model, const char *runner, const char *label, enum range range)
{
    const double tol = 1e-4;
    double disagree_max = E2E_DISAGREE;
    char mpath[512];
    if (strchr(model, '/'))
        snprintf(mpath, sizeof mpath, "%s", model);
    else
        /* the built-in model's file, beside the HMS package in NPM */
        snprintf(mpath, sizeof mpath, "%s/../../selfie_segmentation/package/selfie_segmentation%s.tflite",
                 hms_dir, strcmp(model, "landscape") == 0 ? "_landscape" : "");
    if (access(mpath, R_OK) != 0) {
        SKIP_PROVIDED("%s: %s missing", label, mpath);
        return;
    }
    struct engines e;
    if (open_engines(model, &e) != 0) {
        close_engines(&e);
        return;
    }
    const size_t n_prob = (size_t)e.info.out_width * e.info.out_height;
    if (n_prob < 64 * 64)
        disagree_max = E2E_DISAGREE_33;
    float *prob = malloc(n_prob * 4);
    float *ref_in = malloc(e.n_in * 4);
    float *out_x = malloc(e.n_out * 4 * (size_t)num_images);
    float *out_r = malloc(e.n_out * 4 * (size_t)num_images);
    float *want = malloc(e.n_out * 4);
    char *cmd = malloc(64 * 1024);
    if (!prob || !ref_in || !out_x || !out_r || !want || !cmd) {
        fprintf(stderr, "golden: out of memory\n");
        exit(2);
    }
    double worst_x = 0, worst_r = 0, worst_xr = 0, raw_x = 0, raw_r = 0;
    double in_mean = 0, in_max = 0;
    long cross = 0;
    int prepared[16] = {0}, n_prep = 0;

    size_t len = (size_t)snprintf(cmd, 64 * 1024, "%s --model '%s'", runner, mpath);

    /* The engine's side, and both inputs for TFLite, per photo. */
    for (int k = 0; k < num_images; k++) {
        struct bd_image img;
        if (load_photo(k, &img) != 0)
            continue;
        struct cmp xr;
        if (run_both(&e, &img, prob, &xr) != 0) {
            check(0, "%s on %s: %s", label, images[k], bd_last_error());
            bd_image_free(&img);
            continue;
        }
        worst_xr = fmax(worst_xr, xr.max_diff);
        memcpy(out_x + e.n_out * k, bd_engine_output(e.x), e.n_out * 4);
        memcpy(out_r + e.n_out * k, bd_engine_output(e.r), e.n_out * 4);
        reference_input(&img, e.info.in_width, e.info.in_height, range, ref_in);
        bd_image_free(&img);

        /* how far the engine's input is from the bilinear reference, in 8-bit
         * steps: the worst photo's mean, and the largest single value */
        const float *tin = bd_engine_input(e.x);
        const double unit = range == RANGE_M1_1 ? 127.5 : 255.0;
        double sum = 0;
        for (size_t i = 0; i < e.n_in; i++) {
            double d = fabs((double)tin[i] - (double)ref_in[i]) * unit;
            sum += d;
            in_max = fmax(in_max, d);
        }
        in_mean = fmax(in_mean, sum / (double)e.n_in);

        char in[600], rin[600];
        snprintf(in, sizeof in, "%s/in%d.f32", tmpdir, k);
        snprintf(rin, sizeof rin, "%s/rin%d.f32", tmpdir, k);
        if (write_file(in, tin, e.n_in * 4) != 0 || write_file(rin, ref_in, e.n_in * 4) != 0) {
            check(0, "%s: cannot write %s", label, in);
            continue;
        }
        len += (size_t)snprintf(cmd + len, 64 * 1024 - len, " --in '%s' --out '%s/out%d.f32' --in '%s' --out '%s/rout%d.f32'",
                                in, tmpdir, k, rin, tmpdir, k);
        prepared[k] = 1;
        n_prep++;
    }
    int ran = 0, ran_e2e = 0;
    struct e2e worst = {0, 0, 0};
    const char *worst_photo = "";
    if (n_prep && system(cmd) != 0) {
        check(0, "%s: the TFLite reference failed (%s)", label, cmd);
        n_prep = 0;
    }
    for (int k = 0; k < num_images && n_prep; k++) {
        if (!prepared[k])
            continue;
        char out[600];
        snprintf(out, sizeof out, "%s/out%d.f32", tmpdir, k);
        if (read_file(out, want, e.n_out * 4) != 0) {
            check(0, "%s: no TFLite output for %s", label, images[k]);
            continue;
        }
        struct cmp cx = compare(&e.info, out_x + e.n_out * k, want);
        struct cmp cr = compare(&e.info, out_r + e.n_out * k, want);
        worst_x = fmax(worst_x, cx.max_diff);
        worst_r = fmax(worst_r, cr.max_diff);
        raw_x = fmax(raw_x, cx.raw_diff);
        raw_r = fmax(raw_r, cr.raw_diff);
        cross += cx.crossings + cr.crossings;
        ran++;

        snprintf(out, sizeof out, "%s/rout%d.f32", tmpdir, k);
        if (read_file(out, want, e.n_out * 4) != 0) {
            check(0, "%s: no TFLite output for the reference input of %s", label, images[k]);
            continue;
        }
        struct e2e d = compare_e2e(&e.info, out_x + e.n_out * k, want);
        printf("      %-12s end to end on %-24s mean |diff| %.4f  max %.3f  disagree %.4f\n", label,
               strrchr(images[k], '/') + 1, d.mean_diff, d.max_diff, d.disagree);
        if (d.mean_diff > worst.mean_diff)
            worst.mean_diff = d.mean_diff;
        if (d.disagree > worst.disagree) {
            worst.disagree = d.disagree;
            worst_photo = strrchr(images[k], '/') + 1;
        }
        worst.max_diff = fmax(worst.max_diff, d.max_diff);
        ran_e2e++;
    }
    check(ran == num_images && worst_x <= tol, "%-12s xnnpack vs TFLite: max |diff| %.2e over %d images (<= %.0e)",
          label, worst_x, ran, tol);
    check(ran == num_images && worst_r <= tol, "%-12s ref     vs TFLite: max |diff| %.2e over %d images (<= %.0e)",
          label, worst_r, ran, tol);
    check(ran == num_images && cross == 0, "%-12s pixels crossing 0.5 vs TFLite: %ld", label, cross);
    printf("      %-12s ref vs xnnpack: max |diff| %.2e; raw output max |diff| vs TFLite: xnnpack %.2e, ref %.2e\n",
           label, worst_xr, raw_x, raw_r);
    check(n_prep == num_images && in_mean <= IN_MEAN,
          "%-12s input tensor vs the bilinear reference: worst photo's mean |diff| %.2f 8-bit steps (<= %.0f); max %.1f",
          label, in_mean, IN_MEAN, in_max);
    check(ran_e2e == num_images && worst.mean_diff <= E2E_MEAN,
          "%-12s end to end vs TFLite on an independent input: worst mean |diff| %.4f over %d images (<= %.2f)",
          label, worst.mean_diff, ran_e2e, E2E_MEAN);
    check(ran_e2e == num_images && worst.disagree <= disagree_max,
          "%-12s end to end: worst share of person pixels across 0.5 %.4f (%s) (<= %.3f); max |diff| %.3f",
          label, worst.disagree, worst_photo, disagree_max, worst.max_diff);
    free(prob);
    free(ref_in);
    free(out_x);
    free(out_r);
    free(want);
    free(cmd);
    close_engines(&e);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_iou(double *v, int n)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* DeepLab/BodyPix: ref vs xnnpack, and DeepLab's person vs selfie (IoU). */
static void big_model(const char *model, const char *label, int iou_check)
{
    if (access(model, R_OK) != 0) {
        SKIP_PROVIDED("%s: %s missing", label, model);
        return;
    }
    struct engines e, s;
    if (open_engines(model, &e) != 0 || open_engines("general", &s) != 0) {
        close_engines(&e);
        return;
    }
    float *pe = malloc((size_t)e.info.out_width * e.info.out_height * 4);
    float *ps = malloc((size_t)s.info.out_width * s.info.out_height * 4);
    double worst = 0, min_iou = 1, sum_iou = 0;
    long pooled_i = 0, pooled_u = 0;
    double ious[16];
    int n_iou = 0;
    long cross = 0;
    int ran = 0;
    for (int k = 0; k < num_images; k++) {
        struct bd_image img;
        if (load_photo(k, &img) != 0)
            continue;
        struct cmp c, cs;
        if (run_both(&e, &img, pe, &c) != 0 || run_both(&s, &img, ps, &cs) != 0) {
            bd_image_free(&img);
            check(0, "%s on %s: %s", label, images[k], bd_last_error());
            continue;
        }
        worst = fmax(worst, c.max_diff);
        cross += c.crossings;
        ran++;
        if (iou_check && strstr(images[k], "portraits")) {
            size_t n = (size_t)img.width * img.height;
            uint8_t *me = malloc(n), *ms = malloc(n);
            bd_mask_upsample_bilinear(pe, e.info.out_width, e.info.out_height, me, img.width, img.width,
                                      img.height);
            bd_mask_upsample_bilinear(ps, s.info.out_width, s.info.out_height, ms, img.width, img.width,
                                      img.height);
            size_t inter = 0, uni = 0;
            for (size_t i = 0; i < n; i++) {
                int a = me[i] >= 128, b = ms[i] >= 128;
                inter += a && b;
                uni += a || b;
            }
            double iou = uni ? (double)inter / (double)uni : 1.0;
            pooled_i += (long)inter;
            pooled_u += (long)uni;
            sum_iou += iou;
            if (n_iou < 16)
                ious[n_iou++] = iou;
            printf("      %-12s person IoU vs general on %s: %.3f\n", label, strrchr(images[k], '/') + 1, iou);
            min_iou = fmin(min_iou, iou);
            free(me);
            free(ms);
        }
        bd_image_free(&img);
    }
    check(ran == num_images && worst <= 1e-4 && cross == 0,
          "%-12s ref vs xnnpack: max |diff| %.2e, %ld pixels crossing 0.5, %d images", label, worst, cross, ran);
    if (iou_check)
    {
        /* Two dev portraits are greyscale with grey boxes over the faces;
         * DeepLab (trained on colour VOC photos) misses the person there
         * whatever the input range or framing (see the closing note of the
         * engine issue), so the bar is on the median portrait; min, mean
         * and pooled IoU are printed for the record. The bar is for the
         * class decoding (a wrong class or channel gives under 0.1): the
         * median moves with the resampling, 0.872 with corner taps, 0.841
         * with the camera's centred bilinear, as p_09ba26b4 goes 0.84 ->
         * 0.78 (DeepLab's own preprocessing is neither). */
        double med = median_iou(ious, n_iou);
        printf("      %-12s IoU vs general: min %.3f mean %.3f pooled %.3f median %.3f\n", label, min_iou,
               n_iou ? sum_iou / n_iou : 0, pooled_u ? (double)pooled_i / pooled_u : 0, med);
        check(n_iou >= 6 && med >= 0.80, "%-12s person class vs selfie mask: median IoU %.3f on %d portraits (>= 0.80)",
              label, med, n_iou);
    }
    free(pe);
    free(ps);
    close_engines(&e);
    close_engines(&s);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: golden HMS_PACKAGE_DIR SHARED_DATA_DIR SHARED_MODELS_DIR TFJSREF_DIR\n");
        return 2;
    }
    const char *hms = argv[1], *data = argv[2], *models = argv[3], *tfjsref = argv[4];
    hms_dir = hms;
    setvbuf(stdout, NULL, _IOLBF, 0);
    char tmpl[] = "/tmp/backdrop-golden-XXXXXX";
    tmpdir = mkdtemp(tmpl);
    if (!tmpdir)
        return 2;
    /* Portraits (P3M dev set: studio and street, colour and greyscale,
     * landscape and portrait framing) and the video stills: each one is
     * part of the test, so a missing one is a skip of its own. */
    static char paths[16][512];
    static const char *const names[] = {
        "portraits-dev/image/p_07141906.jpg", "portraits-dev/image/p_09ba26b4.jpg",
        "portraits-dev/image/p_22fc0130.jpg", "portraits-dev/image/p_514ca06a.jpg",
        "portraits-dev/image/p_51c916fc.jpg", "portraits-dev/image/p_71bcce3a.jpg",
        "video/doctor-5871743_640.jpg",       "video/girl-919048_1280.jpg",
        "video/woman-5883428_1280.jpg",
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        snprintf(paths[k], sizeof paths[k], "%s/%s", data, names[k]);
        if (access(paths[k], R_OK) == 0)
            images[num_images++] = paths[k];
        else
            SKIP_PROVIDED("photo %s missing (../shared/data provides it)", paths[k]);
    }
    char p[6][1024];
    snprintf(p[0], sizeof p[0], "%s/segm_full_v679.tflite", models);
    snprintf(p[1], sizeof p[1], "%s/segm_lite_v681.tflite", models);
    snprintf(p[2], sizeof p[2], "%s/src/models/selfiesegmentation_mlkit-256x256-2021_01_19-v1215.f16.tflite", hms);
    snprintf(p[3], sizeof p[3], "%s/deeplabv3_257_mv_gpu.tflite", models);
    snprintf(p[4], sizeof p[4], "%s/body-pix-float-050-8.tflite", models);
    snprintf(p[5], sizeof p[5], "%s/node_modules/@tensorflow/tfjs-tflite/package.json", tfjsref);

    if (num_images == 0) {
        SKIP_PROVIDED("no photos under %s: every model check skipped", data);
    } else {
        char wasm[1024], tfjs[1024];
        snprintf(wasm, sizeof wasm, "node tools/tfliteref/run.js --pkg '%s'", hms);
        char hms_js[1100];
        snprintf(hms_js, sizeof hms_js, "%s/src/tflite/tflite-simd.js", hms);
        if (access(hms_js, R_OK) != 0) {
            SKIP_PROVIDED("%s missing (make models-test): the selfie and Meet models against TFLite skipped",
                          hms_js);
        } else {
            golden_model("general", wasm, "general", RANGE_0_1);
            golden_model("landscape", wasm, "landscape", RANGE_0_1);
            golden_model(p[2], wasm, "general-f16", RANGE_0_1);
            golden_model(p[0], wasm, "meet-full", RANGE_0_1);
            golden_model(p[1], wasm, "meet-lite", RANGE_0_1);
        }
        big_model(p[3], "deeplabv3", 1);
        big_model(p[4], "bodypix", 0);
        /* The second reference (npm's tfjs-tflite, also TFLite in WASM)
         * loads the large models the first one cannot. Same bounds. */
        if (access(p[5], R_OK) != 0) {
            SKIP_PROVIDED("tfjs-tflite missing under %s (tools/tfjsref/setup.sh): DeepLab and BodyPix "
                          "against TFLite skipped", tfjsref);
        } else {
            snprintf(tfjs, sizeof tfjs, "node tools/tfjsref/run.js --timeout 600 --pkg-dir '%s'", tfjsref);
            golden_model(p[3], tfjs, "deeplab-tfjs", RANGE_M1_1);
            golden_model(p[4], tfjs, "bodypix-tfjs", RANGE_M1_1);
        }
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_report();
}
