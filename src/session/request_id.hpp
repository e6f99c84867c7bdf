// Request ids: one per request, for the access log (json), handlers (Request::request_id)
// and CGI/FastCGI programs (REQUEST_ID), so that one request can be followed through every
// log that mentions it.
//
// An id is 24 hex digits: 16 drawn at random once per serving process (getrandom), then a
// counter of that process's requests. Unique across processes, instances and restarts
// without any coordination, and cheap: no system call per request. The random part is
// drawn lazily, at a process's first request, and forgotten in every new child
// (forget_request_ids), so a forked process never repeats its parent's ids.
#pragma once

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

// Called in a new child right after fork: its ids get a random part of their own.
void forget_request_ids();

}  // namespace forkd::session
