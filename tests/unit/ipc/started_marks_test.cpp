// Started marks: an app worker's mark, written through its own mapping of the io worker's
// memfd, is what the io worker reads after that app worker died.
#include "ipc/started_marks.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace forkd::ipc {
namespace {

TEST(StartedMarks, AMarkWrittenThroughAnAttachedViewIsSeenByTheMaker) {
    StartedMarks marks = StartedMarks::create(8);
    std::optional<StartedMarks> view = StartedMarks::attach(marks.fd(), 8);
    ASSERT_TRUE(view.has_value());
    EXPECT_FALSE(marks.marked(3, 41));
    view->mark(3, 41);
    EXPECT_TRUE(marks.marked(3, 41));
    EXPECT_FALSE(marks.marked(3, 42)) << "a mark names one hand-off, not the slot";
    EXPECT_FALSE(marks.marked(2, 41));
}

TEST(StartedMarks, AMarkFromAnotherProcessOutlivesIt) {
    StartedMarks marks = StartedMarks::create(4);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A process that received only the fd, as an app worker does: no shared mapping
        // is inherited that the test could be fooled by, since attach maps it anew.
        std::optional<StartedMarks> view = StartedMarks::attach(marks.fd(), 4);
        if (view) view->mark(1, 7);
        ::_exit(view ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_TRUE(marks.marked(1, 7));
}

TEST(StartedMarks, OutOfRangeSlotsAreNeverMarked) {
    StartedMarks marks = StartedMarks::create(2);
    marks.mark(5, 1);
    EXPECT_FALSE(marks.marked(5, 1));
}

TEST(StartedMarks, ARegionTooSmallIsRefused) {
    StartedMarks marks = StartedMarks::create(2);
    EXPECT_FALSE(StartedMarks::attach(marks.fd(), 4096).has_value());
}

}  // namespace
}  // namespace forkd::ipc
