// Standalone Asio compiled once for the whole server (ASIO_SEPARATE_COMPILATION).
#include <asio/impl/src.hpp>
