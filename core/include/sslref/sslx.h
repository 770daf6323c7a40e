/**
 * @file sslx.h
 * @brief sslref extensions to the SSLRef 3.0 API (not part of the 1996 spec).
 *
 * Key, certificate and DH-parameter loading from PEM/DER, the enabled-suite list and its order,
 * names for suites and errors, a key-log hook, and a few status calls the spec lacks.
 * Objects made here (SSLRSAPrivateKey, SSLDHParams) are reference-counted and allocated with
 * malloc, so one key can serve many contexts and threads; SSLSet...Key takes the caller's reference.
 */
#ifndef SSLREF_SSLX_H
#define SSLREF_SSLX_H

#include "ssl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Keys and parameters ------------------------------------------------------------------- */

/** Parse an RSA private key: DER PKCS#1 RSAPrivateKey or PKCS#8 PrivateKeyInfo (unencrypted).
 *  A DSA key (PKCS#8, or OpenSSL's DSAPrivateKey) is accepted too, despite the type's name: given
 *  to SSLSetPrivateKey with a DSA certificate, it makes a server negotiate the DHE-DSS suites
 *  (it signs the ServerKeyExchange; it cannot decrypt, so RSA key exchange is then not offered).
 *  So is an EC key on P-256 or P-384 (SEC 1 ECPrivateKey, RFC 5915, with a namedCurve, or PKCS#8
 *  with id-ecPublicKey): it signs with ECDSA only. A public key in the file must be d * G
 *  (else ASNBadEncodingErr); another curve gives SSLUnsupportedErr. SSLXRSAPrivateKeyBits is 0.
 *  @return SSLNoErr, ASNBadEncodingErr, SSLUnsupportedErr (another algorithm), SSLMemoryErr. */
SSLErr SSLXRSAPrivateKeyFromDER(const uint8 *der, size_t len, SSLRSAPrivateKey **out);
/** The same from PEM text ("RSA PRIVATE KEY", "DSA PRIVATE KEY", "EC PRIVATE KEY" or "PRIVATE
 *  KEY"); the first such block is used (others, such as "EC PARAMETERS", are skipped). */
SSLErr SSLXRSAPrivateKeyFromPEM(const char *pem, size_t len, SSLRSAPrivateKey **out);
/** Take one more reference (for a second SSLSet...Key). Returns @p key. */
SSLRSAPrivateKey *SSLXRSAPrivateKeyRetain(SSLRSAPrivateKey *key);
/** Drop a reference; the last one wipes and frees the key. NULL is ignored. */
void SSLXRSAPrivateKeyFree(SSLRSAPrivateKey *key);
/** Modulus size in bits (DSA: the size of p). */
uint32 SSLXRSAPrivateKeyBits(const SSLRSAPrivateKey *key);

/** Parse PKCS#3 DHParameter (SEQUENCE { p INTEGER, g INTEGER [, l] }), DER or PEM "DH PARAMETERS". */
SSLErr SSLXDHParamsFromDER(const uint8 *der, size_t len, SSLDHParams **out);
SSLErr SSLXDHParamsFromPEM(const char *pem, size_t len, SSLDHParams **out);
SSLDHParams *SSLXDHParamsRetain(SSLDHParams *params);
void SSLXDHParamsFree(SSLDHParams *params);

/**
 * Find the next PEM block with @p label (e.g. "CERTIFICATE") at or after *pos in @p pem, decode it
 * into a malloc'd buffer (*der, *derLen; free() it) and advance *pos past it.
 * @return SSLNoErr, X509DataNotFoundErr when there is no further block, ASNBadEncodingErr, SSLMemoryErr.
 */
SSLErr SSLXPEMDecode(const char *pem, size_t len, size_t *pos, const char *label,
                     uint8 **der, uint32 *derLen);
/** Server: add the subject of the DER certificate @p derCert (a CA the server trusts for client
 *  certificates) to the CertificateRequest's certificate_authorities, like SSLAddDistinguishedName
 *  with that Name. SSL 3.0 and TLS 1.0 require the list not to be empty.
 *  @return SSLNoErr, SSLBadParameterErr, or the certificate's parse error. */
SSLErr SSLXAddDistinguishedNameOf(SSLContext *ctx, SSLBuffer derCert);
/** Add every CERTIFICATE in @p pem to ctx's chain, in file order (leaf first, then its issuers),
 *  marking the last one complete. Errors as SSLAddCertificate, or X509DataNotFoundErr if none. */
