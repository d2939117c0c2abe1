/* test_bls.c - BLS12-381 arithmetic: field and tower identities on pseudo-random elements, point
 * encoding with every rejection case, pairing bilinearity, and sign-then-verify round trips
 * (signing here is just [sk]H(m), done with the library's own scalar multiplication). */
#include <stdlib.h>

#include "ic/bls.h"
#include "ic/bls12381_const.h"
#include "ic/bls12381_hash.h"
#include "ic/bls12381_pairing.h"
#include "tap.h"

static uint64_t rng_state = 0x0123456789abcdefULL;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rnd_fp(fp *r)
{
	uint8_t b[64];
	for (int i = 0; i < 64; i++)
		b[i] = (uint8_t)rnd();
	bls_fp_from_bytes64(r, b);
}

static void rnd_fp2(fp2 *r)
{
	rnd_fp(&r->c0);
	rnd_fp(&r->c1);
}

static void rnd_fp12(fp12 *r)
{
	fp2 *c[6] = {&r->c0.c0, &r->c0.c1, &r->c0.c2, &r->c1.c0, &r->c1.c1, &r->c1.c2};
	for (int i = 0; i < 6; i++)
		rnd_fp2(c[i]);
}

static void fp12_pow(fp12 *r, const fp12 *a, const uint64_t *e, int nlimbs)
{
	fp12 acc;
	bls_fp12_set_one(&acc);
	for (int i = nlimbs * 64 - 1; i >= 0; i--) {
		bls_fp12_sqr(&acc, &acc);
		if ((e[i / 64] >> (i % 64)) & 1)
			bls_fp12_mul(&acc, &acc, a);
	}
	*r = acc;
}

static void test_fp(void)
{
	int ok_inv = 1, ok_dist = 1, ok_sqrt = 1, ok_bytes = 1, squares = 0;
	for (int i = 0; i < 200; i++) {
		fp a, b, c, t, u, s;
		uint8_t buf[48];
		rnd_fp(&a);
		rnd_fp(&b);
		rnd_fp(&c);
		bls_fp_inv(&t, &a);
		bls_fp_mul(&t, &t, &a);
		ok_inv &= bls_fp_eq(&t, &bls_one);
		bls_fp_add(&t, &b, &c);
		bls_fp_mul(&t, &a, &t);
		bls_fp_mul(&u, &a, &b);
		bls_fp_mul(&s, &a, &c);
		bls_fp_add(&u, &u, &s);
		bls_fp_sub(&s, &u, &t);
		ok_dist &= bls_fp_is_zero(&s);
		bls_fp_sqr(&t, &a);
		ok_sqrt &= bls_fp_sqrt(&u, &t) && bls_fp_is_square(&t);
		bls_fp_neg(&s, &u);
		ok_sqrt &= bls_fp_eq(&u, &a) || bls_fp_eq(&s, &a);
		if (bls_fp_sqrt(&u, &a)) {
			squares++;
			bls_fp_sqr(&t, &u);
			ok_sqrt &= bls_fp_eq(&t, &a) && bls_fp_is_square(&a);
		} else {
			ok_sqrt &= !bls_fp_is_square(&a);
		}
		bls_fp_to_bytes(buf, &a);
		ok_bytes &= bls_fp_from_bytes(&t, buf) && bls_fp_eq(&t, &a);
	}
	TAP_OK(ok_inv, "Fp: a * a^-1 = 1");
	TAP_OK(ok_dist, "Fp: a(b + c) = ab + ac");
	TAP_OK(ok_sqrt, "Fp: square roots and the quadratic character agree");
	TAP_OK(squares > 60 && squares < 140, "Fp: about half the elements are squares (%d/200)", squares);
	TAP_OK(ok_bytes, "Fp: bytes round trip");

	uint8_t b[48];
	fp t;
	uint64_t plain[6];
	memcpy(plain, bls_p.l, sizeof(plain));
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 8; j++)
			b[(5 - i) * 8 + j] = (uint8_t)(plain[i] >> (56 - 8 * j));
	TAP_OK(!bls_fp_from_bytes(&t, b), "Fp: p itself is refused as non-canonical");
	b[47] -= 1;
	TAP_OK(bls_fp_from_bytes(&t, b), "Fp: p - 1 is accepted");
	memset(b, 0xff, 48);
	TAP_OK(!bls_fp_from_bytes(&t, b), "Fp: 2^384 - 1 is refused");
	bls_fp_set_zero(&t);
	bls_fp_inv(&t, &t);
	TAP_OK(bls_fp_is_zero(&t), "Fp: inv0(0) = 0");
	bls_fp_set_u64(&t, 1);
	TAP_OK(bls_fp_eq(&t, &bls_one), "Fp: 1 in Montgomery form");
	TAP_OK(bls_p.l[0] * bls_p_inv == UINT64_MAX, "Fp: p * p_inv = -1 mod 2^64");
}

