/* certificate.h - IC certificates (ic-protocol.md §5): decoding, delegation, canister ranges in
 * the sharded and legacy forms, freshness, and the BLS signature check (through ic_bls_verify,
 * src/ic/bls.h, in one place: cert_signature_ok in certificate.c). Request status lookup. */
#ifndef ICARC_IC_CERTIFICATE_H
#define ICARC_IC_CERTIFICATE_H
#include <stddef.h>
#include <stdint.h>

#include "ic/cbor.h"
#include "ic/principal.h"

#define IC_ROOT_KEY_DER_LEN 133U
#define IC_BLS_DER_PREFIX_LEN 37U
extern const uint8_t ic_bls_der_prefix[IC_BLS_DER_PREFIX_LEN];
extern const uint8_t ic_mainnet_root_key[96]; /* agent-rs IC_ROOT_KEY, raw */

/* A decoded certificate; it borrows the input bytes (keep them alive). */
struct ic_cert {
	struct ic_cbor_doc doc;
	size_t tree;
	const uint8_t *sig; /* 48 bytes */
	int delegated;
	struct ic_principal subnet_id; /* delegation.subnet_id */
	struct ic_cbor_doc ddoc;       /* the delegation's certificate */
	size_t dtree;
	const uint8_t *dsig;
};

int ic_cert_decode(struct ic_cert *c, const uint8_t *p, size_t n, char *err, size_t errlen);
void ic_cert_free(struct ic_cert *c);
/* /time of the certificate (ns). 0 ok, -1 absent or malformed. */
int ic_cert_time(const struct ic_cert *c, uint64_t *ns);

/* Signatures already verified: the IC signs one state root per round (block) and every request
 * replied in that round gets a certificate with the same root hash and the same signature (and
 * the same delegation), so a reader with many calls in flight sees each (key, signature, root)
 * several times. A certificate whose recomputed root hash, signature and key are byte for byte a
 * triple that ic_bls_verify accepted before is accepted without pairing again: the same inputs to
 * the same deterministic check. Only successes are kept; the root hash is always recomputed from
 * the certificate's own tree. One owner thread (an agent). */
#define IC_SIG_CACHE_SLOTS 32U
struct ic_sig_cache {
	struct {
		uint8_t key[96], sig[48], root[32];
	} e[IC_SIG_CACHE_SLOTS];
	unsigned n, next;
	uint64_t hits, misses; /* misses: pairings done */
};

struct ic_cert_policy {
	const uint8_t *root_key; /* 96-byte BLS public key (raw, without the DER prefix) */
	struct ic_sig_cache *cache; /* NULL: every signature is paired */
	int subnet_target;       /* 0: target is the effective canister id; 1: the effective subnet id */
	struct ic_principal target;
	int check_time;          /* 0 only for recorded test vectors */
	uint64_t now_ns;
	uint64_t max_age_ns;     /* default 5 min */
	uint64_t max_future_ns;  /* default 5 min */
	uint64_t max_delegation_age_ns; /* default 30 days */
};
void ic_cert_policy_init(struct ic_cert_policy *p, const uint8_t *root_key, uint64_t now_ns);

/* Verify the certificate: delegation (inner certificate signed by the root key, subnet key
 * found, canister in the subnet's ranges or subnet id equal to the target), the BLS signature
 * over "\x0Dic-state-root" || root hash, and freshness. 0 ok; -1 with a message. */
int ic_cert_verify(const struct ic_cert *c, const struct ic_cert_policy *p, char *err, size_t errlen);

/* The id of the subnet that signed the certificate (delegation or, without one, the root
 * subnet: self-authenticating id of the root key's DER). */
void ic_cert_signing_subnet(const struct ic_cert *c, const uint8_t root_key[96], struct ic_principal *out);

/* A range of canister ids [start, end] (inclusive, in the principals' byte order). */
struct ic_canister_range {
	struct ic_principal start, end;
};
/* The canister ranges certified for the subnet that signed c (see ic_cert_signing_subnet), from
 * its delegation or, without one, from c's own tree: every shard of /canister_ranges/<sid>/ that is
 * not pruned, or else legacy /subnet/<sid>/canister_ranges. Appended to *out (*n entries, realloc'd;
 * the caller frees). May be incomplete (pruned shards) or empty: a canister not found in them may
 * still be on the subnet. Meaningful only for a certificate that ic_cert_verify accepted.
 * 0 ok; -1 malformed ranges or out of memory, with a message. */
int ic_cert_canister_ranges(const struct ic_cert *c, const uint8_t root_key[96], struct ic_canister_range **out,
                            size_t *n, char *err, size_t errlen);
/* 1 if id is in one of the n ranges. */
int ic_canister_ranges_has(const struct ic_canister_range *r, size_t n, const struct ic_principal *id);

/* Request status (spec §Request status). */
enum ic_request_state {
	IC_STATUS_UNKNOWN, /* not (yet) in the state tree */
	IC_STATUS_RECEIVED,
	IC_STATUS_PROCESSING,
	IC_STATUS_REPLIED,
	IC_STATUS_REJECTED,
	IC_STATUS_DONE
};
struct ic_request_status {
	enum ic_request_state state;
	const uint8_t *reply; /* REPLIED: Candid bytes, into the certificate's input (zero copy) */
	size_t reply_len;
	uint64_t reject_code;  /* REJECTED */
	const char *reject_message;
	size_t reject_message_len;
	const char *error_code; /* may be NULL */
	size_t error_code_len;
};
/* 0 ok (including UNKNOWN); -1 if the tree cannot prove the status (pruned) or is malformed. */
int ic_cert_request_status(const struct ic_cert *c, const uint8_t rid[32], struct ic_request_status *st, char *err,
                           size_t errlen);
#endif
