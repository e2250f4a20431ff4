/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pipeline set-up and tear-down: every device, file, model, thread
 * primitive and buffer the frames will use is made here (the inference
 * thread itself starts in run).
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define DEFAULT_BLUR 12

static int copy_str(char *dst, size_t size, const char *src, const char *what)
{
    if (strlen(src) >= size)
        return bd_fail(BD_ERR_INVALID_ARG, "%s is too long (%zu bytes)", what, strlen(src));
    memcpy(dst, src, strlen(src) + 1);
    return BD_OK;
}

static int is_camera_path(const char *s)
{
    return !s || (strncmp(s, "/dev/", 5) == 0 && strcmp(s, "/dev/null") != 0);
}

/* The largest centred rectangle of the frame with the model's aspect,
 * at even offsets and sizes so the chroma planes stay aligned. */
static struct bd_rect model_crop(int w, int h, int mw, int mh)
{
    struct bd_rect c = {0, 0, w, h};
    if ((int64_t)w * mh > (int64_t)h * mw)
        c.w = (int)((int64_t)h * mw / mh) & ~1;
    else
        c.h = (int)((int64_t)w * mh / mw) & ~1;
    if (c.w < 2)
        c.w = 2;
    if (c.h < 2)
        c.h = 2;
    c.x = ((w - c.w) / 2) & ~1;
    c.y = ((h - c.h) / 2) & ~1;
    return c;
}

const char *bd_model_for_shape(const struct bd_pipeline *p)
{
    return 2 * p->width >= 3 * p->height ? "landscape" : "general";
}

const char *bd_model_resolve(const struct bd_pipeline *p, const char *name)
{
    if (name && strcmp(name, "auto") != 0)
        return name;
    const char *offline = p->file_job && !p->cfg.raw_mask ? bd_model_auto_offline() : NULL;
    return offline ? offline : bd_model_for_shape(p);
}

/* A file in and a named file out, at the file's pace: where "auto" takes
 * RVM (bd_model_auto_offline). A pipe ("-"), the null sink, a device,
 * PipeWire or a preview window is watched as it plays, so keeps the
 * camera's choice. */
static int is_file_job(const struct bd_pipeline_config *c, enum bd_pace pace)
{
    const char *o = c->output;
    return pace == BD_PACE_OFFLINE && !c->preview && !is_camera_path(c->input) &&
           !is_camera_path(o) && strcmp(o, "/dev/null") != 0 && strcmp(o, "pipewire") != 0 &&
           strcmp(o, "null") != 0 && strcmp(o, "-") != 0;
}

void bd_model_bundle_free(struct bd_model_bundle *b)
{
    if (!b)
        return;
    bd_model_bundle_free(b->person);
    free(b->person_mask);
    free(b->alpha);
    free(b->fuse_scratch);
    free(b->fused);
    bd_refiner_destroy(b->fuse_smooth);
    bd_refiner_destroy(b->refiner);
    bd_stream_destroy(b->stream);
    bd_engine_destroy(b->engine);
    bd_model_destroy(b->model);
    bd_engine_destroy(b->zengine);
    bd_model_destroy(b->zmodel);
    free(b->small_mem);
    free(b->zsmall_mem);
    free(b->rgb_mem);
    free(b->prob_mem);
    free(b->mask_small);
    free(b->mask_half);
    free(b);
}

