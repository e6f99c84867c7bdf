// A request made anew where it is, for the next request read into it.
#pragma once

#include "forkd/request.hpp"

namespace forkd::api {

// Gives `request` every member's value as a default Request has it, each string and list
// keeping its storage (emptied): whoever reads request after request into one object (a
// connection's parser, an app worker's hand-offs) then allocates only for what outgrows
// the last one.
void renew(Request& request);

}  // namespace forkd::api
