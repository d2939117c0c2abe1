/* certificate.c - certificate decoding and verification (spec certification.md; agent-rs
 * ic-agent/src/agent/mod.rs check_delegation / verify; agent-js certificate.ts were read for the
 * order of checks; the code is ours). */
#include "ic/certificate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ic/bls.h"
#include "ic/hashtree.h"
#include "ic/request.h"

const uint8_t ic_bls_der_prefix[IC_BLS_DER_PREFIX_LEN] = {
	0x30, 0x81, 0x82, 0x30, 0x1d, 0x06, 0x0d, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03, 0x01, 0x02,
	0x01, 0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03, 0x02, 0x01, 0x03, 0x61, 0x00};

const uint8_t ic_mainnet_root_key[96] = {
	0x81, 0x4c, 0x0e, 0x6e, 0xc7, 0x1f, 0xab, 0x58, 0x3b, 0x08, 0xbd, 0x81, 0x37, 0x3c, 0x25, 0x5c, 0x3c, 0x37, 0x1b, 0x2e,
	0x84, 0x86, 0x3c, 0x98, 0xa4, 0xf1, 0xe0, 0x8b, 0x74, 0x23, 0x5d, 0x14, 0xfb, 0x5d, 0x9c, 0x0c, 0xd5, 0x46, 0xd9, 0x68,
	0x5f, 0x91, 0x3a, 0x0c, 0x0b, 0x2c, 0xc5, 0x34, 0x15, 0x83, 0xbf, 0x4b, 0x43, 0x92, 0xe4, 0x67, 0xdb, 0x96, 0xd6, 0x5b,
	0x9b, 0xb4, 0xcb, 0x71, 0x71, 0x12, 0xf8, 0x47, 0x2e, 0x0d, 0x5a, 0x4d, 0x14, 0x50, 0x5f, 0xfd, 0x74, 0x84, 0xb0, 0x12,
	0x91, 0x09, 0x1c, 0x5f, 0x87, 0xb9, 0x88, 0x83, 0x46, 0x3f, 0x98, 0x09, 0x1a, 0x0b, 0xaa, 0xae};

/* Certificate trees are deeper than anything else the IC sends. */
static const struct ic_cbor_limits cert_limits = {200, 1000000, 16};

static int decode_one(struct ic_cbor_doc *doc, size_t *tree, const uint8_t **sig, size_t *deleg, const uint8_t *p,
                      size_t n, const char *what, char *err, size_t errlen)
{
	char e2[200];
	if (ic_cbor_decode(p, n, &cert_limits, doc, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "%s: %s", what, e2);
		return -1;
	}
	size_t top = ic_cbor_untag(doc, 0);
	size_t t = ic_cbor_map_get(doc, top, "tree"), s = ic_cbor_map_get(doc, top, "signature");
	const uint8_t *sp;
	size_t sl;
	if (t == IC_CBOR_NONE || ic_cbor_get_bytes(doc, s, &sp, &sl) != 0 || sl != 48) {
		snprintf(err, errlen, "%s: expected a map {tree, signature (48 bytes)}", what);
		ic_cbor_doc_free(doc);
		return -1;
	}
	if (ic_hashtree_check(doc, t, e2, sizeof e2) != 0) {
		snprintf(err, errlen, "%s: %s", what, e2);
		ic_cbor_doc_free(doc);
		return -1;
	}
	*tree = t;
	*sig = sp;
	*deleg = ic_cbor_map_get(doc, top, "delegation");
	return 0;
}

int ic_cert_decode(struct ic_cert *c, const uint8_t *p, size_t n, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	size_t deleg;
	if (decode_one(&c->doc, &c->tree, &c->sig, &deleg, p, n, "certificate", err, errlen) != 0)
		return -1;
	if (deleg == IC_CBOR_NONE)
		return 0;
	const uint8_t *sid, *dc;
	size_t sidl, dcl, dd;
	if (ic_cbor_get_bytes(&c->doc, ic_cbor_map_get(&c->doc, deleg, "subnet_id"), &sid, &sidl) != 0 ||
	    ic_cbor_get_bytes(&c->doc, ic_cbor_map_get(&c->doc, deleg, "certificate"), &dc, &dcl) != 0 ||
	    ic_principal_from_bytes(&c->subnet_id, sid, sidl) != 0) {
		snprintf(err, errlen, "certificate: malformed delegation {subnet_id, certificate} at byte %zu",
		         c->doc.items[deleg].off);
		ic_cbor_doc_free(&c->doc);
		return -1;
	}
	if (decode_one(&c->ddoc, &c->dtree, &c->dsig, &dd, dc, dcl, "delegation certificate", err, errlen) != 0) {
		ic_cbor_doc_free(&c->doc);
		return -1;
	}
	if (dd != IC_CBOR_NONE) {
		snprintf(err, errlen, "certificate: the delegation certificate has a delegation itself");
		ic_cert_free(c);
		return -1;
	}
	c->delegated = 1;
	return 0;
}

