/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask-quality harness (issue 4, the measurement part): how close are
 * backdrop's person masks to the truth, per model, framing and method?
 *
 * Ground truth by construction. Each portrait of portraits-dev (a photo and
 * its alpha matte) is composited onto background photos without people:
 *     frame = alpha * portrait + (1 - alpha) * background
 * (premultiplied, in float, rounded once), so the alpha, resampled exactly
 * as the portrait was, IS the ground truth of that frame. Caveat: the
 * portraits' alphas are P3M-Net predictions (portraits-dev/SOURCE.txt), so
 * the scores are against pseudo-ground-truth: good hair/edge mattes, but
 * not human annotation.
 *
 * Framings of the still set (portraits x backgrounds):
 *  orig  the portrait's own size and aspect (1080..1920 x 1080..1344), the
 *        background scaled to cover it (centre crop).
 *  720p  a 1280x720 webcam frame: the portrait and its alpha scaled
 *        identically (bilinear, premultiplied) by the smallest factor that
 *        covers 1280x720; the window centred horizontally on the alpha's
 *        bounding box and placed vertically 5% above the top of the
 *        person (both clamped to the scaled portrait).
 *
 * Temporal set: one portrait (p_09ba26b4, whose matte touches no side or
 * top edge) moved and scaled over one static background, 1280x720, 300
 * frames at 30 fps (10 s), with Gaussian sensor noise (sigma 2 levels per
 * channel, fixed seed) so that still frames are not bit-identical. Every
 * frame's warped alpha is its ground truth. See temporal() for the motion
 * script and the definitions of flicker and edge lag.
 *
 * Methods are rows: each is one function (method_*) composing a geometry
 * (how the frame is fitted to the model's input: squash, letterbox,
 * centre crop), a predictor (the model, or the ground truth itself pushed
 * through the model-size bottleneck: the upper bound of any upsampler) and
 * an upsampler (bilinear = `backdrop mask --raw-mask`, or bd_refiner). Adding a
 * method is one function and one line in the methods table.
 *
 * It is a benchmark: it prints numbers and asserts nothing, but it fails
 * loudly (exit 1) when data is missing.
 *
 * usage: quality --data SHARED_DATA_DIR --out OUT_DIR [--models a,b,...]
 *                [--temporal-models a,b,...] [--no-temporal] BACKGROUND...
 */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libyuv/convert.h>
#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>
#include <libyuv/scale_rgb.h>

#include "backdrop.h"
#include "metrics.h"
#include "model/stream.h"
#include "model/zoom.h"

/* BD_QUALITY_REFINER is set by the Makefile when include/backdrop.h has the
 * "Mask refinement" API (bd_refiner_*); without it the refined rows are
 * left out and the harness says so. */
#ifndef BD_QUALITY_REFINER
#define BD_QUALITY_REFINER 0
#endif

#define MAX_PORTRAITS 32
#define MAX_REAL 128
#define MAX_BGS 16
#define MAX_MODELS 8
#define WEBCAM_W 1280
#define WEBCAM_H 720

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "quality: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static void *xcalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------------ */
/* Data                                                                      */

struct portrait {
    char name[64];
    struct bd_image img;  /* RGB24 */
    uint8_t *alpha;       /* one channel, img.width x img.height */
    int bx0, by0, bx1, by1; /* bounding box of alpha >= 8 (inclusive) */
};

struct background {
    char name[128];
    struct bd_image img;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * portraits-real's photos whose mask cannot be scored against, each with
 * the reason (none so far: all 60 masks were checked on the contact
 * sheet, see README.md). A name here is left out of every real-set
 * figure and listed when the harness starts.
 */
static const struct {
    const char *name, *why;
} real_excluded[] = {
    {NULL, NULL},
};

static void check_upright(const char *path);

static const char *real_exclusion(const char *name)
{
    for (int i = 0; real_excluded[i].name; i++)
        if (!strcmp(real_excluded[i].name, name))
            return real_excluded[i].why;
    return NULL;
}

/*
 * The photos of data/SET/image/NAME.jpg and their ground truth
 * data/SET/TRUTH/NAME.png (one channel, or grey stored as RGB). binary:
 * the ground truth must be 0 (background) and 255 (person) only, as
 * portraits-real's hand-made masks are (SOURCE.txt); any other value
 * stops the harness, naming the file, and real_excluded[] applies.
 */
static int load_set(const char *data, const char *set, const char *truth, int binary,
                    struct portrait *out, int max)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s/image", data, set);
    DIR *d = opendir(dir);
    if (!d)
        die("%s: cannot open (the %s data set is missing)", dir, set);
    char *names[MAX_REAL];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t l = strlen(e->d_name);
        if (l > 4 && l < 60 && strcmp(e->d_name + l - 4, ".jpg") == 0) {
            names[n] = xmalloc(l - 3);
            memcpy(names[n], e->d_name, l - 4);
            names[n][l - 4] = 0;
            n++;
        }
    }
    closedir(d);
    if (n == 0)
        die("%s: no portraits (*.jpg)", dir);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        if (binary && real_exclusion(names[i])) {
            free(names[i]);
            continue;
        }
        struct portrait *p = &out[kept++];
        char ip[1200], ap[1200];
        snprintf(p->name, sizeof p->name, "%s", names[i]);
        snprintf(ip, sizeof ip, "%s/%s/image/%s.jpg", data, set, names[i]);
        snprintf(ap, sizeof ap, "%s/%s/%s/%s.png", data, set, truth, names[i]);
        free(names[i]);
        struct bd_image a;
        if (binary)
            check_upright(ip);
        if (bd_image_load(ip, 0, &p->img) != BD_OK)
            die("%s: %s", ip, bd_last_error());
        if (bd_image_load(ap, 0, &a) != BD_OK)
            die("%s: %s (every portrait needs its alpha)", ap, bd_last_error());
        if (a.width != p->img.width || a.height != p->img.height)
            die("%s: alpha %dx%d for an image of %dx%d", ap, a.width, a.height, p->img.width,
                p->img.height);
        int w = a.width, h = a.height;
        p->alpha = xmalloc((size_t)w * h);
        p->bx0 = w;
        p->by0 = h;
        p->bx1 = p->by1 = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                /* grey stored as RGB (or grey expanded by the loader): one channel */
                uint8_t v = a.data[(size_t)y * a.stride + 3 * (size_t)x];
                if (binary && v != 0 && v != 255)
                    die("%s: value %d at (%d, %d); a mask of %s is 0 (background) or 255 "
                        "(person) only: fix the file, or leave it out (real_excluded[])",
                        ap, v, x, y, set);
                p->alpha[(size_t)y * w + x] = v;
                if (v >= 8) {
                    p->bx0 = x < p->bx0 ? x : p->bx0;
                    p->bx1 = x > p->bx1 ? x : p->bx1;
                    p->by0 = y < p->by0 ? y : p->by0;
                    p->by1 = y > p->by1 ? y : p->by1;
                }
            }
        bd_image_free(&a);
        if (p->bx1 < 0)
            die("%s: empty alpha", ap);
    }
    return kept;
}

/* ------------------------------------------------------------------------ */
/* Scenes                                                                    */

/* The background scaled to cover cw x ch (centre crop, box filter). */
static void cover(const struct bd_image *bg, int cw, int ch, uint8_t *out)
{
    int sw = bg->width, sh = bg->height, x0 = 0, y0 = 0;
    if ((double)sw / sh > (double)cw / ch) {
        int w = (int)lround((double)sh * cw / ch);
        x0 = (sw - w) / 2;
        sw = w;
    } else {
        int h = (int)lround((double)sw * ch / cw);
        y0 = (sh - h) / 2;
        sh = h;
    }
    RGBScale(bg->data + (size_t)y0 * bg->stride + (size_t)x0 * 3, bg->stride, sw, sh, out, cw * 3,
             cw, ch, kFilterBox);
}

/* xorshift64* and an Irwin-Hall (4 uniforms) approximation of N(0, 1). */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline float gauss(uint64_t *s)
{
    uint64_t r = rng_next(s);
    float u = (float)((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48)) / 65536.f;
    return (u - 2.f) * 1.7320508f; /* variance of the sum is 4/12 */
}

/*
 * Renders the portrait scaled by s and placed so that portrait pixel centre
 * (u, v) lands on canvas point (u + 0.5) * s + tx - 0.5 (likewise y), over
 * bg (cw x ch RGB). Bilinear sampling of premultiplied colour and alpha,
 * edge-replicated inside the portrait, alpha 0 outside it.
 * rgb = premul + (1 - a) * bg (+ noise), gt = round(255 a).
 */
