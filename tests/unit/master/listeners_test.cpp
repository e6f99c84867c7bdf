// Which listening sockets a server serves, without opening any: the default address, the
// sockets systemd passes (socket activation) and those a reload or an upgrade hands on.
#include "master/listeners.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace forkd::master {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

config::Config configuration(const std::string& toml = "") {
    return config::parse_config_text(toml, "forkd.toml");
}

Listener from_systemd(const std::string& address) {
    return Listener{Fd(), address, true};
}

Listener opened_before(const std::string& address) {
    return Listener{Fd(), address, false};
}

// (address index, reused socket index or -1 for "open it") per served address.
std::vector<std::pair<std::size_t, int>> choices(const ListenerPlan& plan) {
    std::vector<std::pair<std::size_t, int>> out;
    for (const ListenerPlan::Choice& choice : plan.addresses) {
        out.emplace_back(choice.address, choice.reused ? static_cast<int>(*choice.reused) : -1);
    }
    return out;
}

TEST(ListenerPlan, WithoutSystemdTheDefaultAddressIsOpened) {
    ListenerPlan plan = plan_listeners(configuration(), {});

    EXPECT_THAT(choices(plan), ElementsAre(std::pair<std::size_t, int>{0, -1}));
    EXPECT_THAT(plan.systemd, IsEmpty());
    EXPECT_THAT(plan.unused, IsEmpty());
}

TEST(ListenerPlan, SystemdSocketsReplaceTheDefaultAddressWhenListenIsNotGiven) {
    std::vector<Listener> reusable;
    reusable.push_back(from_systemd("127.0.0.1:8080"));
    reusable.push_back(from_systemd("unix:/run/forkd.sock"));

    ListenerPlan plan = plan_listeners(configuration(), reusable);

    EXPECT_THAT(plan.addresses, IsEmpty());
    EXPECT_THAT(plan.systemd, ElementsAre(0, 1));
    EXPECT_THAT(plan.unused, IsEmpty());
}

TEST(ListenerPlan, AGivenListenIsServedBesideTheSystemdSockets) {
    std::vector<Listener> reusable;
    reusable.push_back(from_systemd("127.0.0.1:8080"));

    ListenerPlan plan = plan_listeners(configuration("listen = [\"127.0.0.1:9000\"]"), reusable);

    EXPECT_THAT(choices(plan), ElementsAre(std::pair<std::size_t, int>{0, -1}));
    EXPECT_THAT(plan.systemd, ElementsAre(0));
}

TEST(ListenerPlan, AListenAddressThatIsASystemdSocketReusesIt) {
    std::vector<Listener> reusable;
    reusable.push_back(from_systemd("unix:/run/forkd.sock"));

    ListenerPlan plan = plan_listeners(
        configuration("listen = [\"127.0.0.1:9000\", \"unix:/run/forkd.sock\"]"), reusable);

    EXPECT_THAT(choices(plan),
                ElementsAre(std::pair<std::size_t, int>{0, -1}, std::pair<std::size_t, int>{1, 0}));
    EXPECT_THAT(plan.systemd, IsEmpty());
    EXPECT_THAT(plan.unused, IsEmpty());
}

TEST(ListenerPlan, APortZeroAddressDoesNotTakeASystemdSocket) {
    std::vector<Listener> reusable;
    reusable.push_back(from_systemd("127.0.0.1:8080"));

    ListenerPlan plan = plan_listeners(configuration("listen = [\"127.0.0.1:0\"]"), reusable);

    EXPECT_THAT(choices(plan), ElementsAre(std::pair<std::size_t, int>{0, -1}));
    EXPECT_THAT(plan.systemd, ElementsAre(0));
}

TEST(ListenerPlan, APortZeroAddressKeepsThePortItGotBefore) {
    std::vector<Listener> reusable;
    reusable.push_back(opened_before("127.0.0.1:41234"));

    ListenerPlan plan = plan_listeners(configuration("listen = [\"127.0.0.1:0\"]"), reusable);

    EXPECT_THAT(choices(plan), ElementsAre(std::pair<std::size_t, int>{0, 0}));
    EXPECT_THAT(plan.unused, IsEmpty());
}

