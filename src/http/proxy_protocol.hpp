// The PROXY protocol (haproxy's doc/proxy-protocol.txt, versions 1 and 2): the header a proxy
// in front sends first on each connection it opens, naming the client it connected for.
// Read on listeners marked `proxy_protocol` only, before the first HTTP byte.
//
// A pure function over the bytes received so far, as the request parser is: it says whether
// a whole header is there (and how long it is), whether more bytes are needed, or why the
// bytes are not a header. Strict: anything the specification does not allow is an error, and
// the connection is then closed without an answer (the peer is a proxy, not a browser).
//
// What it must not do: I/O, or take an address from anything but a complete, valid header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forkd::http {

// The longest header of each version: v1's is one line of at most 107 bytes with its CRLF;
// v2's is 16 bytes and a length field of 16 bits.
inline constexpr std::size_t kProxyV1MaxLength = 107;
inline constexpr std::size_t kProxyV2MaxLength = 16 + 65535;

enum class ProxyProgress { need_more, complete, error };

struct ProxyHeader {
    ProxyProgress progress = ProxyProgress::need_more;
    std::size_t length = 0;  // the header's bytes, when complete; the HTTP bytes follow
    int version = 0;         // 1 or 2, once the first bytes tell
    // The client the proxy connected for, written as a Request's remote_addr
    // ("192.0.2.1:51234", "[2001:db8::1]:443", "unix"). None when the connection's own peer
    // stays the address: v2's LOCAL command (the proxy's health checks), v1's UNKNOWN,
    // v2's unspecified family.
    std::optional<std::string> source;
    std::string error;  // why the bytes are not a header, when progress is error
};

// Reads the header at the start of `bytes` (everything received so far).
ProxyHeader parse_proxy_header(std::string_view bytes);

// Headers as a proxy sends them, for tests and the fuzzer's round trip. `source` and
// `destination` are numeric addresses of one family (IPv4 or IPv6, no brackets).
std::string proxy_v1_header(std::string_view source, uint16_t source_port,
                            std::string_view destination, uint16_t destination_port);
// v2 with the PROXY command over TCP; `tlvs` are appended as they are (type, 16-bit
// length, value each).
std::string proxy_v2_header(std::string_view source, uint16_t source_port,
                            std::string_view destination, uint16_t destination_port,
                            std::string_view tlvs = {});
// v2's LOCAL command, as haproxy's health checks send it: no address.
std::string proxy_v2_local_header();

}  // namespace forkd::http
