/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Compositing stage of the camera pipeline: person frame + mask + background
 * → output frame, all I420.
 *
 * Frames are I420: Y at W x H, U and V at ceil(W/2) x ceil(H/2). The person
 * mask is 8-bit at the Y plane's size (0 = background, 255 = person).
 * Plane functions take libyuv-shaped arguments (src, src_stride, dst,
 * dst_stride, width, height); strides are in bytes, >= the row width.
 *
 * A bd_compositor is created for one frame size and owns every buffer the
 * stage needs (background planes, chroma mask, blur scratch, mirror
 * buffer): nothing of ours is allocated per frame. (libyuv's I420Scale,
 * used when an image background is set, and I420Mirror may allocate a row
 * buffer inside libyuv.) Its inner loops are picked once at create from
 * the CPU (composite_kernels.h; BACKDROP_COMPOSITE_ISA=base forces C).
 *
 * One compositor is used by one thread at a time.
 */
#ifndef BD_COMPOSITE_COMPOSITE_H
#define BD_COMPOSITE_COMPOSITE_H

#include <stdint.h>

#include "backdrop.h"
#include "common/frame.h"

/* ---- plane helpers ------------------------------------------------------ */

/*
 * Mask for chroma: each output sample is the rounded mean of its 2x2 block
 * of mask samples, (a + b + c + d + 2) >> 2. Odd width/height: the last
 * column/row is replicated (a block of 1x2, 2x1 or 1x1 averages what it
 * has, rounded half up). width/height are the mask's (Y) size; dst is
 * ceil(width/2) x ceil(height/2).
 */
void bd_mask_to_chroma(const uint8_t *mask, int mask_stride, uint8_t *dst, int dst_stride,
                       int width, int height);

/*
 * Blend one plane: dst = (m*fg + (255-m)*bg + 127) / 255 (integer division,
 * i.e. x/255 rounded to nearest; ties cannot occur as 255 is odd).
 * Computed in 16-bit lanes as t = x + 128; (t + (t >> 8)) >> 8, which is
 * exactly equal to the formula for every m, fg, bg in 0..255 (max error 0,
 * checked exhaustively by the test). dst may be fg or bg itself (same
 * pointer and stride); other overlaps are not allowed.
 */
void bd_blend_plane(const uint8_t *fg, int fg_stride, const uint8_t *bg, int bg_stride,
                    const uint8_t *mask, int mask_stride, uint8_t *dst, int dst_stride,
                    int width, int height);

/*
 * RGB → Y'CbCr, BT.601 limited range (Y 16..235, U/V 16..240) in libyuv's
 * integer form, so a solid colour equals what libyuv's ARGBToI420 gives for
 * an image of that colour:
 *   Y = (66 R + 129 G + 25 B + 0x1080) >> 8
 *   U = (112 B - 74 G - 38 R + 0x8000) >> 8
 *   V = (112 R - 94 G - 18 B + 0x8000) >> 8
 * (libyuv 1857's ARGBToI420, C and SIMD rows alike, truncates U/V: offset
 * 0x8000, not 0x8080). Within 1 of the real-valued BT.601 result, e.g.
 * pure red gives V 239 where BT.601 says 240.
 */
void bd_rgb_to_yuv601(uint8_t r, uint8_t g, uint8_t b, uint8_t *y, uint8_t *u, uint8_t *v);

/*
 * Separable box blur of a plane in place, `passes` times (3 ≈ Gaussian),
 * window 2*radius+1 in each direction, edges replicated (a constant plane
 * stays exactly constant): first `passes` vertical 1-D passes, then
 * `passes` horizontal ones, each rounding to nearest. scratch holds
 * bd_box_blur_scratch_size(width, height) bytes (composite_kernels.h; 2
 * planes of width x height and a row of sums). radius 0..BD_BLUR_MAX_RADIUS;
 * radius 0 or passes 0 leave the plane unchanged. This is the plain C
 * version; the compositor runs the same arithmetic with its dispatched
 * kernels (AVX2 transposes the plane so its horizontal passes are vertical
 * ones, and gives the same bytes).
 */
