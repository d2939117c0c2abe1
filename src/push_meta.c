/* push_meta.c - the metadata.json of a snapshot archive (as icp-cli writes it: serde_json of
 * ReadCanisterSnapshotMetadataResult, see snapshot_json.c) back into the fields of
 * upload_canister_snapshot_metadata: sizes, globals, certified data, global timer, low-memory hook
 * status. What the IC sets itself on upload (source, time, canister version) and the chunk store
 * (uploaded entry by entry) are not part of it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "push.h"

void push_meta_free(struct push_meta *pm)
{
	free(pm->globals);
	pm->globals = NULL;
}

/* A JSON integer in [lo, hi] (the number text, no fraction or exponent). */
static int json_i64(const struct json *j, int64_t lo, int64_t hi, int64_t *out)
{
	if (j == NULL || j->type != JSON_NUMBER || j->num_len == 0 || j->num_len > 24)
		return -1;
	char tmp[32];
	memcpy(tmp, j->num, j->num_len);
	tmp[j->num_len] = '\0';
	if (strpbrk(tmp, ".eE") != NULL)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A JSON number as a double (serde_json prints floats shortest round trip: strtod reads them back
 * exactly; an f32 goes through strtof so that it rounds once). */
static int json_float(const struct json *j, int is32, double *d, float *f)
{
	if (j == NULL || j->type != JSON_NUMBER || j->num_len == 0 || j->num_len > 64)
		return -1;
	char tmp[72];
	memcpy(tmp, j->num, j->num_len);
	tmp[j->num_len] = '\0';
	char *end;
	errno = 0;
	if (is32)
		*f = strtof(tmp, &end);
	else
		*d = strtod(tmp, &end);
	return *end == '\0' && errno != ERANGE ? 0 : -1;
}

/* A unit variant as serde writes it: "name". Index into names, or -1. */
static int unit_case(const struct json *j, const char *const *names, int n)
{
	if (j == NULL || j->type != JSON_STRING)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(j->str, names[i]) == 0)
			return i;
	return -1;
}

static int global(const struct json *j, size_t i, struct ic_snapshot_global *g, char *err, size_t errlen)
{
	static const char *const kinds[] = {"i32", "i64", "f32", "f64", "v128"};
	if (j->type != JSON_OBJECT || j->n != 1) {
		snprintf(err, errlen, "globals[%zu] is not a global ({\"i32\": ...}, ...)%s", i,
		         j->type == JSON_NULL ? ": a kind this icarc does not know cannot be uploaded" : "");
		return -1;
	}
	const struct json *v = &j->kids[0];
	int k = -1;
	for (int x = 0; x < 5; x++)
		if (strcmp(v->key, kinds[x]) == 0)
			k = x;
	int64_t n = 0;
	int bad = 0;
	if (k >= 0)
		g->kind = (enum ic_global_kind)k;
	switch (k) {
	case IC_GLOBAL_I32: bad = json_i64(v, INT32_MIN, INT32_MAX, &n); g->i = n; break;
	case IC_GLOBAL_I64: bad = json_i64(v, INT64_MIN, INT64_MAX, &n); g->i = n; break;
	case IC_GLOBAL_F32: bad = json_float(v, 1, NULL, &g->f32); break;
	case IC_GLOBAL_F64: bad = json_float(v, 0, &g->f64, NULL); break;
	case IC_GLOBAL_V128:
		/* num-bigint's u32 digits, least significant first; a v128 has at most four */
		if (v->type != JSON_ARRAY || v->n > 4) {
			bad = 1;
			break;
		}
		for (size_t d = 0; d < v->n && !bad; d++) {
			uint64_t x = 0;
			if (json_u64(&v->kids[d], &x) != 0 || x > UINT32_MAX)
				bad = 1;
			for (int b = 0; b < 4; b++)
				g->v128[4 * d + (size_t)b] = (uint8_t)(x >> (8 * b));
		}
		g->v128_len = 4 * v->n;
		while (g->v128_len > 0 && g->v128[g->v128_len - 1] == 0)
			g->v128_len--;
		break;
	default:
		snprintf(err, errlen, "globals[%zu]: unknown kind \"%s\"", i, v->key);
		return -1;
	}
	if (bad) {
		snprintf(err, errlen, "globals[%zu]: not a valid %s%s", i, kinds[k],
		         (k == IC_GLOBAL_F32 || k == IC_GLOBAL_F64) && v->type == JSON_NULL
		                 ? " (null: a NaN or infinity, which metadata.json cannot carry)"
		                 : "");
		return -1;
	}
	return 0;
}

