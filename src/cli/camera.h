/* The camera command and `backdrop devices` (src/cli/camera.c). */
#ifndef BD_CLI_CAMERA_H
#define BD_CLI_CAMERA_H

#include "backdrop.h"

/* The camera command's options, as the option table fills them. */
struct camera_opts {
    const char *input, *output, *size, *background, *color, *model, *pw_name, *config;
    int fps, loop, blur, fit, mirror, format, backend, threads, preview, frames, pace, quiet;
    int raw_mask, guide, mask_low, mask_high, feather, grow, temporal;
    int halo_free, mirror_average, zoom, light_wrap, hologram;
};

/* What `backdrop [options]` decided before opening anything. cfg.refine
 * points at refine; cfg's strings point into argv or into values read from
 * the config file (valid until opt_free_file_values()). */
struct cli_camera_parsed {
    struct camera_opts o;
    struct bd_refine_options refine;
    struct bd_pipeline_config cfg;
};

/*
 * Everything the camera command does before it opens a device or a file
 * other than the config file: the config file (--config, else
 * ~/.config/backdrop/backdrop.conf when present), then argv[first..] over
 * it, then the checks between options. Opens no device, starts no thread.
 * Returns 0 (out is filled), 1 after printing --help, or 2 after one error
 * line on stderr. The caller calls opt_free_file_values() when done with
 * out. The libFuzzer target fuzz/fuzz_options.c drives this.
 */
int cli_camera_parse(int argc, char **argv, int first, struct cli_camera_parsed *out);

/* `backdrop [options]`: cli_camera_parse, then runs the pipeline until
 * stopped. Returns the process exit code (0, 1 error, 2 usage). */
int cli_camera(int argc, char **argv, int first);

/* Prints the camera options (for `backdrop --help`). */
void cli_camera_help(void);

/* `backdrop devices`. Returns the exit code. */
int cli_devices(int argc, char **argv);

#endif
