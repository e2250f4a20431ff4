/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * backdrop: real-time person segmentation and background replacement.
 *
 * This is the whole public API. Everything else (the CLI, later the
 * GStreamer element and the OBS plugin) is a client of it.
 *
 * Conventions
 *  - Every fallible function returns enum bd_status; BD_OK is 0, errors are
 *    negative. bd_status_str() names a status; bd_last_error() gives the
 *    human-readable detail of the last failure on the calling thread (which
 *    file, which op, what to do).
 *  - Objects come in create/destroy pairs. destroy(NULL) is a no-op.
 *  - Images are passed as (pixels, stride, width, height) like libyuv;
 *    strides are in bytes and may be larger than width * bytes-per-pixel.
 *  - The library never exits or aborts the process and does no I/O per frame.
 *  - Threading: a bd_model is immutable once opened and may be shared by any
 *    number of threads and engines. A bd_engine is used by one thread at a
 *    time (callers serialise), but different engines run concurrently.
 */
#ifndef BACKDROP_H
#define BACKDROP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BD_VERSION_MAJOR 0
#define BD_VERSION_MINOR 1
#define BD_VERSION_PATCH 0

/* One status enum for the whole library. */
enum bd_status {
    BD_OK = 0,
    BD_ERR_INVALID_ARG = -1,  /* a parameter is out of range or NULL */
    BD_ERR_NOMEM = -2,        /* an allocation failed */
    BD_ERR_IO = -3,           /* a file could not be opened, read or written */
    BD_ERR_FORMAT = -4,       /* a file is corrupt, truncated or not of its kind */
    BD_ERR_UNSUPPORTED = -5,  /* valid input using an op, option or format we lack */
    BD_ERR_BACKEND = -6,      /* the inference backend failed or is unavailable */
    BD_ERR_NOT_FOUND = -7,    /* a named model, class or device does not exist */
};

/* Returns a static, short English name of status (never NULL). */
const char *bd_status_str(enum bd_status status);

/*
 * Returns the detail message of the last error raised on the calling thread,
 * e.g. "model 'x.tflite': op SQUARED_DIFFERENCE (#3) is not supported".
 * The string is thread-local and valid until the next failing call on the
 * same thread. Never NULL (empty when there was no error).
 */
const char *bd_last_error(void);

/* Returns "MAJOR.MINOR.PATCH". */
const char *bd_version(void);

/* ------------------------------------------------------------------------ */
/* Models                                                                    */

/* How a model's output tensor is turned into a person probability. */
enum bd_output_kind {
    BD_OUTPUT_PROBABILITY = 0, /* 1 channel, already in [0,1] (sigmoid applied) */
    BD_OUTPUT_SOFTMAX2 = 1,    /* 2 channels, softmax; channel 1 = person */
    BD_OUTPUT_CLASSES = 2,     /* N class scores; P = sigmoid(score[class] - best
                                  other score): >= 0.5 where class is the argmax */
    BD_OUTPUT_LOGIT = 3,       /* 1 channel logit; sigmoid gives P(person) */
};

/* How 8-bit RGB pixels are mapped to the model's float input. */
enum bd_input_range {
    BD_RANGE_0_1 = 0,   /* x / 255 */
    BD_RANGE_M1_1 = 1,  /* x / 127.5 - 1 */
};

#define BD_MAX_CLASSES 32

/* What a model is, as read from its file and its descriptor. */
struct bd_model_info {
    const char *name;          /* built-in name or the file's base name */
    const char *description;   /* one line */
    int in_width, in_height, in_channels;
    int out_width, out_height, out_channels;
    enum bd_output_kind output_kind;
    enum bd_input_range input_range;
    int default_class;         /* class whose probability is the mask */
    int num_classes;           /* 1 for probability/logit models */
    const char *class_names[BD_MAX_CLASSES]; /* NULL where unnamed */
    int num_ops;               /* operators after load-time folding */
    int num_tensors;
    size_t weight_bytes;       /* fp32 constants after folding */
};

struct bd_model;

/*
 * Opens a model. name_or_path is either a built-in model name (see
 * bd_builtin_model_name(); "general" and "landscape" are embedded in the
 * library) or a path to a .tflite file.
 * The file is read once and fully validated: every offset, length and index
 * is checked, shapes are inferred and compared, fp16 weights are converted.
 * Errors: BD_ERR_IO (cannot read), BD_ERR_FORMAT (corrupt), BD_ERR_UNSUPPORTED
 * (an op or option we lack; the detail names the op and the model),
 * BD_ERR_NOMEM, BD_ERR_NOT_FOUND (no such built-in and no such file).
 * On success *out owns everything it needs; the file is not kept open.
 */
enum bd_status bd_model_open(const char *name_or_path, struct bd_model **out);

/*
 * Same as bd_model_open() for a model already in memory. name is used in
 * messages and info. data is only read during the call.
 */
enum bd_status bd_model_open_memory(const void *data, size_t size,
                                    const char *name, struct bd_model **out);

/*
 * Opens a TensorFlow.js graph model (model.json at json_path, its weight
 * files beside it), specialised for width x height RGB input and the
 * model's "downsample_ratio" (0 < ratio <= 1): Robust Video Matting
 * (rvm.json, fetched by scripts/fetch-models.sh DIR rvm) and graphs built
 * the same way (an image input "src", an alpha output "pha", optional
 * recurrent state r1i..r4i fed from r1o..r4o). The graph is folded for that
 * size at open; another size needs another model. Input RGB in [0,1];
 * output pha, width x height x 1, a probability. Engines of a model with
 * recurrent state keep it per engine (see bd_engine_reset_state); under
 * xnnpack the ops it lacks run on the ref kernels in between.
 * Errors: BD_ERR_INVALID_ARG (size or ratio out of range), BD_ERR_IO,
 * BD_ERR_FORMAT (corrupt JSON or weights, a missing weight file; the detail
 * names the file or node), BD_ERR_UNSUPPORTED (an op the engine lacks; the
 * detail names the node and its op), BD_ERR_NOMEM.
 */
enum bd_status bd_model_open_tfjs(const char *json_path, int width, int height,
                                  float downsample_ratio, struct bd_model **out);

/*
 * Robust Video Matting by name, as `--model rvm` opens it: rvm.json and
 * rvm.bin from $BACKDROP_RVM_DIR, else $BACKDROP_MODEL_CACHE/rvm-3.0.4, else
 * ${XDG_CACHE_HOME:-~/.cache}/backdrop/rvm-3.0.4 (where `make models-rvm`
 * and scripts/fetch-models.sh DIR rvm put them). The model is made for a
 * frame of width x height: its input is that size, scaled down to 1280 on
 * the longer side when larger (bd_rvm_size); ratio 0 picks the downsample
 * ratio from that size (bd_rvm_auto_ratio), else 0 < ratio <= 1. Errors:
 * BD_ERR_NOT_FOUND (the files are missing: the message says how to fetch
 * them), BD_ERR_INVALID_ARG, and bd_model_open_tfjs's.
 */
enum bd_status bd_model_open_rvm(int width, int height, float ratio, struct bd_model **out);

/* 1 when name is the RVM model's ("rvm"), which bd_model_open does not
 * open (it is made per frame size: bd_model_open_rvm). */
int bd_model_is_rvm(const char *name);

