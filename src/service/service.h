/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The D-Bus service of a running camera (docs/DBUS.md): a client of
 * include/backdrop.h that the camera command hosts. It owns
 * io.github.backdrop.Camera on the session bus and serves
 * io.github.backdrop.Camera1 at /io/github/backdrop/Camera: one read/write
 * property per live option of bd_options() (through bd_pipeline_set/get),
 * Enabled, and the read-only state from bd_pipeline_get_stats, each with
 * PropertiesChanged. Its GLib main loop runs on a thread of its own, so the
 * frame loop never waits for the bus.
 */
#ifndef BD_SERVICE_H
#define BD_SERVICE_H

#include <stddef.h>

#include "backdrop.h"

#define BD_SERVICE_NAME "io.github.backdrop.Camera"
#define BD_SERVICE_PATH "/io/github/backdrop/Camera"
#define BD_SERVICE_IFACE "io.github.backdrop.Camera1"

struct bd_service;

enum bd_service_open_result {
    BD_SERVICE_OK = 0,        /* *out is the service */
    BD_SERVICE_NO_BUS = 1,    /* no session bus (or the name refused): *out NULL, note says
                                 why; the camera goes on without live control */
    BD_SERVICE_TAKEN = 2,     /* another backdrop owns the name: one line on stderr named
                                 it (its PID and output); exit 1 */
};

/*
 * Before any device is opened: connects to the session bus, registers the
 * object and claims the name (no queueing). Method calls that come before
 * bd_service_attach wait in the service's own main context. For NO_BUS,
 * note (size bytes) gets one sentence for the caller to show with its
 * start-up line, so that a failure to open a device stays one line.
 */
enum bd_service_open_result bd_service_open(struct bd_service **out, char *note, size_t size);

/* Serves pipeline p from now on (starts the service thread). Every change
 * a client makes is also saved in config_path (bd_config_file_set), so the
 * camera keeps it after a restart; NULL saves nothing. A file that cannot
 * be written is said once on stderr, and the change still applies. */
void bd_service_attach(struct bd_service *s, struct bd_pipeline *p, const char *config_path);

/* Stops the thread, releases the name and the connection. NULL is a no-op.
 * Call before destroying the pipeline. */
void bd_service_close(struct bd_service *s);

#endif
