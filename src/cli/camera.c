/*
 * `backdrop [options]`: the virtual camera (a thin client of
 * bd_pipeline_*), and `backdrop devices`.
 */
#include "cli/camera.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backdrop.h"
#include "cli/options.h"

static const char *const fit_choices[] = {"cover", "contain", "stretch", "tile", NULL};
static const char *const format_choices[] = {"yuyv", "i420", NULL};
static const char *const backend_choices[] = {"auto", "xnnpack", "ref", NULL};
static const char *const pace_choices[] = {"auto", "live", "offline", NULL};
static const char *const guide_choices[] = {"luma", "color", NULL};
static const char *const onoff_choices[] = {"on", "off", NULL};

static const char *check_size(const char *v);
static const char *check_color(const char *v);

#define O(f) offsetof(struct camera_opts, f)
static const struct opt_def camera_defs[] = {
    {"input", 'i', OPT_STRING,
     "camera device, video or image file, or - for YUV4MPEG2 on stdin (default: the first camera)",
     NULL, 0, 0, NULL, O(input), NULL},
    {"output", 'o', OPT_STRING,
     "v4l2loopback device, pipewire, a .mp4/.mkv/.y4m file, - for YUV4MPEG2 on stdout, or null "
     "(default: the first free v4l2loopback device)",
     NULL, 0, 0, NULL, O(output), NULL},
    {"size", 's', OPT_STRING, "capture size WxH (the nearest the camera offers)", "1280x720", 0, 0,
     NULL, O(size), check_size},
    {"fps", 0, OPT_INT, "capture frame rate", "30", 1, 240, NULL, O(fps), NULL},
    {"loop", 0, OPT_FLAG, "file input: start again at the end", NULL, 0, 0, NULL, O(loop), NULL},
    {"blur", 'b', OPT_INT, "blur the background with this strength (the default effect)", "12", 1,
     64, NULL, O(blur), NULL},
    {"background", 'B', OPT_STRING, "replace the background with an image or a looped video", NULL,
     0, 0, NULL, O(background), NULL},
    {"fit", 0, OPT_CHOICE, "how --background fills the frame", "cover", 0, 0, fit_choices, O(fit), NULL},
    {"color", 'c', OPT_STRING, "replace the background with a colour, '#RRGGBB'", NULL, 0, 0, NULL,
     O(color), check_color},
    {"mirror", 0, OPT_FLAG, "flip the picture horizontally", NULL, 0, 0, NULL, O(mirror), NULL},
    {"output-format", 0, OPT_CHOICE, "pixel format for a v4l2loopback output", "yuyv", 0, 0,
     format_choices, O(format), NULL},
    {"model", 'm', OPT_STRING,
     "auto (general, or landscape for wide frames), a built-in model name, or a .tflite path",
     "auto", 0, 0, NULL, O(model), NULL},
    {"backend", 0, OPT_CHOICE, "inference backend", "auto", 0, 0, backend_choices, O(backend), NULL},
    {"threads", 0, OPT_INT, "inference threads", "1", 1, 64, NULL, O(threads), NULL},
    {"raw-mask", 0, OPT_FLAG, "the model's mask upsampled bilinearly, without refinement", NULL, 0,
     0, NULL, O(raw_mask), NULL},
    {"guide", 0, OPT_CHOICE,
     "edges the refined mask follows: color (default), or luma (cheaper, worse at hair)",
     "color", 0, 0, guide_choices, O(guide), NULL},
    {"mask-low", 0, OPT_INT, "coverage: probability (%) at and below which it is background", "40",
     0, 99, NULL, O(mask_low), NULL},
    {"mask-high", 0, OPT_INT, "coverage: probability (%) at and above which it is the person",
     "60", 1, 100, NULL, O(mask_high), NULL},
    {"feather", 0, OPT_INT, "soften the mask's edge by this many pixels", "0", 0, 64, NULL,
     O(feather), NULL},
    {"grow", 0, OPT_INT, "grow (> 0) or shrink (< 0) the person by this many pixels", "0", -64, 64,
     NULL, O(grow), NULL},
    {"temporal", 0, OPT_CHOICE,
     "smooth the mask over time where the picture is still (no lag where it moves)", "on", 0, 0,
     onoff_choices, O(temporal), NULL},
    {"mirror-average", 0, OPT_CHOICE,
     "also run the model on the mirror image and average the two (better edges, steadier; "
     "twice the inference)", "on", 0, 0, onoff_choices, O(mirror_average), NULL},
    {"zoom", 0, OPT_CHOICE,
     "where the person fills less of the frame, look again at them alone (fewer objects taken "
     "for the person; one more model run)", "on", 0, 0, onoff_choices, O(zoom), NULL},
    {"halo-free", 0, OPT_CHOICE,
     "keep the person's colours out of the blurred background (off: the plain blur)", "on", 0, 0,
     onoff_choices, O(halo_free), NULL},
    {"light-wrap", 0, OPT_INT,
     "let the background's light spill onto the person's edge, in % (0 = off)", "30", 0, 100, NULL,
     O(light_wrap), NULL},
    {"hologram", 0, OPT_FLAG, "show the person as a hologram (blue-green, scan lines, ghost)", NULL,
     0, 0, NULL, O(hologram), NULL},
    {"preview", 'p', OPT_FLAG, "also show the output in a window", NULL, 0, 0, NULL, O(preview), NULL},
    {"pipewire-name", 0, OPT_STRING, "node name of the PipeWire camera", "backdrop", 0, 0, NULL,
     O(pw_name), NULL},
    {"frames", 'n', OPT_INT, "stop after this many output frames (0 = run until stopped)", "0", 0,
     1000000000, NULL, O(frames), NULL},
    {"pace", 0, OPT_CHOICE,
     "live: play files in real time and never wait for the model; offline: every frame gets its "
     "own mask, as fast as possible; auto: live with a camera, PipeWire or a preview at either end",
     "auto", 0, 0, pace_choices, O(pace), NULL},
    {"quiet", 'q', OPT_FLAG, "no start-up line and no status line", NULL, 0, 0, NULL, O(quiet), NULL},
    {"config", 0, OPT_STRING,
     "read settings from this file (\"name = value\" lines with these option names) before the "
     "command line; default ~/.config/backdrop/backdrop.conf when it exists",
     NULL, 0, 0, NULL, O(config), NULL},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL, 0, NULL},
};
#undef O