/* What "auto" means for a job that is not live: "rvm" when RVM's files are
 * installed (bd_rvm_path), else NULL (the caller's MediaPipe choice). Photos
 * (bd_still) and file-to-file runs (a file in, a named file out) take it:
 * there RVM fused with our mask is the better mask (bench/rvm-fusion.md:
 * trimap MAD -26% on the composites, IoU and boundary F up on the
 * composites and the real photos) and time matters less (about 1 s a
 * photo, 330 ms a 720p frame). The camera, filters and pipes keep
 * MediaPipe: RVM gives about 2 masks a second. */
const char *bd_model_auto_offline(void);

/* The path of rvm.json (see bd_model_open_rvm) into path (size bytes);
 * BD_ERR_NOT_FOUND, naming it and how to fetch it, when either file is
 * missing. */
enum bd_status bd_rvm_path(char *path, size_t size);

/* The downsample ratio chosen for a width x height input: 512 / the longer
 * side (1 up to 512), as the reference measurements used, but at
 * least 0.5 for inputs of up to 1280x720's pixels (0.5 at 1280x720:
 * bench/rvm-fusion.md). */
float bd_rvm_auto_ratio(int width, int height);

/* The size RVM runs at for a width x height frame: the same up to 1280 on
 * the longer side, else scaled to 1280 (even sizes). */
void bd_rvm_size(int width, int height, int *model_width, int *model_height);

/* Frees a model. All engines created from it must be destroyed first. */
void bd_model_destroy(struct bd_model *model);

/* Fills *info. Pointers inside stay valid for the model's lifetime. */
void bd_model_get_info(const struct bd_model *model, struct bd_model_info *info);

/*
 * The built-in model whose engine should take the zoom pass's second look
 * for this one (bd_segment_options.zoom_engine, bd_mask_options.
 * zoom_engine): "general" for a model whose input is wider than 4:3 (the
 * landscape model), which would squash a person's box; NULL when the model
 * takes its own second look, or has no RGB input. The camera pipeline and
 * `backdrop mask` follow it. Thread-safe; model is only read.
 */
const char *bd_model_zoom_partner(const struct bd_model *model);

/*
 * Looks up a class by name ("person") or decimal index ("15").
 * Returns the index, or -1 with bd_last_error() set.
 */
int bd_model_find_class(const struct bd_model *model, const char *name_or_index);

/* Number of models embedded in the library, and their names (0-based). */
int bd_builtin_model_count(void);
const char *bd_builtin_model_name(int index);

/* ------------------------------------------------------------------------ */
/* Inference engines                                                         */

enum bd_backend {
    BD_BACKEND_AUTO = 0,    /* the faster on this CPU for this model, by a
                             * rule measured per model (docs/ARCHITECTURE.md);
                             * xnnpack when available otherwise, else ref */
    BD_BACKEND_XNNPACK = 1, /* Debian's libxnnpack */
    BD_BACKEND_REF = 2,     /* portable C, compiler-vectorised */
};

/* Returns "auto", "xnnpack" or "ref". */
const char *bd_backend_name(enum bd_backend backend);

struct bd_engine_options {
    enum bd_backend backend;
    int threads;            /* 0 = default (1, see docs/ARCHITECTURE.md) */
};

struct bd_engine;

/*
 * Creates an inference engine for model: plans tensor memory, builds the
 * backend's graph, allocates everything it will ever need. options may be
 * NULL for defaults. The model must outlive the engine.
 * Errors: BD_ERR_BACKEND (xnnpack requested but unusable),
 * BD_ERR_UNSUPPORTED, BD_ERR_NOMEM.
 */
enum bd_status bd_engine_create(const struct bd_model *model,
                                const struct bd_engine_options *options,
                                struct bd_engine **out);

void bd_engine_destroy(struct bd_engine *engine);

/* The model the engine runs. */
const struct bd_model *bd_engine_model(const struct bd_engine *engine);

/* The backend actually in use (never BD_BACKEND_AUTO). */
enum bd_backend bd_engine_backend(const struct bd_engine *engine);

/*
 * The model's input tensor: float32 NHWC, in_height*in_width*in_channels
 * values, owned by the engine, valid until destroy. Fill it, then run.
 */
float *bd_engine_input(struct bd_engine *engine);

/* The model's first output tensor, float32 NHWC; valid after a run. */
const float *bd_engine_output(const struct bd_engine *engine);

/*
 * Runs the model on the input tensor. No allocation, no I/O.
 * A model with recurrent state (bd_model_open_tfjs) reads the state the
 * engine's previous successful run left, or zeros on the engine's first
 * run, after bd_engine_reset_state, and after a failed run.
 */
enum bd_status bd_engine_run(struct bd_engine *engine);

/*
 * Makes the next bd_engine_run start from zero recurrent state, as on a
 * new engine's first frame. Call it when the frames stop following each
 * other: a new input format or size, a seek, a loop back to the start of a
 * file, a new file. A no-op for models without state. Cheap (no memory is
 * touched until the next run); same thread rules as bd_engine_run.
 */
void bd_engine_reset_state(struct bd_engine *engine);

/* ------------------------------------------------------------------------ */
/* Segmentation of 8-bit images                                              */

struct bd_segment_options {
    int class_index;   /* -1 = the model's default class */
    /* Also run the model on the mirror image and average the two maps
     * (mirrored back): fewer false edges and a steadier mask, for twice
     * the inference time. */
    int mirror_average; /* 0 = off */
    /* Optional, with mirror_average: asked (on the calling thread) before
     * the mirror run; nonzero skips it, and prob is the one run's map. A
     * pipeline that is stopping uses it to stop a run sooner. */
    int (*skip_mirror)(void *opaque);
    void *opaque;
    /* The zoom pass: where the person (the map at or above 0.5) fills less
     * than 90% of the image, a second look at their box (widened by 5%),
     * whose map replaces the first look's there; the mirror average, when
     * asked, goes to that second look. Up to one run more than without it.
     * bench/quality (general, 1280x720): IoU 0.918 -> 0.944, boundary F
     * 0.711 -> 0.757. 0 = off. A model whose input is wider than 4:3
     * squashes a person's box: it gets no second look unless zoom_engine
     * is set. */
    int zoom;
    /* Optional, with zoom: the engine of the second look (NULL: this one),
     * e.g. the general model's beside the landscape one's; its model's
     * default class is used. Not used concurrently by others meanwhile. */
    struct bd_engine *zoom_engine;
    /* 1: the model sees the mirror image only (one run), and the map is
     * mirrored back; mirror_average is then ignored. A stream that
     * alternates it frame by frame and averages consecutive maps gets the
     * mirror average's benefit at one run per frame (the camera does).
     * Not with zoom. */
    int mirrored;
};

/*
 * Segments one RGB24 image (3 bytes per pixel, R first).
 * The whole image is scaled to the model's input size, normalised, run, and
 * the person probability is decoded into prob (model output size,
 * out_width*out_height floats in [0,1], caller-owned).
 * Errors: BD_ERR_INVALID_ARG.
 */
enum bd_status bd_engine_segment_rgb(struct bd_engine *engine,
                                     const uint8_t *rgb, int rgb_stride,
                                     int width, int height,
                                     const struct bd_segment_options *options,
                                     float *prob);

/*
 * Upsamples a low-resolution probability map (src_w x src_h floats, tightly
 * packed) bilinearly with half-pixel centres into an 8-bit mask of
 * dst_width x dst_height (0 = background, 255 = person).
 */
void bd_mask_upsample_bilinear(const float *src, int src_width, int src_height,
                               uint8_t *dst, int dst_stride,
                               int dst_width, int dst_height);

