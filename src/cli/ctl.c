/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `backdrop ctl`: a thin D-Bus client of a running camera's service
 * (docs/DBUS.md). It knows no option: names and values go to the service
 * as text, and the service's answer (or its error, which names the value
 * and why) is printed as it comes.
 */
#include "cli/ctl.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bus names are the interface (docs/DBUS.md), not shared code. */
#define CTL_NAME "io.github.backdrop.Camera"
#define CTL_PATH "/io/github/backdrop/Camera"
#define CTL_IFACE "io.github.backdrop.Camera1"

static const char ctl_usage[] =
    "usage: backdrop ctl status            every setting and the state, one per line\n"
    "       backdrop ctl get NAME          one of them\n"
    "       backdrop ctl set NAME VALUE    change a setting of the running camera\n"
    "       backdrop ctl toggle            effect off <-> on\n\n"
    "NAME is an option's long name, as on the command line (blur, background, color,\n"
    "effect, mirror, ...). Talks to the backdrop camera on the session bus.\n";

static int say_error(GError *err)
{
    if (g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
        g_error_matches(err, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER)) {
        fprintf(stderr, "backdrop ctl: no backdrop camera is running on this session bus "
                        "(" CTL_NAME " has no owner)\n");
    } else {
        g_dbus_error_strip_remote_error(err);
        fprintf(stderr, "backdrop ctl: %s\n", err->message);
    }
    g_error_free(err);
    return 1;
}

static GVariant *call(GDBusConnection *c, const char *iface, const char *method, GVariant *args,
                      const char *reply, GError **err)
{
    /* no auto-start: ctl reports on the camera that runs, it starts none */
    return g_dbus_connection_call_sync(c, CTL_NAME, CTL_PATH, iface, method, args,
                                       reply ? G_VARIANT_TYPE(reply) : NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, err);
}

/* "InferenceMs" -> "inference-ms": the names the command line uses. */
static char *kebab(const char *name)
{
    GString *s = g_string_new(NULL);
    for (const char *c = name; *c; c++) {
        if (g_ascii_isupper(*c) && c != name)
            g_string_append_c(s, '-');
        g_string_append_c(s, g_ascii_tolower(*c));
    }
    return g_string_free(s, FALSE);
}

static void print_value(const char *name, GVariant *v)
{
    char *k = kebab(name);
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
        printf("%s = %s\n", k, g_variant_get_boolean(v) ? "on" : "off");
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
        printf("%s = %d\n", k, g_variant_get_int32(v));
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
        printf("%s = %" G_GUINT64_FORMAT "\n", k, g_variant_get_uint64(v));
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
        printf("%s = %.1f\n", k, g_variant_get_double(v));
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        printf("%s = %s\n", k, g_variant_get_string(v, NULL));
    else {
        char *t = g_variant_print(v, FALSE);
        printf("%s = %s\n", k, t);
        g_free(t);
    }
    g_free(k);
}

/* The service runs elsewhere, in another folder: a path given here is made
 * absolute (~ expanded, relative paths of existing files joined to ours). */
static char *as_path(const char *v)
{
    const char *home = g_get_home_dir();
    if (!strcmp(v, "~"))
        return g_strdup(home);
    if (!strncmp(v, "~/", 2))
        return g_build_filename(home, v + 2, NULL);
    if (!g_path_is_absolute(v) && (strchr(v, '/') || strchr(v, '.')) &&
        g_file_test(v, G_FILE_TEST_EXISTS)) {
        char *cwd = g_get_current_dir();
        char *p = g_build_filename(cwd, v, NULL);
        g_free(cwd);
        return p;
    }
    return g_strdup(v);
}

int cli_ctl(int argc, char **argv)
{
    const char *cmd = argc > 2 ? argv[2] : NULL;
    if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        fputs(ctl_usage, cmd ? stdout : stderr);
        return cmd ? 0 : 2;
    }
    int want = !strcmp(cmd, "status") || !strcmp(cmd, "toggle") ? 3
               : !strcmp(cmd, "get")                             ? 4
               : !strcmp(cmd, "set")                             ? 5
                                                                 : 0;
    if (!want) {
        fprintf(stderr, "backdrop ctl: unknown command '%s' (status, get, set, toggle)\n", cmd);
        return 2;
    }
    if (argc != want) {
        fprintf(stderr, "backdrop ctl %s: %s\n", cmd,
                want == 5 ? "give a NAME and a VALUE" : want == 4 ? "give a NAME" : "takes no argument");
        return 2;
    }
    GError *err = NULL;
    GDBusConnection *c = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &err);
    if (!c) {
        fprintf(stderr, "backdrop ctl: no D-Bus session bus (%s), so no backdrop camera to talk to\n",
                err->message);
        g_error_free(err);
        return 1;
    }
    int rc = 0;
    GVariant *r = NULL;
    if (!strcmp(cmd, "status")) {
        r = call(c, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", CTL_IFACE),
                 "(a{sv})", &err);
        if (r) {
            GVariantIter *it;
            const char *name;
            GVariant *v;
            g_variant_get(r, "(a{sv})", &it);
            while (g_variant_iter_loop(it, "{&sv}", &name, &v))
                print_value(name, v);
            g_variant_iter_free(it);
        }
    } else if (!strcmp(cmd, "toggle")) {
        r = call(c, CTL_IFACE, "Toggle", NULL, NULL, &err);
    } else if (!strcmp(cmd, "get")) {
        r = call(c, CTL_IFACE, "Get", g_variant_new("(s)", argv[3]), "(s)", &err);
        if (r) {
            const char *v;
            g_variant_get(r, "(&s)", &v);
            printf("%s\n", v);
        }
    } else {
        char *value = as_path(argv[4]);
        r = call(c, CTL_IFACE, "Set", g_variant_new("(ss)", argv[3], value), NULL, &err);
        g_free(value);
    }
    if (r)
        g_variant_unref(r);
    else
        rc = say_error(err);
    g_object_unref(c);
    return rc;
}
