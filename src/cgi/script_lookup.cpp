#include "cgi/script_lookup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace forkd::cgi {
namespace {

enum class Kind { missing, directory, file, other };

Kind kind_of(const std::string& path) {
    struct stat facts {};
    if (::stat(path.c_str(), &facts) != 0) return Kind::missing;
    if (S_ISDIR(facts.st_mode)) return Kind::directory;
    if (S_ISREG(facts.st_mode)) return Kind::file;
    return Kind::other;
}

// Whether `file`, symlinks resolved, is still inside `directory`.
bool stays_inside(const std::string& directory, const std::string& file) {
    std::error_code error;
    auto base = std::filesystem::canonical(directory, error);
    if (error) return false;
    auto target = std::filesystem::canonical(file, error);
    if (error) return false;
    auto [base_end, unused] = std::ranges::mismatch(base, target);
    return base_end == base.end();
}

std::string join_url(const std::vector<std::string>& segments, std::size_t count) {
    std::string url;
    for (std::size_t i = 0; i < count; ++i)
        url += "/" + segments[i];
    return url;
}

// The script `file` found after the first `used` segments of `all` (the URL prefix's first).
Lookup found(const ScriptDirectory& directory, const std::vector<std::string>& all,
             std::size_t used, bool trailing_slash, std::string file, const LookupRules& rules) {
    Lookup lookup;
    if (!stays_inside(directory.path, file)) {
        lookup.result = Lookup::Result::forbidden;
        return lookup;
    }
    std::string name = all[used - 1];
    const Interpreter* interpreter = interpreter_for(rules.interpreters, name);
    if (interpreter == nullptr && !directory.every_file) {
        lookup.result = Lookup::Result::not_a_script;
        return lookup;
    }
    if (interpreter == nullptr && ::access(file.c_str(), X_OK) != 0) {
        lookup.result = Lookup::Result::forbidden;  // Apache: "Permission denied: exec of"
        return lookup;
    }
    lookup.result = Lookup::Result::found;
    FoundScript& script = lookup.script;
    script.paths.script_name = join_url(all, used);
    if (used < all.size() || trailing_slash) {
        for (std::size_t i = used; i < all.size(); ++i)
            script.paths.path_info += "/" + all[i];
        if (trailing_slash) script.paths.path_info += "/";
    }
    script.paths.script_filename = std::move(file);
    script.paths.document_root =
        directory.document_root.empty() ? directory.path : directory.document_root;
    script.interpreter = interpreter == nullptr ? "" : interpreter->program;
    script.upstream = interpreter == nullptr ? "" : interpreter->upstream;
    script.nph = name.starts_with("nph-");
    return lookup;
}

}  // namespace

const Interpreter* interpreter_for(const std::vector<Interpreter>& interpreters,
                                   std::string_view name) {
    for (const Interpreter& interpreter : interpreters) {
        if (name.size() > interpreter.extension.size() && name.ends_with(interpreter.extension))
            return &interpreter;
    }
    return nullptr;
}

Lookup find_script(const ScriptDirectory& directory, const http::TargetPath& path,
                   const LookupRules& rules) {
    // The URL's segments: the prefix's, then the path's below it.
    std::vector<std::string> all = directory.prefix;
    std::size_t first = all.size();
    all.insert(all.end(), path.segments.begin() + static_cast<std::ptrdiff_t>(first),
               path.segments.end());
    std::string file = directory.path;
    for (std::size_t i = first; i < all.size(); ++i) {
        const std::string& segment = all[i];
        if (segment.starts_with('.') && !rules.dotfiles) return {};
        file += "/" + segment;
        switch (kind_of(file)) {
            case Kind::file:
                return found(directory, all, i + 1, path.trailing_slash, file, rules);
            case Kind::directory:
                continue;
            case Kind::missing:
                // Under the root a missing name is the static handler's 404 to give.
                return {
                    directory.every_file ? Lookup::Result::not_found : Lookup::Result::not_a_script,
                    {}};
            case Kind::other:
                return {Lookup::Result::forbidden, {}};
        }
    }
    // A directory: its index, if one is a program.
    if (!path.trailing_slash && all.size() > first) return {Lookup::Result::not_a_script, {}};
    for (const std::string& index : rules.index) {
        std::string candidate = file + "/" + index;
        if (kind_of(candidate) != Kind::file) continue;
        all.push_back(index);
        Lookup lookup = found(directory, all, all.size(), false, candidate, rules);
        // SCRIPT_NAME of an index is the directory's URL plus its name, as Apache's.
        return lookup;
    }
    return {directory.every_file ? Lookup::Result::forbidden : Lookup::Result::not_a_script, {}};
}

}  // namespace forkd::cgi
