// The master's record of its children, and the line it writes when one dies.
#include "master/process_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <vector>

namespace forkd::master {
namespace {

Child child(pid_t pid, Role role, int number, std::size_t board_slot) {
    return Child{pid, role, number, "worker " + std::to_string(number), Clock::now(), board_slot};
}

// Wait statuses as waitpid reports them (Linux): a signal in the low 7 bits, an exit code
// in the next byte.
int killed_by(int signal) {
    return signal;
}
int exited_with(int code) {
    return code << 8;
}

TEST(ProcessTable, FindsAChildByPidUntilItIsRemoved) {
    ProcessTable table(4);
    table.add(child(100, Role::worker, 1, 0));
    ASSERT_NE(table.find(100), nullptr);
    EXPECT_EQ(table.find(100)->slot, 1);

    std::optional<Child> removed = table.remove(100);

    ASSERT_TRUE(removed.has_value());
    EXPECT_EQ(removed->pid, 100);
    EXPECT_EQ(table.find(100), nullptr);
    EXPECT_TRUE(table.empty());
}

TEST(ProcessTable, RemovingAStrangerReturnsNothing) {
    ProcessTable table(4);
    table.add(child(100, Role::worker, 1, 0));
    EXPECT_FALSE(table.remove(555).has_value()) << "an orphaned grandchild is no child of ours";
    EXPECT_EQ(table.size(), 1U);
}

TEST(ProcessTable, HandsOutTheLowestScoreboardSlotNoChildHolds) {
    ProcessTable table(8);
    EXPECT_EQ(table.free_board_slot(), 0U);
    table.add(child(100, Role::worker, 1, 0));
    table.add(child(101, Role::worker, 2, 1));
    table.add(child(102, Role::worker, 3, 3));
    EXPECT_EQ(table.free_board_slot(), 2U);
    table.remove(100);
    EXPECT_EQ(table.free_board_slot(), 0U);
}

TEST(ProcessTable, FindsEachOfManyChildrenByPidWhateverItsSlot) {
    ProcessTable table(64);
    for (pid_t pid = 1000; pid < 1064; ++pid)
        table.add(child(pid, Role::connection, 0, table.free_board_slot()));
    table.remove(1010);
    table.remove(1020);
    for (pid_t pid = 1000; pid < 1064; ++pid) {
        if (pid == 1010 || pid == 1020) {
            EXPECT_EQ(table.find(pid), nullptr) << pid;
        } else {
            ASSERT_NE(table.find(pid), nullptr) << pid;
            EXPECT_EQ(table.find(pid)->pid, pid);
        }
    }
    EXPECT_EQ(table.size(), 62U);
    EXPECT_EQ(table.find(0), nullptr) << "pid 0 marks a free slot, never a child";
}

TEST(ProcessTable, ARemovedChildsSlotIsHandedOutAgain) {
    ProcessTable table(4);
    table.add(child(100, Role::connection, 0, 0));
    table.add(child(101, Role::connection, 0, 1));
    std::optional<Child> gone = table.remove(100);
    ASSERT_TRUE(gone.has_value());
    EXPECT_EQ(gone->board_slot, 0U) << "the caller clears the scoreboard slot it held";
    EXPECT_EQ(table.free_board_slot(), 0U);
    table.add(child(102, Role::connection, 0, 0));
    EXPECT_EQ(table.find(102)->board_slot, 0U);
    EXPECT_EQ(table.find(101)->pid, 101) << "the other child is untouched";
}

TEST(ProcessTable, HoldsAtMostItsCapacity) {
    ProcessTable table(3);
    for (pid_t pid = 100; pid < 103; ++pid)
        table.add(child(pid, Role::connection, 0, table.free_board_slot()));
    EXPECT_EQ(table.size(), table.capacity());
    EXPECT_EQ(table.free_board_slot(), table.capacity()) << "no free slot: spawn refuses";
    EXPECT_THROW(table.add(child(200, Role::connection, 0, 3)), std::logic_error);
    EXPECT_THROW(table.add(child(200, Role::connection, 0, 1)), std::logic_error)
        << "a taken slot is not given twice";
    table.remove(101);
    EXPECT_EQ(table.free_board_slot(), 1U);
}

TEST(ProcessTable, VisitsEveryChildOnceInSlotOrder) {
    ProcessTable table(8);
    table.add(child(105, Role::worker, 2, 5));
    table.add(child(101, Role::worker, 1, 1));
    table.add(child(107, Role::io, 1, 7));
    std::vector<pid_t> seen;
    for (const Child& each : table)
        seen.push_back(each.pid);
    EXPECT_EQ(seen, (std::vector<pid_t>{101, 105, 107}));
    EXPECT_TRUE(
        std::ranges::any_of(table, [](const Child& each) { return each.role == Role::io; }));
}

TEST(ProcessTable, KeepsAConnectionsLabelForItsDeathLine) {
    ProcessTable table(2);
    Child connection = child(300, Role::connection, 0, 0);
    connection.label.assign("conn ", "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    table.add(connection);
    std::optional<Child> gone = table.remove(300);
    EXPECT_EQ(gone->label, "conn [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    EXPECT_EQ(describe_death(*gone, killed_by(SIGSEGV)),
              "conn [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535 (pid 300) killed by SIGSEGV "
              "(signal 11) between requests after 0 requests");
}

TEST(ProcessTable, CountsChildrenByRole) {
    ProcessTable table(4);
    table.add(child(100, Role::worker, 1, 0));
    table.add(child(101, Role::worker, 2, 1));
    table.add(child(102, Role::io, 1, 2));
    EXPECT_EQ(table.count(Role::worker), 2U);
    EXPECT_EQ(table.count(Role::io), 1U);
    EXPECT_EQ(table.count(Role::connection), 0U);
}

TEST(ProcessTable, AWorkerNumberIsTakenOnlyByAWorker) {
    ProcessTable table(4);
    table.add(child(100, Role::worker, 1, 0));
    table.add(child(101, Role::io, 2, 1));
    EXPECT_TRUE(table.slot_taken(1));
    EXPECT_FALSE(table.slot_taken(2)) << "io worker 2 is not worker 2";
    EXPECT_FALSE(table.slot_taken(3));
}

Child died_serving(uint64_t requests, std::string route) {
    Child dead = child(1234, Role::worker, 3, 0);
    dead.label = "app 3";
    dead.last_slot.requests = requests;
    dead.last_slot.request_started_ms = 1;
    dead.last_slot.method = "GET";
    dead.last_slot.target = "/crash?x";
    dead.last_slot.route = std::move(route);
    return dead;
}

TEST(DescribeDeath, NamesTheSignalThePidTheRequestAndItsRoute) {
    EXPECT_EQ(describe_death(died_serving(5, "/crash"), killed_by(SIGSEGV)),
              "app 3 (pid 1234) killed by SIGSEGV (signal 11) serving GET /crash?x "
              "(route /crash) after 5 requests \u2014 that request got 502");
}

TEST(DescribeDeath, LeavesTheRouteOutWhenNoneMatched) {
    EXPECT_EQ(describe_death(died_serving(1, ""), killed_by(SIGABRT)),
              "app 3 (pid 1234) killed by SIGABRT (signal 6) serving GET /crash?x "
              "after 1 request \u2014 that request got 502");
}

TEST(DescribeDeath, PromisesNo502AfterSigkill) {
    std::string line = describe_death(died_serving(0, "/crash"), killed_by(SIGKILL));
    EXPECT_EQ(line,
              "app 3 (pid 1234) killed by SIGKILL (signal 9) serving GET /crash?x "
              "(route /crash) after 0 requests");
}

TEST(DescribeDeath, SaysWhenTheChildDiedBetweenRequests) {
    Child dead = died_serving(2, "/crash");
    dead.last_slot.request_started_ms = 0;
    EXPECT_EQ(describe_death(dead, exited_with(1)),
              "app 3 (pid 1234) exited with code 1 between requests after 2 requests");
}

// ---- Why a child exited (the metrics' forkd_process_exits_total) ----------------------------

TEST(ExitCause, ACleanExitNobodyAskedForIsAWorkerThatServedItsQuota) {
    EXPECT_EQ(exit_cause(child(1, Role::worker, 1, 0), exited_with(0), false),
              ipc::ExitCause::max_requests);
}

TEST(ExitCause, AForkModeChildEndsWithItsConnection) {
    EXPECT_EQ(exit_cause(child(1, Role::connection, 0, 0), exited_with(0), false),
              ipc::ExitCause::connection_closed);
}

TEST(ExitCause, ARetiredChildCountsAsWhatItWasRetiredFor) {
    Child over_memory = child(1, Role::worker, 1, 0);
    over_memory.retiring = true;
    over_memory.retired_for = ipc::ExitCause::max_rss;
    EXPECT_EQ(exit_cause(over_memory, exited_with(0), false), ipc::ExitCause::max_rss);
    Child replaced = child(2, Role::io, 1, 1);
    replaced.retiring = true;
    EXPECT_EQ(exit_cause(replaced, exited_with(0), false), ipc::ExitCause::retired);
}

TEST(ExitCause, SignalsAndFailureCodesAreCrashesButSigkillFromOutsideIsAKill) {
    Child worker = child(1, Role::worker, 1, 0);
    EXPECT_EQ(exit_cause(worker, killed_by(SIGSEGV), false), ipc::ExitCause::crash);
    EXPECT_EQ(exit_cause(worker, killed_by(SIGABRT), false), ipc::ExitCause::crash);
    EXPECT_EQ(exit_cause(worker, exited_with(1), false), ipc::ExitCause::crash);
    EXPECT_EQ(exit_cause(worker, killed_by(SIGKILL), false), ipc::ExitCause::kill);
}

TEST(ExitCause, RequestTimeoutIsItsOwnExitCodeOrTheMastersSigkill) {
    Child worker = child(1, Role::worker, 1, 0);
    EXPECT_EQ(exit_cause(worker, exited_with(3), false), ipc::ExitCause::timeout);
    worker.killed_for_timeout = true;
    EXPECT_EQ(exit_cause(worker, killed_by(SIGKILL), false), ipc::ExitCause::timeout);
}

TEST(ExitCause, WhileStoppingTheStopSignalsAndCleanExitsAreStops) {
    Child worker = child(1, Role::worker, 1, 0);
    EXPECT_EQ(exit_cause(worker, exited_with(0), true), ipc::ExitCause::stopped);
    EXPECT_EQ(exit_cause(worker, killed_by(SIGKILL), true), ipc::ExitCause::stopped);
    EXPECT_EQ(exit_cause(worker, killed_by(SIGSEGV), true), ipc::ExitCause::crash);
}

TEST(ExitCause, TheFatalStartCodeIsAStartFailure) {
    EXPECT_EQ(exit_cause(child(1, Role::worker, 1, 0), exited_with(2), false),
              ipc::ExitCause::start_failure);
}

}  // namespace
}  // namespace forkd::master
