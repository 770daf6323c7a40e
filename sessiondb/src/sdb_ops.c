/*
 * sdb_ops.c - the three session callbacks (SSLAddSessionFunc, SSLGetSessionFunc and
 * SSLDeleteSessionFunc shapes, ssl.h), each one short LMDB transaction. Get runs in a pooled read
 * transaction and takes no lock; add and delete run in a write transaction that keeps the record,
 * its expiry-index entry and the shared byte counter in step. A full map is answered by waiting
 * for readers that pin freed pages and by evicting the entries that expire first, then retrying;
 * a write fails only if the map stays full. No user callback runs inside a transaction.
 */
#include "sdb.h"
#include <stdlib.h>
#include <string.h>

#define SDB_ADD_EVICTIONS 8    /* make_room rounds one add may run after a full map */
#define SDB_GET_STACK 2048     /* values up to this size are copied out through the stack */
#define SDB_EXPIRE_PER_ADD 4   /* expired entries removed in passing by each add */

static bool key_ok(SSLBuffer key)
{
    return key.data && key.length > 0 && key.length <= SDB_MAX_KEY;
}

static int add_in(SDBCache *c, struct sdb_wtx *w, const MDB_val *key, SSLBuffer data, uint64_t now)
{
    MDB_val old, val, ikey;
    uint8 ibuf[8 + SDB_MAX_KEY];
    int rc = sdb_evict_head(c, w, SDB_EXPIRE_PER_ADD, now, true, NULL);
    if (rc)
        return rc;
    rc = mdb_get(w->txn, c->sess, (MDB_val *)key, &old);
    if (rc == MDB_SUCCESS)             /* replace: the put below overwrites the record */
        rc = sdb_evict_unindex(c, w, key, &old);
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    uint64_t expiry = now + c->lifetime;
    val.mv_size = sdb_record_size(data.length);
    val.mv_data = NULL;
    if ((rc = mdb_put(w->txn, c->sess, (MDB_val *)key, &val, MDB_RESERVE)) != 0)
        return rc;
    sdb_record_write(val.mv_data, key, expiry, data.data, data.length);
    sdb_record_index_key(ibuf, expiry, key, &ikey);
    if ((rc = mdb_put(w->txn, c->index, &ikey, &(MDB_val){0, NULL}, 0)) != 0)
        return rc;
    w->cnt.bytes += sdb_record_cost(key->mv_size, val.mv_size);
    return sdb_evict_budget(c, w, now);
}

/* After a full map: evict a few of the entries that expire first, in a transaction of its own
 * (few, because each eviction dirties a page of its own; see sdb_evict_budget). */
static int make_room(SDBCache *c, uint64_t now)
{
    struct sdb_wtx w;
    int rc = sdb_evict_begin(c, &w);
    if (rc)
        return rc;
    if ((rc = sdb_evict_head(c, &w, SDB_GUARD_BATCH, now, false, NULL)) != 0) {
        mdb_txn_abort(w.txn);
        return rc;
    }
    return sdb_evict_commit(c, &w);
}

SSLErr SDBAddSession(SSLBuffer sessionKey, SSLBuffer sessionData, void *sessionRef)
{
    SDBCache *c = sessionRef;
    uint64_t now;
    if (!c || !key_ok(sessionKey) || sessionData.length > SDB_MAX_VALUE ||
        (sessionData.length && !sessionData.data))
        return SSLBadParameterErr;
    if (sdb_record_size(sessionData.length) + sessionKey.length > c->maxValue)
        return SSLMemoryErr;           /* would empty the cache and still not fit */
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    sdb_env_reader_check_maybe(c, now);
    MDB_val key = {sessionKey.length, sessionKey.data};
    unsigned waited = 0, evictions = 0;
    int rc;
    for (;;) {
        struct sdb_wtx w;
        if ((rc = sdb_evict_begin(c, &w)) != 0)
            break;
        if ((rc = add_in(c, &w, &key, sessionData, now)) != 0)
            mdb_txn_abort(w.txn);
        else
            rc = sdb_evict_commit(c, &w);
        if (rc != MDB_MAP_FULL || !sdb_env_full_wait(c, &waited))
            break;
        /* Readers had their chance; if the map is full of live entries, evicting helps. */
        if (evictions < SDB_ADD_EVICTIONS && (rc = make_room(c, now)) == 0)
            evictions++;
        else if (rc && rc != MDB_MAP_FULL)
            break;
    }
    return sdb_env_err(c, rc);
}

/* Remove the entry under @p key if it is still expired or corrupt (another writer may have
 * replaced it since the read transaction saw it). */
