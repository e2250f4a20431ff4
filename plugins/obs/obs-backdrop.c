/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The OBS filter "Background (backdrop)": an async video filter (it sees the
 * CPU frames of webcams and media sources, before OBS uploads them), a thin
 * client of include/backdrop.h's struct bd_filter.
 *
 * OBS calls filter_video on its video thread, so the filter runs the library
 * in live mode: the model runs on the library's own inference thread and a
 * frame only takes the newest mask, refinement and compositing, never a
 * model run. Properties are the library's options table (the ones a frame
 * filter takes, BD_OPTION_FILTER), their labels in data/locale. A setting
 * the library refuses (a missing background file) makes the filter pass
 * frames through untouched until the settings are good again, and shows the
 * library's message in the filter's properties. Settings are applied on a
 * thread of the filter's own (see settings_thread).
 */
#include <math.h>
#include <obs/media-io/video-io.h>
#include <obs/obs-module.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "backdrop.h"

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("obs-backdrop", "en-US")

#define FILTER_ID "backdrop_filter"
#define ERROR_KEY "backdrop-error"

struct values;

/* How many options of the table the filter keeps a copy of (checked at load). */
#define MAX_OPTIONS 64

struct filter {
    obs_source_t *self;
    /* The frame lock: the video thread holds it around bd_filter_process;
     * the settings thread takes it only to swap in a remade filter or flip
     * bypass, so a slow set-up (a model, a background video) never holds it. */
    pthread_mutex_t lock;
    struct bd_filter *bd;   /* NULL while the settings cannot make one */
    int bypass;             /* a setting was refused: frames pass through */
    char error[512];        /* what the library said, "" when all is well */
    int warned_format;      /* a frame format the library does not take, logged once */
    /* the frame rate read off the timestamps (video thread): the mean
     * interval over RATE_FRAMES frames, given to bd when it moves by more
     * than a tenth (each change remakes bd's pipeline: jitter must not) */
    uint64_t rate_t0;
    int rate_n;
    double rate;
    struct bd_filter *rate_bd; /* the bd that was given rate */
    /* the settings as last given to bd (text, table order), to send only
     * changes; the settings thread's alone */
    char *applied[MAX_OPTIONS];
    /* the settings thread and the newest values it has yet to apply */
    pthread_t worker;
    pthread_mutex_t wlock;
    pthread_cond_t wake;
    struct values *pending;
    int quit;
};

static const char *filter_name(void *unused)
{
    (void)unused;
    return obs_module_text("BackdropFilter");
}

/* The label of a choice: the locale's "choice.VALUE", else the value. */
static const char *choice_text(const char *value)
{
    char key[96];
    snprintf(key, sizeof key, "choice.%s", value);
    const char *t = NULL;
    return obs_module_get_string(key, &t) ? t : value;
}

/* How OBS shows a text option: the colour as a colour picker, files with a
 * file chooser (the model also takes built-in names, typed or picked). */
static int is_color(const struct bd_option *o)
{
    return strcmp(o->name, "color") == 0;
}

static int is_file(const struct bd_option *o)
{
    return strcmp(o->name, "background") == 0;
}

/* An option's value in OBS's settings as the library's text ("on"/"off",
 * digits, "#RRGGBB"); NULL for an empty string (unset). */
static const char *setting_text(obs_data_t *s, const struct bd_option *o, char *buf, size_t size)
{
    switch (o->type) {
    case BD_OPTION_FLAG:
        return obs_data_get_bool(s, o->name) ? "on" : "off";
    case BD_OPTION_INT:
        snprintf(buf, size, "%lld", obs_data_get_int(s, o->name));
        return buf;
    case BD_OPTION_CHOICE:
    case BD_OPTION_STRING:
        break;
    }
    if (is_color(o)) {
        /* OBS keeps a colour as 0xAABBGGRR */
        long long c = obs_data_get_int(s, o->name);
        snprintf(buf, size, "#%02x%02x%02x", (unsigned)(c & 0xff), (unsigned)((c >> 8) & 0xff),
                 (unsigned)((c >> 16) & 0xff));
        return buf;
    }
    const char *v = obs_data_get_string(s, o->name);
    return v && *v ? v : NULL;
}

