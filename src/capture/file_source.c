/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Video and image files through FFmpeg: see file_source.h. */
#include "capture/file_source.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <libyuv/planar_functions.h>

#include "common/error.h"

enum { DEC_OK = 0, DEC_EOF = 1 };

struct bd_file_source {
    char *path;
    bool loop;
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *st;
    int vidx;
    AVPacket *pkt;
    AVFrame *frame;     /* decode target */
    AVFrame *last;      /* the frame being returned (kept for stills) */
    bool pending;       /* last holds the frame decoded by open, not yet returned */
    bool draining;      /* the end of the file was sent to the decoder */
    int state;          /* 0, BD_FILE_SOURCE_EOF, or nothing else (errors are not sticky) */
    uint64_t pass_frames; /* frames decoded since open / the last rewind */
    int bad_run;
    /* timestamps */
    int64_t frame_us;   /* one frame interval */
    int64_t base_us;    /* added to the stream's pts (in us) */
    bool have_base;
    int64_t last_pts;
    bool have_last;
    /* conversion */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt;
    bool sws_full;
    uint8_t *sws_mem;   /* swscale's own I420 target (see convert) */
    struct bd_i420 sws_out;
    struct bd_file_source_info info;
    struct bd_file_source_stats stats;
};

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void quiet_logs(void)
{
    if (av_log_get_level() == AV_LOG_INFO)
        av_log_set_level(AV_LOG_QUIET);
}

static int failed_packet(struct bd_file_source *s, int err, const char *what)
{
    s->stats.bad++;
    if (++s->bad_run > BD_FILE_SOURCE_MAX_BAD)
        return bd_fail(BD_ERR_FORMAT, "video '%s': %d damaged packets in a row (last: %s: %s)",
                       s->path, s->bad_run, what, av_err2str(err));
    return BD_OK;
}

/* Decodes the next frame of the video stream into s->frame.
 * Returns DEC_OK, DEC_EOF or a failed status. */
static int decode_next(struct bd_file_source *s)
{
    for (;;) {
        int r = avcodec_receive_frame(s->dec, s->frame);
        if (r == 0) {
            s->bad_run = 0;
            s->stats.decoded++;
            s->pass_frames++;
            return DEC_OK;
        }
        if (r == AVERROR_EOF)
            return DEC_EOF;
        if (r != AVERROR(EAGAIN)) {
            int st = failed_packet(s, r, "decoding");
            if (st != BD_OK)
                return st;
            continue;
        }
        if (s->draining)
            return DEC_EOF; /* cannot happen: a drained decoder says EOF */
        r = av_read_frame(s->fmt, s->pkt);
        if (r == AVERROR_EOF || (r < 0 && s->fmt->pb && avio_feof(s->fmt->pb))) {
            s->draining = true;
            avcodec_send_packet(s->dec, NULL);
            continue;
        }
        if (r < 0)
            return bd_fail(BD_ERR_IO, "video '%s': read failed: %s", s->path, av_err2str(r));
        if (s->pkt->stream_index != s->vidx) {
            av_packet_unref(s->pkt);
            continue;
        }
        r = avcodec_send_packet(s->dec, s->pkt);
        av_packet_unref(s->pkt);
        if (r < 0 && r != AVERROR(EAGAIN)) {
            int st = failed_packet(s, r, "packet");
            if (st != BD_OK)
                return st;
        }
    }
}

static int rewind_source(struct bd_file_source *s)
{
    int64_t start = s->st->start_time != AV_NOPTS_VALUE ? s->st->start_time : 0;
    int r = av_seek_frame(s->fmt, s->vidx, start, AVSEEK_FLAG_BACKWARD);
    if (r < 0)
        r = avformat_seek_file(s->fmt, s->vidx, INT64_MIN, start, start, 0);
    if (r < 0)
        return bd_fail(BD_ERR_IO, "video '%s': cannot rewind to loop: %s", s->path,
                       av_err2str(r));
    avcodec_flush_buffers(s->dec);
    s->draining = false;
    s->have_base = false;
    s->pass_frames = 0;
    s->stats.loops++;
    return BD_OK;
}

static bool full_range_gray(const AVPixFmtDescriptor *d)
{
    return d && !(d->flags & AV_PIX_FMT_FLAG_RGB) && d->nb_components <= 2;
}

