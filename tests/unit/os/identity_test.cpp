// The user and group lookups behind `user` and `group` (the drop itself runs in children
// and is tested on the real binary: tests/integration/test_privilege_drop.py).
#include "os/identity.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace forkd::os {
namespace {

using ::testing::Contains;

TEST(Identity, FindsRootAsUidZeroWithGroupZero) {
    std::optional<UserEntry> root = find_user("root");
    ASSERT_TRUE(root);
    EXPECT_EQ(root->uid, 0U);
    EXPECT_EQ(root->gid, 0U);
    EXPECT_EQ(find_group("root"), std::optional<gid_t>(0));
}

TEST(Identity, FindsNoUserOrGroupForAnUnknownName) {
    EXPECT_FALSE(find_user("no-such-user-forkd"));
    EXPECT_FALSE(find_group("no-such-group-forkd"));
    EXPECT_FALSE(find_user(""));
}

TEST(Identity, ListsTheGivenGroupAmongTheSupplementaryOnes) {
    EXPECT_THAT(supplementary_groups("root", 0), Contains(0U));
}

}  // namespace
}  // namespace forkd::os
