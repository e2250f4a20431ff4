/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The camera's D-Bus service (GDBus; docs/DBUS.md, docs/ARCHITECTURE.md
 * says why GDBus). Every property comes from the library: the live options
 * of bd_options() (set and read as text through bd_pipeline_set/get, the
 * same text the command line takes), Enabled (the SIGUSR1 toggle) and the
 * state of bd_pipeline_get_stats. A one-second timer re-reads them all and
 * emits PropertiesChanged for what changed, whoever changed it (a D-Bus
 * client, SIGUSR1, SIGHUP, the pipeline itself).
 */
#include "service/service.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

enum prop_kind {
    P_OPTION,      /* a live option: bd_pipeline_set/get */
    P_ENABLED,     /* stats.effect_on, written through BD_REQUEST_TOGGLE */
    P_STATE,       /* idle | active */
    P_CONSUMERS,
    P_INPUT,
    P_OUTPUT,
    P_FPS,
    P_INFER_MS,
    P_CPU,
    P_FRAMES_OUT,
    P_DROPPED,
    P_MODEL,       /* the model in use, when the table's model is not live */
};

struct prop {
    char *name;                 /* D-Bus: CamelCase of key */
    char *key;                  /* the option's name, or the state's in its style */
    enum prop_kind kind;
    const struct bd_option *opt;
    const char *sig;
    GVariant *cache;            /* the value last emitted (or read at attach) */
};

static const struct {
    const char *key;
    enum prop_kind kind;
    const char *sig;
} state_props[] = {
    {"state", P_STATE, "s"},           {"consumers", P_CONSUMERS, "i"},
    {"input-device", P_INPUT, "s"},    {"output", P_OUTPUT, "s"},
    {"fps", P_FPS, "d"},               {"inference-ms", P_INFER_MS, "d"},
    {"cpu", P_CPU, "d"},               {"frames-out", P_FRAMES_OUT, "t"},
    {"dropped", P_DROPPED, "t"},
    {"model", P_MODEL, "s"},
};

struct bd_service {
    GMainContext *ctx;          /* every handler and the timer run here */
    GMainLoop *loop;
    GThread *thread;
    GDBusConnection *conn;
    GDBusNodeInfo *node;
    guint reg_id;
    GSource *timer;
    struct bd_pipeline *p;
    struct prop *props;
    int nprops;
    char *config;               /* where accepted changes are saved, or NULL */
    int save_failed;            /* said once */
};

/* "on-demand" -> "OnDemand": property names follow D-Bus style and map
 * back to the option names one to one. */
static char *camel(const char *key)
{
    GString *s = g_string_new(NULL);
    int up = 1;
    for (const char *c = key; *c; c++) {
        if (*c == '-' || *c == '_') {
            up = 1;
            continue;
        }
        g_string_append_c(s, up ? g_ascii_toupper(*c) : *c);
        up = 0;
    }
    return g_string_free(s, FALSE);
}

/* A choice of exactly on/off is a boolean to D-Bus clients too. */
static int is_onoff(const struct bd_option *o)
{
    const char *const *c = o->choices;
    return o->type == BD_OPTION_CHOICE && c && c[0] && c[1] && !c[2] &&
           !strcmp(c[0], "on") && !strcmp(c[1], "off");
}

static const char *option_sig(const struct bd_option *o)
{
    if (o->type == BD_OPTION_FLAG || is_onoff(o))
        return "b";
    return o->type == BD_OPTION_INT ? "i" : "s";
}

static void add_prop(GArray *a, const char *key, enum prop_kind kind, const struct bd_option *o,
                     const char *sig)
{
    struct prop p = {camel(key), g_strdup(key), kind, o, sig, NULL};
    g_array_append_val(a, p);
}

