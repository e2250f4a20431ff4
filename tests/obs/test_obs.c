/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The OBS filter in a real libobs (OBS 29, headless under Xvfb: see
 * tests/obs/run.sh): a media source (obs-ffmpeg's ffmpeg_source) plays the
 * doctor clip (960x540) as output channel 0, and every check reads the
 * frames OBS outputs, through a raw video callback.
 *
 *  - the harness itself, with a filter of this file's own that paints the
 *    top half black: the painted corners and the untouched coat come back;
 *  - the module loads from its file with its locale; its properties are the
 *    options table's filter options, each with a label and the table's help;
 *  - effect color #00ff00: the wall corners come back green and the
 *    doctor's coat does not;
 *  - a background file that does not exist: frames pass through as the clip
 *    is, and the filter's properties show the library's message naming the
 *    file; a good setting then clears it and the effect is back;
 *  - a webcam of the test's own (an async source fed the clip with
 *    obs_source_output_video2) in NV12, YUY2 and UYVY, full range and
 *    BT.709, and bottom-up with OBS's flip: the wall comes back as pure
 *    #00ff00 through OBS's own conversion, the coat stays;
 *  - the filter removed and added again 50 times: libobs's own allocation
 *    count comes back to where it was, and the heap does not grow.
 *
 * usage: test_obs PLUGIN.so PLUGIN-DATA-DIR CLIP
 */
#include <malloc.h>
#include <math.h>

#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from.h>
#include <libyuv/convert_from_argb.h>

#include "../check.h"
#include "backdrop.h"
#include "capture/file_source.h"
#include "common/frame.h"
#include "obs_headless.h"

/* The clip's wall (never the doctor) and her white coat, in 960x540
 * (the boxes tests/test_live.c and tests/test_pipeline.c use). */
#define CORNER 32
#define COAT_X 520
#define COAT_Y 300
#define COAT_W 80
#define COAT_H 60
#define FILTER_ID "backdrop_filter"

struct look {
    double tl[3], tr[3], coat[3]; /* B, G, R */
};

/* The regions of one output frame (all from the same frame). */
static void look(struct look *l)
{
    static uint8_t *copy;
    static size_t size;
    pthread_mutex_lock(&grab.lock);
    size_t n = (size_t)grab.width * grab.height * 4;
    if (size != n) {
        free(copy);
        copy = malloc(n);
        size = n;
    }
    memcpy(copy, grab.bgra, n);
    pthread_mutex_unlock(&grab.lock);
    struct {
        int x, y, w, h;
        double *out;
    } box[] = {{0, 0, CORNER, CORNER, l->tl},
               {(int)grab.width - CORNER, 0, CORNER, CORNER, l->tr},
               {COAT_X, COAT_Y, COAT_W, COAT_H, l->coat}};
    for (size_t b = 0; b < sizeof box / sizeof box[0]; b++) {
        double s[3] = {0, 0, 0};
        for (int y = box[b].y; y < box[b].y + box[b].h; y++)
            for (int x = box[b].x; x < box[b].x + box[b].w; x++)
                for (int c = 0; c < 3; c++)
                    s[c] += copy[((size_t)y * grab.width + x) * 4 + c];
        for (int c = 0; c < 3; c++)
            box[b].out[c] = s[c] / (box[b].w * box[b].h);
    }
}

static int is_green(const double bgr[3])
{
    return bgr[1] > 180 && bgr[0] < 90 && bgr[2] < 90;
}

static int is_black(const double bgr[3])
{
    return bgr[0] < 24 && bgr[1] < 24 && bgr[2] < 24;
}

/* the coat: bright and grey, not the green */
static int is_coat(const double bgr[3])
{
    return bgr[0] > 140 && bgr[1] > 140 && bgr[2] > 140 &&
           bgr[1] - (bgr[0] + bgr[2]) / 2 < 40;
}

static void show(const char *what, const struct look *l)
{
    printf("%s: top-left BGR %.0f %.0f %.0f, top-right %.0f %.0f %.0f, coat %.0f %.0f %.0f\n",
           what, l->tl[0], l->tl[1], l->tl[2], l->tr[0], l->tr[1], l->tr[2], l->coat[0],
           l->coat[1], l->coat[2]);
}

/* What malloc holds, all arenas, with the big blocks it maps on their own
 * (frame and model buffers). */
