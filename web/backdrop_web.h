/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The C side of the WebAssembly module (backdrop_web.c): the functions
 * backdrop-worker.js calls, also linked natively by tests/web. */
#ifndef BACKDROP_WEB_H
#define BACKDROP_WEB_H

#include <stdint.h>

/* bdw_stat: milliseconds per stage (means since the frame size was set),
 * then counts since then: frames processed, and frames the model's policy
 * took (each a new mask, or the last kept: in live mode fewer than the
 * frames, which then take the newest mask) */
enum { BDW_STAT_INFER, BDW_STAT_REFINE, BDW_STAT_COMPOSITE, BDW_STAT_FRAMES, BDW_STAT_INFERENCES,
       BDW_STAT_LIVE /* 1 in live mode */, BDW_STAT_COUNT };

struct bdw;

/* A processor with the options table's defaults (general model, blur);
 * NULL on error (bdw_last_error says why). */
struct bdw *bdw_create(void);
/* NULL is a no-op. */
void bdw_destroy(struct bdw *b);
/* The library's message for the last error on this thread. */
const char *bdw_last_error(void);
/* live 1: the model on the filter's own thread (BD_FILTER_LIVE: a frame
 * takes the newest mask, made from an earlier frame while the model is
 * slower than the frames), which needs threads (the pthreads build, a
 * cross-origin isolated page); live 0: every frame's mask from itself, on
 * the caller's thread (BD_FILTER_EXACT, the default). BD_OK, or an error
 * with the mode unchanged (no threads: exact stays). */
int bdw_set_live(struct bdw *b, int live);
/* One setting by the options table's name (model, blur, color, light-wrap,
 * effect blur|color|image|none, ...); the old value stays on error. */
int bdw_set(struct bdw *b, const char *name, const char *value);
/* The background image (RGBA, copied; the effect becomes image). */
int bdw_set_background(struct bdw *b, const uint8_t *rgba, int width, int height);
/* One frame (RGBA, width*4 bytes a row), any size from 2x2 to 8192x8192;
 * then bdw_output (RGBA, unless mask_only) and bdw_mask (width bytes a
 * row) hold the results until the next call. */
int bdw_process(struct bdw *b, const uint8_t *rgba, int width, int height, int mask_only);
/* One camera frame in its own layout (VideoFrame.copyTo's): format
 * BD_PIX_I420 or BD_PIX_NV12, even sizes; layout holds each plane's offset
 * from data and its stride (Y, then UV or U, V); matrix 1 for BT.709, range
 * 1 for full. Then bdw_output_yuv holds the composited frame in the same
 * format and colour, tight (Y rows of width bytes, then I420's U and V rows
 * of width / 2, or NV12's UV rows of width), and bdw_mask the mask when
 * want_mask, until the next call. */
int bdw_process_yuv(struct bdw *b, int format, const uint8_t *data, int width, int height,
                    const int *layout, int matrix, int range, int want_mask);
const uint8_t *bdw_output_yuv(const struct bdw *b);
const uint8_t *bdw_output(const struct bdw *b);
const uint8_t *bdw_mask(const struct bdw *b);
double bdw_stat(const struct bdw *b, int which);

#endif