static void compose(const struct portrait *p, double s, double tx, double ty, const uint8_t *bg,
                    int cw, int ch, uint8_t *rgb, uint8_t *gt, float noise, uint64_t *rng)
{
    const int pw = p->img.width, ph = p->img.height, ps = p->img.stride;
    for (int y = 0; y < ch; y++) {
        double v = ((double)y + 0.5 - ty) / s - 0.5;
        int vin = v >= -0.5 && v <= ph - 0.5;
        double vc = v < 0 ? 0 : v > ph - 1 ? ph - 1 : v;
        int y0 = (int)vc, y1 = y0 + 1 < ph ? y0 + 1 : ph - 1;
        float fy = (float)(vc - y0);
        for (int x = 0; x < cw; x++) {
            size_t o = (size_t)y * cw + x;
            double u = ((double)x + 0.5 - tx) / s - 0.5;
            float a = 0.f, c[3] = {0, 0, 0};
            if (vin && u >= -0.5 && u <= pw - 0.5) {
                double uc = u < 0 ? 0 : u > pw - 1 ? pw - 1 : u;
                int x0 = (int)uc, x1 = x0 + 1 < pw ? x0 + 1 : pw - 1;
                float fx = (float)(uc - x0);
                const int xs[4] = {x0, x1, x0, x1}, ys[4] = {y0, y0, y1, y1};
                const float wt[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
                for (int k = 0; k < 4; k++) {
                    float ak = p->alpha[(size_t)ys[k] * pw + xs[k]] / 255.f * wt[k];
                    const uint8_t *px = p->img.data + (size_t)ys[k] * ps + 3 * (size_t)xs[k];
                    a += ak;
                    c[0] += ak * px[0];
                    c[1] += ak * px[1];
                    c[2] += ak * px[2];
                }
            }
            for (int k = 0; k < 3; k++) {
                float val = c[k] + (1.f - a) * bg[3 * o + k] + 0.5f;
                if (noise > 0.f)
                    val += noise * gauss(rng);
                rgb[3 * o + k] = val <= 0.f ? 0 : val >= 255.f ? 255 : (uint8_t)val;
            }
            float g = a * 255.f + 0.5f;
            gt[o] = g >= 255.f ? 255 : (uint8_t)g;
        }
    }
}

/* One frame to segment: RGB, ground truth, and its I420 (made on demand, as
 * the refiner's guide). serial identifies the frame for the model cache. */
struct frame {
    int w, h;
    uint8_t *rgb, *gt;
    uint8_t *yuv; /* I420, NULL until needed */
    long serial;
};

static void frame_alloc(struct frame *f, int w, int h)
{
    f->w = w;
    f->h = h;
    f->rgb = xmalloc((size_t)w * h * 3);
    f->gt = xmalloc((size_t)w * h);
    f->yuv = NULL;
}

static void frame_free(struct frame *f)
{
    free(f->rgb);
    free(f->gt);
    free(f->yuv);
    memset(f, 0, sizeof *f);
}

static void frame_changed(struct frame *f)
{
    static long serial;
    f->serial = ++serial;
    free(f->yuv);
    f->yuv = NULL;
}

/* I420 planes of an RGB24 (R first: libyuv's RAW) image. */
static uint8_t *to_i420(const uint8_t *rgb, int stride, int w, int h)
{
    int cw = (w + 1) / 2, chh = (h + 1) / 2;
    uint8_t *p = xmalloc((size_t)w * h + 2 * (size_t)cw * chh);
    RAWToI420(rgb, stride, p, w, p + (size_t)w * h, cw, p + (size_t)w * h + (size_t)cw * chh, cw, w,
              h);
    return p;
}

enum framing { F_ORIG = 0, F_720 = 1, F_OWN = 2, F_COUNT };
static const char *const framing_name[F_COUNT] = {
    "original aspect", "1280x720 webcam crop",
    "the portrait photos as they are (own backgrounds, no compositing)"};

/* The 1280x720 webcam window on portrait p: the scale s that covers
 * 1280x720, and the placement (tx, ty) of compose(): centred horizontally
 * on the alpha's box, 5% of the height above its top, clamped. */
static void webcam_window(const struct portrait *p, double *s, double *tx, double *ty)
{
    const int cw = WEBCAM_W, ch = WEBCAM_H;
    double sx = (double)cw / p->img.width, sy = (double)ch / p->img.height;
    *s = sx > sy ? sx : sy;
    double sw = *s * p->img.width, sh = *s * p->img.height;
    double x0 = *s * (p->bx0 + p->bx1 + 1) / 2.0 - cw / 2.0;
    double y0 = *s * p->by0 - 0.05 * ch;
    x0 = x0 < 0 ? 0 : x0 > sw - cw ? sw - cw : x0;
    y0 = y0 < 0 ? 0 : y0 > sh - ch ? sh - ch : y0;
    *tx = -floor(x0);
    *ty = -floor(y0);
}

/* The still frame of portrait p over background b in framing fr. */
static void still_frame(const struct portrait *p, const struct background *b, enum framing fr,
                        struct frame *f)
{
    int cw, ch;
    double s = 1, tx = 0, ty = 0;
    if (fr == F_OWN) {
        int w = p->img.width, h = p->img.height;
        frame_alloc(f, w, h);
        for (int y = 0; y < h; y++)
            memcpy(f->rgb + (size_t)y * w * 3, p->img.data + (size_t)y * p->img.stride, (size_t)w * 3);
        memcpy(f->gt, p->alpha, (size_t)w * h);
        frame_changed(f);
        return;
    }
    if (fr == F_ORIG) {
        cw = p->img.width;
        ch = p->img.height;
    } else {
        cw = WEBCAM_W;
        ch = WEBCAM_H;
        webcam_window(p, &s, &tx, &ty);
    }
    frame_alloc(f, cw, ch);
    uint8_t *bg = xmalloc((size_t)cw * ch * 3);
    cover(&b->img, cw, ch, bg);
    compose(p, s, tx, ty, bg, cw, ch, f->rgb, f->gt, 0.f, NULL);
    free(bg);
    frame_changed(f);
}

/* ------------------------------------------------------------------------ */
/* Models and methods                                                        */

enum geometry {
    G_SQUASH = 0,     /* the whole frame scaled to the model's input (what
                         bd_engine_segment_rgb does with any image) */
    G_LBOX_BLACK = 1, /* padded to the model's aspect with black, centred */
    G_LBOX_EDGE = 2,  /* padded with the nearest edge pixel (replicate) */
    G_CROP = 3,       /* the centred crop with the model's aspect (the
                         camera pipeline's choice); outside = background */
    G_COUNT
};
enum predictor { P_MODEL, P_ORACLE, P_ENSEMBLE, P_GIVEN };
/* U_SETTINGS: the refiner with the settings' options and guide (g_set) */
enum upsampler { U_BILINEAR, U_REFINE, U_REFINE_LUMA, U_SETTINGS };

/*
 * The pipeline settings of the "refined (defaults)" rows of every set: the
 * library's options table (bd_settings: its defaults, then each --set
 * NAME=VALUE, checked there), turned into a bd_pipeline_config as the
 * camera's are. So those rows follow the defaults wherever they go, and
 * another strategy is one --set away. On stills those rows are the
 * library's own still segmenter made from that config (bd_still, which
 * reads the options marked BD_OPTION_STILL); on the temporal set, the
 * camera's steps as method_refined_stream reproduces them, from mirror,
 * zoom, guide and the refiner's options. The other rows are fixed
 * variants.
 */
static struct {
    struct bd_settings *settings; /* cfg's strings point into it */
    struct bd_pipeline_config cfg;
    int mirror, zoom, luma;
    struct bd_refine_options refine;
    struct bd_engine_options engine;
    int n;           /* how many --set were given */
    char text[512];  /* what they said, for the titles */
} g_set;

/*
 * The options --set takes: those the still segmenter takes
 * (BD_OPTION_STILL) but the model and class, which --models gives, and
 * raw-mask, which the raw rows are; and the camera-only ones the temporal
 * set reproduces. Any other option does
 * not change a mask here, so --set refuses it rather than print figures
 * that only look changed.
 */
static const char *const set_stream_only[] = {"guide", "temporal", NULL};

static int set_takes(const struct bd_option *o)
{
    if (!strcmp(o->name, "model") || !strcmp(o->name, "class") || !strcmp(o->name, "raw-mask"))
        return 0;
    if (o->flags & BD_OPTION_STILL)
        return 1;
    for (int k = 0; set_stream_only[k]; k++)
        if (!strcmp(set_stream_only[k], o->name))
            return 1;
    return 0;
}

static void settings_apply(char **sets, int nsets)
{
    struct bd_settings *s;
    if (bd_settings_create(&s) != BD_OK)
        die("bd_settings_create: %s", bd_last_error());
    for (int i = 0; i < nsets; i++) {
        char *eq = strchr(sets[i], '=');
        if (!eq)
            die("--set %s: give NAME=VALUE (an option of `backdrop --help`)", sets[i]);
        *eq = 0;
        const struct bd_option *o = bd_option_find(sets[i]);
        if (o && !set_takes(o)) {
            fprintf(stderr, "quality: --set %s: the harness does not use this option; it uses:",
                    sets[i]);
            for (const struct bd_option *q = bd_options(); q->name; q++)
                if (set_takes(q))
                    fprintf(stderr, " %s", q->name);
            fprintf(stderr, "\n");
            exit(1);
        }
        if (bd_settings_set(s, sets[i], eq + 1) != BD_OK)
            die("--set %s=%s: %s", sets[i], eq + 1, bd_last_error());
        size_t l = strlen(g_set.text);
        snprintf(g_set.text + l, sizeof g_set.text - l, "%s%s=%s", l ? " " : "", sets[i], eq + 1);
        *eq = '=';
    }
    if (bd_settings_to_config(s, &g_set.cfg) != BD_OK)
        die("--set: %s", bd_last_error());
    const struct bd_pipeline_config *cfg = &g_set.cfg;
    g_set.settings = s;
    g_set.mirror = !cfg->no_mirror_average && !cfg->raw_mask;
    g_set.zoom = !cfg->no_zoom && !cfg->raw_mask;
    g_set.luma = cfg->guide_luma;
    g_set.refine = *cfg->refine;
    g_set.engine = (struct bd_engine_options){cfg->backend, cfg->threads};
    g_set.n = nsets;
}

/* The name of the rows g_set drives. */
static const char *set_row(void)
{
    return g_set.n ? "refined (--set)" : "refined (defaults)";
}

struct refiner_slot {
    int w, h, set;
    struct bd_refiner *r;
};

struct mctx {
    const char *name;
    const char *path; /* as given to --models */
    struct bd_still *still; /* g_set's still segmenter of this model, made on first use */
    /* --model rvm (bd_model_is_rvm): no engine of its own here; its rows
     * are bd_still's (stills, 3 runs with the state fed back) and
     * bd_filter's (the temporal set), and the fusion study's (the general
     * model's refined mask and RVM's bare alpha of the same frame, fused
     * by bd_mask_fuse) */
    int rvm;
    struct bd_still *gen_still, *bare_still;
    uint8_t *gen_mask, *alpha;
    void *fscratch;
    long fkey;
    size_t fcap;
    /* --rvm-variants: the refiner, mirror average and zoom pass on RVM's
     * bare alpha (issue 18 item 3), for frame vkey */
    uint8_t *v_ref, *v_mir, *v_zoom, *v_tmp, *v_rgb;
    long vkey;
    size_t vcap;
    /* --fuse-refine: RVM's bare alpha refined (edge-aware, colour guide,
     * coverage kept), for frame rkey; and a row's fused mask before the
     * refiner */
    uint8_t *r_alpha, *r_tmp;
    long rkey;
    size_t rcap;
    struct bd_model *model;
    struct bd_engine *engine;
    struct bd_model_info info;
    /* the model's output per pass (bit 0: the mirror average, bit 1: the
     * zoom pass) and geometry, for the frame of serial key[pass][g] */
    float *prob[4][G_COUNT];
    long key[4][G_COUNT];
    struct refiner_slot refiners[24];
    int nrefiners;
    double up_ms; /* time of the last upsampling step */
    /* the g_set rows' figures, for the summary: IoU and boundary F of the
     * dev set (original aspect, 720p) and the real set (as it is, 720p);
     * the temporal set's IoU, boundary F, flicker and edge lag */
    struct {
        double dev[2][3], real[2][2], t[4];
        int have_dev, have_real, have_t;
    } sum;
};

/* --ensemble NAME: a second model whose output, resampled to the first
 * one's output grid, is averaged with it (P_ENSEMBLE). */
static struct mctx *g_partner;

/* P_GIVEN: a map made by the caller of run() (model output size). */
static const float *g_given;

/* model runs made by method_refined_stream since the last reset */
static long g_runs;

static void open_model(const char *name, struct mctx *m);

/* The zoom pass's second-look model, as the camera picks it
 * (bd_model_zoom_partner): the model itself, or the general one for a
 * model wider than 4:3 (opened once). */
static struct mctx *zoom_model(struct mctx *m)
{
    static struct mctx gen;
    static int opened;
    const char *partner = bd_model_zoom_partner(m->model);
    if (!partner)
        return m;
    if (!opened) {
        open_model(partner, &gen);
        opened = 1;
    }
    return &gen;
}

/* Model output probability, cached per frame serial and geometry. */
static const float *model_prob(struct mctx *m, const struct frame *f, enum geometry g, int mirror,
                               const uint8_t *rgb, int stride, int w, int h)
{
    if (m->key[mirror][g] != f->serial) {
        struct bd_segment_options so = {.class_index = -1,
                                        .mirror_average = mirror & 1,
                                        .zoom = mirror >> 1,
                                        .zoom_engine = mirror >> 1 ? zoom_model(m)->engine : NULL};
        if (bd_engine_segment_rgb(m->engine, rgb, stride, w, h, &so, m->prob[mirror][g]) != BD_OK)
            die("%s: %s", m->name, bd_last_error());
        m->key[mirror][g] = f->serial;
    }
    return m->prob[mirror][g];
}

/* Bilinear resampling of a float map (centres aligned, edges clamped). */
static void resample_f(const float *src, int sw, int sh, float *dst, int dw, int dh)
{
    for (int y = 0; y < dh; y++) {
        double fy = (y + 0.5) * sh / dh - 0.5;
        fy = fy < 0 ? 0 : fy > sh - 1 ? sh - 1 : fy;
        int y0 = (int)fy, y1 = y0 + 1 < sh ? y0 + 1 : y0;
        float wy = (float)(fy - y0);
        for (int x = 0; x < dw; x++) {
            double fx = (x + 0.5) * sw / dw - 0.5;
            fx = fx < 0 ? 0 : fx > sw - 1 ? sw - 1 : fx;
            int x0 = (int)fx, x1 = x0 + 1 < sw ? x0 + 1 : x0;
            float wx = (float)(fx - x0);
            float a = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
            float b = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
            dst[y * dw + x] = a * (1 - wy) + b * wy;
        }
    }
}

/* The region of the frame the model sees, as an RGB canvas. */
struct canvas {
    const uint8_t *rgb, *gt; /* views (stride 3*sw, sw) or owned copies */
    int rgb_stride, gt_stride;
    int w, h;
    int ox, oy;   /* frame (0,0) is canvas (ox, oy) for letterbox;
                     canvas (0,0) is frame (ox, oy) for crop */
    uint8_t *own_rgb, *own_gt;
};

static void make_canvas(const struct mctx *m, const struct frame *f, enum geometry g, int need_gt,
                        struct canvas *c)
{
    memset(c, 0, sizeof *c);
    const int w = f->w, h = f->h;
    const double ma = (double)m->info.in_width / m->info.in_height;
    c->rgb = f->rgb;
    c->gt = f->gt;
    c->rgb_stride = 3 * w;
    c->gt_stride = w;
    c->w = w;
    c->h = h;
    if (g == G_SQUASH)
        return;
    int wide = (double)w / h > ma;
    if (g == G_CROP) {
        int cw = wide ? (int)lround(h * ma) : w, ch = wide ? h : (int)lround(w / ma);
        cw = cw > w ? w : cw;
        ch = ch > h ? h : ch;
        /* even offsets: the I420 guide's chroma stays aligned */
        c->ox = ((w - cw) / 2) & ~1;
        c->oy = ((h - ch) / 2) & ~1;
        c->w = cw;
        c->h = ch;
        c->rgb = f->rgb + (size_t)c->oy * 3 * w + (size_t)c->ox * 3;
        c->gt = f->gt + (size_t)c->oy * w + c->ox;
        return;
    }
    int cw = wide ? w : (int)lround(h * ma), ch = wide ? (int)lround(w / ma) : h;
    cw = cw < w ? w : cw;
    ch = ch < h ? h : ch;
    c->w = cw;
    c->h = ch;
    c->ox = (cw - w) / 2;
    c->oy = (ch - h) / 2;
    uint8_t *rgb = c->own_rgb = xmalloc((size_t)cw * ch * 3);
    for (int y = 0; y < ch; y++) {
        int sy = y - c->oy, iny = sy >= 0 && sy < h;
        sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
        for (int x = 0; x < cw; x++) {
            int sx = x - c->ox, in = iny && sx >= 0 && sx < w;
            sx = sx < 0 ? 0 : sx >= w ? w - 1 : sx;
            uint8_t *o = rgb + ((size_t)y * cw + x) * 3;
            if (!in && g == G_LBOX_BLACK) {
                o[0] = o[1] = o[2] = 0;
            } else {
                const uint8_t *s = f->rgb + ((size_t)sy * w + sx) * 3;
                o[0] = s[0];
                o[1] = s[1];
                o[2] = s[2];
            }
        }
    }
    c->rgb = rgb;
    c->rgb_stride = 3 * cw;
    if (need_gt) {
        uint8_t *gt = c->own_gt = xcalloc((size_t)cw * ch);
        for (int y = 0; y < h; y++)
            memcpy(gt + (size_t)(y + c->oy) * cw + c->ox, f->gt + (size_t)y * w, (size_t)w);
        c->gt = gt;
        c->gt_stride = cw;
    }
}

static void free_canvas(struct canvas *c)
{
    free(c->own_rgb);
    free(c->own_gt);
}

/* A still image's refiner of that size: the default options, or g_set's
 * (set). */
static struct bd_refiner *refiner_for(struct mctx *m, int w, int h, int set)
{
#if BD_QUALITY_REFINER
    for (int i = 0; i < m->nrefiners; i++)
        if (m->refiners[i].w == w && m->refiners[i].h == h && m->refiners[i].set == set)
            return m->refiners[i].r;
    if (m->nrefiners == (int)(sizeof m->refiners / sizeof m->refiners[0])) {
        bd_refiner_destroy(m->refiners[0].r);
        memmove(m->refiners, m->refiners + 1, sizeof m->refiners[0] * (size_t)(m->nrefiners - 1));
        m->nrefiners--;
    }
    struct bd_refiner *r;
    if (bd_refiner_create(w, h, m->info.out_width, m->info.out_height, set ? &g_set.refine : NULL,
                          &r) != BD_OK)
        die("bd_refiner_create %dx%d: %s", w, h, bd_last_error());
    m->refiners[m->nrefiners++] = (struct refiner_slot){w, h, set, r};
    return r;
#else
    (void)m;
    (void)w;
    (void)h;
    (void)set;
    return NULL;
#endif
}

/*
 * The one pipeline every method is made of: fit the frame to the model
 * (geometry), predict the low-resolution probability (the model, cached per
 * frame and geometry so that methods differing only in the upsampler share
 * one inference; or the ground truth box-scaled to the model's output size),
 * upsample it to the canvas (bilinear, or the refiner: `tr` when given, a
 * stream refiner kept across frames; else a per-size refiner reset first,
 * as for a still image), and map the canvas back to the frame (letterbox:
 * the frame's part; crop: 0 outside the crop).
 */
static void run(struct mctx *m, struct frame *f, enum geometry g, enum predictor pr, int mirror,
                enum upsampler up, struct bd_refiner *tr, uint8_t *out)
{
    const int ow = m->info.out_width, oh = m->info.out_height;
    struct canvas c;
    make_canvas(m, f, g, pr == P_ORACLE, &c);
    float *prob;
    float *made = NULL; /* a map made here (ensemble, ground truth), freed at the end */
    if (pr == P_GIVEN) {
        prob = (float *)g_given;
    } else if (pr == P_MODEL) {
        prob = (float *)model_prob(m, f, g, mirror, c.rgb, c.rgb_stride, c.w, c.h);
    } else if (pr == P_ENSEMBLE) {
        const float *a = model_prob(m, f, g, mirror, c.rgb, c.rgb_stride, c.w, c.h);
        const float *b = model_prob(g_partner, f, g, mirror, c.rgb, c.rgb_stride, c.w, c.h);
        prob = made = xmalloc(sizeof(float) * (size_t)ow * oh);
        resample_f(b, g_partner->info.out_width, g_partner->info.out_height, prob, ow, oh);
        for (int i = 0; i < ow * oh; i++)
            prob[i] = 0.5f * (prob[i] + a[i]);
    } else {
        uint8_t *low = xmalloc((size_t)ow * oh);
        ScalePlane(c.gt, c.gt_stride, c.w, c.h, low, ow, ow, oh, kFilterBox);
        prob = made = xmalloc(sizeof(float) * (size_t)ow * oh);
        for (int i = 0; i < ow * oh; i++)
            prob[i] = low[i] / 255.f;
        free(low);
    }
    int direct = g == G_SQUASH;
    uint8_t *cm = direct ? out : xmalloc((size_t)c.w * c.h);
    double t0 = now_ms();
    if (up == U_BILINEAR) {
        bd_mask_upsample_bilinear(prob, ow, oh, cm, c.w, c.w, c.h);
    } else {
#if BD_QUALITY_REFINER
        uint8_t *low = xmalloc((size_t)ow * oh);
        for (int i = 0; i < ow * oh; i++) {
            float v = prob[i] * 255.f + 0.5f;
            low[i] = v <= 0.f ? 0 : v >= 255.f ? 255 : (uint8_t)v;
        }
        const uint8_t *Y, *U, *V;
        int ys, uvs;
        uint8_t *own = NULL;
        if (g == G_SQUASH || g == G_CROP) {
            if (!f->yuv)
                f->yuv = to_i420(f->rgb, 3 * f->w, f->w, f->h);
            int fcw = (f->w + 1) / 2, fch = (f->h + 1) / 2;
            ys = f->w;
            uvs = fcw;
            Y = f->yuv + (size_t)c.oy * ys + (size_t)c.ox * (g == G_CROP);
            if (g != G_CROP)
                Y = f->yuv;
            size_t uo = g == G_CROP ? (size_t)(c.oy / 2) * uvs + (size_t)(c.ox / 2) : 0;
            U = f->yuv + (size_t)f->w * f->h + uo;
            V = f->yuv + (size_t)f->w * f->h + (size_t)fcw * fch + uo;
        } else {
            own = to_i420(c.rgb, c.rgb_stride, c.w, c.h);
            int ccw = (c.w + 1) / 2, cch = (c.h + 1) / 2;
            ys = c.w;
            uvs = ccw;
            Y = own;
            U = own + (size_t)c.w * c.h;
            V = U + (size_t)ccw * cch;
        }
        struct bd_refiner *r = tr;
        if (!r) {
            r = refiner_for(m, c.w, c.h, up == U_SETTINGS);
            bd_refiner_reset(r);
        }
        if (up == U_REFINE_LUMA || (up == U_SETTINGS && g_set.luma))
            U = V = NULL;
        if (bd_refiner_run(r, low, ow, Y, ys, U, V, uvs, cm, c.w) != BD_OK)
            die("bd_refiner_run: %s", bd_last_error());
        free(own);
        free(low);
#else
        (void)tr;
        die("refined method without the refiner API");
#endif
    }
    m->up_ms = now_ms() - t0;
    if (g == G_LBOX_BLACK || g == G_LBOX_EDGE) {
        for (int y = 0; y < f->h; y++)
            memcpy(out + (size_t)y * f->w, cm + (size_t)(y + c.oy) * c.w + c.ox, (size_t)f->w);
    } else if (g == G_CROP) {
        memset(out, 0, (size_t)f->w * f->h);
        for (int y = 0; y < c.h; y++)
            memcpy(out + (size_t)(y + c.oy) * f->w + c.ox, cm + (size_t)y * c.w, (size_t)c.w);
    }
    if (!direct)
        free(cm);
    free(made);
    free_canvas(&c);
}

/* ---- the methods: one function each ---------------------------------- */

typedef void (*method_fn)(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr);

/* `backdrop mask --raw-mask`: bd_engine_segment_rgb on the whole frame (squashed
 * to the model's input) + bd_mask_upsample_bilinear. The baseline. */
static void method_raw(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_SQUASH, P_MODEL, 0, U_BILINEAR, NULL, out);
}

