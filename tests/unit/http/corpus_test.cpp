// Runs every file of corpus/ through grind(). A file's name starts with what it must give:
// "ok-" for a complete request, or the status of the refusal ("400-", "505-", ...).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "parse_grind.hpp"

namespace forkd::http {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
    // Sized read: g++ 12 warns (-Wnull-dereference) inside istreambuf_iterator.
    std::string bytes(static_cast<std::size_t>(fs::file_size(path)), '\0');
    std::ifstream in(path, std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return bytes;
}

TEST(RequestCorpus, EveryFileGivesTheOutcomeItsNameStates) {
    const fs::path corpus = fs::path(__FILE__).parent_path() / "corpus";
    int files = 0;
    for (const auto& entry : fs::directory_iterator(corpus)) {
        if (entry.path().extension() != ".http") continue;
        ++files;
        const std::string name = entry.path().filename().string();
        SCOPED_TRACE(name);
        const std::string expected = name.substr(0, name.find('-'));
        const testing::Outcome outcome = testing::grind(read_all(entry.path()));
        if (expected == "ok") {
            EXPECT_EQ(outcome.progress, Progress::complete) << outcome.reason;
        } else {
            EXPECT_EQ(outcome.progress, Progress::error);
            EXPECT_EQ(std::to_string(outcome.status), expected) << outcome.reason;
        }
    }
    EXPECT_GE(files, 10);
}

}  // namespace
}  // namespace forkd::http