static void filter_defaults(obs_data_t *s)
{
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (!(o->flags & BD_OPTION_FILTER))
            continue;
        switch (o->type) {
        case BD_OPTION_FLAG:
            obs_data_set_default_bool(s, o->name, o->def && strcmp(o->def, "on") == 0);
            break;
        case BD_OPTION_INT:
            obs_data_set_default_int(s, o->name, o->def ? atoll(o->def) : o->min);
            break;
        case BD_OPTION_CHOICE:
        case BD_OPTION_STRING:
            if (is_color(o))
                obs_data_set_default_int(s, o->name, 0xff00ff00); /* green, 0xAABBGGRR */
            else
                obs_data_set_default_string(s, o->name, o->def ? o->def : "");
            break;
        }
    }
}

static obs_properties_t *filter_properties(void *data)
{
    struct filter *f = data;
    obs_properties_t *props = obs_properties_create();
    char error[sizeof f->error] = "";
    if (f) {
        pthread_mutex_lock(&f->lock);
        memcpy(error, f->error, sizeof error);
        pthread_mutex_unlock(&f->lock);
    }
    if (*error) {
        obs_property_t *p = obs_properties_add_text(props, ERROR_KEY, error, OBS_TEXT_INFO);
        obs_property_text_set_info_type(p, OBS_TEXT_INFO_ERROR);
    }
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        if (!(o->flags & BD_OPTION_FILTER))
            continue;
        const char *label = obs_module_text(o->name);
        obs_property_t *p = NULL;
        switch (o->type) {
        case BD_OPTION_FLAG:
            p = obs_properties_add_bool(props, o->name, label);
            break;
        case BD_OPTION_INT:
            p = obs_properties_add_int_slider(props, o->name, label, (int)o->min, (int)o->max, 1);
            break;
        case BD_OPTION_CHOICE:
            p = obs_properties_add_list(props, o->name, label, OBS_COMBO_TYPE_LIST,
                                        OBS_COMBO_FORMAT_STRING);
            for (const char *const *c = o->choices; *c; c++)
                obs_property_list_add_string(p, choice_text(*c), *c);
            break;
        case BD_OPTION_STRING:
            if (is_color(o)) {
                p = obs_properties_add_color(props, o->name, label);
            } else if (is_file(o)) {
                char filter[256];
                snprintf(filter, sizeof filter,
                         "%s (*.jpg *.jpeg *.png *.mp4 *.mkv *.webm *.mov);;%s (*.*)",
                         obs_module_text("Files.Media"), obs_module_text("Files.All"));
                p = obs_properties_add_path(props, o->name, label, OBS_PATH_FILE, filter, NULL);
            } else {
                p = obs_properties_add_text(props, o->name, label, OBS_TEXT_DEFAULT);
            }
            break;
        }
        if (p)
            obs_property_set_long_description(p, o->help);
    }
    return props;
}

/* ---- settings ----------------------------------------------------------- */

/* The filter options' values in OBS's settings, as the library's text, in
 * table order with "effect" last: "background" and "color" also pick the
 * effect (bd_settings), so the effect the user chose is the one that stays. */
struct values {
    const struct bd_option *opt[MAX_OPTIONS];
    char text[MAX_OPTIONS][1024];
    int set[MAX_OPTIONS]; /* 0: unset (an empty path) */
    int n;
};

static void read_values(obs_data_t *s, struct values *v)
{
    int effect = -1;
    v->n = 0;
    for (const struct bd_option *o = bd_options(); o->name && v->n < MAX_OPTIONS; o++) {
        if (!(o->flags & BD_OPTION_FILTER))
            continue;
        if (strcmp(o->name, "effect") == 0)
            effect = v->n;
        char num[32];
        const char *t = setting_text(s, o, num, sizeof num);
        v->opt[v->n] = o;
        v->set[v->n] = t != NULL;
        snprintf(v->text[v->n], sizeof v->text[v->n], "%s", t ? t : "");
        v->n++;
    }
    if (effect >= 0 && effect != v->n - 1) {
        /* move the effect to the end */
        const struct bd_option *o = v->opt[effect];
        char t[1024];
        int set = v->set[effect];
        memcpy(t, v->text[effect], sizeof t);
        for (int i = effect; i < v->n - 1; i++) {
            v->opt[i] = v->opt[i + 1];
            v->set[i] = v->set[i + 1];
            memcpy(v->text[i], v->text[i + 1], sizeof t);
        }
        v->opt[v->n - 1] = o;
        v->set[v->n - 1] = set;
        memcpy(v->text[v->n - 1], t, sizeof t);
    }
}

