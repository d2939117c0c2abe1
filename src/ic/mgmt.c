/* mgmt.c - management canister arguments and replies, through the generic Candid codec with the
 * types written as in ic.did (dfinity/developer-docs public/references/ic.did). */
#include "ic/mgmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char defs[] =
	"type canister_id = principal;\n"
	"type snapshot_id = blob;\n"
	"type snapshot = record { id : snapshot_id; taken_at_timestamp : nat64; total_size : nat64 };\n"
	"type canister_id_arg = record { canister_id : canister_id };\n"
	"type take_canister_snapshot_args = record { canister_id : canister_id; replace_snapshot : opt snapshot_id };\n"
	"type snapshot_args = record { canister_id : canister_id; snapshot_id : snapshot_id };\n"
	"type read_canister_snapshot_data_args = record {\n"
	"  canister_id : canister_id; snapshot_id : snapshot_id;\n"
	"  kind : variant {\n"
	"    wasm_module : record { offset : nat64; size : nat64 };\n"
	"    wasm_memory : record { offset : nat64; size : nat64 };\n"
	"    stable_memory : record { offset : nat64; size : nat64 };\n"
	"    wasm_chunk : record { hash : blob } } };\n"
	"type read_canister_snapshot_data_response = record { chunk : blob };\n"
	"type snapshot_list = vec snapshot;\n"
	"type read_canister_snapshot_metadata_response = record {\n"
	"  source : opt variant { taken_from_canister : reserved; metadata_upload : reserved };\n"
	"  taken_at_timestamp : nat64; wasm_module_size : nat64;\n"
	"  globals : vec opt variant { i32 : int32; i64 : int64; f32 : float32; f64 : float64; v128 : nat };\n"
	"  wasm_memory_size : nat64; stable_memory_size : nat64;\n"
	"  wasm_chunk_store : vec record { hash : blob };\n"
	"  canister_version : nat64; certified_data : blob;\n"
	"  global_timer : opt variant { inactive; active : nat64 };\n"
	"  on_low_wasm_memory_hook_status : opt variant { condition_not_satisfied; ready; executed } };\n"
	"type upload_canister_snapshot_metadata_args = record {\n"
	"  canister_id : canister_id; replace_snapshot : opt snapshot_id; wasm_module_size : nat64;\n"
	"  globals : vec variant { i32 : int32; i64 : int64; f32 : float32; f64 : float64; v128 : nat };\n"
	"  wasm_memory_size : nat64; stable_memory_size : nat64; certified_data : blob;\n"
	"  global_timer : opt variant { inactive; active : nat64 };\n"
	"  on_low_wasm_memory_hook_status : opt variant { condition_not_satisfied; ready; executed } };\n"
	"type upload_canister_snapshot_metadata_response = record { snapshot_id : snapshot_id };\n"
	"type upload_canister_snapshot_data_args = record {\n"
	"  canister_id : canister_id; snapshot_id : snapshot_id;\n"
	"  kind : variant {\n"
	"    wasm_module : record { offset : nat64 };\n"
	"    wasm_memory : record { offset : nat64 };\n"
	"    stable_memory : record { offset : nat64 };\n"
	"    wasm_chunk };\n"
	"  chunk : blob };\n"
	"type load_canister_snapshot_args = record {\n"
	"  canister_id : canister_id; snapshot_id : snapshot_id; sender_canister_version : opt nat64 };\n"
	"type canister_status_result = record { status : variant { running; stopping; stopped } };\n";

static struct ic_ctable table;
static int ready; /* 1 parsed, -1 failed */

const struct ic_ctable *ic_mgmt_types(void)
{
	if (ready == 0) {
		char err[200];
		int32_t none[1];
		size_t n = 0;
		ready = ic_ctable_parse(&table, defs, NULL, none, &n, err, sizeof err) == 0 ? 1 : -1;
	}
	return ready == 1 ? &table : NULL;
}

int32_t ic_mgmt_type(const char *name)
{
	const struct ic_ctable *t = ic_mgmt_types();
	if (t == NULL)
		return -1;
	size_t n = strlen(name);
	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].op == IC_CT_ALIAS && t->t[i].name_len == n && memcmp(t->t[i].name, name, n) == 0)
			return t->t[i].inner;
	return -1;
}

