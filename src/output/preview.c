/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The --preview window with SDL2: see preview.h. */
#include "output/preview.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "common/error.h"

#define MAX_DIM 16384

struct bd_preview {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    int width, height;
    pthread_t thread;
    bool closed;
};

/* Shuts SDL's video down again; SDL_Quit when nothing else of SDL is in use
 * (it frees what SDL_QuitSubSystem keeps: hints, the event queue's memory). */
static void video_quit(void)
{
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (SDL_WasInit(SDL_INIT_EVERYTHING) == 0)
        SDL_Quit();
}

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

int bd_preview_open(const char *title, int width, int height, struct bd_preview **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "preview: out is NULL");
    *out = NULL;
    if (width < 1 || height < 1 || width > MAX_DIM || height > MAX_DIM)
        return bd_fail(BD_ERR_INVALID_ARG, "preview: bad frame size %dx%d (1..%d)", width,
                       height, MAX_DIM);
    if (!title)
        title = "backdrop";

    /* before any subsystem starts: SIGINT/SIGTERM stay the pipeline's */
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        /* copy: video_quit may overwrite SDL's error string */
        char why[256];
        SDL_strlcpy(why, SDL_GetError(), sizeof why);
        video_quit();
        if (!env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY") && !env_set("SDL_VIDEODRIVER"))
            return bd_fail(BD_ERR_UNSUPPORTED, "no display for --preview: DISPLAY/WAYLAND_DISPLAY "
                                               "unset (SDL: %s); run it in a desktop session",
                           why);
        return bd_fail(BD_ERR_UNSUPPORTED, "cannot open the --preview window: %s (check DISPLAY, "
                                           "WAYLAND_DISPLAY or SDL_VIDEODRIVER)", why);
    }

    /* With no display SDL 2.26 falls back to its offscreen driver (EGL, no
     * window anyone sees): refuse it and dummy unless they were asked for. */
    const char *drv = SDL_GetCurrentVideoDriver();
    const char *asked = SDL_GetHint(SDL_HINT_VIDEODRIVER);
    if (drv && !(asked && *asked) &&
        (strcmp(drv, "offscreen") == 0 || strcmp(drv, "dummy") == 0 ||
         strcmp(drv, "evdev") == 0)) {
        char name[32];
        SDL_strlcpy(name, drv, sizeof name);
        video_quit();
        if (!env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY"))
            return bd_fail(BD_ERR_UNSUPPORTED, "no display for --preview: DISPLAY/WAYLAND_DISPLAY "
                                               "unset (SDL found only its %s driver, which "
                                               "shows nothing); run it in a desktop session",
                           name);
        return bd_fail(BD_ERR_UNSUPPORTED, "no display for --preview: cannot reach the display "
                                           "of DISPLAY/WAYLAND_DISPLAY (SDL found only its %s "
                                           "driver, which shows nothing)", name);
    }

    struct bd_preview *p = calloc(1, sizeof *p);
    if (!p) {
        video_quit();
        return bd_fail(BD_ERR_NOMEM, "preview: out of memory");
    }
    p->width = width;
    p->height = height;
    p->thread = pthread_self();

    /* start at the frame size, shrunk (aspect kept) to fit the screen */
    int ww = width, wh = height;
    SDL_Rect usable;
    if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 0 && usable.h > 0 &&
        (ww > usable.w || wh > usable.h)) {
        double s = SDL_min((double)usable.w / ww, (double)usable.h / wh);
        ww = SDL_max(1, (int)(ww * s));
        wh = SDL_max(1, (int)(wh * s));
    }
    const char *what = "window";
    p->win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, ww, wh,
                              SDL_WINDOW_RESIZABLE);
    if (p->win) {
        what = "renderer";
        p->ren = SDL_CreateRenderer(p->win, -1, 0);
    }
    if (p->ren) {
        what = "texture";
        if (SDL_RenderSetLogicalSize(p->ren, width, height) == 0)
            p->tex = SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING,
                                       width, height);
    }
    if (!p->tex) {
        char why[256];
        SDL_strlcpy(why, SDL_GetError(), sizeof why);
        bd_preview_close(p);
        return bd_fail(BD_ERR_UNSUPPORTED, "cannot open the --preview %s for %dx%d: %s", what,
                       width, height, why);
    }
    *out = p;
    return BD_OK;
}

/* Handles pending events; true when the user asked to close. */
static bool pump_events(struct bd_preview *p)
{
    bool quit = false;
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        switch (e.type) {
        case SDL_QUIT:
            quit = true;
            break;
        case SDL_WINDOWEVENT:
            if (e.window.event == SDL_WINDOWEVENT_CLOSE &&
                e.window.windowID == SDL_GetWindowID(p->win))
                quit = true;
            break;
        case SDL_KEYDOWN:
            if (e.key.keysym.sym == SDLK_q || e.key.keysym.sym == SDLK_ESCAPE)
                quit = true;
            break;
        default:
            break;
        }
    }
    return quit;
}

int bd_preview_show(struct bd_preview *p, const struct bd_i420_view *f)
{
    if (!p)
        return bd_fail(BD_ERR_INVALID_ARG, "preview is NULL");
    if (!pthread_equal(p->thread, pthread_self()))
        return bd_fail(BD_ERR_INVALID_ARG, "preview: shown from another thread than the one "
                                           "that opened it");
    if (p->closed)
        return BD_PREVIEW_CLOSED;
    const int W = p->width, H = p->height, cw = (W + 1) / 2;
    if (!f || !f->y || !f->u || !f->v || f->width != W || f->height != H || f->stride_y < W ||
        f->stride_u < cw || f->stride_v < cw)
        return bd_fail(BD_ERR_INVALID_ARG, "preview: frame planes missing, size not %dx%d, or "
                                           "strides too small", W, H);
    if (SDL_UpdateYUVTexture(p->tex, NULL, f->y, f->stride_y, f->u, f->stride_u, f->v,
                             f->stride_v) != 0)
        return bd_fail(BD_ERR_UNSUPPORTED, "preview: cannot upload the frame: %s",
                       SDL_GetError());
    if (SDL_SetRenderDrawColor(p->ren, 0, 0, 0, 255) != 0 || SDL_RenderClear(p->ren) != 0 ||
        SDL_RenderCopy(p->ren, p->tex, NULL, NULL) != 0)
        return bd_fail(BD_ERR_UNSUPPORTED, "preview: cannot draw the frame: %s",
                       SDL_GetError());
    SDL_RenderPresent(p->ren);
    if (pump_events(p)) {
        p->closed = true;
        SDL_HideWindow(p->win);
        return BD_PREVIEW_CLOSED;
    }
    return BD_OK;
}

void bd_preview_close(struct bd_preview *p)
{
    if (!p)
        return;
    if (p->tex)
        SDL_DestroyTexture(p->tex);
    if (p->ren)
        SDL_DestroyRenderer(p->ren);
    if (p->win)
        SDL_DestroyWindow(p->win);
    free(p);
    video_quit();
}
