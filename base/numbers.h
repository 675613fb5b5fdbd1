// Conversions between strings and numbers with Redis's exact rules, so that
// INCR on "010" or " 1" fails as it does in Redis, a RESP header "*01" is
// refused as Redis refuses it, and INCRBYFLOAT prints what Redis prints.
//
// Shared by every layer: the request parser reads RESP lengths with
// ParseInt64, storage reads and writes numbers kept as strings, the commands
// read their numeric arguments. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace emberkv::base {

// Redis's string2ll: optional '-', no '+', no leading zeros or blanks, at
// most 20 characters, no overflow.
bool ParseInt64(std::string_view text, int64_t* value);

// Redis's string2ld (INCRBYFLOAT): strtold over the whole text, no leading
// blank, no NaN, no overflow.
bool ParseLongDouble(std::string_view text, long double* value);

// Redis's getDoubleFromObject (ZADD scores and the like): strtod over the
// whole text; "inf" and "-inf" are accepted, NaN is not.
bool ParseDouble(std::string_view text, double* value);

// Decimal text of an integer.
std::string FormatInt64(int64_t value);

// A long double as INCRBYFLOAT prints it: "%.17Lf" without trailing zeros
// (Redis's ld2string in LD_STR_HUMAN mode).
std::string FormatLongDoubleHuman(long double value);

}  // namespace emberkv::base
