/* test_decode_msgpackc.c - the decoder on values written by msgpack-c's packer (an independent
 * encoder that picks the shortest forms itself), and the tokenizer's value boundaries against
 * msgpack-c's unpacker on the same bytes. */
#include "config.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tools/decode.h"

static char *decode(const void *bytes, size_t n, enum dec_binary bin)
{
	struct st_src *src = st_src_mem(bytes, n, "test");
	struct st_reader r;
	struct dec d;
	struct jout o;
	char *res = NULL;
	st_reader_init(&r, src, 0, n, 4096);
	dec_init(&d, &r);
	d.binary = bin;
	jout_init(&o, NULL, NULL, 256);
	if (dec_run(&d, &o) == 0) {
		jout_ch(&o, 0);
		res = malloc(o.len);
		if (res != NULL)
			memcpy(res, o.buf, o.len);
	} else {
		printf("# %s\n", d.err);
	}
	jout_free(&o);
	dec_free(&d);
	st_reader_free(&r);
	st_close(src);
	return res;
}

static void is(msgpack_sbuffer *sb, enum dec_binary bin, const char *want, const char *what)
{
	char *got = decode(sb->data, sb->size, bin);
	tap_ok(got != NULL && strcmp(got, want) == 0, "%s: %s", what, got ? got : "(error)");
	if (got != NULL && strcmp(got, want) != 0)
		printf("# want %s\n", want);
	free(got);
	msgpack_sbuffer_clear(sb);
}

int main(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	msgpack_pack_array(&pk, 12);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_uint64(&pk, 127);
	msgpack_pack_uint64(&pk, 128);
	msgpack_pack_uint64(&pk, 65536);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_int64(&pk, -1);
	msgpack_pack_int64(&pk, -32);
	msgpack_pack_int64(&pk, -33);
	msgpack_pack_int64(&pk, INT64_MIN);
	msgpack_pack_int8(&pk, 100);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	is(&sb, DEC_BASE64, "[0,127,128,65536,18446744073709551615,-1,-32,-33,-9223372036854775808,100,null,true]",
	   "integers, nil, bool");

	msgpack_pack_array(&pk, 4);
	msgpack_pack_double(&pk, 0.1);
	msgpack_pack_float(&pk, 1.1f);
	msgpack_pack_double(&pk, 3.0);
	msgpack_pack_float(&pk, -0.5f);
	is(&sb, DEC_BASE64, "[0.1,1.1,3.0,-0.5]", "float64 and float32");

	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "name", 4);
	msgpack_pack_str_with_body(&pk, "caf\xc3\xa9", 5);
	msgpack_pack_int(&pk, 7);
	msgpack_pack_bin_with_body(&pk, "\x00\xff", 2);
	msgpack_pack_str_with_body(&pk, "$id", 3);
	msgpack_pack_ext_with_body(&pk, "\x01\x02\x03\x04", 4, -3);
	is(&sb, DEC_BASE64, "{\"name\":\"caf\xc3\xa9\",\"$7\":{\"$bin\":\"AP8=\"},\"$$id\":{\"$ext\":-3,\"$data\":\"AQIDBA==\"}}",
	   "map with str, int and $ keys; bin; fixext 4");
	msgpack_pack_ext_with_body(&pk, "abc", 3, 42);
	is(&sb, DEC_HEX, "{\"$ext\":42,\"$data\":\"616263\"}", "ext 8 as hex");

	/* a large str and bin (str 32 / bin 32) */
	size_t big = 70000;
	char *blob = malloc(big);
	memset(blob, 'q', big);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_str_with_body(&pk, blob, big);
	msgpack_pack_bin_with_body(&pk, blob, big);
	char *got = decode(sb.data, sb.size, DEC_HEX);
	TAP_OK(got != NULL && strlen(got) == 1 + (1 + big + 1) + 1 + (9 + 2 * big + 2) + 1 &&
	       strncmp(got, "[\"qqq", 5) == 0 && strstr(got, "{\"$bin\":\"717171") != NULL,
	       "str 32 and bin 32 of 70000 bytes");
	free(got);
	free(blob);

	/* value boundaries: msgpack-c's unpacker and our skip agree on where each value ends */
	msgpack_sbuffer_clear(&sb);
	for (int i = 0; i < 50; i++) {
		msgpack_pack_map(&pk, 2);
		msgpack_pack_int(&pk, i);
		msgpack_pack_array(&pk, (size_t)(i % 4));
		for (int k = 0; k < i % 4; k++)
			msgpack_pack_str_with_body(&pk, "xy", (size_t)(k % 3));
		msgpack_pack_str_with_body(&pk, "k", 1);
		msgpack_pack_double(&pk, i * 0.25);
	}
	struct st_src *src = st_src_mem(sb.data, sb.size, "seq");
	struct st_reader r;
	st_reader_init(&r, src, 0, sb.size, 64);
	size_t off = 0;
	int agree = 1, count = 0;
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	while (off < sb.size) {
		if (msgpack_unpack_next(&u, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS)
			break;
		if (mp_skip(&r) != 0 || st_reader_off(&r) != off)
			agree = 0;
		count++;
	}
	msgpack_unpacked_destroy(&u);
	TAP_OK(agree && count == 50, "50 values: the same boundaries as msgpack_unpack_next");
	st_reader_free(&r);
	st_close(src);
	msgpack_sbuffer_destroy(&sb);
	return tap_done();
}