static void method_lbox_black(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_LBOX_BLACK, P_MODEL, 0, U_BILINEAR, NULL, out);
}

static void method_lbox_edge(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_LBOX_EDGE, P_MODEL, 0, U_BILINEAR, NULL, out);
}

static void method_crop(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_CROP, P_MODEL, 0, U_BILINEAR, NULL, out);
}

/* What `backdrop mask` and `cutout` do: the library's still segmenter
 * (bd_still) made from g_set's config, this row's model its model. With
 * the defaults: a first look at the frame, a second look at the person's
 * box (the zoom pass) on the crop and its mirror image, averaged, then the
 * refiner; for a model wider than 4:3 the second look is the general
 * model's, as in the camera. The camera's version, with the box from the
 * frame before, is method_refined_stream. Its time is not an upsampling
 * step's: the up ms column leaves it out. */
static void method_refined(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    if (!m->still) {
        struct bd_pipeline_config c = g_set.cfg;
        c.model = m->path;
        if (bd_still_create(&c, &m->still) != BD_OK)
            die("bd_still_create %s: %s", m->path, bd_last_error());
    }
    const struct bd_image im = {f->w, f->h, 3, 3 * f->w, f->rgb};
    if (bd_still_mask(m->still, &im, out, f->w) != BD_OK)
        die("bd_still_mask %s: %s", m->name, bd_last_error());
    m->up_ms = NAN;
}

/* Without the zoom pass: the frame and its mirror image (`--zoom off`). */
static void method_refined_nozoom(struct mctx *m, struct frame *f, uint8_t *out,
                                  struct bd_refiner *tr)
{
    run(m, f, G_SQUASH, P_MODEL, 1, U_REFINE, tr, out);
}

/* RGB24 scaled to mw x mh exactly as the engine scales an image not at the
 * model's size (engine.c, scale_to_model: per plane, centred bilinear), so
 * that the camera's policy below sees the inputs the engine's own scaling
 * gave before it existed. */
static void to_model(const uint8_t *rgb, int stride, int w, int h, int mw, int mh, uint8_t *out)
{
    const size_t n = (size_t)w * h, m = (size_t)mw * mh;
    uint8_t *pl = xmalloc(3 * (n + m)), *small = pl + 3 * n;
    SplitRGBPlane(rgb, stride, pl, w, pl + n, w, pl + 2 * n, w, w, h);
    for (int c = 0; c < 3; c++)
        ScalePlane(pl + (size_t)c * n, w, w, h, small + (size_t)c * m, mw, mw, mh, kFilterBilinear);
    MergeRGBPlane(small, mw, small + m, mw, small + 2 * m, mw, out, mw * 3, mw, mh);
    free(pl);
}

/* the temporal set's frame rate (--temporal-fps; 30 by default): the motion
 * script is in seconds, so another rate gives the same motion in more or
 * fewer frames */
static double g_tfps = 30.0;
#define T_FPS g_tfps
#define T_FRAMES ((int)lround(10 * g_tfps))

/* The camera's policy (model/stream.h): full = every frame its three runs,
 * as before the policy (bd_stream_policy_full); else the defaults, or
 * BACKDROP_STREAM's; mirror 0: plain runs only; zoom 0: no second look. */
static struct bd_stream *stream_for(struct mctx *m, int w, int h, int full, int mirror, int zoom)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    const char *env = getenv("BACKDROP_STREAM");
    if (env && *env && bd_stream_policy_parse(env, &pol) != 0)
        die("BACKDROP_STREAM='%s' not understood", env);
    if (full)
        bd_stream_policy_full(&pol);
    bd_stream_policy_rate(&pol, T_FPS); /* as the camera's pipeline does */
    if (!mirror)
        pol.mirror = BD_STREAM_MIRROR_OFF;
    struct bd_stream *s;
    if (bd_stream_create(m->engine, zoom ? zoom_model(m)->engine : NULL, w, h, -1, &pol, &s) !=
        BD_OK)
        die("bd_stream_create: %s", bd_last_error());
    return s;
}

/*
 * The camera's inference (pipeline.c, inference_main): the frame and the
 * box the frame before gave (*zbox, w = 0: none) at the models' sizes,
 * through the stream's policy (stream_for: its mirror and zoom settings
 * are the stream's); an unchanged frame keeps the last map (*keep, the
 * model's output size, kept across frames by the caller). luma: 1 the
 * luma guide, 0 the colour guide, -1 g_set's (the refiner tr was made
 * with its options).
 */
static void method_refined_stream(struct mctx *m, struct frame *f, uint8_t *out,
                                  struct bd_refiner *tr, struct bd_rect *zbox, int luma,
                                  struct bd_stream *s, float *keep)
{
    struct mctx *z = zoom_model(m);
    uint8_t *in = xmalloc((size_t)m->info.in_width * m->info.in_height * 3);
    uint8_t *zin = xmalloc((size_t)z->info.in_width * z->info.in_height * 3);
    to_model(f->rgb, 3 * f->w, f->w, f->h, m->info.in_width, m->info.in_height, in);
    if (zbox->w > 0)
        to_model(f->rgb + (size_t)zbox->y * 3 * f->w + (size_t)zbox->x * 3, 3 * f->w, zbox->w,
                 zbox->h, z->info.in_width, z->info.in_height, zin);
    struct bd_stream_look look;
    if (bd_stream_segment(s, in, 3 * m->info.in_width, zin, 3 * z->info.in_width, zbox, NULL, NULL,
                          keep, &look) != BD_OK)
        die("%s: %s", m->name, bd_last_error());
    *zbox = look.box;
    g_runs += look.runs;
    g_given = keep;
    run(m, f, G_SQUASH, P_GIVEN, 0, luma < 0 ? U_SETTINGS : luma ? U_REFINE_LUMA : U_REFINE, tr, out);
    g_given = NULL;
    free(zin);
    free(in);
}

/* The refiner on one model run (`--zoom off --mirror-average off`). */
static void method_refined_one(struct mctx *m, struct frame *f, uint8_t *out,
                               struct bd_refiner *tr)
{
    run(m, f, G_SQUASH, P_MODEL, 0, U_REFINE, tr, out);
}

/* The same with the luma-only guide (`--guide luma`, the cheaper one). */
static void method_refined_luma(struct mctx *m, struct frame *f, uint8_t *out,
                                struct bd_refiner *tr)
{
    run(m, f, G_SQUASH, P_MODEL, 3, U_REFINE_LUMA, tr, out);
}

static void method_lbox_edge_refined(struct mctx *m, struct frame *f, uint8_t *out,
                                     struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_LBOX_EDGE, P_MODEL, 1, U_REFINE, NULL, out);
}

static void method_crop_refined(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_CROP, P_MODEL, 1, U_REFINE, NULL, out);
}

/* Upper bounds: the ground truth through the model-size bottleneck (box
 * down to the output size, bilinear up): the best any bilinear upsampler
 * of a perfect model could do. */
static void method_oracle(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_SQUASH, P_ORACLE, 0, U_BILINEAR, NULL, out);
}

static void method_oracle_lbox(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_LBOX_BLACK, P_ORACLE, 0, U_BILINEAR, NULL, out);
}

/* The ground truth through the bottleneck, then refined with the frame as
 * guide: how much of the bottleneck's loss the refiner alone recovers. */
static void method_oracle_refined(struct mctx *m, struct frame *f, uint8_t *out,
                                  struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_SQUASH, P_ORACLE, 0, U_REFINE, NULL, out);
}

/* The mean of this model's and the --ensemble model's probabilities. */
static void method_ens_raw(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_SQUASH, g_partner ? P_ENSEMBLE : P_MODEL, 0, U_BILINEAR, NULL, out);
}

static void method_ens_refined(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    run(m, f, G_SQUASH, g_partner ? P_ENSEMBLE : P_MODEL, 0, U_REFINE, NULL, out);
}

/* The fusion study's two masks of frame f, cached per frame serial. */
static void rvm_pair(struct mctx *m, struct frame *f)
{
    if (m->fkey == f->serial)
        return;
    if (!m->gen_still) {
        struct bd_pipeline_config c = g_set.cfg;
        c.model = "general";
        if (bd_still_create(&c, &m->gen_still) != BD_OK)
            die("bd_still_create general: %s", bd_last_error());
        c.model = m->path;
        c.rvm_bare = 1;
        if (bd_still_create(&c, &m->bare_still) != BD_OK)
            die("bd_still_create %s: %s", m->path, bd_last_error());
    }
    const size_t n = (size_t)f->w * f->h;
    if (n > m->fcap) {
        free(m->gen_mask);
        free(m->alpha);
        free(m->fscratch);
        m->gen_mask = xmalloc(n);
        m->alpha = xmalloc(n);
        m->fscratch = xmalloc(bd_mask_fuse_scratch(f->w, f->h));
        m->fcap = n;
    }
    const struct bd_image im = {f->w, f->h, 3, 3 * f->w, f->rgb};
    if (bd_still_mask(m->gen_still, &im, m->gen_mask, f->w) != BD_OK ||
        bd_still_mask(m->bare_still, &im, m->alpha, f->w) != BD_OK)
        die("bd_still_mask (fusion study): %s", bd_last_error());
    m->fkey = f->serial;
}

/* radius in px at 1280 on the longer side, scaled to the frame; weight,
 * edge: the mean's weights of the alpha (bd_fuse_options) */
static void fuse_rows(struct mctx *m, struct frame *f, uint8_t *out, enum bd_fuse_mode mode,
                      int r1280, int weight, int edge)
{
    rvm_pair(m, f);
    const int l = f->w > f->h ? f->w : f->h;
    struct bd_fuse_options o = {.mode = mode, .radius = (r1280 * l + 640) / 1280,
                                .weight = weight, .edge_weight = edge};
    if (bd_mask_fuse(m->alpha, f->w, m->gen_mask, f->w, f->w, f->h, &o, m->fscratch, out, f->w) !=
        BD_OK)
        die("bd_mask_fuse: %s", bd_last_error());
    m->up_ms = NAN;
}

/* The variants of RVM's bare alpha of frame f (--rvm-variants), each what
 * the selfie models' pipeline does to their map:
 *  - refiner: bd_refiner guided by the frame, coverage kept as it is
 *    (lo 0, hi 1: the smoothstep would harden the matte), no temporal
 *    state (a still);
 *  - mirror average: the mean of the alpha and the mirrored image's alpha
 *    mirrored back (each from RVM's state fed back 3 times, as bd_still);
 *  - zoom pass: RVM again on the default mask's person box (widened by 5%
 *    of its size per side, as src/model/zoom.c), its alpha replacing the
 *    first inside the box; none when the box covers over 90% of the
 *    frame. */
static void rvm_variants(struct mctx *m, struct frame *f)
{
    rvm_pair(m, f);
    if (m->vkey == f->serial)
        return;
    const int w = f->w, h = f->h;
    const size_t n = (size_t)w * h;
    if (n > m->vcap) {
        free(m->v_ref);
        free(m->v_mir);
        free(m->v_zoom);
        free(m->v_tmp);
        free(m->v_rgb);
        m->v_ref = xmalloc(n);
        m->v_mir = xmalloc(n);
        m->v_zoom = xmalloc(n);
        m->v_tmp = xmalloc(n);
        m->v_rgb = xmalloc(n * 3);
        m->vcap = n;
    }
#if BD_QUALITY_REFINER
    {
        struct bd_refine_options o;
        bd_refine_options_default(&o);
        o.lo = 0.f;
        o.hi = 1.f;
        o.temporal = 0;
        struct bd_refiner *r;
        if (bd_refiner_create(w, h, w, h, &o, &r) != BD_OK)
            die("bd_refiner_create (rvm variants): %s", bd_last_error());
        if (!f->yuv)
            f->yuv = to_i420(f->rgb, 3 * w, w, h);
        const int cw = (w + 1) / 2, ch = (h + 1) / 2;
        if (bd_refiner_run(r, m->alpha, w, f->yuv, w, f->yuv + n, f->yuv + n + (size_t)cw * ch, cw,
                           m->v_ref, w) != BD_OK)
            die("bd_refiner_run (rvm variants): %s", bd_last_error());
        bd_refiner_destroy(r);
    }
#else
    memcpy(m->v_ref, m->alpha, n);
#endif
    /* mirror average */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            memcpy(m->v_rgb + ((size_t)y * w + (w - 1 - x)) * 3, f->rgb + ((size_t)y * w + x) * 3, 3);
    const struct bd_image mi = {w, h, 3, 3 * w, m->v_rgb};
    if (bd_still_mask(m->bare_still, &mi, m->v_tmp, w) != BD_OK)
        die("bd_still_mask (mirror): %s", bd_last_error());
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            m->v_mir[(size_t)y * w + x] =
                (uint8_t)((m->alpha[(size_t)y * w + x] + m->v_tmp[(size_t)y * w + (w - 1 - x)] + 1) / 2);
    /* zoom pass */
    memcpy(m->v_zoom, m->alpha, n);
    int x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (m->gen_mask[(size_t)y * w + x] >= 128) {
                x0 = x < x0 ? x : x0;
                x1 = x > x1 ? x : x1;
                y0 = y < y0 ? y : y0;
                y1 = y > y1 ? y : y1;
            }
    if (x1 >= x0) {
        const int mx = (int)(0.05 * (x1 - x0 + 1) + 0.5), my = (int)(0.05 * (y1 - y0 + 1) + 0.5);
        x0 = x0 - mx < 0 ? 0 : x0 - mx;
        y0 = y0 - my < 0 ? 0 : y0 - my;
        x1 = x1 + mx >= w ? w - 1 : x1 + mx;
        y1 = y1 + my >= h ? h - 1 : y1 + my;
        const int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        if ((double)bw * bh <= 0.9 * (double)n && bw >= 32 && bh >= 32) {
            for (int y = 0; y < bh; y++)
                memcpy(m->v_rgb + (size_t)y * bw * 3, f->rgb + ((size_t)(y0 + y) * w + x0) * 3,
                       (size_t)bw * 3);
            const struct bd_image zi = {bw, bh, 3, 3 * bw, m->v_rgb};
            if (bd_still_mask(m->bare_still, &zi, m->v_tmp, bw) != BD_OK)
                die("bd_still_mask (zoom): %s", bd_last_error());
            for (int y = 0; y < bh; y++)
                memcpy(m->v_zoom + (size_t)(y0 + y) * w + x0, m->v_tmp + (size_t)y * bw, (size_t)bw);
        }
    }
    m->vkey = f->serial;
}

/* which: 0 refiner, 1 mirror average, 2 zoom pass; fused: by the default
 * fusion with the same default mask */
static void variant_rows(struct mctx *m, struct frame *f, uint8_t *out, int which, int fused)
{
    rvm_variants(m, f);
    const uint8_t *v = which == 0 ? m->v_ref : which == 1 ? m->v_mir : m->v_zoom;
    if (!fused) {
        memcpy(out, v, (size_t)f->w * f->h);
    } else {
        struct bd_fuse_options o;
        bd_fuse_options_default(f->w, f->h, &o);
        if (bd_mask_fuse(v, f->w, m->gen_mask, f->w, f->w, f->h, &o, m->fscratch, out, f->w) !=
            BD_OK)
            die("bd_mask_fuse: %s", bd_last_error());
    }
    m->up_ms = NAN;
}
#define VARIANT_ROW(fn, which, fused)                                                      \
    static void fn(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr) \
    {                                                                                      \
        (void)tr;                                                                          \
        variant_rows(m, f, out, which, fused);                                             \
    }