static void build_props(struct bd_service *s)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(struct prop));
    if (!bd_option_find("enabled"))
        add_prop(a, "enabled", P_ENABLED, NULL, "b");
    for (const struct bd_option *o = bd_options(); o->name; o++)
        if (o->flags & BD_OPTION_LIVE)
            add_prop(a, o->name, P_OPTION, o, option_sig(o));
    for (size_t i = 0; i < G_N_ELEMENTS(state_props); i++) {
        const struct bd_option *o = bd_option_find(state_props[i].key);
        if (!o || !(o->flags & BD_OPTION_LIVE))
            add_prop(a, state_props[i].key, state_props[i].kind, NULL, state_props[i].sig);
    }
    s->nprops = (int)a->len;
    s->props = (struct prop *)(void *)g_array_free(a, FALSE);
}

static char *build_xml(const struct bd_service *s)
{
    GString *x = g_string_new("<node>\n  <interface name=\"" BD_SERVICE_IFACE "\">\n"
                              "    <method name=\"Set\">\n"
                              "      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n"
                              "      <arg name=\"value\" type=\"s\" direction=\"in\"/>\n"
                              "    </method>\n"
                              "    <method name=\"Get\">\n"
                              "      <arg name=\"name\" type=\"s\" direction=\"in\"/>\n"
                              "      <arg name=\"value\" type=\"s\" direction=\"out\"/>\n"
                              "    </method>\n"
                              "    <method name=\"Toggle\"/>\n");
    for (int i = 0; i < s->nprops; i++) {
        const struct prop *p = &s->props[i];
        int rw = p->kind == P_OPTION || p->kind == P_ENABLED;
        g_string_append_printf(x, "    <property name=\"%s\" type=\"%s\" access=\"%s\"/>\n",
                               p->name, p->sig, rw ? "readwrite" : "read");
    }
    g_string_append(x, "  </interface>\n</node>\n");
    return g_string_free(x, FALSE);
}

static struct prop *find_prop(struct bd_service *s, const char *name, int by_key)
{
    for (int i = 0; i < s->nprops; i++)
        if (!strcmp(by_key ? s->props[i].key : s->props[i].name, name))
            return &s->props[i];
    return NULL;
}

static int parse_bool(const char *v, gboolean *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (!g_ascii_strcasecmp(v, yes[i]))
            return *out = TRUE, 0;
        if (!g_ascii_strcasecmp(v, no[i]))
            return *out = FALSE, 0;
    }
    return -1;
}

static double tenth(double v)
{
    return (double)(gint64)(v * 10.0 + (v < 0 ? -0.5 : 0.5)) / 10.0;
}

/* The property's current value, or NULL when it cannot be read. */
static GVariant *read_prop(struct bd_service *s, const struct prop *p,
                           const struct bd_pipeline_stats *st)
{
    if (p->kind == P_OPTION) {
        char buf[4096];
        if (bd_pipeline_get(s->p, p->key, buf, sizeof buf) != BD_OK)
            return NULL;
        if (p->sig[0] == 'b') {
            gboolean b = FALSE;
            parse_bool(buf, &b);
            return g_variant_new_boolean(b);
        }
        if (p->sig[0] == 'i')
            return g_variant_new_int32((gint32)g_ascii_strtoll(buf, NULL, 10));
        return g_variant_new_string(buf);
    }
    switch (p->kind) {
    case P_ENABLED: return g_variant_new_boolean(st->effect_on != 0);
    case P_STATE: return g_variant_new_string(st->idle ? "idle" : "active");
    case P_CONSUMERS: return g_variant_new_int32(st->consumers);
    case P_INPUT: return g_variant_new_string(st->input_name);
    case P_OUTPUT: return g_variant_new_string(st->output_name);
    case P_FPS: return g_variant_new_double(tenth(st->out_fps));
    case P_INFER_MS: return g_variant_new_double(tenth(st->infer_ms));
    case P_CPU: return g_variant_new_double(tenth(st->cpu_percent));
    case P_FRAMES_OUT: return g_variant_new_uint64(st->frames_out);
    case P_DROPPED: return g_variant_new_uint64(st->dropped);
    case P_MODEL: return g_variant_new_string(st->model_name);
    default: return NULL;
    }
}

/* Re-reads every property and emits one PropertiesChanged with those that
 * differ from what was last emitted. */
