/* encoder.c - the stream encoder: many reads in flight, a bounded reorder window, and the bytes
 * handed to the archive writer in order.
 *
 * The entries are cut into slots of `slice` bytes; a slot is one request, or several pieces in
 * sequence once a "reply too large" reject halved the slice. At most `concurrency` requests are
 * in flight and at most `window` slots exist at once (in flight, or complete and waiting for the
 * slots before them). The bytes of replies, being received or kept by slots, are bounded by the
 * agent's reply budget (ic.h), whatever the window and the canister's size: past it, transfers
 * wait before their first byte, except the head slot's (named with ic_agent_prefer), so the
 * window always moves. Replies are not copied: a slot keeps its results and the writer reads
 * the bytes in place. */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <stdlib.h>
#include <string.h>

#include "pull.h"

struct piece {
	struct ic_result *r;
	const uint8_t *p;
	size_t n;
};

struct slot {
	uint64_t op; /* the request in flight (ic_agent_submit's id) */
	size_t entry;
	uint64_t off, len; /* len: ENC_WHOLE until a whole-entry reply came */
	uint64_t filled, asked;
	struct piece *pieces;
	size_t np, cap;
	int inflight, done;
};

struct run {
	struct encoder *e;
	const struct enc_source *s;
	struct enc_entry *ent;
	size_t n;
	struct slot *slots;
	size_t head, count, cap;
	size_t next_entry;
	uint64_t next_off;
	uint64_t slice;
	unsigned inflight;
};

void enc_note_time(struct enc_stats *s, uint64_t ns)
{
	if (ns == 0)
		return;
	if (s->cert_time_min == 0 || ns < s->cert_time_min)
		s->cert_time_min = ns;
	if (ns > s->cert_time_max)
		s->cert_time_max = ns;
}

static void slot_clear(struct slot *s)
{
	for (size_t i = 0; i < s->np; i++)
		ic_result_free(s->pieces[i].r);
	free(s->pieces);
	memset(s, 0, sizeof *s);
}

/* On to entry i (or past it while it is complete in a resumed archive). */
static void enter(struct run *u, size_t i)
{
	while (i < u->n && u->ent[i].skip)
		i++;
	u->next_entry = i;
	u->next_off = i < u->n ? u->ent[i].start : 0;
}

/* New slots up to the window. */
static void fill(struct run *u)
{
	while (u->count < u->cap && u->next_entry < u->n) {
		const struct enc_entry *en = &u->ent[u->next_entry];
		struct slot *s = &u->slots[(u->head + u->count) % u->cap];
		memset(s, 0, sizeof *s);
		s->entry = u->next_entry;
		s->off = u->next_off;
		if (en->size == ENC_WHOLE) {
			s->len = ENC_WHOLE;
			enter(u, u->next_entry + 1);
		} else {
			uint64_t left = en->size - u->next_off;
			s->len = left < u->slice ? left : u->slice;
			s->done = s->len == 0; /* an empty entry */
			u->next_off += s->len;
			if (u->next_off >= en->size)
				enter(u, u->next_entry + 1);
		}
		u->count++;
	}
}

static int submit(struct run *u, struct slot *s)
{
	const struct enc_entry *en = &u->ent[s->entry];
	struct ic_buf arg;
	struct ic_call c;
	ic_buf_init(&arg);
	memset(&c, 0, sizeof c);
	uint64_t want = 0;
	if (s->len != ENC_WHOLE) {
		want = s->len - s->filled;
		if (want > u->slice)
			want = u->slice;
	}
	if (u->s->request(u->s->ctx, en, s->off + s->filled, want, &arg, &c) != 0 || arg.oom) {
		ic_buf_free(&arg);
		return cli_fail(EXIT_IO, "out of memory");
	}
	c.user = s;
	uint64_t id = ic_agent_submit(u->e->agent, u->s->op, &c);
	ic_buf_free(&arg);
	if (id == 0)
		return cli_fail(EXIT_INTERNAL, "cannot submit %s for %s", u->s->what, en->name);
	s->op = id;
	s->asked = want;
	s->inflight = 1;
	u->inflight++;
	u->e->stats.requests++;
	return EXIT_OK;
}

