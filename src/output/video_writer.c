/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Video files through FFmpeg's encoders and muxers: see video_writer.h. */
#include "output/video_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <libyuv/planar_functions.h>

#include "common/error.h"

#define MAX_FPS 1000

struct bd_video_writer {
    char *path;
    AVFormatContext *oc;
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;           /* the encoder's input, enc_w x enc_h, enc->pix_fmt */
    AVPacket *pkt;
    struct SwsContext *sws;   /* only when the encoder does not take yuv420p */
    int width, height;        /* frames given to write */
    int enc_w, enc_h;         /* encoded (even) size */
    int64_t last_tick;        /* pts of the previous frame, in enc->time_base */
    bool have_tick;
    bool created;             /* open created the file (removed if open fails) */
    bool failed;              /* an encode/write failed: refuse more frames */
    char why[512];            /* that failure's message, repeated by later calls */
    uint64_t frames;
};

static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* Same policy as capture/file_source.c: silence FFmpeg unless the
 * application already chose a level. */
static void quiet_logs(void)
{
    if (av_log_get_level() == AV_LOG_INFO)
        av_log_set_level(AV_LOG_QUIET);
}

/* Frees everything; removes the file when open created it and remove is set. */
static void destroy(struct bd_video_writer *w, bool remove)
{
    if (!w)
        return;
    sws_freeContext(w->sws);
    av_frame_free(&w->frame);
    av_packet_free(&w->pkt);
    avcodec_free_context(&w->enc);
    if (w->oc) {
        if (w->oc->pb)
            avio_closep(&w->oc->pb);
        avformat_free_context(w->oc);
    }
    if (remove && w->created)
        unlink(w->path);
    free(w->path);
    free(w);
}

static int open_failed(struct bd_video_writer *w, int status)
{
    destroy(w, true);
    return status;
}