void ic_cert_free(struct ic_cert *c)
{
	ic_cbor_doc_free(&c->doc);
	ic_cbor_doc_free(&c->ddoc);
	c->delegated = 0;
}

static int tree_time(const struct ic_cbor_doc *d, size_t tree, uint64_t *ns)
{
	const struct ic_label l = {(const uint8_t *)"time", 4};
	const uint8_t *v;
	size_t len;
	if (ic_hashtree_lookup(d, tree, &l, 1, &v, &len) != IC_LOOKUP_FOUND)
		return -1;
	return ic_leb_decode(v, len, ns) == len ? 0 : -1;
}

int ic_cert_time(const struct ic_cert *c, uint64_t *ns)
{
	return tree_time(&c->doc, c->tree, ns);
}

void ic_cert_policy_init(struct ic_cert_policy *p, const uint8_t *root_key, uint64_t now_ns)
{
	memset(p, 0, sizeof *p);
	p->root_key = root_key;
	p->check_time = 1;
	p->now_ns = now_ns;
	p->max_age_ns = 5ULL * 60 * 1000000000ULL;
	p->max_future_ns = 5ULL * 60 * 1000000000ULL;
	p->max_delegation_age_ns = 30ULL * 24 * 3600 * 1000000000ULL;
}

/* The one place where certificate signatures are checked. The root hash is always recomputed;
 * the pairing is skipped only for a (key, signature, root) that verified before (certificate.h). */
static int cert_signature_ok(const struct ic_cbor_doc *d, size_t tree, const uint8_t sig[48], const uint8_t key[96],
                             struct ic_sig_cache *cache)
{
	uint8_t msg[IC_SEP_STATE_ROOT_LEN + 32];
	uint8_t *root = msg + IC_SEP_STATE_ROOT_LEN;
	memcpy(msg, IC_SEP_STATE_ROOT, IC_SEP_STATE_ROOT_LEN);
	ic_hashtree_digest(d, tree, root);
	if (cache) {
		for (unsigned i = 0; i < cache->n; i++) {
			if (memcmp(cache->e[i].root, root, 32) == 0 && memcmp(cache->e[i].sig, sig, 48) == 0 &&
			    memcmp(cache->e[i].key, key, 96) == 0) {
				cache->hits++;
				return 1;
			}
		}
		cache->misses++;
	}
	if (ic_bls_verify(sig, key, msg, sizeof msg) != 1)
		return 0;
	if (cache) {
		unsigned i = cache->next;
		memcpy(cache->e[i].key, key, 96);
		memcpy(cache->e[i].sig, sig, 48);
		memcpy(cache->e[i].root, root, 32);
		cache->next = (i + 1) % IC_SIG_CACHE_SLOTS;
		if (cache->n < IC_SIG_CACHE_SLOTS)
			cache->n++;
	}
	return 1;
}

/* [[start, end], ...] (CBOR, optionally tagged): calls fn for each range; 0 ok, -1 malformed,
 * or fn's nonzero answer */
static int each_range(const uint8_t *leaf, size_t len,
                      int (*fn)(void *ctx, const uint8_t *s, size_t sl, const uint8_t *e, size_t el), void *ctx)
{
	struct ic_cbor_doc d;
	if (ic_cbor_decode(leaf, len, NULL, &d, NULL, 0) != 0)
		return -1;
	size_t arr = ic_cbor_untag(&d, 0);
	int r = -1;
	if (arr != IC_CBOR_NONE && d.items[arr].type == IC_CBOR_ARRAY) {
		r = 0;
		for (size_t k = 0, i = arr + 1; k < d.items[arr].v && r == 0; k++, i = ic_cbor_next(&d, i)) {
			const uint8_t *s, *e;
			size_t sl, el;
			if (d.items[i].type != IC_CBOR_ARRAY || d.items[i].v != 2 ||
			    ic_cbor_get_bytes(&d, i + 1, &s, &sl) != 0 || ic_cbor_get_bytes(&d, ic_cbor_next(&d, i + 1), &e, &el) != 0)
				r = -1;
			else
				r = fn(ctx, s, sl, e, el);
		}
	}
	ic_cbor_doc_free(&d);
	return r;
}

