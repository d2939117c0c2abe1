/* uploader.c - the write side of the stream encoder: archive entries cut into slices, each slice
 * read (and so authenticated) from the archive and sent as one update call, up to `concurrency`
 * calls in flight. The agent copies a call's argument when it is submitted (and keeps it only in
 * the signed envelope), so memory is bounded by concurrency x slice whatever the archive's size.
 * Slices go out in order; they may complete in any order, which is fine for writes at explicit
 * offsets.
 *
 * With a target's `check` (push --resume), each slice is first read back from the target and only
 * sent when the bytes there differ: a flight then remembers the slice's BLAKE2b hash, not its
 * bytes, and a slice to send is read from the archive again (memory stays bounded). */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

struct flight {
	uint64_t id; /* 0: free */
	size_t entry;
	uint64_t off, n;
	int checking;     /* a read of what the target holds there */
	uint8_t hash[32]; /* checking: the archive's bytes' BLAKE2b */
};

struct up {
	struct push_ctx *p;
	const struct up_target *t;
	const struct up_entry *e;
	struct flight *f;
	unsigned nf, inflight;
	uint64_t done;
	int rc;
	struct ic_buf arg;
	uint8_t *again; /* --resume: a slice read again from the archive, to be sent */
};

static int start(struct up *u, unsigned k, size_t ei, uint64_t off, const uint8_t *p, size_t n, int checking);

/* A checked slice's reply: 1 if the target holds the archive's bytes there. */
static int present(struct up *u, const struct flight *f, const struct ic_result *r)
{
	const uint8_t *p;
	size_t n;
	uint8_t h[32];
	if (r->status != IC_OK || u->t->got(u->t->ctx, r, &p, &n) != 0 || n != f->n)
		return 0;
	crypto_generichash(h, sizeof h, p, n, NULL, 0);
	return sodium_memcmp(h, f->hash, sizeof h) == 0;
}

/* A checked slice that differs, or is not there: read it from the archive again and send it in
 * the same flight. */
static void send_again(struct up *u, unsigned k)
{
	struct flight f = u->f[k];
	const struct up_entry *e = &u->e[f.entry];
	int st = f.n ? icarc_archive_read(u->p->a, e->index, f.off, u->again, (size_t)f.n) : ICARC_OK;
	if (st < 0) {
		u->rc = cli_fail(st == ICARC_E_AUTH ? EXIT_CORRUPT : cli_exit_for(st), "%s: %s (entry %s at %llu)",
		                 u->p->archive, icarc_archive_error(u->p->a), e->name, (unsigned long long)f.off);
		return;
	}
	if (start(u, k, f.entry, f.off, u->again, (size_t)f.n, 0) == EXIT_OK)
		u->inflight++;
}

static void take_results(struct up *u)
{
	struct ic_result *r;
	while ((r = ic_agent_next(u->p->agent)) != NULL) {
		unsigned k = (unsigned)(uintptr_t)r->user;
		struct flight *f = &u->f[k];
		if (f->checking && (r->status == IC_OK || r->status == IC_E_REJECTED)) {
			/* a reject (say, a chunk the snapshot does not hold yet) means: not there */
			int there = present(u, f, r);
			ic_result_free(r);
			f->id = 0;
			u->inflight--;
			if (there) {
				u->done += f->n;
				u->p->present += f->n;
			} else if (u->rc == EXIT_OK) {
				send_again(u, k);
			}
			continue;
		}
		if (r->status == IC_OK) {
			u->done += f->n;
			u->p->bytes += f->n;
		} else if (u->rc == EXIT_OK) {
			u->rc = net_fail(r, "%s%s of %s (%s, %llu bytes at %llu)", f->checking ? "reading back for " : "",
			                 u->t->what, u->p->canister_text,
			                 u->e[f->entry].name, (unsigned long long)f->n, (unsigned long long)f->off);
		}
		f->id = 0;
		u->inflight--;
		ic_result_free(r);
	}
	struct ic_agent_stats st;
	ic_agent_stats(u->p->agent, &st);
	progress_update(&u->p->progress, u->done + u->p->skipped, st.retries);
}

/* Wait until fewer than `below` calls are in flight. */
static void wait_below(struct up *u, unsigned below)
{
	while (u->inflight >= below && u->inflight > 0) {
		if (u->rc == EXIT_OK)
			u->rc = push_interrupt_check(); /* no new calls; those in flight end */
		ic_agent_poll(u->p->agent, 200);
		take_results(u);
	}
}

/* The call for flight k: the write of p[0..n) at off of entry ei, or with `checking` the read of
 * what is there (p is then hashed, not kept). */
