/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The GStreamer element (plugins/gstreamer/, make gst-test): real
 * pipelines through the built plugin, loaded from its file.
 *  - formats: the doctor clip (filesrc ! decodebin ! videoconvert) in I420,
 *    NV12, YUY2, UYVY, RGBA and BGRx through backdrop effect=color
 *    color=#00ff00: the top corners (the wall) green, the face and the
 *    coat not;
 *  - live: videotestsrc is-live=true at 1280x720, 30 fps, with the model
 *    made 400 ms slow (BACKDROP_INFER_DELAY_MS) into fakesink sync=true:
 *    no frame spends that long in the element (auto mode chose live; the
 *    rate the sink got is printed); with mode=exact every frame does;
 *  - colorimetry: BT.709 and full-range BT.601 caps give #00ff00 read back
 *    in their own space (I420 and YUY2);
 *  - a GstController (direct binding, interpolation source) switching
 *    "enabled" off at 1 s of stream time: the picture changes there;
 *  - properties changed while playing: a new colour within a few frames; a
 *    bad colour, a missing background and a missing model refused with a
 *    warning on the bus naming them, the old values kept;
 *  - a new frame size mid-stream (the capsfilter changed): the new size's
 *    frames right too;
 *  - a bad background or model at start: an error on the bus naming it;
 *  - NULL -> PLAYING -> NULL 50 times (under make asan: ASan's leak check).
 * Argument 1: the plugin file; argument 2: "all" or "cycles".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gst/app/gstappsink.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "../check.h"

#define VIDEO "../shared/data/video/doctor_26732.mp4"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static GstElement *launch(const char *desc)
{
    GError *err = NULL;
    GstElement *p = gst_parse_launch(desc, &err);
    if (err) {
        CHECK(0, "gst_parse_launch(%s): %s", desc, err->message);
        g_error_free(err);
        if (p)
            gst_object_unref(p);
        return NULL;
    }
    return p;
}

/* Mean R, G, B of a 32x32 block of a BGRx sample. */
static void rgb_at(GstSample *s, int x, int y, double c[3])
{
    GstVideoInfo info;
    gst_video_info_from_caps(&info, gst_sample_get_caps(s));
    GstMapInfo m;
    GstBuffer *b = gst_sample_get_buffer(s);
    gst_buffer_map(b, &m, GST_MAP_READ);
    const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
    double sum[3] = {0, 0, 0};
    for (int yy = y; yy < y + 32; yy++)
        for (int xx = x; xx < x + 32; xx++) {
            const guint8 *p = m.data + (size_t)yy * stride + (size_t)xx * 4;
            sum[0] += p[2];
            sum[1] += p[1];
            sum[2] += p[0];
        }
    gst_buffer_unmap(b, &m);
    for (int i = 0; i < 3; i++)
        c[i] = sum[i] / (32 * 32);
}

static int is_green(const double c[3])
{
    return c[1] > 190 && c[0] < 70 && c[2] < 70;
}

static int is_blue(const double c[3])
{
    return c[2] > 190 && c[0] < 70 && c[1] < 70;
}

static int is_plain(const double c[3])
{
    return !(c[1] > c[0] + 50 && c[1] > c[2] + 50) && !(c[2] > c[0] + 50 && c[2] > c[1] + 50);
}

/* The wall's top corners want(), the doctor's face and coat plain. */
static int check_picture(GstSample *s, int (*want)(const double *), const char *what)
{
    GstVideoInfo info;
    gst_video_info_from_caps(&info, gst_sample_get_caps(s));
    const int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
    double tl[3], tr[3], face[3], coat[3];
    rgb_at(s, 0, 0, tl);
    rgb_at(s, w - 32, 0, tr);
    rgb_at(s, 560 * w / 960, 150 * h / 540, face);
    rgb_at(s, 580 * w / 960, 330 * h / 540, coat);
    int ok = want(tl) && want(tr) && is_plain(face) && is_plain(coat);
    CHECK(ok, "%s %dx%d: corners %.0f,%.0f,%.0f %.0f,%.0f,%.0f (want %s), face %.0f,%.0f,%.0f coat "
              "%.0f,%.0f,%.0f",
          what, w, h, tl[0], tl[1], tl[2], tr[0], tr[1], tr[2], what, face[0], face[1], face[2],
          coat[0], coat[1], coat[2]);
    return ok;
}

/* Pulls n samples; returns the last (the caller unrefs) or NULL. */
static GstSample *pull(GstElement *sink, int n)
{
    GstSample *last = NULL;
    for (int i = 0; i < n; i++) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 60 * GST_SECOND);
        if (!s)
            break;
        if (last)
            gst_sample_unref(last);
        last = s;
    }
    return last;
}