struct range_find {
	const struct ic_principal *id;
	int in;
};

static int range_has(void *ctx, const uint8_t *s, size_t sl, const uint8_t *e, size_t el)
{
	struct range_find *f = ctx;
	if (ic_bytes_cmp(s, sl, f->id->b, f->id->len) <= 0 && ic_bytes_cmp(f->id->b, f->id->len, e, el) <= 0)
		f->in = 1;
	return 0; /* read on: a malformed range anywhere makes the leaf malformed */
}

/* 1 if id is in a range, 0 if not, -1 malformed */
static int in_ranges(const uint8_t *leaf, size_t len, const struct ic_principal *id)
{
	struct range_find f = {id, 0};
	return each_range(leaf, len, range_has, &f) != 0 ? -1 : f.in;
}

struct shard_pick {
	const struct ic_principal *id;
	const uint8_t *label;
	size_t len, child;
};

static int pick_shard(void *ctx, const uint8_t *label, size_t len, size_t child)
{
	struct shard_pick *s = ctx;
	if (ic_bytes_cmp(label, len, s->id->b, s->id->len) <= 0) {
		s->label = label, s->len = len, s->child = child;
		return 0;
	}
	return 1; /* labels are sorted: the rest are greater */
}

static int check_ranges(const struct ic_cert *c, const struct ic_principal *id, char *err, size_t errlen)
{
	char sid[IC_PRINCIPAL_MAXTEXT], cid[IC_PRINCIPAL_MAXTEXT];
	ic_principal_to_text(&c->subnet_id, sid);
	ic_principal_to_text(id, cid);
	const uint8_t *leaf = NULL;
	size_t leaf_len = 0, sub;
	/* sharded form: /canister_ranges/<sid>/<shard start> */
	struct ic_label p[3] = {{(const uint8_t *)"canister_ranges", 15}, {c->subnet_id.b, c->subnet_id.len}, {NULL, 0}};
	enum ic_lookup r = ic_hashtree_subtree(&c->ddoc, c->dtree, p, 2, &sub);
	if (r == IC_LOOKUP_FOUND) {
		struct shard_pick s = {id, NULL, 0, 0};
		ic_hashtree_each_label(&c->ddoc, sub, pick_shard, &s);
		if (s.label == NULL) {
			snprintf(err, errlen, "certificate: the delegation to subnet %s does not include the canister %s (no range "
			         "shard starts at or below it)", sid, cid);
			return -1;
		}
		p[2].p = s.label, p[2].len = s.len;
		if (ic_hashtree_lookup(&c->ddoc, c->dtree, p, 3, &leaf, &leaf_len) != IC_LOOKUP_FOUND) {
			snprintf(err, errlen, "certificate: the canister range shard of subnet %s for %s is pruned", sid, cid);
			return -1;
		}
	} else {
		/* legacy form: /subnet/<sid>/canister_ranges */
		struct ic_label q[3] = {{(const uint8_t *)"subnet", 6}, {c->subnet_id.b, c->subnet_id.len},
		                        {(const uint8_t *)"canister_ranges", 15}};
		if (ic_hashtree_lookup(&c->ddoc, c->dtree, q, 3, &leaf, &leaf_len) != IC_LOOKUP_FOUND) {
			snprintf(err, errlen, "certificate: could not find canister ranges for subnet %s", sid);
			return -1;
		}
	}
	int in = in_ranges(leaf, leaf_len, id);
	if (in < 0) {
		snprintf(err, errlen, "certificate: malformed canister ranges of subnet %s", sid);
		return -1;
	}
	if (in == 0) {
		snprintf(err, errlen, "certificate: the delegation to subnet %s does not include the canister %s", sid, cid);
		return -1;
	}
	return 0;
}

static int check_time(const char *what, uint64_t t, uint64_t now, uint64_t max_age, uint64_t max_future, char *err,
                      size_t errlen)
{
	if (t + max_age < now) {
		snprintf(err, errlen, "%s is too old: its time is %llu s before now (limit %llu s); is the clock right?", what,
		         (unsigned long long)((now - t) / 1000000000ULL), (unsigned long long)(max_age / 1000000000ULL));
		return -1;
	}
	if (t > now + max_future) {
		snprintf(err, errlen, "%s is %llu s in the future (limit %llu s); is the clock right?", what,
		         (unsigned long long)((t - now) / 1000000000ULL), (unsigned long long)(max_future / 1000000000ULL));
		return -1;
	}
	return 0;
}

