/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Live settings: bd_pipeline_set / bd_pipeline_get.
 *
 * A setter (any thread; set_lock makes them one at a time) checks the
 * value with the options table, and prepares on its own thread whatever
 * the change needs: a background opened, decoded and fitted to the frame,
 * a refiner made with new mask options, a model read, parsed and given
 * its engines with every buffer sized by it (a struct bd_model_bundle). It
 * then publishes, under live_lock, the whole new setting (live_next) and
 * what it prepared (bg_next, refiner_next, model_next), and bumps
 * live_gen. The frame thread looks at live_gen once per turn (an atomic
 * load); when it moved, it takes the parcel under live_lock (pointer swaps
 * and a struct copy) and applies it before the next frame: nothing
 * allocated, opened or freed there. What it replaced goes back (bg_old,
 * refiner_old, model_old) for the next setter, or destroy, to free. A
 * setter that fails publishes nothing: the old setting stays, the stream
 * never notices.
 *
 * A model is also the inference thread's. The frame thread switches p->m
 * under the hand-over lock and drops a pending input of the old model;
 * from then on the inference thread takes only inputs of the new one. It
 * may still be running the old model on the last input it took: the map
 * it publishes names its bundle and the frame thread drops it, and the
 * setter that takes the old bundle back waits for the inference thread to
 * be off it (infer_m) before freeing it. The new model starts with no
 * temporal state (its own refiner and zoom box); the mask shown stays the
 * old model's until the new one's first map.
 */
#include "pipeline/pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv/planar_functions.h>

#include "common/error.h"
#include "options/options.h"

/* effect choices of the options table (src/options/options.c) */
static const char *const effect_names[] = {"blur", "background", "color", "none"};
static const char *const fit_names[] = {"cover", "contain", "stretch", "tile"};

static int percent(float f)
{
    return (int)(f * 100.f + 0.5f);
}

int bd_pipeline_live_init(struct bd_pipeline *p)
{
    /* recursive: bd_pipeline_reload_background reads the path and sets it
     * under one hold, so no other setter comes between */
    pthread_mutexattr_t ra;
    pthread_mutexattr_init(&ra);
    pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
    int e = pthread_mutex_init(&p->set_lock, &ra);
    pthread_mutexattr_destroy(&ra);
    if (e)
        return bd_fail(BD_ERR_NOMEM, "cannot create the pipeline's locks");
    if (pthread_mutex_init(&p->live_lock, NULL)) {
        pthread_mutex_destroy(&p->set_lock);
        return bd_fail(BD_ERR_NOMEM, "cannot create the pipeline's locks");
    }
    p->live_ready = 1;
    p->model_newest = p->m;
    struct bd_live *l = &p->live;
    memset(l, 0, sizeof *l);
    l->effect = (int)p->cfg.effect;
    l->hologram = p->cfg.hologram != 0;
    l->blur = p->blur;
    l->fit = (int)p->cfg.fit;
    l->mirror = p->cfg.mirror != 0;
    l->enabled = p->effect_on;
    l->light_wrap = p->cfg.light_wrap < 0    ? 0
                    : p->cfg.light_wrap == 0 ? percent(BD_LIGHT_WRAP_DEFAULT)
                                             : p->cfg.light_wrap;
    l->color = p->cfg.color;
    l->has_color = p->cfg.effect == BD_EFFECT_COLOR;
    l->mask_low = percent(p->refine.lo);
    l->mask_high = percent(p->refine.hi);
    l->feather = p->refine.feather;
    l->grow = p->refine.grow;
    l->on_demand = p->cfg.on_demand != 0;
    l->idle_timeout = p->cfg.idle_timeout > 0 ? p->cfg.idle_timeout : 5;
    if (p->cfg.background)
        snprintf(l->background, sizeof l->background, "%s", p->cfg.background);
    snprintf(l->model, sizeof l->model, "%s", p->m->arg);
    snprintf(l->input, sizeof l->input, "%s", p->src.name);
    p->live_next = *l;
    atomic_init(&p->live_gen, 0u);
    p->live_seen = 0;
    return BD_OK;
}

