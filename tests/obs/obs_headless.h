/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libobs without its window, for the OBS filter's tests and bench
 * (tests/obs/run.sh starts the X server it needs): obs_startup, a video
 * reset with libobs-opengl on EGL (Mesa's llvmpipe under Xvfb: OBS 29 has
 * no renderer without a GPU context, so a display is a must), obs-ffmpeg
 * for media sources, and the output read back as BGRA through a raw video
 * callback, which sees exactly what OBS would stream or record.
 */
#ifndef BD_TESTS_OBS_HEADLESS_H
#define BD_TESTS_OBS_HEADLESS_H

#include <X11/Xlib.h>
#include <obs/obs-nix-platform.h>
#include <obs/obs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where Debian's libobs0 and obs-studio put the modules this needs. */
#ifndef OBS_PLUGIN_DIR
#define OBS_PLUGIN_DIR "/usr/lib/x86_64-linux-gnu/obs-plugins"
#endif
#ifndef OBS_DATA_DIR
#define OBS_DATA_DIR "/usr/share/obs/obs-plugins"
#endif

/* The newest output frame, copied out of the video thread's callback. */
struct obs_grab {
    pthread_mutex_t lock;
    uint32_t width, height;
    uint8_t *bgra; /* width * height * 4 */
    uint64_t frames;
};

static struct obs_grab grab = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void grab_frame(void *param, struct video_data *frame)
{
    struct obs_grab *g = param;
    pthread_mutex_lock(&g->lock);
    for (uint32_t y = 0; y < g->height; y++)
        memcpy(g->bgra + (size_t)y * g->width * 4, frame->data[0] + (size_t)y * frame->linesize[0],
               (size_t)g->width * 4);
    g->frames++;
    pthread_mutex_unlock(&g->lock);
}

static uint64_t grab_count(void)
{
    pthread_mutex_lock(&grab.lock);
    uint64_t n = grab.frames;
    pthread_mutex_unlock(&grab.lock);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Waits until n more output frames have been read back (at most ms). */
static int grab_wait(uint64_t n, int ms)
{
    uint64_t until = grab_count() + n;
    for (int t = 0; t < ms; t += 10) {
        if (grab_count() >= until)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

/* Mean B, G, R over a w x h box of the newest output frame. */
static void grab_mean(int x0, int y0, int w, int h, double bgr[3])
{
    double s[3] = {0, 0, 0};
    pthread_mutex_lock(&grab.lock);
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++)
            for (int c = 0; c < 3; c++)
                s[c] += grab.bgra[((size_t)y * grab.width + x) * 4 + c];
    pthread_mutex_unlock(&grab.lock);
    for (int c = 0; c < 3; c++)
        bgr[c] = s[c] / (w * h);
}

static Display *headless_display;

/* Module file by name from Debian's folder, its data beside. */
static int headless_load(const char *bin, const char *data)
{
    obs_module_t *m = NULL;
    int r = obs_open_module(&m, bin, data);
    if (r != MODULE_SUCCESS) {
        fprintf(stderr, "obs_open_module %s: %d\n", bin, r);
        return 0;
    }
    if (!obs_init_module(m)) {
        fprintf(stderr, "obs_init_module %s failed\n", bin);
        return 0;
    }
    return 1;
}

/* 0 and a message on stderr when libobs cannot start here. */
static int headless_start(uint32_t width, uint32_t height, uint32_t fps)
{
    headless_display = XOpenDisplay(NULL);
    if (!headless_display) {
        fprintf(stderr, "no X display (DISPLAY=%s): run under tests/obs/run.sh\n",
                getenv("DISPLAY") ? getenv("DISPLAY") : "");
        return 0;
    }
    obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
    obs_set_nix_platform_display(headless_display);
    if (!obs_startup("en-US", NULL, NULL)) {
        fprintf(stderr, "obs_startup failed\n");
        return 0;
    }
    struct obs_video_info ovi = {
        .graphics_module = "libobs-opengl",
        .fps_num = fps,
        .fps_den = 1,
        .base_width = width,
        .base_height = height,
        .output_width = width,
        .output_height = height,
        .output_format = VIDEO_FORMAT_BGRA,
        .gpu_conversion = true,
        .colorspace = VIDEO_CS_709,
        .range = VIDEO_RANGE_PARTIAL,
        .scale_type = OBS_SCALE_BICUBIC,
    };
    int r = obs_reset_video(&ovi);
    if (r != OBS_VIDEO_SUCCESS) {
        fprintf(stderr, "obs_reset_video: %d\n", r);
        return 0;
    }
    struct obs_audio_info oai = {.samples_per_sec = 48000, .speakers = SPEAKERS_STEREO};
    if (!obs_reset_audio(&oai)) {
        fprintf(stderr, "obs_reset_audio failed\n");
        return 0;
    }
    if (!headless_load(OBS_PLUGIN_DIR "/obs-ffmpeg.so", OBS_DATA_DIR "/obs-ffmpeg"))
        return 0;
    grab.width = width;
    grab.height = height;
    grab.bgra = calloc((size_t)width * height, 4);
    struct video_scale_info to = {.format = VIDEO_FORMAT_BGRA, .width = width, .height = height,
                                  .range = VIDEO_RANGE_FULL, .colorspace = VIDEO_CS_709};
    obs_add_raw_video_callback(&to, grab_frame, &grab);
    return 1;
}

/* A media source (obs-ffmpeg's ffmpeg_source) looping a local file. */
static obs_source_t *headless_media(const char *path)
{
    obs_data_t *s = obs_data_create();
    obs_data_set_bool(s, "is_local_file", true);
    obs_data_set_string(s, "local_file", path);
    obs_data_set_bool(s, "looping", true);
    obs_data_set_bool(s, "hw_decode", false);
    obs_data_set_bool(s, "restart_on_activate", true);
    obs_source_t *src = obs_source_create("ffmpeg_source", "clip", s, NULL);
    obs_data_release(s);
    return src;
}

static void headless_stop(void)
{
    obs_remove_raw_video_callback(grab_frame, &grab);
    obs_shutdown();
    free(grab.bgra);
    grab.bgra = NULL;
    if (headless_display)
        XCloseDisplay(headless_display);
    headless_display = NULL;
}

#endif
