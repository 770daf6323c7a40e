/**
 * @file ssl.h
 * @brief The SSLRef 3.0 public API: SSL 3.0 (and SSL 2.0) over caller-supplied I/O callbacks.
 *
 * This header is the manual. Names and signatures are those of Netscape's SSLRef 3.0 API
 * (SSLRef 3.0 Final, 11/19/96); where that text contradicts itself, docs/api.md records the choice.
 *
 * A connection is an SSLContext. The caller allocates SSLContextSize() bytes, calls SSLInitContext(),
 * sets the protocol side, the I/O callbacks and (for a server) a key and certificate, then calls
 * SSLHandshake(), SSLRead(), SSLWrite() and SSLClose(). SSLInitContext() installs working defaults for
 * every platform callback (malloc-based memory, getrandom() randomness, time() clock) and every one can
 * be replaced.
 *
 * @section caveats Caveats
 * - The library keeps no mutable global state and is thread-safe, but one SSLContext must be used by
 *   one thread at a time. User callbacks shared by several contexts must be thread-safe.
 * - SSLWouldBlockErr is never fatal: call the same function again when the transport is ready; every
 *   other error except SSLConnectionClosedGraceful is sticky and returned by later calls.
 * - Keys (SSLRSAPrivateKey, SSLDHParams) passed to SSLSet...Key are owned by the context from then on;
 *   they are reference-counted, so contexts made with SSLDuplicateContext() share them.
 * - Buffers the library hands out (SSLGetPeerCertificate) and buffers the session callback hands in
 *   (SSLGetSessionFunc) come from and go to the context's Alloc/Free callbacks.
 * - A session cache that is shared between processes must be opened after fork().
 */
#ifndef SSLREF_SSL_H
#define SSLREF_SSL_H

#include <stddef.h>
#include <stdint.h>
#include "sslerrors.h"
#include "cryptype.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int8_t sint8;
typedef uint8_t uint8;
typedef int16_t sint16;
typedef uint16_t uint16;
typedef int32_t sint32;
typedef uint32_t uint32;

/** A block of bytes: @c length bytes at @c data. */
typedef struct SSLBuffer {
    uint32 length;
    uint8 *data;
} SSLBuffer;

/** One SSL connection. Opaque: allocate SSLContextSize() bytes (suitably aligned, e.g. malloc). */
typedef struct SSLContext SSLContext;
typedef SSLContext SSL_CONTEXT;

/** An RSA private key (wraps libtomcrypt's rsa_key). Made by SSLXRSAPrivateKeyFrom... in sslx.h. */
typedef struct SSLRSAPrivateKey SSLRSAPrivateKey;
/** Diffie-Hellman group parameters p and g. Made by SSLXDHParamsFrom... in sslx.h. */
typedef struct SSLDHParams SSLDHParams;

typedef enum SSLProtocolSide { SSL_ServerSide = 1, SSL_ClientSide = 2 } SSLProtocolSide;

typedef enum SSLProtocolVersion {
    SSL_Version_Undetermined = 0,   /**< negotiate 2.0 or 3.0; hello sent in SSL 2.0 format */
    SSL_Version_3_0_With_2_0_Hello = 1, /**< only 3.0, but accept/send an SSL 2.0-format hello */
    SSL_Version_3_0_Only = 2,       /**< only 3.0, SSL 3.0 hello */
    SSL_Version_2_0 = 3,            /**< only 2.0 */
    SSL_Version_3_0 = 4             /**< reported by SSLGetProtocolVersion once 3.0 is negotiated */
} SSLProtocolVersion;

/* ---- Callback types ----------------------------------------------------------------------- */

/** Allocate buf->length bytes into buf->data (NULL on failure). Return 0 on success. */
typedef SSLErr (*SSLAllocFunc)(SSLBuffer *buf, void *allocRef);
/** Free buf->data (which may be NULL). */
typedef SSLErr (*SSLFreeFunc)(SSLBuffer *buf, void *allocRef);
/** Resize buf to newSize, keeping its contents; on failure set buf->data NULL only if freed. */
typedef SSLErr (*SSLReallocFunc)(SSLBuffer *buf, uint32 newSize, void *allocRef);
/** Fill buf.data with buf.length cryptographically secure random bytes. */
typedef SSLErr (*SSLRandomFunc)(SSLBuffer buf, void *randomRef);
/** Store the current time, seconds since 1970-01-01 GMT. */
typedef SSLErr (*SSLTimeFunc)(uint32 *time, void *timeRef);
/** Convert a mktime() value in place to seconds since 1970-01-01 GMT. */
typedef SSLErr (*SSLConvertTimeFunc)(uint32 *time, void *timeRef);
/**
 * Read up to data.length bytes into data.data, or write data.length bytes from it; store the count
 * in *processed. May process fewer bytes than asked, and may return SSLWouldBlockErr (with
 * *processed set to what was done). A read of 0 bytes with SSLNoErr means nothing more will come:
 * return SSLConnectionClosedError (or SSLIOErr) instead at end of stream.
 */
