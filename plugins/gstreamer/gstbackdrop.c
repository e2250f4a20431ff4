/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The GStreamer element "backdrop" (plugin libgstbackdrop.so): a
 * GstVideoFilter that replaces the background of each frame in place, a
 * thin client of the library's bd_filter (include/backdrop.h). It holds no
 * pixel, model or option logic of its own: its properties are made from
 * the library's options table (bd_options), values are kept and checked by
 * bd_settings, and while it runs a change goes to bd_filter_set, which
 * takes it from the next frame or refuses it with a message (posted as a
 * warning; the old value stays).
 *
 * Mode: "auto" (the default) asks upstream once caps are set whether it
 * is live (a latency query): live sources get BD_FILTER_LIVE (inference
 * on the library's thread, frames never wait), others BD_FILTER_EXACT
 * (each frame its own mask, byte-identical runs).
 */
#include <stdio.h>
#include <string.h>

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "backdrop.h"

GST_DEBUG_CATEGORY_STATIC(backdrop_debug);
#define GST_CAT_DEFAULT backdrop_debug

#define GST_TYPE_BACKDROP (gst_backdrop_get_type())
G_DECLARE_FINAL_TYPE(GstBackdrop, gst_backdrop, GST, BACKDROP, GstVideoFilter)

enum { MODE_AUTO, MODE_LIVE, MODE_EXACT };

struct _GstBackdrop {
    GstVideoFilter parent;
    GMutex lock;                 /* settings, filter, mode (setters are serialised) */
    struct bd_settings *settings;
    struct bd_filter *filter;    /* between start and stop */
    int mode;                    /* the property */
    gboolean mode_decided;       /* auto: upstream was asked */
    enum bd_color_matrix matrix; /* the caps' colorimetry (set_info) */
    enum bd_color_range range;
};

G_DEFINE_TYPE(GstBackdrop, gst_backdrop, GST_TYPE_VIDEO_FILTER)

#define CAPS GST_VIDEO_CAPS_MAKE("{ I420, NV12, YUY2, UYVY, RGBA, BGRx }")

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(CAPS));

/* Property ids: 1 is "mode"; an option's is 2 + its index in bd_options(). */
#define PROP_MODE 1
#define PROP_OPTION0 2

/* The table marks the options a frame filter takes (BD_OPTION_FILTER): the
 * picture's, not the camera's devices, files or process. */
static int wanted(const struct bd_option *o)
{
    return (o->flags & BD_OPTION_FILTER) != 0;
}

static int is_onoff(const struct bd_option *o)
{
    return o->type == BD_OPTION_FLAG ||
           (o->type == BD_OPTION_CHOICE && o->choices[0] && o->choices[1] && !o->choices[2] &&
            !strcmp(o->choices[0], "on") && !strcmp(o->choices[1], "off"));
}

/* A GEnum type for a choice option, its nicks the choices: made once, at
 * class init, and kept for the process's life (GLib types are). */
static GType choice_type(const struct bd_option *o)
{
    char tname[96] = "GstBackdrop";
    size_t n = strlen(tname);
    for (const char *s = o->name; *s && n + 1 < sizeof tname; s++) {
        if (*s == '-')
            continue;
        tname[n++] = (s == o->name || s[-1] == '-') ? (char)g_ascii_toupper(*s) : *s;
    }
    tname[n] = '\0';
    GType t = g_type_from_name(tname);
    if (t)
        return t;
    int count = 0;
    while (o->choices[count])
        count++;
    GEnumValue *v = g_new0(GEnumValue, count + 1);
    for (int i = 0; i < count; i++) {
        v[i].value = i;
        v[i].value_name = o->choices[i];
        v[i].value_nick = o->choices[i];
    }
    return g_enum_register_static(g_intern_string(tname), v);
}

static int default_index(const struct bd_option *o)
{
    for (int i = 0; o->def && o->choices[i]; i++)
        if (!strcmp(o->choices[i], o->def))
            return i;
    return 0;
}

