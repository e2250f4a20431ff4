/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The --preview window: I420 frames shown with SDL2 (2.26 on Debian 12).
 *
 * One resizable window with an SDL renderer and an SDL_PIXELFORMAT_IYUV
 * streaming texture of the frame size; the picture is scaled to the
 * window with its aspect kept (black bars, SDL_RenderSetLogicalSize).
 * Closing the window or pressing q or Escape ends the preview.
 *
 * Signals: SDL_HINT_NO_SIGNAL_HANDLERS is set before SDL's video subsystem
 * starts, so SDL never installs SIGINT/SIGTERM handlers: the pipeline
 * handles those itself.
 *
 * Displays: SDL picks its video driver (X11 through DISPLAY, Wayland
 * through WAYLAND_DISPLAY, or the Linux console through KMS/DRM when the
 * process may use /dev/dri and a screen is connected); SDL_VIDEODRIVER
 * forces one, e.g. "dummy" (no window at all, for tests). When none of
 * those works, SDL 2.26 falls back by itself to its "offscreen" driver
 * (EGL rendering that nobody sees), so open refuses the offscreen and
 * dummy drivers unless SDL_VIDEODRIVER (or the SDL hint) asked for them:
 * with no display it fails with BD_ERR_UNSUPPORTED. While probing, the
 * Wayland client library may print "error: XDG_RUNTIME_DIR is invalid or
 * not set" on stderr; that is libwayland's, not ours.
 *
 * SDL initialisation is reference-counted (SDL_InitSubSystem /
 * SDL_QuitSubSystem); the last close of a preview also calls SDL_Quit
 * when nothing else of SDL is in use.
 *
 * Memory: open creates the window, renderer and texture. SDL and the
 * display's libraries (X11/Wayland, the GPU driver) may allocate inside
 * each frame's update, render and event pumping; that cannot be avoided
 * through SDL's API. Nothing of ours is allocated per frame.
 *
 * Threads: SDL's video calls must come from the thread that opened the
 * preview (in practice the main thread); show checks it.
 */
#ifndef BD_OUTPUT_PREVIEW_H
#define BD_OUTPUT_PREVIEW_H

#include "common/frame.h"

/* bd_preview_show: the user closed the window or pressed q/Escape. */
#define BD_PREVIEW_CLOSED 1

struct bd_preview;

/*
 * Opens a window titled title (UTF-8; NULL: "backdrop") showing frames of
 * width x height (1..16384). The window starts at the frame size, or
 * smaller when SDL cannot make one that big.
 * Errors:
 *   BD_ERR_INVALID_ARG  out is NULL, size out of range
 *   BD_ERR_UNSUPPORTED  no display ("no display for --preview:
 *                       DISPLAY/WAYLAND_DISPLAY unset (SDL: ...)"), or SDL
 *                       could not make the window, renderer or texture
 *                       (the message has SDL_GetError())
 *   BD_ERR_NOMEM
 * On failure *out is NULL and SDL is shut down again.
 */
int bd_preview_open(const char *title, int width, int height, struct bd_preview **out);

/*
 * Shows frame (of the open size; only read during the call): uploads it
 * (SDL_UpdateYUVTexture), renders, presents, then handles the window's
 * pending events. Returns BD_OK, BD_PREVIEW_CLOSED (the user closed the
 * window or pressed q/Escape; later calls return it again without
 * drawing), BD_ERR_INVALID_ARG (NULL, wrong size, strides too small,
 * another thread than open's), or BD_ERR_UNSUPPORTED (SDL failed to
 * upload or draw; message from SDL_GetError()).
 * Presenting may wait for the display's vertical sync when the renderer
 * uses it (SDL's default is not to).
 */
int bd_preview_show(struct bd_preview *p, const struct bd_i420_view *frame);

/* Destroys the window and frees p (from the thread that opened it).
 * NULL is a no-op. */
void bd_preview_close(struct bd_preview *p);

#endif