void bd_pipeline_live_free(struct bd_pipeline *p)
{
    if (!p->live_ready)
        return;
    bd_background_free(&p->bg_next);
    bd_background_free(&p->bg_old);
    bd_background_free(&p->spare);
    free(p->given_mem);
    p->given_mem = NULL;
    bd_refiner_destroy(p->refiner_next);
    bd_refiner_destroy(p->refiner_old);
    p->refiner_next = p->refiner_old = NULL;
    /* the inference thread has ended (run joined it) */
    bd_model_bundle_free(p->model_next);
    bd_model_bundle_free(p->model_old);
    p->model_next = p->model_old = p->model_newest = NULL;
    bd_pipeline_input_close(p->input_next);
    bd_pipeline_input_close(p->input_old);
    p->input_next = p->input_old = NULL;
    pthread_mutex_destroy(&p->set_lock);
    pthread_mutex_destroy(&p->live_lock);
    p->live_ready = 0;
}

/* The stats read it from other threads, under stats_lock. */
static void set_effect_on(struct bd_pipeline *p, int on)
{
    if (p->effect_on == on)
        return;
    pthread_mutex_lock(&p->stats_lock);
    p->effect_on = on;
    pthread_mutex_unlock(&p->stats_lock);
}

static int apply_background(struct bd_pipeline *p)
{
    switch (p->cfg.effect) {
    case BD_EFFECT_COLOR: {
        uint32_t c = p->cfg.color;
        return bd_compositor_set_color(p->comp, (c >> 16) & 255, (c >> 8) & 255, c & 255);
    }
    case BD_EFFECT_IMAGE:
        return p->bg.mem ? bd_pipeline_background_apply(p) : BD_OK;
    default:
        return BD_OK; /* the blur is made per frame */
    }
}

int bd_pipeline_live_take(struct bd_pipeline *p)
{
    if (atomic_load_explicit(&p->live_gen, memory_order_acquire) == p->live_seen)
        return BD_OK;
    const struct bd_live old = p->live;
    int new_bg = 0;
    struct bd_model_bundle *new_m = NULL;
    struct bd_v4l2_capture *new_in = NULL;
    pthread_mutex_lock(&p->live_lock);
    /* another camera, streaming already: the next frame is its; the old
     * one goes back to its setter, which waits for it and closes it */
    if (p->input_next && !p->input_old) {
        new_in = p->input_next;
        p->input_next = NULL;
        p->input_old = p->src.cap;
        p->src.cap = new_in;
    }
    p->live = p->live_next;
    p->live_seen = atomic_load_explicit(&p->live_gen, memory_order_relaxed);
    /* bg_old is empty here: each publication emptied it (set below) */
    if (p->bg_next.valid && !p->bg_old.valid) {
        bd_pipeline_background_swap(p, &p->bg_next);
        p->bg_old = p->bg_next;
        memset(&p->bg_next, 0, sizeof p->bg_next);
        new_bg = 1;
    }
    if (p->model_next && !p->model_old) {
        /* the inference thread reads m under lock as it takes an input */
        struct bd_model_bundle *was = p->m;
        pthread_mutex_lock(&p->lock);
        p->m = p->model_next;
        p->in_ready = 0; /* the old model's input: never run */
        p->zbox_pending = (struct bd_rect){0, 0, 0, 0};
        pthread_mutex_unlock(&p->lock);
        p->model_next = NULL;
        p->model_old = was;
        new_m = p->m;
    }
    /* a refiner for other mask options, made for this model's sizes (a
     * model published after it dropped it) */
    if (p->refiner_next && !p->refiner_old && p->refiner_for == p->m) {
        p->refiner_old = p->m->refiner;
        p->m->refiner = p->refiner_next;
        p->refiner_next = NULL;
    }
    pthread_mutex_unlock(&p->live_lock);
    if (new_in)
        bd_pipeline_input_take(p, new_in);
    if (new_m) {
        /* the old mask stays until the new model's first map */
        p->have_mask = 0;
        p->mask_reset = 1;
        pthread_mutex_lock(&p->stats_lock);
        snprintf(p->model_name, sizeof p->model_name, "%s", new_m->name);
        pthread_mutex_unlock(&p->stats_lock);
    }

    const struct bd_live *l = &p->live;
    p->blur = l->blur;
    p->cfg.mirror = l->mirror;
    set_effect_on(p, l->enabled);
    p->cfg.fit = (enum bd_fit_mode)l->fit;
    p->cfg.color = l->color;
    p->cfg.effect = (enum bd_effect)l->effect;
    p->cfg.hologram = l->hologram;
    if (strcmp(old.background, l->background) != 0)
        memcpy(p->bg_path, l->background, sizeof p->bg_path); /* cfg.background */
    if (old.hologram != l->hologram || old.light_wrap != l->light_wrap) {
        struct bd_composite_options co = bd_compositor_options(p->comp);
        co.hologram = l->hologram;
        co.light_wrap = (float)l->light_wrap / 100.f;
        int r = bd_compositor_set_options(p->comp, &co);
        if (r != BD_OK)
            return r;
    }
    if (new_bg || old.effect != l->effect || old.color != l->color || old.fit != l->fit)
        return apply_background(p);
    return BD_OK;
}