/* ------------------------------------------------------------------------ */
/* Mask refinement                                                           */
/*
 * Turns the model's low-resolution person probability into a full-size
 * 8-bit mask whose edges follow the frame (edge-aware upsampling: a fast
 * guided filter whose coefficients are computed at a reduced "working"
 * resolution, 1/k of the region with k in {1,2,4,8}, then interpolated
 * bilinearly and applied to the full-resolution guide), mapped to coverage
 * by a smoothstep, optionally grown/shrunk and feathered, and smoothed over
 * time where the frame is still (motion-adaptive, so moving edges are not
 * delayed; changes of a few levels are ignored). See src/mask/refine.c for
 * the algorithm and the measurements behind the defaults. AVX2 kernels
 * (16-bit fixed point) with plain C twins giving the same bytes are picked
 * once at create (BACKDROP_MASK_ISA=base forces C).
 */

struct bd_refine_options {
    int edge_aware;   /* 1: guided by the frame (default); 0: plain bilinear */
    int radius;       /* guided-filter window radius in full-res pixels,
                         0 = automatic (6 cells of the model's output) */
    float eps;        /* guided-filter regularisation on 0..1 intensities
                         (larger: smoother, follows the frame less; 3e-5) */
    float lo, hi;     /* coverage: smoothstep from lo to hi (0..1, lo < hi;
                         default 0.4 .. 0.6); lo = 0, hi = 1 keeps the
                         probability as is */
    int feather;      /* extra softening of the edge in px (0 = none) */
    int grow;         /* > 0 dilate, < 0 erode the mask, in full-res px */
    int temporal;     /* 1: motion-adaptive temporal smoothing (default) */
};

/* Fills *o with the defaults (edge-aware, automatic radius, temporal on). */
void bd_refine_options_default(struct bd_refine_options *o);

struct bd_refiner;

/*
 * Creates a refiner. width x height: the full-resolution region (the part
 * of the frame the model saw); low_width x low_height: the model's output
 * size (each 1..16384, low no larger than full). o may be NULL for the
 * defaults; it is copied. Every buffer run will use is allocated here.
 * Errors: BD_ERR_INVALID_ARG (sizes or options out of range), BD_ERR_NOMEM.
 */
enum bd_status bd_refiner_create(int width, int height, int low_width, int low_height,
                                 const struct bd_refine_options *o, struct bd_refiner **out);

/* Frees a refiner. NULL is a no-op. */
void bd_refiner_destroy(struct bd_refiner *r);

/*
 * Refines one mask. low: 8-bit probability (low_width x low_height, 0 ..
 * 255 = person); guide_y: the frame's luma over the region (width x
 * height); guide_u, guide_v: its chroma at half resolution (ceil(width/2)
 * x ceil(height/2), I420 siting), both NULL for a luma-only guide; dst:
 * the full-resolution mask (width x height, 0 background .. 255 person).
 * Strides in bytes, each at least the row's width. Consecutive calls are
 * taken as consecutive frames of one stream (temporal state is kept; call
 * bd_refiner_reset for a new stream or a still image). Allocates nothing;
 * one thread at a time per refiner. Errors: BD_ERR_INVALID_ARG (NULL
 * pointer, stride too small, only one of guide_u/guide_v); dst is then
 * left untouched.
 */
enum bd_status bd_refiner_run(struct bd_refiner *r, const uint8_t *low, int low_stride,
                              const uint8_t *guide_y, int guide_stride_y,
                              const uint8_t *guide_u, const uint8_t *guide_v,
                              int guide_stride_uv, uint8_t *dst, int dst_stride);

/* Forgets the temporal state: the next run starts a new stream. NULL is a
 * no-op. */
void bd_refiner_reset(struct bd_refiner *r);

/*
 * A matte (RVM's alpha) fused with a person mask (the selfie model's
 * refined mask), both width x height, 0 .. 255 = person (issue 18;
 * bench/rvm-fusion.md measured each):
 *  - BD_FUSE_MEAN: a mean, alpha weighted by w/256 and person by
 *    (256 - w)/256, w = weight where the person mask is sure (0 or 255)
 *    and edge_weight where it is unsure (127, 128), linear in
 *    |2 person - 255| between; weight = edge_weight = 128 is the plain mean;
 *  - BD_FUSE_GATE: the alpha where the person mask (>= 128), dilated by
 *    radius px (a square window), has the person; 0 elsewhere;
 *  - BD_FUSE_BAND: the alpha within radius px of the person mask's
 *    boundary (dilated and not eroded), the person mask elsewhere.
 */
enum bd_fuse_mode { BD_FUSE_MEAN = 0, BD_FUSE_GATE = 1, BD_FUSE_BAND = 2 };
struct bd_fuse_options {
    enum bd_fuse_mode mode;
    int radius;      /* GATE, BAND: px, 0..1024 */
    int weight;      /* MEAN: the alpha's share in 1/256 where the person mask is sure, 0..256 */
    int edge_weight; /* MEAN: its share where the person mask is unsure, 0..256 */
};

/* The fusion `--model rvm` makes of a width x height frame (the one
 * bench/rvm-fusion.md chose), into *o. */
void bd_fuse_options_default(int width, int height, struct bd_fuse_options *o);

/* The temporal smoothing --model rvm gives its fused mask in a video
 * (camera, files, bd_filter; not stills): a bd_refiner made with these
 * options at the frame's size (low = full size), run on each fused mask
 * with the frame's luma as guide. Plain (not edge-aware), the coverage as
 * it is (lo 0, hi 1), temporal on: bench/rvm-fusion.md's temporal set,
 * flicker 0.16 -> 0.10 (the default mask's 0.17), edge lag 0; with the
 * conf 0.4 / edge 1 fusion at ratio 0.5: 0.10 -> 0.09, in the trimap band
 * 1.68 -> 0.82. */
void bd_fuse_smooth_options(struct bd_refine_options *o);

/* Bytes of scratch bd_mask_fuse needs for a width x height mask. */
size_t bd_mask_fuse_scratch(int width, int height);

/*
 * Writes the fusion of alpha and person into out (which may be alpha;
 * person only for BD_FUSE_MEAN). scratch: bd_mask_fuse_scratch bytes, 4-aligned
 * (NULL allowed for BD_FUSE_MEAN). Allocates nothing; O(width x height)
 * whatever the radius. Errors: BD_ERR_INVALID_ARG.
 */
enum bd_status bd_mask_fuse(const uint8_t *alpha, int alpha_stride, const uint8_t *person,
                            int person_stride, int width, int height,
                            const struct bd_fuse_options *options, void *scratch, uint8_t *out,
                            int out_stride);

/* How bd_segment_image makes a still image's mask. Zero = defaults. */
struct bd_mask_options {
    int use_class;      /* 0: the model's default class; 1: class_index */
    int class_index;
    int raw;            /* 1: the model output upsampled bilinearly, no refinement
                           (and one model run: the baseline) */
    const struct bd_refine_options *refine; /* NULL: defaults, temporal off */
    int no_mirror_average; /* 1: one model run; 0: also the mirror image,
                              averaged (bd_segment_options.mirror_average) */
    int no_zoom;        /* 1: no zoom pass; 0: a second look at the person's
                           box (bd_segment_options.zoom) */
    /* Optional: the engine of the second look (bd_segment_options.
     * zoom_engine; NULL: the first look's). A model wider than 4:3 takes
     * no second look of its own: give it the general model's engine, as
     * the camera does (`backdrop mask` and `cutout` do). Borrowed, not
     * used by others during the call. */
    struct bd_engine *zoom_engine;
};

