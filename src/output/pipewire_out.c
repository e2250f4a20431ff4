/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "output/pipewire_out.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyuv/convert.h>
#include <libyuv/convert_from.h>

#include <pipewire/pipewire.h>
#include <spa/param/video/format-utils.h>
#include <spa/pod/builder.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include "common/error.h"

#define BD_PW_NAME_MAX 128
#define BD_PW_BUFFERS_DEFAULT 4
#define BD_PW_BUFFERS_MIN 2
#define BD_PW_BUFFERS_MAX 16
/* Links out of our node remembered at once; a consumer has one per port
 * (one for a video stream), so this is far more consumers than a camera
 * has. Past it, the count is a lower bound. */
#define BD_PW_LINKS_MAX 64

struct bd_pw_link {
    uint32_t id, out_node, in_node;
};

struct bd_pw_output {
    struct pw_thread_loop *loop;
    struct pw_context *context;
    struct pw_core *core;
    struct spa_hook core_listener;
    struct pw_stream *stream;
    struct spa_hook stream_listener;
    struct pw_registry *registry;
    struct spa_hook registry_listener;
    bool core_listening, stream_listening, registry_listening;
    bool inited; /* pw_init called */

    char name[BD_PW_NAME_MAX];
    int width, height, fps_num, fps_den;

    /* Below: written by the loop thread (callbacks, lock held) and read by
     * the other threads with the lock held. */
    enum pw_stream_state state;
    bool reached_paused;          /* the node existed once */
    uint32_t format;              /* SPA_VIDEO_FORMAT_UNKNOWN until negotiated */
    int stride_y, stride_uv;      /* of the negotiated layout */
    size_t frame_size;
    bool failed;
    char error[320];
    /* The registry's links (its globals of type Link) whose output node is
     * ours: who consumes the node. Kept before our id is known too (then
     * whatever the output node), and matched against the id when counted. */
    struct bd_pw_link links[BD_PW_LINKS_MAX];
    int n_links;

    /* Only the writing thread. */
    uint32_t seq;

    _Atomic uint64_t queued, dropped;
};

static int round_up4(int x)
{
    return (x + 3) & ~3;
}

/* ---- callbacks: run on the loop thread with the lock held ---------------- */

static void set_failed(struct bd_pw_output *o, const char *fmt, const char *detail)
{
    if (o->failed)
        return; /* keep the first cause */
    o->failed = true;
    snprintf(o->error, sizeof o->error, fmt, o->name, detail ? detail : "no detail");
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
    struct bd_pw_output *o = data;
    (void)seq;
    if (id == PW_ID_CORE && res == -EPIPE)
        set_failed(o, "PipeWire node '%s': the daemon closed the connection (%s); "
                      "restart pipewire, then backdrop",
                   message);
    pw_thread_loop_signal(o->loop, false);
}