void bd_pipeline_live_toggle(struct bd_pipeline *p)
{
    pthread_mutex_lock(&p->live_lock);
    p->live_next.enabled = !p->live_next.enabled;
    p->live.enabled = p->live_next.enabled;
    pthread_mutex_unlock(&p->live_lock);
    set_effect_on(p, p->live.enabled);
}

/* ---- bd_pipeline_set ------------------------------------------------------ */

/* Frees a model bundle the frame thread gave back, once the inference
 * thread is off it: it may still be running the last input it took of it
 * (a frame's inference at most; it signals mask_cond as it ends one). */
static void release_model(struct bd_pipeline *p, struct bd_model_bundle *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&p->lock);
    while (p->infer_m == b)
        pthread_cond_wait(&p->mask_cond, &p->lock);
    pthread_mutex_unlock(&p->lock);
    bd_model_bundle_free(b);
}

struct prepared {
    struct bd_bg_bundle bg;
    struct bd_refiner *refiner;
    struct bd_model_bundle *model;
    struct bd_v4l2_capture *input;  /* another camera, streaming */
    struct bd_bg_bundle *given;     /* the frame thread's last one, to reuse */
    const struct bd_i420 *image;    /* "background" from pixels, not a file */
    int on_demand, idle_timeout;    /* for ondemand.c once published; -1 none */
};

static int prepare_background(struct bd_pipeline *p, const char *path, int fit,
                              struct prepared *out)
{
    int r = bd_background_prepare(path, fit, p->width, p->height, out->given, &out->bg);
    if (r != BD_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", bd_background_reason(bd_last_error(), path));
        return bd_fail(r, "background '%s': %s", path, msg);
    }
    return BD_OK;
}

/* The background of next again (for another fit, or the effect back to
 * it): from its file, or from the image handed in. */
static int prepare_held(struct bd_pipeline *p, const struct bd_live *next, int fit,
                        struct prepared *out)
{
    if (next->background_given)
        return bd_background_from_i420(&p->given, fit, p->width, p->height, out->given,
                                       &out->bg);
    return prepare_background(p, next->background, fit, out);
}

/* The mask options of l, over create's others (nothing changes those). */
static struct bd_refine_options refine_options(const struct bd_pipeline *p,
                                               const struct bd_live *l)
{
    struct bd_refine_options ro = p->refine;
    ro.lo = (float)l->mask_low / 100.f;
    ro.hi = (float)l->mask_high / 100.f;
    ro.feather = l->feather;
    ro.grow = l->grow;
    return ro;
}

/* A model by name or path ("auto": the built-in one for the frame), with
 * its engines and every buffer sized by it, and a refiner with the newest
 * mask options. */
static int prepare_model(struct bd_pipeline *p, const char *v, const struct bd_live *next,
                         struct prepared *out)
{
    if (!*v)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "model '': no model named (give general, landscape or a .tflite file)");
    const char *want = bd_model_resolve(p, v);
    struct bd_model_bundle *b = NULL;
    int r = bd_model_bundle_open(p, want, &b);
    if (r == BD_OK) {
        const struct bd_refine_options ro = refine_options(p, next);
        r = bd_model_bundle_alloc(p, &ro, b);
    }
    if (r != BD_OK) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", bd_last_error());
        bd_model_bundle_free(b);
        /* the reader's messages start "model 'PATH': " (a class's do not) */
        char head[BD_PATH_MAX + 16];
        snprintf(head, sizeof head, "model '%s'", want);
        const int named = !strncmp(msg, head, strlen(head));
        return bd_fail(r, "%s%s%s; the model in use ('%s') stays: give general, landscape or a "
                          "readable .tflite file",
                       named ? "" : head, named ? "" : ": ", msg, next->model);
    }
    out->model = b;
    return BD_OK;
}