static int encode1(struct ic_buf *out, const char *type, const struct ic_cvalue *v)
{
	const struct ic_ctable *t = ic_mgmt_types();
	int32_t ty = ic_mgmt_type(type);
	char err[200];
	if (t == NULL || ty < 0)
		return -1;
	return ic_candid_encode(t, &ty, v, 1, out, err, sizeof err);
}

static void principal_value(struct ic_cvalue *v, const struct ic_principal *p)
{
	v->type = IC_CT_PRINCIPAL;
	v->u.s.p = p->b;
	v->u.s.len = p->len;
}

static void blob_value(struct ic_cvalue *v, const uint8_t *p, size_t n)
{
	v->u.vec.blob = p ? p : (const uint8_t *)"";
	v->u.vec.n = n;
}

/* Record fields are stored in id order: look the slot up by name. */
static struct ic_cvalue *slot(int32_t rec, struct ic_cvalue *fields, const char *name)
{
	const struct ic_ctable *t = ic_mgmt_types();
	const struct ic_ctype *r = &t->t[ic_ctype_resolve(t, rec)];
	uint32_t id = ic_candid_hash(name, strlen(name));
	for (uint32_t i = 0; i < r->nf; i++)
		if (r->f[i].id == id)
			return &fields[i];
	return &fields[0]; /* not reached: the names are ours */
}

int ic_mgmt_arg_canister(struct ic_buf *out, const struct ic_principal *canister)
{
	struct ic_cvalue f[1], v;
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	principal_value(&f[0], canister);
	v.u.vec.v = f;
	v.u.vec.n = 1;
	return encode1(out, "canister_id_arg", &v);
}

int ic_mgmt_arg_take_snapshot(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *replace,
                              size_t replace_len)
{
	int32_t rec = ic_mgmt_type("take_canister_snapshot_args");
	struct ic_cvalue f[2], v, inner;
	if (rec < 0 || replace_len > IC_SNAPSHOT_ID_MAX)
		return -1;
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	memset(&inner, 0, sizeof inner);
	principal_value(slot(rec, f, "canister_id"), canister);
	if (replace_len > 0) {
		blob_value(&inner, replace, replace_len);
		slot(rec, f, "replace_snapshot")->u.opt = &inner;
	}
	v.u.vec.v = f;
	v.u.vec.n = 2;
	return encode1(out, "take_canister_snapshot_args", &v);
}

int ic_mgmt_arg_snapshot(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid, size_t sid_len)
{
	int32_t rec = ic_mgmt_type("snapshot_args");
	struct ic_cvalue f[2], v;
	if (rec < 0 || sid_len > IC_SNAPSHOT_ID_MAX)
		return -1;
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	principal_value(slot(rec, f, "canister_id"), canister);
	blob_value(slot(rec, f, "snapshot_id"), sid, sid_len);
	v.u.vec.v = f;
	v.u.vec.n = 2;
	return encode1(out, "snapshot_args", &v);
}

/* a nat64 record field */
static void u64_value(struct ic_cvalue *v, uint64_t x)
{
	v->type = IC_CT_NAT64;
	v->u.u = x;
}