static const struct pw_core_events core_events = {
    .version = PW_VERSION_CORE_EVENTS,
    .error = on_core_error,
};

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state,
                             const char *error)
{
    struct bd_pw_output *o = data;
    (void)old;
    o->state = state;
    if (state == PW_STREAM_STATE_PAUSED || state == PW_STREAM_STATE_STREAMING)
        o->reached_paused = true;
    if (state == PW_STREAM_STATE_ERROR)
        set_failed(o, "PipeWire node '%s': the stream failed (%s); check the pipewire "
                      "and wireplumber logs, then restart backdrop",
                   error);
    else if (state == PW_STREAM_STATE_UNCONNECTED && o->reached_paused)
        set_failed(o, "PipeWire node '%s': disconnected from the daemon (%s); "
                      "restart pipewire, then backdrop",
                   error);
    pw_thread_loop_signal(o->loop, false);
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
    struct bd_pw_output *o = data;
    if (id != SPA_PARAM_Format)
        return;
    o->format = SPA_VIDEO_FORMAT_UNKNOWN;
    if (param == NULL)
        return; /* format cleared: the consumer went away */

    uint32_t media_type, media_subtype;
    struct spa_video_info_raw info;
    memset(&info, 0, sizeof info);
    if (spa_format_parse(param, &media_type, &media_subtype) < 0 ||
        media_type != SPA_MEDIA_TYPE_video || media_subtype != SPA_MEDIA_SUBTYPE_raw ||
        spa_format_video_raw_parse(param, &info) < 0 ||
        (info.format != SPA_VIDEO_FORMAT_I420 && info.format != SPA_VIDEO_FORMAT_YUY2) ||
        info.size.width != (uint32_t)o->width || info.size.height != (uint32_t)o->height) {
        pw_stream_set_error(o->stream, -EINVAL, "unexpected format");
        return;
    }

    size_t h = (size_t)o->height;
    if (info.format == SPA_VIDEO_FORMAT_I420) {
        o->stride_y = round_up4(o->width);
        o->stride_uv = round_up4(o->width / 2);
        o->frame_size = (size_t)o->stride_y * h + 2 * (size_t)o->stride_uv * (h / 2);
    } else {
        o->stride_y = 2 * o->width;
        o->stride_uv = 0;
        o->frame_size = (size_t)o->stride_y * h;
    }

    uint8_t pod_buf[512];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(pod_buf, sizeof pod_buf);
    const struct spa_pod *params[2];
    params[0] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers,
        SPA_PARAM_BUFFERS_buffers,
        SPA_POD_CHOICE_RANGE_Int(BD_PW_BUFFERS_DEFAULT, BD_PW_BUFFERS_MIN, BD_PW_BUFFERS_MAX),
        SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
        SPA_PARAM_BUFFERS_size, SPA_POD_Int((int32_t)o->frame_size),
        SPA_PARAM_BUFFERS_stride, SPA_POD_Int(o->stride_y),
        SPA_PARAM_BUFFERS_dataType,
        SPA_POD_CHOICE_FLAGS_Int((1 << SPA_DATA_MemFd) | (1 << SPA_DATA_MemPtr)));
    params[1] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta,
        SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
        SPA_PARAM_META_size, SPA_POD_Int((int32_t)sizeof(struct spa_meta_header)));
    if (params[0] == NULL || params[1] == NULL) {
        pw_stream_set_error(o->stream, -ENOSPC, "buffer parameters do not fit");
        return;
    }
    pw_stream_update_params(o->stream, params, 2);
    o->format = info.format;
}

static const struct pw_stream_events stream_events = {
    .version = PW_VERSION_STREAM_EVENTS,
    .state_changed = on_state_changed,
    .param_changed = on_param_changed,
};

/* Links are global objects whose properties name both ends
 * (link.output.node, link.input.node): a consumer linked to our node is
 * one with a link out of it. */
static void on_registry_global(void *data, uint32_t id, uint32_t permissions, const char *type,
                               uint32_t version, const struct spa_dict *props)
{
    struct bd_pw_output *o = data;
    (void)permissions;
    (void)version;
    if (type == NULL || strcmp(type, PW_TYPE_INTERFACE_Link) != 0 || props == NULL)
        return;
    const char *out = spa_dict_lookup(props, PW_KEY_LINK_OUTPUT_NODE);
    const char *in = spa_dict_lookup(props, PW_KEY_LINK_INPUT_NODE);
    uint32_t out_id, in_id;
    if (out == NULL || in == NULL || !spa_atou32(out, &out_id, 10) || !spa_atou32(in, &in_id, 10))
        return;
    const uint32_t self = o->stream ? pw_stream_get_node_id(o->stream) : SPA_ID_INVALID;
    if ((self != SPA_ID_INVALID && out_id != self) || o->n_links >= BD_PW_LINKS_MAX)
        return;
    o->links[o->n_links++] = (struct bd_pw_link){.id = id, .out_node = out_id, .in_node = in_id};
}

static void on_registry_global_remove(void *data, uint32_t id)
{
    struct bd_pw_output *o = data;
    for (int i = 0; i < o->n_links; i++) {
        if (o->links[i].id == id) {
            o->links[i] = o->links[--o->n_links];
            return;
        }
    }
}

static const struct pw_registry_events registry_events = {
    .version = PW_VERSION_REGISTRY_EVENTS,
    .global = on_registry_global,
    .global_remove = on_registry_global_remove,
};

/* ---- API ------------------------------------------------------------------ */