static void refresh(struct bd_service *s, int emit)
{
    struct bd_pipeline_stats st;
    bd_pipeline_get_stats(s->p, &st);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    int changed = 0;
    for (int i = 0; i < s->nprops; i++) {
        struct prop *p = &s->props[i];
        GVariant *v = read_prop(s, p, &st);
        if (!v)
            continue;
        g_variant_ref_sink(v);
        if (p->cache && g_variant_equal(p->cache, v)) {
            g_variant_unref(v);
            continue;
        }
        if (p->cache)
            g_variant_unref(p->cache);
        p->cache = v;
        g_variant_builder_add(&b, "{sv}", p->name, v);
        changed++;
    }
    GVariant *dict = g_variant_builder_end(&b);
    if (emit && changed && !g_dbus_connection_is_closed(s->conn))
        g_dbus_connection_emit_signal(s->conn, NULL, BD_SERVICE_PATH,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                      g_variant_new("(s@a{sv}@as)", BD_SERVICE_IFACE, dict,
                                                    g_variant_new_strv(NULL, 0)),
                                      NULL);
    else
        g_variant_unref(g_variant_ref_sink(dict));
}

static gboolean on_tick(gpointer user)
{
    refresh(user, 1);
    return G_SOURCE_CONTINUE;
}

static const char *error_name(enum bd_status r)
{
    switch (r) {
    case BD_ERR_INVALID_ARG: return "org.freedesktop.DBus.Error.InvalidArgs";
    case BD_ERR_NOT_FOUND: return "io.github.backdrop.Error.NotFound";
    case BD_ERR_UNSUPPORTED: return "io.github.backdrop.Error.NotLive";
    case BD_ERR_IO:
    case BD_ERR_FORMAT: return "io.github.backdrop.Error.File";
    default: return "io.github.backdrop.Error.Failed";
    }
}

/* Flips the effect when it is not already as asked, and waits (briefly:
 * the frame loop takes requests every frame) until the stats show it, so
 * the signal carries the value clients will read. */
static void set_enabled(struct bd_service *s, gboolean on)
{
    struct bd_pipeline_stats st;
    bd_pipeline_get_stats(s->p, &st);
    if ((st.effect_on != 0) == on)
        return;
    bd_pipeline_request(s->p, BD_REQUEST_TOGGLE);
    for (int i = 0; i < 50; i++) {
        g_usleep(10000);
        bd_pipeline_get_stats(s->p, &st);
        if ((st.effect_on != 0) == on)
            break;
    }
}

/* Saves option key's current value in the config file. An effect that
 * needs a background or a colour saves that too, just before it: the file
 * may have lost it to the other (bd_config_file_set keeps one of them). */
static void save_one(struct bd_service *s, const char *key)
{
    char buf[4096];
    if (bd_pipeline_get(s->p, key, buf, sizeof buf) != BD_OK || !buf[0])
        return;
    if (bd_config_file_set(s->config, key, buf) != BD_OK && !s->save_failed) {
        s->save_failed = 1;
        fprintf(stderr, "backdrop: live changes are not saved: %s\n", bd_last_error());
    }
}

static void save(struct bd_service *s, const char *key)
{
    if (!s->config)
        return;
    /* "hologram" is the effect's other name: the effect says it all */
    if (!strcmp(key, "hologram"))
        key = "effect";
    if (!strcmp(key, "effect")) {
        char e[64];
        if (bd_pipeline_get(s->p, "effect", e, sizeof e) == BD_OK &&
            (!strcmp(e, "background") || !strcmp(e, "color")))
            save_one(s, e);
    }
    save_one(s, key);
}

/* Applies one setting given as text (as on the command line). Returns 0, or
 * -1 with the invocation answered by a D-Bus error naming the value and why;
 * the old setting then stays (bd_pipeline_set's contract). */
