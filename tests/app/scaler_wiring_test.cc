// build_scaler's wiring of in-process simulated clouds: pools whose simulated boot and
// interruption rate agree share one cloud (as pools share an account); a pool with its own
// settings gets its own cloud, so its boot_time holds (one cloud took the first pool's).
#include "app/scaler_wiring.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "config/diagnostic.h"
#include "config/loader.h"
#include "store/memory_store.h"

namespace ghscale::app {
namespace {

TEST(ScalerWiring, SimPoolsShareACloudOnlyWhenTheirSettingsAgree) {
  ::setenv("GHSCALE_TEST_WIRING_TOKEN", "ghp_wiringtesttoken0123456789abcdefABCD", 1);
  ::setenv("GHSCALE_TEST_WIRING_SECRET", "wiring-secret", 1);
  auto loaded = config::load_config_text(
      "webhook: {secrets: [env:GHSCALE_TEST_WIRING_SECRET]}\n"
      "github: {auth: {pat: {token: env:GHSCALE_TEST_WIRING_TOKEN}}}\n"
      "pools:\n"
      "  - {name: a, labels: [a], scope: {org: acme}, provider: {type: sim, boot_time: 40s}, max_runners: 2}\n"
      "  - {name: b, labels: [b], scope: {org: acme}, provider: {type: sim, boot_time: 40s}, max_runners: 2}\n"
      "  - {name: c, labels: [c], scope: {org: acme}, provider: {type: sim, boot_time: 90s}, max_runners: 2}\n"
      "  - {name: d, labels: [d], scope: {org: acme}, provider: {type: sim, boot_time: 40s, spot_interruption_rate: 0.5}, "
      "max_runners: 2}\n",
      "wiring.yaml");
  ASSERT_TRUE(loaded.ok()) << config::format_all(loaded.errors);
  auto built = build_scaler(*loaded.config, store::make_memory_store(system_clock()));
  ASSERT_TRUE(built.ok()) << built.error().describe();
  const auto& pools = built->reconciler->options().pools;
  ASSERT_EQ(pools.size(), 4u);
  EXPECT_EQ(pools[0].provider, pools[1].provider);
  EXPECT_NE(pools[0].provider, pools[2].provider);
  EXPECT_NE(pools[0].provider, pools[3].provider);
  EXPECT_NE(pools[2].provider, pools[3].provider);
}

}  // namespace
}  // namespace ghscale::app