int bd_model_bundle_open(const struct bd_pipeline *p, const char *name,
                         struct bd_model_bundle **out)
{
    *out = NULL;
    struct bd_model_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    snprintf(b->arg, sizeof b->arg, "%s", name);
    /* RVM is made for the frame's size (bd_model_open_rvm), so it is opened
     * once the source's size is known (create: as the automatic choice) */
    b->rvm = bd_model_is_rvm(name);
    b->zoom = p->zoom && !b->rvm;
    int r = b->rvm ? bd_model_open_rvm(p->width, p->height, p->cfg.rvm_ratio, &b->model)
                   : bd_model_open(name, &b->model);
    if (r != BD_OK) {
        bd_model_bundle_free(b);
        return r;
    }
    struct bd_model_info info;
    bd_model_get_info(b->model, &info);
    snprintf(b->name, sizeof b->name, "%s", info.name);
    if (info.in_channels != 3 || info.out_width < 1 || info.out_height < 1) {
        bd_model_bundle_free(b);
        return bd_fail(BD_ERR_UNSUPPORTED, "model '%s' does not take RGB images", name);
    }
    b->class_index = -1;
    if (p->cfg.model_class) {
        b->class_index = bd_model_find_class(b->model, p->cfg.model_class);
        if (b->class_index < 0) {
            bd_model_bundle_free(b);
            return BD_ERR_NOT_FOUND; /* bd_last_error() names the class */
        }
    }
    b->model_w = info.in_width;
    b->model_h = info.in_height;
    b->out_w = info.out_width;
    b->out_h = info.out_height;
    struct bd_engine_options eo = {.backend = p->cfg.backend,
                                   .threads = p->cfg.threads > 0 ? p->cfg.threads : 1};
    r = bd_engine_create(b->model, &eo, &b->engine);
    if (r == BD_OK && b->rvm && !p->cfg.rvm_bare)
        r = bd_model_bundle_open(p, bd_model_for_shape(p), &b->person);
    if (r != BD_OK || !b->zoom) {
        if (r != BD_OK)
            bd_model_bundle_free(b);
        else
            *out = b;
        return r;
    }
    /* The zoom pass's second look is at a person's box, about as tall as
     * wide or taller: a model wider than 4:3 (landscape) squashes it, so
     * the square general model takes that look (bench/quality, temporal
     * set at 1280x720, landscape: IoU 0.929 -> 0.975, boundary F 0.696 ->
     * 0.836, flicker 0.80 -> 0.25; the landscape model itself on the box:
     * IoU 0.846). */
    b->zeng = b->engine;
    b->zmodel_w = b->model_w;
    b->zmodel_h = b->model_h;
    b->zout_w = b->out_w;
    b->zout_h = b->out_h;
    const char *partner = bd_model_zoom_partner(b->model);
    if (partner) {
        r = bd_model_open(partner, &b->zmodel);
        if (r == BD_OK)
            r = bd_engine_create(b->zmodel, &eo, &b->zengine);
        if (r != BD_OK) {
            bd_model_bundle_free(b);
            return r;
        }
        bd_model_get_info(b->zmodel, &info);
        b->zeng = b->zengine;
        b->zmodel_w = info.in_width;
        b->zmodel_h = info.in_height;
        b->zout_w = info.out_width;
        b->zout_h = info.out_height;
    }
    *out = b;
    return BD_OK;
}

/* The inference policy (model/stream.h): the camera's defaults (hold in
 * time: at the input's rate), plain runs
 * for --mirror-average off, and for --raw-mask one plain run every frame;
 * BACKDROP_STREAM (read when a model is made) overrides the defaults for benchmarks. */
static int open_stream(const struct bd_pipeline *p, struct bd_model_bundle *b)
{
    struct bd_stream_policy pol;
    bd_stream_policy_default(&pol);
    const char *env = getenv("BACKDROP_STREAM");
    if (env && *env && bd_stream_policy_parse(env, &pol) != 0)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "BACKDROP_STREAM='%s' is not understood: give any of "
                       "mirror=both|alt|off,first=N,skip=DB,hold=N,cut=DB",
                       env);
    bd_stream_policy_rate(&pol, p->src.fps);
    /* a mirror run would feed the mirror image's state to the next run */
    if (p->cfg.no_mirror_average || p->cfg.raw_mask || b->rvm)
        pol.mirror = BD_STREAM_MIRROR_OFF;
    if (p->cfg.raw_mask) { /* the baseline: the model's own map, every frame */
        pol.skip_psnr = 0;
        pol.hold = 0;
    }
    /* RVM's recurrent state is made for consecutive frames: a held map
     * would feed it every other frame (and a file's loop back to its start
     * would not restart it on the loop's first frame) */
    if (b->rvm)
        pol.hold = 0;
    return bd_stream_create(b->engine, b->zoom ? b->zeng : NULL, b->crop.w, b->crop.h,
                            b->class_index, &pol, &b->stream);
}

