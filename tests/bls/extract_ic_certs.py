#!/usr/bin/env python3
"""Extract the BLS signature checks from the mainnet certificates in ../shared/vectors/ic-certificates.

Usage: python3 tests/bls/extract_ic_certs.py ../shared/vectors/ic-certificates > tests/bls/ic_cert_sigs.txt

For every read_state body #6.55799({certificate: bytes}) (ic-protocol.md 5.1) this prints two
cases: the delegation certificate, signed with the IC mainnet root key, and the outer certificate,
signed with the subnet key found at /subnet/<subnet_id>/public_key in the delegation's tree. The
signed message is "\\x0dic-state-root" || reconstruct(tree) (5.2, 5.4). Only the standard library
is used: a minimal CBOR reader for the subset certificates use.
"""
import hashlib
import os
import sys

ROOT_KEY = bytes.fromhex(
	'814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae')
DER_PREFIX = bytes.fromhex('308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100')
SEP = b'\x0dic-state-root'


def cbor(b, i=0):
	"""Return (value, next offset); supports uint, bytes, text, array, map, tag, false/true/null."""
	ib = b[i]
	major, info = ib >> 5, ib & 31
	i += 1
	if info < 24:
		n = info
	elif info in (24, 25, 26, 27):
		size = 1 << (info - 24)
		n = int.from_bytes(b[i:i + size], 'big')
		i += size
	else:
		raise ValueError('unsupported CBOR length')
	if major == 0:
		return n, i
	if major in (2, 3):
		v = b[i:i + n]
		return (v if major == 2 else v.decode()), i + n
	if major == 4:
		out = []
		for _ in range(n):
			v, i = cbor(b, i)
			out.append(v)
		return out, i
	if major == 5:
		out = {}
		for _ in range(n):
			k, i = cbor(b, i)
			v, i = cbor(b, i)
			out[k] = v
		return out, i
	if major == 6:
		return cbor(b, i)  # the tag (55799, self-describing) carries no meaning here
	if major == 7 and info in (20, 21, 22):
		return (False, True, None)[info - 20], i  # a null appears in a pruned vector
	raise ValueError('unsupported CBOR major type %d' % major)


def h(data):
	return hashlib.sha256(data).digest()


def reconstruct(t):
	if t[0] == 0:
		return h(b'\x11ic-hashtree-empty')
	if t[0] == 1:
		return h(b'\x10ic-hashtree-fork' + reconstruct(t[1]) + reconstruct(t[2]))
	if t[0] == 2:
		return h(b'\x13ic-hashtree-labeled' + t[1] + reconstruct(t[2]))
	if t[0] == 3:
		return h(b'\x10ic-hashtree-leaf' + t[1])
	if t[0] == 4:
		return t[1]
	raise ValueError('bad tree node')


def lookup(t, path):
	if not path:
		return t[1] if t[0] == 3 else None
	def flat(n):
		if n[0] == 1:
			return flat(n[1]) + flat(n[2])
		return [n]
	for n in flat(t):
		if n[0] == 2 and n[1] == path[0]:
			return lookup(n[2], path[1:])
	return None


def main():
	d = sys.argv[1]
	for name in sorted(os.listdir(d)):
		if not name.endswith('.bin'):
			continue
		body, _ = cbor(open(os.path.join(d, name), 'rb').read())
		cert, _ = cbor(body['certificate'])
		deleg = cert['delegation']
		inner, _ = cbor(deleg['certificate'])
		der = lookup(inner['tree'], [b'subnet', deleg['subnet_id'], b'public_key'])
		assert der is not None and len(der) == 133 and der.startswith(DER_PREFIX), name
		for what, c, key in (('delegation', inner, ROOT_KEY), ('certificate', cert, der[37:])):
			root = reconstruct(c['tree'])
			print('# %s %s, root hash %s' % (name, what, root.hex()))
			print('pk = %s' % key.hex())
			print('sig = %s' % c['signature'].hex())
			print('msg = %s' % (SEP + root).hex())
			print()


main()