VARIANT_ROW(method_v_ref, 0, 0)
VARIANT_ROW(method_v_mir, 1, 0)
VARIANT_ROW(method_v_zoom, 2, 0)
VARIANT_ROW(method_v_ref_f, 0, 1)
VARIANT_ROW(method_v_mir_f, 1, 1)
VARIANT_ROW(method_v_zoom_f, 2, 1)

static void method_rvm_bare(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    rvm_pair(m, f);
    memcpy(out, m->alpha, (size_t)f->w * f->h);
    m->up_ms = NAN;
}

static void method_rvm_general(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr)
{
    (void)tr;
    rvm_pair(m, f);
    memcpy(out, m->gen_mask, (size_t)f->w * f->h);
    m->up_ms = NAN;
}

#define FUSE_ROW(fn, mode, r, wt, ed)                                              \
    static void fn(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr) \
    {                                                                              \
        (void)tr;                                                                  \
        fuse_rows(m, f, out, mode, r, wt, ed);                                     \
    }
FUSE_ROW(method_fuse_mean, BD_FUSE_MEAN, 0, 128, 128)
FUSE_ROW(method_fuse_w40, BD_FUSE_MEAN, 0, 102, 102)
FUSE_ROW(method_fuse_w60, BD_FUSE_MEAN, 0, 154, 154)
FUSE_ROW(method_fuse_w70, BD_FUSE_MEAN, 0, 179, 179)
FUSE_ROW(method_fuse_c50_75, BD_FUSE_MEAN, 0, 128, 192)
FUSE_ROW(method_fuse_c50_100, BD_FUSE_MEAN, 0, 128, 256)
FUSE_ROW(method_fuse_c40_75, BD_FUSE_MEAN, 0, 102, 192)
FUSE_ROW(method_fuse_c40_100, BD_FUSE_MEAN, 0, 102, 256)
FUSE_ROW(method_fuse_c30_75, BD_FUSE_MEAN, 0, 77, 192)
FUSE_ROW(method_fuse_c60_30, BD_FUSE_MEAN, 0, 154, 77)
FUSE_ROW(method_fuse_gate8, BD_FUSE_GATE, 8, 0, 0)
FUSE_ROW(method_fuse_gate16, BD_FUSE_GATE, 16, 0, 0)
FUSE_ROW(method_fuse_gate32, BD_FUSE_GATE, 32, 0, 0)
FUSE_ROW(method_fuse_band8, BD_FUSE_BAND, 8, 0, 0)
FUSE_ROW(method_fuse_band16, BD_FUSE_BAND, 16, 0, 0)
FUSE_ROW(method_fuse_band24, BD_FUSE_BAND, 24, 0, 0)
FUSE_ROW(method_fuse_band32, BD_FUSE_BAND, 32, 0, 0)
FUSE_ROW(method_fuse_band48, BD_FUSE_BAND, 48, 0, 0)
FUSE_ROW(method_fuse_band64, BD_FUSE_BAND, 64, 0, 0)

/* --fuse-refine: the refiner on a still's mask as the camera's stills get
 * it (bd_refiner at the frame's size, no temporal state), the coverage as
 * it is (lo 0, hi 1: the smoothstep would harden the matte); edge_aware
 * with the colour guide, or plain with the luma (the video's smoothing) */
static void refine_still(struct frame *f, const uint8_t *in, uint8_t *out, int edge_aware)
{
#if BD_QUALITY_REFINER
    const int w = f->w, h = f->h;
    const size_t n = (size_t)w * h;
    struct bd_refine_options o;
    bd_refine_options_default(&o);
    o.edge_aware = edge_aware;
    o.lo = 0.f;
    o.hi = 1.f;
    o.temporal = 0;
    struct bd_refiner *r;
    if (bd_refiner_create(w, h, w, h, &o, &r) != BD_OK)
        die("bd_refiner_create (fuse-refine): %s", bd_last_error());
    if (!f->yuv)
        f->yuv = to_i420(f->rgb, 3 * w, w, h);
    const int cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (bd_refiner_run(r, in, w, f->yuv, w, edge_aware ? f->yuv + n : NULL,
                       edge_aware ? f->yuv + n + (size_t)cw * ch : NULL, edge_aware ? cw : 0, out,
                       w) != BD_OK)
        die("bd_refiner_run (fuse-refine): %s", bd_last_error());
    bd_refiner_destroy(r);
#else
    (void)edge_aware;
    memcpy(out, in, (size_t)f->w * f->h);
#endif
}

/* RVM's alpha for the frame (rvm_pair), the rows' buffers at its size,
 * and, for refined_alpha, the refined alpha (once a frame); returns the
 * alpha the row fuses */
static const uint8_t *rvm_alpha_for_row(struct mctx *m, struct frame *f, int refined_alpha)
{
    rvm_pair(m, f);
    const size_t n = (size_t)f->w * f->h;
    if (n > m->rcap) {
        free(m->r_alpha);
        free(m->r_tmp);
        m->r_alpha = xmalloc(n);
        m->r_tmp = xmalloc(n);
        m->rcap = n;
        m->rkey = -1;
    }
    if (refined_alpha && m->rkey != f->serial) {
        refine_still(f, m->alpha, m->r_alpha, 1);
        m->rkey = f->serial;
    }
    return refined_alpha ? m->r_alpha : m->alpha;
}

/* A --fuse-refine row: alpha (the bare or, refined_alpha, the refined
 * one) fused with the default mask by the mean of weights weight / edge
 * (bd_fuse_options), then refined (after: 1 edge-aware, 2 plain, 0 not) */
static void fuse_refine_rows(struct mctx *m, struct frame *f, uint8_t *out, int refined_alpha,
                             int weight, int edge, int after)
{
    const uint8_t *a = rvm_alpha_for_row(m, f, refined_alpha);
    struct bd_fuse_options o = {.mode = BD_FUSE_MEAN, .weight = weight, .edge_weight = edge};
    if (bd_mask_fuse(a, f->w, m->gen_mask, f->w, f->w, f->h,
                     &o, m->fscratch, after ? m->r_tmp : out, f->w) != BD_OK)
        die("bd_mask_fuse: %s", bd_last_error());
    if (after)
        refine_still(f, m->r_tmp, out, after == 1);
    m->up_ms = NAN;
}
#define FUSE_REFINE_ROW(fn, ra, wt, ed, after)                                       \
    static void fn(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr) \
    {                                                                                \
        (void)tr;                                                                    \
        fuse_refine_rows(m, f, out, ra, wt, ed, after);                              \
    }
FUSE_REFINE_ROW(method_fr_mean_ea, 0, 128, 128, 1)
FUSE_REFINE_ROW(method_fr_mean_plain, 0, 128, 128, 2)
FUSE_REFINE_ROW(method_fr_w55_ea, 0, 141, 141, 1)
FUSE_REFINE_ROW(method_fr_w60_ea, 0, 154, 154, 1)
FUSE_REFINE_ROW(method_fr_c50_100_ea, 0, 128, 256, 1)
FUSE_REFINE_ROW(method_fr_ra_w55, 1, 141, 141, 0)
FUSE_REFINE_ROW(method_fr_ra_w60, 1, 154, 154, 0)
FUSE_REFINE_ROW(method_fr_ra_c50_100, 1, 128, 256, 0)
FUSE_REFINE_ROW(method_fr_ra_c60_30, 1, 154, 77, 0)
FUSE_REFINE_ROW(method_fr_ra_mean_ea, 1, 128, 128, 1)

/* --fuse-rvmconf: the mean weighted by how sure RVM's alpha is, not our
 * mask: the alpha's share sure (256ths) where it is 0 or 255, partial
 * where it is 127/128, linear in |2 alpha - 255| between (RVM's sure
 * decisions, e.g. an object left out, count more than its partial alpha
 * on clothes and blankets); refined_alpha: the refined alpha's */
static void fuse_aconf_rows(struct mctx *m, struct frame *f, uint8_t *out, int refined_alpha,
                            int sure, int partial)
{
    const uint8_t *a = rvm_alpha_for_row(m, f, refined_alpha);
    const size_t n = (size_t)f->w * f->h;
    uint16_t wt[256];
    for (int v = 0; v < 256; v++) {
        const int s = v > 127 ? 2 * v - 255 : 255 - 2 * v;
        wt[v] = (uint16_t)((partial * (255 - s) + sure * (s - 1) + 127) / 254);
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned k = wt[a[i]];
        out[i] = (uint8_t)((a[i] * k + m->gen_mask[i] * (256 - k) + 128) >> 8);
    }
    m->up_ms = NAN;
}
#define FUSE_ACONF_ROW(fn, ra, sure, partial)                                        \
    static void fn(struct mctx *m, struct frame *f, uint8_t *out, struct bd_refiner *tr) \
    {                                                                                \
        (void)tr;                                                                    \
        fuse_aconf_rows(m, f, out, ra, sure, partial);                               \
    }
FUSE_ACONF_ROW(method_ac_60_40, 0, 154, 102)
FUSE_ACONF_ROW(method_ac_70_40, 0, 179, 102)
FUSE_ACONF_ROW(method_ac_70_30, 0, 179, 77)
FUSE_ACONF_ROW(method_ac_80_40, 0, 205, 102)
FUSE_ACONF_ROW(method_ac_70_50, 0, 179, 128)
FUSE_ACONF_ROW(method_ac_80_30, 0, 205, 77)
FUSE_ACONF_ROW(method_ac_90_40, 0, 230, 102)
FUSE_ACONF_ROW(method_ac_r70_40, 1, 179, 102)
FUSE_ACONF_ROW(method_ac_r80_40, 1, 205, 102)

struct method {
    const char *name;
    method_fn fn;
    int refiner;  /* needs the refiner API */
    int ensemble; /* needs --ensemble */
    int real;     /* also a row of the real set (real_set) */
    int rvm;      /* 0: rows of the other models; 1: every model's; 2: --model rvm's
                     (--fusion); 3: --model rvm's (--rvm-variants); 4: --model rvm's
                     (--fuse-refine); 5: (--fuse-rvmconf) */
};

static const struct method methods[] = {
    {"raw (squash)", method_raw, 0, 0, 1, 0},
    {"letterbox black", method_lbox_black, 0, 0, 0, 0},
    {"letterbox edge", method_lbox_edge, 0, 0, 0, 0},
    {"centre crop", method_crop, 0, 0, 0, 0},
    {"refined (defaults)", method_refined, 1, 0, 1, 1},
    {"refined, no zoom", method_refined_nozoom, 1, 0, 1, 0},
    {"refined, one model run", method_refined_one, 1, 0, 1, 0},
    {"refined, luma guide", method_refined_luma, 1, 0, 0, 0},
    {"refined letterbox edge", method_lbox_edge_refined, 1, 0, 0, 0},
    {"refined centre crop", method_crop_refined, 1, 0, 0, 0},
    {"bound: gt@model squash", method_oracle, 0, 0, 0, 0},
    {"bound: gt@model letterbox", method_oracle_lbox, 0, 0, 0, 0},
    {"bound: gt@model refined", method_oracle_refined, 1, 0, 0, 0},
    {"ensemble raw", method_ens_raw, 0, 1, 0, 0},
    {"ensemble refined", method_ens_refined, 1, 1, 0, 0},
    {"fusion study: general", method_rvm_general, 0, 0, 1, 2},
    {"fusion study: rvm bare", method_rvm_bare, 0, 0, 1, 2},
    {"fuse: mean", method_fuse_mean, 0, 0, 1, 2},
    {"fuse: mean, rvm 0.4", method_fuse_w40, 0, 0, 1, 2},
    {"fuse: mean, rvm 0.6", method_fuse_w60, 0, 0, 1, 2},
    {"fuse: mean, rvm 0.7", method_fuse_w70, 0, 0, 1, 2},
    {"fuse: conf 0.5 / edge 0.75", method_fuse_c50_75, 0, 0, 1, 2},
    {"fuse: conf 0.5 / edge 1", method_fuse_c50_100, 0, 0, 1, 2},
    {"fuse: conf 0.4 / edge 0.75", method_fuse_c40_75, 0, 0, 1, 2},
    {"fuse: conf 0.4 / edge 1", method_fuse_c40_100, 0, 0, 1, 2},
    {"fuse: conf 0.3 / edge 0.75", method_fuse_c30_75, 0, 0, 1, 2},
    {"fuse: conf 0.6 / edge 0.3", method_fuse_c60_30, 0, 0, 1, 2},
    {"fuse: gate 8", method_fuse_gate8, 0, 0, 1, 2},
    {"fuse: gate 16", method_fuse_gate16, 0, 0, 1, 2},
    {"fuse: gate 32", method_fuse_gate32, 0, 0, 1, 2},
    {"fuse: band 8", method_fuse_band8, 0, 0, 1, 2},
    {"fuse: band 16", method_fuse_band16, 0, 0, 1, 2},
    {"fuse: band 24", method_fuse_band24, 0, 0, 1, 2},
    {"fuse: band 32", method_fuse_band32, 0, 0, 1, 2},
    {"fuse: band 48", method_fuse_band48, 0, 0, 1, 2},
    {"fuse: band 64", method_fuse_band64, 0, 0, 1, 2},
    {"rvm bare + refiner (0..1)", method_v_ref, 0, 0, 1, 3},
    {"rvm bare + mirror average", method_v_mir, 0, 0, 1, 3},
    {"rvm bare + zoom pass", method_v_zoom, 0, 0, 1, 3},
    {"fuse: mean of refined alpha", method_v_ref_f, 0, 0, 1, 3},
    {"fuse: mean of mirror-avg alpha", method_v_mir_f, 0, 0, 1, 3},
    {"fuse: mean of zoomed alpha", method_v_zoom_f, 0, 0, 1, 3},
    {"fuse: mean, then refined (edge-aware)", method_fr_mean_ea, 0, 0, 1, 4},
    {"fuse: mean, then refined (plain)", method_fr_mean_plain, 0, 0, 1, 4},
    {"fuse: rvm 0.55, then refined (e-a)", method_fr_w55_ea, 0, 0, 1, 4},
    {"fuse: rvm 0.6, then refined (e-a)", method_fr_w60_ea, 0, 0, 1, 4},
    {"fuse: conf 0.5/edge 1, refined (e-a)", method_fr_c50_100_ea, 0, 0, 1, 4},
    {"fuse: refined alpha, rvm 0.55", method_fr_ra_w55, 0, 0, 1, 4},
    {"fuse: refined alpha, rvm 0.6", method_fr_ra_w60, 0, 0, 1, 4},
    {"fuse: refined alpha, conf 0.5/edge 1", method_fr_ra_c50_100, 0, 0, 1, 4},
    {"fuse: refined alpha, conf 0.6/edge 0.3", method_fr_ra_c60_30, 0, 0, 1, 4},
    {"fuse: refined alpha, mean, refined", method_fr_ra_mean_ea, 0, 0, 1, 4},
    {"fuse: rvm-conf sure 0.6 / part 0.4", method_ac_60_40, 0, 0, 1, 5},
    {"fuse: rvm-conf sure 0.7 / part 0.4", method_ac_70_40, 0, 0, 1, 5},
    {"fuse: rvm-conf sure 0.7 / part 0.3", method_ac_70_30, 0, 0, 1, 5},
    {"fuse: rvm-conf sure 0.8 / part 0.4", method_ac_80_40, 0, 0, 1, 5},
    {"fuse: rvm-conf sure 0.7 / part 0.5", method_ac_70_50, 0, 0, 1, 5},
    {"fuse: rvm-conf sure 0.8 / part 0.3", method_ac_80_30, 0, 0, 1, 5},
    {"fuse: rvm-conf sure 0.9 / part 0.4", method_ac_90_40, 0, 0, 1, 5},
    {"fuse: refined alpha, rvm-conf 0.7/0.4", method_ac_r70_40, 0, 0, 1, 5},
    {"fuse: refined alpha, rvm-conf 0.8/0.4", method_ac_r80_40, 0, 0, 1, 5},
};
#define NMETHODS ((int)(sizeof methods / sizeof methods[0]))