int ic_mgmt_arg_read_snapshot_data(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                                   size_t sid_len, enum ic_snapshot_kind kind, uint64_t offset, uint64_t size,
                                   const uint8_t *chunk_hash, size_t hash_len)
{
	const struct ic_ctable *t = ic_mgmt_types();
	int32_t rec = ic_mgmt_type("read_canister_snapshot_data_args");
	if (t == NULL || rec < 0 || sid_len > IC_SNAPSHOT_ID_MAX)
		return -1;
	struct ic_cvalue f[3], v, var, body, bf[2];
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	memset(&var, 0, sizeof var);
	memset(&body, 0, sizeof body);
	memset(bf, 0, sizeof bf);
	principal_value(slot(rec, f, "canister_id"), canister);
	blob_value(slot(rec, f, "snapshot_id"), sid, sid_len);
	struct ic_cvalue *k = slot(rec, f, "kind");
	/* the variant's cases are sorted by id; find ours */
	static const char *const names[] = {"wasm_module", "wasm_memory", "stable_memory", "wasm_chunk"};
	const struct ic_ctype *rt = &t->t[rec];
	int32_t vt = -1;
	for (uint32_t i = 0; i < rt->nf; i++)
		if (rt->f[i].id == ic_candid_hash("kind", 4))
			vt = ic_ctype_resolve(t, rt->f[i].type);
	if (vt < 0)
		return -1;
	uint32_t want = ic_candid_hash(names[kind], strlen(names[kind]));
	const struct ic_ctype *vty = &t->t[vt];
	for (uint32_t i = 0; i < vty->nf; i++)
		if (vty->f[i].id == want)
			k->u.var.idx = i;
	k->u.var.v = &body;
	body.u.vec.v = bf;
	if (kind == IC_SNAP_WASM_CHUNK) {
		blob_value(&bf[0], chunk_hash, hash_len);
		body.u.vec.n = 1;
	} else {
		/* record { offset; size }: ids offset 0x603f9793 > size 0x4c53a0c1, so size first */
		u64_value(&bf[0], size);
		u64_value(&bf[1], offset);
		body.u.vec.n = 2;
	}
	v.u.vec.v = f;
	v.u.vec.n = 3;
	return encode1(out, "read_canister_snapshot_data_args", &v);
}

/* The index of case `name` in variant type vt (cases are sorted by id); -1 if absent. */
static int variant_case(int32_t vt, const char *name)
{
	const struct ic_ctable *t = ic_mgmt_types();
	const struct ic_ctype *v = &t->t[ic_ctype_resolve(t, vt)];
	uint32_t id = ic_candid_hash(name, strlen(name));
	for (uint32_t i = 0; i < v->nf; i++)
		if (v->f[i].id == id)
			return (int)i;
	return -1;
}

/* The type of field `name` of record type rec. */
static int32_t field_type(int32_t rec, const char *name)
{
	const struct ic_ctable *t = ic_mgmt_types();
	const struct ic_ctype *r = &t->t[ic_ctype_resolve(t, rec)];
	uint32_t id = ic_candid_hash(name, strlen(name));
	for (uint32_t i = 0; i < r->nf; i++)
		if (r->f[i].id == id)
			return r->f[i].type;
	return IC_CT_EMPTY;
}

static const char *const global_case[] = {"i32", "i64", "f32", "f64", "v128"};
static const char *const hook_case[] = {"condition_not_satisfied", "ready", "executed"};