static GParamSpec *option_pspec(const struct bd_option *o)
{
    /* Live options change while playing, from the next frame; the others
     * take effect at the next start. Controllers drive numbers, switches
     * and choices (a path or a colour is no curve). */
    const GParamFlags live = (o->flags & BD_OPTION_LIVE)
                                 ? GST_PARAM_MUTABLE_PLAYING
                                 : GST_PARAM_MUTABLE_READY;
    const GParamFlags ctl = (o->flags & BD_OPTION_LIVE) ? GST_PARAM_CONTROLLABLE : 0;
    const GParamFlags f = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | live;
    char blurb[512];
    snprintf(blurb, sizeof blurb, "%s%s", o->help,
             (o->flags & BD_OPTION_LIVE) ? "" : " (applies at the next start)");
    const char *b = g_intern_string(blurb);
    if (is_onoff(o)) {
        gboolean def = o->type == BD_OPTION_FLAG ? FALSE : default_index(o) == 0;
        return g_param_spec_boolean(o->name, o->name, b, def, f | ctl);
    }
    switch (o->type) {
    case BD_OPTION_INT:
        return g_param_spec_int(o->name, o->name, b, (gint)o->min, (gint)o->max,
                                o->def ? atoi(o->def) : (gint)o->min, f | ctl);
    case BD_OPTION_CHOICE:
        return g_param_spec_enum(o->name, o->name, b, choice_type(o), default_index(o), f | ctl);
    default:
        return g_param_spec_string(o->name, o->name, b, o->def, f);
    }
}

/* ---- values as the library's text ---------------------------------------- */

static char *value_text(const struct bd_option *o, const GValue *v)
{
    if (G_VALUE_HOLDS_BOOLEAN(v)) {
        gboolean on = g_value_get_boolean(v);
        return g_strdup(on ? "on" : "off");
    }
    if (G_VALUE_HOLDS_INT(v))
        return g_strdup_printf("%d", g_value_get_int(v));
    if (G_VALUE_HOLDS_ENUM(v))
        return g_strdup(o->choices[g_value_get_enum(v)]);
    const char *s = g_value_get_string(v);
    return g_strdup(s ? s : "");
}

static void text_value(const struct bd_option *o, const char *t, GValue *v)
{
    if (G_VALUE_HOLDS_BOOLEAN(v)) {
        g_value_set_boolean(v, t && !strcmp(t, "on"));
    } else if (G_VALUE_HOLDS_INT(v)) {
        g_value_set_int(v, t ? atoi(t) : 0);
    } else if (G_VALUE_HOLDS_ENUM(v)) {
        int k = 0;
        for (int i = 0; t && o->choices[i]; i++)
            if (!strcmp(o->choices[i], t))
                k = i;
        g_value_set_enum(v, k);
    } else {
        g_value_set_string(v, t);
    }
}

/* ---- properties ------------------------------------------------------------ */

static void gst_backdrop_set_property(GObject *obj, guint id, const GValue *v, GParamSpec *ps)
{
    GstBackdrop *self = GST_BACKDROP(obj);
    if (id == PROP_MODE) {
        g_mutex_lock(&self->lock);
        self->mode = g_value_get_enum(v);
        self->mode_decided = FALSE;
        if (self->filter && self->mode != MODE_AUTO)
            bd_filter_set_mode(self->filter,
                               self->mode == MODE_LIVE ? BD_FILTER_LIVE : BD_FILTER_EXACT);
        g_mutex_unlock(&self->lock);
        return;
    }
    const struct bd_option *o = &bd_options()[id - PROP_OPTION0];
    char *text = value_text(o, v);
    g_mutex_lock(&self->lock);
    enum bd_status r = BD_OK;
    /* A controller sets its properties before every frame: an unchanged
     * number, switch or choice is no change (a new refiner for the mask
     * options each frame, otherwise). A path or colour given again is
     * (the file read again). */
    const char *cur = bd_settings_get(self->settings, o->name);
    if (o->type != BD_OPTION_STRING && cur && !strcmp(cur, text)) {
        g_mutex_unlock(&self->lock);
        g_free(text);
        return;
    }
    if (self->filter && (o->flags & BD_OPTION_LIVE))
        r = bd_filter_set(self->filter, o->name, text); /* checked and prepared here */
    if (r == BD_OK)
        r = bd_settings_set(self->settings, o->name, text);
    if (r == BD_OK && self->filter && !(o->flags & BD_OPTION_LIVE))
        GST_INFO_OBJECT(self, "%s: applies at the next start", o->name);
    g_mutex_unlock(&self->lock);
    if (r != BD_OK) {
        /* refused: the old value stays */
        GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("%s", bd_last_error()),
                            ("property %s = '%s' refused; the old value stays", o->name, text));
    }
    g_free(text);
    (void)ps;
}