/* The rows g_set drives say so. */
static const char *method_name(int i)
{
    return methods[i].fn == method_refined ? set_row() : methods[i].name;
}

static int method_enabled(int i)
{
    return (!methods[i].refiner || BD_QUALITY_REFINER) && (!methods[i].ensemble || g_partner);
}

/* the fusion study's rows: --fusion (they cost two more masks a frame) */
static int g_fusion;
/* the refiner, mirror average and zoom pass on RVM's alpha: --rvm-variants */
static int g_rvm_variants;
/* fused masks refined, and the refined alpha fused by other weights:
 * --fuse-refine */
static int g_fuse_refine;
/* the mean weighted by RVM's own confidence: --fuse-rvmconf */
static int g_fuse_aconf;

static int method_on(const struct mctx *m, int i)
{
    if (!method_enabled(i))
        return 0;
    /* --model rvm's refined (defaults) row is bd_still's fused mask, which
     * is the fuse: mean row's bytes (tests/test_rvm.c: still fused =
     * fuse(bare, default)): the study leaves it out, which halves its
     * RVM runs */
    if (m->rvm && (g_fusion || g_rvm_variants || g_fuse_refine || g_fuse_aconf) && methods[i].fn == method_refined)
        return 0;
    if (m->rvm)
        return methods[i].rvm == 1 || (methods[i].rvm == 2 && g_fusion) ||
               (methods[i].rvm == 3 && g_rvm_variants) || (methods[i].rvm == 4 && g_fuse_refine) ||
               (methods[i].rvm == 5 && g_fuse_aconf);
    return methods[i].rvm < 2;
}

/* ------------------------------------------------------------------------ */
/* Still set                                                                 */

struct acc {
    double iou, mad, bf, tmad, up_ms;
    int n;
};

static void acc_add(struct acc *a, const struct scores *s, double up_ms)
{
    a->iou += s->iou;
    a->mad += s->mad;
    a->bf += s->bf;
    a->tmad += s->tmad;
    a->up_ms += up_ms;
    a->n++;
}

static void print_table(const struct mctx *m, enum framing fr, const struct acc *a, int nimg)
{
    printf("\n%s, %s (%dx%d model input), %d images\n", m->name, framing_name[fr], m->info.in_width,
           m->info.in_height, nimg);
    printf("  %-27s %7s %7s %7s %8s %9s\n", "method", "IoU", "MAD", "bnd F", "trimap", "up ms");
    for (int i = 0; i < NMETHODS; i++) {
        if (!method_on(m, i) || a[i].n == 0)
            continue;
        double n = a[i].n;
        printf("  %-27s %7.3f %7.1f %7.3f %8.1f", method_name(i), a[i].iou / n, a[i].mad / n,
               a[i].bf / n, a[i].tmad / n);
        if (isnan(a[i].up_ms))
            printf("         -\n");
        else
            printf(" %9.1f\n", a[i].up_ms / n);
    }
}

/* ------------------------------------------------------------------------ */
/* Temporal set                                                              */

#define LAG_K 8

/*
 * The motion script (t in seconds, 1280x720, portrait scale s, the
 * person's bounding-box centre at canvas x = X, the portrait's bottom at
 * canvas y = B, always below the frame's bottom so no cut edge shows):
 *   0-2 s   still: s = 0.63, X = 640, B = 750
 *   2-5 s   sway: X = 640 + 200 sin(2 pi (t-2) / 3)   (peak 419 px/s)
 *   5-7 s   zoom: s = 0.63 + 0.05 sin(2 pi (t-5) / 2), bottom anchored
 *   7-8 s   still
 *   8-10 s  fast sway and bob: X = 640 + 120 sin(2 pi (t-8)),
 *           B = 750 + 15 sin(4 pi (t-8))                (peak 754 px/s)
 * Frames are "moving" when their pose differs from the previous frame's.
 */
static void pose(int i, double *s, double *X, double *B)
{
    double t = i / T_FPS;
    *s = 0.63;
    *X = 640;
    *B = 750;
    if (t >= 2 && t < 5)
        *X = 640 + 200 * sin(2 * M_PI * (t - 2) / 3);
    else if (t >= 5 && t < 7)
        *s = 0.63 + 0.05 * sin(2 * M_PI * (t - 5) / 2);
    else if (t >= 8) {
        *X = 640 + 120 * sin(2 * M_PI * (t - 8));
        *B = 750 + 15 * sin(4 * M_PI * (t - 8));
    }
}

struct tstate {
    uint8_t *prev, *cur;
    struct bd_refiner *r;
    int temporal; /* refiner with temporal smoothing */
    struct bd_rect zbox; /* the zoom pass's box for the next frame */
    struct bd_stream *stream; /* the camera's policy (stream rows) */
    struct bd_filter *filt;   /* --model rvm: the library's filter (exact mode) */
    /* --model rvm's harness-made rows (rvm_tvariant): the bare alpha and
     * the first model's refined (temporal on) mask of the same frame,
     * fused, with the refiner's temporal smoothing before or after */
    int variant;
    int tw, te; /* --tfuse's weights, or -1 */
    uint8_t *tmp;
    float *keep;              /* its map, kept over unchanged frames */
    long runs;                /* its model runs */
    double flick, flick_band, flick_still;
    double nflick, nflick_band, nflick_still;
    double lag[LAG_K + 1];
    double nlag;
    struct acc sc;
};

/* One frame of the temporal set through bd_filter (I420, as a camera's). */
static void rvm_filter_frame(struct bd_filter *flt, struct frame *f, uint8_t *out)
{
    const int W = f->w, H = f->h;
    const size_t N = (size_t)W * H;
    if (!f->yuv)
        f->yuv = xmalloc(N * 3 / 2);
    uint8_t *y = f->yuv, *u = y + N, *v = u + N / 4;
    RAWToI420(f->rgb, 3 * W, y, W, u, W / 2, v, W / 2, W, H);
    struct bd_video_frame in = {.format = BD_PIX_I420, .width = W, .height = H,
                                 .data = {y, u, v}, .stride = {W, W / 2, W / 2}};
    const uint8_t *mk;
    int ms, mw, mh;
    if (bd_filter_process(flt, &in, &in) != BD_OK || bd_filter_mask(flt, &mk, &ms, &mw, &mh) != BD_OK)
        die("bd_filter (temporal set): %s", bd_last_error());
    for (int r = 0; r < H; r++)
        memcpy(out + (size_t)r * W, mk + (size_t)r * ms, (size_t)W);
}

/* --tfuse W,E/W,E/W,E: the weights (bd_fuse_options) of the last three
 * harness-made rvm rows, which then are fused with them and smoothed */
static int g_tfuse[3][2], g_ntfuse;

/* the rvm rows' slots of the temporal set (see rvm_tvariant) */
enum { TV_NONE, TV_FUSE, TV_SMOOTH_ALPHA, TV_SMOOTH_FUSED, TV_GUIDED_FUSED };
static const char *const tv_name[] = {"", "fused here, no smoothing", "alpha smoothed, fused",
                                      "fused, then smoothed (check)", "fused, then refined (0..1)"};

/* One harness-made rvm row: bare (RVM's bare alpha through bd_filter) and
 * person (the first model's camera mask) of this frame, W x H; yuv the
 * frame's I420 */
static void rvm_tvariant(struct tstate *t, const uint8_t *bare, const uint8_t *person,
                         const uint8_t *yuv, int W, int H, void *scratch)
{
    const size_t N = (size_t)W * H;
    struct bd_fuse_options o;
    bd_fuse_options_default(W, H, &o);
    if (t->tw >= 0) {
        o.weight = t->tw;
        o.edge_weight = t->te;
    }
    const uint8_t *u = yuv + N, *v = u + N / 4;
    enum bd_status r = BD_OK;
    if (t->variant == TV_FUSE) {
        r = bd_mask_fuse(bare, W, person, W, W, H, &o, scratch, t->cur, W);
    } else if (t->variant == TV_SMOOTH_ALPHA) {
        r = bd_refiner_run(t->r, bare, W, yuv, W, NULL, NULL, 0, t->tmp, W);
        if (r == BD_OK)
            r = bd_mask_fuse(t->tmp, W, person, W, W, H, &o, scratch, t->cur, W);
    } else {
        r = bd_mask_fuse(bare, W, person, W, W, H, &o, scratch, t->tmp, W);
        /* the smoothing as the pipeline runs it (luma guide: plain mode
         * takes no colour); the refined row with the colour guide */
        const int col = t->variant == TV_GUIDED_FUSED;
        if (r == BD_OK)
            r = bd_refiner_run(t->r, t->tmp, W, yuv, W, col ? u : NULL, col ? v : NULL,
                               col ? W / 2 : 0, t->cur, W);
    }
    if (r != BD_OK)
        die("temporal set, rvm rows: %s", bd_last_error());
}

