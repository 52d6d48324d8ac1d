#include "aws/models/models.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace ghscale::aws {
namespace {

constexpr std::array<ServiceInfo, 6> kServices = {{
    {Service::kAutoScaling, "autoscaling", "autoscaling", "AUTO_SCALING", "Auto Scaling"},
    {Service::kEc2, "ec2", "ec2", "EC2", "EC2"},
    {Service::kSsm, "ssm", "ssm", "SSM", "SSM"},
    {Service::kDynamoDb, "dynamodb", "dynamodb", "DYNAMODB", "DynamoDB"},
    {Service::kEventBridge, "events", "events", "EVENTBRIDGE", "EventBridge"},
    {Service::kSts, "sts", "sts", "STS", "STS"},
}};

protocol::ServiceModel load_or_die(Service service) {
  auto model = protocol::ServiceModel::parse(embedded_model_text(service));
  if (!model.ok()) {
    std::fprintf(stderr, "embedded AWS model %s does not load: %s\n",
                 std::string(service_info(service).model_name).c_str(), model.error().message.c_str());
    std::abort();
  }
  return std::move(model).value();
}

}  // namespace

const ServiceInfo& service_info(Service service) {
  return kServices[static_cast<std::size_t>(service)];
}
std::span<const ServiceInfo> all_services() {
  return kServices;
}

std::string embedded_model_text(Service service) {
  switch (service) {
    case Service::kAutoScaling:
      return models::autoscaling_model_text();
    case Service::kEc2:
      return models::ec2_model_text();
    case Service::kSsm:
      return models::ssm_model_text();
    case Service::kDynamoDb:
      return models::dynamodb_model_text();
    case Service::kEventBridge:
      return models::events_model_text();
    case Service::kSts:
      return models::sts_model_text();
  }
  std::abort();
}

const protocol::ServiceModel& embedded_model(Service service) {
  static const std::array<protocol::ServiceModel, 6> models = {
      load_or_die(Service::kAutoScaling), load_or_die(Service::kEc2),         load_or_die(Service::kSsm),
      load_or_die(Service::kDynamoDb),    load_or_die(Service::kEventBridge), load_or_die(Service::kSts)};
  return models[static_cast<std::size_t>(service)];
}

}  // namespace ghscale::aws
