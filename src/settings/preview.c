/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The preview (preview.h). Threads: GStreamer's streaming thread maps each
 * RGB buffer and wraps it in a GdkMemoryTexture without copying (the
 * buffer stays mapped until GTK drops the texture), then parks it in
 * `pending`; the main thread takes the newest one in an idle callback. A
 * slow main loop thus never queues frames: older ones are dropped. Bus
 * messages (errors, end of stream) are watched on the main context.
 */
#include "settings/preview.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <string.h>

struct sp_preview {
    GtkPicture *pic;
    struct sp_preview_events ev;
    GstElement *pipe;
    guint bus_watch;
    char *output;
    GMutex lock;
    GdkTexture *pending;   /* newest frame not yet shown (lock) */
    guint idle_id;         /* the idle that shows it (lock) */
    GdkTexture *last;      /* main thread */
    guint64 frames;
};

struct mapped {
    GstVideoFrame frame;
};

static void unmap_frame(gpointer data)
{
    struct mapped *m = data;
    GstBuffer *b = m->frame.buffer;
    gst_video_frame_unmap(&m->frame);
    (void)b;
    g_free(m);
}

static gboolean show_pending(gpointer user)
{
    struct sp_preview *p = user;
    g_mutex_lock(&p->lock);
    GdkTexture *t = p->pending;
    p->pending = NULL;
    p->idle_id = 0;
    g_mutex_unlock(&p->lock);
    if (!t)
        return G_SOURCE_REMOVE;
    g_clear_object(&p->last);
    p->last = t;
    p->frames++;
    gtk_picture_set_paintable(p->pic, GDK_PAINTABLE(t));
    if (p->ev.frame)
        p->ev.frame(t, p->ev.user);
    return G_SOURCE_REMOVE;
}

/* streaming thread */
static GstFlowReturn on_sample(GstAppSink *sink, gpointer user)
{
    struct sp_preview *p = user;
    GstSample *s = gst_app_sink_pull_sample(sink);
    if (!s)
        return GST_FLOW_EOS;
    GstVideoInfo info;
    struct mapped *m = g_new0(struct mapped, 1);
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(s)) ||
        !gst_video_frame_map(&m->frame, &info, gst_sample_get_buffer(s), GST_MAP_READ)) {
        g_free(m);
        gst_sample_unref(s);
        return GST_FLOW_OK;
    }
    gst_sample_unref(s); /* the mapped frame holds the buffer */
    int w = GST_VIDEO_FRAME_WIDTH(&m->frame), h = GST_VIDEO_FRAME_HEIGHT(&m->frame);
    gsize stride = (gsize)GST_VIDEO_FRAME_PLANE_STRIDE(&m->frame, 0);
    GBytes *bytes = g_bytes_new_with_free_func(GST_VIDEO_FRAME_PLANE_DATA(&m->frame, 0),
                                               stride * (gsize)h, unmap_frame, m);
    GdkTexture *t = gdk_memory_texture_new(w, h, GDK_MEMORY_R8G8B8, bytes, stride);
    g_bytes_unref(bytes);
    g_mutex_lock(&p->lock);
    GdkTexture *old = p->pending;
    p->pending = t;
    if (!p->idle_id)
        p->idle_id = g_idle_add_full(G_PRIORITY_DEFAULT, show_pending, p, NULL);
    g_mutex_unlock(&p->lock);
    if (old)
        g_object_unref(old);
    return GST_FLOW_OK;
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
    (void)bus;
    struct sp_preview *p = user;
    if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_ERROR && GST_MESSAGE_TYPE(msg) != GST_MESSAGE_EOS)
        return G_SOURCE_CONTINUE;
    char *text;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        text = g_strdup_printf("The preview cannot read the camera %s (%s).", p->output,
                               err ? err->message : "error");
        g_clear_error(&err);
    } else {
        text = g_strdup_printf("The camera %s stopped sending pictures.", p->output);
    }
    /* the stream is over: stop it here, the window decides on a retry */
    sp_preview_stop(p);
    if (p->ev.failed)
        p->ev.failed(text, p->ev.user);
    g_free(text);
    return G_SOURCE_REMOVE;
}

