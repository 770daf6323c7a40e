/*
 * sdb_record.c - the value format of the session table and the key format of the expiry index.
 * A record is a 24-byte header then the session bytes. Header, little-endian, fixed offsets:
 *   0 magic "SDB1" | 4 version u16 = 1 | 6 flags u16 = 0 | 8 expiry u64 (seconds since 1970)
 *   | 16 length u32 (= value size - 24) | 20 check u32 (hash of key, header bytes 0..19, data).
 * Every field is checked against the value size before any data is read; anything else is
 * "corrupt or foreign" and the caller treats it as a miss. Index key: expiry u64 big-endian || key.
 */
#include "sdb.h"
#include <string.h>

#define SDB_MAGIC "SDB1"
#define SDB_VERSION 1u

static void put_le(uint8 *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8)(v >> (8 * i));
}

static uint64_t get_le(const uint8 *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* A word-at-a-time FNV-style hash: detects damage and foreign values, not an adversary (the
 * files are 0600 in a 0700 directory). */
static uint64_t hash_add(uint64_t h, const uint8 *p, size_t n)
{
    const uint64_t prime = 0x100000001b3ull;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * prime;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    while (n--)
        h = (h ^ *p++) * prime;
    return h;
}

static uint32 record_sum(const MDB_val *key, const uint8 *hdr, const uint8 *data, uint32 length)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = hash_add(h, key->mv_data, key->mv_size);
    h = hash_add(h, hdr, 20);
    h = hash_add(h, data, length);
    return (uint32)(h ^ (h >> 32));
}

size_t sdb_record_size(uint32 length)
{
    return SDB_REC_HDR + (size_t)length;
}

uint64_t sdb_record_cost(size_t keyLen, size_t valueSize)
{
    return keyLen + valueSize + SDB_ENTRY_OVERHEAD;
}

void sdb_record_write(uint8 *out, const MDB_val *key, uint64_t expiry, const uint8 *data,
                      uint32 length)
{
    memcpy(out, SDB_MAGIC, 4);
    put_le(out + 4, SDB_VERSION, 2);
    put_le(out + 6, 0, 2);
    put_le(out + 8, expiry, 8);
    put_le(out + 16, length, 4);
    if (length)
        memcpy(out + SDB_REC_HDR, data, length);
    put_le(out + 20, record_sum(key, out, out + SDB_REC_HDR, length), 4);
}

bool sdb_record_check(const MDB_val *key, const MDB_val *val, struct sdb_rec *out)
{
    const uint8 *p = val->mv_data;
    if (val->mv_size < SDB_REC_HDR || val->mv_size > SDB_REC_HDR + (size_t)SDB_MAX_VALUE)
        return false;
    if (memcmp(p, SDB_MAGIC, 4) != 0 || get_le(p + 4, 2) != SDB_VERSION || get_le(p + 6, 2) != 0)
        return false;
    uint64_t length = get_le(p + 16, 4);
    if (length != val->mv_size - SDB_REC_HDR)
        return false;
    if (get_le(p + 20, 4) != record_sum(key, p, p + SDB_REC_HDR, (uint32)length))
        return false;
    out->expiry = get_le(p + 8, 8);
    out->length = (uint32)length;
    out->data = p + SDB_REC_HDR;
    return true;
}

void sdb_record_index_key(uint8 *out, uint64_t expiry, const MDB_val *key, MDB_val *ikey)
{
    for (unsigned i = 0; i < 8; i++)
        out[i] = (uint8)(expiry >> (56 - 8 * i));
    memcpy(out + 8, key->mv_data, key->mv_size);
    ikey->mv_data = out;
    ikey->mv_size = 8 + key->mv_size;
}

bool sdb_record_index_split(const MDB_val *ikey, uint64_t *expiry, MDB_val *key)
{
    const uint8 *p = ikey->mv_data;
    if (ikey->mv_size <= 8 || ikey->mv_size > 8 + (size_t)SDB_MAX_KEY)
        return false;
    uint64_t e = 0;
    for (unsigned i = 0; i < 8; i++)
        e = (e << 8) | p[i];
    *expiry = e;
    key->mv_data = (void *)(p + 8);
    key->mv_size = ikey->mv_size - 8;
    return true;
}
