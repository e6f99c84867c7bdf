// The io worker's connection timers: one deadline per connection, kept in a heap with one
// entry per connection however often the deadline moves, and what a deadline that passes
// means in each phase (408 for a request read too slowly, the close of an idle or lingering
// connection or of a reader too slow, 504 for a relay; io_worker_fastcgi.cpp).
#include "front/io_worker.hpp"

namespace forkd::front {

using Clock = os::Clock;

// One timer per connection in the heap (Client::timer_at): a deadline that moves later
// leaves the armed timer alone, and expire() re-arms it when it fires early. Counted from
// the turn's time (Loop::woke_at), not a clock read per call: a keep-alive request moved
// its deadline three or four times.
void IoWorker::set_deadline(Client& client, Clock::duration after) {
    client.deadline = loop_.woke_at() + after;
    if (client.timer_at <= client.deadline) return;
    client.timer_at = client.deadline;
    timers_.emplace(client.deadline, client.id);
}

void IoWorker::expire(Clock::time_point now) {
    while (!timers_.empty() && timers_.top().first <= now) {
        auto [when, id] = timers_.top();
        timers_.pop();
        Client* client = find(id);
        if (client == nullptr || client->timer_at != when) continue;  // an earlier one replaced it
        client->timer_at = Clock::time_point::max();
        if (client->deadline > now) {  // moved later since: wait for it
            client->timer_at = client->deadline;
            timers_.emplace(client->deadline, id);
            continue;
        }
        if (client->phase == Phase::relaying && client->relay) {
            relay_timed_out(*client);
        } else if (client->phase == Phase::reading && !client->idle) {
            answer_error(*client, 408, "timed out reading the request");
        } else if (client->phase == Phase::reading || client->phase == Phase::writing ||
                   client->phase == Phase::lingering) {
            close_client(*client);  // idle keep-alive, a reader too slow, or done lingering
        }
    }
}

}  // namespace forkd::front
