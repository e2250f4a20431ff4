/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * backdrop-settings: the settings window, a thin client of the camera's
 * D-Bus service (docs/DBUS.md). It holds no option of its own: the controls'
 * names, ranges and choices come from the library's table (bd_options),
 * their values from the service's properties, and every change goes to the
 * service (org.freedesktop.DBus.Properties.Set), which applies it, saves it
 * in the config file, or refuses it with a message shown here inline while
 * the control goes back to the value the camera keeps.
 *
 * Everything runs on the main thread except the preview's frame hand-off
 * (preview.c) and the thumbnails (GTask threads calling
 * bd_image_thumbnail). The GApplication actions (app.set-blur, ...) are
 * the controls' own paths, so tests drive the window as a person would.
 */
#include <gio/gio.h>
#include <adwaita.h>
#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backdrop.h"
#include "settings/preview.h"

/* The bus names are the interface (docs/DBUS.md), not shared code. */
#define CAM_NAME "io.github.backdrop.Camera"
#define CAM_PATH "/io/github/backdrop/Camera"
#define CAM_IFACE "io.github.backdrop.Camera1"
#define APP_ID "io.github.backdrop.Settings"
#define THUMB 128

struct app {
    AdwApplication *gapp;
    GtkWindow *win;
    GDBusProxy *cam;              /* NULL until the proxy is made */
    struct sp_preview *preview;
    gint64 t_start;               /* g_get_monotonic_time at startup */
    int syncing;                  /* controls being set from the service: no Set */
    guint retry_id;               /* preview restart after a failure */
    guint tick_id;
    int gone;                     /* the window is destroyed: its widgets too */

    GtkPicture *picture;
    GtkLabel *status, *error;
    GtkButton *start;
    AdwToastOverlay *toasts;
    GtkDropDown *effect;
    GtkScale *blur, *light_wrap;
    GtkColorButton *color;
    GtkSwitch *mirror, *enabled, *on_demand, *autostart;
    GtkFlowBox *gallery;
    GtkLabel *st_state, *st_consumers, *st_fps, *st_cpu, *st_input, *st_output;
    GtkDropDown *camera, *model;
    GtkStringList *cameras, *models;
    GHashTable *gallery_paths;    /* path -> GtkFlowBoxChild (borrowed) */
    GSimpleAction *a_status, *a_error, *a_controls;
    char *user_list;              /* the user's own backgrounds, one path a line */
    GtkFileChooserNative *chooser;/* the Add… dialog while it is open */
};

/* ---- the service --------------------------------------------------------- */

static GVariant *cam_get(struct app *a, const char *prop)
{
    return a->cam ? g_dbus_proxy_get_cached_property(a->cam, prop) : NULL;
}

static int cam_running(struct app *a)
{
    char *owner = a->cam ? g_dbus_proxy_get_name_owner(a->cam) : NULL;
    int r = owner != NULL;
    g_free(owner);
    return r;
}

static void show_error(struct app *a, const char *text)
{
    if (a->gone)
        return;
    gtk_label_set_text(a->error, text ? text : "");
    gtk_widget_set_visible(GTK_WIDGET(a->error), text && *text);
    g_simple_action_set_state(a->a_error, g_variant_new_string(text ? text : ""));
}

static void sync_controls(struct app *a);

/* A refusal said in the window, in the service's words (they name the
 * setting, the value and why) and what it means for the camera. */
static void say_refused(struct app *a, GError *err)
{
    if (a->gone)
        return;
    char *remote = g_dbus_error_get_remote_error(err);
    g_dbus_error_strip_remote_error(err);
    const char *what = remote && !strcmp(remote, "io.github.backdrop.Error.File")
                           ? "The camera keeps its background."
                       : remote && !strcmp(remote, "io.github.backdrop.Error.NotLive")
                           ? "This takes effect when backdrop starts again."
                           : "The camera keeps its setting.";
    char *m = g_strdup_printf("%s. %s", err->message, what);
    /* the service's message starts with the setting's name */
    m[0] = g_ascii_toupper(m[0]);
    show_error(a, m);
    adw_toast_overlay_add_toast(a->toasts, adw_toast_new("The change was refused"));
    g_free(m);
    g_free(remote);
}

static void set_done(GObject *src, GAsyncResult *res, gpointer user)
{
    struct app *a = user;
    GError *err = NULL;
    GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
    if (r) {
        g_variant_unref(r);
        show_error(a, NULL);
    } else {
        say_refused(a, err);
        g_error_free(err);
    }
    /* refused or not, the controls show what the camera has now */
    sync_controls(a);
}

/* One property to the service; the control follows its answer. */
static void cam_set(struct app *a, const char *prop, GVariant *v)
{
    g_variant_ref_sink(v);
    if (a->syncing || !cam_running(a)) {
        g_variant_unref(v);
        return;
    }
    g_dbus_connection_call(g_dbus_proxy_get_connection(a->cam), CAM_NAME, CAM_PATH,
                           "org.freedesktop.DBus.Properties", "Set",
                           g_variant_new("(ssv)", CAM_IFACE, prop, v), NULL,
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, set_done, a);
    g_variant_unref(v);
}

static void cam_toggle(struct app *a)
{
    if (!cam_running(a))
        return;
    g_dbus_connection_call(g_dbus_proxy_get_connection(a->cam), CAM_NAME, CAM_PATH, CAM_IFACE,
                           "Toggle", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL,
                           NULL, NULL);
}

/* ---- the gallery ----------------------------------------------------------- */

static void thumb_task(GTask *task, gpointer src, gpointer data, GCancellable *c)
{
    (void)src, (void)c;
    struct bd_image *img = g_new0(struct bd_image, 1);
    if (bd_image_thumbnail(data, THUMB, img) != BD_OK) {
        g_free(img);
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s", bd_last_error());
        return;
    }
    g_task_return_pointer(task, img, NULL);
}

static void free_image(gpointer p)
{
    bd_image_free(p);
    g_free(p);
}

static void thumb_done(GObject *src, GAsyncResult *res, gpointer user)
{
    (void)src;
    GtkPicture *pic = user;
    struct bd_image *img = g_task_propagate_pointer(G_TASK(res), NULL);
    if (img) {
        GBytes *b = g_bytes_new_with_free_func(img->data, (gsize)img->stride * img->height,
                                               free_image, img);
        GdkTexture *t = gdk_memory_texture_new(img->width, img->height, GDK_MEMORY_R8G8B8, b,
                                               (gsize)img->stride);
        gtk_picture_set_paintable(pic, GDK_PAINTABLE(t));
        g_object_unref(t);
        g_bytes_unref(b);
    } else {
        /* a file the camera would refuse: said where it shows */
        GtkIconTheme *theme = gtk_icon_theme_get_for_display(gtk_widget_get_display(GTK_WIDGET(pic)));
        GtkIconPaintable *icon = gtk_icon_theme_lookup_icon(theme, "image-missing", NULL, 48, 1,
                                                            GTK_TEXT_DIR_NONE, 0);
        gtk_picture_set_paintable(pic, GDK_PAINTABLE(icon));
        g_object_unref(icon);
        gtk_widget_set_tooltip_text(GTK_WIDGET(pic), "the camera cannot read this file");
    }
    g_object_unref(pic);
}