static void remove_stale(SDBCache *c, const MDB_val *key, uint64_t now)
{
    struct sdb_wtx w;
    struct sdb_rec rec;
    MDB_val val;
    if (sdb_evict_begin(c, &w) != 0)
        return;
    int rc = mdb_get(w.txn, c->sess, (MDB_val *)key, &val);
    if (rc == 0) {
        bool bad = !sdb_record_check(key, &val, &rec);
        if (bad || rec.expiry <= now) {
            rc = sdb_evict_remove(c, &w, key, &val);
            if (!bad)
                w.cnt.expired++;
            if (rc == 0) {
                (void)!sdb_evict_commit(c, &w); /* best effort: a later get or add retries */
                return;
            }
        }
    }
    mdb_txn_abort(w.txn);
}

static void count(SDBCache *c, struct sdb_slot *slot, bool hit)
{
    if (slot) {                        /* the slot's owner is the only writer: no locked add */
        atomic_uint_least64_t *p = hit ? &slot->hits : &slot->misses;
        atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + 1,
                              memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
    }
}

SSLErr SDBGetSession(SSLBuffer sessionKey, SSLBuffer *sessionData, void *sessionRef)
{
    SDBCache *c = sessionRef;
    struct sdb_slot *slot;
    struct sdb_rec rec;
    MDB_txn *txn;
    MDB_val val;
    uint64_t now;
    if (!sessionData)
        return SSLBadParameterErr;
    sessionData->data = NULL;
    sessionData->length = 0;
    if (!c || !key_ok(sessionKey))
        return SSLBadParameterErr;
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    MDB_val key = {sessionKey.length, sessionKey.data};
    int rc = sdb_env_read_begin(c, &slot, &txn);
    if (rc)
        return sdb_env_err(c, rc);
    bool stale = false;
    uint8 stack[SDB_GET_STACK], *copy = stack;
    uint32 length = 0;
    rc = mdb_get(txn, c->sess, &key, &val);
    if (rc == MDB_SUCCESS) {
        if (!sdb_record_check(&key, &val, &rec)) {
            atomic_fetch_add_explicit(&c->corrupt, 1, memory_order_relaxed);
            stale = true;
        } else if (rec.expiry <= now) {
            stale = true;
        } else {                       /* copy out: the user's alloc runs after the read ends */
            length = rec.length;
            if (length > sizeof stack && !(copy = malloc(length)))
                err = SSLMemoryErr;
            else
                memcpy(copy, rec.data, length);
        }
    }
    sdb_env_read_end(c, slot, txn);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return sdb_env_err(c, rc);
    if (rc == MDB_NOTFOUND || stale) {
        count(c, slot, false);
        if (stale)
            remove_stale(c, &key, now);
        return SSLNoMatchingSessionKeyErr;
    }
    if (err == SSLNoErr) {
        sessionData->length = length;
        err = c->opt.alloc(sessionData, c->opt.allocRef);
        if (err == SSLNoErr && !sessionData->data)
            err = SSLMemoryErr;
        if (err == SSLNoErr && length)
            memcpy(sessionData->data, copy, length);
        explicit_bzero(copy, length);  /* the value holds a master secret */
    }
    if (copy != stack)
        free(copy);
    if (err != SSLNoErr) {
        sessionData->data = NULL;
        sessionData->length = 0;
        return err;
    }
    count(c, slot, true);
    return SSLNoErr;
}

SSLErr SDBDeleteSession(SSLBuffer sessionKey, void *sessionRef)
{
    SDBCache *c = sessionRef;
    struct sdb_wtx w;
    struct sdb_rec rec;
    MDB_val val;
    uint64_t now;
    if (!c || !key_ok(sessionKey))
        return SSLBadParameterErr;
    SSLErr err = sdb_env_now(c, &now);
    if (err)
        return err;
    MDB_val key = {sessionKey.length, sessionKey.data};
    unsigned waited = 0;
    bool live;
    int rc;
    do {
        if ((rc = sdb_evict_begin(c, &w)) != 0)
            return sdb_env_err(c, rc);
        if ((rc = mdb_get(w.txn, c->sess, &key, &val)) != 0) {
            mdb_txn_abort(w.txn);
            return sdb_env_err(c, rc);
        }
        bool valid = sdb_record_check(&key, &val, &rec);
        live = valid && rec.expiry > now;
        if (valid && !live)
            w.cnt.expired++;
        if ((rc = sdb_evict_remove(c, &w, &key, &val)) != 0)
            mdb_txn_abort(w.txn);
        else
            rc = sdb_evict_commit(c, &w);
    } while (rc == MDB_MAP_FULL && sdb_env_full_wait(c, &waited));
    if (rc)
        return sdb_env_err(c, rc);
    return live ? SSLNoErr : SSLNoMatchingSessionKeyErr;
}