/* The encoder: libx264 when the container takes H.264, else its default. */
static const AVCodec *choose_encoder(const AVOutputFormat *ofmt, bool *x264)
{
    *x264 = false;
    if (ofmt->video_codec == AV_CODEC_ID_H264 ||
        avformat_query_codec(ofmt, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1) {
        const AVCodec *c = avcodec_find_encoder_by_name("libx264");
        if (c) {
            *x264 = true;
            return c;
        }
    }
    if (ofmt->video_codec == AV_CODEC_ID_NONE)
        return NULL;
    return avcodec_find_encoder(ofmt->video_codec);
}

/* yuv420p when the encoder lists it (or lists nothing), else its best match. */
static enum AVPixelFormat choose_pix_fmt(const AVCodec *codec)
{
    const enum AVPixelFormat *p = codec->pix_fmts;
    if (!p)
        return AV_PIX_FMT_YUV420P;
    for (int i = 0; p[i] != AV_PIX_FMT_NONE; i++)
        if (p[i] == AV_PIX_FMT_YUV420P)
            return AV_PIX_FMT_YUV420P;
    return avcodec_find_best_pix_fmt_of_list(p, AV_PIX_FMT_YUV420P, 0, NULL);
}

/* Sends the pending packets of the encoder to the muxer. */
static int drain_packets(struct bd_video_writer *w)
{
    for (;;) {
        int r = avcodec_receive_packet(w->enc, w->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return BD_OK;
        if (r < 0)
            return bd_fail(BD_ERR_IO, "video output '%s': the %s encoder failed: %s; the file "
                                      "is incomplete", w->path, w->enc->codec->name,
                           av_err2str(r));
        if (w->pkt->duration <= 0)
            w->pkt->duration = 1; /* one frame: only the last one's matters */
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->st->time_base);
        w->pkt->stream_index = w->st->index;
        r = av_interleaved_write_frame(w->oc, w->pkt); /* takes the packet's data */
        if (r >= 0 && w->oc->pb && w->oc->pb->error < 0)
            r = w->oc->pb->error;
        if (r < 0)
            return bd_fail(BD_ERR_IO, "video output '%s': write failed: %s (disk full?); the "
                                      "file is incomplete", w->path, av_err2str(r));
    }
}

int bd_video_writer_open(const char *path, int width, int height, int fps_num, int fps_den,
                         struct bd_video_writer **out)
{
    if (!out)
        return bd_fail(BD_ERR_INVALID_ARG, "video output: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return bd_fail(BD_ERR_INVALID_ARG, "video output: no path");
    if (width < 2 || height < 2 || width > BD_VIDEO_WRITER_MAX_DIM ||
        height > BD_VIDEO_WRITER_MAX_DIM || fps_num <= 0 || fps_den <= 0 ||
        (int64_t)fps_num > (int64_t)MAX_FPS * fps_den)
        return bd_fail(BD_ERR_INVALID_ARG, "video output '%s': bad size %dx%d or rate %d/%d "
                                           "(sizes 2..%d, rate above 0 and at most %d fps)",
                       path, width, height, fps_num, fps_den, BD_VIDEO_WRITER_MAX_DIM, MAX_FPS);
    pthread_once(&log_once, quiet_logs);

    struct bd_video_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path);
    }
    w->width = width;
    w->height = height;
    w->enc_w = width & ~1;
    w->enc_h = height & ~1;

    int r = avformat_alloc_output_context2(&w->oc, NULL, NULL, path);
    if (r == AVERROR(ENOMEM))
        return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path));
    if (r < 0 || !w->oc) {
        w->oc = NULL;
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': unknown container "
                                                          "extension; use .mp4, .mkv, .webm, "
                                                          ".mov or .avi", path));
    }
    const AVOutputFormat *ofmt = w->oc->oformat;
    if (ofmt->flags & AVFMT_NOFILE)
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': %s is an image "
                                                          "format, not a video container; use "
                                                          ".mp4, .mkv or .webm", path,
                                      ofmt->name));
    bool x264;
    const AVCodec *codec = choose_encoder(ofmt, &x264);
    if (!codec && ofmt->video_codec == AV_CODEC_ID_NONE)
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': the %s container "
                                                          "holds no video; use .mp4 or .mkv",
                                      path, ofmt->name));
    if (!codec)
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': this FFmpeg has "
                                                          "no video encoder for the %s "
                                                          "container (%s); use .mp4 or .mkv",
                                      path, ofmt->name, avcodec_get_name(ofmt->video_codec)));

    w->st = avformat_new_stream(w->oc, NULL);
    w->enc = avcodec_alloc_context3(codec);
    w->pkt = av_packet_alloc();
    w->frame = av_frame_alloc();
    if (!w->st || !w->enc || !w->pkt || !w->frame)
        return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path));

    AVCodecContext *c = w->enc;
    c->width = w->enc_w;
    c->height = w->enc_h;
    c->time_base = (AVRational){fps_den, fps_num};
    c->framerate = (AVRational){fps_num, fps_den};
    c->sample_aspect_ratio = (AVRational){1, 1};
    c->pix_fmt = choose_pix_fmt(codec);
    c->color_range = AVCOL_RANGE_MPEG;  /* what the pipeline makes: BT.601, 16-235 */
    c->colorspace = AVCOL_SPC_SMPTE170M;
    c->color_primaries = AVCOL_PRI_SMPTE170M;
    c->color_trc = AVCOL_TRC_SMPTE170M;
    if (ofmt->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    c->thread_count = 0; /* the encoder's choice (x264: 1.5 per core); libavcodec's default is 1 */
    if (x264) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        av_opt_set(c->priv_data, "crf", "20", 0);
    } else {
        double bps = 0.2 * w->enc_w * w->enc_h * fps_num / fps_den;
        c->bit_rate = bps > 50e6 ? 50000000 : (int64_t)bps;
        if (codec->id == AV_CODEC_ID_VP8 || codec->id == AV_CODEC_ID_VP9) {
            /* libvpx's default ("good", cpu-used 1) is far slower than real time */
            av_opt_set(c->priv_data, "deadline", "realtime", 0);
            av_opt_set(c->priv_data, "cpu-used", "8", 0);
        }
    }
    if (c->pix_fmt == AV_PIX_FMT_NONE)
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': the %s encoder "
                                                          "takes no pixel format we can make",
                                      path, codec->name));
    r = avcodec_open2(c, codec, NULL);
    if (r == AVERROR(ENOMEM))
        return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path));
    if (r < 0)
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': cannot open the %s "
                                                          "encoder at %dx%d (%s)", path,
                                      codec->name, c->width, c->height, av_err2str(r)));
    r = avcodec_parameters_from_context(w->st->codecpar, c);
    if (r < 0)
        return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path));
    w->st->time_base = c->time_base; /* a hint: the muxer may choose another */
    w->st->avg_frame_rate = c->framerate;

    w->frame->format = c->pix_fmt;
    w->frame->width = c->width;
    w->frame->height = c->height;
    if (av_frame_get_buffer(w->frame, 0) < 0)
        return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path));
    if (c->pix_fmt != AV_PIX_FMT_YUV420P) {
        w->sws = sws_getContext(c->width, c->height, AV_PIX_FMT_YUV420P, c->width, c->height,
                                c->pix_fmt, SWS_BICUBIC, NULL, NULL, NULL);
        if (!w->sws)
            return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': cannot "
                                                              "convert I420 for the %s encoder",
                                          path, codec->name));
    }

    /* Everything that can be refused was checked: now create the file. */
    struct stat sb;
    bool existed = lstat(path, &sb) == 0;
    size_t n = strlen(path);
    char *url = malloc(n + 6);
    if (!url)
        return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", path));
    memcpy(url, "file:", 5);
    memcpy(url + 5, path, n + 1);
    AVDictionary *dict = NULL;
    av_dict_set(&dict, "protocol_whitelist", "file", 0);
    r = avio_open2(&w->oc->pb, url, AVIO_FLAG_WRITE, NULL, &dict);
    av_dict_free(&dict);
    free(url);
    if (r < 0) {
        w->oc->pb = NULL;
        if (r == AVERROR(ENOMEM))
            return open_failed(w, bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory",
                                          path));
        return open_failed(w, bd_fail(BD_ERR_IO, "video output '%s': cannot create it: %s "
                                                 "(check that its folder exists and is "
                                                 "writable)", path, av_err2str(r)));
    }
    w->created = !existed;
    r = avformat_write_header(w->oc, NULL);
    if (r >= 0 && w->oc->pb->error < 0)
        r = w->oc->pb->error;
    if (r == AVERROR(EINVAL) || r == AVERROR_PATCHWELCOME)
        return open_failed(w, bd_fail(BD_ERR_UNSUPPORTED, "video output '%s': the %s muxer "
                                                          "refuses a lone %s video stream (%s); "
                                                          "use .mp4 or .mkv", path, ofmt->name,
                                      codec->name, av_err2str(r)));
    if (r < 0)
        return open_failed(w, bd_fail(BD_ERR_IO, "video output '%s': cannot write the %s "
                                                 "header: %s", path, ofmt->name,
                                      av_err2str(r)));
    *out = w;
    return BD_OK;
}

