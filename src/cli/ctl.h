/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `backdrop ctl` (src/cli/ctl.c): the D-Bus client of a running camera. */
#ifndef BD_CLI_CTL_H
#define BD_CLI_CTL_H

/* argv[1] is "ctl". Returns the exit code: 0, 1 (no camera, no bus, a
 * refused value: one line on stderr), 2 (usage). */
int cli_ctl(int argc, char **argv);

#endif
