/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_writer.c - see trace_writer.h and traces/FORMAT.md.
 *
 * The current block lives in one array: the keyframe (snapshot of the sticky
 * context, taken when the block's first event arrives) followed by the
 * block's events. Sealing encodes that array into columns, compresses it,
 * and writes header + payload with a single write(), so a killed recorder
 * leaves whole blocks or a torn last one that the reader's scan drops.
 * A failed write is sticky: the file is cut back to the last whole block
 * and every later call returns the same error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "util/crc32c.h"
#include "util/hash.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_keyframe.h"
#include "trace/trace_names.h"
#include "trace/trace_writer.h"

struct idx_entry {
	uint64_t offset;	/* of the block header, from the file start */
	uint64_t first_ts, last_ts;
	uint32_t nev, nkey;
};

struct trace_writer {
	int fd;
	int err;			/* sticky negative errno after a failed write */
	off_t base;			/* file position of the header (0 but for odd fds) */
	uint64_t off;			/* bytes of whole blocks written so far */
	uint32_t block_events;		/* seal threshold */
	int zstd_level;
	struct gst_keyframe *kf;	/* sticky context after every appended event */
	struct gs_event *blk;		/* keyframe then block events */
	uint32_t nkey, nev;		/* in blk */
	uint64_t blk_lost;		/* LOST counts in the current block */
	uint64_t last_ts;		/* of the last appended event */
	uint8_t *raw, *comp;		/* encode / compress buffers */
	size_t raw_cap, comp_cap;
	ZSTD_CCtx *zc;
	struct idx_entry *idx;
	size_t nidx, idx_cap;
	/* names waiting for the next chunk, and the chunks written */
	uint8_t *nm_raw, *nm_comp;
	size_t nm_len, nm_cap;
	uint32_t nm_nrec;
	uint64_t nm_threads, nm_funcs;	/* records accepted, for the file's limits */
	uint64_t nm_written;		/* records in the chunks written */
	uint64_t *nm_off;		/* offset of each chunk written */
	size_t nm_nchunks, nm_offcap;
	/* threads met so far, for thread-seen records (advisory: they stop,
	 * never fail an append, at the file's limit or out of memory) */
	struct hmap seen;
	uint64_t seen_last;		/* pid << 32 | tid of the last one looked up */
	bool seen_off;
	struct trace_write_stats st;
};

#define NAMES_FLUSH_AT (1u << 20)	/* write a chunk once this many bytes wait */

/* Write all of buf; on a short or failed write cut the file back to the last
 * whole block (best effort: pipes cannot be cut) and make the error sticky. */
static int write_all(struct trace_writer *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t done = 0;

	if (w->err)
		return w->err;
	while (done < len) {
		ssize_t r = write(w->fd, p + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			w->err = r < 0 ? -errno : -EIO;
			if (done && ftruncate(w->fd, w->base + (off_t)w->off) == 0)
				lseek(w->fd, w->base + (off_t)w->off, SEEK_SET);
			return w->err;
		}
		done += (size_t)r;
	}
	w->off += len;
	w->st.bytes += len;
	return 0;
}

static size_t put_str(uint8_t *p, const char *s, size_t field)
{
	size_t len = strnlen(s, field);

	if (len == field)	/* no NUL: keep what trace_meta can give back */
		len = field - 1;
	put_le16(p, (uint16_t)len);
	memcpy(p + 2, s, len);
	return 2 + len;
}

static int write_header(struct trace_writer *w, const struct trace_meta *m)
{
	uint8_t buf[GST_HDR_FIXED + 4 * 2 + sizeof(m->host) + sizeof(m->kernel) +
		    sizeof(m->adapter) + sizeof(m->command) + 4];
	size_t n = GST_HDR_FIXED;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, GST_MAGIC, 8);
	put_le32(buf + 8, GST_VERSION);
	put_le32(buf + 16, m->ncpus);
	put_le32(buf + 20, m->root_pid);
	put_le32(buf + 24, m->flags);
	put_le32(buf + 28, m->clock_id);
	put_le64(buf + 32, m->start_ns);
	put_le64(buf + 40, (uint64_t)m->realtime_offset_ns);
	n += put_str(buf + n, m->host, sizeof(m->host));
	n += put_str(buf + n, m->kernel, sizeof(m->kernel));
	n += put_str(buf + n, m->adapter, sizeof(m->adapter));
	n += put_str(buf + n, m->command, sizeof(m->command));
	put_le32(buf + 12, (uint32_t)(n + 4));
	put_le32(buf + n, crc32c(0, buf, n));
	return write_all(w, buf, n + 4);
}

