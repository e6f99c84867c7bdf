// The worker pool driven by a fake host that records instead of forking: who is started,
// who is replaced at once, who backs off, who is never restarted.
#include "master/worker_pool.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "os/process.hpp"
#include "os/request_guard.hpp"

namespace forkd::master {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

// Wait statuses as waitpid reports them (Linux): a signal in the low 7 bits, an exit code
// in the next byte.
int killed_by(int signal) {
    return signal;
}
int exited_with(int code) {
    return code << 8;
}

// A master without processes: spawn adds a child to the table and assigns it a slot, as
// Master::spawn does in the parent; end() reaps one as Master::reap_children does.
class FakeHost final : public PoolHost {
  public:
    explicit FakeHost(int workers) : scoreboard_(16), table_(scoreboard_.size()) {
        config_.pm = config::Pm::static_pool;
        config_.workers = workers;
    }

    const ProcessTable& table() const override { return table_; }
    ipc::Scoreboard& scoreboard() override { return scoreboard_; }
    config::Config& config() override { return config_; }
    uint32_t generation() const override { return generation_; }
    bool stopping() const override { return false; }
    void spawn(int number, const std::string& label) override {
        pid_t pid = next_pid_++;
        std::size_t board_slot = table_.free_board_slot();
        scoreboard_.assign(board_slot, pid, generation_, ipc::SlotRole::worker);
        table_.add(Child{pid, Role::worker, number, label, Clock::now(), board_slot, generation_});
        spawned.push_back(number);
    }
    void retire(pid_t pid, const std::string&) override {
        retired.push_back(pid);
        if (Child* child = table_.find(pid)) child->retiring = true;
    }
    void give_up(const std::string& reason) override { gave_up = reason; }

    // The live worker with `number` (of the current generation).
    const Child& worker(int number) const {
        for (const Child& child : table_) {
            if (child.slot == number && child.generation == generation_) return child;
        }
        throw std::logic_error("no such worker");
    }
    bool runs(int number) const { return table_.slot_taken(number); }
    std::size_t workers() const { return table_.count(Role::worker); }

    // Worker `number` serves `requests` requests, then starts one it will not finish.
    void serve(int number, int requests) {
        std::size_t slot = worker(number).board_slot;
        for (int i = 0; i < requests; ++i) {
            scoreboard_.begin_request(slot, "GET", "/", "127.0.0.1:1", "/");
            scoreboard_.end_request(slot, ipc::SlotState::idle, 10);
        }
        scoreboard_.begin_request(slot, "GET", "/crash?x", "127.0.0.1:1", "/crash");
    }

    // Worker `number` dies with `status`.
    void end(WorkerPool& pool, int number, int status) {
        Child child = *table_.remove(worker(number).pid);
        child.last_slot = scoreboard_.read(child.board_slot);
        scoreboard_.clear(child.board_slot);
        pool.child_exited(*this, child, status);
    }

    bool degraded() { return scoreboard_.header().degraded.load() != 0; }
    void reload() { ++generation_; }

    std::vector<int> spawned;
    std::vector<pid_t> retired;
    std::string gave_up;

  private:
    ipc::Scoreboard scoreboard_;
    config::Config config_;
    ProcessTable table_;
    uint32_t generation_ = 0;
    pid_t next_pid_ = 1000;
};

WorkerPool make_pool() {
    return WorkerPool("prefork", "worker", [](Master&, std::size_t, const std::string&) {
        return 0;  // never runs: the fake host forks nothing
    });
}

TEST(WorkerPool, StartsTheConfiguredNumberOfWorkers) {
    WorkerPool pool = make_pool();
    FakeHost host(3);
    pool.start(host);
    EXPECT_THAT(host.spawned, ElementsAre(1, 2, 3));
    EXPECT_EQ(host.workers(), 3U);
    EXPECT_FALSE(host.degraded());
}

TEST(WorkerPool, ReplacesAWorkerThatCrashedAfterServingAtOnce) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);
    host.serve(2, 5);

    host.end(pool, 2, killed_by(SIGSEGV));
    pool.maintain(host, Clock::now());

    EXPECT_THAT(host.spawned, ElementsAre(1, 2, 2));
    EXPECT_FALSE(host.degraded());
}