/* Converts s->last into dst (info size). */
static int convert(struct bd_file_source *s, const struct bd_i420 *dst)
{
    const AVFrame *f = s->last;
    const int W = s->info.width, H = s->info.height;
    int fmt = f->format;
    bool full = f->color_range == AVCOL_RANGE_JPEG;
    switch (fmt) {
    case AV_PIX_FMT_YUVJ420P: fmt = AV_PIX_FMT_YUV420P; full = true; break;
    case AV_PIX_FMT_YUVJ422P: fmt = AV_PIX_FMT_YUV422P; full = true; break;
    case AV_PIX_FMT_YUVJ444P: fmt = AV_PIX_FMT_YUV444P; full = true; break;
    case AV_PIX_FMT_YUVJ440P: fmt = AV_PIX_FMT_YUV440P; full = true; break;
    case AV_PIX_FMT_YUVJ411P: fmt = AV_PIX_FMT_YUV411P; full = true; break;
    default: break;
    }
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    if (full_range_gray(desc) && f->color_range != AVCOL_RANGE_MPEG)
        full = true; /* grey PNG/JPEG: 0-255 */

    if (fmt == AV_PIX_FMT_YUV420P && !full && f->width == W && f->height == H &&
        f->linesize[0] > 0 && f->linesize[1] > 0 && f->linesize[2] > 0) {
        I420Copy(f->data[0], f->linesize[0], f->data[1], f->linesize[1], f->data[2],
                 f->linesize[2], dst->y, dst->stride_y, dst->u, dst->stride_u, dst->v,
                 dst->stride_v, W, H);
        return BD_OK;
    }
    if (!s->sws || s->sws_w != f->width || s->sws_h != f->height || s->sws_fmt != fmt ||
        s->sws_full != full) {
        sws_freeContext(s->sws);
        free(s->sws_mem);
        s->sws_mem = NULL;
        /* ranges set before sws_init_context: the unscaled fast paths are
         * chosen there and would otherwise ignore a range change */
        s->sws = sws_alloc_context();
        bool yuv = desc && !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));
        if (!s->sws || av_opt_set_int(s->sws, "srcw", f->width, 0) < 0 ||
            av_opt_set_int(s->sws, "srch", f->height, 0) < 0 ||
            av_opt_set_int(s->sws, "src_format", fmt, 0) < 0 ||
            av_opt_set_int(s->sws, "dstw", W, 0) < 0 || av_opt_set_int(s->sws, "dsth", H, 0) < 0 ||
            av_opt_set_int(s->sws, "dst_format", AV_PIX_FMT_YUV420P, 0) < 0 ||
            av_opt_set_int(s->sws, "sws_flags", SWS_BICUBIC | SWS_ACCURATE_RND, 0) < 0 ||
            av_opt_set_int(s->sws, "src_range", yuv ? full : 1, 0) < 0 ||
            av_opt_set_int(s->sws, "dst_range", 0, 0) < 0 ||
            sws_init_context(s->sws, NULL, NULL) < 0) {
            sws_freeContext(s->sws);
            s->sws = NULL;
            return bd_fail(BD_ERR_UNSUPPORTED, "video '%s': cannot convert %dx%d %s to I420",
                           s->path, f->width, f->height,
                           desc ? desc->name : "(unknown pixel format)");
        }
        /* swscale's SIMD stores run past the end of a row (8 bytes and more
         * at a time), so it may not write into the caller's planes, whose
         * rows may end where the allocation does (found by fuzzing under
         * valgrind: fuzz/regressions/background/). Its target is ours:
         * 64-aligned rows with 64 bytes to spare each, and a spare row. */
        const int sy = ((W + 63) & ~63) + 64, sc = (((W + 1) / 2 + 63) & ~63) + 64;
        const size_t ny = (size_t)sy * (size_t)(H + 1), nc = (size_t)sc * (size_t)((H + 1) / 2 + 1);
        s->sws_mem = aligned_alloc(64, ny + 2 * nc);
        if (!s->sws_mem) {
            sws_freeContext(s->sws);
            s->sws = NULL;
            return bd_fail(BD_ERR_NOMEM, "video '%s': out of memory converting %dx%d", s->path,
                           W, H);
        }
        s->sws_out = (struct bd_i420){
            .y = s->sws_mem,
            .u = s->sws_mem + ny,
            .v = s->sws_mem + ny + nc,
            .stride_y = sy,
            .stride_u = sc,
            .stride_v = sc,
            .width = W,
            .height = H,
        };
        s->sws_w = f->width;
        s->sws_h = f->height;
        s->sws_fmt = fmt;
        s->sws_full = full;
    }
    const struct bd_i420 *o = &s->sws_out;
    uint8_t *const planes[4] = {o->y, o->u, o->v, NULL};
    const int strides[4] = {o->stride_y, o->stride_u, o->stride_v, 0};
    int r = sws_scale(s->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes,
                      strides);
    if (r <= 0)
        return bd_fail(BD_ERR_FORMAT, "video '%s': conversion to I420 failed", s->path);
    I420Copy(o->y, o->stride_y, o->u, o->stride_u, o->v, o->stride_v, dst->y, dst->stride_y,
             dst->u, dst->stride_u, dst->v, dst->stride_v, W, H);
    return BD_OK;
}