/* The first error or warning message on the bus (a copy), or NULL. */
static char *bus_message(GstElement *p, GstMessageType type, GstClockTime wait)
{
    GstBus *bus = gst_element_get_bus(p);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, wait, type);
    gst_object_unref(bus);
    if (!m)
        return NULL;
    GError *e = NULL;
    char *dbg = NULL;
    if (type == GST_MESSAGE_ERROR)
        gst_message_parse_error(m, &e, &dbg);
    else
        gst_message_parse_warning(m, &e, &dbg);
    char *out = g_strdup(e ? e->message : "");
    g_clear_error(&e);
    g_free(dbg);
    gst_message_unref(m);
    return out;
}

static void test_formats(void)
{
    static const char *fmts[] = {"I420", "NV12", "YUY2", "UYVY", "RGBA", "BGRx"};
    for (int i = 0; i < 6; i++) {
        char desc[1024];
        snprintf(desc, sizeof desc,
                 "filesrc location=%s ! decodebin ! videoconvert ! video/x-raw,format=%s ! "
                 "backdrop name=b effect=color color=#00ff00 ! videoconvert ! "
                 "video/x-raw,format=BGRx ! appsink name=s sync=false max-buffers=2",
                 VIDEO, fmts[i]);
        GstElement *p = launch(desc);
        if (!p)
            return;
        GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "s");
        gst_element_set_state(p, GST_STATE_PLAYING);
        GstSample *s = pull(sink, 20);
        CHECK(s != NULL, "%s: no frames", fmts[i]);
        if (s && check_picture(s, is_green, "green"))
            printf("gst %s: corners green, face and coat not\n", fmts[i]);
        if (s)
            gst_sample_unref(s);
        gst_element_set_state(p, GST_STATE_NULL);
        gst_object_unref(sink);
        gst_object_unref(p);
    }
}

/* The caps' colorimetry reaches the library: frames in BT.709 and in
 * full-range BT.601 come out of videoconvert (which reads them in their
 * colorimetry) as the effect's #00ff00 within 8 (videoconvert's own
 * fixed point reads plain BT.601's #00ff00 as 0,249,0; a BT.709 or
 * full-range frame taken as BT.601 limited reads 18 or more off). */
static void test_colorimetry(void)
{
    static const char *cm[] = {"bt709", "1:4:0:0", "bt601"};
    static const char *fmts[] = {"I420", "YUY2"};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) {
            char desc[1024];
            snprintf(desc, sizeof desc,
                     "filesrc location=%s ! decodebin ! videoconvert ! "
                     "video/x-raw,format=%s,colorimetry=%s ! backdrop effect=color "
                     "color=#00ff00 ! videoconvert ! video/x-raw,format=BGRx ! "
                     "appsink name=s sync=false max-buffers=2",
                     VIDEO, fmts[k], cm[i]);
            GstElement *p = launch(desc);
            if (!p)
                return;
            GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "s");
            gst_element_set_state(p, GST_STATE_PLAYING);
            GstSample *s = pull(sink, 8);
            CHECK(s != NULL, "colorimetry %s: no frames", cm[i]);
            if (s) {
                GstMapInfo m;
                GstBuffer *b = gst_sample_get_buffer(s);
                gst_buffer_map(b, &m, GST_MAP_READ);
                const guint8 *px = m.data + 2 * 960 * 4 + 2 * 4; /* (2, 2) */
                const int off = MAX(MAX(px[2], 255 - px[1]), px[0]);
                CHECK(off <= 8, "colorimetry %s %s: the wall is %d,%d,%d, not #00ff00", cm[i],
                      fmts[k], px[2], px[1], px[0]);
                printf("gst colorimetry %s %s: the wall %d,%d,%d\n", cm[i], fmts[k], px[2],
                       px[1], px[0]);
                gst_buffer_unmap(b, &m);
                gst_sample_unref(s);
            }
            gst_element_set_state(p, GST_STATE_NULL);
            gst_object_unref(sink);
            gst_object_unref(p);
        }
}

