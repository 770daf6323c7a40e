/*
 * pair_kx.h - additions to the pair harness for key-exchange, client-authentication and SSL 2.0
 * tests: a record hook that lists the SSL 3.0 handshake messages and plaintext alerts each side sent
 * and can edit one message (fixing the record and message lengths) or append a forged record after
 * one; certificate chains from several tests/data files; a recording SSLCheckCertificateFunc; and an
 * SSL 2.0 record splitter for scripted peers. Nothing here changes pair.c's behaviour.
 */
#ifndef SSLREF_TEST_PAIR_KX_H
#define SSLREF_TEST_PAIR_KX_H

#include <stddef.h>
#include <stdint.h>
#include "pair.h"

#define PKX_AL(level, desc) ((uint16_t)((level) << 8 | (desc)))
#define PKX_FATAL(desc) PKX_AL(2, desc)
enum { PKX_UNEXPECTED = 10, PKX_HS_FAILURE = 40, PKX_NO_CERT = 41, PKX_BAD_CERT = 42,
       PKX_ILLEGAL = 47 };

/* Edit a handshake message body in place: *len may change up to cap. */
typedef void (*pkx_edit_fn)(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref);

struct pkx_mitm {
    struct pair *p;
    /* what was seen, per sending side, until that side's ChangeCipherSpec */
    uint8_t types[2][32];   /* handshake message types in order */
    int ntypes[2];
    uint16_t alerts[2][8];  /* plaintext alerts (level << 8 | description) */
    int nalerts[2];
    int ccs[2];
    uint8_t ske[2048];      /* the last ServerKeyExchange body seen (before any edit) */
    size_t ske_len;
    /* action: edit message @type sent by @from */
    int from;
    uint8_t type;
    pkx_edit_fn edit;
    void *edit_ref;
    int edited;
    int drop;               /* with @from and @type and no edit: remove that message */
    int dropped;
    /* a copy of the first message @cap_type sent by @cap_from (body only) */
    int cap_from;
    uint8_t cap_type;
    uint8_t cap[4096];
    size_t cap_len;
    int captured;
    /* action: after message @after_type from @from, append these bytes (whole records) */
    uint8_t after_type;
    const uint8_t *inject;
    size_t inject_len;
    int injected;
};
void pkx_mitm_init(struct pkx_mitm *m, struct pair *p);
/* Init @m to edit the first message @type sent by @from with @edit (@ref passed on) and, if @c is
 * not NULL, make it @c's hook. */
void pkx_mitm_edit(struct pkx_mitm *m, struct pair *p, struct pair_config *c, int from,
                   uint8_t type, pkx_edit_fn edit, void *ref);
/* Init @m to append the whole records @rec (@n bytes) after message @after_type from @from, as
 * @c's hook. */
void pkx_mitm_inject(struct pkx_mitm *m, struct pair *p, struct pair_config *c, int from,
                     uint8_t after_type, const uint8_t *rec, size_t n);
/* The pair_hook_fn: set c.hook = pkx_hook, c.hook_ref = &mitm. */
int pkx_hook(int from, uint32_t index, struct pair_rec *r, void *ref);
/* 1 if the types seen from @side equal want[0..n). */
int pkx_types_eq(const struct pkx_mitm *m, int side, const uint8_t *want, int n);
/* The types seen from @side as text ("2 11 12 14"), for messages. */
const char *pkx_types_str(const struct pkx_mitm *m, int side, char *buf, size_t cap);

/* Add the certificates of the named tests/data PEM files, in order, to ctx's chain. */
SSLErr pkx_add_chain(SSLContext *ctx, const char *const *files, int n);
/* The DER of the @index-th certificate in tests/data file @name (malloc; NULL on failure). */
uint8_t *pkx_cert_der(const char *name, int index, uint32_t *len);

/* A recording SSLCheckCertificateFunc. */
struct pkx_seen {
    int calls;
    int count;            /* certCount of the last call */
    uint8_t leaf[4096];   /* derCerts[0] of the last call */
    uint32_t leaf_len;
    SSLErr ret;           /* what to return */
};
SSLErr pkx_check_cert(int certCount, SSLBuffer *derCerts, void *ref);

/* Split an SSL 2.0 byte stream into records: the header length (2 or 3) and body length of the
 * record at @p (n bytes available); 0 if incomplete. */
size_t pkx_v2_record(const uint8_t *p, size_t n, size_t *hdr, size_t *body, size_t *pad);

/* TLS 1.2 ServerKeyExchange tests: sign msg[0..params) (the server's params as edited) the way
 * the server does (RFC 5246 §7.4.3: @scheme's hash over both randoms and the params) with the
 * server context's key, and write scheme, length and signature after them. Returns the message
 * length, or 0 if @cap is too small or the scheme or signing fails. */
size_t pkx_ske_sign12(SSLContext *server, uint16_t scheme, uint8_t *msg, size_t params,
                      size_t cap);

#endif