static int open_failed(struct bd_file_source *s, int st)
{
    bd_file_source_close(s);
    return st;
}

int bd_file_source_open(const char *path, const struct bd_file_source_options *opts,
                        struct bd_file_source **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "file source: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return bd_fail(BD_ERR_INVALID_ARG, "file source: no path");
    pthread_once(&log_once, quiet_logs);

    struct bd_file_source *s = calloc(1, sizeof *s);
    size_t n = strlen(path);
    char *url = malloc(n + 6);
    if (!s || !url || !(s->path = strdup(path))) {
        free(url);
        free(s);
        return bd_fail(BD_ERR_NOMEM, "video '%s': out of memory", path);
    }
    memcpy(url, "file:", 5);
    memcpy(url + 5, path, n + 1);
    s->loop = opts && opts->loop;
    s->vidx = -1;

    AVDictionary *dict = NULL;
    av_dict_set(&dict, "protocol_whitelist", "file", 0);
    int r = avformat_open_input(&s->fmt, url, NULL, &dict);
    av_dict_free(&dict);
    free(url);
    if (r < 0) {
        s->fmt = NULL;
        if (r == AVERROR(ENOENT))
            return open_failed(s, bd_fail(BD_ERR_NOT_FOUND, "video '%s': no such file", path));
        if (r == AVERROR_EOF)
            return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': empty file", path));
        if (r == AVERROR_INVALIDDATA)
            return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': not a video or image that "
                                                         "FFmpeg recognises", path));
        if (r == AVERROR(ENOMEM))
            return open_failed(s, bd_fail(BD_ERR_NOMEM, "video '%s': out of memory", path));
        return open_failed(s, bd_fail(BD_ERR_IO, "video '%s': cannot open: %s", path,
                                      av_err2str(r)));
    }
    /* a guess from the file name alone (e.g. score 1 for any ".dat") is not
     * a recognised format */
    if (s->fmt->pb && avio_size(s->fmt->pb) == 0)
        return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': empty file", path));
    if (s->fmt->probe_score < AVPROBE_SCORE_EXTENSION / 2)
        return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': not a video or image that "
                                                     "FFmpeg recognises", path));
    r = avformat_find_stream_info(s->fmt, NULL);
    if (r < 0)
        return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': corrupt or unreadable %s "
                                                     "file (%s)", path, s->fmt->iformat->name,
                                      av_err2str(r)));
    const AVCodec *codec = NULL;
    r = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (r == AVERROR_DECODER_NOT_FOUND) {
        int i = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
        const char *name = i >= 0 ? avcodec_get_name(s->fmt->streams[i]->codecpar->codec_id)
                                  : "?";
        return open_failed(s, bd_fail(BD_ERR_UNSUPPORTED, "video '%s': this FFmpeg cannot "
                                                          "decode its %s video", path, name));
    }
    if (r < 0 || !codec)
        return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': has no video stream (%s)",
                                      path, s->fmt->iformat->name));
    s->vidx = r;
    s->st = s->fmt->streams[r];
    for (unsigned i = 0; i < s->fmt->nb_streams; i++)
        if ((int)i != s->vidx)
            s->fmt->streams[i]->discard = AVDISCARD_ALL;

    s->dec = avcodec_alloc_context3(codec);
    s->pkt = av_packet_alloc();
    s->frame = av_frame_alloc();
    s->last = av_frame_alloc();
    if (!s->dec || !s->pkt || !s->frame || !s->last)
        return open_failed(s, bd_fail(BD_ERR_NOMEM, "video '%s': out of memory", path));
    r = avcodec_parameters_to_context(s->dec, s->st->codecpar);
    if (r < 0)
        return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': bad codec parameters (%s)",
                                      path, av_err2str(r)));
    s->dec->pkt_timebase = s->st->time_base;
    s->dec->thread_count = opts && opts->threads > 0 ? opts->threads : 0;
    r = avcodec_open2(s->dec, codec, NULL);
    if (r < 0)
        return open_failed(s, bd_fail(BD_ERR_UNSUPPORTED, "video '%s': cannot open the %s "
                                                          "decoder (%s)", path, codec->name,
                                      av_err2str(r)));

    r = decode_next(s);
    if (r == DEC_EOF)
        return open_failed(s, bd_fail(BD_ERR_FORMAT, "video '%s': no frame could be decoded "
                                                     "(empty or corrupt)", path));
    if (r < 0)
        return open_failed(s, r); /* the detail names the file already */
    av_frame_move_ref(s->last, s->frame);
    s->pending = true;
    const int w = s->last->width, h = s->last->height;
    if (w < 1 || h < 1 || w > BD_FILE_SOURCE_MAX_DIM || h > BD_FILE_SOURCE_MAX_DIM)
        return open_failed(s, bd_fail(BD_ERR_UNSUPPORTED, "video '%s': frame size %dx%d is "
                                                          "out of range (1..%d)", path, w, h,
                                      BD_FILE_SOURCE_MAX_DIM));

    AVRational fr = av_guess_frame_rate(s->fmt, s->st, NULL);
    if (fr.num <= 0 || fr.den <= 0)
        fr = (AVRational){25, 1};
    const char *demux = s->fmt->iformat->name;
    size_t dl = strlen(demux);
    s->info = (struct bd_file_source_info){
        .width = w,
        .height = h,
        .fps_num = fr.num,
        .fps_den = fr.den,
        .duration_us = s->fmt->duration != AV_NOPTS_VALUE ? s->fmt->duration : -1,
        /* an image demuxer with one picture (image2 also reads numbered
         * sequences, whose duration is their count) */
        .still = (strcmp(demux, "image2") == 0 ||
                  (dl > 5 && strcmp(demux + dl - 5, "_pipe") == 0)) &&
                 (s->st->duration == AV_NOPTS_VALUE || s->st->duration <= 1),
        .codec = avcodec_get_name(s->st->codecpar->codec_id),
        .container = demux,
    };
    s->frame_us = av_rescale(1000000, fr.den, fr.num);
    if (s->frame_us < 1)
        s->frame_us = 1;
    *out = s;
    return BD_OK;
}

