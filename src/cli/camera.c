/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `backdrop [options]`: the virtual camera (a thin client of
 * bd_pipeline_*), and `backdrop devices`.
 */
#include "cli/camera.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backdrop.h"
#include "cli/options.h"
#include "service/service.h"

static const char camera_usage[] =
    "usage: backdrop [options]\n\n"
    "Reads a camera (or a file), finds the person, blurs or replaces the background and\n"
    "presents the result as a camera other programs can open.\n"
    "Signals: SIGINT/SIGTERM stop, SIGUSR1 toggles the effect, SIGHUP reads the --background\n"
    "file again.";

/*
 * Signals are taken by a thread of their own with sigwait, never by a
 * handler on the frame thread: SIGHUP reads the background file again, and
 * that file I/O (open, decode, fit) must not stall the frames. They are
 * blocked from the start of cli_camera, before the D-Bus service, the
 * library and FFmpeg make their threads (which inherit the mask), so no
 * thread ever runs a handler for them and what they do need not be
 * async-signal-safe. The reading itself is done by a second thread: a file
 * that blocks (a FIFO, a hung network mount) must not keep SIGTERM from
 * being taken. Until the pipeline exists (set-up, which may wait on a
 * device or a FIFO), SIGINT and SIGTERM end the process at once, as their
 * default action would, and SIGUSR1 and SIGHUP are ignored.
 */
struct signals {
    sigset_t set;               /* SIGINT, SIGTERM, SIGUSR1, SIGHUP */
    int quiet, tty;
    pthread_t taker, reader;
    int started;
    pthread_mutex_t lock;       /* guards the four below */
    pthread_cond_t wake;
    struct bd_pipeline *p;      /* NULL during set-up */
    unsigned reloads;           /* SIGHUPs taken; the reader catches up */
    int quit;
};

/* The default action of sig, at once, taken by the calling thread. */
static void die_by(int sig)
{
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    signal(sig, SIG_DFL);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
}

static void block_signals(struct signals *g)
{
    sigemptyset(&g->set);
    sigaddset(&g->set, SIGINT);
    sigaddset(&g->set, SIGTERM);
    sigaddset(&g->set, SIGUSR1);
    sigaddset(&g->set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &g->set, NULL);
}

static void *signal_taker(void *arg)
{
    struct signals *g = arg;
    int stops = 0;
    for (;;) {
        int sig = 0;
        if (sigwait(&g->set, &sig) != 0) /* the cancellation point at the end */
            continue;
        pthread_mutex_lock(&g->lock);
        struct bd_pipeline *p = g->p;
        if (p && sig == SIGHUP) {
            g->reloads++;
            pthread_cond_signal(&g->wake);
        }
        pthread_mutex_unlock(&g->lock);
        const int stop = sig == SIGINT || sig == SIGTERM;
        if (stop && (!p || stops++ > 0))
            die_by(sig); /* set-up, or a second Ctrl-C: at once */
        else if (stop)
            bd_pipeline_request(p, BD_REQUEST_STOP);
        else if (p && sig == SIGUSR1)
            bd_pipeline_request(p, BD_REQUEST_TOGGLE);
    }
    return NULL;
}

