#!/usr/bin/env python3
"""Generate src/ic/bls12381_const.c: the BLS12-381 constants as 6x64-bit Montgomery limbs.

Usage: python3 tests/bls/gen_constants.py > src/ic/bls12381_const.c

Sources (facts, not code):
  p, r, x, b, generators: draft-irtf-cfrg-pairing-friendly-curves-11 section 4.2.1 (BLS12_381)
  A', B', Z, h_eff:       RFC 9380 section 8.8.1
  11-isogeny constants:   RFC 9380 Appendix E.2 (tests/bls/iso11_g1.txt)
Everything derived (Montgomery forms, Frobenius coefficients) is computed here and
checked (generators on the curve and of order r) before anything is printed.
"""
import os
import re
import sys

P = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab
R_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
X_ABS = 0xd201000000010000  # the curve parameter is x = -X_ABS
H_EFF = 0xd201000000010001
G1X = 0x17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb
G1Y = 0x08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1
G2X = (0x024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8,
       0x13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e)
G2Y = (0x0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801,
       0x0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be)
SSWU_A = 0x144698a3b8e9433d693a02c96d4982b0ea985383ee66a8d8e8981aefd881ac98936f8da0e0f97f5cf428082d584c1d
SSWU_B = 0x12e2908d11688030018b12e8753eee3b2016c1f0f24f4070a0b9c14fcef35ef55a23215a316ceaa5d1cc48e98e172be0
SSWU_Z = 11
RM = 1 << 384