typedef SSLErr (*SSLIOFunc)(SSLBuffer data, uint32 *processed, void *ioRef);
typedef SSLIOFunc SSLReadFunc;
typedef SSLIOFunc SSLWriteFunc;
/** Store a copy of sessionData under sessionKey, replacing any entry. Errors are ignored. */
typedef SSLErr (*SSLAddSessionFunc)(SSLBuffer sessionKey, SSLBuffer sessionData, void *sessionRef);
/**
 * Fill *sessionData with a buffer allocated so that the context's Free callback can free it;
 * ownership passes to the library. Return SSLNoMatchingSessionKeyErr on a miss. Any error only
 * means "no resumption".
 */
typedef SSLErr (*SSLGetSessionFunc)(SSLBuffer sessionKey, SSLBuffer *sessionData, void *sessionRef);
/** Remove the entry; SSLNoMatchingSessionKeyErr if there is none. Errors are ignored. */
typedef SSLErr (*SSLDeleteSessionFunc)(SSLBuffer sessionKey, void *sessionRef);
/** Accept (return 0) or refuse (any error, returned by the handshake) the peer's chain, leaf first. */
typedef SSLErr (*SSLCheckCertificateFunc)(int certCount, SSLBuffer *derCerts, void *checkCertificateRef);

/* ---- Connection creation and deletion ------------------------------------------------------ */

/** @return the number of bytes to allocate for one SSLContext. Cannot fail. */
uint32 SSLContextSize(void);
/**
 * Initialise @p ctx (SSLContextSize() bytes) with defaults: client side, SSL_Version_Undetermined,
 * the default suite list, default platform callbacks. Whatever ctx held before is ignored (not
 * freed). @return SSLNoErr, or SSLBadParameterErr for NULL.
 */
SSLErr SSLInitContext(SSLContext *ctx);
/** Release everything @p ctx holds (keys, chains, buffers, secrets wiped); ctx memory stays the
 *  caller's. Call SSLClose() first for a clean close. @return SSLNoErr. */
SSLErr SSLDeleteContext(SSLContext *ctx);
/**
 * Initialise @p dest as a fresh, unconnected copy of @p src's configuration (side, version, suites,
 * keys, certificates, distinguished names, callbacks and refs), with I/O ref @p ioRef.
 * @return SSLNoErr, SSLMemoryErr (or the Alloc callback's error); on error dest is left deletable.
 */
SSLErr SSLDuplicateContext(SSLContext *src, SSLContext *dest, void *ioRef);

/* ---- Connection configuration ------------------------------------------------------------- */

SSLErr SSLSetProtocolSide(SSLContext *ctx, SSLProtocolSide side);
/** See the Version Handshaking Summary in docs/api.md. */
SSLErr SSLSetProtocolVersion(SSLContext *ctx, SSLProtocolVersion version);
/** The key for RSA key exchange and signatures. Ownership passes to ctx (NULL clears). */
SSLErr SSLSetPrivateKey(SSLContext *ctx, SSLRSAPrivateKey *privKey);
/** The temporary <= 512-bit RSA key for export suites. Ownership passes to ctx; a longer key is
 * refused with SSLBadParameterErr and stays the caller's. */
SSLErr SSLSetExportPrivateKey(SSLContext *ctx, SSLRSAPrivateKey *privKey);
/** Parameters for anonymous and ephemeral Diffie-Hellman. Ownership passes to ctx. */
SSLErr SSLSetDHAnonParams(SSLContext *ctx, SSLDHParams *dhAnonParams);
/** Server: non-zero asks clients for a certificate. */
SSLErr SSLSetRequestClientCert(SSLContext *ctx, int requestClientCert);
/**
 * Add a DER X.509 certificate to the local chain (copied). The first is the leaf; with @p parent
 * non-zero a certificate is the issuer of the one added before. With @p complete non-zero the chain
 * is checked: each issuer name must equal its parent's subject (X509NamesNotEqualErr) and each
 * signature must verify with the parent's key (X509CertChainInvalidErr).
 * @return SSLNoErr, ASNBadEncodingErr, X509NamesNotEqualErr, X509CertChainInvalidErr, SSLMemoryErr.
 */
SSLErr SSLAddCertificate(SSLContext *ctx, SSLBuffer derCert, int parent, int complete);
/** Server: add a DER Name sent in CertificateRequest (copied). @return SSLNoErr or SSLMemoryErr. */
SSLErr SSLAddDistinguishedName(SSLContext *ctx, SSLBuffer derDN);
/**
 * Enable session resumption. Client: @p peerID is the key for the session callbacks. Server: its
 * presence enables caching keyed by session ID. As the spec says, the library takes ownership of
 * peerID.data: it must come from this context's Alloc callback (or be NULL with length 0) and is
 * freed with the Free callback when replaced or when the context is deleted. Not copied by
 * SSLDuplicateContext (a peer ID belongs to one connection). @return SSLNoErr.
 */
SSLErr SSLSetPeerID(SSLContext *ctx, SSLBuffer peerID);

/* ---- Connection status --------------------------------------------------------------------- */