static void *background_reader(void *arg)
{
    struct signals *g = arg;
    unsigned done = 0;
    pthread_mutex_lock(&g->lock);
    for (;;) {
        while (!g->quit && done == g->reloads)
            pthread_cond_wait(&g->wake, &g->lock);
        if (g->quit)
            break;
        done = g->reloads; /* SIGHUPs that came while reading: one more read */
        struct bd_pipeline *p = g->p;
        pthread_mutex_unlock(&g->lock);
        const enum bd_status r = bd_pipeline_reload_background(p);
        if (r == BD_ERR_INVALID_ARG) /* the effect has no background file */
            fprintf(stderr, "%sbackdrop: SIGHUP: %s\n", g->tty ? "\r\033[K" : "",
                    bd_last_error());
        else if (r != BD_OK)
            fprintf(stderr, "%sbackdrop: SIGHUP: keeping the old background: %s\n",
                    g->tty ? "\r\033[K" : "", bd_last_error());
        else if (!g->quiet)
            fprintf(stderr, "%sbackdrop: SIGHUP: background read again\n",
                    g->tty ? "\r\033[K" : "");
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static int start_signals(struct signals *g, int quiet, int tty)
{
    g->quiet = quiet;
    g->tty = tty;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (pthread_create(&g->reader, NULL, background_reader, g) != 0)
        return -1;
    if (pthread_create(&g->taker, NULL, signal_taker, g) != 0) {
        pthread_mutex_lock(&g->lock);
        g->quit = 1;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->reader, NULL);
        return -1;
    }
    g->started = 1;
    return 0;
}

/* The end of set-up: from now on the signals act on p. */
static void attach_signals(struct signals *g, struct bd_pipeline *p)
{
    pthread_mutex_lock(&g->lock);
    g->p = p;
    pthread_mutex_unlock(&g->lock);
}

/* 1 when the pipeline may be destroyed; 0 when a read is still blocked in
 * its file after a second (the process exits without waiting for it). */
static int stop_signals(struct signals *g)
{
    if (!g->started)
        return 1;
    g->started = 0;
    pthread_cancel(g->taker);
    pthread_join(g->taker, NULL);
    pthread_mutex_lock(&g->lock);
    g->quit = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 1;
    if (pthread_timedjoin_np(g->reader, NULL, &t) != 0) {
        fprintf(stderr, "backdrop: SIGHUP: the background file is still being read (a blocked "
                        "file?); exiting without waiting for it\n");
        return 0;
    }
    return 1;
}

struct status_ctx {
    int tty, quiet;
    int lost;           /* the input was lost at the last call */
    int idle;           /* on demand: idle at the last call */
    int consumers;      /* on demand: the count at the last call */
};

/* Clears the status line before a line on stderr: stdout is buffered and
 * stderr is not, so the clearing is flushed first or the message lands
 * after the old status text. */
static void clear_line(void)
{
    printf("\r\033[K");
    fflush(stdout);
}

static void show_status(const struct bd_pipeline_stats *s, void *user)
{
    struct status_ctx *c = user;
    /* one line per loss and one per return, whatever the terminal */
    if (s->input_lost != c->lost && !c->quiet) {
        if (c->tty)
            clear_line();
        if (s->input_lost)
            fprintf(stderr, "backdrop: input %s lost (unplugged, or no frame for a second); "
                            "sending its last frame, blurred, until it is back\n",
                    s->input_name);
        else
            fprintf(stderr, "backdrop: input %s is back\n", s->input_name);
    }
    c->lost = s->input_lost;
    if (s->idle != c->idle && !c->quiet) {
        if (c->tty)
            clear_line();
        if (s->idle)
            fprintf(stderr, "backdrop: on demand: nobody streams from %s: %s closed\n",
                    s->output_name, s->input_name);
        else
            fprintf(stderr, "backdrop: on demand: %d streaming from %s: %s open\n", s->consumers,
                    s->output_name, s->input_name);
    } else if (!s->idle && s->consumers >= 0 && s->consumers != c->consumers && !c->quiet) {
        /* one line per change of the count while active: a second program
         * joins, one leaves (0: the grace period runs) */
        if (c->tty)
            clear_line();
        fprintf(stderr, "backdrop: on demand: consumers of %s: %d\n", s->output_name, s->consumers);
    }
    c->idle = s->idle;
    c->consumers = s->consumers;
    if (!c->tty)
        return;
    char who[32] = "";
    if (!s->idle && s->consumers >= 0)
        snprintf(who, sizeof who, "  consumers %d", s->consumers);
    printf("\r\033[K%s → %s  in %.1f fps  out %.1f fps  masks %.1f/s  infer %.1f ms  cpu %.0f%%"
           "  dropped %llu%s%s",
           s->input_name, s->output_name, s->in_fps, s->out_fps, s->mask_fps, s->infer_ms,
           s->cpu_percent,
           (unsigned long long)s->dropped, who,
           s->idle ? "  [idle]" : s->effect_on ? "" : "  [effect off]");
    fflush(stdout);
}

static const char *default_config_path(char *buf, size_t size)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (x && *x)
        snprintf(buf, size, "%s/backdrop/backdrop.conf", x);
    else if (home && *home)
        snprintf(buf, size, "%s/.config/backdrop/backdrop.conf", home);
    else
        return NULL;
    return buf;
}

