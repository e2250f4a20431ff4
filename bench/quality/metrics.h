/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mask-quality metrics (bench/quality): the definitions are in metrics.c,
 * next to the code that computes them.
 */
#ifndef BD_QUALITY_METRICS_H
#define BD_QUALITY_METRICS_H

#include <stdint.h>

/* What is computed once per ground-truth frame and shared by every method
 * scored against it. */
struct gt_frame {
    int w, h;
    const uint8_t *alpha;   /* the ground truth, 0..255, w*h, not owned */
    uint8_t *bnd;           /* its boundary map (1 = boundary pixel) */
    int32_t *bnd_idx;       /* indices of its boundary pixels */
    long bnd_n;
    uint8_t *band;          /* the trimap band (1 = inside) */
    long band_n;
    int bf_r;               /* boundary F's tolerance in px: 3 (set by
                               gt_frame_init; at most 16) */
};

struct scores {
    double iou;     /* IoU of the masks binarised at 0.5 */
    double mad;     /* mean |pred - gt| over the frame, x1000 (0..1 values) */
    double bf;      /* boundary F-score, 3 px tolerance */
    double tmad;    /* MAD over the trimap band, x1000 */
};

/* Prepares g for alpha (w x h). Returns 0, or -1 when out of memory. */
int gt_frame_init(struct gt_frame *g, const uint8_t *alpha, int w, int h);
void gt_frame_free(struct gt_frame *g);

/* Scores pred (w x h, tightly packed, 0..255) against g. scratch: w*h
 * bytes. */
void score_mask(const struct gt_frame *g, const uint8_t *pred, uint8_t *scratch, struct scores *s);

/* Boundary map of m binarised at 0.5 (see metrics.c); returns its size. */
long boundary_map(const uint8_t *m, int w, int h, uint8_t *map);

/* Marks in out (w x h, 0/1) every pixel within Euclidean distance r of a
 * pixel with in[i] != 0. Returns the number marked. */
long dilate_disk(const uint8_t *in, int w, int h, int r, uint8_t *out);

#endif
