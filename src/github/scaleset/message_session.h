// One message session of a scale set, as a long-lived listener holds it: reads and
// acknowledges messages, refreshes the session when its queue token expires (401) and
// opens a new one when the service lost it (404). Only one session per scale set exists at
// a time: another owner's session is kConflict, for the caller to wait and retry.
// Thread-safe; calls are serialised.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.h"
#include "github/scaleset/client.h"

namespace ghscale::scaleset {

class MessageSession {
 public:
  // kConflict when another owner holds the scale set's session; kNotFound when the scale
  // set is gone (ensure_scale_set recreates it).
  static Result<std::unique_ptr<MessageSession>> open(std::shared_ptr<Client> client, std::int64_t scale_set_id,
                                                      std::string owner);
  ~MessageSession() = default;

  // nullopt: nothing now (the long poll ended with 202). Messages not acknowledged come
  // again; statistics are always current.
  Result<std::optional<Message>> get_message(std::int64_t last_message_id, int max_capacity);
  Status delete_message(std::int64_t message_id);
  // Deletes the session so another owner may open one at once.
  Status close();

  Session session() const;
  int refreshes() const;
  int reopens() const;

 private:
  MessageSession(std::shared_ptr<Client> client, std::int64_t scale_set_id, std::string owner, Session session)
      : client_(std::move(client)),
        scale_set_id_(scale_set_id),
        owner_(std::move(owner)),
        session_(std::move(session)) {}
  // After a refused token: refresh, or reopen when the session is gone.
  Status recover_locked(const Error& cause);

  // Constant after construction.
  const std::shared_ptr<Client> client_;
  const std::int64_t scale_set_id_;
  const std::string owner_;

  mutable std::mutex mu_;
  Session session_;      // guarded by mu_
  int refreshes_ = 0;    // guarded by mu_
  int reopens_ = 0;      // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

}  // namespace ghscale::scaleset
