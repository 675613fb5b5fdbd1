// Reply encoding: what a worker writes into a connection's output buffer for
// a pipelined batch of replies. The buffer is reused across iterations, as a
// connection's is, so the figures are encoding, not allocation. Items are
// replies.
#include <benchmark/benchmark.h>

#include <string>

#include "protocol/reply_builder.h"

namespace emberkv::bench {
namespace {

using protocol::ReplyBuilder;
using protocol::RespVersion;

template <class Encode>
void RunReplies(benchmark::State& state, Encode encode) {
  const int depth = static_cast<int>(state.range(0));
  std::string out;
  out.reserve(64 * 1024);
  for (auto _ : state) {
    out.clear();
    ReplyBuilder builder(&out, RespVersion::kResp2);
    for (int i = 0; i < depth; ++i) encode(builder, i);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * depth);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}

// GET hits with 16-byte values.
void BM_ReplyBulk16(benchmark::State& state) {
  const std::string value(16, 'v');
  RunReplies(state, [&](ReplyBuilder& b, int) { b.Bulk(value); });
}
BENCHMARK(BM_ReplyBulk16)->ArgName("pipeline")->Arg(1)->Arg(16)->Arg(256);

// SET replies.
void BM_ReplyOk(benchmark::State& state) {
  RunReplies(state, [](ReplyBuilder& b, int) { b.Ok(); });
}
BENCHMARK(BM_ReplyOk)->ArgName("pipeline")->Arg(16);

// GET misses.
void BM_ReplyNull(benchmark::State& state) {
  RunReplies(state, [](ReplyBuilder& b, int) { b.Null(); });
}
BENCHMARK(BM_ReplyNull)->ArgName("pipeline")->Arg(16);

// INCR, DEL, EXISTS and friends.
void BM_ReplyInteger(benchmark::State& state) {
  RunReplies(state, [](ReplyBuilder& b, int i) { b.Integer(int64_t{1000003} * i); });
}
BENCHMARK(BM_ReplyInteger)->ArgName("pipeline")->Arg(16);

// An MGET of ten 16-byte values (one item per MGET).
void BM_ReplyMget10(benchmark::State& state) {
  const std::string value(16, 'v');
  RunReplies(state, [&](ReplyBuilder& b, int) {
    b.ArrayHeader(10);
    for (int k = 0; k < 10; ++k) b.Bulk(value);
  });
}
BENCHMARK(BM_ReplyMget10)->ArgName("pipeline")->Arg(16);

}  // namespace
}  // namespace emberkv::bench
