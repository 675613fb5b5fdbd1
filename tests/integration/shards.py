"""Which of emberkv's shards owns a key, computed as the server does
(storage/hash.h: XXH3-64 of the key, bits 8..39 scaled to the shard count),
with the system's libxxhash, so that tests can pick keys on the same shard
or on different ones instead of hoping.

Connections are spread over the workers round robin in the order they are
accepted, starting with worker 0: on a fresh server, the n-th connection
made (each made after the previous one was accepted) lives on worker
n % threads (ping each client before making the next).
"""

import ctypes

_lib = ctypes.CDLL("libxxhash.so.0")
_lib.XXH3_64bits.restype = ctypes.c_uint64
_lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]


def shard_of(key, shards=2):
    if isinstance(key, str):
        key = key.encode()
    h = _lib.XXH3_64bits(key, len(key))
    return (((h >> 8) & 0xFFFFFFFF) * shards) >> 32


def key_on(shard, prefix="key", shards=2, skip=0):
    """The first key prefix:N (N = 0, 1, ...) owned by `shard`, after `skip` others."""
    n = 0
    while True:
        key = "%s:%d" % (prefix, n)
        if shard_of(key, shards) == shard:
            if skip == 0:
                return key
            skip -= 1
        n += 1


def keys_on(shard, prefix, count, shards=2):
    return [key_on(shard, prefix, shards, skip=i) for i in range(count)]

