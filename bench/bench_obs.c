/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How long the OBS filter's filter_video takes on OBS's video thread, at
 * 720p, in a real libobs (headless, tests/obs/run.sh --bench; `make
 * bench-obs`): a media source plays the doctor clip scaled to 1280x720, and
 * two stopwatch filters of this file's own sit around the backdrop filter in
 * the source's async filter chain (OBS calls the chain in the order the
 * filters were added, one after the other on the same thread), so the time
 * between them is backdrop's filter_video. Rounds alternate with the
 * stopwatches alone (no backdrop between), the floor of the measure, so
 * both see the same machine load. Prints p50, p99 and the mean, wall and
 * the thread's CPU time. Asserts nothing: a benchmark.
 *
 * usage: bench_obs PLUGIN.so PLUGIN-DATA-DIR CLIP-720p [ROUNDS [SECONDS]]
 */
#include <math.h>

#include "obs/obs_headless.h"

#define MAX_SAMPLES 20000

struct watch {
    struct timespec wall, cpu; /* set by the first stopwatch, per frame */
    int armed;
    double wall_ms[MAX_SAMPLES], cpu_ms[MAX_SAMPLES];
    int n;
    int recording;
};
static struct watch w;
static pthread_mutex_t w_lock = PTHREAD_MUTEX_INITIALIZER;

static double ms_between(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static struct obs_source_frame *start_video(void *data, struct obs_source_frame *f)
{
    (void)data;
    clock_gettime(CLOCK_MONOTONIC, &w.wall);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &w.cpu);
    w.armed = 1;
    return f;
}

static struct obs_source_frame *stop_video(void *data, struct obs_source_frame *f)
{
    (void)data;
    struct timespec wall, cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    clock_gettime(CLOCK_MONOTONIC, &wall);
    pthread_mutex_lock(&w_lock);
    if (w.armed && w.recording && w.n < MAX_SAMPLES) {
        w.wall_ms[w.n] = ms_between(w.wall, wall);
        w.cpu_ms[w.n] = ms_between(w.cpu, cpu);
        w.n++;
    }
    w.armed = 0;
    pthread_mutex_unlock(&w_lock);
    return f;
}

static const char *watch_name(void *u)
{
    (void)u;
    return "stopwatch";
}
static void *watch_create(obs_data_t *s, obs_source_t *src)
{
    (void)s;
    return src;
}
static void watch_destroy(void *d)
{
    (void)d;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct result {
    double wall[MAX_SAMPLES], cpu[MAX_SAMPLES];
    int n;
};

static void add(struct result *r)
{
    for (int i = 0; i < w.n && r->n < MAX_SAMPLES; i++, r->n++) {
        r->wall[r->n] = w.wall_ms[i];
        r->cpu[r->n] = w.cpu_ms[i];
    }
}

static void report(const char *what, struct result *r)
{
    if (!r->n) {
        printf("%-28s no frames\n", what);
        return;
    }
    double sw = 0, sc = 0;
    for (int i = 0; i < r->n; i++)
        sw += r->wall[i], sc += r->cpu[i];
    qsort(r->wall, (size_t)r->n, sizeof(double), cmp);
    qsort(r->cpu, (size_t)r->n, sizeof(double), cmp);
    int p50 = r->n / 2, p99 = (int)ceil(r->n * 0.99) - 1;
    printf("%-28s %5d frames  wall p50 %6.3f ms  p99 %6.3f ms  mean %6.3f ms  |  cpu p50 %6.3f "
           "ms  p99 %6.3f ms  mean %6.3f ms\n",
           what, r->n, r->wall[p50], r->wall[p99], sw / r->n, r->cpu[p50], r->cpu[p99],
           sc / r->n);
}

static struct result with_filter, floor_only;

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_obs PLUGIN.so PLUGIN-DATA-DIR CLIP-720p [ROUNDS [SECONDS]]\n");
        return 2;
    }
    int rounds = argc > 4 ? atoi(argv[4]) : 3, seconds = argc > 5 ? atoi(argv[5]) : 8;
    if (!headless_start(1280, 720, 30))
        return 1;
    if (!headless_load(argv[1], argv[2]))
        return 1;
    struct obs_source_info start = {.id = "bench_start", .type = OBS_SOURCE_TYPE_FILTER,
                                    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_ASYNC,
                                    .get_name = watch_name, .create = watch_create,
                                    .destroy = watch_destroy, .filter_video = start_video};
    struct obs_source_info stop = start;
    stop.id = "bench_stop";
    stop.filter_video = stop_video;
    obs_register_source(&start);
    obs_register_source(&stop);

    obs_source_t *src = headless_media(argv[3]);
    obs_set_output_source(0, src);
    if (!grab_wait(10, 20000)) {
        fprintf(stderr, "no frames from %s\n", argv[3]);
        return 1;
    }
    obs_source_t *t0 = obs_source_create_private("bench_start", "t0", NULL);
    obs_source_t *t1 = obs_source_create_private("bench_stop", "t1", NULL);
    /* the library's defaults (effect blur 12), as a user adding it gets */
    obs_source_t *bd = obs_source_create_private("backdrop_filter", "backdrop", NULL);
    obs_source_filter_add(src, t0);

    for (int r = 0; r < rounds; r++) {
        for (int with = 1; with >= 0; with--) {
            if (with)
                obs_source_filter_add(src, bd);
            obs_source_filter_add(src, t1);
            grab_wait(15, 5000); /* settle: the first frames after a change */
            pthread_mutex_lock(&w_lock);
            w.n = 0;
            w.recording = 1;
            pthread_mutex_unlock(&w_lock);
            sleep_ms(seconds * 1000);
            pthread_mutex_lock(&w_lock);
            w.recording = 0;
            add(with ? &with_filter : &floor_only);
            pthread_mutex_unlock(&w_lock);
            obs_source_filter_remove(src, t1);
            if (with)
                obs_source_filter_remove(src, bd);
        }
    }
    printf("filter_video at 1280x720 (I420, the clip's frames), %d rounds of %d s, interleaved:\n",
           rounds, seconds);
    report("backdrop (blur 12)", &with_filter);
    report("stopwatches alone (floor)", &floor_only);
    obs_source_filter_remove(src, t0);
    obs_source_release(t0);
    obs_source_release(t1);
    obs_source_release(bd);
    obs_set_output_source(0, NULL);
    obs_source_release(src);
    headless_stop();
    return 0;
}