/* The change of one option to next (a copy of the newest settings), with
 * whatever it needs prepared into out. */
static int change(struct bd_pipeline *p, const struct bd_option *o, const char *v, long n,
                  struct bd_live *next, struct prepared *out)
{
    const char *name = o->name;
    if (!strcmp(name, "blur")) {
        next->blur = (int)n;
    } else if (!strcmp(name, "mirror")) {
        next->mirror = (int)n;
    } else if (!strcmp(name, "enabled")) {
        next->enabled = n == 0; /* on|off */
    } else if (!strcmp(name, "hologram")) {
        next->hologram = (int)n;
        if (n && next->effect == BD_EFFECT_NONE)
            next->effect = BD_EFFECT_BLUR;
    } else if (!strcmp(name, "light-wrap")) {
        next->light_wrap = (int)n;
    } else if (!strcmp(name, "color")) {
        uint32_t c = 0;
        if (bd_parse_color(v, &c) != 0) /* bd_option_parse checked it */
            return bd_fail(BD_ERR_INVALID_ARG, "color '%s' is not '#RRGGBB'", v);
        next->color = c;
        next->has_color = 1;
        next->effect = BD_EFFECT_COLOR;
    } else if (!strcmp(name, "background") && out->image) {
        int r = bd_background_from_i420(out->image, next->fit, p->width, p->height, out->given,
                                         &out->bg);
        if (r != BD_OK)
            return r;
        next->background[0] = 0;
        next->background_given = 1;
        next->effect = BD_EFFECT_IMAGE;
    } else if (!strcmp(name, "background")) {
        if (!*v)
            return bd_fail(BD_ERR_INVALID_ARG, "background '': no file named");
        int r = prepare_background(p, v, next->fit, out);
        if (r != BD_OK)
            return r;
        snprintf(next->background, sizeof next->background, "%s", v);
        next->background_given = 0;
        next->effect = BD_EFFECT_IMAGE;
    } else if (!strcmp(name, "fit")) {
        /* a still is fitted ahead: again, from its file */
        if (next->effect == BD_EFFECT_IMAGE && next->fit != (int)n &&
            (next->background[0] || next->background_given)) {
            int r = prepare_held(p, next, (int)n, out);
            if (r != BD_OK)
                return r;
        }
        next->fit = (int)n;
    } else if (!strcmp(name, "effect")) {
        if (n == 4) { /* hologram: over the background there is */
            next->hologram = 1;
            if (next->effect == BD_EFFECT_NONE)
                next->effect = BD_EFFECT_BLUR;
            return BD_OK;
        }
        if (n == BD_EFFECT_IMAGE) {
            if (!next->background[0] && !next->background_given)
                return bd_fail(BD_ERR_INVALID_ARG,
                               "effect 'background': no background file is set (set background)");
            int r = prepare_held(p, next, next->fit, out);
            if (r != BD_OK)
                return r;
        }
        if (n == BD_EFFECT_COLOR && !next->has_color)
            return bd_fail(BD_ERR_INVALID_ARG, "effect 'color': no colour is set (set color)");
        next->effect = (int)n;
        next->hologram = 0;
    } else if (!strcmp(name, "mask-low") || !strcmp(name, "mask-high") ||
               !strcmp(name, "feather") || !strcmp(name, "grow")) {
        struct bd_live t = *next;
        if (!strcmp(name, "mask-low"))
            t.mask_low = (int)n;
        else if (!strcmp(name, "mask-high"))
            t.mask_high = (int)n;
        else if (!strcmp(name, "feather"))
            t.feather = (int)n;
        else
            t.grow = (int)n;
        if (t.mask_low >= t.mask_high)
            return bd_fail(BD_ERR_INVALID_ARG, "%s '%s': mask-low (%d) must be below mask-high (%d)",
                           name, v, t.mask_low, t.mask_high);
        /* a refiner is made for its options: a new one, made here for
         * the newest model's sizes */
        const struct bd_model_bundle *nm = p->model_newest;
        if (nm->refine) {
            const struct bd_refine_options ro = refine_options(p, &t);
            int r = bd_refiner_create(nm->crop.w, nm->crop.h, nm->out_w, nm->out_h, &ro,
                                      &out->refiner);
            if (r != BD_OK) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", bd_last_error());
                return bd_fail(r, "%s '%s': %s", name, v, msg);
            }
        }
        *next = t;
    } else if (!strcmp(name, "model")) {
        int r = prepare_model(p, v, next, out);
        if (r != BD_OK)
            return r;
        snprintf(next->model, sizeof next->model, "%s", out->model->arg);
    } else if (!strcmp(name, "input")) {
        if (!strcmp(v, next->input))
            return BD_OK; /* the camera in use */
        int r = bd_pipeline_input_prepare(p, v, next->input, &out->input);
        if (r != BD_OK)
            return r;
        snprintf(next->input, sizeof next->input, "%s", v);
    } else if (!strcmp(name, "on-demand")) {
        next->on_demand = n == 0; /* on|off */
        out->on_demand = next->on_demand;
    } else if (!strcmp(name, "idle-timeout")) {
        next->idle_timeout = (int)n;
        out->idle_timeout = (int)n;
    } else {
        return bd_fail(BD_ERR_UNSUPPORTED, "%s '%s': cannot be changed while running yet", name,
                       v);
    }
    return BD_OK;
}

