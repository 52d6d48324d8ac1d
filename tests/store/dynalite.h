// One dynalite (npm; a local DynamoDB) per test process, started on loopback on first use
// and stopped at exit. Absent dynalite makes tests skip visibly, never fail.
#pragma once

#include <memory>
#include <string>

#include "aws/services/dynamodb.h"

namespace ghscale::store::testing {

class Dynalite {
 public:
  // The shared instance; started on the first call.
  static Dynalite& get();
  // Why DynamoDB tests cannot run here ("" when they can).
  const std::string& unavailable() const { return unavailable_; }
  const std::string& endpoint() const { return endpoint_; }
  // A new client (its own connection pool, like another daemon) against dynalite.
  std::shared_ptr<aws::DynamoDbClient> client() const;
  // A table name no other test uses, stable for the same `seed` (reopen).
  static std::string table_for(const std::string& seed);

  ~Dynalite();

 private:
  Dynalite();
  struct Process;
  std::unique_ptr<Process> process_;
  std::string endpoint_;
  std::string unavailable_;
};

}  // namespace ghscale::store::testing