/* A new library filter from all the values: the user's settings through
 * bd_settings (the one place that turns options into a config). NULL and
 * the library's message in err on a refusal. */
static struct bd_filter *make_filter(const struct values *v, obs_source_t *self, char *err,
                                     size_t errsize)
{
    struct bd_settings *st = NULL;
    struct bd_filter *bd = NULL;
    if (bd_settings_create(&st) != BD_OK) {
        snprintf(err, errsize, "%s", bd_last_error());
        return NULL;
    }
    for (int i = 0; i < v->n; i++)
        if (v->set[i] && bd_settings_set(st, v->opt[i]->name, v->text[i]) != BD_OK) {
            snprintf(err, errsize, "%s", bd_last_error());
            goto out;
        }
    struct bd_pipeline_config config;
    if (bd_settings_to_config(st, &config) != BD_OK) {
        snprintf(err, errsize, "%s", bd_last_error());
        goto out;
    }
    /* prepare for the source's size when it is known (a new size later
     * remakes the buffers on the first frame of it) */
    obs_source_t *parent = self ? obs_filter_get_parent(self) : NULL;
    if (parent && obs_source_get_width(parent) && obs_source_get_height(parent)) {
        config.width = (int)obs_source_get_width(parent);
        config.height = (int)obs_source_get_height(parent);
    }
    if (bd_filter_create(&config, BD_FILTER_LIVE, &bd) != BD_OK) {
        snprintf(err, errsize, "%s", bd_last_error());
        bd = NULL;
    }
out:
    bd_settings_destroy(st);
    return bd;
}

static void remember(struct filter *f, const struct values *v)
{
    for (int i = 0; i < v->n; i++) {
        bfree(f->applied[i]);
        f->applied[i] = v->set[i] ? bstrdup(v->text[i]) : NULL;
    }
}

static int changed(const struct filter *f, const struct values *v, int i)
{
    const char *old = f->applied[i];
    return v->set[i] ? !old || strcmp(old, v->text[i]) != 0 : old != NULL;
}

/* Applies one set of values (the settings thread): live options go to the
 * running filter with bd_filter_set, which reads a file or a model on this
 * thread; any other change, or a filter that could not be made before,
 * makes a new one here and swaps it in between two frames. */
static void apply(struct filter *f, const struct values *v)
{
    char err[sizeof f->error] = "";
    int remake = f->bd == NULL;
    for (int i = 0; i < v->n && !remake; i++)
        if (changed(f, v, i) && (!(v->opt[i]->flags & BD_OPTION_LIVE) || !v->set[i]))
            remake = 1;

    if (remake) {
        struct bd_filter *bd = make_filter(v, f->self, err, sizeof err);
        struct bd_filter *old = NULL;
        pthread_mutex_lock(&f->lock);
        if (bd) {
            old = f->bd;
            f->bd = bd;
        }
        f->bypass = bd == NULL;
        snprintf(f->error, sizeof f->error, "%s", err);
        pthread_mutex_unlock(&f->lock);
        bd_filter_destroy(old);
        if (bd)
            remember(f, v);
    } else {
        int sent = 0;
        for (int i = 0; i < v->n && !*err; i++) {
            /* the effect (last) goes again after any change: a new
             * background or colour also switches the library's effect */
            int effect = i == v->n - 1 && strcmp(v->opt[i]->name, "effect") == 0;
            if (!changed(f, v, i) && !(effect && sent))
                continue;
            sent = 1;
            if (bd_filter_set(f->bd, v->opt[i]->name, v->text[i]) == BD_OK) {
                bfree(f->applied[i]);
                f->applied[i] = bstrdup(v->text[i]);
            } else {
                snprintf(err, sizeof err, "%s", bd_last_error());
            }
        }
        pthread_mutex_lock(&f->lock);
        f->bypass = *err != '\0';
        snprintf(f->error, sizeof f->error, "%s", err);
        pthread_mutex_unlock(&f->lock);
    }
    if (*err)
        blog(LOG_WARNING, "[backdrop] '%s': %s", obs_source_get_name(f->self), err);
    /* the properties window shows the error (or stops showing it) */
    obs_source_update_properties(f->self);
}

