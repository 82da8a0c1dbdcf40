/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_reader.c - see trace_reader.h and traces/FORMAT.md.
 *
 * Everything read from the file is hostile until checked: each length and
 * count is bounded (trace_format.h) before it sizes an allocation, the
 * decompressed size is known from the CRC-checked block header before
 * decompressing, and zstd decodes into a buffer of exactly that size. The
 * reader holds the block index (32 bytes a block, at most GST_MAX_BLOCKS)
 * and one block's buffers, which grow to the largest block seen and never
 * past the format limits, however big the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "util/crc32c.h"
#include "util/grow.h"
#include "util/search.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_names.h"
#include "trace/trace_reader.h"

struct blk_ref {
	uint64_t offset;	/* of the block header */
	uint64_t first_ts, last_ts;
	uint32_t nev, nkey;
};

struct trace_reader {
	int fd;
	struct trace_meta meta;
	struct trace_info info;
	uint64_t data_end;		/* blocks lie in [header_len, data_end) */
	struct blk_ref *idx;
	size_t nidx, idx_cap;
	size_t next_blk;		/* block to load when the current one is used up */
	bool want_key;			/* give the next block's keyframe (after a seek) */
	struct gs_event *ev;		/* the decoded block: keyframe, then events */
	size_t pos, end;		/* events still to hand out: ev[pos..end) */
	size_t ev_cap;
	uint8_t *comp, *raw;
	size_t comp_cap, raw_cap;
	ZSTD_DCtx *zd;
	struct trace_names *names;	/* every name of the file, loaded at open */
	uint32_t nm_seq;		/* names chunks met while scanning */
	char err[320];
	bool skip_bad;			/* skip damaged blocks (trace_reader_skip_bad) */
	uint8_t *bad;			/* bitmap of blocks found damaged, or NULL */
	char bad_why[160];		/* why the first of them was */
};

/* trace_reader_open() failures have no reader to hold their reason. */
static __thread char open_err[256];

__attribute__((format(printf, 2, 3)))
static int fail(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, 256, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int grow(void *pp, size_t *cap, size_t need)
{
	void *n;

	if (need <= *cap)
		return 0;
	/* headroom: blocks after the first carry a keyframe and are a bit larger */
	need += need / 8;
	n = realloc(*(void **)pp, need);
	if (!n)
		return -ENOMEM;
	*(void **)pp = n;
	*cap = need;
	return 0;
}

static void get_str(char *dst, size_t field, const uint8_t *src, size_t len)
{
	if (len >= field)
		len = field - 1;
	/* control bytes would reach terminals (escape sequences in a command
	 * line from a hostile file): '?' instead; a NUL ends the string early */
	for (size_t i = 0; i < len; i++)
		dst[i] = src[i] && (src[i] < 0x20 || src[i] == 0x7f) ? '?' : (char)src[i];
	dst[len] = '\0';
}

static int read_header(struct trace_reader *r, char *err)
{
	uint8_t fixed[GST_HDR_FIXED], *buf;
	uint32_t len, ver;
	size_t off;
	int ret;

	if (r->info.file_bytes < GST_HDR_FIXED)
		return fail(err, "too short to be a .gst trace (%llu bytes)",
			    (unsigned long long)r->info.file_bytes);
	ret = gst_read_at(r->fd, fixed, sizeof(fixed), 0);
	if (ret)
		return ret == -EBADMSG ? fail(err, "file shrank while reading") : ret;
	if (memcmp(fixed, GST_MAGIC, 8))
		return fail(err, "not a gilscope trace (bad magic)");
	ver = get_le32(fixed + 8);
	if (ver != GST_VERSION)
		return fail(err, "trace format version %u, this gilscope reads version %u",
			    ver, GST_VERSION);
	len = get_le32(fixed + 12);
	if (len < GST_HDR_FIXED + 4 * 2 + 4 || len > GST_HDR_MAX ||
	    len > r->info.file_bytes)
		return fail(err, "bad header length %u", len);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	ret = gst_read_at(r->fd, buf, len, 0);
	if (ret) {
		free(buf);
		return ret == -EBADMSG ? fail(err, "file shrank while reading") : ret;
	}
	if (get_le32(buf + len - 4) != crc32c(0, buf, len - 4)) {
		free(buf);
		return fail(err, "header CRC mismatch");
	}
	struct trace_meta *m = &r->meta;

	/* a count from the file sizes the views and the report: bound it */
	m->ncpus = get_le32(buf + 16);
	if (m->ncpus > GST_MAX_CPUS)
		m->ncpus = GST_MAX_CPUS;
	m->root_pid = get_le32(buf + 20);
	m->flags = get_le32(buf + 24);
	m->clock_id = get_le32(buf + 28);
	m->start_ns = get_le64(buf + 32);
	m->realtime_offset_ns = (int64_t)get_le64(buf + 40);
	struct {
		char *dst;
		size_t field;
	} strs[] = {
		{ m->host, sizeof(m->host) }, { m->kernel, sizeof(m->kernel) },
		{ m->adapter, sizeof(m->adapter) }, { m->command, sizeof(m->command) },
	};
	off = GST_HDR_FIXED;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		size_t sl;

		if (off + 2 > len - 4 || (sl = get_le16(buf + off)) > len - 4 - off - 2) {
			free(buf);
			return fail(err, "header string %zu overruns the header", i);
		}
		get_str(strs[i].dst, strs[i].field, buf + off + 2, sl);
		off += 2 + sl;
	}
	free(buf);
	r->data_end = len;	/* the first block's offset, until blocks are found */
	return 0;
}

