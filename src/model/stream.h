/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The camera's inference policy: which model runs a frame gets.
 *
 * A still (bd_segment_image) gets the full treatment: a first look, the
 * zoom pass's second look at the person's box on the crop and on its
 * mirror image, averaged: three runs. A camera sees nearly the same
 * picture thirty times a second, so the stream spreads that work over
 * time (bench/cpu-defaults.md has the measurements):
 *  - the first look (the whole frame) only when needed: with a person's
 *    box, the second look alone, its map written over the last first
 *    look's, which stays right wherever the picture has not changed since;
 *    the first look again when the picture outside the box changed (the
 *    person moved, someone came in, a hand reached out of the box), when
 *    the second look saw nobody, and at least every first_every runs;
 *  - no run at all when the model's inputs are within skip_psnr dB of the
 *    last run's (bd_stream_psnr) and the mirror pair is complete: the old
 *    map stands, and the refiner, guided by each frame, keeps the edges on
 *    the picture;
 *  - hold: a run's map also stands for that many frames more unless the
 *    picture changed beyond cut_psnr (the defaults: two frames at 30 fps,
 *    25 dB).
 * A third way, not the default: the mirror average over time
 * (BD_STREAM_MIRROR_ALTERNATE): consecutive runs alternate between the
 * picture and its mirror image, and each run's map is averaged with the
 * one before (bd_stream_mix: not where the two differ by much, so that a
 * moving edge does not lag). One run a frame instead of two, but on
 * bench/quality's temporal set it lost 0.009 of boundary F with the first
 * look taken only when needed (0.003 with a first look every frame).
 * The inference thread (pipeline.c) and bench/quality's temporal set use
 * this same code. Allocation at create only.
 */
#ifndef BD_MODEL_STREAM_H
#define BD_MODEL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "backdrop.h"
#include "common/frame.h"

enum bd_stream_mirror {
    BD_STREAM_MIRROR_OFF,       /* plain runs only */
    BD_STREAM_MIRROR_BOTH,      /* the mirror average in each frame (two runs) */
    BD_STREAM_MIRROR_ALTERNATE, /* plain and mirrored on alternate runs, averaged */
};

struct bd_stream_policy {
    enum bd_stream_mirror mirror;
    int first_every; /* with a steady box, a first look at least every this
                        many runs; 1: every run */
    double skip_psnr; /* dB; 0: a run for every frame */
    int hold;         /* a run's map may stand for this many frames more
                         (frames at 30 fps: bd_stream_policy_rate) ... */
    double cut_psnr;  /* ... unless the picture changed beyond this (dB) */
};

/* The camera's defaults: the mirror average in each run (both), a first
 * look at least every 30 runs, no run above 40 dB, a run's map standing
 * two frames more unless the picture changed beyond 25 dB (hold 2): the
 * model at most every third frame on a slowly moving picture, the refiner
 * still on every frame (bench/cpu-defaults.md has the measurements). */
void bd_stream_policy_default(struct bd_stream_policy *p);

/* Before this policy existed: both mirror runs in each frame, the first
 * look every frame, no skip (for comparisons: bench, bench/quality). */
void bd_stream_policy_full(struct bd_stream_policy *p);

/* hold counts frames at 30 fps, the rate bench/quality's temporal set
 * measured it at: a held map is as old in time at any rate. At fps it
 * becomes the frames spanning that time, rounded to nearest (hold 2: 60
 * fps 4, 25 fps 2, 10 fps 1; hold 1: 2, 1, 0): at 60 fps, hold counted
 * in frames ran the model twice as often a second as at 30 for the same
 * lag (bench/cpu-defaults.md). fps <= 0 (unknown): unchanged. */
void bd_stream_policy_rate(struct bd_stream_policy *p, double fps);

/* Overrides from BACKDROP_STREAM ("mirror=both|alt|off,first=N,skip=DB",
 * any subset), a benchmark knob. Returns 0, or -1 (p untouched) when the
 * text is not understood. */
int bd_stream_policy_parse(const char *text, struct bd_stream_policy *p);

struct bd_stream;

/*
 * e: the first look's engine, whose input (in_w x in_h RGB24) the stream's
 * first-look images have; ze: the second look's (NULL: no zoom pass),
 * images zin_w x zin_h. fw x fh: the frame (the part the model sees) in
 * pixels, the space of the boxes. class_index: the class both looks
 * segment (bd_segment_options.class_index; -1: each model's default).
 * Errors: BD_ERR_NOMEM, BD_ERR_INVALID_ARG.
 */
enum bd_status bd_stream_create(struct bd_engine *e, struct bd_engine *ze, int fw, int fh,
                                int class_index, const struct bd_stream_policy *pol,
                                struct bd_stream **out);
void bd_stream_destroy(struct bd_stream *s);
/* Forgets the maps, the box and the last inputs (a new scene). */
void bd_stream_reset(struct bd_stream *s);

/* What one bd_stream_segment did. */
struct bd_stream_look {
    int skipped;   /* 1: no run, prob untouched (the last map stands) */
    int runs;      /* model runs made */
    int first;     /* the first look was taken (the whole frame) */
    int second;    /* the second look was taken (the box) */
    int fused;     /* its map replaced the first look's inside the box */
    int mirrored;  /* this run saw the mirror image (alternate) */
    int mixed;     /* averaged with the run before */
    struct bd_rect box; /* the box for the next frames (w = 0: none) */
};

/*
 * One frame: rgb, the frame at the first look's input size (stride
 * bytes a row); zrgb, the box zb (frame pixels) at the second look's
 * input size, or NULL / zb->w == 0 for no box. prob (the first look's
 * output size) gets the frame's map unless look->skipped. stop (may be
 * NULL) is passed on as bd_segment_options.skip_mirror.
 */
enum bd_status bd_stream_segment(struct bd_stream *s, const uint8_t *rgb, int stride,
                                 const uint8_t *zrgb, int zstride, const struct bd_rect *zb,
                                 int (*stop)(void *), void *opaque, float *prob,
                                 struct bd_stream_look *look);

/* The PSNR in dB of two n-byte images (INFINITY when equal). */
double bd_stream_psnr(const uint8_t *a, const uint8_t *b, size_t n);

/* out = cur averaged with prev where they differ by at most 0.25, cur
 * alone where by 0.75 or more, linear between (n floats; out may be cur). */
void bd_stream_mix(float *out, const float *cur, const float *prev, size_t n);

#endif