static void test_tower(void)
{
	int ok2 = 1, ok2s = 1, ok12 = 1, okf = 1, squares = 0;
	for (int i = 0; i < 40; i++) {
		fp2 a, b, t, s;
		rnd_fp2(&a);
		bls_fp2_inv(&t, &a);
		bls_fp2_mul(&t, &t, &a);
		bls_fp2_set_one(&s);
		ok2 &= bls_fp2_eq(&t, &s);
		rnd_fp2(&b);
		bls_fp2_mul(&t, &a, &b);
		bls_fp2_mul(&s, &b, &a);
		ok2 &= bls_fp2_eq(&t, &s);
		bls_fp2_sqr(&t, &a);
		bls_fp2_mul(&s, &a, &a);
		ok2 &= bls_fp2_eq(&t, &s);
		ok2s &= bls_fp2_sqrt(&s, &t);
		bls_fp2_sqr(&s, &s);
		ok2s &= bls_fp2_eq(&s, &t);
		if (bls_fp2_sqrt(&s, &a)) {
			squares++;
			bls_fp2_sqr(&s, &s);
			ok2s &= bls_fp2_eq(&s, &a);
		}
		/* elements of Fp are squares in Fp2 */
		bls_fp_set_zero(&a.c1);
		ok2s &= bls_fp2_sqrt(&s, &a);
	}
	TAP_OK(ok2, "Fp2: inverse, commutativity, squaring");
	TAP_OK(ok2s, "Fp2: square roots");
	TAP_OK(squares > 8 && squares < 32, "Fp2: about half the elements are squares (%d/40)", squares);
	for (int i = 0; i < 8; i++) {
		fp12 a, b, t, s;
		rnd_fp12(&a);
		rnd_fp12(&b);
		bls_fp12_inv(&t, &a);
		bls_fp12_mul(&t, &t, &a);
		ok12 &= bls_fp12_is_one(&t);
		bls_fp12_mul(&t, &a, &b);
		bls_fp12_mul(&s, &b, &a);
		ok12 &= bls_fp12_eq(&t, &s);
		bls_fp12_sqr(&t, &a);
		bls_fp12_mul(&s, &a, &a);
		ok12 &= bls_fp12_eq(&t, &s);
		bls_fp12_frob(&t, &a);
		fp12_pow(&s, &a, bls_p.l, 6);
		okf &= bls_fp12_eq(&t, &s);
	}
	TAP_OK(ok12, "Fp12: inverse, commutativity, squaring");
	int okc = 1, oks = 1;
	for (int i = 0; i < 8; i++) {
		fp12 a, g, t, s;
		fp2 c0, c1, c4;
		rnd_fp12(&a);
		/* g = a^((p^6 - 1)(p^2 + 1)) is in the cyclotomic subgroup */
		bls_fp12_inv(&t, &a);
		bls_fp12_conj(&g, &a);
		bls_fp12_mul(&g, &g, &t);
		bls_fp12_frob(&t, &g);
		bls_fp12_frob(&t, &t);
		bls_fp12_mul(&g, &g, &t);
		bls_fp12_cyclotomic_sqr(&t, &g);
		bls_fp12_sqr(&s, &g);
		okc &= bls_fp12_eq(&t, &s);
		bls_fp12_cyclotomic_sqr(&t, &t);
		bls_fp12_sqr(&s, &s);
		okc &= bls_fp12_eq(&t, &s);
		rnd_fp2(&c0);
		rnd_fp2(&c1);
		rnd_fp2(&c4);
		bls_fp12_mul_by_014(&t, &a, &c0, &c1, &c4);
		fp12 l;
		memset(&l, 0, sizeof(l));
		l.c0.c0 = c0;
		l.c0.c1 = c1;
		l.c1.c1 = c4;
		bls_fp12_mul(&s, &a, &l);
		oks &= bls_fp12_eq(&t, &s);
	}
	TAP_OK(okc, "Fp12: cyclotomic squaring equals squaring on the cyclotomic subgroup");
	TAP_OK(oks, "Fp12: sparse multiplication by c0 + c1 v + c4 v w equals the full product");
	TAP_OK(okf, "Fp12: Frobenius equals a^p");
}

