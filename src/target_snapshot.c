/* target_snapshot.c - a snapshot archive into a new canister snapshot, as `icp canister snapshot
 * upload` does it: upload_canister_snapshot_metadata (from the archive's metadata.json), then the
 * wasm module, wasm memory and stable memory in slices of 30 pages (zero pages skipped: the new
 * snapshot reads zero there) and each chunk-store entry with upload_canister_snapshot_data; then, with --load, load_canister_snapshot (with --stop:
 * stopped first and started again after, as `icp canister snapshot restore` users are told). An
 * upload that fails part-way leaves an incomplete snapshot: deleted, unless the network failed,
 * when it is kept for --resume ID, which checks that ID is an upload of this archive's metadata,
 * reads every slice back and sends only those that differ. */
#include "config.h"
#ifdef HAVE_LIBCURL
#include <stdlib.h>
#include <string.h>

#include "push.h"

volatile sig_atomic_t push_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	push_interrupted = 1;
}

void push_interrupt_catch(int on)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? on_signal : SIG_DFL;
	sa.sa_flags = on ? SA_RESETHAND : 0; /* the second Ctrl-C kills */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int push_interrupt_check(void)
{
	static int said;
	if (!push_interrupted)
		return EXIT_OK;
	if (!said++)
		cli_warn("interrupted: the upload stops (a second interrupt stops at once and leaves the snapshot)");
	return EXIT_INTERRUPTED;
}

int push_mgmt(struct push_ctx *p, const char *method, struct ic_buf *arg, struct ic_result **res)
{
	return net_mgmt(p->agent, &p->canister, p->canister_text, method, arg, res);
}

static int sid_call(struct push_ctx *p, const char *method, const uint8_t *sid, size_t sid_len)
{
	struct ic_buf b;
	ic_buf_init(&b);
	if (strcmp(method, "load_canister_snapshot") == 0)
		ic_mgmt_arg_load_snapshot(&b, &p->canister, sid, sid_len);
	else
		ic_mgmt_arg_snapshot(&b, &p->canister, sid, sid_len);
	struct ic_result *r;
	int rc = push_mgmt(p, method, &b, &r);
	ic_buf_free(&b);
	ic_result_free(r);
	return rc;
}

static int snapshot_call(struct push_ctx *p, const char *method)
{
	return sid_call(p, method, p->sid, p->sid_len);
}

/* upload_canister_snapshot_metadata: the new snapshot's id into p->sid. With --replace, the new
 * snapshot is made beside the old one, which is deleted only once the upload is complete (a
 * failed or damaged push then loses nothing); only when the canister already holds as many
 * snapshots as it may is the old one replaced at once, as `icp canister snapshot upload
 * --replace` does (*replaced = 1). */
static int upload_metadata(struct push_ctx *p, const struct ic_snapshot_upload_metadata *m, int *replaced)
{
	static const char method[] = "upload_canister_snapshot_metadata";
	char err[300];
	struct ic_result *r = NULL;
	int rc = EXIT_OK;
	for (int attempt = 0; attempt < 2; attempt++) {
		int with = attempt == 1;
		struct ic_buf b;
		ic_buf_init(&b);
		if (ic_mgmt_arg_upload_snapshot_metadata(&b, &p->canister, with ? p->replace : NULL, with ? p->replace_len : 0,
		                                         m) != 0 ||
		    b.oom) {
			ic_buf_free(&b);
			return cli_fail(EXIT_IO, "out of memory");
		}
		r = net_run(p->agent, IC_OP_CALL, &net_management, &p->canister, method, b.p, b.len);
		ic_buf_free(&b);
		if (attempt == 0 && p->replace && r && r->status == IC_E_REJECTED &&
		    strstr(r->reject_message, "maximum number of snapshots") != NULL) {
			char old[2 * IC_SNAPSHOT_ID_MAX + 1];
			ic_hex(old, p->replace, p->replace_len);
			cli_warn("%s holds as many snapshots as it may: snapshot %s is replaced as the upload begins (if the "
			         "upload fails, it is gone)",
			         p->canister_text, old);
			ic_result_free(r);
			continue;
		}
		*replaced = with;
		break;
	}
	if (r == NULL || r->status != IC_OK) {
		rc = net_fail(r, "%s of %s", method, p->canister_text);
		net_controller_hint(r, p->canister_text);
		net_snapshot_limit_hint(r);
	} else if (ic_mgmt_decode_upload_metadata(r->reply, r->reply_len, p->sid, &p->sid_len, err, sizeof err) != 0) {
		rc = cli_fail(EXIT_REMOTE, "%s of %s: %s", method, p->canister_text, err);
	}
	ic_result_free(r);
	return rc;
}

