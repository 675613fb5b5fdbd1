#include "storage/encoding_limits.h"

namespace emberkv::storage {

EncodingLimits& encoding_limits() {
  static EncodingLimits limits;
  return limits;
}

}  // namespace emberkv::storage