int bd_model_bundle_alloc(const struct bd_pipeline *p, const struct bd_refine_options *ro,
                          struct bd_model_bundle *b)
{
    b->crop = model_crop(p->width, p->height, b->model_w, b->model_h);
    int r = BD_OK;
    if (b->person) {
        r = bd_model_bundle_alloc(p, ro, b->person);
        if (r != BD_OK)
            return r;
        const size_t n = (size_t)p->mask_stride * p->height;
        b->person_mask = calloc(n, 1);
        b->alpha = calloc(n, 1);
        b->fuse_scratch = malloc(bd_mask_fuse_scratch(p->width, p->height));
        b->fused = calloc(n, 1);
        if (!b->person_mask || !b->alpha || !b->fuse_scratch || !b->fused)
            return bd_fail(BD_ERR_NOMEM, "out of memory for the fused mask");
        struct bd_refine_options so;
        bd_fuse_smooth_options(&so);
        r = bd_refiner_create(p->width, p->height, p->width, p->height, &so, &b->fuse_smooth);
        if (r != BD_OK)
            return r;
    }
    r = bd_i420_alloc(b->model_w, b->model_h, &b->small_mem, &b->small);
    if (r == BD_OK && b->zoom)
        r = bd_i420_alloc(b->zmodel_w, b->zmodel_h, &b->zsmall_mem, &b->zsmall);
    if (r != BD_OK)
        return r;
    const size_t rgb = (size_t)b->model_w * b->model_h * 3;
    const size_t prob = (size_t)b->out_w * b->out_h;
    const size_t zrgb = (size_t)b->zmodel_w * b->zmodel_h * 3;
    const size_t zprob = (size_t)b->zout_w * b->zout_h;
    b->rgb_mem = malloc(2 * rgb + 2 * zrgb);
    b->prob_mem = calloc(3 * prob + zprob, sizeof(float));
    b->mask_small = malloc(prob);
    b->mask_half_stride = (b->crop.w / 2 + 63) & ~63;
    b->mask_half = malloc((size_t)b->mask_half_stride * (size_t)(b->crop.h / 2));
    if (!b->rgb_mem || !b->prob_mem || !b->mask_small || !b->mask_half)
        return bd_fail(BD_ERR_NOMEM, "out of memory for the mask buffers");
    b->rgb_pending = b->rgb_mem;
    b->rgb_work = b->rgb_mem + rgb;
    b->prob_work = b->prob_mem;
    b->prob_latest = b->prob_mem + prob;
    b->prob_main = b->prob_mem + 2 * prob;
    b->zrgb_pending = b->rgb_mem + 2 * rgb;
    b->zrgb_work = b->rgb_mem + 2 * rgb + zrgb;
    b->zprob = b->prob_mem + 3 * prob;
    /* A frame smaller than the model's output (e.g. 320x240 with the
     * general model's 256x256 map) has no detail to refine the map with:
     * it is scaled like the raw mask. */
    b->refine = !p->cfg.raw_mask && b->crop.w >= b->out_w && b->crop.h >= b->out_h;
    /* RVM's alpha is a matte at (or near) the frame's size: the refiner's
     * coverage smoothstep would make it hard again (bench/rvm-fusion.md) */
    if (b->rvm)
        b->refine = 0;
    r = open_stream(p, b);
    if (r != BD_OK)
        return r;
    if (b->refine)
        return bd_refiner_create(b->crop.w, b->crop.h, b->out_w, b->out_h, ro, &b->refiner);
    return BD_OK;
}

