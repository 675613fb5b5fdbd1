#include "server/util/cpu_budget.h"

#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace emberkv::server {
namespace {

TEST_CASE("cpu budget: cgroup v2 cpu.max") {
  CHECK(!QuotaFromCpuMax("max 100000\n"));
  CHECK(*QuotaFromCpuMax("150000 100000\n") == Approx(1.5));
  CHECK(*QuotaFromCpuMax("100000 100000") == Approx(1.0));
  CHECK(!QuotaFromCpuMax(""));
  CHECK(!QuotaFromCpuMax("garbage"));
  CHECK(!QuotaFromCpuMax("12x 100000"));
  CHECK(!QuotaFromCpuMax("0 100000"));
}

TEST_CASE("cpu budget: cgroup v1 cfs quota and period") {
  CHECK(!QuotaFromCfs("-1\n", "100000\n"));
  CHECK(*QuotaFromCfs("50000\n", "100000\n") == Approx(0.5));
  CHECK(!QuotaFromCfs("50000", "0"));
  CHECK(!QuotaFromCfs("", "100000"));
}

struct FakeCgroup {
  std::filesystem::path root;
  FakeCgroup() {
    char pattern[] = "/tmp/emberkv-cgroup-XXXXXX";
    root = mkdtemp(pattern);
  }
  ~FakeCgroup() { std::filesystem::remove_all(root); }
  void Write(const std::string& relative, const std::string& text) {
    std::filesystem::create_directories((root / relative).parent_path());
    std::ofstream(root / relative) << text;
  }
};

int AffinityCount() {
  cpu_set_t set;
  REQUIRE(sched_getaffinity(0, sizeof(set), &set) == 0);
  return CPU_COUNT(&set);
}

TEST_CASE("cpu budget: the usable cores are the affinity mask capped by the quota, rounded up") {
  int allowed = AffinityCount();
  {
    FakeCgroup cgroup;  // no files: no quota
    CHECK(UsableCores(cgroup.root) == allowed);
  }
  {
    FakeCgroup cgroup;
    cgroup.Write("cpu.max", "max 100000\n");
    CHECK(UsableCores(cgroup.root) == allowed);
  }
  {
    FakeCgroup cgroup;
    cgroup.Write("cpu.max", "50000 100000\n");  // half a CPU still runs one worker
    CHECK(UsableCores(cgroup.root) == 1);
  }
  {
    FakeCgroup cgroup;
    cgroup.Write("cpu.max", "6400000 100000\n");  // a quota above the mask does not add cores
    CHECK(UsableCores(cgroup.root) == allowed);
  }
  if (allowed >= 2) {
    FakeCgroup cgroup;
    cgroup.Write("cpu.max", "150000 100000\n");
    CHECK(UsableCores(cgroup.root) == 2);
  }
  {
    FakeCgroup cgroup;  // cgroup v1, as on older nodes
    cgroup.Write("cpu,cpuacct/cpu.cfs_quota_us", "100000\n");
    cgroup.Write("cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    CHECK(UsableCores(cgroup.root) == 1);
  }
}

}  // namespace
}  // namespace emberkv::server