SSLErr SSLXAddCertificatesPEM(SSLContext *ctx, const char *pem, size_t len);
/**
 * Server: a second certificate chain and private key, of the other kind than the one set with
 * SSLAddCertificate / SSLSetPrivateKey (an EC key beside an RSA or DSA one, or the reverse), like
 * nginx's second ssl_certificate. Per handshake the server picks the first suite in its order that
 * the client offers and one of its keys can serve: ECDHE_ECDSA suites use the EC chain, the others
 * the RSA (or DSA) chain, and in TLS 1.2 only if the client's signature_algorithms accept a scheme
 * for that key. Every CERTIFICATE in @p pem is added in file order (leaf first) and the chain is
 * checked like SSLAddCertificate's; the leaf must carry @p key's kind of key. On success the context
 * owns @p key (as SSLSetPrivateKey); on failure the caller keeps it. Sessions are bound to both
 * chains. @return SSLNoErr, SSLBadParameterErr (no primary key yet, the same kind as the primary,
 * a second call, a leaf of another kind), or a parse / chain error.
 */
SSLErr SSLXAddIdentityPEM(SSLContext *ctx, const char *pem, size_t len, SSLRSAPrivateKey *key);

/* ---- Suites -------------------------------------------------------------------------------- */

/**
 * Set the enabled SSL 3.0 suites, in preference order (the server picks its first suite that the
 * client offers; the client offers them in this order). Unknown or unimplemented ids give
 * SSLUnsupportedErr and change nothing. The default list: RSA with AES-128, AES-256, 3DES,
 * RC4-SHA, RC4-MD5; DHE-RSA with AES-128, AES-256, 3DES; then single DES. NULL, export and
 * anonymous suites are never enabled by default.
 */
SSLErr SSLXSetCipherSuites(SSLContext *ctx, const uint16 *suites, uint32 count);
/** Copy up to *count enabled suites into @p suites; *count becomes the number enabled. */
SSLErr SSLXGetCipherSuites(SSLContext *ctx, uint16 *suites, uint32 *count);
/** Copy up to @p max ids of the suites this build implements (default preference order first) into
 *  @p suites; returns how many there are in all. */
uint32 SSLXSupportedCipherSuites(uint16 *suites, uint32 max);
/** "SSL_RSA_WITH_RC4_128_MD5" etc.; NULL for a suite this build does not implement. */
const char *SSLXCipherSuiteName(uint16 suite);
/** "SSLProtocolErr" etc.; "unknown" for other values. */
const char *SSLXErrorName(SSLErr err);

/* ---- Status -------------------------------------------------------------------------------- */

/** Non-zero in *resumed if the completed handshake resumed a cached session. */
SSLErr SSLXGetResumed(SSLContext *ctx, int *resumed);
/** The last alert this side sent and received (level << 8 | description), 0 if none. */
SSLErr SSLXGetLastAlerts(SSLContext *ctx, uint16 *sent, uint16 *received);
/** The session ID of the current session (up to 32 bytes); *len becomes its length. */
SSLErr SSLXGetSessionID(SSLContext *ctx, uint8 *id, uint32 *len);

/* ---- TLS 1.0-1.2 ------------------------------------------------------------------------------ */

/** Protocol versions for SSLXSetProtocolVersionRange / SSLXGetNegotiatedProtocolVersion. */
typedef enum SSLXProtocol {
    kSSLProtocolUnknown = 0,
    kSSLProtocol2 = 2,  /**< SSL 2.0 */
    kSSLProtocol3 = 3,  /**< SSL 3.0 */
    kTLSProtocol1 = 4,  /**< TLS 1.0 (RFC 2246) */
    kTLSProtocol11 = 5, /**< TLS 1.1 (RFC 4346) */
    kTLSProtocol12 = 6  /**< TLS 1.2 (RFC 5246) */
} SSLXProtocol;

/**
 * Allow the versions @p min .. @p max (kSSLProtocol2 .. kTLSProtocol12). A range that includes
 * SSL 2.0 behaves like SSL_Version_Undetermined for the 2.0/3.x choice (a client sends an SSL
 * 2.0-format hello); SSL_Version_2_0 is the range {2, 2}. SSLSetProtocolVersion keeps the seed's
 * meaning and sets the matching range: Undetermined = 2..3, 3_0_With_2_0_Hello and 3_0_Only = 3..3,
 * 2_0 = 2..2. A context that never calls either speaks TLS 1.0 .. TLS 1.2.
 * @return SSLNoErr, SSLBadParameterErr (unknown value or min > max). Call before the handshake.
 */
