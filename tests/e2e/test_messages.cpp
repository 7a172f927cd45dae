// Messages a person can act on, on the command line of the real executable: when the proxy from
// the environment is down, the failure names the proxy, not the origin. The in-process cases
// are in tests/unit/transfer/test_messages.cpp.
#include <gtest/gtest.h>

#include <string>

#include "support/child_process.hpp"
#include "support/forward_proxy.hpp"
#include "support/run_process.hpp"
#include "support/temp_dir.hpp"

namespace imgfetch {
namespace {

using test::TempDir;

TEST(MessagesCli, TheCommandLineSaysWhichProxyWasDown) {
    TempDir scratch;
    test::write_file(scratch / "list.txt", "http://127.0.0.1:9/a.png\n");
    test::ChildProcess::Setup proxy; // for the child alone: no other proxy variable
    proxy.environment = test::only_proxy_variables({{"http_proxy", "http://127.0.0.1:1"}});

    const test::ProcessResult run =
        test::run_imgfetch({(scratch / "list.txt").string(), "-o", (scratch / "out").string(),
                            "--retries", "0", "--no-progress"},
                           scratch.path(), "/dev/null", proxy);

    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.err.find("proxy http://127.0.0.1:1: connection refused"), std::string::npos)
        << run.err;
}

} // namespace
} // namespace imgfetch