static size_t heap_in_use(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* ---- the harness's own filter ------------------------------------------- */

static struct obs_source_frame *paint_video(void *data, struct obs_source_frame *f)
{
    (void)data;
    if (f->format == VIDEO_FORMAT_I420) {
        for (uint32_t y = 0; y < f->height / 2; y++)
            memset(f->data[0] + (size_t)y * f->linesize[0], 16, f->width);
        for (uint32_t y = 0; y < f->height / 4; y++) {
            memset(f->data[1] + (size_t)y * f->linesize[1], 128, f->width / 2);
            memset(f->data[2] + (size_t)y * f->linesize[2], 128, f->width / 2);
        }
    }
    return f;
}
static const char *paint_name(void *u)
{
    (void)u;
    return "paint";
}
static void *paint_create(obs_data_t *s, obs_source_t *src)
{
    (void)s;
    return src;
}
static void paint_destroy(void *d)
{
    (void)d;
}

/* ---- a webcam of the test's own ------------------------------------------
 * An async source that outputs the clip's first CAM_N frames, looping at
 * 30 fps, in a format, range and matrix a webcam gives OBS (NV12, YUY2,
 * UYVY; full range, BT.709; rows bottom-up with OBS's flip), through
 * obs_source_output_video2 as a camera plugin does. */
#define CAM_N 24
struct cam {
    enum video_format format;
    enum video_range_type range;
    enum video_colorspace cs;
    int flip;
    const char *name;
    uint8_t *mem[CAM_N];
    struct obs_source_frame2 f[CAM_N];
    pthread_t thread;
    volatile int quit;
    obs_source_t *src;
};

static struct bd_i420 clip_frames[CAM_N];
static uint8_t *clip_mem[CAM_N];

static int load_clip(const char *path)
{
    struct bd_file_source *fs = NULL;
    struct bd_file_source_options o = {.loop = false, .threads = 1};
    if (bd_file_source_open(path, &o, &fs) != BD_OK)
        return 0;
    const struct bd_file_source_info *fi = bd_file_source_info(fs);
    int ok = fi->width == 960 && fi->height == 540;
    for (int i = 0; ok && i < CAM_N; i++)
        ok = bd_i420_alloc(960, 540, &clip_mem[i], &clip_frames[i]) == BD_OK &&
             bd_file_source_read(fs, &clip_frames[i], NULL) == BD_OK;
    bd_file_source_close(fs);
    return ok;
}

/* The clip's frame i in the cam's format and range (BT.709 frames: the
 * clip's bytes as they are, a slightly other tint), bottom-up if flip. */
static void cam_frame(struct cam *c, int i)
{
    const int w = 960, h = 540, hh = c->flip ? -h : h;
    const struct bd_i420 *s = &clip_frames[i];
    static uint8_t *argb, *jm;
    static struct bd_i420 j;
    if (!argb) {
        argb = malloc((size_t)w * 4 * h);
        bd_i420_alloc(w, h, &jm, &j);
    }
    if (c->range == VIDEO_RANGE_FULL && c->cs == VIDEO_CS_601) {
        I420ToARGB(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, argb, w * 4, w, h);
        ARGBToJ420(argb, w * 4, j.y, j.stride_y, j.u, j.stride_u, j.v, j.stride_v, w, h);
        s = &j;
    }
    struct obs_source_frame2 *f = &c->f[i];
    memset(f, 0, sizeof *f);
    f->width = w;
    f->height = h;
    f->format = c->format;
    f->range = c->range;
    f->flip = c->flip;
    const size_t n = c->format == VIDEO_FORMAT_NV12 ? (size_t)w * h * 3 / 2 : (size_t)w * 2 * h;
    c->mem[i] = malloc(n);
    f->data[0] = c->mem[i];
    switch (c->format) {
    case VIDEO_FORMAT_NV12:
        f->data[1] = c->mem[i] + (size_t)w * h;
        f->linesize[0] = f->linesize[1] = w;
        I420ToNV12(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, f->data[0], w,
                   f->data[1], w, w, hh);
        break;
    case VIDEO_FORMAT_YUY2:
        f->linesize[0] = w * 2;
        I420ToYUY2(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, f->data[0], w * 2,
                   w, hh);
        break;
    default: /* UYVY */
        f->linesize[0] = w * 2;
        I420ToUYVY(s->y, s->stride_y, s->u, s->stride_u, s->v, s->stride_v, f->data[0], w * 2,
                   w, hh);
        break;
    }
    float lo[3], hi[3];
    video_format_get_parameters_for_format(c->cs, c->range, c->format, f->color_matrix, lo, hi);
    memcpy(f->color_range_min, lo, sizeof lo);
    memcpy(f->color_range_max, hi, sizeof hi);
}

static void *cam_run(void *data)
{
    struct cam *c = data;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t k = 0; !c->quit; k++) {
        struct obs_source_frame2 *f = &c->f[k % CAM_N];
        f->timestamp = k * 33333333ull + (uint64_t)t0.tv_sec * 1000000000ull + t0.tv_nsec;
        obs_source_output_video2(c->src, f);
        sleep_ms(33);
    }
    return NULL;
}