SSLErr SSLXSetProtocolVersionRange(SSLContext *ctx, SSLXProtocol min, SSLXProtocol max);
/** The negotiated version once the hellos are through (kSSLProtocolUnknown before). */
SSLErr SSLXGetNegotiatedProtocolVersion(SSLContext *ctx, SSLXProtocol *version);
/** Offer / accept the extended master secret (RFC 7627; on by default). A session resumes only
 *  with the EMS state it was made with. */
SSLErr SSLXSetExtendedMasterSecret(SSLContext *ctx, int enable);
/** Non-zero in *on if the current handshake used the extended master secret. */
SSLErr SSLXGetExtendedMasterSecret(SSLContext *ctx, int *on);
/** Client: send TLS_FALLBACK_SCSV (RFC 7507), for a connection retried with a lower maximum. */
SSLErr SSLXSetFallback(SSLContext *ctx, int enable);
/** Client: the host name to send in server_name (RFC 6066 §3); NULL or "" sends none. At most 255
 *  bytes. @return SSLNoErr, SSLBadParameterErr. */
SSLErr SSLXSetServerName(SSLContext *ctx, const char *name);
/** Server: the host name the client asked for, NUL-terminated ("" if none), up to @p cap bytes. */
SSLErr SSLXGetServerName(SSLContext *ctx, char *name, size_t cap);
/**
 * Server: called once per handshake with the client's server_name (not called without one),
 * before the certificate is chosen. It may call SSLSetPrivateKey / SSLXAddCertificatesPEM style
 * setters on @p ctx to switch the chain and key for that name (see SSLXReplaceCertificatesPEM).
 * Returning an error ends the handshake with unrecognized_name.
 */
typedef SSLErr (*SSLXServerNameFunc)(SSLContext *ctx, const char *name, void *ref);
SSLErr SSLXSetServerNameFunc(SSLContext *ctx, SSLXServerNameFunc fn, void *ref);
/** Drop the local chain and add the one in @p pem (like SSLXAddCertificatesPEM); for SNI. */
SSLErr SSLXReplaceCertificatesPEM(SSLContext *ctx, const char *pem, size_t len);
/**
 * ALPN (RFC 7301). @p protocols is a comma-separated list ("h2,http/1.1"): a client offers it, a
 * server selects its first entry that the client offered (no overlap: no_application_protocol).
 * NULL or "" turns ALPN off. @return SSLNoErr, SSLBadParameterErr (an empty or over-long name).
 */
SSLErr SSLXSetALPN(SSLContext *ctx, const char *protocols);
/** The negotiated protocol, NUL-terminated ("" if none), up to @p cap bytes. */
SSLErr SSLXGetALPN(SSLContext *ctx, char *protocol, size_t cap);

/* ---- Named groups (RFC 8422 elliptic curves, RFC 7919 finite-field Diffie-Hellman) ---------- */

/** supported_groups codepoints of the elliptic curves (RFC 8422 §5.1.1) for the ECDHE suites. */
#define SSLX_GROUP_SECP256R1 0x0017
#define SSLX_GROUP_SECP384R1 0x0018
#define SSLX_GROUP_X25519 0x001D
/** supported_groups codepoints of the RFC 7919 groups. */
#define SSLX_GROUP_FFDHE2048 0x0100
#define SSLX_GROUP_FFDHE3072 0x0101
#define SSLX_GROUP_FFDHE4096 0x0102
#define SSLX_GROUP_FFDHE6144 0x0103
#define SSLX_GROUP_FFDHE8192 0x0104
#define SSLX_MAX_GROUPS 16
/**
 * The groups this side supports, in preference order (default: x25519 when built in, secp256r1,
 * secp384r1, ffdhe2048, ffdhe3072, ffdhe4096). EC groups serve the ECDHE suites, FFDHE groups the
 * DHE and DH_anon suites; the two kinds may be mixed in any order.
 * A client offers them in supported_groups (TLS only; @p n = 0 sends no extension; the EC groups,
 * with ec_point_formats = uncompressed, only when it offers an ECDHE suite: RFC 8422 §4). A server
 * uses, for an ECDHE suite, its first EC group the client listed (none: no ECDHE suite; no
 * supported_groups at all: secp256r1 if enabled, as RFC 8422 §4 leaves the choice to the server);
 * for a DHE or DH_anon suite, its first FFDHE group the client listed; if the client listed FFDHE
 * groups but none of ours, no DH suite is chosen (RFC 7919 §4); if it listed none (or at SSL 3.0),
 * the SSLSetDHAnonParams parameters, or else our first FFDHE group. Only ffdhe2048, 3072 and 4096
 * are built in: a server never picks 6144 or 8192. @return SSLNoErr, SSLBadParameterErr (an
 * unknown or repeated group, x25519 in a build without it, more than SSLX_MAX_GROUPS). Call
 * before the handshake.
 */