static const char camera_usage[] =
    "usage: backdrop [options]\n\n"
    "Reads a camera (or a file), finds the person, blurs or replaces the background and\n"
    "presents the result as a camera other programs can open.\n"
    "Signals: SIGINT/SIGTERM stop, SIGUSR1 toggles the effect, SIGHUP reloads --background.";

static struct bd_pipeline *volatile g_pipeline;

static void on_signal(int sig)
{
    struct bd_pipeline *p = g_pipeline;
    if (!p)
        return;
    if (sig == SIGUSR1)
        bd_pipeline_request(p, BD_REQUEST_TOGGLE);
    else if (sig == SIGHUP)
        bd_pipeline_request(p, BD_REQUEST_RELOAD);
    else {
        bd_pipeline_request(p, BD_REQUEST_STOP);
        /* a second Ctrl-C kills at once */
        signal(sig, SIG_DFL);
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int parse_size(const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || a < 16 || b < 16 || a > 8192 || b > 8192)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

static int parse_color(const char *s, uint32_t *rgb)
{
    if (*s == '#')
        s++;
    else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    /* six hex digits and nothing else: strtoul alone would also take a
     * sign or spaces (fuzz/regressions/options/color_sign) */
    uint32_t v = 0;
    for (int i = 0; i < 6; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    if (s[6])
        return -1;
    *rgb = v;
    return 0;
}

static const char *check_size(const char *v)
{
    int w, h;
    return parse_size(v, &w, &h) == 0 ? NULL : "is not WxH (e.g. 1280x720, 16..8192 each)";
}

static const char *check_color(const char *v)
{
    uint32_t rgb;
    return parse_color(v, &rgb) == 0 ? NULL : "is not '#RRGGBB'";
}

struct status_ctx {
    int tty, quiet;
    int lost;           /* the input was lost at the last call */
};

static void show_status(const struct bd_pipeline_stats *s, void *user)
{
    struct status_ctx *c = user;
    /* one line per loss and one per return, whatever the terminal */
    if (s->input_lost != c->lost && !c->quiet) {
        if (c->tty)
            printf("\r\033[K");
        if (s->input_lost)
            fprintf(stderr, "backdrop: input %s lost (unplugged, or no frame for a second); "
                            "sending its last frame, blurred, until it is back\n",
                    s->input_name);
        else
            fprintf(stderr, "backdrop: input %s is back\n", s->input_name);
    }
    c->lost = s->input_lost;
    if (!c->tty)
        return;
    printf("\r\033[K%s → %s  in %.1f fps  out %.1f fps  infer %.1f ms  cpu %.0f%%  dropped %llu"
           "%s",
           s->input_name, s->output_name, s->in_fps, s->out_fps, s->infer_ms, s->cpu_percent,
           (unsigned long long)s->dropped, s->effect_on ? "" : "  [effect off]");
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
    struct camera_opts *op = &out->o;
    struct bd_pipeline_config *cp = &out->cfg;
    for (int i = first; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            opt_help(camera_usage, camera_defs);
            return 1;
        }
    }
    if (opt_defaults("", camera_defs, op) != 0)
        return 2;
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
    char path[4096];
    if (!config)
        config = default_config_path(path, sizeof path);
    int npos = 0;
    const char *pos[1];
    if (config && opt_parse_file("", camera_defs, op, config, explicit_config) != 0)
        return 2;
    const char *file_color = op->color, *file_background = op->background;
    if (opt_parse_args("", camera_defs, op, argc, argv, first, pos, 0, &npos) != 0)
        return 2;
    /* The command line wins over the file for the background as a whole:
     * --background on the command line replaces a colour from the file,
     * and --color a background image from it. */
    if (op->background != file_background && op->color == file_color)
        op->color = NULL;
    else if (op->color != file_color && op->background == file_background)
        op->background = NULL;

    /* the rest reads like a list of assignments: short local names */
    const struct camera_opts o = *op;
    struct bd_pipeline_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.input = o.input;
    cfg.output = o.output;
    if (parse_size(o.size, &cfg.width, &cfg.height) != 0) /* checked when it was set */
        return 2;
    cfg.fps = o.fps;
    cfg.loop = o.loop;
    cfg.blur = o.blur;
    cfg.fit = (enum bd_fit_mode)o.fit;
    cfg.mirror = o.mirror;
    cfg.output_format = (enum bd_output_format)o.format;
    cfg.model = o.model;
    cfg.backend = (enum bd_backend)o.backend;
    cfg.threads = o.threads;
    cfg.preview = o.preview;
    cfg.pw_name = o.pw_name;
    cfg.max_frames = o.frames;
    cfg.pace = (enum bd_pace)o.pace;
    cfg.effect = BD_EFFECT_BLUR;
    cfg.raw_mask = o.raw_mask;
    cfg.no_halo_free = o.halo_free == 1;
    cfg.no_mirror_average = o.mirror_average == 1;
    cfg.no_zoom = o.zoom == 1;
    cfg.light_wrap = o.light_wrap ? o.light_wrap : -1;
    cfg.hologram = o.hologram;
    cfg.guide_luma = o.guide == 0;
    struct bd_refine_options *ro = &out->refine;
    bd_refine_options_default(ro);
    if (o.mask_low >= o.mask_high) {
        fprintf(stderr, "backdrop: mask-low (%d) must be below mask-high (%d) (on the command line "
                "or in the config file)\n", o.mask_low, o.mask_high);
        return 2;
    }
    ro->lo = (float)o.mask_low / 100.f;
    ro->hi = (float)o.mask_high / 100.f;
    ro->feather = o.feather;
    ro->grow = o.grow;
    ro->temporal = o.temporal == 0;
    cfg.refine = ro;
    if (o.color && o.background) {
        fprintf(stderr, "backdrop: both a colour and a background are set (--color, --background or the config file): choose one\n");
        return 2;
    }
    if (o.color) {
        if (parse_color(o.color, &cfg.color) != 0) /* checked when it was set */
            return 2;
        cfg.effect = BD_EFFECT_COLOR;
    } else if (o.background) {
        cfg.background = o.background;
        cfg.effect = BD_EFFECT_IMAGE;
    }
    *cp = cfg;
    return 0;
}

int cli_camera(int argc, char **argv, int first)
{
    struct cli_camera_parsed parsed;
    int rc = cli_camera_parse(argc, argv, first, &parsed);
    if (rc != 0) {
        opt_free_file_values();
        return rc == 1 ? 0 : rc;
    }
    const struct bd_pipeline_config cfg = parsed.cfg;
    const struct camera_opts o = parsed.o;

    /* Handlers first: a SIGTERM during set-up still ends cleanly. */
    signal(SIGPIPE, SIG_IGN);
    struct bd_pipeline *p = NULL;
    int r = bd_pipeline_create(&cfg, &p);
    if (r != BD_OK) {
        fprintf(stderr, "backdrop: %s\n", *bd_last_error() ? bd_last_error() : bd_status_str(r));
        rc = 1;
        goto out;
    }
    g_pipeline = p;
    install_signals();
    struct status_ctx sc = {.tty = !o.quiet && isatty(STDOUT_FILENO), .quiet = o.quiet};
    if (!o.quiet) {
        struct bd_pipeline_stats s;
        bd_pipeline_get_stats(p, &s);
        fprintf(stderr, "backdrop: %s (%dx%d", s.input_name, s.width, s.height);
        if (s.fps > 0)
            fprintf(stderr, " at %.4g fps", s.fps);
        fprintf(stderr, ") → %s, model %s; Ctrl-C stops\n", s.output_name, s.model_name);
    }
    r = bd_pipeline_run(p, show_status, &sc);
    if (sc.tty)
        printf("\n");
    g_pipeline = NULL;
    if (r != BD_OK) {
        fprintf(stderr, "backdrop: %s\n", *bd_last_error() ? bd_last_error() : bd_status_str(r));
        rc = 1;
    } else {
        rc = 0;
    }
    bd_pipeline_destroy(p);
out:
    opt_free_file_values();
    return rc;
}

void cli_camera_help(void)
{
    opt_help(camera_usage, camera_defs);
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
