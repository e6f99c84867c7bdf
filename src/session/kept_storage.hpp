// The storage a process serves its connections with, kept from one connection to the next
// instead of made and freed for each: the request parser (its request keeps its strings and
// fields), the bytes received and not yet parsed, and the response head. One set per thread
// (a thread serves one connection at a time), never freed.
//
// For fork mode: every allocation or free in a child writes to heap pages it shares with the
// master, and each page a child first writes is a page copied, a fault per page and per
// connection (bench/reading.md, fork mode). So the program makes this storage first thing,
// while the heap is young and its pieces land next to each other on a few pages
// (prepare_kept_storage, in forkd::run), and the master gives it room for a common exchange
// before it forks: a child then reads, parses and answers a common request without a single
// allocation or free, writing to two or three pages of heap.
#pragma once

#include <string>

#include "http/request_parser.hpp"

namespace forkd::session {

struct ConnectionStorage {
    explicit ConnectionStorage(const http::Limits& limits) : parser(limits) {}

    http::RequestParser parser;
    std::string received;  // received, not yet consumed
};

// This thread's storage for a connection, its parser set to `limits` (they change with a
// reload).
ConnectionStorage& kept_connection_storage(const http::Limits& limits);

// This thread's buffer for a response head.
std::string& kept_response_head();

// Makes this thread's storage if it has none yet, with room for a common request and
// response: a few kilobytes of bytes received, 16 fields, a request id, a kilobyte of
// response head; and sets its parser to `limits`.
void prepare_kept_storage(const http::Limits& limits);

}  // namespace forkd::session