static void temporal(const struct portrait *p, const struct background *b, struct mctx **ms, int nm,
                     const char *outdir)
{
    const int W = WEBCAM_W, H = WEBCAM_H;
    const size_t N = (size_t)W * H;
    printf("\n== temporal set: %s over %s, %dx%d, %d frames at %.0f fps, noise sigma 2 ==\n",
           p->name, b->name, W, H, T_FRAMES, T_FPS);
    uint8_t *bg = xmalloc(N * 3);
    cover(&b->img, W, H, bg);
    struct frame f;
    frame_alloc(&f, W, H);
    uint8_t *ring[LAG_K + 1];
    for (int k = 0; k <= LAG_K; k++)
        ring[k] = xcalloc(N);
    int32_t *swept = xmalloc(sizeof(int32_t) * N);
    long nswept = 0;
    uint8_t *scratch = xmalloc(N);
    /* method list of the temporal set */
    /* TM_LATE: the raw mask of frame t-2 shown with frame t, as a live
     * pipeline does when inference trails the camera by two frames; it
     * also checks the lag measure (it must read 2). */
    /* The refined methods are the camera's: the zoom pass with the box
     * from the frame before (method_refined_stream), but for "no zoom"
     * and "one model run". */
    /* TM_REF_FULL: the camera before its inference policy (three runs
     * every frame); the other stream rows have the policy (model/stream.h). */
    enum { TM_RAW, TM_LATE, TM_REF, TM_REF_NOT, TM_REF_LUMA, TM_REF_NOZOOM, TM_REF_ONE,
           TM_REF_FULL, TM_COUNT };
    /* TM_REF and TM_REF_NOT are g_set's (the defaults unless --set) */
    const char *const tm_name[TM_COUNT] = {
        "raw", "raw, 2 frames late (check)", g_set.n ? "refined (--set)" : "refined (temporal on)",
        g_set.n ? "refined (--set, temporal off)" : "refined (temporal off)", "refined, luma guide",
        "refined, no zoom", "refined, one model run", "refined, 3 runs a frame"};
    int ntm = BD_QUALITY_REFINER ? TM_COUNT : 2;
    uint8_t *late[MAX_MODELS][3];
    for (int mi = 0; mi < nm; mi++)
        for (int k = 0; k < 3; k++)
            late[mi][k] = xcalloc(N);
    struct tstate *st = xcalloc(sizeof *st * (size_t)nm * TM_COUNT);
    int pmi = -1; /* the person mask of the rvm rows: the first other model's */
    for (int mi = nm - 1; mi >= 0; mi--)
        if (!ms[mi]->rvm)
            pmi = mi;
    void *fscratch = xmalloc(bd_mask_fuse_scratch(W, H));
    for (int mi = 0; mi < nm; mi++)
        for (int j = 0; j < ntm; j++) {
            struct tstate *t = &st[mi * TM_COUNT + j];
            t->prev = xcalloc(N);
            t->cur = xcalloc(N);
            t->tw = t->te = -1;
            if (ms[mi]->rvm) {
                /* what --model rvm gives a video (bd_filter, as the camera
                 * and files run it: the state fed back frame to frame),
                 * and its bare alpha; in the slots after those, the
                 * harness-made rows (rvm_tvariant), when a model before
                 * rvm gives the person mask */
                if (j > TM_REF_NOT && pmi >= 0 && pmi < mi) {
                    t->variant = j == TM_REF_LUMA     ? TV_FUSE
                                 : j == TM_REF_NOZOOM ? TV_SMOOTH_ALPHA
                                 : j == TM_REF_ONE    ? TV_SMOOTH_FUSED
                                                      : TV_GUIDED_FUSED;
                    t->tw = t->te = -1;
                    if (g_ntfuse && j > TM_REF_LUMA) { /* --tfuse */
                        const int k = j - TM_REF_LUMA - 1;
                        if (k >= g_ntfuse) {
                            t->variant = TV_NONE;
                            continue;
                        }
                        t->variant = TV_SMOOTH_FUSED;
                        t->tw = g_tfuse[k][0];
                        t->te = g_tfuse[k][1];
                    }
                    t->tmp = xcalloc(N);
#if BD_QUALITY_REFINER
                    struct bd_refine_options o;
                    bd_fuse_smooth_options(&o); /* --model rvm's (plain) */
                    o.edge_aware = t->variant == TV_GUIDED_FUSED;
                    if (t->variant != TV_FUSE &&
                        bd_refiner_create(W, H, W, H, &o, &t->r) != BD_OK)
                        die("bd_refiner_create: %s", bd_last_error());
#endif
                    continue;
                }
                if (j != TM_REF && j != TM_REF_NOT)
                    continue;
                struct bd_pipeline_config c = g_set.cfg;
                c.model = ms[mi]->path;
                c.rvm_bare = j == TM_REF_NOT;
                c.width = W;
                c.height = H;
                c.effect = BD_EFFECT_COLOR;
                if (bd_filter_create(&c, BD_FILTER_EXACT, &t->filt) != BD_OK)
                    die("bd_filter_create %s: %s", c.model, bd_last_error());
                continue;
            }
            t->temporal = j == TM_REF || j == TM_REF_LUMA || j == TM_REF_NOZOOM ||
                          j == TM_REF_ONE || j == TM_REF_FULL;
            if (j == TM_REF || j == TM_REF_NOT || j == TM_REF_LUMA || j == TM_REF_FULL) {
                const int own = j == TM_REF || j == TM_REF_NOT;
                t->stream = stream_for(ms[mi], W, H, j == TM_REF_FULL, own ? g_set.mirror : 1,
                                       own ? g_set.zoom : 1);
                t->keep = xcalloc(sizeof(float) * (size_t)ms[mi]->info.out_width *
                                  (size_t)ms[mi]->info.out_height);
            }
#if BD_QUALITY_REFINER
            if (j >= TM_REF) {
                struct bd_refine_options o;
                bd_refine_options_default(&o);
                o.temporal = t->temporal;
                if (j == TM_REF || j == TM_REF_NOT) {
                    o = g_set.refine;
                    o.temporal = j == TM_REF && g_set.refine.temporal;
                }
                if (bd_refiner_create(W, H, ms[mi]->info.out_width, ms[mi]->info.out_height, &o,
                                      &t->r) != BD_OK)
                    die("bd_refiner_create: %s", bd_last_error());
            }
#endif
        }
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    double ps = 0, pX = 0, pB = 0;
    int moving_prev = 0;
    for (int i = 0; i < T_FRAMES; i++) {
        double s, X, B;
        pose(i, &s, &X, &B);
        int moving = i > 0 && (s != ps || X != pX || B != pB);
        ps = s;
        pX = X;
        pB = B;
        double cx = (p->bx0 + p->bx1 + 1) / 2.0;
        compose(p, s, X - s * cx, B - s * p->img.height, bg, W, H, f.rgb, f.gt, 2.f, &rng);
        frame_changed(&f);
        uint8_t *gt_prev = ring[(i + LAG_K) % (LAG_K + 1)]; /* frame i-1 */
        memcpy(ring[i % (LAG_K + 1)], f.gt, N);
        struct gt_frame g;
        if (gt_frame_init(&g, f.gt, W, H))
            die("out of memory");
        /* swept band: where the ground truth changed within the last K frames */
        int lag_frame = moving && i >= LAG_K;
        if (lag_frame) {
            nswept = 0;
            for (size_t q = 0; q < N; q++) {
                uint8_t v = f.gt[q], ch = 0;
                for (int k = 1; k <= LAG_K; k++)
                    ch |= ring[(i - k) % (LAG_K + 1)][q] != v;
                if (ch)
                    swept[nswept++] = (int32_t)q;
            }
        }
        int yuv_fresh = 0;
        for (int mi = 0; mi < nm; mi++)
            for (int j = 0; j < ntm; j++) {
                struct tstate *t = &st[mi * TM_COUNT + j];
                if (ms[mi]->rvm && !t->filt && !t->variant)
                    continue;
                if (t->variant) {
                    /* the guide is the frame: bd_filter composited in place */
                    if (!yuv_fresh)
                        RAWToI420(f.rgb, 3 * W, f.yuv, W, f.yuv + N, W / 2, f.yuv + N + N / 4,
                                  W / 2, W, H);
                    yuv_fresh = 1;
                    rvm_tvariant(t, st[mi * TM_COUNT + TM_REF_NOT].prev,
                                 st[pmi * TM_COUNT + TM_REF].prev, f.yuv, W, H, fscratch);
                    ms[mi]->up_ms = NAN;
                } else if (t->filt) {
                    rvm_filter_frame(t->filt, &f, t->cur);
                    ms[mi]->up_ms = NAN;
                } else if (j == TM_RAW) {
                    method_raw(ms[mi], &f, t->cur, NULL);
                    memcpy(late[mi][i % 3], t->cur, N);
                } else if (j == TM_LATE) {
                    memcpy(t->cur, late[mi][(i < 2 ? 0 : i - 2) % 3], N);
                    ms[mi]->up_ms = 0;
                } else if (j == TM_REF_LUMA) {
                    g_runs = 0;
                    method_refined_stream(ms[mi], &f, t->cur, t->r, &t->zbox, 1, t->stream,
                                          t->keep);
                    t->runs += g_runs;
                } else if (j == TM_REF_NOZOOM) {
                    method_refined_nozoom(ms[mi], &f, t->cur, t->r);
                } else if (j == TM_REF_ONE) {
                    method_refined_one(ms[mi], &f, t->cur, t->r);
                } else {
                    g_runs = 0;
                    method_refined_stream(ms[mi], &f, t->cur, t->r, &t->zbox,
                                          j == TM_REF_FULL ? 0 : -1, t->stream, t->keep);
                    t->runs += g_runs;
                }
                struct scores sc;
                score_mask(&g, t->cur, scratch, &sc);
                acc_add(&t->sc, &sc, ms[mi]->up_ms);
                if (i > 0) {
                    uint64_t s_all = 0, s_band = 0;
                    long n_all = 0, n_band = 0;
                    for (size_t q = 0; q < N; q++) {
                        if (f.gt[q] != gt_prev[q])
                            continue;
                        int d = t->cur[q] - t->prev[q];
                        d = d < 0 ? -d : d;
                        s_all += (uint64_t)d;
                        n_all++;
                        if (g.band[q]) {
                            s_band += (uint64_t)d;
                            n_band++;
                        }
                    }
                    t->flick += (double)s_all / 255.0;
                    t->nflick += (double)n_all;
                    t->flick_band += (double)s_band / 255.0;
                    t->nflick_band += (double)n_band;
                    if (!moving && !moving_prev) {
                        t->flick_still += (double)s_band / 255.0;
                        t->nflick_still += (double)n_band;
                    }
                }
                if (lag_frame) {
                    for (int k = 0; k <= LAG_K; k++) {
                        const uint8_t *gk = ring[(i - k + LAG_K + 1) % (LAG_K + 1)];
                        uint64_t sad = 0;
                        for (long q = 0; q < nswept; q++) {
                            int d = t->cur[swept[q]] - gk[swept[q]];
                            sad += (uint64_t)(d < 0 ? -d : d);
                        }
                        t->lag[k] += (double)sad / 255.0;
                    }
                    t->nlag += (double)nswept;
                }
                uint8_t *sw = t->prev;
                t->prev = t->cur;
                t->cur = sw;
            }
        moving_prev = moving;
        gt_frame_free(&g);
        if (i == 150) {
            /* one mid-sway frame for the eye: input | raw | refined | gt */
            char path[1100];
            snprintf(path, sizeof path, "%s/temporal_frame150.png", outdir);
            uint8_t *strip = xmalloc((size_t)W / 2 * 4 * (H / 2) * 3);
            int cols = 4;
            for (int c = 0; c < cols; c++) {
                const uint8_t *src = NULL;
                if (c == 0)
                    src = f.rgb;
                const uint8_t *mk = c == 1 ? st[0].prev
                                           : c == 2 ? (ntm > TM_REF ? st[TM_REF].prev : NULL) : f.gt;
                uint8_t *tile = xmalloc((size_t)W / 2 * (H / 2) * 3);
                if (src) {
                    RGBScale(src, W * 3, W, H, tile, W / 2 * 3, W / 2, H / 2, kFilterBox);
                } else if (mk) {
                    uint8_t *gm = xmalloc((size_t)W / 2 * (H / 2));
                    ScalePlane(mk, W, W, H, gm, W / 2, W / 2, H / 2, kFilterBox);
                    for (int q = 0; q < W / 2 * (H / 2); q++)
                        tile[3 * q] = tile[3 * q + 1] = tile[3 * q + 2] = gm[q];
                    free(gm);
                } else {
                    memset(tile, 64, (size_t)W / 2 * (H / 2) * 3);
                }
                for (int y = 0; y < H / 2; y++)
                    memcpy(strip + ((size_t)y * (W / 2 * cols) + (size_t)c * (W / 2)) * 3,
                           tile + (size_t)y * (W / 2) * 3, (size_t)W / 2 * 3);
                free(tile);
            }
            if (bd_image_write_png(path, strip, W / 2 * cols * 3, W / 2 * cols, H / 2, 3) != BD_OK)
                die("%s: %s", path, bd_last_error());
            free(strip);
        }
    }
    printf("  flicker = 1000 * mean |m_t - m_t-1| (0..1) over pixels whose ground truth did not change\n"
           "  (all / in the trimap band of gt_t / band in still frames); edge lag = argmin_k of the\n"
           "  MAD(m_t, gt_t-k) over the band swept by the edge in the last %d frames, moving frames\n",
           LAG_K);
    for (int mi = 0; mi < nm; mi++) {
        printf("  %s\n", ms[mi]->name);
        printf("    %-27s %6s %6s %7s %7s %7s %8s %6s %7s %7s %6s\n", "method", "IoU", "bndF", "trimap",
               "flickr", "fl.band", "fl.still", "lag", "MAD@0", "MAD@lag", "runs");
        for (int j = 0; j < ntm; j++) {
            struct tstate *t = &st[mi * TM_COUNT + j];
            if (!t->sc.n)
                continue; /* --model rvm: its two rows only */
            double L[LAG_K + 1];
            int best = 0;
            for (int k = 0; k <= LAG_K; k++) {
                L[k] = t->nlag > 0 ? 1000.0 * t->lag[k] / t->nlag : 0;
                if (L[k] < L[best])
                    best = k;
            }
            /* sub-frame: the vertex of the parabola through the minimum */
            double lag = best;
            if (best > 0 && best < LAG_K) {
                double den = L[best - 1] - 2 * L[best] + L[best + 1];
                if (den > 0)
                    lag += 0.5 * (L[best - 1] - L[best + 1]) / den;
            } else if (best == 0 && L[1] > L[0]) {
                /* mirror: a parabola through L[1], L[0], L[1] has its vertex at 0;
                 * only a positive lag is physical */
                lag = 0;
            }
            double n = t->sc.n;
            if (j == TM_REF) {
                ms[mi]->sum.t[0] = t->sc.iou / n;
                ms[mi]->sum.t[1] = t->sc.bf / n;
                ms[mi]->sum.t[2] = t->nflick ? 1000 * t->flick / t->nflick : 0;
                ms[mi]->sum.t[3] = lag;
                ms[mi]->sum.have_t = 1;
            }
            char runs[16] = "-";
            if (t->stream)
                snprintf(runs, sizeof runs, "%.2f", (double)t->runs / T_FRAMES);
            char tname[64];
            snprintf(tname, sizeof tname, "fused %d/%d, smoothed", t->tw, t->te);
            const char *name = !ms[mi]->rvm ? tm_name[j]
                                : t->tw >= 0  ? tname
                                : t->variant  ? tv_name[t->variant]
                                : j == TM_REF ? "--model rvm (bd_filter)"
                                              : "--model rvm, bare alpha";
            printf("    %-27s %6.3f %6.3f %7.1f %7.2f %7.2f %8.2f %6.2f %7.1f %7.1f %6s\n", name,
                   t->sc.iou / n, t->sc.bf / n, t->sc.tmad / n,
                   t->nflick ? 1000 * t->flick / t->nflick : 0,
                   t->nflick_band ? 1000 * t->flick_band / t->nflick_band : 0,
                   t->nflick_still ? 1000 * t->flick_still / t->nflick_still : 0, lag, L[0], L[best],
                   runs);
        }
    }
    for (int q = 0; q < nm * TM_COUNT; q++) {
        free(st[q].prev);
        free(st[q].cur);
        free(st[q].keep);
        free(st[q].tmp);
        bd_filter_destroy(st[q].filt);
        bd_stream_destroy(st[q].stream);
#if BD_QUALITY_REFINER
        bd_refiner_destroy(st[q].r);
#endif
    }
    free(st);
    free(fscratch);
    for (int mi = 0; mi < nm; mi++)
        for (int k = 0; k < 3; k++)
            free(late[mi][k]);
    for (int k = 0; k <= LAG_K; k++)
        free(ring[k]);
    free(swept);
    free(scratch);
    free(bg);
    frame_free(&f);
}

/* ------------------------------------------------------------------------ */
/* Contact sheet                                                             */

#define TILE_W 320
#define TILE_H 180

static void put_tile(uint8_t *sheet, int sheet_w, int row, int col, const uint8_t *rgb,
                     const uint8_t *grey, int stride, int w, int h)
{
    uint8_t *tile = xmalloc((size_t)TILE_W * TILE_H * 3);
    if (rgb) {
        RGBScale(rgb, stride, w, h, tile, TILE_W * 3, TILE_W, TILE_H, kFilterBox);
    } else if (grey) {
        uint8_t *g = xmalloc((size_t)TILE_W * TILE_H);
        ScalePlane(grey, stride, w, h, g, TILE_W, TILE_W, TILE_H, kFilterBox);
        for (int i = 0; i < TILE_W * TILE_H; i++)
            tile[3 * i] = tile[3 * i + 1] = tile[3 * i + 2] = g[i];
        free(g);
    } else {
        memset(tile, 64, (size_t)TILE_W * TILE_H * 3);
    }
    for (int y = 0; y < TILE_H; y++)
        memcpy(sheet + ((size_t)(row * TILE_H + y) * sheet_w + (size_t)col * TILE_W) * 3,
               tile + (size_t)y * TILE_W * 3, TILE_W * 3);
    free(tile);
}

/*
 * For a few 1280x720 frames: a row input | raw | refined | ground truth
 * (whole frame, 1/4 scale), then the same four at 1:1 around the top of the
 * head (where hair shows what an upsampler does).
 */
static void contact_sheet(const struct portrait *ps, int np, const struct background *bs, int nb,
                          struct mctx *m, const char *path)
{
    const int picks[3][2] = {{1, 0}, {3, 1}, {5, 3}};
    const int rows = 6, cols = 4, sw = cols * TILE_W;
    uint8_t *sheet = xcalloc((size_t)sw * rows * TILE_H * 3);
    for (int k = 0; k < 3; k++) {
        const struct portrait *p = &ps[picks[k][0] % np];
        const struct background *b = &bs[picks[k][1] % nb];
        struct frame f;
        still_frame(p, b, F_720, &f);
        uint8_t *raw = xmalloc((size_t)f.w * f.h), *ref = NULL;
        method_raw(m, &f, raw, NULL);
        if (BD_QUALITY_REFINER) {
            ref = xmalloc((size_t)f.w * f.h);
            method_refined(m, &f, ref, NULL);
        }
        put_tile(sheet, sw, 2 * k, 0, f.rgb, NULL, f.w * 3, f.w, f.h);
        put_tile(sheet, sw, 2 * k, 1, NULL, raw, f.w, f.w, f.h);
        put_tile(sheet, sw, 2 * k, 2, NULL, ref, f.w, f.w, f.h);
        put_tile(sheet, sw, 2 * k, 3, NULL, f.gt, f.w, f.w, f.h);
        /* 1:1 window centred on the top of the person */
        int top = 0;
        long sx = 0, n = 0;
        for (int y = 0; y < f.h && !n; y++)
            for (int x = 0; x < f.w; x++)
                if (f.gt[(size_t)y * f.w + x] >= 128) {
                    sx += x;
                    n++;
                    top = y;
                }
        int cx = n ? (int)(sx / n) : f.w / 2;
        int x0 = cx - TILE_W / 2, y0 = top - TILE_H / 4;
        x0 = x0 < 0 ? 0 : x0 > f.w - TILE_W ? f.w - TILE_W : x0;
        y0 = y0 < 0 ? 0 : y0 > f.h - TILE_H ? f.h - TILE_H : y0;
        size_t o = (size_t)y0 * f.w + x0;
        put_tile(sheet, sw, 2 * k + 1, 0, f.rgb + 3 * o, NULL, f.w * 3, TILE_W, TILE_H);
        put_tile(sheet, sw, 2 * k + 1, 1, NULL, raw + o, f.w, TILE_W, TILE_H);
        put_tile(sheet, sw, 2 * k + 1, 2, NULL, ref ? ref + o : NULL, f.w, TILE_W, TILE_H);
        put_tile(sheet, sw, 2 * k + 1, 3, NULL, f.gt + o, f.w, TILE_W, TILE_H);
        printf("  sheet rows %d-%d: %s over %s\n", 2 * k + 1, 2 * k + 2, p->name, b->name);
        free(raw);
        free(ref);
        frame_free(&f);
    }
    if (bd_image_write_png(path, sheet, sw * 3, sw, rows * TILE_H, 3) != BD_OK)
        die("%s: %s", path, bd_last_error());
    free(sheet);
}

/*
 * Hair close-ups (--hair-sheet, make rvm-sheet): every dev portrait in the
 * 1280x720 webcam crop over one background each, one row per portrait at
 * 1:1, the TILE_W x TILE_H window with the most soft ground truth (0 <
 * alpha < 255: hair) in it. Columns: input | general raw | general
 * refined (defaults) | --model rvm (its default: fused) | ground truth.
 */
static void hair_sheet(const struct portrait *ps, int np, const struct background *bs, int nb,
                       struct mctx *gen, struct mctx *rvm, const char *path)
{
    const int cols = 5, sw = cols * TILE_W;
    uint8_t *sheet = xcalloc((size_t)sw * np * TILE_H * 3);
    for (int k = 0; k < np; k++) {
        const struct portrait *p = &ps[k];
        const struct background *b = &bs[(k + 1) % nb];
        struct frame f;
        still_frame(p, b, F_720, &f);
        const size_t n = (size_t)f.w * f.h;
        uint8_t *raw = xmalloc(n), *ref = xmalloc(n), *rv = xmalloc(n);
        method_raw(gen, &f, raw, NULL);
        method_refined(gen, &f, ref, NULL);
        method_refined(rvm, &f, rv, NULL);
        /* the window with the most soft ground truth: an integral image */
        uint32_t *ii = xcalloc((size_t)(f.w + 1) * (f.h + 1) * sizeof *ii);
        for (int y = 0; y < f.h; y++)
            for (int x = 0; x < f.w; x++) {
                const uint8_t g = f.gt[(size_t)y * f.w + x];
                ii[(size_t)(y + 1) * (f.w + 1) + x + 1] =
                    (g > 0 && g < 255) + ii[(size_t)y * (f.w + 1) + x + 1] +
                    ii[(size_t)(y + 1) * (f.w + 1) + x] - ii[(size_t)y * (f.w + 1) + x];
            }
        int bx = 0, by = 0;
        uint32_t best = 0;
        for (int y = 0; y + TILE_H <= f.h; y += 8)
            for (int x = 0; x + TILE_W <= f.w; x += 8) {
                const uint32_t c = ii[(size_t)(y + TILE_H) * (f.w + 1) + x + TILE_W] -
                                   ii[(size_t)y * (f.w + 1) + x + TILE_W] -
                                   ii[(size_t)(y + TILE_H) * (f.w + 1) + x] +
                                   ii[(size_t)y * (f.w + 1) + x];
                if (c > best) {
                    best = c;
                    bx = x;
                    by = y;
                }
            }
        const size_t o = (size_t)by * f.w + bx;
        put_tile(sheet, sw, k, 0, f.rgb + 3 * o, NULL, f.w * 3, TILE_W, TILE_H);
        put_tile(sheet, sw, k, 1, NULL, raw + o, f.w, TILE_W, TILE_H);
        put_tile(sheet, sw, k, 2, NULL, ref + o, f.w, TILE_W, TILE_H);
        put_tile(sheet, sw, k, 3, NULL, rv + o, f.w, TILE_W, TILE_H);
        put_tile(sheet, sw, k, 4, NULL, f.gt + o, f.w, TILE_W, TILE_H);
        printf("  row %d: %s over %s, window %dx%d at (%d, %d), %u soft ground-truth pixels\n", k + 1,
               p->name, b->name, TILE_W, TILE_H, bx, by, best);
        free(ii);
        free(raw);
        free(ref);
        free(rv);
        frame_free(&f);
    }
    if (bd_image_write_png(path, sheet, sw * 3, sw, np * TILE_H, 3) != BD_OK)
        die("%s: %s", path, bd_last_error());
    free(sheet);
}

