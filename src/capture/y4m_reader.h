/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * YUV4MPEG2 (.y4m) input from a file descriptor (typically stdin, e.g.
 * `ffmpeg -i x.mp4 -f yuv4mpegpipe - | backdrop ...`).
 *
 * Accepted: 8-bit 4:2:0 only (C420jpeg, C420paldv, C420mpeg2, C420, or no
 * C tag, which the format defines as 420jpeg). The chroma siting variants
 * differ only in where chroma samples sit; the planes are identical, so
 * they are all read as plain I420 and the tag is reported in info.
 *
 * Strict and bounded (this parser is a fuzz target):
 *  - the stream header is "YUV4MPEG2" then tags separated by single or
 *    repeated spaces, ended by '\n', at most BD_Y4M_MAX_HEADER bytes
 *    including the '\n'; only printable ASCII is allowed in it;
 *  - tags: W<int> H<int> (both required, 1..BD_Y4M_MAX_DIM, decimal
 *    digits only, no sign, no leading '+'), F<n>:<d> (both > 0, or 0:0 =
 *    unknown; absent = unknown), C<colourspace>, and the tolerated A<n>:<d>
 *    (aspect, checked only for shape), I<p|t|b|m|?> (interlacing; reported,
 *    the frames are read as progressive planes anyway) and X<anything>
 *    (ignored). A repeated W/H/F/C, an empty tag or any other letter is an
 *    error;
 *  - each frame is "FRAME", optionally followed by ' ' and parameters
 *    (ignored, same character rules), '\n' within BD_Y4M_MAX_FRAME_HEADER
 *    bytes, then exactly W*H + 2*ceil(W/2)*ceil(H/2) bytes;
 *  - end of input exactly at a frame boundary is a clean end
 *    (BD_Y4M_EOF); anywhere else it is a truncated stream (BD_ERR_FORMAT).
 * Reads retry EINTR and loop over short reads (pipes deliver in pieces).
 *
 * Errors are enum bd_status values (negative) with a bd_fail() detail that
 * names the stream ("y4m 'stdin': ..."). All memory (one read buffer) is
 * allocated by open; reading frames allocates nothing. A reader is used by
 * one thread at a time.
 */
#ifndef BD_CAPTURE_Y4M_READER_H
#define BD_CAPTURE_Y4M_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/frame.h" /* struct bd_i420 (width/height unused here) */

#define BD_Y4M_MAX_DIM 16384          /* largest accepted W and H */
#define BD_Y4M_MAX_HEADER 4096        /* stream header line, '\n' included */
#define BD_Y4M_MAX_FRAME_HEADER 1024  /* a FRAME line, '\n' included */
#define BD_Y4M_EOF 1                  /* read: clean end of stream */

/* What the stream header says. */
struct bd_y4m_info {
    int width, height;
    int fps_num, fps_den;  /* 0/0 when absent or given as F0:0 */
    int aspect_num, aspect_den; /* 0/0 when absent */
    char interlace;        /* 'p' (default), 't', 'b', 'm' or '?' */
    char chroma[12];       /* "420jpeg" (default), "420paldv", "420mpeg2", "420" */
    size_t frame_bytes;    /* bytes of one frame's planes */
};

/*
 * Parses one stream header line (without or with its trailing '\n'; len
 * bytes, not NUL-terminated) into *info. name is used in messages. Pure: no
 * I/O, no allocation; for fuzzing and tests. Returns BD_OK,
 * BD_ERR_FORMAT (not a y4m header, bad or missing tag, out-of-range
 * number) or BD_ERR_UNSUPPORTED (a valid colourspace other than 8-bit
 * 4:2:0, e.g. C444 or C420p10).
 */
int bd_y4m_parse_header(const char *line, size_t len, const char *name,
                        struct bd_y4m_info *info);

/* Checks one frame header line the same way ("FRAME" [' ' params]).
 * Returns BD_OK or BD_ERR_FORMAT. */
int bd_y4m_parse_frame_header(const char *line, size_t len, const char *name);

struct bd_y4m_reader;

/*
 * Reads and parses the stream header from fd (which stays owned by the
 * caller; it is never closed here). name (e.g. "stdin") is copied and used
 * in messages. Errors: BD_ERR_FORMAT (empty input, bad header, header
 * longer than BD_Y4M_MAX_HEADER, truncated), BD_ERR_UNSUPPORTED
 * (colourspace), BD_ERR_IO (read failed), BD_ERR_NOMEM,
 * BD_ERR_INVALID_ARG. On failure *out is NULL. Bytes after the header stay
 * buffered for the first read.
 */
int bd_y4m_reader_open(int fd, const char *name, struct bd_y4m_reader **out);

/* The header's contents; valid until close. */
const struct bd_y4m_info *bd_y4m_reader_info(const struct bd_y4m_reader *r);

/*
 * Reads the next frame into dst (planes of info->width x height, see
 * struct bd_i420). Blocks until the whole frame has arrived.
 * Returns BD_OK, BD_Y4M_EOF (the stream ended cleanly before a FRAME line;
 * later calls return it again), BD_ERR_FORMAT (bad FRAME line, or the
 * stream ended inside a frame header or frame data: "truncated"; the
 * reader is then finished and keeps returning the error), BD_ERR_IO, or
 * BD_ERR_INVALID_ARG (NULL planes or strides too small). After an error
 * dst may hold part of a frame.
 */
int bd_y4m_reader_read(struct bd_y4m_reader *r, const struct bd_i420 *dst);

/*
 * Back to the first frame, for looping a file: BD_OK, then reads go on
 * from the first frame (the frame count keeps counting). Only for an fd
 * that can seek (a file, not a pipe: BD_ERR_UNSUPPORTED), and not after a
 * failed read (its status again); BD_ERR_IO when the seek fails.
 */
int bd_y4m_reader_rewind(struct bd_y4m_reader *r);
/* Frames read so far. */
uint64_t bd_y4m_reader_frames(const struct bd_y4m_reader *r);

/* Frees r; does not close the fd. NULL is a no-op. */
void bd_y4m_reader_close(struct bd_y4m_reader *r);

#endif
