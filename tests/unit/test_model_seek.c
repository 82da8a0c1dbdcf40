/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* test_model_seek.c - a model started from a seek (keyframes, then the block)
 * must agree with one that read the trace from the start: same state at the
 * block boundary, and the same hold and wait spans from there on. Uses a
 * synthetic trace (hand-offs, preemption by an untraced task, I/O) written
 * in small blocks. */
#include "check.h"
#include "model/model.h"
#include "trace/trace_reader.h"
#include "trace/trace_synth.h"
#include "trace/trace_writer.h"

#define NEV 30000
#define BLOCK 1000

struct rec {
	struct model_span s[NEV];
	size_t n;
	uint64_t after;	/* keep HOLD/WAIT spans ending after this */
};

static void on_span(const struct model_span *s, void *ctx)
{
	struct rec *r = ctx;

	if ((s->kind == SPAN_HOLD || s->kind == SPAN_WAIT) && s->end_ns > r->after &&
	    r->n < NEV)
		r->s[r->n++] = *s;
}

static struct rec seq_rec, seek_rec;

static bool same_span(const struct model_span *a, const struct model_span *b)
{
	return a->kind == b->kind && a->tid == b->tid && a->start_ns == b->start_ns &&
	       a->end_ns == b->end_ns && a->lock == b->lock && a->flags == b->flags;
}

/* state of both models at the boundary */
static void compare_state(const struct model *a, const struct model *b, size_t blk)
{
	size_t na, nb;
	const struct model_cpu *ca = model_cpus(a, &na), *cb = model_cpus(b, &nb);

	CHECKF(na == nb, "block %zu: cpus %zu vs %zu", blk, na, nb);
	for (size_t c = 0; c < na && c < nb; c++) {
		CHECKF(ca[c].tid == cb[c].tid && ca[c].locked == cb[c].locked &&
		       ca[c].other == cb[c].other,
		       "block %zu cpu %zu: tid %u/%u locked %d/%d", blk, c, ca[c].tid, cb[c].tid,
		       ca[c].locked, cb[c].locked);
		if (ca[c].tid && ca[c].locked)
			CHECKF(ca[c].since_ns == cb[c].since_ns, "block %zu cpu %zu since", blk, c);
	}
	CHECKF(model_lock_holder(a) == model_lock_holder(b), "block %zu holder %u/%u", blk,
	       model_lock_holder(a), model_lock_holder(b));
	const struct model_thread *ta = model_threads(a, &na);

	for (size_t i = 0; i < na; i++) {
		const struct model_thread *tb = model_thread(b, ta[i].tid);

		if (!ta[i].traced)
			continue;
		CHECKF(tb, "block %zu: tid %u missing after seek", blk, ta[i].tid);
		if (!tb)
			continue;
		CHECKF(ta[i].state == tb->state && ta[i].lock == tb->lock &&
		       ta[i].wait_lock == tb->wait_lock && ta[i].in_io == tb->in_io &&
		       !strcmp(ta[i].name, tb->name),
		       "block %zu tid %u: state %d/%d lock %d/%d wait %d/%d", blk, ta[i].tid,
		       ta[i].state, tb->state, !!ta[i].lock, !!tb->lock, !!ta[i].wait_lock,
		       !!tb->wait_lock);
		if (ta[i].lock)
			CHECK(ta[i].hold_since_ns == tb->hold_since_ns);
		if (ta[i].wait_lock)
			CHECK(ta[i].wait_since_ns == tb->wait_since_ns);
		CHECK(tb->acquisitions == 0 && tb->hold_ns == 0 && tb->cpu_ns == 0);
	}
}

static void test_seek_matches_sequential(void)
{
	char path[] = "/tmp/gilscope-test-seek.XXXXXX";
	int fd = mkstemp(path);
	struct trace_synth_opts so = { .threads = 4, .cpus = 3, .seed = 7, .interval_us = 500 };
	struct trace_writer_opts wo = { .block_events = BLOCK };
	struct trace_reader *r;
	static struct gs_event all[NEV];

	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	CHECK(trace_synth_write(path, NEV, &so, &wo) == 0);
	CHECK(trace_reader_open(&r, path) == 0);
	if (!r)
		return;
	const struct trace_meta *tm = trace_reader_meta(r);
	size_t n = 0;
	struct gs_event e;

	while (n < NEV && trace_reader_next(r, &e) == 1)
		all[n++] = e;
	CHECK(n == NEV);

	for (size_t blk = 3; blk * BLOCK < n; blk += 7) {
		size_t at = blk * BLOCK;
		struct model_opts oa = { .ncpus = tm->ncpus, .on_span = on_span, .ctx = &seq_rec };
		struct model_opts ob = { .ncpus = tm->ncpus, .on_span = on_span, .ctx = &seek_rec };
		struct model *a = model_new(&oa), *b = model_new(&ob);
		size_t nkey = 0, i;

		seq_rec.n = seek_rec.n = 0;
		seq_rec.after = seek_rec.after = all[at].ts_ns;
		for (i = 0; i < at; i++)
			model_feed(a, &all[i]);
		CHECK(trace_reader_seek(r, all[at].ts_ns) == 0);
		/* keyframes, up to the block's first event */
		while (trace_reader_next(r, &e) == 1) {
			if (!(e.flags & GS_F_KEYFRAME))
				break;
			CHECK(e.ts_ns <= all[at].ts_ns);
			model_feed(b, &e);
			nkey++;
		}
		CHECKF(nkey > 0 && e.ts_ns == all[at].ts_ns && e.type == all[at].type,
		       "block %zu: %zu keyframes, then ts %llu", blk, nkey,
		       (unsigned long long)e.ts_ns);
		compare_state(a, b, blk);
		/* the rest: both see the same events */
		model_feed(b, &e);
		model_feed(a, &all[at]);
		for (i = at + 1; i < n && i < at + 3 * BLOCK; i++) {
			model_feed(a, &all[i]);
			model_feed(b, &all[i]);
		}
		model_finish(a, all[i - 1].ts_ns);
		model_finish(b, all[i - 1].ts_ns);
		CHECKF(seq_rec.n == seek_rec.n && seq_rec.n > 10, "block %zu: %zu vs %zu spans",
		       blk, seq_rec.n, seek_rec.n);
		for (size_t k = 0; k < seq_rec.n && k < seek_rec.n; k++)
			CHECKF(same_span(&seq_rec.s[k], &seek_rec.s[k]),
			       "block %zu span %zu: kind %d tid %u [%llu,%llu) vs tid %u [%llu,%llu)",
			       blk, k, seq_rec.s[k].kind, seq_rec.s[k].tid,
			       (unsigned long long)seq_rec.s[k].start_ns,
			       (unsigned long long)seq_rec.s[k].end_ns, seek_rec.s[k].tid,
			       (unsigned long long)seek_rec.s[k].start_ns,
			       (unsigned long long)seek_rec.s[k].end_ns);
		model_free(a);
		model_free(b);
	}
	trace_reader_close(r);
	unlink(path);
}

int main(void)
{
	RUN(test_seek_matches_sequential);
	return check_done();
}