static int data_request(void *ctx, const struct up_entry *e, uint64_t off, const uint8_t *d, size_t n,
                        struct ic_buf *arg, struct ic_call *c)
{
	struct push_ctx *p = ctx;
	if (ic_mgmt_arg_upload_snapshot_data(arg, &p->canister, p->sid, p->sid_len, snapshot_kind[e->kind], off, d, n) != 0)
		return -1;
	net_mgmt_call_of(c, &p->canister, "upload_canister_snapshot_data", arg);
	return 0;
}

/* --resume: what the snapshot holds, read back to be compared (certified, as a pull reads it) */
static int check_request(void *ctx, const struct up_entry *e, uint64_t off, size_t n, struct ic_buf *arg,
                         struct ic_call *c)
{
	struct push_ctx *p = ctx;
	return snapshot_read_call(&p->canister, p->sid, p->sid_len, e->kind, off, n, e->hash, arg, c);
}

static int check_bytes(void *ctx, const struct ic_result *r, const uint8_t **out, size_t *n)
{
	(void)ctx;
	char err[200];
	return r->certified ? ic_mgmt_decode_chunk(r->reply, r->reply_len, out, n, err, sizeof err) : -1;
}

/* --resume ID: the snapshot must be an upload of this archive's metadata (sizes and certified
 * data); its data is then compared slice by slice. */
static int resume_metadata(struct push_ctx *p, const struct ic_snapshot_upload_metadata *want)
{
	static const char method[] = "read_canister_snapshot_metadata";
	char h[2 * IC_SNAPSHOT_ID_MAX + 1], err[300];
	memcpy(p->sid, p->resume, p->resume_len);
	p->sid_len = p->resume_len;
	ic_hex(h, p->sid, p->sid_len);
	struct ic_buf b;
	ic_buf_init(&b);
	ic_mgmt_arg_snapshot(&b, &p->canister, p->sid, p->sid_len);
	struct ic_result *r;
	int rc = push_mgmt(p, method, &b, &r);
	ic_buf_free(&b);
	if (rc != EXIT_OK) {
		p->sid_len = 0; /* not ours to delete */
		return rc;
	}
	struct ic_arena ar;
	ic_arena_init(&ar, 0);
	struct ic_snapshot_metadata m;
	if (ic_mgmt_decode_snapshot_metadata(r->reply, r->reply_len, &ar, &m, err, sizeof err) != 0) {
		rc = cli_fail(EXIT_REMOTE, "%s of %s, snapshot %s: %s", method, p->canister_text, h, err);
	} else if (m.wasm_module_size != want->wasm_module_size || m.wasm_memory_size != want->wasm_memory_size ||
	           m.stable_memory_size != want->stable_memory_size || m.certified_data_len != want->certified_data_len ||
	           (m.certified_data_len && memcmp(m.certified_data, want->certified_data, m.certified_data_len) != 0)) {
		rc = cli_fail(EXIT_USAGE,
		              "cannot resume: snapshot %s of %s is not an upload of %s (module, memory sizes %llu, %llu, %llu; "
		              "the archive's %llu, %llu, %llu; or its certified data differs)",
		              h, p->canister_text, p->archive, (unsigned long long)m.wasm_module_size,
		              (unsigned long long)m.wasm_memory_size, (unsigned long long)m.stable_memory_size,
		              (unsigned long long)want->wasm_module_size, (unsigned long long)want->wasm_memory_size,
		              (unsigned long long)want->stable_memory_size);
	}
	ic_arena_free(&ar);
	ic_result_free(r);
	if (rc != EXIT_OK)
		p->sid_len = 0;
	return rc;
}

