/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Inside the pipeline: the struct shared by its files. Not part of the
 * public API. Two kinds of file (docs/ARCHITECTURE.md):
 *  - the core, with no platform dependency, which every build has
 *    (WebAssembly too): pipeline.c (the per-frame step, the inference
 *    thread, stats), create.c (model bundle, buffers, compositor),
 *    live.c (live settings), background.c (the background held, and one
 *    handed in as pixels), filter.c (bd_filter);
 *  - the platform parts: run.c (bd_pipeline_create and run's frame loop),
 *    source.c (camera, file, y4m), sink.c (loopback, PipeWire, files,
 *    preview), ondemand.c, background_file.c (image and video files) and
 *    live_input.c (a live camera switch). The WebAssembly build leaves
 *    them out by file (mk/web.mk) and links none/none.c instead, whose
 *    functions say that this build reads no file and opens no device.
 */
#ifndef BD_PIPELINE_INTERNAL_H
#define BD_PIPELINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "backdrop.h"
#include "capture/file_source.h"
#include "capture/v4l2_capture.h"
#include "capture/y4m_reader.h"
#include "common/frame.h"
#include "model/stream.h"
#include "composite/composite.h"
#include "output/consumers.h"
#include "output/pipewire_out.h"
#include "output/preview.h"
#include "output/v4l2_loopback.h"
#include "output/video_writer.h"
#include "output/y4m_writer.h"

#define BD_LATENCY_RING 1024
#define BD_PATH_MAX 4096

/* source_next() results besides BD_OK and errors */
#define BD_PIPELINE_EOF 1   /* the file ended (no loop) */
#define BD_PIPELINE_STALL 2 /* no frame within a frame interval */

/* SRC_EXTERNAL: frames handed in by bd_filter_process (filter.c), of the
 * size given at create; nothing is read. */
enum bd_source_kind { SRC_V4L2, SRC_FILE, SRC_Y4M, SRC_EXTERNAL };
enum bd_sink_kind { SINK_LOOPBACK, SINK_PIPEWIRE, SINK_Y4M, SINK_VIDEO, SINK_NULL };

struct bd_source {
    enum bd_source_kind kind;
    char name[BD_PATH_MAX];
    struct bd_v4l2_capture *cap;
    struct bd_v4l2_converter *cv;
    struct bd_v4l2_request req;
    struct bd_v4l2_frame held;  /* the dequeued V4L2 frame being processed */
    uint32_t last_seq;
    int have_seq;
    int64_t next_retry_ns;
    struct bd_file_source *file;
    struct bd_y4m_reader *y4m;
    int y4m_fd;                 /* a .y4m file's, opened here (y4m_own) */
    int y4m_own;
    int width, height;          /* as delivered (may be odd) */
    double fps;                 /* 0 unknown */
    int fps_num, fps_den;
    int64_t interval_ns;        /* 1/fps, 1/30 s when unknown */
    int64_t last_frame_ns;      /* monotonic time of the last frame */
    int64_t stall_ns;           /* time of the last repeat while stalled, else 0 */
    int64_t play_start_ns;      /* live file playback: wall time of pts 0 */
    int64_t pts_offset_us;
};

struct bd_sink {
    enum bd_sink_kind kind;
    char name[BD_PATH_MAX];
    struct bd_v4l2_loopback *loopback;
    struct bd_pw_output *pw;
    struct bd_y4m_writer *y4m;
    struct bd_video_writer *video;
    struct bd_preview *preview;
    int have_frame;             /* out holds a frame (for repeats) */
};

/* Cumulative counters. infer_ns, inferences and zoomed are guarded by lock, the
 * rest by stats_lock. */
/* No frame for this long and the input counts as lost (bd_pipeline_stats). */
#define BD_LOST_AFTER_NS 1000000000LL

struct bd_accum {
    uint64_t frames_in, frames_out, repeated, dropped, frames_processed, inferences, zoomed,
             model_runs, unchanged;
    int64_t convert_ns, infer_ns, mask_ns, composite_ns, output_ns;
};

/* The live settings (bd_pipeline_set), in the pipeline's terms. */
struct bd_live {
    int effect;                     /* enum bd_effect */
    int hologram, blur, fit, mirror, enabled;
    int light_wrap;                 /* % (0: off) */
    uint32_t color;
    int has_color;                  /* a colour was ever given */
    int mask_low, mask_high, feather, grow;
    int on_demand, idle_timeout;    /* handed to ondemand.c's own request */
    char background[BD_PATH_MAX];   /* "" for none */
    int background_given;           /* the background is the image handed
                                       in (bd_pipeline.given), not a file */
    char model[BD_PATH_MAX];        /* as given ("auto" resolved) */
    char input[BD_PATH_MAX];        /* the camera (or file) read */
};

/* A background (background.c): made ready off the frame thread, then the
 * pipeline's own (struct bd_pipeline.bg). */
struct bd_pipeline;
struct bd_bg_bundle {
    struct bd_file_source *src;     /* a video (the frame thread decodes on) */
    /* set with src by background_file.c: the core reaches the decoder
     * only through these (none in a build without files) */
    int (*advance)(struct bd_pipeline *p, int64_t pts_us);
    void (*close_src)(struct bd_file_source *src);
    uint8_t *mem;                   /* the decoded frame, its own size */
    struct bd_i420 img;
    int64_t pts_us;                 /* the decoded frame's */
    uint8_t *fit_mem;               /* a still fitted to the frame, or NULL */
    struct bd_i420 fit;
    int valid;
};

/*
 * Everything that depends on the model, its input and output sizes: made
 * on the thread that asks (create, or bd_pipeline_set for a live change of
 * "model"; create.c's bd_model_bundle_open and _alloc), used by the frame
 * and inference threads (struct bd_pipeline.m), and freed by whoever takes
 * it back (the next setter, or destroy), once the inference thread is off
 * it.
 */
struct bd_model_bundle {
    struct bd_model *model;
    struct bd_engine *engine;
    int class_index;                /* cfg.model_class's, -1: the model's default */
    int rvm;                        /* Robust Video Matting (recurrent state): one
                                       plain look a run (no zoom, no mirror) */
    int zoom;                       /* the zoom pass runs for this model */
    /* --model rvm, fused (not rvm_bare): the automatic model's bundle (the
     * camera's default mask), run beside RVM on the same frames; its
     * refined mask (person_mask, full frame) and RVM's alpha (alpha, full
     * frame, 0 outside RVM's crop) are fused each frame (bd_mask_fuse,
     * bd_fuse_options_default) and smoothed in time into the pipeline's
     * mask (fuse_smooth) */
    struct bd_model_bundle *person;
    uint8_t *person_mask, *alpha;
    void *fuse_scratch;
    /* the fused mask before fuse_smooth, whose temporal smoothing (plain,
     * coverage kept) brings RVM's flicker below the default mask's
     * (bench/rvm-fusion.md: temporal set 0.16 -> 0.10, defaults 0.17; with
     * the conf 0.4 / edge 1 fusion and ratio 0.5, 0.10 -> 0.09) */
    uint8_t *fused;
    struct bd_refiner *fuse_smooth;
    int have_alpha;                 /* frame thread: a map came (fused only) */
    int model_w, model_h;           /* input */
    int out_w, out_h;               /* output (probability map) */
    struct bd_rect crop;            /* the part of the frame the model sees */
    uint8_t *small_mem;
    struct bd_i420 small;           /* the crop at the model's size */
    uint8_t *rgb_mem;               /* three RGB buffers: */
    uint8_t *rgb_pending, *rgb_work;/*  frame thread → inference thread */
    float *prob_mem;
    float *prob_work, *prob_latest, *prob_main; /* inference → frame thread */
    /* The zoom pass (model/zoom.h): the inference thread finds the
     * person's box in a frame's first look (zbox_next, under lock); the
     * frame thread crops the next frame there (zsmall, zrgb_pending, with
     * the box it used in the pipeline's zbox_pending); the inference
     * thread's second look at it (zprob) replaces the first one's map
     * inside the box. Boxes are in the crop's pixels. */
    struct bd_model *zmodel;        /* the second look's model when the main
                                       one is wider than 4:3 (general); */
    struct bd_engine *zengine;      /*   NULL: the main one's */
    struct bd_engine *zeng;         /* the engine of the second look */
    int zmodel_w, zmodel_h, zout_w, zout_h;
    uint8_t *zsmall_mem;
    struct bd_i420 zsmall;
    uint8_t *zrgb_pending, *zrgb_work;
    struct bd_rect zbox_next;
    float *zprob;
    struct bd_stream *stream;       /* which runs a frame gets (model/stream.h) */
    uint8_t *mask_small;            /* prob as 8-bit, model output size */
    uint8_t *mask_half;             /* upsampled to half the crop's size */
    int mask_half_stride;
    struct bd_refiner *refiner;     /* frame thread; NULL when !refine */
    int refine;                     /* a refiner is made for this model: not
                                       with raw_mask, nor for a crop smaller
                                       than the map (fixed at make) */
    char name[64];                  /* the model's */
    char arg[BD_PATH_MAX];          /* as given: built-in name or path */
};

/* A pipeline's own source and sinks (run.c's bd_pipeline_create); NULL
 * for one whose frames are handed in (bd_filter): source "external",
 * sink "null". */
struct bd_pipeline_io {
    int (*open_input)(struct bd_pipeline *p);  /* sets p->src (its size) */
    int (*open_output)(struct bd_pipeline *p); /* sinks, on demand */
    int (*write)(struct bd_pipeline *p, int64_t pts_us, int repeat);
    void (*close)(struct bd_pipeline *p);
};

struct bd_pipeline {
    const struct bd_pipeline_io *io;
    int (*sink_write)(struct bd_pipeline *p, int64_t pts_us, int repeat); /* io's, or NULL */
    struct bd_pipeline_config cfg;  /* strings point into the arrays below */
    char input_path[BD_PATH_MAX], output_path[BD_PATH_MAX], bg_path[BD_PATH_MAX];
    char model_arg[BD_PATH_MAX], pw_name[256], class_arg[64];
    enum bd_pace pace;
    int file_job; /* a file in, a named file out: "auto" may take RVM */
    int blur;

    struct bd_source src;
    struct bd_sink sink;

    int width, height;              /* working frame size: the source's, made even */
    uint8_t *frame_mem;             /* source frame, I420 at the source's size */
    struct bd_i420 frame;
    struct bd_i420_view frame_view; /* width x height view of frame */
    uint8_t *out_mem;
    struct bd_i420 out;             /* what the sinks get */
    /* The input lost (unplugged, or no frame for BD_LOST_AFTER_NS): out is
     * turned into the camera-lost picture once, then repeated. Frame
     * thread only, except the two counters, which stats_lock guards. */
    uint8_t *lost_scratch;
    size_t lost_scratch_size;
    int input_lost;
    uint64_t input_losses;

    /* The model: everything that depends on it is in one bundle, which
     * a live change of "model" replaces whole (live.c). The frame thread
     * works on m (and writes m only under lock); the inference thread on
     * the bundle of the input it took, infer_m (a switch drops a pending
     * input of the old bundle); each map it publishes names its bundle in
     * mask_m, and the frame thread takes only its own. */
    struct bd_model_bundle *m;
    struct bd_model_bundle *infer_m;/* lock: the bundle being run, or NULL */
    struct bd_model_bundle *mask_m; /* lock: the newest map's bundle */
    char model_name[64];            /* stats_lock: m's model, for the stats */
    int zoom;                       /* on: refined masks without no_zoom */
    struct bd_rect zbox_pending;    /* lock: the zoom box of the pending input */
    int state_reset_next;           /* frame thread: the input looped back to its
                                       start; the next input starts a new stream */
    int person_new;                 /* lock: m->person has a new map (mask_m's) */
    int in_reset;                   /* lock: reset the model's recurrent state
                                       before running the pending input */
    uint64_t src_loops;             /* frame thread: the file's rewinds seen */
    uint8_t *mask;                  /* full size, 0 outside the crop */
    int mask_stride;
    int have_mask;                  /* m has made a mask (else mask is kept) */
    int mask_reset;                 /* clear mask before m's first map (its
                                       crop may be smaller than the last) */
    struct bd_refine_options refine;

    struct bd_compositor *comp;
    int effect_on;

    /* The background video or image (frame thread): a live change swaps
     * the whole bundle with the one a setter prepared. */
    struct bd_bg_bundle bg;

    /* Live settings (live.c; docs/ARCHITECTURE.md): setters prepare on
     * their own thread and publish under live_lock; the frame thread takes
     * the newest between frames and gives back what it replaced. */
    int live_ready;                 /* the two locks below exist */
    pthread_mutex_t set_lock;       /* one bd_pipeline_set at a time */
    pthread_mutex_t live_lock;      /* the fields up to live_seen (taken
                                       before lock when both are) */
    struct bd_live live_next;       /* the newest accepted settings */
    struct bd_bg_bundle bg_next;    /* setter → frame thread */
    struct bd_refiner *refiner_next;/*   (made for refiner_for's geometry) */
    struct bd_model_bundle *refiner_for;
    struct bd_model_bundle *model_next;
    struct bd_bg_bundle bg_old;     /* frame thread → the next setter (or */
    struct bd_refiner *refiner_old; /*   destroy), which frees them */
    struct bd_model_bundle *model_old;
    struct bd_v4l2_capture *input_next; /* setter → frame thread: a camera
                                       streaming, of the stream's size */
    struct bd_v4l2_capture *input_old;  /* frame thread → that setter */
    struct bd_bg_bundle spare;      /* set_lock: a fitted buffer for the next
                                       still (only fit_mem/fit used) */
    uint8_t *given_mem;             /* set_lock: the background handed in */
    struct bd_i420 given;           /*   as pixels, I420 at its own size */
    struct bd_model_bundle *model_newest; /* set_lock: the last one made (m
                                       or model_next); only its fixed
                                       fields are read */
    atomic_uint live_gen;           /* bumped by each publication */
    unsigned live_seen;             /* frame thread: the last gen taken */
    struct bd_live live;            /* frame thread: what it applies */

    /* threads */
    pthread_t thread;
    int running, finished;
    pthread_mutex_t lock;           /* the hand-over below */
    pthread_cond_t in_cond, mask_cond;
    int in_ready;
    uint64_t in_seq, mask_seq;
    int mask_new;
    int quit;
    int infer_delay_ms;             /* BACKDROP_INFER_DELAY_MS: a slow machine */
    int inline_infer;               /* offline: the model runs on the frame's
                                       own thread (bd_filter's exact mode) */
    int ext_width, ext_height;      /* SRC_EXTERNAL's frame size */
    int infer_status;
    char infer_error[512];
    atomic_uint requests;
    uint64_t seq;

    /* On demand (ondemand.c): frame thread only, but idle and consumers,
     * which stats_lock guards for the stats. */
    int od_enabled;
    struct bd_ondemand od;
    struct bd_lb_watch *od_watch;   /* loopback outputs */
    int64_t od_next_check_ns, od_next_frame_ns;
    int od_idle, od_consumers;
    uint64_t od_starts;             /* camera opens for consumers */
    atomic_int od_want_on, od_want_timeout; /* live changes: -1 = none */

    /* stats */
    pthread_mutex_t stats_lock;
    struct bd_accum acc;
    int64_t lat[BD_LATENCY_RING];
    int lat_pos, lat_count;
    int64_t start_ns, tick_ns, tick_cpu;
    uint64_t tick_in, tick_out, tick_masks;
    double rate_in, rate_out, rate_cpu, rate_masks;
};

int64_t bd_now_ns(void);
int64_t bd_cpu_ns(clockid_t clk);
/* Updates the once-a-second rates; with fn, hands it the stats (force:
 * now, else at most once a second). */
void bd_pipeline_tick_status(struct bd_pipeline *p, bd_pipeline_status_fn fn, void *user,
                             int force);

/* pipeline.c, for run's loop and for bd_filter (filter.c), so that both
 * go through one per-frame path. step: p->frame_view → model input,
 * mask, composite → p->out → sinks (the filter's is "null"); 0, 1
 * (preview closed) or an error. infer_start/stop: the inference thread
 * (stop joins it; no-op when none runs). forget: drops the temporal state
 * (the stream's maps and box, the refiner's history, the mask) once no
 * run is in flight. tick: the once-a-second rates of the stats. */
int bd_pipeline_step(struct bd_pipeline *p, int64_t capture_ns, int64_t pts_us);
int bd_pipeline_infer_start(struct bd_pipeline *p);
void bd_pipeline_infer_stop(struct bd_pipeline *p);
void bd_pipeline_forget(struct bd_pipeline *p);
void bd_pipeline_tick(struct bd_pipeline *p);

/* create.c: the one set-up. io NULL: frames handed in (ext_w x ext_h,
 * ext_pace), as bd_pipeline_create_external; else io's source and sinks
 * (ext_w 0). */
int bd_pipeline_create_io(const struct bd_pipeline_config *config, int ext_w, int ext_h,
                          enum bd_pace ext_pace, const struct bd_pipeline_io *io,
                          struct bd_pipeline **out);
/* create.c: s->fps and s->interval_ns from s->fps_num / fps_den (an
 * unknown rate: fps 0, paced at 30); every kind of source ends with it. */
void bd_source_set_rate(struct bd_source *s);
/* create.c: a pipeline whose frames are handed in (SRC_EXTERNAL, width x
 * height, even) and whose output is p->out (sink "null"); config.input
 * and config.output are ignored. pace LIVE: the inference thread (started
 * by the caller); OFFLINE: the model runs inside step. */
int bd_pipeline_create_external(const struct bd_pipeline_config *config, int width, int height,
                                enum bd_pace pace, struct bd_pipeline **out);
/* run.c: sleeps until deadline (monotonic ns); 1 when a STOP request came. */
int bd_pipeline_sleep_until(struct bd_pipeline *p, int64_t deadline_ns);
/* BD_OK, or the inference thread's error (re-raised on this thread). */
int bd_pipeline_infer_status(struct bd_pipeline *p);

/* source.c */
int bd_pipeline_source_open(struct bd_pipeline *p);
int bd_pipeline_source_start(struct bd_pipeline *p);
/* Fills p->frame with the next frame: BD_OK, BD_PIPELINE_EOF,
 * BD_PIPELINE_STALL or an error. */
int bd_pipeline_source_next(struct bd_pipeline *p, int64_t *capture_ns, int64_t *pts_us);
void bd_pipeline_source_stop(struct bd_pipeline *p);
void bd_pipeline_source_close(struct bd_pipeline *p);

/* sink.c */
int bd_pipeline_sinks_open(struct bd_pipeline *p);
/* Writes p->out (repeat: the last frame again). 0, 1 (preview closed) or
 * an error. */
int bd_pipeline_sinks_write(struct bd_pipeline *p, int64_t pts_us, int repeat);
/* Finishes file sinks (trailer, close): BD_OK or the error. */
int bd_pipeline_sinks_finish(struct bd_pipeline *p);
/* Closes the device sinks (loopback, PipeWire): the devices are free. */
void bd_pipeline_sinks_release(struct bd_pipeline *p);
void bd_pipeline_sinks_close(struct bd_pipeline *p);

/* ondemand.c */
/* After the sinks are open: with config.on_demand and a camera output,
 * starts counting consumers and closes the camera until one streams. */
int bd_pipeline_ondemand_open(struct bd_pipeline *p);
/* At the top of each frame-loop turn: 0 = read the input as usual; 1 =
 * idle (the placeholder was kept fed and the turn slept); or an error. */
int bd_pipeline_ondemand_tick(struct bd_pipeline *p);
void bd_pipeline_ondemand_close(struct bd_pipeline *p);
/* A live change of "on-demand" (on 1/0, -1 keep) and "idle-timeout"
 * (seconds, -1 keep): any thread; the frame thread applies it on its next
 * turn (outputs that are not a camera ignore it). */
void bd_pipeline_ondemand_request(struct bd_pipeline *p, int on, int idle_timeout_s);

/* create.c: the model bundle. open: the model, its zoom partner and
 * their engines, for name (a built-in name or a path; not "auto"); alloc:
 * the buffers and the refiner (with ro's options) for p's frame size.
 * Any thread: they read only what create fixed. On error b is freed (open:
 * *out NULL) and bd_last_error() says why. */
int bd_model_bundle_open(const struct bd_pipeline *p, const char *name,
                         struct bd_model_bundle **out);
int bd_model_bundle_alloc(const struct bd_pipeline *p, const struct bd_refine_options *ro,
                          struct bd_model_bundle *b);
void bd_model_bundle_free(struct bd_model_bundle *b);
/* "auto" → on a file-to-file run RVM when installed
 * (bd_model_auto_offline), else the built-in model for p's frame size
 * (bd_model_for_shape); else name. */
const char *bd_model_resolve(const struct bd_pipeline *p, const char *name);
/* MediaPipe's model for the frame's shape: "auto" on the camera, and the
 * person part RVM's alpha is fused with. */
const char *bd_model_for_shape(const struct bd_pipeline *p);

/* live.c */
/* After setup_effect: the live settings as create made them. */
int bd_pipeline_live_init(struct bd_pipeline *p);
/* Frame thread, between frames: takes the newest settings, if any came,
 * and applies them (no allocation, no I/O). BD_OK or an error. */
int bd_pipeline_live_take(struct bd_pipeline *p);
/* Frame thread: SIGUSR1's toggle, kept in the live settings ("enabled"). */
void bd_pipeline_live_toggle(struct bd_pipeline *p);
void bd_pipeline_live_free(struct bd_pipeline *p);
/* bd_filter_set_background_image's work, on any thread (as
 * bd_pipeline_set): the image becomes the background and the effect. */
int bd_pipeline_set_background_image(struct bd_pipeline *p, const struct bd_image *im);
/* Gives dst the live settings src has now (bd_pipeline_set on dst, in an
 * order their meanings allow), each only where dst's differs: a filter
 * made again for a new frame size keeps what was set on the old one. */
int bd_pipeline_live_copy(struct bd_pipeline *dst, struct bd_pipeline *src);

/* background_file.c (none.c: "no files in this build") */
/* Opens path and decodes its first frame into b; a still is also fitted to
 * width x height (when width > 0), into reuse's fitted buffer when it has
 * one of that size (taken from it; reuse may be NULL). Any thread; touches
 * no pipeline. On error b is empty and bd_last_error() says why. */
int bd_background_prepare(const char *path, int fit, int width, int height,
                          struct bd_bg_bundle *reuse, struct bd_bg_bundle *b);
int bd_pipeline_background_load(struct bd_pipeline *p);

/* background.c */
void bd_background_free(struct bd_bg_bundle *b);
/* Fits b->img to width x height into b->fit (reuse's buffer when it has
 * one of that size). */
int bd_background_fit(struct bd_bg_bundle *b, int fit, int width, int height,
                      struct bd_bg_bundle *reuse);
/* Decoded pixels (RGB or RGBA, bd_filter_set_background_image's contract)
 * → a new I420 image (*mem to free); BD_OK or the error naming what is
 * wrong. */
int bd_background_image_to_i420(const struct bd_image *im, uint8_t **mem, struct bd_i420 *img);
/* A background from an I420 image: a copy (b->img) and, when width > 0,
 * fitted to width x height (reuse as in bd_background_prepare). Any
 * thread. */
int bd_background_from_i420(const struct bd_i420 *src, int fit, int width, int height,
                            struct bd_bg_bundle *reuse, struct bd_bg_bundle *b);
/* Frame thread (or before run): b becomes the pipeline's background, and
 * b gets the one it replaced. */
void bd_pipeline_background_swap(struct bd_pipeline *p, struct bd_bg_bundle *b);
/* msg (bd_background_prepare's error) without its "video 'path': " or
 * "image 'path': " prefix, for messages that name the setting and the path themselves:
 * "background 'path': why", the same at create and on a live set. */
const char *bd_background_reason(const char *msg, const char *path);
/* (bd_pipeline_background_load, background_file.c: opens p->bg_path and
 * decodes its first frame into p->bg, the old background, if any, kept
 * when this fails; needs no compositor, so create calls it before any
 * device is opened.) apply: hands p->bg to the compositor. */
int bd_pipeline_background_apply(struct bd_pipeline *p);
void bd_pipeline_background_close(struct bd_pipeline *p);

/* live_input.c (none.c: "no camera in this build"): a live camera switch.
 * prepare: another camera (v) opened at the stream's size and started,
 * for bd_pipeline_set, else an error naming cur (the one in use); take:
 * the frame thread's side once src.cap is cap; wait_closed: after the
 * publication of cap, until the frame thread gave the old one back, which
 * it closes; close: NULL is a no-op. */
int bd_pipeline_input_prepare(struct bd_pipeline *p, const char *v, const char *cur,
                              struct bd_v4l2_capture **cap);
void bd_pipeline_input_take(struct bd_pipeline *p, struct bd_v4l2_capture *cap);
void bd_pipeline_input_wait_closed(struct bd_pipeline *p, const struct bd_v4l2_capture *cap);
void bd_pipeline_input_close(struct bd_v4l2_capture *cap);

#endif