static int start(struct up *u, unsigned k, size_t ei, uint64_t off, const uint8_t *p, size_t n, int checking)
{
	struct ic_call c;
	memset(&c, 0, sizeof c);
	u->arg.len = 0;
	int bad = checking ? u->t->check(u->t->ctx, &u->e[ei], off, n, &u->arg, &c)
	                   : u->t->request(u->t->ctx, &u->e[ei], off, p, n, &u->arg, &c);
	if (bad != 0 || u->arg.oom)
		return u->rc = cli_fail(EXIT_IO, "out of memory");
	c.user = (void *)(uintptr_t)k;
	uint64_t id = ic_agent_submit(u->p->agent, IC_OP_CALL, &c);
	if (id == 0)
		return u->rc = cli_fail(EXIT_INTERNAL, "%s: the agent refused the call", u->t->what);
	u->f[k] = (struct flight){id, ei, off, n, checking, {0}};
	if (checking)
		crypto_generichash(u->f[k].hash, sizeof u->f[k].hash, p, n, NULL, 0);
	else
		u->p->requests++;
	return EXIT_OK;
}

static int submit(struct up *u, size_t ei, uint64_t off, const uint8_t *p, size_t n)
{
	wait_below(u, u->nf);
	if (u->rc != EXIT_OK)
		return u->rc;
	unsigned k = 0;
	while (u->f[k].id != 0)
		k++;
	int rc = start(u, k, ei, off, p, n, u->t->check != NULL);
	if (rc == EXIT_OK)
		u->inflight++;
	return rc;
}

static int zero_page(const uint8_t *p, size_t n)
{
	return sodium_is_zero(p, n);
}

/* One slice read from the archive: send it, as runs of non-zero pages when zero pages may be
 * skipped (the entry's last page is always sent: it sets the size). */
static int send_slice(struct up *u, size_t ei, uint64_t off, const uint8_t *buf, size_t len)
{
	const struct up_entry *e = &u->e[ei];
	if (!u->t->skip_zero || e->whole)
		return submit(u, ei, off, buf, len);
	size_t i = 0;
	while (i < len) {
		size_t pl = len - i < UP_PAGE ? len - i : UP_PAGE;
		int last = off + i + pl == e->size;
		if (!last && zero_page(buf + i, pl)) {
			u->p->skipped += pl;
			i += pl;
			continue;
		}
		size_t j = i + pl; /* extend the run over the following non-zero pages (and the last one) */
		while (j < len) {
			size_t ql = len - j < UP_PAGE ? len - j : UP_PAGE;
			if (off + j + ql != e->size && zero_page(buf + j, ql))
				break;
			j += ql;
		}
		int rc = submit(u, ei, off + i, buf + i, j - i);
		if (rc != EXIT_OK)
			return rc;
		i = j;
	}
	return EXIT_OK;
}

int up_run(struct push_ctx *p, const struct up_target *t, const struct up_entry *e, size_t n)
{
	struct up u;
	memset(&u, 0, sizeof u);
	u.p = p;
	u.t = t;
	u.e = e;
	u.nf = p->concurrency ? p->concurrency : 1;
	u.f = calloc(u.nf, sizeof *u.f);
	uint8_t *buf = malloc(t->slice);
	ic_buf_init(&u.arg);
	if (t->check != NULL)
		u.again = malloc(t->slice);
	if (u.f == NULL || buf == NULL || (t->check != NULL && u.again == NULL)) {
		free(u.f);
		free(buf);
		free(u.again);
		return cli_fail(EXIT_IO, "out of memory");
	}
	for (size_t i = 0; i < n && u.rc == EXIT_OK; i++) {
		if (e[i].whole && e[i].size > t->slice) {
			u.rc = cli_fail(EXIT_CORRUPT, "%s: entry %s holds %llu bytes, more than one call carries (%u)", p->archive,
			                e[i].name, (unsigned long long)e[i].size, t->slice);
			break;
		}
		/* an empty entry is one empty call only when it must exist (a chunk); memories of size 0 need nothing */
		for (uint64_t off = 0; u.rc == EXIT_OK && (off < e[i].size || (off == 0 && e[i].whole)); off += t->slice) {
			if ((u.rc = push_interrupt_check()) != EXIT_OK)
				break;
			size_t len = e[i].size - off < t->slice ? (size_t)(e[i].size - off) : t->slice;
			int st = len ? icarc_archive_read(p->a, e[i].index, off, buf, len) : ICARC_OK;
			if (st < 0) {
				/* the keys opened the archive: a chunk that does not authenticate is damage */
				int code = st == ICARC_E_AUTH ? EXIT_CORRUPT : cli_exit_for(st);
				u.rc = cli_fail(code, "%s: %s (entry %s at %llu): nothing of it was sent", p->archive,
				                icarc_archive_error(p->a), e[i].name, (unsigned long long)off);
				break;
			}
			if (e[i].whole) {
				uint8_t h[32];
				crypto_hash_sha256(h, buf, len);
				if (memcmp(h, e[i].hash, 32) != 0) {
					u.rc = cli_fail(EXIT_CORRUPT, "%s: entry %s: its SHA-256 is not its name", p->archive, e[i].name);
					break;
				}
			}
			send_slice(&u, i, off, buf, len);
			take_results(&u);
		}
	}
	wait_below(&u, 1); /* every call in flight ends (an error stops new ones, not these) */
	free(u.f);
	free(buf);
	free(u.again);
	ic_buf_free(&u.arg);
	return u.rc;
}
#endif