static GtkFlowBoxChild *gallery_add(struct app *a, const char *path)
{
    GtkFlowBoxChild *have = g_hash_table_lookup(a->gallery_paths, path);
    if (have)
        return have;
    GtkWidget *pic = gtk_picture_new();
    gtk_widget_set_size_request(pic, THUMB, THUMB * 9 / 16);
    gtk_picture_set_can_shrink(GTK_PICTURE(pic), TRUE);
    char *base = g_path_get_basename(path);
    gtk_widget_set_tooltip_text(pic, base);
    g_free(base);
    GtkWidget *child = gtk_flow_box_child_new();
    gtk_flow_box_child_set_child(GTK_FLOW_BOX_CHILD(child), pic);
    g_object_set_data_full(G_OBJECT(child), "path", g_strdup(path), g_free);
    gtk_flow_box_append(a->gallery, child);
    g_hash_table_insert(a->gallery_paths, g_strdup(path), child);
    GTask *t = g_task_new(NULL, NULL, thumb_done, g_object_ref(pic));
    g_task_set_task_data(t, g_strdup(path), g_free);
    g_task_run_in_thread(t, thumb_task);
    g_object_unref(t);
    return GTK_FLOW_BOX_CHILD(child);
}

static int is_background_file(const char *name)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".webp", ".mp4", ".webm",
                                      ".mkv", ".mov", NULL};
    char *l = g_ascii_strdown(name, -1);
    int ok = 0;
    for (int i = 0; ext[i] && !ok; i++)
        ok = g_str_has_suffix(l, ext[i]);
    g_free(l);
    return ok;
}

static gint by_name(gconstpointer x, gconstpointer y)
{
    /* g_ptr_array_sort hands pointers to the elements */
    return g_strcmp0(*(char *const *)x, *(char *const *)y);
}

static void scan_dir(struct app *a, const char *dir, int depth, int *left)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, by_name);
    for (guint i = 0; i < names->len && *left > 0; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *p = g_build_filename(dir, name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            if (depth > 0)
                scan_dir(a, p, depth - 1, left);
        } else if (is_background_file(name)) {
            gallery_add(a, p);
            (*left)--;
        }
        g_free(p);
    }
    g_ptr_array_unref(names);
}

/* The system's wallpapers: /usr/share/backgrounds (GNOME, Debian's
 * desktop-base) and /usr/share/wallpapers (KDE, Xfce), or the folders of
 * BACKDROP_WALLPAPERS (colon-separated); then the user's own. */
static void gallery_fill(struct app *a)
{
    const char *env = g_getenv("BACKDROP_WALLPAPERS");
    char **dirs = g_strsplit(env ? env : "/usr/share/backgrounds:/usr/share/wallpapers:"
                                         "/usr/share/desktop-base",
                             ":", -1);
    int left = 60;
    for (int i = 0; dirs[i]; i++)
        scan_dir(a, dirs[i], 4, &left);
    g_strfreev(dirs);
    char *text = NULL;
    if (g_file_get_contents(a->user_list, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (int i = 0; lines[i]; i++)
            if (*lines[i] && g_file_test(lines[i], G_FILE_TEST_EXISTS))
                gallery_add(a, lines[i]);
        g_strfreev(lines);
        g_free(text);
    }
}

static void remember_user_file(struct app *a, const char *path)
{
    char *text = NULL;
    g_file_get_contents(a->user_list, &text, NULL, NULL);
    char *line = g_strconcat(path, "\n", NULL);
    if (!text || !strstr(text, line)) {
        char *all = g_strconcat(text ? text : "", line, NULL);
        char *dir = g_path_get_dirname(a->user_list);
        g_mkdir_with_parents(dir, 0700);
        g_file_set_contents(a->user_list, all, -1, NULL);
        g_free(dir);
        g_free(all);
    }
    g_free(line);
    g_free(text);
}

static void choose_background(struct app *a, const char *path)
{
    cam_set(a, "Background", g_variant_new_string(path));
}

static void on_gallery_activated(GtkFlowBox *box, GtkFlowBoxChild *child, gpointer user)
{
    (void)box;
    struct app *a = user;
    if (!a->syncing)
        choose_background(a, g_object_get_data(G_OBJECT(child), "path"));
}

struct add_call {
    struct app *a;
    char *path;
};

static void add_done(GObject *src, GAsyncResult *res, gpointer user)
{
    struct add_call *c = user;
    GError *err = NULL;
    GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
    if (r) {
        g_variant_unref(r);
        /* only a file the camera took joins the gallery */
        remember_user_file(c->a, c->path);
        gallery_add(c->a, c->path);
        show_error(c->a, NULL);
        sync_controls(c->a);
        g_free(c->path);
        g_free(c);
        return;
    }
    say_refused(c->a, err);
    sync_controls(c->a);
    g_error_free(err);
    g_free(c->path);
    g_free(c);
}

/* A file of the user's ("Add…", or app.add-background): tried on the
 * camera first, kept in the gallery once it is taken. */
static void add_user_file(struct app *a, const char *path)
{
    if (!cam_running(a)) {
        show_error(a, "backdrop is not running: start it first, then add the picture.");
        return;
    }
    struct add_call *c = g_new0(struct add_call, 1);
    c->a = a;
    c->path = g_strdup(path);
    g_dbus_connection_call(g_dbus_proxy_get_connection(a->cam), CAM_NAME, CAM_PATH,
                           "org.freedesktop.DBus.Properties", "Set",
                           g_variant_new("(ssv)", CAM_IFACE, "Background",
                                         g_variant_new_string(path)),
                           NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, add_done, c);
}

static void on_chooser_response(GtkNativeDialog *d, int response, gpointer user)
{
    struct app *a = user;
    a->chooser = NULL;
    if (response == GTK_RESPONSE_ACCEPT) {
        GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d));
        char *path = f ? g_file_get_path(f) : NULL;
        if (path)
            add_user_file(a, path);
        g_free(path);
        if (f)
            g_object_unref(f);
    }
    g_object_unref(d);
}

