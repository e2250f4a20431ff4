/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bd_devices_list(): the public face of the V4L2 device layer. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backdrop.h"
#include "capture/v4l2_capture.h"
#include "common/error.h"
#include "common/v4l2_device.h"

#define MAX_NODES 64

enum bd_status bd_devices_list(struct bd_device_info *out, int max, int *count)
{
    if (!count || (max > 0 && !out))
        return bd_fail(BD_ERR_INVALID_ARG, "bd_devices_list: bad arguments");
    *count = 0;
    struct bd_v4l2_device_info *devs = calloc(MAX_NODES, sizeof *devs);
    struct bd_v4l2_modes *modes = malloc(sizeof *modes);
    if (!devs || !modes) {
        free(devs);
        free(modes);
        return bd_fail(BD_ERR_NOMEM, "out of memory listing devices");
    }
    int n = 0;
    int r = bd_v4l2_list_devices(NULL, NULL, 0, devs, MAX_NODES, &n);
    if (r < 0) {
        free(devs);
        free(modes);
        return bd_fail(BD_ERR_IO, "cannot list /dev: %s", strerror(-r));
    }
    for (int i = 0; i < n && *count < max; i++) {
        const struct bd_v4l2_device_info *d = &devs[i];
        struct bd_device_info *o = &out[(*count)++];
        memset(o, 0, sizeof *o);
        snprintf(o->path, sizeof o->path, "%s", d->path);
        snprintf(o->driver, sizeof o->driver, "%s", d->driver);
        snprintf(o->card, sizeof o->card, "%s", d->card);
        o->is_loopback = d->is_loopback;
        o->can_capture = d->can_capture;
        o->can_output = d->can_output;
        if (!d->can_capture)
            continue;
        int fd = bd_v4l2_open(NULL, d->path, O_RDWR | O_NONBLOCK);
        if (fd < 0)
            continue;
        if (bd_v4l2_enum_modes(NULL, fd, modes) == 0)
            bd_v4l2_modes_str(modes, o->formats, sizeof o->formats);
        bd_v4l2_close(NULL, fd);
    }
    free(devs);
    free(modes);
    return BD_OK;
}