/* ------------------------------------------------------------------------ */
/* Real set                                                                  */

/*
 * portraits-real (SOURCE.txt): real photos with real backgrounds and
 * hand-made binary masks, 0 background and 255 person, no band of
 * unknown pixels (load_set checks every value). The photo is the frame and
 * its mask the ground truth; no compositing. Only IoU and boundary F are
 * reported: the masks are hard hand-drawn outlines, so MAD and trimap MAD
 * would score their stair-step edges rather than ours; boundary F's
 * tolerance is 3 px of the photo (real_bf_r).
 *
 * Framings:
 *  as it is  the photo at its own size (600x800);
 *  720p      the 1280x720 webcam window of the dev set (webcam_window:
 *            the photo scaled by 2.13 to cover 1280 columns, centred on the
 *            mask's box, 5% above its top, clamped), photo and mask sampled
 *            bilinearly, the mask binarised again at 0.5. Softer than a
 *            webcam's own 720p (the photo is upscaled), but it is the
 *            framing the camera gives the models: 16:9, head and shoulders.
 */
enum rframing { R_ASIS = 0, R_720 = 1, R_COUNT };
static const char *const rframing_name[R_COUNT] = {"photo as it is", "1280x720 webcam crop"};
static const char *const rframing_file[R_COUNT] = {"asis", "720p"};

/* Refuses a JPEG whose EXIF orientation is not 1 (upright): the library's
 * loader ignores EXIF, so a rotated photo would not line up with its mask
 * as a viewer shows them. The APP1 segments of the first 64 KiB are read. */
static void check_upright(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        die("%s: cannot open", path);
    static uint8_t b[65536];
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    for (size_t i = 2; i + 4 <= n && b[i] == 0xFF;) {
        const unsigned marker = b[i + 1], len = (unsigned)b[i + 2] << 8 | b[i + 3];
        if (marker == 0xDA || len < 2)
            break; /* the scan: no more metadata */
        const uint8_t *t = b + i + 10; /* the TIFF header after "Exif\0\0" */
        const size_t tn = len >= 8 ? len - 8 : 0;
        if (marker == 0xE1 && i + 2 + len <= n && tn >= 8 && !memcmp(b + i + 4, "Exif\0", 6)) {
            const int le = t[0] == 'I';
#define RD16(q) (le ? (unsigned)(q)[0] | (unsigned)(q)[1] << 8 : (unsigned)(q)[0] << 8 | (q)[1])
#define RD32(q) (le ? RD16(q) | (size_t)RD16((q) + 2) << 16 : (size_t)RD16(q) << 16 | RD16((q) + 2))
            size_t ifd = RD32(t + 4);
            if (ifd + 2 <= tn)
                for (unsigned k = 0, ne = RD16(t + ifd); k < ne && ifd + 2 + 12 * (k + 1) <= tn; k++) {
                    const uint8_t *e = t + ifd + 2 + 12 * k;
                    if (RD16(e) == 0x0112 && RD16(e + 8) != 1)
                        die("%s: EXIF orientation %u (not upright): the loader ignores EXIF, so "
                            "its mask would not line up; rotate the file, or leave it out "
                            "(real_excluded[])",
                            path, RD16(e + 8));
                }
#undef RD16
#undef RD32
        }
        i += 2 + len;
    }
}

/* The frame of real photo p in framing fr (ground truth binary). */
static void real_frame(const struct portrait *p, enum rframing fr, struct frame *f)
{
    const int pw = p->img.width, ph = p->img.height, ps = p->img.stride;
    if (fr == R_ASIS) {
        frame_alloc(f, pw, ph);
        for (int y = 0; y < ph; y++)
            memcpy(f->rgb + (size_t)y * pw * 3, p->img.data + (size_t)y * ps, (size_t)pw * 3);
        memcpy(f->gt, p->alpha, (size_t)pw * ph);
        frame_changed(f);
        return;
    }
    double s, tx, ty;
    webcam_window(p, &s, &tx, &ty);
    frame_alloc(f, WEBCAM_W, WEBCAM_H);
    for (int y = 0; y < WEBCAM_H; y++) {
        double v = ((double)y + 0.5 - ty) / s - 0.5;
        v = v < 0 ? 0 : v > ph - 1 ? ph - 1 : v;
        const int y0 = (int)v, y1 = y0 + 1 < ph ? y0 + 1 : ph - 1;
        const float fy = (float)(v - y0);
        for (int x = 0; x < WEBCAM_W; x++) {
            double u = ((double)x + 0.5 - tx) / s - 0.5;
            u = u < 0 ? 0 : u > pw - 1 ? pw - 1 : u;
            const int x0 = (int)u, x1 = x0 + 1 < pw ? x0 + 1 : pw - 1;
            const float fx = (float)(u - x0);
            const float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy,
                        w11 = fx * fy;
            const size_t o = (size_t)y * WEBCAM_W + x;
            const uint8_t *r0 = p->img.data + (size_t)y0 * ps, *r1 = p->img.data + (size_t)y1 * ps;
            for (int k = 0; k < 3; k++)
                f->rgb[3 * o + k] = (uint8_t)(w00 * r0[3 * x0 + k] + w01 * r0[3 * x1 + k] +
                                              w10 * r1[3 * x0 + k] + w11 * r1[3 * x1 + k] + 0.5f);
            const uint8_t *a0 = p->alpha + (size_t)y0 * pw, *a1 = p->alpha + (size_t)y1 * pw;
            const float a = w00 * a0[x0] + w01 * a0[x1] + w10 * a1[x0] + w11 * a1[x1];
            f->gt[o] = a >= 127.5f ? 255 : 0;
        }
    }
    frame_changed(f);
}

/* Boundary F's tolerance on a real frame: 3 px of the photo, where the
 * hand-drawn outline's accuracy is (SOURCE.txt: mostly within a few
 * pixels), so 3 px times the webcam crop's scale (6 px at 600x800). */
static int real_bf_r(const struct portrait *p, enum rframing fr)
{
    if (fr == R_ASIS)
        return 3;
    double s, tx, ty;
    webcam_window(p, &s, &tx, &ty);
    return (int)lround(3 * s);
}

/*
 * One photo on the real set's contact sheet (tw x th): the frame, dimmed
 * where both masks (binarised at 0.5) say background; red where ours says
 * person and the hand-made mask does not; blue where the hand-made mask
 * has the person and ours does not; the hand-made mask's outline green.
 */
static void real_tile(const struct frame *f, const uint8_t *ours, int tw, int th, uint8_t *tile)
{
    uint8_t *o = xmalloc((size_t)tw * th), *g = xmalloc((size_t)tw * th);
    RGBScale(f->rgb, f->w * 3, f->w, f->h, tile, tw * 3, tw, th, kFilterBox);
    ScalePlane(ours, f->w, f->w, f->h, o, tw, tw, th, kFilterBox);
    ScalePlane(f->gt, f->w, f->w, f->h, g, tw, tw, th, kFilterBox);
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++) {
            const size_t i = (size_t)y * tw + x;
            const int P = o[i] >= 128, G = g[i] >= 128;
            uint8_t *px = tile + 3 * i;
            const int edge = (x > 0 && (g[i - 1] >= 128) != G) || (x + 1 < tw && (g[i + 1] >= 128) != G) ||
                             (y > 0 && (g[i - tw] >= 128) != G) || (y + 1 < th && (g[i + tw] >= 128) != G);
            static const uint8_t red[3] = {255, 0, 0}, blue[3] = {0, 96, 255}, green[3] = {0, 255, 0};
            for (int k = 0; k < 3; k++) {
                if (edge)
                    px[k] = green[k];
                else if (P && !G)
                    px[k] = (uint8_t)((px[k] * 2 + red[k] * 3) / 5);
                else if (!P && G)
                    px[k] = (uint8_t)((px[k] * 2 + blue[k] * 3) / 5);
                else if (!P)
                    px[k] = (uint8_t)(px[k] * 2 / 5);
            }
        }
    free(o);
    free(g);
}

struct real_img {
    double iou, bf;
    int idx;
};

static int cmp_real(const void *a, const void *b)
{
    const struct real_img *x = a, *y = b;
    return x->iou < y->iou ? -1 : x->iou > y->iou ? 1 : x->idx - y->idx;
}

/* The real set's tables, per-photo listing and contact sheets
 * (OUT/real_MODEL_FRAMING.png: the rows g_set drives, worst IoU first). */
static void real_set(const struct portrait *rs, int nr, struct mctx *ms, int nm, const char *outdir)
{
    printf("\n== real set: %d photos of portraits-real, hand-made binary masks (SOURCE.txt) ==\n", nr);
    int nx = 0;
    for (int i = 0; real_excluded[i].name; i++, nx++)
        printf("  left out: %s (%s)\n", real_excluded[i].name, real_excluded[i].why);
    if (!nx)
        printf("  left out: none\n");
    double t0 = now_ms();
    int kdef = -1;
    for (int k = 0; k < NMETHODS; k++)
        if (methods[k].fn == method_refined && method_enabled(k))
            kdef = k;
    const int tws[R_COUNT] = {200, 320}, ths[R_COUNT] = {267, 180}, cols[R_COUNT] = {10, 8};
    struct acc *acc = xcalloc(sizeof(struct acc) * (size_t)nm * R_COUNT * NMETHODS);
    struct real_img *img = xcalloc(sizeof *img * (size_t)nm * R_COUNT * nr);
    uint8_t **tiles = xcalloc(sizeof *tiles * (size_t)nm * R_COUNT * nr);
    for (int fr = 0; fr < R_COUNT; fr++)
        for (int pi = 0; pi < nr; pi++) {
            struct frame f;
            real_frame(&rs[pi], (enum rframing)fr, &f);
            struct gt_frame g;
            if (gt_frame_init(&g, f.gt, f.w, f.h))
                die("out of memory");
            g.bf_r = real_bf_r(&rs[pi], (enum rframing)fr);
            uint8_t *mask = xmalloc((size_t)f.w * f.h), *scratch = xmalloc((size_t)f.w * f.h);
            for (int mi = 0; mi < nm; mi++)
                for (int k = 0; k < NMETHODS; k++) {
                    if (!methods[k].real || !method_on(&ms[mi], k))
                        continue;
                    methods[k].fn(&ms[mi], &f, mask, NULL);
                    struct scores sc;
                    score_mask(&g, mask, scratch, &sc);
                    acc_add(&acc[((size_t)mi * R_COUNT + fr) * NMETHODS + k], &sc, ms[mi].up_ms);
                    if (k != kdef)
                        continue;
                    const size_t q = ((size_t)mi * R_COUNT + fr) * nr + pi;
                    img[q] = (struct real_img){sc.iou, sc.bf, pi};
                    tiles[q] = xmalloc((size_t)tws[fr] * ths[fr] * 3);
                    real_tile(&f, mask, tws[fr], ths[fr], tiles[q]);
                }
            free(mask);
            free(scratch);
            gt_frame_free(&g);
            frame_free(&f);
        }
    printf("(IoU at 0.5, boundary F within 3 px of the photo: 3 px as it is, %d px in the "
           "1280x720 crop; means over the photos)\n", nr ? real_bf_r(&rs[0], R_720) : 0);
    for (int mi = 0; mi < nm; mi++)
        for (int fr = 0; fr < R_COUNT; fr++) {
            const struct acc *a = &acc[((size_t)mi * R_COUNT + fr) * NMETHODS];
            printf("\n%s, real set, %s (%dx%d model input), %d photos\n", ms[mi].name,
                   rframing_name[fr], ms[mi].info.in_width, ms[mi].info.in_height, nr);
            printf("  %-27s %7s %7s\n", "method", "IoU", "bnd F");
            for (int k = 0; k < NMETHODS; k++)
                if (a[k].n)
                    printf("  %-27s %7.3f %7.3f\n", method_name(k), a[k].iou / a[k].n,
                           a[k].bf / a[k].n);
            if (kdef >= 0 && a[kdef].n) {
                ms[mi].sum.real[fr][0] = a[kdef].iou / a[kdef].n;
                ms[mi].sum.real[fr][1] = a[kdef].bf / a[kdef].n;
                ms[mi].sum.have_real = 1;
            }
        }
    if (kdef >= 0) {
        printf("\nreal set, %s, per photo (IoU / boundary F), worst IoU first = the contact sheets' "
               "order (left to right, top to bottom):\n", set_row());
        for (int mi = 0; mi < nm; mi++)
            for (int fr = 0; fr < R_COUNT; fr++) {
                if (!acc[((size_t)mi * R_COUNT + fr) * NMETHODS + kdef].n)
                    continue; /* the row is off (--model rvm's study) */
                struct real_img *im = &img[((size_t)mi * R_COUNT + fr) * nr];
                uint8_t **tl = &tiles[((size_t)mi * R_COUNT + fr) * nr];
                qsort(im, (size_t)nr, sizeof *im, cmp_real);
                char path[1100];
                snprintf(path, sizeof path, "%s/real_%s_%s.png", outdir, ms[mi].name,
                         rframing_file[fr]);
                printf("  %s, %s -> %s", ms[mi].name, rframing_name[fr], path);
                for (int j = 0; j < nr; j++)
                    printf("%s%s %.3f/%.2f", j % 6 ? "  " : "\n    ", rs[im[j].idx].name + (strncmp(rs[im[j].idx].name, "eg1800_", 7) ? 0 : 7),
                           im[j].iou, im[j].bf);
                printf("\n");
                const int tw = tws[fr], th = ths[fr], c = cols[fr], gap = 4;
                const int rows = (nr + c - 1) / c, sw = c * (tw + gap) + gap, sh = rows * (th + gap) + gap;
                uint8_t *sheet = xmalloc((size_t)sw * sh * 3);
                memset(sheet, 255, (size_t)sw * sh * 3);
                for (int j = 0; j < nr; j++) {
                    const int x0 = gap + (j % c) * (tw + gap), y0 = gap + (j / c) * (th + gap);
                    for (int y = 0; y < th; y++)
                        memcpy(sheet + ((size_t)(y0 + y) * sw + x0) * 3,
                               tl[im[j].idx] + (size_t)y * tw * 3, (size_t)tw * 3);
                }
                if (bd_image_write_png(path, sheet, sw * 3, sw, sh, 3) != BD_OK)
                    die("%s: %s", path, bd_last_error());
                free(sheet);
            }
        printf("  sheets: the frame, dimmed where both masks say background; red = ours says "
               "person, the hand-made mask not;\n  blue = the hand-made mask's person that ours "
               "missed; green = the hand-made mask's outline (%s rows)\n", set_row());
    }
    for (size_t q = 0; q < (size_t)nm * R_COUNT * nr; q++)
        free(tiles[q]);
    free(tiles);
    free(img);
    free(acc);
    printf("real set: %.1f s\n", (now_ms() - t0) / 1000);
}

/* ------------------------------------------------------------------------ */