static void choose_file(struct app *a)
{
    /* GtkFileChooserNative goes through the portal under Flatpak and
     * Wayland (GtkFileDialog needs GTK 4.10; Debian 12 has 4.8) */
    if (a->chooser) /* one at a time: the open one comes forward */
        return gtk_native_dialog_show(GTK_NATIVE_DIALOG(a->chooser));
    GtkFileChooserNative *d = gtk_file_chooser_native_new(
        "Choose a background", a->win, GTK_FILE_CHOOSER_ACTION_OPEN, "_Use", "_Cancel");
    GtkFileFilter *f = gtk_file_filter_new();
    gtk_file_filter_set_name(f, "Pictures and videos");
    gtk_file_filter_add_mime_type(f, "image/jpeg");
    gtk_file_filter_add_mime_type(f, "image/png");
    gtk_file_filter_add_mime_type(f, "image/webp");
    gtk_file_filter_add_mime_type(f, "video/*");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), f);
    g_object_unref(f);
    g_signal_connect(d, "response", G_CALLBACK(on_chooser_response), a);
    a->chooser = d;
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

/* ---- the status and the controls from the service ------------------------ */

static char *prop_text(struct app *a, const char *prop)
{
    GVariant *v = cam_get(a, prop);
    if (!v)
        return g_strdup("");
    char *t;
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
        t = g_variant_dup_string(v, NULL);
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE))
        t = g_strdup_printf("%.1f", g_variant_get_double(v));
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
        t = g_strdup_printf("%d", g_variant_get_int32(v));
    else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
        t = g_strdup(g_variant_get_boolean(v) ? "on" : "off");
    else
        t = g_variant_print(v, FALSE);
    g_variant_unref(v);
    return t;
}

static int prop_int(struct app *a, const char *prop, int def)
{
    GVariant *v = cam_get(a, prop);
    int r = def;
    if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
        r = g_variant_get_int32(v);
    else if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
        r = g_variant_get_boolean(v);
    if (v)
        g_variant_unref(v);
    return r;
}

static void set_status(struct app *a, const char *text)
{
    if (a->gone)
        return;
    gtk_label_set_text(a->status, text);
    g_simple_action_set_state(a->a_status, g_variant_new_string(text));
}

static void update_status(struct app *a)
{
    if (a->gone)
        return;
    if (!cam_running(a)) {
        gtk_label_set_text(a->st_state, "not running");
        gtk_label_set_text(a->st_consumers, "");
        gtk_label_set_text(a->st_fps, "");
        gtk_label_set_text(a->st_cpu, "");
        return;
    }
    char *state = prop_text(a, "State"), *fps = prop_text(a, "Fps"), *cpu = prop_text(a, "Cpu");
    int n = prop_int(a, "Consumers", -1);
    gtk_label_set_text(a->st_state, !strcmp(state, "idle") ? "idle (the webcam is off)"
                                                           : "active (the webcam is on)");
    char *c = n < 0 ? g_strdup("cannot tell") : g_strdup_printf("%d", n);
    gtk_label_set_text(a->st_consumers, c);
    char *f = g_strdup_printf("%s frames a second", fps);
    gtk_label_set_text(a->st_fps, f);
    char *u = g_strdup_printf("%s %% of one core", cpu);
    gtk_label_set_text(a->st_cpu, u);
    char *in = prop_text(a, "InputDevice"), *out = prop_text(a, "Output");
    gtk_label_set_text(a->st_input, in);
    gtk_label_set_text(a->st_output, out);
    g_free(state), g_free(fps), g_free(cpu), g_free(c), g_free(f), g_free(u);
    g_free(in), g_free(out);
}

static guint choice_index(const char *option, const char *value)
{
    const struct bd_option *o = bd_option_find(option);
    for (guint i = 0; o && o->choices && o->choices[i]; i++)
        if (!g_strcmp0(o->choices[i], value))
            return i;
    return GTK_INVALID_LIST_POSITION;
}

/* What the controls show, read back from the widgets, as the "controls"
 * action's state: the words a screen reader would give, for tests. */
static void describe_controls(struct app *a)
{
    if (a->gone)
        return;
    const struct bd_option *eo = bd_option_find("effect");
    guint e = gtk_drop_down_get_selected(a->effect);
    GdkRGBA c;
    gtk_color_chooser_get_rgba(GTK_COLOR_CHOOSER(a->color), &c);
    GList *sel = gtk_flow_box_get_selected_children(a->gallery);
    const char *bg = sel ? g_object_get_data(G_OBJECT(sel->data), "path") : "";
    guint mi = gtk_drop_down_get_selected(a->model), ci = gtk_drop_down_get_selected(a->camera);
    char *t = g_strdup_printf("effect=%s blur=%d color=#%02x%02x%02x mirror=%s enabled=%s "
                              "light-wrap=%d model=%s camera=%s autostart=%s selected=%s",
                              eo && e != GTK_INVALID_LIST_POSITION ? eo->choices[e] : "",
                              (int)gtk_range_get_value(GTK_RANGE(a->blur)),
                              (int)(c.red * 255 + .5), (int)(c.green * 255 + .5),
                              (int)(c.blue * 255 + .5),
                              gtk_switch_get_active(a->mirror) ? "on" : "off",
                              gtk_switch_get_active(a->enabled) ? "on" : "off",
                              (int)gtk_range_get_value(GTK_RANGE(a->light_wrap)),
                              mi != GTK_INVALID_LIST_POSITION
                                  ? gtk_string_list_get_string(a->models, mi) : "",
                              ci != GTK_INVALID_LIST_POSITION
                                  ? gtk_string_list_get_string(a->cameras, ci) : "",
                              gtk_switch_get_active(a->autostart) ? "on" : "off", bg);
    g_list_free(sel);
    g_simple_action_set_state(a->a_controls, g_variant_new_string(t));
    g_free(t);
}

