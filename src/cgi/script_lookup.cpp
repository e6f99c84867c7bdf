#include "cgi/script_lookup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "cgi/real_directory.hpp"

namespace forkd::cgi {
namespace {

enum class Kind { missing, directory, file, other };

// What `path` is. Its last name is looked at with `lstat`: a symlink is followed and noted
// in `through_link`, so that a path without one is known to stay inside the directory it
// was built from (each of its names is a plain entry, none "." or "..") with no resolving.
Kind kind_of(const std::string& path, bool& through_link) {
    struct stat facts {};
    if (::lstat(path.c_str(), &facts) != 0) return Kind::missing;
    if (S_ISLNK(facts.st_mode)) {
        through_link = true;
        if (::stat(path.c_str(), &facts) != 0) return Kind::missing;
    }
    if (S_ISDIR(facts.st_mode)) return Kind::directory;
    if (S_ISREG(facts.st_mode)) return Kind::file;
    return Kind::other;
}

// Whether `file`, found through a symlink below `real_directory`, is still inside it once
// resolved (a symlink out of the directory is refused, wherever it points).
bool stays_inside(const std::string& real_directory, const std::string& file) {
    std::optional<std::string> target = real_path(file);
    return target && is_within(real_directory, *target);
}

std::string join_url(const std::vector<std::string>& segments, std::size_t count) {
    std::string url;
    for (std::size_t i = 0; i < count; ++i)
        url += "/" + segments[i];
    return url;
}

// The script `file` found after the first `used` segments of `all` (the URL prefix's first),
// in `real_directory`; `through_link`: some name on the way to it is a symlink.
Lookup found(const ScriptDirectory& directory, const std::string& real_directory,
             const std::vector<std::string>& all, std::size_t used, bool trailing_slash,
             std::string file, bool through_link, const LookupRules& rules) {
    Lookup lookup;
    if (through_link && !stays_inside(real_directory, file)) {
        lookup.result = Lookup::Result::forbidden;
        return lookup;
    }
    const std::string& name = all[used - 1];
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
    // The directory's real path as DOCUMENT_ROOT when it is the document root (nginx's
    // $realpath_root: a release switched by a symlink is seen at once, real_directory.hpp).
    bool is_document_root =
        directory.document_root.empty() || directory.document_root == directory.path;
    script.paths.document_root = is_document_root ? real_directory : directory.document_root;
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

Lookup find_script(const ScriptDirectory& directory, const std::string& real_directory,
                   const http::TargetPath& path, const LookupRules& rules) {
    const Lookup::Result missing =
        directory.every_file ? Lookup::Result::not_found : Lookup::Result::not_a_script;
    if (real_directory.empty()) return {missing, {}};
    // The URL's segments: the prefix's, then the path's below it.
    std::vector<std::string> all = directory.prefix;
    std::size_t first = all.size();
    all.insert(all.end(), path.segments.begin() + static_cast<std::ptrdiff_t>(first),
               path.segments.end());
    std::string file = real_directory;
    bool through_link = false;
    for (std::size_t i = first; i < all.size(); ++i) {
        const std::string& segment = all[i];
        if (segment.starts_with('.') && !rules.dotfiles) return {};
        file += '/';
        file += segment;
        switch (kind_of(file, through_link)) {
            case Kind::file:
                return found(directory, real_directory, all, i + 1, path.trailing_slash,
                             std::move(file), through_link, rules);
            case Kind::directory:
                continue;
            case Kind::missing:
                // Under the root a missing name is the static handler's 404 to give.
                return {missing, {}};
            case Kind::other:
                return {Lookup::Result::forbidden, {}};
        }
    }
    // A directory: its index, if one is a program.
    if (!path.trailing_slash && all.size() > first) return {Lookup::Result::not_a_script, {}};
    for (const std::string& index : rules.index) {
        std::string candidate = file + "/" + index;
        // An `index` entry is configured, not a URL segment: one that is not a plain name
        // ("../x.php", "sub/x.php") is resolved and checked as a symlink would be.
        bool plain = index.find('/') == std::string::npos && index != "." && index != "..";
        bool candidate_through_link = through_link || !plain;
        if (kind_of(candidate, candidate_through_link) != Kind::file) continue;
        all.push_back(index);
        Lookup lookup = found(directory, real_directory, all, all.size(), false,
                              std::move(candidate), candidate_through_link, rules);
        // SCRIPT_NAME of an index is the directory's URL plus its name, as Apache's.
        return lookup;
    }
    return {directory.every_file ? Lookup::Result::forbidden : Lookup::Result::not_a_script, {}};
}

}  // namespace forkd::cgi
