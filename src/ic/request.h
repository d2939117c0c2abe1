/* request.h - request content, request ids (representation-independent hash), envelopes and
 * the domain separators of the IC (ic-protocol.md §1.2, §2). */
#ifndef ICARC_IC_REQUEST_H
#define ICARC_IC_REQUEST_H
#include <stddef.h>
#include <stdint.h>

#include "ic/buf.h"
#include "ic/cbor.h"
#include "ic/principal.h"

struct ic_identity;

#define IC_SEP_REQUEST "\x0a" "ic-request"
#define IC_SEP_REQUEST_LEN 11U
#define IC_SEP_RESPONSE "\x0b" "ic-response"
#define IC_SEP_RESPONSE_LEN 12U
#define IC_SEP_STATE_ROOT "\x0d" "ic-state-root"
#define IC_SEP_STATE_ROOT_LEN 14U

enum ic_request_type { IC_REQ_CALL, IC_REQ_QUERY, IC_REQ_READ_STATE };

struct ic_label {
	const uint8_t *p;
	size_t len;
};
struct ic_path {
	const struct ic_label *labels;
	size_t n;
};

struct ic_request {
	enum ic_request_type type;
	struct ic_principal canister_id; /* call, query; the management canister is the empty principal */
	const char *method;              /* call, query */
	const uint8_t *arg;              /* call, query: Candid */
	size_t arg_len;
	struct ic_principal sender;
	uint64_t ingress_expiry; /* ns since the epoch */
	uint8_t nonce[32];
	size_t nonce_len;             /* 0: no nonce */
	const struct ic_path *paths;  /* read_state */
	size_t npaths;
};

/* The representation-independent hash of CBOR item i (blob, text, uint, negative int, array,
 * map). 0 ok, -1 for other types (tags inside, simple values). */
int ic_hash_of_value(const struct ic_cbor_doc *d, size_t i, uint8_t out[32]);

/* The hash a node signs for a query response (spec §Query call): hash_of_map of the
 * response's status and reply (or reject_code, reject_message, error_code) plus timestamp and
 * request_id. resp is the (untagged) response map. 0 ok, -1 malformed. */
int ic_query_response_hash(const struct ic_cbor_doc *d, size_t resp, const uint8_t rid[32], uint64_t timestamp,
                           uint8_t out[32]);

/* Encode the content map (keys in the order the official agents write them). */
void ic_request_encode_content(const struct ic_request *r, struct ic_buf *out);
/* The request id of the content. 0 ok, -1 out of memory. */
int ic_request_id(const struct ic_request *r, uint8_t rid[32]);

/* Build the signed envelope #6.55799({content, sender_pubkey, sender_sig}) (anonymous: content
 * only). r->sender must already be the identity's principal. 0 ok, -1 error (message in err). */
int ic_envelope_build(const struct ic_request *r, const struct ic_identity *id, struct ic_buf *out,
                      uint8_t rid[32], char *err, size_t errlen);

/* ingress_expiry for "now" (ns): now + ttl, rounded down to the minute when that still leaves at
 * least 60 s, else to the second (as agent-js does). */
uint64_t ic_ingress_expiry(uint64_t now_ns, uint64_t ttl_ns);
#endif