static void gst_backdrop_get_property(GObject *obj, guint id, GValue *v, GParamSpec *ps)
{
    GstBackdrop *self = GST_BACKDROP(obj);
    g_mutex_lock(&self->lock);
    if (id == PROP_MODE) {
        g_value_set_enum(v, self->mode);
    } else {
        const struct bd_option *o = &bd_options()[id - PROP_OPTION0];
        text_value(o, bd_settings_get(self->settings, o->name), v);
    }
    g_mutex_unlock(&self->lock);
    (void)ps;
}

/* ---- start, caps, frames, stop ---------------------------------------------- */

static gboolean gst_backdrop_start(GstBaseTransform *bt)
{
    GstBackdrop *self = GST_BACKDROP(bt);
    g_mutex_lock(&self->lock);
    struct bd_pipeline_config cfg;
    enum bd_status r = bd_settings_to_config(self->settings, &cfg);
    if (r == BD_OK)
        r = bd_filter_create(&cfg, self->mode == MODE_LIVE ? BD_FILTER_LIVE : BD_FILTER_EXACT,
                             &self->filter);
    self->mode_decided = self->mode != MODE_AUTO;
    g_mutex_unlock(&self->lock);
    if (r != BD_OK) {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", bd_last_error()),
                          ("backdrop could not start (%s)", bd_status_str(r)));
        return FALSE;
    }
    return TRUE;
}

static gboolean gst_backdrop_stop(GstBaseTransform *bt)
{
    GstBackdrop *self = GST_BACKDROP(bt);
    g_mutex_lock(&self->lock);
    bd_filter_destroy(self->filter);
    self->filter = NULL;
    g_mutex_unlock(&self->lock);
    return TRUE;
}

/* auto: a live upstream (a camera, a live test source) gets live mode */
static void decide_mode(GstBackdrop *self)
{
    GstQuery *q = gst_query_new_latency();
    gboolean live = FALSE;
    if (gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(self), q))
        gst_query_parse_latency(q, &live, NULL, NULL);
    gst_query_unref(q);
    g_mutex_lock(&self->lock);
    if (!self->mode_decided && self->filter) {
        bd_filter_set_mode(self->filter, live ? BD_FILTER_LIVE : BD_FILTER_EXACT);
        self->mode_decided = TRUE;
    }
    g_mutex_unlock(&self->lock);
    GST_INFO_OBJECT(self, "upstream is %slive: %s mode", live ? "" : "not ",
                    live ? "live" : "exact");
}

