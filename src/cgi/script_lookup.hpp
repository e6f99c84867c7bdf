// Which program a request names, and how its path splits into SCRIPT_NAME and PATH_INFO.
//
// The split is made on the segments of the decoded, normalised path (http/target_path.hpp),
// walking the directory one segment at a time: the first segment that is a regular file is
// the script, the rest is PATH_INFO. Nothing is computed on a changed copy of the path (a
// lower-cased one was FrankenPHP's CVE-2026-24895) and no pattern splits it (nginx's
// fastcgi_split_path_info behind CVE-2019-11043): a PATH_INFO can never choose another
// script, and no segment can climb out of the directory ("..", "%2f" and symlinks that
// leave it are refused).
//
// The walk starts from the directory's real path (real_directory.hpp) and looks at each name
// with `lstat`: a path with no symlink below the directory is inside it by construction and
// costs nothing more; only a path through a symlink is resolved (`realpath`) and compared
// with the directory's real path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cgi/environment.hpp"
#include "http/target_path.hpp"

namespace forkd::cgi {

// ".php" runs as `/usr/bin/php-cgi SCRIPT`, or is passed to the FastCGI application at
// `upstream` ("unix:/run/php/php8.2-fpm.sock").
struct Interpreter {
    std::string extension;
    std::string program;
    std::string upstream;
};

// A directory of programs under a URL prefix: `cgi` entries run every file there
// (every_file); the document root runs only files an interpreter is named for.
struct ScriptDirectory {
    std::vector<std::string> prefix;  // decoded segments of the URL prefix; empty for "/"
    std::string path;                 // the directory
    bool every_file = false;
    std::string document_root;  // DOCUMENT_ROOT: `root`, else `path`
};

struct FoundScript {
    ScriptPaths paths;
    std::string interpreter;  // "" : the file itself is executed
    std::string upstream;     // set: a FastCGI application runs it
    bool nph = false;         // its name starts with "nph-": its output is a whole response
};

struct Lookup {
    enum class Result { found, not_found, forbidden, not_a_script };
    Result result = Result::not_found;
    FoundScript script;
};

struct LookupRules {
    std::vector<Interpreter> interpreters;
    std::vector<std::string> index;  // for a directory: names tried in order
    bool dotfiles = false;           // names starting with '.' may be run
};

// Looks `path` (already below `directory.prefix`) up in `directory`, whose real path is
// `real_directory` (RealDirectory::now(): "" when the directory is missing). `not_a_script`
// means the path names no program but may name a static file (only where !every_file).
// SCRIPT_FILENAME is under `real_directory`.
Lookup find_script(const ScriptDirectory& directory, const std::string& real_directory,
                   const http::TargetPath& path, const LookupRules& rules);

// The interpreter for `name`'s extension, or nullptr.
const Interpreter* interpreter_for(const std::vector<Interpreter>& interpreters,
                                   std::string_view name);

}  // namespace forkd::cgi