/*
 * The person mask of one RGB24 image (R first) at its own size: segment
 * (bd_engine_segment_rgb), then refine with the image as the guide (or
 * upsample bilinearly with raw). mask: width x height bytes at
 * mask_stride, caller-owned. For still images and tools: it allocates its
 * working buffers per call (the camera pipeline does not use it).
 * Errors: BD_ERR_INVALID_ARG, BD_ERR_NOMEM, and the engine's.
 */
enum bd_status bd_segment_image(struct bd_engine *engine, const uint8_t *rgb, int rgb_stride,
                                int width, int height, const struct bd_mask_options *options,
                                uint8_t *mask, int mask_stride);

/* ------------------------------------------------------------------------ */
/* Still images                                                              */

/* An 8-bit image owned by the library (free with bd_image_free). */
struct bd_image {
    int width, height;
    int channels;       /* 1 gray, 3 RGB, 4 RGBA */
    int stride;         /* bytes per row */
    uint8_t *data;
};

/*
 * Decodes a JPEG or PNG file (detected by content, not by name) into RGB24
 * (channels = 3). Images over max_pixels (0 = 64 megapixels) are refused
 * before decoding. Errors: BD_ERR_IO (cannot open), BD_ERR_FORMAT (not a
 * JPEG/PNG, or corrupt), BD_ERR_UNSUPPORTED (too large), BD_ERR_NOMEM.
 * On failure img is zeroed.
 */
enum bd_status bd_image_load(const char *path, size_t max_pixels, struct bd_image *img);

/*
 * Writes pixels as an 8-bit PNG; channels 1 (gray), 3 (RGB) or 4 (RGBA).
 * Errors: BD_ERR_IO, BD_ERR_INVALID_ARG.
 */
enum bd_status bd_image_write_png(const char *path, const uint8_t *pixels, int stride,
                                  int width, int height, int channels);

/* Frees img's pixels and zeroes it. NULL is a no-op. */
void bd_image_free(struct bd_image *img);

struct bd_pipeline_config;

/*
 * A still-image segmenter: the model, its engine (and the zoom pass's),
 * and the mask options with which people are cut out of photos. The
 * command's `mask`, `cutout` and `bench` use it, and so can any client.
 * Made from a config (bd_settings_to_config), of which it reads only what
 * the options marked BD_OPTION_STILL set: model (NULL or "auto" is the
 * general model: the better one on photos of any shape, bench/quality),
 * model_class, backend, threads, raw_mask, refine (temporal is always
 * off: each image stands alone), no_mirror_average and no_zoom. The
 * config's strings are copied. Errors: BD_ERR_NOT_FOUND (no such model or
 * class), BD_ERR_FORMAT (a damaged model), BD_ERR_UNSUPPORTED (a model
 * that does not take RGB), BD_ERR_BACKEND, BD_ERR_INVALID_ARG, BD_ERR_NOMEM;
 * bd_last_error() names the model or the class.
 */
struct bd_still;
enum bd_status bd_still_create(const struct bd_pipeline_config *config, struct bd_still **out);

/* NULL is a no-op. */
void bd_still_destroy(struct bd_still *still);

/* The model that create opened (for messages and tools); valid until destroy. */
const struct bd_model *bd_still_model(const struct bd_still *still);

/* Its engine, for tools that run the model on tensors of their own
 * (bd_engine_input, bd_engine_run); owned by the segmenter. */
struct bd_engine *bd_still_engine(struct bd_still *still);

/*
 * The person mask of an RGB image (channels 3, as bd_image_load gives) at
 * its own size: width x height bytes at mask_stride (0 background .. 255
 * person), caller-owned. Working buffers are allocated per call (stills
 * are not a frame loop). One thread at a time per segmenter. Errors:
 * BD_ERR_INVALID_ARG (NULL, not RGB, stride too small), BD_ERR_NOMEM and
 * the engine's.
 */
enum bd_status bd_still_mask(struct bd_still *still, const struct bd_image *image, uint8_t *mask,
                             int mask_stride);

/*
 * The image with its background made transparent: RGBA (R first, straight
 * alpha = the mask of bd_still_mask), width x height at rgba_stride bytes
 * a row, caller-owned. Errors as bd_still_mask.
 */
enum bd_status bd_still_cutout(struct bd_still *still, const struct bd_image *image,
                               uint8_t *rgba, int rgba_stride);

/*
 * A thumbnail of a background file, as the camera would show it: any image
 * or video the camera takes as a background (decoded as the background is,
 * so a file that makes a thumbnail is one the camera can use), scaled down
 * to fit max_side x max_side (8..4096; aspect kept, never enlarged, even
 * sizes) as RGB24 (channels = 3) in img (free with bd_image_free). A video
 * gives its frame about a second in (the last, if it is shorter). Errors:
 * the file source's (BD_ERR_NOT_FOUND, BD_ERR_IO, BD_ERR_FORMAT for a
 * corrupt or unknown file, BD_ERR_UNSUPPORTED), BD_ERR_INVALID_ARG,
 * BD_ERR_NOMEM; bd_last_error() names the file. On failure img is zeroed.
 */
enum bd_status bd_image_thumbnail(const char *path, int max_side, struct bd_image *img);

/* ------------------------------------------------------------------------ */
/* Devices                                                                   */

/* One V4L2 device node as `backdrop devices` shows it. */
struct bd_device_info {
    char path[64];
    char driver[32];        /* "uvcvideo", "vivid", "v4l2 loopback", ... */
    char card[64];          /* product name, or a loopback's card_label */
    int is_loopback;        /* a v4l2loopback virtual camera */
    int can_capture;        /* frames can be read (a loopback: while fed) */
    int can_output;         /* a loopback a producer may feed now */
    char formats[512];      /* capture devices: each format with its sizes
                               and best rates, "YUYV 640x480@30 ...; MJPG ..."
                               (empty when it could not be enumerated) */
};

/*
 * Lists the /dev/videoN nodes that answer VIDIOC_QUERYCAP, in N order, into
 * out[0..*count) (at most max). Nodes that vanish or deny access are left
 * out. Opening a device to list it does not disturb a program using it.
 * Returns BD_OK or BD_ERR_IO (/dev cannot be read).
 */
enum bd_status bd_devices_list(struct bd_device_info *out, int max, int *count);

/* ------------------------------------------------------------------------ */
/* The camera pipeline                                                       */
/*
 * source (camera, file, y4m stdin) → I420 → model input crop → inference
 * (own thread, newest frame) → mask → composite → output (v4l2loopback,
 * PipeWire, file, stdout, preview window). See docs/ARCHITECTURE.md.
 */

/* What replaces the background. */
enum bd_effect {
    BD_EFFECT_BLUR = 0,       /* the frame itself, blurred (default) */
    BD_EFFECT_IMAGE = 1,      /* config.background: an image or a video */
    BD_EFFECT_COLOR = 2,      /* config.color */
    BD_EFFECT_NONE = 3,       /* the camera as is (no model runs) */
};

/* How a background image is fitted to the frame. */
enum bd_fit_mode {
    BD_FIT_MODE_COVER = 0,    /* scale to fill, crop the centre */
    BD_FIT_MODE_CONTAIN = 1,  /* scale to fit, black bars */
    BD_FIT_MODE_STRETCH = 2,  /* scale to exactly the frame */
    BD_FIT_MODE_TILE = 3,     /* repeat at native size */
};