static int alloc_buffers(struct bd_pipeline *p)
{
    int r = bd_i420_alloc(p->src.width, p->src.height, &p->frame_mem, &p->frame);
    if (r == BD_OK)
        r = bd_i420_alloc(p->width, p->height, &p->out_mem, &p->out);
    if (r == BD_OK) {
        p->lost_scratch_size = bd_camera_lost_scratch(p->width, p->height);
        p->lost_scratch = malloc(p->lost_scratch_size);
        if (!p->lost_scratch)
            r = bd_fail(BD_ERR_NOMEM, "out of memory");
    }
    if (r != BD_OK)
        return r;
    p->frame_view = bd_i420_view_of(&p->frame);
    p->frame_view.width = p->width;
    p->frame_view.height = p->height;
    p->mask_stride = (p->width + 63) & ~63;
    p->mask = aligned_alloc(64, (size_t)p->mask_stride * p->height);
    if (!p->mask)
        return bd_fail(BD_ERR_NOMEM, "out of memory for the mask buffers");
    /* Until the first mask arrives the whole frame is background: better
     * to hide the person for a moment than to show the room. */
    memset(p->mask, 0, (size_t)p->mask_stride * p->height);
    return bd_model_bundle_alloc(p, &p->refine, p->m);
}

static int setup_effect(struct bd_pipeline *p)
{
    int r = bd_compositor_create(p->width, p->height, &p->comp);
    if (r != BD_OK)
        return r;
    struct bd_composite_options co = BD_COMPOSITE_OPTIONS_DEFAULT;
    co.halo_free = !p->cfg.no_halo_free;
    if (p->cfg.light_wrap < 0)
        co.light_wrap = 0.f;
    else if (p->cfg.light_wrap > 0)
        co.light_wrap = (float)p->cfg.light_wrap / 100.f;
    co.hologram = p->cfg.hologram != 0;
    r = bd_compositor_set_options(p->comp, &co);
    if (r != BD_OK)
        return r;
    switch (p->cfg.effect) {
    case BD_EFFECT_BLUR:
    case BD_EFFECT_NONE:
        return BD_OK;
    case BD_EFFECT_COLOR: {
        uint32_t c = p->cfg.color;
        return bd_compositor_set_color(p->comp, (c >> 16) & 255, (c >> 8) & 255, c & 255);
    }
    case BD_EFFECT_IMAGE:
        return bd_pipeline_background_apply(p); /* loaded before the devices */
    }
    return bd_fail(BD_ERR_INVALID_ARG, "unknown effect %d", (int)p->cfg.effect);
}

static int check_config(const struct bd_pipeline_config *c)
{
    if (c->width < 0 || c->height < 0 || c->width > 8192 || c->height > 8192)
        return bd_fail(BD_ERR_INVALID_ARG, "size %dx%d out of range", c->width, c->height);
    if (c->fps < 0 || c->fps > 240)
        return bd_fail(BD_ERR_INVALID_ARG, "fps %d out of range 1..240", c->fps);
    if (c->blur < 0 || c->blur > BD_BLUR_MAX_RADIUS)
        return bd_fail(BD_ERR_INVALID_ARG, "blur %d out of range 0..%d", c->blur,
                       BD_BLUR_MAX_RADIUS);
    if ((unsigned)c->effect > BD_EFFECT_NONE || (unsigned)c->fit > BD_FIT_MODE_TILE ||
        (unsigned)c->output_format > BD_OUTPUT_I420 || (unsigned)c->pace > BD_PACE_OFFLINE)
        return bd_fail(BD_ERR_INVALID_ARG, "bad enum value in the pipeline config");
    if (c->effect == BD_EFFECT_IMAGE && (!c->background || !c->background[0]))
        return bd_fail(BD_ERR_INVALID_ARG, "an image background needs a file");
    if (c->color > 0xffffff)
        return bd_fail(BD_ERR_INVALID_ARG, "colour %#x is not 0xRRGGBB", c->color);
    if (c->light_wrap < -1 || c->light_wrap > 100)
        return bd_fail(BD_ERR_INVALID_ARG, "light wrap %d out of range -1..100", c->light_wrap);
    if (c->threads < 0 || c->threads > 64)
        return bd_fail(BD_ERR_INVALID_ARG, "threads %d out of range 0..64", c->threads);
    if (c->idle_timeout < 0 || c->idle_timeout > 3600)
        return bd_fail(BD_ERR_INVALID_ARG, "idle timeout %d s out of range 0..3600",
                       c->idle_timeout);
    if (c->max_frames < 0)
        return bd_fail(BD_ERR_INVALID_ARG, "max_frames is negative");
    return BD_OK;
}

