/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bd_engine: one runnable instance of a model. Owns the activation arena,
 * the backend state, and the buffers used to feed 8-bit images in.
 * Everything is allocated in bd_engine_create; runs allocate nothing, but
 * for the planes of an image not at the model's size (stills: the camera
 * hands model-size pictures), which grow to the largest image seen.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libyuv/planar_functions.h>
#include <libyuv/scale.h>

#include "backdrop.h"
#include "common/error.h"
#include "model/backend.h"
#include "model/model.h"
#include "model/zoom.h"

#define ARENA_ALIGN 64
#define ARENA_SLACK 64 /* >= XNN_EXTRA_BYTES: kernels may over-read */
#define FUSE_REACH 8   /* ops: covers ref's longest fused chain in the models */

struct bd_engine {
    const struct bd_model *model;
    const struct bd_graph *g;
    enum bd_backend backend;
    void *arena;
    float **tensors;
    struct bd_ref *ref;
    struct bd_xnn *xnn;
    uint8_t *scaled;      /* model-size RGB24 for bd_engine_segment_rgb */
    uint8_t *planes;      /* an image's R, G, B planes, then the model-size ones */
    size_t planes_cap;
    float *mirror_prob;   /* the mirrored run's output (mirror_average) */
    float *zoom_prob;     /* the zoom pass's output (bd_segment_options.zoom) */
    int state_valid;      /* the state outputs hold the last run's state */
};

static int is_state_input(const struct bd_graph *g, int t)
{
    for (int k = 0; k < g->num_state_inputs; k++)
        if (g->state_inputs[k] == t)
            return 1;
    return 0;
}

const struct bd_model *bd_engine_model(const struct bd_engine *e)
{
    return e ? e->model : NULL;
}

const char *bd_backend_name(enum bd_backend b)
{
    switch (b) {
    case BD_BACKEND_AUTO: return "auto";
    case BD_BACKEND_XNNPACK: return "xnnpack";
    case BD_BACKEND_REF: return "ref";
    }
    return "unknown";
}

struct slot {
    int tensor;
    size_t size;
    int first, last;
    size_t offset;
};

static int cmp_size_desc(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->tensor - y->tensor;
}

/*
 * Places every activation in one arena so that tensors alive at the same
 * time never overlap: greedy by size, first fit among the already placed
 * tensors whose live ranges [first, last] intersect. A tensor is live from
 * the op that writes it to the last op that reads it, so an op's inputs
 * and its output are never aliased.
 *
 * alias = 0 gives every tensor its own memory. The xnnpack backend needs
 * that: an XNNPACK runtime runs a whole run of ops at once and fuses and
 * reorders inside it, so per-op live ranges do not hold for the tensors it
 * touches. It only touches its external values (the graph's input and
 * output and tensors crossing to ref ops), so the untouched rest of the
 * arena is never written and costs address space, not memory.
 */