TEST(WorkerPool, BacksOffAWorkerThatCrashedBeforeServingAndSaysDegraded) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);
    host.serve(2, 0);

    host.end(pool, 2, killed_by(SIGSEGV));
    Clock::time_point crashed = Clock::now();
    pool.maintain(host, crashed);

    EXPECT_FALSE(host.runs(2));
    EXPECT_TRUE(host.degraded());
    pool.maintain(host, crashed + 150ms);
    EXPECT_TRUE(host.runs(2)) << "restarted after 100 ms";
    EXPECT_FALSE(host.degraded());
}

TEST(WorkerPool, DoublesTheBackOffWhileAWorkerKeepsCrashingBeforeServing) {
    WorkerPool pool = make_pool();
    FakeHost host(1);
    pool.start(host);
    host.end(pool, 1, killed_by(SIGSEGV));
    pool.maintain(host, Clock::now() + 150ms);
    ASSERT_TRUE(host.runs(1));

    host.end(pool, 1, killed_by(SIGSEGV));
    Clock::time_point crashed = Clock::now();

    pool.maintain(host, crashed + 150ms);
    EXPECT_FALSE(host.runs(1)) << "the second crash in a row waits 200 ms";
    pool.maintain(host, crashed + 250ms);
    EXPECT_TRUE(host.runs(1));
}

TEST(WorkerPool, AWorkerThatServedStartsItsNumbersCrashCountOver) {
    WorkerPool pool = make_pool();
    FakeHost host(1);
    pool.start(host);
    host.end(pool, 1, killed_by(SIGSEGV));  // 100 ms
    pool.maintain(host, Clock::now() + 150ms);
    host.end(pool, 1, killed_by(SIGSEGV));  // 200 ms
    pool.maintain(host, Clock::now() + 250ms);
    host.serve(1, 1);
    host.end(pool, 1, killed_by(SIGSEGV));  // at once, and the count starts over
    pool.maintain(host, Clock::now());
    ASSERT_TRUE(host.runs(1));

    host.end(pool, 1, killed_by(SIGSEGV));
    Clock::time_point crashed = Clock::now();

    pool.maintain(host, crashed + 150ms);
    EXPECT_TRUE(host.runs(1)) << "100 ms again, not 400";
}

TEST(WorkerPool, NeverRestartsAWorkerThatFailedItsStart) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);

    host.end(pool, 1, exited_with(os::kFatalExitCode));
    pool.maintain(host, Clock::now() + 1h);

    EXPECT_FALSE(host.runs(1));
    EXPECT_TRUE(host.runs(2));
    EXPECT_THAT(host.gave_up, IsEmpty()) << "worker 2 still serves";
}

TEST(WorkerPool, GivesUpWhenEveryWorkerFailedItsStart) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);
    host.end(pool, 1, exited_with(os::kFatalExitCode));
    host.end(pool, 2, exited_with(os::kFatalExitCode));
    EXPECT_EQ(host.gave_up, "every worker failed its start");
}

TEST(WorkerPool, ReplacesAWorkerKilledFromOutsideAtOnce) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);
    host.end(pool, 1, killed_by(SIGKILL));
    pool.maintain(host, Clock::now());
    EXPECT_TRUE(host.runs(1)) << "SIGKILL is the OOM killer or an operator, not a crash loop";
    EXPECT_FALSE(host.degraded());
}

TEST(WorkerPool, ReplacesAWorkerThatEndedARequestAtRequestTimeoutAtOnce) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);
    host.end(pool, 2, exited_with(os::kRequestTimeoutExitCode));
    pool.maintain(host, Clock::now());
    EXPECT_TRUE(host.runs(2));
    EXPECT_FALSE(host.degraded());
}

TEST(WorkerPool, AReloadForgetsTheBackOff) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);
    host.end(pool, 2, killed_by(SIGSEGV));
    pool.maintain(host, Clock::now());
    ASSERT_TRUE(host.degraded());

    host.reload();
    pool.reloaded(host);
    pool.maintain(host, Clock::now());

    EXPECT_TRUE(host.runs(2)) << "the new generation starts every number at once";
    EXPECT_FALSE(host.degraded());
}

TEST(WorkerPool, GrowsAndShrinksByOneOnResize) {
    WorkerPool pool = make_pool();
    FakeHost host(2);
    pool.start(host);

    pool.resize(host, +1);
    pool.maintain(host, Clock::now());
    EXPECT_EQ(host.config().workers, 3);
    EXPECT_EQ(host.workers(), 3U);

    pool.resize(host, -1);
    EXPECT_EQ(host.config().workers, 2);
    EXPECT_THAT(host.retired, ElementsAre(host.worker(3).pid)) << "the highest number leaves";
}

}  // namespace
}  // namespace forkd::master