int ic_mgmt_arg_upload_snapshot_metadata(struct ic_buf *out, const struct ic_principal *canister,
                                         const uint8_t *replace, size_t replace_len,
                                         const struct ic_snapshot_upload_metadata *m)
{
	int32_t rec = ic_mgmt_type("upload_canister_snapshot_metadata_args");
	if (rec < 0 || replace_len > IC_SNAPSHOT_ID_MAX || m->hook_status < IC_HOOK_NONE ||
	    m->hook_status > IC_HOOK_EXECUTED || m->global_timer < IC_TIMER_NONE || m->global_timer > IC_TIMER_ACTIVE)
		return -1;
	struct ic_cvalue f[9], v, rep, timer, tval, hook, unit;
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	memset(&rep, 0, sizeof rep);
	memset(&timer, 0, sizeof timer);
	memset(&tval, 0, sizeof tval);
	memset(&hook, 0, sizeof hook);
	memset(&unit, 0, sizeof unit);
	unit.type = IC_CT_NULL;
	struct ic_cvalue *g = calloc(2 * m->n_globals + 1, sizeof *g); /* the variants, then their values */
	uint8_t *mags = malloc(16 * m->n_globals + 1);                   /* v128 magnitudes (the encoder's copy) */
	if (g == NULL || mags == NULL) {
		free(g);
		free(mags);
		return -1;
	}
	int32_t gvt = ic_mgmt_types()->t[ic_ctype_resolve(ic_mgmt_types(), field_type(rec, "globals"))].inner;
	int rc = 0;
	for (size_t i = 0; i < m->n_globals && rc == 0; i++) {
		const struct ic_snapshot_global *x = &m->globals[i];
		struct ic_cvalue *val = &g[m->n_globals + i];
		int k = x->kind >= IC_GLOBAL_I32 && x->kind <= IC_GLOBAL_V128 ? variant_case(gvt, global_case[x->kind]) : -1;
		if (k < 0 || (x->kind == IC_GLOBAL_V128 && x->v128_len > sizeof x->v128)) {
			rc = -1;
			break;
		}
		g[i].u.var.idx = (uint32_t)k;
		g[i].u.var.v = val;
		switch (x->kind) {
		case IC_GLOBAL_I32: val->type = IC_CT_INT32; val->u.i = x->i; break;
		case IC_GLOBAL_I64: val->type = IC_CT_INT64; val->u.i = x->i; break;
		case IC_GLOBAL_F32: val->type = IC_CT_FLOAT32; val->u.f32 = x->f32; break;
		case IC_GLOBAL_F64: val->type = IC_CT_FLOAT64; val->u.f64 = x->f64; break;
		case IC_GLOBAL_V128:
			val->type = IC_CT_NAT;
			memcpy(mags + 16 * i, x->v128, x->v128_len);
			val->u.big.mag = mags + 16 * i;
			val->u.big.len = x->v128_len;
			break;
		}
	}
	principal_value(slot(rec, f, "canister_id"), canister);
	if (replace_len > 0) {
		blob_value(&rep, replace, replace_len);
		slot(rec, f, "replace_snapshot")->u.opt = &rep;
	}
	u64_value(slot(rec, f, "wasm_module_size"), m->wasm_module_size);
	u64_value(slot(rec, f, "wasm_memory_size"), m->wasm_memory_size);
	u64_value(slot(rec, f, "stable_memory_size"), m->stable_memory_size);
	struct ic_cvalue *gs = slot(rec, f, "globals");
	gs->u.vec.v = g;
	gs->u.vec.n = m->n_globals;
	blob_value(slot(rec, f, "certified_data"), m->certified_data, m->certified_data_len);
	if (m->global_timer != IC_TIMER_NONE) {
		int32_t tt = ic_mgmt_types()->t[ic_ctype_resolve(ic_mgmt_types(), field_type(rec, "global_timer"))].inner;
		int k = variant_case(tt, m->global_timer == IC_TIMER_ACTIVE ? "active" : "inactive");
		if (k < 0)
			rc = -1;
		timer.u.var.idx = (uint32_t)(k < 0 ? 0 : k);
		if (m->global_timer == IC_TIMER_ACTIVE) {
			u64_value(&tval, m->global_timer_at);
			timer.u.var.v = &tval;
		} else {
			timer.u.var.v = &unit;
		}
		slot(rec, f, "global_timer")->u.opt = &timer;
	}
	if (m->hook_status != IC_HOOK_NONE) {
		int32_t ht =
			ic_mgmt_types()->t[ic_ctype_resolve(ic_mgmt_types(), field_type(rec, "on_low_wasm_memory_hook_status"))].inner;
		int k = variant_case(ht, hook_case[m->hook_status]);
		if (k < 0)
			rc = -1;
		hook.u.var.idx = (uint32_t)(k < 0 ? 0 : k);
		hook.u.var.v = &unit;
		slot(rec, f, "on_low_wasm_memory_hook_status")->u.opt = &hook;
	}
	v.u.vec.v = f;
	v.u.vec.n = 9;
	if (rc == 0)
		rc = encode1(out, "upload_canister_snapshot_metadata_args", &v);
	free(g);
	free(mags);
	return rc;
}

int ic_mgmt_arg_upload_snapshot_data(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                                     size_t sid_len, enum ic_snapshot_kind kind, uint64_t offset, const uint8_t *chunk,
                                     size_t n)
{
	int32_t rec = ic_mgmt_type("upload_canister_snapshot_data_args");
	if (rec < 0 || sid_len > IC_SNAPSHOT_ID_MAX || kind < IC_SNAP_WASM_MODULE || kind > IC_SNAP_WASM_CHUNK)
		return -1;
	static const char *const names[] = {"wasm_module", "wasm_memory", "stable_memory", "wasm_chunk"};
	struct ic_cvalue f[4], v, body, off;
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	memset(&body, 0, sizeof body);
	memset(&off, 0, sizeof off);
	principal_value(slot(rec, f, "canister_id"), canister);
	blob_value(slot(rec, f, "snapshot_id"), sid, sid_len);
	blob_value(slot(rec, f, "chunk"), chunk, n);
	struct ic_cvalue *k = slot(rec, f, "kind");
	int idx = variant_case(field_type(rec, "kind"), names[kind]);
	if (idx < 0)
		return -1;
	k->u.var.idx = (uint32_t)idx;
	k->u.var.v = &body;
	if (kind == IC_SNAP_WASM_CHUNK) {
		body.type = IC_CT_NULL;
	} else {
		u64_value(&off, offset);
		body.u.vec.v = &off; /* record { offset } */
		body.u.vec.n = 1;
	}
	v.u.vec.v = f;
	v.u.vec.n = 4;
	return encode1(out, "upload_canister_snapshot_data_args", &v);
}