static void writer_free(struct trace_writer *w)
{
	gst_keyframe_free(w->kf);
	ZSTD_freeCCtx(w->zc);
	free(w->blk);
	free(w->raw);
	free(w->comp);
	free(w->idx);
	free(w->nm_raw);
	free(w->nm_comp);
	free(w->nm_off);
	hmap_free(&w->seen);
	free(w);
}

int trace_writer_fdopen(struct trace_writer **out, int fd,
			const struct trace_meta *meta,
			const struct trace_writer_opts *opts)
{
	uint32_t be = opts && opts->block_events ? opts->block_events
						  : GST_DEFAULT_BLOCK_EVENTS;
	int level = opts && opts->zstd_level ? opts->zstd_level : GST_DEFAULT_ZSTD_LEVEL;
	struct trace_writer *w;
	int err;

	if (!out || fd < 0 || !meta || be > GST_MAX_BLOCK_EVENTS ||
	    level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->base = lseek(fd, 0, SEEK_CUR);
	if (w->base < 0)	/* a pipe: nothing to cut back on errors anyway */
		w->base = 0;
	w->block_events = be;
	w->zstd_level = level;
	w->raw_cap = gst_encode_bound((size_t)be + GST_KF_MAX_EVENTS);
	w->comp_cap = GST_BLK_HDR + ZSTD_compressBound(w->raw_cap);
	w->blk = malloc(((size_t)be + GST_KF_MAX_EVENTS) * sizeof(*w->blk));
	w->raw = malloc(w->raw_cap);
	w->comp = malloc(w->comp_cap);
	w->zc = ZSTD_createCCtx();
	err = gst_keyframe_new(&w->kf);
	if (!err && (!w->blk || !w->raw || !w->comp || !w->zc))
		err = -ENOMEM;
	if (!err)
		err = write_header(w, meta);
	if (err) {
		writer_free(w);
		return err;
	}
	*out = w;
	return 0;
}

int trace_writer_open(struct trace_writer **out, const char *path,
		      const struct trace_meta *meta,
		      const struct trace_writer_opts *opts)
{
	int fd, err;

	if (!path)
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = trace_writer_fdopen(out, fd, meta, opts);
	if (err) {
		close(fd);
		unlink(path);
	}
	return err;
}

static int idx_add(struct trace_writer *w, const struct idx_entry *e)
{
	if (w->nidx == w->idx_cap) {
		size_t cap = w->idx_cap ? 2 * w->idx_cap : 64;
		struct idx_entry *n = realloc(w->idx, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		w->idx = n;
		w->idx_cap = cap;
	}
	w->idx[w->nidx++] = *e;
	return 0;
}

/* The names waiting, as one chunk (FORMAT.md "Names"). */
static int write_names(struct trace_writer *w)
{
	struct gst_names_hdr h = { 0 };
	size_t bound, comp;
	int err;

	if (!w->nm_nrec)
		return 0;
	if (w->nm_nchunks == GST_MAX_NAME_CHUNKS) {
		w->st.names_dropped += w->nm_nrec;
		w->nm_len = w->nm_nrec = 0;
		return 0;
	}
	bound = GST_NM_HDR + ZSTD_compressBound(w->nm_len);
	free(w->nm_comp);
	w->nm_comp = malloc(bound);
	if (!w->nm_comp)
		return w->err = -ENOMEM;
	if (w->nm_nchunks == w->nm_offcap) {
		uint64_t *n = realloc(w->nm_off, (w->nm_offcap + 256) * sizeof(*n));

		if (!n)
			return w->err = -ENOMEM;
		w->nm_off = n;
		w->nm_offcap += 256;
	}
	comp = ZSTD_compressCCtx(w->zc, w->nm_comp + GST_NM_HDR, bound - GST_NM_HDR, w->nm_raw,
				 w->nm_len, w->zstd_level);
	if (ZSTD_isError(comp))
		return w->err = -EIO;
	h.payload_len = (uint32_t)comp;
	h.raw_len = (uint32_t)w->nm_len;
	h.nrec = w->nm_nrec;
	h.payload_crc = crc32c(0, w->nm_comp + GST_NM_HDR, comp);
	h.seq = (uint32_t)w->nm_nchunks;
	h.dropped = w->st.names_dropped > UINT32_MAX ? UINT32_MAX : (uint32_t)w->st.names_dropped;
	gst_names_hdr_put(w->nm_comp, &h);
	w->nm_off[w->nm_nchunks] = w->off;
	err = write_all(w, w->nm_comp, GST_NM_HDR + comp);
	if (err)
		return err;
	w->nm_nchunks++;
	w->nm_written += w->nm_nrec;
	w->nm_len = w->nm_nrec = 0;
	return 0;
}

/* Room for one more record of at most need bytes in the pending chunk. */
static int names_room(struct trace_writer *w, size_t need)
{
	int err;

	if (w->err)
		return w->err;
	if ((w->nm_len >= NAMES_FLUSH_AT || w->nm_nrec == GST_MAX_NAME_RECS) && (err = write_names(w)))
		return err;
	if (w->nm_len + need > w->nm_cap) {
		size_t cap = w->nm_cap ? 2 * w->nm_cap : 4096;
		uint8_t *n;

		while (cap < w->nm_len + need)
			cap *= 2;
		n = realloc(w->nm_raw, cap);
		if (!n)
			return -ENOMEM;
		w->nm_raw = n;
		w->nm_cap = cap;
	}
	return 0;
}

/* Thread-seen records for the threads e is the first event of. */
static void note_threads(struct trace_writer *w, const struct gs_event *e)
{
	uint32_t pid[2], tid[2];
	size_t n = gst_event_threads(e, pid, tid);

	for (size_t i = 0; i < n && !w->seen_off; i++) {
		uint64_t k = (uint64_t)pid[i] << 32 | tid[i], v;

		if (k == w->seen_last)
			continue;
		w->seen_last = k;
		if (hmap_get(&w->seen, hkey_u64(k), &v))
			continue;
		if (w->seen.n == GST_MAX_SEEN || hmap_put(&w->seen, hkey_u64(k), 0) ||
		    names_room(w, GST_NAME_REC_HDR + 16)) {
			w->seen_off = true;
			break;
		}
		w->nm_len += gst_name_seen_put(w->nm_raw + w->nm_len, w->nm_cap - w->nm_len,
					       pid[i], tid[i], e->ts_ns);
		w->nm_nrec++;
	}
}

int trace_writer_thread_name(struct trace_writer *w, uint32_t pid, uint32_t tid, uint64_t ts_ns,
			     const char *name)
{
	int err;

	if (!w || !name)
		return -EINVAL;
	if (w->nm_threads == GST_MAX_THREAD_NAMES) {
		w->st.names_dropped++;
		return w->err;
	}
	if ((err = names_room(w, gst_name_rec_bound(strlen(name), 0))))
		return err;
	w->nm_len += gst_name_thread_put(w->nm_raw + w->nm_len, w->nm_cap - w->nm_len, pid, tid,
					 ts_ns, name);
	w->nm_nrec++;
	w->nm_threads++;
	w->st.names++;
	return 0;
}

int trace_writer_func_name(struct trace_writer *w, uint32_t pid, uint64_t id, int32_t line,
			   const char *name, const char *file)
{
	int err;

	if (!w || !name || !file)
		return -EINVAL;
	if (w->nm_funcs == GST_MAX_FUNC_NAMES) {
		w->st.names_dropped++;
		return w->err;
	}
	if ((err = names_room(w, gst_name_rec_bound(strlen(name), strlen(file)))))
		return err;
	w->nm_len += gst_name_func_put(w->nm_raw + w->nm_len, w->nm_cap - w->nm_len, pid, id, line,
				       name, file);
	w->nm_nrec++;
	w->nm_funcs++;
	w->st.names++;
	return 0;
}

int trace_writer_prop(struct trace_writer *w, uint32_t pid, const char *key, const char *value)
{
	int err;

	if (!w || !key || !key[0] || !value)
		return -EINVAL;
	if ((err = names_room(w, GST_NAME_REC_HDR + 6 + GST_KEY_MAX + GST_VALUE_MAX)))
		return err;
	w->nm_len += gst_name_prop_put(w->nm_raw + w->nm_len, w->nm_cap - w->nm_len, pid, key,
				       value);
	w->nm_nrec++;
	w->st.names++;
	return 0;
}

int trace_writer_cost(struct trace_writer *w, const struct trace_cost *c)
{
	int err;

	if (!w || !c)
		return -EINVAL;
	if ((err = names_room(w, trace_cost_size(c))))
		return err;
	w->nm_len += trace_cost_put(w->nm_raw + w->nm_len, w->nm_cap - w->nm_len, c);
	w->nm_nrec++;
	return 0;
}

int trace_writer_flush(struct trace_writer *w)
{
	struct gst_block_hdr h = { 0 };
	struct idx_entry e;
	size_t n, raw, comp;
	int err;

	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if ((err = write_names(w)))
		return err;
	if (!w->nev)
		return 0;
	if (w->nidx == GST_MAX_BLOCKS)
		return w->err = -EFBIG;
	n = (size_t)w->nkey + w->nev;
	raw = gst_encode(w->blk, n, w->raw);
	comp = ZSTD_compressCCtx(w->zc, w->comp + GST_BLK_HDR, w->comp_cap - GST_BLK_HDR,
				 w->raw, raw, w->zstd_level);
	if (ZSTD_isError(comp))
		return w->err = -EIO;
	h.payload_len = (uint32_t)comp;
	h.raw_len = (uint32_t)raw;
	h.nkey = w->nkey;
	h.nev = w->nev;
	h.payload_crc = crc32c(0, w->comp + GST_BLK_HDR, comp);
	h.seq = (uint32_t)w->nidx;
	h.first_ts = w->blk[w->nkey].ts_ns;
	h.last_ts = w->blk[n - 1].ts_ns;
	h.lost = w->blk_lost;
	gst_block_hdr_put(w->comp, &h);
	e = (struct idx_entry){ .offset = w->off, .first_ts = h.first_ts,
				.last_ts = h.last_ts, .nev = h.nev, .nkey = h.nkey };
	err = idx_add(w, &e);
	if (err)
		return w->err = err;
	err = write_all(w, w->comp, GST_BLK_HDR + comp);
	if (err) {
		w->nidx--;
		return err;
	}
	w->st.blocks++;
	w->nkey = w->nev = 0;
	w->blk_lost = 0;
	return 0;
}

int trace_writer_append(struct trace_writer *w, const struct gs_event *ev, size_t n)
{
	uint64_t last;
	int err;

	if (!w || (n && !ev))
		return -EINVAL;
	if (w->err)
		return w->err;
	/* check the whole batch first: it goes in entirely or not at all */
	last = w->last_ts;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].ts_ns < last)
			return -EINVAL;
		last = ev[i].ts_ns;
	}
	for (size_t i = 0; i < n; i++) {
		if (!w->nev)
			w->nkey = (uint32_t)gst_keyframe_snapshot(w->kf, w->blk);
		w->blk[w->nkey + w->nev++] = ev[i];
		gst_keyframe_update(w->kf, &ev[i]);
		note_threads(w, &ev[i]);
		w->last_ts = ev[i].ts_ns;
		w->st.events++;
		if (ev[i].type == GS_EV_LOST) {
			w->blk_lost = gs_sat_add(w->blk_lost, ev[i].arg0);
			w->st.lost = gs_sat_add(w->st.lost, ev[i].arg0);
		}
		if (w->nev == w->block_events) {
			err = trace_writer_flush(w);
			if (err)
				return err;
		}
	}
	return 0;
}

