// The event loop over real fds (a socketpair): callbacks run for what each fd is watched
// for, and changing the interest set (including to what it already is) takes effect.
#include "event/loop.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace forkd::event {
namespace {

using std::chrono::milliseconds;

struct Pair {
    Pair() {
        int fds[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
        ours = Fd(fds[0]);
        theirs = Fd(fds[1]);
    }
    Fd ours;
    Fd theirs;
};

TEST(Loop, RunsTheCallbackOfAReadyFd) {
    Loop loop;
    Pair pair;
    uint32_t seen = 0;
    loop.add(pair.ours.get(), EPOLLIN, [&](uint32_t events) { seen = events; });
    loop.run_once(milliseconds(0));
    EXPECT_EQ(seen, 0u) << "nothing to read yet";
    ASSERT_EQ(::write(pair.theirs.get(), "x", 1), 1);
    loop.run_once(milliseconds(1000));
    EXPECT_TRUE(seen & EPOLLIN);
}

TEST(Loop, ModifyChangesWhatIsWatchedAndBackAgain) {
    Loop loop;
    Pair pair;
    uint32_t seen = 0;
    loop.add(pair.ours.get(), EPOLLIN, [&](uint32_t events) { seen = events; });
    loop.modify(pair.ours.get(), EPOLLOUT);  // a socket with room: writable at once
    loop.run_once(milliseconds(1000));
    EXPECT_TRUE(seen & EPOLLOUT);

    seen = 0;
    loop.modify(pair.ours.get(), EPOLLIN);
    loop.modify(pair.ours.get(), EPOLLIN);  // unchanged: no system call, still watched
    loop.run_once(milliseconds(0));
    EXPECT_EQ(seen, 0u) << "no longer watched for EPOLLOUT";
    ASSERT_EQ(::write(pair.theirs.get(), "x", 1), 1);
    loop.run_once(milliseconds(1000));
    EXPECT_TRUE(seen & EPOLLIN);
}

TEST(Loop, ARemovedFdIsForgottenAndCanBeAddedAgain) {
    Loop loop;
    Pair pair;
    int calls = 0;
    loop.add(pair.ours.get(), EPOLLOUT, [&](uint32_t) { ++calls; });
    loop.remove(pair.ours.get());
    EXPECT_FALSE(loop.watches(pair.ours.get()));
    loop.run_once(milliseconds(0));
    EXPECT_EQ(calls, 0);
    loop.add(pair.ours.get(), EPOLLOUT, [&](uint32_t) { ++calls; });
    loop.modify(pair.ours.get(), EPOLLOUT);
    loop.run_once(milliseconds(1000));
    EXPECT_EQ(calls, 1);
}

TEST(Loop, ACallbackMayRemoveItself) {
    Loop loop;
    Pair pair;
    int calls = 0;
    int fd = pair.ours.get();
    loop.add(fd, EPOLLOUT, [&](uint32_t) {
        ++calls;
        loop.remove(fd);
    });
    loop.run_once(milliseconds(1000));
    loop.run_once(milliseconds(0));
    EXPECT_EQ(calls, 1);
}

// Callbacks run in place: one that drops or replaces its own watch, or makes the loop's
// table grow, still has its captures until it returns (a string it captured by value is
// read after all that).
TEST(Loop, ACallbackKeepsItsCapturesAfterRemovingOrReplacingItself) {
    Loop loop;
    Pair pair;
    int fd = pair.ours.get();
    std::string seen;
    std::string name(64, 'a');  // longer than any small-string buffer: freed if destroyed
    Fd high(::fcntl(fd, F_DUPFD_CLOEXEC, 1000));  // watching it grows the loop's table
    ASSERT_TRUE(high);
    loop.add(fd, EPOLLOUT, [&, name](uint32_t) {
        loop.add(high.get(), EPOLLIN, [](uint32_t) {});
        loop.remove(high.get());
        loop.remove(fd);
        loop.add(fd, EPOLLOUT, [&seen](uint32_t) { seen += "second;"; });
        loop.remove(fd);
        loop.add(fd, EPOLLOUT, [&seen](uint32_t) { seen += "third;"; });
        seen = name + ";";
    });
    loop.run_once(milliseconds(1000));
    EXPECT_EQ(seen, std::string(64, 'a') + ";");
    loop.run_once(milliseconds(1000));
    EXPECT_EQ(seen, std::string(64, 'a') + ";third;");
}

}  // namespace
}  // namespace forkd::event
