// A CGI program's environment (RFC 3875 §4.1), built from a whitelist: the request's
// meta-variables, its headers as HTTP_*, and the `cgi_env` of the configuration. Nothing of
// the server's own environment gets in, and no header becomes a variable that programs read
// as their configuration: `Proxy` never becomes HTTP_PROXY (httpoxy), `Authorization` only
// with cgi_pass_authorization, and a header name with '_' (which would shadow the '-'
// spelling) or a character outside [A-Za-z0-9-] is dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fastcgi/record.hpp"
#include "forkd/request.hpp"

namespace forkd::cgi {

// The PATH a program gets (none of the server's own environment is passed).
inline constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Where the program is, as the request found it (script_lookup.hpp).
struct ScriptPaths {
    std::string script_name;      // the URL path of the script, decoded: "/cgi-bin/env.sh"
    std::string path_info;        // what follows it, decoded: "/a/b" (or "")
    std::string script_filename;  // the file: "/usr/lib/cgi-bin/env.sh"
    std::string document_root;    // the directory its URL prefix maps to
};

struct EnvironmentRules {
    std::vector<std::string> extra;  // cgi_env: "NAME=value", replaced by meta-variables
    bool pass_authorization = false;
    std::string server_software;  // "forkd/0.1.0"
};

// One variable. A FastCGI name-value pair is exactly that (PARAMS carry the environment),
// so a FastCGI application's PARAMS are encoded from the list as it is.
using Variable = fastcgi::NameValue;

// The environment, each name once, in no particular order. Who wins a name: the
// meta-variables (the server's word), then `cgi_env` (the operator's), then the request's
// headers (the client's); repeated headers join.
std::vector<Variable> program_environment(const Request& request, const ScriptPaths& paths,
                                          const EnvironmentRules& rules);

// "NAME=value" strings, as execve takes them.
std::vector<std::string> environment_entries(const std::vector<Variable>& variables);

}  // namespace forkd::cgi