TEST(ListenerPlan, AnExactAddressTakesItsSocketBeforeAPortZeroAddressCan) {
    std::vector<Listener> reusable;
    reusable.push_back(opened_before("127.0.0.1:8080"));

    ListenerPlan plan =
        plan_listeners(configuration("listen = [\"127.0.0.1:0\", \"127.0.0.1:8080\"]"), reusable);

    EXPECT_THAT(choices(plan),
                ElementsAre(std::pair<std::size_t, int>{0, -1}, std::pair<std::size_t, int>{1, 0}));
}

TEST(ListenerPlan, SocketsFromAnOldMasterThatListenDoesNotNameAreUnused) {
    std::vector<Listener> reusable;
    reusable.push_back(opened_before("127.0.0.1:8080"));

    ListenerPlan plan = plan_listeners(configuration(), reusable);  // the default: 9933

    EXPECT_THAT(choices(plan), ElementsAre(std::pair<std::size_t, int>{0, -1}));
    EXPECT_THAT(plan.unused, ElementsAre(0));
    EXPECT_THAT(plan.systemd, IsEmpty());
}

TEST(ListenerPlan, AReloadKeepsSystemdSocketsAndDropsAnAddressNoLongerListed) {
    // Running: a systemd socket and 127.0.0.1:9000 from the previous `listen`, now removed.
    std::vector<Listener> reusable;
    reusable.push_back(from_systemd("127.0.0.1:8080"));
    reusable.push_back(opened_before("127.0.0.1:9000"));

    ListenerPlan plan = plan_listeners(configuration(), reusable);

    EXPECT_THAT(plan.addresses, IsEmpty());
    EXPECT_THAT(plan.systemd, ElementsAre(0));
    EXPECT_THAT(plan.unused, ElementsAre(1));
}

TEST(ListenerPlan, AListenFlagCountsAsGiven) {
    const char* argv[] = {"forkd", "--listen", "127.0.0.1:9000"};
    config::Config config = config::load_config(3, argv).config;
    std::vector<Listener> reusable;
    reusable.push_back(from_systemd("127.0.0.1:8080"));

    ListenerPlan plan = plan_listeners(config, reusable);

    EXPECT_THAT(choices(plan), ElementsAre(std::pair<std::size_t, int>{0, -1}));
    EXPECT_THAT(plan.systemd, ElementsAre(0));
}

// The flag is the entry's, decided again each time sockets are matched to the configuration
// (a reload, an upgrade's new master, systemd's sockets), never carried with a socket.
TEST(OpenListeners, TakeProxyProtocolFromTheEntryThatNamesEachSocket) {
    for (bool marked : {true, false}) {
        std::vector<Listener> reusable;
        reusable.push_back(opened_before("unix:/run/a.sock"));
        reusable.back().proxy_protocol = !marked;  // what it was before: not carried over
        reusable.push_back(from_systemd("unix:/run/b.sock"));
        reusable.back().proxy_protocol = true;
        std::string entry = marked ? "unix:/run/a.sock proxy_protocol" : "unix:/run/a.sock";

        std::vector<Listener> listeners =
            open_listeners(configuration("listen = [\"" + entry + "\"]"), std::move(reusable));

        ASSERT_EQ(listeners.size(), 2U);
        EXPECT_EQ(listeners[0].address, "unix:/run/a.sock");
        EXPECT_EQ(listeners[0].proxy_protocol, marked);
        EXPECT_EQ(listeners[1].address, "unix:/run/b.sock");
        EXPECT_FALSE(listeners[1].proxy_protocol);  // no entry names it
    }
}

TEST(SocketFilesToRemove, SparesTheFilesOfSystemdSockets) {
    config::Config config =
        configuration("listen = [\"unix:/run/a.sock\", \"unix:/run/b.sock\", \"127.0.0.1:9000\"]");
    std::vector<Listener> listeners;
    listeners.push_back(from_systemd("unix:/run/a.sock"));
    listeners.push_back(opened_before("unix:/run/b.sock"));
    listeners.push_back(opened_before("127.0.0.1:9000"));

    EXPECT_THAT(socket_files_to_remove(config, listeners), ElementsAre("/run/b.sock"));
}

}  // namespace
}  // namespace forkd::master
