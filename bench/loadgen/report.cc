#include "bench/loadgen/report.h"

#include <algorithm>
#include <cstdio>

namespace emberkv::loadgen {
namespace {

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", value);
  return buf;
}

double Micros(uint64_t ns) { return static_cast<double>(ns) / 1000.0; }

}  // namespace

Summary Summarize(const Options& options, const Plan& plan,
                  const std::vector<ThreadResult>& results) {
  Summary summary;
  ThreadResult& t = summary.totals;
  for (const ThreadResult& r : results) {
    t.latency.Merge(r.latency);
    t.send_lag.Merge(r.send_lag);
    t.completed += r.completed;
    t.gets += r.gets;
    t.sets += r.sets;
    t.hits += r.hits;
    t.misses += r.misses;
    t.errors += r.errors;
    t.unexpected += r.unexpected;
    t.incomplete += r.incomplete;
    t.last_reply_ns = std::max(t.last_reply_ns, r.last_reply_ns);
    if (t.failure.empty()) t.failure = r.failure;
    if (t.first_error.empty()) t.first_error = r.first_error;
    if (t.first_unexpected.empty()) t.first_unexpected = r.first_unexpected;
  }
  bool counted = options.requests > 0 || options.mode == Mode::kFill;
  uint64_t until = counted
                       ? std::min(plan.end_ns, std::max(t.last_reply_ns, plan.measure_from_ns + 1))
                       : plan.end_ns;
  summary.measured_s = static_cast<double>(until - plan.measure_from_ns) / 1e9;
  summary.achieved_rate = static_cast<double>(t.completed) / summary.measured_s;
  return summary;
}

std::string JsonLine(const Options& o, const Summary& s) {
  const ThreadResult& t = s.totals;
  const Histogram& h = t.latency;
  std::string j = "{";
  auto field = [&](const char* name, const std::string& value) {
    if (j.size() > 1) j += ",";
    j += "\"";
    j += name;
    j += "\":";
    j += value;
  };
  field("tool", "\"emberkv-loadgen\"");
  field("ok", s.ok() ? "true" : "false");
  field("mode", JsonString(ModeName(o.mode)));
  field("protocol", JsonString(ProtocolName(o.protocol)));
  field("host", JsonString(o.host));
  field("port", std::to_string(o.port));
  field("connections", std::to_string(o.connections));
  field("threads", std::to_string(o.threads));
  field("pipeline", std::to_string(o.pipeline));
  field("keys", std::to_string(o.keys));
  field("key_prefix", JsonString(o.key_prefix));
  field("key_digits", std::to_string(o.key_digits));
  field("distribution", JsonString(DistributionName(o.distribution)));
  if (o.distribution == Distribution::kZipf) field("zipf_exponent", Number(o.zipf_exponent));
  field("get_ratio", Number(o.mode == Mode::kFill ? 0 : o.get_ratio));
  field("value_size", std::to_string(o.value_size));
  field("ttl_s", std::to_string(o.ttl_s));
  if (o.mode == Mode::kOpen) field("target_rate", Number(o.rate));
  field("measured_s", Number(s.measured_s));
  field("requests", std::to_string(t.completed));
  field("achieved_rate", Number(s.achieved_rate));
  field("gets", std::to_string(t.gets));
  field("sets", std::to_string(t.sets));
  field("hits", std::to_string(t.hits));
  field("misses", std::to_string(t.misses));
  field("errors", std::to_string(t.errors));
  field("unexpected", std::to_string(t.unexpected));
  field("incomplete", std::to_string(t.incomplete));
  field("latency_from", JsonString(o.mode == Mode::kOpen ? "scheduled" : "sent"));
  field("p50_us", Number(Micros(h.Percentile(50))));
  field("p90_us", Number(Micros(h.Percentile(90))));
  field("p99_us", Number(Micros(h.Percentile(99))));
  field("p999_us", Number(Micros(h.Percentile(99.9))));
  field("max_us", Number(Micros(h.max())));
  field("mean_us", Number(h.mean() / 1000.0));
  if (o.mode == Mode::kOpen) {
    field("send_lag_p99_us", Number(Micros(t.send_lag.Percentile(99))));
    field("send_lag_max_us", Number(Micros(t.send_lag.max())));
  }
  if (!t.failure.empty()) field("failure", JsonString(t.failure));
  if (!t.first_error.empty()) field("first_error", JsonString(t.first_error));
  if (!t.first_unexpected.empty()) field("first_unexpected", JsonString(t.first_unexpected));
  return j + "}";
}

std::string HumanReport(const Options& o, const Summary& s) {
  const ThreadResult& t = s.totals;
  char buf[1024];
  std::string out;
  if (o.mode == Mode::kOpen) {
    std::snprintf(buf, sizeof(buf), "loadgen: open loop at %.0f req/s", o.rate);
  } else {
    std::snprintf(buf, sizeof(buf), "loadgen: %s", o.mode == Mode::kFill ? "fill" : "closed loop");
  }
  out += buf;
  std::snprintf(buf, sizeof(buf), " against %s:%d (%s): %d connections, %d threads, pipeline %d\n",
                o.host.c_str(), o.port, ProtocolName(o.protocol), o.connections, o.threads,
                o.pipeline);
  out += buf;
  std::snprintf(
      buf, sizeof(buf),
      "  %.0f req/s over %.2f s: %llu requests (%llu GET, %llu SET), %llu hits, %llu misses\n",
      s.achieved_rate, s.measured_s, static_cast<unsigned long long>(t.completed),
      static_cast<unsigned long long>(t.gets), static_cast<unsigned long long>(t.sets),
      static_cast<unsigned long long>(t.hits), static_cast<unsigned long long>(t.misses));
  out += buf;
  const Histogram& h = t.latency;
  std::snprintf(
      buf, sizeof(buf),
      "  latency (from %s send time): p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
      o.mode == Mode::kOpen ? "scheduled" : "actual", Micros(h.Percentile(50)),
      Micros(h.Percentile(99)), Micros(h.Percentile(99.9)), Micros(h.max()));
  out += buf;
  if (o.mode == Mode::kOpen) {
    std::snprintf(buf, sizeof(buf), "  send lag behind schedule: p99 %.1f us, max %.1f us\n",
                  Micros(t.send_lag.Percentile(99)), Micros(t.send_lag.max()));
    out += buf;
  }
  if (t.errors || t.unexpected || t.incomplete) {
    std::snprintf(
        buf, sizeof(buf), "  %llu error replies, %llu unexpected replies, %llu unanswered\n",
        static_cast<unsigned long long>(t.errors), static_cast<unsigned long long>(t.unexpected),
        static_cast<unsigned long long>(t.incomplete));
    out += buf;
  }
  if (!t.first_error.empty()) out += "  first error reply: " + t.first_error;
  if (!t.failure.empty()) out += "  FAILED: " + t.failure + "\n";
  return out;
}

}  // namespace emberkv::loadgen