int bd_video_writer_write(struct bd_video_writer *w, const struct bd_i420_view *f, int64_t pts_us)
{
    if (!w)
        return bd_fail(BD_ERR_INVALID_ARG, "video output: writer is NULL");
    const int W = w->width, H = w->height, cw = (W + 1) / 2;
    if (!f || !f->y || !f->u || !f->v || f->width != W || f->height != H || f->stride_y < W ||
        f->stride_u < cw || f->stride_v < cw)
        return bd_fail(BD_ERR_INVALID_ARG, "video output '%s': frame planes missing, size not "
                                           "%dx%d, or strides too small", w->path, W, H);
    if (pts_us < -1)
        return bd_fail(BD_ERR_INVALID_ARG, "video output '%s': negative pts %lld", w->path,
                       (long long)pts_us);
    if (w->failed)
        return bd_fail(BD_ERR_IO, "%s", w->why);

    int64_t tick;
    if (pts_us == -1)
        tick = w->have_tick ? w->last_tick + 1 : 0;
    else
        tick = av_rescale_q_rnd(pts_us, AV_TIME_BASE_Q, w->enc->time_base, AV_ROUND_NEAR_INF);
    if (w->have_tick && tick <= w->last_tick)
        tick = w->last_tick + 1;

    /* the encoder may still hold a reference to the previous frame's buffer */
    int r = av_frame_make_writable(w->frame);
    if (r < 0)
        return bd_fail(BD_ERR_NOMEM, "video output '%s': out of memory", w->path);
    AVFrame *fr = w->frame;
    if (w->sws) {
        const uint8_t *const src[4] = {f->y, f->u, f->v, NULL};
        const int strides[4] = {f->stride_y, f->stride_u, f->stride_v, 0};
        sws_scale(w->sws, src, strides, 0, w->enc_h, fr->data, fr->linesize);
    } else {
        I420Copy(f->y, f->stride_y, f->u, f->stride_u, f->v, f->stride_v, fr->data[0],
                 fr->linesize[0], fr->data[1], fr->linesize[1], fr->data[2], fr->linesize[2],
                 w->enc_w, w->enc_h);
    }
    fr->pts = tick;
    fr->pict_type = AV_PICTURE_TYPE_NONE;

    r = avcodec_send_frame(w->enc, fr);
    int st = r < 0 ? bd_fail(BD_ERR_IO, "video output '%s': the %s encoder refused a frame: %s; "
                                        "the file is incomplete", w->path,
                             w->enc->codec->name, av_err2str(r))
                   : drain_packets(w);
    if (st != BD_OK) {
        w->failed = true;
        snprintf(w->why, sizeof w->why, "%s", bd_last_error());
        return st;
    }
    w->last_tick = tick;
    w->have_tick = true;
    w->frames++;
    return BD_OK;
}

uint64_t bd_video_writer_frames(const struct bd_video_writer *w)
{
    return w ? w->frames : 0;
}

int bd_video_writer_close(struct bd_video_writer *w)
{
    if (!w)
        return BD_OK;
    int st = BD_OK;
    if (w->failed) {
        st = bd_fail(BD_ERR_IO, "%s", w->why);
    } else {
        int r = avcodec_send_frame(w->enc, NULL); /* start draining */
        if (r < 0)
            st = bd_fail(BD_ERR_IO, "video output '%s': the %s encoder failed at the end: %s; "
                                    "the file is incomplete", w->path, w->enc->codec->name,
                         av_err2str(r));
        if (st == BD_OK)
            st = drain_packets(w);
        if (st == BD_OK) {
            r = av_write_trailer(w->oc);
            if (r >= 0) {
                avio_flush(w->oc->pb);
                if (w->oc->pb->error < 0)
                    r = w->oc->pb->error;
            }
            if (r < 0)
                st = bd_fail(BD_ERR_IO, "video output '%s': cannot finish the file: %s (disk "
                                        "full?); it is incomplete", w->path, av_err2str(r));
        }
    }
    destroy(w, false);
    return st;
}