static int idx_push(struct trace_reader *r, const struct blk_ref *b)
{
	if (grow_array(&r->idx, &r->idx_cap, r->nidx + 1, sizeof(*r->idx)))
		return -ENOMEM;
	r->idx[r->nidx++] = *b;
	return 0;
}

/* The index from the footer; -EBADMSG (with reason in why) if there is none
 * or it does not hold together, and the caller scans instead. */
static int read_footer(struct trace_reader *r, uint64_t hdr_len, char *why)
{
	uint64_t size = r->info.file_bytes, foff;
	uint8_t tr[GST_TRAILER], *buf, *p;
	uint32_t flen, n;
	int ret;

	if (size < hdr_len + GST_IDX_FIXED + GST_TRAILER)
		return fail(why, "no footer");
	ret = gst_read_at(r->fd, tr, sizeof(tr), size - GST_TRAILER);
	if (ret)
		return ret == -EBADMSG ? fail(why, "file shrank while reading") : ret;
	if (memcmp(tr + 16, GST_TRAILER_MAGIC, 8))
		return fail(why, "no footer (recorder stopped before closing the file?)");
	foff = get_le64(tr);
	flen = get_le32(tr + 8);
	/* no sums of file values: a huge offset must not wrap into range */
	if (foff < hdr_len || foff > size || flen < GST_IDX_FIXED ||
	    (uint64_t)flen > GST_IDX_FIXED + (uint64_t)GST_MAX_BLOCKS * GST_IDX_ENTRY ||
	    size - foff != (uint64_t)flen + GST_TRAILER)
		return fail(why, "footer position/length inconsistent with the file size");
	buf = malloc(flen);
	if (!buf)
		return -ENOMEM;
	ret = gst_read_at(r->fd, buf, flen, foff);
	if (ret == -EBADMSG)
		fail(why, "file shrank while reading");
	if (!ret && get_le32(tr + 12) != crc32c(0, buf, flen))
		ret = fail(why, "footer CRC mismatch");
	if (!ret && get_le32(buf) != GST_IDX_MAGIC)
		ret = fail(why, "no footer magic");
	n = ret ? 0 : get_le32(buf + 4);
	if (!ret && (uint64_t)flen != GST_IDX_FIXED + (uint64_t)n * GST_IDX_ENTRY)
		ret = fail(why, "footer length disagrees with its block count");
	p = buf + GST_IDX_FIXED;
	for (uint32_t i = 0; !ret && i < n; i++, p += GST_IDX_ENTRY) {
		struct blk_ref b = {
			.offset = get_le64(p), .first_ts = get_le64(p + 8),
			.last_ts = get_le64(p + 16), .nev = get_le32(p + 24),
			.nkey = get_le32(p + 28),
		};
		const struct blk_ref *prev = r->nidx ? &r->idx[r->nidx - 1] : NULL;

		if (b.offset < (prev ? prev->offset + GST_BLK_HDR + 1 : hdr_len) ||
		    b.offset >= foff || foff - b.offset < GST_BLK_HDR + 1 ||
		    b.first_ts > b.last_ts ||
		    (prev && b.first_ts < prev->last_ts) || b.nev == 0 ||
		    b.nev > GST_MAX_BLOCK_EVENTS || b.nkey > GST_MAX_KEYFRAME)
			ret = fail(why, "footer index entry %u is inconsistent", i);
		else
			ret = idx_push(r, &b);
		r->info.events += b.nev;
	}
	if (!ret && r->info.events != get_le64(buf + 8))
		ret = fail(why, "footer event count disagrees with its index");
	if (!ret) {
		r->info.lost = get_le64(buf + 16);
		r->data_end = foff;
	} else {
		r->nidx = 0;
		r->info.events = 0;
	}
	free(buf);
	return ret;
}