static int find(struct push_ctx *p, const char *name, size_t *idx, uint64_t *size)
{
	int i = icarc_archive_find(p->a, name);
	struct icarc_entry_info info;
	if (i < 0 || icarc_archive_entry(p->a, (size_t)i, &info) != ICARC_OK)
		return cli_fail(EXIT_CORRUPT, "%s has no %s entry", p->archive, name);
	*idx = (size_t)i;
	*size = info.size;
	return EXIT_OK;
}

/* The archive's entries as metadata.json lists them; checked before anything is sent. */
static int plan(struct push_ctx *p, const struct snapdir_meta *sm, struct up_entry *e, char (*names)[80])
{
	for (int k = 0; k < 3; k++) {
		uint64_t size;
		int rc = find(p, snapdir_entry[k], &e[k].index, &size);
		if (rc != EXIT_OK)
			return rc;
		if (size != sm->sizes[k])
			return cli_fail(EXIT_CORRUPT, "%s: entry %s holds %llu bytes, metadata.json says %llu", p->archive,
			                snapdir_entry[k], (unsigned long long)size, (unsigned long long)sm->sizes[k]);
		e[k].size = size;
		e[k].kind = k;
		e[k].name = snapdir_entry[k];
	}
	for (size_t i = 0; i < sm->n_chunks; i++) {
		struct up_entry *c = &e[3 + i];
		char hex[65];
		ic_hex(hex, sm->hashes[i], 32);
		snprintf(names[i], sizeof names[i], "wasm_chunk/%s", hex);
		int rc = find(p, names[i], &c->index, &c->size);
		if (rc != EXIT_OK)
			return rc;
		c->kind = 3;
		c->whole = 1;
		memcpy(c->hash, sm->hashes[i], 32);
		c->name = names[i];
	}
	return EXIT_OK;
}

static int load(struct push_ctx *p)
{
	int rc = EXIT_OK;
	if (p->stop)
		rc = net_canister_call(p->agent, &p->canister, p->canister_text, "stop_canister");
	if (rc == EXIT_OK) {
		rc = snapshot_call(p, "load_canister_snapshot");
		p->loaded = rc == EXIT_OK;
	}
	if (p->stop) { /* start it again, whatever happened */
		int rc2 = net_canister_call(p->agent, &p->canister, p->canister_text, "start_canister");
		if (rc == EXIT_OK)
			rc = rc2;
	}
	return rc;
}