/* the first x >= start whose x^3 + b is (want_square) a square in Fp */
static void find_x_g1(fp *x, uint64_t start, bool want_square)
{
	for (uint64_t k = start;; k++) {
		fp t;
		bls_fp_set_u64(x, k);
		bls_fp_sqr(&t, x);
		bls_fp_mul(&t, &t, x);
		bls_fp_add(&t, &t, &bls_b1);
		if (bls_fp_is_square(&t) == want_square)
			return;
	}
}

static void test_g1(void)
{
	g1p g, t, u;
	uint8_t b[48], b2[48];
	uint64_t rm1[4];
	bls_g1_generator(&g);
	TAP_OK(bls_g1_on_curve(&g) && bls_g1_in_subgroup(&g), "G1: generator on the curve, order r");
	bls_g1_dbl(&t, &g);
	bls_g1_add(&u, &g, &g);
	TAP_OK(bls_g1_eq(&t, &u), "G1: 2G = G + G");
	bls_g1_neg(&u, &g);
	bls_g1_add(&u, &u, &g);
	TAP_OK(bls_g1_is_inf(&u), "G1: G - G = O");
	memcpy(rm1, bls_r_order, sizeof(rm1));
	rm1[0] -= 1;
	bls_g1_mul(&t, &g, rm1, 4);
	bls_g1_neg(&u, &g);
	TAP_OK(bls_g1_eq(&t, &u), "G1: [r-1]G = -G");

	bls_g1_compress(b, &g);
	TAP_OK(b[0] == 0x97 && b[1] == 0xf1 && b[47] == 0xbb, "G1: generator encoding 97f1d3..bb");
	int ok = 1;
	for (uint64_t k = 1; k < 12; k++) {
		uint64_t kk = k * 0x9e3779b97f4a7c15ULL;
		bls_g1_mul(&t, &g, &kk, 1);
		bls_g1_compress(b, &t);
		ok &= bls_g1_decompress(&u, b) && bls_g1_eq(&u, &t);
		b[0] ^= 0x20; /* the other y */
		bls_g1_neg(&t, &t);
		ok &= bls_g1_decompress(&u, b) && bls_g1_eq(&u, &t);
	}
	TAP_OK(ok, "G1: compress/decompress round trips, both signs");
	bls_g1_compress(b, &g);
	memcpy(b2, b, 48);
	b2[0] &= 0x7f;
	TAP_OK(!bls_g1_decompress(&u, b2), "G1: compression flag clear refused");
	memset(b2, 0, 48);
	b2[0] = 0xc0;
	TAP_OK(!bls_g1_decompress(&u, b2), "G1: infinity refused");
	b2[0] = 0x80;
	TAP_OK(!bls_g1_decompress(&u, b2), "G1: x = 0 refused (4 is a square but (0, 2) is not in G1)");
	b2[0] = 0xe0;
	b2[47] = 1;
	TAP_OK(!bls_g1_decompress(&u, b2), "G1: infinity flag with a nonzero x refused");
	/* x = p + x0 (same residue as a valid x0) must be refused as non-canonical */
	{
		uint64_t v[6], c = 0;
		uint8_t gx[48];
		uint64_t k = 1;
		g1p m = g;
		for (;;) { /* a multiple of g with x + p < 2^381 */
			bls_g1_compress(gx, &m);
			gx[0] &= 0x1f;
			if (gx[0] < 0x05)
				break;
			k++;
			bls_g1_mul(&m, &g, &k, 1);
		}
		bls_g1_compress(b2, &m);
		TAP_OK(bls_g1_decompress(&u, b2), "G1: [%llu]g decodes", (unsigned long long)k);
		for (int i = 0; i < 6; i++) {
			uint64_t w = 0;
			for (int j = 0; j < 8; j++)
				w = (w << 8) | gx[(5 - i) * 8 + j];
			unsigned __int128 s = (unsigned __int128)w + bls_p.l[i] + c;
			v[i] = (uint64_t)s;
			c = (uint64_t)(s >> 64);
		}
		for (int i = 0; i < 6; i++)
			for (int j = 0; j < 8; j++)
				b2[(5 - i) * 8 + j] = (uint8_t)(v[i] >> (56 - 8 * j));
		TAP_OK((b2[0] & 0xe0) == 0 && c == 0, "G1: x + p fits in 381 bits");
		b2[0] |= 0x80;
		TAP_OK(!bls_g1_decompress(&u, b2), "G1: x + p (non-canonical x) refused");
	}
	fp x, y;
	find_x_g1(&x, 1, false);
	bls_fp_to_bytes(b2, &x);
	b2[0] |= 0x80;
	TAP_OK(!bls_g1_decompress(&u, b2), "G1: x with x^3 + 4 not a square refused");
	find_x_g1(&x, 1, true);
	bls_fp_to_bytes(b2, &x);
	b2[0] |= 0x80;
	{
		fp t2;
		bls_fp_sqr(&t2, &x);
		bls_fp_mul(&t2, &t2, &x);
		bls_fp_add(&t2, &t2, &bls_b1);
		bls_fp_sqrt(&y, &t2);
		bls_g1_from_affine(&t, &x, &y);
	}
	TAP_OK(bls_g1_on_curve(&t) && !bls_g1_in_subgroup(&t), "G1: a curve point outside G1 found");
	TAP_OK(!bls_g1_decompress(&u, b2), "G1: point outside the subgroup refused");
}