SSLErr SSLXSetGroups(SSLContext *ctx, const uint16 *groups, uint32 n);
/**
 * The group of this handshake's key exchange: for ECDHE the curve (both sides); for DH on a
 * server the FFDHE group it used (0: its SSLSetDHAnonParams parameters), on a client the named
 * group the server's p and g are (0: a custom group). 0 without an ephemeral key exchange. A
 * resumed session reports the group of the handshake that made it (the session cache keeps it).
 */
SSLErr SSLXGetNegotiatedGroup(SSLContext *ctx, uint16 *group);

/* ---- Behaviour switches --------------------------------------------------------------------- */

/** Split CBC application records 1/n-1 (on by default; BEAST countermeasure). */
SSLErr SSLXSetCBCRecordSplitting(SSLContext *ctx, int enable);
/* ---- Session tickets (RFC 5077) ------------------------------------------------------------- */

/**
 * Tickets, TLS 1.0-1.2, on by default. A client offers the session_ticket extension (with the
 * cached session's ticket, if it has one) and keeps a ticket it receives in its session entry,
 * stored through the same SSLAddSessionFunc as always (peer ID key). A server issues tickets only
 * when it also has a key source (SSLXSetTicketKeyFunc), resumes from a valid ticket before it
 * looks at the session ID, and renews a ticket sealed under a key that is no longer the current
 * one. A ticket holds the session sealed with AES-256-GCM (the same fields as a cache entry:
 * version, suite, extended master secret, group, certificate type, the server's binding and the
 * creation time, which a renewal keeps), so a server resumes only what it would from its cache.
 * enable 0 turns them off for this context. @return SSLNoErr or SSLBadParameterErr.
 */
SSLErr SSLXSetSessionTickets(SSLContext *ctx, int enable);
/**
 * Server: the ticket keys. With seal non-zero, fill @p name (16 bytes, public: it is sent in each
 * ticket) and @p key (32 bytes, AES-256-GCM) with the key new tickets are sealed under; with seal
 * 0, fill @p key for the given @p name, or return SSLNoMatchingSessionKeyErr if that key is gone.
 * Any error means "no ticket" (a full handshake), never a failed handshake. Called from any
 * thread: it must be thread safe. sessiondb's SDBTicketKey is one (a rotating key ring shared
 * by the processes, and machines, that share its cache).
 */
typedef SSLErr (*SSLXTicketKeyFunc)(void *ref, int seal, uint8 name[16], uint8 key[32]);
SSLErr SSLXSetTicketKeyFunc(SSLContext *ctx, SSLXTicketKeyFunc fn, void *ref);
/** After the handshake: 0 a full handshake, 1 resumed by session ID, 2 resumed by ticket (a
 *  client says 2 when it offered a ticket: RFC 5077 gives it no way to tell which the server
 *  used when it offered both). */
SSLErr SSLXGetResumedVia(SSLContext *ctx, int *via);

/**
 * Server: whether ChaCha20-Poly1305 suites go ahead of AES ones. With @p mode 1, when the
 * client's own first AEAD suite (in its ClientHello order) is a ChaCha20-Poly1305 one, the server
 * takes its ChaCha20-Poly1305 suites before its AES suites (a client without AES instructions
 * says so by listing ChaCha20 first); otherwise the server's order stands. 0: never. -1 (the
 * default): as 1 when this CPU has no AES instructions (AES-NI), as 0 when it has them: then
 * AES-GCM is the faster choice for the server. @return SSLNoErr or SSLBadParameterErr.
 */
SSLErr SSLXSetChaChaPreference(SSLContext *ctx, int mode);

/* ---- Sessions ------------------------------------------------------------------------------- */

/**
 * Cache keys. The key handed to SSLAddSessionFunc, SSLGetSessionFunc and SSLDeleteSessionFunc is
 * the spec's key (client: the peer ID of SSLSetPeerID; server: the session ID) behind one role
 * byte: SSLX_SESSION_KEY_CLIENT or SSLX_SESSION_KEY_SERVER. A client and a server (or a hostile
 * server that picks a session ID equal to a client's peer ID) sharing one cache never meet; a
 * cache that limits key sizes must allow one more byte than the longest peer ID.
 *
 * The stored session data (opaque, versioned) records the side that made it, the client-certificate
 * policy of SSLSetRequestClientCert (servers), what the session is bound to (the session context,
 * see SSLXSetSessionContext, else the local certificate chain) and its creation time. A session is
 * resumed only where all of these match and it is younger than the session lifetime; otherwise
 * the handshake is a full one (no error). Data stored by an older sslref is never resumed.
 *
 * Caveats: the lifetime is checked with the context's SSLTimeFunc; a time error means no
 * resumption. Creation times up to 60 seconds in the future (clock skew between machines sharing a
 * cache) are accepted.
 */
