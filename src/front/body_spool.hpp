// The io worker's body spool is the one every serving process uses: session/body_spool.hpp.
// This name stays for the io worker's own headers.
#pragma once

#include "session/body_spool.hpp"

namespace forkd::front {

using session::BodySpool;

}  // namespace forkd::front