static void test_g2(void)
{
	g2p g, t, u;
	uint8_t b[96], b2[96];
	bls_g2_generator(&g);
	TAP_OK(bls_g2_on_curve(&g) && bls_g2_in_subgroup(&g), "G2: generator on the twist, order r");
	bls_g2_dbl(&t, &g);
	bls_g2_add(&u, &g, &g);
	TAP_OK(bls_g2_eq(&t, &u), "G2: 2G = G + G");
	bls_g2_compress(b, &g);
	TAP_OK(b[0] == 0x93 && b[1] == 0xe0 && b[48] == 0x02 && b[95] == 0xb8, "G2: generator encoding 93e02b..b8");
	int ok = 1;
	for (uint64_t k = 1; k < 8; k++) {
		uint64_t kk = k * 0x9e3779b97f4a7c15ULL;
		bls_g2_mul(&t, &g, &kk, 1);
		bls_g2_compress(b, &t);
		ok &= bls_g2_decompress(&u, b) && bls_g2_eq(&u, &t);
		b[0] ^= 0x20;
		bls_g2_neg(&t, &t);
		ok &= bls_g2_decompress(&u, b) && bls_g2_eq(&u, &t);
	}
	TAP_OK(ok, "G2: compress/decompress round trips, both signs");
	bls_g2_compress(b, &g);
	memcpy(b2, b, 96);
	b2[0] &= 0x7f;
	TAP_OK(!bls_g2_decompress(&u, b2), "G2: compression flag clear refused");
	memset(b2, 0, 96);
	b2[0] = 0xc0;
	TAP_OK(!bls_g2_decompress(&u, b2), "G2: infinity refused");
	memcpy(b2, b, 96);
	/* keep x.c1, replace x.c0 by p */
	{
		uint64_t v[6];
		memcpy(v, bls_p.l, sizeof(v));
		for (int i = 0; i < 6; i++)
			for (int j = 0; j < 8; j++)
				b2[48 + (5 - i) * 8 + j] = (uint8_t)(v[i] >> (56 - 8 * j));
	}
	TAP_OK(!bls_g2_decompress(&u, b2), "G2: x.c0 = p refused");
	memcpy(b2, b, 96);
	b2[0] = 0x80 | 0x1a;
	b2[1] = 0x01;
	b2[2] = 0x11; /* x.c1 >= p: top bytes 1a0111 then g's remaining bytes are larger than p's */
	memset(b2 + 3, 0xff, 45);
	TAP_OK(!bls_g2_decompress(&u, b2), "G2: x.c1 >= p refused");
	/* small x = (k, 0): find one off the twist and one on it (then outside G2) */
	int off = 0, outside = 0;
	for (uint64_t k = 1; k < 40 && (!off || !outside); k++) {
		fp2 x, rhs, y;
		bls_fp_set_u64(&x.c0, k);
		bls_fp_set_zero(&x.c1);
		bls_fp2_sqr(&rhs, &x);
		bls_fp2_mul(&rhs, &rhs, &x);
		bls_fp2_add(&rhs, &rhs, &bls_b2);
		memset(b2, 0, 96);
		bls_fp_to_bytes(b2 + 48, &x.c0);
		b2[0] = 0x80;
		if (!bls_fp2_sqrt(&y, &rhs)) {
			off += !bls_g2_decompress(&u, b2);
		} else {
			bls_g2_from_affine(&t, &x, &y);
			if (bls_g2_on_curve(&t) && !bls_g2_in_subgroup(&t))
				outside += !bls_g2_decompress(&u, b2);
		}
	}
	TAP_OK(off > 0, "G2: x off the twist refused");
	TAP_OK(outside > 0, "G2: twist point outside G2 refused");
}

