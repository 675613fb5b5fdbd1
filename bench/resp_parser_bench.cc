// RESP request parsing as a connection sees it: one read holding a pipelined
// batch of GET or SET commands, parsed until the parser asks for more. The
// keys are 14 bytes, as in docs/benchmarks.md. Items are commands, bytes are
// request bytes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "bench/common/key_format.h"
#include "bench/common/request_encoding.h"
#include "protocol/request_parser.h"

namespace emberkv::bench {
namespace {

using protocol::ParseStatus;
using protocol::RequestParser;

std::string GetBatch(int depth) {
  std::string input;
  for (int i = 0; i < depth; ++i) AppendRequest(&input, {"GET", MakeKey(i * 7919)});
  return input;
}

std::string SetBatch(int depth, size_t value_size) {
  std::string input;
  std::string value(value_size, 'v');
  for (int i = 0; i < depth; ++i) AppendRequest(&input, {"SET", MakeKey(i * 7919), value});
  return input;
}

// Parses every command of `input`; returns how many there were.
int ParseAll(RequestParser& parser, std::string_view input) {
  int commands = 0;
  while (parser.Parse(input) == ParseStatus::kCommand) {
    benchmark::DoNotOptimize(parser.args().data());
    input.remove_prefix(parser.consumed());
    ++commands;
  }
  return commands;
}

void RunWholeBatch(benchmark::State& state, const std::string& input, int depth) {
  RequestParser parser;
  for (auto _ : state) {
    if (ParseAll(parser, input) != depth) {
      state.SkipWithError("parser did not return every command");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * depth);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}

void BM_ParseGetBatch(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  RunWholeBatch(state, GetBatch(depth), depth);
}
BENCHMARK(BM_ParseGetBatch)->ArgName("pipeline")->Arg(1)->Arg(16)->Arg(256);

void BM_ParseSetBatch(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  RunWholeBatch(state, SetBatch(depth, static_cast<size_t>(state.range(1))), depth);
}
BENCHMARK(BM_ParseSetBatch)
    ->ArgNames({"pipeline", "value"})
    ->Args({1, 16})
    ->Args({16, 16})
    ->Args({256, 16})
    ->Args({16, 1024});

// The same SET batch arriving in 1448-byte pieces (an Ethernet TCP segment):
// commands cut in two resume where they stopped instead of being rescanned.
void BM_ParseSetBatchSegmented(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  const std::string input = SetBatch(depth, static_cast<size_t>(state.range(1)));
  constexpr size_t kSegment = 1448;
  RequestParser parser;
  for (auto _ : state) {
    size_t consumed = 0;
    size_t arrived = 0;
    int commands = 0;
    while (arrived < input.size()) {
      arrived = std::min(input.size(), arrived + kSegment);
      while (true) {
        ParseStatus status =
            parser.Parse(std::string_view(input).substr(consumed, arrived - consumed));
        consumed += parser.consumed();
        if (status != ParseStatus::kCommand) break;
        benchmark::DoNotOptimize(parser.args().data());
        ++commands;
      }
    }
    if (commands != depth) {
      state.SkipWithError("parser did not return every command");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * depth);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParseSetBatchSegmented)
    ->ArgNames({"pipeline", "value"})
    ->Args({256, 16})
    ->Args({16, 1024});

}  // namespace
}  // namespace emberkv::bench