static const char *cam_name(void *u)
{
    (void)u;
    return "cam";
}
static void *cam_create(obs_data_t *s, obs_source_t *src)
{
    (void)s;
    return src;
}

/* The wall pure green: the effect's #00ff00 as OBS shows it, read back
 * through its own conversion of the frame's range and matrix (a frame
 * taken as BT.601 limited reads 10 or more off). */
static int pure_green(const double bgr[3])
{
    return bgr[1] >= 247 && bgr[0] <= 8 && bgr[2] <= 8;
}
static int unfiltered(const struct look *l)
{
    return !is_green(l->tl) && !is_green(l->tr) && is_coat(l->coat);
}
static int greened_pure(const struct look *l)
{
    return pure_green(l->tl) && pure_green(l->tr) && is_coat(l->coat);
}

/* The named property of a source's properties, its description (or NULL). */
static char *prop_text(obs_source_t *s, const char *name)
{
    obs_properties_t *props = obs_source_properties(s);
    obs_property_t *p = props ? obs_properties_get(props, name) : NULL;
    char *t = p ? bstrdup(obs_property_description(p)) : NULL;
    obs_properties_destroy(props);
    return t;
}

/* Two probes of the test's own around the backdrop filter in the chain
 * (OBS runs a source's async filters in the order they were added, on one
 * thread): the first takes a checksum of the frame, the second counts the
 * frames backdrop left byte for byte as they were and those it changed. */
static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t probe_sum;
static int probe_same, probe_changed;

static uint64_t frame_sum_packed(const struct obs_source_frame *f)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t y = 0; y < f->height; y++) {
        const uint8_t *r = f->data[0] + (size_t)y * f->linesize[0];
        for (uint32_t x = 0; x < f->linesize[0]; x++)
            h = (h ^ r[x]) * 1099511628211ull;
    }
    return h;
}

static uint64_t frame_sum(const struct obs_source_frame *f)
{
    uint64_t h = 1469598103934665603ull;
    int planes = f->format == VIDEO_FORMAT_I420 ? 3 : f->format == VIDEO_FORMAT_NV12 ? 2 : 1;
    if (f->format != VIDEO_FORMAT_I420 && f->format != VIDEO_FORMAT_NV12) /* packed: rows */
        return frame_sum_packed(f);
    for (int p = 0; p < planes; p++) {
        uint32_t rows = p ? f->height / 2 : f->height;
        for (uint32_t y = 0; y < rows; y++) {
            const uint8_t *r = f->data[p] + (size_t)y * f->linesize[p];
            for (uint32_t x = 0; x < f->linesize[p]; x++)
                h = (h ^ r[x]) * 1099511628211ull;
        }
    }
    return h;
}

static struct obs_source_frame *probe_in(void *data, struct obs_source_frame *f)
{
    (void)data;
    uint64_t h = frame_sum(f);
    pthread_mutex_lock(&probe_lock);
    probe_sum = h;
    pthread_mutex_unlock(&probe_lock);
    return f;
}

static struct obs_source_frame *probe_out(void *data, struct obs_source_frame *f)
{
    (void)data;
    uint64_t h = frame_sum(f);
    pthread_mutex_lock(&probe_lock);
    if (h == probe_sum)
        probe_same++;
    else
        probe_changed++;
    pthread_mutex_unlock(&probe_lock);
    return f;
}

static void probe_reset(void)
{
    pthread_mutex_lock(&probe_lock);
    probe_same = probe_changed = 0;
    pthread_mutex_unlock(&probe_lock);
}

