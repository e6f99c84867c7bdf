// Keeps the process title current: "forkd: worker 3 idle", "forkd: worker 3 busy GET /?sleep".
#pragma once

#include <string>

#include "session/connection.hpp"

namespace forkd::worker {

class TitleObserver final : public session::Observer {
  public:
    // `role` is what the title names: "single", "worker 3", "conn 127.0.0.1:51234".
    explicit TitleObserver(std::string role) : role_(std::move(role)) {}

    void idle();
    void request_started(const Request& request) override;
    void request_finished(const Request&, int) override { idle(); }

  private:
    std::string role_;
};

}  // namespace forkd::worker
