/*
 * err.h - internal error plumbing: SSL_TRY / SSL_ENSURE and the warn_unused_result marker.
 * Every internal function that can fail returns SSLErr and is marked SSL_MUST.
 */
#ifndef SSLREF_ERR_H
#define SSLREF_ERR_H

#include "sslref/sslerrors.h"

#define SSL_MUST __attribute__((warn_unused_result))
#define SSL_TRY(expr)                                                                          \
    do {                                                                                       \
        SSLErr try_err_ = (expr);                                                              \
        if (try_err_ != SSLNoErr)                                                              \
            return try_err_;                                                                   \
    } while (0)
#define SSL_ENSURE(cond, err)                                                                  \
    do {                                                                                       \
        if (!(cond))                                                                           \
            return (err);                                                                      \
    } while (0)

#endif