static int set_text(struct bd_service *s, GDBusMethodInvocation *inv, const char *key,
                    const char *value)
{
    const struct prop *p = find_prop(s, key, 1);
    if (p && p->kind == P_ENABLED) {
        gboolean on;
        if (parse_bool(value, &on) != 0) {
            char *m = g_strdup_printf("enabled '%s': not on or off", value);
            g_dbus_method_invocation_return_dbus_error(inv, error_name(BD_ERR_INVALID_ARG), m);
            g_free(m);
            return -1;
        }
        set_enabled(s, on);
    } else if (p && p->kind != P_OPTION) {
        char *m = g_strdup_printf("%s is read-only (the camera's state)", key);
        g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.DBus.Error.PropertyReadOnly",
                                                   m);
        g_free(m);
        return -1;
    } else {
        enum bd_status r = bd_pipeline_set(s->p, key, value);
        if (r != BD_OK) {
            const char *d = bd_last_error();
            char *m = *d ? g_strdup(d)
                         : g_strdup_printf("%s '%s': %s", key, value, bd_status_str(r));
            g_dbus_method_invocation_return_dbus_error(inv, error_name(r), m);
            g_free(m);
            return -1;
        }
        save(s, key);
    }
    /* a change may move others (a background sets the effect): all at once */
    refresh(s, 1);
    return 0;
}

static char *variant_text(GVariant *v)
{
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
        return g_strdup(g_variant_get_boolean(v) ? "on" : "off");
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
        return g_strdup_printf("%d", g_variant_get_int32(v));
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
        return g_strdup_printf("%" G_GUINT64_FORMAT, g_variant_get_uint64(v));
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
        return g_strdup_printf("%.1f", g_variant_get_double(v));
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        return g_strdup(g_variant_get_string(v, NULL));
    return g_variant_print(v, FALSE);
}

static GVariant *current(struct bd_service *s, const struct prop *p)
{
    struct bd_pipeline_stats st;
    bd_pipeline_get_stats(s->p, &st);
    GVariant *v = read_prop(s, p, &st);
    if (v)
        return v;
    switch (p->sig[0]) {
    case 'b': return g_variant_new_boolean(FALSE);
    case 'i': return g_variant_new_int32(0);
    case 'd': return g_variant_new_double(0);
    case 't': return g_variant_new_uint64(0);
    default: return g_variant_new_string("");
    }
}

static void unknown(GDBusMethodInvocation *inv, const char *name)
{
    char *m = g_strdup_printf("no setting or state '%s' (backdrop ctl status lists them)", name);
    g_dbus_method_invocation_return_dbus_error(inv, error_name(BD_ERR_NOT_FOUND), m);
    g_free(m);
}

static void on_call(GDBusConnection *conn, const char *sender, const char *path,
                    const char *iface, const char *method, GVariant *params,
                    GDBusMethodInvocation *inv, gpointer user)
{
    (void)conn, (void)sender, (void)path;
    struct bd_service *s = user;
    if (!strcmp(iface, "org.freedesktop.DBus.Properties")) {
        /* get_property/set_property are NULL, so GDBus hands the Properties
         * calls here, after checking the property exists, its access and
         * (for Set) its type against the introspection data */
        const char *name;
        if (!strcmp(method, "GetAll")) {
            GVariantBuilder b;
            g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
            for (int i = 0; i < s->nprops; i++)
                g_variant_builder_add(&b, "{sv}", s->props[i].name, current(s, &s->props[i]));
            g_dbus_method_invocation_return_value(inv, g_variant_new("(a{sv})", &b));
        } else if (!strcmp(method, "Get")) {
            g_variant_get(params, "(&s&s)", NULL, &name);
            const struct prop *p = find_prop(s, name, 0);
            if (!p)
                return unknown(inv, name);
            g_dbus_method_invocation_return_value(inv, g_variant_new("(v)", current(s, p)));
        } else {
            GVariant *v;
            g_variant_get(params, "(&s&sv)", NULL, &name, &v);
            const struct prop *p = find_prop(s, name, 0);
            char *text = v ? variant_text(v) : NULL;
            if (!p)
                unknown(inv, name);
            else if (set_text(s, inv, p->key, text) == 0)
                g_dbus_method_invocation_return_value(inv, NULL);
            g_free(text);
            if (v)
                g_variant_unref(v);
        }
        return;
    }
    if (!strcmp(method, "Toggle")) {
        struct bd_pipeline_stats st;
        bd_pipeline_get_stats(s->p, &st);
        set_enabled(s, !st.effect_on);
        refresh(s, 1);
        g_dbus_method_invocation_return_value(inv, NULL);
    } else if (!strcmp(method, "Set")) {
        const char *name, *value;
        g_variant_get(params, "(&s&s)", &name, &value);
        if (set_text(s, inv, name, value) == 0)
            g_dbus_method_invocation_return_value(inv, NULL);
    } else if (!strcmp(method, "Get")) {
        const char *name;
        g_variant_get(params, "(&s)", &name);
        const struct prop *p = find_prop(s, name, 1);
        char buf[4096];
        if (p && p->kind != P_OPTION) {
            GVariant *v = g_variant_ref_sink(current(s, p));
            char *t = variant_text(v);
            g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", t));
            g_free(t);
            g_variant_unref(v);
        } else if (bd_option_find(name) && bd_pipeline_get(s->p, name, buf, sizeof buf) == BD_OK) {
            g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", buf));
        } else {
            unknown(inv, name);
        }
    }
}

