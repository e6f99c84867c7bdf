// A request made anew where it is, for the next request read into it.
#pragma once

#include "forkd/request.hpp"

namespace forkd::api {

// Gives `request` every member as a default Request has it, except that its field list and
// its id keep their storage (emptied): whoever reads request after request into one object
// (a connection's parser, an app worker's hand-offs) then allocates none for them.
void renew(Request& request);

}  // namespace forkd::api