/* A GstController drives a property while playing: "enabled" bound
 * directly to an interpolation control source that steps from on to off
 * at 1 s of stream time; frames before are green at the wall, frames
 * after show the wall as it is. */
static void test_controller(void)
{
    GstElement *p = launch("filesrc location=" VIDEO " ! decodebin ! videoconvert ! "
                           "backdrop name=b effect=color color=#00ff00 ! videoconvert ! "
                           "video/x-raw,format=BGRx ! appsink name=s sync=false max-buffers=2");
    if (!p)
        return;
    GstElement *b = gst_bin_get_by_name(GST_BIN(p), "b");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "s");
    GstControlSource *cs = gst_interpolation_control_source_new();
    g_object_set(cs, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
    gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(cs), 0, 1.0);
    gst_timed_value_control_source_set(GST_TIMED_VALUE_CONTROL_SOURCE(cs), GST_SECOND, 0.0);
    gst_object_add_control_binding(GST_OBJECT(b),
                                   gst_direct_control_binding_new(GST_OBJECT(b), "enabled", cs));
    gst_element_set_state(p, GST_STATE_PLAYING);
    int before = 0, after = 0, n_before = 0, n_after = 0;
    for (int i = 0; i < 45; i++) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 60 * GST_SECOND);
        if (!s)
            break;
        const GstClockTime t = GST_BUFFER_PTS(gst_sample_get_buffer(s));
        double c[3];
        rgb_at(s, 0, 0, c);
        if (t >= 300 * GST_MSECOND && t < 900 * GST_MSECOND) {
            n_before++;
            before += is_green(c);
        } else if (t >= 1100 * GST_MSECOND) {
            n_after++;
            after += !is_green(c) && c[1] < c[0] + 40;
        }
        gst_sample_unref(s);
    }
    CHECK(n_before > 5 && before == n_before && n_after > 5 && after == n_after,
          "controller: green before 1 s in %d of %d frames, the wall as it is after in %d of %d",
          before, n_before, after, n_after);
    printf("gst controller: enabled stepped off at 1 s: green in %d of %d frames before, the "
           "wall as it is in %d of %d after\n", before, n_before, after, n_after);
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(cs);
    gst_object_unref(sink);
    gst_object_unref(b);
    gst_object_unref(p);
}

/* How long each buffer spends inside backdrop: the streaming thread
 * passes the sink pad, then the source pad (in place, one thread). */
static gint64 t_in, dt_max, dt_min;
static int dt_count;

