#include "server/util/cpu_budget.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

namespace emberkv::server {
namespace {

std::optional<long long> ParseInteger(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> Quota(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  return static_cast<double>(quota) / static_cast<double>(period);
}

// The start of the file's text (these files hold one short line), or
// nullopt when it cannot be read. Plain system calls: this runs at every
// start, which issue 7 counts in milliseconds.
std::optional<std::string> ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[128];
  ssize_t n = read(fd, buffer, sizeof(buffer));
  close(fd);
  if (n < 0) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

int AffinityCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

}  // namespace

std::optional<double> QuotaFromCpuMax(std::string_view text) {
  size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (text.substr(0, space) == "max") return std::nullopt;
  std::optional<long long> quota = ParseInteger(text.substr(0, space));
  std::optional<long long> period = ParseInteger(text.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return Quota(*quota, *period);
}

std::optional<double> QuotaFromCfs(std::string_view quota_text, std::string_view period_text) {
  std::optional<long long> quota = ParseInteger(quota_text);
  std::optional<long long> period = ParseInteger(period_text);
  if (!quota || !period) return std::nullopt;
  return Quota(*quota, *period);  // a quota of -1 means none
}

int UsableCores(const std::string& cgroup_root) {
  int cores = AffinityCpus();
  std::optional<double> quota;
  if (std::optional<std::string> cpu_max = ReadSmallFile(cgroup_root + "/cpu.max")) {
    quota = QuotaFromCpuMax(*cpu_max);
  } else {
    for (const char* dir : {"/cpu", "/cpu,cpuacct"}) {
      std::optional<std::string> quota_text =
          ReadSmallFile(cgroup_root + dir + "/cpu.cfs_quota_us");
      std::optional<std::string> period_text =
          ReadSmallFile(cgroup_root + dir + "/cpu.cfs_period_us");
      if (quota_text && period_text) {
        quota = QuotaFromCfs(*quota_text, *period_text);
        break;
      }
    }
  }
  if (quota) cores = std::min(cores, std::max(1, static_cast<int>(std::ceil(*quota))));
  return cores;
}

}  // namespace emberkv::server