/* The filter's settings thread: OBS defers a video filter's update to its
 * video tick, on the graphics thread, so update only hands the values over
 * and this thread does the slow part (a model, a background video opened
 * and decoded). Only the newest values wait; older ones are dropped. */
static void *settings_thread(void *data)
{
    struct filter *f = data;
    pthread_mutex_lock(&f->wlock);
    for (;;) {
        while (!f->pending && !f->quit)
            pthread_cond_wait(&f->wake, &f->wlock);
        if (f->quit)
            break;
        struct values *v = f->pending;
        f->pending = NULL;
        pthread_mutex_unlock(&f->wlock);
        apply(f, v);
        bfree(v);
        pthread_mutex_lock(&f->wlock);
    }
    pthread_mutex_unlock(&f->wlock);
    return NULL;
}

/* OBS's settings changed (the properties window, a scene load): on OBS's
 * graphics thread (a deferred update) or the UI thread (create). */
static void filter_update(void *data, obs_data_t *s)
{
    struct filter *f = data;
    struct values *v = bzalloc(sizeof *v);
    read_values(s, v);
    pthread_mutex_lock(&f->wlock);
    bfree(f->pending);
    f->pending = v;
    pthread_cond_signal(&f->wake);
    pthread_mutex_unlock(&f->wlock);
}

/* ---- life ---------------------------------------------------------------- */

static void *filter_create(obs_data_t *settings, obs_source_t *self)
{
    struct filter *f = bzalloc(sizeof *f);
    f->self = self;
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_init(&f->wlock, NULL);
    pthread_cond_init(&f->wake, NULL);
    if (pthread_create(&f->worker, NULL, settings_thread, f) != 0) {
        blog(LOG_ERROR, "[backdrop] '%s': no thread for its settings",
             obs_source_get_name(self));
        pthread_cond_destroy(&f->wake);
        pthread_mutex_destroy(&f->wlock);
        pthread_mutex_destroy(&f->lock);
        bfree(f);
        return NULL;
    }
    filter_update(f, settings);
    return f;
}

static void filter_destroy(void *data)
{
    struct filter *f = data;
    pthread_mutex_lock(&f->wlock);
    f->quit = 1;
    pthread_cond_signal(&f->wake);
    pthread_mutex_unlock(&f->wlock);
    pthread_join(f->worker, NULL);
    bfree(f->pending);
    bd_filter_destroy(f->bd);
    for (int i = 0; i < MAX_OPTIONS; i++)
        bfree(f->applied[i]);
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->wlock);
    pthread_mutex_destroy(&f->lock);
    bfree(f);
}

/* ---- frames -------------------------------------------------------------- */

static int frame_format(enum video_format from, enum bd_pixel_format *to)
{
    switch (from) {
    case VIDEO_FORMAT_I420: *to = BD_PIX_I420; return 1;
    case VIDEO_FORMAT_NV12: *to = BD_PIX_NV12; return 1;
    case VIDEO_FORMAT_YUY2: *to = BD_PIX_YUY2; return 1;
    case VIDEO_FORMAT_UYVY: *to = BD_PIX_UYVY; return 1;
    case VIDEO_FORMAT_RGBA: *to = BD_PIX_RGBA; return 1;
    /* the alpha of a camera's BGRA is opaque: written 255 as X */
    case VIDEO_FORMAT_BGRX:
    case VIDEO_FORMAT_BGRA: *to = BD_PIX_BGRX; return 1;
    default: return 0;
    }
}

/* The frame's colour space: OBS gives its YUV→RGB matrix, so compare it with
 * BT.709's for the frame's range (sRGB's is BT.709's too); any other (601,
 * or 2100's) is taken as BT.601. */