/* Every control from the service's properties (nothing sent meanwhile). */
static void sync_controls(struct app *a)
{
    if (a->gone)
        return;
    a->syncing++;
    int up = cam_running(a);
    GtkWidget *ctl[] = {GTK_WIDGET(a->effect), GTK_WIDGET(a->blur), GTK_WIDGET(a->light_wrap),
                        GTK_WIDGET(a->color), GTK_WIDGET(a->mirror), GTK_WIDGET(a->enabled),
                        GTK_WIDGET(a->on_demand), GTK_WIDGET(a->gallery), GTK_WIDGET(a->model),
                        GTK_WIDGET(a->camera)};
    for (size_t i = 0; i < G_N_ELEMENTS(ctl); i++)
        gtk_widget_set_sensitive(ctl[i], up);
    gtk_widget_set_visible(GTK_WIDGET(a->start), !up);
    if (up) {
        char *effect = prop_text(a, "Effect");
        guint i = choice_index("effect", effect);
        if (i != GTK_INVALID_LIST_POSITION)
            gtk_drop_down_set_selected(a->effect, i);
        gtk_range_set_value(GTK_RANGE(a->blur), prop_int(a, "Blur", 0));
        gtk_range_set_value(GTK_RANGE(a->light_wrap), prop_int(a, "LightWrap", 0));
        gtk_switch_set_active(a->mirror, prop_int(a, "Mirror", 0));
        gtk_switch_set_active(a->enabled, prop_int(a, "Enabled", 1));
        gtk_switch_set_active(a->on_demand, prop_int(a, "OnDemand", 0));
        /* the webcam it reads among those listed (a file, when that is
         * what it reads, joins the list) */
        char *in = prop_text(a, "Input");
        char *tag = g_strdup_printf("(%s)", in);
        guint nc = g_list_model_get_n_items(G_LIST_MODEL(a->cameras)), ci = nc;
        for (guint k = 0; k < nc; k++)
            if (g_str_has_suffix(gtk_string_list_get_string(a->cameras, k), tag) ||
                !strcmp(gtk_string_list_get_string(a->cameras, k), in))
                ci = k;
        if (ci == nc && *in)
            gtk_string_list_append(a->cameras, in);
        if (*in)
            gtk_drop_down_set_selected(a->camera, ci);
        g_free(tag);
        g_free(in);
        /* a model file of the user's joins the built-in names */
        char *model = prop_text(a, "Model");
        guint n = g_list_model_get_n_items(G_LIST_MODEL(a->models)), mi = n;
        for (guint k = 0; k < n; k++)
            if (!strcmp(gtk_string_list_get_string(a->models, k), model))
                mi = k;
        if (mi == n && *model)
            gtk_string_list_append(a->models, model);
        if (*model)
            gtk_drop_down_set_selected(a->model, mi);
        g_free(model);
        char *col = prop_text(a, "Color");
        GdkRGBA rgba;
        if (*col && gdk_rgba_parse(&rgba, col))
            gtk_color_chooser_set_rgba(GTK_COLOR_CHOOSER(a->color), &rgba);
        g_free(col);
        /* the current background is the gallery's selected one */
        char *bg = prop_text(a, "Background");
        GtkFlowBoxChild *c = *bg ? g_hash_table_lookup(a->gallery_paths, bg) : NULL;
        if (!c && *bg && g_file_test(bg, G_FILE_TEST_EXISTS))
            c = gallery_add(a, bg);
        if (c && !strcmp(effect, "background"))
            gtk_flow_box_select_child(a->gallery, c);
        else
            gtk_flow_box_unselect_all(a->gallery);
        g_free(bg);
        g_free(effect);
    }
    update_status(a);
    a->syncing--;
    describe_controls(a);
}

/* ---- the preview and the service coming and going -------------------------- */

static gboolean retry_preview(gpointer user);

static void preview_sync(struct app *a)
{
    if (a->gone)
        return;
    if (!cam_running(a) || !gtk_widget_get_visible(GTK_WIDGET(a->win))) {
        sp_preview_stop(a->preview);
        return;
    }
    char *out = prop_text(a, "Output");
    if (*out)
        sp_preview_start(a->preview, out);
    g_free(out);
}

static gboolean retry_preview(gpointer user)
{
    struct app *a = user;
    a->retry_id = 0;
    preview_sync(a);
    return G_SOURCE_REMOVE;
}

static void on_preview_failed(const char *msg, gpointer user)
{
    struct app *a = user;
    if (a->gone || !cam_running(a))
        return;
    set_status(a, msg);
    /* the node may not be there yet (a camera just started): try again */
    if (!a->retry_id)
        a->retry_id = g_timeout_add(1000, retry_preview, a);
}

static void on_preview_frame(GdkTexture *t, gpointer user)
{
    (void)t;
    struct app *a = user;
    if (sp_preview_frames(a->preview) == 1)
        g_message("first preview frame %.0f ms after start",
                  (g_get_monotonic_time() - a->t_start) / 1000.0);
    const char *now = gtk_label_get_text(a->status);
    if (strcmp(now, "backdrop is running: this is what a call app sees."))
        set_status(a, "backdrop is running: this is what a call app sees.");
}

static void on_owner(GObject *o, GParamSpec *ps, gpointer user)
{
    (void)o, (void)ps;
    struct app *a = user;
    if (cam_running(a)) {
        set_status(a, "backdrop is running: waiting for its picture…");
    } else {
        set_status(a, "backdrop is not running, so no program can use the virtual camera. "
                      "Start it with the button below.");
    }
    sync_controls(a);
    preview_sync(a);
}

static void on_props_changed(GDBusProxy *p, GVariant *changed, GStrv inval, gpointer user)
{
    (void)p, (void)inval;
    struct app *a = user;
    /* the once-a-second figures only move the status; anything else is a
     * setting (whoever changed it) and the controls follow */
    int settings = 0, output = 0;
    GVariantIter it;
    const char *k;
    g_variant_iter_init(&it, changed);
    while (g_variant_iter_next(&it, "{&sv}", &k, NULL)) {
        settings |= strcmp(k, "Fps") && strcmp(k, "Cpu") && strcmp(k, "FramesOut") &&
                    strcmp(k, "InferenceMs") && strcmp(k, "Dropped") && strcmp(k, "State") &&
                    strcmp(k, "Consumers");
        output |= !strcmp(k, "Output");
    }
    if (settings)
        sync_controls(a);
    else
        update_status(a);
    if (output)
        preview_sync(a);
}

static void start_done(GObject *src, GAsyncResult *res, gpointer user)
{
    struct app *a = user;
    GError *err = NULL;
    GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &err);
    if (r) {
        g_variant_unref(r);
        return;
    }
    g_dbus_error_strip_remote_error(err);
    char *m = g_strdup_printf("backdrop could not be started (%s). Try `systemctl --user start "
                              "backdrop` in a terminal, and `journalctl --user -u backdrop` "
                              "for why.", err->message);
    show_error(a, m);
    g_free(m);
    g_error_free(err);
}

/* The bus starts it: its activation file hands it to the systemd user unit
 * (SystemdService=backdrop.service), or runs it where there is no systemd. */
static void start_service(struct app *a)
{
    GDBusConnection *c = a->cam ? g_dbus_proxy_get_connection(a->cam) : NULL;
    if (!c)
        return;
    set_status(a, "Starting backdrop…");
    g_dbus_connection_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "StartServiceByName",
                           g_variant_new("(su)", CAM_NAME, 0u), G_VARIANT_TYPE("(u)"),
                           G_DBUS_CALL_FLAGS_NONE, 30000, NULL, start_done, a);
}

/* ---- start when I log in (systemd's user manager) -------------------------- */

