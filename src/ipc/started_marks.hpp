// "The response has started" marks of hybrid mode: how an io worker learns, after an app
// worker died, whether any byte of the response reached the client (then the connection
// can only be closed) or none did (then the io worker answers 502 or 504 itself).
//
// Each io worker makes one region (a memfd, one word per scoreboard slot) and sends it to
// every app worker with their link (ipc/hand_off.hpp). Before its first response byte the
// app worker in slot s writes the hand-off's sequence number into word s. The word belongs
// to that (io worker, slot) pair alone: the io worker settles a dead worker's hand-off
// before it hands anything to the slot's next process, so no later write can hide a mark.
// A memory write replaces a "started" message, which woke the io worker once more per
// request for nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/fd.hpp"

namespace forkd::ipc {

class StartedMarks {
  public:
    // The io worker's region. Throws std::runtime_error when the kernel refuses.
    static StartedMarks create(std::size_t slots);
    // An app worker's view of a region it received; nullopt when it cannot be mapped.
    static std::optional<StartedMarks> attach(int fd, std::size_t slots);

    StartedMarks(StartedMarks&& other) noexcept;
    StartedMarks& operator=(StartedMarks&& other) noexcept;
    StartedMarks(const StartedMarks&) = delete;
    StartedMarks& operator=(const StartedMarks&) = delete;
    ~StartedMarks();

    // The memfd, to send to app workers (invalid in an attached view).
    int fd() const { return fd_.get(); }

    void mark(std::size_t slot, uint64_t sequence);
    bool marked(std::size_t slot, uint64_t sequence) const;

  private:
    StartedMarks(Fd fd, std::atomic<uint64_t>* words, std::size_t slots);
    void release();

    Fd fd_;
    std::atomic<uint64_t>* words_ = nullptr;
    std::size_t slots_ = 0;
};

}  // namespace forkd::ipc