#define SSLX_SESSION_KEY_CLIENT 0x43 /* 'C' */
#define SSLX_SESSION_KEY_SERVER 0x53 /* 'S' */
/** Default session lifetime: 24 hours, the upper limit RFC 6101 §5.6.1.3 suggests. */
#define SSLX_DEFAULT_SESSION_LIFETIME 86400u
/** Longest session context SSLXSetSessionContext accepts. */
#define SSLX_MAX_SESSION_CONTEXT 32u

/**
 * Seconds a session stays resumable after the full handshake that made it (client and server
 * sides; default SSLX_DEFAULT_SESSION_LIFETIME). Older cached sessions get a full handshake.
 * Set the same (or a longer) lifetime on a session cache, such as SDBOptions::lifetime, or the
 * cache drops entries earlier. Copied by SSLDuplicateContext.
 * @return SSLNoErr; SSLBadParameterErr (not a context, or @p seconds is 0).
 */
SSLErr SSLXSetSessionLifetime(SSLContext *ctx, uint32 seconds);

/**
 * Bind sessions to @p sessionContext (1..SSLX_MAX_SESSION_CONTEXT bytes, copied; like OpenSSL's
 * sid_ctx) instead of to the local certificate chain: only contexts with the same session context
 * (and side and client-certificate policy) resume each other's sessions. Use it to let servers
 * with different certificates share sessions (e.g. across a certificate renewal), or to keep
 * apart services that share a certificate and a cache. Length 0 returns to the default (the
 * local chain). Copied by SSLDuplicateContext.
 * @return SSLNoErr; SSLBadParameterErr (not a context, too long, NULL with a length).
 */
SSLErr SSLXSetSessionContext(SSLContext *ctx, const uint8 *sessionContext, uint32 length);

/* ---- Key log --------------------------------------------------------------------------------- */

/** Called once per established SSL 3.0 session with an NSS key-log line ("CLIENT_RANDOM <64 hex>
 *  <96 hex>", no newline). The line holds the master secret: treat it as a secret. */
typedef void (*SSLXKeyLogFunc)(const char *line, void *ref);
SSLErr SSLXSetKeyLogFunc(SSLContext *ctx, SSLXKeyLogFunc fn, void *ref);
/** A ready SSLXKeyLogFunc: appends the line and a newline to the file named by @p ref (a path). */
void SSLXKeyLogToFile(const char *line, void *ref);

/* ---- Certificate inspection (for SSLCheckCertificateFunc and for printing) ------------------- */

/** The subject Name of DER certificate @p der as text, e.g. "CN=localhost, O=Example"
 *  (attributes in certificate order), truncated to @p cap - 1 chars and NUL-terminated.
 *  @return SSLNoErr, SSLBadParameterErr, ASNBadEncodingErr. */
SSLErr SSLXCertificateSubject(SSLBuffer der, char *out, size_t cap);
/** The issuer Name of @p der as text, like SSLXCertificateSubject. */
SSLErr SSLXCertificateIssuer(SSLBuffer der, char *out, size_t cap);
/** Check that @p parent issued @p child: child's issuer equals parent's subject and child's RSA
 *  signature verifies with parent's key. @return SSLNoErr, X509NamesNotEqualErr,
 *  X509CertChainInvalidErr, ASNBadEncodingErr, SSLBadParameterErr. */
SSLErr SSLXCertificateIssuedBy(SSLBuffer child, SSLBuffer parent);
/** The validity period of @p der in seconds since 1970-01-01 GMT.
 *  @return SSLNoErr, SSLBadParameterErr, ASNBadEncodingErr. */
SSLErr SSLXCertificateValidity(SSLBuffer der, int64_t *notBefore, int64_t *notAfter);

/* ---- Convenience ----------------------------------------------------------------------------- */

/** malloc SSLContextSize() bytes and SSLInitContext them. */
SSLErr SSLXNewContext(SSLContext **out);
/** SSLDeleteContext then free. NULL is ignored. */
void SSLXFreeContext(SSLContext *ctx);

#ifdef __cplusplus
}
#endif
#endif