void bd_source_set_rate(struct bd_source *s)
{
    if (s->fps_num <= 0 || s->fps_den <= 0) {
        s->fps_num = 30;
        s->fps_den = 1;
        s->fps = 0;
    } else {
        s->fps = (double)s->fps_num / s->fps_den;
    }
    s->interval_ns = (int64_t)(1e9 * s->fps_den / s->fps_num);
}

/* Frames handed in (bd_filter), p->out taken back: no source to read. */
static void external_source(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    s->kind = SRC_EXTERNAL;
    snprintf(s->name, sizeof s->name, "frames handed in");
    s->width = p->ext_width;
    s->height = p->ext_height;
    s->fps_num = p->cfg.fps > 0 ? p->cfg.fps : 30;
    s->fps_den = 1;
    bd_source_set_rate(s); /* the rate made for (bd_filter_set_rate), as stats report it */
}

int bd_pipeline_create_io(const struct bd_pipeline_config *config, int ext_w, int ext_h,
                          enum bd_pace ext_pace, const struct bd_pipeline_io *io,
                          struct bd_pipeline **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_create: NULL out");
    *out = NULL;
    if (!config)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_create: NULL config");
    int r = check_config(config);
    if (r != BD_OK)
        return r;
    struct bd_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return bd_fail(BD_ERR_NOMEM, "out of memory");
    p->cfg = *config;
    p->io = io;
    if (ext_w > 0) {
        /* frames handed in, p->out taken back: no device, no file */
        p->ext_width = ext_w;
        p->ext_height = ext_h;
        p->cfg.input = NULL;
        p->cfg.output = "null";
        p->cfg.preview = 0;
        p->cfg.on_demand = 0;
        p->cfg.max_frames = 0;
        p->cfg.pace = ext_pace;
        p->inline_infer = ext_pace == BD_PACE_OFFLINE;
    }
    if (pthread_mutex_init(&p->lock, NULL) || pthread_mutex_init(&p->stats_lock, NULL) ||
        pthread_cond_init(&p->in_cond, NULL) || pthread_cond_init(&p->mask_cond, NULL)) {
        free(p);
        return bd_fail(BD_ERR_NOMEM, "cannot create the pipeline's locks");
    }
    atomic_init(&p->requests, 0u);
    /* Read once here, never per frame: makes every model run this much
     * slower, to show (and test) what a slow machine does. */
    const char *delay = getenv("BACKDROP_INFER_DELAY_MS");
    if (delay && *delay) {
        long ms = strtol(delay, NULL, 10);
        p->infer_delay_ms = ms < 0 ? 0 : ms > 10000 ? 10000 : (int)ms;
    }
    r = BD_OK;
    config = &p->cfg; /* the external pipeline's overrides */
    const char *in = config->input, *outp = config->output;
    if (in)
        r = copy_str(p->input_path, sizeof p->input_path, in, "input");
    p->cfg.input = in ? p->input_path : NULL;
    if (r == BD_OK && outp)
        r = copy_str(p->output_path, sizeof p->output_path, outp, "output");
    p->cfg.output = outp ? p->output_path : NULL;
    if (r == BD_OK && config->background)
        r = copy_str(p->bg_path, sizeof p->bg_path, config->background, "background");
    p->cfg.background = config->background ? p->bg_path : NULL;
    if (r == BD_OK && config->model)
        r = copy_str(p->model_arg, sizeof p->model_arg, config->model, "model");
    p->cfg.model = config->model ? p->model_arg : NULL;
    if (r == BD_OK && config->model_class)
        r = copy_str(p->class_arg, sizeof p->class_arg, config->model_class, "class");
    p->cfg.model_class = config->model_class ? p->class_arg : NULL;
    if (r == BD_OK)
        r = copy_str(p->pw_name, sizeof p->pw_name, config->pw_name ? config->pw_name : "backdrop",
                     "the PipeWire node name");
    p->cfg.pw_name = p->pw_name;
    p->blur = config->blur ? config->blur : DEFAULT_BLUR;
    p->pace = config->pace;
    if (p->pace == BD_PACE_AUTO) {
        int live = is_camera_path(config->input) || is_camera_path(config->output) ||
                   config->preview || (config->output && strcmp(config->output, "pipewire") == 0);
        p->pace = live ? BD_PACE_LIVE : BD_PACE_OFFLINE;
    }
    p->file_job = io && is_file_job(config, p->pace);
    p->effect_on = !config->disabled;
    if (config->refine)
        p->refine = *config->refine;
    else
        bd_refine_options_default(&p->refine);
    p->cfg.refine = &p->refine;

    /* Files before devices: a corrupt model or an unreadable background is
     * reported before the camera or the loopback device is touched (and
     * before a camera's light comes on for nothing). Only the automatic
     * model choice waits for the frame size; it is one of the built-in
     * models, which cannot be bad. */
    const int auto_model = !p->cfg.model || strcmp(p->cfg.model, "auto") == 0;
    /* RVM waits for the frame size too; its files are checked first */
    const int late_model = auto_model || bd_model_is_rvm(p->cfg.model);
    char rvm_path[4096];
    if (r == BD_OK && !auto_model && late_model)
        r = bd_rvm_path(rvm_path, sizeof rvm_path);
    p->zoom = !p->cfg.raw_mask && !p->cfg.no_zoom;
    if (r == BD_OK && !late_model)
        r = bd_model_bundle_open(p, p->cfg.model, &p->m);
    if (r == BD_OK && p->cfg.effect == BD_EFFECT_IMAGE)
        r = bd_pipeline_background_load(p);
    if (r == BD_OK && io)
        r = io->open_input(p);
    else if (r == BD_OK)
        external_source(p);
    if (r == BD_OK) {
        p->width = p->src.width & ~1;
        p->height = p->src.height & ~1;
        if (late_model)
            r = bd_model_bundle_open(p, bd_model_resolve(p, p->cfg.model), &p->m);
    }
    if (r == BD_OK) {
        snprintf(p->model_name, sizeof p->model_name, "%s", p->m->name);
        r = alloc_buffers(p);
    }
    if (r == BD_OK)
        r = setup_effect(p);
    if (r == BD_OK)
        r = bd_pipeline_live_init(p);
    if (r == BD_OK && io) {
        r = io->open_output(p);
        p->sink_write = io->write;
    } else {
        p->sink.kind = SINK_NULL;
        snprintf(p->sink.name, sizeof p->sink.name, "null");
    }
    if (r != BD_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        bd_pipeline_destroy(p);
        return bd_fail(r, "%s", msg);
    }
    *out = p;
    return BD_OK;
}

