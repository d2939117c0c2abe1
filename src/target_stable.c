/* target_stable.c - a stable-memory archive written back with the canister's stable_write
 * (spec/CANISTER.md §1.3): update calls of at most 2,000,000 bytes (the ingress limit is 2 MiB
 * for the whole signed request), cut at page boundaries. Zero pages are skipped only when the
 * canister's stable memory was empty before (then every byte not written reads as zero, §1.3);
 * the last page is always written, so the memory grows to the archive's size. */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <string.h>

#include "push.h"

static const uint8_t empty_args[] = {'D', 'I', 'D', 'L', 0, 0};

static int write_request(void *ctx, const struct up_entry *e, uint64_t off, const uint8_t *d, size_t n,
                         struct ic_buf *arg, struct ic_call *c)
{
	struct push_ctx *p = ctx;
	(void)e;
	/* (nat64, vec nat8): one table entry, vec nat8 */
	static const uint8_t hdr[] = {'D', 'I', 'D', 'L', 1, 0x6d, 0x7b, 2, 0x78, 0};
	ic_buf_put(arg, hdr, sizeof hdr);
	for (int i = 0; i < 8; i++)
		ic_buf_put_u8(arg, (uint8_t)(off >> (8 * i)));
	ic_buf_put_leb(arg, n);
	ic_buf_put(arg, d, n);
	c->canister = p->canister;
	c->effective = p->canister;
	c->method = p->write_method;
	c->arg = arg->p;
	c->arg_len = arg->len;
	return 0;
}

/* stable_size as an update call (spec/CANISTER.md §1.2: every query method can be called so): a
 * query may be answered by a node behind the state the writes made, and an old "0" would let zero
 * pages be skipped over data. */
static int read_size(struct push_ctx *p, uint64_t *size)
{
	struct ic_result *r =
		net_run(p->agent, IC_OP_CALL, &p->canister, &p->canister, p->size_method, empty_args, sizeof empty_args);
	if (r == NULL || r->status != IC_OK) {
		int rc = net_fail(r, "%s of %s", p->size_method, p->canister_text);
		if (r && strcmp(r->error_code, "IC0536") == 0)
			cli_warn("the canister has no method '%s': give its name with --size-method", p->size_method);
		else if (r && strcmp(r->error_code, "IC0406") == 0)
			cli_warn("not authorized: push as a controller of %s (--identity)", p->canister_text);
		ic_result_free(r);
		return rc;
	}
	struct ic_arena ar;
	struct ic_cvalue *v;
	char err[300];
	int32_t ty = IC_CT_NAT64;
	ic_arena_init(&ar, 0);
	int rc = EXIT_OK;
	if (ic_candid_decode(r->reply, r->reply_len, ic_mgmt_types(), &ty, 1, NULL, &ar, &v, err, sizeof err) != 0)
		rc = cli_fail(EXIT_REMOTE, "%s of %s: %s", p->size_method, p->canister_text, err);
	else
		*size = v[0].u.u;
	ic_arena_free(&ar);
	ic_result_free(r);
	return rc;
}

int push_stable(struct push_ctx *p)
{
	int i = icarc_archive_find(p->a, "stable_memory");
	struct icarc_entry_info info;
	if (i < 0 || icarc_archive_entry(p->a, (size_t)i, &info) != ICARC_OK)
		return cli_fail(EXIT_USAGE, "%s has no stable_memory entry", p->archive);
	if (info.size % UP_PAGE != 0)
		return cli_fail(EXIT_CORRUPT, "%s: stable_memory holds %llu bytes, not whole 64 KiB pages", p->archive,
		                (unsigned long long)info.size);
	uint64_t before;
	int rc = read_size(p, &before);
	if (rc != EXIT_OK)
		return rc;
	p->size_before = before;
	if (before > info.size)
		return cli_fail(EXIT_USAGE,
		                "the stable memory of %s is %llu bytes, larger than the archive's %llu: stable_write cannot "
		                "shrink it, and the pages past %llu would be left as they are. Reinstall the canister (empty "
		                "stable memory) first, then push",
		                p->canister_text, (unsigned long long)before, (unsigned long long)info.size,
		                (unsigned long long)info.size);
	struct up_entry e;
	memset(&e, 0, sizeof e);
	e.index = (size_t)i;
	e.size = info.size;
	e.name = "stable_memory";
	progress_init(&p->progress, p->progress.enabled, "push", info.size);
	struct up_target t = {write_request, p, UP_SLICE, before == 0 && !p->all_pages, p->write_method, NULL, NULL};
	rc = up_run(p, &t, &e, 1);
	progress_end(&p->progress);
	if (rc != EXIT_OK) {
		cli_warn("the stable memory of %s is now partly written: push again to complete it", p->canister_text);
		return rc;
	}
	uint64_t after;
	rc = read_size(p, &after);
	if (rc == EXIT_OK && after != info.size)
		rc = cli_fail(EXIT_REMOTE, "after the writes, %s of %s says %llu bytes, not the archive's %llu", p->size_method,
		              p->canister_text, (unsigned long long)after, (unsigned long long)info.size);
	return rc;
}
#endif
