// The server half of the AWS protocols, for the fake endpoint: query/ec2 form requests
// and JSON requests into model-shaped values (rejecting any parameter the model does not
// know), and output values into query/ec2 XML or JSON answers. Driven by the full
// botocore models. Pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "aws/protocol/shape_model.h"
#include "core/error.h"

namespace ghscale::fakes::aws_wire {

using ghscale::aws::protocol::Operation;
using ghscale::aws::protocol::ServiceModel;
using ghscale::aws::protocol::Shape;

// "a=b&c=d" → pairs, percent- and '+'-decoded.
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view body);

// Form parameters (without Action and Version) → the input value. kInvalid names the
// first parameter the model does not know.
Result<boost::json::value> form_to_value(const ServiceModel& model, const Operation& op,
                                         const std::vector<std::pair<std::string, std::string>>& params);
// Checks a JSON input against the input shape: kInvalid names the first unknown member.
Status check_json_input(const Operation& op, const boost::json::value& input);

// XML answers.
std::string query_response_xml(const ServiceModel& model, const Operation& op, const boost::json::value& output,
                               std::string_view request_id);
std::string query_error_xml(std::string_view code, std::string_view message, std::string_view request_id, bool ec2);

}  // namespace ghscale::fakes::aws_wire
