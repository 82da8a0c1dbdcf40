/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * trace_names_codec.c - the names records and chunk header as bytes (see
 * trace_names.h "codec" and traces/FORMAT.md "Names"): pure functions over
 * buffers, shared by the writer and the reader.
 */
#include <errno.h>
#include <string.h>
#include <zstd.h>
#include "util/crc32c.h"
#include "trace/trace_codec.h"
#include "trace/trace_format.h"
#include "trace/trace_names.h"

#define BAD(msg) do { *why = (msg); return -EBADMSG; } while (0)

/* Length of s cut to max bytes without splitting a UTF-8 character. */
static size_t cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return n;
	n = max;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;	/* s[n] continues a character: cut before its lead byte */
	return n;
}

size_t gst_name_rec_bound(size_t name_len, size_t file_len)
{
	return GST_NAME_REC_HDR + 18 + (name_len < GST_NAME_MAX ? name_len : GST_NAME_MAX) +
	       (file_len < GST_FILE_MAX ? file_len : GST_FILE_MAX);
}

static void rec_hdr(uint8_t *out, uint8_t kind, size_t body)
{
	out[0] = kind;
	out[1] = 0;
	put_le16(out + 2, (uint16_t)body);
}

size_t gst_name_thread_put(uint8_t *out, size_t room, uint32_t pid, uint32_t tid,
			   uint64_t ts_ns, const char *name)
{
	size_t nl = cut(name, GST_NAME_MAX), body = 16 + nl;

	if (GST_NAME_REC_HDR + body > room)
		return 0;
	rec_hdr(out, GST_NAME_THREAD, body);
	put_le32(out + 4, pid);
	put_le32(out + 8, tid);
	put_le64(out + 12, ts_ns);
	memcpy(out + 20, name, nl);
	return GST_NAME_REC_HDR + body;
}

size_t gst_name_seen_put(uint8_t *out, size_t room, uint32_t pid, uint32_t tid, uint64_t ts_ns)
{
	if (GST_NAME_REC_HDR + 16 > room)
		return 0;
	rec_hdr(out, GST_NAME_SEEN, 16);
	put_le32(out + 4, pid);
	put_le32(out + 8, tid);
	put_le64(out + 12, ts_ns);
	return GST_NAME_REC_HDR + 16;
}

size_t gst_event_threads(const struct gs_event *e, uint32_t pid[2], uint32_t tid[2])
{
	size_t n = 0;
	bool own;

	/* only the traced process tree: with -a the scheduler events carry
	 * every task, and views number only the traced ones */
	switch (e->type) {
	case GS_EV_SCHED_SWITCH:
		own = e->flags & GS_F_TRACED_PREV;
		break;
	case GS_EV_SCHED_WAKEUP:
	case GS_EV_SCHED_MIGRATE:
		own = e->flags & GS_F_TRACED;
		break;
	case GS_EV_THREAD_NAME:		/* says nothing of who is traced */
		own = false;
		break;
	default:
		own = true;
	}
	if (own && e->tid) {
		pid[n] = e->pid;
		tid[n++] = e->tid;
	}
	if (e->type == GS_EV_SCHED_SWITCH && (e->flags & GS_F_TRACED_NEXT) && (uint32_t)e->arg0) {
		pid[n] = (uint32_t)(e->arg0 >> 32);
		tid[n++] = (uint32_t)e->arg0;
	} else if (e->type == GS_EV_PROC_FORK && e->arg0 && e->arg0 <= UINT32_MAX) {
		pid[n] = tid[n] = (uint32_t)e->arg0;	/* the child's first thread */
		n++;
	}
	return n;
}

size_t gst_name_func_put(uint8_t *out, size_t room, uint32_t pid, uint64_t id, int32_t line,
			 const char *name, const char *file)
{
	size_t nl = cut(name, GST_NAME_MAX), fl = cut(file, GST_FILE_MAX), body = 18 + nl + fl;

	if (GST_NAME_REC_HDR + body > room)
		return 0;
	rec_hdr(out, GST_NAME_FUNC, body);
	put_le32(out + 4, pid);
	put_le32(out + 8, (uint32_t)line);
	put_le64(out + 12, id);
	put_le16(out + 20, (uint16_t)nl);
	memcpy(out + 22, name, nl);
	memcpy(out + 22 + nl, file, fl);
	return GST_NAME_REC_HDR + body;
}

size_t gst_name_prop_put(uint8_t *out, size_t room, uint32_t pid, const char *key,
			 const char *value)
{
	size_t kl = cut(key, GST_KEY_MAX), vl = cut(value, GST_VALUE_MAX), body = 6 + kl + vl;

	if (GST_NAME_REC_HDR + body > room)
		return 0;
	rec_hdr(out, GST_NAME_PROP, body);
	put_le32(out + 4, pid);
	put_le16(out + 8, (uint16_t)kl);
	memcpy(out + 10, key, kl);
	memcpy(out + 10 + kl, value, vl);
	return GST_NAME_REC_HDR + body;
}

void gst_names_hdr_put(uint8_t out[32], const struct gst_names_hdr *h)
{
	put_le32(out, GST_NM_MAGIC);
	put_le32(out + 4, h->payload_len);
	put_le32(out + 8, h->raw_len);
	put_le32(out + 12, h->nrec);
	put_le32(out + 16, h->payload_crc);
	put_le32(out + 20, h->seq);
	put_le32(out + 24, h->dropped);
	put_le32(out + 28, crc32c(0, out, 28));
}

int gst_names_hdr_get(const uint8_t in[32], struct gst_names_hdr *h, const char **why)
{
	if (get_le32(in) != GST_NM_MAGIC)
		BAD("no names magic");
	if (get_le32(in + 28) != crc32c(0, in, 28))
		BAD("names header CRC mismatch");
	h->payload_len = get_le32(in + 4);
	h->raw_len = get_le32(in + 8);
	h->nrec = get_le32(in + 12);
	h->payload_crc = get_le32(in + 16);
	h->seq = get_le32(in + 20);
	h->dropped = get_le32(in + 24);
	if (h->nrec == 0 || h->nrec > GST_MAX_NAME_RECS)
		BAD("names record count out of range");
	if (h->raw_len > GST_MAX_NAME_RAW || h->raw_len < (uint64_t)h->nrec * GST_NAME_REC_HDR)
		BAD("names raw length out of range");
	if (h->payload_len == 0 || h->payload_len > ZSTD_compressBound(h->raw_len))
		BAD("names payload length out of range");
	return 0;
}
