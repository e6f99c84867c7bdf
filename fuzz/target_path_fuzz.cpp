// Fuzz target: from a request path to a file beneath the document root.
//
// http::normalize_target_path: a path it accepts has only real names (none empty, ".",
// "..", or holding '/', '\' or NUL), and reading the path back from its own encoded form
// gives the same result (normalising twice changes nothing). os::open_beneath, given
// either the normalised path or the raw bytes (it must not trust its caller), never opens
// the file that lies beside the root, whatever the symlinks inside the root point at; the
// walk used on kernels without openat2 keeps the same promise.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_check.hpp"
#include "http/target_path.hpp"
#include "os/file_beneath.hpp"

namespace {

using namespace forkd;
namespace fs = std::filesystem;

struct Tree {
    fs::path base;
    Fd root;
    ino_t secret_inode = 0;
    dev_t secret_device = 0;

    ~Tree() { fs::remove_all(base); }  // when libFuzzer exits normally
    Tree() {
        std::string base_path = (fs::temp_directory_path() / "forkd-fuzz-XXXXXX").string();
        FUZZ_CHECK(::mkdtemp(base_path.data()) != nullptr, "a temporary directory");
        base = base_path;
        fs::create_directories(base / "root" / "a" / "b");
        std::ofstream(base / "secret") << "outside";
        std::ofstream(base / "root" / "a" / "file") << "inside";
        fs::create_symlink("../secret", base / "root" / "up");
        fs::create_symlink("../../secret", base / "root" / "a" / "upup");
        fs::create_symlink(base / "secret", base / "root" / "abs");
        fs::create_symlink("a/b/../..", base / "root" / "self");
        fs::create_symlink("b/../../..", base / "root" / "a" / "climb");
        fs::create_symlink("loop", base / "root" / "loop");
        struct stat status {};
        FUZZ_CHECK(::stat((base / "secret").c_str(), &status) == 0, "the secret exists");
        secret_inode = status.st_ino;
        secret_device = status.st_dev;
        root = os::open_root_directory((base / "root").string());
    }

    bool is_secret(const Fd& fd) const {
        struct stat status {};
        return fd && ::fstat(fd.get(), &status) == 0 && status.st_ino == secret_inode &&
               status.st_dev == secret_device;
    }

    void check_stays_beneath(std::string_view relative) const {
        for (const auto policy : {os::SymlinkPolicy::follow, os::SymlinkPolicy::same_owner}) {
            FUZZ_CHECK(!is_secret(os::open_beneath(root.get(), relative, policy).fd),
                       "open_beneath never opens a file outside the root");
            FUZZ_CHECK(!is_secret(os::open_beneath_by_walk(root.get(), relative, policy,
                                                           O_RDONLY | O_CLOEXEC)
                                      .fd),
                       "the walk never opens a file outside the root");
        }
    }
};

void check_normalised(const http::TargetPath& path) {
    for (const std::string& segment : path.segments) {
        FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..", "a real name");
        FUZZ_CHECK(segment.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos,
                   "no '/', '\\' or NUL in a name");
    }
    FUZZ_CHECK(path.text().starts_with('/'), "the text is absolute");
    FUZZ_CHECK(!path.relative().starts_with('/'), "the relative form is relative");
    if (path.segments.empty()) FUZZ_CHECK(path.trailing_slash, "the root ends in '/'");

    std::string encoded;
    for (const std::string& segment : path.segments)
        encoded += "/" + http::encode_path_segment(segment);
    if (encoded.empty() || path.trailing_slash) encoded += "/";
    const auto again = http::normalize_target_path(encoded);
    FUZZ_CHECK(again.has_value(), "the encoded form is accepted");
    FUZZ_CHECK(again->segments == path.segments && again->trailing_slash == path.trailing_slash,
               "normalising the encoded form changes nothing");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Tree tree;
    const std::string_view raw(reinterpret_cast<const char*>(data), size);
    if (const auto path = http::normalize_target_path(raw)) {
        check_normalised(*path);
        tree.check_stays_beneath(path->relative());
    }
    // The raw bytes as the path: "..", "a/../../secret", absolute paths, NULs.
    tree.check_stays_beneath(raw);
    return 0;
}
