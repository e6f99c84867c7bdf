// A fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput once on every file of the
// directories (or on the files) it is given. Every build compiles each target with this
// main and ctest replays its seeds (fuzz/corpus/<target>/), so that a target which no
// longer builds, or a seed that breaks one of its invariants, fails `make test`; the
// libFuzzer build (`make fuzz`) is what searches for new inputs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& where) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(where)) {
        for (const auto& entry : std::filesystem::directory_iterator(where))
            if (entry.is_regular_file()) files.push_back(entry.path());
        std::ranges::sort(files);  // the same order on every run
    } else {
        files.push_back(where);
    }
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t replayed = 0;
    for (int i = 1; i < argc; ++i) {
        for (const auto& file : inputs_in(argv[i])) {
            std::string bytes(std::filesystem::file_size(file), '\0');
            std::ifstream in(file, std::ios::binary);
            if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
                std::fprintf(stderr, "cannot read %s\n", file.c_str());
                return 1;
            }
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                   bytes.size());
            ++replayed;
        }
    }
    std::printf("replayed %zu inputs\n", replayed);
    return replayed > 0 ? 0 : 1;  // no input at all is a mistake in the test, not a pass
}
