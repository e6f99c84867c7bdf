// What a fork does with each kind of memory os/shared_memory.hpp maps: shared memory is the
// same memory in the child; unforked memory is not in the child at all, and stays the
// parent's, writable, after the fork.
#include "os/shared_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace forkd::os {
namespace {

constexpr std::size_t kSize = 3 * 4096;

// Runs `child` in a forked process; its return value is the exit status.
template <class Child>
int in_child(Child child) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(child());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool mapped(void* address, std::size_t size) {
    // msync fails with ENOMEM on a range that is not (wholly) mapped.
    return ::msync(address, size, MS_ASYNC) == 0 || errno != ENOMEM;
}

TEST(SharedMemory, SharedAnonymousMemoryIsTheSameInAForkedChild) {
    auto* memory = static_cast<volatile std::uint8_t*>(map_shared_anonymous(kSize));
    EXPECT_EQ(in_child([&] {
                  memory[kSize - 1] = 42;
                  return 0;
              }),
              0);
    EXPECT_EQ(memory[kSize - 1], 42);
    unmap(const_cast<std::uint8_t*>(memory), kSize);
}

TEST(UnforkedMemory, IsZeroedAndNotInAForkedChild) {
    auto* memory = static_cast<std::uint8_t*>(map_unforked(kSize));
    EXPECT_EQ(std::vector<std::uint8_t>(memory, memory + kSize), std::vector<std::uint8_t>(kSize));
    memory[0] = 7;
    EXPECT_EQ(in_child([&] { return mapped(memory, kSize) ? 1 : 0; }), 0)
        << "the child has the parent's unforked memory";
    memory[kSize - 1] = 9;  // still the parent's, and writable
    EXPECT_EQ(memory[0], 7);
    EXPECT_EQ(memory[kSize - 1], 9);
    unmap(memory, kSize);
}

TEST(UnforkedMemory, AContainerReservedInItWorksAsAny) {
    std::vector<int, UnforkedAllocator<int>> numbers;
    numbers.reserve(1000);
    for (int i = 0; i < 1000; ++i)
        numbers.push_back(i);
    EXPECT_EQ(numbers[999], 999);
    EXPECT_EQ(in_child([&] { return mapped(numbers.data(), sizeof(int)) ? 1 : 0; }), 0);
}

}  // namespace
}  // namespace forkd::os