/* One change, prepared and published. image (with "background"): the
 * background from these pixels, whose buffer (*image_mem) the pipeline
 * keeps on success (*image_mem NULL then). */
static enum bd_status set_one(struct bd_pipeline *p, const struct bd_option *o,
                              const char *value, long n, uint8_t **image_mem,
                              const struct bd_i420 *image)
{
    const char *name = o->name;
    int r;
    pthread_mutex_lock(&p->set_lock);
    /* what the frame thread gave back since the last call */
    struct bd_bg_bundle given_bg;
    struct bd_refiner *given_ref;
    struct bd_model_bundle *given_model;
    struct bd_v4l2_capture *given_input;
    pthread_mutex_lock(&p->live_lock);
    given_input = p->input_old;
    p->input_old = NULL;
    given_bg = p->bg_old;
    given_ref = p->refiner_old;
    given_model = p->model_old;
    memset(&p->bg_old, 0, sizeof p->bg_old);
    p->refiner_old = NULL;
    p->model_old = NULL;
    struct bd_live next = p->live_next;
    pthread_mutex_unlock(&p->live_lock);
    bd_refiner_destroy(given_ref);
    release_model(p, given_model);
    bd_pipeline_input_close(given_input);
    /* its fitted buffer becomes the spare for the next still: the buffers
     * go round instead of being made and dropped with each change */
    if (given_bg.fit_mem && !p->spare.fit_mem) {
        p->spare.fit_mem = given_bg.fit_mem;
        p->spare.fit = given_bg.fit;
        given_bg.fit_mem = NULL;
    }
    bd_background_free(&given_bg);

    struct prepared prep;
    memset(&prep, 0, sizeof prep);
    prep.given = &p->spare;
    prep.on_demand = prep.idle_timeout = -1;
    prep.image = image;
    r = change(p, o, value, n, &next, &prep);
    if (r != BD_OK) {
        bd_background_free(&prep.bg);
        bd_refiner_destroy(prep.refiner);
        bd_model_bundle_free(prep.model);
        bd_pipeline_input_close(prep.input);
        pthread_mutex_unlock(&p->set_lock);
        return (enum bd_status)r;
    }

    /* publish; a parcel not yet taken is replaced (and freed below) */
    struct bd_bg_bundle drop_bg, drop_old;
    struct bd_refiner *drop_ref = NULL, *drop_ref_old;
    struct bd_model_bundle *drop_model = NULL, *drop_model_old;
    struct bd_v4l2_capture *drop_input = NULL, *drop_input_old;
    memset(&drop_bg, 0, sizeof drop_bg);
    pthread_mutex_lock(&p->live_lock);
    drop_old = p->bg_old;
    drop_ref_old = p->refiner_old;
    drop_model_old = p->model_old;
    drop_input_old = p->input_old;
    memset(&p->bg_old, 0, sizeof p->bg_old);
    p->refiner_old = NULL;
    p->model_old = NULL;
    p->input_old = NULL;
    if (prep.input) {
        drop_input = p->input_next; /* never taken */
        p->input_next = prep.input;
    }
    if (prep.bg.valid) {
        drop_bg = p->bg_next;
        p->bg_next = prep.bg;
    }
    if (prep.refiner) {
        drop_ref = p->refiner_next;
        p->refiner_next = prep.refiner;
        p->refiner_for = p->model_newest;
    }
    if (prep.model) {
        /* never taken, so never run: freed at once */
        drop_model = p->model_next;
        p->model_next = prep.model;
        p->model_newest = prep.model;
        /* a refiner not yet taken is for the old model's sizes; the new
         * model has its own, with the same options */
        drop_ref = p->refiner_next;
        p->refiner_next = NULL;
    }
    /* a toggle (frame thread) since this call read live_next stays */
    if (strcmp(name, "enabled") != 0)
        next.enabled = p->live_next.enabled;
    p->live_next = next;
    atomic_fetch_add_explicit(&p->live_gen, 1u, memory_order_release);
    pthread_mutex_unlock(&p->live_lock);
    bd_background_free(&drop_bg);
    bd_background_free(&drop_old);
    bd_refiner_destroy(drop_ref);
    bd_refiner_destroy(drop_ref_old);
    bd_model_bundle_free(drop_model);
    release_model(p, drop_model_old);
    bd_pipeline_input_close(drop_input);
    bd_pipeline_input_close(drop_input_old);
    if (prep.input && p->running)
        bd_pipeline_input_wait_closed(p, prep.input);
    /* on demand keeps its own atomic request (ondemand.c), taken by the
     * frame thread on its next turn */
    if (prep.on_demand >= 0 || prep.idle_timeout >= 0)
        bd_pipeline_ondemand_request(p, prep.on_demand, prep.idle_timeout);
    if (image) { /* kept for a later fit, effect or frame size */
        free(p->given_mem);
        p->given_mem = *image_mem;
        p->given = *image;
        *image_mem = NULL;
    }
    pthread_mutex_unlock(&p->set_lock);
    return BD_OK;
}