static int split(char *list, char **out, int max)
{
    int n = 0;
    for (char *t = strtok(list, ","); t && n < max; t = strtok(NULL, ","))
        out[n++] = t;
    return n;
}

static void open_model(const char *name, struct mctx *m)
{
    memset(m, 0, sizeof *m);
    m->name = m->path = name;
    m->fkey = -1;
    m->rkey = -1;
    if (bd_model_is_rvm(name)) {
        char path[4096];
        if (bd_rvm_path(path, sizeof path) != BD_OK)
            die("%s", bd_last_error());
        m->rvm = 1;
        m->info.in_width = 0; /* made per frame size */
        return;
    }
    if (bd_model_open(name, &m->model) != BD_OK)
        die("model %s: %s", name, bd_last_error());
    if (bd_engine_create(m->model, &g_set.engine, &m->engine) != BD_OK)
        die("engine %s: %s", name, bd_last_error());
    bd_model_get_info(m->model, &m->info);
    for (int g = 0; g < G_COUNT; g++) {
        for (int k = 0; k < 4; k++) {
            m->prob[k][g] = xmalloc(sizeof(float) * (size_t)m->info.out_width * m->info.out_height);
            m->key[k][g] = -1;
        }
    }
    const char *slash = strrchr(name, '/');
    m->name = slash ? slash + 1 : name;
}

static void close_model(struct mctx *m)
{
#if BD_QUALITY_REFINER
    for (int i = 0; i < m->nrefiners; i++)
        bd_refiner_destroy(m->refiners[i].r);
#endif
    bd_still_destroy(m->still);
    bd_still_destroy(m->gen_still);
    bd_still_destroy(m->bare_still);
    free(m->gen_mask);
    free(m->alpha);
    free(m->fscratch);
    free(m->r_alpha);
    free(m->r_tmp);
    for (int g = 0; g < G_COUNT; g++) {
        for (int k = 0; k < 4; k++)
            free(m->prob[k][g]);
    }
    bd_engine_destroy(m->engine);
    bd_model_destroy(m->model);
}

/* The dev set: portraits-dev composited over the backgrounds (the tables
 * per model and framing, the per-background lines, the contact sheet). */
static void dev_set(const struct portrait *ps, int np, const struct background *bs, int nb,
                    struct mctx *ms, int nm, const char *outdir)
{
    double t0 = now_ms();
    struct acc *acc = xcalloc(sizeof(struct acc) * (size_t)nm * F_COUNT * NMETHODS);
    /* per background: the first five methods (raw .. refined) */
    struct acc *bacc = xcalloc(sizeof(struct acc) * (size_t)nm * F_COUNT * MAX_BGS * 5);
    for (int fr = 0; fr < F_COUNT; fr++)
        for (int pi = 0; pi < np; pi++)
            for (int bi = 0; bi < (fr == F_OWN ? 1 : nb); bi++) {
                struct frame f;
                still_frame(&ps[pi], &bs[bi], (enum framing)fr, &f);
                struct gt_frame g;
                if (gt_frame_init(&g, f.gt, f.w, f.h))
                    die("out of memory");
                uint8_t *mask = xmalloc((size_t)f.w * f.h), *scratch = xmalloc((size_t)f.w * f.h);
                for (int mi = 0; mi < nm; mi++)
                    for (int k = 0; k < NMETHODS; k++) {
                        if (!method_on(&ms[mi], k))
                            continue;
                        methods[k].fn(&ms[mi], &f, mask, NULL);
                        struct scores s;
                        score_mask(&g, mask, scratch, &s);
                        acc_add(&acc[((size_t)mi * F_COUNT + fr) * NMETHODS + k], &s, ms[mi].up_ms);
                        if (fr != F_OWN && k < 5)
                            acc_add(&bacc[(((size_t)mi * F_COUNT + fr) * MAX_BGS + bi) * 5 + k], &s, 0);
                    }
                free(mask);
                free(scratch);
                gt_frame_free(&g);
                frame_free(&f);
            }
    printf("(metrics: IoU at 0.5; MAD and trimap MAD x1000 on 0..1; boundary F at 3 px; means over"
           " images; up ms = upsampling step per frame)\n");
    for (int mi = 0; mi < nm; mi++)
        for (int fr = 0; fr < F_COUNT; fr++) {
            const struct acc *a = &acc[((size_t)mi * F_COUNT + fr) * NMETHODS];
            print_table(&ms[mi], (enum framing)fr, a, fr == F_OWN ? np : np * nb);
            for (int k = 0; k < NMETHODS; k++)
                if (fr != F_OWN && methods[k].fn == method_refined && a[k].n) {
                    ms[mi].sum.dev[fr][0] = a[k].iou / a[k].n;
                    ms[mi].sum.dev[fr][1] = a[k].bf / a[k].n;
                    ms[mi].sum.dev[fr][2] = a[k].tmad / a[k].n;
                    ms[mi].sum.have_dev = 1;
                }
        }
    printf("\nper background, mean over the %d portraits: IoU / boundary F of raw and %s\n", np,
           set_row());
    for (int mi = 0; mi < nm; mi++)
        for (int fr = 0; fr < F_OWN; fr++) {
            printf("  %-10s %-21s", ms[mi].name, framing_name[fr]);
            for (int bi = 0; bi < nb; bi++) {
                const struct acc *a = &bacc[(((size_t)mi * F_COUNT + fr) * MAX_BGS + bi) * 5];
                if (!a[0].n) { /* --model rvm: no raw row */
                    printf("  %s %.3f/%.2f", bs[bi].name, a[4].iou / a[4].n, a[4].bf / a[4].n);
                    continue;
                }
                printf("  %s %.3f/%.2f", bs[bi].name, a[0].iou / a[0].n, a[0].bf / a[0].n);
                if (a[4].n)
                    printf(" -> %.3f/%.2f", a[4].iou / a[4].n, a[4].bf / a[4].n);
            }
            printf("\n");
        }
    printf("\nissue 4's measurements, for comparison (general, raw, its own 5 backgrounds):\n"
           "  original aspect: IoU 0.948, bnd F 0.56, trimap MAD 121\n"
           "  1280x720 squashed to 256x256: IoU 0.929, bnd F 0.57, trimap MAD 123\n"
           "  bound (gt through the 256 px bottleneck): IoU 0.993, bnd F ~0.9\n");
    printf("still set: %.1f s\n", (now_ms() - t0) / 1000);
    free(acc);
    free(bacc);

    char path[1100];
    int gen = -1;
    for (int i = 0; i < nm; i++)
        if (!strcmp(ms[i].name, "general"))
            gen = i;
    snprintf(path, sizeof path, "%s/contact_sheet.png", outdir);
    printf("\ncontact sheet (%s; columns input | raw | refined | ground truth):\n",
           ms[gen >= 0 ? gen : 0].name);
    if (ms[gen >= 0 ? gen : 0].rvm) { /* its raw column needs an engine of its own */
        printf("  none for rvm\n");
        return;
    }
    contact_sheet(ps, np, bs, nb, &ms[gen >= 0 ? gen : 0], path);
    printf("  wrote %s\n", path);
}

/*
 * The g_set rows of every set, one line per model, with four decimals:
 * what issue 16's quality bar compares between two runs (IoU within
 * 0.003 and boundary F within 0.005 on the dev and real sets, flicker no
 * worse, edge lag at most one frame).
 */
static void summary(const struct mctx *ms, int nm)
{
    printf("\nsummary, %s rows (IoU / boundary F, dev also trimap MAD; temporal: IoU / boundary F, flicker, lag)%s%s\n",
           set_row(), g_set.n ? ": " : "", g_set.text);
    for (int mi = 0; mi < nm; mi++) {
        const struct mctx *m = &ms[mi];
        printf("  %-10s", m->name);
        if (m->sum.have_dev)
            printf("  dev orig %.4f / %.4f / %.1f  dev 720p %.4f / %.4f / %.1f", m->sum.dev[0][0],
                   m->sum.dev[0][1], m->sum.dev[0][2], m->sum.dev[1][0], m->sum.dev[1][1],
                   m->sum.dev[1][2]);
        if (m->sum.have_real)
            printf("  real as-is %.4f / %.4f  real 720p %.4f / %.4f", m->sum.real[0][0],
                   m->sum.real[0][1], m->sum.real[1][0], m->sum.real[1][1]);
        if (m->sum.have_t)
            printf("  temporal %.4f / %.4f, flicker %.2f, lag %.2f", m->sum.t[0], m->sum.t[1],
                   m->sum.t[2], m->sum.t[3]);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    const char *data = NULL, *outdir = NULL;
    char models_arg[1024] = "general,landscape", tmodels_arg[1024] = "general,landscape";
    const char *bg_paths[MAX_BGS];
    int nb = 0, do_temporal = 1, do_dev = 1, do_real = 1, nsets = 0, hair = 0;
    const char *ensemble = NULL;
    char *sets[64];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            outdir = argv[++i];
        else if (!strcmp(argv[i], "--models") && i + 1 < argc)
            snprintf(models_arg, sizeof models_arg, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--temporal-models") && i + 1 < argc)
            snprintf(tmodels_arg, sizeof tmodels_arg, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--ensemble") && i + 1 < argc)
            ensemble = argv[++i];
        else if (!strcmp(argv[i], "--no-temporal"))
            do_temporal = 0;
        else if (!strcmp(argv[i], "--fusion"))
            g_fusion = 1;
        else if (!strcmp(argv[i], "--rvm-variants"))
            g_rvm_variants = 1;
        else if (!strcmp(argv[i], "--fuse-refine"))
            g_fuse_refine = 1;
        else if (!strcmp(argv[i], "--fuse-rvmconf"))
            g_fuse_aconf = 1;
        else if (!strcmp(argv[i], "--hair-sheet"))
            hair = 1;
        else if (!strcmp(argv[i], "--tfuse") && i + 1 < argc) {
            char buf[128];
            snprintf(buf, sizeof buf, "%s", argv[++i]);
            for (char *sv = NULL, *t = strtok_r(buf, "/", &sv); t && g_ntfuse < 3;
                 t = strtok_r(NULL, "/", &sv), g_ntfuse++)
                if (sscanf(t, "%d,%d", &g_tfuse[g_ntfuse][0], &g_tfuse[g_ntfuse][1]) != 2 ||
                    g_tfuse[g_ntfuse][0] < 0 || g_tfuse[g_ntfuse][0] > 256 ||
                    g_tfuse[g_ntfuse][1] < 0 || g_tfuse[g_ntfuse][1] > 256)
                    die("--tfuse %s: give up to three W,E pairs (0..256), / between", argv[i]);
        }
        else if (!strcmp(argv[i], "--temporal-fps") && i + 1 < argc) {
            g_tfps = atof(argv[++i]);
            if (g_tfps < 10 || g_tfps > 120)
                die("--temporal-fps %s: give 10 to 120", argv[i]);
        }
        else if (!strcmp(argv[i], "--no-dev"))
            do_dev = 0;
        else if (!strcmp(argv[i], "--no-real"))
            do_real = 0;
        else if (!strcmp(argv[i], "--set") && i + 1 < argc && nsets < 64)
            sets[nsets++] = argv[++i];
        else if (argv[i][0] == '-')
            die("unknown option %s\nusage: quality --data SHARED_DATA_DIR --out OUT_DIR "
                "[--models a,b] [--temporal-models a,b] [--ensemble MODEL] [--set NAME=VALUE]... "
                "[--no-dev] [--no-real] [--no-temporal] [--temporal-fps N] [--fusion] [--rvm-variants] [--fuse-refine] [--fuse-rvmconf] [--hair-sheet] [--tfuse W,E/...] BACKGROUND...",
                argv[i]);
        else if (nb < MAX_BGS)
            bg_paths[nb++] = argv[i];
    }
    if (!data || !outdir)
        die("usage: quality --data SHARED_DATA_DIR --out OUT_DIR [--models a,b] BACKGROUND...");
    if (nb < 5)
        die("%d background(s) given; the still set needs at least 5 (bench/quality/fetch-backgrounds.sh)",
            nb);
    mkdir(outdir, 0755);
    settings_apply(sets, nsets);

    static struct portrait ps[MAX_PORTRAITS];
    int np = load_set(data, "portraits-dev", "alpha", 0, ps, MAX_PORTRAITS);
    static struct portrait rs[MAX_REAL];
    int nr = do_real && !hair ? load_set(data, "portraits-real", "mask", 1, rs, MAX_REAL) : 0;
    static struct background bs[MAX_BGS];
    for (int i = 0; i < nb; i++) {
        if (bd_image_load(bg_paths[i], 0, &bs[i].img) != BD_OK)
            die("background %s: %s", bg_paths[i], bd_last_error());
        const char *s = strrchr(bg_paths[i], '/');
        snprintf(bs[i].name, sizeof bs[i].name, "%s", s ? s + 1 : bg_paths[i]);
    }

    char *mnames[MAX_MODELS], *tnames[MAX_MODELS];
    int nm = split(models_arg, mnames, MAX_MODELS);
    int ntm = split(tmodels_arg, tnames, MAX_MODELS);
    static struct mctx ms[MAX_MODELS];
    for (int i = 0; i < nm; i++)
        open_model(mnames[i], &ms[i]);
    static struct mctx partner;
    if (ensemble) {
        open_model(ensemble, &partner);
        g_partner = &partner;
    }

    printf("backdrop mask quality: %d portraits x %d backgrounds, 2 framings; models:", np, nb);
    for (int i = 0; i < nm; i++)
        printf(" %s (%dx%d)", ms[i].name, ms[i].info.in_width, ms[i].info.in_height);
    printf("\nground truth = the portraits' alpha (P3M-Net predictions: pseudo-ground-truth)\n");
    if (!BD_QUALITY_REFINER)
        printf("note: include/backdrop.h has no bd_refiner_* API: the refined rows are left out\n");
    printf("backgrounds:");
    for (int i = 0; i < nb; i++)
        printf(" %s (%dx%d)", bs[i].name, bs[i].img.width, bs[i].img.height);
    printf("\n");

    if (g_set.n)
        printf("settings of the \"%s\" rows (--set): %s\n", set_row(), g_set.text);
    if (hair) { /* --hair-sheet: that alone */
        int gi = -1, ri = -1;
        for (int i = 0; i < nm; i++) {
            if (!strcmp(ms[i].name, "general"))
                gi = i;
            if (ms[i].rvm)
                ri = i;
        }
        if (gi < 0 || ri < 0)
            die("--hair-sheet needs --models general,rvm");
        char path[1100];
        snprintf(path, sizeof path, "%s/hair_sheet.png", outdir);
        printf("\nhair close-ups, 1280x720 webcam crop at 1:1 (columns input | general raw | general "
               "refined (defaults) | --model rvm (fused) | ground truth):\n");
        hair_sheet(ps, np, bs, nb, &ms[gi], &ms[ri], path);
        printf("  wrote %s\n", path);
        for (int i = 0; i < nm; i++)
            close_model(&ms[i]);
        return 0;
    }
    if (do_dev)
        dev_set(ps, np, bs, nb, ms, nm, outdir);
    if (do_real)
        real_set(rs, nr, ms, nm, outdir);
    double t0;

    if (do_temporal) {
        t0 = now_ms();
        struct mctx *tm[MAX_MODELS];
        int n = 0;
        for (int i = 0; i < ntm; i++) {
            int found = -1;
            for (int j = 0; j < nm; j++)
                if (!strcmp(ms[j].name, tnames[i]))
                    found = j;
            if (found < 0)
                die("temporal model %s is not among --models", tnames[i]);
            tm[n++] = &ms[found];
        }
        int pt = 0;
        for (int i = 0; i < np; i++)
            if (!strcmp(ps[i].name, "p_09ba26b4"))
                pt = i;
        temporal(&ps[pt], &bs[0], tm, n, outdir);
        printf("  wrote %s/temporal_frame150.png (input | raw | refined | ground truth)\n", outdir);
        printf("temporal set: %.1f s\n", (now_ms() - t0) / 1000);
    }

    summary(ms, nm);
    for (int i = 0; i < nm; i++)
        close_model(&ms[i]);
    for (int i = 0; i < np; i++) {
        bd_image_free(&ps[i].img);
        free(ps[i].alpha);
    }
    for (int i = 0; i < nb; i++)
        bd_image_free(&bs[i].img);
    return 0;
}
