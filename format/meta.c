/* meta.c - archive metadata: a sorted map of UTF-8 keys to byte values (spec: META). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "private.h"

static int keycmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

int Icarc_meta_set(struct meta_map *m, const char *key, size_t key_len, const void *value, size_t len)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = keycmp(m->items[mid].key, strlen(m->items[mid].key), key, key_len);
		if (c == 0) {
			lo = mid;
			hi = SIZE_MAX;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint8_t *v = malloc(len ? len : 1);
	if (v == NULL)
		return ICARC_E_NOMEM;
	memcpy(v, value, len);
	if (hi == SIZE_MAX) { /* replace */
		free(m->items[lo].value);
		m->items[lo].value = v;
		m->items[lo].len = len;
		return ICARC_OK;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct meta_item *n = realloc(m->items, cap * sizeof *n);
		if (n == NULL) {
			free(v);
			return ICARC_E_NOMEM;
		}
		m->items = n;
		m->cap = cap;
	}
	char *k = malloc(key_len + 1);
	if (k == NULL) {
		free(v);
		return ICARC_E_NOMEM;
	}
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	memmove(m->items + lo + 1, m->items + lo, (m->n - lo) * sizeof *m->items);
	m->items[lo] = (struct meta_item){k, v, len};
	m->n++;
	return ICARC_OK;
}

void Icarc_meta_clear(struct meta_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->items[i].key);
		free(m->items[i].value);
	}
	free(m->items);
	memset(m, 0, sizeof *m);
}

size_t Icarc_meta_encoded_size(const struct meta_map *m)
{
	size_t n = 4;
	for (size_t i = 0; i < m->n; i++)
		n += 1 + strlen(m->items[i].key) + 4 + m->items[i].len;
	return n;
}

void Icarc_meta_encode(const struct meta_map *m, uint8_t *out)
{
	wire_put32(out, (uint32_t)m->n);
	out += 4;
	for (size_t i = 0; i < m->n; i++) {
		size_t kl = strlen(m->items[i].key);
		*out++ = (uint8_t)kl;
		memcpy(out, m->items[i].key, kl);
		out += kl;
		wire_put32(out, (uint32_t)m->items[i].len);
		memcpy(out + 4, m->items[i].value, m->items[i].len);
		out += 4 + m->items[i].len;
	}
}

int Icarc_meta_decode(struct meta_map *m, const uint8_t *in, size_t n, const char **why)
{
	if (n < 4) {
		*why = "metadata shorter than its count";
		return ICARC_E_FORMAT;
	}
	uint32_t count = wire_get32(in);
	size_t pos = 4;
	const char *prev = NULL;
	size_t prev_len = 0;
	for (uint32_t i = 0; i < count; i++) {
		if (n - pos < 1) {
			*why = "metadata item runs past the record";
			return ICARC_E_FORMAT;
		}
		size_t kl = in[pos];
		if (kl == 0 || n - pos - 1 < kl + 4) {
			*why = "metadata key empty or past the record";
			return ICARC_E_FORMAT;
		}
		const char *key = (const char *)in + pos + 1;
		size_t vl = wire_get32(in + pos + 1 + kl);
		if (vl > WIRE_META_VALUE_MAX || n - pos - 5 - kl < vl) {
			*why = "metadata value larger than 1 MiB or past the record";
			return ICARC_E_FORMAT;
		}
		if (memchr(key, 0, kl) != NULL || (prev && keycmp(prev, prev_len, key, kl) >= 0)) {
			*why = "metadata keys not sorted, repeated, or holding NUL";
			return ICARC_E_FORMAT;
		}
		int r = Icarc_meta_set(m, key, kl, in + pos + 5 + kl, vl);
		if (r < 0) {
			*why = "out of memory";
			return r;
		}
		prev = key;
		prev_len = kl;
		pos += 5 + kl + vl;
	}
	if (pos != n) {
		*why = "bytes after the last metadata item";
		return ICARC_E_FORMAT;
	}
	return ICARC_OK;
}

const struct meta_item *Icarc_meta_find(const struct meta_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->items[i].key, key) == 0)
			return &m->items[i];
	return NULL;
}
