// What a gateway route reads its response from: a CGI program's stdout (program_run.hpp) or
// a FastCGI application's STDOUT records (fastcgi_exchange.hpp). The handler reads the
// header block and then streams the rest the same way from either.
#pragma once

#include <string>

namespace forkd::cgi {

class GatewayOutput {
  public:
    virtual ~GatewayOutput() = default;

    enum class Read {
        data,         // bytes were appended
        end,          // the output is complete
        timeout,      // cgi_timeout or cgi_idle_timeout passed
        client_gone,  // the client hung up while we waited
        broken,       // the other side broke its protocol or its connection (logged)
    };
    // Appends the next piece of output to `out`.
    virtual Read read_output(std::string& out) = 0;

    // Whether the whole output has been read already (a FastCGI answer whose END_REQUEST
    // came with its first bytes): what read_output appended is all there is.
    virtual bool complete() const { return false; }

    // Releases what produces the output; `abandon` when the response was not read whole
    // (a timeout, a client gone, a HEAD request), so nothing more of it is waited for.
    virtual void end(bool abandon) = 0;
};

}  // namespace forkd::cgi