static GVariant *systemd_call(struct app *a, const char *method, GVariant *args, GError **err)
{
    GDBusConnection *c = a->cam ? g_dbus_proxy_get_connection(a->cam) : NULL;
    if (!c)
        return NULL;
    return g_dbus_connection_call_sync(c, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", method, args, NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, err);
}

static void autostart_sync(struct app *a)
{
    GVariant *r = systemd_call(a, "GetUnitFileState", g_variant_new("(s)", "backdrop.service"),
                               NULL);
    a->syncing++;
    gtk_widget_set_sensitive(GTK_WIDGET(a->autostart), r != NULL);
    if (r) {
        const char *st;
        g_variant_get(r, "(&s)", &st);
        gtk_switch_set_active(a->autostart, !strcmp(st, "enabled"));
        g_variant_unref(r);
    } else {
        gtk_widget_set_tooltip_text(GTK_WIDGET(a->autostart),
                                    "needs systemd's user manager and the backdrop.service unit");
    }
    a->syncing--;
}

static void on_autostart(GObject *o, GParamSpec *ps, gpointer user)
{
    (void)ps;
    struct app *a = user;
    if (a->syncing)
        return;
    const char *files[] = {"backdrop.service", NULL};
    GError *err = NULL;
    GVariant *r = gtk_switch_get_active(GTK_SWITCH(o))
                      ? systemd_call(a, "EnableUnitFiles",
                                     g_variant_new("(^asbb)", files, FALSE, TRUE), &err)
                      : systemd_call(a, "DisableUnitFiles", g_variant_new("(^asb)", files, FALSE),
                                     &err);
    if (r) {
        g_variant_unref(r);
        GVariant *x = systemd_call(a, "Reload", NULL, NULL);
        if (x)
            g_variant_unref(x);
    } else {
        g_dbus_error_strip_remote_error(err);
        char *m = g_strdup_printf("“Start when I log in” could not be changed (%s).",
                                  err->message);
        show_error(a, m);
        g_free(m);
        g_error_free(err);
    }
    autostart_sync(a);
}

/* ---- controls → service ---------------------------------------------------- */

static void on_effect(GObject *o, GParamSpec *ps, gpointer user)
{
    (void)ps;
    struct app *a = user;
    const struct bd_option *opt = bd_option_find("effect");
    guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(o));
    if (!a->syncing && opt && i != GTK_INVALID_LIST_POSITION)
        cam_set(a, "Effect", g_variant_new_string(opt->choices[i]));
}

/* "card (/dev/videoN)" or a bare path (what it reads, when not listed) */
static char *camera_path(const char *entry)
{
    const char *open = strrchr(entry, '(');
    if (open && g_str_has_suffix(entry, ")"))
        return g_strndup(open + 1, strlen(open + 1) - 1);
    return g_strdup(entry);
}

static void on_camera(GObject *o, GParamSpec *ps, gpointer user)
{
    (void)ps;
    struct app *a = user;
    guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(o));
    if (a->syncing || i == GTK_INVALID_LIST_POSITION)
        return;
    char *path = camera_path(gtk_string_list_get_string(a->cameras, i));
    cam_set(a, "Input", g_variant_new_string(path));
    g_free(path);
}

static void on_model(GObject *o, GParamSpec *ps, gpointer user)
{
    (void)ps;
    struct app *a = user;
    guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(o));
    if (!a->syncing && i != GTK_INVALID_LIST_POSITION)
        cam_set(a, "Model", g_variant_new_string(gtk_string_list_get_string(a->models, i)));
}

static void on_blur(GtkRange *r, gpointer user)
{
    cam_set(user, "Blur", g_variant_new_int32((gint32)gtk_range_get_value(r)));
}

static void on_light_wrap(GtkRange *r, gpointer user)
{
    cam_set(user, "LightWrap", g_variant_new_int32((gint32)gtk_range_get_value(r)));
}

static void on_color(GtkColorButton *b, gpointer user)
{
    GdkRGBA c;
    gtk_color_chooser_get_rgba(GTK_COLOR_CHOOSER(b), &c);
    char hex[8];
    snprintf(hex, sizeof hex, "#%02x%02x%02x", (int)(c.red * 255 + .5), (int)(c.green * 255 + .5),
             (int)(c.blue * 255 + .5));
    cam_set(user, "Color", g_variant_new_string(hex));
}

static void on_switch(GObject *o, GParamSpec *ps, gpointer user)
{
    (void)ps;
    const char *prop = g_object_get_data(o, "prop");
    cam_set(user, prop, g_variant_new_boolean(gtk_switch_get_active(GTK_SWITCH(o))));
}

/* ---- building the window ----------------------------------------------------- */

/* A scale whose range and default are the option's in the library's table. */
static GtkScale *option_scale(const char *name)
{
    const struct bd_option *o = bd_option_find(name);
    GtkWidget *s = gtk_scale_new_with_range(GTK_ORIENTATION_HORIZONTAL, o ? (double)o->min : 0,
                                            o ? (double)o->max : 1, 1);
    gtk_scale_set_digits(GTK_SCALE(s), 0);
    gtk_scale_set_draw_value(GTK_SCALE(s), TRUE);
    gtk_widget_set_hexpand(s, TRUE);
    gtk_widget_set_size_request(s, 180, -1);
    if (o && o->def)
        gtk_scale_add_mark(GTK_SCALE(s), g_ascii_strtod(o->def, NULL), GTK_POS_BOTTOM, NULL);
    if (o)
        gtk_widget_set_tooltip_text(s, o->help);
    return GTK_SCALE(s);
}

static GtkWidget *row(AdwPreferencesGroup *g, const char *title, const char *subtitle,
                      GtkWidget *suffix)
{
    GtkWidget *r = adw_action_row_new();
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(r), title);
    if (subtitle)
        adw_action_row_set_subtitle(ADW_ACTION_ROW(r), subtitle);
    gtk_widget_set_valign(suffix, GTK_ALIGN_CENTER);
    adw_action_row_add_suffix(ADW_ACTION_ROW(r), suffix);
    adw_preferences_group_add(g, r);
    return r;
}

static GtkLabel *status_row(AdwPreferencesGroup *g, const char *title)
{
    GtkWidget *l = gtk_label_new("");
    gtk_label_set_selectable(GTK_LABEL(l), TRUE);
    gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_MIDDLE);
    gtk_label_set_max_width_chars(GTK_LABEL(l), 28);
    gtk_widget_add_css_class(l, "dim-label");
    row(g, title, NULL, l);
    return GTK_LABEL(l);
}

static GtkSwitch *switch_row(struct app *a, AdwPreferencesGroup *g, const char *title,
                             const char *subtitle, const char *prop)
{
    GtkWidget *s = gtk_switch_new();
    g_object_set_data(G_OBJECT(s), "prop", (gpointer)prop);
    if (prop)
        g_signal_connect(s, "notify::active", G_CALLBACK(on_switch), a);
    row(g, title, subtitle, s);
    return GTK_SWITCH(s);
}

static void fill_cameras(struct app *a)
{
    struct bd_device_info devs[32];
    int n = 0;
    a->cameras = gtk_string_list_new(NULL);
    if (bd_devices_list(devs, 32, &n) == BD_OK)
        for (int i = 0; i < n; i++)
            if (!devs[i].is_loopback && devs[i].can_capture) {
                char *t = g_strdup_printf("%s (%s)", devs[i].card, devs[i].path);
                gtk_string_list_append(a->cameras, t);
                g_free(t);
            }
}