int ic_cert_verify(const struct ic_cert *c, const struct ic_cert_policy *p, char *err, size_t errlen)
{
	const uint8_t *key = p->root_key;
	uint64_t t;
	if (c->delegated) {
		if (!cert_signature_ok(&c->ddoc, c->dtree, c->dsig, p->root_key, p->cache)) {
			snprintf(err, errlen, "certificate: the delegation certificate's signature does not verify with the root key");
			return -1;
		}
		const struct ic_label l[3] = {{(const uint8_t *)"subnet", 6}, {c->subnet_id.b, c->subnet_id.len},
		                              {(const uint8_t *)"public_key", 10}};
		const uint8_t *der;
		size_t dl;
		if (ic_hashtree_lookup(&c->ddoc, c->dtree, l, 3, &der, &dl) != IC_LOOKUP_FOUND ||
		    dl != IC_ROOT_KEY_DER_LEN || memcmp(der, ic_bls_der_prefix, IC_BLS_DER_PREFIX_LEN) != 0) {
			snprintf(err, errlen, "certificate: the delegation has no valid public key for its subnet");
			return -1;
		}
		if (p->subnet_target) {
			if (ic_principal_cmp(&p->target, &c->subnet_id) != 0) {
				snprintf(err, errlen, "certificate: delegated to another subnet than the one asked");
				return -1;
			}
		} else if (check_ranges(c, &p->target, err, errlen) != 0) {
			return -1;
		}
		if (p->check_time) {
			if (tree_time(&c->ddoc, c->dtree, &t) != 0) {
				snprintf(err, errlen, "certificate: the delegation certificate has no /time");
				return -1;
			}
			if (check_time("the delegation certificate", t, p->now_ns, p->max_delegation_age_ns, p->max_future_ns, err,
			               errlen) != 0)
				return -1;
		}
		key = der + IC_BLS_DER_PREFIX_LEN;
	}
	if (!cert_signature_ok(&c->doc, c->tree, c->sig, key, p->cache)) {
		snprintf(err, errlen, "certificate: the signature does not verify (BLS12-381)");
		return -1;
	}
	if (tree_time(&c->doc, c->tree, &t) != 0) {
		snprintf(err, errlen, "certificate: no /time in the tree");
		return -1;
	}
	if (p->check_time && check_time("the certificate", t, p->now_ns, p->max_age_ns, p->max_future_ns, err, errlen) != 0)
		return -1;
	return 0;
}

void ic_cert_signing_subnet(const struct ic_cert *c, const uint8_t root_key[96], struct ic_principal *out)
{
	if (c->delegated) {
		*out = c->subnet_id;
		return;
	}
	uint8_t der[IC_ROOT_KEY_DER_LEN];
	memcpy(der, ic_bls_der_prefix, IC_BLS_DER_PREFIX_LEN);
	memcpy(der + IC_BLS_DER_PREFIX_LEN, root_key, 96);
	ic_principal_self_authenticating(out, der, sizeof der);
}

int ic_cert_request_status(const struct ic_cert *c, const uint8_t rid[32], struct ic_request_status *st, char *err,
                           size_t errlen)
{
	memset(st, 0, sizeof *st);
	struct ic_label l[3] = {{(const uint8_t *)"request_status", 14}, {rid, 32}, {(const uint8_t *)"status", 6}};
	const uint8_t *v;
	size_t n;
	enum ic_lookup r = ic_hashtree_lookup(&c->doc, c->tree, l, 3, &v, &n);
	if (r == IC_LOOKUP_ABSENT) {
		st->state = IC_STATUS_UNKNOWN;
		return 0;
	}
	if (r != IC_LOOKUP_FOUND) {
		snprintf(err, errlen, "certificate: request status is %s in the tree", ic_lookup_name(r));
		return -1;
	}
	static const struct {
		const char *s;
		enum ic_request_state st;
	} names[] = {{"received", IC_STATUS_RECEIVED}, {"processing", IC_STATUS_PROCESSING}, {"replied", IC_STATUS_REPLIED},
	             {"rejected", IC_STATUS_REJECTED}, {"done", IC_STATUS_DONE}};
	size_t k;
	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		if (strlen(names[k].s) == n && memcmp(names[k].s, v, n) == 0)
			break;
	if (k == sizeof names / sizeof names[0]) {
		snprintf(err, errlen, "certificate: unknown request status \"%.*s\"", (int)(n > 40 ? 40 : n), (const char *)v);
		return -1;
	}
	st->state = names[k].st;
	if (st->state == IC_STATUS_REPLIED) {
		l[2].p = (const uint8_t *)"reply", l[2].len = 5;
		if (ic_hashtree_lookup(&c->doc, c->tree, l, 3, &st->reply, &st->reply_len) != IC_LOOKUP_FOUND) {
			snprintf(err, errlen, "certificate: status replied without a reply");
			return -1;
		}
	} else if (st->state == IC_STATUS_REJECTED) {
		const uint8_t *code;
		size_t cl;
		l[2].p = (const uint8_t *)"reject_code", l[2].len = 11;
		if (ic_hashtree_lookup(&c->doc, c->tree, l, 3, &code, &cl) != IC_LOOKUP_FOUND ||
		    ic_leb_decode(code, cl, &st->reject_code) != cl) {
			snprintf(err, errlen, "certificate: status rejected without a reject code");
			return -1;
		}
		l[2].p = (const uint8_t *)"reject_message", l[2].len = 14;
		if (ic_hashtree_lookup(&c->doc, c->tree, l, 3, &v, &st->reject_message_len) != IC_LOOKUP_FOUND) {
			snprintf(err, errlen, "certificate: status rejected without a reject message");
			return -1;
		}
		st->reject_message = (const char *)v;
		l[2].p = (const uint8_t *)"error_code", l[2].len = 10;
		if (ic_hashtree_lookup(&c->doc, c->tree, l, 3, &v, &st->error_code_len) == IC_LOOKUP_FOUND)
			st->error_code = (const char *)v;
	}
	return 0;
}