const struct bd_file_source_info *bd_file_source_info(const struct bd_file_source *src)
{
    return &src->info;
}

int bd_file_source_read(struct bd_file_source *s, const struct bd_i420 *dst, int64_t *pts_us)
{
    if (!s)
        return bd_fail(BD_ERR_INVALID_ARG, "file source is NULL");
    const int W = s->info.width, H = s->info.height, cw = (W + 1) / 2;
    if (!dst || !dst->y || !dst->u || !dst->v || dst->stride_y < W || dst->stride_u < cw ||
        dst->stride_v < cw)
        return bd_fail(BD_ERR_INVALID_ARG, "video '%s': destination planes missing or strides "
                                           "too small for %dx%d", s->path, W, H);
    if (s->state == BD_FILE_SOURCE_EOF)
        return BD_FILE_SOURCE_EOF;

    bool repeat = false; /* returning the kept still frame again */
    if (s->pending) {
        s->pending = false;
    } else if (s->info.still) {
        repeat = true;
    } else {
        int r = decode_next(s);
        if (r == DEC_EOF && s->stats.loops == 0 && s->stats.decoded == 1) {
            s->info.still = true; /* a one-frame stream */
            repeat = true;
        } else if (r == DEC_EOF && !s->loop) {
            s->state = BD_FILE_SOURCE_EOF;
            return BD_FILE_SOURCE_EOF;
        } else if (r == DEC_EOF) {
            r = rewind_source(s);
            if (r < 0)
                return r;
            r = decode_next(s);
            if (r == DEC_EOF)
                return bd_fail(BD_ERR_FORMAT, "video '%s': no frame after rewinding to loop",
                               s->path);
        }
        if (r < 0)
            return r;
        if (!repeat) {
            av_frame_unref(s->last);
            av_frame_move_ref(s->last, s->frame);
        }
    }

    int64_t pts;
    int64_t ts = s->last->best_effort_timestamp;
    if (repeat || ts == AV_NOPTS_VALUE) {
        pts = s->have_last ? s->last_pts + s->frame_us : 0;
    } else {
        int64_t us = av_rescale_q(ts, s->st->time_base, AV_TIME_BASE_Q);
        if (!s->have_base) {
            s->base_us = (s->have_last ? s->last_pts + s->frame_us : 0) - us;
            s->have_base = true;
        }
        pts = s->base_us + us;
        if (s->have_last && pts <= s->last_pts) { /* a jump back: rebase */
            s->base_us = s->last_pts + s->frame_us - us;
            pts = s->last_pts + s->frame_us;
        }
    }
    int st = convert(s, dst);
    if (st != BD_OK)
        return st;
    s->last_pts = pts;
    s->have_last = true;
    s->stats.frames++;
    if (pts_us)
        *pts_us = pts;
    return BD_OK;
}

void bd_file_source_stats(const struct bd_file_source *s, struct bd_file_source_stats *st)
{
    *st = s->stats;
}

void bd_file_source_close(struct bd_file_source *s)
{
    if (!s)
        return;
    sws_freeContext(s->sws);
    free(s->sws_mem);
    av_frame_free(&s->frame);
    av_frame_free(&s->last);
    av_packet_free(&s->pkt);
    avcodec_free_context(&s->dec);
    avformat_close_input(&s->fmt);
    free(s->path);
    free(s);
}