enum bd_status bd_pipeline_set(struct bd_pipeline *p, const char *name, const char *value)
{
    if (!p || !name || !value)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_set: NULL argument");
    const struct bd_option *o = bd_option_find(name);
    if (!o || !strcmp(name, "config"))
        return bd_fail(BD_ERR_NOT_FOUND, "unknown setting '%s'", name);
    if (!(o->flags & BD_OPTION_LIVE))
        return bd_fail(BD_ERR_UNSUPPORTED,
                       "%s '%s': cannot be changed while running (restart with --%s)", name,
                       value, name);
    long n;
    int r = bd_option_parse(o, value, &n);
    if (r != BD_OK)
        return (enum bd_status)r;
    return set_one(p, o, value, n, NULL, NULL);
}

/* Takes mem (an I420 image) whatever happens. */
static int set_given(struct bd_pipeline *p, uint8_t *mem, const struct bd_i420 *img)
{
    int r = set_one(p, bd_option_find("background"), "", 0, &mem, img);
    free(mem);
    return r;
}

int bd_pipeline_set_background_image(struct bd_pipeline *p, const struct bd_image *im)
{
    uint8_t *mem;
    struct bd_i420 img;
    int r = bd_background_image_to_i420(im, &mem, &img);
    return r == BD_OK ? set_given(p, mem, &img) : r;
}