int bd_pw_output_open(const char *name, const char *description, int width, int height,
                      int fps_num, int fps_den, struct bd_pw_output **out)
{
    if (out == NULL)
        return bd_fail(BD_ERR_INVALID_ARG, "PipeWire output: no output pointer");
    *out = NULL;
    if (name == NULL || name[0] == '\0' || strlen(name) >= BD_PW_NAME_MAX)
        return bd_fail(BD_ERR_INVALID_ARG, "PipeWire output: the node name must be 1..127 "
                                           "characters");
    if (width < 2 || height < 2 || width > BD_PW_MAX_DIM || height > BD_PW_MAX_DIM ||
        width % 2 != 0 || height % 2 != 0)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "PipeWire node '%s': size %dx%d must be even and 2..%d on each side",
                       name, width, height, BD_PW_MAX_DIM);
    if (fps_num <= 0 || fps_den <= 0)
        return bd_fail(BD_ERR_INVALID_ARG, "PipeWire node '%s': frame rate %d/%d must be > 0",
                       name, fps_num, fps_den);

    struct bd_pw_output *o = calloc(1, sizeof *o);
    if (o == NULL)
        return bd_fail(BD_ERR_NOMEM, "PipeWire node '%s': out of memory", name);
    snprintf(o->name, sizeof o->name, "%s", name);
    o->width = width;
    o->height = height;
    o->fps_num = fps_num;
    o->fps_den = fps_den;
    o->state = PW_STREAM_STATE_UNCONNECTED;
    o->format = SPA_VIDEO_FORMAT_UNKNOWN;

    int status = BD_OK;
    pw_init(NULL, NULL);
    o->inited = true;

    o->loop = pw_thread_loop_new("bd-pipewire", NULL);
    if (o->loop == NULL) {
        status = bd_fail(BD_ERR_IO, "PipeWire node '%s': cannot create the thread loop (%s)",
                         name, strerror(errno));
        goto fail;
    }
    o->context = pw_context_new(pw_thread_loop_get_loop(o->loop), NULL, 0);
    if (o->context == NULL) {
        status = bd_fail(BD_ERR_IO, "PipeWire node '%s': cannot create a context (%s); "
                                    "is libpipewire's client.conf installed?",
                         name, strerror(errno));
        goto fail;
    }
    if (pw_thread_loop_start(o->loop) < 0) {
        status = bd_fail(BD_ERR_IO, "PipeWire node '%s': cannot start the thread loop", name);
        goto fail;
    }

    pw_thread_loop_lock(o->loop);
    o->core = pw_context_connect(o->context, NULL, 0);
    if (o->core == NULL) {
        int err = errno;
        const char *rt = getenv("XDG_RUNTIME_DIR");
        const char *remote = getenv("PIPEWIRE_REMOTE");
        pw_thread_loop_unlock(o->loop);
        status = bd_fail(BD_ERR_IO,
                         "PipeWire: cannot connect to the daemon (is pipewire running for "
                         "this user? XDG_RUNTIME_DIR=%s%s%s): %s",
                         rt ? rt : "(unset)", remote ? " PIPEWIRE_REMOTE=" : "",
                         remote ? remote : "",
                         /* what libpipewire answers when no socket exists */
                         err == EHOSTDOWN ? "no daemon socket found" : strerror(err));
        goto fail;
    }
    pw_core_add_listener(o->core, &o->core_listener, &core_events, o);
    o->core_listening = true;
    /* Who is linked to the node: the registry's Link globals (on demand's
     * count). Without it the count is only "at least one". */
    o->registry = pw_core_get_registry(o->core, PW_VERSION_REGISTRY, 0);
    if (o->registry != NULL) {
        pw_registry_add_listener(o->registry, &o->registry_listener, &registry_events, o);
        o->registry_listening = true;
    }

    struct pw_properties *props = pw_properties_new(
        PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CLASS, "Video/Source", PW_KEY_MEDIA_ROLE,
        "Camera", PW_KEY_NODE_NAME, name, PW_KEY_NODE_DESCRIPTION,
        description ? description : name, NULL);
    if (props == NULL) {
        pw_thread_loop_unlock(o->loop);
        status = bd_fail(BD_ERR_NOMEM, "PipeWire node '%s': out of memory", name);
        goto fail;
    }
    o->stream = pw_stream_new(o->core, name, props); /* takes props */
    if (o->stream == NULL) {
        pw_thread_loop_unlock(o->loop);
        status = bd_fail(BD_ERR_IO, "PipeWire node '%s': cannot create the stream (%s)", name,
                         strerror(errno));
        goto fail;
    }
    pw_stream_add_listener(o->stream, &o->stream_listener, &stream_events, o);
    o->stream_listening = true;

    uint8_t pod_buf[512];
    struct spa_pod_builder b = SPA_POD_BUILDER_INIT(pod_buf, sizeof pod_buf);
    const struct spa_pod *params[1];
    params[0] = spa_pod_builder_add_object(
        &b, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat,
        SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_video),
        SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
        SPA_FORMAT_VIDEO_format,
        SPA_POD_CHOICE_ENUM_Id(3, SPA_VIDEO_FORMAT_I420, SPA_VIDEO_FORMAT_I420,
                               SPA_VIDEO_FORMAT_YUY2),
        SPA_FORMAT_VIDEO_size, SPA_POD_Rectangle(&SPA_RECTANGLE((uint32_t)width, (uint32_t)height)),
        SPA_FORMAT_VIDEO_framerate,
        SPA_POD_Fraction(&SPA_FRACTION((uint32_t)fps_num, (uint32_t)fps_den)));
    int res = params[0] ? pw_stream_connect(o->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
                                            PW_STREAM_FLAG_DRIVER | PW_STREAM_FLAG_MAP_BUFFERS,
                                            params, 1)
                        : -ENOSPC;
    if (res < 0) {
        pw_thread_loop_unlock(o->loop);
        status = bd_fail(BD_ERR_IO, "PipeWire node '%s': cannot connect the stream (%s)", name,
                         spa_strerror(res));
        goto fail;
    }

    /* Wait for the daemon to create the node (state PAUSED, id known). */
    struct timespec deadline;
    pw_thread_loop_get_time(o->loop, &deadline, (int64_t)BD_PW_OPEN_TIMEOUT_S * SPA_NSEC_PER_SEC);
    while (!o->failed && o->state != PW_STREAM_STATE_ERROR &&
           !(o->reached_paused && pw_stream_get_node_id(o->stream) != SPA_ID_INVALID)) {
        if (pw_thread_loop_timed_wait_full(o->loop, &deadline) == -ETIMEDOUT)
            break;
    }
    if (o->failed || !o->reached_paused) {
        char msg[sizeof o->error];
        snprintf(msg, sizeof msg, "%s", o->error);
        bool failed = o->failed;
        pw_thread_loop_unlock(o->loop);
        if (failed)
            status = bd_fail(BD_ERR_IO, "%s", msg);
        else
            status = bd_fail(BD_ERR_IO, "PipeWire node '%s': the daemon did not create the "
                                        "node within %d s; check that pipewire is healthy "
                                        "(pw-cli info 0)",
                             name, BD_PW_OPEN_TIMEOUT_S);
        goto fail;
    }
    pw_thread_loop_unlock(o->loop);
    *out = o;
    return BD_OK;

