// The pool policy, without forking: who the master must start and retire.
#include "master/pool_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace forkd::master {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using State = ipc::SlotState;

const Clock::time_point kNow = Clock::now();

WorkerView worker(int number, State state, uint32_t generation = 0) {
    return WorkerView{100 + number, number, generation, state, kNow, 0, false};
}

PoolSettings static_pool(int workers) {
    PoolSettings settings;
    settings.pm = config::Pm::static_pool;
    settings.workers = workers;
    return settings;
}

PoolSettings dynamic_pool(int workers, int max_workers, int min_spare, int max_spare) {
    PoolSettings settings;
    settings.pm = config::Pm::dynamic;
    settings.workers = workers;
    settings.max_workers = max_workers;
    settings.min_spare = min_spare;
    settings.max_spare = max_spare;
    return settings;
}

PoolSettings ondemand_pool(int max_workers) {
    PoolSettings settings;
    settings.pm = config::Pm::ondemand;
    settings.max_workers = max_workers;
    settings.idle_timeout = std::chrono::seconds(10);
    return settings;
}

PoolState started() {
    PoolState state;
    state.started = true;
    return state;
}

TEST(StaticPool, AnEmptyPoolStartsEveryWorkerInNumberOrder) {
    PoolPlan plan = plan_pool({}, static_pool(4), PoolState{}, kNow);
    EXPECT_THAT(plan.spawn_numbers, ElementsAre(1, 2, 3, 4));
}

TEST(StaticPool, AWorkerThatExitedIsReplacedUnderItsOwnNumber) {
    std::vector<WorkerView> workers = {worker(1, State::idle), worker(3, State::busy)};
    EXPECT_THAT(plan_pool(workers, static_pool(3), started(), kNow).spawn_numbers, ElementsAre(2));
}

TEST(StaticPool, ANumberThatFailedItsStartIsNotRestarted) {
    PoolState state = started();
    state.failed_numbers = {2};
    EXPECT_THAT(plan_pool({}, static_pool(3), state, kNow).spawn_numbers, ElementsAre(1, 3));
}

TEST(StaticPool, ACrashingNumberWaitsOutItsBackoff) {
    PoolState state = started();
    state.backoff[1] = Backoff{3, kNow + std::chrono::seconds(1)};
    EXPECT_THAT(plan_pool({}, static_pool(2), state, kNow).spawn_numbers, ElementsAre(2));
    EXPECT_THAT(plan_pool({}, static_pool(2), state, kNow + std::chrono::seconds(2)).spawn_numbers,
                ElementsAre(1, 2));
}

TEST(StaticPool, AFullPoolOfBusyWorkersIsAtMaxWorkers) {
    std::vector<WorkerView> workers = {worker(1, State::busy), worker(2, State::busy)};
    PoolPlan plan = plan_pool(workers, static_pool(2), started(), kNow);
    EXPECT_THAT(plan.spawn_numbers, IsEmpty());
    EXPECT_TRUE(plan.at_max_workers);
}

TEST(StaticPool, ARetiringWorkerIsReplacedBeforeItLeaves) {
    std::vector<WorkerView> workers = {worker(1, State::busy), worker(2, State::idle)};
    workers[0].retiring = true;
    EXPECT_THAT(plan_pool(workers, static_pool(2), started(), kNow).spawn_numbers, ElementsAre(1));
}

TEST(DynamicPool, StartsWithWorkersProcesses) {
    EXPECT_THAT(plan_pool({}, dynamic_pool(3, 10, 1, 4), PoolState{}, kNow).spawn_numbers,
                ElementsAre(1, 2, 3));
}

TEST(DynamicPool, GrowsByTheRampWhenSpareWorkersRunShort) {
    std::vector<WorkerView> workers = {worker(1, State::busy), worker(2, State::busy)};
    PoolState state = started();
    state.ramp = 2;
    PoolPlan plan = plan_pool(workers, dynamic_pool(2, 10, 4, 8), state, kNow);
    EXPECT_THAT(plan.spawn_numbers, ElementsAre(3, 4));
    EXPECT_EQ(plan.next_ramp, 4);
}

TEST(DynamicPool, NeverGrowsPastMaxWorkers) {
    std::vector<WorkerView> workers = {worker(1, State::busy), worker(2, State::busy)};
    PoolState state = started();
    state.ramp = 32;
    PoolPlan plan = plan_pool(workers, dynamic_pool(2, 3, 4, 8), state, kNow);
    EXPECT_THAT(plan.spawn_numbers, ElementsAre(3));
}