static int plan_arena(struct bd_engine *e, int alias)
{
    const struct bd_graph *g = e->g;
    struct slot *s = calloc((size_t)g->num_tensors, sizeof *s);
    if (!s)
        return bd_fail(BD_ERR_NOMEM, "out of memory planning tensors");
    int n = 0;
    for (int t = 0; t < g->num_tensors; t++) {
        const struct bd_tensor *T = &g->tensors[t];
        if (T->data)
            continue;
        const int is_input = t == g->input || is_state_input(g, t);
        if (!is_input && T->producer < 0)
            continue; /* not used by the pruned graph */
        s[n].tensor = t;
        s[n].size = ((T->count * 4 + ARENA_SLACK) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
        /* Live from FUSE_REACH ops before its producer: ref fuses an op
         * with the activations and ADD after it and runs inverted-residual
         * chains as bands, writing a chain's last output while its first
         * op still reads; that output must not sit on those inputs. */
        s[n].first = is_input ? -1 : T->producer - FUSE_REACH;
        s[n].last = T->last_use < 0 ? s[n].first : T->last_use;
        n++;
    }
    qsort(s, (size_t)n, sizeof *s, cmp_size_desc);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        size_t off = alias ? 0 : total;
        /* Retry until no overlapping live neighbour conflicts. Placed slots
         * are few (hundreds), so the quadratic scan is cheap at create. */
        for (int moved = alias; moved;) {
            moved = 0;
            for (int j = 0; j < i; j++) {
                if (alias && (s[j].first > s[i].last || s[i].first > s[j].last))
                    continue;
                if (off < s[j].offset + s[j].size && s[j].offset < off + s[i].size) {
                    off = s[j].offset + s[j].size;
                    moved = 1;
                }
            }
        }
        s[i].offset = off;
        if (off + s[i].size > total)
            total = off + s[i].size;
    }
    e->arena = aligned_alloc(ARENA_ALIGN, total ? total : ARENA_ALIGN);
    if (!e->arena) {
        free(s);
        return bd_fail(BD_ERR_NOMEM, "out of memory for %zu bytes of activations", total);
    }
    if (alias)
        memset(e->arena, 0, total ? total : ARENA_ALIGN);
    for (int i = 0; i < n; i++)
        e->tensors[s[i].tensor] = (float *)((uint8_t *)e->arena + s[i].offset);
    free(s);
    return BD_OK;
}

static enum bd_backend env_backend(enum bd_backend requested)
{
    /* BACKDROP_BACKEND=ref or =xnnpack forces that backend over auto's
     * rule (like libyuv's LIBYUV_DISABLE_* variables); it only overrides
     * "auto", never a backend the caller asked for. */
    const char *v = getenv("BACKDROP_BACKEND");
    if (requested != BD_BACKEND_AUTO || !v)
        return requested;
    if (strcmp(v, "ref") == 0)
        return BD_BACKEND_REF;
    if (strcmp(v, "xnnpack") == 0)
        return BD_BACKEND_XNNPACK;
    return requested;
}

/*
 * What BD_BACKEND_AUTO runs, chosen once here by a rule measured with
 * bench/bench_engine.c (both backends, interleaved, one thread): ref where
 * the model's descriptor says it was faster (the selfie and Meet models:
 * its FMA kernels, fused chains and depth-first bands beat XNNPACK by
 * about 1.3x there) and it runs its FMA kernels on this CPU, at one thread
 * (ref has no threads); XNNPACK everywhere else (DeepLab and BodyPix, whose
 * wide layers its cache-blocked GEMMs do better; unknown models; baseline
 * CPUs; more threads, but for models whose descriptor says ref beat
 * XNNPACK's threads too: RVM, which XNNPACK takes only in part, ran 4 to
 * 5 times slower on it with 2 threads than on ref, bench/rvm-fusion.md).
 * A rule rather than a timed trial run: it costs
 * nothing at create and gives every run the same backend.
 */
static enum bd_backend auto_backend(const struct bd_model *m, int threads)
{
    return m->desc.ref_faster && (threads == 1 || m->desc.ref_any_threads) &&
                   bd_ref_fma_kernels()
               ? BD_BACKEND_REF
               : BD_BACKEND_AUTO;
}

