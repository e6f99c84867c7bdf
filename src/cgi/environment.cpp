#include "cgi/environment.hpp"

#include "api/peer_address.hpp"

#include <algorithm>
#include <array>

namespace forkd::cgi {
namespace {

// Request headers that are not passed as HTTP_*: the body's framing is the server's
// (CONTENT_LENGTH and CONTENT_TYPE say what the program reads), hop-by-hop fields describe
// the client's connection, and Proxy is httpoxy.
constexpr std::array kNotPassed = {
    std::string_view("Content-Length"),
    std::string_view("Content-Type"),
    std::string_view("Transfer-Encoding"),
    std::string_view("Connection"),
    std::string_view("Keep-Alive"),
    std::string_view("TE"),
    std::string_view("Trailer"),
    std::string_view("Upgrade"),
    std::string_view("Proxy"),
    std::string_view("Proxy-Connection"),
    std::string_view("Proxy-Authorization"),
};

// "HTTP_ACCEPT_LANGUAGE" for "Accept-Language"; "" for a name that may not be passed.
std::string variable_for_header(std::string_view name) {
    std::string variable = "HTTP_";
    for (char c : name) {
        if (c == '-') {
            variable += '_';
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            variable += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        } else {
            return {};  // '_' and the rest of tchar: could shadow another header's variable
        }
    }
    return variable;
}

struct Address {
    std::string host;
    std::string port;
};

// SERVER_NAME and SERVER_PORT from the Host the client asked for (Apache's
// UseCanonicalName Off); the server has validated it.
Address server_from_host(const Request& request) {
    std::string_view host = request.header("Host").value_or("localhost");
    if (host.starts_with('[')) {
        std::size_t close = host.find(']');
        std::string_view port = host.substr(close + 1);
        return {std::string(host.substr(0, close + 1)),
                port.starts_with(':') ? std::string(port.substr(1)) : "80"};
    }
    std::size_t colon = host.find(':');
    if (colon == std::string_view::npos) return {std::string(host), "80"};
    return {std::string(host.substr(0, colon)), std::string(host.substr(colon + 1))};
}

}  // namespace

std::vector<Variable> program_environment(const Request& request, const ScriptPaths& paths,
                                          const EnvironmentRules& rules) {
    constexpr std::size_t kMetaVariables = 22;  // at most, PATH included
    std::vector<Variable> variables;
    variables.reserve(kMetaVariables + rules.extra.size() + request.headers.size());
    auto add = [&](std::string_view name, std::string_view value) {
        variables.push_back({std::string(name), std::string(value)});
    };
    auto find = [&](std::string_view name) {
        return std::ranges::find(variables, name, &Variable::name);
    };

    // The meta-variables (RFC 3875 §4.1), each set once here.
    api::PeerAddress remote = api::split_peer(request.remote_addr);
    Address server = server_from_host(request);
    add("GATEWAY_INTERFACE", "CGI/1.1");
    add("SERVER_SOFTWARE", rules.server_software);
    add("SERVER_PROTOCOL", request.version == 10 ? "HTTP/1.0" : "HTTP/1.1");
    add("SERVER_NAME", server.host);
    add("SERVER_PORT", server.port);
    // "https" only when a trusted proxy said the client used it (session/client_address.hpp).
    add("REQUEST_SCHEME", request.scheme.empty() ? "http" : request.scheme);
    if (request.scheme == "https") add("HTTPS", "on");
    add("REQUEST_METHOD", request.method);
    add("REQUEST_URI", request.target);
    add("QUERY_STRING", request.query);
    add("SCRIPT_NAME", paths.script_name);
    add("SCRIPT_FILENAME", paths.script_filename);
    add("DOCUMENT_ROOT", paths.document_root);
    add("REMOTE_ADDR", remote.host);
    if (!remote.port.empty()) add("REMOTE_PORT", remote.port);
    // The id in forkd's json access log (Apache's mod_unique_id calls it UNIQUE_ID).
    if (!request.request_id.empty()) add("REQUEST_ID", request.request_id);
    // php-cgi runs only when it sees this (cgi.force_redirect): proof that a server, not a
    // visitor calling the binary directly, started it.
    add("REDIRECT_STATUS", "200");
    if (!paths.path_info.empty()) {
        add("PATH_INFO", paths.path_info);
        add("PATH_TRANSLATED", paths.document_root + paths.path_info);
    }
    if (!request.body.empty() || request.header("Content-Length") ||
        request.header("Transfer-Encoding")) {
        add("CONTENT_LENGTH", std::to_string(request.body.size()));
    }
    if (auto type = request.header("Content-Type")) add("CONTENT_TYPE", *type);

    // cgi_env, where no meta-variable has the name (a name given twice: the later value, as
    // env(1)); PATH when it sets none.
    const std::size_t first_extra = variables.size();
    for (const std::string& entry : rules.extra) {
        std::size_t equals = entry.find('=');
        std::string_view name = std::string_view(entry).substr(0, equals);
        std::string_view value = std::string_view(entry).substr(equals + 1);
        auto slot = find(name);
        if (slot == variables.end())
            add(name, value);
        else if (slot - variables.begin() >= static_cast<std::ptrdiff_t>(first_extra))
            slot->value = value;
    }
    if (find("PATH") == variables.end()) add("PATH", kDefaultPath);

    // The headers as HTTP_*, where nothing above has the name.
    const std::size_t first_header = variables.size();
    for (const auto& field : request.headers) {
        const std::string& name = field.first;  // (clang 14 cannot capture a binding)
        const std::string& value = field.second;
        if (std::ranges::any_of(kNotPassed, [&](std::string_view no) { return iequals(no, name); }))
            continue;
        if (iequals(name, "Authorization") && !rules.pass_authorization) continue;
        std::string variable = variable_for_header(name);
        if (variable.empty()) continue;
        auto slot = find(variable);
        if (slot == variables.end()) {
            variables.push_back({std::move(variable), value});
        } else if (slot - variables.begin() >= static_cast<std::ptrdiff_t>(first_header)) {
            // RFC 9110 §5.3: repeated fields join with ", " (Cookie's own separator is "; ").
            slot->value += iequals(name, "Cookie") ? "; " : ", ";
            slot->value += value;
        }
    }
    return variables;
}

std::vector<std::string> environment_entries(const std::vector<Variable>& variables) {
    std::vector<std::string> entries;
    entries.reserve(variables.size());
    for (const Variable& variable : variables)
        entries.push_back(variable.name + "=" + variable.value);
    return entries;
}

}  // namespace forkd::cgi
