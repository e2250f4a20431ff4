/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The camera command and `backdrop devices` (src/cli/camera.c). */
#ifndef BD_CLI_CAMERA_H
#define BD_CLI_CAMERA_H

#include "backdrop.h"

/* What `backdrop [options]` decided before opening anything: the settings
 * (the library's table, bd_settings) and the config made from them, whose
 * strings and refine point into the settings. */
struct cli_camera_parsed {
    struct bd_settings *settings;
    struct bd_pipeline_config cfg;
    int quiet;
    char config_path[4096]; /* the config file read (or to create), "" when none */
};

/*
 * Everything the camera command does before it opens a device or a file
 * other than the config file: the config file (--config, else
 * ~/.config/backdrop/backdrop.conf when present), then argv[first..] over
 * it, then the checks between options. Opens no device, starts no thread.
 * Returns 0 (out is filled), 1 after printing --help, or 2 after one error
 * line on stderr. The caller calls cli_camera_parsed_free() when done with
 * out, whatever the result. The libFuzzer target fuzz/fuzz_options.c
 * drives this.
 */
int cli_camera_parse(int argc, char **argv, int first, struct cli_camera_parsed *out);
void cli_camera_parsed_free(struct cli_camera_parsed *parsed);

/* `backdrop [options]`: cli_camera_parse, then runs the pipeline until
 * stopped. Returns the process exit code (0, 1 error, 2 usage). */
int cli_camera(int argc, char **argv, int first);

/* Prints the camera options (for `backdrop --help`). */
void cli_camera_help(void);

/* `backdrop devices`. Returns the exit code. */
int cli_devices(int argc, char **argv);

#endif