static int submit_all(struct run *u)
{
	for (size_t i = 0; i < u->count && u->inflight < u->e->concurrency; i++) {
		struct slot *s = &u->slots[(u->head + i) % u->cap];
		if (s->done || s->inflight)
			continue;
		int rc = submit(u, s);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

static int complete(struct run *u, struct ic_result *r)
{
	/* found by request id, not r->user: a result of an earlier run that stopped early (its slots
	 * are gone) is dropped */
	struct slot *s = NULL;
	for (size_t i = 0; i < u->count && s == NULL; i++) {
		struct slot *c = &u->slots[(u->head + i) % u->cap];
		if (c->inflight && c->op == r->id)
			s = c;
	}
	if (s == NULL) {
		ic_result_free(r);
		return EXIT_OK;
	}
	const struct enc_entry *en = &u->ent[s->entry];
	s->inflight = 0;
	u->inflight--;
	char where[200];
	if (s->len == ENC_WHOLE)
		snprintf(where, sizeof where, "%s of %s", u->s->what, en->name);
	else
		snprintf(where, sizeof where, "%s of %s bytes %llu..%llu", u->s->what, en->name,
		         (unsigned long long)(s->off + s->filled), (unsigned long long)(s->off + s->filled + s->asked));
	if (r->status != IC_OK) {
		if (r->status == IC_E_REJECTED && s->len != ENC_WHOLE && u->s->too_large &&
		    u->s->too_large(u->s->ctx, r) && s->asked / 2 >= u->s->min_slice) {
			/* the reply would not fit: halve the slice, this piece is asked again */
			uint64_t half = s->asked / 2;
			if (half < u->slice)
				u->slice = half;
			u->e->stats.size_rejects++;
			ic_result_free(r);
			return EXIT_OK;
		}
		int rc = net_fail(r, "%s", where);
		ic_result_free(r);
		return rc;
	}
	const uint8_t *p;
	size_t n;
	char err[300];
	if (u->s->bytes(u->s->ctx, en, r, &p, &n, err, sizeof err) != 0) {
		ic_result_free(r);
		return cli_fail(EXIT_REMOTE, "%s: %s", where, err);
	}
	if (s->len != ENC_WHOLE && n != s->asked) {
		ic_result_free(r);
		return cli_fail(EXIT_REMOTE, "%s: the reply holds %zu bytes, not the %llu asked", where, n,
		                (unsigned long long)s->asked);
	}
	enc_note_time(&u->e->stats, r->cert_time_ns);
	if (s->np == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 2;
		struct piece *np = realloc(s->pieces, nc * sizeof *np);
		if (np == NULL) {
			ic_result_free(r);
			return cli_fail(EXIT_IO, "out of memory");
		}
		s->pieces = np;
		s->cap = nc;
	}
	s->pieces[s->np++] = (struct piece){r, p, n};
	if (s->len == ENC_WHOLE) {
		s->len = n;
		s->filled = n;
		s->done = 1;
	} else {
		s->filled += n;
		s->done = s->filled == s->len;
	}
	return EXIT_OK;
}

/* Hand the complete slots at the head of the window to the writer. */
static int flush(struct run *u)
{
	while (u->count > 0 && u->slots[u->head].done) {
		struct slot *s = &u->slots[u->head];
		const struct enc_entry *en = &u->ent[s->entry];
		int rc = EXIT_OK;
		if (s->off == en->start && !en->begun)
			rc = aout_begin(u->e->out, en->name);
		int last = en->size == ENC_WHOLE || s->off + s->len >= en->size;
		if (rc == EXIT_OK && s->np == 0)
			rc = aout_push(u->e->out, NULL, 0, last);
		for (size_t i = 0; rc == EXIT_OK && i < s->np; i++)
			rc = aout_push(u->e->out, s->pieces[i].p, s->pieces[i].n, last && i + 1 == s->np);
		u->e->stats.bytes += s->len;
		slot_clear(s);
		u->head = (u->head + 1) % u->cap;
		u->count--;
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

int enc_run(struct encoder *e, const struct enc_source *s, struct enc_entry *entries, size_t n)
{
	struct run u;
	memset(&u, 0, sizeof u);
	u.e = e;
	u.s = s;
	u.ent = entries;
	u.n = n;
	u.slice = s->slice;
	enter(&u, 0);
	if (e->concurrency == 0)
		e->concurrency = 1;
	/* the window: given, or 1.5C + 1 slots (memory is the reply budget's business); at least C+1 */
	u.cap = e->window;
	if (u.cap == 0)
		u.cap = (size_t)e->concurrency + e->concurrency / 2 + 1;
	if (u.cap < (size_t)e->concurrency + 1)
		u.cap = (size_t)e->concurrency + 1;
	u.slots = calloc(u.cap, sizeof *u.slots);
	if (u.slots == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	int rc = EXIT_OK;
	uint64_t checked = e->stats.bytes;
	for (;;) {
		fill(&u);
		if (u.count == 0)
			break;
		rc = submit_all(&u);
		if (rc != EXIT_OK)
			break;
		rc = flush(&u); /* empty entries are done without a request */
		if (rc != EXIT_OK)
			break;
		if (u.count == 0)
			continue;
		if (u.inflight == 0 && !u.slots[u.head].done) {
			rc = cli_fail(EXIT_INTERNAL, "encoder stalled");
			break;
		}
		if (u.inflight > 0) {
			if (u.slots[u.head].inflight) /* the reply the writer waits for is never held back */
				ic_agent_prefer(e->agent, u.slots[u.head].op);
			ic_agent_poll(e->agent, 200);
		}
		struct ic_result *r;
		while (rc == EXIT_OK && (r = ic_agent_next(e->agent)) != NULL)
			rc = complete(&u, r);
		if (rc == EXIT_OK)
			rc = flush(&u);
		if (rc != EXIT_OK)
			break;
		if (e->progress) {
			struct ic_agent_stats st;
			ic_agent_stats(e->agent, &st);
			progress_update(e->progress, e->stats.bytes, st.retries);
		}
		if (s->check && e->stats.bytes - checked >= s->check_every) {
			checked = e->stats.bytes;
			rc = s->check(s->ctx);
			if (rc != EXIT_OK)
				break;
		}
	}
	if (rc == EXIT_OK && e->progress) {
		struct ic_agent_stats st;
		ic_agent_stats(e->agent, &st);
		progress_update(e->progress, e->stats.bytes, st.retries);
	}
	for (size_t i = 0; i < u.cap; i++)
		slot_clear(&u.slots[i]);
	free(u.slots);
	/* results of requests still in flight are dropped now or when they come (complete()) */
	if (rc != EXIT_OK) {
		struct ic_result *r;
		while ((r = ic_agent_next(e->agent)) != NULL)
			ic_result_free(r);
	}
	return rc;
}
#endif
