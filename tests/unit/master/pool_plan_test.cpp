// The static pool policy, without forking: which worker slots the master must (re)start.
#include "master/pool_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace forkd::master {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Clock::time_point kNow = Clock::now();

Child worker_in(int slot, pid_t pid) {
    return Child{pid, Role::worker, slot, "worker " + std::to_string(slot), kNow};
}

Child connection_child(pid_t pid) {
    return Child{pid, Role::connection, 0, "conn 127.0.0.1:5000", kNow};
}

std::vector<int> slots_to_start(const ProcessTable& table, int workers, PoolState state = {}) {
    return plan_pool(table, PoolSettings{workers}, state, kNow).spawn_slots;
}

TEST(PoolPlan, AnEmptyPoolStartsEveryWorkerInSlotOrder) {
    ProcessTable table;
    EXPECT_THAT(slots_to_start(table, 4), ElementsAre(1, 2, 3, 4));
}

TEST(PoolPlan, AFullPoolStartsNothing) {
    ProcessTable table;
    for (int slot = 1; slot <= 3; ++slot)
        table.add(worker_in(slot, 100 + slot));
    EXPECT_THAT(slots_to_start(table, 3), IsEmpty());
}

TEST(PoolPlan, AWorkerThatExitedIsReplacedInItsOwnSlot) {
    ProcessTable table;
    for (int slot = 1; slot <= 3; ++slot)
        table.add(worker_in(slot, 100 + slot));
    table.remove(102);
    EXPECT_THAT(slots_to_start(table, 3), ElementsAre(2));
}

TEST(PoolPlan, SeveralEmptySlotsAreFilledInAscendingOrder) {
    ProcessTable table;
    table.add(worker_in(3, 103));
    table.add(worker_in(1, 101));
    EXPECT_THAT(slots_to_start(table, 5), ElementsAre(2, 4, 5));
}

TEST(PoolPlan, ASlotWhoseWorkerFailedItsStartIsNotRestarted) {
    ProcessTable table;
    table.add(worker_in(1, 101));
    PoolState state;
    state.failed_slots = {2};
    EXPECT_THAT(slots_to_start(table, 3, state), ElementsAre(3));
}

TEST(PoolPlan, WhenEverySlotFailedNothingIsStarted) {
    ProcessTable table;
    PoolState state;
    state.failed_slots = {1, 2};
    EXPECT_THAT(slots_to_start(table, 2, state), IsEmpty());
}

TEST(PoolPlan, AStoppingMasterStartsNoWorker) {
    ProcessTable table;
    table.add(worker_in(1, 101));
    PoolState state;
    state.stopping = true;
    EXPECT_THAT(slots_to_start(table, 4, state), IsEmpty());
}

TEST(PoolPlan, ConnectionChildrenDoNotHoldWorkerSlots) {
    ProcessTable table;
    table.add(connection_child(201));
    table.add(connection_child(202));
    EXPECT_THAT(slots_to_start(table, 2), ElementsAre(1, 2));
}

TEST(PoolPlan, AWorkerBeyondThePoolSizeDoesNotStandInForAMissingOne) {
    ProcessTable table;
    table.add(worker_in(5, 105));
    EXPECT_THAT(slots_to_start(table, 2), ElementsAre(1, 2));
}

TEST(PoolPlan, TheSameTableAndSettingsGiveTheSamePlan) {
    ProcessTable table;
    table.add(worker_in(2, 102));
    PoolState state;
    state.failed_slots = {4};
    PoolPlan first = plan_pool(table, PoolSettings{4}, state, kNow);
    PoolPlan later = plan_pool(table, PoolSettings{4}, state, kNow + std::chrono::hours(1));
    EXPECT_EQ(first.spawn_slots, later.spawn_slots);
    EXPECT_THAT(first.spawn_slots, ElementsAre(1, 3));
}

}  // namespace
}  // namespace forkd::master