static enum bd_color_matrix frame_matrix(const struct obs_source_frame *frame)
{
    float m709[16], lo[3], hi[3];
    if (!video_format_get_parameters(VIDEO_CS_709,
                                     frame->full_range ? VIDEO_RANGE_FULL : VIDEO_RANGE_PARTIAL,
                                     m709, lo, hi))
        return BD_MATRIX_BT601;
    for (int i = 0; i < 12; i++)
        if (fabsf(m709[i] - frame->color_matrix[i]) > 1e-3f)
            return BD_MATRIX_BT601;
    return BD_MATRIX_BT709;
}

#define RATE_FRAMES 30

/* The rate of the source's frames from their timestamps (ns), given to
 * the library's inference policy, whose hold counts time. */
static void follow_rate(struct filter *f, uint64_t ts)
{
    if (!f->rate_n || ts <= f->rate_t0) {
        f->rate_t0 = ts;
        f->rate_n = 1;
        return;
    }
    if (f->rate_n++ < RATE_FRAMES)
        return;
    const double fps = (f->rate_n - 1) * 1e9 / (double)(ts - f->rate_t0);
    f->rate_t0 = ts;
    f->rate_n = 1;
    if (fps < 1 || fps > 240)
        return;
    if (f->rate_bd == f->bd && fabs(fps - f->rate) <= f->rate / 10)
        return;
    if (bd_filter_set_rate(f->bd, fps) == BD_OK) {
        f->rate = fps;
        f->rate_bd = f->bd;
    }
}

/* OBS's video thread, for each frame of the source: the frame is replaced
 * in place. No allocation, file or model here (bd_filter_process in live
 * mode takes the newest mask); on any trouble the frame goes on as it was. */
static struct obs_source_frame *filter_video(void *data, struct obs_source_frame *frame)
{
    struct filter *f = data;
    struct bd_video_frame v = {.width = (int)frame->width, .height = (int)frame->height,
                               .pts_ns = (int64_t)frame->timestamp,
                               .range = frame->full_range ? BD_RANGE_FULL : BD_RANGE_LIMITED,
                               .matrix = frame_matrix(frame),
                               .flip = frame->flip};
    if (!frame_format(frame->format, &v.format)) {
        if (!f->warned_format) {
            f->warned_format = 1;
            blog(LOG_WARNING, "[backdrop] '%s': frames in %s pass through untouched (backdrop "
                 "takes I420, NV12, YUY2, UYVY, RGBA, BGRX and BGRA)", obs_source_get_name(f->self),
                 get_video_format_name(frame->format));
        }
        return frame;
    }
    for (int i = 0; i < 3; i++) {
        v.data[i] = frame->data[i];
        v.stride[i] = (int)frame->linesize[i];
    }
    pthread_mutex_lock(&f->lock);
    if (f->bd && !f->bypass)
        follow_rate(f, frame->timestamp);
    if (f->bd && !f->bypass && bd_filter_process(f->bd, &v, &v) != BD_OK) {
        snprintf(f->error, sizeof f->error, "%s", bd_last_error());
        f->bypass = 1;
        blog(LOG_WARNING, "[backdrop] '%s': %s", obs_source_get_name(f->self), f->error);
    }
    pthread_mutex_unlock(&f->lock);
    return frame;
}

static struct obs_source_info backdrop_filter = {
    .id = FILTER_ID,
    .type = OBS_SOURCE_TYPE_FILTER,
    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_ASYNC,
    .get_name = filter_name,
    .create = filter_create,
    .destroy = filter_destroy,
    .update = filter_update,
    .get_defaults = filter_defaults,
    .get_properties = filter_properties,
    .filter_video = filter_video,
};

bool obs_module_load(void)
{
    int n = 0;
    for (const struct bd_option *o = bd_options(); o->name; o++)
        n += (o->flags & BD_OPTION_FILTER) != 0;
    if (n > MAX_OPTIONS) {
        blog(LOG_ERROR, "[backdrop] the options table has %d filter options, more than %d", n,
             MAX_OPTIONS);
        return false;
    }
    obs_register_source(&backdrop_filter);
    blog(LOG_INFO, "[backdrop] filter '%s' registered (backdrop %s)", FILTER_ID, bd_version());
    return true;
}