static void build_window(struct app *a)
{
    GtkWidget *win = adw_application_window_new(GTK_APPLICATION(a->gapp));
    a->win = GTK_WINDOW(win);
    gtk_window_set_title(a->win, "Backdrop");
    gtk_window_set_default_size(a->win, 1100, 720);

    GtkWidget *outer = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *header = adw_header_bar_new();
    gtk_box_append(GTK_BOX(outer), header);
    a->toasts = ADW_TOAST_OVERLAY(adw_toast_overlay_new());
    gtk_widget_set_vexpand(GTK_WIDGET(a->toasts), TRUE);
    gtk_box_append(GTK_BOX(outer), GTK_WIDGET(a->toasts));
    GtkWidget *body = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    adw_toast_overlay_set_child(a->toasts, body);

    /* left: the preview, what the window says, the start button */
    GtkWidget *left = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
    gtk_widget_set_margin_start(left, 12);
    gtk_widget_set_margin_top(left, 12);
    gtk_widget_set_margin_bottom(left, 12);
    gtk_widget_set_hexpand(left, TRUE);
    a->picture = GTK_PICTURE(gtk_picture_new());
    gtk_picture_set_can_shrink(a->picture, TRUE);
    gtk_widget_set_size_request(GTK_WIDGET(a->picture), 480, 270);
    gtk_widget_set_vexpand(GTK_WIDGET(a->picture), TRUE);
    gtk_accessible_update_property(GTK_ACCESSIBLE(a->picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "what the virtual camera shows", -1);
    gtk_box_append(GTK_BOX(left), GTK_WIDGET(a->picture));
    a->status = GTK_LABEL(gtk_label_new(""));
    gtk_label_set_wrap(a->status, TRUE);
    gtk_box_append(GTK_BOX(left), GTK_WIDGET(a->status));
    a->error = GTK_LABEL(gtk_label_new(""));
    gtk_label_set_wrap(a->error, TRUE);
    gtk_label_set_selectable(a->error, TRUE);
    gtk_widget_add_css_class(GTK_WIDGET(a->error), "error");
    gtk_widget_set_visible(GTK_WIDGET(a->error), FALSE);
    gtk_box_append(GTK_BOX(left), GTK_WIDGET(a->error));
    a->start = GTK_BUTTON(gtk_button_new_with_mnemonic("_Start backdrop"));
    gtk_widget_add_css_class(GTK_WIDGET(a->start), "suggested-action");
    gtk_widget_set_halign(GTK_WIDGET(a->start), GTK_ALIGN_CENTER);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(a->start), "app.start");
    gtk_box_append(GTK_BOX(left), GTK_WIDGET(a->start));
    gtk_box_append(GTK_BOX(body), left);

    /* right: the settings */
    GtkWidget *page = adw_preferences_page_new();
    gtk_widget_set_size_request(page, 460, -1);
    gtk_box_append(GTK_BOX(body), page);
    AdwPreferencesGroup *g = ADW_PREFERENCES_GROUP(adw_preferences_group_new());
    adw_preferences_group_set_title(g, "Effect");
    adw_preferences_page_add(ADW_PREFERENCES_PAGE(page), g);
    const struct bd_option *eo = bd_option_find("effect");
    a->effect = GTK_DROP_DOWN(gtk_drop_down_new_from_strings(eo ? (const char *const *)eo->choices
                                                                : NULL));
    g_signal_connect(a->effect, "notify::selected", G_CALLBACK(on_effect), a);
    row(g, "Background", "blur, a picture, a colour, a hologram, or none", GTK_WIDGET(a->effect));
    a->enabled = switch_row(a, g, "Effect on", "off: the camera as it is", "Enabled");
    a->blur = option_scale("blur");
    g_signal_connect(a->blur, "value-changed", G_CALLBACK(on_blur), a);
    row(g, "Blur strength", NULL, GTK_WIDGET(a->blur));
    a->color = GTK_COLOR_BUTTON(gtk_color_button_new());
    g_signal_connect(a->color, "color-set", G_CALLBACK(on_color), a);
    row(g, "Colour", NULL, GTK_WIDGET(a->color));
    a->mirror = switch_row(a, g, "Mirror", "as in a mirror", "Mirror");
    a->light_wrap = option_scale("light-wrap");
    g_signal_connect(a->light_wrap, "value-changed", G_CALLBACK(on_light_wrap), a);
    row(g, "Light wrap", "the background's light over your edges", GTK_WIDGET(a->light_wrap));

    g = ADW_PREFERENCES_GROUP(adw_preferences_group_new());
    adw_preferences_group_set_title(g, "Pictures");
    adw_preferences_group_set_description(g, "Click one to put it behind you");
    GtkWidget *add = gtk_button_new_with_mnemonic("_Add…");
    gtk_actionable_set_action_name(GTK_ACTIONABLE(add), "app.choose-background");
    adw_preferences_group_set_header_suffix(g, add);
    adw_preferences_page_add(ADW_PREFERENCES_PAGE(page), g);
    a->gallery = GTK_FLOW_BOX(gtk_flow_box_new());
    gtk_flow_box_set_selection_mode(a->gallery, GTK_SELECTION_SINGLE);
    gtk_flow_box_set_activate_on_single_click(a->gallery, TRUE);
    gtk_flow_box_set_max_children_per_line(a->gallery, 3);
    g_signal_connect(a->gallery, "child-activated", G_CALLBACK(on_gallery_activated), a);
    adw_preferences_group_add(g, GTK_WIDGET(a->gallery));

    g = ADW_PREFERENCES_GROUP(adw_preferences_group_new());
    adw_preferences_group_set_title(g, "Status");
    adw_preferences_page_add(ADW_PREFERENCES_PAGE(page), g);
    a->st_state = status_row(g, "Camera");
    a->st_consumers = status_row(g, "Programs using it");
    a->st_fps = status_row(g, "Speed");
    a->st_cpu = status_row(g, "Processor");
    a->st_input = status_row(g, "Reads");
    a->st_output = status_row(g, "Shows as");

    g = ADW_PREFERENCES_GROUP(adw_preferences_group_new());
    adw_preferences_group_set_title(g, "Camera and start-up");
    adw_preferences_page_add(ADW_PREFERENCES_PAGE(page), g);
    fill_cameras(a);
    a->camera = GTK_DROP_DOWN(gtk_drop_down_new(G_LIST_MODEL(a->cameras), NULL));
    g_signal_connect(a->camera, "notify::selected", G_CALLBACK(on_camera), a);
    row(g, "Webcam", "as `backdrop devices` lists them", GTK_WIDGET(a->camera));
    /* the library's built-in models (and the table's default, "auto") */
    a->models = gtk_string_list_new(NULL);
    const struct bd_option *mo = bd_option_find("model");
    if (mo && mo->def)
        gtk_string_list_append(a->models, mo->def);
    for (int i = 0; i < bd_builtin_model_count(); i++)
        if (!mo || !mo->def || strcmp(mo->def, bd_builtin_model_name(i)))
            gtk_string_list_append(a->models, bd_builtin_model_name(i));
    a->model = GTK_DROP_DOWN(gtk_drop_down_new(G_LIST_MODEL(a->models), NULL));
    g_signal_connect(a->model, "notify::selected", G_CALLBACK(on_model), a);
    row(g, "Model", mo ? mo->help : NULL, GTK_WIDGET(a->model));
    a->on_demand = switch_row(a, g, "On demand", "the webcam is on only while a program uses it",
                              "OnDemand");
    a->autostart = switch_row(a, g, "Start when I log in", NULL, NULL);
    g_signal_connect(a->autostart, "notify::active", G_CALLBACK(on_autostart), a);

    adw_application_window_set_content(ADW_APPLICATION_WINDOW(win), outer);
}

