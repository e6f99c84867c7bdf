// Request ids: one per request, for the access log (json), handlers (Request::request_id)
// and CGI/FastCGI programs (REQUEST_ID), so that one request can be followed through every
// log that mentions it.
//
// An id is 24 hex digits: 16 that set the serving process apart, then a counter of that
// process's requests. Unique across processes, instances and restarts without any
// coordination, and cheap: no system call per request, nor per forked child. A process
// draws its part at its first request (getrandom); a process that forks others (the master)
// draws once for all of them and gives each child that draw mixed with the child's serial
// number (child_request_id_part, start_request_ids), so no two children of one parent share
// a part, and a fork-mode child, one per connection, makes no system call for it.
#pragma once

#include <cstdint>
#include <string>

#include "forkd/request.hpp"
#include "session/client_address.hpp"

namespace forkd::session {

// Gives `request` its id. The one place an id is decided: the X-Request-Id of a request
// whose peer (peer_addr, after name_client) is one of `trusted` is adopted when it is 1 to
// 128 characters of letters, digits and "-_.:" (nothing a log line could be broken with);
// any other request gets a new id. A client's own X-Request-Id is never its id.
void assign_request_id(Request& request, const TrustedProxies& trusted = {});

// A new id of this process.
std::string next_request_id();

// In a parent, before it forks a child: the part of the child whose serial number (unique
// among the parent's children) is `serial`, for start_request_ids.
std::uint64_t child_request_id_part(std::uint64_t serial);

// In a new child right after fork, with what its parent's child_request_id_part gave: its
// ids from now on, none of which its parent or any other child of that parent makes.
void start_request_ids(std::uint64_t part);

}  // namespace forkd::session