void trace_writer_stats(const struct trace_writer *w, struct trace_write_stats *st)
{
	if (w && st)
		*st = w->st;
}

/* The names index and its trailer, right before the footer (none without names). */
static int write_names_index(struct trace_writer *w)
{
	size_t len = GST_NX_FIXED + 8 * w->nm_nchunks;
	uint8_t *buf;
	int err;

	if (!w->nm_nchunks)
		return 0;
	buf = malloc(len + GST_NX_TRAILER);
	if (!buf)
		return -ENOMEM;
	put_le32(buf, GST_NX_MAGIC);
	put_le32(buf + 4, (uint32_t)w->nm_nchunks);
	put_le64(buf + 8, w->nm_written);
	put_le64(buf + 16, w->st.names_dropped);
	for (size_t i = 0; i < w->nm_nchunks; i++)
		put_le64(buf + GST_NX_FIXED + 8 * i, w->nm_off[i]);
	put_le64(buf + len, w->off);
	put_le32(buf + len + 8, (uint32_t)len);
	put_le32(buf + len + 12, crc32c(0, buf, len));
	memcpy(buf + len + 16, GST_NX_TRAILER_MAGIC, 8);
	err = write_all(w, buf, len + GST_NX_TRAILER);
	free(buf);
	return err;
}

