/* The camera command and `backdrop devices` (src/cli/camera.c). */
#ifndef BD_CLI_CAMERA_H
#define BD_CLI_CAMERA_H

/* `backdrop [options]`: parses argv[first..] and runs the pipeline until
 * stopped. Returns the process exit code (0, 1 error, 2 usage). */
int cli_camera(int argc, char **argv, int first);

/* Prints the camera options (for `backdrop --help`). */
void cli_camera_help(void);

/* `backdrop devices`. Returns the exit code. */
int cli_devices(int argc, char **argv);

#endif