#define BD_BLUR_MAX_RADIUS 64
void bd_box_blur_plane(uint8_t *plane, int stride, int width, int height, int radius,
                       int passes, void *scratch);

/* ---- the compositor ----------------------------------------------------- */

/* How a background image is fitted to the frame. */
enum bd_fit {
    BD_FIT_COVER = 0,   /* scale to fill, crop the centre (aspect kept) */
    BD_FIT_CONTAIN = 1, /* scale to fit, centred, black bars (Y 16, U/V 128) */
    BD_FIT_STRETCH = 2, /* scale to exactly W x H (aspect not kept) */
    BD_FIT_TILE = 3,    /* repeat at native size from the top-left corner */
};

/*
 * The blur background works at 1/k of each plane: k = 4 below strength
 * BD_BLUR_K8_FROM, else k = 8 at half the radius (the same width of blur in
 * frame pixels on a quarter of the samples; see bd_composite_blur).
 */
#define BD_BLUR_K8_FROM 8
static inline int bd_blur_downscale(int strength)
{
    return strength >= BD_BLUR_K8_FROM ? 8 : 4;
}
/* The Y plane's box radius at 1/bd_blur_downscale(strength). */
static inline int bd_blur_radius(int strength)
{
    return strength >= BD_BLUR_K8_FROM ? (strength + 1) / 2 : strength;
}

struct bd_compositor;

/*
 * Per-compositor effect options (bd_compositor_set_options; a new
 * compositor starts with BD_COMPOSITE_OPTIONS_DEFAULT).
 *
 * halo_free: the blur background is a normalised convolution weighted by
 *   background coverage, blur(frame x (1-m)) / blur(1-m), so the person's
 *   colours do not bleed into the blurred background around them (the
 *   halo). Only used when bd_composite_blur gets a mask.
 * light_wrap: 0..1 (0 = off). The new background's light spills onto the
 *   person's edge: on the person side of the mask edge the person is mixed
 *   with a blurred background, weighted by light_wrap x min(1, 2 x a
 *   blurred inverse mask) (light_wrap itself at the edge, fading over about
 *   14 pixels at 720p). Blur, image and colour backgrounds alike.
 * hologram: the person layer as a hologram: blue-green tint (the seed's
 *   "winter" colour map mixed with the original), horizontal scan lines
 *   that flicker per frame, and a faint ghost copy of the person offset up
 *   and to the right, over any background.
 */
struct bd_composite_options {
    int halo_free;    /* default 1 */
    float light_wrap; /* default 0.3 */
    int hologram;     /* default 0 */
};
#define BD_COMPOSITE_OPTIONS_DEFAULT {1, 0.3f, 0}
#define BD_LIGHT_WRAP_DEFAULT 0.3f

/*
 * Creates a compositor for width x height frames (1..16384 each), with
 * every buffer it will use. The background starts as solid black.
 * Errors: BD_ERR_INVALID_ARG, BD_ERR_NOMEM.
 */
enum bd_status bd_compositor_create(int width, int height, struct bd_compositor **out);
void bd_compositor_destroy(struct bd_compositor *comp);

/*
 * Sets the effect options (copied). Errors: BD_ERR_INVALID_ARG (NULL, or
 * light_wrap not in 0..1). Takes effect from the next call.
 */
enum bd_status bd_compositor_set_options(struct bd_compositor *comp,
                                         const struct bd_composite_options *options);
struct bd_composite_options bd_compositor_options(const struct bd_compositor *comp);

/* Background = a solid colour (bd_rgb_to_yuv601). */
enum bd_status bd_compositor_set_color(struct bd_compositor *comp, uint8_t r, uint8_t g,
                                       uint8_t b);

/*
 * Background = an I420 image fitted with `fit`, computed once here (libyuv
 * I420Scale, box filter); frames then only blend. The image is only read
 * during the call. Cover crops and contain places at even offsets so the
 * chroma planes stay aligned with luma.
 */