/* Pixel format written to a v4l2loopback device. */
enum bd_output_format {
    BD_OUTPUT_YUYV = 0,       /* Chrome, Firefox and Zoom all accept it */
    BD_OUTPUT_I420 = 1,
};

/* When frames are paced and masks awaited. */
enum bd_pace {
    BD_PACE_AUTO = 0,     /* live when the input is a camera or the output is a
                             camera, PipeWire or a preview; else offline */
    BD_PACE_LIVE = 1,     /* file inputs play at their rate; inference never
                             holds a frame back (frames reuse the latest mask) */
    BD_PACE_OFFLINE = 2,  /* as fast as possible; every frame gets its own mask */
};

/*
 * Everything a pipeline is made from. Zero-initialise, then set fields:
 * zero/NULL always means the default. Strings are copied by create.
 */
struct bd_pipeline_config {
    /* Input: NULL = the first working capture device; "/dev/videoN" (any
     * path under /dev/) = that V4L2 device; "-" = YUV4MPEG2 on stdin;
     * anything else = a video or image file (FFmpeg). */
    const char *input;
    /* Output: NULL = the first free v4l2loopback device; a /dev/ path = that
     * loopback device; "pipewire" = a PipeWire camera node; "-" = YUV4MPEG2
     * on stdout; "null" = discard (benchmarks); a path ending in .y4m =
     * YUV4MPEG2 file; any other path = a video file (FFmpeg, by extension). */
    const char *output;
    int width, height;         /* capture size request (0: 1280x720) */
    int fps;                   /* capture rate request (0: 30) */
    int loop;                  /* file input: start again at its end */
    enum bd_output_format output_format;
    enum bd_effect effect;
    int blur;                  /* blur radius at 1/4 scale, 0..64 (0: 12) */
    const char *background;    /* image or video file, BD_EFFECT_IMAGE */
    enum bd_fit_mode fit;
    uint32_t color;            /* 0xRRGGBB, BD_EFFECT_COLOR */
    int mirror;                /* flip the output horizontally */
    const char *model;         /* NULL/"auto": general, or landscape for
                                  frames at least 3:2 wide; a built-in name;
                                  or a .tflite path */
    int rvm_bare;              /* model "rvm": its bare alpha, not fused with
                                  the general model's person mask */
    float rvm_ratio;           /* model "rvm": its downsample ratio (0 < r
                                  <= 1); 0: bd_rvm_auto_ratio of the size */
    const char *model_class;   /* the class to segment, by name or index,
                                  for a multi-class model (DeepLab); NULL:
                                  the model's default (its person class) */
    enum bd_backend backend;
    int threads;               /* inference threads (0: 1) */
    int preview;               /* also show the output in a window (SDL2) */
    const char *pw_name;       /* PipeWire node name (NULL: "backdrop") */
    enum bd_pace pace;
    int64_t max_frames;        /* stop after this many output frames (0: no limit) */
    int raw_mask;              /* 1: the model's mask upsampled bilinearly, no
                                  refinement (for comparisons) */
    const struct bd_refine_options *refine; /* NULL: bd_refine_options_default() */
    int guide_luma;            /* 1: the refiner follows luma edges only
                                  (cheaper, worse where person and background
                                  differ in colour more than in brightness);
                                  0: Y, U and V (default) */
    int no_halo_free;          /* 1: the plain blur, into which the person's
                                  colours bleed (a halo); 0: halo-free blur */
    int light_wrap;            /* the new background's light spilling onto the
                                  person's edge, in % (1..100); 0: 30; -1: off */
    int hologram;              /* 1: the person shown as a hologram */
    int disabled;              /* 1: start with the effect off, the camera as
                                  is, until toggled (option "enabled") */
    int no_mirror_average;     /* 1: run the model once per look; 0: also on
                                  the mirror image, averaging the two
                                  (bd_segment_options.mirror_average; not with
                                  raw_mask, the one-pass baseline) */
    int no_zoom;               /* 1: no zoom pass; 0: a second look at the
                                  person's box (bd_segment_options.zoom; the
                                  box from the frame before, kept steady;
                                  for a model wider than 4:3 by the general
                                  model, which create then also opens) */
    /* On demand (issue 15), for a v4l2loopback or PipeWire output (file
     * outputs ignore it): 1 = the input is read, and the model run, only
     * while a program streams from the output; meanwhile the camera is
     * closed (its light off) and the output gets a dark placeholder frame
     * (a crossed-out camera) twice a second so that it stays listed and
     * openable. The camera opens when a consumer starts streaming (probes
     * that only open or query the device do not count) and closes
     * idle_timeout seconds after the last one stopped. create still opens
     * the camera once, briefly, to learn its size. A preview window counts
     * as a consumer that is always there. 0 = off: the camera is read from
     * run to stop (the library's default; the command line's, the config
     * file's and the service's is on: the options table). */
    int on_demand;
    int idle_timeout;          /* seconds, 0..3600 (0: 5) */
};

/* Counters and timings, cumulative since run started unless noted. */
struct bd_pipeline_stats {
    int width, height;          /* frame size */
    double fps;                 /* the input rate in frames per second, 0 unknown */
    uint64_t frames_in;         /* frames read from the source */
    uint64_t frames_out;        /* frames written (repeats included) */
    uint64_t repeated;          /* frames re-sent because the input stalled */
    uint64_t dropped;           /* input frames lost: driver sequence gaps,
                                   corrupt frames, frames the output refused */
    uint64_t inferences;        /* frames the inference thread took: each got
                                   a new mask, or kept the last (unchanged) */
    uint64_t zoomed;            /* of them, masks with the zoom pass's second
                                   look (bd_pipeline_config.no_zoom); a look
                                   refused as empty is not counted */
    uint64_t model_runs;        /* the model's runs for them: 0 to 3 a frame
                                   (docs/ARCHITECTURE.md, the inference policy) */
    uint64_t unchanged;         /* of them, frames whose picture had not
                                   changed since the last run: no run */
    double in_fps, out_fps;     /* over the last status interval (about 1 s) */
    double mask_fps;            /* masks a second (inferences) over that interval:
                                   below in_fps, the mask is older than the frame */
    double cpu_percent;         /* process CPU over the last interval (100 = a core) */
    /* Mean CPU milliseconds per frame of each stage (thread CPU time):
     * convert = source → I420 and the model's input; infer = the inference
     * thread's work for a frame it took (its model runs, or none when
     * unchanged; per inference, not per frame); mask = decode + upsample; composite;
     * output = format conversion + write. */
    double convert_ms, infer_ms, mask_ms, composite_ms, output_ms;
    /* Capture-to-output latency in ms over the last 1024 frames: the
     * capture timestamp (or the time a file frame was read) to the end of
     * the output write. */
    double latency_p50_ms, latency_p99_ms;
    int effect_on;              /* SIGUSR1-style toggle state */
    /* The input is lost (a camera unplugged, or no frame for a second):
     * the output repeats the last frame blurred and marked (a crossed-out
     * camera) until frames come again; a camera is looked for once a
     * second. input_losses counts the losses so far. */
    int input_lost;
    uint64_t input_losses;
    /* On demand (issue 15): idle = no program streams from the output, so
     * the camera is closed and no inference runs; consumers = programs
     * streaming from it now (-1 when on demand is off or the output cannot
     * tell; v4l2loopback 0.13+ lets one stream at a time, so 0 or 1; 0.12.x
     * counts processes with its buffers mapped; PipeWire the nodes linked
     * to the camera's). */
    int idle;
    int consumers;
    char input_name[128], output_name[128], model_name[64];
};