/* Read and check block header at off, which must end by limit. */
static int read_blk_hdr(struct trace_reader *r, uint64_t off, uint64_t limit,
			struct gst_block_hdr *h, char *why)
{
	uint8_t raw[GST_BLK_HDR];
	const char *reason;
	int ret;

	if (off + GST_BLK_HDR > limit)
		return fail(why, "block at offset %llu truncated", (unsigned long long)off);
	ret = gst_read_at(r->fd, raw, sizeof(raw), off);
	if (ret)
		return ret == -EBADMSG ? fail(why, "file shrank while reading") : ret;
	if (gst_block_hdr_get(raw, h, &reason))
		return fail(why, "block at offset %llu: %s", (unsigned long long)off, reason);
	if (off + GST_BLK_HDR + h->payload_len > limit)
		return fail(why, "block at offset %llu truncated", (unsigned long long)off);
	return 0;
}

/* Read the payload of a checked header into r->comp and check its CRC. */
static int read_payload(struct trace_reader *r, uint64_t off,
			const struct gst_block_hdr *h, char *why)
{
	int ret = grow(&r->comp, &r->comp_cap, h->payload_len);

	if (!ret)
		ret = gst_read_at(r->fd, r->comp, h->payload_len, off + GST_BLK_HDR);
	if (ret == -EBADMSG)
		return fail(why, "file shrank while reading");
	if (!ret && crc32c(0, r->comp, h->payload_len) != h->payload_crc)
		return fail(why, "block at offset %llu: payload CRC mismatch",
			    (unsigned long long)off);
	return ret;
}

/* No usable footer: walk the blocks from the start up to the first one that
 * is truncated or fails a check. Reads the file once, holds one payload. */