/* a random point of E(Fp) (x random until x^3 + 4 is a square); mostly outside G1 */
static void rnd_curve_g1(g1p *r)
{
	fp x, y, t;
	do {
		rnd_fp(&x);
		bls_fp_sqr(&t, &x);
		bls_fp_mul(&t, &t, &x);
		bls_fp_add(&t, &t, &bls_b1);
	} while (!bls_fp_sqrt(&y, &t));
	bls_g1_from_affine(r, &x, &y);
}

static void rnd_curve_g2(g2p *r)
{
	fp2 x, y, t;
	do {
		rnd_fp2(&x);
		bls_fp2_sqr(&t, &x);
		bls_fp2_mul(&t, &t, &x);
		bls_fp2_add(&t, &t, &bls_b2);
	} while (!bls_fp2_sqrt(&y, &t));
	bls_g2_from_affine(r, &x, &y);
}

/* the endomorphism membership tests agree with [r]P = O: on random curve points (mostly
 * outside), their pure cofactor parts [r]P, those plus a subgroup point, and subgroup points */
static void test_subgroup(void)
{
	int agree1 = 1, agree2 = 1, in1 = 0, in2 = 0, out1 = 0, out2 = 0;
	g1p g, p, t;
	g2p h, q, u;
	bls_g1_generator(&g);
	bls_g2_generator(&h);
	for (int i = 0; i < 24; i++) {
		uint64_t k = rnd();
		rnd_curve_g1(&p);
		rnd_curve_g2(&q);
		g1p c1[4];
		g2p c2[4];
		c1[0] = p;
		bls_g1_mul(&c1[1], &p, bls_r_order, 4);
		bls_g1_add(&c1[2], &c1[1], &g);
		bls_g1_mul(&c1[3], &g, &k, 1);
		c2[0] = q;
		bls_g2_mul(&c2[1], &q, bls_r_order, 4);
		bls_g2_add(&c2[2], &c2[1], &h);
		bls_g2_mul(&c2[3], &h, &k, 1);
		for (int j = 0; j < 4; j++) {
			bool f1 = bls_g1_in_subgroup(&c1[j]), s1 = bls_g1_in_subgroup_by_order(&c1[j]);
			bool f2 = bls_g2_in_subgroup(&c2[j]), s2 = bls_g2_in_subgroup_by_order(&c2[j]);
			agree1 &= f1 == s1 && bls_g1_on_curve(&c1[j]);
			agree2 &= f2 == s2 && bls_g2_on_curve(&c2[j]);
			in1 += s1;
			out1 += !s1;
			in2 += s2;
			out2 += !s2;
		}
	}
	TAP_OK(agree1, "G1: phi test agrees with [r]P = O (%d in, %d out)", in1, out1);
	TAP_OK(agree2, "G2: psi test agrees with [r]Q = O (%d in, %d out)", in2, out2);
	TAP_OK(out1 >= 48 && out2 >= 48 && in1 >= 24 && in2 >= 24, "both kinds of points were tried");
	/* (0, 2) has order 3: alone and added to G it is outside G1 */
	fp x0, y2;
	bls_fp_set_zero(&x0);
	bls_fp_set_u64(&y2, 2);
	bls_g1_from_affine(&t, &x0, &y2);
	bls_g1_add(&p, &t, &g);
	TAP_OK(bls_g1_on_curve(&t) && !bls_g1_in_subgroup(&t) && !bls_g1_in_subgroup(&p),
	       "G1: the 3-torsion point (0, 2) and G + (0, 2) are refused");
	bls_g2_neg(&u, &h);
	TAP_OK(bls_g2_in_subgroup(&u), "G2: -G is in G2");
}

