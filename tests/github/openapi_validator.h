// Holds every request ghscale sends and every answer it gets against GitHub's OpenAPI
// description: an http::Client decorator that validates, then records violations.
// Validation covers path templates and methods, query parameters (declared, typed,
// enums), request bodies and response bodies against their JSON schemas ($ref, type,
// nullable, required, properties, items, enum, allOf/anyOf/oneOf, min/maxItems,
// additionalProperties), and that the status code is documented.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"

namespace ghscale::testing {

class OpenApiValidator {
 public:
  explicit OpenApiValidator(const std::string& description_path);
  ~OpenApiValidator();
  // Problems found in one exchange; empty when it conforms. `api_url` is stripped first.
  std::vector<std::string> check(const std::string& api_url, const http::ClientRequest& request,
                                 const http::ClientResponse& response, std::string* operation_id = nullptr) const;
  // Problems of a JSON body against a component schema ("minimal-repository"), or an array
  // of it: for answers of paths the description lacks (GET /orgs/{org}/repos).
  std::vector<std::string> check_schema(std::string_view body, const std::string& component, bool array_of) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ValidatingClient final : public http::Client {
 public:
  ValidatingClient(std::shared_ptr<http::Client> inner, std::shared_ptr<OpenApiValidator> validator, std::string api_url)
      : inner_(std::move(inner)), validator_(std::move(validator)), api_url_(std::move(api_url)) {}
  Result<http::ClientResponse> send(const http::ClientRequest& request) override;
  std::vector<std::string> violations() const;
  std::set<std::string> operations() const;  // operationIds seen

 private:
  std::shared_ptr<http::Client> inner_;
  std::shared_ptr<OpenApiValidator> validator_;
  std::string api_url_;
  mutable std::mutex mu_;
  std::vector<std::string> violations_;
  std::set<std::string> operations_;
};

}  // namespace ghscale::testing
