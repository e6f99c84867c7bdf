#include "os/process_info.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>
#include <string>

namespace forkd::os {

std::optional<uint64_t> proportional_set_size_kb(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string key;
    uint64_t value = 0;
    std::string unit;
    while (file >> key) {
        if (key == "Pss:") {
            file >> value;
            return value;
        }
        file.ignore(4096, '\n');
    }
    return std::nullopt;
}

uint64_t listen_queue_length(int listener) {
    tcp_info info{};
    socklen_t length = sizeof info;
    if (::getsockopt(listener, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return 0;
    if (info.tcpi_state != TCP_LISTEN) return 0;
    return info.tcpi_unacked;
}

std::optional<uint64_t> cgroup_memory_limit_kb() {
    std::ifstream cgroup("/proc/self/cgroup");
    std::string line;
    while (std::getline(cgroup, line)) {
        if (!line.starts_with("0::")) continue;  // the cgroup v2 line
        std::ifstream limit("/sys/fs/cgroup" + line.substr(3) + "/memory.max");
        std::string text;
        if (!(limit >> text) || text == "max") return std::nullopt;
        try {
            return std::stoull(text) / 1024;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

}  // namespace forkd::os
