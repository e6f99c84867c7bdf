// forkd: a multi-process HTTP/1.1 server, as a library. Include this one header.
#pragma once

#include "forkd/app.hpp"
#include "forkd/handler.hpp"
#include "forkd/request.hpp"
#include "forkd/response.hpp"
#include "forkd/version.hpp"
