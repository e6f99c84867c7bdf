// The scoreboard: one shared-memory region, made before the first fork, that every process
// of a server reads and writes. A header of server-wide counters and one slot per child.
//
// Ownership: a child writes only its own slot; the master writes a slot only while it has
// no live owner (when it hands the slot to a new child, and after reaping the old one), and
// the header counters (atomics, any process). A slot's sequence counter makes a read
// consistent: a writer makes it odd, writes, makes it even; a reader retries until it saw
// the same even value before and after copying (a seqlock, as Linux uses).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ipc/server_counters.hpp"

namespace forkd::ipc {

enum class SlotState : uint8_t {
    empty,      // no process
    starting,   // forked, not yet serving
    idle,       // waiting for a connection
    claimed,    // hybrid: reserved by an io worker (compare-and-swap from idle)
    reading,    // reading a request
    busy,       // running a handler
    keepalive,  // between requests on a kept-alive connection
    closing,    // finishing before exit (recycled, stopping)
};
std::string_view to_string(SlotState state);

enum class SlotRole : uint8_t { none, worker, connection, io };
std::string_view to_string(SlotRole role);

// What a reader sees of one slot.
struct SlotView {
    pid_t pid = 0;
    uint32_t generation = 0;
    SlotRole role = SlotRole::none;
    SlotState state = SlotState::empty;
    uint64_t requests = 0;            // served by this process
    uint64_t started_ms = 0;          // process start, ms since the epoch
    uint64_t request_started_ms = 0;  // current request, ms since the epoch; 0 when none
    uint64_t bytes_written = 0;       // of the current (or last) response
    uint64_t idle_since_ms = 0;       // end of the last request (or the process start)
    uint64_t pss_kb = 0;              // proportional set size, updated by the master
    pid_t application_pid = 0;        // its spawned FastCGI application (php-cgi), if any
    std::string method;
    std::string target;
    std::string route;  // the pattern of the route that matched ("/hello/{name}"), if any
    std::string client;
};

// Server-wide figures; every field is an atomic any process may update.
struct ScoreboardHeader {
    std::atomic<uint64_t> started_ms{0};
    std::atomic<uint64_t> accepted{0};    // connections accepted
    std::atomic<uint64_t> requests{0};    // requests answered
    std::atomic<uint64_t> max_active{0};  // most busy processes seen at once
    std::atomic<uint64_t> max_workers_reached{0};
    std::atomic<uint64_t> slow_requests{0};
    std::atomic<uint64_t> listen_queue{0};  // connections waiting in the kernel now
    std::atomic<uint64_t> max_listen_queue{0};
    // Hybrid mode: requests waiting in the io workers' queues for an idle app worker.
    std::atomic<uint64_t> queued{0};
    std::atomic<uint64_t> max_queued{0};
    std::atomic<uint64_t> queue_timeouts{0};  // answered 503 at queue_timeout
    // How long dispatched requests waited: <1ms, <10ms, <100ms, <1s, <10s, longer.
    std::atomic<uint64_t> queue_wait_histogram[6]{};
    std::atomic<uint32_t> generation{0};
    std::atomic<uint32_t> degraded{0};  // crash-loop back-off in force
    std::atomic<uint32_t> draining{0};  // a graceful stop has begun: health checks say 503
    // One past the highest slot any process has held: searches for an idle app worker
    // stop there instead of walking every slot max_workers allows.
    std::atomic<uint32_t> slots_used{0};
    // Processes the master forked: each child's serial number, which its request ids are
    // made from (session/request_id.hpp). Here, in shared memory, because the master
    // counts one per fork-mode connection, and a counter in its own memory would sit on a
    // page the fork before made copy-on-write: a fault per connection.
    std::atomic<uint64_t> forked{0};
    // What the metrics page counts (ipc/server_counters.hpp).
    ServerCounters counters;
};

class Scoreboard {
  public:
    // Maps a shared anonymous region for `slots` slots. Call before the first fork.
    explicit Scoreboard(std::size_t slots);
    ~Scoreboard();
    Scoreboard(const Scoreboard&) = delete;
    Scoreboard& operator=(const Scoreboard&) = delete;

    std::size_t size() const { return slots_; }
    ScoreboardHeader& header();
    const ScoreboardHeader& header() const;

    // A consistent copy of slot `index`.
    SlotView read(std::size_t index) const;
    // Its pid alone (without copying the strings: once per hybrid hand-off).
    pid_t pid(std::size_t index) const;

    // Writers: the owner of the slot (or the master while it has none).
    void assign(std::size_t index, pid_t pid, uint32_t generation, SlotRole role);
    void clear(std::size_t index);
    void set_state(std::size_t index, SlotState state);
    void begin_request(std::size_t index, std::string_view method, std::string_view target,
                       std::string_view client, std::string_view route = {});
    // Counts the request in the slot and, with `count_in_header`, in the header's total (an
    // io worker that relayed it counts it there itself, as every request it answers).
    void end_request(std::size_t index, SlotState next, uint64_t bytes_written,
                     bool count_in_header = true);
    // The master's measurement of a child's memory; an atomic outside the seqlock, so it is
    // the one field another process may write while the child lives.
    void set_pss(std::size_t index, uint64_t pss_kb);
    // The process group of a program the owner's current request runs (a CGI script; 0:
    // none), so that the master can end it when the owner dies without ending it itself.
    void set_child_group(std::size_t index, pid_t group);
    pid_t child_group(std::size_t index) const;
    // The FastCGI application the owner started (`fastcgi = [".php=spawn:..."]`; 0: none),
    // whose memory the master counts with the owner's. An atomic outside the seqlock.
    void set_application(std::size_t index, pid_t pid);
    pid_t application(std::size_t index) const;
    // The requests after which the slot's owner retires (max_requests and its jitter; 0:
    // never): end_request leaves a slot that reached it `closing` instead of `idle`.
    void set_quota(std::size_t index, uint64_t requests);
    // Hybrid hand-off: idle -> claimed, atomically; false when the slot was not idle.
    bool try_claim(std::size_t index);
    // One past the highest slot assigned so far (header().slots_used).
    std::size_t slots_used() const;
    // Undoes a claim whose hand-off never arrived: claimed -> idle.
    bool try_unclaim(std::size_t index);
    // The slot's state alone, without the seqlock (it is its own atomic).
    SlotState state(std::size_t index) const;

    static uint64_t now_ms();

  private:
    struct Slot;
    Slot* slot(std::size_t index) const;

    void* region_ = nullptr;
    std::size_t region_size_ = 0;
    std::size_t slots_ = 0;
};

}  // namespace forkd::ipc