fail:
    bd_pw_output_close(o);
    return status;
}

uint32_t bd_pw_output_node_id(struct bd_pw_output *o)
{
    if (o == NULL || o->loop == NULL || o->stream == NULL)
        return SPA_ID_INVALID;
    pw_thread_loop_lock(o->loop);
    uint32_t id = o->failed ? SPA_ID_INVALID : pw_stream_get_node_id(o->stream);
    pw_thread_loop_unlock(o->loop);
    return id;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int bd_pw_output_write(struct bd_pw_output *o, const struct bd_i420_view *f)
{
    if (o == NULL || f == NULL)
        return bd_fail(BD_ERR_INVALID_ARG, "PipeWire output: no output or no frame");
    int w = o->width, h = o->height;
    if (f->width != w || f->height != h)
        return bd_fail(BD_ERR_INVALID_ARG, "PipeWire node '%s': frame is %dx%d, the node is %dx%d",
                       o->name, f->width, f->height, w, h);
    if (f->y == NULL || f->u == NULL || f->v == NULL || f->stride_y < w ||
        f->stride_u < w / 2 || f->stride_v < w / 2)
        return bd_fail(BD_ERR_INVALID_ARG,
                       "PipeWire node '%s': frame planes missing or strides too small", o->name);

    pw_thread_loop_lock(o->loop);
    if (o->failed) {
        char msg[sizeof o->error];
        snprintf(msg, sizeof msg, "%s", o->error);
        pw_thread_loop_unlock(o->loop);
        return bd_fail(BD_ERR_IO, "%s", msg);
    }
    struct pw_buffer *pb = NULL;
    if (o->state == PW_STREAM_STATE_STREAMING && o->format != SPA_VIDEO_FORMAT_UNKNOWN)
        pb = pw_stream_dequeue_buffer(o->stream);
    if (pb == NULL) {
        pw_thread_loop_unlock(o->loop);
        atomic_fetch_add_explicit(&o->dropped, 1, memory_order_relaxed);
        return BD_OK;
    }

    struct spa_buffer *buf = pb->buffer;
    struct spa_data *d = &buf->datas[0];
    if (buf->n_datas < 1 || d->data == NULL || d->maxsize < o->frame_size) {
        /* Not a buffer we can fill (cannot happen with our Buffers param):
         * give it back empty and drop the frame. */
        if (buf->n_datas >= 1 && d->chunk != NULL) {
            d->chunk->offset = 0;
            d->chunk->size = 0;
            d->chunk->flags = SPA_CHUNK_FLAG_CORRUPTED;
        }
        pw_stream_queue_buffer(o->stream, pb);
        pw_thread_loop_unlock(o->loop);
        atomic_fetch_add_explicit(&o->dropped, 1, memory_order_relaxed);
        return BD_OK;
    }

    uint8_t *p = d->data;
    if (o->format == SPA_VIDEO_FORMAT_I420) {
        uint8_t *dy = p;
        uint8_t *du = dy + (size_t)o->stride_y * (size_t)h;
        uint8_t *dv = du + (size_t)o->stride_uv * (size_t)(h / 2);
        I420Copy(f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v, dy, o->stride_y, du,
                 o->stride_uv, dv, o->stride_uv, w, h);
    } else {
        I420ToYUY2(f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v, p, o->stride_y, w,
                   h);
    }
    d->chunk->offset = 0;
    d->chunk->size = (uint32_t)o->frame_size;
    d->chunk->stride = o->stride_y;
    d->chunk->flags = 0;

    struct spa_meta_header *hdr = spa_buffer_find_meta_data(buf, SPA_META_Header, sizeof *hdr);
    if (hdr != NULL) {
        hdr->flags = 0;
        hdr->offset = 0;
        hdr->pts = monotonic_ns();
        hdr->dts_offset = 0;
        hdr->seq = o->seq;
    }
    o->seq++;

    pw_stream_queue_buffer(o->stream, pb);
    /* As the driver, start the graph cycle that hands the buffer over; a
     * follower's buffer is taken on its driver's next cycle. */
    if (pw_stream_is_driving(o->stream))
        pw_stream_trigger_process(o->stream);
    pw_thread_loop_unlock(o->loop);
    atomic_fetch_add_explicit(&o->queued, 1, memory_order_relaxed);
    return BD_OK;
}

void bd_pw_output_stats(struct bd_pw_output *o, uint64_t *queued, uint64_t *dropped)
{
    if (queued)
        *queued = o ? atomic_load_explicit(&o->queued, memory_order_relaxed) : 0;
    if (dropped)
        *dropped = o ? atomic_load_explicit(&o->dropped, memory_order_relaxed) : 0;
}

/* The distinct nodes linked to ours (a consumer with several ports, or
 * linked twice, is one). Loop lock held. */
static int linked_nodes(const struct bd_pw_output *o, uint32_t self)
{
    int n = 0;
    for (int i = 0; i < o->n_links; i++) {
        if (o->links[i].out_node != self)
            continue;
        int again = 0;
        for (int j = 0; j < i && !again; j++)
            again = o->links[j].out_node == self && o->links[j].in_node == o->links[i].in_node;
        n += !again;
    }
    return n;
}

int bd_pw_output_consumers(struct bd_pw_output *o)
{
    pw_thread_loop_lock(o->loop);
    int n = -1;
    if (!o->failed) {
        n = 0;
        /* STREAMING is the daemon's word that the node runs for someone;
         * the links say for how many (at least one: a registry that hides
         * the consumer's links, as a sandbox's may, leaves 1). */
        if (o->state == PW_STREAM_STATE_STREAMING) {
            n = linked_nodes(o, pw_stream_get_node_id(o->stream));
            if (n < 1)
                n = 1;
        }
    }
    pw_thread_loop_unlock(o->loop);
    return n;
}

void bd_pw_output_close(struct bd_pw_output *o)
{
    if (o == NULL)
        return;
    if (o->loop != NULL) {
        pw_thread_loop_lock(o->loop);
        if (o->registry != NULL) {
            if (o->registry_listening)
                spa_hook_remove(&o->registry_listener);
            pw_proxy_destroy((struct pw_proxy *)o->registry);
            o->registry = NULL;
        }
        if (o->stream != NULL) {
            if (o->stream_listening)
                spa_hook_remove(&o->stream_listener);
            pw_stream_destroy(o->stream);
            o->stream = NULL;
        }
        if (o->core != NULL) {
            if (o->core_listening)
                spa_hook_remove(&o->core_listener);
            pw_core_disconnect(o->core);
            o->core = NULL;
        }
        pw_thread_loop_unlock(o->loop);
        pw_thread_loop_stop(o->loop);
    }
    if (o->context != NULL)
        pw_context_destroy(o->context);
    if (o->loop != NULL)
        pw_thread_loop_destroy(o->loop);
    if (o->inited)
        pw_deinit();
    free(o);
}