struct range_list {
	struct ic_canister_range **v;
	size_t *n;
};

static int range_add(void *ctx, const uint8_t *s, size_t sl, const uint8_t *e, size_t el)
{
	struct range_list *l = ctx;
	if (sl > IC_PRINCIPAL_MAXBYTES || el > IC_PRINCIPAL_MAXBYTES)
		return -1;
	struct ic_canister_range *v = realloc(*l->v, (*l->n + 1) * sizeof *v);
	if (v == NULL)
		return -2;
	*l->v = v;
	ic_principal_from_bytes(&v[*l->n].start, s, sl);
	ic_principal_from_bytes(&v[*l->n].end, e, el);
	(*l->n)++;
	return 0;
}

struct shard_each {
	const struct ic_cbor_doc *d;
	struct range_list *l;
};

static int shard_add(void *ctx, const uint8_t *label, size_t len, size_t child)
{
	(void)label, (void)len;
	struct shard_each *s = ctx;
	const uint8_t *leaf;
	size_t ll;
	if (ic_hashtree_lookup(s->d, child, NULL, 0, &leaf, &ll) != IC_LOOKUP_FOUND)
		return 0; /* a pruned shard: its ranges are simply not known */
	return each_range(leaf, ll, range_add, s->l);
}

int ic_cert_canister_ranges(const struct ic_cert *c, const uint8_t root_key[96], struct ic_canister_range **out,
                            size_t *n, char *err, size_t errlen)
{
	struct ic_principal sid;
	ic_cert_signing_subnet(c, root_key, &sid);
	/* a delegation holds its subnet's ranges; the root subnet's own certificate holds them in its tree */
	const struct ic_cbor_doc *d = c->delegated ? &c->ddoc : &c->doc;
	size_t tree = c->delegated ? c->dtree : c->tree, sub;
	struct range_list l = {out, n};
	int rc = 0;
	struct ic_label p[3] = {{(const uint8_t *)"canister_ranges", 15}, {sid.b, sid.len}, {NULL, 0}};
	if (ic_hashtree_subtree(d, tree, p, 2, &sub) == IC_LOOKUP_FOUND) {
		struct shard_each s = {d, &l};
		rc = ic_hashtree_each_label(d, sub, shard_add, &s);
	} else {
		const struct ic_label q[3] = {{(const uint8_t *)"subnet", 6}, {sid.b, sid.len},
		                              {(const uint8_t *)"canister_ranges", 15}};
		const uint8_t *leaf;
		size_t ll;
		if (ic_hashtree_lookup(d, tree, q, 3, &leaf, &ll) == IC_LOOKUP_FOUND)
			rc = each_range(leaf, ll, range_add, &l);
	}
	if (rc != 0) {
		char t[IC_PRINCIPAL_MAXTEXT];
		ic_principal_to_text(&sid, t);
		snprintf(err, errlen, rc == -2 ? "out of memory" : "certificate: malformed canister ranges of subnet %s", t);
		return -1;
	}
	return 0;
}

int ic_canister_ranges_has(const struct ic_canister_range *r, size_t n, const struct ic_principal *id)
{
	for (size_t i = 0; i < n; i++)
		if (ic_principal_cmp(&r[i].start, id) <= 0 && ic_principal_cmp(id, &r[i].end) <= 0)
			return 1;
	return 0;
}