/** The set value before negotiation; SSL_Version_2_0 or SSL_Version_3_0 after. */
SSLErr SSLGetProtocolVersion(SSLContext *ctx, SSLProtocolVersion *version);
SSLErr SSLGetPeerCertificateChainLength(SSLContext *ctx, int *chainLen);
/** Copy peer certificate @p index (0 = leaf) into a buffer from the Alloc callback; the caller
 *  frees it with the same allocator. @return SSLNoErr, SSLOverflowErr (no such index), SSLMemoryErr. */
SSLErr SSLGetPeerCertificate(SSLContext *ctx, int index, SSLBuffer *derCert);
/** The negotiated suite (cryptype.h); SSL_NULL_WITH_NULL_NULL before. */
SSLErr SSLGetNegotiatedCipher(SSLContext *ctx, uint16 *cipherSuite);
/** Encrypted bytes queued but not yet accepted by the Write callback. */
SSLErr SSLGetWritePendingSize(SSLContext *ctx, uint32 *waitingBytes);
/** Decrypted application bytes buffered and not yet returned by SSLRead. */
SSLErr SSLGetReadPendingSize(SSLContext *ctx, uint32 *waitingBytes);

/* ---- Data exchange ------------------------------------------------------------------------- */

/**
 * Run the handshake to completion. @return SSLNoErr once the connection is established (and
 * immediately after), SSLWouldBlockErr (call again), SSLProtocolErr, SSLNegotiationErr,
 * SSLFatalAlert, SSLConnectionClosedError, SSLIOErr, callback errors. All but would-block are fatal.
 */
SSLErr SSLHandshake(SSLContext *ctx);
/**
 * Read up to *length bytes of application data into @p data; *length becomes the count read.
 * Handshakes first if needed. Returns as soon as at least one byte is available.
 * @return SSLNoErr, SSLWouldBlockErr (*length = bytes read so far, may be 0),
 * SSLConnectionClosedGraceful (close_notify received), SSLConnectionClosedError, or a fatal error.
 */
SSLErr SSLRead(void *data, uint32 *length, SSLContext *ctx);
/**
 * Encrypt *length bytes from @p data into the write queue and service the queue. Handshakes first if
 * needed. *length becomes the number of bytes consumed (queued). SSLWouldBlockErr means the queue
 * could not be drained yet: the consumed bytes are safe; call SSLWrite or SSLServiceWriteQueue again.
 */
SSLErr SSLWrite(void *data, uint32 *length, SSLContext *ctx);
/** Write the queued bytes. @return SSLNoErr when the queue is empty, SSLWouldBlockErr, SSLIOErr. */
SSLErr SSLServiceWriteQueue(SSLContext *ctx);
/** The spec's other name for SSLServiceWriteQueue. */
SSLErr SSLProcessWriteQueue(SSLContext *ctx);
/** Send close_notify and flush it. After a clean close the session stays resumable.
 *  @return SSLNoErr, SSLWouldBlockErr (call SSLServiceWriteQueue), SSLIOErr. */
SSLErr SSLClose(SSLContext *ctx);
#define SSL_CLOSE SSLClose

/* ---- Callback setters: each stores its argument and cannot fail (SSLBadParameterErr on NULL ctx) */

SSLErr SSLSetAllocFunc(SSLContext *ctx, SSLAllocFunc alloc);
SSLErr SSLSetFreeFunc(SSLContext *ctx, SSLFreeFunc free);
SSLErr SSLSetReallocFunc(SSLContext *ctx, SSLReallocFunc realloc);
SSLErr SSLSetAllocRef(SSLContext *ctx, void *allocRef);
SSLErr SSLSetTimeFunc(SSLContext *ctx, SSLTimeFunc time);
SSLErr SSLSetConvertTimeFunc(SSLContext *ctx, SSLConvertTimeFunc convertTime);
SSLErr SSLSetTimeRef(SSLContext *ctx, void *timeRef);
SSLErr SSLSetRandomFunc(SSLContext *ctx, SSLRandomFunc random);
SSLErr SSLSetRandomRef(SSLContext *ctx, void *randomRef);
SSLErr SSLSetReadFunc(SSLContext *ctx, SSLIOFunc read);
SSLErr SSLSetWriteFunc(SSLContext *ctx, SSLIOFunc write);
SSLErr SSLSetIORef(SSLContext *ctx, void *ioRef);
SSLErr SSLSetAddSessionFunc(SSLContext *ctx, SSLAddSessionFunc addSession);
SSLErr SSLSetGetSessionFunc(SSLContext *ctx, SSLGetSessionFunc getSession);
SSLErr SSLSetDeleteSessionFunc(SSLContext *ctx, SSLDeleteSessionFunc deleteSession);
SSLErr SSLSetSessionRef(SSLContext *ctx, void *sessionRef);
SSLErr SSLSetCheckCertificateFunc(SSLContext *ctx, SSLCheckCertificateFunc checkCertificate);
SSLErr SSLSetCheckCertificateRef(SSLContext *ctx, void *checkCertificateRef);

#ifdef __cplusplus
}
#endif
#endif