static gboolean gst_backdrop_set_info(GstVideoFilter *vf, GstCaps *incaps, GstVideoInfo *in,
                                      GstCaps *outcaps, GstVideoInfo *out)
{
    GstBackdrop *self = GST_BACKDROP(vf);
    if ((GST_VIDEO_INFO_WIDTH(in) | GST_VIDEO_INFO_HEIGHT(in)) & 1) {
        GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                          ("backdrop takes even frame sizes; %dx%d is not: scale it first",
                           GST_VIDEO_INFO_WIDTH(in), GST_VIDEO_INFO_HEIGHT(in)),
                          (NULL));
        return FALSE;
    }
    if (!self->mode_decided)
        decide_mode(self);
    /* the caps' colorimetry: BT.709 and full range are converted by the
     * library; any other matrix (BT.2020, SMPTE 240M) is taken as BT.601 */
    self->matrix = in->colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709 ? BD_MATRIX_BT709
                                                                         : BD_MATRIX_BT601;
    self->range = in->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255 ? BD_RANGE_FULL
                                                                       : BD_RANGE_LIMITED;
    /* the inference policy's hold is in time: the caps' rate (0/1 for
     * variable: unknown) */
    const double fps = GST_VIDEO_INFO_FPS_D(in) > 0
                           ? (double)GST_VIDEO_INFO_FPS_N(in) / GST_VIDEO_INFO_FPS_D(in)
                           : 0;
    if (self->filter && bd_filter_set_rate(self->filter, fps > 240 ? 240 : fps) != BD_OK)
        GST_WARNING_OBJECT(self, "%s", bd_last_error());
    (void)incaps;
    (void)outcaps;
    (void)out;
    return TRUE;
}

static enum bd_pixel_format pixel_format(GstVideoFormat f)
{
    switch (f) {
    case GST_VIDEO_FORMAT_NV12:
        return BD_PIX_NV12;
    case GST_VIDEO_FORMAT_YUY2:
        return BD_PIX_YUY2;
    case GST_VIDEO_FORMAT_UYVY:
        return BD_PIX_UYVY;
    case GST_VIDEO_FORMAT_RGBA:
        return BD_PIX_RGBA;
    case GST_VIDEO_FORMAT_BGRx:
        return BD_PIX_BGRX;
    default:
        return BD_PIX_I420;
    }
}

/* the controller's values for this buffer's time, as videobalance does */
static void gst_backdrop_before_transform(GstBaseTransform *bt, GstBuffer *buf)
{
    GstClockTime ts = GST_BUFFER_TIMESTAMP(buf);
    GstClockTime st = gst_segment_to_stream_time(&bt->segment, GST_FORMAT_TIME, ts);
    if (GST_CLOCK_TIME_IS_VALID(st))
        gst_object_sync_values(GST_OBJECT(bt), st);
}

static GstFlowReturn gst_backdrop_transform_frame_ip(GstVideoFilter *vf, GstVideoFrame *frame)
{
    GstBackdrop *self = GST_BACKDROP(vf);
    struct bd_video_frame v;
    memset(&v, 0, sizeof v);
    v.format = pixel_format(GST_VIDEO_FRAME_FORMAT(frame));
    v.width = GST_VIDEO_FRAME_WIDTH(frame);
    v.height = GST_VIDEO_FRAME_HEIGHT(frame);
    v.matrix = self->matrix;
    v.range = self->range;
    for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES(frame) && i < 3; i++) {
        v.data[i] = GST_VIDEO_FRAME_PLANE_DATA(frame, i);
        v.stride[i] = GST_VIDEO_FRAME_PLANE_STRIDE(frame, i);
    }
    GstClockTime pts = GST_BUFFER_PTS(frame->buffer);
    v.pts_ns = GST_CLOCK_TIME_IS_VALID(pts) ? (int64_t)pts : 0;
    /* the filter exists from start to stop, which frames never cross */
    enum bd_status r = bd_filter_process(self->filter, &v, &v);
    if (r != BD_OK) {
        GST_ELEMENT_ERROR(self, STREAM, FAILED, ("%s", bd_last_error()),
                          ("bd_filter_process: %s", bd_status_str(r)));
        return GST_FLOW_ERROR;
    }
    return GST_FLOW_OK;
}