struct bd_pipeline;

/*
 * Environment (read by bd_pipeline_create, never per frame):
 * BACKDROP_INFER_DELAY_MS=N holds every model result back N ms (0..10000),
 * as a machine too slow for the model would: the output keeps the input's
 * rate and only the mask gets older (tests/test_pipeline.c checks this).
 */

/*
 * Opens the input and output, the model and the engine, and allocates
 * every buffer the frames will use. Nothing streams yet. Errors (each with
 * one line in bd_last_error() naming the device/file and what to do):
 * BD_ERR_NOT_FOUND (no camera, no loopback device: the message carries the
 * modprobe line, no such file), BD_ERR_IO (busy device, permission,
 * PipeWire unreachable), BD_ERR_FORMAT, BD_ERR_UNSUPPORTED, BD_ERR_BACKEND,
 * BD_ERR_INVALID_ARG, BD_ERR_NOMEM. On failure nothing stays open.
 */
enum bd_status bd_pipeline_create(const struct bd_pipeline_config *config,
                                  struct bd_pipeline **out);

/*
 * Callback for run: called on run's thread about once a second with the
 * current stats. Keep it short (it delays a frame).
 */
typedef void (*bd_pipeline_status_fn)(const struct bd_pipeline_stats *stats, void *user);

/*
 * Streams until bd_pipeline_request(BD_REQUEST_STOP), the end of a file
 * input without loop, max_frames, the preview window closed, or a fatal
 * error. Starts the inference thread and joins it before returning; the
 * input and output devices are released (and a file output finished)
 * before that join, so they are free as soon as the frame loop ends.
 * A pipeline runs once: a second call fails with BD_ERR_INVALID_ARG.
 * With config.preview, call it on the thread that created the pipeline
 * (SDL's window belongs to that thread). status may be NULL.
 * Returns BD_OK at a normal end, or the error (with bd_last_error() on the
 * calling thread). A stalled camera is not an error: the output keeps
 * getting the last frame; an unplugged one is looked for once a second.
 */
enum bd_status bd_pipeline_run(struct bd_pipeline *pipeline, bd_pipeline_status_fn status,
                               void *user);

enum bd_request {
    BD_REQUEST_STOP = 1,     /* run returns within about 0.1 s */
    BD_REQUEST_TOGGLE = 2,   /* effect off ↔ on (off = the camera as is) */
    /* 4 was BD_REQUEST_RELOAD, which read the file on the frame thread:
     * bd_pipeline_reload_background does it on the caller's */
};

/*
 * Asks a running pipeline to do something. Async-signal-safe (one atomic
 * OR), so it may be called from a signal handler or another thread.
 */
void bd_pipeline_request(struct bd_pipeline *pipeline, enum bd_request request);

/* Copies the current stats. Any thread. */
void bd_pipeline_get_stats(struct bd_pipeline *pipeline, struct bd_pipeline_stats *stats);

/* Stops what is running, releases every device and frees. NULL is a no-op. */
void bd_pipeline_destroy(struct bd_pipeline *pipeline);

/*
 * Live settings (issue 15).
 *
 * Changes one setting of a created or running pipeline, by its option name
 * (struct bd_option.name, with BD_OPTION_LIVE set) and its value as text,
 * exactly as the command line and the config file take it. Thread-safe:
 * any thread, any number of callers (the D-Bus service, signal-driven
 * requests, tests); calls are served one at a time. The value is checked
 * with the options table, and anything it needs (a background image or
 * video opened and decoded, a still fitted to the frame, a refiner made
 * for new mask options) is prepared on the caller's thread before the
 * pipeline sees it, so the frame loop never waits: the change shows in the
 * second output frame after the call returns at the latest, with no device
 * reopened and no frame dropped (before run, from run's first frame). What
 * the frame loop replaced is freed by the next call, or by destroy. On any
 * error nothing changes, the stream goes on, and the status is returned
 * with bd_last_error() naming the option, the value and why ("background
 * '/x.jpg': no such file", "blur '99' is not a whole number from 1 to
 * 64"): BD_ERR_NOT_FOUND for an unknown name (or a missing file),
 * BD_ERR_UNSUPPORTED for an option that is not live, BD_ERR_INVALID_ARG
 * for a bad value, BD_ERR_IO / BD_ERR_FORMAT for a file that cannot be
 * read or is damaged (a truncated JPEG or PNG, or a truncated or corrupt
 * model, is refused).
 *
 * Meanings: "background" FILE and "color" #RRGGBB also make it the effect;
 * "effect" background or color needs one given before (at create or
 * here); "effect" hologram (or "hologram" on) shows the person as a
 * hologram over the current background (the blur after "none"); "enabled"
 * is the state SIGUSR1's BD_REQUEST_TOGGLE flips. "model" general,
 * landscape, auto (the built-in one for the frame's shape) or a .tflite
 * path: the model is read, parsed and given its engines (and the zoom
 * pass's), with every buffer sized by it, on the caller's thread, which
 * may take a fraction of a second; the frame loop then switches to it as
 * to any setting, and the inference thread from its next input. The
 * stream goes on with the old model's mask until the new model's first
 * map; the new model starts with no temporal state (mask smoothing, zoom
 * box); model_class (fixed at create) is looked up in it, and a model
 * without that class is refused. A call may wait for the inference thread
 * to finish a run of the model it replaced before freeing that model. A
 * bad model changes nothing ("model '/x.tflite': cannot open: No such
 * file or directory; the model in use ('general') stays: give general,
 * landscape or a readable .tflite file").
 * "input" /dev/videoN, while a camera is read: the camera is opened at
 * the stream's size and started on the caller's thread, the frame loop
 * switches to it within a few frames, and the call waits for that (a
 * few frames at most) to close the old camera; missing, busy, not a
 * camera, backdrop's own output or without that size: refused, naming
 * it, the camera in use stays. On demand and idle, it opens only when a
 * program streams. A file input cannot change (BD_ERR_UNSUPPORTED).
 */
enum bd_status bd_pipeline_set(struct bd_pipeline *pipeline, const char *name, const char *value);

/*
 * The current value of a setting as text (the form bd_pipeline_set takes)
 * into buf (NUL-terminated, truncated to size). Thread-safe. A live
 * setting reads back as the last bd_pipeline_set (or toggle) accepted,
 * even before the frame loop has applied it ("model" as given, a
 * built-in name or a path, "auto" as the built-in model it chose; the
 * stats' model_name names the model the frame loop uses now); the others
 * as create made them ("output", "size" name the actual ones; "input" the
 * camera or file read, or the camera set last).
 * BD_ERR_NOT_FOUND for an unknown name, or one the pipeline does not keep
 * ("quiet", "config").
 */
enum bd_status bd_pipeline_get(struct bd_pipeline *pipeline, const char *name, char *buf,
                               size_t size);

/*
 * Reads the background file again from disk, at the path "background"
 * names now (SIGHUP's job: the user replaced the file). The same contract
 * as bd_pipeline_set(pipeline, "background", path), and served one at a
 * time with it: any thread (not a signal handler), the file opened,
 * decoded and fitted on the caller's thread, never the frame loop's, so a
 * slow or blocking file (NFS, a FIFO) delays only the caller. On error
 * (the file is now missing or damaged) nothing changes, the old
 * background stays and bd_last_error() names the file and why.
 * BD_ERR_INVALID_ARG when the effect is not a background (nothing to read).
 */
enum bd_status bd_pipeline_reload_background(struct bd_pipeline *pipeline);