int cli_camera_parse(int argc, char **argv, int first, struct cli_camera_parsed *out)
{
    memset(out, 0, sizeof *out);
    for (int i = first; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            opt_help_table(camera_usage, bd_options());
            return 1;
        }
    }
    if (bd_settings_create(&out->settings) != BD_OK) {
        fprintf(stderr, "backdrop: %s\n", bd_last_error());
        return 2;
    }
    struct bd_settings *s = out->settings;
    /* The config file comes first so the command line overrides it. */
    const char *config = NULL;
    int explicit_config = 0;
    for (int i = first; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            config = argv[i + 1];
            explicit_config = 1;
        } else if (!strncmp(argv[i], "--config=", 9)) {
            config = argv[i] + 9;
            explicit_config = 1;
        }
    }
    if (!config)
        config = default_config_path(out->config_path, sizeof out->config_path);
    else
        snprintf(out->config_path, sizeof out->config_path, "%s", config);
    if (config && bd_settings_load_file(s, config, explicit_config) != BD_OK) {
        fprintf(stderr, "backdrop: %s%s\n", bd_last_error(),
                strstr(bd_last_error(), "unknown setting") ? " (see 'backdrop --help')" : "");
        return 2;
    }
    unsigned char seen[256] = {0};
    if (opt_parse_settings("", s, argc, argv, first, seen) != 0)
        return 2;
    /* The command line names one background: both there is a mistake
     * (the later one wins over the file's, bd_settings_set) */
    const struct bd_option *t = bd_options();
    if (seen[bd_option_find("color") - t] && seen[bd_option_find("background") - t]) {
        fprintf(stderr, "backdrop: both a colour and a background are set (--color, "
                        "--background or the config file): choose one\n");
        return 2;
    }
    if (bd_settings_to_config(s, &out->cfg) != BD_OK) {
        fprintf(stderr, "backdrop: %s (on the command line or in the config file)\n",
                bd_last_error());
        return 2;
    }
    out->quiet = !strcmp(bd_settings_get(s, "quiet"), "on");
    return 0;
}

void cli_camera_parsed_free(struct cli_camera_parsed *parsed)
{
    bd_settings_destroy(parsed->settings);
    parsed->settings = NULL;
}

/* --dbus auto: a camera (v4l2loopback, PipeWire) is what one steers live
 * and what owns the one bus name; file conversions run side by side. */
static int cli_dbus_wanted(const struct bd_settings *s, const char *output)
{
    const char *d = bd_settings_get(s, "dbus");
    if (!strcmp(d, "auto"))
        return !output || !strcmp(output, "pipewire") ||
               (!strncmp(output, "/dev/", 5) && strcmp(output, "/dev/null") != 0);
    return !strcmp(d, "on");
}

