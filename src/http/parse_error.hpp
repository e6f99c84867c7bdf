// Why a request was refused: the status to answer and a short reason for the error page and
// the debug log. Shared by the pieces of the request parser; pure data.
#pragma once

#include <string>

namespace forkd::http {

struct ParseError {
    int status = 400;
    std::string reason;
};

}  // namespace forkd::http