/* ------------------------------------------------------------------------ */
/* The frame filter                                                          */
/*
 * The pipeline's per-frame work for frames a client hands in (a GStreamer
 * element, an OBS filter, a WebAssembly page): a frame in, the frame with
 * its background replaced out. It is the camera pipeline itself with
 * neither source nor sink (one per-frame path: the same model bundle,
 * inference policy, refiner, compositor and live settings), so its output
 * equals the camera's for the same frames and settings.
 */

/* Pixel layouts a filter takes; names as GStreamer's. All 8 bits. */
enum bd_pixel_format {
    BD_PIX_I420 = 0,  /* planes Y, U, V; chroma at half width and height */
    BD_PIX_NV12 = 1,  /* planes Y, UV interleaved (U first) at half size */
    BD_PIX_YUY2 = 2,  /* one plane, Y0 U Y1 V per two pixels (YUYV) */
    BD_PIX_RGBA = 3,  /* one plane, bytes R, G, B, A; A is written 255 */
    BD_PIX_BGRX = 4,  /* one plane, bytes B, G, R, X; X is written 255 */
    BD_PIX_UYVY = 5,  /* one plane, U Y0 V Y1 per two pixels */
};

/* The YUV colour space of a frame (GStreamer's colorimetry, OBS's
 * color_matrix / full_range). 0 (BT.601, limited range) is what the
 * library works in; a frame in another is converted on its way in and
 * back on its way out, so a colour effect of #00ff00 reads back as
 * exactly #00ff00 in the frame's own space. RGB frames ignore it. */
enum bd_color_matrix {
    BD_MATRIX_BT601 = 0,
    BD_MATRIX_BT709 = 1,
};

enum bd_color_range {
    BD_RANGE_LIMITED = 0, /* Y 16..235, U and V 16..240 */
    BD_RANGE_FULL = 1,    /* 0..255 (JPEG; many webcams) */
};

/* One frame, caller-owned. data[i] / stride[i] (bytes) for each plane the
 * format has (I420 3, NV12 2, the packed ones 1); the others unused.
 * width and height even (2..8192). YUV is in matrix and range (zero-filled:
 * BT.601 limited, as libyuv's and the camera's); RGB is converted with
 * BT.601 limited. */
struct bd_video_frame {
    enum bd_pixel_format format;
    int width, height;
    uint8_t *data[3];
    int stride[3];
    int64_t pts_ns;   /* the stream's time (a looping background video
                         follows it); any monotonic origin */
    enum bd_color_matrix matrix;
    enum bd_color_range range;
    /* 1: the rows are stored bottom-up (OBS's flip): the model sees the
     * picture upright and the output is stored bottom-up too. */
    int flip;
};

enum bd_filter_mode {
    /* For live sources (cameras, live streams): the model runs on the
     * filter's own thread, so bd_filter_process never waits for it;
     * each frame takes the newest mask there is (one or two frames old
     * when the model is slower than the frame rate). */
    BD_FILTER_LIVE = 0,
    /* For files and offline work: each frame's mask is made from that
     * frame, inside bd_filter_process, on the caller's thread (no thread
     * of the filter's own). Deterministic: the same frames and settings
     * give byte-identical output run after run. */
    BD_FILTER_EXACT = 1,
};

struct bd_filter;

/*
 * Makes a filter from a pipeline config (bd_settings_to_config, or
 * zero-filled with fields set): every field but input, output, preview,
 * pw_name, max_frames, on_demand, idle_timeout and pace (the mode sets
 * the pacing) means what it means to the camera. width x height (0:
 * 1280x720) is the frame size to prepare for; frames of another size are
 * taken too (bd_filter_process). The model and the background are opened
 * here, so a bad one fails create: BD_ERR_NOT_FOUND, BD_ERR_IO,
 * BD_ERR_FORMAT, BD_ERR_UNSUPPORTED, BD_ERR_BACKEND, BD_ERR_INVALID_ARG,
 * BD_ERR_NOMEM, with bd_last_error() naming the file and what to do.
 * In BD_FILTER_LIVE its inference thread starts here. The config's strings
 * are copied.
 */
enum bd_status bd_filter_create(const struct bd_pipeline_config *config,
                                enum bd_filter_mode mode, struct bd_filter **out);

/*
 * Replaces the background of in and writes the result to out: the same
 * format and size as in (BD_ERR_INVALID_ARG otherwise), and it may be in
 * itself (in place). Frames are taken as consecutive frames of one stream
 * (the mask is smoothed over time; bd_filter_reset after a seek). The
 * live settings that bd_filter_set accepted since the last call apply from
 * this frame on. A frame whose size differs from the last one's (or, for
 * the first frame, from create's) makes the filter again for it, with the
 * settings it has now: buffers, model buffers and a fitted background are
 * allocated then, and only then; otherwise nothing is allocated, opened
 * or started here. One thread at a time calls process, reset, mask and
 * set_mode (the streaming thread). Errors: BD_ERR_INVALID_ARG (NULL, a
 * format or stride that does not fit, formats or sizes that differ),
 * BD_ERR_UNSUPPORTED (an odd or too large size), the errors of create for
 * a remake (out is then untouched and the next frame tries again), and
 * the model's (an inference failure, which stays).
 */
enum bd_status bd_filter_process(struct bd_filter *filter, const struct bd_video_frame *in,
                                 struct bd_video_frame *out);

/*
 * Changes one live setting by its option name and value as text: exactly
 * bd_pipeline_set's contract (the options table checks it, a file or
 * model is prepared on the caller's thread, a refused value returns the
 * error with bd_last_error() naming option, value and why, and the old
 * value stays). Thread-safe, any thread, also while another thread is in
 * bd_filter_process. The change applies from the next frame processed.
 */
enum bd_status bd_filter_set(struct bd_filter *filter, const char *name, const char *value);

/*
 * The frames' rate in frames per second (GStreamer's caps framerate, OBS's
 * frame timestamps), 0 for unknown (then 30, or the config's fps, is
 * assumed). The inference policy's hold counts time, not frames
 * (docs/ARCHITECTURE.md): at a new rate (rounded to a whole fps, 1..240)
 * the next bd_filter_process makes the filter again, as for a new size,
 * with its live settings; the same rate again changes nothing.
 * Thread-safe. BD_ERR_INVALID_ARG for NULL or a rate outside 0..240.
 */
enum bd_status bd_filter_set_rate(struct bd_filter *filter, double fps);

/*
 * The background from pixels the client decoded itself (a browser, OBS,
 * GStreamer): image->channels 4 (RGBA bytes) or 3 (RGB), image->stride
 * bytes a row, from 2x2 to 8192x8192. The pixels are copied (the caller
 * keeps image); the effect becomes "background", fitted to the frame by
 * the "fit" setting. As bd_filter_set: thread-safe, prepared on the
 * caller's thread, applied from the next frame processed. The image stays
 * the background through fit and effect changes and frame-size remakes,
 * until a "background" file is set; bd_filter_get("background") is then
 * "". Errors: BD_ERR_INVALID_ARG (NULL, channels not 3 or 4, a size out
 * of range, a stride below width x channels), BD_ERR_NOMEM, with
 * bd_last_error() saying which; the old background and effect stay.
 */
enum bd_status bd_filter_set_background_image(struct bd_filter *filter,
                                              const struct bd_image *image);

/* A setting's current value as text: bd_pipeline_get's contract ("size"
 * is the frame size the filter is made for). Thread-safe. */