enum bd_status bd_pipeline_reload_background(struct bd_pipeline *p)
{
    if (!p)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_reload_background: NULL pipeline");
    pthread_mutex_lock(&p->set_lock);
    pthread_mutex_lock(&p->live_lock);
    const int image = p->live_next.effect == BD_EFFECT_IMAGE && p->live_next.background[0];
    char path[sizeof p->live_next.background];
    memcpy(path, p->live_next.background, sizeof path);
    const int effect = p->live_next.effect;
    pthread_mutex_unlock(&p->live_lock);
    enum bd_status r;
    if (!image)
        r = bd_fail(BD_ERR_INVALID_ARG, "no background file to read again: the effect is %s",
                    effect_names[effect]);
    else
        r = bd_pipeline_set(p, "background", path);
    pthread_mutex_unlock(&p->set_lock);
    return r;
}

/* ---- bd_pipeline_get ------------------------------------------------------ */

static const char *onoff(int on)
{
    return on ? "on" : "off";
}

enum bd_status bd_pipeline_get(struct bd_pipeline *p, const char *name, char *buf, size_t size)
{
    if (!p || !name || !buf || !size)
        return bd_fail(BD_ERR_INVALID_ARG, "bd_pipeline_get: NULL argument");
    buf[0] = '\0';
    const struct bd_option *o = bd_option_find(name);
    if (!o)
        return bd_fail(BD_ERR_NOT_FOUND, "unknown setting '%s'", name);
    pthread_mutex_lock(&p->live_lock);
    const struct bd_live l = p->live_next;
    pthread_mutex_unlock(&p->live_lock);
    const struct bd_pipeline_config *c = &p->cfg; /* fixed fields only below */
#define OUT(...) snprintf(buf, size, __VA_ARGS__)
    if (!strcmp(name, "effect"))
        OUT("%s", l.hologram ? "hologram" : effect_names[l.effect]);
    else if (!strcmp(name, "blur"))
        OUT("%d", l.blur);
    else if (!strcmp(name, "background"))
        OUT("%s", l.background);
    else if (!strcmp(name, "fit"))
        OUT("%s", fit_names[l.fit]);
    else if (!strcmp(name, "color"))
        l.has_color ? OUT("#%06x", (unsigned)l.color) : OUT("%s", "");
    else if (!strcmp(name, "mirror"))
        OUT("%s", onoff(l.mirror));
    else if (!strcmp(name, "enabled"))
        OUT("%s", onoff(l.enabled));
    else if (!strcmp(name, "hologram"))
        OUT("%s", onoff(l.hologram));
    else if (!strcmp(name, "light-wrap"))
        OUT("%d", l.light_wrap);
    else if (!strcmp(name, "mask-low"))
        OUT("%d", l.mask_low);
    else if (!strcmp(name, "mask-high"))
        OUT("%d", l.mask_high);
    else if (!strcmp(name, "feather"))
        OUT("%d", l.feather);
    else if (!strcmp(name, "grow"))
        OUT("%d", l.grow);
    else if (!strcmp(name, "on-demand"))
        OUT("%s", onoff(l.on_demand));
    else if (!strcmp(name, "idle-timeout"))
        OUT("%d", l.idle_timeout);
    else if (!strcmp(name, "input"))
        OUT("%s", l.input);
    else if (!strcmp(name, "output"))
        OUT("%s", p->sink.name);
    else if (!strcmp(name, "size"))
        OUT("%dx%d", p->width, p->height);
    else if (!strcmp(name, "fps"))
        OUT("%d", c->fps > 0 ? c->fps : 30);
    else if (!strcmp(name, "model"))
        OUT("%s", l.model);
    else if (!strcmp(name, "threads"))
        OUT("%d", c->threads > 0 ? c->threads : 1);
    else if (!strcmp(name, "loop"))
        OUT("%s", onoff(c->loop));
    else if (!strcmp(name, "preview"))
        OUT("%s", onoff(c->preview));
    else if (!strcmp(name, "raw-mask"))
        OUT("%s", onoff(c->raw_mask));
    else if (!strcmp(name, "frames"))
        OUT("%lld", (long long)c->max_frames);
    else if (!strcmp(name, "pipewire-name"))
        OUT("%s", p->pw_name);
    else {
        /* a choice fixed at create: its name from the table */
        int i = !strcmp(name, "output-format")    ? (int)c->output_format
                : !strcmp(name, "backend")        ? (int)c->backend
                : !strcmp(name, "pace")           ? (int)p->pace
                : !strcmp(name, "guide")          ? !c->guide_luma
                : !strcmp(name, "temporal")       ? !p->refine.temporal
                : !strcmp(name, "mirror-average") ? c->no_mirror_average != 0
                : !strcmp(name, "zoom")           ? c->no_zoom != 0
                : !strcmp(name, "halo-free")      ? c->no_halo_free != 0
                                                  : -1;
        if (i < 0 || o->type != BD_OPTION_CHOICE)
            return bd_fail(BD_ERR_NOT_FOUND, "'%s' is not a setting of the pipeline", name);
        OUT("%s", o->choices[i]);
    }
#undef OUT
    return BD_OK;
}