int push_meta_parse(const char *text, size_t len, struct push_meta *pm, char *err, size_t errlen)
{
	memset(pm, 0, sizeof *pm);
	struct json *j;
	if (json_parse(text, len, &j, err, errlen) != 0)
		return -1;
	struct ic_snapshot_upload_metadata *m = &pm->m;
	int rc = -1;
	if (j->type != JSON_OBJECT) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	static const char *const sizes[3] = {"wasm_module_size", "wasm_memory_size", "stable_memory_size"};
	uint64_t *dst[3] = {&m->wasm_module_size, &m->wasm_memory_size, &m->stable_memory_size};
	for (int k = 0; k < 3; k++)
		if (json_u64(json_get(j, sizes[k]), dst[k]) != 0) {
			snprintf(err, errlen, "%s is missing or not a number", sizes[k]);
			goto out;
		}
	const struct json *g = json_get(j, "globals");
	if (g != NULL && g->type != JSON_ARRAY) {
		snprintf(err, errlen, "globals is not an array");
		goto out;
	}
	size_t ng = g ? g->n : 0;
	pm->globals = calloc(ng + 1, sizeof *pm->globals);
	if (pm->globals == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ng; i++)
		if (global(&g->kids[i], i, &pm->globals[i], err, errlen) != 0)
			goto out;
	m->globals = pm->globals;
	m->n_globals = ng;
	const struct json *cd = json_get(j, "certified_data");
	if (cd != NULL && (cd->type != JSON_ARRAY || cd->n > sizeof pm->certified_data)) {
		snprintf(err, errlen, "certified_data is not an array of at most 32 bytes");
		goto out;
	}
	for (size_t i = 0; cd != NULL && i < cd->n; i++) {
		uint64_t v;
		if (json_u64(&cd->kids[i], &v) != 0 || v > 255) {
			snprintf(err, errlen, "certified_data[%zu] is not a byte", i);
			goto out;
		}
		pm->certified_data[i] = (uint8_t)v;
	}
	m->certified_data = pm->certified_data;
	m->certified_data_len = cd ? cd->n : 0;
	/* global_timer: null, "inactive" or {"active": nanoseconds} */
	const struct json *t = json_get(j, "global_timer");
	static const char *const inactive[] = {"inactive"};
	m->global_timer = IC_TIMER_NONE;
	if (t != NULL && t->type != JSON_NULL) {
		if (unit_case(t, inactive, 1) == 0) {
			m->global_timer = IC_TIMER_INACTIVE;
		} else if (t->type == JSON_OBJECT && t->n == 1 && strcmp(t->kids[0].key, "active") == 0 &&
		           json_u64(&t->kids[0], &m->global_timer_at) == 0) {
			m->global_timer = IC_TIMER_ACTIVE;
		} else {
			snprintf(err, errlen, "global_timer is not null, \"inactive\" or {\"active\": NANOSECONDS}");
			goto out;
		}
	}
	const struct json *h = json_get(j, "on_low_wasm_memory_hook_status");
	static const char *const hooks[] = {"condition_not_satisfied", "ready", "executed"};
	m->hook_status = IC_HOOK_NONE;
	if (h != NULL && h->type != JSON_NULL) {
		int k = unit_case(h, hooks, 3);
		if (k < 0) {
			snprintf(err, errlen, "on_low_wasm_memory_hook_status is not null, \"condition_not_satisfied\", \"ready\" "
			                      "or \"executed\"");
			goto out;
		}
		m->hook_status = k;
	}
	rc = 0;
out:
	json_free(j);
	if (rc != 0)
		push_meta_free(pm);
	return rc;
}