/* Waits up to ms for n frames through the probes since probe_reset. */
static void wait_probe(int n, int ms)
{
    for (int t = 0; t < ms; t += 20) {
        pthread_mutex_lock(&probe_lock);
        int seen = probe_same + probe_changed;
        pthread_mutex_unlock(&probe_lock);
        if (seen >= n)
            return;
        sleep_ms(20);
    }
}

/* The source's chain: probe, backdrop, probe. */
static obs_source_t *probe_a, *probe_b;
static void chain_add(obs_source_t *src, obs_source_t *bf)
{
    obs_source_filter_add(src, probe_a);
    obs_source_filter_add(src, bf);
    obs_source_filter_add(src, probe_b);
}
static void chain_remove(obs_source_t *src, obs_source_t *bf)
{
    obs_source_filter_remove(src, probe_b);
    obs_source_filter_remove(src, bf);
    obs_source_filter_remove(src, probe_a);
}

/* Waits up to ms for the filter's error property to be there (or gone);
 * its text, or NULL. */
static char *wait_error(obs_source_t *bf, int present, int ms)
{
    char *t = NULL;
    for (int i = 0; i < ms; i += 50) {
        t = prop_text(bf, "backdrop-error");
        if ((t != NULL) == present)
            return t;
        bfree(t);
        t = NULL;
        sleep_ms(50);
    }
    return prop_text(bf, "backdrop-error");
}

/* Waits up to ms for output frames that satisfy ok(); the last look in *l. */
static int wait_look(struct look *l, int (*ok)(const struct look *), int ms)
{
    for (int t = 0; t < ms; t += 100) {
        grab_wait(1, 1000);
        look(l);
        if (ok(l))
            return 1;
        sleep_ms(100);
    }
    return 0;
}

static int painted(const struct look *l)
{
    return is_black(l->tl) && is_black(l->tr);
}
static int greened(const struct look *l)
{
    return is_green(l->tl) && is_green(l->tr);
}
/* the first frames come before the first mask (all background): the
 * frames after it have the person */
static int greened_person(const struct look *l)
{
    return greened(l) && is_coat(l->coat);
}