/* ---- actions (the controls' own paths) and screenshots --------------------------- */

static gboolean write_png(GdkTexture *t, const char *path, GError **err)
{
    if (!t || !gdk_texture_save_to_png(t, path)) {
        g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
        return FALSE;
    }
    return TRUE;
}

/* The window as drawn: its paintable rendered by its own renderer. */
static gboolean screenshot(struct app *a, const char *path)
{
    GtkWidget *w = GTK_WIDGET(a->win);
    GdkPaintable *pt = gtk_widget_paintable_new(w);
    int wd = gtk_widget_get_width(w), ht = gtk_widget_get_height(w);
    GtkSnapshot *s = gtk_snapshot_new();
    gdk_paintable_snapshot(pt, GDK_SNAPSHOT(s), wd, ht);
    GskRenderNode *node = gtk_snapshot_free_to_node(s);
    GskRenderer *r = gtk_native_get_renderer(GTK_NATIVE(w));
    if (node && r) {
        graphene_rect_t b = GRAPHENE_RECT_INIT(0, 0, wd, ht);
        GdkTexture *t = gsk_renderer_render_texture(r, node, &b);
        if (!write_png(t, path, NULL))
            g_warning("screenshot: cannot write %s", path);
        g_object_unref(t);
    }
    const gboolean drawn = node && r;
    if (node)
        gsk_render_node_unref(node);
    g_object_unref(pt);
    return drawn;
}

/* A window waiting for its next layout (the preview's frames keep asking
 * for one; seen under a slow VM) snapshots as nothing: tried again a few
 * times, a frame apart. */
struct shot_retry {
    struct app *a;
    char *path;
    int left;
};

static gboolean shot_again(gpointer user)
{
    struct shot_retry *t = user;
    if (!t->a->gone && !screenshot(t->a, t->path) && --t->left > 0)
        return G_SOURCE_CONTINUE;
    if (t->left <= 0)
        g_message("screenshot %s: nothing drawn", t->path);
    g_free(t->path);
    g_free(t);
    return G_SOURCE_REMOVE;
}

static void act_set_blur(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x;
    gtk_range_set_value(GTK_RANGE(((struct app *)a)->blur), g_variant_get_int32(p));
}

static void act_set_light_wrap(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x;
    gtk_range_set_value(GTK_RANGE(((struct app *)a)->light_wrap), g_variant_get_int32(p));
}

static void act_set_effect(GSimpleAction *x, GVariant *p, gpointer user)
{
    (void)x;
    struct app *a = user;
    guint i = choice_index("effect", g_variant_get_string(p, NULL));
    if (i == GTK_INVALID_LIST_POSITION)
        return show_error(a, "No such effect.");
    if (gtk_drop_down_get_selected(a->effect) == i)
        on_effect(G_OBJECT(a->effect), NULL, a);
    else
        gtk_drop_down_set_selected(a->effect, i);
}

static void act_set_color(GSimpleAction *x, GVariant *p, gpointer user)
{
    (void)x;
    struct app *a = user;
    GdkRGBA c;
    if (!gdk_rgba_parse(&c, g_variant_get_string(p, NULL)))
        return show_error(a, "Not a colour.");
    gtk_color_chooser_set_rgba(GTK_COLOR_CHOOSER(a->color), &c);
    on_color(a->color, a); /* what "color-set" runs when a person picks it */
}

static void act_set_model(GSimpleAction *x, GVariant *p, gpointer user)
{
    (void)x;
    struct app *a = user;
    const char *m = g_variant_get_string(p, NULL);
    guint n = g_list_model_get_n_items(G_LIST_MODEL(a->models));
    for (guint i = 0; i < n; i++)
        if (!strcmp(gtk_string_list_get_string(a->models, i), m))
            return gtk_drop_down_set_selected(a->model, i);
    show_error(a, "No such model in the list.");
}

static void act_set_mirror(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x;
    gtk_switch_set_active(((struct app *)a)->mirror, g_variant_get_boolean(p));
}

static void act_set_background(GSimpleAction *x, GVariant *p, gpointer user)
{
    (void)x;
    struct app *a = user;
    const char *path = g_variant_get_string(p, NULL);
    GtkFlowBoxChild *c = g_hash_table_lookup(a->gallery_paths, path);
    if (c) { /* a gallery picture: as if clicked (selected, then activated) */
        gtk_flow_box_select_child(a->gallery, c);
        describe_controls(a);
        g_signal_emit_by_name(a->gallery, "child-activated", c);
    }
    else   /* any other file: as if chosen with Add… */
        add_user_file(a, path);
}

static void act_set_camera(GSimpleAction *x, GVariant *p, gpointer user)
{
    (void)x;
    struct app *a = user;
    const char *want = g_variant_get_string(p, NULL);
    guint n = g_list_model_get_n_items(G_LIST_MODEL(a->cameras));
    for (guint i = 0; i < n; i++) {
        char *path = camera_path(gtk_string_list_get_string(a->cameras, i));
        const int same = !strcmp(path, want);
        g_free(path);
        if (same) {
            if (gtk_drop_down_get_selected(a->camera) == i)
                on_camera(G_OBJECT(a->camera), NULL, a);
            else
                gtk_drop_down_set_selected(a->camera, i);
            return;
        }
    }
    show_error(a, "No such camera in the list.");
}

static void act_set_on_demand(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x;
    gtk_switch_set_active(((struct app *)a)->on_demand, g_variant_get_boolean(p));
}

static void act_set_autostart(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x;
    gtk_switch_set_active(((struct app *)a)->autostart, g_variant_get_boolean(p));
}

/* the Add… button's action */
static void act_choose_background(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x, (void)p;
    choose_file(a);
}

static void act_toggle(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x, (void)p;
    cam_toggle(a);
}

static void act_start(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x, (void)p;
    start_service(a);
}