# Fp2 = Fp[u]/(u^2 + 1) as pairs
def f2mul(a, b):
	return ((a[0] * b[0] - a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)


def f2add(a, b):
	return ((a[0] + b[0]) % P, (a[1] + b[1]) % P)


def f2pow(a, e):
	r = (1, 0)
	while e:
		if e & 1:
			r = f2mul(r, a)
		a = f2mul(a, a)
		e >>= 1
	return r


def f2inv(a):
	n = pow(a[0] * a[0] + a[1] * a[1], P - 2, P)
	return (a[0] * n % P, -a[1] * n % P)


# affine points on y^2 = x^3 + b over Fp2 (Fp embedded as (c, 0)); None is infinity
def padd(p1, p2):
	if p1 is None:
		return p2
	if p2 is None:
		return p1
	(x1, y1), (x2, y2) = p1, p2
	if x1 == x2:
		if f2add(y1, y2) == (0, 0):
			return None
		lam = f2mul(f2mul((3, 0), f2mul(x1, x1)), f2inv(f2add(y1, y1)))
	else:
		lam = f2mul(f2add(y2, (-y1[0] % P, -y1[1] % P)), f2inv(f2add(x2, (-x1[0] % P, -x1[1] % P))))
	x3 = f2add(f2mul(lam, lam), (-(x1[0] + x2[0]) % P, -(x1[1] + x2[1]) % P))
	y3 = f2add(f2mul(lam, f2add(x1, (-x3[0] % P, -x3[1] % P))), (-y1[0] % P, -y1[1] % P))
	return (x3, y3)


def pmul(pt, k):
	acc = None
	while k:
		if k & 1:
			acc = padd(acc, pt)
		pt = padd(pt, pt)
		k >>= 1
	return acc


def on_curve(pt, b):
	x, y = pt
	return f2mul(y, y) == f2add(f2mul(f2mul(x, x), x), b)


def limbs(v):
	return [(v >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(6)]


def mont(v):
	return limbs(v * RM % P)


def c_fp(v, indent='\t'):
	return indent + '{{' + ', '.join('0x%016xULL' % w for w in mont(v)) + '}}'


def c_raw(v):
	return '{' + ', '.join('0x%016xULL' % w for w in limbs(v)) + '}'


def main():
	here = os.path.dirname(os.path.abspath(__file__))
	ks = {}
	with open(os.path.join(here, 'iso11_g1.txt')) as f:
		for line in f:
			m = re.match(r'k_\((\d),(\d+)\) = (0x[0-9a-f]+)', line)
			if m:
				ks[(int(m.group(1)), int(m.group(2)))] = int(m.group(3), 16)
	counts = {1: 12, 2: 10, 3: 16, 4: 15}
	for i, n in counts.items():
		assert all((i, j) in ks for j in range(n)), i
	assert len(ks) == 53

	# checks of the facts before printing anything
	assert pow(2, P - 1, P) == 1 and P % 4 == 3
	assert R_ORDER == X_ABS ** 4 - X_ABS ** 2 + 1
	assert P == ((X_ABS + 1) ** 2 * R_ORDER) // 3 - X_ABS
	g1 = ((G1X, 0), (G1Y, 0))
	g2 = (G2X, G2Y)
	assert on_curve(g1, (4, 0)) and pmul(g1, R_ORDER) is None
	assert on_curve(g2, (4, 4)) and pmul(g2, R_ORDER) is None
	xi = (1, 1)
	g_v1 = f2pow(xi, (P - 1) // 3)
	g_v2 = f2pow(xi, 2 * (P - 1) // 3)
	g_w = f2pow(xi, (P - 1) // 6)
	inv_neg_p = (-pow(P, -1, 1 << 64)) % (1 << 64)

	# endomorphisms for the subgroup checks (Scott, ePrint 2021/1130): on G1 phi(x, y) =
	# (beta x, y) acts as [-x^2] for one primitive cube root of unity beta; on G2
	# psi(x, y) = (conj(x) / xi^((p-1)/3), conj(y) / xi^((p-1)/2)) acts as [x] = -[X_ABS].
	def neg(pt):
		return (pt[0], ((-pt[1][0]) % P, (-pt[1][1]) % P))
	w3 = pow(2, (P - 1) // 3, P)
	assert w3 != 1
	beta = [b for b in (w3, w3 * w3 % P) if ((g1[0][0] * b % P, 0), g1[1]) == neg(pmul(g1, X_ABS * X_ABS))]
	assert len(beta) == 1
	beta = beta[0]
	psi_cx = f2inv(f2pow(xi, (P - 1) // 3))
	psi_cy = f2inv(f2pow(xi, (P - 1) // 2))
	psi_g2 = (f2mul((g2[0][0], -g2[0][1] % P), psi_cx), f2mul((g2[1][0], -g2[1][1] % P), psi_cy))
	assert psi_g2 == neg(pmul(g2, X_ABS))

	o = []
	o.append('/* bls12381_const.c - BLS12-381 constants in Montgomery form (R = 2^384).')
	o.append(' * GENERATED by tests/bls/gen_constants.py (which checks them); do not edit by hand.')
	o.append(' * Sources: draft-irtf-cfrg-pairing-friendly-curves-11 4.2.1 (p, r, generators),')
	o.append(' * RFC 9380 8.8.1 (A\', B\', Z) and Appendix E.2 (11-isogeny constants). */')
	o.append('#include "ic/bls12381_const.h"')
	o.append('')
	o.append('const uint64_t bls_p_inv = 0x%016xULL; /* -p^-1 mod 2^64 */' % inv_neg_p)
	o.append('const fp bls_p = {%s};' % c_raw(P))
	o.append('const fp bls_p_minus_1_half = {%s};' % c_raw((P - 1) // 2))
	o.append('const fp bls_one = {%s}; /* R mod p */' % c_raw(RM % P))
	o.append('const fp bls_r2 = {%s}; /* R^2 mod p */' % c_raw(RM * RM % P))
	o.append('const fp bls_r3 = {%s}; /* R^3 mod p */' % c_raw(RM * RM * RM % P))
	o.append('const uint64_t bls_exp_p_minus_2[6] = %s;' % c_raw(P - 2))
	o.append('const uint64_t bls_exp_p_plus_1_quarter[6] = %s;' % c_raw((P + 1) // 4))
	o.append('const uint64_t bls_exp_p_minus_1_half[6] = %s;' % c_raw((P - 1) // 2))
	o.append('const uint64_t bls_r_order[4] = {%s};' % ', '.join(
		'0x%016xULL' % ((R_ORDER >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4)))
	o.append('')

	def fp_item(name, v, comment=''):
		o.append('const fp %s =%s' % (name, (' /* %s */' % comment) if comment else ''))
		o.append(c_fp(v, '\t') + ';')

	def fp2_item(name, v, comment=''):
		o.append('const fp2 %s = {%s' % (name, (' /* %s */' % comment) if comment else ''))
		o.append(c_fp(v[0], '\t') + ',')
		o.append(c_fp(v[1], '\t') + '};')

	fp_item('bls_b1', 4, 'b = 4')
	fp2_item('bls_b2', (4, 4), "b' = 4(1+u)")
	fp2_item('bls_b2_x3', (12, 12), "3b'")
	fp_item('bls_g1_x', G1X)
	fp_item('bls_g1_y', G1Y)
	fp2_item('bls_g2_x', G2X)
	fp2_item('bls_g2_y', G2Y)
	fp2_item('bls_frob_v1', g_v1, 'xi^((p-1)/3)')
	fp2_item('bls_frob_v2', g_v2, 'xi^(2(p-1)/3)')
	fp2_item('bls_frob_w', g_w, 'xi^((p-1)/6)')
	fp_item('bls_g1_beta', beta, 'cube root of 1: (beta x, y) = [-x^2](x, y) on G1')
	fp2_item('bls_psi_cx', psi_cx, 'xi^-((p-1)/3)')
	fp2_item('bls_psi_cy', psi_cy, 'xi^-((p-1)/2)')
	fp_item('bls_sswu_a', SSWU_A, "A'")
	fp_item('bls_sswu_b', SSWU_B, "B'")
	fp_item('bls_sswu_z', SSWU_Z, 'Z = 11')
	fp_item('bls_sswu_minus_b_over_a', -SSWU_B * pow(SSWU_A, P - 2, P) % P, "-B'/A'")
	fp_item('bls_sswu_b_over_za', SSWU_B * pow(SSWU_Z * SSWU_A, P - 2, P) % P, "B'/(Z A')")
	names = {1: 'bls_iso_xnum', 2: 'bls_iso_xden', 3: 'bls_iso_ynum', 4: 'bls_iso_yden'}
	for i, n in counts.items():
		o.append('const fp %s[%d] = { /* k_(%d,0) .. k_(%d,%d) */' % (names[i], n, i, i, n - 1))
		for j in range(n):
			o.append(c_fp(ks[(i, j)], '\t') + ',')
		o.append('};')
	sys.stdout.write('\n'.join(o) + '\n')


main()