static int scan_blocks(struct trace_reader *r, const char *no_footer)
{
	uint64_t off = r->data_end, size = r->info.file_bytes;
	char why[256] = "";
	int ret = 0;

	while (off < size) {
		struct gst_block_hdr h;
		uint8_t magic[4] = { 0 };

		if (r->nidx == GST_MAX_BLOCKS) {
			fail(why, "more than %u blocks", GST_MAX_BLOCKS);
			break;
		}
		if (size - off >= 4 && !gst_read_at(r->fd, magic, 4, off) &&
		    (get_le32(magic) == GST_IDX_MAGIC || get_le32(magic) == GST_NX_MAGIC)) {
			fail(why, "stopped at a damaged footer");
			break;
		}
		if (size - off >= 4 && get_le32(magic) == GST_NM_MAGIC) {
			uint64_t next;

			ret = trace_names_load_chunk(r->names, r->fd, off, size, r->nm_seq, &next,
						     why, sizeof(why));
			if (ret == -EBADMSG) {
				ret = 0;
				break;
			}
			if (ret)
				return ret;
			r->nm_seq++;
			off = next;
			continue;
		}
		ret = read_blk_hdr(r, off, size, &h, why);
		if (!ret)
			ret = read_payload(r, off, &h, why);
		if (!ret && r->nidx && h.first_ts < r->idx[r->nidx - 1].last_ts)
			ret = fail(why, "block at offset %llu goes back in time",
				   (unsigned long long)off);
		if (!ret && h.seq != r->nidx)
			ret = fail(why, "block at offset %llu is out of sequence",
				   (unsigned long long)off);
		if (ret == -EBADMSG) {
			ret = 0;
			break;
		}
		if (ret)
			return ret;
		ret = idx_push(r, &(struct blk_ref){ .offset = off, .first_ts = h.first_ts,
						     .last_ts = h.last_ts, .nev = h.nev,
						     .nkey = h.nkey });
		if (ret)
			return ret;
		r->info.events += h.nev;
		r->info.lost = gs_sat_add(r->info.lost, h.lost);
		off += GST_BLK_HDR + h.payload_len;
	}
	r->info.recovered = true;
	r->info.bytes_unreadable = size - off;
	r->data_end = off;
	snprintf(r->err, sizeof(r->err), "recovered %zu blocks (%.100s)%s%.160s", r->nidx,
		 no_footer, why[0] ? "; " : "", why);
	return 0;
}

int trace_reader_open(struct trace_reader **out, const char *path)
{
	struct trace_reader *r;
	struct stat st;
	char why[256];
	int ret;

	open_err[0] = '\0';
	if (!out || !path)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO must not hang us before we can refuse it */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0) {
		ret = -errno;
		goto err;
	}
	if (fstat(r->fd, &st)) {
		ret = -errno;
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = fail(open_err, "not a regular file");
		goto err;
	}
	r->info.file_bytes = (uint64_t)st.st_size;
	r->zd = ZSTD_createDCtx();
	if (!r->zd) {
		ret = -ENOMEM;
		goto err;
	}
	ret = read_header(r, open_err);
	if (ret)
		goto err;
	ret = trace_names_new(&r->names);
	if (ret)
		goto err;
	uint64_t hdr_len = r->data_end;

	ret = read_footer(r, hdr_len, why);
	if (!ret) {
		ret = trace_names_load_index(r->names, r->fd, hdr_len, r->data_end);
		ret = ret < 0 ? ret : 0;
	} else if (ret == -EBADMSG) {
		ret = scan_blocks(r, why);
	}
	if (ret)
		goto err;
	if (r->nidx) {
		r->info.first_ns = r->idx[0].first_ts;
		r->info.last_ns = r->idx[r->nidx - 1].last_ts;
	}
	r->info.blocks = r->nidx;
	*out = r;
	return 0;
err:
	trace_reader_close(r);
	return ret;
}

const struct trace_meta *trace_reader_meta(const struct trace_reader *r)
{
	return &r->meta;
}

void trace_reader_info(const struct trace_reader *r, struct trace_info *info)
{
	*info = r->info;
}

const struct trace_names *trace_reader_names(const struct trace_reader *r)
{
	return r->names;
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r ? r->err : open_err;
}

