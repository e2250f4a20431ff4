/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * On demand (include/backdrop.h, bd_pipeline_config.on_demand): the camera
 * is open, and the model runs, only while a program streams from the
 * output. Idle, the frame loop does not read the input: it keeps the
 * output fed with a dark placeholder twice a second (with exclusive_caps=1
 * a v4l2loopback device is listed as a camera only while its producer
 * holds it with a format) and otherwise sleeps on the consumer count's
 * fd, so an idle backdrop costs a few wake-ups a second.
 *
 * The decision is bd_ondemand (output/consumers.h, unit-tested); who
 * streams comes from the sink: v4l2loopback's client-usage event or /proc
 * (bd_lb_watch), or the PipeWire stream's state.
 */
#include "pipeline/pipeline_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

#define DEFAULT_IDLE_TIMEOUT_S 5
/* Idle: the consumers looked at this often at the latest (a STOP request
 * is honoured within it too); the fd wakes the loop sooner. */
#define IDLE_NAP_NS 100000000LL
/* Active: the count looked at this often (it only decides the stop, which
 * waits seconds anyway). */
#define ACTIVE_CHECK_NS 200000000LL
/* Idle: the placeholder's rate. */
#define PLACEHOLDER_NS 500000000LL

static int sink_consumers(struct bd_pipeline *p, int64_t now)
{
    if (p->od_watch)
        return bd_lb_watch_count(p->od_watch, now);
    if (p->sink.pw)
        return bd_pw_output_consumers(p->sink.pw);
    return -1;
}

static void set_state(struct bd_pipeline *p, int idle, int consumers)
{
    pthread_mutex_lock(&p->stats_lock);
    p->od_idle = idle;
    p->od_consumers = consumers;
    pthread_mutex_unlock(&p->stats_lock);
}

/* The placeholder: black with the crossed-out camera (dark, so a consumer
 * tells it from a picture, and free of whatever the camera saw last). */
static void paint_placeholder(struct bd_pipeline *p)
{
    const struct bd_i420 *o = &p->out;
    for (int y = 0; y < p->height; y++)
        memset(o->y + (size_t)y * o->stride_y, 16, (size_t)p->width);
    for (int y = 0; y < p->height / 2; y++) {
        memset(o->u + (size_t)y * o->stride_u, 128, (size_t)p->width / 2);
        memset(o->v + (size_t)y * o->stride_v, 128, (size_t)p->width / 2);
    }
    bd_draw_camera_lost(o->y, o->stride_y, o->u, o->stride_u, o->v, o->stride_v, p->width,
                        p->height, p->lost_scratch, p->lost_scratch_size);
}

static int write_placeholder(struct bd_pipeline *p, int first)
{
    struct bd_sink *k = &p->sink;
    if (k->loopback) {
        /* the loopback keeps the converted frame: repeats cost one write */
        int r;
        if (first) {
            struct bd_i420_view v = bd_i420_view_of(&p->out);
            r = bd_v4l2_loopback_write_i420(k->loopback, v.y, v.stride_y, v.u, v.stride_u, v.v,
                                            v.stride_v);
        } else {
            r = bd_v4l2_loopback_repeat(k->loopback);
        }
        return r < 0 ? bd_v4l2_status(r) : BD_OK; /* a placeholder not taken: the next one */
    }
    if (k->pw) {
        struct bd_i420_view v = bd_i420_view_of(&p->out);
        return bd_pw_output_write(k->pw, &v);
    }
    return BD_OK;
}

/* Closes the camera (its light goes off); a file input just stops being
 * read. */
static void go_idle(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    if (s->kind == SRC_V4L2 && s->cap) {
        bd_v4l2_capture_close(s->cap);
        s->cap = NULL;
    }
    pthread_mutex_lock(&p->stats_lock);
    p->input_lost = 0;
    pthread_mutex_unlock(&p->stats_lock);
    paint_placeholder(p);
    p->sink.have_frame = 1;
    p->od_next_frame_ns = 0;
}

/* The camera opens on the next read (the reconnect path: same device, same
 * size), and its first frame gets the usual grace before it counts as
 * lost. */
static void go_active(struct bd_pipeline *p)
{
    struct bd_source *s = &p->src;
    s->next_retry_ns = 0;
    s->last_frame_ns = bd_now_ns();
    s->stall_ns = 0;
    s->play_start_ns = 0;
    if (p->m->refiner)
        bd_refiner_reset(p->m->refiner); /* a new stream: no temporal state */
    p->od_starts++;
}

static int64_t grace_ns(int seconds)
{
    return (int64_t)(seconds > 0 ? seconds : DEFAULT_IDLE_TIMEOUT_S) * 1000000000;
}

/* The count of a loopback's consumers (only while on demand is on: with
 * it off nothing is counted, and nothing is spent on it). */
