// The scoreboard as one process sees it: slots, the claim of hybrid's hand-off, the header.
#include "ipc/scoreboard.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkd::ipc {
namespace {

TEST(Scoreboard, StartsWithEveryPositionEmpty) {
    Scoreboard scoreboard(4);
    EXPECT_EQ(scoreboard.size(), 4U);
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_EQ(scoreboard.read(i).state, SlotState::empty);
}

TEST(Scoreboard, ARequestIsVisibleWhileItRunsAndCountedWhenItEnds) {
    Scoreboard scoreboard(2);
    scoreboard.assign(1, 300, 2, SlotRole::worker);
    EXPECT_EQ(scoreboard.read(1).state, SlotState::starting);
    scoreboard.begin_request(1, "GET", "/?sleep=3", "127.0.0.1:5000");
    SlotView busy = scoreboard.read(1);
    EXPECT_EQ(busy.pid, 300);
    EXPECT_EQ(busy.generation, 2U);
    EXPECT_EQ(busy.state, SlotState::busy);
    EXPECT_EQ(busy.method, "GET");
    EXPECT_EQ(busy.target, "/?sleep=3");
    EXPECT_EQ(busy.client, "127.0.0.1:5000");
    EXPECT_NE(busy.request_started_ms, 0U);

    scoreboard.end_request(1, SlotState::idle, 14);
    SlotView done = scoreboard.read(1);
    EXPECT_EQ(done.state, SlotState::idle);
    EXPECT_EQ(done.requests, 1U);
    EXPECT_EQ(done.bytes_written, 14U);
    EXPECT_EQ(done.request_started_ms, 0U);
    EXPECT_EQ(scoreboard.header().requests.load(), 1U);
}

TEST(Scoreboard, CutsLongTargetsToTheSlotsSize) {
    Scoreboard scoreboard(1);
    scoreboard.assign(0, 1, 0, SlotRole::worker);
    scoreboard.begin_request(0, "GET", std::string(1000, 'a'), "x");
    std::string target = scoreboard.read(0).target;
    EXPECT_LT(target.size(), 1000U);
    EXPECT_EQ(target, std::string(target.size(), 'a'));
}

TEST(Scoreboard, OnlyAnIdleSlotCanBeClaimedAndOnlyOnce) {
    Scoreboard scoreboard(1);
    scoreboard.assign(0, 1, 0, SlotRole::worker);
    EXPECT_FALSE(scoreboard.try_claim(0)) << "a starting worker is not idle";
    scoreboard.set_state(0, SlotState::idle);
    EXPECT_TRUE(scoreboard.try_claim(0));
    EXPECT_FALSE(scoreboard.try_claim(0)) << "a second io worker must not get it";
    EXPECT_EQ(scoreboard.state(0), SlotState::claimed);
    EXPECT_TRUE(scoreboard.try_unclaim(0));
    EXPECT_EQ(scoreboard.state(0), SlotState::idle);
    EXPECT_FALSE(scoreboard.try_unclaim(0)) << "only a claimed slot can be released";
}

TEST(Scoreboard, SearchesStopPastTheHighestSlotEverAssigned) {
    Scoreboard scoreboard(8);
    EXPECT_EQ(scoreboard.slots_used(), 0U);
    scoreboard.assign(2, 1, 0, SlotRole::worker);
    EXPECT_EQ(scoreboard.slots_used(), 3U);
    scoreboard.assign(0, 2, 0, SlotRole::io);
    EXPECT_EQ(scoreboard.slots_used(), 3U) << "a lower slot does not lower the bound";
    scoreboard.clear(2);
    EXPECT_EQ(scoreboard.slots_used(), 3U) << "a slot freed may be taken again at once";
    scoreboard.assign(7, 3, 0, SlotRole::worker);
    EXPECT_EQ(scoreboard.slots_used(), 8U);
}

TEST(Scoreboard, IsSharedWithAForkedChild) {
    Scoreboard scoreboard(1);
    pid_t child = ::fork();
    if (child == 0) {
        scoreboard.assign(0, ::getpid(), 0, SlotRole::worker);
        scoreboard.set_state(0, SlotState::idle);
        ::_exit(0);
    }
    ASSERT_GT(child, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(scoreboard.read(0).pid, child);
    EXPECT_EQ(scoreboard.read(0).state, SlotState::idle);
}

TEST(Scoreboard, KeepsTheRouteOfTheRunningRequestCutToTheSlotsSize) {
    Scoreboard scoreboard(1);
    scoreboard.assign(0, 1, 0, SlotRole::worker);
    scoreboard.begin_request(0, "GET", "/hello/ann", "x", "/hello/{name}");
    EXPECT_EQ(scoreboard.read(0).route, "/hello/{name}");
    scoreboard.begin_request(0, "GET", "/", "x", std::string(1000, 'r'));
    std::string route = scoreboard.read(0).route;
    EXPECT_LT(route.size(), 1000U);
    EXPECT_EQ(route, std::string(route.size(), 'r'));
}

TEST(Scoreboard, ANewOwnerStartsWithoutTheLastOnesRoute) {
    Scoreboard scoreboard(1);
    scoreboard.assign(0, 1, 0, SlotRole::worker);
    scoreboard.begin_request(0, "GET", "/crash", "x", "/crash");
    scoreboard.clear(0);
    scoreboard.assign(0, 2, 0, SlotRole::worker);
    EXPECT_EQ(scoreboard.read(0).route, "");
}

TEST(Scoreboard, ClearingASlotEmptiesIt) {
    Scoreboard scoreboard(1);
    scoreboard.assign(0, 9, 0, SlotRole::connection);
    scoreboard.clear(0);
    EXPECT_EQ(scoreboard.read(0).state, SlotState::empty);
    EXPECT_EQ(scoreboard.read(0).pid, 0);
}

}  // namespace
}  // namespace forkd::ipc