/* Load block i into r->ev; on any error the block is skipped. */
static int load_block(struct trace_reader *r, size_t i)
{
	const struct blk_ref *b = &r->idx[i];
	struct gst_block_hdr h;
	const char *reason;
	size_t n, got;
	int ret;

	r->next_blk = i + 1;
	r->pos = r->end = 0;
	ret = read_blk_hdr(r, b->offset, r->data_end, &h, r->err);
	if (ret)
		return ret;
	if (h.nev != b->nev || h.nkey != b->nkey || h.first_ts != b->first_ts ||
	    h.last_ts != b->last_ts || h.seq != i)
		return fail(r->err, "block %zu disagrees with the index", i);
	ret = read_payload(r, b->offset, &h, r->err);
	if (ret)
		return ret;
	n = (size_t)h.nkey + h.nev;
	ret = grow(&r->raw, &r->raw_cap, h.raw_len);
	if (!ret)
		ret = grow(&r->ev, &r->ev_cap, n * sizeof(*r->ev));
	if (ret)
		return ret;
	got = ZSTD_decompressDCtx(r->zd, r->raw, h.raw_len, r->comp, h.payload_len);
	if (ZSTD_isError(got) || got != h.raw_len)
		return fail(r->err, "block %zu: %s", i, ZSTD_isError(got) ?
			    ZSTD_getErrorName(got) : "decompressed size differs from header");
	if (gst_decode(r->raw, h.raw_len, r->ev, n, h.nkey, h.first_ts, h.last_ts,
		       &reason))
		return fail(r->err, "block %zu: %s", i, reason);
	r->pos = r->want_key ? 0 : h.nkey;
	r->end = n;
	r->want_key = false;
	return 0;
}

/* Block i failed its checks: count it, once. */
static void note_bad(struct trace_reader *r, size_t i)
{
	if (!r->bad)
		r->bad = calloc((r->nidx + 7) / 8, 1);
	if (r->bad && (r->bad[i / 8] & (1u << (i % 8))))
		return;
	if (r->bad)
		r->bad[i / 8] |= (uint8_t)(1u << (i % 8));
	if (!r->info.bad_blocks)
		snprintf(r->bad_why, sizeof(r->bad_why), "%.159s", r->err);
	r->info.bad_blocks++;
	r->info.bad_events += r->idx[i].nev;
}

/* Load blocks until one has events left: 1, 0 at the end, or an error. */
static int have_events(struct trace_reader *r)
{
	while (r->pos == r->end) {
		int ret;

		if (r->next_blk >= r->nidx)
			return 0;
		ret = load_block(r, r->next_blk);
		if (ret == -EBADMSG && r->skip_bad) {
			note_bad(r, r->next_blk - 1);	/* load_block moved past it */
			continue;
		}
		if (ret)
			return ret;
	}
	return 1;
}

int trace_reader_next_batch(struct trace_reader *r, const struct gs_event **evs,
			    size_t *n)
{
	int ret = have_events(r);

	if (ret <= 0)
		return ret;
	*evs = r->ev + r->pos;
	*n = r->end - r->pos;
	r->pos = r->end;
	return 1;
}

int trace_reader_next(struct trace_reader *r, struct gs_event *ev)
{
	int ret = have_events(r);

	if (ret <= 0)
		return ret;
	*ev = r->ev[r->pos++];
	return 1;
}

int trace_reader_seek(struct trace_reader *r, uint64_t ts_ns)
{
	/* the number of blocks whose first event is <= ts; the last of them */
	size_t lo = search_upper_u64(r->idx, r->nidx, sizeof(*r->idx),
				     offsetof(struct blk_ref, first_ts), ts_ns);

	r->next_blk = lo ? lo - 1 : 0;
	r->pos = r->end = 0;
	r->want_key = true;
	return 0;
}

int trace_reader_rewind(struct trace_reader *r)
{
	r->next_blk = 0;
	r->pos = r->end = 0;
	r->want_key = false;
	return 0;
}

void trace_reader_skip_bad(struct trace_reader *r, bool on)
{
	r->skip_bad = on;
}

uint64_t trace_reader_skip_note(const struct trace_reader *r, char *buf, size_t len)
{
	uint64_t n = r->info.bad_blocks;

	if (n && len)
		snprintf(buf, len, "skipped %llu damaged block%s, %llu events (%s)",
			 (unsigned long long)n, n == 1 ? "" : "s",
			 (unsigned long long)r->info.bad_events, r->bad_why);
	return n;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->zd);
	trace_names_free(r->names);
	free(r->idx);
	free(r->ev);
	free(r->comp);
	free(r->raw);
	free(r->bad);
	free(r);
}
