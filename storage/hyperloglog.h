// HyperLogLog in Redis's own representation, so that the bytes of an HLL
// key (GET, DUMP) are the bytes Redis would hold, PFCOUNT gives Redis's
// estimate, and an HLL made by either server works on the other.
//
// Layout (all of it Redis's):
//   header, 16 bytes: "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes,
//     the cached cardinality (8 bytes, little endian) whose top bit, when
//     set, says the cache is stale;
//   dense: 16384 registers of 6 bits, packed from the least significant bit
//     of each byte up (12288 bytes, 12304 with the header);
//   sparse: run-length opcodes covering the 16384 registers in order:
//     ZERO  00xxxxxx            1..64 zero registers
//     XZERO 01xxxxxx yyyyyyyy   1..16384 zero registers
//     VAL   1vvvvvxx            1..4 registers of value 1..32
//   A register that needs a value over 32, or a sparse string that would
//   grow past `sparse_max_bytes` (hll-sparse-max-bytes), turns the HLL dense.
//
// Elements hash with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick
// the register, the run of zeros above them (plus one) is its candidate.
// Estimates use Otmar Ertl's improved estimator, as Redis 5 and later do.
//
// Every function that decodes takes bytes that may come from anyone (SET,
// RESTORE): Inspect and SparseValid bound every read, and nothing here
// indexes past what they accepted. Pure functions on byte strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace emberkv::storage::hll {

inline constexpr size_t kRegisters = 16384;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;  // 12304
inline constexpr size_t kDefaultSparseMaxBytes = 3000;
inline constexpr int kMaxRegisterValue = 63;

enum class Shape : uint8_t {
  kNotHll,  // not an HLL at all (Redis: WRONGTYPE ... not a valid HyperLogLog string value)
  kDense,
  kSparse,  // its header is right; its opcodes are checked by SparseValid
};
// Redis's isHLLObjectOrReply: length, magic, encoding, and the exact length
// of a dense value.
Shape Inspect(std::string_view value);
// Whether a sparse value's opcodes are complete and cover exactly the 16384
// registers (Redis: INVALIDOBJ Corrupted HLL object detected otherwise).
bool SparseValid(std::string_view value);

// A new, empty HLL: sparse, one XZERO opcode, cached cardinality 0 (18 bytes).
std::string Empty();

// Where an element goes: its register and the candidate value (1..51).
struct Hashed {
  uint32_t index;
  uint8_t count;
};
Hashed Hash(std::string_view element);

// Raises register `index` of a valid HLL to `count` if that is more than it
// holds, Redis's way (sparse opcodes split and merged as Redis does, turned
// dense when needed). Returns whether the register changed; a change also
// marks the cached cardinality stale.
bool Raise(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes);
// Dense registers in place (`registers` points just after the header).
uint8_t DenseRegister(const uint8_t* registers, uint32_t index);
void SetDenseRegister(uint8_t* registers, uint32_t index, uint8_t value);
// A valid sparse HLL made dense (header kept, encoding changed).
void ToDense(std::string* hll);

// The cached cardinality, if it is not stale.
bool CachedCount(std::string_view hll, uint64_t* count);
// Stores a cardinality in the header (and marks it fresh); `hll` holds at
// least the header.
void StoreCount(char* hll, uint64_t count);
void MarkStale(char* hll);

// The estimate of a valid HLL (Inspect and, for sparse, SparseValid).
uint64_t Count(std::string_view hll);
// Raises max[i] to register i of a valid HLL, for every i (PFCOUNT of
// several keys, PFMERGE).
void MergeInto(std::string_view hll, uint8_t* max);
// The estimate of registers held one per byte (kRegisters of them, each at
// most kMaxRegisterValue).
uint64_t CountRegisters(const uint8_t* registers);

// PFSELFTEST: checks the dense registers' packing with random values, and
// the estimate of a sparse and a dense HLL fed the same 10 million
// elements, at every power of ten, against each other and against the true
// count (within six standard errors). Empty when all is well, else what
// failed, as Redis words it ("TESTFAILED ..."). Half a second of work.
std::string SelfTest();

}  // namespace emberkv::storage::hll
