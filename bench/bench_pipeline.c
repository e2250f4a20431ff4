/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Full-pipeline benchmark: file source → pipeline → null sink, through the
 * public API, on one input file (a raw .y4m, so decoding costs no more
 * than a camera's YUYV → I420 conversion would).
 *
 * usage: bench_pipeline FILE LABEL FRAMES BACKGROUND_IMAGE [MODEL [THREADS]]
 *   with MODEL (e.g. rvm): only the live run, with that model and THREADS
 *   inference threads (default 1); mask_rate = masks a second over the run
 *
 * Prints one line per configuration, "key=value" pairs; offline
 * configurations run ROUNDS (3) times and the run with the median cpu_ms
 * is printed (these machines are shared: one run can be 30% off).
 *  - mode=offline: every frame gets its own inference (the worst case for
 *    CPU), effect = pass (effect toggled off: source + copy + sink only),
 *    blur-raw (the model's mask upsampled bilinearly, no refinement),
 *    blur and image (refined masks, the default: two model runs, the
 *    mirror average), blur-1run (refined, one model run). cpu_ms = process CPU time per frame (all threads), and
 *    the per-stage thread-CPU means from bd_pipeline_stats.
 *  - mode=live: the file played at its own rate (as a camera delivers),
 *    blur: out_fps, dropped, latency p50/p99 (frame read → output written)
 *    and the process CPU in % of one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define ROUNDS 3

static const char *g_model; /* MODEL: the live run's */
static int g_threads;

static int run(const char *label, const char *file, const char *name, enum bd_pace pace,
               enum bd_effect effect, int pass, const char *bg, long frames, char *line,
               size_t line_size, double *cpu_ms)
{
    struct bd_pipeline_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.model = g_model;
    cfg.threads = g_threads;
    cfg.input = file;
    cfg.output = "null";
    cfg.pace = pace;
    cfg.effect = effect;
    cfg.background = bg;
    cfg.loop = 1;
    cfg.max_frames = frames;
    cfg.raw_mask = strstr(name, "raw") != NULL;
    cfg.no_mirror_average = strstr(name, "1run") != NULL;
    struct bd_pipeline *p = NULL;
    if (bd_pipeline_create(&cfg, &p) != BD_OK) {
        fprintf(stderr, "bench_pipeline: %s\n", bd_last_error());
        return 1;
    }
    if (pass)
        bd_pipeline_request(p, BD_REQUEST_TOGGLE);
    double c0 = cpu_s(), w0 = wall_s();
    int r = bd_pipeline_run(p, NULL, NULL);
    double c1 = cpu_s(), w1 = wall_s();
    if (r != BD_OK) {
        fprintf(stderr, "bench_pipeline: %s\n", bd_last_error());
        bd_pipeline_destroy(p);
        return 1;
    }
    struct bd_pipeline_stats s;
    bd_pipeline_get_stats(p, &s);
    double n = s.frames_out ? (double)s.frames_out : 1;
    *cpu_ms = (c1 - c0) * 1e3 / n;
    snprintf(line, line_size, "size=%s mode=%s effect=%s model=%s frames=%llu cpu_ms=%.3f convert_ms=%.3f "
           "infer_ms=%.3f inferences=%llu model_runs=%llu unchanged=%llu mask_ms=%.3f composite_ms=%.3f output_ms=%.3f "
           "wall_fps=%.1f cpu_pct=%.1f dropped=%llu lat_p50_ms=%.2f lat_p99_ms=%.2f "
           "in_fps=%.2f mask_rate=%.2f threads=%d",
           label, pace == BD_PACE_LIVE ? "live" : "offline", name, s.model_name,
           (unsigned long long)s.frames_out, (c1 - c0) * 1e3 / n, s.convert_ms, s.infer_ms,
           (unsigned long long)s.inferences, (unsigned long long)s.model_runs,
           (unsigned long long)s.unchanged, s.mask_ms, s.composite_ms, s.output_ms,
           n / (w1 - w0), (c1 - c0) / (w1 - w0) * 100, (unsigned long long)s.dropped,
           s.latency_p50_ms, s.latency_p99_ms, s.fps, (double)s.inferences / (w1 - w0),
           g_threads ? g_threads : 1);
    bd_pipeline_destroy(p);
    return 0;
}

/* Runs a configuration rounds times and prints the median run's line. */
static int median_run(const char *label, const char *file, const char *name, enum bd_pace pace,
                      enum bd_effect effect, int pass, const char *bg, long frames, int rounds)
{
    char lines[ROUNDS][1024];
    double cpu[ROUNDS];
    int order[ROUNDS];
    for (int i = 0; i < rounds; i++) {
        if (run(label, file, name, pace, effect, pass, bg, frames, lines[i], sizeof lines[i],
                &cpu[i]) != 0)
            return 1;
        order[i] = i;
    }
    for (int i = 1; i < rounds; i++)
        for (int j = i; j > 0 && cpu[order[j]] < cpu[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    printf("%s runs=%d\n", lines[order[rounds / 2]], rounds);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: %s FILE LABEL FRAMES BACKGROUND_IMAGE [MODEL [THREADS]]\n", argv[0]);
        return 2;
    }
    const char *file = argv[1], *label = argv[2], *bg = argv[4];
    long frames = atol(argv[3]);
    int bad = 0;
    if (argc >= 6) { /* one model, live only */
        g_model = argv[5];
        g_threads = argc == 7 ? atoi(argv[6]) : 0;
        return median_run(label, file, "blur", BD_PACE_LIVE, BD_EFFECT_BLUR, 0, NULL, frames, 1);
    }
    /* warm the page cache and the allocator */
    bad |= median_run(label, file, "warmup", BD_PACE_OFFLINE, BD_EFFECT_BLUR, 1, NULL, 20, 1);
    bad |= median_run(label, file, "pass", BD_PACE_OFFLINE, BD_EFFECT_BLUR, 1, NULL, frames, ROUNDS);
    bad |= median_run(label, file, "blur-raw", BD_PACE_OFFLINE, BD_EFFECT_BLUR, 0, NULL, frames, ROUNDS);
    bad |= median_run(label, file, "blur", BD_PACE_OFFLINE, BD_EFFECT_BLUR, 0, NULL, frames, ROUNDS);
    bad |= median_run(label, file, "blur-1run", BD_PACE_OFFLINE, BD_EFFECT_BLUR, 0, NULL, frames,
                      ROUNDS);
    bad |= median_run(label, file, "image", BD_PACE_OFFLINE, BD_EFFECT_IMAGE, 0, bg, frames, ROUNDS);
    bad |= median_run(label, file, "blur", BD_PACE_LIVE, BD_EFFECT_BLUR, 0, NULL, frames, 1);
    return bad;
}
