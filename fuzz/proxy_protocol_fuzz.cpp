// Fuzz target: http::parse_proxy_header over what a peer sends first on a proxy_protocol
// listener.
//
// Two readings of the input; its last byte chooses which (FuzzedDataProvider reads integers
// from the end, so the bytes before stay stable under mutation).
// - Raw: the input is a connection's first bytes. Read whole and at every prefix: a length
//   never exceeds what was offered nor the version's limit; a prefix of a complete header is
//   never complete or refused, and any longer input reads the same; a refusal stays a
//   refusal as bytes are added; a complete header names an address forkd can read back
//   (a numeric host and a port, or "unix") or none.
// - Built: the input chooses two addresses of one family, ports and TLV bytes; the v1 and v2
//   encoders write them and the parser gives back the source exactly, with the header's
//   length (TLVs that do not fit are refused, never read past).
#include <arpa/inet.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "http/proxy_protocol.hpp"

namespace {

using forkd::http::parse_proxy_header;
using forkd::http::ProxyHeader;
using forkd::http::ProxyProgress;

bool same(const ProxyHeader& a, const ProxyHeader& b) {
    return a.progress == b.progress && a.length == b.length && a.source == b.source &&
           a.version == b.version;
}

// "192.0.2.1:80", "[2001:db8::1]:80" or "unix", the host canonical.
bool readable_source(const std::string& source) {
    if (source == "unix") return true;
    std::size_t colon = source.rfind(':');
    FUZZ_CHECK(colon != std::string::npos, "a source has a port");
    std::string host = source.substr(0, colon);
    int family = AF_INET;
    if (host.starts_with('[')) {
        FUZZ_CHECK(host.ends_with(']'), "an IPv6 host is in brackets");
        host = host.substr(1, host.size() - 2);
        family = AF_INET6;
    }
    std::array<unsigned char, 16> bytes{};
    FUZZ_CHECK(::inet_pton(family, host.c_str(), bytes.data()) == 1, "the host is numeric");
    std::string port = source.substr(colon + 1);
    FUZZ_CHECK(!port.empty() && port.size() <= 5 && std::stoul(port) <= 65535, "a port");
    return true;
}

void check_raw(std::string_view input) {
    ProxyHeader whole = parse_proxy_header(input);
    if (whole.progress == ProxyProgress::complete) {
        FUZZ_CHECK(whole.length > 0 && whole.length <= input.size(), "length within the input");
        std::size_t limit =
            whole.version == 1 ? forkd::http::kProxyV1MaxLength : forkd::http::kProxyV2MaxLength;
        FUZZ_CHECK(whole.length <= limit, "length within the version's limit");
        if (whole.source) readable_source(*whole.source);
    } else {
        FUZZ_CHECK(whole.length == 0 && !whole.source, "no address before a whole header");
    }
    if (whole.progress == ProxyProgress::error) FUZZ_CHECK(!whole.error.empty(), "a reason");
    for (std::size_t cut = 0; cut < input.size(); ++cut) {
        ProxyHeader part = parse_proxy_header(input.substr(0, cut));
        if (whole.progress == ProxyProgress::complete && cut < whole.length) {
            FUZZ_CHECK(part.progress == ProxyProgress::need_more, "a prefix needs more");
        } else if (whole.progress == ProxyProgress::complete) {
            FUZZ_CHECK(same(part, whole), "more bytes after a header change nothing");
        }
        if (part.progress == ProxyProgress::error) {
            FUZZ_CHECK(whole.progress == ProxyProgress::error, "a refusal stays a refusal");
        }
        if (part.progress == ProxyProgress::complete) {
            FUZZ_CHECK(same(part, whole), "a complete prefix is the header");
        }
    }
}

std::string address(FuzzedDataProvider& data, bool v6) {
    std::array<unsigned char, 16> bytes{};
    for (std::size_t i = 0; i < (v6 ? 16U : 4U); ++i)
        bytes[i] = data.ConsumeIntegral<unsigned char>();
    std::array<char, INET6_ADDRSTRLEN> text{};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text.data(), text.size());
    return text.data();
}

void check_built(FuzzedDataProvider& data) {
    bool v6 = data.ConsumeBool();
    std::string source = address(data, v6);
    std::string destination = address(data, v6);
    auto source_port = data.ConsumeIntegral<uint16_t>();
    auto destination_port = data.ConsumeIntegral<uint16_t>();
    std::string tlvs = data.ConsumeRandomLengthString(512);
    std::string expected = (v6 ? "[" + source + "]" : source) + ":" + std::to_string(source_port);
    std::string v1 =
        forkd::http::proxy_v1_header(source, source_port, destination, destination_port);
    ProxyHeader read = parse_proxy_header(v1 + "GET /");
    FUZZ_CHECK(read.progress == ProxyProgress::complete && read.length == v1.size(),
               "a v1 header reads whole");
    FUZZ_CHECK(read.source == expected, "a v1 header gives its source back");
    std::string v2 =
        forkd::http::proxy_v2_header(source, source_port, destination, destination_port, tlvs);
    read = parse_proxy_header(v2 + "GET /");
    FUZZ_CHECK(read.progress != ProxyProgress::need_more, "a whole v2 header is decided");
    if (read.progress == ProxyProgress::complete) {
        FUZZ_CHECK(read.length == v2.size(), "a v2 header reads whole");
        FUZZ_CHECK(read.source == expected, "a v2 header gives its source back");
    }
    check_raw(v2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, std::size_t size) {
    FuzzedDataProvider data(bytes, size);
    bool built = size > 0 && (bytes[size - 1] & 1) == 1;
    if (built) {
        data.ConsumeIntegral<uint8_t>();  // the choice itself
        check_built(data);
    } else {
        check_raw(std::string_view(reinterpret_cast<const char*>(bytes), size > 0 ? size - 1 : 0));
    }
    return 0;
}
