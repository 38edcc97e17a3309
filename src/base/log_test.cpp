#include "base/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>

namespace heartbase::base::log {
namespace {

std::string Capture(const std::function<void()>& write) {
  std::FILE* f = std::tmpfile();
  SetSink(f);
  write();
  SetSink(nullptr);
  std::string out(4096, '\0');
  std::rewind(f);
  out.resize(std::fread(out.data(), 1, out.size(), f));
  std::fclose(f);
  return out;
}

TEST(Log, EscapesEveryValueSoNoneCanForgeALineOrAField) {
  EXPECT_EQ(Escape("CARELINK|MDT"), "CARELINK|MDT");
  EXPECT_EQ(Escape("two words"), "\"two words\"");
  EXPECT_EQ(Escape("a\r\nb"), "\"a\\x0d\\x0ab\"");
  EXPECT_EQ(Escape("say \"x\" \\ y"), "\"say \\\"x\\\" \\\\ y\"");
  EXPECT_EQ(Escape("k=v"), "\"k=v\"");
  EXPECT_EQ(Escape(""), "\"\"");
}

TEST(Log, WritesOneLogfmtLinePerEvent) {
  const std::string out = Capture([] {
    Info("ingest", {{"disposition", "stored"}, {"id", 42}, {"ms", 1.5}});
    Warn("quarantine", {{"why", MakeError(ErrorCode::kMalformed, "no MSH\nsegment")}});
  });
  const auto nl = out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const std::string first = out.substr(0, nl);
  EXPECT_EQ(first.substr(4, 1), "-");
  EXPECT_NE(first.find("Z info ingest disposition=stored id=42 ms=1.500"), std::string::npos)
      << first;
  const std::string second = out.substr(nl + 1);
  EXPECT_NE(second.find(" warn quarantine why=\"malformed: no MSH\\x0asegment\"\n"),
            std::string::npos)
      << second;
  EXPECT_EQ(second.find('\n'), second.size() - 1);  // the newline in the message was escaped
}

TEST(Log, DropsLinesBelowTheLevel) {
  const std::string out = Capture([] {
    SetLevel(Level::kWarn);
    Info("quiet");
    Error("loud");
    SetLevel(Level::kInfo);
  });
  EXPECT_EQ(out.find("quiet"), std::string::npos);
  EXPECT_NE(out.find(" error loud\n"), std::string::npos);
}

}  // namespace
}  // namespace heartbase::base::log