static const GDBusInterfaceVTable vtable = {on_call, NULL, NULL, {0}};

static void on_closed(GDBusConnection *conn, gboolean remote, GError *err, gpointer user)
{
    (void)conn, (void)remote;
    struct bd_service *s = user;
    fprintf(stderr, "backdrop: the D-Bus session bus went away (%s): live control (backdrop ctl) "
                    "is off, the camera streams on\n",
            err ? err->message : "closed");
    if (s->timer) {
        g_source_destroy(s->timer);
        g_source_unref(s->timer);
        s->timer = NULL;
    }
}

static gpointer service_thread(gpointer user)
{
    struct bd_service *s = user;
    g_main_context_push_thread_default(s->ctx);
    g_main_loop_run(s->loop);
    g_main_context_pop_thread_default(s->ctx);
    return NULL;
}

/* Another owner of the name: its PID from the bus, its output from itself
 * (within a second; it may itself still be starting). */
static void name_other(GDBusConnection *c)
{
    guint32 pid = 0;
    char *output = NULL;
    GVariant *r = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "GetNameOwner",
                                              g_variant_new("(s)", BD_SERVICE_NAME),
                                              G_VARIANT_TYPE("(s)"), 0, 1000, NULL, NULL);
    if (r) {
        const char *owner;
        g_variant_get(r, "(&s)", &owner);
        GVariant *q = g_dbus_connection_call_sync(
            c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            "GetConnectionUnixProcessID", g_variant_new("(s)", owner), G_VARIANT_TYPE("(u)"), 0,
            1000, NULL, NULL);
        if (q) {
            g_variant_get(q, "(u)", &pid);
            g_variant_unref(q);
        }
        q = g_dbus_connection_call_sync(c, owner, BD_SERVICE_PATH,
                                        "org.freedesktop.DBus.Properties", "Get",
                                        g_variant_new("(ss)", BD_SERVICE_IFACE, "Output"),
                                        G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                        1000, NULL, NULL);
        if (q) {
            GVariant *v;
            g_variant_get(q, "(v)", &v);
            if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
                output = g_variant_dup_string(v, NULL);
            g_variant_unref(v);
            g_variant_unref(q);
        }
        g_variant_unref(r);
    }
    fprintf(stderr, "backdrop: another backdrop (PID %u, output %s) already owns " BD_SERVICE_NAME
                    " on this session bus: stop it first, or start this one with --dbus off\n",
            pid, output ? output : "not known yet");
    g_free(output);
}

static void service_free(struct bd_service *s)
{
    if (s->reg_id)
        g_dbus_connection_unregister_object(s->conn, s->reg_id);
    if (s->conn) {
        g_signal_handlers_disconnect_by_data(s->conn, s);
        if (!g_dbus_connection_is_closed(s->conn))
            g_dbus_connection_close_sync(s->conn, NULL, NULL);
        g_object_unref(s->conn);
    }
    if (s->node)
        g_dbus_node_info_unref(s->node);
    for (int i = 0; i < s->nprops; i++) {
        g_free(s->props[i].name);
        g_free(s->props[i].key);
        if (s->props[i].cache)
            g_variant_unref(s->props[i].cache);
    }
    g_free(s->props);
    g_free(s->config);
    if (s->loop)
        g_main_loop_unref(s->loop);
    /* what is left queued (calls after the loop stopped) goes with it */
    while (g_main_context_iteration(s->ctx, FALSE))
        ;
    g_main_context_unref(s->ctx);
    g_free(s);
}