static void test_pairing(void)
{
	g1p g, a;
	g2p h, b;
	fp12 e1, e2, e3;
	uint64_t ka = 0x1234567890abcdefULL, kb = 0xfedcba0987654321ULL;
	bls_g1_generator(&g);
	bls_g2_generator(&h);
	bls_pairing(&e1, &g, &h, 1);
	TAP_OK(!bls_fp12_is_one(&e1), "pairing: e(g1, g2) != 1");
	fp12_pow(&e2, &e1, bls_r_order, 4);
	TAP_OK(bls_fp12_is_one(&e2), "pairing: e(g1, g2)^r = 1");
	bls_g1_mul(&a, &g, &ka, 1);
	bls_g2_mul(&b, &h, &kb, 1);
	bls_pairing(&e2, &a, &b, 1);
	fp12_pow(&e3, &e1, &ka, 1);
	fp12_pow(&e3, &e3, &kb, 1);
	TAP_OK(bls_fp12_eq(&e2, &e3), "pairing: e([a]g1, [b]g2) = e(g1, g2)^ab");
	g1p ps[2] = {a, g};
	g2p qs[2];
	bls_g2_neg(&qs[0], &h);
	bls_g2_mul(&qs[1], &h, &ka, 1);
	bls_pairing(&e2, ps, qs, 2);
	TAP_OK(bls_fp12_is_one(&e2), "pairing: e([a]g1, -g2) e(g1, [a]g2) = 1");
	bls_g2_mul(&qs[1], &h, &kb, 1);
	bls_pairing(&e2, ps, qs, 2);
	TAP_OK(!bls_fp12_is_one(&e2), "pairing: e([a]g1, -g2) e(g1, [b]g2) != 1");
}