/* A flush (a seek) starts a new stream: no mask of the old place. */
static gboolean gst_backdrop_sink_event(GstBaseTransform *bt, GstEvent *ev)
{
    GstBackdrop *self = GST_BACKDROP(bt);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_FLUSH_STOP && self->filter)
        bd_filter_reset(self->filter);
    return GST_BASE_TRANSFORM_CLASS(gst_backdrop_parent_class)->sink_event(bt, ev);
}

/* ---- the type ------------------------------------------------------------------ */

static void gst_backdrop_finalize(GObject *obj)
{
    GstBackdrop *self = GST_BACKDROP(obj);
    bd_filter_destroy(self->filter);
    bd_settings_destroy(self->settings);
    g_mutex_clear(&self->lock);
    G_OBJECT_CLASS(gst_backdrop_parent_class)->finalize(obj);
}

static GType mode_type(void)
{
    static GType t;
    static const GEnumValue v[] = {
        {MODE_AUTO, "live when upstream is live, else exact", "auto"},
        {MODE_LIVE, "inference on its own thread; frames never wait (newest mask)", "live"},
        {MODE_EXACT, "each frame its own mask; byte-identical runs", "exact"},
        {0, NULL, NULL}};
    if (!t)
        t = g_enum_register_static("GstBackdropMode", v);
    return t;
}

static void gst_backdrop_class_init(GstBackdropClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);
    GstElementClass *ec = GST_ELEMENT_CLASS(klass);
    GstBaseTransformClass *bc = GST_BASE_TRANSFORM_CLASS(klass);
    GstVideoFilterClass *vc = GST_VIDEO_FILTER_CLASS(klass);
    oc->set_property = gst_backdrop_set_property;
    oc->get_property = gst_backdrop_get_property;
    oc->finalize = gst_backdrop_finalize;

    g_object_class_install_property(
        oc, PROP_MODE,
        g_param_spec_enum("mode", "mode",
                          "live: the model on its own thread, frames never wait; exact: each "
                          "frame its own mask (files); auto: live when upstream is live",
                          mode_type(), MODE_AUTO,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
    const struct bd_option *opts = bd_options();
    for (int i = 0; opts[i].name; i++)
        if (wanted(&opts[i]))
            g_object_class_install_property(oc, PROP_OPTION0 + i, option_pspec(&opts[i]));

    gst_element_class_set_static_metadata(
        ec, "Background replacement", "Filter/Effect/Video",
        "Finds the person in each frame and blurs or replaces the rest (backdrop)",
        "backdrop maintainers");
    gst_element_class_add_static_pad_template(ec, &sink_template);
    gst_element_class_add_static_pad_template(ec, &src_template);

    bc->start = GST_DEBUG_FUNCPTR(gst_backdrop_start);
    bc->stop = GST_DEBUG_FUNCPTR(gst_backdrop_stop);
    bc->before_transform = GST_DEBUG_FUNCPTR(gst_backdrop_before_transform);
    bc->sink_event = GST_DEBUG_FUNCPTR(gst_backdrop_sink_event);
    bc->transform_ip_on_passthrough = FALSE;
    vc->set_info = GST_DEBUG_FUNCPTR(gst_backdrop_set_info);
    vc->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_backdrop_transform_frame_ip);
}

static void gst_backdrop_init(GstBackdrop *self)
{
    g_mutex_init(&self->lock);
    if (bd_settings_create(&self->settings) != BD_OK)
        g_error("backdrop: out of memory"); /* GObject init cannot fail */
    self->mode = MODE_AUTO;
}

static gboolean plugin_init(GstPlugin *plugin)
{
    GST_DEBUG_CATEGORY_INIT(backdrop_debug, "backdrop", 0, "background replacement");
    return gst_element_register(plugin, "backdrop", GST_RANK_NONE, GST_TYPE_BACKDROP);
}

#define PACKAGE "backdrop"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, backdrop,
                  "backdrop: background blur and replacement (person segmentation)", plugin_init,
                  BACKDROP_VERSION, "GPL", "backdrop", "Unknown package origin")
