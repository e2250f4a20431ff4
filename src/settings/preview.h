/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The settings window's live preview: backdrop's own camera read the way a
 * call app reads it (GStreamer: pipewiresrc for a PipeWire camera, v4l2src
 * for a loopback device), so opening it wakes the on-demand camera and
 * stopping it lets the camera idle. Frames become GdkTextures on
 * GStreamer's streaming thread and are handed to the main thread, newest
 * only.
 */
#ifndef BD_SETTINGS_PREVIEW_H
#define BD_SETTINGS_PREVIEW_H

#include <gtk/gtk.h>

struct sp_preview;

/* Called on the main thread: a new frame was shown (tex is the
 * picture's), or the stream failed (msg says why, in words for a person). */
struct sp_preview_events {
    void (*frame)(GdkTexture *tex, gpointer user);
    void (*failed)(const char *msg, gpointer user);
    gpointer user;
};

/* Shows frames in pic (not owned). */
struct sp_preview *sp_preview_new(GtkPicture *pic, const struct sp_preview_events *ev);

/* Starts reading output (the service's Output property: "pipewire:NODE"
 * or a /dev/videoN loopback); a running stream of another output is
 * stopped first, the same one is left alone. FALSE (and events.failed)
 * when the output is not a camera the preview can read. */
gboolean sp_preview_start(struct sp_preview *p, const char *output);

/* Stops reading (the camera may go idle). No-op when stopped. */
void sp_preview_stop(struct sp_preview *p);

/* Whether a stream runs (it may still be waiting for its first frame). */
gboolean sp_preview_running(const struct sp_preview *p);

/* The last frame shown (owned by the preview), or NULL. */
GdkTexture *sp_preview_last(const struct sp_preview *p);

/* Frames shown since sp_preview_new. */
guint64 sp_preview_frames(const struct sp_preview *p);

void sp_preview_free(struct sp_preview *p);

#endif