/* ---- a new pipeline with the settings of another ------------------------- */

static struct bd_live live_now(struct bd_pipeline *p)
{
    pthread_mutex_lock(&p->live_lock);
    struct bd_live l = p->live_next;
    pthread_mutex_unlock(&p->live_lock);
    return l;
}

static int set_int(struct bd_pipeline *p, const char *name, int want, int have)
{
    if (want == have)
        return BD_OK;
    char v[16];
    snprintf(v, sizeof v, "%d", want);
    return bd_pipeline_set(p, name, v);
}

int bd_pipeline_live_copy(struct bd_pipeline *dst, struct bd_pipeline *src)
{
    const struct bd_live s = live_now(src);
    struct bd_live d = live_now(dst);
    int r = BD_OK;
    /* fit before the background, which is fitted as it is prepared; both
     * before the effect, since each of them makes itself the effect */
    if (s.fit != d.fit)
        r = bd_pipeline_set(dst, "fit", fit_names[s.fit]);
    if (r == BD_OK && s.background[0] && strcmp(s.background, d.background) != 0)
        r = bd_pipeline_set(dst, "background", s.background);
    if (r == BD_OK && s.background_given) { /* a copy of src's image */
        uint8_t *mem = NULL;
        struct bd_i420 img;
        pthread_mutex_lock(&src->set_lock);
        r = bd_i420_alloc(src->given.width, src->given.height, &mem, &img);
        if (r == BD_OK)
            I420Copy(src->given.y, src->given.stride_y, src->given.u, src->given.stride_u,
                     src->given.v, src->given.stride_v, img.y, img.stride_y, img.u,
                     img.stride_u, img.v, img.stride_v, img.width, img.height);
        pthread_mutex_unlock(&src->set_lock);
        if (r == BD_OK)
            r = set_given(dst, mem, &img);
    }
    if (r == BD_OK && s.has_color && (!d.has_color || s.color != d.color)) {
        char v[16];
        snprintf(v, sizeof v, "#%06x", (unsigned)s.color);
        r = bd_pipeline_set(dst, "color", v);
    }
    if (r == BD_OK)
        r = set_int(dst, "blur", s.blur, d.blur);
    if (r == BD_OK)
        r = set_int(dst, "light-wrap", s.light_wrap, d.light_wrap);
    if (r == BD_OK)
        r = set_int(dst, "feather", s.feather, d.feather);
    if (r == BD_OK)
        r = set_int(dst, "grow", s.grow, d.grow);
    /* mask-low stays below mask-high at every step */
    if (r == BD_OK && s.mask_low >= d.mask_high) {
        r = set_int(dst, "mask-high", s.mask_high, d.mask_high);
        if (r == BD_OK)
            r = set_int(dst, "mask-low", s.mask_low, d.mask_low);
    } else if (r == BD_OK) {
        r = set_int(dst, "mask-low", s.mask_low, d.mask_low);
        if (r == BD_OK)
            r = set_int(dst, "mask-high", s.mask_high, d.mask_high);
    }
    if (r == BD_OK && s.mirror != d.mirror)
        r = bd_pipeline_set(dst, "mirror", onoff(s.mirror));
    if (r == BD_OK && s.enabled != d.enabled)
        r = bd_pipeline_set(dst, "enabled", onoff(s.enabled));
    d = live_now(dst);
    if (r == BD_OK && (s.effect != d.effect || s.hologram != d.hologram))
        r = bd_pipeline_set(dst, "effect", effect_names[s.effect]);
    if (r == BD_OK && s.hologram)
        r = bd_pipeline_set(dst, "hologram", "on");
    return r;
}