static int open_watch(struct bd_pipeline *p)
{
    if (!p->sink.loopback || p->od_watch)
        return BD_OK;
    const char *path = bd_v4l2_loopback_path(p->sink.loopback);
    int r = bd_lb_watch_open(NULL, bd_v4l2_loopback_fd(p->sink.loopback), path, NULL,
                             &p->od_watch);
    if (r < 0)
        return bd_fail(bd_v4l2_status(r), "on demand: cannot tell who streams from '%s': %s",
                       path, strerror(-r));
    return BD_OK;
}

int bd_pipeline_ondemand_open(struct bd_pipeline *p)
{
    p->od_consumers = -1;
    atomic_init(&p->od_want_on, -1);
    atomic_init(&p->od_want_timeout, -1);
    if (!p->sink.loopback && !p->sink.pw)
        return BD_OK; /* files are never on demand */
    /* a preview window is a consumer that is always there */
    if (p->cfg.preview)
        p->cfg.on_demand = 0;
    bd_ondemand_init(&p->od, grace_ns(p->cfg.idle_timeout));
    p->od_enabled = 1; /* live requests are looked at */
    if (!p->cfg.on_demand) {
        p->od.active = 1;
        return BD_OK;
    }
    int r = open_watch(p);
    if (r != BD_OK)
        return r;
    go_idle(p);
    set_state(p, 1, 0);
    return BD_OK;
}

void bd_pipeline_ondemand_request(struct bd_pipeline *p, int on, int idle_timeout_s)
{
    if (idle_timeout_s >= 0)
        atomic_store(&p->od_want_timeout, idle_timeout_s);
    if (on >= 0)
        atomic_store(&p->od_want_on, on != 0);
}

/* Live changes, on the frame thread. Off: the camera opens (if idle) and
 * stays open; on: the grace period starts now if nobody streams. */
static void apply_requests(struct bd_pipeline *p, int64_t now)
{
    int t = atomic_exchange(&p->od_want_timeout, -1);
    if (t >= 0) {
        p->cfg.idle_timeout = t;
        p->od.grace_ns = grace_ns(t);
    }
    int on = atomic_exchange(&p->od_want_on, -1);
    if (on < 0 || on == (p->cfg.on_demand != 0) || p->cfg.preview)
        return;
    p->cfg.on_demand = on;
    if (!on) {
        if (!p->od.active) {
            p->od.active = 1;
            go_active(p);
        }
        p->od.empty_since = -1;
        set_state(p, 0, -1); /* not counted while off */
    } else {
        if (open_watch(p) != BD_OK) {
            fprintf(stderr, "backdrop: on demand stays off: %s\n", bd_last_error());
            p->cfg.on_demand = 0;
            return;
        }
        p->od.empty_since = -1;
        p->od_next_check_ns = now;
    }
}

/* Sleeps until the next placeholder is due, a consumer shows up (the
 * count's fd), or IDLE_NAP_NS. */
static void nap(struct bd_pipeline *p, int64_t now)
{
    int64_t until = now + IDLE_NAP_NS;
    if (p->od_next_frame_ns < until)
        until = p->od_next_frame_ns;
    int ms = (int)((until - now + 999999) / 1000000);
    if (ms <= 0)
        return;
    short ev = 0;
    int fd = p->od_watch ? bd_lb_watch_fd(p->od_watch, &ev) : -1;
    struct pollfd pfd = {.fd = fd, .events = ev};
    /* no fd (PipeWire): a plain sleep; EINTR: the turn ends early */
    (void)poll(&pfd, fd >= 0 ? 1 : 0, ms);
}

int bd_pipeline_ondemand_tick(struct bd_pipeline *p)
{
    if (!p->od_enabled)
        return 0;
    int64_t now = bd_now_ns();
    apply_requests(p, now);
    if (!p->cfg.on_demand)
        return 0;
    if (p->od.active && now < p->od_next_check_ns)
        return 0;
    int n = sink_consumers(p, now);
    if (n == -ENODEV)
        return bd_fail(BD_ERR_NOT_FOUND, "loopback device '%s' was disconnected "
                       "(v4l2loopback unloaded?)", p->sink.name);
    if (n < -1)
        n = -1;
    enum bd_ondemand_action a = bd_ondemand_update(&p->od, n, now);
    if (a == BD_ONDEMAND_START)
        go_active(p);
    else if (a == BD_ONDEMAND_STOP)
        go_idle(p);
    if (a != BD_ONDEMAND_NONE || n != p->od_consumers)
        set_state(p, !p->od.active, n);
    if (p->od.active) {
        p->od_next_check_ns = now + ACTIVE_CHECK_NS;
        return 0;
    }
    if (now >= p->od_next_frame_ns) {
        int r = write_placeholder(p, p->od_next_frame_ns == 0);
        if (r != BD_OK)
            return r;
        p->od_next_frame_ns = now + PLACEHOLDER_NS;
    }
    nap(p, now);
    return 1;
}

void bd_pipeline_ondemand_close(struct bd_pipeline *p)
{
    bd_lb_watch_close(p->od_watch);
    p->od_watch = NULL;
    p->od_enabled = 0;
}