static const char dst[] = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

static void sign(uint8_t sig[48], uint8_t pk[96], const uint64_t sk[4], const uint8_t *msg, size_t len)
{
	g1p h;
	g2p q;
	bls_hash_to_g1(&h, msg, len, (const uint8_t *)dst, sizeof(dst) - 1);
	bls_g1_mul(&h, &h, sk, 4);
	bls_g1_compress(sig, &h);
	bls_g2_generator(&q);
	bls_g2_mul(&q, &q, sk, 4);
	bls_g2_compress(pk, &q);
}

static void test_verify(void)
{
	uint8_t sig[48], pk[96], sig2[48], pk2[96], bad[96];
	uint64_t sk[4] = {rnd(), rnd(), rnd(), rnd() >> 4}, sk2[4] = {rnd(), rnd(), rnd(), rnd() >> 4};
	const uint8_t msg[] = "icarc test message";
	sign(sig, pk, sk, msg, sizeof(msg));
	TAP_IS(ic_bls_verify(sig, pk, msg, sizeof(msg)), 1, "verify: a fresh signature verifies");
	TAP_IS(ic_bls_verify(sig, pk, msg, sizeof(msg) - 1), 0, "verify: another message fails");
	sign(sig2, pk2, sk2, msg, sizeof(msg));
	TAP_IS(ic_bls_verify(sig2, pk, msg, sizeof(msg)), 0, "verify: another key's signature fails");
	TAP_IS(ic_bls_verify(sig, pk2, msg, sizeof(msg)), 0, "verify: another key fails");
	sign(sig2, pk2, sk, NULL, 0);
	TAP_IS(ic_bls_verify(sig2, pk2, NULL, 0), 1, "verify: the empty message (NULL, 0) works");
	TAP_IS(ic_bls_verify(sig2, pk2, (const uint8_t *)"", 0), 1, "verify: the empty message (\"\", 0) works");
	TAP_IS(ic_bls_verify(NULL, pk, msg, 1), 0, "verify: NULL signature");
	TAP_IS(ic_bls_verify(sig, NULL, msg, 1), 0, "verify: NULL key");
	TAP_IS(ic_bls_verify(sig, pk, NULL, 1), 0, "verify: NULL message with a length");
	memset(bad, 0, sizeof(bad));
	bad[0] = 0xc0;
	TAP_IS(ic_bls_verify(bad, pk, msg, sizeof(msg)), 0, "verify: infinity signature refused");
	TAP_IS(ic_bls_verify(sig, bad, msg, sizeof(msg)), 0, "verify: infinity key refused");
	/* the secret 0 gives infinity twice: still refused */
	uint64_t zero[4] = {0, 0, 0, 0};
	sign(sig2, pk2, zero, msg, sizeof(msg));
	TAP_IS(ic_bls_verify(sig2, pk2, msg, sizeof(msg)), 0, "verify: key and signature both infinity refused");
	/* -sig under -pk is a valid pair for the equation only if both flip: flip one */
	memcpy(sig2, sig, 48);
	sig2[0] ^= 0x20;
	TAP_IS(ic_bls_verify(sig2, pk, msg, sizeof(msg)), 0, "verify: negated signature fails");
	memcpy(pk2, pk, 96);
	pk2[0] ^= 0x20;
	TAP_IS(ic_bls_verify(sig, pk2, msg, sizeof(msg)), 0, "verify: negated key fails");
	TAP_IS(ic_bls_verify(sig2, pk2, msg, sizeof(msg)), 1, "verify: negated signature under the negated key verifies");
}

int main(void)
{
	test_fp();
	test_tower();
	test_g1();
	test_g2();
	test_subgroup();
	test_pairing();
	test_verify();
	return tap_done();
}
