/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* trace_cost.c - the tracing cost record and how it is said (see trace_cost.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "trace/trace_cost.h"
#include "trace/trace_format.h"

#define FIXED 33	/* ts, span, cpu, overhead (8 each), nrows (1) */
#define ROW_FIXED 13	/* hits (8), ns (4), name length (1) */

size_t trace_cost_size(const struct trace_cost *c)
{
	uint32_t nrows = c->nrows < TRACE_COST_ROWS ? c->nrows : TRACE_COST_ROWS;
	size_t size = GST_NAME_REC_HDR + FIXED;

	for (uint32_t i = 0; i < nrows; i++)
		size += ROW_FIXED + strnlen(c->row[i].probe, TRACE_COST_NAME);
	return size;
}

size_t trace_cost_put(uint8_t *out, size_t room, const struct trace_cost *c)
{
	uint32_t nrows = c->nrows < TRACE_COST_ROWS ? c->nrows : TRACE_COST_ROWS;
	size_t body = trace_cost_size(c) - GST_NAME_REC_HDR, at;

	if (GST_NAME_REC_HDR + body > room)
		return 0;
	out[0] = GST_NAME_COST;
	out[1] = 0;
	put_le16(out + 2, (uint16_t)body);
	at = GST_NAME_REC_HDR;
	put_le64(out + at, c->ts_ns);
	put_le64(out + at + 8, c->span_ns);
	put_le64(out + at + 16, c->program_cpu_ns);
	put_le64(out + at + 24, c->overhead_ns);
	out[at + 32] = (uint8_t)nrows;
	at += FIXED;
	for (uint32_t i = 0; i < nrows; i++) {
		size_t nl = strnlen(c->row[i].probe, TRACE_COST_NAME);

		put_le64(out + at, c->row[i].hits);
		put_le32(out + at + 8, c->row[i].ns_per_hit);
		out[at + 12] = (uint8_t)nl;
		memcpy(out + at + ROW_FIXED, c->row[i].probe, nl);
		at += ROW_FIXED + nl;
	}
	return at;
}

int trace_cost_get(const uint8_t *b, size_t len, struct trace_cost *c)
{
	size_t at = FIXED;

	memset(c, 0, sizeof(*c));
	if (len < FIXED || b[32] > TRACE_COST_ROWS)
		return -EBADMSG;
	c->ts_ns = get_le64(b);
	c->span_ns = get_le64(b + 8);
	c->program_cpu_ns = get_le64(b + 16);
	c->overhead_ns = get_le64(b + 24);
	c->nrows = b[32];
	for (uint32_t i = 0; i < c->nrows; i++) {
		size_t nl;

		if (len - at < ROW_FIXED || (nl = b[at + 12]) > TRACE_COST_NAME ||
		    len - at - ROW_FIXED < nl)
			return -EBADMSG;
		c->row[i].hits = get_le64(b + at);
		c->row[i].ns_per_hit = get_le32(b + at + 8);
		for (size_t k = 0; k < nl; k++) {	/* names reach terminals */
			uint8_t ch = b[at + ROW_FIXED + k];

			c->row[i].probe[k] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
		c->row[i].probe[nl] = '\0';
		at += ROW_FIXED + nl;
	}
	return at == len ? 0 : -EBADMSG;
}

void trace_cost_total(struct trace_cost *c)
{
	c->overhead_ns = 0;
	for (uint32_t i = 0; i < c->nrows && i < TRACE_COST_ROWS; i++)
		c->overhead_ns += c->row[i].hits * c->row[i].ns_per_hit;
}

double trace_cost_pct(const struct trace_cost *c)
{
	uint64_t own;

	if (!c || !c->program_cpu_ns)
		return -1;
	/* the program's own work: what it used, less what tracing added; when
	 * tracing took nearly all of it, what is left is within the estimate's
	 * error: no more than ten times is claimed */
	own = c->program_cpu_ns > c->overhead_ns ? c->program_cpu_ns - c->overhead_ns : 0;
	if (own < c->program_cpu_ns / 10)
		own = c->program_cpu_ns / 10;
	return 100.0 * c->overhead_ns / (double)own;
}