int push_snapshot(struct push_ctx *p)
{
	size_t mi;
	uint64_t msize;
	if (icarc_archive_find(p->a, "metadata.json") < 0)
		return cli_fail(EXIT_USAGE, "%s holds no metadata.json: not a snapshot archive", p->archive);
	int rc = find(p, "metadata.json", &mi, &msize);
	if (rc != EXIT_OK)
		return rc;
	if (msize > SNAPDIR_META_MAX)
		return cli_fail(EXIT_CORRUPT, "%s: metadata.json is too large (%llu bytes)", p->archive,
		                (unsigned long long)msize);
	char *text = malloc((size_t)msize + 1), err[300];
	if (text == NULL)
		return cli_fail(EXIT_IO, "out of memory");
	int st = icarc_archive_read(p->a, mi, 0, text, (size_t)msize);
	if (st < 0) {
		free(text);
		return cli_fail(st == ICARC_E_AUTH ? EXIT_CORRUPT : cli_exit_for(st), "%s: %s", p->archive,
		                icarc_archive_error(p->a));
	}
	struct snapdir_meta sm;
	struct push_meta pm;
	memset(&pm, 0, sizeof pm);
	if (snapdir_meta_parse(text, (size_t)msize, &sm, err, sizeof err) != 0) {
		free(text);
		return cli_fail(EXIT_CORRUPT, "%s: metadata.json: %s", p->archive, err);
	}
	if (push_meta_parse(text, (size_t)msize, &pm, err, sizeof err) != 0)
		rc = cli_fail(EXIT_CORRUPT, "%s: metadata.json: %s", p->archive, err);
	free(text);
	size_t n = 3 + sm.n_chunks;
	struct up_entry *e = calloc(n, sizeof *e);
	char(*names)[80] = calloc(sm.n_chunks + 1, sizeof *names);
	if (rc == EXIT_OK && (e == NULL || names == NULL))
		rc = cli_fail(EXIT_IO, "out of memory");
	if (rc == EXIT_OK)
		rc = plan(p, &sm, e, names);
	/* a load needs a stopped canister: say so before uploading anything */
	if (rc == EXIT_OK && p->load && !p->stop) {
		char s[32];
		rc = net_canister_status(p->agent, &p->canister, p->canister_text, s, sizeof s);
		if (rc == EXIT_OK && strcmp(s, "stopped") != 0)
			rc = cli_fail(EXIT_USAGE,
			              "canister %s is %s: a snapshot is loaded into a stopped canister: stop it first (icp "
			              "canister stop), or pass --stop to stop it for the load and start it again after",
			              p->canister_text, s);
	}
	int replaced = 0;
	/* from here until the upload is complete an interrupt is a clean stop: the snapshot goes */
	push_interrupt_catch(1);
	if (rc == EXIT_OK)
		rc = push_interrupt_check();
	if (rc == EXIT_OK)
		rc = p->resume ? resume_metadata(p, &pm.m) : upload_metadata(p, &pm.m, &replaced);
	if (rc == EXIT_OK) {
		char h[2 * IC_SNAPSHOT_ID_MAX + 1];
		ic_hex(h, p->sid, p->sid_len);
		cli_warn("%s snapshot %s of %s", p->resume ? "finishing the upload into" : "uploading into new", h,
		         p->canister_text);
	}
	if (rc == EXIT_OK) {
		uint64_t total = sm.sizes[0] + sm.sizes[1] + sm.sizes[2];
		for (size_t i = 0; i < sm.n_chunks; i++)
			total += e[3 + i].size;
		progress_init(&p->progress, p->progress.enabled, "push", total);
		/* an uploaded snapshot starts zero: its memories are new PageMaps and its module a zeroed
		 * buffer (dfinity/ic rs/replicated_state/src/canister_snapshots.rs, CanisterSnapshot::
		 * from_metadata; the test replica creates sparse files), so zero pages need not be sent */
		struct up_target t = {data_request, p, UP_SLICE, !p->all_pages, "upload_canister_snapshot_data",
		                      p->resume ? check_request : NULL, check_bytes};
		rc = up_run(p, &t, e, n);
		progress_end(&p->progress);
		char h[2 * IC_SNAPSHOT_ID_MAX + 1];
		ic_hex(h, p->sid, p->sid_len);
		if (rc == EXIT_NETWORK) {
			/* the network, not the archive: what is written stays, for --resume */
			cli_warn("the upload stopped part-way: snapshot %s is INCOMPLETE and kept: run the same command with "
			         "--resume %s to finish it (what is there is read back, only the rest is sent), or delete it "
			         "(icp canister snapshot delete %s %s); nothing was loaded",
			         h, h, p->canister_text, h);
			p->sid_len = 0;
		} else if (rc != EXIT_OK) {
			if (snapshot_call(p, "delete_canister_snapshot") == EXIT_OK)
				cli_warn("the upload stopped part-way: snapshot %s was incomplete and is deleted; nothing was loaded", h);
			else
				cli_warn("the upload stopped part-way: snapshot %s is INCOMPLETE and could not be deleted: delete it "
				         "(icp canister snapshot delete %s %s); nothing was loaded",
				         h, p->canister_text, h);
			p->sid_len = 0;
		}
	}
	push_interrupt_catch(0);
	if (rc == EXIT_OK)
		rc = push_interrupt_check(); /* it came during the last calls: nothing more is done */
	/* --replace: the old snapshot goes only once the new one is complete */
	if (rc == EXIT_OK && p->replace && !replaced) {
		char old[2 * IC_SNAPSHOT_ID_MAX + 1];
		ic_hex(old, p->replace, p->replace_len);
		rc = sid_call(p, "delete_canister_snapshot", p->replace, p->replace_len);
		if (rc != EXIT_OK)
			cli_warn("the new snapshot is complete; snapshot %s was not replaced (not deleted)%s", old,
			         p->load ? ", and the new one is not loaded" : "");
	}
	if (rc == EXIT_OK && p->load)
		rc = load(p);
	snapdir_meta_free(&sm);
	push_meta_free(&pm);
	free(e);
	free(names);
	return rc;
}
#endif