int bd_pipeline_create_external(const struct bd_pipeline_config *config, int width, int height,
                                enum bd_pace pace, struct bd_pipeline **out)
{
    if (width < 2 || height < 2 || (width | height) & 1 || width > 8192 || height > 8192)
        return bd_fail(BD_ERR_UNSUPPORTED, "frame size %dx%d: give even sizes from 2x2 to 8192x8192",
                       width, height);
    return bd_pipeline_create_io(config, width, height, pace, NULL, out);
}

void bd_pipeline_destroy(struct bd_pipeline *p)
{
    if (!p)
        return;
    if (p->running) {
        /* run is still going on another thread: that is the caller's bug,
         * but stop the inference thread rather than free under it */
        pthread_mutex_lock(&p->lock);
        p->quit = 1;
        pthread_cond_broadcast(&p->in_cond);
        pthread_mutex_unlock(&p->lock);
    }
    if (p->io)
        p->io->close(p);
    bd_pipeline_background_close(p);
    bd_pipeline_live_free(p);
    bd_compositor_destroy(p->comp);
    bd_model_bundle_free(p->m);
    free(p->frame_mem);
    free(p->out_mem);
    free(p->lost_scratch);
    free(p->mask);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->stats_lock);
    pthread_cond_destroy(&p->in_cond);
    pthread_cond_destroy(&p->mask_cond);
    free(p);
}
