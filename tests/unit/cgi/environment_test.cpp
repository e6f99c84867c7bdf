#include "cgi/environment.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace forkd::cgi {
namespace {

std::optional<std::string> variable(const std::vector<Variable>& environment,
                                    std::string_view name) {
    for (const Variable& entry : environment) {
        if (entry.name == name) return entry.value;
    }
    return std::nullopt;
}

Request request_with(std::initializer_list<std::pair<std::string, std::string>> headers) {
    Request request;
    request.method = "POST";
    request.target = "/cgi-bin/a.sh/x%20y?q=1";
    request.path = "/cgi-bin/a.sh/x%20y";
    request.query = "q=1";
    request.remote_addr = "127.0.0.1:5555";
    request.body = "hello";
    for (const auto& [name, value] : headers)
        request.headers.add(name, value);
    return request;
}

const ScriptPaths kPaths{"/cgi-bin/a.sh", "/x y", "/srv/cgi/a.sh", "/srv/www"};

TEST(Environment, HasTheMetaVariablesOfRfc3875) {
    Request request = request_with({{"Host", "example.com:8080"}, {"Content-Type", "text/x"}});
    auto env = program_environment(request, kPaths, {{}, false, "forkd/0.1.0"});
    EXPECT_EQ(variable(env, "GATEWAY_INTERFACE"), "CGI/1.1");
    EXPECT_EQ(variable(env, "REQUEST_METHOD"), "POST");
    EXPECT_EQ(variable(env, "QUERY_STRING"), "q=1");
    EXPECT_EQ(variable(env, "SCRIPT_NAME"), "/cgi-bin/a.sh");
    EXPECT_EQ(variable(env, "PATH_INFO"), "/x y");
    EXPECT_EQ(variable(env, "PATH_TRANSLATED"), "/srv/www/x y");
    EXPECT_EQ(variable(env, "SCRIPT_FILENAME"), "/srv/cgi/a.sh");
    EXPECT_EQ(variable(env, "CONTENT_LENGTH"), "5");
    EXPECT_EQ(variable(env, "CONTENT_TYPE"), "text/x");
    EXPECT_EQ(variable(env, "REMOTE_ADDR"), "127.0.0.1");
    EXPECT_EQ(variable(env, "REMOTE_PORT"), "5555");
    EXPECT_EQ(variable(env, "SERVER_NAME"), "example.com");
    EXPECT_EQ(variable(env, "SERVER_PORT"), "8080");
    EXPECT_EQ(variable(env, "SERVER_PROTOCOL"), "HTTP/1.1");
    EXPECT_EQ(variable(env, "REDIRECT_STATUS"), "200");
    EXPECT_EQ(variable(env, "REQUEST_URI"), "/cgi-bin/a.sh/x%20y?q=1");
    EXPECT_EQ(variable(env, "PATH"), "/usr/local/bin:/usr/bin:/bin");
    EXPECT_FALSE(variable(env, "HTTP_CONTENT_TYPE"));
}

TEST(Environment, PassesTheRequestIdAsRequestId) {
    Request request = request_with({});
    request.request_id = "3f9c0a7d51e2b846000002a1";
    auto env = program_environment(request, kPaths, {});
    EXPECT_EQ(variable(env, "REQUEST_ID"), "3f9c0a7d51e2b846000002a1");
    // A client cannot set it: a header Request-Id becomes HTTP_REQUEST_ID, never REQUEST_ID.
    Request sent = request_with({{"Request-Id", "forged"}});
    sent.request_id = "3f9c0a7d51e2b846000002a2";
    EXPECT_EQ(variable(program_environment(sent, kPaths, {}), "REQUEST_ID"),
              "3f9c0a7d51e2b846000002a2");
}

TEST(Environment, SaysHttpsOnlyWhenATrustedProxySaidTheClientUsedIt) {
    Request request = request_with({});
    auto env = program_environment(request, kPaths, {});
    EXPECT_EQ(variable(env, "REQUEST_SCHEME"), "http");
    EXPECT_FALSE(variable(env, "HTTPS"));
    request.scheme = "https";  // session::name_client, from a trusted X-Forwarded-Proto
    request.remote_addr = "[2001:db8::9]";
    env = program_environment(request, kPaths, {});
    EXPECT_EQ(variable(env, "REQUEST_SCHEME"), "https");
    EXPECT_EQ(variable(env, "HTTPS"), "on");
    EXPECT_EQ(variable(env, "REMOTE_ADDR"), "2001:db8::9");
    EXPECT_FALSE(variable(env, "REMOTE_PORT"));
}

TEST(Environment, HeadersBecomeHttpVariablesButNeverProxyOrShadowingNames) {
    Request request = request_with({{"Accept-Language", "fr"},
                                    {"Proxy", "http://evil:1"},
                                    {"X_Forwarded_For", "1.2.3.4"},
                                    {"Git-Protocol", "version=2"},
                                    {"Authorization", "Basic eA=="}});
    auto env = program_environment(request, kPaths, {});
    EXPECT_EQ(variable(env, "HTTP_ACCEPT_LANGUAGE"), "fr");
    EXPECT_EQ(variable(env, "HTTP_GIT_PROTOCOL"), "version=2");
    EXPECT_FALSE(variable(env, "HTTP_PROXY"));
    EXPECT_FALSE(variable(env, "HTTP_X_FORWARDED_FOR"));
    EXPECT_FALSE(variable(env, "HTTP_AUTHORIZATION"));
}

TEST(Environment, AuthorizationOnlyWhenPassingItIsAllowed) {
    Request request = request_with({{"Authorization", "Basic eA=="}});
    auto env = program_environment(request, kPaths, {{}, true, ""});
    EXPECT_EQ(variable(env, "HTTP_AUTHORIZATION"), "Basic eA==");
}

TEST(Environment, RepeatedHeadersJoinCookiesWithSemicolons) {
    Request request =
        request_with({{"Accept", "a"}, {"Accept", "b"}, {"Cookie", "x=1"}, {"Cookie", "y=2"}});
    auto env = program_environment(request, kPaths, {});
    EXPECT_EQ(variable(env, "HTTP_ACCEPT"), "a, b");
    EXPECT_EQ(variable(env, "HTTP_COOKIE"), "x=1; y=2");
}

TEST(Environment, ConfiguredVariablesComeInButMetaVariablesWin) {
    Request request = request_with({});
    auto env = program_environment(
        request, kPaths,
        {{"GIT_PROJECT_ROOT=/srv/git", "PATH=/opt/bin", "SCRIPT_NAME=/fake"}, false, ""});
    EXPECT_EQ(variable(env, "GIT_PROJECT_ROOT"), "/srv/git");
    EXPECT_EQ(variable(env, "PATH"), "/opt/bin");
    EXPECT_EQ(variable(env, "SCRIPT_NAME"), "/cgi-bin/a.sh");
    env = program_environment(request, kPaths, {{"A=1", "A=2"}, false, ""});
    EXPECT_EQ(variable(env, "A"), "2");  // given twice: the later one, as env(1)
}

TEST(Environment, AHeaderNeverReplacesAConfiguredVariable) {
    Request request = request_with({{"X-Tenant", "forged"}, {"Accept", "a"}});
    auto env = program_environment(request, kPaths, {{"HTTP_X_TENANT=blue"}, false, ""});
    EXPECT_EQ(variable(env, "HTTP_X_TENANT"), "blue");
    EXPECT_EQ(variable(env, "HTTP_ACCEPT"), "a");
}

TEST(Environment, EntriesAreNameEqualsValueForExecve) {
    EXPECT_EQ(environment_entries({{"A", "1"}, {"PATH", "/bin"}, {"E", ""}}),
              (std::vector<std::string>{"A=1", "PATH=/bin", "E="}));
}

TEST(Environment, NothingOfTheServersOwnEnvironment) {
    ::setenv("FORKD_SECRET_FOR_TEST", "1", 1);
    auto env = program_environment(request_with({}), kPaths, {});
    EXPECT_FALSE(variable(env, "FORKD_SECRET_FOR_TEST"));
    ::unsetenv("FORKD_SECRET_FOR_TEST");
}

TEST(Environment, AGetWithoutBodyHasNoContentLengthAndEachNameOnce) {
    Request request = request_with({});
    request.method = "GET";
    request.body = "";
    auto env = program_environment(request, {"/a", "", "/d/a", "/d"}, {});
    EXPECT_FALSE(variable(env, "CONTENT_LENGTH"));
    EXPECT_FALSE(variable(env, "PATH_INFO"));
    std::vector<std::string> names;
    for (const auto& entry : env)
        names.push_back(entry.name);
    std::ranges::sort(names);
    EXPECT_EQ(std::ranges::adjacent_find(names), names.end());
}

}  // namespace
}  // namespace forkd::cgi
