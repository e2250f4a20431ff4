/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Soak test: a long run of the whole pipeline (file source looped → model
 * on every frame → refined mask → compositing → null output) through the
 * public API, watching memory.
 *
 * usage: soak INPUT FRAMES [BACKGROUND_VIDEO] [--no-rss]
 *   blur, or the background video (looped) when given. A sampler thread
 *   reads the resident set size (/proc/self/statm) every 100 ms; the
 *   warm-up is the first 10% of the frames (at least 300). Fails when the
 *   run fails, when fewer frames than asked came out, or (unless --no-rss,
 *   for sanitizer builds whose allocators cache freed memory on purpose)
 *   when the RSS after warm-up rose more than 1 MiB above its level at the
 *   end of warm-up. Leaks are LeakSanitizer's job (the ASan build): it
 *   reports them at exit and fails the process.
 *
 * Prints "soak: ..." lines and ends with "N passed, M failed".
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backdrop.h"
#include "check.h"

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    long size = 0, res = 0;
    int n = fscanf(f, "%ld %ld", &size, &res);
    fclose(f);
    return n == 2 ? res * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

struct sampler {
    struct bd_pipeline *p;
    uint64_t warm_frames;
    atomic_int stop;
    long warm_kb, max_kb; /* RSS at the end of warm-up; highest after it */
    uint64_t samples;
};

static void *sample(void *arg)
{
    struct sampler *s = arg;
    while (!atomic_load(&s->stop)) {
        struct bd_pipeline_stats st;
        bd_pipeline_get_stats(s->p, &st);
        long kb = rss_kb();
        if (st.frames_out >= s->warm_frames && kb > 0) {
            if (s->warm_kb == 0)
                s->warm_kb = kb;
            if (kb > s->max_kb)
                s->max_kb = kb;
            s->samples++;
        }
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: soak INPUT FRAMES [BACKGROUND_VIDEO] [--no-rss]\n");
        return 2;
    }
    const char *input = argv[1];
    long frames = atol(argv[2]);
    const char *bg = NULL;
    int check_rss = 1;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--no-rss"))
            check_rss = 0;
        else
            bg = argv[i];
    }
    struct bd_pipeline_config cfg = {0};
    cfg.input = input;
    cfg.output = "null";
    cfg.loop = 1;
    cfg.pace = BD_PACE_OFFLINE;
    cfg.max_frames = frames;
    cfg.effect = bg ? BD_EFFECT_IMAGE : BD_EFFECT_BLUR;
    cfg.background = bg;
    struct bd_pipeline *p = NULL;
    int r = bd_pipeline_create(&cfg, &p);
    CHECK(r == BD_OK, "create: %s", bd_last_error());
    if (r != BD_OK)
        return check_report();
    struct sampler s = {.p = p, .warm_frames = (uint64_t)(frames / 10 > 300 ? frames / 10 : 300)};
    atomic_init(&s.stop, 0);
    pthread_t t;
    pthread_create(&t, NULL, sample, &s);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    r = bd_pipeline_run(p, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    atomic_store(&s.stop, 1);
    pthread_join(t, NULL);
    struct bd_pipeline_stats st;
    bd_pipeline_get_stats(p, &st);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("soak: %s, %s: %llu frames out, %llu inferences, %.1f s (%.0f fps); RSS after "
           "warm-up %ld KiB, highest %ld KiB (+%ld KiB, %llu samples)\n",
           input, bg ? bg : "blur", (unsigned long long)st.frames_out,
           (unsigned long long)st.inferences, secs, (double)st.frames_out / secs, s.warm_kb,
           s.max_kb, s.max_kb - s.warm_kb, (unsigned long long)s.samples);
    CHECK(r == BD_OK, "run: %s", bd_last_error());
    CHECK((long)st.frames_out == frames, "%llu frames out of %ld", (unsigned long long)st.frames_out,
          frames);
    CHECK(st.inferences == st.frames_out, "offline: %llu inferences for %llu frames",
          (unsigned long long)st.inferences, (unsigned long long)st.frames_out);
    if (check_rss) {
        CHECK(s.samples >= 2, "only %llu RSS samples after warm-up (run too short?)",
              (unsigned long long)s.samples);
        CHECK(s.max_kb - s.warm_kb <= 1024, "RSS grew %ld KiB after warm-up (%ld -> %ld)",
              s.max_kb - s.warm_kb, s.warm_kb, s.max_kb);
    }
    bd_pipeline_destroy(p);
    return check_report();
}
