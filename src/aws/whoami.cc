#include "aws/whoami.h"

#include <boost/json.hpp>

namespace ghscale::aws {

Result<WhoAmI> whoami(Session& session) {
  auto creds = session.credentials()->resolve();
  if (!creds.ok()) return creds.error();
  StsClient sts(session.client(Service::kSts));
  auto identity = sts.get_caller_identity();
  if (!identity.ok()) return identity.error();
  WhoAmI who;
  who.identity = *identity;
  who.credential_source = creds->source;
  const std::string& id = creds->credentials.access_key_id;
  who.access_key_id_masked = id.size() > 4 ? std::string(id.size() - 4, '*') + id.substr(id.size() - 4) : "****";
  who.temporary = !creds->credentials.session_token.empty();
  who.region = session.region();
  for (const ServiceInfo& info : all_services()) {
    who.endpoints.emplace_back(std::string(info.display_name), session.endpoint(info.id));
  }
  return who;
}

std::string format_whoami_text(const WhoAmI& who) {
  std::string out;
  out += "Account:      " + who.identity.account + "\n";
  out += "Arn:          " + who.identity.arn + "\n";
  out += "UserId:       " + who.identity.user_id + "\n";
  out += "Credentials:  " + who.credential_source + " (" + who.access_key_id_masked +
         (who.temporary ? ", temporary" : ", long-term") + ")\n";
  out += "Region:       " + who.region.region + " (from " + who.region.source + ")\n";
  out += "Endpoints:\n";
  for (const auto& [name, e] : who.endpoints) {
    std::string label = "  " + name + ":";
    label.resize(std::max<std::size_t>(label.size() + 1, 16), ' ');
    out += label + e.url + " (" + e.source + ")\n";
  }
  return out;
}

std::string format_whoami_json(const WhoAmI& who) {
  namespace json = boost::json;
  json::object endpoints;
  for (const auto& [name, e] : who.endpoints) endpoints[name] = json::object{{"url", e.url}, {"source", e.source}};
  json::object o{{"account", who.identity.account},
                 {"arn", who.identity.arn},
                 {"user_id", who.identity.user_id},
                 {"credential_source", who.credential_source},
                 {"access_key_id", who.access_key_id_masked},
                 {"temporary", who.temporary},
                 {"region", who.region.region},
                 {"region_source", who.region.source},
                 {"endpoints", std::move(endpoints)}};
  return json::serialize(o);
}

}  // namespace ghscale::aws