enum bd_status bd_compositor_set_image(struct bd_compositor *comp,
                                       const struct bd_i420_view *image, enum bd_fit fit);

/*
 * The fitting of bd_compositor_set_image alone, into dst (its width x
 * height): so that a background can be fitted ahead, on another thread,
 * and then set at the frame's size, which is a plain copy (libyuv copies
 * planes of equal size without allocating).
 */
enum bd_status bd_i420_fit(const struct bd_i420_view *image, enum bd_fit fit,
                           const struct bd_i420 *dst);

/*
 * Background = the frame itself, blurred: each plane box-downscaled by an
 * exact k = bd_blur_downscale(strength) (partial edge blocks replicate the
 * edge), bd_box_blur_plane with 3 passes at radius r = bd_blur_radius(
 * strength) on Y and (r+1)/2 on U/V (half resolution), then upscaled by k
 * (centre-aligned bilinear, clamped edges) on the fly by bd_composite_frame,
 * which never writes the full-size blurred frame. Call it per frame before
 * bd_composite_frame. strength 0..BD_BLUR_MAX_RADIUS (0 = only the down/up
 * scaling by 4).
 *
 * mask (W x H, the one bd_composite_frame will get next, unchanged in
 * between: its light wrap reuses the mask at 1/4 computed here; may be
 * NULL) and the
 * halo_free option (default on): the blur is then halo-free, a normalised
 * convolution at the same 1/k with the same passes, in 16-bit:
 *   w = 257 - min(2 m_k, 255)  (m_k: the mask box-downscaled to 1/k, 2x2
 *                   more for U/V; background 257, person 2; a block at
 *                   least half person counts as person, so mixed blocks
 *                   at the edge do not carry the person's colour out)
 *   background = 255 x blur(a x w) / blur(255 x w), rounded
 * Person taps keep a weight of 2/257: where the window holds any
 * background they vanish next to it (no halo), and where the person hides
 * the background entirely all weights are equal and the result is the
 * plain blur (the graceful fall-back). mask NULL or halo_free 0: the plain
 * blur above.
 */
enum bd_status bd_composite_blur(struct bd_compositor *comp, const struct bd_i420_view *frame,
                                 const uint8_t *mask, int mask_stride, int strength);

/*
 * dst = blend(frame, current background, mask), then mirrored horizontally
 * (libyuv I420Mirror) when mirror is non-zero. frame and dst are W x H;
 * mask is W x H. dst may be the frame's own planes when mirror is 0.
 * With the options: the person layer becomes a hologram (hologram), then
 * takes the background's light at its edge (light_wrap > 0), then is
 * blended; with hologram 0 and light_wrap 0 this is exactly the blend.
 */
enum bd_status bd_composite_frame(struct bd_compositor *comp, const struct bd_i420_view *frame,
                                  const uint8_t *mask, int mask_stride,
                                  const struct bd_i420 *dst, int mirror);

/*
 * The current background planes (W x H I420), e.g. for tests or previews.
 * After bd_composite_blur the blurred background exists only at
 * 1/k; this call upscales it into the compositor's background planes
 * (as bd_composite_frame would interpolate it), which costs about a frame's
 * blend. The view stays valid until the next call on comp.
 */
struct bd_i420_view bd_compositor_background(struct bd_compositor *comp);

/*
 * The picture the virtual camera shows while its input is lost: the I420
 * frame (width x height, at least 2 x 2) is blurred, darkened and marked
 * with a crossed-out camera, in place. scratch: at least
 * bd_camera_lost_scratch(width, height) bytes, caller-owned (allocate it
 * at create: this runs on the frame thread). Once per loss, not per frame.
 * Errors: BD_ERR_INVALID_ARG.
 */
enum bd_status bd_draw_camera_lost(uint8_t *y, int stride_y, uint8_t *u, int stride_u, uint8_t *v,
                                   int stride_v, int width, int height, uint8_t *scratch,
                                   size_t scratch_size);
size_t bd_camera_lost_scratch(int width, int height);

#endif