TEST(DynamicPool, RetiresTheHighestNumberedIdleWorkerWhenTooManyIdle) {
    std::vector<WorkerView> workers = {worker(1, State::idle), worker(2, State::idle),
                                       worker(3, State::idle), worker(4, State::busy)};
    PoolPlan plan = plan_pool(workers, dynamic_pool(2, 10, 1, 2), started(), kNow);
    EXPECT_THAT(plan.retire, ElementsAre(103));
    EXPECT_THAT(plan.spawn_numbers, IsEmpty());
    EXPECT_EQ(plan.next_ramp, 1);
}

TEST(DynamicPool, DoesNotGrowPastTheMemoryLimit) {
    std::vector<WorkerView> workers = {worker(1, State::busy), worker(2, State::busy)};
    workers[0].pss_kb = workers[1].pss_kb = 40'000;
    PoolSettings settings = dynamic_pool(2, 10, 2, 4);
    settings.memory_limit_kb = 100'000;  // 80 MB used, another 40 MB worker would not fit
    EXPECT_THAT(plan_pool(workers, settings, started(), kNow).spawn_numbers, IsEmpty());
    settings.memory_limit_kb = 130'000;
    EXPECT_THAT(plan_pool(workers, settings, started(), kNow).spawn_numbers, ElementsAre(3));
}

TEST(OndemandPool, StartsNothingUntilConnectionsWait) {
    EXPECT_THAT(plan_pool({}, ondemand_pool(4), started(), kNow).spawn_numbers, IsEmpty());
    PoolState waiting = started();
    waiting.connections_waiting = true;
    EXPECT_THAT(plan_pool({}, ondemand_pool(4), waiting, kNow).spawn_numbers, ElementsAre(1));
}

TEST(OndemandPool, AnIdleWorkerStaysWhenConnectionsWait) {
    PoolState waiting = started();
    waiting.connections_waiting = true;
    std::vector<WorkerView> workers = {worker(1, State::idle)};
    EXPECT_THAT(plan_pool(workers, ondemand_pool(4), waiting, kNow).spawn_numbers, IsEmpty());
}

TEST(OndemandPool, RetiresWorkersIdleLongerThanIdleTimeout) {
    std::vector<WorkerView> workers = {worker(1, State::idle), worker(2, State::idle)};
    workers[0].idle_since = kNow - std::chrono::seconds(11);
    workers[1].idle_since = kNow - std::chrono::seconds(5);
    EXPECT_THAT(plan_pool(workers, ondemand_pool(4), started(), kNow).retire, ElementsAre(101));
}

TEST(Generations, AnOldWorkerLeavesOnceItsSuccessorIsReady) {
    PoolState state = started();
    state.generation = 1;
    std::vector<WorkerView> workers = {worker(1, State::idle, 0), worker(2, State::busy, 0),
                                       worker(1, State::idle, 1), worker(2, State::starting, 1)};
    workers[2].pid = 201;
    workers[3].pid = 202;
    PoolPlan plan = plan_pool(workers, static_pool(2), state, kNow);
    EXPECT_THAT(plan.retire, ElementsAre(101));
}

TEST(Generations, EveryOldWorkerLeavesOnceTheNewGenerationIsComplete) {
    PoolState state = started();
    state.generation = 1;
    std::vector<WorkerView> workers = {worker(1, State::busy, 0), worker(3, State::idle, 0),
                                       worker(1, State::idle, 1)};
    workers[2].pid = 201;
    PoolPlan plan = plan_pool(workers, static_pool(1), state, kNow);
    EXPECT_THAT(plan.retire, ElementsAre(101, 103));
}

TEST(Pool, AStoppingPoolPlansNothing) {
    PoolState state;
    state.stopping = true;
    PoolPlan plan = plan_pool({}, static_pool(4), state, kNow);
    EXPECT_THAT(plan.spawn_numbers, IsEmpty());
    EXPECT_THAT(plan.retire, IsEmpty());
}

TEST(CrashBackoff, DoublesFromOneHundredMillisecondsUpToThirtySeconds) {
    EXPECT_EQ(crash_backoff(1), std::chrono::milliseconds(100));
    EXPECT_EQ(crash_backoff(2), std::chrono::milliseconds(200));
    EXPECT_EQ(crash_backoff(4), std::chrono::milliseconds(800));
    EXPECT_EQ(crash_backoff(20), std::chrono::seconds(30));
}

}  // namespace
}  // namespace forkd::master
