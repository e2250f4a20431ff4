/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zoom pass: a second look at the person.
 *
 * The model sees the whole frame at its small input size. Where the person
 * fills only part of the frame, a second run on the person's bounding box
 * sees them larger and with less of the room around them, and its map
 * replaces the first one's inside that box. bench/quality (general model,
 * 1280x720 still set): IoU 0.918 -> 0.944 and boundary F 0.711 -> 0.757;
 * most of the gain is on cluttered rooms, where the first look takes
 * objects beside the person for the person.
 *
 * The functions are pure (no allocation, no I/O): the engine uses them for
 * stills (bd_segment_options.zoom) and the camera pipeline, which crops
 * the next frame with the box this frame's map gives, uses them across its
 * two threads.
 */
#ifndef BD_MODEL_ZOOM_H
#define BD_MODEL_ZOOM_H

#include "common/frame.h"

/*
 * The box to zoom into for a probability map prob (pw x ph floats, the
 * model's output over a frame of fw x fh pixels): the cells at or above
 * 0.5, in frame pixels, widened by 5% of its size on each side; its short
 * side grown (about its middle, kept in the frame) until its shape is
 * within a factor 1.8 of the model's input, mw x mh, which it is squashed
 * to; clamped, with even x, y, w and h (the I420 chroma stays aligned).
 * Returns 1 and sets *box; returns 0 when a zoom would not help: no
 * person, a box smaller than 32x32 pixels, one covering more than 90% of
 * the frame, or a model input wider than 4:3 (a standing person's box
 * squashed into it: see zoom.c).
 */
int bd_zoom_find(const float *prob, int pw, int ph, int fw, int fh, int mw, int mh,
                 struct bd_rect *box);

/* 1 when a model input of mw x mh can take a person's box (it is not wider
 * than 4:3); bd_zoom_find and bd_model_zoom_partner decide by it. */
int bd_zoom_input_fits(int mw, int mh);

/*
 * The box a stream uses for its next frame, given the one it used (prev;
 * w == 0: none) and the one this frame's first look gave (cur, from
 * bd_zoom_find): prev while it still holds cur and is within two slacks of
 * it on every side; else cur widened by the slack, 4% of the frame's width
 * and height on each side (clamped, even). The slack lets the person move
 * that far before the box, a frame behind, cuts them off; keeping the box
 * while it fits keeps the zoomed map from shimmering with every wobble of
 * the first look's.
 */
struct bd_rect bd_zoom_settle(const struct bd_rect *prev, const struct bd_rect *cur, int fw,
                              int fh);

/*
 * Writes the zoomed map into the frame's map: prob (pw x ph, over fw x fh
 * pixels) takes, at every cell whose centre lies in box, the zoomed map zp
 * (zw x zh floats, over box) sampled bilinearly there (half-pixel centres,
 * edges clamped). Cells outside box keep their value. Returns 1; returns 0
 * and leaves prob as it was when zp has no cell at or above 0.5: the
 * second look saw nobody where the first one saw a person (a close-up of
 * a face alone can look so to the model) and would erase them.
 */
int bd_zoom_fuse(float *prob, int pw, int ph, int fw, int fh, const struct bd_rect *box,
                 const float *zp, int zw, int zh);

#endif