int cli_camera(int argc, char **argv, int first)
{
    struct cli_camera_parsed parsed;
    int rc = cli_camera_parse(argc, argv, first, &parsed);
    if (rc != 0) {
        cli_camera_parsed_free(&parsed);
        return rc == 1 ? 0 : rc;
    }
    const struct bd_pipeline_config cfg = parsed.cfg;
    const int quiet = parsed.quiet;

    /* Blocked before any other thread is made (see struct signals). */
    struct signals sigs;
    memset(&sigs, 0, sizeof sigs);
    block_signals(&sigs);
    signal(SIGPIPE, SIG_IGN);
    const int tty = !quiet && isatty(STDOUT_FILENO);
    if (start_signals(&sigs, quiet, tty) != 0) {
        fprintf(stderr, "backdrop: cannot start the signal thread\n");
        rc = 1;
        goto out;
    }
    /* the bus name first: a second camera stops before it opens a device */
    struct bd_service *svc = NULL;
    char note[512] = "";
    if (cli_dbus_wanted(parsed.settings, cfg.output) &&
        bd_service_open(&svc, note, sizeof note) == BD_SERVICE_TAKEN) {
        rc = 1;
        goto out;
    }
    struct bd_pipeline *p = NULL;
    int r = bd_pipeline_create(&cfg, &p);
    if (r != BD_OK) {
        bd_service_close(svc);
        fprintf(stderr, "backdrop: %s\n", *bd_last_error() ? bd_last_error() : bd_status_str(r));
        rc = 1;
        goto out;
    }
    attach_signals(&sigs, p);
    struct status_ctx sc = {.tty = tty, .quiet = quiet};
    if (!quiet) {
        struct bd_pipeline_stats s;
        bd_pipeline_get_stats(p, &s);
        fprintf(stderr, "backdrop: %s (%dx%d", s.input_name, s.width, s.height);
        if (s.fps > 0)
            fprintf(stderr, " at %.4g fps", s.fps);
        fprintf(stderr, ") → %s, model %s; Ctrl-C stops%s%s\n", s.output_name, s.model_name,
                *note ? "; " : "", note);
    }
    /* live changes are saved where the settings came from */
    bd_service_attach(svc, p, parsed.config_path[0] ? parsed.config_path : NULL);
    r = bd_pipeline_run(p, show_status, &sc);
    bd_service_close(svc);
    if (sc.tty)
        printf("\n");
    const int can_destroy = stop_signals(&sigs);
    if (r != BD_OK) {
        fprintf(stderr, "backdrop: %s\n", *bd_last_error() ? bd_last_error() : bd_status_str(r));
        rc = 1;
    } else {
        rc = 0;
    }
    if (can_destroy)
        bd_pipeline_destroy(p);
out:
    stop_signals(&sigs);
    cli_camera_parsed_free(&parsed);
    return rc;
}

void cli_camera_help(void)
{
    opt_help_table(camera_usage, bd_options());
}

int cli_devices(int argc, char **argv)
{
    if (argc > 2) {
        if (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")) {
            printf("usage: backdrop devices\n\nLists cameras and v4l2loopback devices with their "
                   "formats.\n");
            return 0;
        }
        fprintf(stderr, "backdrop devices: unexpected argument '%s'\n", argv[2]);
        return 2;
    }
    struct bd_device_info devs[64];
    int n = 0;
    int r = bd_devices_list(devs, 64, &n);
    if (r != BD_OK) {
        fprintf(stderr, "backdrop: %s\n", bd_last_error());
        return 1;
    }
    int cams = 0, loops = 0;
    for (int i = 0; i < n; i++) {
        const struct bd_device_info *d = &devs[i];
        if (d->is_loopback) {
            loops++;
            printf("%-12s loopback  %s: %s\n", d->path, d->card,
                   d->can_output   ? "free"
                   : d->can_capture ? "fed by a producer"
                                    : "stuck (reload the module)");
            if (d->can_capture && d->formats[0])
                printf("%-12s           %s\n", "", d->formats);
        } else if (d->can_capture) {
            cams++;
            printf("%-12s camera    %s (%s)\n", d->path, d->card, d->driver);
            printf("%-12s           %s\n", "", d->formats[0] ? d->formats : "(no formats listed)");
        } else {
            printf("%-12s other     %s (%s)\n", d->path, d->card, d->driver);
        }
    }
    if (!cams)
        printf("no camera found\n");
    if (!loops)
        printf("no v4l2loopback device: sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
               "card_label=backdrop\n");
    return 0;
}
