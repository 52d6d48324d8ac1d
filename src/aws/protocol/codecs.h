// The per-protocol halves behind protocol.h. Internal to src/aws/protocol.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "aws/protocol/protocol.h"

namespace ghscale::aws::protocol {

// query and ec2: "Action=...&Version=...&..." (form-encoded).
Result<std::string> serialize_form_body(const ServiceMetadata& service, const Operation& operation,
                                        const boost::json::value& params, bool ec2, const SerializeOptions& options);
// query and ec2 XML bodies.
Result<boost::json::value> parse_xml_output(const Operation& operation, std::string_view body, bool ec2);
ApiError parse_xml_error(const HttpResponse& response, const ShapeModel& shapes);

// JSON 1.0 / 1.1.
Result<std::string> serialize_json_body(const Operation& operation, const boost::json::value& params,
                                        const SerializeOptions& options);
Result<boost::json::value> parse_json_output(const Operation& operation, std::string_view body);
ApiError parse_json_error(const HttpResponse& response, const ShapeModel& shapes);

}  // namespace ghscale::aws::protocol
