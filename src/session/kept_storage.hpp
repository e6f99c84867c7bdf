// The storage a process serves its connections with, kept from one connection to the next
// instead of made and freed for each: the request parser (its request keeps its strings and
// fields), the bytes received and not yet parsed, and the response head. One set per thread
// (a thread serves one connection at a time), made at its first use and never freed.
//
// In fork mode the master makes it, with room for a common exchange, before its first fork
// (prepare_kept_storage): a child then reads, parses and answers a common request without a
// single allocation or free. Every allocation or free in a child writes to heap pages it
// shares with the master, and each page first written is a page copied: a fault per page, per
// connection (bench/reading.md, fork mode).
#pragma once

#include <string>

#include "http/request_parser.hpp"

namespace forkd::session {

struct ConnectionStorage {
    explicit ConnectionStorage(const http::Limits& for_limits)
        : limits(for_limits), parser(for_limits) {}

    http::Limits limits;  // the parser's
    http::RequestParser parser;
    std::string received;  // received, not yet consumed
};

// This thread's storage for a connection, with a parser for `limits` (made again when they
// changed, after a reload).
ConnectionStorage& kept_connection_storage(const http::Limits& limits);

// This thread's buffer for a response head.
std::string& kept_response_head();

// Makes this thread's storage now, with room for a common request and response: a few
// kilobytes of bytes received, 16 fields, a request id, a kilobyte of response head.
void prepare_kept_storage(const http::Limits& limits);

}  // namespace forkd::session