static GstPadProbeReturn probe_in(GstPad *pad, GstPadProbeInfo *info, gpointer u)
{
    (void)pad, (void)info, (void)u;
    t_in = g_get_monotonic_time();
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn probe_out(GstPad *pad, GstPadProbeInfo *info, gpointer u)
{
    (void)pad, (void)info, (void)u;
    gint64 dt = g_get_monotonic_time() - t_in;
    dt_max = dt > dt_max ? dt : dt_max;
    dt_min = dt_count == 0 || dt < dt_min ? dt : dt_min;
    dt_count++;
    return GST_PAD_PROBE_OK;
}

/* Frames rendered and dropped by fakesink sync=true behind backdrop, and
 * the longest and shortest time a frame spent in it. */
static void live_run(const char *mode, int frames, guint64 *rendered, guint64 *dropped,
                     double *secs)
{
    char desc[1024];
    snprintf(desc, sizeof desc,
             "videotestsrc is-live=true num-buffers=%d ! "
             "video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! backdrop name=b %s ! "
             "fakesink name=k sync=true qos=true max-lateness=200000000",
             frames, mode);
    GstElement *p = launch(desc);
    *rendered = *dropped = 0;
    dt_max = dt_min = 0;
    dt_count = 0;
    if (!p)
        return;
    GstElement *k = gst_bin_get_by_name(GST_BIN(p), "k");
    GstElement *b = gst_bin_get_by_name(GST_BIN(p), "b");
    GstPad *sp = gst_element_get_static_pad(b, "sink"), *op = gst_element_get_static_pad(b, "src");
    gst_pad_add_probe(sp, GST_PAD_PROBE_TYPE_BUFFER, probe_in, NULL, NULL);
    gst_pad_add_probe(op, GST_PAD_PROBE_TYPE_BUFFER, probe_out, NULL, NULL);
    gst_object_unref(sp);
    gst_object_unref(op);
    gst_object_unref(b);
    double t0 = now_s();
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(p);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND,
                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    *secs = now_s() - t0;
    CHECK(m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS, "live run (%s) did not end", mode);
    if (m)
        gst_message_unref(m);
    gst_object_unref(bus);
    GstStructure *st = NULL;
    g_object_get(k, "stats", &st, NULL);
    if (st) {
        gst_structure_get_uint64(st, "rendered", rendered);
        gst_structure_get_uint64(st, "dropped", dropped);
        gst_structure_free(st);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(k);
    gst_object_unref(p);
}

static void test_live(void)
{
    /* read when the element starts (the filter is made) */
    g_setenv("BACKDROP_INFER_DELAY_MS", "400", TRUE);
    guint64 r, d;
    double secs;
    live_run("", 45, &r, &d, &secs);
    /* Frames never wait for the model: none spends its 400 ms in the
     * element. (The rate the sink sees is printed; a shared machine can
     * make frames late by itself, so it is not what is asserted.) */
    CHECK(dt_count >= 10 && dt_max < 300000,
          "auto mode on a live source: %d frames through, the longest %.0f ms", dt_count,
          dt_max / 1e3);
    printf("gst live (auto): 45 frames at 1280x720, 30 fps, model 400 ms slow: %d through "
           "backdrop (longest %.1f ms in it), %llu rendered, %llu dropped by fakesink sync=true, "
           "%.2f s (%.1f fps)\n",
           dt_count, dt_max / 1e3, (unsigned long long)r, (unsigned long long)d, secs, r / secs);
    live_run("mode=exact", 8, &r, &d, &secs);
    CHECK(dt_count > 0 && dt_min >= 400000, "exact mode: %d frames, the shortest %.0f ms",
          dt_count, dt_min / 1e3);
    printf("gst live (mode=exact, the contrast): %d through, each %.0f ms or more in backdrop, "
           "%llu rendered, %llu dropped\n",
           dt_count, dt_min / 1e3, (unsigned long long)r, (unsigned long long)d);
    g_unsetenv("BACKDROP_INFER_DELAY_MS");
}

static void test_properties(void)
{
    GstElement *p = launch("filesrc location=" VIDEO " ! decodebin ! videoconvert ! "
                           "backdrop name=b effect=color color=#00ff00 ! videoconvert ! "
                           "video/x-raw,format=BGRx ! appsink name=s sync=false max-buffers=1");
    if (!p)
        return;
    GstElement *b = gst_bin_get_by_name(GST_BIN(p), "b");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "s");
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstSample *s = pull(sink, 10);
    if (s) {
        check_picture(s, is_green, "green");
        gst_sample_unref(s);
    }
    /* a new colour: within a few frames (those queued already) */
    g_object_set(b, "color", "#0000ff", NULL);
    s = pull(sink, 4);
    if (s) {
        if (check_picture(s, is_blue, "blue"))
            printf("gst properties: colour changed while playing\n");
        gst_sample_unref(s);
    }
    /* refused while playing: a warning naming it, the old value stays */
    g_object_set(b, "color", "nonsense", NULL);
    char *w = bus_message(p, GST_MESSAGE_WARNING, 5 * GST_SECOND);
    CHECK(w && strstr(w, "color") && strstr(w, "nonsense"), "warning: %s", w ? w : "(none)");
    g_free(w);
    g_object_set(b, "background", "/nonexistent/bg.png", NULL);
    w = bus_message(p, GST_MESSAGE_WARNING, 5 * GST_SECOND);
    CHECK(w && strstr(w, "/nonexistent/bg.png"), "warning: %s", w ? w : "(none)");
    g_free(w);
    g_object_set(b, "model", "/nonexistent/m.tflite", NULL);
    w = bus_message(p, GST_MESSAGE_WARNING, 5 * GST_SECOND);
    CHECK(w && strstr(w, "/nonexistent/m.tflite"), "warning: %s", w ? w : "(none)");
    g_free(w);
    char *color = NULL, *bg = NULL, *model = NULL;
    int effect = -1, blur = 0;
    g_object_set(b, "blur", 30, "mirror", TRUE, NULL);
    g_object_get(b, "color", &color, "background", &bg, "model", &model, "effect", &effect,
                 "blur", &blur, NULL);
    CHECK(color && !strcmp(color, "#0000ff"), "color now %s", color ? color : "(null)");
    CHECK(!bg || !*bg, "background now %s", bg);
    CHECK(model && !strcmp(model, "auto"), "model now %s", model ? model : "(null)");
    CHECK(effect == 2 && blur == 30, "effect %d blur %d", effect, blur);
    g_free(color);
    g_free(bg);
    g_free(model);
    s = pull(sink, 3);
    if (s) {
        /* still blue; mirrored: the doctor's face is now on the other side */
        GstVideoInfo info;
        gst_video_info_from_caps(&info, gst_sample_get_caps(s));
        double tl[3], face[3];
        rgb_at(s, 0, 0, tl);
        rgb_at(s, 960 - 560 - 32, 150, face);
        CHECK(is_blue(tl) && is_plain(face), "after the refusals and mirror: corner %.0f,%.0f,%.0f "
              "mirrored face %.0f,%.0f,%.0f",
              tl[0], tl[1], tl[2], face[0], face[1], face[2]);
        gst_sample_unref(s);
    }
    printf("gst properties: bad colour, background and model refused with a warning, old kept\n");
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(b);
    gst_object_unref(sink);
    gst_object_unref(p);
}

static void test_renegotiation(void)
{
    GstElement *p = launch("filesrc location=" VIDEO " ! decodebin ! videoconvert ! videoscale ! "
                           "capsfilter name=cf caps=video/x-raw,format=I420,width=960,height=540 ! "
                           "backdrop effect=color color=#00ff00 ! videoconvert ! "
                           "video/x-raw,format=BGRx ! appsink name=s sync=false max-buffers=1");
    if (!p)
        return;
    GstElement *cf = gst_bin_get_by_name(GST_BIN(p), "cf");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "s");
    gst_element_set_state(p, GST_STATE_PLAYING);
    GstSample *s = pull(sink, 8);
    if (s) {
        check_picture(s, is_green, "green");
        gst_sample_unref(s);
    }
    GstCaps *c = gst_caps_from_string("video/x-raw,format=I420,width=640,height=360");
    g_object_set(cf, "caps", c, NULL);
    gst_caps_unref(c);
    int w = 0, n = 0;
    for (; n < 30 && w != 640; n++) {
        s = pull(sink, 1);
        if (!s)
            break;
        GstVideoInfo info;
        gst_video_info_from_caps(&info, gst_sample_get_caps(s));
        w = GST_VIDEO_INFO_WIDTH(&info);
        gst_sample_unref(s);
    }
    CHECK(w == 640, "no 640x360 frame after the caps change (%d frames)", n);
    s = pull(sink, 8);
    if (s) {
        if (check_picture(s, is_green, "green"))
            printf("gst renegotiation: 960x540 -> 640x360 mid-stream, picture right\n");
        gst_sample_unref(s);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(cf);
    gst_object_unref(sink);
    gst_object_unref(p);
}

static void test_bad_files(void)
{
    static const char *bad[] = {"effect=background background=/nonexistent/bg.png",
                                "model=/nonexistent/m.tflite"};
    static const char *name[] = {"/nonexistent/bg.png", "/nonexistent/m.tflite"};
    for (int i = 0; i < 2; i++) {
        char desc[512];
        snprintf(desc, sizeof desc, "videotestsrc num-buffers=5 ! backdrop %s ! fakesink", bad[i]);
        GstElement *p = launch(desc);
        if (!p)
            return;
        gst_element_set_state(p, GST_STATE_PLAYING);
        char *e = bus_message(p, GST_MESSAGE_ERROR, 30 * GST_SECOND);
        CHECK(e && strstr(e, name[i]), "error for %s: %s", name[i], e ? e : "(none)");
        printf("gst bad file: error \"%s\"\n", e ? e : "");
        g_free(e);
        gst_element_set_state(p, GST_STATE_NULL);
        gst_object_unref(p);
    }
}

static void test_cycles(void)
{
    GstElement *p = launch("videotestsrc num-buffers=3 ! video/x-raw,width=320,height=240 ! "
                           "backdrop ! fakesink");
    if (!p)
        return;
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        gst_element_set_state(p, GST_STATE_PLAYING);
        GstBus *bus = gst_element_get_bus(p);
        GstMessage *m = gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND,
                                                   GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
        ok += m && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
        if (m)
            gst_message_unref(m);
        gst_object_unref(bus);
        gst_element_set_state(p, GST_STATE_NULL);
    }
    CHECK(ok == 50, "%d of 50 NULL -> PLAYING -> NULL cycles reached EOS", ok);
    printf("gst cycles: %d of 50 NULL -> PLAYING -> EOS -> NULL\n", ok);
    gst_object_unref(p);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN [all|cycles]\n", argv[0]);
        return 2;
    }
    /* the plugin is loaded here, not by a scanner process (which an ASan
     * build could not load), and the registry is a scratch one */
    char reg[256];
    snprintf(reg, sizeof reg, "/tmp/bd_gst_registry_%d.bin", (int)getpid());
    g_setenv("GST_REGISTRY", reg, TRUE);
    g_setenv("GST_REGISTRY_FORK", "no", TRUE);
    gst_init(NULL, NULL);
    GError *err = NULL;
    GstPlugin *plugin = gst_plugin_load_file(argv[1], &err);
    CHECK(plugin != NULL, "cannot load %s: %s", argv[1], err ? err->message : "?");
    if (!plugin)
        return check_report();
    gst_object_unref(plugin);
    const int all = argc < 3 || strcmp(argv[2], "cycles") != 0;
    if (all) {
        GstElementFactory *dec = gst_element_factory_find("avdec_h264");
        if (!dec || access(VIDEO, R_OK) != 0) {
            SKIP_PROVIDED("avdec_h264 (gstreamer1.0-libav) or %s missing", VIDEO);
        } else {
            test_formats();
            test_colorimetry();
            test_controller();
            test_properties();
            test_renegotiation();
        }
        if (dec)
            gst_object_unref(dec);
        test_live();
        test_bad_files();
    }
    test_cycles();
    remove(reg);
    gst_deinit();
    return check_report();
}