int ic_mgmt_arg_load_snapshot(struct ic_buf *out, const struct ic_principal *canister, const uint8_t *sid,
                              size_t sid_len)
{
	int32_t rec = ic_mgmt_type("load_canister_snapshot_args");
	struct ic_cvalue f[3], v;
	if (rec < 0 || sid_len > IC_SNAPSHOT_ID_MAX)
		return -1;
	memset(f, 0, sizeof f);
	memset(&v, 0, sizeof v);
	principal_value(slot(rec, f, "canister_id"), canister);
	blob_value(slot(rec, f, "snapshot_id"), sid, sid_len);
	v.u.vec.v = f; /* sender_canister_version: none (an ingress message, not a canister) */
	v.u.vec.n = 3;
	return encode1(out, "load_canister_snapshot_args", &v);
}

static int decode1(const uint8_t *reply, size_t len, const char *type, struct ic_arena *a, struct ic_cvalue **v,
                   char *err, size_t errlen)
{
	const struct ic_ctable *t = ic_mgmt_types();
	int32_t ty = ic_mgmt_type(type);
	if (t == NULL || ty < 0) {
		snprintf(err, errlen, "management types unavailable");
		return -1;
	}
	return ic_candid_decode(reply, len, t, &ty, 1, NULL, a, v, err, errlen);
}

static int snapshot_of(const struct ic_cvalue *v, struct ic_snapshot *s, char *err, size_t errlen)
{
	const struct ic_ctable *t = ic_mgmt_types();
	const struct ic_cvalue *id = ic_cvalue_field(t, v, "id");
	if (id == NULL || id->u.vec.n > IC_SNAPSHOT_ID_MAX) {
		snprintf(err, errlen, "snapshot: id missing or longer than %u bytes", IC_SNAPSHOT_ID_MAX);
		return -1;
	}
	memcpy(s->id, id->u.vec.blob, id->u.vec.n);
	s->id_len = id->u.vec.n;
	s->taken_at_timestamp = ic_cvalue_field(t, v, "taken_at_timestamp")->u.u;
	s->total_size = ic_cvalue_field(t, v, "total_size")->u.u;
	return 0;
}

int ic_mgmt_decode_snapshot(const uint8_t *reply, size_t len, struct ic_snapshot *s, char *err, size_t errlen)
{
	struct ic_arena a;
	struct ic_cvalue *v;
	ic_arena_init(&a, 0);
	int rc = decode1(reply, len, "snapshot", &a, &v, err, errlen);
	if (rc == 0)
		rc = snapshot_of(v, s, err, errlen);
	ic_arena_free(&a);
	return rc;
}

int ic_mgmt_decode_snapshot_list(const uint8_t *reply, size_t len, struct ic_snapshot *s, size_t max, size_t *n,
                                 char *err, size_t errlen)
{
	struct ic_arena a;
	struct ic_cvalue *v;
	ic_arena_init(&a, 0);
	int rc = decode1(reply, len, "snapshot_list", &a, &v, err, errlen);
	*n = 0;
	for (size_t i = 0; rc == 0 && i < v->u.vec.n && i < max; i++) {
		rc = snapshot_of(&v->u.vec.v[i], &s[i], err, errlen);
		*n = i + 1;
	}
	ic_arena_free(&a);
	return rc;
}

