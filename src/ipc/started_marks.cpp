#include "ipc/started_marks.hpp"

#include <utility>

#include "os/shared_memory.hpp"

namespace forkd::ipc {

StartedMarks StartedMarks::create(std::size_t slots) {
    os::SharedFile file = os::make_shared_file("forkd-started-marks", slots * sizeof(uint64_t));
    return StartedMarks(std::move(file.fd), static_cast<std::atomic<uint64_t>*>(file.address),
                        slots);
}

std::optional<StartedMarks> StartedMarks::attach(int fd, std::size_t slots) {
    void* address = os::map_shared_file(fd, slots * sizeof(uint64_t));
    if (address == nullptr) return std::nullopt;
    return StartedMarks(Fd(), static_cast<std::atomic<uint64_t>*>(address), slots);
}

StartedMarks::StartedMarks(Fd fd, std::atomic<uint64_t>* words, std::size_t slots)
    : fd_(std::move(fd)), words_(words), slots_(slots) {}

StartedMarks::StartedMarks(StartedMarks&& other) noexcept
    : fd_(std::move(other.fd_)),
      words_(std::exchange(other.words_, nullptr)),
      slots_(std::exchange(other.slots_, 0)) {}

StartedMarks& StartedMarks::operator=(StartedMarks&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::move(other.fd_);
        words_ = std::exchange(other.words_, nullptr);
        slots_ = std::exchange(other.slots_, 0);
    }
    return *this;
}

StartedMarks::~StartedMarks() {
    release();
}

void StartedMarks::release() {
    os::unmap(words_, slots_ * sizeof(uint64_t));
    words_ = nullptr;
}

void StartedMarks::mark(std::size_t slot, uint64_t sequence) {
    if (slot < slots_) words_[slot].store(sequence, std::memory_order_release);
}

bool StartedMarks::marked(std::size_t slot, uint64_t sequence) const {
    return slot < slots_ && words_[slot].load(std::memory_order_acquire) == sequence;
}

}  // namespace forkd::ipc