enum bd_status bd_engine_create(const struct bd_model *model, const struct bd_engine_options *opt,
                                struct bd_engine **out)
{
    if (!model || !out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_engine_create: NULL argument");
    *out = NULL;
    struct bd_engine_options o = {BD_BACKEND_AUTO, 0};
    if (opt)
        o = *opt;
    if (o.threads < 0 || o.threads > 64)
        return bd_fail(BD_ERR_INVALID_ARG, "threads must be 0..64, got %d", o.threads);
    if (o.threads == 0)
        o.threads = 1; /* 2 threads stall badly on a busy 2-core machine */
    o.backend = env_backend(o.backend);
    if (o.backend == BD_BACKEND_AUTO)
        o.backend = auto_backend(model, o.threads);

    struct bd_engine *e = calloc(1, sizeof *e);
    if (!e)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    e->model = model;
    e->g = model->graph;
    int r;
    e->tensors = calloc((size_t)e->g->num_tensors, sizeof *e->tensors);
    const struct bd_tensor *in = &e->g->tensors[e->g->input];
    e->scaled = malloc((size_t)in->dims[1] * (size_t)in->dims[2] * 3);
    e->mirror_prob = malloc(sizeof(float) * (size_t)model->desc.out_w * (size_t)model->desc.out_h);
    e->zoom_prob = malloc(sizeof(float) * (size_t)model->desc.out_w * (size_t)model->desc.out_h);
    if (!e->tensors || !e->scaled || !e->mirror_prob || !e->zoom_prob) {
        r = bd_fail(BD_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int t = 0; t < e->g->num_tensors; t++)
        if (e->g->tensors[t].data)
            e->tensors[t] = e->g->tensors[t].data;
    if (o.backend == BD_BACKEND_AUTO || o.backend == BD_BACKEND_XNNPACK) {
#ifdef BD_HAVE_XNNPACK
        if ((r = plan_arena(e, 0)) != BD_OK)
            goto fail;
        r = bd_xnn_create(e->g, e->tensors, o.threads, &e->xnn);
        if (r == BD_OK) {
            e->backend = BD_BACKEND_XNNPACK;
        } else if (o.backend == BD_BACKEND_XNNPACK) {
            goto fail;
        } else {
            free(e->arena);
            e->arena = NULL;
        }
#else
        if (o.backend == BD_BACKEND_XNNPACK) {
            r = bd_fail(BD_ERR_BACKEND, "this build of backdrop has no XNNPACK; install libxnnpack-dev and rebuild, or set the backend to ref");
            goto fail;
        }
#endif
    }
    if (!e->xnn) {
        if ((r = plan_arena(e, 1)) != BD_OK)
            goto fail;
        r = bd_ref_create(e->g, e->tensors, &e->ref);
        if (r != BD_OK)
            goto fail;
        e->backend = BD_BACKEND_REF;
    }
    *out = e;
    return BD_OK;
fail:
    bd_engine_destroy(e);
    return r;
}

void bd_engine_destroy(struct bd_engine *e)
{
    if (!e)
        return;
#ifdef BD_HAVE_XNNPACK
    bd_xnn_destroy(e->xnn);
#endif
    bd_ref_destroy(e->ref);
    free(e->arena);
    free(e->tensors);
    free(e->scaled);
    free(e->planes);
    free(e->mirror_prob);
    free(e->zoom_prob);
    free(e);
}

enum bd_backend bd_engine_backend(const struct bd_engine *e)
{
    return e->backend;
}

float *bd_engine_input(struct bd_engine *e)
{
    return e->tensors[e->g->input];
}

const float *bd_engine_output(const struct bd_engine *e)
{
    return e->tensors[e->g->outputs[0]];
}

enum bd_status bd_engine_run(struct bd_engine *e)
{
    const struct bd_graph *g = e->g;
    /* State in from the last run's outputs. Copied at the start, not the
     * end: the planner may give a state input's memory to tensors written
     * after its last reader, so it only holds the state until then. The
     * outputs are untouched between runs; memmove because an output may
     * share memory with its own state input when their lives do not meet. */
    for (int k = 0; k < g->num_state_inputs; k++) {
        const size_t bytes = bd_tensor_bytes(&g->tensors[g->state_inputs[k]]);
        if (e->state_valid)
            memmove(e->tensors[g->state_inputs[k]], e->tensors[g->state_outputs[k]], bytes);
        else
            memset(e->tensors[g->state_inputs[k]], 0, bytes);
    }
    enum bd_status r;
#ifdef BD_HAVE_XNNPACK
    if (e->xnn)
        r = bd_xnn_run(e->xnn);
    else
#endif
        r = bd_ref_run(e->ref);
    e->state_valid = r == BD_OK;
    return r;
}

void bd_engine_reset_state(struct bd_engine *e)
{
    if (e)
        e->state_valid = 0;
}

/* For tests/rvm_golden.c: graph output k (0 is bd_engine_output's), or
 * NULL when there is no such output. */
const float *bd_engine_output_k(const struct bd_engine *e, int k);
const float *bd_engine_output_k(const struct bd_engine *e, int k)
{
    return k >= 0 && k < e->g->num_outputs ? e->tensors[e->g->outputs[k]] : NULL;
}

/* For bench/ only: the XNNPACK runtimes alone. */
struct bd_xnn *bd_engine_xnn(struct bd_engine *e);
struct bd_xnn *bd_engine_xnn(struct bd_engine *e)
{
    return e->xnn;
}

static void decode(const struct bd_engine *e, int cls, float *prob)
{
    const struct bd_model_desc *D = &e->model->desc;
    const struct bd_graph *g = e->g;
    const float *o = e->tensors[g->outputs[0]];
    const int C = D->out_c;
    const size_t n = (size_t)D->out_h * (size_t)D->out_w;
    int producer = g->tensors[g->outputs[0]].producer;
    int softmaxed = producer >= 0 && g->ops[producer].type == BD_OP_SOFTMAX;
    switch (D->kind) {
    case BD_OUTPUT_PROBABILITY:
        for (size_t i = 0; i < n; i++) {
            float v = o[i * (size_t)C];
            prob[i] = v < 0.f ? 0.f : v > 1.f ? 1.f : v;
        }
        break;
    case BD_OUTPUT_LOGIT:
        for (size_t i = 0; i < n; i++)
            prob[i] = 1.f / (1.f + expf(-o[i * (size_t)C]));
        break;
    case BD_OUTPUT_SOFTMAX2:
    case BD_OUTPUT_CLASSES:
        /* One class against the best other: sigmoid(x_cls - max other).
         * For 2 classes that is exactly the softmax; for N it is >= 0.5
         * exactly where cls is the argmax (the usual DeepLab decoding),
         * while staying soft near the boundary for upsampling. */
        for (size_t i = 0; i < n; i++) {
            const float *x = o + i * (size_t)C;
            float other = -INFINITY;
            for (int c = 0; c < C; c++)
                if (c != cls && x[c] > other)
                    other = x[c];
            if (softmaxed)
                prob[i] = x[cls] + other > 0.f ? x[cls] / (x[cls] + other) : 0.f;
            else
                prob[i] = 1.f / (1.f + expf(other - x[cls]));
        }
        break;
    }
}

/* The input tensor from a model-size RGB24 image, mirrored or not. A
 * 256-entry table gives the same values as computing each one, at a third
 * of the cost of the scalar int-to-float conversion GCC -O2 leaves here. */
static void fill_input(struct bd_engine *e, const uint8_t *src, int src_stride, int mirror)
{
    const struct bd_model_desc *D = &e->model->desc;
    const struct bd_tensor *in = &e->g->tensors[e->g->input];
    const int mh = in->dims[1], mw = in->dims[2];
    float *x = e->tensors[e->g->input];
    const float scale = D->range == BD_RANGE_M1_1 ? 1.f / 127.5f : 1.f / 255.f;
    const float bias = D->range == BD_RANGE_M1_1 ? -1.f : 0.f;
    float lut[256];
    for (int i = 0; i < 256; i++)
        lut[i] = (float)i * scale + bias;
    const int row = mw * 3;
    for (int yy = 0; yy < mh; yy++) {
        const uint8_t *s8 = src + (size_t)yy * (size_t)src_stride;
        float *xr = x + (size_t)yy * (size_t)row;
        if (!mirror) {
            for (int i = 0; i < row; i++)
                xr[i] = lut[s8[i]];
            continue;
        }
        for (int xx = 0; xx < mw; xx++) {
            const uint8_t *px = s8 + (size_t)(mw - 1 - xx) * 3;
            xr[3 * xx] = lut[px[0]];
            xr[3 * xx + 1] = lut[px[1]];
            xr[3 * xx + 2] = lut[px[2]];
        }
    }
}

/* The mirror image, its map mirrored back into prob: averaged with what
 * prob holds (average = 1), or alone (bd_segment_options.mirrored). The
 * average has fewer errors than either map, because the model's are not
 * symmetric (its stride-2 padding is not, and neither is what it
 * learned): bench/quality, IoU +0.01 and boundary F +0.03 at 720p. */
static enum bd_status mirror_pass(struct bd_engine *e, const uint8_t *src, int src_stride, int cls,
                                  int average, float *prob)
{
    fill_input(e, src, src_stride, 1);
    int r = bd_engine_run(e);
    if (r != BD_OK)
        return r;
    decode(e, cls, e->mirror_prob);
    const int ow = e->model->desc.out_w, oh = e->model->desc.out_h;
    for (int yy = 0; yy < oh; yy++) {
        float *pr = prob + (size_t)yy * (size_t)ow;
        const float *mr = e->mirror_prob + (size_t)yy * (size_t)ow;
        if (average)
            for (int xx = 0; xx < ow; xx++)
                pr[xx] = 0.5f * (pr[xx] + mr[ow - 1 - xx]);
        else
            for (int xx = 0; xx < ow; xx++)
                pr[xx] = mr[ow - 1 - xx];
    }
    return BD_OK;
}

/*
 * An RGB24 image scaled to the model's input in e->scaled: bilinear,
 * sampled at each model pixel's centre, one plane at a time, exactly as
 * the camera scales its frames (I420Scale, kFilterBilinear), so a still
 * and a camera frame of the same picture give the model the same input.
 * libyuv's RGB24/ARGB scalers were used before, with kFilterBox: they
 * sample at each cell's corner instead (the picture shifted by about 0.4
 * model pixel), which golden's independent input found. bench/quality
 * measured both and an exact area average: centred bilinear gives the
 * best masks (general at 1280x720: IoU 0.944 corner, 0.935 area, 0.951
 * centred), as the models were trained on bilinear resizes.
 */
static enum bd_status scale_to_model(struct bd_engine *e, const uint8_t *rgb, int stride,
                                     int width, int height, int mw, int mh)
{
    const size_t n = (size_t)width * (size_t)height, m = (size_t)mw * (size_t)mh;
    if (3 * (n + m) > e->planes_cap) {
        uint8_t *p = realloc(e->planes, 3 * (n + m));
        if (!p)
            return bd_fail(BD_ERR_NOMEM, "out of memory scaling a %dx%d image", width, height);
        e->planes = p;
        e->planes_cap = 3 * (n + m);
    }
    uint8_t *r = e->planes, *g = r + n, *b = g + n, *small = b + n;
    SplitRGBPlane(rgb, stride, r, width, g, width, b, width, width, height);
    for (int c = 0; c < 3; c++)
        ScalePlane(e->planes + (size_t)c * n, width, width, height, small + (size_t)c * m, mw, mw,
                   mh, kFilterBilinear);
    MergeRGBPlane(small, mw, small + m, mw, small + 2 * m, mw, e->scaled, mw * 3, mw, mh);
    return BD_OK;
}

/* One look at an image (any size): scaled to the model's input, run, and
 * decoded into prob; with mirror (and no skip), the mirror average. */
static enum bd_status look(struct bd_engine *e, const uint8_t *rgb, int stride, int width,
                           int height, int cls, int mirror, const struct bd_segment_options *opt,
                           float *prob)
{
    const struct bd_tensor *in = &e->g->tensors[e->g->input];
    const int mh = in->dims[1], mw = in->dims[2];
    /* An image already at the model's size (the camera pipeline prepares
     * it so) is read in place; anything else is scaled first, as the
     * camera scales (scale_to_model). */
    const uint8_t *src = rgb;
    int src_stride = stride;
    if (width != mw || height != mh) {
        enum bd_status r = scale_to_model(e, rgb, stride, width, height, mw, mh);
        if (r != BD_OK)
            return r;
        src = e->scaled;
        src_stride = mw * 3;
    }
    if (opt && opt->mirrored)
        return mirror_pass(e, src, src_stride, cls, 0, prob);
    fill_input(e, src, src_stride, 0);
    int r = bd_engine_run(e);
    if (r != BD_OK)
        return r;
    decode(e, cls, prob);
    if (!mirror || (opt && opt->skip_mirror && opt->skip_mirror(opt->opaque)))
        return BD_OK;
    return mirror_pass(e, src, src_stride, cls, 1, prob);
}

enum bd_status bd_engine_segment_rgb(struct bd_engine *e, const uint8_t *rgb, int stride, int width,
                                     int height, const struct bd_segment_options *opt, float *prob)
{
    if (!e || !rgb || !prob || width < 1 || height < 1 || stride < width * 3)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_engine_segment_rgb: bad image arguments");
    const struct bd_model_desc *D = &e->model->desc;
    int cls = opt && opt->class_index >= 0 ? opt->class_index : D->default_class;
    if (cls < 0 || cls >= (D->out_c > 1 ? D->out_c : 1))
        return bd_fail(BD_ERR_INVALID_ARG, "class %d out of range for model '%s'", cls, e->model->name);
    const struct bd_tensor *in = &e->g->tensors[e->g->input];
    if (in->dims[3] != 3)
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s' takes %d channels; only RGB models can segment images",
                       e->model->name, in->dims[3]);
    const int mirror = opt && opt->mirror_average;
    if (opt && opt->mirrored && opt->zoom)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_engine_segment_rgb: mirrored and zoom together");
    if (!opt || !opt->zoom)
        return look(e, rgb, stride, width, height, cls, mirror, opt, prob);
    /* The zoom: a first look at the whole image, then the mirror average
     * goes to the second look, at the person's box, whose map replaces the
     * first one's there (model/zoom.h). With no box worth it, the mirror
     * run is of the whole image, as without the zoom. */
    int r = look(e, rgb, stride, width, height, cls, 0, opt, prob);
    if (r != BD_OK)
        return r;
    struct bd_engine *ze = opt->zoom_engine ? opt->zoom_engine : e;
    const struct bd_tensor *zin = &ze->g->tensors[ze->g->input];
    struct bd_rect box;
    const int scaled = width != in->dims[2] || height != in->dims[1];
    if (zin->dims[3] == 3 &&
        bd_zoom_find(prob, D->out_w, D->out_h, width, height, zin->dims[2], zin->dims[1], &box)) {
        const struct bd_model_desc *ZD = &ze->model->desc;
        r = look(ze, rgb + (size_t)box.y * (size_t)stride + (size_t)box.x * 3, stride, box.w,
                 box.h, ze == e ? cls : ZD->default_class, mirror, opt, ze->zoom_prob);
        if (r != BD_OK)
            return r;
        if (bd_zoom_fuse(prob, D->out_w, D->out_h, width, height, &box, ze->zoom_prob, ZD->out_w,
                         ZD->out_h))
            return BD_OK;
        /* the second look saw nobody (zoom.h): the first look stays, with
         * its mirror average; its model-size picture is gone if this
         * engine took the second look too */
        if (ze == e && scaled &&
            (r = scale_to_model(e, rgb, stride, width, height, in->dims[2], in->dims[1])) != BD_OK)
            return r;
    }
    if (!mirror || (opt->skip_mirror && opt->skip_mirror(opt->opaque)))
        return BD_OK;
    /* the first look's model-size picture is in e->scaled (or is rgb) */
    return mirror_pass(e, scaled ? e->scaled : rgb, scaled ? in->dims[2] * 3 : stride, cls, 1,
                       prob);
}