static obs_source_t *make_filter(const char *effect, const char *color_bgr_hex,
                                 const char *background)
{
    obs_data_t *s = obs_data_create();
    obs_data_set_string(s, "effect", effect);
    if (color_bgr_hex)
        obs_data_set_int(s, "color", strtoll(color_bgr_hex, NULL, 16));
    if (background)
        obs_data_set_string(s, "background", background);
    obs_source_t *f = obs_source_create_private(FILTER_ID, "backdrop", s);
    obs_data_release(s);
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_obs PLUGIN.so PLUGIN-DATA-DIR CLIP\n");
        return 2;
    }
    const char *plugin = argv[1], *data = argv[2], *clip = argv[3];
    if (!headless_start(960, 540, 30)) {
        CHECK(0, "libobs headless did not start (see above)");
        return check_report();
    }
    printf("libobs %s\n", obs_get_version_string());

    /* --- the harness, with its own filter */
    struct obs_source_info paint = {.id = "bdtest_paint", .type = OBS_SOURCE_TYPE_FILTER,
                                    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_ASYNC,
                                    .get_name = paint_name, .create = paint_create,
                                    .destroy = paint_destroy, .filter_video = paint_video};
    obs_register_source(&paint);
    struct obs_source_info pin = paint, pout = paint;
    pin.id = "bdtest_probe_in";
    pin.filter_video = probe_in;
    pout.id = "bdtest_probe_out";
    pout.filter_video = probe_out;
    obs_register_source(&pin);
    obs_register_source(&pout);
    probe_a = obs_source_create_private("bdtest_probe_in", "probe in", NULL);
    probe_b = obs_source_create_private("bdtest_probe_out", "probe out", NULL);
    obs_source_t *src = headless_media(clip);
    CHECK(src != NULL, "ffmpeg_source not created: is obs-ffmpeg loaded?");
    if (!src)
        return check_report();
    obs_set_output_source(0, src);
    CHECK(grab_wait(30, 20000), "no output frames from the media source in 20 s");
    struct look plain, l;
    look(&plain);
    show("the clip, no filter", &plain);
    CHECK(!is_black(plain.tl) && !is_green(plain.tl) && is_coat(plain.coat),
          "the clip's corner and coat as expected without a filter");

    obs_source_t *pf = obs_source_create_private("bdtest_paint", "paint", NULL);
    obs_source_filter_add(src, pf);
    CHECK(wait_look(&l, painted, 5000), "the harness's filter painted the top black");
    show("the harness's paint filter", &l);
    CHECK(is_coat(l.coat), "the paint filter left the coat alone");
    obs_source_filter_remove(src, pf);
    obs_source_release(pf);

    /* --- the module */
    int loaded = headless_load(plugin, data);
    CHECK(loaded, "%s loads", plugin);
    if (!loaded) {
        obs_set_output_source(0, NULL);
        obs_source_release(src);
        headless_stop();
        return check_report();
    }
    const char *name = obs_source_get_display_name(FILTER_ID);
    CHECK(name && strcmp(name, "Background (backdrop)") == 0, "display name '%s'",
          name ? name : "(none)");
    obs_log_loaded_modules();

    obs_properties_t *props = obs_get_source_properties(FILTER_ID);
    int shown = 0, want = 0;
    for (const struct bd_option *o = bd_options(); o->name; o++) {
        obs_property_t *p = obs_properties_get(props, o->name);
        if (!(o->flags & BD_OPTION_FILTER)) {
            CHECK(p == NULL, "'%s' is not a filter option, yet a property", o->name);
            continue;
        }
        want++;
        CHECK(p != NULL, "no property for the filter option '%s'", o->name);
        if (!p)
            continue;
        shown++;
        const char *label = obs_property_description(p);
        CHECK(label && strcmp(label, o->name) != 0, "'%s' has no label in the locale file",
              o->name);
        const char *help = obs_property_long_description(p);
        CHECK(help && strcmp(help, o->help) == 0, "'%s''s tooltip is the table's help",
              o->name);
        if (o->type == BD_OPTION_CHOICE)
            for (size_t i = 0; o->choices[i]; i++)
                CHECK(i < obs_property_list_item_count(p) &&
                          strcmp(obs_property_list_item_string(p, i), o->choices[i]) == 0,
                      "'%s' choice %zu is '%s'", o->name, i, o->choices[i]);
        if (o->type == BD_OPTION_INT)
            CHECK(obs_property_int_min(p) == o->min && obs_property_int_max(p) == o->max,
                  "'%s' range", o->name);
    }
    printf("properties: %d of the table's %d filter options\n", shown, want);
    obs_properties_destroy(props);
    obs_data_t *defs = obs_get_source_defaults(FILTER_ID);
    CHECK(strcmp(obs_data_get_string(defs, "effect"), "blur") == 0 &&
              obs_data_get_int(defs, "blur") == 12,
          "defaults from the table (effect blur, blur 12)");
    obs_data_release(defs);
    /* the list, and none of the camera's own */
    props = obs_get_source_properties(FILTER_ID);
    const char *named[] = {"effect", "blur", "background", "color", "model", "mirror",
                           "light-wrap", "feather"};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        CHECK(obs_properties_get(props, named[i]) != NULL, "a property '%s'", named[i]);
    const char *camera[] = {"input", "output", "fps", "size", "on-demand", "pace", "dbus"};
    for (size_t i = 0; i < sizeof camera / sizeof camera[0]; i++)
        CHECK(obs_properties_get(props, camera[i]) == NULL, "no property '%s'", camera[i]);
    obs_properties_destroy(props);

    /* --- the defaults (blur 12): every frame changed, the wall not green
     * (the colour OBS's picker always holds must not pick the effect) */
    obs_source_t *bf = obs_source_create_private(FILTER_ID, "backdrop", NULL);
    chain_add(src, bf);
    grab_wait(30, 10000);
    probe_reset();
    wait_probe(12, 10000);
    look(&l);
    show("defaults (blur 12)", &l);
    pthread_mutex_lock(&probe_lock);
    CHECK(probe_changed >= 5 && probe_same == 0, "the defaults filter every frame (%d changed, "
          "%d not)", probe_changed, probe_same);
    pthread_mutex_unlock(&probe_lock);
    CHECK(!is_green(l.tl) && !is_green(l.tr), "the default effect is the blur, not the colour");
    chain_remove(src, bf);
    obs_source_release(bf);

    /* --- effect color: the wall green, the doctor not */
    bf = make_filter("color", "ff00ff00", NULL);
    CHECK(bf != NULL, "the filter is created");
    chain_add(src, bf);
    int green = wait_look(&l, greened_person, 20000);
    show("effect color #00ff00", &l);
    CHECK(green, "the wall corners turn green");
    CHECK(is_coat(l.coat), "the doctor's coat stays (BGR %.0f %.0f %.0f)", l.coat[0],
          l.coat[1], l.coat[2]);
    probe_reset();
    wait_probe(12, 10000);
    pthread_mutex_lock(&probe_lock);
    printf("effect color: backdrop changed %d frames, left %d as they were\n", probe_changed,
           probe_same);
    CHECK(probe_changed >= 5 && probe_same == 0, "every frame is filtered (%d changed, %d not)",
          probe_changed, probe_same);
    pthread_mutex_unlock(&probe_lock);
    char *err = prop_text(bf, "backdrop-error");
    CHECK(err == NULL, "no error shown with good settings: %s", err ? err : "");
    bfree(err);
    chain_remove(src, bf);
    obs_source_release(bf);

    /* --- a background file that is not there */
    const char *missing = "/nonexistent/backdrop-test-background.jpg";
    bf = make_filter("background", NULL, missing);
    chain_add(src, bf);
    err = wait_error(bf, 1, 10000);
    printf("error shown: %s\n", err ? err : "(none)");
    CHECK(err && strstr(err, missing), "the properties show the library's message naming "
          "the file");
    bfree(err);
    probe_reset();
    wait_probe(12, 10000);
    look(&l);
    show("background missing", &l);
    pthread_mutex_lock(&probe_lock);
    printf("background missing: backdrop left %d frames as they were, changed %d\n",
           probe_same, probe_changed);
    CHECK(probe_same >= 10 && probe_changed == 0,
          "frames pass through byte for byte (%d as they were, %d changed)", probe_same,
          probe_changed);
    pthread_mutex_unlock(&probe_lock);
    CHECK(!is_green(l.tl) && is_coat(l.coat), "the output is the clip");
    /* the user picks a colour instead: the error goes, the effect comes */
    obs_data_t *fix = obs_data_create();
    obs_data_set_string(fix, "effect", "color");
    obs_data_set_string(fix, "background", "");
    obs_data_set_int(fix, "color", 0xff00ff00);
    obs_source_update(bf, fix);
    obs_data_release(fix);
    err = wait_error(bf, 0, 10000);
    CHECK(err == NULL, "a good setting clears the error: %s", err ? err : "");
    bfree(err);
    CHECK(wait_look(&l, greened, 20000), "and the effect is back");

    /* the path changed to a missing file while it runs: the library keeps
     * its colour, but the user asked for the file: pass through, say why */
    fix = obs_data_create();
    obs_data_set_string(fix, "effect", "background");
    obs_data_set_string(fix, "background", missing);
    obs_source_update(bf, fix);
    obs_data_release(fix);
    err = wait_error(bf, 1, 10000);
    CHECK(err && strstr(err, missing), "a missing file set live: the error is shown (%s)",
          err ? err : "none");
    bfree(err);
    probe_reset();
    wait_probe(12, 10000);
    look(&l);
    pthread_mutex_lock(&probe_lock);
    CHECK(probe_same >= 10 && probe_changed == 0,
          "set live, frames pass through byte for byte (%d as they were, %d changed)",
          probe_same, probe_changed);
    pthread_mutex_unlock(&probe_lock);
    CHECK(!is_green(l.tl), "and the wall is not green any more");
    chain_remove(src, bf);
    obs_source_release(bf);

    /* --- webcam formats, ranges, matrices and OBS's flip */
    struct obs_source_info cinfo = {.id = "bdtest_cam", .type = OBS_SOURCE_TYPE_INPUT,
                                    .output_flags = OBS_SOURCE_ASYNC_VIDEO,
                                    .get_name = cam_name, .create = cam_create,
                                    .destroy = paint_destroy};
    obs_register_source(&cinfo);
    static struct cam cams[] = {
        {.format = VIDEO_FORMAT_NV12, .range = VIDEO_RANGE_FULL, .cs = VIDEO_CS_601, .name = "NV12 full-range BT.601"},
        {.format = VIDEO_FORMAT_YUY2, .range = VIDEO_RANGE_PARTIAL, .cs = VIDEO_CS_709, .name = "YUY2 BT.709"},
        {.format = VIDEO_FORMAT_UYVY, .range = VIDEO_RANGE_FULL, .cs = VIDEO_CS_709, .name = "UYVY full-range BT.709"},
        {.format = VIDEO_FORMAT_YUY2, .range = VIDEO_RANGE_FULL, .cs = VIDEO_CS_601, .flip = 1,
         .name = "YUY2 full-range flipped"},
    };
    if (!load_clip(clip)) {
        CHECK(0, "the clip %s does not decode", clip);
    } else {
        for (size_t k = 0; k < sizeof cams / sizeof cams[0]; k++) {
            struct cam *c = &cams[k];
            for (int i = 0; i < CAM_N; i++)
                cam_frame(c, i);
            c->src = obs_source_create_private("bdtest_cam", c->name, NULL);
            obs_set_output_source(0, c->src);
            pthread_create(&c->thread, NULL, cam_run, c);
            /* the camera as it is first, so no frame of the last one counts */
            CHECK(wait_look(&l, unfiltered, 10000), "%s: the camera shows", c->name);
            bf = make_filter("color", "ff00ff00", NULL);
            chain_add(c->src, bf);
            int ok = wait_look(&l, greened_pure, 20000);
            show(c->name, &l);
            CHECK(ok, "%s: the wall comes back as #00ff00 and the coat stays", c->name);
            probe_reset();
            wait_probe(12, 10000);
            pthread_mutex_lock(&probe_lock);
            CHECK(probe_changed >= 5 && probe_same == 0, "%s: every frame filtered (%d "
                  "changed, %d not)", c->name, probe_changed, probe_same);
            pthread_mutex_unlock(&probe_lock);
            chain_remove(c->src, bf);
            obs_source_release(bf);
            c->quit = 1;
            pthread_join(c->thread, NULL);
            obs_set_output_source(0, src);
            obs_source_release(c->src);
            for (int i = 0; i < CAM_N; i++)
                free(c->mem[i]);
        }
    }
    for (int i = 0; i < CAM_N; i++)
        free(clip_mem[i]);
    grab_wait(10, 10000);

    /* --- removed and added again 50 times */
    long allocs0 = 0;
    size_t heap0 = 0;
    int working = 0;
    for (int i = 0; i < 50; i++) {
        if (i == 5) {
            /* (OBS destroys a released filter on a task thread of its own) */
            sleep_ms(1500);
            allocs0 = bnum_allocs();
            heap0 = heap_in_use();
        }
        bf = make_filter("color", "ff00ff00", NULL);
        chain_add(src, bf);
        /* until it has made its library filter and changed frames */
        probe_reset();
        for (int t = 0; t < 10000; t += 20) {
            pthread_mutex_lock(&probe_lock);
            int done = probe_changed >= 2;
            pthread_mutex_unlock(&probe_lock);
            if (done)
                break;
            sleep_ms(20);
        }
        pthread_mutex_lock(&probe_lock);
        working += probe_changed >= 2;
        pthread_mutex_unlock(&probe_lock);
        chain_remove(src, bf);
        obs_source_release(bf);
    }
    /* OBS destroys the last one on its task thread, later on a loaded
     * machine: up to 10 s for the counts to come back (a leak never does) */
    long allocs1 = 0;
    size_t heap1 = 0;
    for (int t = 0; t < 10000; t += 250) {
        sleep_ms(250);
        allocs1 = bnum_allocs();
        heap1 = heap_in_use();
        if (t >= 1500 && allocs1 <= allocs0 + 16 && heap1 < heap0 + 8 * 1024 * 1024)
            break;
    }
    printf("50 add/remove: libobs allocations %ld -> %ld, heap %zu -> %zu KiB\n", allocs0,
           allocs1, heap0 / 1024, heap1 / 1024);
    CHECK(working == 50, "each of the 50 filters changed frames before it went (%d did)",
          working);
    CHECK(allocs1 <= allocs0 + 16, "libobs's allocations come back (%ld -> %ld)", allocs0,
          allocs1);
    /* libobs's frame cache moves it by a few frames (0.8 MB each) either
     * way; one library filter is about 30 MB, one leaked frame 0.8 MB a time */
    CHECK(heap1 < heap0 + 8 * 1024 * 1024, "the heap does not grow (%zu -> %zu KiB)",
          heap0 / 1024, heap1 / 1024);

    obs_set_output_source(0, NULL);
    obs_source_release(src);
    obs_source_release(probe_a);
    obs_source_release(probe_b);
    headless_stop();
    return check_report();
}