static void act_screenshot(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x;
    if (screenshot(a, g_variant_get_string(p, NULL)))
        return;
    struct shot_retry *t = g_new0(struct shot_retry, 1);
    t->a = a;
    t->path = g_variant_dup_string(p, NULL);
    t->left = 50;
    g_timeout_add(100, shot_again, t);
}

static void act_save_preview(GSimpleAction *x, GVariant *p, gpointer user)
{
    (void)x;
    struct app *a = user;
    if (!write_png(sp_preview_last(a->preview), g_variant_get_string(p, NULL), NULL))
        g_message("save-preview: no frame yet");
}

static void act_quit(GSimpleAction *x, GVariant *p, gpointer a)
{
    (void)x, (void)p;
    gtk_window_destroy(((struct app *)a)->win);
}

static void act_state_noop(GSimpleAction *x, GVariant *v, gpointer a)
{
    (void)x, (void)v, (void)a; /* read-only: the window's own words for tests and a11y */
}

static const GActionEntry actions[] = {
    {"set-blur", act_set_blur, "i", NULL, NULL, {0}},
    {"set-light-wrap", act_set_light_wrap, "i", NULL, NULL, {0}},
    {"set-effect", act_set_effect, "s", NULL, NULL, {0}},
    {"set-color", act_set_color, "s", NULL, NULL, {0}},
    {"set-mirror", act_set_mirror, "b", NULL, NULL, {0}},
    {"set-model", act_set_model, "s", NULL, NULL, {0}},
    {"set-background", act_set_background, "s", NULL, NULL, {0}},
    {"set-camera", act_set_camera, "s", NULL, NULL, {0}},
    {"set-autostart", act_set_autostart, "b", NULL, NULL, {0}},
    {"set-on-demand", act_set_on_demand, "b", NULL, NULL, {0}},
    {"choose-background", act_choose_background, NULL, NULL, NULL, {0}},
    {"toggle", act_toggle, NULL, NULL, NULL, {0}},
    {"start", act_start, NULL, NULL, NULL, {0}},
    {"screenshot", act_screenshot, "s", NULL, NULL, {0}},
    {"save-preview", act_save_preview, "s", NULL, NULL, {0}},
    {"quit", act_quit, NULL, NULL, NULL, {0}},
};

static gboolean tick(gpointer user)
{
    struct app *a = user;
    /* the service emits every second; this re-reads what it cached */
    update_status(a);
    describe_controls(a);
    return G_SOURCE_CONTINUE;
}

/* Replies and signals may still come once the window is gone: nothing
 * touches its widgets after this. */
static void on_destroy(GtkWidget *w, gpointer user)
{
    (void)w;
    struct app *a = user;
    a->gone = 1;
    sp_preview_stop(a->preview);
    /* an open Add… dialog goes with the window (the app then ends) */
    if (a->chooser) {
        GtkFileChooserNative *d = a->chooser;
        a->chooser = NULL;
        g_signal_handlers_disconnect_by_data(d, a);
        gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(d));
        g_object_unref(d);
    }
    if (a->tick_id)
        g_source_remove(a->tick_id);
    if (a->retry_id)
        g_source_remove(a->retry_id);
    a->tick_id = a->retry_id = 0;
    if (a->cam)
        g_signal_handlers_disconnect_by_data(a->cam, a);
}

static void on_hide(GtkWidget *w, gpointer user)
{
    (void)w;
    struct app *a = user;
    /* closing the window lets the camera idle */
    sp_preview_stop(a->preview);
}

static void on_map(GtkWidget *w, gpointer user)
{
    (void)w;
    struct app *a = user;
    g_message("window shown %.0f ms after start", (g_get_monotonic_time() - a->t_start) / 1000.0);
}

static void activate(GApplication *gapp, gpointer user)
{
    struct app *a = user;
    if (a->win) {
        gtk_window_present(a->win);
        return;
    }
    build_window(a);
    g_signal_connect(a->win, "hide", G_CALLBACK(on_hide), a);
    g_signal_connect(a->win, "destroy", G_CALLBACK(on_destroy), a);
    g_signal_connect(a->win, "map", G_CALLBACK(on_map), a);
    struct sp_preview_events ev = {on_preview_frame, on_preview_failed, a};
    a->preview = sp_preview_new(a->picture, &ev);
    gallery_fill(a);
    GError *err = NULL;
    a->cam = g_dbus_proxy_new_sync(g_application_get_dbus_connection(gapp),
                                   G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL, CAM_NAME, CAM_PATH,
                                   CAM_IFACE, NULL, &err);
    if (!a->cam) {
        set_status(a, "No D-Bus session bus: the settings cannot reach backdrop.");
        g_clear_error(&err);
    } else {
        g_signal_connect(a->cam, "notify::g-name-owner", G_CALLBACK(on_owner), a);
        g_signal_connect(a->cam, "g-properties-changed", G_CALLBACK(on_props_changed), a);
    }
    gtk_window_present(a->win);
    on_owner(NULL, NULL, a);
    autostart_sync(a);
    a->tick_id = g_timeout_add_seconds(1, tick, a);
}

int main(int argc, char **argv)
{
    struct app a = {0};
    a.t_start = g_get_monotonic_time();
    a.gallery_paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a.user_list = g_build_filename(g_get_user_config_dir(), "backdrop", "settings-gallery", NULL);
    a.gapp = adw_application_new(APP_ID, G_APPLICATION_DEFAULT_FLAGS);
    g_action_map_add_action_entries(G_ACTION_MAP(a.gapp), actions, G_N_ELEMENTS(actions), &a);
    a.a_status = g_simple_action_new_stateful("status", NULL, g_variant_new_string(""));
    a.a_error = g_simple_action_new_stateful("error", NULL, g_variant_new_string(""));
    a.a_controls = g_simple_action_new_stateful("controls", NULL, g_variant_new_string(""));
    g_action_map_add_action(G_ACTION_MAP(a.gapp), G_ACTION(a.a_controls));
    g_signal_connect(a.a_status, "activate", G_CALLBACK(act_state_noop), &a);
    g_signal_connect(a.a_error, "activate", G_CALLBACK(act_state_noop), &a);
    g_action_map_add_action(G_ACTION_MAP(a.gapp), G_ACTION(a.a_status));
    g_action_map_add_action(G_ACTION_MAP(a.gapp), G_ACTION(a.a_error));
    g_signal_connect(a.gapp, "activate", G_CALLBACK(activate), &a);
    int rc = g_application_run(G_APPLICATION(a.gapp), argc, argv);
    sp_preview_free(a.preview);
    if (a.cam)
        g_object_unref(a.cam);
    g_object_unref(a.a_status);
    g_object_unref(a.a_error);
    g_object_unref(a.a_controls);
    g_object_unref(a.gapp);
    g_hash_table_unref(a.gallery_paths);
    g_free(a.user_list);
    return rc;
}