int ic_mgmt_decode_chunk(const uint8_t *reply, size_t len, const uint8_t **chunk, size_t *n, char *err, size_t errlen)
{
	struct ic_arena a;
	struct ic_cvalue *v;
	ic_arena_init(&a, 0);
	int rc = decode1(reply, len, "read_canister_snapshot_data_response", &a, &v, err, errlen);
	if (rc == 0) {
		const struct ic_cvalue *c = ic_cvalue_field(ic_mgmt_types(), v, "chunk");
		*chunk = c->u.vec.blob; /* into reply */
		*n = c->u.vec.n;
	}
	ic_arena_free(&a);
	return rc;
}

int ic_mgmt_decode_snapshot_metadata(const uint8_t *reply, size_t len, struct ic_arena *arena,
                                     struct ic_snapshot_metadata *m, char *err, size_t errlen)
{
	struct ic_cvalue *v;
	memset(m, 0, sizeof *m);
	if (decode1(reply, len, "read_canister_snapshot_metadata_response", arena, &v, err, errlen) != 0)
		return -1;
	const struct ic_ctable *t = ic_mgmt_types();
	m->value = v;
	m->taken_at_timestamp = ic_cvalue_field(t, v, "taken_at_timestamp")->u.u;
	m->wasm_module_size = ic_cvalue_field(t, v, "wasm_module_size")->u.u;
	m->wasm_memory_size = ic_cvalue_field(t, v, "wasm_memory_size")->u.u;
	m->stable_memory_size = ic_cvalue_field(t, v, "stable_memory_size")->u.u;
	m->canister_version = ic_cvalue_field(t, v, "canister_version")->u.u;
	const struct ic_cvalue *cd = ic_cvalue_field(t, v, "certified_data");
	m->certified_data = cd->u.vec.blob;
	m->certified_data_len = cd->u.vec.n;
	const struct ic_cvalue *store = ic_cvalue_field(t, v, "wasm_chunk_store");
	const uint8_t **hashes = ic_arena_array(arena, store->u.vec.n + 1, sizeof *hashes);
	if (hashes == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < store->u.vec.n; i++) {
		const struct ic_cvalue *h = ic_cvalue_field(t, &store->u.vec.v[i], "hash");
		if (h->u.vec.n != 32) {
			snprintf(err, errlen, "snapshot metadata: chunk hash %zu is %zu bytes, not 32", i, h->u.vec.n);
			return -1;
		}
		hashes[i] = h->u.vec.blob;
	}
	m->chunk_hash = hashes;
	m->n_chunks = store->u.vec.n;
	return 0;
}

int ic_mgmt_decode_upload_metadata(const uint8_t *reply, size_t len, uint8_t *sid, size_t *sid_len, char *err,
                                   size_t errlen)
{
	struct ic_arena a;
	struct ic_cvalue *v;
	ic_arena_init(&a, 0);
	int rc = decode1(reply, len, "upload_canister_snapshot_metadata_response", &a, &v, err, errlen);
	if (rc == 0) {
		const struct ic_cvalue *id = ic_cvalue_field(ic_mgmt_types(), v, "snapshot_id");
		if (id->u.vec.n == 0 || id->u.vec.n > IC_SNAPSHOT_ID_MAX) {
			snprintf(err, errlen, "snapshot id of %zu bytes (1 to %u expected)", id->u.vec.n, IC_SNAPSHOT_ID_MAX);
			rc = -1;
		} else {
			memcpy(sid, id->u.vec.blob, id->u.vec.n);
			*sid_len = id->u.vec.n;
		}
	}
	ic_arena_free(&a);
	return rc;
}

int ic_mgmt_decode_status(const uint8_t *reply, size_t len, char *status, size_t statuslen, char *err, size_t errlen)
{
	struct ic_arena a;
	struct ic_cvalue *v;
	ic_arena_init(&a, 0);
	int rc = decode1(reply, len, "canister_status_result", &a, &v, err, errlen);
	if (rc == 0) {
		const struct ic_ctable *t = ic_mgmt_types();
		uint32_t id;
		size_t nl;
		const char *name = ic_cvalue_variant(t, ic_cvalue_field(t, v, "status"), &id, &nl);
		snprintf(status, statuslen, "%.*s", (int)nl, name ? name : "?");
	}
	ic_arena_free(&a);
	return rc;
}