enum bd_service_open_result bd_service_open(struct bd_service **out, char *note, size_t size)
{
    *out = NULL;
    if (size)
        *note = 0;
    struct bd_service *s = g_new0(struct bd_service, 1);
    s->ctx = g_main_context_new();
    /* the connection's signals and the object's calls belong to ctx */
    g_main_context_push_thread_default(s->ctx);
    GError *err = NULL;
    enum bd_service_open_result res = BD_SERVICE_NO_BUS;
    char *addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, NULL, &err);
    /* not g_bus_get_sync: its shared connection exits the process when the
     * bus goes away, and the camera must stream on */
    if (addr)
        s->conn = g_dbus_connection_new_for_address_sync(
            addr, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                      G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
            NULL, NULL, &err);
    g_free(addr);
    if (!s->conn) {
        snprintf(note, size, "no live control (backdrop ctl): no D-Bus session bus (%s)",
                 err ? err->message : "unknown error");
        goto fail;
    }
    g_dbus_connection_set_exit_on_close(s->conn, FALSE);
    g_signal_connect(s->conn, "closed", G_CALLBACK(on_closed), s);
    build_props(s);
    char *xml = build_xml(s);
    s->node = g_dbus_node_info_new_for_xml(xml, &err);
    g_free(xml);
    if (s->node)
        s->reg_id = g_dbus_connection_register_object(s->conn, BD_SERVICE_PATH,
                                                      s->node->interfaces[0], &vtable, s, NULL,
                                                      &err);
    if (!s->reg_id) {
        snprintf(note, size, "no live control (backdrop ctl): D-Bus: %s",
                 err ? err->message : "cannot register");
        goto fail;
    }
    GVariant *r = g_dbus_connection_call_sync(
        s->conn, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "RequestName", g_variant_new("(su)", BD_SERVICE_NAME, 4u /* DO_NOT_QUEUE */),
        G_VARIANT_TYPE("(u)"), 0, 5000, NULL, &err);
    guint32 reply = 0;
    if (r) {
        g_variant_get(r, "(u)", &reply);
        g_variant_unref(r);
    }
    if (reply != 1 && reply != 4) {
        if (reply == 3) {
            name_other(s->conn);
            res = BD_SERVICE_TAKEN;
        } else {
            snprintf(note, size, "no live control (backdrop ctl): cannot own " BD_SERVICE_NAME
                     " on the session bus (%s)", err ? err->message : "refused");
        }
        goto fail;
    }
    g_main_context_pop_thread_default(s->ctx);
    *out = s;
    return BD_SERVICE_OK;
fail:
    g_clear_error(&err);
    g_main_context_pop_thread_default(s->ctx);
    service_free(s);
    return res;
}

void bd_service_attach(struct bd_service *s, struct bd_pipeline *p, const char *config_path)
{
    if (!s)
        return;
    s->p = p;
    s->config = config_path ? g_strdup(config_path) : NULL;
    refresh(s, 0);
    s->timer = g_timeout_source_new(1000);
    g_source_set_callback(s->timer, on_tick, s, NULL);
    g_source_attach(s->timer, s->ctx);
    s->loop = g_main_loop_new(s->ctx, FALSE);
    s->thread = g_thread_new("backdrop-dbus", service_thread, s);
}

void bd_service_close(struct bd_service *s)
{
    if (!s)
        return;
    if (s->thread) {
        g_main_loop_quit(s->loop);
        g_thread_join(s->thread);
    }
    if (s->timer) {
        g_source_destroy(s->timer);
        g_source_unref(s->timer);
    }
    service_free(s);
}
