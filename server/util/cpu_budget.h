// How many cores this process may use, for the default number of workers.
//
// std::thread::hardware_concurrency() counts the machine's CPUs. In a
// Kubernetes pod that is the node's: a sidecar limited to one CPU on a
// 64-core node would start 64 workers, and the kernel's CPU quota would
// throttle all of them in turn. The usable count is the smaller of the CPUs
// the process may run on (its affinity mask: a cpuset, taskset) and its
// cgroup's CPU quota rounded up (a limit of 1.5 CPUs gives 2).
//
// The quota is read from cgroup v2's cpu.max ("max 100000" or
// "150000 100000"), or from cgroup v1's cpu.cfs_quota_us and
// cpu.cfs_period_us (-1: none), at /sys/fs/cgroup, where a container sees
// its own cgroup (cgroup namespaces). Files that are missing or unreadable
// mean no quota.
//
// Thread safety: all functions are safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace emberkv::server {

// CPUs allowed by a quota, from the text of cgroup v2's cpu.max; nullopt
// for "max" (no quota) or text that does not parse.
std::optional<double> QuotaFromCpuMax(std::string_view text);
// The same from cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us.
std::optional<double> QuotaFromCfs(std::string_view quota_text, std::string_view period_text);

// The cores this process may use (at least 1), reading the quota under
// `cgroup_root`.
int UsableCores(const std::string& cgroup_root = "/sys/fs/cgroup");

}  // namespace emberkv::server