enum bd_status bd_filter_get(struct bd_filter *filter, const char *name, char *buf,
                             size_t size);

/*
 * The mask the last processed frame was composited with: *width x
 * *height bytes at *stride (0 background .. 255 person; 0 outside the
 * part of the frame the model sees), owned by the filter and valid until
 * the next process, set_mode or destroy. Before the first frame, or with
 * the effect off ("effect" none, "enabled" off), it is all 0 or the last
 * one made. BD_ERR_INVALID_ARG for NULL arguments.
 */
enum bd_status bd_filter_mask(struct bd_filter *filter, const uint8_t **mask, int *stride,
                              int *width, int *height);

/* Forgets the temporal state (a seek or a flush): the next frame starts
 * a new stream, as the first frame of a new filter does (in
 * BD_FILTER_EXACT, from there on byte-identical to one). NULL: no-op. */
void bd_filter_reset(struct bd_filter *filter);

/* Switches the mode between frames (the inference thread is started or
 * joined here); the temporal state stays. BD_OK, BD_ERR_INVALID_ARG or
 * BD_ERR_NOMEM (no thread: the mode stays). */
enum bd_status bd_filter_set_mode(struct bd_filter *filter, enum bd_filter_mode mode);

/* The mode it is in. */
enum bd_filter_mode bd_filter_get_mode(const struct bd_filter *filter);

/*
 * The counters of the pipeline it is (bd_pipeline_stats): frames_in,
 * frames_out, inferences, model_runs, the per-stage CPU time per frame
 * (convert is the model input's preparation; the filter's own format
 * conversions are not counted), latency (process's own time). Since the
 * last remake for a new size. Any thread.
 */
void bd_filter_get_stats(struct bd_filter *filter, struct bd_pipeline_stats *stats);

/* Joins its thread and frees everything. NULL is a no-op. */
void bd_filter_destroy(struct bd_filter *filter);

/* ------------------------------------------------------------------------ */
/* Options: the one table                                                    */

enum bd_option_type {
    BD_OPTION_FLAG = 0,    /* no value on the command line; "on"/"off" elsewhere */
    BD_OPTION_INT = 1,     /* an integer within [min, max] */
    BD_OPTION_STRING = 2,  /* text (a path, a colour, a size...) */
    BD_OPTION_CHOICE = 3,  /* one of choices[] */
};

#define BD_OPTION_LIVE 1u  /* bd_pipeline_set can change it while running */
#define BD_OPTION_STILL 2u /* the still-image segmenter takes it too (bd_still;
                              `backdrop mask`, `cutout` and `bench`) */
#define BD_OPTION_FILTER 4u /* a frame filter (the OBS filter, the GStreamer
                               element) takes it: it is about the picture, not
                               the devices, files or process around it */

/*
 * One option of the camera: the single table that drives the command line,
 * the config file, --help, the man pages, the D-Bus properties and the
 * GStreamer/OBS properties (no client keeps its own list).
 */
struct bd_option {
    const char *name;          /* long name: --name, "name = " in the config file */
    char short_name;           /* 0 if none */
    enum bd_option_type type;
    const char *help;          /* one sentence */
    const char *def;           /* the default as text, NULL for none */
    long min, max;             /* BD_OPTION_INT */
    const char *const *choices; /* BD_OPTION_CHOICE: NULL-terminated */
    unsigned flags;            /* BD_OPTION_LIVE, BD_OPTION_STILL, BD_OPTION_FILTER */
};

/* The options, in --help order; the array ends with an entry whose name is
 * NULL. Static storage, never NULL. */
const struct bd_option *bd_options(void);

/* The option of that long name, or NULL. */
const struct bd_option *bd_option_find(const char *name);

/*
 * Checks a value for an option as the command line, the config file and
 * bd_pipeline_set take it: an integer within [min, max]; one of choices[];
 * a flag's "on"/"off" (or true/false, yes/no, 1/0); a string's own syntax
 * (size "WxH", color "#RRGGBB"). BD_OK, or BD_ERR_INVALID_ARG with
 * bd_last_error() "NAME 'VALUE' WHY": it starts with the option's name, so
 * a client can say where the value was given ("--NAME ...",
 * "FILE:LINE: NAME ...").
 */
enum bd_status bd_option_check(const struct bd_option *opt, const char *value);

/*
 * Settings: option values by name, checked as they are set, turned into a
 * bd_pipeline_config. What every client (command line, config file, D-Bus,
 * plugins) uses instead of a table of its own. Not thread-safe: one owner.
 *
 * Values are kept as text (copied); an unset option has its default.
 * Meanings beyond one option, in one place: setting "background" or
 * "color" also sets "effect" to it (unless the effect is "hologram",
 * which then shows its person over that background); "hologram" on is
 * "effect hologram", off goes back to the background, the colour or the
 * blur; a flag reads back as "on"/"off".
 */
struct bd_settings;

/* Errors: BD_ERR_NOMEM. */
enum bd_status bd_settings_create(struct bd_settings **out);
/* NULL is a no-op. */
void bd_settings_destroy(struct bd_settings *settings);

/* BD_ERR_NOT_FOUND ("unknown setting 'x'"), or bd_option_check's error;
 * the old value stays on error. */
enum bd_status bd_settings_set(struct bd_settings *settings, const char *name, const char *value);

/* The value as text (the default when unset; NULL for an unknown name or
 * an unset option without a default). Valid until the option is set again
 * or the settings are destroyed. */
const char *bd_settings_get(const struct bd_settings *settings, const char *name);

/*
 * Reads a config file over the settings: one "name = value" a line (a
 * flag may be just "name"), '#' starts a comment line, a value may be
 * quoted with "..." or '...'; "config" cannot be set there, and one file
 * cannot set both "color" and "background". Stops at the first error:
 * BD_ERR_NOT_FOUND (an unknown setting, or a missing file with
 * must_exist; a missing file is fine without), BD_ERR_INVALID_ARG, BD_ERR_IO;
 * bd_last_error() starts "FILE:LINE: ".
 */
enum bd_status bd_settings_load_file(struct bd_settings *settings, const char *path,
                                     int must_exist);

/*
 * Fills *config from the settings, with the checks between options
 * (mask-low below mask-high, effect background with a file, effect color
 * with a colour): BD_OK or BD_ERR_INVALID_ARG. config's strings and refine
 * point into the settings (valid until they change or are destroyed).
 * "quiet" and "config" are the client's to read (bd_settings_get).
 */
enum bd_status bd_settings_to_config(struct bd_settings *settings,
                                     struct bd_pipeline_config *config);

/*
 * Saves one setting in a config file, so that a change made while the
 * camera runs (the D-Bus service) is kept after a restart. value is
 * checked as bd_option_check does (NULL removes the setting). The
 * setting's old lines are removed and "name = value" is appended (quoted
 * when it holds '#' or quotes), since lines apply in order and a later one
 * can move an earlier one ("background" sets "effect"); "background" and
 * "color" remove each other's lines, as a file may hold only one. Every
 * other line (comments included) stays as it was. A missing file is
 * created (and its folders, 0700); the new file replaces the old one
 * atomically (rename). Not thread-safe for one path: one writer.
 * Errors: BD_ERR_NOT_FOUND (unknown setting, or "config"),
 * BD_ERR_INVALID_ARG (a bad value, or one with a line break), BD_ERR_IO;
 * the file is unchanged on error.
 */
enum bd_status bd_config_file_set(const char *path, const char *name, const char *value);

#ifdef __cplusplus
}
#endif

#endif /* BACKDROP_H */