static int write_footer(struct trace_writer *w)
{
	size_t len = GST_IDX_FIXED + w->nidx * GST_IDX_ENTRY;
	uint8_t *buf = malloc(len + GST_TRAILER);
	uint8_t *p;
	int err;

	if (!buf)
		return -ENOMEM;
	put_le32(buf, GST_IDX_MAGIC);
	put_le32(buf + 4, (uint32_t)w->nidx);
	put_le64(buf + 8, w->st.events);
	put_le64(buf + 16, w->st.lost);
	p = buf + GST_IDX_FIXED;
	for (size_t i = 0; i < w->nidx; i++, p += GST_IDX_ENTRY) {
		put_le64(p, w->idx[i].offset);
		put_le64(p + 8, w->idx[i].first_ts);
		put_le64(p + 16, w->idx[i].last_ts);
		put_le32(p + 24, w->idx[i].nev);
		put_le32(p + 28, w->idx[i].nkey);
	}
	put_le64(p, w->off);
	put_le32(p + 8, (uint32_t)len);
	put_le32(p + 12, crc32c(0, buf, len));
	memcpy(p + 16, GST_TRAILER_MAGIC, 8);
	err = write_all(w, buf, len + GST_TRAILER);
	free(buf);
	return err;
}

int trace_writer_close(struct trace_writer *w)
{
	int err, cerr;

	if (!w)
		return 0;
	err = trace_writer_flush(w);
	if (!err)
		err = write_names_index(w);
	if (!err)
		err = write_footer(w);
	cerr = close(w->fd) ? -errno : 0;
	writer_free(w);
	return err ? err : cerr;
}