struct sp_preview *sp_preview_new(GtkPicture *pic, const struct sp_preview_events *ev)
{
    if (!gst_is_initialized())
        gst_init(NULL, NULL);
    struct sp_preview *p = g_new0(struct sp_preview, 1);
    p->pic = pic;
    if (ev)
        p->ev = *ev;
    g_mutex_init(&p->lock);
    return p;
}

gboolean sp_preview_start(struct sp_preview *p, const char *output)
{
    if (p->pipe && p->output && output && !strcmp(p->output, output))
        return TRUE;
    sp_preview_stop(p);
    if (!output)
        return FALSE;
    GstElement *src = NULL;
    if (g_str_has_prefix(output, "pipewire:")) {
        src = gst_element_factory_make("pipewiresrc", NULL);
        if (src)
            g_object_set(src, "target-object", output + strlen("pipewire:"), "always-copy", TRUE,
                         NULL);
    } else if (g_str_has_prefix(output, "/dev/video")) {
        src = gst_element_factory_make("v4l2src", NULL);
        if (src)
            g_object_set(src, "device", output, NULL);
    }
    const char *missing = g_str_has_prefix(output, "pipewire:") ? "gstreamer1.0-pipewire"
                                                                 : "gstreamer1.0-plugins-good";
    char *why = NULL;
    if (!src && (g_str_has_prefix(output, "pipewire:") || g_str_has_prefix(output, "/dev/video")))
        why = g_strdup_printf("The preview needs GStreamer's %s element: install %s.",
                              g_str_has_prefix(output, "pipewire:") ? "pipewiresrc" : "v4l2src",
                              missing);
    else if (!src)
        why = g_strdup_printf("backdrop writes to %s, not to a camera: there is nothing to "
                              "preview (start it with --output pipewire or a loopback device).",
                              output);
    GstElement *conv = gst_element_factory_make("videoconvert", NULL);
    GstElement *sink = gst_element_factory_make("appsink", NULL);
    if (!why && (!conv || !sink))
        why = g_strdup("The preview needs GStreamer's videoconvert and appsink: install "
                       "gstreamer1.0-plugins-base.");
    if (why) {
        if (src)
            gst_object_unref(src);
        if (conv)
            gst_object_unref(conv);
        if (sink)
            gst_object_unref(sink);
        if (p->ev.failed)
            p->ev.failed(why, p->ev.user);
        g_free(why);
        return FALSE;
    }
    GstCaps *caps = gst_caps_from_string("video/x-raw,format=RGB");
    /* one buffer, the newest: a late window shows now, not the past */
    g_object_set(sink, "caps", caps, "max-buffers", 1, "drop", TRUE, "sync", FALSE, NULL);
    gst_caps_unref(caps);
    GstAppSinkCallbacks cb = {.new_sample = on_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, p, NULL);
    p->pipe = gst_pipeline_new("backdrop-preview");
    gst_bin_add_many(GST_BIN(p->pipe), src, conv, sink, NULL);
    gst_element_link_many(src, conv, sink, NULL);
    p->output = g_strdup(output);
    GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(p->pipe));
    p->bus_watch = gst_bus_add_watch(bus, on_bus, p);
    gst_object_unref(bus);
    gst_element_set_state(p->pipe, GST_STATE_PLAYING);
    return TRUE;
}

void sp_preview_stop(struct sp_preview *p)
{
    if (!p->pipe)
        return;
    if (p->bus_watch)
        g_source_remove(p->bus_watch);
    p->bus_watch = 0;
    /* NULL state joins the streaming thread: no on_sample runs after */
    gst_element_set_state(p->pipe, GST_STATE_NULL);
    gst_object_unref(p->pipe);
    p->pipe = NULL;
    g_clear_pointer(&p->output, g_free);
    g_mutex_lock(&p->lock);
    g_clear_object(&p->pending);
    if (p->idle_id)
        g_source_remove(p->idle_id);
    p->idle_id = 0;
    g_mutex_unlock(&p->lock);
}

gboolean sp_preview_running(const struct sp_preview *p)
{
    return p->pipe != NULL;
}

GdkTexture *sp_preview_last(const struct sp_preview *p)
{
    return p->last;
}

guint64 sp_preview_frames(const struct sp_preview *p)
{
    return p->frames;
}

void sp_preview_free(struct sp_preview *p)
{
    if (!p)
        return;
    sp_preview_stop(p);
    g_clear_object(&p->last);
    g_mutex_clear(&p->lock);
    g_free(p);
}
